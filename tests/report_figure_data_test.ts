import { assert, assertClose, assertEquals } from "./_assert.ts";
import { IdMap, type Interactions, type Split } from "../lib/data/mod.ts";
import {
  longTailFigure,
  monthlyActivityFigure,
  popularityShare,
  splitChecks,
  userTimeline,
} from "../lib/report/mod.ts";

function interactions(
  rows: [number, number, number][],
  nUsers: number,
  nItems: number,
): Interactions {
  return {
    users: Int32Array.from(rows.map((r) => r[0])),
    items: Int32Array.from(rows.map((r) => r[1])),
    ratings: Float32Array.from(rows.map(() => 4)),
    timestamps: Float64Array.from(rows.map((r) => r[2])),
    nUsers,
    nItems,
    userIds: IdMap.identity(nUsers),
    itemIds: new IdMap(Array.from({ length: nItems }, (_, i) => 100 + i)),
  };
}

/**
 * A hand-made leave-latest-one-out split of 2 users over 6 items:
 * user 0 saw items 0,1,2,3 at t=1..4 (valid 2, test 3); user 1 saw 1,4,5 at t=1..3.
 */
function goodSplit(): Split {
  const train = interactions([[0, 0, 1], [0, 1, 2], [1, 1, 1]], 2, 6);
  return {
    name: "hand-made",
    train,
    valid: {
      users: Int32Array.from([0, 1]),
      items: Int32Array.from([2, 4]),
      timestamps: Float64Array.from([3, 2]),
      ratings: Float32Array.from([4, 4]),
      negatives: Int32Array.from([4, 5, 0, 2]),
      numNegatives: 2,
    },
    test: {
      users: Int32Array.from([0, 1]),
      items: Int32Array.from([3, 5]),
      timestamps: Float64Array.from([4, 3]),
      ratings: Float32Array.from([4, 4]),
      negatives: Int32Array.from([5, 4, 2, 3]),
      numNegatives: 2,
    },
    nUsers: 2,
    nItems: 6,
  };
}

function failed(split: Split, inputRows?: number): string[] {
  return splitChecks(split, inputRows).filter((c) => !c.passed).map((c) => c.check);
}

Deno.test("split checks pass on a correct hand-made split", () => {
  const checks = splitChecks(goodSplit(), 7);
  assertEquals(checks.filter((c) => !c.passed), []);
  assert(checks.length >= 9, `only ${checks.length} checks`);
});

Deno.test("split checks catch each planted fault", () => {
  // The test item of user 0 also in train: a leak.
  let s = goodSplit();
  s.train = interactions([[0, 0, 1], [0, 3, 2], [1, 1, 1]], 2, 6);
  assert(failed(s).includes("no held-out pair in train (no leak)"), failed(s).join());

  // A training interaction later than the test item.
  s = goodSplit();
  s.train = interactions([[0, 0, 1], [0, 1, 9], [1, 1, 1]], 2, 6);
  assert(failed(s).includes("test item is the user's latest interaction"));
  assert(failed(s).includes("validation item is the latest of the rest"));

  // A test negative the user interacted with (item 1 is in user 1's train), and a duplicate.
  s = goodSplit();
  s.test.negatives = Int32Array.from([5, 5, 1, 3]);
  assert(failed(s).includes("test negatives: 2 per pair, distinct, never interacted"));

  // A negative equal to the user's own held-out item (user 0's validation item 2).
  s = goodSplit();
  s.test.negatives = Int32Array.from([2, 4, 2, 3]);
  assert(failed(s).includes("test negatives: 2 per pair, distinct, never interacted"));

  // User 1 has no test item; user 0 has two.
  s = goodSplit();
  s.test.users = Int32Array.from([0, 0]);
  assert(failed(s).includes("one test item per user"));

  // Rows that do not add up to the input.
  assert(failed(goodSplit(), 8).includes("train + validation + test = input interactions"));
});

Deno.test("user timeline: last train items then validation and test, in time order", () => {
  const rows = userTimeline(goodSplit(), 0, undefined, 1);
  assertEquals(rows.map((r) => [r.role, r.item]), [["train", 101], ["validation", 102], [
    "test",
    103,
  ]]);
});

Deno.test("popularity share and long tail from hand-counted item popularity", () => {
  // Item counts: item0 x4, item1 x3, item2 x2, item3 x1 (10 interactions).
  const rows: [number, number, number][] = [];
  [4, 3, 2, 1].forEach((c, i) => {
    for (let k = 0; k < c; k++) rows.push([k, i, k]);
  });
  const x = interactions(rows, 4, 5);
  assertClose(popularityShare(x, 0.25), 0.4, 1e-12, "top item");
  assertClose(popularityShare(x, 0.5), 0.7, 1e-12, "top two");
  const tail = longTailFigure(x, "t");
  assertEquals(Array.from(tail.series[0].y), [4, 3, 2, 1]);
  assertEquals(Array.from(tail.series[0].x), [1, 2, 3, 4]);
});

Deno.test("monthly activity counts months without interactions as 0", () => {
  const jan = Date.UTC(2000, 0, 15) / 1000, mar = Date.UTC(2000, 2, 2) / 1000;
  const fig = monthlyActivityFigure(
    interactions([[0, 0, jan], [0, 1, jan], [0, 2, mar]], 1, 3),
    "m",
  );
  assertEquals(Array.from(fig.series[0].y), [2, 0, 1]);
  assertEquals(fig.series[0].x[1], Date.UTC(2000, 1, 1) / 1000, "February");
  assert(fig.xTime);
});
