/**
 * `deno task reproduce [options]`: the main job. The paper pipeline on the default
 * dataset (ML-100K; ML-1M when its ratings.dat is available): every rating implicit ->
 * leave-latest-one-out (validation item + test item, 99 sampled negatives each, seeded) ->
 * Doc2Vec on user and item documents (training split only) -> MostPop, ItemKNN and EASE
 * (hyperparameters chosen on the validation item only), MF, GMF, MLP, NeuMF with and
 * without pretraining, DSER -> sampled and full-ranking metrics on test, one run folder per
 * model and seed under `<out>/reproduce/runs/`, and the main table (mean ± std over seeds,
 * best in bold, significance against NeuMF) under `<out>/reproduce/tables/`, printed at
 * the end. Resumable: run it again after an interruption and finished runs are kept.
 * `results/reproduce/` ships with the runs behind the README's table, so a plain
 * `reproduce` only rebuilds the table from them; `--fresh` recomputes every run.
 *
 * It is the experiment `experiments/reproduce.jsonc` (`--quick`:
 * `experiments/reproduce_quick.jsonc`); `deno task experiment` runs it the same way.
 *
 * Options:
 *   --dataset NAME   ml-100k, ml-1m, ml-latest-small, the-movies-dataset, ... (default: ml-1m
 *                    when its ratings are available locally, else ml-100k)
 *   --quick          about two minutes: one seed, short training, one point per baseline
 *   --seeds N|a,b    seeds 1..N or a list (default: the config's, 3; quick: 1)
 *   --seed N         one seed (kept from the baselines-only version)
 *   --models LIST    comma-separated subset of the model labels (default all)
 *   --set key=value  any config override (repeatable), e.g. --set train.epochs=10
 *   --out DIR        results root (default: results)
 *   --fresh          recompute every run: earlier results of the experiment are moved to
 *                    <out>/tmp/previous/<name>-<time>/ first (nothing is deleted); then
 *                    `git diff results/reproduce/tables` shows any difference from the
 *                    shipped numbers
 *   --dry-run        print the runs and exit
 *
 * Data is found through DSER_DATA_DIR, then the data/ cache, then downloaded.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { DATASET_NAMES, type DatasetName } from "../lib/data/mod.ts";
import { defaultEnv, reproduce, SweepAborted } from "../lib/experiments/mod.ts";
import { writeExperimentReport } from "../lib/report/mod.ts";
import { ResultsLayoutError } from "../lib/results/mod.ts";
import { ConfigError, DataError } from "../lib/util/errors.ts";
import { formatDuration } from "../lib/util/progress.ts";
import { parseSeeds } from "./experiment.ts";

const USAGE = `usage: deno task reproduce [--dataset ml-100k] [--quick] [--seeds N] [--models A,B]
                        [--set key=value]... [--out results] [--fresh] [--dry-run]`;

interface Options {
  dataset?: DatasetName;
  quick: boolean;
  seeds?: number[];
  models?: string[];
  sets: string[];
  out: string;
  fresh: boolean;
  dryRun: boolean;
}

function parseOptions(args: string[]): Options | null {
  const { values } = parseArgs({
    args,
    options: {
      dataset: { type: "string" },
      seed: { type: "string" },
      seeds: { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "results" },
      fresh: { type: "boolean", default: false },
      models: { type: "string" },
      set: { type: "string", multiple: true },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  if (
    values.dataset !== undefined && !(DATASET_NAMES as readonly string[]).includes(values.dataset)
  ) {
    throw new ConfigError(
      `--dataset ${values.dataset}: unknown; known datasets: ${DATASET_NAMES.join(", ")}`,
    );
  }
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) {
    throw new ConfigError(`--seed ${values.seed}: expected a non-negative integer`);
  }
  return {
    dataset: values.dataset as DatasetName | undefined,
    quick: values.quick,
    seeds: values.seeds !== undefined
      ? parseSeeds(values.seeds)
      : values.seed !== undefined
      ? [Number(values.seed)]
      : undefined,
    models: values.models?.split(",").map((m) => m.trim()).filter(Boolean),
    sets: values.set ?? [],
    out: values.out,
    fresh: values.fresh,
    dryRun: values["dry-run"],
  };
}

async function main(args: string[]): Promise<number> {
  let opts: Options | null;
  try {
    opts = parseOptions(args);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const t0 = performance.now();
  const controller = new AbortController();
  const onSigint = () => {
    console.error("\ninterrupt: stopping; finished runs are kept (Ctrl-C again to kill)");
    controller.abort();
    Deno.removeSignalListener("SIGINT", onSigint);
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const env = await defaultEnv();
    const { plan, summary } = await reproduce(env, {
      dataset: opts.dataset,
      quick: opts.quick,
      seeds: opts.seeds,
      models: opts.models,
      sets: opts.sets,
      out: opts.out,
      fresh: opts.fresh,
      dryRun: opts.dryRun,
      signal: controller.signal,
      log: (s) => console.error(s),
    });
    const dataset = plan.base.data.dataset;
    console.error(
      `reproduce: ${dataset}${opts.quick ? ", quick" : ""}: ` +
        `${plan.base.models.map((m) => m.label).join(", ")}; seeds ${
          plan.base.seeds.join(", ")
        }; ` +
        `${plan.runs.length} runs (config ${plan.source})`,
    );
    if (!summary) {
      for (const r of plan.runs) console.log(r.id);
      return 0;
    }
    if (summary.failed.length > 0 || !summary.allFinished) {
      for (const f of summary.failed) console.error(`failed: ${f.id}: ${f.message.split("\n")[0]}`);
      console.error(
        `reproduce: ${summary.failed.length} runs failed, ${summary.busy.length} busy elsewhere; ` +
          `rerun to retry (finished runs are kept); partial table: deno task table ` +
          `${join(opts.out, plan.name)}`,
      );
      return 1;
    }
    const report = await writeExperimentReport(opts.out, plan.name);
    console.log(`\n${report.markdown}`);
    console.log(
      `runs: ${join(opts.out, plan.name, "runs")}/  tables: ${
        join(opts.out, plan.name, "tables")
      }/main.{md,csv,tex}  figures: ${join(opts.out, plan.name, "figures")}/  (${
        formatDuration((performance.now() - t0) / 1000)
      })`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`reproduce: config error: ${err.message}`);
      return 2;
    }
    if (
      err instanceof SweepAborted || err instanceof DataError || err instanceof ResultsLayoutError
    ) {
      console.error(`reproduce: stopped: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
