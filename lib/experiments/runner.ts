/**
 * Runs the runs of an experiment plan (or one shard of it) into `results/<experiment>/`.
 *
 * Resumable by construction: a run is finished exactly when its metrics.json exists
 * (written last, atomically), so a restarted sweep skips finished runs, redoes a run that
 * was interrupted (its folder is cleared first) and never duplicates one (run ids are
 * stable and each run folder is locked while it runs).
 *
 * Errors: a bad config or missing data (ConfigError, DataError) and disk errors stop the
 * sweep at once with a message saying that finished runs are intact; any other error in
 * a run (e.g. a diverging model) is written to the run's error.txt, and the sweep goes on
 * unless `failFast` is set.
 *
 * @module
 */
import { join } from "node:path";
import type { EpochRecord } from "../models/types.ts";
import {
  checkLayoutVersion,
  experimentDir,
  readManifest,
  RUN_FILES,
  runDir,
  writeHistory,
  writeManifest,
  writeRunResult,
  writeRunStart,
} from "../results/mod.ts";
import { environmentInfo } from "../util/env.ts";
import { ConfigError, DataError } from "../util/errors.ts";
import { exists, writeFileAtomic } from "../util/fs.ts";
import { formatDuration, type ProgressSink } from "../util/progress.ts";
import { canonicalJson, contentHash } from "./hash.ts";
import { acquireRunLock, LOCK_FILE } from "./lock.ts";
import { selectShard, type Shard } from "./sweep.ts";
import type { ExperimentEnv, ExperimentPlan, PlannedRun, PreparedData } from "./types.ts";

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /** Results root (default "results"). */
  resultsRoot?: string;
  /** Only the runs of this shard. */
  shard?: Shard | null;
  /** Stop at the first failed run (default: record it and go on). */
  failFast?: boolean;
  /** Cancels the sweep (the running fit receives it too). */
  signal?: AbortSignal;
  /** Where the stages and models report progress. */
  progress?: ProgressSink;
  /** One line per run event (default: stderr). */
  log?: (line: string) => void;
  /** Lock heartbeat age (s) after which a lock from another host counts as abandoned. */
  staleLockAfterS?: number;
  /**
   * Recompute every run: an existing experiment folder is first moved (never deleted) to
   * `<resultsRoot>/tmp/previous/<name>-<UTC time>/`. Not with a shard of several: the other
   * shards share the folder.
   */
  fresh?: boolean;
}

/** What a sweep did. */
export interface RunSummary {
  experiment: string;
  /** Experiment folder. */
  dir: string;
  /** Runs in the whole plan. */
  planned: number;
  /** Runs of this shard. */
  inShard: number;
  /** Runs of this shard already finished before this call. */
  skipped: number;
  /** Run ids this call finished. */
  ran: string[];
  /** Runs that failed (error.txt written). */
  failed: { id: string; message: string }[];
  /** Runs locked by another live process (left to it). */
  busy: string[];
  /** True when every run of the whole plan is finished now. */
  allFinished: boolean;
  /** Wall seconds of this call. */
  seconds: number;
}

/** A sweep stopped by a disk, config or data error, or by the user; finished runs stay. */
export class SweepAborted extends Error {
  override name = "SweepAborted";
}

const DISK_CODES = new Set(["ENOSPC", "EIO", "EROFS", "EDQUOT", "ENOTDIR", "EACCES", "EPERM"]);

/** True when `err` (or a cause) is a filesystem failure (full disk, read-only, ...). */
export function isDiskError(err: unknown): boolean {
  for (
    let e = err as { code?: string; message?: string; cause?: unknown } | undefined, d = 0;
    e && d < 8;
    d++
  ) {
    if (typeof e.code === "string" && DISK_CODES.has(e.code)) return true;
    if (
      e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.PermissionDenied ||
      e instanceof Deno.errors.IsADirectory
    ) return true;
    if (/could not write|no space left|read-only file system|disk quota/i.test(e.message ?? "")) {
      return true;
    }
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Moves `<root>/<name>/` to `<root>/tmp/previous/<name>-<UTC time>/` so that every run is
 * recomputed and nothing earlier is lost (see {@link RunOptions.fresh}).
 */
async function moveAside(
  root: string,
  name: string,
  shard: Shard | null,
  log: (line: string) => void,
): Promise<void> {
  if (shard && shard.count > 1) {
    throw new ConfigError(
      `--fresh cannot be combined with --shard ${shard.index + 1}/${shard.count}: the other ` +
        `shards share ${experimentDir(root, name)}; move it aside once, then start the shards`,
    );
  }
  const dir = experimentDir(root, name);
  if (!(await exists(dir))) return;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const parent = join(root, "tmp", "previous");
  const target = join(parent, `${name}-${stamp}`);
  try {
    await Deno.mkdir(parent, { recursive: true });
    await Deno.rename(dir, target);
  } catch (err) {
    throw new SweepAborted(`--fresh: cannot move ${dir} to ${target}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  log(`--fresh: earlier results of ${name} moved to ${target}; every run is recomputed`);
}

/** Runs of the plan whose metrics.json exists (checking each one's layout version). */
export async function finishedRuns(
  plan: ExperimentPlan,
  resultsRoot = "results",
): Promise<Set<string>> {
  const done = new Set<string>();
  for (const run of plan.runs) {
    const dir = runDir(resultsRoot, plan.name, run.id);
    const path = join(dir, RUN_FILES.metrics);
    if (!(await exists(path))) continue;
    let version: unknown;
    try {
      version = JSON.parse(await Deno.readTextFile(path)).layoutVersion;
    } catch {
      version = "(unreadable)";
    }
    checkLayoutVersion(version, dir);
    done.add(run.id);
  }
  return done;
}

/** Table rows: models in config order, each model's sweep points in plan order. */
function tableRows(plan: ExperimentPlan): string[] {
  const rows = [...new Set(plan.runs.map((r) => r.config.row))];
  const order = plan.base.models.map((m) => m.label);
  const labelOf = new Map(plan.runs.map((r) => [r.config.row, r.config.label]));
  const rank = (row: string) => {
    const i = order.indexOf(labelOf.get(row)!);
    return i < 0 ? order.length : i;
  };
  return rows.map((row, i) => ({ row, i })).sort((a, b) => rank(a.row) - rank(b.row) || a.i - b.i)
    .map((x) => x.row);
}

/**
 * Seconds the `runs` left will take: each run at the mean duration of the finished runs of
 * its row (the same model and sweep point, other seeds), else at the mean of all finished
 * runs. NaN before any run finished.
 */
function estimateSeconds(runs: PlannedRun[], done: { row: string; seconds: number }[]): number {
  if (done.length === 0) return NaN;
  const all = done.reduce((a, d) => a + d.seconds, 0) / done.length;
  const byRow = new Map<string, number[]>();
  for (const d of done) byRow.set(d.row, [...(byRow.get(d.row) ?? []), d.seconds]);
  let total = 0;
  for (const r of runs) {
    const same = byRow.get(r.config.row);
    total += same ? same.reduce((a, b) => a + b, 0) / same.length : all;
  }
  return total;
}

/** Removes what an interrupted attempt left in a run folder (the lock stays). */
async function clearPartial(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name === LOCK_FILE) continue;
    await Deno.remove(join(dir, entry.name), { recursive: true });
  }
}

function summaryLine(m: Record<string, number> | undefined, prefix: string): string {
  if (!m) return "";
  const parts = Object.entries(m).slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(4)}`);
  return parts.length ? `${prefix} ${parts.join(" ")}` : "";
}

/**
 * Runs the plan (or one shard of it): writes the manifest, then every unfinished run of
 * the shard in plan order.
 * @throws SweepAborted on a config, data or disk error or on cancellation (finished runs
 *   intact); ResultsLayoutError when the folder was written by another layout version.
 */
export async function runExperiment(
  plan: ExperimentPlan,
  env: ExperimentEnv,
  opts: RunOptions = {},
): Promise<RunSummary> {
  const t0 = performance.now();
  const root = opts.resultsRoot ?? "results";
  const log = opts.log ?? ((s: string) => console.error(s));
  const dir = experimentDir(root, plan.name);
  if (opts.fresh) await moveAside(root, plan.name, opts.shard ?? null, log);
  // Refuse a folder of another layout before touching anything in it.
  const previous = await readManifest(root, plan.name);
  const finished = await finishedRuns(plan, root);
  if (previous) {
    const mine = new Set(plan.runs.map((r) => r.id));
    const dropped = previous.runs.filter((r) => !mine.has(r.id)).length;
    if (dropped > 0) {
      log(
        `note: the config changed since ${dir} was last run: ${dropped} of its earlier runs ` +
          `are not in this plan; they stay in runs/ but leave the tables`,
      );
    }
  }
  try {
    await writeManifest(root, {
      name: plan.name,
      description: plan.base.description,
      source: plan.source,
      config: plan.raw,
      table: { ...plan.base.table },
      rows: tableRows(plan),
      runs: plan.runs.map((r) => ({
        id: r.id,
        row: r.config.row,
        label: r.config.label,
        seed: r.config.seed,
        point: r.config.point,
      })),
    });
  } catch (err) {
    throw new SweepAborted(`cannot write to ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const mine = selectShard(plan.runs, opts.shard);
  const todo = mine.filter((r) => !finished.has(r.id));
  const summary: RunSummary = {
    experiment: plan.name,
    dir,
    planned: plan.runs.length,
    inShard: mine.length,
    skipped: mine.length - todo.length,
    ran: [],
    failed: [],
    busy: [],
    allFinished: false,
    seconds: 0,
  };
  const shardText = opts.shard && opts.shard.count > 1
    ? ` (shard ${opts.shard.index + 1}/${opts.shard.count}: ${mine.length} runs)`
    : "";
  log(
    `experiment ${plan.name}: ${plan.runs.length} runs${shardText}, ` +
      `${summary.skipped} already finished, ${todo.length} to run -> ${dir}`,
  );
  if (todo.length === 0 && mine.length > 0) {
    log(`nothing to run: every run is finished (--fresh recomputes them)`);
  }

  // Data and embeddings are shared by runs with the same settings (and seed).
  const dataCache = new Map<string, PreparedData>();
  const embedCache = new Map<string, unknown>();
  const getData = async (run: PlannedRun): Promise<PreparedData> => {
    const key = canonicalJson([run.config.data, run.config.eval.negatives]);
    let d = dataCache.get(key);
    if (!d) {
      dataCache.clear();
      embedCache.clear();
      d = await env.prepareData(run.config.data, run.config.eval, {
        progress: opts.progress,
        signal: opts.signal,
      });
      dataCache.set(key, d);
    }
    return d;
  };
  const getEmbedding = async (run: PlannedRun, data: PreparedData): Promise<unknown> => {
    if (run.config.embedding === null) return null;
    const key = canonicalJson([run.config.data, run.config.embedding, run.config.seed]);
    if (!embedCache.has(key)) {
      if (embedCache.size >= 2) embedCache.delete(embedCache.keys().next().value!);
      embedCache.set(
        key,
        await env.embed(run.config.embedding, data, run.config.seed, {
          progress: opts.progress,
          signal: opts.signal,
        }),
      );
    }
    return embedCache.get(key);
  };

  const runSeconds: { row: string; seconds: number }[] = [];
  for (let k = 0; k < todo.length; k++) {
    const run = todo[k];
    if (opts.signal?.aborted) {
      throw new SweepAborted(
        `interrupted before run ${run.id}; ${finished.size + summary.ran.length} finished ` +
          `runs are intact; rerun the same command to resume`,
      );
    }
    const rdir = runDir(root, plan.name, run.id);
    const lock = await acquireRunLock(rdir, { staleAfterS: opts.staleLockAfterS });
    if (!lock.ok) {
      summary.busy.push(run.id);
      log(
        `  skip ${run.id}: being run by pid ${lock.holder.pid} on ${lock.holder.host} ` +
          `(since ${lock.holder.startedAt})`,
      );
      continue;
    }
    const left = estimateSeconds(todo.slice(k), runSeconds);
    const eta = Number.isFinite(left) ? `, ETA ${formatDuration(left)}` : "";
    log(`[${k + 1}/${todo.length}] ${run.config.row} seed ${run.config.seed}${eta}`);
    const tRun = performance.now();
    try {
      // Another process may have finished it between the scan and the lock.
      if (await exists(join(rdir, RUN_FILES.metrics))) {
        summary.skipped++;
        continue;
      }
      if (lock.tookOverStale) {
        log(`  redoing ${run.id} (left unfinished by pid ${lock.tookOverStale.pid})`);
      }
      await clearPartial(rdir);
      await executeRun(run, rdir, env, { getData, getEmbedding, opts, log });
      summary.ran.push(run.id);
      runSeconds.push({ row: run.config.row, seconds: (performance.now() - tRun) / 1000 });
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      const done = finished.size + summary.ran.length;
      if (isDiskError(err)) {
        throw new SweepAborted(
          `disk error in run ${run.id}: ${message}\n${done} finished runs are intact; free ` +
            `space or fix the folder, then rerun the same command to resume`,
          { cause: err },
        );
      }
      if (opts.signal?.aborted) {
        throw new SweepAborted(
          `interrupted during run ${run.id}; ${done} finished runs are intact; rerun the same ` +
            `command to resume`,
          { cause: err },
        );
      }
      if (err instanceof ConfigError || err instanceof DataError) {
        throw new SweepAborted(`run ${run.id}: ${message}\n${done} finished runs are intact`, {
          cause: err,
        });
      }
      summary.failed.push({ id: run.id, message });
      log(`  FAILED ${run.id}: ${message}`);
      await writeFileAtomic(
        join(rdir, "error.txt"),
        `${new Date().toISOString()}\n${(err as Error).stack ?? message}\n`,
      ).catch(() => {});
      if (opts.failFast) {
        throw new SweepAborted(`run ${run.id} failed (--fail-fast): ${message}`, { cause: err });
      }
    } finally {
      await lock.lock.release();
    }
  }
  const nowFinished = await finishedRuns(plan, root);
  summary.allFinished = nowFinished.size === plan.runs.length;
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

interface RunHelpers {
  getData(run: PlannedRun): Promise<PreparedData>;
  getEmbedding(run: PlannedRun, data: PreparedData): Promise<unknown>;
  opts: RunOptions;
  log: (line: string) => void;
}

/** One run: config and environment first, then fit, history, evaluation, metrics last. */
async function executeRun(
  run: PlannedRun,
  dir: string,
  env: ExperimentEnv,
  h: RunHelpers,
): Promise<void> {
  const t0 = performance.now();
  const cfg = run.config;
  await writeRunStart(dir, cfg, environmentInfo(env.libraries?.() ?? {}));
  const data = await h.getData(run);
  const embedding = await h.getEmbedding(run, data);
  const entry = env.models.get(cfg.model.type, `model of run ${run.id}`);
  const model = await entry.create!(cfg.model.params, {
    data,
    embedding,
    seed: cfg.seed,
    runDir: dir,
  });
  try {
    const history: EpochRecord[] = [];
    const tFit = performance.now();
    const report = await model.fit(data.split, {
      seed: cfg.seed,
      progress: h.opts.progress,
      signal: h.opts.signal,
      onEpoch: async (rec: EpochRecord) => {
        history.push(rec);
        await writeHistory(dir, history);
      },
    });
    const fitSeconds = (performance.now() - tFit) / 1000;
    await writeHistory(dir, report.history);
    const tEval = performance.now();
    const ev = await env.evaluate(model, data, cfg.eval, {
      progress: h.opts.progress,
      signal: h.opts.signal,
    });
    const evalSeconds = (performance.now() - tEval) / 1000;
    const best = report.bestEpoch === null
      ? undefined
      : report.history.find((r) => r.epoch === report.bestEpoch)?.valid;
    await writeRunResult(dir, {
      sampled: ev.sampled,
      full: ev.full,
      valid: ev.valid ?? best,
      bestEpoch: report.bestEpoch,
      timings: { fitSeconds, evalSeconds, totalSeconds: (performance.now() - t0) / 1000 },
      users: ev.users,
      info: { model: cfg.model.type, ...data.info, ...report.info },
    }, ev.perUser);
    h.log(
      `  done in ${formatDuration((performance.now() - t0) / 1000)}: ` +
        [summaryLine(ev.sampled, "sampled"), summaryLine(ev.full, "| full")].filter(Boolean)
          .join(" "),
    );
  } finally {
    model.dispose?.();
  }
}

/** A short fingerprint of a plan (its run ids), e.g. to check that shards agree. */
export function planFingerprint(plan: ExperimentPlan): string {
  return contentHash(plan.runs.map((r) => r.id));
}
