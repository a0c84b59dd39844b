/**
 * `deno task reproduce [options]`: the main job at this stage. Runs
 * data -> every rating implicit -> leave-latest-one-out (validation item + test item,
 * 99 sampled negatives each, seeded) -> MostPop / ItemKNN / EASE (hyperparameters chosen
 * on the validation item only) -> sampled and full-ranking metrics on test, writes one
 * run folder per model under `<out>/reproduce/runs/<model>/` and a results table under
 * `<out>/reproduce/tables/` (markdown + CSV), and prints the table.
 *
 * Options:
 *   --dataset NAME   ml-100k (default), ml-1m, ml-latest-small, the-movies-dataset, ...
 *   --seed N         seed of the split's negatives and of every fit (default 1)
 *   --quick          one hyperparameter point per model instead of the validation grid
 *   --out DIR        results root (default: results)
 *   --models LIST    comma-separated subset of MostPop,ItemKNN,EASE (default all)
 *
 * Data is found through DSER_DATA_DIR, then the data/ cache, then downloaded.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  DATASET_NAMES,
  type DatasetName,
  dedupe,
  leaveLatestOut,
  loadInteractions,
  type Split,
  toImplicit,
} from "../lib/data/mod.ts";
import {
  evaluateProtocols,
  formatResultsTable,
  metricNames,
  perUserTable,
  type ResultsRow,
} from "../lib/eval/mod.ts";
import {
  BASELINE_GRIDS,
  BASELINE_NAMES,
  baselineCandidates,
  type BaselineName,
  QUICK_BASELINE_GRIDS,
  selectOnValidation,
} from "../lib/models/mod.ts";
import { experimentDir, runDir, writeRunResult, writeRunStart } from "../lib/results/mod.ts";
import { ConfigError, DataError } from "../lib/util/errors.ts";
import { environmentInfo } from "../lib/util/env.ts";
import { writeFileAtomic } from "../lib/util/fs.ts";
import { defaultSink, formatDuration, Progress, SilentSink } from "../lib/util/progress.ts";

const USAGE = `usage: deno task reproduce [--dataset ml-100k] [--seed 1] [--quick] [--out results]
                        [--models MostPop,ItemKNN,EASE]`;

const EXPERIMENT = "reproduce";
const KS = [10];
/** Columns of the printed table. */
const TABLE_COLUMNS = ["sampled:HR@10", "sampled:NDCG@10", "full:HR@10", "full:NDCG@10"];
/** Model selection: this metric, this protocol, on the validation item. */
const SELECT_METRIC = "NDCG@10";
const SELECT_PROTOCOL = "sampled";

interface Options {
  dataset: DatasetName;
  seed: number;
  quick: boolean;
  out: string;
  models: BaselineName[];
}

function parseOptions(args: string[]): Options | null {
  const { values } = parseArgs({
    args,
    options: {
      dataset: { type: "string", default: "ml-100k" },
      seed: { type: "string", default: "1" },
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "results" },
      models: { type: "string", default: BASELINE_NAMES.join(",") },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  if (!(DATASET_NAMES as readonly string[]).includes(values.dataset)) {
    throw new ConfigError(
      `--dataset ${values.dataset}: unknown; known datasets: ${DATASET_NAMES.join(", ")}`,
    );
  }
  if (!/^\d+$/.test(values.seed)) {
    throw new ConfigError(`--seed ${values.seed}: expected a non-negative integer`);
  }
  const models = values.models.split(",").map((m) => m.trim()).filter(Boolean);
  for (const m of models) {
    if (!(BASELINE_NAMES as readonly string[]).includes(m)) {
      throw new ConfigError(`--models: unknown model "${m}"; known: ${BASELINE_NAMES.join(", ")}`);
    }
  }
  return {
    dataset: values.dataset as DatasetName,
    seed: Number(values.seed),
    quick: values.quick,
    out: values.out,
    models: models as BaselineName[],
  };
}

/** Loads the dataset and builds the NCF-protocol split (every rating implicit). */
async function buildSplit(opts: Options): Promise<Split> {
  const raw = await loadInteractions(opts.dataset);
  const implicit = dedupe(toImplicit(raw), "latest");
  return leaveLatestOut(implicit, {
    validation: true,
    numNegatives: 99,
    seed: opts.seed,
    name: `${opts.dataset}, every rating implicit, 99 negatives, leave-latest-one-out`,
  });
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
  console.error(`reproduce: ${opts.dataset}, seed ${opts.seed}${opts.quick ? ", quick" : ""}`);
  const split = await buildSplit(opts);
  console.error(
    `split: ${split.nUsers} users, ${split.nItems} items, ${split.train.users.length} training ` +
      `pairs, ${split.test.users.length} test pairs (${split.name})`,
  );
  const environment = environmentInfo({
    backend: "TypeScript on typed arrays; EASE inverse and scoring in wasm SIMD when available",
  });
  const rows: ResultsRow[] = [];
  // Inner steps (fits, evaluations) show a live line on a terminal; logs get one line per model.
  const inner = Deno.stderr.isTerminal() ? defaultSink() : new SilentSink();
  const overall = new Progress("reproduce", { total: opts.models.length, unit: "models" });
  for (const name of opts.models) {
    const grid = (opts.quick ? QUICK_BASELINE_GRIDS : BASELINE_GRIDS)[name];
    const runT0 = performance.now();
    const dir = runDir(opts.out, EXPERIMENT, name);
    const config = {
      experiment: EXPERIMENT,
      dataset: opts.dataset,
      preprocessing: { implicit: "every rating is a positive", duplicates: "dedupe latest" },
      split: { kind: "leave-latest-one-out", validation: true, numNegatives: 99, seed: opts.seed },
      model: { name, grid },
      selection: { metric: SELECT_METRIC, protocol: SELECT_PROTOCOL, on: "valid" },
      evaluation: { protocols: ["sampled", "full"], ks: KS, metrics: metricNames(), on: "test" },
      seed: opts.seed,
      quick: opts.quick,
    };
    // A rerun replaces the folder: an interrupted rerun must not look finished.
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await writeRunStart(dir, config, environment);
    const sel = await selectOnValidation(baselineCandidates(name, grid), split, {
      seed: opts.seed,
      metric: SELECT_METRIC,
      protocol: SELECT_PROTOCOL,
      progress: inner,
    });
    console.error(
      `${name}: chose ${JSON.stringify(sel.params)} on validation ${SELECT_METRIC} (` +
        sel.grid.map((g) => `${fmtParams(g.params)}: ${g.value.toFixed(4)}`).join(", ") + ")",
    );
    const evalT0 = performance.now();
    const test = await evaluateProtocols(sel.model, split, {
      ks: KS,
      on: "test",
      name,
      progress: inner,
    });
    const evalSeconds = (performance.now() - evalT0) / 1000;
    const info: Record<string, string | number | boolean> = {
      ...sel.fit.info,
      chosen: JSON.stringify(sel.params),
      selectionSeconds: round(sel.seconds),
    };
    for (const g of sel.grid) info[`valid ${SELECT_METRIC} ${JSON.stringify(g.params)}`] = g.value;
    await writeRunResult(dir, {
      sampled: test.sampled!.mean,
      full: test.full!.mean,
      valid: sel.valid.mean,
      bestEpoch: null,
      timings: {
        fitSeconds: sel.fit.seconds,
        evalSeconds,
        totalSeconds: (performance.now() - runT0) / 1000,
      },
      users: { sampled: test.sampled!.users.length, full: test.full!.users.length },
      info,
    }, perUserTable(test.sampled!, test.full!));
    const values: Record<string, number> = {};
    for (const r of [test.sampled!, test.full!]) {
      for (const key of r.keys) values[`${r.protocol}:${key}`] = r.mean[key];
    }
    rows.push({ model: name, params: sel.params, values });
    overall.tick(1, { [name]: values["sampled:HR@10"] });
  }
  overall.finish();

  const tablesDir = join(experimentDir(opts.out, EXPERIMENT), "tables");
  const table = formatResultsTable(rows, TABLE_COLUMNS);
  const allColumns = Object.keys(rows[0]?.values ?? {});
  const all = formatResultsTable(rows, allColumns);
  await writeFileAtomic(join(tablesDir, "baselines.md"), table.markdown);
  await writeFileAtomic(join(tablesDir, "baselines.csv"), table.csv);
  await writeFileAtomic(join(tablesDir, "baselines_all_metrics.csv"), all.csv);
  console.log(
    `\n${split.name}: ${split.nUsers} users, ${split.nItems} items; ` +
      `test metrics at K=10 (sampled: 1 + 99 candidates; full: all items, training and ` +
      `validation items masked)\n`,
  );
  console.log(table.markdown);
  console.log(
    `runs: ${join(opts.out, EXPERIMENT, "runs")}/<model>/  tables: ${tablesDir}/  ` +
      `(${formatDuration((performance.now() - t0) / 1000)})`,
  );
  return 0;
}

function fmtParams(p: Record<string, unknown>): string {
  const s = Object.entries(p).map(([k, v]) => `${k}=${v}`).join(" ");
  return s || "-";
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataError) {
      console.error(`reproduce: ${err.message}`);
      Deno.exit(2);
    }
    throw err;
  }
}
