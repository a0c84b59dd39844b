/**
 * The training loop shared by every neural model: per-epoch seeded negative sampling,
 * batches through an {@link NcfNetwork} (fused kernels or the tfjs reference), a NaN/Inf
 * guard, validation on `split.valid` only (never the test set) with early stopping and
 * best-epoch restore, per-epoch history, checkpoints and a progress display with ETA.
 *
 * @module
 */
import { join } from "node:path";
import type { Split } from "../data/types.ts";
import { evaluateFullRanking, evaluateSampled } from "../eval/mod.ts";
import type { Scorer } from "../eval/types.ts";
import type { NcfNetwork, TrainingParams } from "../models/mod.ts";
import type { EpochRecord } from "../models/types.ts";
import { DivergenceError } from "../util/errors.ts";
import { Progress, type ProgressSink, SilentSink } from "../util/progress.ts";
import { writeWeights } from "./checkpoint.ts";
import { EpochSampler } from "./sampling.ts";

/** What {@link trainNetwork} needs besides the network. */
export interface TrainLoopOptions {
  /** Model name for messages and progress, e.g. "NeuMF". */
  model: string;
  seed: number;
  params: TrainingParams;
  /** The scorer validation ranks with (normally the model itself). */
  scorer: Scorer;
  progress?: ProgressSink;
  signal?: AbortSignal;
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Folder for `best.weights` (written atomically whenever validation improves). */
  checkpointDir?: string;
  /** Facts stored in checkpoint files (hyperparameters, ...). */
  checkpointMeta?: Record<string, unknown>;
  /** Parameter shapes for checkpoint files. */
  shapes?: Record<string, number[]>;
}

/** What the loop did. */
export interface TrainLoopResult {
  history: EpochRecord[];
  /** Epoch whose weights the network holds at the end. */
  bestEpoch: number;
  /** True when early stopping ended training before `epochs`. */
  stoppedEarly: boolean;
  /** Validation metric of the best epoch, or null without validation data. */
  bestValid: number | null;
}

/** Validation metrics (HR@10, NDCG@10) on `split.valid`, or null when there is none. */
export async function validate(
  scorer: Scorer,
  split: Split,
  name: string,
): Promise<Record<string, number> | null> {
  const valid = split.valid;
  if (!valid || valid.users.length === 0) return null;
  const silent = new SilentSink();
  const r = valid.negatives && valid.numNegatives > 0
    ? await evaluateSampled(scorer, valid, {
      ks: [10],
      metrics: ["HR", "NDCG"],
      on: "valid",
      name,
      progress: silent,
    })
    : await evaluateFullRanking(scorer, split, {
      ks: [10],
      metrics: ["HR", "NDCG"],
      on: "valid",
      name,
      progress: silent,
    });
  return { "HR@10": r.mean["HR@10"], "NDCG@10": r.mean["NDCG@10"] };
}

/**
 * Trains `network` on `split.train` for up to `params.epochs` epochs. Validation after every
 * epoch when `split.valid` exists; with `patience > 0` training stops after that many epochs
 * without improvement; the best epoch's weights are restored at the end.
 *
 * @throws DivergenceError naming model, epoch and batch when the loss is not finite.
 */
export async function trainNetwork(
  network: NcfNetwork,
  split: Split,
  opts: TrainLoopOptions,
): Promise<TrainLoopResult> {
  const p = opts.params;
  const sampler = new EpochSampler(split.train, p.negatives);
  const history: EpochRecord[] = [];
  let best = -Infinity;
  let bestEpoch = 0;
  let bestParams: Record<string, Float32Array> | null = null;
  let stoppedEarly = false;
  const nBatches = Math.ceil(sampler.size / p.batchSize);
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    if (opts.signal?.aborted) throw new Error(`${opts.model}: training cancelled`);
    const t0 = performance.now();
    const progress = new Progress(`${opts.model} epoch ${epoch}/${p.epochs}`, {
      total: sampler.size,
      unit: "samples",
      sink: opts.progress,
    });
    const s = sampler.epoch(opts.seed, epoch);
    const res = await network.trainBatches(s.users, s.items, s.labels, p.batchSize, {
      onProgress: (done, lossSum) => {
        progress.set(done, { loss: lossSum / Math.max(1, done) });
        return !opts.signal?.aborted;
      },
    });
    if (res.divergedBatch >= 0) {
      progress.finish({ loss: NaN });
      throw new DivergenceError(
        `${opts.model}: training diverged at epoch ${epoch}, batch ${res.divergedBatch + 1} of ` +
          `${nBatches} (the loss is NaN or infinite; optimizer ${p.optimizer}, lr ${p.lr}): ` +
          `lower the learning rate`,
      );
    }
    if (opts.signal?.aborted) throw new Error(`${opts.model}: training cancelled`);
    const seconds = (performance.now() - t0) / 1000;
    const record: EpochRecord = {
      epoch,
      loss: res.lossSum / Math.max(1, res.samples),
      seconds,
      samples: res.samples,
    };
    const valid = await validate(opts.scorer, split, opts.model);
    if (valid) {
      record.valid = valid;
      const metric = valid[p.validMetric];
      if (metric > best) {
        best = metric;
        bestEpoch = epoch;
        bestParams = await network.getParams();
        if (opts.checkpointDir) {
          await writeWeights(join(opts.checkpointDir, "best.weights"), {
            model: opts.model,
            meta: { ...opts.checkpointMeta, epoch, valid, seed: opts.seed },
            params: bestParams,
            shapes: opts.shapes ?? {},
          });
        }
      }
    } else {
      bestEpoch = epoch;
    }
    progress.finish({
      loss: record.loss,
      ...(valid ? { [`valid ${p.validMetric}`]: valid[p.validMetric] } : {}),
    });
    history.push(record);
    await opts.onEpoch?.(record);
    if (valid && p.patience > 0 && epoch - bestEpoch >= p.patience) {
      stoppedEarly = epoch < p.epochs;
      break;
    }
  }
  const last = history.length ? history[history.length - 1].epoch : 0;
  if (bestParams && bestEpoch !== last) await network.setParams(bestParams);
  return {
    history,
    bestEpoch,
    stoppedEarly,
    bestValid: Number.isFinite(best) ? best : null,
  };
}
