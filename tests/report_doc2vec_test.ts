/**
 * What the Doc2Vec notebook shows (lib/report/doc2vec.ts), on tiny synthetic data: the user
 * document in time order, items found by title, the genre map's groups and projection,
 * genre agreement of nearest neighbours against brute force, config merging, the ablation
 * runner's bookkeeping and the comparison sentences.
 */
import {
  type HeldOut,
  IdMap,
  type Interactions,
  type ItemInfo,
  type Split,
} from "../lib/data/mod.ts";
import { pcaProject } from "../lib/embedding/mod.ts";
import {
  type AblationResult,
  compareVariants,
  describeAblation,
  findItem,
  genreNeighbourAgreement,
  itemGenreMap,
  mergeEmbeddingConfig,
  pearson,
  runProbeAblation,
  userDocumentRows,
} from "../lib/report/mod.ts";
import { Rng, SilentSink } from "../lib/util/mod.ts";
import {
  assert,
  assertAllClose,
  assertClose,
  assertEquals,
  assertThrowsMatching,
} from "./_assert.ts";

function split(
  nUsers: number,
  nItems: number,
  train: [number, number, number][],
  test?: HeldOut,
): Split {
  const t: Interactions = {
    users: Int32Array.from(train, (r) => r[0]),
    items: Int32Array.from(train, (r) => r[1]),
    ratings: Float32Array.from(train, () => 4),
    timestamps: Float64Array.from(train, (r) => r[2]),
    nUsers,
    nItems,
    userIds: new IdMap(Array.from({ length: nUsers }, (_, u) => u + 1)),
    itemIds: new IdMap(Array.from({ length: nItems }, (_, i) => i + 1)),
  };
  const empty: HeldOut = {
    users: new Int32Array(0),
    items: new Int32Array(0),
    timestamps: new Float64Array(0),
    ratings: new Float32Array(0),
    numNegatives: 0,
  };
  return { name: "tiny", train: t, test: test ?? empty, nUsers, nItems };
}

function info(id: number, title: string, year: number | null, genres: string[]): ItemInfo {
  return { id, title, year, genres, tags: [], keywords: [], imdbId: null, tmdbId: null };
}

Deno.test("userDocumentRows: the document in time order, long documents elided", async () => {
  const s = split(1, 8, [[0, 3, 50], [0, 1, 10], [0, 7, 30], [0, 2, 20], [0, 5, 40], [0, 0, 60]]);
  const m = new Map(
    [...Array(8).keys()].map((i) => [i + 1, info(i + 1, `T${i}`, 2000, ["Drama"])]),
  );
  const all = userDocumentRows(s, m, 0, { head: 10, tail: 0 });
  assertEquals(all.words, 6);
  assertEquals(all.rows.map((r) => r.title), ["T1", "T2", "T7", "T5", "T3", "T0"]);
  assertEquals(all.rows[0].word, '"1"', "words are item indices as text");
  assertEquals(all.rows[0].date, "1970-01-01");
  const cut = userDocumentRows(s, m, 0, { head: 2, tail: 1 });
  assertEquals(cut.rows.map((r) => r.position), [1, 2, "...", 6]);
  await assertThrowsMatching(
    () => userDocumentRows(split(2, 8, [[0, 1, 1]]), m, 1),
    /no training document/,
  );
});

Deno.test("findItem: exact title first, then prefix, most interactions, year", async () => {
  const s = split(3, 4, [[0, 1, 1], [1, 1, 1], [2, 2, 1], [0, 3, 1], [1, 3, 1]]);
  const m = new Map([
    [1, info(1, "Star Wars", 1977, [])],
    [2, info(2, "Star Wars: Special Edition", 1997, [])],
    [3, info(3, "Star Trek", 1979, [])],
    [4, info(4, "Star Trek", 2009, [])],
  ]);
  assertEquals(findItem(s, m, "star wars"), 0);
  assertEquals(findItem(s, m, "Star Wars:"), 1);
  assertEquals(findItem(s, m, "Star Trek"), 3, "more training interactions");
  assertEquals(findItem(s, m, "Star Trek", 1979), 2);
  await assertThrowsMatching(() => findItem(s, m, "Alien"), /no item titled "Alien"/);
});

/** Items in two genre clusters along two directions, plus noise; metadata to match. */
function clustered(nPerGenre: number, seed: number) {
  const rng = new Rng(seed);
  const dim = 6;
  const genres = [["Horror"], ["Children's", "Comedy"], ["Comedy"]];
  const n = nPerGenre * genres.length;
  const vectors = new Float32Array(n * dim);
  const m = new Map<number, ItemInfo>();
  for (let i = 0; i < n; i++) {
    const g = i % genres.length;
    for (let c = 0; c < dim; c++) vectors[i * dim + c] = rng.normal() * 0.6 + (c === g ? 3 : 0);
    m.set(i + 1, info(i + 1, `Item ${i}`, 1990, genres[g]));
  }
  const train: [number, number, number][] = [];
  for (let i = 0; i < n; i++) for (let u = 0; u < 3; u++) train.push([u, i, i]);
  return { s: split(3, n, train), m, vectors, dim, n, genres };
}

Deno.test("itemGenreMap: most specific genre, PCA coordinates, filters", async () => {
  const { s, m, vectors, dim, n } = clustered(20, 1);
  const present = new Uint8Array(n).fill(1);
  present[0] = 0;
  const map = itemGenreMap(vectors, dim, s, m, { present, minInteractions: 3 });
  assertEquals(map.items.length, n - 1, "the item without a vector is left out");
  // Children's (20 items) is more specific than Comedy (40): items of cluster 1 show as it.
  map.items.forEach((i, k) => {
    assertEquals(map.groups[k], ["Horror", "Children's", "Comedy"][i % 3], `item ${i}`);
  });
  const total = map.figure.series.reduce((t, se) => t + se.x.length, 0);
  assertEquals(total, n - 1);
  const p = pcaProject(vectors, dim, { rows: map.items });
  assertAllClose(map.projection.coords, p.coords, 1e-12);
  assert.match(map.figure.xLabel!, /PC 1 \(\d+\.\d% of the variance\)/);
  const labels = map.figure.series.flatMap((se) => se.labels ?? []);
  assert.ok(labels.includes("Item 4 (1990) · Children's, Comedy"), labels.slice(0, 3).join("|"));
  // Every item has 3 interactions: popularity does not vary, so its correlation is NaN.
  assert.ok(Number.isNaN(map.axisCorrelations.popularity[0]));
  // Mean rating time of item i is i (see clustered): correlation of axis 1 with the index.
  const x1 = Array.from(map.items, (_, k) => map.projection.coords[2 * k]);
  assertClose(map.axisCorrelations.time[0], pearson(x1, Array.from(map.items)), 1e-12);
  await assertThrowsMatching(
    () => itemGenreMap(vectors, dim, s, m, { minInteractions: 4 }),
    /fewer than 2 items/,
  );
});

Deno.test("genreNeighbourAgreement: against brute force", () => {
  const { s, m, vectors, dim, n, genres } = clustered(15, 2);
  const k = 5;
  const got = genreNeighbourAgreement(vectors, dim, s, m, { k, minInteractions: 1 });
  const cos = (a: number, b: number) => {
    let ab = 0, aa = 0, bb = 0;
    for (let c = 0; c < dim; c++) {
      ab += vectors[a * dim + c] * vectors[b * dim + c];
      aa += vectors[a * dim + c] ** 2;
      bb += vectors[b * dim + c] ** 2;
    }
    return ab / Math.sqrt(aa * bb);
  };
  const shares = (a: number, b: number) => genres[a % 3].some((g) => genres[b % 3].includes(g));
  let agree = 0, pairs = 0, shared = 0;
  for (let a = 0; a < n; a++) {
    const others = [...Array(n).keys()].filter((b) => b !== a).sort((x, y) =>
      cos(a, y) - cos(a, x)
    );
    for (const b of others.slice(0, k)) if (shares(a, b)) agree++;
    for (let b = a + 1; b < n; b++) {
      pairs++;
      if (shares(a, b)) shared++;
    }
  }
  assertEquals(got.items, n);
  assertClose(got.agreement, agree / (n * k), 1e-12, "agreement");
  assertClose(got.baseline, shared / pairs, 1e-12, "baseline");
  assert.ok(got.agreement > got.baseline, "clustered vectors agree more than chance");
});

Deno.test("pearson: by hand, non-finite pairs skipped, no spread is NaN", () => {
  assertClose(pearson([1, 2, 3], [2, 4, 6]), 1, 1e-12);
  assertClose(pearson([1, 2, 3, NaN], [3, 2, 1, 7]), -1, 1e-12);
  // x = 0,1,2,3; y = 0,1,0,1: cov 0.5*... r = 0.4472 (= 1/sqrt 5).
  assertClose(pearson([0, 1, 2, 3], [0, 1, 0, 1]), 1 / Math.sqrt(5), 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

Deno.test("mergeEmbeddingConfig: doc2vec merged key by key, seed last", () => {
  const base = { documents: ["user"], doc2vec: { dm: 1, vectorSize: 100, seed: 7 } };
  assertEquals(mergeEmbeddingConfig(base, { order: "shuffled", doc2vec: { vectorSize: 32 } }, 3), {
    documents: ["user"],
    order: "shuffled",
    doc2vec: { dm: 1, vectorSize: 32, seed: 3 },
  });
  assertEquals(mergeEmbeddingConfig(base, {}), base);
});

Deno.test("runProbeAblation: one run per variant and seed, summary = mean and std", async () => {
  // Two user groups with disjoint items; the test item of each user is from their group.
  const rng = new Rng(3);
  const train: [number, number, number][] = [];
  const nUsers = 20, nItems = 20;
  for (let u = 0; u < nUsers; u++) {
    const lo = u < 10 ? 0 : 10;
    for (let t = 0; t < 8; t++) train.push([u, lo + rng.int(10), t]);
  }
  // Drop duplicate (user, item) pairs: documents do not need it, but keep the data clean.
  const seen = new Set<string>();
  const rows = train.filter((r) => !seen.has(`${r[0]},${r[1]}`) && !!seen.add(`${r[0]},${r[1]}`));
  const negatives = new Int32Array(nUsers * 3);
  for (let u = 0; u < nUsers; u++) {
    for (let j = 0; j < 3; j++) negatives[u * 3 + j] = (u < 10 ? 10 : 0) + j;
  }
  const test: HeldOut = {
    users: Int32Array.from({ length: nUsers }, (_, u) => u),
    items: Int32Array.from({ length: nUsers }, (_, u) => (u < 10 ? 5 : 15)),
    timestamps: new Float64Array(nUsers).fill(99),
    ratings: new Float32Array(nUsers).fill(4),
    negatives,
    numNegatives: 3,
  };
  const s = split(nUsers, nItems, rows, test);
  const base = {
    documents: ["user"],
    doc2vec: { dm: 1, vectorSize: 8, epochs: 2, workers: 1, window: 2 },
  };
  const variants = [
    { name: "dm", config: {} },
    { name: "dbow", config: { doc2vec: { dm: 0, dbowWords: 1 } } },
  ];
  const r = await runProbeAblation(s, base, variants, {
    seeds: [1, 2, 1],
    progress: new SilentSink(),
  });
  assertEquals(r.runs.map((x) => `${x.variant}/${x.seed}`), [
    "dm/1",
    "dbow/1",
    "dm/2",
    "dbow/2",
    "dm/1",
    "dbow/1",
  ]);
  // One worker and a fixed seed: the repeated seed gives the same numbers.
  assertEquals(r.runs[4].hr, r.runs[0].hr);
  assertEquals(r.runs[5].ndcg, r.runs[1].ndcg);
  for (const sm of r.summary) {
    const hrs = r.runs.filter((x) => x.variant === sm.variant).map((x) => x.hr);
    const mean = hrs.reduce((a, b) => a + b, 0) / hrs.length;
    const sd = Math.sqrt(hrs.reduce((a, b) => a + (b - mean) ** 2, 0) / (hrs.length - 1));
    assertClose(sm.hr.mean, mean, 1e-12);
    assertClose(sm.hr.std, sd, 1e-12);
    assertEquals(sm.hr.n, 3);
  }
  await assertThrowsMatching(
    () => runProbeAblation(s, base, [variants[0], variants[0]], { seeds: [1] }),
    /variant dm twice/,
  );
  await assertThrowsMatching(
    () =>
      runProbeAblation(s, base, [{ name: "pure dbow", config: { doc2vec: { dm: 0 } } }], {
        seeds: [1],
        progress: new SilentSink(),
      }),
    /item word vectors/,
  );
});

Deno.test("compareVariants and describeAblation: computed sentences", async () => {
  const stats = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    return { mean, std, n: v.length };
  };
  const r: AblationResult = {
    runs: [],
    seeds: [1, 2, 3],
    summary: [
      {
        variant: "A",
        hr: stats([0.50, 0.51, 0.52]),
        ndcg: stats([0.3, 0.3, 0.3]),
        seconds: stats([1, 1, 1]),
      },
      {
        variant: "B",
        hr: stats([0.40, 0.41, 0.42]),
        ndcg: stats([0.2, 0.2, 0.2]),
        seconds: stats([1, 1, 1]),
      },
      {
        variant: "C",
        hr: stats([0.49, 0.52, 0.55]),
        ndcg: stats([0.3, 0.3, 0.3]),
        seconds: stats([1, 1, 1]),
      },
    ],
  };
  // A - B = 0.1 with standard error sqrt(2 * 0.01^2 / 3) = 0.0082: real.
  assert.match(
    compareVariants(r, "A", "B"),
    /\*\*A\*\* is higher by 0\.1000, larger than twice .*0\.0082/,
  );
  // C - A = 0.0 within noise.
  assert.match(compareVariants(r, "C", "A"), /not distinguishable/);
  const text = describeAblation(r, [["A", "B"]]);
  assert.match(text, /best variant by probe HR@10 is \*\*C\*\* \(0\.5200/);
  assert.match(text, /worst \*\*B\*\*/);
  await assertThrowsMatching(() => compareVariants(r, "A", "Z"), /no variant named Z/);
});
