import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  contentTokens,
  corpusDocuments,
  embedSplit,
  itemContentDocuments,
  itemDocuments,
  probeUserItem,
  resolveEmbeddingConfig,
  tokenize,
  userDocuments,
} from "../lib/embedding/mod.ts";
import {
  type HeldOut,
  IdMap,
  type Interactions,
  type ItemInfo,
  type Split,
} from "../lib/data/types.ts";
import { Rng, SilentSink } from "../lib/util/mod.ts";

/** Interactions from rows [user, item, timestamp], in the given (scrambled) order. */
function interactions(rows: number[][], nUsers: number, nItems: number): Interactions {
  return {
    users: Int32Array.from(rows, (r) => r[0]),
    items: Int32Array.from(rows, (r) => r[1]),
    timestamps: Float64Array.from(rows, (r) => r[2]),
    ratings: new Float32Array(rows.length).fill(4),
    nUsers,
    nItems,
    userIds: IdMap.identity(nUsers),
    itemIds: new IdMap(Array.from({ length: nItems }, (_, i) => 100 + i)),
  };
}

function heldOut(pairs: number[][], negatives?: number[][]): HeldOut {
  return {
    users: Int32Array.from(pairs, (p) => p[0]),
    items: Int32Array.from(pairs, (p) => p[1]),
    timestamps: Float64Array.from(pairs, (p) => p[2]),
    ratings: new Float32Array(pairs.length).fill(5),
    negatives: negatives ? Int32Array.from(negatives.flat()) : undefined,
    numNegatives: negatives ? negatives[0].length : 0,
  };
}

// 4 users, 8 items. User 3 has no training rows. Items 6 and 7 appear only in held-out
// pairs. Rows are out of order; user 0 has two rows at the same time 30 (row order: 3, 1).
const TRAIN = [
  [1, 2, 50],
  [0, 3, 30],
  [0, 0, 10],
  [1, 4, 20],
  [0, 1, 30],
  [2, 5, 5],
  [0, 2, 20],
  [1, 0, 40],
  [2, 1, 6],
];
const SPLIT: Split = {
  name: "synthetic",
  train: interactions(TRAIN, 4, 8),
  valid: heldOut([[0, 6, 60], [1, 7, 60]]),
  test: heldOut([[0, 7, 70], [1, 6, 70], [2, 6, 70], [3, 7, 70]]),
  nUsers: 4,
  nItems: 8,
};

Deno.test("embedding documents: user documents are each user's training items in time order", () => {
  const c = userDocuments(SPLIT);
  assertEquals(c.nTags, 4);
  assertEquals(corpusDocuments(c), [
    { words: ["0", "2", "3", "1"], tag: 0 }, // ties at time 30 keep row order (3 before 1)
    { words: ["4", "0", "2"], tag: 1 },
    { words: ["5", "1"], tag: 2 },
  ]); // user 3 has no training rows: no document
  // Held-out items never enter a document.
  for (const d of corpusDocuments(c)) assert(!d.words.includes("6") && !d.words.includes("7"));
});

Deno.test("embedding documents: item documents are each item's training users in time order", () => {
  const c = itemDocuments(SPLIT);
  assertEquals(c.nTags, 8);
  assertEquals(corpusDocuments(c), [
    { words: ["0", "1"], tag: 0 },
    { words: ["2", "0"], tag: 1 },
    { words: ["0", "1"], tag: 2 },
    { words: ["0"], tag: 3 },
    { words: ["1"], tag: 4 },
    { words: ["2"], tag: 5 },
  ]);
});

Deno.test("embedding documents: the shuffled control keeps each document's words, not their order", () => {
  // Long histories so that a shuffle almost surely changes the order.
  const rng = new Rng(3);
  const rows: number[][] = [];
  for (let u = 0; u < 5; u++) for (let t = 0; t < 30; t++) rows.push([u, rng.int(50), t]);
  const x = interactions(rows, 5, 50);
  const timeDocs = corpusDocuments(userDocuments(x));
  const a = corpusDocuments(userDocuments(x, { order: "shuffled", seed: 9 }));
  const b = corpusDocuments(userDocuments(x, { order: "shuffled", seed: 9 }));
  const c = corpusDocuments(userDocuments(x, { order: "shuffled", seed: 10 }));
  assertEquals(a, b, "same seed, same shuffle");
  for (let d = 0; d < timeDocs.length; d++) {
    assertEquals(a[d].tag, timeDocs[d].tag);
    assertEquals([...a[d].words].sort(), [...timeDocs[d].words].sort(), "same multiset");
    assert(a[d].words.join() !== timeDocs[d].words.join(), `document ${d} kept its order`);
  }
  assert(a.some((d, k) => d.words.join() !== c[k].words.join()), "seed changes nothing");
  const items = corpusDocuments(itemDocuments(x, { order: "shuffled", seed: 9 }));
  const itemsTime = corpusDocuments(itemDocuments(x));
  for (let d = 0; d < items.length; d++) {
    assertEquals([...items[d].words].sort(), [...itemsTime[d].words].sort());
  }
});

Deno.test("embedding documents: one tokenizer for every metadata field", () => {
  assertEquals(tokenize("Don't Look Now: Amélie's 2nd Café, a Sci-Fi!"), [
    "dont",
    "look",
    "now",
    "amelies",
    "2nd",
    "cafe",
    "sci",
    "fi",
  ]);
  const info: ItemInfo = {
    id: 101,
    title: "Toy Story (1995)",
    year: 1995,
    genres: ["Animation", "Science Fiction"],
    tags: ["pixar"],
    keywords: ["toy comes to life"],
    imdbId: null,
    tmdbId: null,
    overview: "Woody, a cowboy doll.",
    cast: ["Tom Hanks"],
  };
  assertEquals(contentTokens(info), [
    "toy",
    "story",
    "animation",
    "science_fiction",
    "pixar",
    "toy_comes_to_life",
    "tom_hanks",
    "woody",
    "cowboy",
    "doll",
  ]);
  assertEquals(contentTokens(info, ["genres", "title"]), [
    "animation",
    "science_fiction",
    "toy",
    "story",
  ]);
  const meta = new Map<number, ItemInfo>([[101, info], [103, {
    ...info,
    id: 103,
    title: "Heat",
    genres: [],
  }]]);
  const c = itemContentDocuments(SPLIT, meta, { fields: ["title", "genres"] });
  assertEquals(corpusDocuments(c), [
    { words: ["toy", "story", "animation", "science_fiction"], tag: 1 }, // raw id 101 = item 1
    { words: ["heat"], tag: 3 },
  ]);
});

Deno.test("embedding embed: config is validated with the key path named", async () => {
  await assertThrowsMatching(
    () => resolveEmbeddingConfig({ doc2vec: { vector_size: 8 } }),
    /embedding\.doc2vec\.vector_size: unknown key \(did you mean "vectorSize"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveEmbeddingConfig({ item: { window: 0 } }),
    /embedding\.item\.window: expected a value >= 1, got 0/,
  );
  await assertThrowsMatching(
    () => resolveEmbeddingConfig({ documents: ["users"] }),
    /embedding\.documents\[0\]: expected one of "user", "item", "content", got "users" \(did you mean "user"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveEmbeddingConfig({ ordr: "time" }),
    /embedding\.ordr: unknown key/,
  );
  const { params } = resolveEmbeddingConfig({ doc2vec: { vectorSize: 8 }, item: { dm: 0 } });
  assertEquals(params.user.minCount, 1); // DSER's default
  assertEquals(params.user.vectorSize, 8);
  assertEquals(params.item.dm, 0);
  assertEquals(params.item.vectorSize, 8);
  assertEquals(params.user.dm, 1);
});

const TINY = { vectorSize: 4, epochs: 2, workers: 1, minCount: 1 };
const QUIET = { progress: new SilentSink() };

Deno.test("embedding embed: tables on dense indices, zeros and present = 0 where there is no vector", async () => {
  const emb = await embedSplit(SPLIT, { documents: ["user", "item"], doc2vec: TINY }, QUIET);
  assertEquals(emb.user!.length, 4 * 4);
  assertEquals(emb.itemWord!.length, 8 * 4);
  assertEquals(emb.itemDoc!.length, 8 * 4);
  assertEquals(emb.userWord!.length, 4 * 4);
  assertEquals(Array.from(emb.present.user!), [1, 1, 1, 0]);
  assertEquals(Array.from(emb.present.itemWord!), [1, 1, 1, 1, 1, 1, 0, 0]);
  assertEquals(Array.from(emb.present.itemDoc!), [1, 1, 1, 1, 1, 1, 0, 0]);
  assertEquals(Array.from(emb.user!.subarray(12)), [0, 0, 0, 0]);
  assertEquals(Array.from(emb.itemWord!.subarray(24)), [0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(emb.user!.subarray(0, 4), emb.models.user!.docVector(0));
  assertEquals(emb.itemWord!.subarray(8, 12), emb.models.user!.wordVector("2"));
  assert(emb.reports.user!.wordsPerSecond > 0);
  assertEquals(emb.notes, []);
});

Deno.test("embedding embed: PV-DBOW without word training gives no item word vectors, and says so", async () => {
  const emb = await embedSplit(SPLIT, { doc2vec: { ...TINY, dm: 0 } }, QUIET);
  assert(emb.user !== undefined);
  assertEquals(emb.itemWord, undefined);
  assert(/itemWord left out: PV-DBOW without dbowWords/.test(emb.notes[0]));
  await assertThrowsMatching(() => probeUserItem(SPLIT, emb), /probe: needs user document vectors/);
  await assertThrowsMatching(
    () => embedSplit(SPLIT, { documents: ["content"] }),
    /"content" needs item metadata/,
  );
});

Deno.test("embedding embed: the probe ranks user . item among the negatives (checked by hand)", async () => {
  const split: Split = {
    ...SPLIT,
    test: heldOut([[0, 4, 70], [1, 1, 70], [2, 6, 70]], [[5, 6], [3, 7], [0, 2]]),
  };
  const emb = await embedSplit(split, { doc2vec: TINY }, QUIET);
  const dot = (u: number, i: number) => {
    if (!emb.present.itemWord![i]) return -Infinity;
    let s = 0;
    for (let c = 0; c < 4; c++) s += emb.user![u * 4 + c] * emb.itemWord![i * 4 + c];
    return Math.fround(s);
  };
  // HR@1 by hand: the held-out item must beat both negatives (ties count against it).
  let hits = 0;
  const cases = [[0, 4, [5, 6]], [1, 1, [3, 7]], [2, 6, [0, 2]]] as const;
  for (const [u, i, negs] of cases) if (negs.every((n) => dot(u, n) < dot(u, i))) hits++;
  const probe = await probeUserItem(split, emb, { k: 1 });
  assertEquals(probe.hr, hits / 3);
  assertEquals(probe.result.users.length, 3);
  // User 2's held-out item 6 has no vector: it scores -Infinity and can never be a hit.
  assertEquals(probe.result.perUser["HR@1"][2], 0);
});
