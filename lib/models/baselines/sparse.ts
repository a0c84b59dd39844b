/**
 * The binary user-item matrix X of the training events, in the two sparse layouts the
 * baselines need: items per user (rows of X) and users per item (columns of X), plus
 * one row of the item co-occurrence matrix XᵀX at a time.
 *
 * @module
 */
import { type Interactions, type UserItemIndex, userItemIndex } from "../../data/mod.ts";
import { DataError } from "../../util/errors.ts";

/**
 * Distinct items per user, sorted ascending (CSR): X[u][i] = 1 when u has any event on i.
 * Repeated events count once (implicit feedback). Ids are checked first, so a bad row
 * gives an error naming it rather than a corrupt index.
 */
export function binaryUserItems(x: Interactions): UserItemIndex {
  const { users, items, nUsers, nItems } = x;
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    const i = items[r];
    if (!(u >= 0 && u < nUsers) || !(i >= 0 && i < nItems)) {
      throw new DataError(
        `training row ${r}: user ${u} or item ${i} out of range [0, ${nUsers}) x [0, ${nItems})`,
      );
    }
  }
  return userItemIndex(x);
}

/** Users per item (the transpose of {@link binaryUserItems}), users ascending. */
export function transposeIndex(
  index: UserItemIndex,
): { indptr: Int32Array; indices: Int32Array } {
  const { indptr, indices, nUsers, nItems } = index;
  const ptr = new Int32Array(nItems + 1);
  for (let q = 0; q < indices.length; q++) ptr[indices[q] + 1]++;
  for (let i = 0; i < nItems; i++) ptr[i + 1] += ptr[i];
  const fill = ptr.slice(0, nItems);
  const out = new Int32Array(indices.length);
  for (let u = 0; u < nUsers; u++) {
    for (let q = indptr[u]; q < indptr[u + 1]; q++) out[fill[indices[q]]++] = u;
  }
  return { indptr: ptr, indices: out };
}

/**
 * Adds row j of the co-occurrence matrix XᵀX into `out` (out[i] += users who have both
 * i and j), for items i < `upTo` only (i <= j gives the lower triangle). Cost: the sum of
 * the history lengths of j's users. Returns nothing; `out` must be zeroed by the caller.
 */
export function addCooccurrenceRow(
  j: number,
  userItems: UserItemIndex,
  itemUsers: { indptr: Int32Array; indices: Int32Array },
  out: Float64Array,
  outOffset = 0,
  upTo = userItems.nItems,
): void {
  const { indptr, indices } = userItems;
  for (let q = itemUsers.indptr[j]; q < itemUsers.indptr[j + 1]; q++) {
    const u = itemUsers.indices[q];
    const end = indptr[u + 1];
    for (let p = indptr[u]; p < end; p++) {
      const i = indices[p];
      if (i >= upTo) break; // rows are sorted ascending
      out[outOffset + i] += 1;
    }
  }
}

/** True when sorted `indices[lo..hi)` contains `item` (binary search). */
export function containsSorted(indices: Int32Array, lo: number, hi: number, item: number): boolean {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = indices[mid];
    if (v < item) lo = mid + 1;
    else if (v > item) hi = mid;
    else return true;
  }
  return false;
}

/** Checks pair arrays passed to `scorePairs`: same length, ids in range. */
export function checkPairs(
  name: string,
  users: Int32Array,
  items: Int32Array,
  nUsers: number,
  nItems: number,
): void {
  if (nItems === 0) throw new Error(`${name}: scorePairs called before fit`);
  if (users.length !== items.length) {
    throw new RangeError(`${name}.scorePairs: ${users.length} users but ${items.length} items`);
  }
  for (let p = 0; p < users.length; p++) {
    if (!(users[p] >= 0 && users[p] < nUsers) || !(items[p] >= 0 && items[p] < nItems)) {
      throw new RangeError(
        `${name}.scorePairs: pair ${p} (user ${users[p]}, item ${items[p]}) out of range ` +
          `[0, ${nUsers}) x [0, ${nItems})`,
      );
    }
  }
}

/** Checks users passed to `scoreAll` and the output size. */
export function checkUsers(
  name: string,
  users: Int32Array,
  nUsers: number,
  nItems: number,
  out: Float32Array,
): void {
  if (nItems === 0) throw new Error(`${name}: scoreAll called before fit`);
  if (out.length < users.length * nItems) {
    throw new RangeError(
      `${name}.scoreAllInto: output holds ${out.length} < ${users.length} x ${nItems} scores`,
    );
  }
  for (let b = 0; b < users.length; b++) {
    if (!(users[b] >= 0 && users[b] < nUsers)) {
      throw new RangeError(`${name}.scoreAll: user ${users[b]} out of range [0, ${nUsers})`);
    }
  }
}
