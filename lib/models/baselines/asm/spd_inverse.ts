// Inverse of a symmetric positive-definite matrix through its Cholesky factor, in wasm SIMD.
//
// The same blocked algorithm as lib/models/baselines/spd_inverse.ts (read that file for the
// derivation); here the kernels use f64x2 lanes. Plain mul + add (no relaxed FMA) keeps the
// result bit-identical on every machine.
//
// Memory (one shared memory imported from JS): the row-major n x n matrix at `a`, and two
// n-vectors of scratch at `ldiag` and `pdiag`. Exports are called in order by
// lib/models/baselines/spd_inverse_wasm.ts: cholesky, triangularInverse, product.

/** Index of the first non-positive pivot of the last `cholesky` call, or -1. */
let failedPivot: i32 = -1;
/** Its value. */
let failedValue: f64 = 0;

/** Column chunk of the tiled updates (as in the TypeScript version). */
const COL_CHUNK: i32 = 192;

// @ts-ignore: decorator
@inline
function at(a: usize, n: i32, i: i32, j: i32): usize {
  return a + ((<usize>i * <usize>n + <usize>j) << 3);
}

/** Dot product of the f64 spans at p and q. */
function dot(p: usize, q: usize, len: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let k: i32 = 0;
  for (; k + 4 <= len; k += 4) {
    const o = <usize>k << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(p + o), v128.load(q + o)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(p + o, 16), v128.load(q + o, 16)));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; k < len; k++) {
    const o = <usize>k << 3;
    r += load<f64>(p + o) * load<f64>(q + o);
  }
  return r;
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * C[(c0+r)][d0+c] += sign * dot(A[x0+r][k0 .. k0+kLen), A[y0+c][k0 .. k0+kLen)) for
 * r < rows, c < cols; 4 x 2 register tiles of f64x2 accumulators.
 */
function gemmNT(
  a: usize,
  n: i32,
  c0: i32,
  d0: i32,
  x0: i32,
  y0: i32,
  k0: i32,
  kLen: i32,
  rows: i32,
  cols: i32,
  sign: f64,
): void {
  const ld = <usize>n << 3;
  const kv = kLen & ~1;
  const rows4 = rows & ~3;
  const cols2 = cols & ~1;
  for (let r: i32 = 0; r < rows4; r += 4) {
    const xa = at(a, n, x0 + r, k0);
    const xb = xa + ld;
    const xc = xb + ld;
    const xd = xc + ld;
    for (let c: i32 = 0; c < cols2; c += 2) {
      const ya = at(a, n, y0 + c, k0);
      const yb = ya + ld;
      let s00 = f64x2.splat(0);
      let s01 = f64x2.splat(0);
      let s10 = f64x2.splat(0);
      let s11 = f64x2.splat(0);
      let s20 = f64x2.splat(0);
      let s21 = f64x2.splat(0);
      let s30 = f64x2.splat(0);
      let s31 = f64x2.splat(0);
      for (let k: i32 = 0; k < kv; k += 2) {
        const o = <usize>k << 3;
        const p = v128.load(ya + o);
        const q = v128.load(yb + o);
        const u0 = v128.load(xa + o);
        const u1 = v128.load(xb + o);
        const u2 = v128.load(xc + o);
        const u3 = v128.load(xd + o);
        s00 = f64x2.add(s00, f64x2.mul(u0, p));
        s01 = f64x2.add(s01, f64x2.mul(u0, q));
        s10 = f64x2.add(s10, f64x2.mul(u1, p));
        s11 = f64x2.add(s11, f64x2.mul(u1, q));
        s20 = f64x2.add(s20, f64x2.mul(u2, p));
        s21 = f64x2.add(s21, f64x2.mul(u2, q));
        s30 = f64x2.add(s30, f64x2.mul(u3, p));
        s31 = f64x2.add(s31, f64x2.mul(u3, q));
      }
      let t00 = hsum(s00);
      let t01 = hsum(s01);
      let t10 = hsum(s10);
      let t11 = hsum(s11);
      let t20 = hsum(s20);
      let t21 = hsum(s21);
      let t30 = hsum(s30);
      let t31 = hsum(s31);
      if (kv < kLen) {
        const o = <usize>kv << 3;
        const p = load<f64>(ya + o);
        const q = load<f64>(yb + o);
        const u0 = load<f64>(xa + o);
        const u1 = load<f64>(xb + o);
        const u2 = load<f64>(xc + o);
        const u3 = load<f64>(xd + o);
        t00 += u0 * p;
        t01 += u0 * q;
        t10 += u1 * p;
        t11 += u1 * q;
        t20 += u2 * p;
        t21 += u2 * q;
        t30 += u3 * p;
        t31 += u3 * q;
      }
      let co = at(a, n, c0 + r, d0 + c);
      store<f64>(co, load<f64>(co) + sign * t00);
      store<f64>(co + 8, load<f64>(co + 8) + sign * t01);
      co += ld;
      store<f64>(co, load<f64>(co) + sign * t10);
      store<f64>(co + 8, load<f64>(co + 8) + sign * t11);
      co += ld;
      store<f64>(co, load<f64>(co) + sign * t20);
      store<f64>(co + 8, load<f64>(co + 8) + sign * t21);
      co += ld;
      store<f64>(co, load<f64>(co) + sign * t30);
      store<f64>(co + 8, load<f64>(co + 8) + sign * t31);
    }
    for (let c: i32 = cols2; c < cols; c++) {
      const y = at(a, n, y0 + c, k0);
      const co = at(a, n, c0 + r, d0 + c);
      store<f64>(co, load<f64>(co) + sign * dot(xa, y, kLen));
      store<f64>(co + ld, load<f64>(co + ld) + sign * dot(xb, y, kLen));
      store<f64>(co + 2 * ld, load<f64>(co + 2 * ld) + sign * dot(xc, y, kLen));
      store<f64>(co + 3 * ld, load<f64>(co + 3 * ld) + sign * dot(xd, y, kLen));
    }
  }
  for (let r: i32 = rows4; r < rows; r++) {
    const x = at(a, n, x0 + r, k0);
    for (let c: i32 = 0; c < cols; c++) {
      const co = at(a, n, c0 + r, d0 + c);
      store<f64>(co, load<f64>(co) + sign * dot(x, at(a, n, y0 + c, k0), kLen));
    }
  }
}

/** Lower-triangle update over [r0, r1)^2 (diagonal included when `diag`). */
function syrkLower(
  a: usize,
  n: i32,
  r0: i32,
  r1: i32,
  k0: i32,
  kLen: i32,
  sign: f64,
  diag: bool,
): void {
  for (let cb = r0; cb < r1; cb += COL_CHUNK) {
    const ce = min(r1, cb + COL_CHUNK);
    for (let ib = cb; ib < r1; ib += 4) {
      const ie = min(r1, ib + 4);
      const full = min(ce, ib) - cb;
      if (full > 0) gemmNT(a, n, ib, cb, ib, cb, k0, kLen, ie - ib, full, sign);
      if (ib < ce) {
        for (let i = ib; i < ie; i++) {
          const jEnd = min(ce, diag ? i + 1 : i);
          for (let j = ib; j < jEnd; j++) {
            const p = at(a, n, i, j);
            store<f64>(p, load<f64>(p) + sign * dot(at(a, n, i, k0), at(a, n, j, k0), kLen));
          }
        }
      }
    }
  }
}

/**
 * Phase 1: G = L Lᵀ in place (lower triangle), blocked right-looking; copies L's diagonal
 * to `ldiag`. Returns -1, or the index of the first non-positive pivot (see
 * `failedPivotValue`).
 */
export function cholesky(a: usize, n: i32, nb: i32, ldiag: usize): i32 {
  failedPivot = -1;
  for (let kb: i32 = 0; kb < n; kb += nb) {
    const ke = min(n, kb + nb);
    for (let j = kb; j < ke; j++) {
      const rj = at(a, n, j, kb);
      const d = load<f64>(at(a, n, j, j)) - dot(rj, rj, j - kb);
      if (!(d > 0)) {
        failedPivot = j;
        failedValue = d;
        return j;
      }
      const ljj = Math.sqrt(d);
      store<f64>(at(a, n, j, j), ljj);
      const inv = 1 / ljj;
      for (let i = j + 1; i < n; i++) {
        const p = at(a, n, i, j);
        store<f64>(p, (load<f64>(p) - dot(at(a, n, i, kb), rj, j - kb)) * inv);
      }
    }
    if (ke < n) syrkLower(a, n, ke, n, kb, ke - kb, -1, true);
  }
  for (let i: i32 = 0; i < n; i++) store<f64>(ldiag + (<usize>i << 3), load<f64>(at(a, n, i, i)));
  return -1;
}

/** Value of the failed pivot of the last `cholesky` call. */
export function failedPivotValue(): f64 {
  return failedValue;
}

/** Phase 2: V = L⁻ᵀ into the upper triangle (diagonal included). */
export function triangularInverse(a: usize, n: i32, nb: i32, ldiag: usize): void {
  for (let i: i32 = 0; i < n; i++) for (let c: i32 = 0; c < i; c++) store<f64>(at(a, n, c, i), 0);
  for (let kb: i32 = 0; kb < n; kb += nb) {
    const ke = min(n, kb + nb);
    for (let i = kb; i < ke; i++) {
      const inv = 1 / load<f64>(ldiag + (<usize>i << 3));
      for (let c: i32 = 0; c < i; c++) {
        const from = c < kb ? kb : c;
        const p = at(a, n, c, i);
        store<f64>(p, -(load<f64>(p) + dot(at(a, n, i, from), at(a, n, c, from), i - from)) * inv);
      }
      store<f64>(at(a, n, i, i), inv);
    }
    if (ke < n) {
      if (kb > 0) {
        for (let ib = ke; ib < n; ib += COL_CHUNK) {
          const ie = min(n, ib + COL_CHUNK);
          gemmNT(a, n, 0, ib, 0, ib, kb, ke - kb, kb, ie - ib, 1);
        }
      }
      for (let c = kb; c < ke; c++) {
        const vc = at(a, n, c, c);
        for (let i = ke; i < n; i++) {
          const p = at(a, n, c, i);
          store<f64>(p, load<f64>(p) + dot(at(a, n, i, c), vc, ke - c));
        }
      }
    }
  }
}

/** Phase 3: P = V Vᵀ, then the full symmetric P in place. */
export function product(a: usize, n: i32, nb: i32, pdiag: usize): void {
  for (let i: i32 = 0; i < n; i++) {
    store<f64>(pdiag + (<usize>i << 3), 0);
    for (let j: i32 = 0; j < i; j++) store<f64>(at(a, n, i, j), 0);
  }
  for (let kb: i32 = 0; kb < n; kb += nb) {
    const ke = min(n, kb + nb);
    if (kb > 0) syrkLower(a, n, 0, kb, kb, ke - kb, 1, false);
    for (let r: i32 = 0; r < kb; r++) {
      const q = pdiag + (<usize>r << 3);
      const v = at(a, n, r, kb);
      store<f64>(q, load<f64>(q) + dot(v, v, ke - kb));
    }
    for (let i = kb; i < ke; i++) {
      const vi = at(a, n, i, i);
      for (let j: i32 = 0; j < i; j++) {
        const p = at(a, n, i, j);
        store<f64>(p, load<f64>(p) + dot(vi, at(a, n, j, i), ke - i));
      }
      const q = pdiag + (<usize>i << 3);
      store<f64>(q, load<f64>(q) + dot(vi, vi, ke - i));
    }
  }
  for (let i: i32 = 0; i < n; i++) {
    store<f64>(at(a, n, i, i), load<f64>(pdiag + (<usize>i << 3)));
    for (let j: i32 = 0; j < i; j++) store<f64>(at(a, n, j, i), load<f64>(at(a, n, i, j)));
  }
}
