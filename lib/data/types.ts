/**
 * The data types every later stage works on. Defined once here; everything else
 * (splits, Doc2Vec documents, models, evaluation) takes these.
 *
 * Conventions:
 * - Users and items are dense 0-based indices (`0..nUsers-1`, `0..nItems-1`) into typed
 *   arrays. Raw dataset ids (MovieLens `movieId`, ...) live only in {@link IdMap}s.
 * - Timestamps are unix seconds (float64, exact for integers).
 * - Ratings are the explicit rating as published, or NaN when a source has none.
 *
 * @module
 */

/** Maps raw dataset ids to dense indices and back. */
export class IdMap {
  /** Raw id of each index: `raw[index]`. */
  readonly raw: Float64Array;
  readonly #index: Map<number, number>;

  /** Builds a map whose index `k` is `raw[k]`; raw ids must be distinct. */
  constructor(raw: ArrayLike<number>) {
    this.raw = Float64Array.from(raw);
    this.#index = new Map();
    for (let k = 0; k < this.raw.length; k++) {
      if (this.#index.has(this.raw[k])) throw new Error(`IdMap: duplicate raw id ${this.raw[k]}`);
      this.#index.set(this.raw[k], k);
    }
  }

  /** An identity map `0..n-1` (for data that is already 0-based, e.g. the NCF files). */
  static identity(n: number): IdMap {
    const raw = new Float64Array(n);
    for (let k = 0; k < n; k++) raw[k] = k;
    return new IdMap(raw);
  }

  /** Number of ids. */
  get size(): number {
    return this.raw.length;
  }

  /** Index of a raw id, or undefined when unknown. */
  indexOf(rawId: number): number | undefined {
    return this.#index.get(rawId);
  }

  /** Raw id of an index; throws RangeError when out of range. */
  rawOf(index: number): number {
    if (!(index >= 0 && index < this.raw.length)) {
      throw new RangeError(`IdMap: index ${index} out of range [0, ${this.raw.length})`);
    }
    return this.raw[index];
  }
}

/**
 * A table of user-item events on typed arrays, one row per event. Rows are in no
 * particular order unless a function says otherwise.
 */
export interface Interactions {
  /** User index per row, in `[0, nUsers)`. Shape: [rows]. */
  users: Int32Array;
  /** Item index per row, in `[0, nItems)`. Shape: [rows]. */
  items: Int32Array;
  /** Explicit rating per row (e.g. 1..5), NaN when the source has none. Shape: [rows]. */
  ratings: Float32Array;
  /** Unix seconds per row. Shape: [rows]. */
  timestamps: Float64Array;
  /** Number of user indices (may exceed the users present in these rows). */
  nUsers: number;
  /** Number of item indices (may exceed the items present in these rows). */
  nItems: number;
  /** Raw user ids. `userIds.size === nUsers`. */
  userIds: IdMap;
  /** Raw item ids. `itemIds.size === nItems`. */
  itemIds: IdMap;
}

/**
 * Items per user in compressed sparse row form: user `u` has items
 * `indices[indptr[u] .. indptr[u+1])`, sorted ascending and distinct.
 */
export interface UserItemIndex {
  /** Shape: [nUsers + 1]. */
  indptr: Int32Array;
  /** Shape: [nnz]. */
  indices: Int32Array;
  nUsers: number;
  nItems: number;
}

/**
 * Held-out (user, item) pairs for validation or test, sorted by user. With
 * leave-one-out there is exactly one pair per user; ratio splits may have several.
 */
export interface HeldOut {
  /** User index per pair, non-decreasing. Shape: [pairs]. */
  users: Int32Array;
  /** Held-out item per pair. Shape: [pairs]. */
  items: Int32Array;
  /** Unix seconds per pair. Shape: [pairs]. */
  timestamps: Float64Array;
  /** Rating per pair, NaN when unknown. Shape: [pairs]. */
  ratings: Float32Array;
  /**
   * Sampled evaluation negatives: pair `p` is ranked against
   * `negatives[p * numNegatives .. (p + 1) * numNegatives)`, items the user never
   * interacted with. Absent when only full ranking is evaluated.
   */
  negatives?: Int32Array;
  /** Negatives per pair (99 under the NCF protocol), 0 when `negatives` is absent. */
  numNegatives: number;
}

/** A train/validation/test split on one id space. */
export interface Split {
  /** Human-readable provenance, e.g. "ml-100k, every rating implicit, leave-latest-one-out". */
  name: string;
  /** Training events (all that a model or a Doc2Vec document may see). */
  train: Interactions;
  /** Validation pairs held out from training, for early stopping and model selection. */
  valid?: HeldOut;
  /** Test pairs: report only, never used for any choice. */
  test: HeldOut;
  nUsers: number;
  nItems: number;
}

/** What is known about one item (fields absent when the dataset lacks them). */
export interface ItemInfo {
  /** Raw item id of the dataset (MovieLens movieId). */
  id: number;
  title: string;
  /** Release year, or null when unknown. */
  year: number | null;
  genres: string[];
  /** User-supplied tags (ml-latest-small tags.csv), lowercased, distinct. */
  tags: string[];
  /** TMDB keywords (The Movies Dataset keywords.csv) through links. */
  keywords: string[];
  imdbId: number | null;
  tmdbId: number | null;
  /** Plot overview (movies_metadata.csv), when present. */
  overview?: string;
  /** Cast names (credits.csv), when present. */
  cast?: string[];
  /** Crew names (credits.csv), when present. */
  crew?: string[];
}

/** Item metadata keyed by raw item id. */
export type ItemMetadata = Map<number, ItemInfo>;
