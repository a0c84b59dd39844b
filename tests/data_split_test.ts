/**
 * Split invariants (leave-latest-one-out, random ratio, temporal ratio), evaluation
 * negatives and the training negative sampler, checked against independent
 * computations on the hand-made fixture and on random data.
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  dedupe,
  type HeldOut,
  IdMap,
  type Interactions,
  leaveLatestOut,
  loadInteractions,
  randomRatioSplit,
  sampleEvalNegatives,
  type Split,
  temporalRatioSplit,
  TrainingNegativeSampler,
  userItemIndex,
} from "../lib/data/mod.ts";
import { Rng } from "../lib/util/mod.ts";
import { randomInteractions } from "./fixtures/data/synthetic.ts";

const FIX = join(import.meta.dirname!, "fixtures", "data");
const fixture = () =>
  loadInteractions("ml-100k", { dataDir: FIX, cacheDir: "/nonexistent", download: false });

function key(u: number, i: number) {
  return `${u},${i}`;
}

/** Checks a split against its input with no reference to how it was made. */
function checkPartition(x: Interactions, s: Split): void {
  const parts: [Interactions | HeldOut, string][] = [[s.train, "train"], [s.test, "test"]];
  if (s.valid) parts.push([s.valid, "valid"]);
  const count = new Map<string, number>();
  for (let r = 0; r < x.users.length; r++) {
    const k = `${x.users[r]},${x.items[r]},${x.timestamps[r]}`;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const owner = new Map<string, string>();
  for (const [p, name] of parts) {
    for (let r = 0; r < p.users.length; r++) {
      const k = `${p.users[r]},${p.items[r]},${p.timestamps[r]}`;
      assert((count.get(k) ?? 0) > 0, `${name} row ${k} is not an input row (or is used twice)`);
      count.set(k, count.get(k)! - 1);
      const pair = key(p.users[r], p.items[r]);
      const prev = owner.get(pair);
      assert(prev === undefined || prev === name, `pair ${pair} is in ${prev} and ${name} (leak)`);
      owner.set(pair, name);
    }
  }
  assert([...count.values()].every((c) => c === 0), "some input rows are in no part");
}

/** Negatives: right count, in range, distinct per pair, never interacted (any part). */
function checkNegatives(x: Interactions, h: HeldOut, m: number): void {
  assertEquals(h.numNegatives, m);
  if (m === 0) return assertEquals(h.negatives, undefined);
  assertEquals(h.negatives!.length, h.users.length * m);
  const seen = new Set<string>();
  for (let r = 0; r < x.users.length; r++) seen.add(key(x.users[r], x.items[r]));
  for (let p = 0; p < h.users.length; p++) {
    const negs = Array.from(h.negatives!.subarray(p * m, (p + 1) * m));
    assertEquals(new Set(negs).size, m, `pair ${p}: negatives not distinct`);
    for (const j of negs) {
      assert(j >= 0 && j < x.nItems, `negative ${j} out of range`);
      assert(!seen.has(key(h.users[p], j)), `user ${h.users[p]} interacted with negative ${j}`);
    }
  }
}

Deno.test("data: leaveLatestOut on the fixture: hand-worked test/valid items, ties -> later row", async () => {
  const x = await fixture();
  const s = leaveLatestOut(x, { seed: 7, numNegatives: 1 });
  assertEquals(Array.from(s.test.users), [0, 1, 2, 3]);
  // user 1 (raw 2) rated raw items 1 and 3 at the same second: the later row (raw 3) is test.
  assertEquals(Array.from(s.test.items).map((i) => x.itemIds.raw[i]), [267, 3, 3, 267]);
  assertEquals(s.train.users.length, 6);
  // user 0 (raw 1) rated raw items 1, 2, 267: its only possible negative is raw item 3.
  assertEquals(x.itemIds.raw[s.test.negatives![0]], 3);
  checkPartition(x, s);
  checkNegatives(x, s.test, 1);
  await assertThrowsMatching(
    () => leaveLatestOut(x, { seed: 7, numNegatives: 2 }),
    /user 0 interacted with 3 of 4 items, so only 1 candidates are left for 2 negatives/,
  );
  // With validation users 1 and 3 (raw 2 and 4, 2 ratings each) are too short: a clear
  // error, or dropped on request.
  await assertThrowsMatching(
    () => leaveLatestOut(x, { seed: 7, validation: true, numNegatives: 0 }),
    /leaveLatestOut: 2 users have fewer than 3 interactions, e.g. user 1 \(raw 2: 2\), 3 \(raw 4: 2\); .*shortUsers: "drop"/,
  );
  const v = leaveLatestOut(x, { seed: 7, validation: true, numNegatives: 0, shortUsers: "drop" });
  assertEquals(v.nUsers, 2);
  assertEquals(Array.from(v.train.userIds.raw), [1, 3]);
  assertEquals(Array.from(v.test.items).map((i) => v.train.itemIds.raw[i]), [267, 3]);
  assertEquals(Array.from(v.valid!.items).map((i) => v.train.itemIds.raw[i]), [2, 2]);
  assertEquals(Array.from(v.train.items).map((i) => v.train.itemIds.raw[i]), [1, 1]);
  assert(v.name.includes("2 users with < 3 interactions dropped"), v.name);
});

Deno.test("data: leaveLatestOut invariants on random data: latest by (time, row), valid second latest", () => {
  const x = dedupe(randomInteractions(11, 80, 120, 3000));
  const s = leaveLatestOut(x, { seed: 3, validation: true, shortUsers: "drop", numNegatives: 20 });
  // Reference: each user's rows sorted by (timestamp, row), in the split's id space.
  const byUser = new Map<number, number[]>();
  const raw = (
    xx: Interactions,
    r: number,
  ) => [xx.userIds.raw[xx.users[r]], xx.itemIds.raw[xx.items[r]]];
  for (let r = 0; r < x.users.length; r++) {
    const u = x.userIds.raw[x.users[r]];
    byUser.set(u, [...(byUser.get(u) ?? []), r]);
  }
  const keptUsers = [...byUser.entries()].filter(([, rows]) => rows.length >= 3).map(([u]) => u)
    .sort((a, b) => a - b);
  assertEquals(Array.from(s.train.userIds.raw), keptUsers);
  assertEquals(s.test.users.length, keptUsers.length);
  for (let p = 0; p < s.test.users.length; p++) {
    assertEquals(s.test.users[p], p, "one test pair per user, sorted");
    const rows = byUser.get(keptUsers[p])!.sort((a, b) =>
      x.timestamps[a] - x.timestamps[b] || a - b
    );
    const [tu, ti] = raw(x, rows[rows.length - 1]);
    const [vu, vi] = raw(x, rows[rows.length - 2]);
    assertEquals([s.train.userIds.raw[s.test.users[p]], s.train.itemIds.raw[s.test.items[p]]], [
      tu,
      ti,
    ]);
    assertEquals([s.train.userIds.raw[s.valid!.users[p]], s.train.itemIds.raw[s.valid!.items[p]]], [
      vu,
      vi,
    ]);
    assertEquals(s.test.timestamps[p], x.timestamps[rows[rows.length - 1]]);
  }
  // Same partition and negatives in the split's own id space.
  const xs: Interactions = {
    ...s.train,
    users: Int32Array.from([...s.train.users, ...s.valid!.users, ...s.test.users]),
    items: Int32Array.from([...s.train.items, ...s.valid!.items, ...s.test.items]),
    ratings: Float32Array.from([...s.train.ratings, ...s.valid!.ratings, ...s.test.ratings]),
    timestamps: Float64Array.from([
      ...s.train.timestamps,
      ...s.valid!.timestamps,
      ...s.test.timestamps,
    ]),
  };
  checkPartition(xs, s);
  checkNegatives(xs, s.test, 20);
  checkNegatives(xs, s.valid!, 20);
  // No train row is later than its user's test row.
  for (let r = 0; r < s.train.users.length; r++) {
    assert(s.train.timestamps[r] <= s.test.timestamps[s.train.users[r]]);
  }
});

Deno.test("data: splits are deterministic in the seed; another seed changes only the negatives", () => {
  const x = dedupe(randomInteractions(12, 50, 200, 2500));
  const a = leaveLatestOut(x, { seed: 5, validation: true, shortUsers: "drop" });
  const b = leaveLatestOut(x, { seed: 5, validation: true, shortUsers: "drop" });
  const c = leaveLatestOut(x, { seed: 6, validation: true, shortUsers: "drop" });
  assertEquals(a, b);
  assertEquals(a.test.items, c.test.items);
  assertEquals(a.train.items, c.train.items);
  assert(
    a.test.negatives!.some((v, k) => v !== c.test.negatives![k]),
    "seed 6 gave the same negatives",
  );
  assert(
    a.valid!.negatives!.some((v, k) => v !== a.test.negatives![k]),
    "valid and test streams coincide",
  );
  const r1 = randomRatioSplit(x, { testRatio: 0.2, seed: 1 });
  assertEquals(r1, randomRatioSplit(x, { testRatio: 0.2, seed: 1 }));
  assert(
    r1.test.items.some((v, k) =>
      v !== randomRatioSplit(x, { testRatio: 0.2, seed: 2 }).test.items[k]
    ),
  );
});

Deno.test("data: splits reject duplicates, empty data and bad options with clear errors", async () => {
  const x = randomInteractions(13, 10, 5, 200); // certainly has duplicate (user, item) rows
  await assertThrowsMatching(
    () => leaveLatestOut(x, { seed: 1, numNegatives: 0 }),
    /duplicate \(user, item\) rows, e\.g\. row \d+: user \d+ \(raw \d+\).*call dedupe\(x\) first/,
  );
  const empty: Interactions = {
    ...x,
    users: new Int32Array(0),
    items: new Int32Array(0),
    ratings: new Float32Array(0),
    timestamps: new Float64Array(0),
  };
  await assertThrowsMatching(
    () => leaveLatestOut(empty, { seed: 1 }),
    /no interactions \(empty dataset\)/,
  );
  await assertThrowsMatching(
    () => randomRatioSplit(dedupe(x), { testRatio: 1.2, seed: 1 }),
    /testRatio must be in \(0, 1\), got 1\.2/,
  );
  await assertThrowsMatching(
    () => leaveLatestOut(dedupe(x), { seed: NaN }),
    /seed must be a finite number/,
  );
  const bad: Interactions = { ...dedupe(x) };
  bad.items = bad.items.slice();
  bad.items[0] = 99;
  await assertThrowsMatching(
    () => leaveLatestOut(bad, { seed: 1 }),
    /row 0: item index 99 out of range \[0, 5\)/,
  );
});

Deno.test("data: randomRatioSplit: per-user counts, partition, no leak, negatives", () => {
  const x = dedupe(randomInteractions(14, 40, 300, 3000));
  const s = randomRatioSplit(x, {
    testRatio: 0.2,
    validRatio: 0.1,
    seed: 9,
    numNegatives: 19,
    shortUsers: "drop",
  });
  checkPartition(x, s);
  checkNegatives(x, s.test, 19);
  const n = new Int32Array(x.nUsers);
  const t = new Int32Array(x.nUsers);
  const v = new Int32Array(x.nUsers);
  for (let r = 0; r < x.users.length; r++) n[x.users[r]]++;
  for (const u of s.test.users) t[u]++;
  for (const u of s.valid!.users) v[u]++;
  for (let u = 0; u < x.nUsers; u++) {
    if (n[u] < 3) continue;
    assertEquals(
      t[u],
      Math.min(Math.max(1, Math.round(n[u] * 0.2)), n[u] - 2),
      `user ${u} test count`,
    );
    assert(v[u] >= 1 && n[u] - t[u] - v[u] >= 1, `user ${u}: valid ${v[u]} of ${n[u]}`);
  }
  for (let k = 1; k < s.test.users.length; k++) assert(s.test.users[k] >= s.test.users[k - 1]);
});

Deno.test("data: temporalRatioSplit: one global time cut, ties at the cut go to test", () => {
  const x = dedupe(randomInteractions(15, 30, 200, 2000));
  const s = temporalRatioSplit(x, { testRatio: 0.2, validRatio: 0.1, seed: 2, numNegatives: 5 });
  checkPartition(x, s);
  checkNegatives(x, s.test, 5);
  const maxTrain = Math.max(...s.train.timestamps);
  const minValid = Math.min(...s.valid!.timestamps);
  const maxValid = Math.max(...s.valid!.timestamps);
  const minTest = Math.min(...s.test.timestamps);
  assert(maxTrain < minValid && maxValid < minTest, "parts overlap in time");
  const sorted = Array.from(x.timestamps).sort((a, b) => a - b);
  const n = sorted.length;
  assertEquals(minTest, sorted[n - Math.round(0.2 * n)]);
  assert(s.test.users.length >= Math.round(0.2 * n));
});

Deno.test("data: sampleEvalNegatives: distinct, never interacted, uniform, small-candidate path", () => {
  // One user who interacted with items 0..4 of 10: the complement is 5..9.
  const idx = {
    indptr: Int32Array.from([0, 5]),
    indices: Int32Array.from([0, 1, 2, 3, 4]),
    nUsers: 1,
    nItems: 10,
  };
  const all = sampleEvalNegatives(idx, Int32Array.from([0]), 5, 1);
  assertEquals(Array.from(all).sort(), [5, 6, 7, 8, 9]);
  const some = sampleEvalNegatives(idx, Int32Array.from([0, 0, 0]), 4, 2);
  for (let p = 0; p < 3; p++) {
    const negs = Array.from(some.subarray(p * 4, p * 4 + 4));
    assertEquals(new Set(negs).size, 4);
    assert(negs.every((j) => j >= 5));
  }
  // Uniform over the complement (rejection path: 100 items, 10 interacted).
  const big = {
    indptr: Int32Array.from([0, 10]),
    indices: Int32Array.from({ length: 10 }, (_, k) => 3 * k),
    nUsers: 1,
    nItems: 100,
  };
  const draws = sampleEvalNegatives(big, new Int32Array(45_000), 1, 3);
  const counts = new Map<number, number>();
  for (const j of draws) counts.set(j, (counts.get(j) ?? 0) + 1);
  assertEquals(counts.size, 90);
  const e = 45_000 / 90;
  const chi2 = [...counts.values()].reduce((s, c) => s + (c - e) ** 2 / e, 0);
  assert(chi2 < 135, `chi2 ${chi2} (89 dof, p=0.001 at 135)`);
});

Deno.test("data: TrainingNegativeSampler: never a train item, uniform, bitset == binary search", async () => {
  const x = dedupe(randomInteractions(16, 60, 150, 4000));
  const idx = userItemIndex(x);
  const bitset = new TrainingNegativeSampler(idx);
  const search = new TrainingNegativeSampler(idx, { bitsetMaxBytes: 0 });
  assertEquals([bitset.method, search.method], ["bitset", "binary-search"]);
  const users = new Int32Array(30_000);
  for (let k = 0; k < users.length; k++) users[k] = k % 60;
  const a = bitset.sample(users, 4, new Rng(1));
  const b = search.sample(users, 4, new Rng(1));
  assertEquals(a, b);
  const seen = new Set<string>();
  for (let r = 0; r < x.users.length; r++) seen.add(key(x.users[r], x.items[r]));
  for (let k = 0; k < a.length; k++) {
    assert(
      !seen.has(key(users[k >> 2], a[k])),
      `negative ${a[k]} of user ${users[k >> 2]} is a train item`,
    );
  }
  // Reusing an output buffer, and uniformity for one user.
  const u0 = new Int32Array(20_000);
  const out = new Int32Array(20_000 * 2);
  assert(bitset.sample(u0, 2, new Rng(2), out) === out);
  const free = 150 - (idx.indptr[1] - idx.indptr[0]);
  const counts = new Map<number, number>();
  for (const j of out) counts.set(j, (counts.get(j) ?? 0) + 1);
  assertEquals(counts.size, free);
  const e = out.length / free;
  const chi2 = [...counts.values()].reduce((s, c) => s + (c - e) ** 2 / e, 0);
  // Wilson-Hilferty 0.999 quantile of chi2(free-1), generous.
  const dof = free - 1;
  const q = dof * (1 - 2 / (9 * dof) + 3.09 * Math.sqrt(2 / (9 * dof))) ** 3;
  assert(chi2 < q, `chi2 ${chi2} >= ${q}`);
  // A user who has every item has no negative.
  const fullIdx = {
    indptr: Int32Array.from([0, 3]),
    indices: Int32Array.from([0, 1, 2]),
    nUsers: 1,
    nItems: 3,
  };
  await assertThrowsMatching(
    () => new TrainingNegativeSampler(fullIdx).sample(Int32Array.from([0]), 1, new Rng(1)),
    /user 0 interacted with every item; no negative exists/,
  );
  await assertThrowsMatching(
    () => bitset.sample(Int32Array.from([60]), 1, new Rng(1)),
    /user index 60 out of range \[0, 60\)/,
  );
});

Deno.test("data: splits keep raw ids: IdMaps survive and map back to the input", async () => {
  const x = await fixture();
  const s = leaveLatestOut(x, { seed: 1, numNegatives: 0 });
  assert(s.train.userIds instanceof IdMap);
  assertEquals(s.train.userIds.indexOf(4), 3);
  assertEquals(s.nItems, 4);
});
