/**
 * Preprocessing (implicit threshold, dedupe, k-core, compaction, CSR index) checked
 * against straightforward reference implementations on random data.
 */
import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  compactIds,
  dedupe,
  type Interactions,
  kCore,
  toImplicit,
  userItemIndex,
} from "../lib/data/mod.ts";
import { randomInteractions } from "./fixtures/data/synthetic.ts";

function rawPairs(x: Interactions): string[] {
  const out: string[] = [];
  for (let r = 0; r < x.users.length; r++) {
    out.push(`${x.userIds.raw[x.users[r]]}:${x.itemIds.raw[x.items[r]]}:${x.timestamps[r]}`);
  }
  return out;
}

Deno.test("data: toImplicit keeps rating >= threshold (default: every row), ids unchanged", async () => {
  const x = randomInteractions(1, 20, 30, 400);
  assertEquals(toImplicit(x).users.length, 400);
  const pos = toImplicit(x, { minRating: 3 });
  let expected = 0;
  for (let r = 0; r < 400; r++) if (x.ratings[r] >= 3) expected++;
  assertEquals(pos.users.length, expected);
  assert(pos.ratings.every((v) => v >= 3));
  assertEquals(pos.nItems, x.nItems);
  await assertThrowsMatching(
    () => toImplicit(x, { minRating: 6 }),
    /no rating is >= 6 \(empty dataset\)/,
  );
  await assertThrowsMatching(() => toImplicit(x, { minRating: NaN }), /minRating must be finite/);
});

Deno.test("data: dedupe keeps one row per (user,item): latest (later row on ties) or first", () => {
  const x = randomInteractions(2, 15, 20, 600);
  for (const keep of ["latest", "first"] as const) {
    const ref = new Map<string, number>();
    for (let r = 0; r < 600; r++) {
      const key = `${x.users[r]},${x.items[r]}`;
      const prev = ref.get(key);
      const better = prev === undefined ||
        (keep === "latest"
          ? x.timestamps[r] >= x.timestamps[prev]
          : x.timestamps[r] < x.timestamps[prev]);
      if (better) ref.set(key, r);
    }
    const keptRows = [...ref.values()].sort((a, b) => a - b);
    const d = dedupe(x, keep);
    assertEquals(Array.from(d.users), keptRows.map((r) => x.users[r]));
    assertEquals(Array.from(d.items), keptRows.map((r) => x.items[r]));
    assertEquals(Array.from(d.timestamps), keptRows.map((r) => x.timestamps[r]));
  }
});

Deno.test("data: userItemIndex: sorted distinct items per user (CSR)", () => {
  const x = randomInteractions(3, 25, 40, 500);
  const idx = userItemIndex(x);
  assertEquals(idx.indptr.length, 26);
  for (let u = 0; u < 25; u++) {
    const want = new Set<number>();
    for (let r = 0; r < 500; r++) if (x.users[r] === u) want.add(x.items[r]);
    assertEquals(
      Array.from(idx.indices.subarray(idx.indptr[u], idx.indptr[u + 1])),
      [...want].sort((a, b) => a - b),
    );
  }
});

Deno.test("data: compactIds drops unused ids, keeps raw ids attached and ascending", () => {
  const x = randomInteractions(4, 30, 60, 80);
  const c = compactIds(x);
  assertEquals(rawPairs(c), rawPairs(x));
  for (let k = 1; k < c.nUsers; k++) assert(c.userIds.raw[k] > c.userIds.raw[k - 1]);
  const usedItems = new Set(x.items);
  assertEquals(c.nItems, usedItems.size);
  assertEquals(c.itemIds.size, c.nItems);
});

/** Reference k-core: recount from scratch every round. */
function referenceKCore(x: Interactions, mu: number, mi: number): Set<number> {
  let alive = new Set(Array.from({ length: x.users.length }, (_, r) => r));
  for (;;) {
    const uc = new Map<number, number>();
    const ic = new Map<number, number>();
    for (const r of alive) {
      uc.set(x.users[r], (uc.get(x.users[r]) ?? 0) + 1);
      ic.set(x.items[r], (ic.get(x.items[r]) ?? 0) + 1);
    }
    const next = new Set(
      [...alive].filter((r) => uc.get(x.users[r])! >= mu && ic.get(x.items[r])! >= mi),
    );
    if (next.size === alive.size) return alive;
    alive = next;
  }
}

Deno.test("data: kCore reaches the fixed point a recount-from-scratch reference reaches", async () => {
  const x = dedupe(randomInteractions(5, 60, 80, 1500));
  const k = kCore(x, { minUserInteractions: 12, minItemInteractions: 8 });
  const ref = referenceKCore(x, 12, 8);
  assertEquals(k.users.length, ref.size);
  assert(k.users.length > 0 && k.users.length < x.users.length, "the filter must remove some rows");
  assertEquals(
    rawPairs(k),
    [...ref].sort((a, b) => a - b).map((r) =>
      `${x.userIds.raw[x.users[r]]}:${x.itemIds.raw[x.items[r]]}:${x.timestamps[r]}`
    ),
  );
  // A fixed point: every surviving user and item meets its threshold, ids are compact.
  const uc = new Int32Array(k.nUsers);
  const ic = new Int32Array(k.nItems);
  for (let r = 0; r < k.users.length; r++) {
    uc[k.users[r]]++;
    ic[k.items[r]]++;
  }
  assert(uc.every((c) => c >= 12));
  assert(ic.every((c) => c >= 8));
  // Applying it again changes nothing.
  assertEquals(
    kCore(k, { minUserInteractions: 12, minItemInteractions: 8 }).users.length,
    k.users.length,
  );
  await assertThrowsMatching(
    () => kCore(x, { minUserInteractions: 10_000, minItemInteractions: 1 }),
    /no interactions survive minUserInteractions 10000/,
  );
  await assertThrowsMatching(
    () => kCore(x, { minUserInteractions: -1, minItemInteractions: 1 }),
    /minUserInteractions must be an integer >= 0, got -1/,
  );
});
