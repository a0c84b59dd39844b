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
}
