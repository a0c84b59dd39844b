/**
 * Inverse of a symmetric positive-definite matrix through its Cholesky factor, in place
 * on one row-major Float64Array (EASE needs P = (XᵀX + λI)⁻¹ for 3,706 items: 110 MB).
 *
 * Three blocked phases, each a right-looking loop over column blocks whose bulk is one
 * register-tiled kernel, C ±= X·Yᵀ on contiguous row segments (no strided access):
 *
 * 1. Cholesky G = L Lᵀ (L in the lower triangle).
 * 2. V = L⁻ᵀ (upper triangular), from V[c][i] = -Σ_{c<=k<i} L[i][k] V[c][k] / L[i][i].
 * 3. P = G⁻¹ = L⁻ᵀ L⁻¹ = V Vᵀ, P[a][b] = Σ_{k>=max(a,b)} V[a][k] V[b][k].
 *
 * Storage: L's strict lower triangle and its diagonal (a copy kept in a side array), V in
 * the upper triangle including the diagonal, P accumulated into the strict lower triangle
 * (L is no longer needed) with its diagonal in a side array; finally P is mirrored.
 * Cost: n³/2 multiply-adds (n³/6 per phase), the same as LAPACK's potrf + potri.
 *
 * @module
 */

/** Options of {@link spdInverseInPlace}. */
export interface SpdInverseOptions {
  /** Column block size of the blocked phases (default 96; tests use small blocks). */
  block?: number;
  /** Called after each phase with its name and wall seconds. */
  onPhase?: (phase: "cholesky" | "triangular-inverse" | "product", seconds: number) => void;
}

/** Thrown when the matrix is not (numerically) positive definite. */
export class NotPositiveDefiniteError extends Error {
  override name = "NotPositiveDefiniteError";
}

/**
 * C[(c0+r)·ld + d0 + c] += sign · Σ_{k<kLen} a[(x0+r)·ld + k0 + k] · a[(y0+c)·ld + k0 + k]
 * for r < rows, c < cols: all three matrices live in the one array `a` with row stride
 * `ld`, and the caller guarantees the written rectangle does not overlap the rows read.
 *
 * Register tiles of 4 rows x 2 columns (eight accumulators) keep V8's doubles in registers.
 */
function gemmNT(
  a: Float64Array,
  ld: number,
  c0: number,
  d0: number,
  x0: number,
  y0: number,
  k0: number,
  kLen: number,
  rows: number,
  cols: number,
  sign: number,
): void {
  const rows4 = rows - (rows % 4);
  const cols2 = cols - (cols % 2);
  for (let r = 0; r < rows4; r += 4) {
    const xa = (x0 + r) * ld + k0;
    const xb = xa + ld;
    const xc = xb + ld;
    const xd = xc + ld;
    for (let c = 0; c < cols2; c += 2) {
      const ya = (y0 + c) * ld + k0;
      const yb = ya + ld;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let k = 0; k < kLen; k++) {
        const p = a[ya + k];
        const q = a[yb + k];
        const u0 = a[xa + k];
        const u1 = a[xb + k];
        const u2 = a[xc + k];
        const u3 = a[xd + k];
        s00 += u0 * p;
        s01 += u0 * q;
        s10 += u1 * p;
        s11 += u1 * q;
        s20 += u2 * p;
        s21 += u2 * q;
        s30 += u3 * p;
        s31 += u3 * q;
      }
      let o = (c0 + r) * ld + d0 + c;
      a[o] += sign * s00;
      a[o + 1] += sign * s01;
      o += ld;
      a[o] += sign * s10;
      a[o + 1] += sign * s11;
      o += ld;
      a[o] += sign * s20;
      a[o + 1] += sign * s21;
      o += ld;
      a[o] += sign * s30;
      a[o + 1] += sign * s31;
    }
    for (let c = cols2; c < cols; c++) {
      const ya = (y0 + c) * ld + k0;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < kLen; k++) {
        const p = a[ya + k];
        s0 += a[xa + k] * p;
        s1 += a[xb + k] * p;
        s2 += a[xc + k] * p;
        s3 += a[xd + k] * p;
      }
      const o = (c0 + r) * ld + d0 + c;
      a[o] += sign * s0;
      a[o + ld] += sign * s1;
      a[o + 2 * ld] += sign * s2;
      a[o + 3 * ld] += sign * s3;
    }
  }
  for (let r = rows4; r < rows; r++) {
    const xa = (x0 + r) * ld + k0;
    for (let c = 0; c < cols; c++) {
      const ya = (y0 + c) * ld + k0;
      let s = 0;
      for (let k = 0; k < kLen; k++) s += a[xa + k] * a[ya + k];
      a[(c0 + r) * ld + d0 + c] += sign * s;
    }
  }
}

/** Dot product of a[p .. p+len) and a[q .. q+len). */
function dot(a: Float64Array, p: number, q: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let k = 0;
  for (; k + 1 < len; k += 2) {
    s0 += a[p + k] * a[q + k];
    s1 += a[p + k + 1] * a[q + k + 1];
  }
  if (k < len) s0 += a[p + k] * a[q + k];
  return s0 + s1;
}

/** Columns per pass of the tiled updates, so the Y rows of a pass stay in cache. */
const COL_CHUNK = 192;

/**
 * Lower-triangle update over the square [r0, r1)²: for r0 <= j < i < r1 (and i == j when
 * `diag`), C[i][j] += sign · dot(a[i, k0:k0+kLen], a[j, k0:k0+kLen]), C at the same
 * (i, j). Tiles that straddle the diagonal are done entry by entry, so nothing above it
 * is written.
 */
function syrkLower(
  a: Float64Array,
  ld: number,
  r0: number,
  r1: number,
  k0: number,
  kLen: number,
  sign: number,
  diag: boolean,
): void {
  const TILE = 4;
  for (let cb = r0; cb < r1; cb += COL_CHUNK) {
    const ce = Math.min(r1, cb + COL_CHUNK);
    // Row tiles whose rows are all >= ce lie fully below this column chunk.
    for (let ib = cb; ib < r1; ib += TILE) {
      const ie = Math.min(r1, ib + TILE);
      // Columns [cb, min(ce, ib)) are strictly below the diagonal for every row of the tile.
      const full = Math.min(ce, ib) - cb;
      if (full > 0) gemmNT(a, ld, ib, cb, ib, cb, k0, kLen, ie - ib, full, sign);
      // The triangle of the tile on the diagonal, entry by entry.
      if (ib < ce) {
        for (let i = ib; i < ie; i++) {
          const jEnd = Math.min(ce, diag ? i + 1 : i);
          for (let j = ib; j < jEnd; j++) {
            a[i * ld + j] += sign * dot(a, i * ld + k0, j * ld + k0, kLen);
          }
        }
      }
    }
  }
}

/**
 * Replaces the symmetric positive-definite n x n matrix in `a` (row-major; only the lower
 * triangle is read) by its inverse (full, symmetric).
 *
 * @throws NotPositiveDefiniteError naming the pivot when the matrix is not positive definite
 *
 * @example
 * ```ts
 * const a = Float64Array.from([4, 2, 2, 3]);
 * spdInverseInPlace(a, 2); // a = [0.375, -0.25, -0.25, 0.5]
 * ```
 */
export function spdInverseInPlace(a: Float64Array, n: number, opts: SpdInverseOptions = {}): void {
  if (a.length < n * n) {
    throw new RangeError(`spdInverseInPlace: array has ${a.length} < ${n}² entries`);
  }
  const nb = Math.max(1, Math.floor(opts.block ?? 96));
  let t = performance.now();
  const phaseDone = (name: "cholesky" | "triangular-inverse" | "product") => {
    const now = performance.now();
    opts.onPhase?.(name, (now - t) / 1000);
    t = now;
  };

  // Phase 1: Cholesky, right-looking. After block K the trailing lower triangle holds
  // G - L[:, <ke] L[:, <ke]ᵀ.
  for (let kb = 0; kb < n; kb += nb) {
    const ke = Math.min(n, kb + nb);
    // Diagonal block and panel below it, column by column within the block.
    for (let j = kb; j < ke; j++) {
      const rj = j * n;
      const d = a[rj + j] - dot(a, rj + kb, rj + kb, j - kb);
      if (!(d > 0)) {
        throw new NotPositiveDefiniteError(
          `matrix is not positive definite: pivot ${j} is ${d} (increase the regularisation)`,
        );
      }
      const ljj = Math.sqrt(d);
      a[rj + j] = ljj;
      const inv = 1 / ljj;
      for (let i = j + 1; i < n; i++) {
        const ri = i * n;
        a[ri + j] = (a[ri + j] - dot(a, ri + kb, rj + kb, j - kb)) * inv;
      }
    }
    if (ke < n) syrkLower(a, n, ke, n, kb, ke - kb, -1, true);
  }
  const ldiag = new Float64Array(n);
  for (let i = 0; i < n; i++) ldiag[i] = a[i * n + i];
  phaseDone("cholesky");

  // Phase 2: V = L⁻ᵀ into the upper triangle. V[c][i] first accumulates
  // S = Σ L[i][k] V[c][k] over finished blocks, then is finished when block of i comes.
  for (let i = 0; i < n; i++) for (let c = 0; c < i; c++) a[c * n + i] = 0;
  for (let kb = 0; kb < n; kb += nb) {
    const ke = Math.min(n, kb + nb);
    for (let i = kb; i < ke; i++) {
      const ri = i * n;
      const inv = 1 / ldiag[i];
      for (let c = 0; c < i; c++) {
        const from = c < kb ? kb : c;
        // For c == from the V[c][c] term is the diagonal; it is set below for c < i.
        a[c * n + i] = -(a[c * n + i] + dot(a, ri + from, c * n + from, i - from)) * inv;
      }
      a[ri + i] = inv;
    }
    if (ke < n) {
      // Rows c < kb: full block K. Rows c in K: from c to ke.
      if (kb > 0) gemmNTTransposedOut(a, n, kb, ke, 0, kb, n);
      for (let c = kb; c < ke; c++) {
        const rc = c * n;
        for (let i = ke; i < n; i++) a[rc + i] += dot(a, i * n + c, rc + c, ke - c);
      }
    }
  }
  phaseDone("triangular-inverse");

  // Phase 3: P = V Vᵀ. Strict lower of P into the strict lower triangle, diagonal aside.
  const pdiag = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = 0;
  for (let kb = 0; kb < n; kb += nb) {
    const ke = Math.min(n, kb + nb);
    // a, b < kb: all of block K contributes.
    if (kb > 0) syrkLower(a, n, 0, kb, kb, ke - kb, 1, false);
    for (let r = 0; r < kb; r++) pdiag[r] += dot(a, r * n + kb, r * n + kb, ke - kb);
    // a in K, b <= a: k from a to ke.
    for (let i = kb; i < ke; i++) {
      const ri = i * n;
      for (let j = 0; j < i; j++) a[ri + j] += dot(a, ri + i, j * n + i, ke - i);
      pdiag[i] += dot(a, ri + i, ri + i, ke - i);
    }
  }
  for (let i = 0; i < n; i++) {
    a[i * n + i] = pdiag[i];
    for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  }
  phaseDone("product");
}

/**
 * Phase 2 update for rows c in [0, kb): V[c][i] += Σ_{k in [kb,ke)} V[c][k] L[i][k] for
 * i in [ke, n). Output row c is contiguous in i, so this is the NT kernel with C = V.
 */
function gemmNTTransposedOut(
  a: Float64Array,
  n: number,
  kb: number,
  ke: number,
  c0: number,
  c1: number,
  iEnd: number,
): void {
  for (let ib = ke; ib < iEnd; ib += COL_CHUNK) {
    const ie = Math.min(iEnd, ib + COL_CHUNK);
    gemmNT(a, n, c0, ib, c0, ib, kb, ke - kb, c1 - c0, ie - ib, 1);
  }
}
