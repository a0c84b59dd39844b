/**
 * Run folders on disk: the stable results layout, atomic writers and readers.
 *
 * @module
 */
export { experimentDir, RESULTS_LAYOUT_VERSION, RUN_FILES, runDir } from "./layout.ts";
export {
  isRunFinished,
  perUserFromCsv,
  type PerUserTable,
  perUserToCsv,
  readPerUser,
  readRun,
  type RunMetrics,
  type RunRecord,
  writeHistory,
  writeRunResult,
  writeRunStart,
} from "./run.ts";
export {
  checkLayoutVersion,
  type ExperimentManifest,
  MANIFEST_FILE,
  manifestPath,
  type ManifestRun,
  readManifest,
  ResultsLayoutError,
  writeManifest,
} from "./experiment.ts";
