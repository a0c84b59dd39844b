/**
 * Negative items: seeded evaluation candidates (N distinct items a user never
 * interacted with, the NCF protocol's 99) and the fast per-epoch training sampler.
 *
 * @module
 */
import { ConfigError, DataError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import type { UserItemIndex } from "./types.ts";

/** True when `item` is in the sorted segment `indices[lo .. hi)`. */
function hasItem(indices: Int32Array, lo: number, hi: number, item: number): boolean {
  // Binary search in a sorted segment [lo, hi).
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = indices[mid];
    if (v === item) return true;
    if (v < item) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/**
 * Uniform integer in [0, n) (n = nItems, `threshold` = 2^32 mod n): Lemire's multiply-and-
 * reject on 32-bit words, x * n = hi * 2^32 + lo, rejecting lo < threshold. x * n < 2^53 for
 * n < 2^21, so the product is exact in float64; larger n uses Rng.int.
 */
function uniformIndex(rng: Rng, n: number, threshold: number): number {
  if (n >= 1 << 21) return rng.int(n);
  for (;;) {
    const m = rng.u32() * n;
    const j = Math.floor(m / 4294967296);
    if (m - j * 4294967296 >= threshold) return j;
  }
}

/**
 * Sampled evaluation candidates: for each entry `users[p]`, `numNegatives` distinct items
 * drawn uniformly from the items the user never interacted with according to
 * `interacted` (pass the index of ALL of the user's interactions: train, valid and test).
 * Deterministic in `seed` (stream `Rng.derive(seed, "eval-negatives")`, consumed pair by
 * pair in order).
 *
 * @returns Int32Array of shape [users.length * numNegatives]; pair p's negatives are
 *   `out[p * numNegatives .. (p + 1) * numNegatives)`, in draw order.
 * @throws DataError when a user has fewer than `numNegatives` items left to draw from.
 */
export function sampleEvalNegatives(
  interacted: UserItemIndex,
  users: Int32Array,
  numNegatives: number,
  seed: number,
): Int32Array {
  if (!Number.isInteger(numNegatives) || numNegatives < 0) {
    throw new ConfigError(
      `sampleEvalNegatives: numNegatives must be an integer >= 0, got ${numNegatives}`,
    );
  }
  const { indptr, indices, nItems, nUsers } = interacted;
  const out = new Int32Array(users.length * numNegatives);
  if (numNegatives === 0) return out;
  const rng = Rng.derive(seed, "eval-negatives");
  // mark[j] === p + 1: item j is interacted by, or already drawn for, pair p. One array
  // for all pairs makes every membership test O(1) with no clearing.
  const mark = new Int32Array(nItems);
  const threshold = 4294967296 % nItems;
  for (let p = 0; p < users.length; p++) {
    const u = users[p];
    if (!(u >= 0 && u < nUsers)) {
      throw new DataError(`sampleEvalNegatives: user index ${u} out of range [0, ${nUsers})`);
    }
    const lo = indptr[u];
    const hi = indptr[u + 1];
    const free = nItems - (hi - lo);
    if (free < numNegatives) {
      throw new DataError(
        `sampleEvalNegatives: user ${u} interacted with ${hi - lo} of ${nItems} items, so ` +
          `only ${free} candidates are left for ${numNegatives} negatives`,
      );
    }
    const base = p * numNegatives;
    const stamp = p + 1;
    if (free >= 2 * numNegatives) {
      // Rejection sampling: at least half of the draws succeed.
      for (let k = lo; k < hi; k++) mark[indices[k]] = stamp;
      let got = 0;
      while (got < numNegatives) {
        const j = uniformIndex(rng, nItems, threshold);
        if (mark[j] === stamp) continue;
        mark[j] = stamp;
        out[base + got++] = j;
      }
    } else {
      // Few candidates: list them and draw without replacement (partial Fisher-Yates).
      const cand = new Int32Array(free);
      let c = 0;
      let k = lo;
      for (let j = 0; j < nItems; j++) {
        if (k < hi && indices[k] === j) k++;
        else cand[c++] = j;
      }
      for (let t = 0; t < numNegatives; t++) {
        const s = t + rng.int(free - t);
        const tmp = cand[t];
        cand[t] = cand[s];
        cand[s] = tmp;
        out[base + t] = cand[t];
      }
    }
  }
  return out;
}

/**
 * Uniform training negatives: for each user, items the user has not interacted with in
 * the index it was built from (normally `userItemIndex(split.train)`), drawn
 * independently (with replacement, as NCF's samplers do).
 *
 * Membership is a per-user bitset when it fits in `bitsetMaxBytes` (ML-1M: 2.8 MB),
 * else a binary search in the user's sorted items; both reject and redraw. Draws map a
 * 32-bit random word to `[0, nItems)` with Lemire's multiply-and-reject, so they are
 * exactly uniform.
 *
 * @example
 * ```ts
 * const sampler = new TrainingNegativeSampler(userItemIndex(split.train));
 * const negs = sampler.sample(batchUsers, 4, Rng.derive(seed, "epoch", epoch));
 * // negs[k * 4 + j] is the j-th negative of batchUsers[k]
 * ```
 */
export class TrainingNegativeSampler {
  readonly nUsers: number;
  readonly nItems: number;
  readonly #index: UserItemIndex;
  readonly #bits: Int32Array | null;
  readonly #words: number;
  /** 1 for users who interacted with every item (no negative exists). */
  readonly #full: Uint8Array;

  /**
   * @param index items per user (sorted, distinct), e.g. `userItemIndex(split.train)`.
   * @param opts.bitsetMaxBytes largest bitset to build (default 256 MiB).
   */
  constructor(index: UserItemIndex, opts: { bitsetMaxBytes?: number } = {}) {
    this.#index = index;
    this.nUsers = index.nUsers;
    this.nItems = index.nItems;
    if (this.nItems < 1) throw new DataError("TrainingNegativeSampler: no items");
    this.#words = (this.nItems + 31) >>> 5;
    const bytes = this.nUsers * this.#words * 4;
    this.#full = new Uint8Array(this.nUsers);
    for (let u = 0; u < this.nUsers; u++) {
      if (index.indptr[u + 1] - index.indptr[u] >= this.nItems) this.#full[u] = 1;
    }
    if (bytes <= (opts.bitsetMaxBytes ?? 256 * 1024 * 1024)) {
      const bits = new Int32Array(this.nUsers * this.#words);
      const { indptr, indices } = index;
      for (let u = 0; u < this.nUsers; u++) {
        const row = u * this.#words;
        for (let k = indptr[u]; k < indptr[u + 1]; k++) {
          const j = indices[k];
          bits[row + (j >>> 5)] |= 1 << (j & 31);
        }
      }
      this.#bits = bits;
    } else {
      this.#bits = null;
    }
  }

  /** "bitset" or "binary-search": how membership is tested. */
  get method(): "bitset" | "binary-search" {
    return this.#bits ? "bitset" : "binary-search";
  }

  /**
   * Draws `perUser` negatives for each entry of `users`.
   *
   * @param users user index per entry. Shape: [n].
   * @param perUser negatives per entry (e.g. 4).
   * @param rng the generator to draw from (advance it once per epoch for fresh negatives).
   * @param out optional output to fill, length >= n * perUser (reused across epochs).
   * @returns `out` (or a new Int32Array) with entry k's negatives at `[k*perUser, (k+1)*perUser)`.
   * @throws DataError for a user index out of range or a user without any negative item.
   */
  sample(users: Int32Array, perUser: number, rng: Rng, out?: Int32Array): Int32Array {
    const total = users.length * perUser;
    const res = out ?? new Int32Array(total);
    if (res.length < total) {
      throw new ConfigError(
        `TrainingNegativeSampler.sample: out has length ${res.length} < ${total}`,
      );
    }
    const nItems = this.nItems;
    const nUsers = this.nUsers;
    const threshold = 4294967296 % nItems;
    const bits = this.#bits;
    const words = this.#words;
    const full = this.#full;
    const { indptr, indices } = this.#index;
    let w = 0;
    for (let k = 0; k < users.length; k++) {
      const u = users[k];
      if (!(u >= 0 && u < nUsers)) {
        throw new DataError(`TrainingNegativeSampler: user index ${u} out of range [0, ${nUsers})`);
      }
      if (full[u]) {
        throw new DataError(
          `TrainingNegativeSampler: user ${u} interacted with every item; no negative exists`,
        );
      }
      const row = u * words;
      const lo = indptr[u];
      const hi = indptr[u + 1];
      for (let t = 0; t < perUser; t++) {
        let j: number;
        for (;;) {
          j = uniformIndex(rng, nItems, threshold);
          if (bits !== null) {
            if ((bits[row + (j >>> 5)] & (1 << (j & 31))) === 0) break;
          } else if (!hasItem(indices, lo, hi, j)) break;
        }
        res[w++] = j;
      }
    }
    return res;
  }
}
