/**
 * Doc2Vec (Le & Mikolov 2014, "Distributed Representations of Sentences and Documents")
 * as gensim 4.2 trains it: PV-DM (mean, sum or concatenation) and PV-DBOW (optionally
 * with interleaved skip-gram word training), negative sampling, frequent-word
 * downsampling, a randomly shrunk window, and a learning rate decaying linearly over all
 * epochs. See docs/doc2vec.md for the parameters side by side with gensim's and the
 * deliberate differences.
 *
 * @module
 */
import {
  ConfigError,
  DivergenceError,
  Progress,
  type ProgressSink,
  Rng,
  SilentSink,
} from "../util/mod.ts";
import { checkCorpus, type Corpus } from "./corpus.ts";
import {
  buildExpTable,
  JsKernel,
  type KernelState,
  MODE_DBOW,
  MODE_DM,
  MODE_DM_CONCAT,
} from "./kernel_js.ts";
import { type Doc2VecParams, layer1Size, modeName, resolveDoc2VecParams } from "./params.ts";
import { inferenceAlphas, planJobs, trainingAlphas } from "./schedule.ts";
import { buildVocabulary, type VocabStats, type Vocabulary, wordIndex } from "./vocab.ts";
import { trainWasm } from "./engine_wasm.ts";

/** Options of a training run besides the parameters. */
export interface TrainOptions {
  /** Where progress goes; default silent (training is short). */
  progress?: ProgressSink;
  /** Label shown in progress lines, e.g. "user documents". */
  label?: string;
}

/** What training measured. */
export interface TrainReport {
  /** "PV-DM mean", "PV-DBOW+words", ... */
  mode: string;
  engine: "wasm" | "js";
  workers: number;
  /** Documents per epoch. */
  docs: number;
  /** Raw words (tokens, before minCount) per epoch. */
  rawWords: number;
  epochs: number;
  /** Jobs per epoch (learning-rate steps). */
  jobsPerEpoch: number;
  /** Wall seconds from corpus to trained model (vocabulary, initialisation, training). */
  seconds: number;
  /** Wall seconds of the training passes alone. */
  trainSeconds: number;
  /** rawWords * epochs / seconds: the figure gensim's logs and the anchor script report. */
  wordsPerSecond: number;
  vocab: VocabStats;
}

/** Shape and values of the trained weights (all plain, non-shared arrays). */
export interface Doc2VecWeights {
  /** Word vectors. Shape: [nWords * vectorSize], row = word index. */
  wv: Float32Array;
  /** Document vectors. Shape: [nTags * vectorSize], row = tag. */
  dv: Float32Array;
  /** Negative-sampling output weights. Shape: [nWords * layer1Size]. */
  syn1neg: Float32Array;
}

/** A query for {@link Doc2Vec.mostSimilar}. */
export interface SimilarityQuery {
  /** Words (space "words") or tags (space "docs") pulling towards. */
  positive?: readonly (string | number)[];
  /** Words or tags pulling away. */
  negative?: readonly (string | number)[];
  /** Raw vectors added to the positive side (length vectorSize). */
  vectors?: readonly Float32Array[];
  /** Which table to search: word vectors or document vectors. Default "words". */
  space?: "words" | "docs";
  /** Results, default 10. */
  topn?: number;
}

/** One similarity result: a word (or tag) and its cosine similarity. */
export interface Similar {
  key: string | number;
  /** Row in the searched table. */
  index: number;
  similarity: number;
}

/**
 * A trained Doc2Vec model.
 *
 * @example
 * ```ts
 * const corpus = corpusFromDocuments([{ words: ["a", "b"], tag: 0 }, { words: ["b"], tag: 1 }]);
 * const model = await Doc2Vec.train(corpus, { minCount: 1, vectorSize: 8, workers: 1 });
 * model.docVector(0); // Float32Array(8)
 * model.inferVector(["a", "b"]);
 * model.mostSimilar({ positive: [0], space: "docs", topn: 1 });
 * ```
 */
export class Doc2Vec {
  readonly params: Doc2VecParams;
  readonly vocab: Vocabulary;
  readonly weights: Doc2VecWeights;
  /** Rows of the document vector table. */
  readonly nTags: number;
  /** Training facts; null for a model loaded from disk. */
  readonly report: TrainReport | null;
  #index: Map<string, number> | null = null;
  #norms: { words?: Float32Array; docs?: Float32Array } = {};

  constructor(
    params: Doc2VecParams,
    vocab: Vocabulary,
    weights: Doc2VecWeights,
    nTags: number,
    report: TrainReport | null = null,
  ) {
    const dim = params.vectorSize;
    if (weights.wv.length !== vocab.words.length * dim) {
      throw new ConfigError(
        `Doc2Vec: word vectors have ${weights.wv.length} values, expected ` +
          `${vocab.words.length} words x ${dim}`,
      );
    }
    if (weights.dv.length !== nTags * dim) {
      throw new ConfigError(
        `Doc2Vec: document vectors have ${weights.dv.length} values, expected ${nTags} x ${dim}`,
      );
    }
    this.params = params;
    this.vocab = vocab;
    this.weights = weights;
    this.nTags = nTags;
    this.report = report;
  }

  /** Vector size. */
  get dim(): number {
    return this.params.vectorSize;
  }

  /** Words in the vocabulary. */
  get nWords(): number {
    return this.vocab.words.length;
  }

  /**
   * Trains a model on a corpus (gensim: `Doc2Vec(documents, **params)`).
   * @throws ConfigError for bad parameters (naming the key) or a vocabulary emptied by
   *   minCount; DataError for an empty corpus or an empty document; DivergenceError when
   *   training produces NaN or infinite weights.
   */
  static async train(
    corpus: Corpus,
    params: Partial<Doc2VecParams> | Record<string, unknown> = {},
    opts: TrainOptions = {},
  ): Promise<Doc2Vec> {
    const t0 = performance.now();
    const p = resolveDoc2VecParams(params);
    checkCorpus(corpus, opts.label ?? "corpus");
    const vocab = buildVocabulary(corpus, {
      minCount: p.minCount,
      sample: p.sample,
      nsExponent: p.nsExponent,
      nullWord: p.dm === 1 && p.dmConcat === 1,
    });
    const nDocs = corpus.tags.length;
    const dim = p.vectorSize;
    const l1 = layer1Size(p);
    const nWords = vocab.words.length;

    // Documents in vocabulary indices, out-of-vocabulary words removed (gensim skips them
    // before windowing, so removing them up front is the same).
    const rawLengths = new Int32Array(nDocs);
    let kept = 0;
    for (let q = 0; q < corpus.words.length; q++) {
      if (vocab.tokenToWord[corpus.words[q]] >= 0) kept++;
    }
    const words = new Int32Array(kept);
    const offsets = new Int32Array(nDocs + 1);
    let o = 0;
    for (let d = 0; d < nDocs; d++) {
      rawLengths[d] = corpus.offsets[d + 1] - corpus.offsets[d];
      for (let q = corpus.offsets[d]; q < corpus.offsets[d + 1]; q++) {
        const w = vocab.tokenToWord[corpus.words[q]];
        if (w >= 0) words[o++] = w;
      }
      offsets[d + 1] = o;
    }
    const plan = planJobs(rawLengths, p.batchWords);
    const alphas = trainingAlphas(plan, p.alpha, p.minAlpha, p.epochs);

    const wv = new Float32Array(nWords * dim);
    const dv = new Float32Array(corpus.nTags * dim);
    initUniform(wv, dim, Rng.derive(p.seed, "doc2vec", "word-vectors"));
    initUniform(dv, dim, Rng.derive(p.seed, "doc2vec", "doc-vectors"));
    const syn1neg = new Float32Array(nWords * l1);

    const state: KernelState = {
      mode: p.dm === 0 ? MODE_DBOW : p.dmConcat ? MODE_DM_CONCAT : MODE_DM,
      dim,
      layer1: l1,
      window: p.window,
      negative: p.negative,
      dmMean: p.dmMean,
      trainWords: p.dm === 0 ? p.dbowWords : 0,
      shrinkWindows: p.shrinkWindows ? 1 : 0,
      doSample: p.sample !== 0 ? 1 : 0,
      nullWord: vocab.nullWord,
      wv,
      dv,
      syn1neg,
      cumTable: vocab.cumTable,
      sampleInt: vocab.sampleInt,
      expTable: buildExpTable(),
      words,
      offsets,
      tags: corpus.tags,
    };
    const rawWords = corpus.words.length;
    const progress = new Progress(`Doc2Vec ${modeName(p)}${opts.label ? ` (${opts.label})` : ""}`, {
      total: rawWords * p.epochs,
      unit: "words",
      sink: opts.progress ?? new SilentSink(),
    });
    const seeds = new Float64Array(nDocs);
    const t1 = performance.now();
    let result: { weights: Doc2VecWeights; workers: number };
    if (p.engine === "js") {
      const kernel = new JsKernel(state);
      for (let e = 0; e < p.epochs; e++) {
        documentSeeds(p.seed, e, seeds);
        for (let j = 0; j < plan.nJobs; j++) {
          const ok = kernel.trainDocs(
            plan.starts[j],
            plan.starts[j + 1],
            alphas[e * plan.nJobs + j],
            seeds,
          );
          if (!ok) throw divergence(e, alphas[e * plan.nJobs + j], "a NaN score");
          progress.tick(wordsIn(corpus, plan.starts[j], plan.starts[j + 1]));
        }
        checkFinite(state, e, alphas[e * plan.nJobs + plan.nJobs - 1]);
      }
      result = { weights: { wv, dv, syn1neg }, workers: 1 };
    } else {
      const { threads, ...weights } = await trainWasm(state, plan, alphas, p, {
        docSeeds: (e, out) => documentSeeds(p.seed, e, out),
        onProgress: (e, fraction) => progress.set(Math.round((e + fraction) * rawWords)),
        onEpoch: (e, w) => checkFinite(w, e, alphas[(e + 1) * plan.nJobs - 1]),
        divergence: (e) => divergence(e, alphas[(e + 1) * plan.nJobs - 1], "a NaN score"),
      });
      result = { weights, workers: threads };
    }
    const t2 = performance.now();
    progress.finish();
    const seconds = (t2 - t0) / 1000;
    const report: TrainReport = {
      mode: modeName(p),
      engine: p.engine,
      workers: result.workers,
      docs: nDocs,
      rawWords,
      epochs: p.epochs,
      jobsPerEpoch: plan.nJobs,
      seconds,
      trainSeconds: (t2 - t1) / 1000,
      wordsPerSecond: (rawWords * p.epochs) / seconds,
      vocab: vocab.stats,
    };
    return new Doc2Vec(p, vocab, result.weights, corpus.nTags, report);
  }

  /** Word index of a word, or undefined when not in the vocabulary. */
  indexOf(word: string): number | undefined {
    this.#index ??= wordIndex(this.vocab);
    return this.#index.get(word);
  }

  /** A word's vector (a view into the weights), or undefined when not in the vocabulary. */
  wordVector(word: string): Float32Array | undefined {
    const i = this.indexOf(word);
    if (i === undefined) return undefined;
    return this.weights.wv.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** A document vector (a view into the weights). @throws RangeError for an unknown tag. */
  docVector(tag: number): Float32Array {
    if (!(Number.isInteger(tag) && tag >= 0 && tag < this.nTags)) {
      throw new RangeError(`Doc2Vec.docVector: tag ${tag} outside [0, ${this.nTags})`);
    }
    return this.weights.dv.subarray(tag * this.dim, (tag + 1) * this.dim);
  }

  /**
   * Infers a vector for a new document with the model frozen (gensim `infer_vector`):
   * a fresh vector, `epochs` passes over the document updating only that vector, the
   * learning rate stepping from `alpha` to `minAlpha`. Unknown words are ignored.
   * Deterministic: the start vector and the random draws are seeded by the model seed
   * and the document's words (gensim seeds from Python's per-process string hash).
   */
  inferVector(
    words: readonly string[],
    opts: { alpha?: number; minAlpha?: number; epochs?: number } = {},
  ): Float32Array {
    const p = this.params;
    const alpha = opts.alpha ?? p.alpha;
    const minAlpha = opts.minAlpha ?? p.minAlpha;
    const epochs = opts.epochs ?? p.epochs;
    if (!(Number.isFinite(alpha) && alpha > 0)) {
      throw new ConfigError(`inferVector: alpha must be a finite number > 0, got ${alpha}`);
    }
    if (!(Number.isInteger(epochs) && epochs >= 1)) {
      throw new ConfigError(`inferVector: epochs must be an integer >= 1, got ${epochs}`);
    }
    const dim = this.dim;
    const ids: number[] = [];
    for (const w of words) {
      const i = this.indexOf(w);
      if (i !== undefined) ids.push(i);
    }
    const h = hashWords(words);
    const vec = new Float32Array(dim);
    const rng = Rng.derive(p.seed, "doc2vec", "infer", h);
    for (let c = 0; c < dim; c++) vec[c] = (rng.float() - 0.5) / dim;
    if (ids.length === 0) return vec;
    const state: KernelState = {
      mode: p.dm === 0 ? MODE_DBOW : p.dmConcat ? MODE_DM_CONCAT : MODE_DM,
      dim,
      layer1: layer1Size(p),
      window: p.window,
      negative: p.negative,
      dmMean: p.dmMean,
      trainWords: 0,
      shrinkWindows: p.shrinkWindows ? 1 : 0,
      doSample: p.sample !== 0 ? 1 : 0,
      nullWord: this.vocab.nullWord,
      wv: this.weights.wv,
      dv: vec,
      syn1neg: this.weights.syn1neg,
      cumTable: this.vocab.cumTable,
      sampleInt: this.vocab.sampleInt,
      expTable: buildExpTable(),
      words: Int32Array.from(ids),
      offsets: Int32Array.of(0, ids.length),
      tags: Int32Array.of(0),
    };
    const kernel = new JsKernel(state);
    const alphas = inferenceAlphas(alpha, minAlpha, epochs);
    const seeds = new Float64Array(1);
    for (let e = 0; e < epochs; e++) {
      seeds[0] = seed48(Rng.derive(p.seed, "doc2vec", "infer", h, e));
      kernel.trainDocs(0, 1, alphas[e], seeds, { doctags: true, words: false, hidden: false });
      if (kernel.diverged) throw new DivergenceError(`inferVector: NaN score in epoch ${e + 1}`);
    }
    return vec;
  }

  /** Unit-length rows of a table (cached). */
  #unit(space: "words" | "docs"): Float32Array {
    const cached = this.#norms[space];
    if (cached) return cached;
    const src = space === "words" ? this.weights.wv : this.weights.dv;
    const out = new Float32Array(src.length);
    const dim = this.dim;
    for (let r = 0; r < src.length / dim; r++) {
      let ss = 0;
      for (let c = 0; c < dim; c++) ss += src[r * dim + c] ** 2;
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let c = 0; c < dim; c++) out[r * dim + c] = src[r * dim + c] * inv;
    }
    this.#norms[space] = out;
    return out;
  }

  /**
   * The rows most cosine-similar to the mean of the unit-length positive vectors minus
   * the negative ones (gensim `most_similar`); the query keys themselves are left out.
   * Words are looked up by text, documents by tag.
   */
  mostSimilar(query: SimilarityQuery): Similar[] {
    const space = query.space ?? "words";
    const topn = query.topn ?? 10;
    const dim = this.dim;
    const unit = this.#unit(space);
    const mean = new Float64Array(dim);
    const exclude = new Set<number>();
    let terms = 0;
    const rowOf = (key: string | number): number => {
      if (space === "words") {
        const i = this.indexOf(String(key));
        if (i === undefined) {
          throw new RangeError(`mostSimilar: word ${JSON.stringify(key)} not in vocabulary`);
        }
        return i;
      }
      const t = Number(key);
      if (!(Number.isInteger(t) && t >= 0 && t < this.nTags)) {
        throw new RangeError(`mostSimilar: tag ${JSON.stringify(key)} outside [0, ${this.nTags})`);
      }
      return t;
    };
    for (const [keys, sign] of [[query.positive ?? [], 1], [query.negative ?? [], -1]] as const) {
      for (const k of keys) {
        const r = rowOf(k);
        exclude.add(r);
        for (let c = 0; c < dim; c++) mean[c] += sign * unit[r * dim + c];
        terms++;
      }
    }
    for (const v of query.vectors ?? []) {
      if (v.length !== dim) {
        throw new RangeError(`mostSimilar: vector of length ${v.length}, expected ${dim}`);
      }
      let ss = 0;
      for (let c = 0; c < dim; c++) ss += v[c] * v[c];
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let c = 0; c < dim; c++) mean[c] += v[c] * inv;
      terms++;
    }
    if (terms === 0) {
      throw new RangeError("mostSimilar: give at least one positive, negative or vector");
    }
    let ss = 0;
    for (let c = 0; c < dim; c++) ss += mean[c] * mean[c];
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    const rows = unit.length / dim;
    const sims = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += unit[r * dim + c] * mean[c];
      sims[r] = s * inv;
    }
    const order: number[] = [];
    for (let r = 0; r < rows; r++) {
      if (exclude.has(r)) continue;
      if (space === "words" && r === this.vocab.nullWord) continue;
      order.push(r);
    }
    order.sort((a, b) => sims[b] - sims[a] || a - b);
    return order.slice(0, topn).map((r) => ({
      key: space === "words" ? this.vocab.words[r] : r,
      index: r,
      similarity: sims[r],
    }));
  }
}

/** Uniform in [-1, 1) / dim, as gensim 4 initialises word and document vectors. */
function initUniform(out: Float32Array, dim: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = (rng.float() * 2 - 1) / dim;
}

/** A 48-bit generator seed drawn from `rng`. */
function seed48(rng: Rng): number {
  return (rng.u32() & 0xffffff) * 16777216 + (rng.u32() & 0xffffff);
}

/**
 * The 48-bit seed of each document's in-kernel generator for one epoch: independent of
 * which worker trains the document, so one worker gives the same numbers every run.
 */
export function documentSeeds(seed: number, epoch: number, out: Float64Array): void {
  const rng = Rng.derive(seed, "doc2vec", "documents", epoch);
  for (let d = 0; d < out.length; d++) out[d] = seed48(rng);
}

function hashWords(words: readonly string[]): number {
  let h = 0x811c9dc5;
  for (const w of words) {
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x20, 0x01000193);
  }
  return h >>> 0;
}

function wordsIn(corpus: Corpus, d0: number, d1: number): number {
  return corpus.offsets[d1] - corpus.offsets[d0];
}

function divergence(epoch: number, alpha: number, what: string): DivergenceError {
  return new DivergenceError(
    `Doc2Vec diverged in epoch ${epoch + 1} (learning rate ${alpha.toPrecision(4)}): ` +
      `${what}; lower alpha`,
  );
}

function checkFinite(
  w: { wv: Float32Array; dv: Float32Array; syn1neg: Float32Array },
  epoch: number,
  alpha: number,
): void {
  for (
    const [name, a] of [["word vectors", w.wv], ["document vectors", w.dv], [
      "output weights",
      w.syn1neg,
    ]] as const
  ) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) throw divergence(epoch, alpha, `${a[i]} in the ${name}`);
    }
  }
}
