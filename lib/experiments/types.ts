/**
 * Types shared by the experiment machinery: the stages an experiment runs through
 * (data -> embedding -> model -> evaluation), the model registry entries, and the
 * resolved experiment and its runs.
 *
 * The stages are handed in as an {@link ExperimentEnv}, so that the same runner drives the
 * real modules (see `defaultEnv` in env.ts) and fast fake models in tests.
 *
 * @module
 */
import type { ItemMetadata, Split } from "../data/types.ts";
import type { Scorer } from "../eval/types.ts";
import type { FitContext, Recommender } from "../models/types.ts";
import type { PerUserTable } from "../results/mod.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { Schema } from "../util/schema.ts";

/** A dataset after loading, preprocessing and splitting: what models and evaluation see. */
export interface PreparedData {
  split: Split;
  /** Item metadata (titles, genres, keywords, ...) when the dataset has it. */
  metadata?: ItemMetadata;
  /** Facts recorded with every run (dataset name, counts, preparation seconds). */
  info: Record<string, string | number | boolean>;
}

/** What a model factory receives besides its validated parameters. */
export interface ModelInputs {
  data: PreparedData;
  /** Output of the embedding stage (Doc2Vec vectors), or null when the model needs none. */
  embedding: unknown | null;
  /** The run's seed (also passed to `fit`). */
  seed: number;
  /** Folder of the run, for checkpoints a model may write. */
  runDir: string;
}

/** One model in the registry: its name, its own parameter schema and its factory. */
export interface ModelEntry {
  /** Registry name used as `type` in configs, e.g. "NeuMF". */
  name: string;
  /** One line for docs and `--help`. */
  doc: string;
  /** The model's parameter schema (validated with lib/util/schema). */
  schema: Schema;
  /**
   * True when the model's result does not depend on the seed (closed-form or counting
   * models): it runs once, with the experiment's first seed, instead of once per seed.
   */
  seedless?: boolean;
  /** True when the model needs the embedding stage (Doc2Vec vectors). */
  needsEmbedding?: boolean | ((params: Record<string, unknown>) => boolean);
  /** Builds an untrained model. Absent when the model is declared but not available yet. */
  create?: (
    params: Record<string, unknown>,
    inputs: ModelInputs,
  ) => Recommender | Promise<Recommender>;
  /** Why the model cannot be used in this build (shown by validation), when `create` is absent. */
  unavailable?: string;
}

/** Evaluation settings of an experiment (the `eval` section). */
export interface EvalConfig {
  /** Metric names from lib/eval, e.g. ["HR", "NDCG"]. */
  metrics: string[];
  /** Cut-offs K. */
  ks: number[];
  /** Evaluate against sampled negatives. */
  sampled: boolean;
  /** Sampled negatives per test item. */
  negatives: number;
  /** Evaluate by full ranking (training items masked). */
  full: boolean;
}

/** Metrics of one evaluated model. */
export interface EvalOutput {
  /** Sampled metrics: key (e.g. "HR@10") -> mean over users. */
  sampled?: Record<string, number>;
  /** Full-ranking metrics: key -> mean over users. */
  full?: Record<string, number>;
  /**
   * Sampled metrics on the validation pairs (same metrics and K), when the split has them:
   * what sweeps select hyperparameters on (the test set never is).
   */
  valid?: Record<string, number>;
  /** Users evaluated per protocol. */
  users: { sampled: number; full: number };
  /** Per-user values, columns "sampled:HR@10", "full:NDCG@10", ... */
  perUser?: PerUserTable;
}

/** Context handed to a stage. */
export interface StageContext {
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * The stages an experiment runs through. `defaultEnv()` wires the workspace's modules;
 * tests build their own with fake data and models.
 */
export interface ExperimentEnv {
  /** Model registry (name -> schema + factory). */
  models: ModelRegistryLike;
  /** Schema of the config's `data` section (dataset, preprocessing, split). */
  dataSchema: Schema;
  /** Schema of the config's `embedding` section (Doc2Vec and documents). */
  embeddingSchema: Schema;
  /** Extra checks of the `embedding` section (e.g. nested Doc2Vec keys); throws ConfigError. */
  checkEmbedding?(embedding: Record<string, unknown>): void;
  /** Extra checks of the `eval` section (e.g. metric names); throws ConfigError. */
  checkEval?(evalConfig: EvalConfig): void;
  /** Loads, preprocesses and splits a dataset (with `negatives` sampled candidates). */
  prepareData(
    data: Record<string, unknown>,
    evalConfig: EvalConfig,
    ctx: StageContext,
  ): Promise<PreparedData>;
  /** Trains the embedding stage (Doc2Vec) on the training split. */
  embed(
    embedding: Record<string, unknown>,
    data: PreparedData,
    seed: number,
    ctx: StageContext,
  ): Promise<unknown>;
  /** Evaluates a trained model on the test pairs. */
  evaluate(
    model: Scorer,
    data: PreparedData,
    evalConfig: EvalConfig,
    ctx: StageContext,
  ): Promise<EvalOutput>;
  /** Library versions and facts recorded in environment.json (backend, ...). */
  libraries?(): Record<string, string>;
}

/** What the runner needs from a model registry. */
export interface ModelRegistryLike {
  /** The entry called `name`; throws ConfigError naming `where` and the nearest name. */
  get(name: string, where: string): ModelEntry;
  /** Every registered name, in registration order. */
  names(): string[];
}

/** One model of a resolved experiment. */
export interface ResolvedModel {
  /** Row label in tables and run ids (the key under `models`, or the type). */
  label: string;
  /** Registry name. */
  type: string;
  /** Parameters validated by the model's schema (with the `train` defaults merged in). */
  params: Record<string, unknown>;
  /** Whether this model uses the embedding stage. */
  needsEmbedding: boolean;
  /** The model ignores the seed: it runs once per sweep point, with the first seed. */
  seedless: boolean;
  /**
   * The embedding settings this model trains on (the experiment's section with the model's
   * own `embedding` block merged over it), or null when it uses none.
   */
  embedding: Record<string, unknown> | null;
}

/** An experiment config after validation (one sweep point). */
export interface ResolvedExperiment {
  name: string;
  description: string;
  data: Record<string, unknown>;
  embedding: Record<string, unknown> | null;
  models: ResolvedModel[];
  eval: EvalConfig;
  seeds: number[];
  sweep: SweepConfig | null;
  table: TableConfig;
}

/** The `sweep` section. */
export interface SweepConfig {
  mode: "grid" | "random";
  /** Config key path -> list of values, or a range `{min, max, log?, int?}` (random mode). */
  params: Record<string, unknown>;
  /** Random mode: how many points to draw. */
  samples: number;
  /** Random mode: seed of the draw. */
  seed: number;
}

/** The `table` section: how results tables are generated. */
export interface TableConfig {
  /** Row label that significance is tested against; null: no tests. */
  baseline: string | null;
  /** Paired test over per-user values. */
  test: "t" | "wilcoxon";
  /** Significance level after Holm correction. */
  alpha: number;
  /** Decimals shown. */
  precision: number;
  /** Metric keys shown ("sampled:HR@10", ...); null: every metric evaluated. */
  columns: string[] | null;
  /** Sweeps: validation metric key that picks each model's sweep point. */
  select: string;
}

/** The resolved config of one run, saved as its config.json. */
export interface RunConfig {
  experiment: string;
  runId: string;
  /** Row label (model label plus the sweep values that affect this run). */
  row: string;
  label: string;
  /** Sweep values that affect this run: config path -> value. */
  point: Record<string, unknown>;
  seed: number;
  model: { type: string; params: Record<string, unknown> };
  data: Record<string, unknown>;
  embedding: Record<string, unknown> | null;
  eval: EvalConfig;
}

/** One planned run of an experiment. */
export interface PlannedRun {
  id: string;
  config: RunConfig;
}

/** A whole experiment: its resolved base config, sweep points and runs in order. */
export interface ExperimentPlan {
  name: string;
  /** The config file it came from, or null. */
  source: string | null;
  /** The raw config after `--set` overrides (before sweep points). */
  raw: Record<string, unknown>;
  /** The resolved base config (without sweep assignments). */
  base: ResolvedExperiment;
  /** Sweep points (config path -> value); one empty point without a sweep. */
  points: Record<string, unknown>[];
  /** Runs in execution order (seed-major, then point, then model); ids are distinct. */
  runs: PlannedRun[];
}

/** Re-exported for model factories. */
export type { FitContext, Recommender };
