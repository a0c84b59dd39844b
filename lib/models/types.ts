/**
 * The one interface every recommender implements (RecBole style): the trainer,
 * evaluator and experiments know nothing else about a model.
 *
 * @module
 */
import type { Split } from "../data/types.ts";
import type { Scorer } from "../eval/types.ts";
import type { ProgressSink } from "../util/progress.ts";

/** What `fit` receives besides the data. */
export interface FitContext {
  /** Seed for every random choice inside fit (init, sampling, shuffling). */
  seed: number;
  /** Where progress goes; defaults to the environment's sink. */
  progress?: ProgressSink;
  /** Cancels a long fit (e.g. a sweep being stopped). */
  signal?: AbortSignal;
  /**
   * Called after each epoch with its record (trainers that have epochs call it), so that
   * experiments can rewrite history.json as training goes; awaited before the next epoch.
   */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
}

/** One epoch's record in a training history. */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  /** Wall seconds of the epoch's training (sampling included, evaluation excluded). */
  seconds: number;
  /** Training samples processed in the epoch. */
  samples: number;
  /** Validation metrics after the epoch (e.g. {"HR@10": 0.61}), when evaluated. */
  valid?: Record<string, number>;
}

/** What `fit` reports back. */
export interface FitReport {
  /** Per-epoch records; empty for closed-form models. */
  history: EpochRecord[];
  /** Epoch whose weights were kept (early stopping), or null for closed-form models. */
  bestEpoch: number | null;
  /** Wall seconds of the whole fit. */
  seconds: number;
  /** Model-specific facts worth recording (backend, parameter count, ...). */
  info: Record<string, string | number | boolean>;
}

/** A trainable recommender. */
export interface Recommender extends Scorer {
  /** Short name used in tables, e.g. "NeuMF", "EASE". */
  readonly name: string;
  /** Learns from `split.train` (and may use `split.valid` for model selection, never `split.test`). */
  fit(split: Split, ctx: FitContext): Promise<FitReport>;
  /** Frees workers or tensors held by the model. */
  dispose?(): void;
}
