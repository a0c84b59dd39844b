/**
 * What the trainer needs from an executable network of the NCF family, whichever executor
 * runs it: the tfjs reference (tfjs_network.ts) or the fused kernels (fused_network.ts).
 *
 * @module
 */
import type { ParamDef } from "./architecture.ts";

/** Optimiser settings understood by every network. */
export interface OptimizerSettings {
  kind: "adam" | "sgd";
  /** Learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 coefficient added to gradients (coupled weight decay, as PyTorch's). */
  l2: number;
  /**
   * Row-wise lazy Adam for embedding tables (rows not in a batch stay put). False gives
   * PyTorch's dense Adam semantics. Only the fused executor implements true.
   */
  lazy: boolean;
}

/** Result of training on a sequence of batches. */
export interface TrainBatchesResult {
  /** Sum of per-sample losses over the samples trained. */
  lossSum: number;
  /** Samples trained. */
  samples: number;
  /** Index (from 0 in this call) of the first batch whose loss was not finite, or -1. */
  divergedBatch: number;
}

/** Options of {@link NcfNetwork.trainBatches}. */
export interface TrainBatchesOptions {
  /** Called now and then with samples done and the loss sum so far; false stops. */
  onProgress?: (samplesDone: number, lossSum: number) => boolean | void;
}

/** An executable network: train, score, read and write its weights. */
export interface NcfNetwork {
  /** Executor and backend, e.g. "fused (2 threads)" or "tfjs wasm". */
  readonly description: string;
  /** Every parameter, in the architecture's order. */
  readonly params: readonly ParamDef[];
  /**
   * Trains on the samples in order, `batchSize` per optimiser step (the last batch may be
   * smaller), mean binary cross-entropy of the logits per batch.
   */
  trainBatches(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
    batchSize: number,
    opts?: TrainBatchesOptions,
  ): Promise<TrainBatchesResult>;
  /**
   * Mean BCE loss and the gradient of the training objective (BCE + the optimiser's L2
   * term) with respect to every trainable parameter, on all samples as one batch, without
   * changing anything (tests, gradient checks).
   */
  gradients(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
  ): Promise<{ loss: number; grads: Record<string, Float32Array> }>;
  /** Logits (pre-sigmoid scores) of the pairs `(users[p], items[p])`. */
  scorePairs(users: Int32Array, items: Int32Array): Promise<Float32Array>;
  /** Copies of every parameter's values by name. */
  getParams(): Promise<Record<string, Float32Array>>;
  /** Sets parameters by name (any subset); shapes must match. */
  setParams(values: Record<string, Float32Array>): Promise<void>;
  /** Sets the optimiser and starts it from a fresh state (zero moments, step 0). */
  setOptimizer(opt: OptimizerSettings): void;
  /** Frees tensors, workers and memory. */
  dispose(): void;
}
