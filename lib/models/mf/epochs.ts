/**
 * The epoch loop shared by the iterative MF baselines (iALS, logistic MF, BPR-MF):
 * per-epoch history, validation on `split.valid` only (never `split.test`), early
 * stopping with best-epoch restore, a divergence guard, cancellation and progress.
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import type { Scorer } from "../../eval/types.ts";
import { DivergenceError } from "../../util/errors.ts";
import { Progress, SilentSink } from "../../util/progress.ts";
import { int, oneOf } from "../../util/schema.ts";
import type { EpochRecord, FitContext } from "../types.ts";
import { evaluateFullRanking, evaluateSampled } from "./deps.ts";

/** Validation metrics a model can be selected on (sampled, as in the NCF protocol). */
export const VALID_METRICS = ["HR@10", "NDCG@10"] as const;

/** Schema fields for epoch count and validation-based model selection, shared by models. */
export function selectionFields(
  defaults: { epochs: number; evalEvery?: number; patience?: number },
) {
  return {
    epochs: int({ default: defaults.epochs, min: 1, doc: "maximum training epochs" }),
    evalEvery: int({
      default: defaults.evalEvery ?? 1,
      min: 1,
      doc: "epochs between evaluations on split.valid (the last epoch is always evaluated)",
    }),
    patience: int({
      default: defaults.patience ?? 0,
      min: 0,
      doc: "evaluations without improvement before stopping early; 0 = run all epochs",
    }),
    validMetric: oneOf(VALID_METRICS, {
      default: "NDCG@10",
      doc: "validation metric that picks the best epoch",
    }),
    validProtocol: oneOf(["sampled", "full"] as const, {
      default: "sampled",
      doc: "rank split.valid against its sampled negatives, or against all items",
    }),
  };
}

/** What the loop needs from a model. */
export interface EpochLoop {
  /** Model name for progress and errors. */
  model: string;
  epochs: number;
  evalEvery: number;
  patience: number;
  validMetric: (typeof VALID_METRICS)[number];
  validProtocol: "sampled" | "full";
  split: Split;
  ctx: FitContext;
  /** Scores with the current parameters. */
  scorer: Scorer;
  /** Trains one epoch (1-based) and returns its mean loss and sample count. */
  runEpoch(epoch: number): { loss: number; samples: number };
  /** Copies the current parameters aside as the best so far. */
  saveBest(): void;
  /** Puts the parameters saved by `saveBest` back. */
  restoreBest(): void;
  /** Said in the divergence error, e.g. "lower lr (now 0.05)". */
  divergenceHint: string;
}

/** History, chosen epoch, and how selection went. */
export interface EpochLoopResult {
  history: EpochRecord[];
  /** Epoch whose parameters are kept (1-based). */
  bestEpoch: number;
  /** Best validation value of `validMetric`, or NaN without validation. */
  bestValid: number;
  stoppedEarly: boolean;
  /** Why no validation happened, when it did not. */
  validation: string;
}

/**
 * Runs the epochs; selects on `split.valid` (sampled protocol when it has negatives, or
 * full ranking); `ctx.onEpoch` gets each record. Without validation the last epoch is kept.
 */
export async function runEpochs(o: EpochLoop): Promise<EpochLoopResult> {
  const valid = o.split.valid;
  const full = o.validProtocol === "full";
  const canValidate = valid !== undefined && valid.users.length > 0 &&
    (full || (valid.negatives !== undefined && valid.numNegatives > 0));
  const validation = !canValidate
    ? valid === undefined || valid.users.length === 0
      ? "none (split has no validation pairs): last epoch kept"
      : "none (split.valid has no sampled negatives): last epoch kept"
    : full
    ? `${o.validMetric} on split.valid, full ranking`
    : `${o.validMetric} on split.valid (${valid!.numNegatives} sampled negatives)`;
  // Validation runs every few epochs; its own progress lines would drown the fit's.
  const evalOpts = {
    ks: [10],
    metrics: ["HR", "NDCG"],
    on: "valid" as const,
    name: o.model,
    progress: new SilentSink(),
  };
  const progress = new Progress(`${o.model} fit`, {
    total: o.epochs,
    unit: "epochs",
    sink: o.ctx.progress,
  });
  const history: EpochRecord[] = [];
  let bestValid = -Infinity;
  let bestEpoch = 0;
  let sinceBest = 0;
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    o.ctx.signal?.throwIfAborted();
    const t0 = performance.now();
    const { loss, samples } = o.runEpoch(epoch);
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(loss)) {
      throw new DivergenceError(
        `${o.model}: training loss became ${loss} in epoch ${epoch}; ${o.divergenceHint}`,
      );
    }
    const record: EpochRecord = { epoch, loss, seconds, samples };
    const info: Record<string, number> = { loss };
    if (canValidate && (epoch % o.evalEvery === 0 || epoch === o.epochs)) {
      const res = full
        ? await evaluateFullRanking(o.scorer, o.split, evalOpts)
        : await evaluateSampled(o.scorer, valid!, evalOpts);
      record.valid = { "HR@10": res.mean["HR@10"], "NDCG@10": res.mean["NDCG@10"] };
      const v = res.mean[o.validMetric];
      info[`valid ${o.validMetric}`] = v;
      if (v > bestValid) {
        bestValid = v;
        bestEpoch = epoch;
        sinceBest = 0;
        o.saveBest();
      } else if (o.patience > 0 && ++sinceBest >= o.patience) {
        stoppedEarly = true;
      }
    }
    history.push(record);
    progress.set(epoch, info);
    await o.ctx.onEpoch?.(record);
    if (stoppedEarly) break;
  }
  const last = history.length;
  if (canValidate && bestEpoch > 0) {
    if (bestEpoch !== last) o.restoreBest();
  } else {
    bestEpoch = last;
  }
  progress.total = last; // early stopping ran fewer epochs than planned
  progress.finish({ bestEpoch });
  return {
    history,
    bestEpoch,
    bestValid: canValidate ? bestValid : NaN,
    stoppedEarly,
    validation,
  };
}
