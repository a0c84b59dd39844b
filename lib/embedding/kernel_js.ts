/**
 * The Doc2Vec training step in plain TypeScript: the readable reference of the algorithm
 * (gensim 4.2's `doc2vec_inner.pyx`, negative sampling only) and the engine of
 * `inferVector`. The WebAssembly kernel (`asm/doc2vec.ts`) is the same algorithm with
 * SIMD arithmetic; tests check the two against each other.
 *
 * Per document, as gensim does:
 * 1. drop out-of-vocabulary words (done once, before training), then subsample: keep a
 *    word when `sampleInt[w] >= draw` (32-bit draw); at most 10,000 words are kept;
 * 2. per position, a window reduction `b` uniform in [0, window) when `shrinkWindows`;
 * 3. PV-DM (mean/sum): the mean (or sum) of the context words' and the document's vectors
 *    predicts the middle word; the error goes back to all of them (for sum, scaled by
 *    1/count). PV-DM concat: document vector and 2*window word vectors (null word past
 *    the edges) concatenated, fixed window. PV-DBOW: the document vector predicts each
 *    word; with `dbowWords`, skip-gram pairs inside the window are trained first.
 * 4. Each prediction: the true word (label 1) and `negative` words drawn from the
 *    unigram^0.75 table (label 0; a draw equal to the true word is skipped); for a score
 *    `f` outside (-6, 6) nothing is learned, else `g = (label - sigmoid(f)) * alpha` with
 *    gensim's 1000-entry sigmoid table (indexed by `trunc((f + 6) * 83)`).
 *
 * Random numbers inside a document come from gensim's 48-bit linear congruential
 * generator (`x -> x * 25214903917 + 11 mod 2^48`, draws are `x >> 16`), seeded per
 * document and epoch by the caller.
 *
 * @module
 */

/** Longest document gensim trains on (words after subsampling); the rest is ignored. */
export const MAX_DOCUMENT_LENGTH = 10000;

/** Scores outside (-MAX_EXP, MAX_EXP) train nothing. */
export const MAX_EXP = 6;

/** Entries of the sigmoid table. */
export const EXP_TABLE_SIZE = 1000;

/**
 * gensim's sigmoid table, computed in float32 as its C code does:
 * `e = exp((i / 1000 * 2 - 1) * 6); table[i] = e / (e + 1)`. Computed once; do not modify.
 */
export function buildExpTable(): Float32Array {
  if (expTableCache) return expTableCache;
  const t = new Float32Array(EXP_TABLE_SIZE);
  const fr = Math.fround;
  for (let i = 0; i < EXP_TABLE_SIZE; i++) {
    const x = fr(fr(fr(fr(i / EXP_TABLE_SIZE) * 2) - 1) * MAX_EXP);
    const e = fr(Math.exp(x));
    t[i] = fr(e / fr(e + 1));
  }
  expTableCache = t;
  return t;
}

let expTableCache: Float32Array | null = null;

/** Training modes, as numbered in both kernels. */
export const MODE_DBOW = 0;
/** PV-DM with the mean or sum of context vectors. */
export const MODE_DM = 1;
/** PV-DM with concatenated context vectors. */
export const MODE_DM_CONCAT = 2;

/** Everything a kernel reads or writes; arrays may live in shared memory. */
export interface KernelState {
  mode: number;
  /** Vector size. */
  dim: number;
  /** Hidden-layer width (dim, or (1 + 2*window)*dim for concat). */
  layer1: number;
  window: number;
  negative: number;
  /** 1: mean of the PV-DM input, 0: sum. */
  dmMean: number;
  /** PV-DBOW: also train word vectors by skip-gram. */
  trainWords: number;
  shrinkWindows: number;
  /** Subsampling on (sample != 0). */
  doSample: number;
  /** Null word index (concat), else -1. */
  nullWord: number;
  /** Word vectors. Shape: [nWords * dim]. */
  wv: Float32Array;
  /** Document vectors. Shape: [nTags * dim]. */
  dv: Float32Array;
  /** Output weights. Shape: [nWords * layer1]. */
  syn1neg: Float32Array;
  cumTable: Uint32Array;
  sampleInt: Uint32Array;
  expTable: Float32Array;
  /** Vocabulary indices of all documents (out-of-vocabulary words removed). */
  words: Int32Array;
  /** Shape: [nDocs + 1]. */
  offsets: Int32Array;
  /** Shape: [nDocs]. */
  tags: Int32Array;
}

/** What to update: all for training; only the document vector for inference. */
export interface LearnFlags {
  doctags: boolean;
  words: boolean;
  hidden: boolean;
}

const TWO24 = 16777216;
const A_LO = 15525485; // 25214903917 = 1502 * 2^24 + 15525485
const A_HI = 1502;

/**
 * Scalar Doc2Vec trainer on a {@link KernelState}. Holds its own scratch buffers and the
 * 48-bit generator state (as two 24-bit halves, exact in float64 arithmetic).
 */
export class JsKernel {
  readonly s: KernelState;
  #neu1: Float32Array;
  #work: Float32Array;
  #idx = new Int32Array(MAX_DOCUMENT_LENGTH);
  #reduced = new Int32Array(MAX_DOCUMENT_LENGTH);
  #winIdx: Int32Array;
  #hi = 0;
  #lo = 0;
  /** Set when a score was NaN (training diverged). */
  diverged = false;

  constructor(state: KernelState) {
    this.s = state;
    this.#neu1 = new Float32Array(state.layer1);
    this.#work = new Float32Array(state.layer1);
    this.#winIdx = new Int32Array(2 * state.window);
  }

  /** Sets the generator state (a 48-bit integer as a float64). */
  seed(state48: number): void {
    this.#hi = Math.floor(state48 / TWO24) % TWO24;
    this.#lo = state48 % TWO24;
  }

  /** gensim's random_int32: returns `state >> 16` and advances the generator. */
  next32(): number {
    const hi = this.#hi;
    const lo = this.#lo;
    const out = hi * 256 + (lo >>> 16);
    const p0 = lo * A_LO + 11;
    const carry = Math.floor(p0 / TWO24);
    this.#lo = p0 - carry * TWO24;
    this.#hi = (hi * A_LO + lo * A_HI + carry) % TWO24;
    return out;
  }

  /**
   * Subsamples document `d` into the index buffer; returns its kept length. Exposed for
   * tests of the subsampling rule.
   */
  filterDocument(d: number): number {
    const s = this.s;
    const idx = this.#idx;
    let n = 0;
    for (let q = s.offsets[d]; q < s.offsets[d + 1]; q++) {
      const w = s.words[q];
      if (s.doSample && s.sampleInt[w] < this.next32()) continue;
      idx[n++] = w;
      if (n === MAX_DOCUMENT_LENGTH) break;
    }
    return n;
  }

  /** The word indices kept by the last {@link filterDocument}. */
  keptWords(n: number): Int32Array {
    return this.#idx.slice(0, n);
  }

  /**
   * Trains documents `d0 .. d1)` with learning rate `alpha`.
   * @param seeds 48-bit generator seed per document (indexed by document).
   * @returns false when a NaN score was met (the caller reports divergence).
   */
  trainDocs(
    d0: number,
    d1: number,
    alpha: number,
    seeds: Float64Array,
    learn: LearnFlags = { doctags: true, words: true, hidden: true },
  ): boolean {
    const s = this.s;
    const a = Math.fround(alpha);
    for (let d = d0; d < d1; d++) {
      this.seed(seeds[d]);
      const n = this.filterDocument(d);
      const tag = s.tags[d];
      if (s.mode === MODE_DBOW) this.#dbow(n, tag, a, learn);
      else if (s.mode === MODE_DM) this.#dm(n, tag, a, learn);
      else this.#dmConcat(n, tag, a, learn);
      if (this.diverged) return false;
    }
    return true;
  }

  /** A word drawn from the unigram^nsExponent table (gensim: bisect_left on cum_table). */
  drawNegative(): number {
    const cum = this.s.cumTable;
    const x = this.next32() % cum[cum.length - 1];
    let lo = 0;
    let hi = cum.length;
    while (hi > lo) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] >= x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #drawReduced(n: number): void {
    const r = this.#reduced;
    const w = this.s.window;
    if (this.s.shrinkWindows) { for (let i = 0; i < n; i++) r[i] = this.next32() % w; }
    else r.fill(0, 0, n);
  }

  #dbow(n: number, tag: number, alpha: number, learn: LearnFlags): void {
    const s = this.s;
    const idx = this.#idx;
    const dim = s.dim;
    if (s.trainWords) this.#drawReduced(n);
    for (let i = 0; i < n; i++) {
      if (s.trainWords) {
        const b = this.#reduced[i];
        const j0 = Math.max(0, i - s.window + b);
        const k = Math.min(n, i + s.window + 1 - b);
        for (let j = j0; j < k; j++) {
          if (j === i) continue;
          // Skip-gram: the context word j predicts word i.
          this.#work.fill(0, 0, dim);
          this.#negative(s.wv, idx[j] * dim, dim, idx[i], alpha, learn.hidden);
          if (learn.words) addScaled(s.wv, idx[j] * dim, this.#work, 0, 1, dim);
        }
      }
      this.#work.fill(0, 0, dim);
      this.#negative(s.dv, tag * dim, dim, idx[i], alpha, learn.hidden);
      if (learn.doctags) addScaled(s.dv, tag * dim, this.#work, 0, 1, dim);
    }
  }

  #dm(n: number, tag: number, alpha: number, learn: LearnFlags): void {
    const s = this.s;
    const idx = this.#idx;
    const dim = s.dim;
    const neu1 = this.#neu1;
    const work = this.#work;
    this.#drawReduced(n);
    for (let i = 0; i < n; i++) {
      const b = this.#reduced[i];
      const j0 = Math.max(0, i - s.window + b);
      const k = Math.min(n, i + s.window + 1 - b);
      neu1.fill(0);
      let count = 0;
      for (let m = j0; m < k; m++) {
        if (m === i) continue;
        count++;
        addScaled(neu1, 0, s.wv, idx[m] * dim, 1, dim);
      }
      count++;
      addScaled(neu1, 0, s.dv, tag * dim, 1, dim);
      const inv = Math.fround(1 / count);
      if (s.dmMean) { for (let c = 0; c < dim; c++) neu1[c] *= inv; }
      work.fill(0);
      this.#negative(neu1, 0, dim, idx[i], alpha, learn.hidden);
      if (!s.dmMean) { for (let c = 0; c < dim; c++) work[c] *= inv; }
      if (learn.doctags) addScaled(s.dv, tag * dim, work, 0, 1, dim);
      if (learn.words) {
        for (let m = j0; m < k; m++) {
          if (m !== i) addScaled(s.wv, idx[m] * dim, work, 0, 1, dim);
        }
      }
    }
  }

  #dmConcat(n: number, tag: number, alpha: number, learn: LearnFlags): void {
    const s = this.s;
    const idx = this.#idx;
    const dim = s.dim;
    const neu1 = this.#neu1;
    const work = this.#work;
    const win = this.#winIdx;
    const w2 = 2 * s.window;
    for (let i = 0; i < n; i++) {
      neu1.set(s.dv.subarray(tag * dim, tag * dim + dim), 0);
      let c = 0;
      for (let m = i - s.window; m < i + s.window + 1; m++) {
        if (m === i) continue;
        win[c++] = m < 0 || m >= n ? s.nullWord : idx[m];
      }
      for (let m = 0; m < w2; m++) {
        neu1.set(s.wv.subarray(win[m] * dim, win[m] * dim + dim), (1 + m) * dim);
      }
      work.fill(0);
      this.#negative(neu1, 0, s.layer1, idx[i], alpha, learn.hidden);
      if (learn.doctags) addScaled(s.dv, tag * dim, work, 0, 1, dim);
      if (learn.words) {
        for (let m = 0; m < w2; m++) addScaled(s.wv, win[m] * dim, work, (1 + m) * dim, 1, dim);
      }
    }
  }

  /** Negative sampling with the input vector at `l1[off .. off+size)`; error into work. */
  #negative(
    l1: Float32Array,
    off: number,
    size: number,
    word: number,
    alpha: number,
    learnHidden: boolean,
  ): void {
    const s = this.s;
    const syn1 = s.syn1neg;
    const work = this.#work;
    const exp = s.expTable;
    for (let d = 0; d <= s.negative; d++) {
      let target: number;
      let label: number;
      if (d === 0) {
        target = word;
        label = 1;
      } else {
        target = this.drawNegative();
        if (target === word) continue;
        label = 0;
      }
      const row = target * size;
      let f = 0;
      for (let c = 0; c < size; c++) f += l1[off + c] * syn1[row + c];
      f = Math.fround(f);
      if (!(f > -MAX_EXP && f < MAX_EXP)) {
        if (f !== f) this.diverged = true;
        continue;
      }
      const sig = exp[Math.trunc(Math.fround(Math.fround(f + MAX_EXP) * 83))];
      const g = Math.fround((label - sig) * alpha);
      if (learnHidden) {
        for (let c = 0; c < size; c++) {
          const r = syn1[row + c];
          work[c] += g * r;
          syn1[row + c] = r + g * l1[off + c];
        }
      } else {
        for (let c = 0; c < size; c++) work[c] += g * syn1[row + c];
      }
    }
  }
}

/** `dst[d0 ..] += scale * src[s0 ..]` over `n` entries. */
function addScaled(
  dst: Float32Array,
  d0: number,
  src: Float32Array,
  s0: number,
  scale: number,
  n: number,
): void {
  for (let c = 0; c < n; c++) dst[d0 + c] += scale * src[s0 + c];
}
