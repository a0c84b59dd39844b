/**
 * iALS: implicit alternating least squares (Hu, Koren, Volinsky, "Collaborative
 * Filtering for Implicit Feedback Datasets", ICDM 2008), with the tuning advice of
 * Rendle, Krichene, Zhang, Koren ("Revisiting the Performance of iALS on Item
 * Recommendation Benchmarks", RecSys 2022): small Gaussian initialisation scaled by
 * 1/sqrt(k), regularisation that may grow with a row's total weight, and enough factors.
 *
 * Objective over every user-item cell (p = 1 for training pairs, 0 otherwise; confidence
 * c = 1 + alpha on training pairs, 1 elsewhere):
 *
 *   L = Σ_u Σ_i c_ui (p_ui - x_uᵀ y_i)² + Σ_u λ_u ||x_u||² + Σ_i λ_i ||y_i||²,
 *   λ_u = reg · (Σ_i c_ui)^regExponent = reg · (nItems + alpha |I_u|)^regExponent
 *
 * (and λ_i alike over users). regExponent 0 is Hu et al.'s plain λ; 1 is Rendle et al.'s
 * frequency-scaled regulariser. Each half-sweep solves every user (then item) exactly:
 * `x_u = (YᵀY + alpha Σ_{i∈I_u} y_i y_iᵀ + λ_u I)⁻¹ (1 + alpha) Σ_{i∈I_u} y_i`, with the
 * Gramian YᵀY computed once per half-sweep (the "Gramian trick") and a Cholesky solve of
 * the k x k system; so L never increases from one half-sweep to the next.
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import { DivergenceError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import { type Infer, int, num, oneOf, validate } from "../../util/schema.ts";
import type { FitContext, FitReport, Recommender } from "../types.ts";
import { choleskyInPlace, choleskySolveInPlace, fillGaussian, gramian } from "./dense.ts";
import { runEpochs, selectionFields } from "./epochs.ts";
import { DotProductScorer } from "./factors.ts";
import { type Csr, nnz, trainingMatrix } from "./sparse.ts";
import { IalsKernel } from "./ials_wasm.ts";

/** Hyperparameters of {@link IALS}. Defaults chosen on ML-100K validation (docs/mf.md). */
export const ialsSchema = {
  factors: int({ default: 64, min: 1, doc: "factors k per user and item" }),
  alpha: num({
    default: 8,
    min: 0,
    doc: "confidence of a training pair is 1 + alpha (unobserved cells have 1)",
  }),
  reg: num({ default: 0.01, min: 0, doc: "L2 regularisation λ (scaled per row, see regExponent)" }),
  regExponent: num({
    default: 1,
    min: 0,
    max: 1,
    doc: "ν in λ_row = reg·(row's total confidence)^ν; 0 = Hu et al., 1 = Rendle et al. 2022",
  }),
  initStd: num({
    default: 0.1,
    min: 0,
    exclusiveMin: true,
    doc: "item factors start as N(0, (initStd/sqrt(k))²)",
  }),
  solver: oneOf(["cholesky", "cg"] as const, {
    default: "cholesky",
    doc: "per-row solve: exact Cholesky, or conjugate gradient (faster for large k)",
  }),
  cgSteps: int({ default: 3, min: 1, doc: 'CG steps per row and half-sweep (solver "cg")' }),
  kernel: oneOf(["wasm", "js"] as const, {
    default: "wasm",
    doc: "Cholesky half-sweeps in wasm SIMD or the JavaScript reference (CG runs in JavaScript)",
  }),
  ...selectionFields({ epochs: 20, evalEvery: 1, patience: 5 }),
};

/** Validated hyperparameters of {@link IALS}. */
export type IALSParams = Infer<typeof ialsSchema>;

/** The regularisation λ_r of each row of `m` (see the module doc). Shape: [m.nRows]. */
export function rowRegularisation(
  m: Csr,
  alpha: number,
  reg: number,
  regExponent: number,
): Float64Array {
  const out = new Float64Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) {
    const weight = m.nCols + alpha * (m.indptr[r + 1] - m.indptr[r]);
    out[r] = regExponent === 0 ? reg : reg * Math.pow(weight, regExponent);
  }
  return out;
}

/** Scratch buffers of {@link alsHalfStep}, reusable across calls with the same k. */
export interface AlsScratch {
  gram: Float64Array;
  system: Float64Array;
  /** A row's gathered factors (grown on demand). */
  gathered: Float64Array;
  /** CG vectors: residual, direction, A·direction. */
  cg: Float64Array;
}

/** Allocates the scratch buffers for k factors. */
export function alsScratch(k: number): AlsScratch {
  return {
    gram: new Float64Array(k * k),
    system: new Float64Array(k * k),
    gathered: new Float64Array(k * 64),
    cg: new Float64Array(3 * k),
  };
}

/** How {@link alsHalfStep} solves each row's k x k system. */
export interface AlsSolver {
  /** "cholesky": exact solve; "cg": `cgSteps` conjugate-gradient steps from the current row. */
  kind: "cholesky" | "cg";
  /** CG steps per row (Takács et al. 2011 find 2-4 enough); ignored by Cholesky. */
  cgSteps: number;
}

const CHOLESKY: AlsSolver = { kind: "cholesky", cgSteps: 0 };

/**
 * Lower triangle of `a` += `alpha` · T Tᵀ for `t` (k x n, row-major: row f holds factor f
 * of the n gathered vectors). Dot products in 2x2 blocks keep four sums in registers,
 * about twice as fast as rank-1 updates of `a`.
 */
function addScaledGram(t: Float64Array, n: number, k: number, alpha: number, a: Float64Array) {
  const kEven = k & ~1;
  for (let f = 0; f < kEven; f += 2) {
    const f0 = f * n;
    const f1 = f0 + n;
    for (let g = 0; g <= f; g += 2) {
      const g0 = g * n;
      const g1 = g0 + n;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let p = 0; p < n; p++) {
        const a0 = t[f0 + p];
        const a1 = t[f1 + p];
        const b0 = t[g0 + p];
        const b1 = t[g1 + p];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      // (f, g+1) is in the upper triangle when g == f; writing it is harmless.
      a[f * k + g] += alpha * s00;
      a[f * k + g + 1] += alpha * s01;
      a[(f + 1) * k + g] += alpha * s10;
      a[(f + 1) * k + g + 1] += alpha * s11;
    }
  }
  if (kEven !== k) {
    const f0 = kEven * n;
    for (let g = 0; g < k; g++) {
      const g0 = g * n;
      let s = 0;
      for (let p = 0; p < n; p++) s += t[f0 + p] * t[g0 + p];
      a[kEven * k + g] += alpha * s;
    }
  }
}

/**
 * One half-sweep: every row `r` of `x` (nRows x k) is solved given `y` (nCols x k) for
 * `(YᵀY + alpha Σ_{c∈row r} y_c y_cᵀ + λ_r I) x_r = (1+alpha) Σ_{c∈row r} y_c`: exactly
 * (Cholesky), or by a few conjugate-gradient steps started at the current `x_r` (each step
 * lowers the row's quadratic, so L still never increases).
 * @param m binary matrix whose rows are solved (user-major to solve users, its transpose
 *   to solve items).
 * @param lambda per-row λ, shape [m.nRows] (see {@link rowRegularisation}).
 */
export function alsHalfStep(
  m: Csr,
  y: Float64Array,
  x: Float64Array,
  k: number,
  alpha: number,
  lambda: Float64Array,
  scratch: AlsScratch = alsScratch(k),
  solver: AlsSolver = CHOLESKY,
): void {
  const { indptr, indices, nRows, nCols } = m;
  let maxLen = 0;
  for (let r = 0; r < nRows; r++) maxLen = Math.max(maxLen, indptr[r + 1] - indptr[r]);
  if (scratch.gathered.length < maxLen * k) scratch.gathered = new Float64Array(maxLen * k);
  const { gram, system: a, gathered: t } = scratch;
  gramian(y, nCols, k, gram);
  if (solver.kind === "cg") {
    cgHalfStep(m, y, x, k, alpha, lambda, scratch, solver.cgSteps);
    return;
  }
  const posWeight = 1 + alpha;
  for (let r = 0; r < nRows; r++) {
    const xo = r * k;
    const lo = indptr[r];
    const n = indptr[r + 1] - lo;
    // Gather the row's factors transposed (k x n) so each Gram entry is a contiguous dot.
    for (let p = 0; p < n; p++) {
      const yo = indices[lo + p] * k;
      for (let f = 0; f < k; f++) t[f * n + p] = y[yo + f];
    }
    for (let e = 0; e < k * k; e++) a[e] = gram[e];
    addScaledGram(t, n, k, alpha, a);
    for (let f = 0; f < k; f++) {
      a[f * k + f] += lambda[r];
      let s = 0;
      for (let p = 0, o = f * n; p < n; p++) s += t[o + p];
      x[xo + f] = posWeight * s;
    }
    if (!choleskyInPlace(a, k)) {
      throw new DivergenceError(
        `iALS: the k x k system of row ${r} is not positive definite; use reg > 0 ` +
          `(now λ_row = ${lambda[r]})`,
      );
    }
    choleskySolveInPlace(a, k, x, xo);
  }
}

/** The CG branch of {@link alsHalfStep}; `scratch.gram` already holds YᵀY. */
function cgHalfStep(
  m: Csr,
  y: Float64Array,
  x: Float64Array,
  k: number,
  alpha: number,
  lambda: Float64Array,
  scratch: AlsScratch,
  steps: number,
) {
  const { indptr, indices, nRows } = m;
  const { gram, gathered: t, cg } = scratch;
  const res = cg.subarray(0, k);
  const dir = cg.subarray(k, 2 * k);
  const adir = cg.subarray(2 * k, 3 * k);
  const posWeight = 1 + alpha;
  // out = A v for row r's system, A = YᵀY + alpha·T Tᵀ + λ I, T gathered row-major (n x k).
  const applyA = (v: Float64Array, vo: number, n: number, lam: number, out: Float64Array) => {
    for (let f = 0; f < k; f++) {
      let s = lam * v[vo + f];
      for (let g = 0, o = f * k; g < k; g++) s += gram[o + g] * v[vo + g];
      out[f] = s;
    }
    for (let p = 0; p < n; p++) {
      const o = p * k;
      let d = 0;
      for (let f = 0; f < k; f++) d += t[o + f] * v[vo + f];
      d *= alpha;
      for (let f = 0; f < k; f++) out[f] += d * t[o + f];
    }
  };
  for (let r = 0; r < nRows; r++) {
    const xo = r * k;
    const lo = indptr[r];
    const n = indptr[r + 1] - lo;
    for (let p = 0; p < n; p++) {
      const yo = indices[lo + p] * k;
      for (let f = 0; f < k; f++) t[p * k + f] = y[yo + f];
    }
    // res = b - A x, b = (1+alpha) Σ y_c.
    applyA(x, xo, n, lambda[r], adir);
    let rr = 0;
    for (let f = 0; f < k; f++) {
      let b = 0;
      for (let p = 0; p < n; p++) b += t[p * k + f];
      res[f] = posWeight * b - adir[f];
      dir[f] = res[f];
      rr += res[f] * res[f];
    }
    for (let step = 0; step < steps && rr > 1e-30; step++) {
      applyA(dir, 0, n, lambda[r], adir);
      let pAp = 0;
      for (let f = 0; f < k; f++) pAp += dir[f] * adir[f];
      if (!(pAp > 0)) break;
      const step_ = rr / pAp;
      let rrNew = 0;
      for (let f = 0; f < k; f++) {
        x[xo + f] += step_ * dir[f];
        res[f] -= step_ * adir[f];
        rrNew += res[f] * res[f];
      }
      const beta = rrNew / rr;
      for (let f = 0; f < k; f++) dir[f] = res[f] + beta * dir[f];
      rr = rrNew;
    }
  }
}

/**
 * The iALS objective L (module doc) for user factors `x` and item factors `y`, computed
 * without visiting the unobserved cells: Σ_u x_uᵀ(YᵀY)x_u counts every cell as
 * unobserved, and each training pair then adds (1+alpha)(1-ŷ)² - ŷ².
 * @param r user-major binary training matrix; `rT` its transpose.
 */
export function ialsLoss(
  r: Csr,
  rT: Csr,
  x: Float64Array,
  y: Float64Array,
  k: number,
  alpha: number,
  userLambda: Float64Array,
  itemLambda: Float64Array,
): number {
  const gram = new Float64Array(k * k);
  gramian(y, rT.nRows, k, gram);
  let loss = 0;
  for (let u = 0; u < r.nRows; u++) {
    const xo = u * k;
    let quad = 0;
    let norm = 0;
    for (let f = 0; f < k; f++) {
      let s = 0;
      for (let g = 0; g < k; g++) s += gram[f * k + g] * x[xo + g];
      quad += x[xo + f] * s;
      norm += x[xo + f] * x[xo + f];
    }
    loss += quad + userLambda[u] * norm;
    for (let p = r.indptr[u], end = r.indptr[u + 1]; p < end; p++) {
      const yo = r.indices[p] * k;
      let pred = 0;
      for (let f = 0; f < k; f++) pred += x[xo + f] * y[yo + f];
      loss += (1 + alpha) * (1 - pred) * (1 - pred) - pred * pred;
    }
  }
  for (let i = 0; i < rT.nRows; i++) {
    const yo = i * k;
    let norm = 0;
    for (let f = 0; f < k; f++) norm += y[yo + f] * y[yo + f];
    loss += itemLambda[i] * norm;
  }
  return loss;
}

/**
 * iALS with validation-based epoch selection.
 *
 * @example
 * ```ts
 * const model = new IALS({ factors: 64, alpha: 2, reg: 0.5 });
 * const report = await model.fit(split, { seed: 1 }); // report.bestEpoch chosen on split.valid
 * ```
 */
export class IALS extends DotProductScorer implements Recommender {
  readonly name = "iALS";
  readonly params: IALSParams;

  /** @param params hyperparameters; unknown keys and bad values throw a ConfigError. */
  constructor(params: Partial<IALSParams> = {}) {
    super();
    this.params = validate(ialsSchema, params, "iALS");
  }

  async fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    const p = this.params;
    const k = p.factors;
    const { r, rT } = trainingMatrix(split, this.name);
    const nU = r.nRows;
    const nI = r.nCols;
    const userLambda = rowRegularisation(r, p.alpha, p.reg, p.regExponent);
    const itemLambda = rowRegularisation(rT, p.alpha, p.reg, p.regExponent);
    // With the wasm kernel the factors are views on its memory; the model scores from them.
    const kernel = p.kernel === "wasm" && p.solver === "cholesky"
      ? await IalsKernel.create(r, rT, k, userLambda, itemLambda)
      : null;
    const x = kernel ? kernel.x : new Float64Array(nU * k);
    const y = fillGaussian(
      kernel ? kernel.y : new Float64Array(nI * k),
      Rng.derive(ctx.seed, "iALS", "init"),
      p.initStd / Math.sqrt(k),
    );
    const bestX = new Float64Array(x.length);
    const bestY = new Float64Array(y.length);
    const scratch = alsScratch(k);
    const solver: AlsSolver = { kind: p.solver, cgSteps: p.cgSteps };
    this.nUsers = split.nUsers;
    this.nItems = split.nItems;
    this.factors = {
      k,
      userFactors: x,
      itemFactors: y,
      userBias: null,
      itemBias: null,
      globalBias: 0,
    };
    const cells = nU * nI;
    const loop = await runEpochs({
      model: this.name,
      epochs: p.epochs,
      evalEvery: p.evalEvery,
      patience: p.patience,
      validMetric: p.validMetric,
      validProtocol: p.validProtocol,
      split,
      ctx,
      scorer: this,
      runEpoch: () => {
        if (kernel) {
          kernel.halfStep(true, p.alpha);
          kernel.halfStep(false, p.alpha);
        } else {
          alsHalfStep(r, y, x, k, p.alpha, userLambda, scratch, solver);
          alsHalfStep(rT, x, y, k, p.alpha, itemLambda, scratch, solver);
        }
        const loss = ialsLoss(r, rT, x, y, k, p.alpha, userLambda, itemLambda) / cells;
        return { loss, samples: nnz(r) };
      },
      saveBest: () => {
        bestX.set(x);
        bestY.set(y);
      },
      restoreBest: () => {
        x.set(bestX);
        y.set(bestY);
      },
      divergenceHint: `raise reg (now ${p.reg})`,
    });
    return {
      history: loop.history,
      bestEpoch: loop.bestEpoch,
      seconds: (performance.now() - t0) / 1000,
      info: {
        factors: k,
        nnz: nnz(r),
        validation: loop.validation,
        bestValid: loop.bestValid,
        stoppedEarly: loop.stoppedEarly,
        lossUnit: "objective L / (nUsers * nItems)",
        kernel: kernel ? "wasm SIMD (Cholesky)" : `JavaScript (${p.solver})`,
      },
    };
  }
}
