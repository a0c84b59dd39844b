/**
 * Dot-product matrix factorisation trained by plain SGD on sampled negatives, in two
 * flavours:
 *
 * - {@link LogisticMF} ("MF"): Rendle, Krichene, Zhang, Anderson, "Neural Collaborative
 *   Filtering vs. Matrix Factorization Revisited" (RecSys 2020). Score
 *   `ŷ = b + b_u + b_i + <p_u, q_i>`, logistic loss on each training pair (label 1) and on
 *   `negatives` sampled items per pair (label 0), all examples of an epoch shuffled together,
 *   L2 applied at every step. Their tuned ML-1M setting beats NeuMF on the NCF protocol.
 * - {@link BPRMF} ("BPR-MF"): Rendle, Freudenthaler, Gantner, Schmidt-Thieme, "BPR:
 *   Bayesian Personalized Ranking from Implicit Feedback" (UAI 2009). Pairwise loss
 *   `-ln σ(ŷ_ui - ŷ_uj)` for a training pair (u, i) and a sampled item j, with
 *   `ŷ = b_i + <p_u, q_i>`; each epoch visits every training pair once in random order and
 *   draws `negatives` items j for it (instead of LearnBPR's bootstrap draws).
 *
 * Per-example objective (what the gradient checks test): loss + (reg/2)·(squared norm of
 * every parameter the example touches). An SGD step moves all touched parameters by
 * -lr times that gradient, evaluated at the parameters before the step.
 * Negatives come from lib/data's `TrainingNegativeSampler` (items the user never had).
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import { Rng } from "../../util/rng.ts";
import { bool, type Infer, int, num, oneOf, validate } from "../../util/schema.ts";
import type { FitContext, FitReport, Recommender } from "../types.ts";
import { fillGaussian } from "./dense.ts";
import { TrainingNegativeSampler, userItemIndex } from "./deps.ts";
import { runEpochs, selectionFields } from "./epochs.ts";
import { type DotFactors, DotProductScorer } from "./factors.ts";
import { nnz, rowOfNonzero, trainingMatrix } from "./sparse.ts";
import { SgdKernel } from "./sgd_wasm.ts";

/** log(1 + e^s) without overflow. */
function softplus(s: number): number {
  return s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
}

/** σ(s) = 1 / (1 + e^-s) without overflow. */
function sigmoid(s: number): number {
  if (s >= 0) return 1 / (1 + Math.exp(-s));
  const e = Math.exp(s);
  return e / (1 + e);
}

/**
 * The parameters SGD updates, as flat arrays. `globalBias` is a one-element array so a
 * step can update it in place.
 */
export interface SgdParams {
  k: number;
  /** Shape [nUsers * k]. */
  p: Float64Array;
  /** Shape [nItems * k]. */
  q: Float64Array;
  /** Shape [nUsers]. */
  userBias: Float64Array;
  /** Shape [nItems]. */
  itemBias: Float64Array;
  /** Shape [1]. */
  globalBias: Float64Array;
  /** 1 to train biases, 0 to keep them at zero. */
  biasOn: number;
}

/**
 * Logistic example `(u, i, label)`: returns the loss `log(1+e^ŷ) - label·ŷ` (without the
 * L2 term) and writes the gradient of loss + (reg/2)(|p_u|² + |q_i|² + b_u² + b_i² + b²)
 * into `gradP` (k), `gradQ` (k) and `gradBias` ([global, user, item]; zeros without biases).
 * Used by tests; {@link logisticStep} is the same computation fused with the update.
 */
export function logisticGradient(
  m: SgdParams,
  u: number,
  i: number,
  label: number,
  reg: number,
  gradP: Float64Array,
  gradQ: Float64Array,
  gradBias: Float64Array,
): number {
  const { k, p, q, userBias, itemBias, globalBias, biasOn } = m;
  const po = u * k;
  const qo = i * k;
  let s = globalBias[0] + userBias[u] + itemBias[i];
  for (let f = 0; f < k; f++) s += p[po + f] * q[qo + f];
  const g = sigmoid(s) - label;
  for (let f = 0; f < k; f++) {
    gradP[f] = g * q[qo + f] + reg * p[po + f];
    gradQ[f] = g * p[po + f] + reg * q[qo + f];
  }
  gradBias[0] = biasOn * (g + reg * globalBias[0]);
  gradBias[1] = biasOn * (g + reg * userBias[u]);
  gradBias[2] = biasOn * (g + reg * itemBias[i]);
  return softplus(s) - label * s;
}

/** One SGD step on the logistic example `(u, i, label)`; returns its loss before the step. */
export function logisticStep(
  m: SgdParams,
  u: number,
  i: number,
  label: number,
  lr: number,
  reg: number,
): number {
  const { k, p, q, userBias, itemBias, globalBias, biasOn } = m;
  const po = u * k;
  const qo = i * k;
  const b = globalBias[0];
  const bu = userBias[u];
  const bi = itemBias[i];
  // Four partial sums: shorter dependency chains, measurably faster in V8.
  let s0 = 0;
  let s1 = 0;
  let f = 0;
  for (; f + 1 < k; f += 2) {
    s0 += p[po + f] * q[qo + f];
    s1 += p[po + f + 1] * q[qo + f + 1];
  }
  if (f < k) s0 += p[po + f] * q[qo + f];
  const s = b + bu + bi + s0 + s1;
  // One exp serves both σ(s) and softplus(s).
  const e = Math.exp(-Math.abs(s));
  const sig = s >= 0 ? 1 / (1 + e) : e / (1 + e);
  const g = sig - label;
  const shrink = 1 - lr * reg;
  const step = lr * g;
  for (let c = 0; c < k; c++) {
    const pf = p[po + c];
    const qf = q[qo + c];
    p[po + c] = shrink * pf - step * qf;
    q[qo + c] = shrink * qf - step * pf;
  }
  const blr = biasOn * lr;
  globalBias[0] = b - blr * (g + reg * b);
  userBias[u] = bu - blr * (g + reg * bu);
  itemBias[i] = bi - blr * (g + reg * bi);
  return (s > 0 ? s : 0) + Math.log1p(e) - label * s;
}

/**
 * BPR triple `(u, i, j)`, i a training item of u and j a sampled one: returns
 * `-ln σ(ŷ_ui - ŷ_uj)` and writes the gradient of it + (reg/2)(|p_u|² + |q_i|² + |q_j|² +
 * b_i² + b_j²) into `gradP`, `gradQi`, `gradQj` (k each) and `gradBias` ([item i, item j]).
 * Used by tests; {@link bprStep} is the same computation fused with the update.
 */
export function bprGradient(
  m: SgdParams,
  u: number,
  i: number,
  j: number,
  reg: number,
  gradP: Float64Array,
  gradQi: Float64Array,
  gradQj: Float64Array,
  gradBias: Float64Array,
): number {
  const { k, p, q, itemBias, biasOn } = m;
  const po = u * k;
  const io = i * k;
  const jo = j * k;
  let x = itemBias[i] - itemBias[j];
  for (let f = 0; f < k; f++) x += p[po + f] * (q[io + f] - q[jo + f]);
  const g = -sigmoid(-x);
  for (let f = 0; f < k; f++) {
    gradP[f] = g * (q[io + f] - q[jo + f]) + reg * p[po + f];
    gradQi[f] = g * p[po + f] + reg * q[io + f];
    gradQj[f] = -g * p[po + f] + reg * q[jo + f];
  }
  gradBias[0] = biasOn * (g + reg * itemBias[i]);
  gradBias[1] = biasOn * (-g + reg * itemBias[j]);
  return softplus(-x);
}

/** One SGD step on the BPR triple `(u, i, j)`; returns its loss before the step. */
export function bprStep(
  m: SgdParams,
  u: number,
  i: number,
  j: number,
  lr: number,
  reg: number,
): number {
  const { k, p, q, itemBias, biasOn } = m;
  const po = u * k;
  const io = i * k;
  const jo = j * k;
  const bi = itemBias[i];
  const bj = itemBias[j];
  let x = bi - bj;
  for (let f = 0; f < k; f++) x += p[po + f] * (q[io + f] - q[jo + f]);
  // g = -σ(-x), with one exp also giving softplus(-x).
  const e = Math.exp(-Math.abs(x));
  const g = x >= 0 ? -e / (1 + e) : -1 / (1 + e);
  const shrink = 1 - lr * reg;
  const step = lr * g;
  for (let f = 0; f < k; f++) {
    const pf = p[po + f];
    const qif = q[io + f];
    const qjf = q[jo + f];
    p[po + f] = shrink * pf - step * (qif - qjf);
    q[io + f] = shrink * qif - step * pf;
    q[jo + f] = shrink * qjf + step * pf;
  }
  const blr = biasOn * lr;
  itemBias[i] = bi - blr * (g + reg * bi);
  itemBias[j] = bj - blr * (-g + reg * bj);
  return (x < 0 ? -x : 0) + Math.log1p(e);
}

/**
 * Fisher-Yates shuffle of `n` records of `width` int32 each, in place (uniform over
 * permutations; draws from `rng` only).
 */
export function shuffleRecords(buf: Int32Array, n: number, width: number, rng: Rng): void {
  if (width === 2) {
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const a = 2 * i;
      const b = 2 * j;
      const x0 = buf[a];
      const x1 = buf[a + 1];
      buf[a] = buf[b];
      buf[a + 1] = buf[b + 1];
      buf[b] = x0;
      buf[b + 1] = x1;
    }
    return;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    for (let c = 0, a = i * width, b = j * width; c < width; c++) {
      const x = buf[a + c];
      buf[a + c] = buf[b + c];
      buf[b + c] = x;
    }
  }
}

/** Schema fields common to both SGD models. */
function sgdFields(d: {
  factors: number;
  lr: number;
  reg: number;
  negatives: number;
  initStd: number;
  biases: boolean;
  epochs: number;
  evalEvery: number;
  patience: number;
}) {
  return {
    factors: int({ default: d.factors, min: 1, doc: "factors k per user and item" }),
    lr: num({ default: d.lr, min: 0, exclusiveMin: true, doc: "SGD learning rate (constant)" }),
    reg: num({ default: d.reg, min: 0, doc: "L2 weight per step: adds reg·θ to each gradient" }),
    negatives: int({ default: d.negatives, min: 1, doc: "sampled negatives per training pair" }),
    initStd: num({
      default: d.initStd,
      min: 0,
      exclusiveMin: true,
      doc: "factors start as N(0, initStd²); biases at 0",
    }),
    biases: bool({ default: d.biases, doc: "learn bias terms (see the model's score)" }),
    kernel: oneOf(["wasm", "js"] as const, {
      default: "wasm",
      doc: "epoch loop: wasm SIMD on f32 parameters, or the JavaScript f64 reference",
    }),
    ...selectionFields({ epochs: d.epochs, evalEvery: d.evalEvery, patience: d.patience }),
  };
}

/** Hyperparameters of {@link LogisticMF}. Defaults chosen on ML-100K validation (docs/mf.md). */
export const logisticMfSchema = sgdFields({
  factors: 192,
  lr: 0.01,
  reg: 0.01,
  negatives: 8,
  initStd: 0.1,
  biases: true,
  epochs: 150,
  evalEvery: 2,
  patience: 6,
});
/** Validated hyperparameters of {@link LogisticMF}. */
export type LogisticMFParams = Infer<typeof logisticMfSchema>;

/** Hyperparameters of {@link BPRMF}. Defaults chosen on ML-100K validation (docs/mf.md). */
export const bprMfSchema = sgdFields({
  factors: 192,
  lr: 0.03,
  reg: 0.01,
  negatives: 16,
  initStd: 0.1,
  biases: true,
  epochs: 150,
  evalEvery: 2,
  patience: 6,
});
/** Validated hyperparameters of {@link BPRMF}. */
export type BPRMFParams = Infer<typeof bprMfSchema>;

type SgdSchemaParams = LogisticMFParams;

/** Shared fitting of the two SGD models; `kind` selects the loss. */
abstract class SgdMF extends DotProductScorer implements Recommender {
  readonly params: SgdSchemaParams;
  protected abstract readonly pairwise: boolean;

  constructor(params: SgdSchemaParams) {
    super();
    this.params = params;
  }

  async fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    const hp = this.params;
    const k = hp.factors;
    const { r } = trainingMatrix(split, this.name);
    const nU = r.nRows;
    const nI = r.nCols;
    const nPos = nnz(r);
    const posUsers = rowOfNonzero(r);
    const posItems = r.indices;
    const neg = hp.negatives;
    const sampler = new TrainingNegativeSampler(userItemIndex(split.train));
    const initRng = Rng.derive(ctx.seed, this.name, "init");
    const m: SgdParams = {
      k,
      p: fillGaussian(new Float64Array(nU * k), initRng, hp.initStd),
      q: fillGaussian(new Float64Array(nI * k), initRng, hp.initStd),
      userBias: new Float64Array(nU),
      itemBias: new Float64Array(nI),
      globalBias: new Float64Array(1),
      biasOn: hp.biases ? 1 : 0,
    };
    const best = {
      p: new Float64Array(m.p.length),
      q: new Float64Array(m.q.length),
      userBias: new Float64Array(nU),
      itemBias: new Float64Array(nI),
      globalBias: new Float64Array(1),
    };
    const pairwise = this.pairwise;
    const f: DotFactors = {
      k,
      userFactors: m.p,
      itemFactors: m.q,
      userBias: hp.biases && !pairwise ? m.userBias : null,
      itemBias: hp.biases ? m.itemBias : null,
      globalBias: 0,
    };
    this.nUsers = split.nUsers;
    this.nItems = split.nItems;
    this.factors = f;
    // Each epoch's examples are written as records in a fixed order, then the records
    // themselves are shuffled, so training reads them sequentially. Pointwise: (user, item)
    // with label 0, (user, ~item) with label 1, all positives and negatives shuffled together.
    // Pairwise: (user, item, its `neg` sampled items), the training pairs shuffled.
    const width = pairwise ? 2 + neg : 2;
    const nRecords = pairwise ? nPos : nPos * (1 + neg);
    const negItems = new Int32Array(nPos * neg);
    // With the wasm kernel the records live in its memory and the f64 parameters above are
    // refreshed from its f32 tables after every epoch.
    const kernel = hp.kernel === "wasm"
      ? await SgdKernel.create({
        nUsers: nU,
        nItems: nI,
        k,
        neg,
        records: nRecords,
        recordWidth: width,
      })
      : null;
    const records = kernel ? kernel.records : new Int32Array(nRecords * width);
    if (kernel) {
      kernel.load(kernel.p, m.p);
      kernel.load(kernel.q, m.q);
    }
    const fillRecords = () => {
      if (pairwise) {
        for (let e = 0, o = 0; e < nPos; e++, o += width) {
          records[o] = posUsers[e];
          records[o + 1] = posItems[e];
          for (let s = 0; s < neg; s++) records[o + 2 + s] = negItems[e * neg + s];
        }
      } else {
        for (let e = 0; e < nPos; e++) {
          records[2 * e] = posUsers[e];
          records[2 * e + 1] = ~posItems[e];
        }
        for (let d = 0, o = 2 * nPos; d < nPos * neg; d++, o += 2) {
          records[o] = posUsers[(d / neg) | 0];
          records[o + 1] = negItems[d];
        }
      }
    };
    const jsEpoch = (lr: number, reg: number): number => {
      let loss = 0;
      if (pairwise) {
        for (let t = 0, o = 0; t < nRecords; t++, o += width) {
          const u = records[o];
          const i = records[o + 1];
          for (let s = 0; s < neg; s++) loss += bprStep(m, u, i, records[o + 2 + s], lr, reg);
        }
      } else {
        for (let t = 0; t < nRecords; t++) {
          const v = records[2 * t + 1];
          loss += v < 0
            ? logisticStep(m, records[2 * t], ~v, 1, lr, reg)
            : logisticStep(m, records[2 * t], v, 0, lr, reg);
        }
      }
      return loss;
    };
    const wasmEpoch = (kx: SgdKernel, lr: number, reg: number): number => {
      const loss = pairwise ? kx.bprEpoch(lr, reg, m.biasOn) : kx.logisticEpoch(lr, reg, m.biasOn);
      kx.store(kx.p, m.p);
      kx.store(kx.q, m.q);
      m.userBias.set(kx.userBias);
      m.itemBias.set(kx.itemBias);
      m.globalBias[0] = kx.globalBias[0];
      return loss;
    };
    const { lr, reg } = hp;
    const loop = await runEpochs({
      model: this.name,
      epochs: hp.epochs,
      evalEvery: hp.evalEvery,
      patience: hp.patience,
      validMetric: hp.validMetric,
      validProtocol: hp.validProtocol,
      split,
      ctx,
      scorer: this,
      runEpoch: (epoch) => {
        const rng = Rng.derive(ctx.seed, this.name, "epoch", epoch);
        sampler.sample(posUsers, neg, rng, negItems);
        fillRecords();
        shuffleRecords(records, nRecords, width, rng);
        const loss = kernel ? wasmEpoch(kernel, lr, reg) : jsEpoch(lr, reg);
        f.globalBias = pairwise ? 0 : m.globalBias[0];
        const samples = pairwise ? nPos * neg : nRecords;
        return { loss: loss / samples, samples };
      },
      saveBest: () => {
        best.p.set(m.p);
        best.q.set(m.q);
        best.userBias.set(m.userBias);
        best.itemBias.set(m.itemBias);
        best.globalBias.set(m.globalBias);
      },
      restoreBest: () => {
        m.p.set(best.p);
        m.q.set(best.q);
        m.userBias.set(best.userBias);
        m.itemBias.set(best.itemBias);
        m.globalBias.set(best.globalBias);
        f.globalBias = pairwise ? 0 : m.globalBias[0];
      },
      divergenceHint: `lower lr (now ${lr}) or raise reg (now ${reg})`,
    });
    return {
      history: loop.history,
      bestEpoch: loop.bestEpoch,
      seconds: (performance.now() - t0) / 1000,
      info: {
        factors: k,
        nnz: nPos,
        negatives: neg,
        validation: loop.validation,
        bestValid: loop.bestValid,
        stoppedEarly: loop.stoppedEarly,
        lossUnit: pairwise
          ? "mean -ln σ(ŷ_ui - ŷ_uj) per triple"
          : "mean logistic loss per example",
      },
    };
  }
}

/**
 * Dot-product MF with biases, logistic loss on sampled negatives, plain SGD (Rendle et al.
 * 2020's "MF").
 *
 * @example
 * ```ts
 * const model = new LogisticMF({ factors: 64, negatives: 8 });
 * const report = await model.fit(split, { seed: 1 }); // epoch chosen on split.valid
 * ```
 */
export class LogisticMF extends SgdMF {
  readonly name = "MF";
  protected readonly pairwise = false;
  /** @param params hyperparameters; unknown keys and bad values throw a ConfigError. */
  constructor(params: Partial<LogisticMFParams> = {}) {
    super(validate(logisticMfSchema, params, "MF"));
  }
}

/**
 * BPR-MF: dot product plus item bias, pairwise BPR loss, plain SGD (Rendle et al. 2009).
 *
 * @example
 * ```ts
 * const model = new BPRMF({ factors: 64 });
 * const report = await model.fit(split, { seed: 1 });
 * ```
 */
export class BPRMF extends SgdMF {
  readonly name = "BPR-MF";
  protected readonly pairwise = true;
  /** @param params hyperparameters; unknown keys and bad values throw a ConfigError. */
  constructor(params: Partial<BPRMFParams> = {}) {
    super(validate(bprMfSchema, params, "BPR-MF"));
  }
}
