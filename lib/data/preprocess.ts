/**
 * Preprocessing on {@link Interactions}: implicit feedback by rating threshold,
 * duplicate handling, k-core filtering, id compaction, and the per-user item index
 * (CSR) that negative sampling and evaluation use. All functions return new objects and
 * leave their input untouched; rows keep their relative input order.
 *
 * @module
 */
import { ConfigError, DataError } from "../util/errors.ts";
import { IdMap, type Interactions, type UserItemIndex } from "./types.ts";

/** The rows `keep` (ascending row indices) of `x`, same id space. */
export function selectRows(x: Interactions, keep: Int32Array): Interactions {
  const n = keep.length;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const ratings = new Float32Array(n);
  const timestamps = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const r = keep[k];
    users[k] = x.users[r];
    items[k] = x.items[r];
    ratings[k] = x.ratings[r];
    timestamps[k] = x.timestamps[r];
  }
  return { ...x, users, items, ratings, timestamps };
}

function rowsWhere(n: number, pred: (r: number) => boolean): Int32Array {
  const out = new Int32Array(n);
  let k = 0;
  for (let r = 0; r < n; r++) if (pred(r)) out[k++] = r;
  return out.slice(0, k);
}

/** Checks the invariants every function here relies on; throws a DataError naming the row. */
export function validateInteractions(x: Interactions, what = "interactions"): void {
  const n = x.users.length;
  if (x.items.length !== n || x.ratings.length !== n || x.timestamps.length !== n) {
    throw new DataError(
      `${what}: column lengths differ (users ${n}, items ${x.items.length}, ratings ` +
        `${x.ratings.length}, timestamps ${x.timestamps.length})`,
    );
  }
  if (x.userIds.size !== x.nUsers || x.itemIds.size !== x.nItems) {
    throw new DataError(
      `${what}: id maps (${x.userIds.size} users, ${x.itemIds.size} items) do not match ` +
        `nUsers ${x.nUsers} / nItems ${x.nItems}`,
    );
  }
  for (let r = 0; r < n; r++) {
    const u = x.users[r];
    const i = x.items[r];
    if (!(u >= 0 && u < x.nUsers)) {
      throw new DataError(`${what}: row ${r}: user index ${u} out of range [0, ${x.nUsers})`);
    }
    if (!(i >= 0 && i < x.nItems)) {
      throw new DataError(`${what}: row ${r}: item index ${i} out of range [0, ${x.nItems})`);
    }
  }
}

/**
 * Implicit feedback: keeps rows with `rating >= minRating`; without `minRating` every
 * row is kept (NCF: every rating is a positive). The seed notebook used minRating 3.
 * Ratings stay as published; the id space is unchanged (call {@link compactIds} to drop
 * users and items left without rows).
 *
 * @example
 * ```ts
 * const pos = compactIds(toImplicit(x, { minRating: 3 }));
 * ```
 */
export function toImplicit(x: Interactions, opts: { minRating?: number } = {}): Interactions {
  const min = opts.minRating;
  if (min === undefined) return selectRows(x, rowsWhere(x.users.length, () => true));
  if (!Number.isFinite(min)) {
    throw new ConfigError(`toImplicit: minRating must be finite, got ${min}`);
  }
  const out = selectRows(x, rowsWhere(x.users.length, (r) => x.ratings[r] >= min));
  if (out.users.length === 0) {
    throw new DataError(`toImplicit: no rating is >= ${min} (empty dataset)`);
  }
  return out;
}

/**
 * Row order grouped by user (a stable counting sort): user `u`'s rows are
 * `order[ptr[u] .. ptr[u+1])`, in input order.
 */
export function groupByUser(x: Interactions): { ptr: Int32Array; order: Int32Array } {
  return groupBy(x.users, x.nUsers);
}

function groupBy(keys: Int32Array, nKeys: number): { ptr: Int32Array; order: Int32Array } {
  const ptr = new Int32Array(nKeys + 1);
  for (let r = 0; r < keys.length; r++) ptr[keys[r] + 1]++;
  for (let k = 0; k < nKeys; k++) ptr[k + 1] += ptr[k];
  const fill = ptr.slice(0, nKeys);
  const order = new Int32Array(keys.length);
  for (let r = 0; r < keys.length; r++) order[fill[keys[r]]++] = r;
  return { ptr, order };
}

/**
 * One row per (user, item). `"latest"` (default) keeps the row with the greatest
 * timestamp (on equal timestamps, the later row in input order); `"first"` keeps the
 * earliest (on equal timestamps, the earlier row). Kept rows stay in input order.
 */
export function dedupe(x: Interactions, keep: "latest" | "first" = "latest"): Interactions {
  if (keep !== "latest" && keep !== "first") {
    throw new ConfigError(`dedupe: keep must be "latest" or "first", got ${JSON.stringify(keep)}`);
  }
  const n = x.users.length;
  // Stable sort by item, then stable by user: rows grouped by (user, item), input order
  // within each group. Two counting sorts, O(rows + users + items).
  const byItem = groupBy(x.items, x.nItems).order;
  const userOfSorted = new Int32Array(n);
  for (let k = 0; k < n; k++) userOfSorted[k] = x.users[byItem[k]];
  const g = groupBy(userOfSorted, x.nUsers);
  const flag = new Uint8Array(n);
  let k = 0;
  while (k < n) {
    const r0 = byItem[g.order[k]];
    let best = r0;
    let j = k + 1;
    for (; j < n; j++) {
      const r = byItem[g.order[j]];
      if (x.users[r] !== x.users[r0] || x.items[r] !== x.items[r0]) break;
      const better = keep === "latest"
        ? x.timestamps[r] >= x.timestamps[best]
        : x.timestamps[r] < x.timestamps[best];
      if (better) best = r;
    }
    flag[best] = 1;
    k = j;
  }
  return selectRows(x, rowsWhere(n, (r) => flag[r] === 1));
}

/**
 * Drops users and items that have no rows and renumbers the rest 0..n-1, keeping their
 * relative order (so ascending raw ids stay ascending); id maps follow.
 */
export function compactIds(x: Interactions): Interactions {
  const n = x.users.length;
  const uMap = new Int32Array(x.nUsers).fill(-1);
  const iMap = new Int32Array(x.nItems).fill(-1);
  for (let r = 0; r < n; r++) {
    uMap[x.users[r]] = 0;
    iMap[x.items[r]] = 0;
  }
  const uRaw: number[] = [];
  const iRaw: number[] = [];
  for (let u = 0; u < x.nUsers; u++) {
    if (uMap[u] === 0) (uMap[u] = uRaw.length, uRaw.push(x.userIds.raw[u]));
  }
  for (let i = 0; i < x.nItems; i++) {
    if (iMap[i] === 0) (iMap[i] = iRaw.length, iRaw.push(x.itemIds.raw[i]));
  }
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    users[r] = uMap[x.users[r]];
    items[r] = iMap[x.items[r]];
  }
  return {
    users,
    items,
    ratings: x.ratings.slice(),
    timestamps: x.timestamps.slice(),
    nUsers: uRaw.length,
    nItems: iRaw.length,
    userIds: uRaw.length === x.nUsers ? x.userIds : new IdMap(uRaw),
    itemIds: iRaw.length === x.nItems ? x.itemIds : new IdMap(iRaw),
  };
}

/**
 * k-core filtering: repeatedly drops users with fewer than `minUserInteractions` rows and
 * items with fewer than `minItemInteractions` rows until both hold for every remaining
 * user and item (a fixed point), then compacts ids. Rows are counted as they are: call
 * {@link dedupe} first to count distinct items.
 *
 * @throws DataError when nothing survives.
 */
export function kCore(
  x: Interactions,
  opts: { minUserInteractions: number; minItemInteractions: number },
): Interactions {
  const { minUserInteractions: mu, minItemInteractions: mi } = opts;
  for (const [k, v] of Object.entries({ minUserInteractions: mu, minItemInteractions: mi })) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ConfigError(`kCore: ${k} must be an integer >= 0, got ${v}`);
    }
  }
  const n = x.users.length;
  const alive = new Uint8Array(n).fill(1);
  const uc = new Int32Array(x.nUsers);
  const ic = new Int32Array(x.nItems);
  for (let r = 0; r < n; r++) {
    uc[x.users[r]]++;
    ic[x.items[r]]++;
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let r = 0; r < n; r++) {
      if (!alive[r]) continue;
      const u = x.users[r];
      const i = x.items[r];
      if (uc[u] < mu || ic[i] < mi) {
        alive[r] = 0;
        uc[u]--;
        ic[i]--;
        changed = true;
      }
    }
  }
  const out = selectRows(x, rowsWhere(n, (r) => alive[r] === 1));
  if (out.users.length === 0) {
    throw new DataError(
      `kCore: no interactions survive minUserInteractions ${mu} / minItemInteractions ${mi}`,
    );
  }
  return compactIds(out);
}

/**
 * Items per user in CSR form, sorted ascending and distinct (duplicates collapse).
 *
 * @example
 * ```ts
 * const idx = userItemIndex(split.train);
 * idx.indices.subarray(idx.indptr[u], idx.indptr[u + 1]); // user u's items
 * ```
 */
export function userItemIndex(x: Interactions): UserItemIndex {
  const n = x.users.length;
  // Two stable counting sorts (by item, then by user) leave each user's items ascending:
  // O(rows + users + items), no comparison sort.
  const byItem = groupBy(x.items, x.nItems).order;
  const userOfSorted = new Int32Array(n);
  for (let k = 0; k < n; k++) userOfSorted[k] = x.users[byItem[k]];
  const g = groupBy(userOfSorted, x.nUsers);
  const indices = new Int32Array(n);
  const indptr = new Int32Array(x.nUsers + 1);
  let w = 0;
  for (let u = 0; u < x.nUsers; u++) {
    const start = w;
    for (let k = g.ptr[u]; k < g.ptr[u + 1]; k++) {
      const item = x.items[byItem[g.order[k]]];
      if (w === start || indices[w - 1] !== item) indices[w++] = item;
    }
    indptr[u + 1] = w;
  }
  return {
    indptr,
    indices: w === n ? indices : indices.slice(0, w),
    nUsers: x.nUsers,
    nItems: x.nItems,
  };
}

/** Concatenates interaction tables on one id space (e.g. train and test rows). */
export function concatInteractions(parts: Interactions[]): Interactions {
  if (parts.length === 0) throw new ConfigError("concatInteractions: no parts");
  const n = parts.reduce((s, p) => s + p.users.length, 0);
  const out: Interactions = {
    ...parts[0],
    users: new Int32Array(n),
    items: new Int32Array(n),
    ratings: new Float32Array(n),
    timestamps: new Float64Array(n),
  };
  let off = 0;
  for (const p of parts) {
    if (p.nUsers !== out.nUsers || p.nItems !== out.nItems) {
      throw new DataError("concatInteractions: parts have different id spaces");
    }
    out.users.set(p.users, off);
    out.items.set(p.items, off);
    out.ratings.set(p.ratings, off);
    out.timestamps.set(p.timestamps, off);
    off += p.users.length;
  }
  return out;
}
