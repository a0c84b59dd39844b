/**
 * The results folder layout, stable across versions (a change bumps
 * {@link RESULTS_LAYOUT_VERSION} and readers say so clearly):
 *
 * ```
 * results/
 *   <experiment>/                  one experiment (config file stem)
 *     experiment.json              manifest: config as run, table settings, planned runs
 *     runs/<run-id>/               one model x config x seed
 *       config.json                resolved run config, written first
 *       environment.json           Deno, library versions, backend, cores
 *       history.json               per-epoch records, rewritten after every epoch
 *       per_user.csv.gz            per-user metric values (one row per evaluated user)
 *       metrics.json               aggregates + timings; written LAST: a run is finished
 *                                  exactly when this file exists
 *     tables/                      generated tables (md, csv, tex)
 *     figures/                     generated figures (svg, Plotly json)
 *   bench/<name>.json              benchmark outputs
 * ```
 *
 * @module
 */
import { join } from "node:path";

/** Bumped whenever a file's meaning changes; stored in every metrics.json. */
export const RESULTS_LAYOUT_VERSION = 1;

/** File names inside a run folder. */
export const RUN_FILES = {
  config: "config.json",
  environment: "environment.json",
  history: "history.json",
  perUser: "per_user.csv.gz",
  metrics: "metrics.json",
} as const;

/** `results/<experiment>` under a results root. */
export function experimentDir(resultsRoot: string, experiment: string): string {
  return join(resultsRoot, experiment);
}

/** `results/<experiment>/runs/<runId>`. Run ids must be safe file names. */
export function runDir(resultsRoot: string, experiment: string, runId: string): string {
  if (!/^[A-Za-z0-9._=+-]+$/.test(runId)) {
    throw new Error(`run id ${JSON.stringify(runId)} must use only letters, digits and . _ = + -`);
  }
  return join(resultsRoot, experiment, "runs", runId);
}
