/**
 * What evaluation needs from a model: scores. Any recommender (baseline, MF, neural)
 * implements {@link Scorer}; the evaluator knows nothing else about it.
 *
 * @module
 */

/** Scores user-item pairs; higher means more recommended. */
export interface Scorer {
  readonly nUsers: number;
  readonly nItems: number;
  /**
   * Scores of pairs `(users[p], items[p])`.
   * @returns Float32Array of shape [users.length].
   */
  scorePairs(users: Int32Array, items: Int32Array): Float32Array | Promise<Float32Array>;
  /**
   * Scores of every item for each user in `users`, row-major.
   * @returns Float32Array of shape [users.length * nItems].
   */
  scoreAll(users: Int32Array): Float32Array | Promise<Float32Array>;
  /**
   * Optional: like {@link Scorer.scoreAll} but writes into `out` (length at least
   * `users.length * nItems`), so full-ranking evaluation reuses one buffer for every
   * batch. The evaluator uses it when present, else `scoreAll`.
   */
  scoreAllInto?(users: Int32Array, out: Float32Array): void | Promise<void>;
}

/** Which candidates a held-out item is ranked against. */
export type EvalProtocol = "sampled" | "full";

/**
 * Per-user metric values and their means for one model, one protocol, one held-out set.
 * Keys are metric names with their cut-off, e.g. "HR@10", "NDCG@10", "AUC".
 */
export interface EvalResult {
  /** "sampled": each held-out pair against its sampled negatives; "full": all items. */
  protocol: EvalProtocol;
  /** Which held-out set was ranked. */
  on: "test" | "valid";
  /** Cut-offs evaluated. */
  ks: number[];
  /** Metric keys in `perUser` and `mean`, in a stable order. */
  keys: string[];
  /** Evaluated users, ascending. Shape: [nUsers evaluated]. */
  users: Int32Array;
  /** Metric key -> one value per entry of `users` (a user's pairs averaged). */
  perUser: Record<string, Float64Array>;
  /** Metric key -> mean of `perUser[key]` over users (each user weighs the same). */
  mean: Record<string, number>;
  /** Held-out pairs ranked (>= users.length). */
  pairs: number;
  /** Wall seconds spent (scoring included). */
  seconds: number;
}
