/**
 * The main job behind `deno task reproduce`: the paper pipeline (data -> Doc2Vec -> every
 * model of the NCF comparison and DSER -> the main results table) as an experiment, so it
 * is resumable, seeded, and its tables come from its results files like every other
 * experiment's. The config is `experiments/reproduce.jsonc` (`--quick`:
 * `experiments/reproduce_quick.jsonc`).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type DatasetName, findLocalDataFile, RATINGS_FILES } from "../data/mod.ts";
import { ConfigError } from "../util/errors.ts";
import type { ProgressSink } from "../util/progress.ts";
import { applyOverrides, readConfigFile, withSource } from "./config.ts";
import { runExperiment, type RunSummary } from "./runner.ts";
import { planExperiment } from "./sweep.ts";
import type { ExperimentEnv, ExperimentPlan } from "./types.ts";

/** Options of {@link reproduce}. */
export interface ReproduceOptions {
  /** Dataset; default {@link defaultDataset}. */
  dataset?: DatasetName;
  /** The small version (experiments/reproduce_quick.jsonc). */
  quick?: boolean;
  /** Replaces the config's seeds. */
  seeds?: number[];
  /** Only these model labels (the baseline of the tests is kept when present). */
  models?: string[];
  /** Extra `--set` overrides. */
  sets?: string[];
  /** Results root (default "results"). */
  out?: string;
  /** Plan only: nothing runs. */
  dryRun?: boolean;
  /** Recompute every run (earlier results are moved aside; see RunOptions.fresh). */
  fresh?: boolean;
  signal?: AbortSignal;
  progress?: ProgressSink;
  log?: (line: string) => void;
}

/** The config file of the main job. */
export function reproduceConfigPath(quick: boolean): string {
  return fileURLToPath(
    new URL(`../../experiments/${quick ? "reproduce_quick" : "reproduce"}.jsonc`, import.meta.url),
  );
}

/** ML-1M when its ratings file is available locally (no download), else ML-100K. */
export async function defaultDataset(): Promise<DatasetName> {
  const ml1m = await findLocalDataFile("ml-1m", RATINGS_FILES["ml-1m"].file).catch(() => null);
  return ml1m ? "ml-1m" : "ml-100k";
}

/**
 * The experiment name of a reproduce run: results/reproduce[_quick][_<dataset>]/ (the config
 * file's stem, as `deno task experiment` names it, plus the dataset when not ML-100K).
 */
export function reproduceName(dataset: DatasetName, quick: boolean): string {
  return `reproduce${quick ? "_quick" : ""}${dataset === "ml-100k" ? "" : `_${dataset}`}`;
}

/** Plans the main job: the reproduce config with the dataset, models and seeds chosen. */
export async function planReproduce(
  env: ExperimentEnv,
  opts: ReproduceOptions = {},
): Promise<ExperimentPlan> {
  const quick = opts.quick ?? false;
  const path = reproduceConfigPath(quick);
  const { raw, text } = await readConfigFile(path);
  const dataset = opts.dataset ?? await defaultDataset();
  try {
    let cfg = applyOverrides(raw, [`data.dataset=${dataset}`, ...(opts.sets ?? [])], env);
    // Models whose module has not landed in this build are left out, loudly, so that
    // the main job runs at every stage of the workspace.
    const all0 = cfg.models as Record<string, Record<string, unknown>>;
    const skipped: string[] = [];
    for (const [label, spec] of Object.entries(all0)) {
      const type = typeof spec?.type === "string" ? spec.type : label;
      try {
        env.models.get(type, `models.${label}`);
      } catch (err) {
        if (!(err instanceof ConfigError) || !/not available/.test(err.message)) throw err;
        skipped.push(label);
        (opts.log ?? console.error)(`warning: skipping ${label}: ${err.message}`);
      }
    }
    if (skipped.length) {
      cfg = {
        ...cfg,
        models: Object.fromEntries(Object.entries(all0).filter(([k]) => !skipped.includes(k))),
      };
      const table = { ...(cfg.table as Record<string, unknown> ?? {}) };
      if (typeof table.baseline === "string" && skipped.includes(table.baseline)) {
        table.baseline = null;
      }
      cfg.table = table;
      const models = Object.values(cfg.models as Record<string, Record<string, unknown>>);
      const needsEmbedding = models.some((m) =>
        ["DSER", "DSER-notebook", "D2V-probe"].includes(String(m.type))
      );
      if (!needsEmbedding) cfg.embedding = null;
    }
    if (opts.models) {
      const all = cfg.models as Record<string, unknown>;
      for (const m of opts.models) {
        if (!(m in all)) {
          throw new ConfigError(
            `--models: no model labelled "${m}" in the reproduce config; labels: ` +
              Object.keys(all).join(", "),
          );
        }
      }
      const kept = Object.fromEntries(
        Object.entries(all).filter(([k]) => opts.models!.includes(k)),
      );
      const table = { ...(cfg.table as Record<string, unknown> ?? {}) };
      if (typeof table.baseline === "string" && !(table.baseline in kept)) table.baseline = null;
      cfg = { ...cfg, models: kept, table };
    }
    if (skipped.length || opts.models) cfg = pruneTrain(cfg, env);
    return planExperiment(cfg, env, {
      defaultName: reproduceName(dataset, quick),
      source: path,
      seeds: opts.seeds,
    });
  } catch (err) {
    throw withSource(err, path, text);
  }
}

/**
 * Drops `train` keys that no remaining model has (after models were left out): in the full
 * config they are meant for those models, not typos.
 */
function pruneTrain(cfg: Record<string, unknown>, env: ExperimentEnv): Record<string, unknown> {
  const train = cfg.train as Record<string, unknown> | undefined;
  if (!train) return cfg;
  const known = new Set<string>();
  for (
    const [label, spec] of Object.entries(cfg.models as Record<string, Record<string, unknown>>)
  ) {
    const type = typeof spec?.type === "string" ? spec.type : label;
    for (const k of Object.keys(env.models.get(type, `models.${label}`).schema)) known.add(k);
  }
  return { ...cfg, train: Object.fromEntries(Object.entries(train).filter(([k]) => known.has(k))) };
}

/** Runs the main job; returns the plan and the sweep summary (tables are the caller's). */
export async function reproduce(
  env: ExperimentEnv,
  opts: ReproduceOptions = {},
): Promise<{ plan: ExperimentPlan; summary: RunSummary | null }> {
  const plan = await planReproduce(env, opts);
  if (opts.dryRun) return { plan, summary: null };
  const summary = await runExperiment(plan, env, {
    resultsRoot: opts.out ?? "results",
    fresh: opts.fresh,
    signal: opts.signal,
    progress: opts.progress,
    log: opts.log,
  });
  return { plan, summary };
}
