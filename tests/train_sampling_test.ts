// Per-epoch training samples (positives + seeded negatives, shuffled) and the synthetic
// ML-1M-shaped data generator used by the benchmarks.
import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import { syntheticInteractions } from "../lib/data/mod.ts";
import { EpochSampler } from "../lib/train/mod.ts";

Deno.test("epoch samples: every positive once, negatives never seen in training, seeded", () => {
  const x = syntheticInteractions({
    seed: 3,
    nUsers: 40,
    nItems: 70,
    interactions: 900,
    minPerUser: 10,
  });
  const sampler = new EpochSampler(x, 4);
  assertEquals(sampler.size, 900 * 5);
  const seen = new Set<number>();
  for (let k = 0; k < x.users.length; k++) seen.add(x.users[k] * 70 + x.items[k]);
  const e1 = sampler.epoch(11, 1);
  let pos = 0;
  const posPairs = new Set<number>();
  const negPerUser = new Int32Array(40);
  for (let k = 0; k < sampler.size; k++) {
    const key = e1.users[k] * 70 + e1.items[k];
    if (e1.labels[k] === 1) {
      pos++;
      posPairs.add(key);
    } else {
      assert.ok(!seen.has(key), `negative (${e1.users[k]}, ${e1.items[k]}) is a training positive`);
      negPerUser[e1.users[k]]++;
    }
  }
  assertEquals(pos, 900);
  assertEquals(posPairs, seen);
  // Four negatives per positive of each user.
  const posPerUser = new Int32Array(40);
  for (const u of x.users) posPerUser[u]++;
  assertEquals(Array.from(negPerUser), Array.from(posPerUser, (c) => 4 * c));
  const copy = { u: e1.users.slice(), i: e1.items.slice(), y: e1.labels.slice() };
  const again = new EpochSampler(x, 4).epoch(11, 1);
  assertEquals(again.users, copy.u);
  assertEquals(again.items, copy.i);
  assertEquals(again.labels, copy.y);
  const e2 = sampler.epoch(11, 2);
  assert.notDeepStrictEqual(e2.items, copy.i, "a new epoch draws new negatives and a new order");
});

Deno.test("synthetic data has ML-1M's shape and is deterministic", () => {
  const small = { seed: 1, nUsers: 300, nItems: 200, interactions: 12_000, minPerUser: 20 };
  const a = syntheticInteractions(small);
  const b = syntheticInteractions(small);
  assertEquals(a.users, b.users);
  assertEquals(a.items, b.items);
  assertEquals(a.timestamps, b.timestamps);
  assertEquals(a.users.length, 12_000);
  const perUser = new Int32Array(300);
  const perItem = new Int32Array(200);
  const pairs = new Set<number>();
  for (let k = 0; k < a.users.length; k++) {
    perUser[a.users[k]]++;
    perItem[a.items[k]]++;
    pairs.add(a.users[k] * 200 + a.items[k]);
    if (k > 0 && a.users[k] === a.users[k - 1]) {
      assert.ok(a.timestamps[k] >= a.timestamps[k - 1], "events of a user are time-ordered");
    }
    assert.ok(a.ratings[k] >= 1 && a.ratings[k] <= 5);
  }
  assertEquals(pairs.size, 12_000, "no duplicate user-item pairs");
  assert.ok(Math.min(...perUser) >= 20);
  // Skewed popularity: the top 10% of items hold far more than 10% of the interactions.
  const sorted = Array.from(perItem).sort((x, y) => y - x);
  const top = sorted.slice(0, 20).reduce((s, c) => s + c, 0);
  assert.ok(top > 0.25 * 12_000, `top-10% items hold ${top} of 12000`);
  const c = syntheticInteractions({ ...small, seed: 2 });
  assert.notDeepStrictEqual(c.items, a.items);
});

Deno.test("synthetic data rejects impossible shapes", async () => {
  await assertThrowsMatching(
    () => syntheticInteractions({ seed: 1, nUsers: 10, nItems: 100, interactions: 5 }),
    /interactions must be in/,
  );
  await assertThrowsMatching(
    () => syntheticInteractions({ seed: 1, nUsers: 0 }),
    /nUsers must be a positive integer/,
  );
});
