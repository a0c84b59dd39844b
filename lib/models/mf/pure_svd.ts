/**
 * PureSVD (Cremonesi, Koren, Turrin, "Performance of recommender algorithms on top-N
 * recommendation tasks", RecSys 2010).
 *
 * The binary user-item training matrix R (users x items) is approximated by its rank-k
 * truncated SVD R ≈ U Σ Vᵀ; a user's scores are `r_u V Vᵀ` (item-item model): with
 * `P = R V` as user factors and `Q = V` as item factors, `score(u, i) = <P[u], Q[i]>`.
 * The SVD is the randomized algorithm of Halko, Martinsson & Tropp (SIAM Review 2011,
 * Alg. 4.4 with 4.3's Gaussian sketch) on the sparse matrix: a seeded Gaussian sketch
 * with oversampling, a few power iterations with re-orthonormalisation, then the exact
 * SVD of the small projected matrix. Dacrema et al. (RecSys 2019) found it the
 * strongest baseline on the NCF ML-1M protocol.
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import { Rng } from "../../util/rng.ts";
import { type Infer, int, validate } from "../../util/schema.ts";
import type { FitContext, FitReport, Recommender } from "../types.ts";
import { fillGaussian, gramian, orthonormalizeColumns, symmetricEigen } from "./dense.ts";
import { DotProductScorer } from "./factors.ts";
import { type Csr, csrTimesDense, nnz, trainingMatrix } from "./sparse.ts";

/** Hyperparameters of {@link PureSVD}. Defaults chosen on ML-100K validation (docs/mf.md). */
export const pureSvdSchema = {
  factors: int({ default: 24, min: 1, doc: "rank k of the truncated SVD" }),
  oversample: int({
    default: 10,
    min: 0,
    doc: "extra sketch columns beyond k (Halko et al.: 5-10 suffice)",
  }),
  powerIterations: int({
    default: 7,
    min: 0,
    doc: "power iterations (each is one R and one Rᵀ product); sharpens a slow spectrum",
  }),
};

/** Validated hyperparameters of {@link PureSVD}. */
export type PureSVDParams = Infer<typeof pureSvdSchema>;

/** Result of {@link randomizedSvd}: the leading singular values and right vectors. */
export interface TruncatedSvd {
  /** Leading singular values, descending. Shape: [rank]. */
  singularValues: Float64Array;
  /** Right singular vectors V, row-major (nCols x rank): column c pairs with value c. */
  rightVectors: Float64Array;
  /** Rank actually computed: min(requested, nRows, nCols). */
  rank: number;
}

/**
 * Leading `rank` singular triplets' values and right vectors of a binary sparse matrix by
 * randomized SVD (Halko et al. 2011): `Y = M Ω` with Gaussian Ω (nCols x l, l = rank +
 * oversample), `powerIterations` rounds of `Q ← orth(M orth(Mᵀ Q))`, then
 * `Bᵀ = Mᵀ Q` and the eigendecomposition of the l x l Gramian `B Bᵀ` gives
 * `Σ` and `V = Bᵀ W Σ⁻¹`. Directions with a zero singular value come back as zero
 * columns of V.
 * @param mT the transpose of `m` (see {@link transposeCsr}).
 */
export function randomizedSvd(
  m: Csr,
  mT: Csr,
  rank: number,
  opts: { oversample: number; powerIterations: number; rng: Rng },
): TruncatedSvd {
  const { nRows, nCols } = m;
  const minDim = Math.min(nRows, nCols);
  const k = Math.min(rank, minDim);
  const l = Math.min(k + opts.oversample, minDim);
  const scratch = new Float64Array(l);
  const omega = fillGaussian(new Float64Array(nCols * l), opts.rng, 1);
  const y = csrTimesDense(m, omega, l, new Float64Array(nRows * l));
  orthonormalizeColumns(y, nRows, l, opts.rng, scratch);
  const z = omega; // reused as the nCols x l buffer
  for (let it = 0; it < opts.powerIterations; it++) {
    csrTimesDense(mT, y, l, z);
    orthonormalizeColumns(z, nCols, l, opts.rng, scratch);
    csrTimesDense(m, z, l, y);
    orthonormalizeColumns(y, nRows, l, opts.rng, scratch);
  }
  const bt = csrTimesDense(mT, y, l, z); // Bᵀ = Mᵀ Q, nCols x l
  const g = new Float64Array(l * l);
  gramian(bt, nCols, l, g);
  const { values, vectors: w } = symmetricEigen(g, l);
  const singularValues = new Float64Array(k);
  const v = new Float64Array(nCols * k);
  const top = Math.sqrt(Math.max(values[0], 0));
  const invSigma = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const s = Math.sqrt(Math.max(values[c], 0));
    singularValues[c] = s;
    // Below round-off of the largest value the direction is noise: leave it at zero.
    invSigma[c] = s > 1e-10 * top && s > 0 ? 1 / s : 0;
  }
  for (let i = 0; i < nCols; i++) {
    const bo = i * l;
    const vo = i * k;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < l; j++) s += bt[bo + j] * w[j * l + c];
      v[vo + c] = s * invSigma[c];
    }
  }
  return { singularValues, rightVectors: v, rank: k };
}

/**
 * PureSVD: scores `r_u V Vᵀ` from the rank-k randomized SVD of the binary training matrix.
 *
 * @example
 * ```ts
 * const model = new PureSVD({ factors: 32 });
 * await model.fit(split, { seed: 1 });
 * const scores = model.scoreAll(Int32Array.of(0, 1)); // 2 x nItems
 * ```
 */
export class PureSVD extends DotProductScorer implements Recommender {
  readonly name = "PureSVD";
  readonly params: PureSVDParams;
  /** Leading singular values of the training matrix, after fit. */
  singularValues: Float64Array | null = null;

  /** @param params hyperparameters; unknown keys and bad values throw a ConfigError. */
  constructor(params: Partial<PureSVDParams> = {}) {
    super();
    this.params = validate(pureSvdSchema, params, "PureSVD");
  }

  fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    ctx.signal?.throwIfAborted();
    const { factors, oversample, powerIterations } = this.params;
    const { r, rT } = trainingMatrix(split, this.name);
    const rng = Rng.derive(ctx.seed, "PureSVD", "sketch");
    const svd = randomizedSvd(r, rT, factors, { oversample, powerIterations, rng });
    const k = svd.rank;
    // P = R V: each user's factor is the sum of V's rows over the user's training items.
    const p = csrTimesDense(r, svd.rightVectors, k, new Float64Array(r.nRows * k));
    this.nUsers = split.nUsers;
    this.nItems = split.nItems;
    this.factors = {
      k,
      userFactors: p,
      itemFactors: svd.rightVectors,
      userBias: null,
      itemBias: null,
      globalBias: 0,
    };
    this.singularValues = svd.singularValues;
    return Promise.resolve({
      history: [],
      bestEpoch: null,
      seconds: (performance.now() - t0) / 1000,
      info: {
        factors: k,
        oversample,
        powerIterations,
        nnz: nnz(r),
        sigma1: svd.singularValues[0] ?? 0,
        sigmaK: svd.singularValues[k - 1] ?? 0,
      },
    });
  }
}
