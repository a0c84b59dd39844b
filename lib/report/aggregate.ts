/**
 * Reading an experiment's results from disk and aggregating them: runs grouped into table
 * rows, metrics averaged over seeds (mean, sample std), per-user values averaged over
 * seeds for paired significance tests. Everything here reads `results/` files only.
 *
 * @module
 */
import { join } from "node:path";
import type { EpochRecord } from "../models/types.ts";
import {
  experimentDir,
  type ExperimentManifest,
  type ManifestRun,
  type PerUserTable,
  readManifest,
  readPerUser,
  readRun,
  RUN_FILES,
  type RunMetrics,
} from "../results/mod.ts";
import { exists } from "../util/fs.ts";

/** One finished run as the tables see it. */
export interface RunResult {
  id: string;
  /** Table row (model label plus the sweep values that affect the run). */
  row: string;
  /** Model label. */
  label: string;
  seed: number;
  /** Sweep values that affect the run: config path -> value. */
  point: Record<string, unknown>;
  /** The run folder. */
  dir: string;
  metrics: RunMetrics;
  history: EpochRecord[];
  /** The run's resolved config (config.json). */
  config: Record<string, unknown>;
}

/** An experiment's finished runs and what is still missing. */
export interface ExperimentResults {
  name: string;
  /** `results/<experiment>`. */
  dir: string;
  manifest: ExperimentManifest | null;
  /** Finished runs in plan order. */
  runs: RunResult[];
  /** Planned runs without metrics.json. */
  missing: ManifestRun[];
  /** Row labels in table order. */
  rows: string[];
}

/**
 * Reads every finished run of `results/<experiment>/`. With a manifest (written by the
 * experiment runner) only the runs it plans are read, in its order; without one, every
 * run folder holding a metrics.json.
 * @throws ResultsLayoutError for a folder of another layout version; Error when the
 *   experiment folder does not exist.
 */
export async function loadExperimentResults(
  resultsRoot: string,
  experiment: string,
): Promise<ExperimentResults> {
  const dir = experimentDir(resultsRoot, experiment);
  if (!(await exists(dir))) {
    throw new Error(
      `no results for experiment "${experiment}": ${dir} does not exist; run ` +
        `deno task experiment experiments/${experiment}.jsonc first`,
    );
  }
  const manifest = await readManifest(resultsRoot, experiment);
  let planned: ManifestRun[];
  if (manifest) planned = manifest.runs;
  else {
    planned = [];
    const runsDir = join(dir, "runs");
    const ids: string[] = [];
    if (await exists(runsDir)) {
      for await (const e of Deno.readDir(runsDir)) if (e.isDirectory) ids.push(e.name);
    }
    ids.sort();
    for (const id of ids) {
      const cfgPath = join(runsDir, id, RUN_FILES.config);
      if (!(await exists(cfgPath))) continue;
      const cfg = JSON.parse(await Deno.readTextFile(cfgPath));
      const label = String(cfg.label ?? cfg.model?.type ?? id);
      planned.push({
        id,
        row: String(cfg.row ?? label),
        label,
        seed: Number(cfg.seed ?? 0),
        point: cfg.point ?? {},
      });
    }
  }
  const runs: RunResult[] = [];
  const missing: ManifestRun[] = [];
  for (const p of planned) {
    const rdir = join(dir, "runs", p.id);
    if (!(await exists(join(rdir, RUN_FILES.metrics)))) {
      missing.push(p);
      continue;
    }
    const rec = await readRun(rdir);
    runs.push({ ...p, dir: rdir, metrics: rec.metrics, history: rec.history, config: rec.config });
  }
  const rows = manifest?.rows ?? [...new Set(planned.map((p) => p.row))];
  return { name: experiment, dir, manifest, runs, missing, rows };
}

/** Mean, sample standard deviation (n - 1) and count of some values. */
export interface Stats {
  mean: number;
  /** Sample standard deviation; 0 for a single value. */
  std: number;
  n: number;
}

/** Mean and sample standard deviation of `values` (NaN mean when empty). */
export function meanStd(values: readonly number[]): Stats {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** The value of metric column `column` ("sampled:HR@10", "full:NDCG@10", "valid:HR@10"). */
export function metricValue(m: RunMetrics, column: string): number | undefined {
  const colon = column.indexOf(":");
  if (colon < 0) return undefined;
  const protocol = column.slice(0, colon);
  const key = column.slice(colon + 1);
  const group = protocol === "sampled"
    ? m.sampled
    : protocol === "full"
    ? m.full
    : protocol === "valid"
    ? m.valid
    : undefined;
  const v = group?.[key];
  return typeof v === "number" ? v : undefined;
}

/**
 * Metric columns present in the runs: sampled first, then full ranking; keys in the order
 * the first run that has them lists them.
 */
export function metricColumns(runs: readonly RunResult[]): string[] {
  const out: string[] = [];
  for (const protocol of ["sampled", "full"] as const) {
    const seen = new Set<string>();
    for (const r of runs) {
      for (const key of Object.keys(r.metrics[protocol] ?? {})) {
        if (!seen.has(key)) {
          seen.add(key);
          out.push(`${protocol}:${key}`);
        }
      }
    }
  }
  return out;
}

/** Per row and column: the stats of the run values over seeds. */
export function aggregateRows(
  results: ExperimentResults,
  columns: readonly string[],
): Map<string, Map<string, Stats>> {
  const out = new Map<string, Map<string, Stats>>();
  for (const row of results.rows) {
    const runs = results.runs.filter((r) => r.row === row);
    const cells = new Map<string, Stats>();
    for (const col of columns) {
      const values = runs.map((r) => metricValue(r.metrics, col)).filter((v): v is number =>
        v !== undefined
      );
      cells.set(col, meanStd(values));
    }
    out.set(row, cells);
  }
  return out;
}

/**
 * Per-user values of one row and column, averaged over the row's seeds: users present in
 * every seed's per-user table, ascending. Null when a run has no per-user file or column.
 */
export async function rowPerUser(
  runs: readonly RunResult[],
  column: string,
  cache: Map<string, PerUserTable | null> = new Map(),
): Promise<{ users: Int32Array; values: Float64Array } | null> {
  if (runs.length === 0) return null;
  const tables: PerUserTable[] = [];
  for (const r of runs) {
    if (!cache.has(r.dir)) cache.set(r.dir, await readPerUser(r.dir));
    const t = cache.get(r.dir);
    if (!t || !t.columns[column]) return null;
    tables.push(t);
  }
  // Users in every table (one test list per user under leave-one-out; the same users).
  const counts = new Map<number, number>();
  for (const t of tables) for (const u of t.users) counts.set(u, (counts.get(u) ?? 0) + 1);
  const users = Int32Array.from([...counts].filter(([, c]) => c === tables.length).map(([u]) => u))
    .sort();
  const values = new Float64Array(users.length);
  for (const t of tables) {
    const index = new Map<number, number>();
    t.users.forEach((u, k) => index.set(u, k));
    const col = t.columns[column];
    for (let k = 0; k < users.length; k++) values[k] += col[index.get(users[k])!];
  }
  for (let k = 0; k < values.length; k++) values[k] /= tables.length;
  return { users, values };
}

/** Aligns two per-user vectors on their common users (both ascending). */
export function alignUsers(
  a: { users: Int32Array; values: Float64Array },
  b: { users: Int32Array; values: Float64Array },
): { a: Float64Array; b: Float64Array } {
  const outA: number[] = [];
  const outB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.users.length && j < b.users.length) {
    if (a.users[i] === b.users[j]) {
      outA.push(a.values[i++]);
      outB.push(b.values[j++]);
    } else if (a.users[i] < b.users[j]) i++;
    else j++;
  }
  return { a: Float64Array.from(outA), b: Float64Array.from(outB) };
}
