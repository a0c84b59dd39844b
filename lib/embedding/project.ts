/**
 * Low-dimensional projections of vector tables, for maps of item or user vectors
 * (e.g. item word vectors coloured by genre).
 *
 * {@link pcaProject}: principal component analysis of a row-major table. The covariance
 * matrix (`dim x dim`, float64) is formed once; its leading eigenvectors come from
 * seeded subspace iteration (block power iteration) with a Rayleigh-Ritz step each round,
 * whose small eigenproblem {@link symmetricEigen} solves by cyclic Jacobi rotations. The
 * block carries a few more vectors than requested, so convergence goes with
 * `lambda_(k+extra+1) / lambda_k` rather than with the gap between the kept components.
 *
 * Signs are fixed (the entry of largest magnitude of each component is positive), so the
 * same table gives the same map whatever the seed of the start block.
 *
 * @module
 */
import { ConfigError, DataError, Rng } from "../util/mod.ts";

/** Options of {@link pcaProject}. */
export interface PcaOptions {
  /** Number of components (output dimensions), default 2; at most `dim`. */
  components?: number;
  /**
   * Rows of the table to use (e.g. items that have a trained vector), in output order.
   * Default: every row.
   */
  rows?: ArrayLike<number>;
  /** Seed of the random start block (results do not depend on it beyond `tolerance`). */
  seed?: number;
  /** Upper bound on subspace iterations, default 1000. */
  maxIterations?: number;
  /**
   * Convergence: every kept component's residual `||C v - lambda v||` at most
   * `tolerance * lambda_1`. Default 1e-10.
   */
  tolerance?: number;
}

/** A fitted projection and the projected rows. */
export interface PcaResult {
  /** Projected coordinates, row-major. Shape: [rows.length * nComponents]; row k = rows[k]. */
  coords: Float64Array;
  /** Table rows that were projected, in output order. Shape: [n]. */
  rows: Int32Array;
  /** Number of components. */
  nComponents: number;
  /** Principal axes, unit length, orthogonal. Shape: [nComponents * dim], row = component. */
  components: Float64Array;
  /** Mean of the used rows (subtracted before projecting). Shape: [dim]. */
  mean: Float64Array;
  /** Variance along each component (covariance eigenvalue, divisor n - 1), descending. */
  variances: Float64Array;
  /** Sum of the variances of all `dim` coordinates (the covariance trace). */
  totalVariance: number;
  /** `variances / totalVariance` (0 when the total is 0). */
  explainedRatio: Float64Array;
  /** Subspace iterations done. */
  iterations: number;
  /** Whether the residual test passed within `maxIterations`. */
  converged: boolean;
}

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.
 *
 * @param a symmetric matrix, row-major, shape [m * m]; not modified
 * @param m order of the matrix
 * @returns eigenvalues in descending order and eigenvectors as the *columns* of `vectors`
 *   (row-major [m * m]: `vectors[r * m + c]` is entry r of eigenvector c)
 * @throws DataError when `a` holds a non-finite value
 */
export function symmetricEigen(
  a: ArrayLike<number>,
  m: number,
): { values: Float64Array; vectors: Float64Array } {
  if (!(Number.isInteger(m) && m >= 1) || a.length !== m * m) {
    throw new ConfigError(
      `symmetricEigen: expected an m x m matrix, got m=${m}, ${a.length} values`,
    );
  }
  const s = Float64Array.from(a);
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) throw new DataError(`symmetricEigen: entry ${i} is ${s[i]}`);
  }
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let p = 0; p < m; p++) {
      diag += s[p * m + p] ** 2;
      for (let q = p + 1; q < m; q++) off += s[p * m + q] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = s[p * m + q];
        if (apq === 0) continue;
        const app = s[p * m + p], aqq = s[q * m + q];
        // Rotation angle that zeroes s[p][q] (Golub & Van Loan, sym.schur2).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < m; k++) {
          const skp = s[k * m + p], skq = s[k * m + q];
          s[k * m + p] = c * skp - sn * skq;
          s[k * m + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < m; k++) {
          const spk = s[p * m + k], sqk = s[q * m + k];
          s[p * m + k] = c * spk - sn * sqk;
          s[q * m + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - sn * vkq;
          v[k * m + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) =>
    s[y * m + y] - s[x * m + x] || x - y
  );
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  for (let c = 0; c < m; c++) {
    values[c] = s[order[c] * m + order[c]];
    for (let r = 0; r < m; r++) vectors[r * m + c] = v[r * m + order[c]];
  }
  return { values, vectors };
}

/** Orthonormalises the `b` columns of `q` ([dim * b], row-major) in place (Gram-Schmidt twice). */
function orthonormalize(q: Float64Array, dim: number, b: number, rng: Rng): void {
  for (let c = 0; c < b; c++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let r = 0; r < dim; r++) dot += q[r * b + c] * q[r * b + p];
        for (let r = 0; r < dim; r++) q[r * b + c] -= dot * q[r * b + p];
      }
    }
    let ss = 0;
    for (let r = 0; r < dim; r++) ss += q[r * b + c] ** 2;
    if (ss < 1e-28) {
      // The column fell into the span of the others (rank-deficient data): restart it at
      // random and orthogonalise again; any direction in the null space is as good.
      for (let r = 0; r < dim; r++) q[r * b + c] = rng.normal();
      c--;
      continue;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let r = 0; r < dim; r++) q[r * b + c] *= inv;
  }
}

/**
 * Principal component analysis of the rows of a table: the projection of each (centred)
 * row on the leading eigenvectors of the covariance matrix.
 *
 * @param vectors row-major table, shape [nRows * dim] (e.g. `emb.itemWord`)
 * @param dim floats per row
 * @returns coordinates [rows * components], axes, variances and convergence facts
 * @throws ConfigError for a bad `dim`, `components`, `rows` entry or fewer than 2 rows;
 *   DataError naming the row and column of a non-finite value
 *
 * @example
 * ```ts
 * const rows = [...emb.present.itemWord!.keys()].filter((i) => emb.present.itemWord![i]);
 * const map = pcaProject(emb.itemWord!, emb.dims.itemWord!, { rows, seed: 1 });
 * map.coords; // [x0, y0, x1, y1, ...] for rows[0], rows[1], ...
 * map.explainedRatio; // share of the variance on each axis
 * ```
 */
export function pcaProject(
  vectors: ArrayLike<number>,
  dim: number,
  opts: PcaOptions = {},
): PcaResult {
  if (!(Number.isInteger(dim) && dim >= 1)) {
    throw new ConfigError(`pcaProject: dim must be an integer >= 1, got ${dim}`);
  }
  if (vectors.length % dim !== 0) {
    throw new ConfigError(
      `pcaProject: ${vectors.length} values are not a whole number of rows of dim ${dim}`,
    );
  }
  const nTable = vectors.length / dim;
  const k = opts.components ?? 2;
  if (!(Number.isInteger(k) && k >= 1 && k <= dim)) {
    throw new ConfigError(`pcaProject: components must be an integer in [1, ${dim}], got ${k}`);
  }
  if (opts.rows) {
    for (let j = 0; j < opts.rows.length; j++) {
      const r = opts.rows[j];
      if (!(Number.isInteger(r) && r >= 0 && r < nTable)) {
        throw new ConfigError(`pcaProject: rows[${j}] = ${r} is not a row index in [0, ${nTable})`);
      }
    }
  }
  const rows = opts.rows
    ? Int32Array.from(opts.rows)
    : Int32Array.from({ length: nTable }, (_, i) => i);
  const n = rows.length;
  if (n < 2) throw new ConfigError(`pcaProject: needs at least 2 rows, got ${n}`);
  const maxIterations = opts.maxIterations ?? 1000;
  const tolerance = opts.tolerance ?? 1e-10;

  // Mean and covariance (upper triangle accumulated, then mirrored).
  const mean = new Float64Array(dim);
  for (let j = 0; j < n; j++) {
    const base = rows[j] * dim;
    for (let c = 0; c < dim; c++) {
      const x = vectors[base + c];
      if (!Number.isFinite(x)) {
        throw new DataError(`pcaProject: row ${rows[j]}, column ${c} is ${x}`);
      }
      mean[c] += x;
    }
  }
  for (let c = 0; c < dim; c++) mean[c] /= n;
  const cov = new Float64Array(dim * dim);
  const d = new Float64Array(dim);
  for (let j = 0; j < n; j++) {
    const base = rows[j] * dim;
    for (let c = 0; c < dim; c++) d[c] = vectors[base + c] - mean[c];
    for (let a = 0; a < dim; a++) {
      const da = d[a];
      if (da === 0) continue;
      const row = a * dim;
      for (let b = a; b < dim; b++) cov[row + b] += da * d[b];
    }
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / (n - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
    trace += cov[a * dim + a];
  }

  // Subspace iteration on a block of b >= k columns.
  const b = Math.min(dim, k + 4);
  const rng = Rng.derive(opts.seed ?? 1, "pca", "start");
  const q = new Float64Array(dim * b);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalize(q, dim, b, rng);
  const z = new Float64Array(dim * b);
  const h = new Float64Array(b * b);
  const ritz = new Float64Array(dim * b);
  const cRitz = new Float64Array(dim * b);
  let theta: Float64Array = new Float64Array(b);
  let iterations = 0;
  let converged = false;
  for (;;) {
    // z = C q
    z.fill(0);
    for (let r = 0; r < dim; r++) {
      const crow = r * dim;
      for (let s = 0; s < dim; s++) {
        const crs = cov[crow + s];
        if (crs === 0) continue;
        for (let c = 0; c < b; c++) z[r * b + c] += crs * q[s * b + c];
      }
    }
    // Rayleigh-Ritz: h = q^T z, eigenvectors w; Ritz vectors q w and C q w = z w.
    for (let x = 0; x < b; x++) {
      for (let y = 0; y < b; y++) {
        let s = 0;
        for (let r = 0; r < dim; r++) s += q[r * b + x] * z[r * b + y];
        h[x * b + y] = s;
      }
    }
    for (let x = 0; x < b; x++) {
      for (let y = x + 1; y < b; y++) {
        const avg = (h[x * b + y] + h[y * b + x]) / 2;
        h[x * b + y] = avg;
        h[y * b + x] = avg;
      }
    }
    const eig = symmetricEigen(h, b);
    theta = eig.values;
    const w = eig.vectors;
    ritz.fill(0);
    cRitz.fill(0);
    for (let r = 0; r < dim; r++) {
      for (let c = 0; c < b; c++) {
        let sv = 0, sz = 0;
        for (let x = 0; x < b; x++) {
          sv += q[r * b + x] * w[x * b + c];
          sz += z[r * b + x] * w[x * b + c];
        }
        ritz[r * b + c] = sv;
        cRitz[r * b + c] = sz;
      }
    }
    iterations++;
    const scale = Math.max(Math.abs(theta[0]), Number.MIN_VALUE);
    let worst = 0;
    for (let c = 0; c < k; c++) {
      let ss = 0;
      for (let r = 0; r < dim; r++) ss += (cRitz[r * b + c] - theta[c] * ritz[r * b + c]) ** 2;
      worst = Math.max(worst, Math.sqrt(ss));
    }
    if (worst <= tolerance * scale || theta[0] === 0) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;
    // Next block: the images of the Ritz vectors, orthonormalised.
    q.set(cRitz);
    orthonormalize(q, dim, b, rng);
  }

  const components = new Float64Array(k * dim);
  const variances = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let big = 0;
    for (let r = 0; r < dim; r++) {
      if (Math.abs(ritz[r * b + c]) > Math.abs(big)) big = ritz[r * b + c];
    }
    const sign = big < 0 ? -1 : 1;
    for (let r = 0; r < dim; r++) components[c * dim + r] = sign * ritz[r * b + c];
    variances[c] = Math.max(0, theta[c]);
  }
  const coords = new Float64Array(n * k);
  for (let j = 0; j < n; j++) {
    const base = rows[j] * dim;
    for (let c = 0; c < dim; c++) d[c] = vectors[base + c] - mean[c];
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let r = 0; r < dim; r++) s += d[r] * components[c * dim + r];
      coords[j * k + c] = s;
    }
  }
  const explainedRatio = new Float64Array(k);
  for (let c = 0; c < k; c++) explainedRatio[c] = trace > 0 ? variances[c] / trace : 0;
  return {
    coords,
    rows,
    nComponents: k,
    components,
    mean,
    variances,
    totalVariance: trace,
    explainedRatio,
    iterations,
    converged,
  };
}
