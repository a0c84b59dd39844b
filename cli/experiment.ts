/**
 * `deno task experiment experiments/<name>.jsonc [options]`: runs an experiment (all its
 * models, sweep points and seeds) into `results/<name>/`, resumably, then writes its
 * tables (and figures) once every run is finished.
 *
 * Options:
 *   --set key=value   override a config key (typed by the schema); repeatable,
 *                     e.g. --set model.lr=0.001 --set train.epochs=5
 *   --seeds N|a,b,c   seeds 1..N, or an explicit list (replaces the config's seeds)
 *   --dry-run         print the resolved config and the runs (with their status); run nothing
 *   --shard i/n       run only shard i of n (1-based); shards share the results folder
 *   --out DIR         results root (default: results)
 *   --fresh           recompute every run: the experiment's folder is moved to
 *                     <out>/tmp/previous/<name>-<time>/ first (nothing is deleted)
 *   --fail-fast       stop at the first failed run
 *   --no-tables       do not write tables and figures at the end
 *   --list-models     print the model registry with each model's parameters
 *   --schema          print the config reference (every key, type, default, doc) as markdown
 *
 * Exit codes: 0 done (or nothing to do), 1 some runs failed or the sweep stopped,
 * 2 bad command line or config.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  defaultEnv,
  type ExperimentEnv,
  experimentSchema,
  finishedRuns,
  loadPlan,
  parseShard,
  planFingerprint,
  runExperiment,
  selectShard,
  SweepAborted,
} from "../lib/experiments/mod.ts";
import { writeExperimentReport } from "../lib/report/mod.ts";
import { ResultsLayoutError } from "../lib/results/mod.ts";
import { ConfigError, DataError } from "../lib/util/errors.ts";
import type { ProgressSink } from "../lib/util/progress.ts";
import { describeSchema, type Schema } from "../lib/util/schema.ts";

const USAGE = `usage: deno task experiment experiments/<name>.jsonc [--set key=value]... [--seeds N]
                                  [--dry-run] [--shard i/n] [--out DIR] [--fresh] [--fail-fast]
                                  [--no-tables]
       deno task experiment --list-models | --schema`;

/** The config reference: every section's keys as markdown tables (generated from the schemas). */
export function configReference(env: ExperimentEnv): string {
  const top = experimentSchema(env);
  const parts = [
    "### Top level\n",
    describeSchema({
      name: top.name,
      description: top.description,
      extends: top.extends,
      model: top.model,
      models: top.models,
      train: top.train,
      seeds: top.seeds,
    }),
  ];
  for (
    const [key, title] of [
      ["data", "data: dataset, preprocessing, split"],
      ["embedding", "embedding: Doc2Vec (null: none)"],
      ["eval", "eval: evaluation protocol"],
      ["sweep", "sweep (null: none)"],
      ["table", "table: generated tables"],
    ] as const
  ) {
    const f = top[key] as { fields: Schema };
    parts.push(`\n### ${title}\n`, describeSchema(f.fields, key));
  }
  return parts.join("\n") + "\n";
}

/** Parses `--seeds`: "5" -> [1..5], "3,7,11" -> [3, 7, 11]. */
export function parseSeeds(text: string): number[] {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1) throw new ConfigError(`--seeds ${text}: need at least one seed`);
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const list = t.split(",").map((s) => s.trim());
  if (list.length < 1 || list.some((s) => !/^\d+$/.test(s))) {
    throw new ConfigError(`--seeds ${text}: expected a count (5) or a list of seeds (1,2,3)`);
  }
  return list.map(Number);
}

/**
 * The command, callable with another environment (tests run it with fake models).
 * @returns the process exit code.
 */
export async function experimentMain(
  args: string[],
  env: ExperimentEnv,
  io: { out?: (s: string) => void; err?: (s: string) => void; progress?: ProgressSink } = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => console.log(s));
  const err = io.err ?? ((s: string) => console.error(s));
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        set: { type: "string", multiple: true },
        seeds: { type: "string" },
        "dry-run": { type: "boolean" },
        shard: { type: "string" },
        out: { type: "string" },
        fresh: { type: "boolean" },
        "fail-fast": { type: "boolean" },
        "no-tables": { type: "boolean" },
        "list-models": { type: "boolean" },
        schema: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    out(USAGE);
    return 0;
  }
  if (v["list-models"]) {
    const reg = env.models as { entries?: () => import("../lib/experiments/mod.ts").ModelEntry[] };
    for (const e of reg.entries?.() ?? []) {
      out(
        `## ${e.name}${e.create ? "" : ` (not available: ${e.unavailable ?? "?"})`}\n\n${e.doc}\n`,
      );
      if (Object.keys(e.schema).length) out(describeSchema(e.schema) + "\n");
    }
    return 0;
  }
  if (v.schema) {
    out(configReference(env));
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    err(USAGE);
    return 2;
  }
  const configPath = parsed.positionals[0];
  const resultsRoot = v.out ?? "results";
  try {
    const shard = v.shard ? parseShard(v.shard) : null;
    const plan = await loadPlan(configPath, env, {
      sets: v.set ?? [],
      seeds: v.seeds ? parseSeeds(v.seeds) : undefined,
    });
    if (v["dry-run"]) {
      const done = await finishedRuns(plan, resultsRoot);
      const mine = new Set(selectShard(plan.runs, shard).map((r) => r.id));
      out(`# resolved config of ${plan.name} (from ${configPath})`);
      out(JSON.stringify(plan.base, null, 2));
      if (plan.points.length > 1 || Object.keys(plan.points[0]).length > 0) {
        out(`# ${plan.points.length} sweep points (${plan.base.sweep?.mode})`);
        plan.points.forEach((p, i) => out(`${String(i + 1).padStart(4)}  ${JSON.stringify(p)}`));
      }
      out(
        `# ${plan.runs.length} runs -> ${resultsRoot}/${plan.name}/runs/ ` +
          `(plan ${planFingerprint(plan)}; ${done.size} finished)`,
      );
      plan.runs.forEach((r, k) => {
        const status = done.has(r.id) ? "finished" : "pending ";
        const shardMark = shard ? (mine.has(r.id) ? "  [this shard]" : "") : "";
        out(`${String(k + 1).padStart(4)}  ${status}  ${r.id}${shardMark}`);
      });
      return 0;
    }
    const controller = new AbortController();
    const onSigint = () => {
      err("\ninterrupt: stopping after cleanup; finished runs are kept (Ctrl-C again to kill)");
      controller.abort();
      Deno.removeSignalListener("SIGINT", onSigint);
    };
    Deno.addSignalListener("SIGINT", onSigint);
    let summary;
    try {
      summary = await runExperiment(plan, env, {
        resultsRoot,
        shard,
        fresh: v.fresh,
        failFast: v["fail-fast"],
        signal: controller.signal,
        log: err,
        progress: io.progress,
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSigint);
    }
    err(
      `experiment ${plan.name}: ran ${summary.ran.length}, skipped ${summary.skipped} finished, ` +
        `${summary.failed.length} failed, ${summary.busy.length} busy elsewhere ` +
        `in ${summary.seconds.toFixed(1)}s`,
    );
    for (const f of summary.failed) err(`  failed: ${f.id}: ${f.message.split("\n")[0]}`);
    if (summary.allFinished && !v["no-tables"]) {
      const report = await writeExperimentReport(resultsRoot, plan.name, { log: err });
      out(report.markdown);
    } else if (!summary.allFinished) {
      const done = await finishedRuns(plan, resultsRoot);
      err(
        `${done.size}/${plan.runs.length} runs finished; tables are written when all are ` +
          `(or now: deno task table ${resultsRoot}/${plan.name})`,
      );
    }
    return summary.failed.length > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`config error: ${e.message}`);
      return 2;
    }
    if (e instanceof SweepAborted || e instanceof DataError || e instanceof ResultsLayoutError) {
      err(`stopped: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await experimentMain(Deno.args, await defaultEnv()));
}
