/**
 * Hyperparameters shared by every neural model (training loop, optimiser, backend),
 * declared once with NCF's reference defaults: batch 256, 4 negatives, Adam 1e-3,
 * 20 epochs. Each model's schema (gmf.ts, mlp.ts, ...) adds its architecture keys to these.
 *
 * @module
 */
import { int, num, oneOf, type Schema } from "../../util/schema.ts";

/** Backends a neural model can train on (see docs/backends.md). */
export const BACKEND_NAMES = ["auto", "fused", "wasm", "cpu", "tensorflow"] as const;
/** A backend name. */
export type BackendName = typeof BACKEND_NAMES[number];

/**
 * Training keys of every neural model. `defaults` overrides the NCF defaults for one model
 * (e.g. the notebook hybrid's lr 0.01, batch 512).
 */
export function trainingSchema(defaults: Partial<Record<string, number | string>> = {}) {
  const d = (key: string, value: number | string) => (defaults[key] ?? value) as never;
  return {
    epochs: int({
      default: d("epochs", 20),
      min: 1,
      doc: "training epochs (upper bound with early stopping)",
    }),
    batchSize: int({ default: d("batchSize", 256), min: 1, doc: "samples per optimiser step" }),
    negatives: int({
      default: d("negatives", 4),
      min: 0,
      doc: "sampled negatives per positive, drawn afresh each epoch",
    }),
    optimizer: oneOf(["adam", "sgd"] as const, {
      default: d("optimizer", "adam"),
      doc: "optimiser",
    }),
    lr: num({ default: d("lr", 0.001), min: 0, exclusiveMin: true, doc: "learning rate" }),
    l2: num({
      default: d("l2", 0),
      min: 0,
      doc:
        "L2 coefficient added to gradients (dense weights every step, embedding rows when in a batch)",
    }),
    beta1: num({ default: 0.9, min: 0, max: 1, exclusiveMax: true, doc: "Adam beta1" }),
    beta2: num({ default: 0.999, min: 0, max: 1, exclusiveMax: true, doc: "Adam beta2" }),
    eps: num({ default: 1e-8, min: 0, doc: "Adam epsilon (PyTorch's default)" }),
    embeddingAdam: oneOf(["dense", "lazy"] as const, {
      default: "dense",
      doc: "dense: PyTorch's semantics (untouched rows keep moving); lazy: only rows in the batch",
    }),
    patience: int({
      default: d("patience", 5),
      min: 0,
      doc: "stop after this many epochs without validation improvement (0: never stop early)",
    }),
    validMetric: oneOf(["HR@10", "NDCG@10"] as const, {
      default: "HR@10",
      doc: "validation metric for early stopping and best-epoch restore",
    }),
    backend: oneOf(BACKEND_NAMES, { default: "auto", doc: "compute backend (docs/backends.md)" }),
    threads: int({
      default: 0,
      min: 0,
      max: 64,
      doc: "threads of the fused backend (0: min(2, cores))",
    }),
  } satisfies Schema;
}

/** The training keys with NCF's defaults. */
export const TRAINING_SCHEMA = trainingSchema();

/** Validated training settings. */
export interface TrainingParams {
  epochs: number;
  batchSize: number;
  negatives: number;
  optimizer: "adam" | "sgd";
  lr: number;
  l2: number;
  beta1: number;
  beta2: number;
  eps: number;
  embeddingAdam: "dense" | "lazy";
  patience: number;
  validMetric: "HR@10" | "NDCG@10";
  backend: BackendName;
  threads: number;
}
