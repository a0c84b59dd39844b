/**
 * The experiment manifest `results/<experiment>/experiment.json`: the config as run (after
 * `--set` overrides), the table settings, and the planned runs in order. Tables are built
 * from it and the run folders alone; runs left over from an earlier version of the config
 * (a different run id) are ignored by the tables.
 *
 * @module
 */
import { join } from "node:path";
import { exists, readJson, writeJsonAtomic } from "../util/fs.ts";
import { RESULTS_LAYOUT_VERSION } from "./layout.ts";

/** File name of the manifest inside `results/<experiment>/`. */
export const MANIFEST_FILE = "experiment.json";

/** One planned run as listed in the manifest. */
export interface ManifestRun {
  id: string;
  /** Table row (model label plus the sweep values that affect the run). */
  row: string;
  /** Model label. */
  label: string;
  seed: number;
  /** Sweep values that affect the run: config path -> value. */
  point: Record<string, unknown>;
}

/** Contents of experiment.json. */
export interface ExperimentManifest {
  layoutVersion: number;
  name: string;
  description: string;
  /** Config file the experiment came from, or null. */
  source: string | null;
  /** The config as run (after overrides), for reruns and provenance. */
  config: Record<string, unknown>;
  /** The `table` section (baseline, test, alpha, precision, columns). */
  table: Record<string, unknown>;
  /** Row labels in table order. */
  rows: string[];
  /** Planned runs in execution order. */
  runs: ManifestRun[];
  /** ISO time of writing. */
  writtenAt: string;
}

/** A results folder written by another layout version; the message says what to do. */
export class ResultsLayoutError extends Error {
  override name = "ResultsLayoutError";
}

/** Path of an experiment's manifest. */
export function manifestPath(resultsRoot: string, experiment: string): string {
  return join(resultsRoot, experiment, MANIFEST_FILE);
}

/** Writes the manifest atomically. */
export function writeManifest(
  resultsRoot: string,
  manifest: Omit<ExperimentManifest, "layoutVersion" | "writtenAt">,
): Promise<void> {
  return writeJsonAtomic(manifestPath(resultsRoot, manifest.name), {
    layoutVersion: RESULTS_LAYOUT_VERSION,
    ...manifest,
    writtenAt: new Date().toISOString(),
  });
}

/**
 * Reads an experiment's manifest, or null when there is none.
 * @throws ResultsLayoutError when it was written by another layout version.
 */
export async function readManifest(
  resultsRoot: string,
  experiment: string,
): Promise<ExperimentManifest | null> {
  const path = manifestPath(resultsRoot, experiment);
  if (!(await exists(path))) return null;
  const m = await readJson<ExperimentManifest>(path);
  checkLayoutVersion(m.layoutVersion, join(resultsRoot, experiment));
  return m;
}

/**
 * Throws a ResultsLayoutError unless `version` is the layout this code writes; the message
 * names the folder and how to keep the old results while rerunning.
 */
export function checkLayoutVersion(version: unknown, folder: string): void {
  if (version === RESULTS_LAYOUT_VERSION) return;
  throw new ResultsLayoutError(
    `${folder} was written by results layout version ${version ?? "(none)"}; this version ` +
      `reads and writes layout ${RESULTS_LAYOUT_VERSION}. Nothing was changed there. Keep it ` +
      `and write elsewhere with --out <dir>, or move it away (mv ${folder} ${folder}.old) ` +
      `and rerun.`,
  );
}
