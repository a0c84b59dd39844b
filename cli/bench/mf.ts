/**
 * `deno task bench mf [--quick] [--models PureSVD,iALS,MF,BPR-MF] [--repeats N]`:
 * speed and quality of the matrix-factorisation baselines, written to
 * `results/bench/mf.json`.
 *
 * 1. Speed on synthetic data shaped like ML-1M (6,040 users x 3,706 items, about 1M
 *    interactions, Zipf popularity; lib/data/synthetic.ts): seconds per epoch (and for
 *    PureSVD the whole fit) at the default hyperparameters, training examples per second,
 *    and the time to score every item for every user (full ranking). Each measurement is
 *    repeated `--repeats` times (default 2); min and median are reported, because other
 *    jobs share the machine.
 * 2. Quality on ML-100K (`DSER_DATA_DIR` or data/), leave-latest-out with a validation item
 *    and 99 sampled negatives (seed 1): each model at its defaults, epoch chosen on
 *    validation, then validation and test HR@10 / NDCG@10, sampled and full ranking.
 *
 * `--quick` times 1 epoch on a quarter-size synthetic set and skips ML-100K.
 *
 * @module
 */
import { join } from "node:path";
import {
  leaveLatestOut,
  loadInteractions,
  type Split,
  syntheticSplit,
} from "../../lib/data/mod.ts";
import { evaluateFullRanking, evaluateSampled } from "../../lib/eval/mod.ts";
import {
  BPRMF,
  type BPRMFParams,
  IALS,
  type IALSParams,
  LogisticMF,
  type LogisticMFParams,
  PureSVD,
} from "../../lib/models/mf/mod.ts";
import type { Recommender } from "../../lib/models/types.ts";
import { environmentInfo, LineSink, SilentSink, writeJsonAtomic } from "../../lib/util/mod.ts";

const args = Deno.args;
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = flag("--quick");
const repeats = Number(option("--repeats") ?? (quick ? 1 : 2));
const only = option("--models")?.split(",");
const root = join(import.meta.dirname!, "..", "..");
const quiet = new SilentSink();
const log = (s: string) => console.error(s);

type Make = (over: Record<string, unknown>) => Recommender;
type Entry = { name: string; make: Make; timedEpochs: number; speedOnly?: boolean };
const MODELS: Entry[] = ([
  { name: "PureSVD", make: (o) => new PureSVD(o), timedEpochs: 0 },
  { name: "iALS", make: (o) => new IALS(o as Partial<IALSParams>), timedEpochs: 3 },
  {
    name: "iALS (cg)",
    make: (o) => new IALS({ solver: "cg", ...o } as Partial<IALSParams>),
    timedEpochs: 3,
  },
  { name: "MF", make: (o) => new LogisticMF(o as Partial<LogisticMFParams>), timedEpochs: 2 },
  { name: "BPR-MF", make: (o) => new BPRMF(o as Partial<BPRMFParams>), timedEpochs: 2 },
  // The JavaScript reference loops, timed in the same run for the kernel speed-up ratio.
  {
    name: "iALS [js]",
    make: (o) => new IALS({ ...o, kernel: "js" } as Partial<IALSParams>),
    timedEpochs: 1,
    speedOnly: true,
  },
  {
    name: "MF [js]",
    make: (o) => new LogisticMF({ ...o, kernel: "js" } as Partial<LogisticMFParams>),
    timedEpochs: 1,
    speedOnly: true,
  },
  {
    name: "BPR-MF [js]",
    make: (o) => new BPRMF({ ...o, kernel: "js" } as Partial<BPRMFParams>),
    timedEpochs: 1,
    speedOnly: true,
  },
] as Entry[]).filter((m) => !only || only.includes(m.name.replace(" [js]", "")));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 4) => Number(x.toFixed(d));

async function speed(split: Split) {
  const out: Record<string, unknown> = {};
  const allUsers = Int32Array.from({ length: split.nUsers }, (_, u) => u);
  for (const m of MODELS) {
    const epochs = quick ? Math.min(1, m.timedEpochs) : m.timedEpochs;
    const perEpoch: number[] = [];
    const fits: number[] = [];
    const scoring: number[] = [];
    let samples = 0;
    let params: unknown = null;
    let defaultEpochs = 0;
    for (let r = 0; r < repeats; r++) {
      const over = epochs > 0 ? { epochs, evalEvery: 1000 } : {};
      const model = m.make(over);
      params = (model as unknown as { params: unknown }).params;
      defaultEpochs = epochs > 0
        ? (m.make({}) as unknown as { params: { epochs: number } }).params.epochs
        : 0;
      // Timed without validation: the bench measures training cost alone.
      const noValid = { ...split, valid: undefined };
      const report = await model.fit(noValid, { seed: 1 + r, progress: quiet });
      fits.push(report.seconds);
      for (const h of report.history) perEpoch.push(h.seconds);
      samples = report.history[0]?.samples ?? 0;
      const t0 = performance.now();
      const buf = new Float32Array(256 * split.nItems);
      for (let u0 = 0; u0 < split.nUsers; u0 += 256) {
        const users = allUsers.subarray(u0, Math.min(split.nUsers, u0 + 256));
        (model as unknown as { scoreAllInto(u: Int32Array, o: Float32Array): void })
          .scoreAllInto(users, buf);
      }
      scoring.push((performance.now() - t0) / 1000);
    }
    const epochS = perEpoch.length ? median(perEpoch) : NaN;
    out[m.name] = {
      params,
      timedEpochsPerRepeat: epochs,
      repeats,
      fitSeconds: { min: round(Math.min(...fits), 3), median: round(median(fits), 3) },
      ...(perEpoch.length
        ? {
          secondsPerEpoch: { min: round(Math.min(...perEpoch), 3), median: round(epochS, 3) },
          samplesPerEpoch: samples,
          samplesPerSecond: Math.round(samples / epochS),
          maxEpochsAtDefaults: defaultEpochs,
        }
        : {}),
      scoreAllUsersSeconds: {
        min: round(Math.min(...scoring), 3),
        median: round(median(scoring), 3),
      },
    };
    log(`${m.name}: ${JSON.stringify(out[m.name])}`);
  }
  // Median seconds per epoch of the JavaScript loop over the wasm kernel's.
  const perEpoch = (name: string) =>
    (out[name] as { secondsPerEpoch?: { median: number } } | undefined)?.secondsPerEpoch?.median;
  const ratios: Record<string, number> = {};
  for (const name of ["iALS", "MF", "BPR-MF"]) {
    const js = perEpoch(`${name} [js]`);
    const wasm = perEpoch(name);
    if (js && wasm) ratios[name] = round(js / wasm, 2);
  }
  out.jsOverWasmSecondsPerEpoch = ratios;
  return out;
}

async function quality(split: Split) {
  const out: Record<string, unknown> = {};
  for (const m of MODELS.filter((m) => !m.speedOnly)) {
    const model = m.make({});
    const report = await model.fit(split, { seed: 1, progress: new LineSink(30, log) });
    const ev = async (on: "valid" | "test") => {
      const sampled = await evaluateSampled(model, on === "valid" ? split.valid! : split.test, {
        ks: [10],
        metrics: ["HR", "NDCG"],
        on,
        progress: quiet,
      });
      const full = await evaluateFullRanking(model, split, {
        ks: [10],
        metrics: ["HR", "NDCG"],
        on,
        progress: quiet,
      });
      return {
        sampled: {
          "HR@10": round(sampled.mean["HR@10"]),
          "NDCG@10": round(sampled.mean["NDCG@10"]),
        },
        full: { "HR@10": round(full.mean["HR@10"]), "NDCG@10": round(full.mean["NDCG@10"]) },
      };
    };
    out[m.name] = {
      params: (model as unknown as { params: unknown }).params,
      bestEpoch: report.bestEpoch,
      fitSeconds: round(report.seconds, 2),
      valid: await ev("valid"),
      test: await ev("test"),
    };
    log(`${m.name}: ${JSON.stringify(out[m.name])}`);
  }
  return out;
}

const shape = quick
  ? { nUsers: 1510, nItems: 927, interactions: 250_000 }
  : { nUsers: 6040, nItems: 3706, interactions: 1_000_209 };
log(`synthetic ${shape.nUsers} x ${shape.nItems}, ${shape.interactions} interactions`);
const synth = syntheticSplit({ ...shape, seed: 1 });
const result: Record<string, unknown> = {
  benchmark: "mf",
  command: `deno task bench mf ${args.join(" ")}`.trim(),
  environment: environmentInfo(),
  synthetic: {
    split: synth.name,
    trainInteractions: synth.train.users.length,
    note: "default hyperparameters; epochs limited to timedEpochsPerRepeat, no validation " +
      "during the timed fits; scoreAllUsersSeconds = scoreAllInto for every user, " +
      "256 users per batch",
    models: await speed(synth),
  },
};
if (!quick) {
  try {
    const x = await loadInteractions("ml-100k");
    const split = leaveLatestOut(x, { validation: true, numNegatives: 99, seed: 1 });
    result.ml100k = {
      split: split.name + ", every rating implicit, 99 sampled negatives, seed 1",
      trainInteractions: split.train.users.length,
      models: await quality(split),
    };
  } catch (err) {
    result.ml100k = { skipped: (err as Error).message };
    log(`ML-100K skipped: ${(err as Error).message}`);
  }
}
const path = join(root, "results", "bench", "mf.json");
await writeJsonAtomic(path, result);
log(`wrote ${path}`);
