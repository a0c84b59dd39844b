// iALS half-sweeps (lib/models/mf/ials.ts, `alsHalfStep` with the Cholesky solver) in wasm
// SIMD, f64 throughout. For every row r of a binary CSR matrix it solves
//   (YᵀY + alpha Σ_{c∈row r} y_c y_cᵀ + λ_r I) x_r = (1 + alpha) Σ_{c∈row r} y_c
// with YᵀY computed once per call (the Gramian trick), the row's part accumulated as dot
// products over its gathered factors (f64x2 over the gathered entries), and a Cholesky
// factorisation of the k x k system. Plain f64x2 mul/add (no relaxed fused multiply-add),
// so results are the same on every machine.

/** First byte free for the caller's buffers (above this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Full symmetric Gramian `g = YᵀY` of `y` (rows x k, row-major). */
function gramian(y: usize, rows: i32, k: i32, g: usize): void {
  const kb = <usize>k << 3;
  memory.fill(g, 0, kb * <usize>k);
  for (let r = 0; r < rows; r++) {
    const yr = y + <usize>r * kb;
    for (let a = 0; a < k; a++) {
      const ya = load<f64>(yr + (<usize>a << 3));
      if (ya == 0) continue;
      const va = f64x2.splat(ya);
      const ga = g + <usize>a * kb;
      let b = 0;
      for (; b + 1 <= a; b += 2) {
        const o = <usize>b << 3;
        v128.store(ga + o, f64x2.add(v128.load(ga + o), f64x2.mul(va, v128.load(yr + o))));
      }
      if (b <= a) {
        const o = <usize>b << 3;
        store<f64>(ga + o, load<f64>(ga + o) + ya * load<f64>(yr + o));
      }
    }
  }
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      store<f64>(g + ((<usize>b * k + a) << 3), load<f64>(g + ((<usize>a * k + b) << 3)));
    }
  }
}

/** Dot product of n f64 at a and b. */
@inline
function dot(a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let p = 0;
  for (; p + 1 < n; p += 2) {
    const o = <usize>p << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(acc);
  if (p < n) s += load<f64>(a + (<usize>p << 3)) * load<f64>(b + (<usize>p << 3));
  return s;
}

/**
 * Solves every row; `x` (nRows x k) is overwritten, `y` (nCols x k) is read.
 * `t` needs maxRowLength * k f64, `g` and `a` k * k f64 each.
 * @returns -1 on success, else the first row whose system is not positive definite.
 */
export function halfStep(
  nRows: i32,
  nCols: i32,
  indptr: usize,
  indices: usize,
  y: usize,
  x: usize,
  k: i32,
  alpha: f64,
  lambda: usize,
  g: usize,
  a: usize,
  t: usize,
): i32 {
  gramian(y, nCols, k, g);
  const kb = <usize>k << 3;
  const posWeight = 1 + alpha;
  for (let r = 0; r < nRows; r++) {
    const lo = load<i32>(indptr + (<usize>r << 2));
    const n = load<i32>(indptr + (<usize>(r + 1) << 2)) - lo;
    const nb = <usize>n << 3;
    // Gather the row's factors transposed: t[f * n + p] = y[indices[lo + p]][f].
    for (let p = 0; p < n; p++) {
      const yo = y + <usize>load<i32>(indices + (<usize>(lo + p) << 2)) * kb;
      for (let f = 0; f < k; f++) {
        store<f64>(t + <usize>f * nb + (<usize>p << 3), load<f64>(yo + (<usize>f << 3)));
      }
    }
    memory.copy(a, g, kb * <usize>k);
    // Lower triangle of alpha·T Tᵀ in 2x2 blocks, f64x2 over the gathered entries.
    const kEven = k & ~1;
    for (let f = 0; f < kEven; f += 2) {
      const f0 = t + <usize>f * nb;
      const f1 = f0 + nb;
      for (let c = 0; c <= f; c += 2) {
        const g0 = t + <usize>c * nb;
        const g1 = g0 + nb;
        let s00 = f64x2.splat(0);
        let s01 = f64x2.splat(0);
        let s10 = f64x2.splat(0);
        let s11 = f64x2.splat(0);
        let p = 0;
        for (; p + 1 < n; p += 2) {
          const o = <usize>p << 3;
          const a0 = v128.load(f0 + o);
          const a1 = v128.load(f1 + o);
          const b0 = v128.load(g0 + o);
          const b1 = v128.load(g1 + o);
          s00 = f64x2.add(s00, f64x2.mul(a0, b0));
          s01 = f64x2.add(s01, f64x2.mul(a0, b1));
          s10 = f64x2.add(s10, f64x2.mul(a1, b0));
          s11 = f64x2.add(s11, f64x2.mul(a1, b1));
        }
        let d00 = hsum(s00);
        let d01 = hsum(s01);
        let d10 = hsum(s10);
        let d11 = hsum(s11);
        if (p < n) {
          const o = <usize>p << 3;
          const a0 = load<f64>(f0 + o);
          const a1 = load<f64>(f1 + o);
          const b0 = load<f64>(g0 + o);
          const b1 = load<f64>(g1 + o);
          d00 += a0 * b0;
          d01 += a0 * b1;
          d10 += a1 * b0;
          d11 += a1 * b1;
        }
        const r0 = a + <usize>f * kb + (<usize>c << 3);
        const r1 = r0 + kb;
        store<f64>(r0, load<f64>(r0) + alpha * d00);
        store<f64>(r0 + 8, load<f64>(r0 + 8) + alpha * d01); // upper when c == f: unread
        store<f64>(r1, load<f64>(r1) + alpha * d10);
        store<f64>(r1 + 8, load<f64>(r1 + 8) + alpha * d11);
      }
    }
    if (kEven != k) {
      const f0 = t + <usize>kEven * nb;
      for (let c = 0; c < k; c++) {
        const o = a + <usize>kEven * kb + (<usize>c << 3);
        store<f64>(o, load<f64>(o) + alpha * dot(f0, t + <usize>c * nb, n));
      }
    }
    // Right-hand side and the diagonal shift.
    const xr = x + <usize>r * kb;
    const lam = load<f64>(lambda + (<usize>r << 3));
    for (let f = 0; f < k; f++) {
      const d = a + <usize>f * kb + (<usize>f << 3);
      store<f64>(d, load<f64>(d) + lam);
      let s: f64 = 0;
      const tf = t + <usize>f * nb;
      for (let p = 0; p < n; p++) s += load<f64>(tf + (<usize>p << 3));
      store<f64>(xr + (<usize>f << 3), posWeight * s);
    }
    // Cholesky in place (lower triangle), as choleskyInPlace in dense.ts.
    for (let j = 0; j < k; j++) {
      const rj = a + <usize>j * kb;
      const d = load<f64>(rj + (<usize>j << 3)) - dot(rj, rj, j);
      if (!(d > 0)) return r;
      const ljj = Math.sqrt(d);
      store<f64>(rj + (<usize>j << 3), ljj);
      const inv = 1 / ljj;
      for (let i = j + 1; i < k; i++) {
        const ri = a + <usize>i * kb;
        store<f64>(ri + (<usize>j << 3), (load<f64>(ri + (<usize>j << 3)) - dot(ri, rj, j)) * inv);
      }
    }
    // L z = b, then Lᵀ x = z.
    for (let i = 0; i < k; i++) {
      const ri = a + <usize>i * kb;
      const v = (load<f64>(xr + (<usize>i << 3)) - dot(ri, xr, i)) / load<f64>(ri + (<usize>i << 3));
      store<f64>(xr + (<usize>i << 3), v);
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = load<f64>(xr + (<usize>i << 3));
      for (let c = i + 1; c < k; c++) {
        s -= load<f64>(a + <usize>c * kb + (<usize>i << 3)) * load<f64>(xr + (<usize>c << 3));
      }
      store<f64>(xr + (<usize>i << 3), s / load<f64>(a + <usize>i * kb + (<usize>i << 3)));
    }
  }
  return -1;
}
