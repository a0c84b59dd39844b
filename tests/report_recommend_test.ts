/**
 * Recommendations for one user (lib/report/recommend.ts) on tiny synthetic data: the list
 * is the brute-force ranking of the unseen items, seen and excluded items never appear,
 * explanations are the nearest history items by cosine (checked by brute force), history
 * order and table rows, the pessimistic rank of a held-out item, and the registry wiring
 * of fitRecommender (EASE fitted through it scores like EASE fitted directly).
 */
import {
  type HeldOut,
  IdMap,
  type Interactions,
  type ItemInfo,
  type Split,
} from "../lib/data/mod.ts";
import type { Scorer } from "../lib/eval/mod.ts";
import { defaultModelRegistry } from "../lib/experiments/mod.ts";
import { EASE } from "../lib/models/mod.ts";
import {
  describeRecommendations,
  explainByNeighbours,
  explanationSummary,
  fitRecommender,
  heldOutRows,
  rankAmongUnseen,
  recommendationRows,
  recommendForUser,
  userHistory,
  userHistoryRows,
  userIndexOf,
  userItemMapFigure,
} from "../lib/report/mod.ts";
import { pcaProject } from "../lib/embedding/mod.ts";
import { Rng } from "../lib/util/mod.ts";
import { assert, assertAllClose, assertEquals, assertThrowsMatching } from "./_assert.ts";

/** A split from (user, item, time) training rows and one test item per user. */
function tinySplit(
  nUsers: number,
  nItems: number,
  train: [number, number, number][],
  test: [number, number][],
): Split {
  const t: Interactions = {
    users: Int32Array.from(train, (r) => r[0]),
    items: Int32Array.from(train, (r) => r[1]),
    ratings: Float32Array.from(train, (_, k) => 1 + (k % 5)),
    timestamps: Float64Array.from(train, (r) => r[2]),
    nUsers,
    nItems,
    userIds: new IdMap(Array.from({ length: nUsers }, (_, u) => 100 + u)),
    itemIds: new IdMap(Array.from({ length: nItems }, (_, i) => 500 + i)),
  };
  const held: HeldOut = {
    users: Int32Array.from(test, (r) => r[0]),
    items: Int32Array.from(test, (r) => r[1]),
    timestamps: Float64Array.from(test, () => 1e9),
    ratings: Float32Array.from(test, () => 5),
    numNegatives: 0,
  };
  return { name: "tiny", train: t, test: held, nUsers, nItems };
}

/** Scores from a fixed table [nUsers * nItems]. */
class TableScorer implements Scorer {
  constructor(readonly nUsers: number, readonly nItems: number, readonly table: Float32Array) {}
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    return Float32Array.from(users, (u, p) => this.table[u * this.nItems + items[p]]);
  }
  scoreAll(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.nItems);
    users.forEach((u, k) =>
      out.set(this.table.subarray(u * this.nItems, (u + 1) * this.nItems), k * this.nItems)
    );
    return out;
  }
}

function meta(nItems: number, genres: string[][]): Map<number, ItemInfo> {
  const m = new Map<number, ItemInfo>();
  for (let i = 0; i < nItems; i++) {
    m.set(500 + i, {
      id: 500 + i,
      title: `Movie ${i}`,
      year: 1990 + i,
      genres: genres[i] ?? [],
      tags: [],
      keywords: [],
      imdbId: null,
      tmdbId: null,
    });
  }
  return m;
}

Deno.test("recommendForUser: the brute-force ranking of unseen items, ties by index", async () => {
  const nUsers = 4, nItems = 30;
  const rng = new Rng(1);
  const train: [number, number, number][] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) if (rng.float() < 0.3) train.push([u, i, rng.int(1000)]);
  }
  const split = tinySplit(nUsers, nItems, train, []);
  // Scores on a coarse grid so that ties occur.
  const table = Float32Array.from({ length: nUsers * nItems }, () => rng.int(8) / 4);
  const model = new TableScorer(nUsers, nItems, table);
  for (let u = 0; u < nUsers; u++) {
    const seen = new Set(train.filter((r) => r[0] === u).map((r) => r[1]));
    const expected = [...Array(nItems).keys()]
      .filter((i) => !seen.has(i))
      .sort((a, b) => table[u * nItems + b] - table[u * nItems + a] || a - b)
      .slice(0, 10);
    const recs = await recommendForUser(model, split, u, { k: 10 });
    assertEquals(recs.map((r) => r.item), expected, `user ${u}`);
    assertEquals(recs.map((r) => r.rank), expected.map((_, k) => k + 1));
    assertAllClose(recs.map((r) => r.score), expected.map((i) => table[u * nItems + i]), 0);
    for (const r of recs) assert.ok(!seen.has(r.item), "a seen item was recommended");
    // Without the exclusion, seen items compete again.
    const all = await recommendForUser(model, split, u, { k: nItems, excludeSeen: false });
    assertEquals(all.length, nItems);
    // Extra exclusions are honoured.
    const less = await recommendForUser(model, split, u, { k: 10, exclude: expected.slice(0, 2) });
    assertEquals(less.map((r) => r.item).slice(0, 8), expected.slice(2, 10));
  }
  // Fewer candidates than k: all of them.
  const small = tinySplit(1, 3, [[0, 0, 1]], []);
  const two = await recommendForUser(new TableScorer(1, 3, Float32Array.of(3, 1, 2)), small, 0);
  assertEquals(two.map((r) => r.item), [2, 1]);
  await assertThrowsMatching(() => recommendForUser(model, split, 4), /user 4 is not a user index/);
  await assertThrowsMatching(() => recommendForUser(model, split, 0, { k: 0 }), /k must be/);
  await assertThrowsMatching(
    () => recommendForUser(new TableScorer(1, 5, new Float32Array(5)), small, 0),
    /scores 5 items, the split has 3/,
  );
});

Deno.test("explainByNeighbours: nearest history items by cosine, checked by brute force", () => {
  const nItems = 40, dim = 7;
  const rng = new Rng(2);
  const vectors = Float32Array.from({ length: nItems * dim }, () => rng.normal());
  const present = new Uint8Array(nItems).fill(1);
  present[5] = 0; // no vector
  vectors.fill(0, 6 * dim, 7 * dim); // zero vector
  const history = [3, 5, 6, 9, 12, 3, 17, 21, 25, 30, 33];
  const recommended = [0, 1, 2, 5, 38];
  const ex = explainByNeighbours({ vectors, dim, present }, history, recommended, { n: 3 });
  assertEquals(ex.map((e) => e.item), recommended);
  const cos = (a: number, b: number) => {
    let ab = 0, aa = 0, bb = 0;
    for (let c = 0; c < dim; c++) {
      ab += vectors[a * dim + c] * vectors[b * dim + c];
      aa += vectors[a * dim + c] ** 2;
      bb += vectors[b * dim + c] ** 2;
    }
    return ab / Math.sqrt(aa * bb);
  };
  const usable = [3, 9, 12, 17, 21, 25, 30, 33]; // 5 (absent) and 6 (zero) left out, 3 once
  for (const e of ex) {
    if (e.item === 5) {
      assertEquals(e.neighbours, [], "an item without a vector has no explanation");
      continue;
    }
    const expected = [...usable].sort((a, b) => cos(e.item, b) - cos(e.item, a)).slice(0, 3);
    assertEquals(e.neighbours.map((nb) => nb.item), expected, `item ${e.item}`);
    assertAllClose(
      e.neighbours.map((nb) => nb.similarity),
      expected.map((h) => cos(e.item, h)),
      1e-6,
    );
  }
  // Ties keep the order of the history: two identical history vectors.
  const v2 = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 0.5]);
  const tie = explainByNeighbours({ vectors: v2, dim: 2 }, [2, 0, 1], [3], { n: 2 });
  assertEquals(tie[0].neighbours.map((nb) => nb.item), [0, 1]);
  const tie2 = explainByNeighbours({ vectors: v2, dim: 2 }, [1, 0, 2], [3], { n: 2 });
  assertEquals(tie2[0].neighbours.map((nb) => nb.item), [1, 0]);
});

Deno.test("explainByNeighbours: errors name the bad input", async () => {
  const v = { vectors: new Float32Array(6), dim: 2 };
  await assertThrowsMatching(() => explainByNeighbours(v, [0, 3], [1]), /history item 3/);
  await assertThrowsMatching(() => explainByNeighbours(v, [0], [-1]), /recommended item -1/);
  await assertThrowsMatching(() => explainByNeighbours(v, [0], [1], { n: 0 }), /n must be/);
  await assertThrowsMatching(
    () => explainByNeighbours({ vectors: new Float32Array(5), dim: 2 }, [0], [1]),
    /not rows of dim 2/,
  );
});

Deno.test("history, rows, held-out rank and explanation summary", async () => {
  // User 0 rated items 2 (t=30), 0 (t=10), 1 (t=30, later row), 3 (t=20); test item 4.
  const split = tinySplit(2, 6, [[0, 2, 30], [1, 5, 1], [0, 0, 10], [0, 1, 30], [0, 3, 20]], [
    [0, 4],
    [1, 0],
  ]);
  const m = meta(6, [["Drama"], ["Comedy"], ["Drama", "War"], ["Horror"], ["War"], ["Comedy"]]);
  const h = userHistory(split, 0);
  assertEquals(Array.from(h.items), [0, 3, 2, 1], "time order, ties by row");
  const rows = userHistoryRows(split, m, 0, 3);
  assertEquals(rows.map((r) => r.title), ["Movie 1", "Movie 2", "Movie 3"], "most recent first");
  assertEquals(rows[1].genres, "Drama, War");
  assertEquals(userIndexOf(split, 101), 1);
  await assertThrowsMatching(() => userIndexOf(split, 7), /user id 7 is not in tiny/);
  const held = heldOutRows(split, m, 0);
  assertEquals(held.map((x) => [x.role, x.item]), [["test", 4]]);

  // Scores: unseen items of user 0 are 4 and 5; item 5 ties with item 4.
  const table = Float32Array.from([9, 9, 9, 9, 0.5, 0.5, 0, 0, 0, 0, 0, 0]);
  const model = new TableScorer(2, 6, table);
  assertEquals(await rankAmongUnseen(model, split, 0, 4), { rank: 2, candidates: 2 }, "tie above");
  assertEquals(await rankAmongUnseen(model, split, 0, 4, [5]), { rank: 1, candidates: 1 });
  // A seen item asked for is a candidate itself: items 0-3 score 9, above it only the others.
  assertEquals(await rankAmongUnseen(model, split, 0, 0), { rank: 1, candidates: 3 });

  // Vectors: item 4 points along item 2 (cos 1), item 5 along item 1.
  const vectors = Float32Array.from([1, 0, 0, 1, 1, 1, -1, 0, 2, 2, 0, 3]);
  const ex = explainByNeighbours({ vectors, dim: 2 }, h.items, [4, 5], { n: 1 });
  assertEquals(ex.map((e) => e.neighbours[0].item), [2, 1]);
  const s = explanationSummary(split, m, { vectors, dim: 2 }, h.items, ex);
  assertEquals(s.explained, 2);
  // 4 (War) with 2 (Drama, War), 5 (Comedy) with 1 (Comedy).
  assertEquals(s.sharesGenreWithNearest, 2);
  assertAllClose([s.meanNearest], [1], 1e-6, "mean nearest cosine");
  // All pairs by hand: item 4 vs 0, 3, 2, 1: r, -r, 1, r; item 5: 0, 0, r, 1 (r = 1/sqrt 2).
  const r = Math.SQRT1_2;
  assertAllClose([s.meanAllPairs], [(r - r + 1 + r + 0 + 0 + r + 1) / 8], 1e-6, "all pairs");
  const text = describeRecommendations(s, 2, [
    { role: "test", title: "Movie 4", rank: 2, candidates: 2 },
  ]);
  assert.match(text, /2 of the 2 recommended items have an item vector/);
  assert.match(text, /mean cosine similarity of 1\.000, against 0\.427/);
  assert.match(text, /2 of 2 share a genre/);
  assert.match(text, /\*Movie 4\*, ranks 2 of 2 unseen items: it is in this top 2/);
  const recs = await recommendForUser(model, split, 0, { k: 2 });
  const table2 = recommendationRows(split, m, recs, ex);
  assertEquals(table2.map((r) => r.title), ["Movie 4", "Movie 5"]);
  assert.match(
    String(table2[0]["nearest in the user's history (cosine)"]),
    /Movie 2 \(1992\) 1\.000/,
  );
});

Deno.test("fitRecommender: a registry model fitted like the model itself; errors", async () => {
  const rng = new Rng(4);
  const train: [number, number, number][] = [];
  for (let u = 0; u < 12; u++) {
    for (let i = 0; i < 9; i++) if (rng.float() < 0.4) train.push([u, i, rng.int(100)]);
  }
  const split = tinySplit(12, 9, train, []);
  const registry = await defaultModelRegistry();
  const fitted = await fitRecommender(registry, { type: "EASE", params: { lambda: 3 } }, split, {
    seed: 1,
  });
  const direct = new EASE({ lambda: 3 });
  await direct.fit(split, { seed: 1 });
  const users = Int32Array.from({ length: 12 }, (_, u) => u);
  assertAllClose(await fitted.model.scoreAll(users), await direct.scoreAll(users), 0, "scores");
  assertEquals(fitted.type, "EASE");
  await assertThrowsMatching(
    () => fitRecommender(registry, { type: "EASY" }, split),
    /did you mean "EASE"/,
  );
  await assertThrowsMatching(
    () => fitRecommender(registry, { type: "EASE", params: { lamda: 3 } }, split),
    /lamda/,
  );
  await assertThrowsMatching(
    () => fitRecommender(registry, { type: "DSER" }, split),
    /needs Doc2Vec vectors/,
  );
});

Deno.test("userItemMapFigure: every item with a vector once, in its role, at its PCA place", () => {
  const nItems = 12, dim = 4;
  const rng = new Rng(5);
  const vectors = Float32Array.from({ length: nItems * dim }, () => rng.normal());
  vectors.fill(0, 3 * dim, 4 * dim); // item 3 has no vector
  const split = tinySplit(1, nItems, [[0, 0, 1]], []);
  const m = meta(nItems, []);
  const fig = userItemMapFigure({ vectors, dim }, split, m, {
    history: [0, 1, 2, 3],
    recommended: [5, 6],
    heldOut: [{ item: 7, role: "test" }],
  });
  assertEquals(fig.series.map((s) => s.name), [
    "other items (5)",
    "history (3)",
    "recommended (2)",
    "test item (1)",
  ]);
  const rows = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11];
  const p = pcaProject(vectors, dim, { rows });
  const at = (item: number) => rows.indexOf(item);
  const rec = fig.series[2];
  assertEquals(rec.labels, ["Movie 5 (1995)", "Movie 6 (1996)"]);
  assertAllClose(Array.from(rec.x), [p.coords[2 * at(5)], p.coords[2 * at(6)]], 1e-12);
  assertAllClose(Array.from(rec.y), [p.coords[2 * at(5) + 1], p.coords[2 * at(6) + 1]], 1e-12);
});
