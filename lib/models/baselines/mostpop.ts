/**
 * MostPop: every user gets the same ranking, items ordered by training popularity (the
 * number of distinct training users who interacted with the item). The floor any
 * personalised model must clear.
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import type { FitContext, FitReport, Recommender } from "../types.ts";
import { binaryUserItems, checkPairs, checkUsers, transposeIndex } from "./sparse.ts";

/**
 * Popularity baseline: score(u, i) = |{training users of i}|, the same for every user.
 *
 * @example
 * ```ts
 * const model = new MostPop();
 * await model.fit(split, { seed: 1 });
 * const scores = model.scoreAll(Int32Array.of(0)); // shape [1 * nItems]
 * ```
 */
export class MostPop implements Recommender {
  readonly name = "MostPop";
  #nUsers = 0;
  #nItems = 0;
  /** Distinct training users per item. Shape: [nItems]. */
  #popularity = new Float32Array(0);

  get nUsers(): number {
    return this.#nUsers;
  }
  get nItems(): number {
    return this.#nItems;
  }
  /** Training popularity per item (a copy). Shape: [nItems]. */
  get popularity(): Float32Array {
    return this.#popularity.slice();
  }

  /** Counts distinct training users per item; `split.valid` and `split.test` are not read. */
  fit(split: Split, _ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    const index = binaryUserItems(split.train);
    const itemUsers = transposeIndex(index);
    this.#nUsers = split.nUsers;
    this.#nItems = split.nItems;
    this.#popularity = new Float32Array(split.nItems);
    for (let i = 0; i < split.nItems; i++) {
      this.#popularity[i] = itemUsers.indptr[i + 1] - itemUsers.indptr[i];
    }
    return Promise.resolve({
      history: [],
      bestEpoch: null,
      seconds: (performance.now() - t0) / 1000,
      info: { trainPairs: index.indices.length },
    });
  }

  /** Popularity of each pair's item. Shape: [users.length]. */
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    checkPairs(this.name, users, items, this.#nUsers, this.#nItems);
    const out = new Float32Array(users.length);
    for (let p = 0; p < items.length; p++) out[p] = this.#popularity[items[p]];
    return out;
  }

  /** The popularity row once per user. Shape: [users.length * nItems]. */
  scoreAll(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.#nItems);
    this.scoreAllInto(users, out);
    return out;
  }

  /** Like {@link scoreAll}, into `out` (length >= users.length * nItems). */
  scoreAllInto(users: Int32Array, out: Float32Array): void {
    checkUsers(this.name, users, this.#nUsers, this.#nItems, out);
    for (let b = 0; b < users.length; b++) out.set(this.#popularity, b * this.#nItems);
  }
}
