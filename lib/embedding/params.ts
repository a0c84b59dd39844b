/**
 * Doc2Vec hyperparameters, declared once with their gensim names and defaults.
 *
 * Every key maps one-to-one to a gensim 4.2 `Doc2Vec(...)` keyword (camelCase here:
 * `vector_size` -> `vectorSize`, `min_count` -> `minCount`, ...) and has gensim's default,
 * so a config written by someone who knows gensim means the same thing here. Flags that
 * gensim takes as `{1,0}` (`dm`, `dm_mean`, `dm_concat`, `dbow_words`, `hs`) stay 0/1
 * integers. Keys gensim does not have are marked "(not in gensim)".
 *
 * @module
 */
import { bool, ConfigError, defaults, type Infer, int, num, oneOf, validate } from "../util/mod.ts";

/**
 * The Doc2Vec parameter schema (see docs/doc2vec.md for the table side by side with gensim).
 *
 * @example
 * ```ts
 * const p = resolveDoc2VecParams({ dm: 0, dbowWords: 1, minCount: 1 });
 * p.vectorSize; // 100, gensim's default
 * ```
 */
export const doc2vecParamsSchema = {
  dm: int({
    default: 1,
    min: 0,
    max: 1,
    doc: "1: PV-DM (distributed memory), 0: PV-DBOW (distributed bag of words); gensim dm",
  }),
  vectorSize: int({ default: 100, min: 1, doc: "dimensions of word and document vectors" }),
  window: int({
    default: 5,
    min: 1,
    doc: "max distance between the predicted word and a context word",
  }),
  minCount: int({ default: 5, min: 1, doc: "drop words occurring fewer times than this" }),
  sample: num({
    default: 1e-3,
    min: 0,
    doc: "downsampling threshold for frequent words (0 = off; >= 1 = a count threshold)",
  }),
  negative: int({
    default: 5,
    min: 1,
    doc: "noise words drawn per prediction (negative sampling)",
  }),
  nsExponent: num({
    default: 0.75,
    doc: "exponent of the unigram distribution negatives come from",
  }),
  hs: int({
    default: 0,
    min: 0,
    max: 0,
    doc: "hierarchical softmax: not implemented, only 0 (negative sampling) is supported",
  }),
  alpha: num({ default: 0.025, min: 0, exclusiveMin: true, doc: "initial learning rate" }),
  minAlpha: num({
    default: 0.0001,
    min: 0,
    doc: "learning rate reached at the end (linear decay over all epochs)",
  }),
  epochs: int({ default: 10, min: 1, doc: "passes over the corpus" }),
  dmMean: int({
    default: 1,
    min: 0,
    max: 1,
    doc: "PV-DM input: 1 mean, 0 sum of context and document vectors (gensim dm_mean/cbow_mean)",
  }),
  dmConcat: int({
    default: 0,
    min: 0,
    max: 1,
    doc: "PV-DM input: 1 concatenation of document and 2*window word vectors (null-word padded)",
  }),
  dbowWords: int({
    default: 0,
    min: 0,
    max: 1,
    doc: "PV-DBOW: 1 also trains word vectors by skip-gram, interleaved",
  }),
  shrinkWindows: bool({
    default: true,
    doc: "draw the effective window per position uniformly from [1, window] (word2vec)",
  }),
  workers: int({
    default: 3,
    min: 1,
    max: 64,
    doc: "parallel training threads (Hogwild); 1 with a fixed seed is deterministic",
  }),
  seed: int({ default: 1, doc: "seed for initial vectors, subsampling, windows and negatives" }),
  batchWords: int({
    default: 10000,
    min: 1,
    doc: "raw words per job; the learning rate is updated per job (gensim batch_words)",
  }),
  engine: oneOf(["wasm", "js"] as const, {
    default: "wasm",
    doc: "(not in gensim) wasm: SIMD WebAssembly kernel with workers; js: scalar reference",
  }),
};

/** Validated Doc2Vec parameters (every key present). */
export type Doc2VecParams = Infer<typeof doc2vecParamsSchema>;

/** gensim's defaults, as {@link Doc2VecParams}. */
export function defaultDoc2VecParams(): Doc2VecParams {
  return defaults(doc2vecParamsSchema);
}

/**
 * Validates partial parameters and fills gensim's defaults. Unknown keys, wrong types and
 * out-of-range values throw a ConfigError naming `path.key` and the value.
 *
 * @param path key prefix for messages, e.g. "embedding.doc2vec".
 */
export function resolveDoc2VecParams(
  given: Partial<Doc2VecParams> | Record<string, unknown> = {},
  path = "doc2vec",
): Doc2VecParams {
  const p = validate(doc2vecParamsSchema, given as Record<string, unknown>, path);
  if (p.minAlpha > p.alpha) {
    throw new ConfigError(
      `${path}.minAlpha: must not exceed alpha (${p.alpha}), got ${p.minAlpha}`,
    );
  }
  return p;
}

/** Width of the hidden layer: vectorSize, or (1 + 2*window)*vectorSize for PV-DM concat. */
export function layer1Size(p: Doc2VecParams): number {
  return p.dm === 1 && p.dmConcat === 1 ? (1 + 2 * p.window) * p.vectorSize : p.vectorSize;
}

/** Short description of the training mode, e.g. "PV-DM mean", "PV-DBOW+words". */
export function modeName(p: Doc2VecParams): string {
  if (p.dm === 1) return p.dmConcat ? "PV-DM concat" : p.dmMean ? "PV-DM mean" : "PV-DM sum";
  return p.dbowWords ? "PV-DBOW+words" : "PV-DBOW";
}
