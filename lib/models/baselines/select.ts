/**
 * Hyperparameter choice on the validation set only: fit each candidate on
 * `split.train`, rank `split.valid`, keep the best. The test set is never read here.
 * (Experiments bring full sweeps; this small grid search is enough for the baselines.)
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import { type EvalResult, evaluateFullRanking, evaluateSampled } from "../../eval/mod.ts";
import { ConfigError } from "../../util/errors.ts";
import type { ProgressSink } from "../../util/progress.ts";
import type { FitReport, Recommender } from "../types.ts";

/** One point of a grid: its hyperparameters and how to build an unfitted model. */
export interface Candidate {
  params: Record<string, string | number | boolean>;
  make(): Recommender;
}

/** Options of {@link selectOnValidation}. */
export interface SelectOptions {
  /** Metric key to maximise on validation, default "NDCG@10". */
  metric?: string;
  /** Protocol used on validation, default "sampled" (needs `split.valid.negatives`). */
  protocol?: "sampled" | "full";
  /** Seed passed to every fit. */
  seed: number;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/** What {@link selectOnValidation} found. */
export interface Selection {
  /** The best candidate's parameters. */
  params: Record<string, string | number | boolean>;
  /** The best candidate, fitted on `split.train` (the others are disposed). */
  model: Recommender;
  /** Its fit report. */
  fit: FitReport;
  /** Its validation result. */
  valid: EvalResult;
  /** Every candidate's validation value of the metric, in grid order. */
  grid: { params: Record<string, string | number | boolean>; value: number; fitSeconds: number }[];
  /** Total seconds of the search (fits and validation). */
  seconds: number;
}

/**
 * Fits every candidate on `split.train` and keeps the one with the highest validation
 * `metric` (first in grid order on ties).
 *
 * @throws ConfigError when the split has no validation set or the grid is empty
 */
export async function selectOnValidation(
  candidates: Candidate[],
  split: Split,
  opts: SelectOptions,
): Promise<Selection> {
  const t0 = performance.now();
  if (!split.valid) {
    throw new ConfigError(
      `selectOnValidation: split ${split.name} has no validation set; build it with a ` +
        `validation item (leaveLatestOut(..., { validation: true }))`,
    );
  }
  if (candidates.length === 0) throw new ConfigError("selectOnValidation: empty grid");
  const metric = opts.metric ?? "NDCG@10";
  const protocol = opts.protocol ?? "sampled";
  const k = Number(/@(\d+)$/.exec(metric)?.[1] ?? 10);
  let best: Omit<Selection, "grid" | "seconds"> | null = null;
  let bestValue = -Infinity;
  const grid: Selection["grid"] = [];
  for (const c of candidates) {
    opts.signal?.throwIfAborted();
    const model = c.make();
    const fit = await model.fit(split, {
      seed: opts.seed,
      progress: opts.progress,
      signal: opts.signal,
    });
    // Every metric at the selection cut-off: cheap, and recorded as the run's validation figures.
    const evalOpts = { ks: [k], progress: opts.progress, name: model.name };
    const valid = protocol === "sampled"
      ? await evaluateSampled(model, split.valid, { ...evalOpts, on: "valid" })
      : await evaluateFullRanking(model, split, { ...evalOpts, on: "valid" });
    if (!(metric in valid.mean)) {
      throw new ConfigError(
        `selectOnValidation: metric "${metric}" is not computed; choose one of ${valid.keys}`,
      );
    }
    const value = valid.mean[metric];
    grid.push({ params: c.params, value, fitSeconds: fit.seconds });
    if (value > bestValue) {
      best?.model.dispose?.();
      bestValue = value;
      best = { params: c.params, model, fit, valid };
    } else {
      model.dispose?.();
    }
  }
  return { ...best!, grid, seconds: (performance.now() - t0) / 1000 };
}
