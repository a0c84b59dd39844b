/**
 * Hand-made data for tests: interactions and held-out sets from literal (user, item)
 * pairs with identity id maps, and a scorer that reads a fixed score table.
 *
 * @module
 */
import { type HeldOut, IdMap, type Interactions } from "../lib/data/types.ts";
import type { Scorer } from "../lib/eval/types.ts";

/**
 * Interactions from `[user, item]` rows (an optional third element is the timestamp,
 * else 0), identity id maps, ratings NaN. Rows are kept in the given order, duplicates too.
 */
export function interactions(pairs: number[][], nUsers: number, nItems: number): Interactions {
  return {
    users: Int32Array.from(pairs, (p) => p[0]),
    items: Int32Array.from(pairs, (p) => p[1]),
    ratings: new Float32Array(pairs.length).fill(NaN),
    timestamps: Float64Array.from(pairs, (p) => p[2] ?? 0),
    nUsers,
    nItems,
    userIds: IdMap.identity(nUsers),
    itemIds: IdMap.identity(nItems),
  };
}

/**
 * A held-out set from `[user, item]` pairs (timestamps 0, ratings NaN), with
 * `negatives[p]` the sampled negatives of pair p when given (all of one length).
 */
export function heldOut(pairs: number[][], negatives?: number[][]): HeldOut {
  return {
    users: Int32Array.from(pairs, (p) => p[0]),
    items: Int32Array.from(pairs, (p) => p[1]),
    timestamps: new Float64Array(pairs.length),
    ratings: new Float32Array(pairs.length).fill(NaN),
    negatives: negatives ? Int32Array.from(negatives.flat()) : undefined,
    numNegatives: negatives ? negatives[0].length : 0,
  };
}

/** A scorer reading a fixed table of shape [nUsers * nItems]; counts its scoring calls. */
export class TableScorer implements Scorer {
  calls = 0;
  constructor(
    readonly nUsers: number,
    readonly nItems: number,
    readonly table: Float32Array,
    readonly name = "table",
  ) {}
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    this.calls++;
    return Float32Array.from(users, (u, p) => this.table[u * this.nItems + items[p]]);
  }
  scoreAll(users: Int32Array): Float32Array {
    this.calls++;
    const out = new Float32Array(users.length * this.nItems);
    users.forEach((u, b) =>
      out.set(this.table.subarray(u * this.nItems, (u + 1) * this.nItems), b * this.nItems)
    );
    return out;
  }
}
