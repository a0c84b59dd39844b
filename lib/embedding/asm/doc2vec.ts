// Doc2Vec training kernel (AssemblyScript, compiled by `deno task build:wasm`).
//
// The same algorithm as lib/embedding/kernel_js.ts (gensim 4.2 doc2vec_inner.pyx,
// negative sampling), with 128-bit SIMD dot products and vector updates. Every array
// lives in the imported shared memory at addresses the host lays out; each worker
// instantiates this module on the same memory and trains different documents at the
// same time without locks (Hogwild, as gensim's threads do). Configuration and the
// generator state are wasm globals, private to each instance. No allocation, no data
// segments (a data segment would be re-written into the shared memory by every
// instantiation).

const MAX_EXP: f32 = 6.0;
const MAX_DOCUMENT_LENGTH: i32 = 10000;
const LCG_MUL: u64 = 25214903917;
const LCG_MASK: u64 = 0xffffffffffff;

// Model configuration.
let mode: i32 = 0; // 0 PV-DBOW, 1 PV-DM mean/sum, 2 PV-DM concat
let dim: i32 = 0;
let layer1: i32 = 0;
let window: i32 = 0;
let negative: i32 = 0;
let dmMean: i32 = 1;
let trainWords: i32 = 0;
let shrinkWindows: i32 = 1;
let doSample: i32 = 1;
let nullWord: i32 = -1;
let learnDoctags: i32 = 1;
let learnWords: i32 = 1;
let learnHidden: i32 = 1;

// Arrays (byte addresses in the shared memory).
let wv: usize = 0;
let dv: usize = 0;
let syn1: usize = 0;
let cumTable: usize = 0;
let cumLen: i32 = 0;
let cumLut: usize = 0;
let cumLutShift: u32 = 0;
let sampleInt: usize = 0;
let expTable: usize = 0;
let words: usize = 0;
let offsets: usize = 0;
let tags: usize = 0;
let seeds: usize = 0;

// Scratch private to this instance.
let neu1: usize = 0;
let work: usize = 0;
let idx: usize = 0;
let reduced: usize = 0;
let winIdx: usize = 0;

let nextRandom: u64 = 0;
let diverged: i32 = 0;

/** Sets the model shape and training mode. */
export function configureModel(
  mode_: i32,
  dim_: i32,
  layer1_: i32,
  window_: i32,
  negative_: i32,
  dmMean_: i32,
  trainWords_: i32,
  shrinkWindows_: i32,
  doSample_: i32,
  nullWord_: i32,
): void {
  mode = mode_;
  dim = dim_;
  layer1 = layer1_;
  window = window_;
  negative = negative_;
  dmMean = dmMean_;
  trainWords = trainWords_;
  shrinkWindows = shrinkWindows_;
  doSample = doSample_;
  nullWord = nullWord_;
}

/** Sets the addresses of the weights, tables and corpus. */
export function configureArrays(
  wv_: usize,
  dv_: usize,
  syn1_: usize,
  cumTable_: usize,
  cumLen_: i32,
  cumLut_: usize,
  cumLutShift_: u32,
  sampleInt_: usize,
  expTable_: usize,
  words_: usize,
  offsets_: usize,
  tags_: usize,
  seeds_: usize,
): void {
  wv = wv_;
  dv = dv_;
  syn1 = syn1_;
  cumTable = cumTable_;
  cumLen = cumLen_;
  cumLut = cumLut_;
  cumLutShift = cumLutShift_;
  sampleInt = sampleInt_;
  expTable = expTable_;
  words = words_;
  offsets = offsets_;
  tags = tags_;
  seeds = seeds_;
}

/**
 * Sets this instance's scratch: neu1 and work (layer1 floats each), idx and reduced
 * (10,000 ints each), winIdx (2 * window ints).
 */
export function configureScratch(
  neu1_: usize,
  work_: usize,
  idx_: usize,
  reduced_: usize,
  winIdx_: usize,
): void {
  neu1 = neu1_;
  work = work_;
  idx = idx_;
  reduced = reduced_;
  winIdx = winIdx_;
}

/** What training updates (all 1 for training; inference updates document vectors only). */
export function configureLearning(doctags_: i32, words_: i32, hidden_: i32): void {
  learnDoctags = doctags_;
  learnWords = words_;
  learnHidden = hidden_;
}

@inline function next32(): u32 {
  const out = <u32>(nextRandom >> 16);
  nextRandom = (nextRandom * LCG_MUL + 11) & LCG_MASK;
  return out;
}

@inline function addr(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

@inline function dot(a: usize, b: usize, n: i32): f32 {
  // Four accumulators hide the latency of the fused multiply-adds.
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i: i32 = 0;
  const n16 = n & ~15;
  for (; i < n16; i += 16) {
    const o = <usize>i << 2;
    acc0 = f32x4.relaxed_madd(v128.load(a + o), v128.load(b + o), acc0);
    acc1 = f32x4.relaxed_madd(v128.load(a + o, 16), v128.load(b + o, 16), acc1);
    acc2 = f32x4.relaxed_madd(v128.load(a + o, 32), v128.load(b + o, 32), acc2);
    acc3 = f32x4.relaxed_madd(v128.load(a + o, 48), v128.load(b + o, 48), acc3);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    acc0 = f32x4.relaxed_madd(v128.load(a + o), v128.load(b + o), acc0);
  }
  acc0 = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 1) +
    f32x4.extract_lane(acc0, 2) + f32x4.extract_lane(acc0, 3);
  for (; i < n; i++) s += load<f32>(addr(a, i)) * load<f32>(addr(b, i));
  return s;
}

/** y += a * x */
@inline function axpy(a: f32, x: usize, y: usize, n: i32): void {
  const av = f32x4.splat(a);
  let i: i32 = 0;
  const n4 = n & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.relaxed_madd(av, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) store<f32>(addr(y, i), load<f32>(addr(y, i)) + a * load<f32>(addr(x, i)));
}

/** y += x */
@inline function add(x: usize, y: usize, n: i32): void {
  let i: i32 = 0;
  const n4 = n & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) store<f32>(addr(y, i), load<f32>(addr(y, i)) + load<f32>(addr(x, i)));
}

@inline function scale(p: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  let i: i32 = 0;
  const n4 = n & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(p + o, f32x4.mul(v128.load(p + o), av));
  }
  for (; i < n; i++) store<f32>(addr(p, i), load<f32>(addr(p, i)) * a);
}

@inline function zero(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i: i32 = 0;
  const n4 = n & ~3;
  for (; i < n4; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(addr(p, i), 0);
}

/**
 * One prediction of `word` from the input vector at `l1` (`size` floats): the word with
 * label 1 and `negative` drawn words with label 0. Accumulates the input's error in `work`;
 * updates the output rows when learnHidden.
 */
function negativeStep(l1: usize, size: i32, word: i32, alpha: f32): void {
  const cumMax = load<u32>(addr(cumTable, cumLen - 1));
  for (let d: i32 = 0; d <= negative; d++) {
    let target: i32;
    let label: f32;
    if (d == 0) {
      target = word;
      label = 1.0;
    } else {
      // r mod cumMax; the table always ends at 2^31 - 1, a Mersenne number, for which
      // the remainder needs no division.
      let x: u32;
      if (cumMax == 0x7fffffff) {
        const r = next32();
        x = (r & 0x7fffffff) + (r >>> 31);
        if (x >= 0x7fffffff) x -= 0x7fffffff;
      } else {
        x = next32() % cumMax;
      }
      // bisect_left(cumTable, x) in two steps: the lookup table gives the answer for the
      // start of x's bucket, then a short forward scan (usually none) finds x's.
      let lo = load<i32>(addr(cumLut, <i32>(x >>> cumLutShift)));
      while (load<u32>(addr(cumTable, lo)) < x) lo++;
      target = lo;
      if (target == word) continue;
      label = 0.0;
    }
    const row = syn1 + (<usize>target * <usize>size << 2);
    const f = dot(l1, row, size);
    if (!(f > -MAX_EXP && f < MAX_EXP)) {
      if (f != f) diverged = 1;
      continue;
    }
    const sig = load<f32>(addr(expTable, <i32>((f + MAX_EXP) * <f32>83.0)));
    const g: f32 = (label - sig) * alpha;
    if (learnHidden) {
      // work += g * row; row += g * l1 (row's old value feeds work, as in gensim).
      const gv = f32x4.splat(g);
      let i: i32 = 0;
      const n8 = size & ~7;
      for (; i < n8; i += 8) {
        const o = <usize>i << 2;
        const r0 = v128.load(row + o);
        const r1 = v128.load(row + o, 16);
        v128.store(work + o, f32x4.relaxed_madd(gv, r0, v128.load(work + o)));
        v128.store(work + o, f32x4.relaxed_madd(gv, r1, v128.load(work + o, 16)), 16);
        v128.store(row + o, f32x4.relaxed_madd(gv, v128.load(l1 + o), r0));
        v128.store(row + o, f32x4.relaxed_madd(gv, v128.load(l1 + o, 16), r1), 16);
      }
      const n4 = size & ~3;
      for (; i < n4; i += 4) {
        const o = <usize>i << 2;
        const r = v128.load(row + o);
        v128.store(work + o, f32x4.relaxed_madd(gv, r, v128.load(work + o)));
        v128.store(row + o, f32x4.relaxed_madd(gv, v128.load(l1 + o), r));
      }
      for (; i < size; i++) {
        const r = load<f32>(addr(row, i));
        store<f32>(addr(work, i), load<f32>(addr(work, i)) + g * r);
        store<f32>(addr(row, i), r + g * load<f32>(addr(l1, i)));
      }
    } else {
      axpy(g, row, work, size);
    }
  }
}

/** Subsamples document `d` into idx; returns the kept length. */
function filterDocument(d: i32): i32 {
  const q0 = load<i32>(addr(offsets, d));
  const q1 = load<i32>(addr(offsets, d + 1));
  let n: i32 = 0;
  for (let q = q0; q < q1; q++) {
    const w = load<i32>(addr(words, q));
    if (doSample && load<u32>(addr(sampleInt, w)) < next32()) continue;
    store<i32>(addr(idx, n), w);
    n++;
    if (n == MAX_DOCUMENT_LENGTH) break;
  }
  return n;
}

function drawReduced(n: i32): void {
  const w = <u32>window;
  for (let i: i32 = 0; i < n; i++) {
    store<i32>(addr(reduced, i), shrinkWindows ? <i32>(next32() % w) : 0);
  }
}

function trainDbow(n: i32, tag: i32, alpha: f32): void {
  const tagRow = dv + (<usize>tag * <usize>dim << 2);
  if (trainWords) drawReduced(n);
  for (let i: i32 = 0; i < n; i++) {
    const word = load<i32>(addr(idx, i));
    if (trainWords) {
      const b = load<i32>(addr(reduced, i));
      let j0 = i - window + b;
      if (j0 < 0) j0 = 0;
      let k = i + window + 1 - b;
      if (k > n) k = n;
      for (let j = j0; j < k; j++) {
        if (j == i) continue;
        const ctx = wv + (<usize>load<i32>(addr(idx, j)) * <usize>dim << 2);
        zero(work, dim);
        negativeStep(ctx, dim, word, alpha);
        if (learnWords) add(work, ctx, dim);
      }
    }
    zero(work, dim);
    negativeStep(tagRow, dim, word, alpha);
    if (learnDoctags) add(work, tagRow, dim);
  }
}

function trainDm(n: i32, tag: i32, alpha: f32): void {
  const tagRow = dv + (<usize>tag * <usize>dim << 2);
  drawReduced(n);
  for (let i: i32 = 0; i < n; i++) {
    const b = load<i32>(addr(reduced, i));
    let j0 = i - window + b;
    if (j0 < 0) j0 = 0;
    let k = i + window + 1 - b;
    if (k > n) k = n;
    zero(neu1, dim);
    let count: i32 = 0;
    for (let m = j0; m < k; m++) {
      if (m == i) continue;
      count++;
      add(wv + (<usize>load<i32>(addr(idx, m)) * <usize>dim << 2), neu1, dim);
    }
    count++;
    add(tagRow, neu1, dim);
    const inv: f32 = <f32>1.0 / <f32>count;
    if (dmMean) scale(neu1, inv, dim);
    zero(work, dim);
    negativeStep(neu1, dim, load<i32>(addr(idx, i)), alpha);
    if (!dmMean) scale(work, inv, dim);
    if (learnDoctags) add(work, tagRow, dim);
    if (learnWords) {
      for (let m = j0; m < k; m++) {
        if (m == i) continue;
        add(work, wv + (<usize>load<i32>(addr(idx, m)) * <usize>dim << 2), dim);
      }
    }
  }
}

function trainDmConcat(n: i32, tag: i32, alpha: f32): void {
  const tagRow = dv + (<usize>tag * <usize>dim << 2);
  const rowBytes = <usize>dim << 2;
  const w2 = 2 * window;
  for (let i: i32 = 0; i < n; i++) {
    memory.copy(neu1, tagRow, rowBytes);
    let c: i32 = 0;
    for (let m = i - window; m < i + window + 1; m++) {
      if (m == i) continue;
      store<i32>(addr(winIdx, c), m < 0 || m >= n ? nullWord : load<i32>(addr(idx, m)));
      c++;
    }
    for (let m: i32 = 0; m < w2; m++) {
      const src = wv + (<usize>load<i32>(addr(winIdx, m)) * rowBytes);
      memory.copy(neu1 + <usize>(1 + m) * rowBytes, src, rowBytes);
    }
    zero(work, layer1);
    negativeStep(neu1, layer1, load<i32>(addr(idx, i)), alpha);
    if (learnDoctags) add(work, tagRow, dim);
    if (learnWords) {
      for (let m: i32 = 0; m < w2; m++) {
        const dst = wv + (<usize>load<i32>(addr(winIdx, m)) * rowBytes);
        add(work + <usize>(1 + m) * rowBytes, dst, dim);
      }
    }
  }
}

/**
 * Trains documents `d0 .. d1)` at learning rate `alpha`; each document's generator is
 * seeded from `seeds[d]` (a 48-bit integer stored as float64).
 * @returns 0, or 1 when a NaN score was met (training diverged).
 */
export function trainDocs(d0: i32, d1: i32, alpha: f32): i32 {
  diverged = 0;
  for (let d = d0; d < d1; d++) {
    nextRandom = <u64>load<f64>(seeds + (<usize>d << 3));
    const n = filterDocument(d);
    const tag = load<i32>(addr(tags, d));
    if (mode == 0) trainDbow(n, tag, alpha);
    else if (mode == 1) trainDm(n, tag, alpha);
    else trainDmConcat(n, tag, alpha);
    if (diverged) return 1;
  }
  return 0;
}

/** Count of non-finite values among `n` floats at `p` (divergence check). */
export function countNonFinite(p: usize, n: i32): i32 {
  let bad: i32 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const v = load<f32>(addr(p, i));
    if (v - v != 0) bad++;
  }
  return bad;
}
