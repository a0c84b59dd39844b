/**
 * `deno task bench mf_tune [--stage NAME ...] [--report]`: the validation sweep behind the
 * MF baselines' defaults (docs/mf.md), on ML-100K leave-latest-out with a validation item
 * and 99 sampled negatives (split seed 1).
 *
 * Every configuration is fitted on `split.train` and scored on `split.valid` only; the
 * selection metric is sampled NDCG@10 on validation (HR@10 is recorded too). Each stage
 * varies a few hyperparameters around the best configuration found so far (coordinate
 * search). Results accumulate in `results/bench/mf_tune.json`; a configuration already
 * there is not refitted, so a killed sweep resumes where it stopped.
 *
 * `--report` then takes each model's best configuration on validation and fits it with
 * seeds 1, 2, 3, recording validation and test HR@10 / NDCG@10 (sampled and full ranking):
 * the only place the test set is read.
 *
 * @module
 */
import { join } from "node:path";
import { leaveLatestOut, loadInteractions } from "../../lib/data/mod.ts";
import { evaluateFullRanking, evaluateSampled } from "../../lib/eval/mod.ts";
import { BPRMF, IALS, LogisticMF, PureSVD } from "../../lib/models/mf/mod.ts";
import type { Recommender } from "../../lib/models/types.ts";
import {
  DivergenceError,
  environmentInfo,
  readJson,
  SilentSink,
  writeJsonAtomic,
} from "../../lib/util/mod.ts";

type Params = Record<string, number | string | boolean>;
interface Trial {
  model: string;
  params: Params;
  seed: number;
  /** Validation metrics; NaN-free: a diverged fit scores -1 and says why in `error`. */
  valid: { "HR@10": number; "NDCG@10": number };
  error?: string;
  bestEpoch: number | null;
  epochsRun: number;
  fitSeconds: number;
}

const root = join(import.meta.dirname!, "..", "..");
const path = join(root, "results", "bench", "mf_tune.json");
const quiet = new SilentSink();
const log = (s: string) => console.error(s);
const args = Deno.args;
const stages = args.flatMap((a, i) => (args[i - 1] === "--stage" ? [a] : []));
const report = args.includes("--report");
const markdown = args.includes("--markdown");

const MAKERS: Record<string, (p: Params) => Recommender> = {
  PureSVD: (p) => new PureSVD(p),
  iALS: (p) => new IALS(p),
  MF: (p) => new LogisticMF(p),
  "BPR-MF": (p) => new BPRMF(p),
};
/** Epoch budget and early stopping used in the sweep (best epoch kept by validation). */
const SCHEDULE: Record<string, Params> = {
  PureSVD: {},
  iALS: { epochs: 20, evalEvery: 1, patience: 5 },
  MF: { epochs: 150, evalEvery: 2, patience: 6 },
  "BPR-MF": { epochs: 150, evalEvery: 2, patience: 6 },
};

const x = await loadInteractions("ml-100k");
const split = leaveLatestOut(x, { validation: true, numNegatives: 99, seed: 1 });
const prior = await readJson<{ trials?: Trial[]; report?: unknown }>(path).catch(() => null);
const trials: Trial[] = prior?.trials ?? [];
const key = (m: string, p: Params, seed: number) =>
  JSON.stringify([m, Object.entries(p).sort(([a], [b]) => a.localeCompare(b)), seed]);
const done = new Map(trials.map((t) => [key(t.model, t.params, t.seed), t]));

async function save(extra: Record<string, unknown> = {}) {
  await writeJsonAtomic(path, {
    benchmark: "mf_tune",
    split: split.name + ", ML-100K, every rating implicit, 99 sampled negatives, split seed 1",
    selection: "sampled NDCG@10 on split.valid (model seed 1)",
    environment: environmentInfo(),
    trials,
    ...(prior?.report && !extra.report ? { report: prior.report } : {}),
    ...extra,
  });
}

async function trial(model: string, params: Params, seed = 1): Promise<Trial> {
  const full = { ...SCHEDULE[model], ...params };
  const k = key(model, full, seed);
  const hit = done.get(k);
  if (hit) return hit;
  const m = MAKERS[model](full);
  let rep;
  try {
    rep = await m.fit(split, { seed, progress: quiet });
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    // A diverging setting is a result of the sweep, not a reason to stop it.
    const t: Trial = {
      model,
      params: full,
      seed,
      valid: { "HR@10": -1, "NDCG@10": -1 },
      error: err.message,
      bestEpoch: null,
      epochsRun: 0,
      fitSeconds: 0,
    };
    trials.push(t);
    done.set(k, t);
    log(`${model} ${JSON.stringify(params)}: diverged (${err.message})`);
    await save();
    return t;
  }
  const v = await evaluateSampled(m, split.valid!, {
    ks: [10],
    metrics: ["HR", "NDCG"],
    on: "valid",
    progress: quiet,
  });
  const t: Trial = {
    model,
    params: full,
    seed,
    valid: { "HR@10": v.mean["HR@10"], "NDCG@10": v.mean["NDCG@10"] },
    bestEpoch: rep.bestEpoch,
    epochsRun: rep.history.length,
    fitSeconds: rep.seconds,
  };
  trials.push(t);
  done.set(k, t);
  log(
    `${model} ${JSON.stringify(params)}: valid NDCG@10 ${t.valid["NDCG@10"].toFixed(4)} ` +
      `HR@10 ${t.valid["HR@10"].toFixed(4)} epoch ${t.bestEpoch}/${t.epochsRun} ` +
      `${t.fitSeconds.toFixed(1)}s`,
  );
  await save();
  return t;
}

/** Best trial of a model so far (seed 1), by validation NDCG@10. */
function best(model: string): Trial {
  const mine = trials.filter((t) => t.model === model && t.seed === 1);
  if (mine.length === 0) throw new Error(`no trials of ${model} yet`);
  return mine.reduce((a, b) => (b.valid["NDCG@10"] > a.valid["NDCG@10"] ? b : a));
}

/** Varies `grid` keys around the best configuration so far, with `start` keys fixed. */
async function around(model: string, start: Params, grid: Record<string, (number | string)[]>) {
  // The stage's fixed settings (`start`) override the best configuration found so far.
  const base = trials.some((t) => t.model === model) ? { ...best(model).params, ...start } : start;
  for (const [k, _] of Object.entries(SCHEDULE[model])) delete base[k];
  const keys = Object.keys(grid);
  const combos: Params[] = [{}];
  for (const k of keys) {
    const next: Params[] = [];
    for (const c of combos) for (const v of grid[k]) next.push({ ...c, [k]: v });
    combos.splice(0, combos.length, ...next);
  }
  for (const c of combos) await trial(model, { ...base, ...c });
}

const STAGES: Record<string, () => Promise<void>> = {
  puresvd: () => around("PureSVD", {}, { factors: [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256] }),
  ials_alpha_reg: () =>
    around("iALS", { factors: 64, regExponent: 0 }, {
      alpha: [0.5, 1, 2, 4, 8, 16, 32],
      reg: [0.1, 0.3, 1, 3, 10, 30],
    }),
  ials_reg_wide: () =>
    around("iALS", { factors: 64, regExponent: 0 }, {
      alpha: [1, 2, 4, 8, 16, 32],
      reg: [30, 100, 300],
    }),
  // λ_row = reg·(nItems + alpha·|I_u|) is about reg·2,500 on ML-100K: a smaller reg range.
  ials_freq: () =>
    around("iALS", { factors: 64 }, {
      regExponent: [1],
      reg: [1e-3, 3e-3, 0.01, 0.03, 0.1],
    }),
  ials_freq2: () =>
    around("iALS", { factors: 64, regExponent: 1 }, {
      alpha: [0.5, 1, 2, 4, 8],
      reg: [0.005, 0.01, 0.02],
    }),
  ials_alpha_high: () =>
    around("iALS", { factors: 64, regExponent: 1 }, { alpha: [16, 32], reg: [0.005, 0.01, 0.02] }),
  ials_nu: () => around("iALS", {}, { regExponent: [0.5, 0.75] }),
  ials_factors: () => around("iALS", {}, { factors: [16, 32, 64, 128, 192] }),
  mf_lr_reg: () =>
    around("MF", { factors: 64, negatives: 8 }, {
      lr: [0.003, 0.01, 0.03, 0.1],
      reg: [0, 0.001, 0.003, 0.01, 0.03],
    }),
  mf_reg_fine: () => around("MF", {}, { reg: [0.005, 0.0075, 0.015, 0.02] }),
  mf_neg: () => around("MF", {}, { negatives: [2, 4, 8, 16] }),
  mf_factors: () => around("MF", {}, { factors: [16, 32, 64, 128, 192] }),
  bpr_lr_reg: () =>
    around("BPR-MF", { factors: 64, negatives: 4 }, {
      lr: [0.01, 0.03, 0.1, 0.3],
      reg: [0, 0.001, 0.003, 0.01, 0.03],
    }),
  bpr_reg_fine: () => around("BPR-MF", {}, { reg: [0.005, 0.0075, 0.015, 0.02] }),
  bpr_neg: () => around("BPR-MF", {}, { negatives: [1, 2, 4, 8, 16] }),
  bpr_factors: () => around("BPR-MF", {}, { factors: [16, 32, 64, 128, 192] }),
};

for (const s of stages) {
  if (!STAGES[s]) throw new Error(`unknown stage ${s}; known: ${Object.keys(STAGES).join(", ")}`);
  log(`== stage ${s}`);
  await STAGES[s]();
}

if (report) {
  const rows: Record<string, unknown> = {};
  for (const model of Object.keys(MAKERS)) {
    if (!trials.some((t) => t.model === model)) continue;
    const chosen = best(model);
    const runs = [];
    for (const seed of [1, 2, 3]) {
      const m = MAKERS[model](chosen.params);
      const rep = await m.fit(split, { seed, progress: quiet });
      const ev = async (on: "valid" | "test") => {
        const opts = { ks: [10], metrics: ["HR", "NDCG"], on, progress: quiet };
        const s = await evaluateSampled(m, on === "valid" ? split.valid! : split.test, opts);
        const f = await evaluateFullRanking(m, split, opts);
        return {
          sampled: { "HR@10": s.mean["HR@10"], "NDCG@10": s.mean["NDCG@10"] },
          full: { "HR@10": f.mean["HR@10"], "NDCG@10": f.mean["NDCG@10"] },
        };
      };
      runs.push({
        seed,
        bestEpoch: rep.bestEpoch,
        fitSeconds: rep.seconds,
        valid: await ev("valid"),
        test: await ev("test"),
      });
      log(`${model} seed ${seed}: ${JSON.stringify(runs[runs.length - 1])}`);
    }
    rows[model] = {
      params: chosen.params,
      trials: trials.filter((t) => t.model === model).length,
      runs,
    };
  }
  await save({ report: rows });
}
if (markdown) console.log(markdownTables());
else log(`wrote ${path}`);

/** The docs/mf.md tables, from the report and the trials (nothing typed by hand). */
function markdownTables(): string {
  const rep = (prior?.report ?? {}) as Record<string, {
    params: Params;
    runs: {
      bestEpoch: number | null;
      fitSeconds: number;
      valid: Record<"sampled" | "full", Record<string, number>>;
      test: Record<"sampled" | "full", Record<string, number>>;
    }[];
  }>;
  const stat = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return `${m.toFixed(4)} ± ${sd.toFixed(4)}`;
  };
  const lines = [
    "| model | valid HR@10 | valid NDCG@10 | test HR@10 | test NDCG@10 | " +
    "valid HR@10 full | valid NDCG@10 full | test HR@10 full | test NDCG@10 full | " +
    "best epochs | fit s |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [model, r] of Object.entries(rep)) {
    const col = (f: (run: typeof r.runs[number]) => number) => stat(r.runs.map(f));
    const cells = [
      col((x) => x.valid.sampled["HR@10"]),
      col((x) => x.valid.sampled["NDCG@10"]),
      col((x) => x.test.sampled["HR@10"]),
      col((x) => x.test.sampled["NDCG@10"]),
      col((x) => x.valid.full["HR@10"]),
      col((x) => x.valid.full["NDCG@10"]),
      col((x) => x.test.full["HR@10"]),
      col((x) => x.test.full["NDCG@10"]),
      r.runs.map((x) => x.bestEpoch ?? "-").join(", "),
      (r.runs.reduce((a, x) => a + x.fitSeconds, 0) / r.runs.length).toFixed(1),
    ];
    lines.push(`| ${model} | ${cells.join(" | ")} |`);
  }
  lines.push("", "Chosen hyperparameters (the schema defaults):", "");
  for (const [model, r] of Object.entries(rep)) {
    lines.push(`- ${model}: \`${JSON.stringify(r.params)}\``);
  }
  lines.push("", "Trials per model, best validation NDCG@10 (seed 1):", "");
  for (const model of Object.keys(MAKERS)) {
    const mine = trials.filter((t) => t.model === model);
    if (mine.length) {
      lines.push(
        `- ${model}: ${mine.length} trials, best ${best(model).valid["NDCG@10"].toFixed(4)}`,
      );
    }
  }
  return lines.join("\n");
}
