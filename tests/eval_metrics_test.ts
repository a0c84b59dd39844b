/**
 * Metrics and both protocols against hand-worked examples (ties included) and against an
 * independent brute-force implementation that sorts explicit ranked lists.
 */
import {
  assert,
  assertAllClose,
  assertClose,
  assertEquals,
  assertThrowsMatching,
} from "./_assert.ts";
import { heldOut, interactions, TableScorer } from "./_fixtures.ts";
import type { Split } from "../lib/data/types.ts";
import {
  evaluateFullRanking,
  evaluateSampled,
  getMetric,
  metricKeys,
  metricNames,
  registerMetric,
  type Scorer,
  topK,
} from "../lib/eval/mod.ts";
import { Rng, SilentSink } from "../lib/util/mod.ts";

const quiet = new SilentSink();
const log2 = Math.log2;

Deno.test("metric registry: names, keys, unknown names and duplicates are errors", async () => {
  assertEquals(metricNames().slice(0, 7), [
    "HR",
    "NDCG",
    "MRR",
    "Recall",
    "Precision",
    "MAP",
    "AUC",
  ]);
  assertEquals(metricKeys(["HR", "AUC"], [10, 5]).map((m) => m.key), ["HR@5", "HR@10", "AUC"]);
  await assertThrowsMatching(() => getMetric("hr"), /unknown metric "hr".*HR, NDCG/);
  await assertThrowsMatching(() => metricKeys(["HR"], [0]), /positive integer/);
  await assertThrowsMatching(() => metricKeys(["HR", "HR"], [10]), /listed twice/);
  await assertThrowsMatching(
    () => registerMetric({ name: "HR", cutoff: true, description: "", compute: () => 0 }),
    /already registered/,
  );
});

Deno.test("sampled: one positive among 4 candidates, tie counted against the positive", async () => {
  // User 0: positive item 0 scores 0.5; negatives 1, 2, 3 score 0.9, 0.5 (tie), 0.1.
  // Pessimistic position = #negatives with score >= 0.5 = 2 (0-based): third place.
  const table = Float32Array.from([0.5, 0.9, 0.5, 0.1]);
  const scorer = new TableScorer(1, 4, table);
  const r = await evaluateSampled(scorer, heldOut([[0, 0]], [[1, 2, 3]]), {
    ks: [1, 2, 3],
    progress: quiet,
  });
  assertEquals(Array.from(r.users), [0]);
  const expect: Record<string, number> = {
    "HR@1": 0,
    "HR@2": 0,
    "HR@3": 1,
    "NDCG@3": 1 / log2(4),
    "NDCG@2": 0,
    "MRR@3": 1 / 3,
    "Recall@3": 1,
    "Precision@3": 1 / 3,
    "MAP@3": 1 / 3,
    "MAP@2": 0,
    AUC: 1 / 3, // only the 0.1 negative is ordered below the positive
  };
  for (const [key, v] of Object.entries(expect)) assertClose(r.mean[key], v, 1e-12, key);
  assertEquals(r.pairs, 1);
  assertEquals(r.protocol, "sampled");
});

Deno.test("sampled: a negative equal to the held-out item is ignored, as NCF does", async () => {
  // The published NCF ml-1m.test.negative lists the test item among its own negatives on
  // 156 lines. Candidates: positive 0 (0.5); negatives 0 (duplicate), 1 (0.9), 2 (0.1).
  // Ignoring the duplicate leaves one negative above: position 1 among 1 + 2 candidates.
  const table = Float32Array.from([0.5, 0.9, 0.1]);
  const r = await evaluateSampled(new TableScorer(1, 3, table), heldOut([[0, 0]], [[0, 1, 2]]), {
    ks: [1, 2],
    progress: quiet,
  });
  assertClose(r.mean["HR@1"], 0, 0, "HR@1");
  assertClose(r.mean["HR@2"], 1, 0, "HR@2");
  assertClose(r.mean["NDCG@2"], 1 / log2(3), 1e-12, "NDCG@2");
  assertClose(r.mean["AUC"], 1 / 2, 1e-12, "AUC over the 2 real negatives");
});

Deno.test("sampled: a constant scorer gets the worst rank, never a hit", async () => {
  const scorer = new TableScorer(2, 101, new Float32Array(2 * 101).fill(0.3));
  const negs = Array.from({ length: 100 }, (_, j) => j + 1);
  const r = await evaluateSampled(scorer, heldOut([[0, 0], [1, 0]], [negs, negs]), {
    ks: [10, 100],
    progress: quiet,
  });
  assertEquals(r.mean["HR@10"], 0);
  assertEquals(r.mean["HR@100"], 0);
  assertEquals(r.mean["AUC"], 0);
});

Deno.test("sampled: users with several pairs are averaged per user, then over users", async () => {
  // User 0 has two pairs (a hit and a miss at K=1), user 1 one hit: mean HR@1 = (0.5 + 1) / 2.
  const table = Float32Array.from([
    // user 0: items 0..3
    0.9,
    0.1,
    0.5,
    0.2,
    // user 1
    0.8,
    0.1,
    0.2,
    0.3,
  ]);
  const scorer = new TableScorer(2, 4, table);
  const h = heldOut([[0, 0], [0, 1], [1, 0]], [[2, 3], [2, 3], [2, 3]]);
  const r = await evaluateSampled(scorer, h, { ks: [1], metrics: ["HR"], progress: quiet });
  assertEquals(Array.from(r.users), [0, 1]);
  assertAllClose(r.perUser["HR@1"], [0.5, 1]);
  assertClose(r.mean["HR@1"], 0.75, 1e-12);
  assertEquals(r.pairs, 3);
});

/** The hand-worked full-ranking example of docs/evaluation.md. */
function handSplit(): { split: Split; scorer: TableScorer } {
  // 8 items. User 0: train {0, 1}, valid {2}, test {5, 6}.
  // Scores: item 0..7 = 9, 8, 7, 3, 5, 6, 3, 1.
  const split: Split = {
    name: "hand",
    train: interactions([[0, 0], [0, 1], [0, 1]], 1, 8), // item 1 listed twice
    valid: heldOut([[0, 2]]),
    test: heldOut([[0, 5], [0, 6]]),
    nUsers: 1,
    nItems: 8,
  };
  return { split, scorer: new TableScorer(1, 8, Float32Array.from([9, 8, 7, 3, 5, 6, 3, 1])) };
}

Deno.test("full ranking: masking, several held-out items and a tie, worked by hand", async () => {
  const { split, scorer } = handSplit();
  // Test: masked {0, 1} (train) and {2} (valid). Candidates: 3 (3), 4 (5), 5 (6, rel),
  // 6 (3, rel), 7 (1). Ranked: 5, 4, 3, 6, 7 (item 3 ties with 6 and goes first).
  // Relevant positions [0, 3]; 3 non-relevant candidates.
  const r = await evaluateFullRanking(scorer, split, { ks: [1, 3, 4], progress: quiet });
  const idcg2 = 1 + 1 / log2(3);
  const expect: Record<string, number> = {
    "HR@1": 1,
    "HR@3": 1,
    "Recall@1": 1 / 2,
    "Recall@3": 1 / 2,
    "Recall@4": 1,
    "Precision@1": 1,
    "Precision@3": 1 / 3,
    "Precision@4": 2 / 4,
    "NDCG@1": 1,
    "NDCG@3": 1 / idcg2,
    "NDCG@4": (1 + 1 / log2(5)) / idcg2,
    "MRR@4": 1,
    "MAP@3": 1 / 2,
    "MAP@4": (1 / 1 + 2 / 4) / 2,
    AUC: 4 / 6, // item 5 beats all 3; item 6 beats only item 7 (tie with 3 counts against)
  };
  for (const [key, v] of Object.entries(expect)) assertClose(r.mean[key], v, 1e-12, key);
  assertEquals(r.pairs, 2);
  // Validation: relevant {2}, masked train {0, 1} and test {5, 6}: best of the rest.
  const v = await evaluateFullRanking(scorer, split, { ks: [1], on: "valid", progress: quiet });
  assertEquals(v.mean["HR@1"], 1);
  assertEquals(v.mean["AUC"], 1);
  assertEquals(v.on, "valid");
});

Deno.test("full ranking: a constant scorer gets no hit and AUC 0", async () => {
  const { split } = handSplit();
  const scorer = new TableScorer(1, 8, new Float32Array(8).fill(2));
  const r = await evaluateFullRanking(scorer, split, { ks: [3], progress: quiet });
  assertEquals(r.mean["HR@3"], 0);
  assertEquals(r.mean["AUC"], 0);
});

// ----- brute force: explicit ranked lists, textbook definitions -------------------------

function bruteMetrics(
  scores: number[],
  relevant: Set<number>,
  masked: Set<number>,
  k: number,
): Record<string, number> {
  const cands = scores.map((_s, i) => i).filter((i) => !masked.has(i) || relevant.has(i));
  // Pessimistic: by score descending; on equal scores non-relevant first.
  cands.sort((a, b) =>
    scores[b] - scores[a] || (relevant.has(a) ? 1 : 0) - (relevant.has(b) ? 1 : 0)
  );
  const top = cands.slice(0, k);
  const hits = top.map((i) => (relevant.has(i) ? 1 : 0));
  const nHits = hits.reduce((a: number, b) => a + b, 0);
  let dcg = 0;
  hits.forEach((h, p) => (dcg += h / log2(p + 2)));
  let idcg = 0;
  for (let p = 0; p < Math.min(relevant.size, k); p++) idcg += 1 / log2(p + 2);
  let ap = 0;
  let seen = 0;
  hits.forEach((h, p) => {
    if (h) ap += ++seen / (p + 1);
  });
  const first = hits.indexOf(1);
  let correct = 0;
  let total = 0;
  for (const r of relevant) {
    for (const i of cands) {
      if (relevant.has(i)) continue;
      total++;
      if (scores[i] < scores[r]) correct++;
    }
  }
  return {
    [`HR@${k}`]: nHits > 0 ? 1 : 0,
    [`NDCG@${k}`]: dcg / idcg,
    [`MRR@${k}`]: first >= 0 ? 1 / (first + 1) : 0,
    [`Recall@${k}`]: nHits / relevant.size,
    [`Precision@${k}`]: nHits / k,
    [`MAP@${k}`]: ap / Math.min(relevant.size, k),
    AUC: correct / total,
  };
}

Deno.test("full ranking equals brute-force sorted lists (random scores with many ties)", async () => {
  const rng = new Rng(7);
  const nUsers = 30;
  const nItems = 40;
  const table = new Float32Array(nUsers * nItems);
  // Few distinct values: ties everywhere.
  for (let q = 0; q < table.length; q++) table[q] = rng.int(6);
  const train: [number, number][] = [];
  const valid: [number, number][] = [];
  const test: [number, number][] = [];
  for (let u = 0; u < nUsers; u++) {
    const items = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
    const nTrain = rng.int(15);
    const nTest = 1 + rng.int(6);
    for (let q = 0; q < nTrain; q++) train.push([u, items[q]]);
    valid.push([u, items[nTrain]]);
    for (let q = 0; q < nTest; q++) test.push([u, items[nTrain + 1 + q]]);
  }
  const split: Split = {
    name: "random",
    train: interactions(train, nUsers, nItems),
    valid: heldOut(valid),
    test: heldOut(test),
    nUsers,
    nItems,
  };
  const scorer = new TableScorer(nUsers, nItems, table);
  for (const k of [1, 5, 10]) {
    const r = await evaluateFullRanking(scorer, split, { ks: [k], batchUsers: 7, progress: quiet });
    for (let g = 0; g < r.users.length; g++) {
      const u = r.users[g];
      const scores = Array.from(table.subarray(u * nItems, (u + 1) * nItems));
      const relevant = new Set(test.filter((p) => p[0] === u).map((p) => p[1]));
      const masked = new Set([
        ...train.filter((p) => p[0] === u).map((p) => p[1]),
        ...valid.filter((p) => p[0] === u).map((p) => p[1]),
      ]);
      const want = bruteMetrics(scores, relevant, masked, k);
      for (const [key, v] of Object.entries(want)) {
        assertClose(r.perUser[key][g], v, 1e-12, `user ${u} ${key}`);
      }
    }
  }
});

Deno.test("sampled equals brute force on random tied scores", async () => {
  const rng = new Rng(11);
  const nUsers = 20;
  const nItems = 60;
  const table = Float32Array.from({ length: nUsers * nItems }, () => rng.int(5));
  const pairs: [number, number][] = [];
  const negs: number[][] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let t = 0; t <= rng.int(3); t++) {
      const items = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
      pairs.push([u, items[0]]);
      negs.push(Array.from(items.subarray(1, 20)));
    }
  }
  const scorer = new TableScorer(nUsers, nItems, table);
  const r = await evaluateSampled(scorer, heldOut(pairs, negs), {
    ks: [5],
    batchPairs: 3,
    progress: quiet,
  });
  for (let g = 0; g < nUsers; g++) {
    const idx = pairs.map((p, q) => (p[0] === g ? q : -1)).filter((q) => q >= 0);
    const sums: Record<string, number> = {};
    for (const q of idx) {
      const scores = Array.from(table.subarray(g * nItems, (g + 1) * nItems));
      const candidates = new Set([pairs[q][1], ...negs[q]]);
      const masked = new Set(scores.map((_, i) => i).filter((i) => !candidates.has(i)));
      const m = bruteMetrics(scores, new Set([pairs[q][1]]), masked, 5);
      for (const [key, v] of Object.entries(m)) sums[key] = (sums[key] ?? 0) + v / idx.length;
    }
    for (const [key, v] of Object.entries(sums)) assertClose(r.perUser[key][g], v, 1e-12, key);
  }
});

Deno.test("scoreAllInto is used when present and one buffer is reused", async () => {
  const { split } = handSplit();
  const buffers = new Set<Float32Array>();
  const scorer: Scorer = {
    nUsers: 1,
    nItems: 8,
    scorePairs: () => {
      throw new Error("not used");
    },
    scoreAll: () => {
      throw new Error("scoreAll must not be called when scoreAllInto exists");
    },
    scoreAllInto: (users, out) => {
      buffers.add(out);
      for (let b = 0; b < users.length; b++) out.set([9, 8, 7, 3, 5, 6, 3, 1], b * 8);
    },
  };
  const r = await evaluateFullRanking(scorer, split, { ks: [1], progress: quiet });
  assertEquals(r.mean["HR@1"], 1);
  assertEquals(buffers.size, 1);
});

Deno.test("bad input: empty held-out, missing negatives, NaN scores name model and user", async () => {
  const scorer = new TableScorer(1, 4, Float32Array.from([0.5, NaN, 0.1, 0.2]), "BrokenNet");
  await assertThrowsMatching(
    () => evaluateSampled(scorer, heldOut([]), { progress: quiet }),
    /no held-out pairs/,
  );
  await assertThrowsMatching(
    () => evaluateSampled(scorer, heldOut([[0, 0]]), { progress: quiet }),
    /no sampled negatives/,
  );
  await assertThrowsMatching(
    () => evaluateSampled(scorer, heldOut([[0, 0]], [[1, 2]]), { progress: quiet }),
    /BrokenNet gave a NaN score to user 0, item 1/,
  );
  const split: Split = {
    name: "tiny",
    train: interactions([[0, 3]], 1, 4),
    test: heldOut([[0, 0]]),
    nUsers: 1,
    nItems: 4,
  };
  await assertThrowsMatching(
    () => evaluateFullRanking(scorer, split, { progress: quiet }),
    /BrokenNet gave a NaN score to user 0, item 1/,
  );
  await assertThrowsMatching(
    () => evaluateFullRanking(scorer, split, { on: "valid", progress: quiet }),
    /no validation set/,
  );
  await assertThrowsMatching(
    () => evaluateFullRanking(scorer, { ...split, test: heldOut([[0, 9]]) }, { progress: quiet }),
    /item 9, out of range/,
  );
  await assertThrowsMatching(
    () => evaluateSampled(scorer, heldOut([[0, 0]], [[1, 7]]), { progress: quiet }),
    /item 7, out of range/,
  );
  const unsorted = heldOut([[0, 0]]);
  unsorted.users = Int32Array.from([1, 0]);
  unsorted.items = Int32Array.from([0, 0]);
  await assertThrowsMatching(
    () =>
      evaluateSampled(new TableScorer(2, 4, new Float32Array(8)), unsorted, { progress: quiet }),
    /sorted by user/,
  );
});

Deno.test("topK: best first, ties by lower index, exclusions and NaN skipped", () => {
  const s = Float32Array.from([0.2, 0.9, 0.5, 0.9, NaN, 0.1, 0.7]);
  assertEquals(Array.from(topK(s, 3)), [1, 3, 6]);
  assertEquals(Array.from(topK(s, 3, Uint8Array.from([0, 1, 0, 0, 0, 0, 0]))), [3, 6, 2]);
  assertEquals(Array.from(topK(s, 10)), [1, 3, 6, 2, 0, 5]);
  assertEquals(Array.from(topK(s, 0)), []);
  // Against a full sort on random data.
  const rng = new Rng(3);
  const big = Float32Array.from({ length: 500 }, () => rng.int(50));
  const order = Array.from(big.keys()).sort((a, b) => big[b] - big[a] || a - b);
  assertEquals(Array.from(topK(big, 25)), order.slice(0, 25));
  assert(topK(big, 25, undefined, new Int32Array(30)).length === 25);
});
