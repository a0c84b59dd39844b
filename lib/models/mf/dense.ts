/**
 * Small dense linear algebra on row-major Float64Arrays, enough for the MF baselines:
 * Cholesky factorisation and solves of k x k systems (iALS), orthonormalisation of tall
 * matrices and the symmetric eigendecomposition of a small matrix (randomized SVD).
 * No allocation inside the routines called per user or item.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";

/**
 * Cholesky factorisation `A = L Lᵀ` in place: on return the lower triangle of `a`
 * (row-major n x n) holds `L`; the strict upper triangle is not read or written.
 * @returns false when `A` is not (numerically) positive definite.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
  }
  return true;
}

/**
 * Solves `L Lᵀ x = b` in place (`b` becomes `x`), with `L` the lower triangle written by
 * {@link choleskyInPlace}. `bOffset` lets `b` be a row of a larger array.
 */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array, bOffset = 0) {
  // Forward substitution: L y = b.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[bOffset + i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[bOffset + k];
    b[bOffset + i] = s / l[ri + i];
  }
  // Back substitution: Lᵀ x = y.
  for (let i = n - 1; i >= 0; i--) {
    let s = b[bOffset + i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[bOffset + k];
    b[bOffset + i] = s / l[i * n + i];
  }
}

/**
 * Lower triangle of `XᵀX` for row-major `X` (rows x width) into `out` (width x width,
 * row-major); the upper triangle is mirrored so `out` is the full symmetric Gramian.
 */
export function gramian(x: Float64Array, rows: number, width: number, out: Float64Array) {
  out.fill(0, 0, width * width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let a = 0; a < width; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      const ra = a * width;
      for (let b = 0; b <= a; b++) out[ra + b] += xa * x[o + b];
    }
  }
  for (let a = 0; a < width; a++) {
    for (let b = 0; b < a; b++) out[b * width + a] = out[a * width + b];
  }
}

/**
 * Orthonormalises the columns of a tall row-major matrix `y` (rows x cols, rows >= cols)
 * in place by classical Gram-Schmidt applied twice ("CGS2", as accurate as modified
 * Gram-Schmidt, and each pass reads rows contiguously). A column that is (numerically) in
 * the span of the previous ones is replaced by a random Gaussian direction and
 * orthogonalised again, so the result always has orthonormal columns.
 * @param scratch length >= cols.
 */
export function orthonormalizeColumns(
  y: Float64Array,
  rows: number,
  cols: number,
  rng: Rng,
  scratch: Float64Array = new Float64Array(cols),
) {
  const d = scratch;
  for (let j = 0; j < cols; j++) {
    let before = 0;
    for (let r = 0; r < rows; r++) before += y[r * cols + j] * y[r * cols + j];
    for (let attempt = 0;; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < j; i++) d[i] = 0;
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          const yj = y[o + j];
          for (let i = 0; i < j; i++) d[i] += y[o + i] * yj;
        }
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          let s = 0;
          for (let i = 0; i < j; i++) s += d[i] * y[o + i];
          y[o + j] -= s;
        }
      }
      let norm2 = 0;
      for (let r = 0; r < rows; r++) norm2 += y[r * cols + j] * y[r * cols + j];
      // Lost almost all of its length: the column was dependent on earlier ones.
      if (norm2 > 1e-20 * Math.max(before, 1e-300) && norm2 > 1e-300) {
        const inv = 1 / Math.sqrt(norm2);
        for (let r = 0; r < rows; r++) y[r * cols + j] *= inv;
        break;
      }
      if (attempt >= 3) throw new Error(`orthonormalizeColumns: cannot complete column ${j}`);
      before = 0;
      for (let r = 0; r < rows; r++) {
        const g = rng.normal();
        y[r * cols + j] = g;
        before += g * g;
      }
    }
  }
}

/**
 * Eigendecomposition of a small symmetric matrix by the cyclic Jacobi method:
 * `A = W diag(λ) Wᵀ`, eigenvalues sorted descending, `W`'s columns the eigenvectors.
 * Accurate to machine precision; cost about 10 sweeps of n³ operations.
 * @param a row-major n x n, symmetric; not modified.
 * @returns `values` (shape [n]) and `vectors` (row-major n x n, column c = eigenvector c).
 */
export function symmetricEigen(
  a: Float64Array,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a.subarray(0, n * n));
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += m[p * n + p] * m[p * n + p];
      for (let q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // Rotation angle that zeroes m[p][q] (Golub & Van Loan, Alg. 8.4.1).
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => m[y * n + y] - m[x * n + x]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    values[c] = m[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + c] = v[k * n + src];
  }
  return { values, vectors };
}

/** Fills `out` with independent N(0, std²) samples from `rng`. */
export function fillGaussian(out: Float64Array, rng: Rng, std: number): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
  return out;
}
