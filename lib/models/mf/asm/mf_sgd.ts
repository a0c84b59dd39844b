// SGD epochs of the sampled-negative MF baselines (lib/models/mf/sgd.ts) in wasm SIMD.
//
// Parameters are f32 rows of `stride` floats (k rounded up to a multiple of 4; the padding
// stays zero because its gradient is zero). Each function runs a whole epoch over example
// records that JavaScript has sampled and shuffled, read sequentially (random reads of ids
// would cost a cache miss each on ML-1M-sized epochs), so the loop never returns to
// JavaScript. Arithmetic is plain f32x4 mul/add (no relaxed fused multiply-add),
// so a seed gives the same numbers on every machine. The scalar part (sigmoid, loss) is f64.
//
// Same update as the JavaScript reference steps `logisticStep` / `bprStep`:
//   θ ← (1 - lr·reg)·θ - lr·g·∂ŷ/∂θ for factors, θ ← θ - lr·(g·∂ŷ/∂θ + reg·θ) for biases.

/** First byte free for the caller's buffers (above this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

@inline
function dot(a: usize, b: usize, bytes: i32): f32 {
  let acc = f32x4.splat(0);
  for (let f = 0; f < bytes; f += 16) {
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + f), v128.load(b + f)));
  }
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
    f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
}

/**
 * One epoch of logistic MF over `count` records of two i32: (user, item) with label 0, or
 * (user, ~item) with label 1. Returns the summed logistic loss (before each step).
 */
export function logisticEpoch(
  stride: i32,
  p: usize,
  q: usize,
  userBias: usize,
  itemBias: usize,
  globalBias: usize,
  biasOn: f32,
  records: usize,
  count: i32,
  lr: f32,
  reg: f32,
): f64 {
  const bytes = stride << 2;
  const shrink = f32x4.splat(<f32>1 - lr * reg);
  const blr = biasOn * lr;
  let loss: f64 = 0;
  for (let t = 0; t < count; t++) {
    const rec = records + (<usize>t << 3);
    const u = load<i32>(rec);
    const v = load<i32>(rec + 4);
    const i = v < 0 ? ~v : v;
    const label: f64 = v < 0 ? 1 : 0;
    const pu = p + <usize>u * <usize>bytes;
    const qi = q + <usize>i * <usize>bytes;
    const ubp = userBias + (<usize>u << 2);
    const ibp = itemBias + (<usize>i << 2);
    const b = load<f32>(globalBias);
    const bu = load<f32>(ubp);
    const bi = load<f32>(ibp);
    const s: f64 = <f64>b + <f64>bu + <f64>bi + <f64>dot(pu, qi, bytes);
    const ex = Math.exp(-Math.abs(s));
    const sig = s >= 0 ? 1 / (1 + ex) : ex / (1 + ex);
    const g = <f32>(sig - label);
    loss += (s > 0 ? s : 0) + Math.log1p(ex) - label * s;
    const step = f32x4.splat(lr * g);
    for (let f = 0; f < bytes; f += 16) {
      const pv = v128.load(pu + f);
      const qv = v128.load(qi + f);
      v128.store(pu + f, f32x4.sub(f32x4.mul(shrink, pv), f32x4.mul(step, qv)));
      v128.store(qi + f, f32x4.sub(f32x4.mul(shrink, qv), f32x4.mul(step, pv)));
    }
    store<f32>(globalBias, b - blr * (g + reg * b));
    store<f32>(ubp, bu - blr * (g + reg * bu));
    store<f32>(ibp, bi - blr * (g + reg * bi));
  }
  return loss;
}

/**
 * One epoch of BPR-MF over `count` records of 2 + neg i32: (user, item, neg sampled items).
 * Returns the summed -ln σ(ŷ_ui - ŷ_uj).
 */
export function bprEpoch(
  stride: i32,
  p: usize,
  q: usize,
  itemBias: usize,
  biasOn: f32,
  records: usize,
  count: i32,
  neg: i32,
  lr: f32,
  reg: f32,
): f64 {
  const bytes = stride << 2;
  const shrink = f32x4.splat(<f32>1 - lr * reg);
  const blr = biasOn * lr;
  let loss: f64 = 0;
  const recBytes = <usize>(2 + neg) << 2;
  for (let t = 0; t < count; t++) {
    const rec = records + <usize>t * recBytes;
    const u = load<i32>(rec);
    const i = load<i32>(rec + 4);
    const pu = p + <usize>u * <usize>bytes;
    const qi = q + <usize>i * <usize>bytes;
    const ibi = itemBias + (<usize>i << 2);
    for (let s = 0; s < neg; s++) {
      const j = load<i32>(rec + (<usize>(2 + s) << 2));
      const qj = q + <usize>j * <usize>bytes;
      const ibj = itemBias + (<usize>j << 2);
      const bi = load<f32>(ibi);
      const bj = load<f32>(ibj);
      let acc = f32x4.splat(0);
      for (let f = 0; f < bytes; f += 16) {
        acc = f32x4.add(
          acc,
          f32x4.mul(v128.load(pu + f), f32x4.sub(v128.load(qi + f), v128.load(qj + f))),
        );
      }
      const x: f64 = <f64>bi - <f64>bj + <f64>(f32x4.extract_lane(acc, 0) +
        f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
      const ex = Math.exp(-Math.abs(x));
      const g = <f32>(x >= 0 ? -ex / (1 + ex) : -1 / (1 + ex));
      loss += (x < 0 ? -x : 0) + Math.log1p(ex);
      const step = f32x4.splat(lr * g);
      for (let f = 0; f < bytes; f += 16) {
        const pv = v128.load(pu + f);
        const qiv = v128.load(qi + f);
        const qjv = v128.load(qj + f);
        v128.store(pu + f, f32x4.sub(f32x4.mul(shrink, pv), f32x4.mul(step, f32x4.sub(qiv, qjv))));
        v128.store(qi + f, f32x4.sub(f32x4.mul(shrink, qiv), f32x4.mul(step, pv)));
        v128.store(qj + f, f32x4.add(f32x4.mul(shrink, qjv), f32x4.mul(step, pv)));
      }
      store<f32>(ibi, bi - blr * (g + reg * bi));
      store<f32>(ibj, bj - blr * (-g + reg * bj));
    }
  }
  return loss;
}
