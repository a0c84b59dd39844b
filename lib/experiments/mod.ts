/**
 * Experiments: one config schema for every file in `experiments/`, `--set` overrides,
 * grid and random sweeps repeated over seeds, stable run ids, sharding, and a resumable
 * runner writing `results/<experiment>/runs/<run-id>/`. See docs/experiments.md.
 *
 * @example
 * ```ts
 * import { loadPlan, runExperiment } from "./lib/experiments/mod.ts";
 * const plan = await loadPlan("experiments/ncf_comparison.jsonc", env, { sets: ["train.epochs=5"] });
 * const summary = await runExperiment(plan, env, { resultsRoot: "results" });
 * ```
 *
 * @module
 */
export type {
  EvalConfig,
  EvalOutput,
  ExperimentEnv,
  ExperimentPlan,
  ModelEntry,
  ModelInputs,
  ModelRegistryLike,
  PlannedRun,
  PreparedData,
  ResolvedExperiment,
  ResolvedModel,
  RunConfig,
  StageContext,
  SweepConfig,
  TableConfig,
} from "./types.ts";
export { ModelRegistry } from "./registry.ts";
export {
  applyOverrides,
  evalSchema,
  experimentSchema,
  fieldAtPath,
  getPath,
  nameFromPath,
  parseOverride,
  parseValueForField,
  readConfigFile,
  resolveConfig,
  setPath,
  sweepSchema,
  tableSchema,
  withSource,
} from "./config.ts";
export { lineOfKey, parseJsonc, stripJsonc } from "./jsonc.ts";
export { canonicalJson, contentHash } from "./hash.ts";
export {
  parseShard,
  planExperiment,
  type PlanOptions,
  selectShard,
  type Shard,
  sweepPoints,
} from "./sweep.ts";
export { acquireRunLock, isStale, LOCK_FILE, type LockInfo, type LockResult } from "./lock.ts";
export {
  finishedRuns,
  isDiskError,
  planFingerprint,
  runExperiment,
  type RunOptions,
  type RunSummary,
  SweepAborted,
} from "./runner.ts";
export { loadPlan, type LoadPlanOptions } from "./load.ts";
export { checkEvalMetrics, dataSchema, defaultEnv, evaluateModel, prepareData } from "./env.ts";
export { defaultModelRegistry, modelLibraries } from "./models.ts";
export {
  defaultDataset,
  planReproduce,
  reproduce,
  reproduceConfigPath,
  reproduceName,
  type ReproduceOptions,
} from "./reproduce.ts";
export { seededEmbeddingConfig } from "./embedding.ts";
export { TunedBaseline } from "./models.ts";
