// Fused training steps and scoring for the NCF family (GMF, MLP, NeuMF, DSER) in wasm SIMD.
//
// One "plan" (a 1 KiB block in shared memory, written by lib/kernels/ncf_plan.ts) describes
// the network: embedding tables, MLP input segments, dense layers, the fusion head, the
// optimiser and where every buffer lives. Every exported function takes the plan pointer and
// the calling thread's id; all threads run the same function on the same shared memory and
// meet at barriers, so a whole run of batches happens without returning to JavaScript.
//
// Determinism: a batch is cut into fixed chunks of CHUNK samples; each chunk's dense
// gradient goes to its own partial buffer and partials are summed in chunk order, and
// embedding-row gradients are summed in sample order. The result is therefore the same for
// any number of threads.
//
// Keep the offsets below in sync with lib/kernels/ncf_plan.ts.

const P_BATCH: i32 = 0;
const P_CHUNK: i32 = 4;
const P_NTHREADS: i32 = 8;
const P_FUSION: i32 = 12;
const P_F: i32 = 16;
const P_GMF_UT: i32 = 20;
const P_GMF_IT: i32 = 24;
const P_NSEG: i32 = 28;
const P_NLAYERS: i32 = 32;
const P_DENSE: i32 = 36;
const P_NDENSE: i32 = 40;
const P_DGRAD: i32 = 44;
const P_DM: i32 = 48;
const P_DV: i32 = 52;
const P_OPT: i32 = 56;
const P_LAZY: i32 = 60;
const P_STEP: i32 = 64;
const P_LOSSP: i32 = 68;
const P_ACC: i32 = 72;
const P_ACCLEN: i32 = 76;
const P_CTL: i32 = 80;
const P_STATUS: i32 = 84;
const P_SCRATCH: i32 = 88;
const P_SCRSTRIDE: i32 = 92;
const P_NTABLES: i32 = 96;
const P_IN0: i32 = 100;
const P_HEAD_W: i32 = 104;
const P_HEAD_B: i32 = 108;
const P_G_W: i32 = 112;
const P_G_B: i32 = 116;
const P_M_W: i32 = 120;
const P_M_B: i32 = 124;
const P_F_W: i32 = 128;
const P_F_B: i32 = 132;
const P_SCR_P: i32 = 136;
const P_SCR_DP: i32 = 140;
const P_SCR_S: i32 = 144;
const P_NEEDDX0: i32 = 148;
const P_SPIN: i32 = 152;
const P_SCR_A0: i32 = 156;
const P_LAYERS: i32 = 160;
const LAYER_SIZE: i32 = 32;
const L_IN: i32 = 0;
const L_OUT: i32 = 4;
const L_W: i32 = 8;
const L_B: i32 = 12;
const L_AIN: i32 = 16;
const L_AOUT: i32 = 20;
const L_DAIN: i32 = 24;
const L_DAOUT: i32 = 28;
const P_SEGS: i32 = 416;
const SEG_SIZE: i32 = 16;
const S_TABLE: i32 = 0;
const S_DIM: i32 = 4;
const S_OFF: i32 = 8;
const P_TABLES: i32 = 544;
const TABLE_SIZE: i32 = 48;
const T_DATA: i32 = 0;
const T_M: i32 = 4;
const T_V: i32 = 8;
const T_LAST: i32 = 12;
const T_STAMP: i32 = 16;
const T_LINKS: i32 = 20;
const T_GSAMPLE: i32 = 24;
const T_ROWS: i32 = 28;
const T_DIM: i32 = 32;
const T_TRAINABLE: i32 = 36;
const T_SIDE: i32 = 40;
const T_OWNER: i32 = 44;
const P_LR: i32 = 928;
const P_B1: i32 = 936;
const P_B2: i32 = 944;
const P_EPS: i32 = 952;
const P_L2: i32 = 960;

/** Entries of each power table after the catch-up tables (see lib/kernels/ncf.ts). */
const POW_TABLE: i32 = 16384;

const FUSION_GMF: i32 = 0;
const FUSION_MLP: i32 = 1;
const FUSION_HIDDEN: i32 = 2;
const FUSION_SCORE: i32 = 3;

const OPT_ADAM: i32 = 0;
const OPT_SGD: i32 = 1;
const OPT_GRADS: i32 = 2;

/** First free byte after this module's static data (the JS allocator starts above it). */
export function heapBase(): usize {
  return __heap_base;
}

/** Layout version; lib/kernels/ncf_plan.ts refuses a binary with another one. */
export function planVersion(): i32 {
  return 7;
}

@inline function pi(plan: usize, off: i32): i32 {
  return load<i32>(plan + <usize>off);
}

@inline function pf64(plan: usize, off: i32): f64 {
  return load<f64>(plan + <usize>off);
}

@inline function fptr(base: usize, floatOffset: i32): usize {
  return base + (<usize>floatOffset << 2);
}

// ---------------------------------------------------------------------------------------
// Barrier: generation counter, spin first (the other thread is usually microseconds away),
// then sleep on the futex so a descheduled partner does not burn a core.

function barrier(plan: usize): void {
  const n = pi(plan, P_NTHREADS);
  if (n <= 1) return;
  const ctl = <usize>pi(plan, P_CTL);
  const gen = atomic.load<i32>(ctl + 4);
  if (atomic.add<i32>(ctl, 1) == n - 1) {
    atomic.store<i32>(ctl, 0);
    atomic.add<i32>(ctl + 4, 1);
    atomic.notify(ctl + 4, n);
    return;
  }
  const spin = pi(plan, P_SPIN);
  for (let k = 0; k < spin; k++) {
    if (atomic.load<i32>(ctl + 4) != gen) return;
  }
  while (atomic.load<i32>(ctl + 4) == gen) {
    memory.atomic.wait32(ctl + 4, gen, 1000000);
  }
}

// ---------------------------------------------------------------------------------------
// Small vector helpers (SIMD main loop, scalar tail).

@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    acc = f32x4.relaxed_madd(v128.load(a + o), v128.load(b + o), acc);
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
    (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; k < n; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

/** y += alpha * x */
@inline function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    v128.store(y + o, f32x4.relaxed_madd(av, v128.load(x + o), v128.load(y + o)));
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/** y = alpha * x */
@inline function scaleTo(y: usize, alpha: f32, x: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    v128.store(y + o, f32x4.mul(av, v128.load(x + o)));
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(y + o, alpha * load<f32>(x + o));
  }
}

/** y = a * b (element-wise) */
@inline function mulTo(y: usize, a: usize, b: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    v128.store(y + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(y + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

@inline function sigmoid(z: f32): f32 {
  if (z >= 0) return 1 / (1 + Mathf.exp(-z));
  const e = Mathf.exp(z);
  return e / (1 + e);
}

// ---------------------------------------------------------------------------------------
// Dense layer y = relu(b + x W), W stored [nIn][nOut] (the tfjs / Keras kernel layout), so
// the forward pass broadcasts x[i] and accumulates whole rows of W into registers.

function layerForward(W: usize, b: usize, x: usize, y: usize, nIn: i32, nOut: i32): void {
  const zero = f32x4.splat(0);
  const rowBytes = <usize>nOut << 2;
  let o = 0;
  for (; o + 16 <= nOut; o += 16) {
    const ob = <usize>o << 2;
    let a0 = v128.load(b + ob);
    let a1 = v128.load(b + ob, 16);
    let a2 = v128.load(b + ob, 32);
    let a3 = v128.load(b + ob, 48);
    let w = W + ob;
    for (let i = 0; i < nIn; i++) {
      const xi = v128.load32_splat(x + (<usize>i << 2));
      a0 = f32x4.relaxed_madd(xi, v128.load(w), a0);
      a1 = f32x4.relaxed_madd(xi, v128.load(w, 16), a1);
      a2 = f32x4.relaxed_madd(xi, v128.load(w, 32), a2);
      a3 = f32x4.relaxed_madd(xi, v128.load(w, 48), a3);
      w += rowBytes;
    }
    v128.store(y + ob, f32x4.max(a0, zero));
    v128.store(y + ob, f32x4.max(a1, zero), 16);
    v128.store(y + ob, f32x4.max(a2, zero), 32);
    v128.store(y + ob, f32x4.max(a3, zero), 48);
  }
  for (; o + 8 <= nOut; o += 8) {
    const ob = <usize>o << 2;
    let a0 = v128.load(b + ob);
    let a1 = v128.load(b + ob, 16);
    let w = W + ob;
    for (let i = 0; i < nIn; i++) {
      const xi = v128.load32_splat(x + (<usize>i << 2));
      a0 = f32x4.relaxed_madd(xi, v128.load(w), a0);
      a1 = f32x4.relaxed_madd(xi, v128.load(w, 16), a1);
      w += rowBytes;
    }
    v128.store(y + ob, f32x4.max(a0, zero));
    v128.store(y + ob, f32x4.max(a1, zero), 16);
  }
  for (; o + 4 <= nOut; o += 4) {
    const ob = <usize>o << 2;
    let a0 = v128.load(b + ob);
    let w = W + ob;
    for (let i = 0; i < nIn; i++) {
      const xi = v128.load32_splat(x + (<usize>i << 2));
      a0 = f32x4.relaxed_madd(xi, v128.load(w), a0);
      w += rowBytes;
    }
    v128.store(y + ob, f32x4.max(a0, zero));
  }
  for (; o < nOut; o++) {
    const ob = <usize>o << 2;
    let a = load<f32>(b + ob);
    for (let i = 0; i < nIn; i++) {
      a += load<f32>(x + (<usize>i << 2)) * load<f32>(W + ((<usize>i * <usize>nOut) << 2) + ob);
    }
    store<f32>(y + ob, a > 0 ? a : 0);
  }
}

/**
 * Backward through y = relu(b + x W) for one sample. `dy` holds dL/dy on entry and is
 * overwritten with dL/d(pre-activation). Accumulates dW += x^T dpre and db += dpre; when
 * `dx` is non-zero writes dx = W dpre.
 */
function layerBackward(
  W: usize,
  dW: usize,
  db: usize,
  x: usize,
  y: usize,
  dy: usize,
  dx: usize,
  nIn: i32,
  nOut: i32,
): void {
  const zero = f32x4.splat(0);
  // ReLU mask and bias gradient.
  let o = 0;
  for (; o + 4 <= nOut; o += 4) {
    const ob = <usize>o << 2;
    const g = v128.and(v128.load(dy + ob), f32x4.gt(v128.load(y + ob), zero));
    v128.store(dy + ob, g);
    v128.store(db + ob, f32x4.add(v128.load(db + ob), g));
  }
  for (; o < nOut; o++) {
    const ob = <usize>o << 2;
    const g: f32 = load<f32>(y + ob) > 0 ? load<f32>(dy + ob) : 0;
    store<f32>(dy + ob, g);
    store<f32>(db + ob, load<f32>(db + ob) + g);
  }
  const rowBytes = <usize>nOut << 2;
  const vecEnd = nOut & ~3;
  if (nOut == 8 || nOut == 16 || nOut == 32) {
    // Common NCF widths: keep dpre in registers (up to 8 vectors).
    const g0 = v128.load(dy);
    const g1 = v128.load(dy, 16);
    const g2 = nOut >= 16 ? v128.load(dy, 32) : zero;
    const g3 = nOut >= 16 ? v128.load(dy, 48) : zero;
    const g4 = nOut >= 32 ? v128.load(dy, 64) : zero;
    const g5 = nOut >= 32 ? v128.load(dy, 80) : zero;
    const g6 = nOut >= 32 ? v128.load(dy, 96) : zero;
    const g7 = nOut >= 32 ? v128.load(dy, 112) : zero;
    let w = W;
    let gw = dW;
    for (let i = 0; i < nIn; i++) {
      const xi = v128.load32_splat(x + (<usize>i << 2));
      v128.store(gw, f32x4.relaxed_madd(xi, g0, v128.load(gw)));
      v128.store(gw, f32x4.relaxed_madd(xi, g1, v128.load(gw, 16)), 16);
      let acc = f32x4.mul(v128.load(w), g0);
      acc = f32x4.relaxed_madd(v128.load(w, 16), g1, acc);
      if (nOut >= 16) {
        v128.store(gw, f32x4.relaxed_madd(xi, g2, v128.load(gw, 32)), 32);
        v128.store(gw, f32x4.relaxed_madd(xi, g3, v128.load(gw, 48)), 48);
        acc = f32x4.relaxed_madd(v128.load(w, 32), g2, acc);
        acc = f32x4.relaxed_madd(v128.load(w, 48), g3, acc);
      }
      if (nOut >= 32) {
        v128.store(gw, f32x4.relaxed_madd(xi, g4, v128.load(gw, 64)), 64);
        v128.store(gw, f32x4.relaxed_madd(xi, g5, v128.load(gw, 80)), 80);
        v128.store(gw, f32x4.relaxed_madd(xi, g6, v128.load(gw, 96)), 96);
        v128.store(gw, f32x4.relaxed_madd(xi, g7, v128.load(gw, 112)), 112);
        acc = f32x4.relaxed_madd(v128.load(w, 64), g4, acc);
        acc = f32x4.relaxed_madd(v128.load(w, 80), g5, acc);
        acc = f32x4.relaxed_madd(v128.load(w, 96), g6, acc);
        acc = f32x4.relaxed_madd(v128.load(w, 112), g7, acc);
      }
      if (dx != 0) {
        store<f32>(
          dx + (<usize>i << 2),
          f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
            (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3)),
        );
      }
      w += rowBytes;
      gw += rowBytes;
    }
    return;
  }
  let w = W;
  let gw = dW;
  for (let i = 0; i < nIn; i++) {
    const xs = load<f32>(x + (<usize>i << 2));
    const xi = f32x4.splat(xs);
    let acc = zero;
    let k = 0;
    for (; k < vecEnd; k += 4) {
      const kb = <usize>k << 2;
      const g = v128.load(dy + kb);
      v128.store(gw + kb, f32x4.relaxed_madd(xi, g, v128.load(gw + kb)));
      acc = f32x4.relaxed_madd(v128.load(w + kb), g, acc);
    }
    let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
      (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    for (; k < nOut; k++) {
      const kb = <usize>k << 2;
      const g = load<f32>(dy + kb);
      store<f32>(gw + kb, load<f32>(gw + kb) + xs * g);
      s += load<f32>(w + kb) * g;
    }
    if (dx != 0) store<f32>(dx + (<usize>i << 2), s);
    w += rowBytes;
    gw += rowBytes;
  }
}

// ---------------------------------------------------------------------------------------
// Forward and backward of one sample.

@inline function tableBase(plan: usize, t: i32): usize {
  return plan + <usize>(P_TABLES + t * TABLE_SIZE);
}

/** Forward pass of sample (u, i); activations go to the thread's scratch. Returns the logit. */
function forwardSample(plan: usize, scr: usize, u: i32, it: i32): f32 {
  const fusion = pi(plan, P_FUSION);
  const dense = <usize>pi(plan, P_DENSE);
  const f = pi(plan, P_F);
  const p = fptr(scr, pi(plan, P_SCR_P));
  if (f > 0) {
    const ut = tableBase(plan, pi(plan, P_GMF_UT));
    const itb = tableBase(plan, pi(plan, P_GMF_IT));
    const pu = <usize>pi(ut, T_DATA) + ((<usize>u * <usize>f) << 2);
    const qi = <usize>pi(itb, T_DATA) + ((<usize>it * <usize>f) << 2);
    mulTo(p, pu, qi, f);
  }
  const nLayers = pi(plan, P_NLAYERS);
  let aL: usize = 0;
  let hL = 0;
  if (nLayers > 0) {
    const a0 = fptr(scr, pi(plan, P_SCR_A0));
    const nSeg = pi(plan, P_NSEG);
    for (let s = 0; s < nSeg; s++) {
      const sb = plan + <usize>(P_SEGS + s * SEG_SIZE);
      const tb = tableBase(plan, pi(sb, S_TABLE));
      const dim = pi(sb, S_DIM);
      const row = pi(tb, T_SIDE) == 0 ? u : it;
      memory.copy(
        fptr(a0, pi(sb, S_OFF)),
        <usize>pi(tb, T_DATA) + ((<usize>row * <usize>dim) << 2),
        <usize>dim << 2,
      );
    }
    for (let l = 0; l < nLayers; l++) {
      const lb = plan + <usize>(P_LAYERS + l * LAYER_SIZE);
      layerForward(
        fptr(dense, pi(lb, L_W)),
        fptr(dense, pi(lb, L_B)),
        fptr(scr, pi(lb, L_AIN)),
        fptr(scr, pi(lb, L_AOUT)),
        pi(lb, L_IN),
        pi(lb, L_OUT),
      );
    }
    const last = plan + <usize>(P_LAYERS + (nLayers - 1) * LAYER_SIZE);
    aL = fptr(scr, pi(last, L_AOUT));
    hL = pi(last, L_OUT);
  }
  if (fusion == FUSION_GMF) {
    return load<f32>(fptr(dense, pi(plan, P_HEAD_B))) + dot(fptr(dense, pi(plan, P_HEAD_W)), p, f);
  }
  if (fusion == FUSION_MLP) {
    return load<f32>(fptr(dense, pi(plan, P_HEAD_B))) +
      dot(fptr(dense, pi(plan, P_HEAD_W)), aL, hL);
  }
  if (fusion == FUSION_HIDDEN) {
    const hw = fptr(dense, pi(plan, P_HEAD_W));
    return load<f32>(fptr(dense, pi(plan, P_HEAD_B))) + dot(hw, p, f) +
      dot(hw + (<usize>f << 2), aL, hL);
  }
  // Score fusion: each branch its own sigmoid score, then Linear(2, 1).
  const s = fptr(scr, pi(plan, P_SCR_S));
  const s1 = sigmoid(load<f32>(fptr(dense, pi(plan, P_G_B))) + dot(fptr(dense, pi(plan, P_G_W)), p, f));
  const s2 = sigmoid(load<f32>(fptr(dense, pi(plan, P_M_B))) + dot(fptr(dense, pi(plan, P_M_W)), aL, hL));
  store<f32>(s, s1);
  store<f32>(s, s2, 4);
  const fw = fptr(dense, pi(plan, P_F_W));
  return load<f32>(fptr(dense, pi(plan, P_F_B))) + load<f32>(fw) * s1 + load<f32>(fw, 4) * s2;
}

/**
 * Backward pass of the sample last run through forwardSample, given dz = dL/dlogit.
 * Dense gradients accumulate into `grad` (same layout as the dense parameters); embedding
 * gradients are written to row `b` of each trainable table's per-sample gradient buffer.
 */
function backwardSample(
  plan: usize,
  scr: usize,
  grad: usize,
  b: i32,
  u: i32,
  it: i32,
  dz: f32,
): void {
  const fusion = pi(plan, P_FUSION);
  const dense = <usize>pi(plan, P_DENSE);
  const f = pi(plan, P_F);
  const nLayers = pi(plan, P_NLAYERS);
  const p = fptr(scr, pi(plan, P_SCR_P));
  const dp = fptr(scr, pi(plan, P_SCR_DP));
  let aL: usize = 0;
  let daL: usize = 0;
  let hL = 0;
  if (nLayers > 0) {
    const last = plan + <usize>(P_LAYERS + (nLayers - 1) * LAYER_SIZE);
    aL = fptr(scr, pi(last, L_AOUT));
    daL = fptr(scr, pi(last, L_DAOUT));
    hL = pi(last, L_OUT);
  }
  if (fusion == FUSION_GMF) {
    const hw = pi(plan, P_HEAD_W);
    axpy(fptr(grad, hw), dz, p, f);
    const hb = fptr(grad, pi(plan, P_HEAD_B));
    store<f32>(hb, load<f32>(hb) + dz);
    scaleTo(dp, dz, fptr(dense, hw), f);
  } else if (fusion == FUSION_MLP) {
    const hw = pi(plan, P_HEAD_W);
    axpy(fptr(grad, hw), dz, aL, hL);
    const hb = fptr(grad, pi(plan, P_HEAD_B));
    store<f32>(hb, load<f32>(hb) + dz);
    scaleTo(daL, dz, fptr(dense, hw), hL);
  } else if (fusion == FUSION_HIDDEN) {
    const hw = pi(plan, P_HEAD_W);
    axpy(fptr(grad, hw), dz, p, f);
    axpy(fptr(grad, hw + f), dz, aL, hL);
    const hb = fptr(grad, pi(plan, P_HEAD_B));
    store<f32>(hb, load<f32>(hb) + dz);
    scaleTo(dp, dz, fptr(dense, hw), f);
    scaleTo(daL, dz, fptr(dense, hw + f), hL);
  } else {
    const s = fptr(scr, pi(plan, P_SCR_S));
    const s1 = load<f32>(s);
    const s2 = load<f32>(s, 4);
    const fw = pi(plan, P_F_W);
    const gfw = fptr(grad, fw);
    store<f32>(gfw, load<f32>(gfw) + dz * s1);
    store<f32>(gfw, load<f32>(gfw, 4) + dz * s2, 4);
    const gfb = fptr(grad, pi(plan, P_F_B));
    store<f32>(gfb, load<f32>(gfb) + dz);
    const dz1 = dz * load<f32>(fptr(dense, fw)) * s1 * (1 - s1);
    const dz2 = dz * load<f32>(fptr(dense, fw + 1)) * s2 * (1 - s2);
    const gw = pi(plan, P_G_W);
    axpy(fptr(grad, gw), dz1, p, f);
    const ggb = fptr(grad, pi(plan, P_G_B));
    store<f32>(ggb, load<f32>(ggb) + dz1);
    scaleTo(dp, dz1, fptr(dense, gw), f);
    const mw = pi(plan, P_M_W);
    axpy(fptr(grad, mw), dz2, aL, hL);
    const gmb = fptr(grad, pi(plan, P_M_B));
    store<f32>(gmb, load<f32>(gmb) + dz2);
    scaleTo(daL, dz2, fptr(dense, mw), hL);
  }
  if (f > 0) {
    // d(pu * qi): dpu = dp * qi, dqi = dp * pu.
    const ut = tableBase(plan, pi(plan, P_GMF_UT));
    const itb = tableBase(plan, pi(plan, P_GMF_IT));
    const pu = <usize>pi(ut, T_DATA) + ((<usize>u * <usize>f) << 2);
    const qi = <usize>pi(itb, T_DATA) + ((<usize>it * <usize>f) << 2);
    if (pi(ut, T_TRAINABLE) != 0) {
      mulTo(<usize>pi(ut, T_GSAMPLE) + ((<usize>b * <usize>f) << 2), dp, qi, f);
    }
    if (pi(itb, T_TRAINABLE) != 0) {
      mulTo(<usize>pi(itb, T_GSAMPLE) + ((<usize>b * <usize>f) << 2), dp, pu, f);
    }
  }
  if (nLayers > 0) {
    const needDx0 = pi(plan, P_NEEDDX0);
    for (let l = nLayers - 1; l >= 0; l--) {
      const lb = plan + <usize>(P_LAYERS + l * LAYER_SIZE);
      const wOff = pi(lb, L_W);
      layerBackward(
        fptr(dense, wOff),
        fptr(grad, wOff),
        fptr(grad, pi(lb, L_B)),
        fptr(scr, pi(lb, L_AIN)),
        fptr(scr, pi(lb, L_AOUT)),
        fptr(scr, pi(lb, L_DAOUT)),
        l > 0 || needDx0 != 0 ? fptr(scr, pi(lb, L_DAIN)) : 0,
        pi(lb, L_IN),
        pi(lb, L_OUT),
      );
    }
    if (needDx0 != 0) {
      const da0 = fptr(scr, pi(plan + <usize>P_LAYERS, L_DAIN));
      const nSeg = pi(plan, P_NSEG);
      for (let s = 0; s < nSeg; s++) {
        const sb = plan + <usize>(P_SEGS + s * SEG_SIZE);
        const tb = tableBase(plan, pi(sb, S_TABLE));
        if (pi(tb, T_TRAINABLE) == 0) continue;
        const dim = pi(sb, S_DIM);
        memory.copy(
          <usize>pi(tb, T_GSAMPLE) + ((<usize>b * <usize>dim) << 2),
          fptr(da0, pi(sb, S_OFF)),
          <usize>dim << 2,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Optimiser updates.

/** Adam / SGD update of dense parameters [from, to), gradient = sum of chunk partials. */
function updateDense(plan: usize, from: i32, to: i32, nChunks: i32, step: i32): void {
  const nDense = pi(plan, P_NDENSE);
  const params = <usize>pi(plan, P_DENSE);
  const grads = <usize>pi(plan, P_DGRAD);
  const mBuf = <usize>pi(plan, P_DM);
  const vBuf = <usize>pi(plan, P_DV);
  const opt = pi(plan, P_OPT);
  const lr = pf64(plan, P_LR);
  const l2 = <f32>pf64(plan, P_L2);
  const stride = <usize>nDense << 2;
  const b1 = pf64(plan, P_B1);
  const b2 = pf64(plan, P_B2);
  const bc1 = 1 - Math.pow(b1, <f64>step);
  const bc2 = 1 - Math.pow(b2, <f64>step);
  const stepSize = f32x4.splat(<f32>(lr / bc1));
  const invSqrtBc2 = f32x4.splat(<f32>(1 / Math.sqrt(bc2)));
  const eps = f32x4.splat(<f32>pf64(plan, P_EPS));
  const vb1 = f32x4.splat(<f32>b1);
  const vb2 = f32x4.splat(<f32>b2);
  const vb1c = f32x4.splat(<f32>(1 - b1));
  const vb2c = f32x4.splat(<f32>(1 - b2));
  const vl2 = f32x4.splat(l2);
  const vlr = f32x4.splat(<f32>lr);
  // [from, to) are multiples of 4: the dense block is padded to a multiple of 4 floats.
  for (let j = from; j < to; j += 4) {
    const off = <usize>j << 2;
    let g = v128.load(grads + off);
    for (let c = 1; c < nChunks; c++) g = f32x4.add(g, v128.load(grads + <usize>c * stride + off));
    const p = v128.load(params + off);
    if (l2 != 0) g = f32x4.relaxed_madd(vl2, p, g);
    if (opt == OPT_ADAM) {
      const m = f32x4.add(f32x4.mul(vb1, v128.load(mBuf + off)), f32x4.mul(vb1c, g));
      const v = f32x4.add(f32x4.mul(vb2, v128.load(vBuf + off)), f32x4.mul(f32x4.mul(vb2c, g), g));
      v128.store(mBuf + off, m);
      v128.store(vBuf + off, v);
      const denom = f32x4.add(f32x4.mul(f32x4.sqrt(v), invSqrtBc2), eps);
      v128.store(params + off, f32x4.sub(p, f32x4.div(f32x4.mul(stepSize, m), denom)));
    } else if (opt == OPT_SGD) {
      v128.store(params + off, f32x4.sub(p, f32x4.mul(vlr, g)));
    } else {
      v128.store(mBuf + off, g);
    }
  }
}

/**
 * Brings one embedding row's Adam state from its last update to step `target` as if dense
 * Adam had run every step in between with zero gradient (what PyTorch's Adam does to rows a
 * batch did not touch): m and v decay by beta^k and, with r = beta1 / sqrt(beta2),
 * c_s = sqrt(1 - beta2^s) / (1 - beta1^s), e_s,j = sqrt(1 - beta2^s) beta2^(-j/2), the
 * parameter moves by
 *
 *     sum_{j=1..k} lr r^j c_s m / (sqrt(v) + eps e_s,j),     s = last + j.
 *
 * The weights sum_j r^j c_s come from the prefix table A (A[s] = sum_{s'>s} r^(s'-s) c_s'),
 * and the eps factor is replaced by its weighted mean E from the prefix table B
 * (B[s] = sum_{s'>s} (beta1/beta2)^(s'-s) c_s' sqrt(1 - beta2^s')), so catching up costs
 * O(dim) whatever k is. Exact when eps = 0; with eps > 0 the error is second order in the
 * variation of e over the few steps that carry weight (r^j halves every ~7 steps).
 */
@inline function catchUpRow(
  plan: usize,
  data: usize,
  mRow: usize,
  vRow: usize,
  dim: i32,
  last: i32,
  target: i32,
): void {
  const k = target - last;
  if (k <= 0) return;
  const accA = <usize>pi(plan, P_ACC);
  const len = <usize>pi(plan, P_ACCLEN);
  const accB = accA + (len << 3);
  // Powers by k from tables (r^k, q^k, beta1^k, beta2^k for k < POW_TABLE), else computed.
  let rk: f64, qk: f64, b1k: f64, b2k: f64;
  if (k < POW_TABLE) {
    const pw = accB + (len << 3) + (<usize>k << 3);
    rk = load<f64>(pw);
    qk = load<f64>(pw + (<usize>POW_TABLE << 3));
    b1k = load<f64>(pw + (<usize>POW_TABLE << 4));
    b2k = load<f64>(pw + (<usize>POW_TABLE * 24));
  } else {
    const b1 = pf64(plan, P_B1);
    const b2 = pf64(plan, P_B2);
    rk = Math.pow(b1 / Math.sqrt(b2), <f64>k);
    qk = Math.pow(b1 / b2, <f64>k);
    b1k = Math.pow(b1, <f64>k);
    b2k = Math.pow(b2, <f64>k);
  }
  const F = load<f64>(accA + (<usize>last << 3)) - rk * load<f64>(accA + (<usize>target << 3));
  const G = load<f64>(accB + (<usize>last << 3)) - qk * load<f64>(accB + (<usize>target << 3));
  const move = f32x4.splat(<f32>(pf64(plan, P_LR) * F));
  const eps = f32x4.splat(<f32>(pf64(plan, P_EPS) * (G / F)));
  const d1 = f32x4.splat(<f32>b1k);
  const d2 = f32x4.splat(<f32>b2k);
  let e = 0;
  for (; e + 4 <= dim; e += 4) {
    const o = <usize>e << 2;
    const m = v128.load(mRow + o);
    const v = v128.load(vRow + o);
    const denom = f32x4.add(f32x4.sqrt(v), eps);
    v128.store(data + o, f32x4.sub(v128.load(data + o), f32x4.div(f32x4.mul(move, m), denom)));
    v128.store(mRow + o, f32x4.mul(m, d1));
    v128.store(vRow + o, f32x4.mul(v, d2));
  }
  for (; e < dim; e++) {
    const o = <usize>e << 2;
    const m = load<f32>(mRow + o);
    const v = load<f32>(vRow + o);
    store<f32>(
      data + o,
      load<f32>(data + o) -
        f32x4.extract_lane(move, 0) * m / (Mathf.sqrt(v) + f32x4.extract_lane(eps, 0)),
    );
    store<f32>(mRow + o, m * f32x4.extract_lane(d1, 0));
    store<f32>(vRow + o, v * f32x4.extract_lane(d2, 0));
  }
}

/**
 * Dense-Adam catch-up of the rows a batch will read, to step `target`, before its forward
 * pass: dense Adam moves untouched rows every step, so the forward pass must see them moved.
 */
function catchUpBatchRows(plan: usize, t: i32, idx: usize, n: i32, target: i32): void {
  const tb = tableBase(plan, t);
  const dim = pi(tb, T_DIM);
  const rowBytes = <usize>dim << 2;
  const lastBuf = <usize>pi(tb, T_LAST);
  const data = <usize>pi(tb, T_DATA);
  const mBuf = <usize>pi(tb, T_M);
  const vBuf = <usize>pi(tb, T_V);
  for (let b = 0; b < n; b++) {
    const r = load<i32>(idx + (<usize>b << 2));
    const lp = lastBuf + (<usize>r << 2);
    const last = load<i32>(lp);
    if (last >= target) continue;
    const off = <usize>r * rowBytes;
    catchUpRow(plan, data + off, mBuf + off, vBuf + off, dim, last, target);
    store<i32>(lp, target);
  }
}

/** Catches up this thread's tables for the batch starting at sample `start` (see above). */
function catchUpBatch(
  plan: usize,
  tid: i32,
  users: usize,
  items: usize,
  start: i32,
  n: i32,
  target: i32,
): void {
  if (pi(plan, P_OPT) != OPT_ADAM || pi(plan, P_LAZY) != 0) return;
  const nT = pi(plan, P_NTHREADS);
  const nTables = pi(plan, P_NTABLES);
  for (let t = 0; t < nTables; t++) {
    const tb = tableBase(plan, t);
    if (pi(tb, T_TRAINABLE) == 0 || pi(tb, T_OWNER) % nT != tid) continue;
    catchUpBatchRows(plan, t, (pi(tb, T_SIDE) == 0 ? users : items) + (<usize>start << 2), n, target);
  }
}

/**
 * Sums the batch's per-sample gradients per row of table t (in sample order) and updates
 * each touched row once. Rows are linked by sample: first[r] / tail[r] (per row) and
 * next[b] (per sample) in the table's link block, so the sum happens in place in the
 * per-sample gradient of the row's first sample, without a table-sized buffer.
 */
function updateTable(plan: usize, t: i32, idx: usize, n: i32, step: i32): void {
  const tb = tableBase(plan, t);
  const dim = pi(tb, T_DIM);
  const data = <usize>pi(tb, T_DATA);
  const mBuf = <usize>pi(tb, T_M);
  const vBuf = <usize>pi(tb, T_V);
  const lastBuf = <usize>pi(tb, T_LAST);
  const stamp = <usize>pi(tb, T_STAMP);
  const rows = <usize>pi(tb, T_ROWS);
  const first = <usize>pi(tb, T_LINKS);
  const tail = first + (rows << 2);
  const next = tail + (rows << 2);
  const gs = <usize>pi(tb, T_GSAMPLE);
  const rowBytes = <usize>dim << 2;
  for (let b = 0; b < n; b++) {
    const r = load<i32>(idx + (<usize>b << 2));
    const sp = stamp + (<usize>r << 2);
    store<i32>(next + (<usize>b << 2), -1);
    if (load<i32>(sp) != step) {
      store<i32>(sp, step);
      store<i32>(first + (<usize>r << 2), b);
    } else {
      store<i32>(next + (<usize>load<i32>(tail + (<usize>r << 2)) << 2), b);
    }
    store<i32>(tail + (<usize>r << 2), b);
  }
  const opt = pi(plan, P_OPT);
  const lazy = pi(plan, P_LAZY);
  const lr = pf64(plan, P_LR);
  const l2 = <f32>pf64(plan, P_L2);
  const b1 = pf64(plan, P_B1);
  const b2 = pf64(plan, P_B2);
  const bc1 = 1 - Math.pow(b1, <f64>step);
  const bc2 = 1 - Math.pow(b2, <f64>step);
  const stepSize = f32x4.splat(<f32>(lr / bc1));
  const invSqrtBc2 = f32x4.splat(<f32>(1 / Math.sqrt(bc2)));
  const eps = f32x4.splat(<f32>pf64(plan, P_EPS));
  const vb1 = f32x4.splat(<f32>b1);
  const vb2 = f32x4.splat(<f32>b2);
  const vb1c = f32x4.splat(<f32>(1 - b1));
  const vb2c = f32x4.splat(<f32>(1 - b2));
  const vl2 = f32x4.splat(l2);
  const vlr = f32x4.splat(<f32>lr);
  for (let b = 0; b < n; b++) {
    const r = load<i32>(idx + (<usize>b << 2));
    if (load<i32>(first + (<usize>r << 2)) != b) continue; // not the row's first sample
    // The row's gradient: its first sample's plus the later ones, in sample order.
    const g = gs + <usize>b * rowBytes;
    for (let j = load<i32>(next + (<usize>b << 2)); j >= 0; j = load<i32>(next + (<usize>j << 2))) {
      axpy(g, 1, gs + <usize>j * rowBytes, dim);
    }
    const rowOff = <usize>r * rowBytes;
    const p = data + rowOff;
    const m = mBuf + rowOff;
    const v = vBuf + rowOff;
    if (opt == OPT_ADAM) {
      const lp = lastBuf + (<usize>r << 2);
      if (lazy == 0) catchUpRow(plan, p, m, v, dim, load<i32>(lp), step - 1);
      store<i32>(lp, step);
    }
    let e = 0;
    for (; e + 4 <= dim; e += 4) {
      const o = <usize>e << 2;
      let gv = v128.load(g + o);
      const pv = v128.load(p + o);
      if (l2 != 0) gv = f32x4.relaxed_madd(vl2, pv, gv);
      if (opt == OPT_ADAM) {
        const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vb1c, gv));
        const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(f32x4.mul(vb2c, gv), gv));
        v128.store(m + o, mv);
        v128.store(v + o, vv);
        const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), invSqrtBc2), eps);
        v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(stepSize, mv), denom)));
      } else if (opt == OPT_SGD) {
        v128.store(p + o, f32x4.sub(pv, f32x4.mul(vlr, gv)));
      } else {
        v128.store(m + o, gv);
      }
    }
    for (; e < dim; e++) {
      const o = <usize>e << 2;
      let gv = load<f32>(g + o);
      const pv = load<f32>(p + o);
      if (l2 != 0) gv += l2 * pv;
      if (opt == OPT_ADAM) {
        const mv = <f32>b1 * load<f32>(m + o) + <f32>(1 - b1) * gv;
        const vv = <f32>b2 * load<f32>(v + o) + <f32>(1 - b2) * gv * gv;
        store<f32>(m + o, mv);
        store<f32>(v + o, vv);
        const denom = Mathf.sqrt(vv) * f32x4.extract_lane(invSqrtBc2, 0) + f32x4.extract_lane(eps, 0);
        store<f32>(p + o, pv - f32x4.extract_lane(stepSize, 0) * mv / denom);
      } else if (opt == OPT_SGD) {
        store<f32>(p + o, pv - <f32>lr * gv);
      } else {
        store<f32>(m + o, gv);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Exported entry points. Every thread calls the same function with its own `tid`.

/**
 * Trains on batches [firstBatch, firstBatch + nBatches) of the sample arrays
 * (users/items int32, labels float32, `nSamples` long; batch k covers samples
 * [k*B, min((k+1)*B, nSamples))). Adds each batch's summed loss to the f64 at STATUS.
 * Returns -1, or the index of the first batch whose loss was not finite (nothing of that
 * batch is applied).
 */
export function trainBatches(
  plan: usize,
  tid: i32,
  users: usize,
  items: usize,
  labels: usize,
  nSamples: i32,
  firstBatch: i32,
  nBatches: i32,
): i32 {
  const B = pi(plan, P_BATCH);
  const C = pi(plan, P_CHUNK);
  const nT = pi(plan, P_NTHREADS);
  const nDense = pi(plan, P_NDENSE);
  const gradBase = <usize>pi(plan, P_DGRAD);
  const lossP = <usize>pi(plan, P_LOSSP);
  const scr = <usize>pi(plan, P_SCRATCH) + <usize>tid * <usize>pi(plan, P_SCRSTRIDE);
  const status = <usize>pi(plan, P_STATUS);
  const nTables = pi(plan, P_NTABLES);
  const opt = pi(plan, P_OPT);
  // This thread's share of the dense parameters, in whole vectors.
  const nVec = nDense >> 2; // NDENSE is padded to a multiple of 4
  const dFrom = ((nVec * tid) / nT) << 2;
  const dTo = ((nVec * (tid + 1)) / nT) << 2;
  const lastBatch = firstBatch + nBatches;
  const ctl = <usize>pi(plan, P_CTL);
  let ticketBase = 0; // the caller zeroes the ticket counter (ctl + 8) before each call
  // The first batch's rows must be caught up before its forward pass; later batches' rows
  // are caught up at the end of the previous batch's update phase.
  if (opt != OPT_GRADS && firstBatch * B < nSamples) {
    catchUpBatch(plan, tid, users, items, firstBatch * B, min(B, nSamples - firstBatch * B), pi(plan, P_STEP));
    barrier(plan);
  }
  for (let k = firstBatch; k < lastBatch; k++) {
    const start = k * B;
    let n = nSamples - start;
    if (n > B) n = B;
    if (n <= 0) break;
    const nChunks = (n + C - 1) / C;
    const invN: f32 = 1 / <f32>n;
    // Phase A: forward + backward of chunks claimed from a shared ticket counter (a slow or
    // descheduled thread simply claims fewer; sums stay in chunk order, so the result does
    // not depend on who computed what). Each thread's final failed claim also uses a
    // ticket, so every batch consumes exactly nChunks + nT tickets.
    for (;;) {
      const c = atomic.add<i32>(ctl + 8, 1) - ticketBase;
      if (c >= nChunks) break;
      const grad = gradBase + ((<usize>c * <usize>nDense) << 2);
      memory.fill(grad, 0, <usize>nDense << 2);
      let loss: f64 = 0;
      const end = min(n, (c + 1) * C);
      for (let b = c * C; b < end; b++) {
        const s = <usize>(start + b) << 2;
        const u = load<i32>(users + s);
        const it = load<i32>(items + s);
        const y = load<f32>(labels + s);
        const z = forwardSample(plan, scr, u, it);
        // Binary cross-entropy with logits, stable for any z, sharing exp(-|z|) with sigmoid.
        const e = Mathf.exp(z < 0 ? z : -z);
        const prob: f32 = z >= 0 ? 1 / (1 + e) : e / (1 + e);
        loss += <f64>((z > 0 ? z : 0) - z * y) + <f64>Mathf.log1p(e);
        backwardSample(plan, scr, grad, b, u, it, (prob - y) * invN);
      }
      store<f64>(lossP + (<usize>c << 3), loss);
    }
    ticketBase += nChunks + nT;
    barrier(plan);
    // Phase B: every thread sums the loss the same way, so all agree on divergence.
    let batchLoss: f64 = 0;
    for (let c = 0; c < nChunks; c++) batchLoss += load<f64>(lossP + (<usize>c << 3));
    if (!isFinite(batchLoss)) {
      barrier(plan);
      return k;
    }
    const step = opt == OPT_GRADS ? 1 : pi(plan, P_STEP) + 1;
    updateDense(plan, dFrom, dTo, nChunks, step);
    for (let t = 0; t < nTables; t++) {
      const tb = tableBase(plan, t);
      if (pi(tb, T_TRAINABLE) == 0 || pi(tb, T_OWNER) % nT != tid) continue;
      updateTable(plan, t, (pi(tb, T_SIDE) == 0 ? users : items) + (<usize>start << 2), n, step);
    }
    const next = start + B;
    if (opt != OPT_GRADS && k + 1 < lastBatch && next < nSamples) {
      catchUpBatch(plan, tid, users, items, next, min(B, nSamples - next), step);
    }
    barrier(plan);
    // Only thread 0 writes; the others read STEP again after the next batch's first barrier.
    if (tid == 0) {
      store<f64>(status, load<f64>(status) + batchLoss);
      if (opt != OPT_GRADS) store<i32>(plan + <usize>P_STEP, step);
    }
  }
  return -1;
}

/**
 * Applies the pending zero-gradient Adam steps to every row of this thread's tables, so the
 * tables equal what dense Adam would hold after the current step (see catchUpRow).
 */
export function flushTables(plan: usize, tid: i32): void {
  const nT = pi(plan, P_NTHREADS);
  const step = pi(plan, P_STEP);
  if (pi(plan, P_OPT) == OPT_ADAM && pi(plan, P_LAZY) == 0) {
    const nTables = pi(plan, P_NTABLES);
    for (let t = 0; t < nTables; t++) {
      const tb = tableBase(plan, t);
      if (pi(tb, T_TRAINABLE) == 0 || pi(tb, T_OWNER) % nT != tid) continue;
      const dim = pi(tb, T_DIM);
      const rows = pi(tb, T_ROWS);
      const rowBytes = <usize>dim << 2;
      const lastBuf = <usize>pi(tb, T_LAST);
      for (let r = 0; r < rows; r++) {
        const lp = lastBuf + (<usize>r << 2);
        const last = load<i32>(lp);
        if (last >= step) continue;
        const off = <usize>r * rowBytes;
        catchUpRow(
          plan,
          <usize>pi(tb, T_DATA) + off,
          <usize>pi(tb, T_M) + off,
          <usize>pi(tb, T_V) + off,
          dim,
          last,
          step,
        );
        store<i32>(lp, step);
      }
    }
  }
  barrier(plan);
}

/** Pairs per scoring work unit. */
const SCORE_BLOCK: i32 = 256;

/**
 * Logits of pairs [0, n) into out (float32). Threads claim blocks of SCORE_BLOCK pairs from
 * the ticket counter (ctl + 8, zeroed by the caller), so an uneven machine stays busy.
 */
export function scorePairs(
  plan: usize,
  tid: i32,
  users: usize,
  items: usize,
  out: usize,
  n: i32,
): void {
  const scr = <usize>pi(plan, P_SCRATCH) + <usize>tid * <usize>pi(plan, P_SCRSTRIDE);
  const ctl = <usize>pi(plan, P_CTL);
  for (;;) {
    const from = atomic.add<i32>(ctl + 8, 1) * SCORE_BLOCK;
    if (from >= n) break;
    const to = min(n, from + SCORE_BLOCK);
    for (let k = from; k < to; k++) {
      const s = <usize>k << 2;
      store<f32>(out + s, forwardSample(plan, scr, load<i32>(users + s), load<i32>(items + s)));
    }
  }
  barrier(plan);
}
