/**
 * Writing and reading one run folder (see layout.ts). Every write is atomic; the
 * metrics file is written last, so an interrupted run is never mistaken for a finished one.
 *
 * @module
 */
import { join } from "node:path";
import type { EpochRecord } from "../models/types.ts";
import type { EnvironmentInfo } from "../util/env.ts";
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { RESULTS_LAYOUT_VERSION, RUN_FILES } from "./layout.ts";

/** Final figures of a run (metrics.json). */
export interface RunMetrics {
  layoutVersion: number;
  /** Sampled-candidate metrics on the test set: key (e.g. "HR@10") -> mean over users. */
  sampled?: Record<string, number>;
  /** Full-ranking metrics on the test set: key -> mean over users. */
  full?: Record<string, number>;
  /** Validation metrics of the kept model (model selection used only these). */
  valid?: Record<string, number>;
  /** Epoch whose weights were kept, or null for closed-form models. */
  bestEpoch: number | null;
  /** Wall seconds: fitting, evaluation, and the whole run. */
  timings: { fitSeconds: number; evalSeconds: number; totalSeconds: number };
  /** Users evaluated per protocol. */
  users: { sampled: number; full: number };
  /** Free-form facts (backend, parameter count, ...). */
  info?: Record<string, string | number | boolean>;
  /** ISO time the run finished. */
  finishedAt: string;
}

/** Per-user metric values: column "sampled:HR@10" -> one value per entry of `users`. */
export interface PerUserTable {
  /** User indices, ascending. Shape: [n]. */
  users: Int32Array;
  /** Column name -> values aligned with `users`. Shape of each: [n]. */
  columns: Record<string, Float64Array>;
}

/** Everything in a finished run folder. */
export interface RunRecord {
  dir: string;
  config: Record<string, unknown>;
  environment: EnvironmentInfo;
  history: EpochRecord[];
  metrics: RunMetrics;
}

/** Starts a run: writes config.json and environment.json (and an empty history). */
export async function writeRunStart(
  dir: string,
  config: unknown,
  environment: EnvironmentInfo,
): Promise<void> {
  await writeJsonAtomic(join(dir, RUN_FILES.config), config);
  await writeJsonAtomic(join(dir, RUN_FILES.environment), environment);
  await writeJsonAtomic(join(dir, RUN_FILES.history), []);
}

/** Rewrites history.json with all epochs so far. */
export function writeHistory(dir: string, history: EpochRecord[]): Promise<void> {
  return writeJsonAtomic(join(dir, RUN_FILES.history), history);
}

/** Finishes a run: per-user values first, metrics.json last. */
export async function writeRunResult(
  dir: string,
  metrics: Omit<RunMetrics, "layoutVersion" | "finishedAt">,
  perUser?: PerUserTable,
): Promise<void> {
  if (perUser) {
    await writeFileAtomic(join(dir, RUN_FILES.perUser), await gzip(perUserToCsv(perUser)));
  }
  const full: RunMetrics = {
    layoutVersion: RESULTS_LAYOUT_VERSION,
    ...metrics,
    finishedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(dir, RUN_FILES.metrics), full);
}

/** True when the run folder holds a finished run (its metrics.json exists). */
export function isRunFinished(dir: string): Promise<boolean> {
  return exists(join(dir, RUN_FILES.metrics));
}

/** Reads a finished run; errors name the folder and what is wrong. */
export async function readRun(dir: string): Promise<RunRecord> {
  const metrics = await readJson<RunMetrics>(join(dir, RUN_FILES.metrics));
  if (metrics.layoutVersion !== RESULTS_LAYOUT_VERSION) {
    throw new Error(
      `${dir}: results layout version ${metrics.layoutVersion ?? "(none)"}, this code reads ` +
        `version ${RESULTS_LAYOUT_VERSION}; rerun the experiment to regenerate it`,
    );
  }
  const [config, environment, history] = await Promise.all([
    readJson<Record<string, unknown>>(join(dir, RUN_FILES.config)),
    readJson<EnvironmentInfo>(join(dir, RUN_FILES.environment)),
    readJson<EpochRecord[]>(join(dir, RUN_FILES.history)),
  ]);
  return { dir, config, environment, history, metrics };
}

/** Reads per_user.csv.gz of a run, or null when the run has none. */
export async function readPerUser(dir: string): Promise<PerUserTable | null> {
  const path = join(dir, RUN_FILES.perUser);
  if (!(await exists(path))) return null;
  return perUserFromCsv(await gunzipText(await Deno.readFile(path)), path);
}

/** Serialises a per-user table as CSV: `user,<col>,...` with full float precision. */
export function perUserToCsv(table: PerUserTable): string {
  const names = Object.keys(table.columns);
  for (const n of names) {
    if (table.columns[n].length !== table.users.length) {
      throw new Error(
        `per-user column ${n} has ${
          table.columns[n].length
        } values for ${table.users.length} users`,
      );
    }
  }
  const lines = [["user", ...names].join(",")];
  for (let r = 0; r < table.users.length; r++) {
    let line = String(table.users[r]);
    for (const n of names) line += "," + String(table.columns[n][r]);
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}

/** Parses CSV written by {@link perUserToCsv}; `source` names the file in errors. */
export function perUserFromCsv(text: string, source = "per_user.csv"): PerUserTable {
  const lines = text.split("\n").filter((l) => l.length > 0);
  if (lines.length === 0) throw new Error(`${source}: empty`);
  const header = lines[0].split(",");
  if (header[0] !== "user") throw new Error(`${source}:1: expected a "user" first column`);
  const n = lines.length - 1;
  const users = new Int32Array(n);
  const cols = header.slice(1).map(() => new Float64Array(n));
  for (let r = 0; r < n; r++) {
    const parts = lines[r + 1].split(",");
    if (parts.length !== header.length) {
      throw new Error(`${source}:${r + 2}: expected ${header.length} fields, got ${parts.length}`);
    }
    users[r] = Number(parts[0]);
    for (let c = 0; c < cols.length; c++) cols[c][r] = Number(parts[c + 1]);
  }
  const columns: Record<string, Float64Array> = {};
  header.slice(1).forEach((name, c) => (columns[name] = cols[c]));
  return { users, columns };
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzipText(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}
