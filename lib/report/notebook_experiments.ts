/**
 * Where a notebook's experiment numbers come from: `results/` when the experiment has run,
 * otherwise a configuration of the same experiment run here, through the same runner as
 * `deno task experiment` (notebooks 03-06 call {@link loadOrRunExperiment} and show what
 * it returns).
 *
 * - A results folder qualifies when every model the notebook shows has at least one
 *   finished run in it; folders are tried in the order given (e.g. `ncf_comparison`, then
 *   `reproduce`, which holds the same models).
 * - Otherwise the experiment config runs with the notebook's changes (`sets`, `seeds`,
 *   `models`: in small mode one seed and few epochs). A run with changes goes to a scratch
 *   root (`results/tmp/notebook_runs/`, git-ignored) and starts fresh each time, so its
 *   numbers always come from the code as it is; the experiment as shipped goes to
 *   `results/<name>/` and resumes like the command line.
 * - Progress: one display for the runs (count, ETA) and one for the current training or
 *   evaluation, both updated in place; one log line per run.
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExperimentEnv, ExperimentPlan, PlannedRun, RunSummary } from "../experiments/mod.ts";
import { experimentDir, type ManifestRun } from "../results/mod.ts";
import {
  ConfigError,
  defaultSink,
  exists,
  formatDuration,
  Progress,
  type ProgressSink,
} from "../util/mod.ts";
import { type ExperimentResults, loadExperimentResults } from "./aggregate.ts";

/**
 * Where the numbers come from: `"auto"` reads results when a folder qualifies and runs
 * otherwise; `"results"` only reads (an error when no folder qualifies); `"run"` always
 * runs.
 */
export type SourceChoice = "auto" | "results" | "run";

/** The changes a notebook makes to an experiment config when it runs it. */
export interface NotebookRunConfig {
  /** Another config file to run instead (e.g. reproduce_quick.jsonc for reproduce). */
  config?: string;
  /** `--set key=value` overrides, as on the command line (typed by the schema). */
  sets?: string[];
  /** Replaces the config's seeds. */
  seeds?: number[];
  /** Keeps only these model labels of the config (default: every model). */
  models?: string[];
}

/** Options of {@link loadOrRunExperiment}. */
export interface LoadOrRunOptions {
  /** The experiment config file, e.g. `"../experiments/ncf_comparison.jsonc"`. */
  config: string;
  /** The results root, e.g. `"../results"`. */
  resultsRoot: string;
  /**
   * Experiment folders under `resultsRoot` that may hold the numbers, in order of
   * preference (default: the config's name).
   */
  read?: string[];
  /** Model labels shown, in this order (default: the config's models). */
  models?: string[];
  /** Where the numbers come from (default "auto"). */
  source?: SourceChoice;
  /** What runs when no folder qualifies, or with source "run" (default: as shipped). */
  run?: NotebookRunConfig;
  /** Root of runs with changes (default `<resultsRoot>/tmp/notebook_runs`). */
  scratchRoot?: string;
  /** The experiment environment (default: lib/experiments `defaultEnv()`). */
  env?: ExperimentEnv;
  /** Sink of the training and evaluation progress (default: one display for all runs). */
  progress?: ProgressSink;
  /** Sink of the progress over runs (default: a display of its own). */
  runsProgress?: ProgressSink;
  /** One line per run event (default: console.log). */
  log?: (line: string) => void;
}

/** A folder that was looked at and not used, and why. */
export interface SkippedSource {
  experiment: string;
  reason: string;
}

/** What ran when the numbers come from a run in the notebook. */
export interface NotebookRun {
  /** Config file, relative to the workspace root. */
  config: string;
  sets: string[];
  seeds: number[];
  /** Model labels run. */
  models: string[];
  /** Results root the run wrote to. */
  resultsRoot: string;
  /** True when the run started from an empty folder (runs with changes). */
  fresh: boolean;
  /** The equivalent command line (from the workspace root). */
  command: string;
  summary: RunSummary;
}

/** Where the numbers of an {@link ExperimentView} come from. */
export interface ExperimentSource {
  kind: "results" | "run";
  /** The notebook's experiment config, relative to the workspace root. */
  config: string;
  /** True when the numbers come from a run with changes (fewer seeds, epochs, models...). */
  reduced: boolean;
  /** Experiment name (the folder under the results root). */
  experiment: string;
  /** The experiment folder read. */
  dir: string;
  /** Folders tried first and not used. */
  skipped: SkippedSource[];
  /** Present when the numbers come from a run here. */
  run?: NotebookRun;
}

/** An experiment's results as a notebook shows them, and where they come from. */
export interface ExperimentView {
  /** The finished runs of the shown models (see {@link selectModels}). */
  results: ExperimentResults;
  source: ExperimentSource;
  /** Markdown: which source, what ran or what is missing. */
  text: string;
}

/** The workspace root (two folders above this file). */
export const WORKSPACE_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

function labelOfRow(results: ExperimentResults, row: string): string {
  return results.runs.find((r) => r.row === row)?.label ??
    results.manifest?.runs.find((r) => r.row === row)?.label ?? row;
}

/**
 * The results restricted to rows of the model labels `labels` (runs, missing runs, rows
 * and the manifest's runs alike, so tables count planned runs right). Rows keep the
 * experiment's order, or follow `labels` with `order: "labels"`.
 */
export function selectModels(
  results: ExperimentResults,
  labels: readonly string[],
  opts: { order?: "experiment" | "labels" } = {},
): ExperimentResults {
  const keep = new Set(labels);
  let rows = results.rows.filter((row) => keep.has(labelOfRow(results, row)));
  if (opts.order === "labels") {
    const rank = (row: string) => labels.indexOf(labelOfRow(results, row));
    rows = rows.map((row, i) => ({ row, i })).sort((a, b) => rank(a.row) - rank(b.row) || a.i - b.i)
      .map((x) => x.row);
  }
  const inRows = <T extends { row: string }>(list: T[]) => list.filter((r) => rows.includes(r.row));
  return {
    ...results,
    rows,
    runs: inRows(results.runs),
    missing: inRows(results.missing),
    manifest: results.manifest
      ? { ...results.manifest, runs: inRows<ManifestRun>(results.manifest.runs) }
      : null,
  };
}

/** Model labels with no finished run in `results`. */
export function labelsWithoutRuns(results: ExperimentResults, labels: readonly string[]): string[] {
  return labels.filter((l) => !results.runs.some((r) => r.label === l));
}

/** The model labels of a raw config: the keys of `models`, or the type of `model`. */
export function configLabels(raw: Record<string, unknown>): string[] {
  const models = raw.models as Record<string, unknown> | null | undefined;
  if (models && typeof models === "object") return Object.keys(models);
  const model = raw.model as { type?: unknown } | null | undefined;
  return model && typeof model.type === "string" ? [model.type] : [];
}

/**
 * A raw config with only the model labels `keep`: sweep keys of dropped models, a dropped
 * baseline (-> no tests) and `train` keys no kept model has are removed too.
 * @throws ConfigError naming an unknown label, with the config's labels
 */
export function keepModels(
  raw: Record<string, unknown>,
  keep: readonly string[],
  env: Pick<ExperimentEnv, "models">,
  where = "models",
): Record<string, unknown> {
  const all = raw.models as Record<string, Record<string, unknown>> | undefined;
  if (!all || typeof all !== "object") {
    throw new ConfigError(`${where}: this config has one "model"; there are no labels to keep`);
  }
  for (const label of keep) {
    if (!(label in all)) {
      throw new ConfigError(
        `${where}: no model labelled "${label}"; labels: ${Object.keys(all).join(", ")}`,
      );
    }
  }
  const models = Object.fromEntries(Object.entries(all).filter(([k]) => keep.includes(k)));
  const out: Record<string, unknown> = { ...raw, models };
  const table = { ...(raw.table as Record<string, unknown> | undefined ?? {}) };
  if (typeof table.baseline === "string" && !(table.baseline in models)) table.baseline = null;
  out.table = table;
  const sweep = raw.sweep as { params?: Record<string, unknown> } | null | undefined;
  if (sweep?.params) {
    const params = Object.fromEntries(
      Object.entries(sweep.params).filter(([k]) => {
        const [head, label] = k.split(".");
        return head !== "models" || label in models;
      }),
    );
    out.sweep = Object.keys(params).length ? { ...sweep, params } : null;
  }
  const train = raw.train as Record<string, unknown> | undefined;
  if (train && typeof train === "object") {
    const known = new Set<string>();
    for (const [label, spec] of Object.entries(models)) {
      const type = typeof spec?.type === "string" ? spec.type : label;
      for (const k of Object.keys(env.models.get(type, `${where}.${label}`).schema)) known.add(k);
    }
    out.train = Object.fromEntries(Object.entries(train).filter(([k]) => known.has(k)));
  }
  return out;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,/:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line that runs the same plan from the workspace root (models noted apart). */
function commandLine(config: string, run: NotebookRunConfig, resultsRoot: string): string {
  const rel = (p: string) => relative(WORKSPACE_ROOT, resolve(p)) || ".";
  const parts = ["deno task experiment", shellQuote(rel(config))];
  if (run.seeds) parts.push("--seeds", run.seeds.join(","));
  for (const s of run.sets ?? []) parts.push("--set", shellQuote(s));
  const out = rel(resultsRoot);
  if (out !== "results") parts.push("--out", shellQuote(out));
  return parts.join(" ");
}

/**
 * Plans the experiment of `config` with a notebook's changes, as `deno task experiment`
 * would with `--set`/`--seeds`, plus an optional model subset.
 */
export async function planNotebookRun(
  config: string,
  env: ExperimentEnv,
  run: NotebookRunConfig = {},
): Promise<ExperimentPlan> {
  const x = await import("../experiments/mod.ts");
  const { raw, text } = await x.readConfigFile(config);
  try {
    let cfg = raw;
    if (run.models) cfg = keepModels(cfg, run.models, env);
    cfg = x.applyOverrides(cfg, run.sets ?? [], env);
    return x.planExperiment(cfg, env, {
      defaultName: x.nameFromPath(config),
      source: config,
      seeds: run.seeds,
    });
  } catch (err) {
    throw x.withSource(err, config, text);
  }
}

/** The env with `evaluate` wrapped to tick `progress` once per evaluated run. */
function countingEnv(env: ExperimentEnv, progress: Progress): ExperimentEnv {
  return {
    ...env,
    evaluate: async (model, data, cfg, ctx) => {
      const out = await env.evaluate(model, data, cfg, ctx);
      progress.tick(1);
      return out;
    },
  };
}

function isChanged(run: NotebookRunConfig, allLabels: string[]): boolean {
  const models = run.models;
  return (run.sets?.length ?? 0) > 0 || run.seeds !== undefined ||
    (models !== undefined &&
      (models.length !== allLabels.length || allLabels.some((l) => !models.includes(l))));
}

/**
 * Runs an experiment for a notebook: the plan with the notebook's changes, into the
 * scratch root (cleared first) when there are changes, else into the results root
 * (resumed). Writes the experiment's tables and figures when every run finished.
 */
export async function runForNotebook(
  config: string,
  opts: {
    resultsRoot: string;
    scratchRoot?: string;
    run?: NotebookRunConfig;
    env?: ExperimentEnv;
    progress?: ProgressSink;
    runsProgress?: ProgressSink;
    log?: (line: string) => void;
  },
): Promise<{ plan: ExperimentPlan; run: NotebookRun }> {
  const x = await import("../experiments/mod.ts");
  const report = await import("./experiment_report.ts");
  const env = opts.env ?? await x.defaultEnv();
  const run = opts.run ?? {};
  const log = opts.log ?? ((s: string) => console.log(s));
  const plan = await planNotebookRun(config, env, run);
  const { raw } = await x.readConfigFile(config);
  const changed = run.config !== undefined || isChanged(run, configLabels(raw));
  const root = changed
    ? (opts.scratchRoot ?? join(opts.resultsRoot, "tmp", "notebook_runs"))
    : opts.resultsRoot;
  if (changed) {
    // Scratch: always from the code as it is now (run ids follow the config, not the code).
    await Deno.remove(experimentDir(root, plan.name), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  const done = await x.finishedRuns(plan, root);
  const todo = plan.runs.length - done.size;
  const runsProgress = new Progress(`${plan.name}: runs`, {
    total: todo,
    unit: "runs",
    sink: opts.runsProgress ?? defaultSink(),
  });
  runsProgress.set(0);
  const summary = await x.runExperiment(plan, countingEnv(env, runsProgress), {
    resultsRoot: root,
    progress: opts.progress ?? defaultSink(),
    log,
  });
  runsProgress.finish();
  log(
    `${plan.name}: ran ${summary.ran.length}, ${summary.skipped} already finished, ` +
      `${summary.failed.length} failed, in ${formatDuration(summary.seconds)}`,
  );
  for (const f of summary.failed) log(`  failed: ${f.id}: ${f.message.split("\n")[0]}`);
  if (summary.allFinished) await report.writeExperimentReport(root, plan.name, { log });
  const labels = [...new Set(plan.runs.map((r: PlannedRun) => r.config.label))];
  return {
    plan,
    run: {
      config: relative(WORKSPACE_ROOT, resolve(config)),
      sets: run.sets ?? [],
      seeds: plan.base.seeds,
      models: labels,
      resultsRoot: root,
      fresh: changed,
      command: commandLine(config, run, root) +
        (run.models ? `  (keeping models ${run.models.join(", ")})` : ""),
      summary,
    },
  };
}

/**
 * The numbers a notebook shows: the first results folder (of `read`) where every shown
 * model has a finished run, or else a run of the experiment (see {@link runForNotebook}).
 * @throws ConfigError with source "results" when no folder qualifies (naming each and why)
 */
export async function loadOrRunExperiment(opts: LoadOrRunOptions): Promise<ExperimentView> {
  const x = await import("../experiments/mod.ts");
  const source = opts.source ?? "auto";
  const { raw } = await x.readConfigFile(opts.config);
  const name = typeof raw.name === "string" && raw.name ? raw.name : x.nameFromPath(opts.config);
  const wanted = opts.models ?? configLabels(raw);
  const read = opts.read ?? [name];
  const skipped: SkippedSource[] = [];
  if (source !== "run") {
    for (const experiment of read) {
      if (!(await exists(experimentDir(opts.resultsRoot, experiment)))) {
        skipped.push({ experiment, reason: "not run yet" });
        continue;
      }
      let results: ExperimentResults;
      try {
        results = await loadExperimentResults(opts.resultsRoot, experiment);
      } catch (err) {
        skipped.push({ experiment, reason: (err as Error).message.split("\n")[0] });
        continue;
      }
      const lacking = labelsWithoutRuns(results, wanted);
      if (lacking.length > 0) {
        skipped.push({
          experiment,
          reason: results.runs.length === 0
            ? "no finished runs"
            : `no finished runs of ${lacking.join(", ")}`,
        });
        continue;
      }
      const shown = selectModels(results, wanted, { order: "labels" });
      const src: ExperimentSource = {
        kind: "results",
        config: relative(WORKSPACE_ROOT, resolve(opts.config)),
        reduced: false,
        experiment,
        dir: results.dir,
        skipped,
      };
      return { results: shown, source: src, text: sourceText(shown, src) };
    }
    if (source === "results") {
      throw new ConfigError(
        `no results folder holds finished runs of ${wanted.join(", ")}: ` +
          skipped.map((s) => `${s.experiment} (${s.reason})`).join("; ") +
          `; run deno task experiment ${relative(WORKSPACE_ROOT, resolve(opts.config))}`,
      );
    }
  }
  const { plan, run } = await runForNotebook(opts.run?.config ?? opts.config, opts);
  const results = await loadExperimentResults(run.resultsRoot, plan.name);
  const labels = opts.models ? opts.models.filter((l) => run.models.includes(l)) : run.models;
  const shown = selectModels(results, labels, { order: "labels" });
  const src: ExperimentSource = {
    kind: "run",
    config: relative(WORKSPACE_ROOT, resolve(opts.config)),
    reduced: run.fresh,
    experiment: plan.name,
    dir: results.dir,
    skipped,
    run,
  };
  return { results: shown, source: src, text: sourceText(shown, src) };
}

function seedText(results: ExperimentResults): string {
  const seeds = [...new Set(results.runs.map((r) => r.seed))].sort((a, b) => a - b);
  return seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds.join(", ")}`;
}

/** Where the numbers come from, as a markdown paragraph (what {@link ExperimentView} `text` holds). */
export function sourceText(results: ExperimentResults, src: ExperimentSource): string {
  const rel = (p: string) => relative(WORKSPACE_ROOT, resolve(p));
  const rows = results.rows.length;
  const lines: string[] = [];
  const tried = src.skipped.length
    ? ` (${src.skipped.map((s) => `\`${s.experiment}\`: ${s.reason}`).join("; ")})`
    : "";
  if (src.kind === "results") {
    lines.push(
      `**Source: results on disk**, \`${rel(src.dir)}/\`${
        tried ? `, after trying${tried}` : ""
      }: ` +
        `${results.runs.length} finished runs of ${rows} rows, ${seedText(results)}.`,
    );
    if (results.missing.length) {
      lines.push(
        `${results.missing.length} planned runs of these rows have not finished; rows show ` +
          `\`finished/planned\` in the n column.`,
      );
    }
  } else {
    const r = src.run!;
    const s = r.summary;
    lines.push(
      `**Source: a run in this notebook**${
        tried ? `, since no results folder qualified${tried}` : ""
      }: ` +
        `\`${r.config}\`` +
        (r.sets.length ? ` with ${r.sets.map((x) => `\`${x}\``).join(", ")}` : " as shipped") +
        `, ${seedText(results)}, into \`${rel(src.dir)}/\`` +
        (r.fresh ? " (a scratch folder, emptied first)" : "") +
        `: ran ${s.ran.length} runs in ${formatDuration(s.seconds)}` +
        (s.skipped ? `, ${s.skipped} already finished` : "") +
        (s.failed.length ? `, **${s.failed.length} failed**` : "") + ".",
      `The same runs from a terminal: \`${r.command}\`.`,
    );
    if (r.fresh) {
      lines.push(
        "These numbers come from a reduced configuration and only show that the pipeline " +
          "works; the experiment as shipped (`deno task experiment " + src.config +
          "`) gives the real ones, and this notebook reads them once they exist.",
      );
    }
  }
  return lines.join("  \n");
}
