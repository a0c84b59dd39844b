/**
 * `deno task bench ncf`: our NeuMF trainer against the PyTorch reference
 * (../shared/anchors/torch_ncf.py, Debian's python3-torch) side by side in one run, with the
 * same data files and hyperparameters (8 factors, layers 64,32,16,8, 4 negatives, Adam 1e-3,
 * batch 256), on
 *
 * - ML-100K, NCF-style split (leave-latest-one-out, 99 sampled test negatives) written in
 *   the NCF file format by lib/data and read by both: epoch time and HR@10 / NDCG@10 after
 *   10 epochs (pessimistic ties in both), over several seeds;
 * - synthetic data shaped like ML-1M (lib/data/synthetic.ts), same format: epoch time.
 *
 * PyTorch runs with --threads 1 and --threads 2; we compare with the faster. Runs alternate
 * (torch, ours, torch, ...) so that load from other jobs on a shared machine hits both; the
 * figures are medians, and the load average is recorded with each run.
 *
 * Writes results/bench/ncf.json. Targets: our epoch time <= 0.5 x PyTorch's; HR@10 within
 * 0.01 of PyTorch's (means over seeds).
 *
 * Usage: deno task bench ncf [--quick] [--seeds 3] [--reps 3] [--backend auto]
 *        [--epochs 10] [--out results/bench/ncf.json]
 *
 * `--table` instead trains GMF, MLP, NeuMF (with and without pretraining) and DSER (Doc2Vec
 * PV-DM user and item documents, lib/embedding) on ML-100K with the NCF protocol plus a
 * validation item (early stopping on validation HR@10, best epoch restored), and writes the
 * test metrics (sampled and full ranking) to results/bench/ncf_table.json.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  leaveLatestOut,
  loadInteractions,
  readNcfSplit,
  syntheticInteractions,
  writeNcfSplit,
} from "../../lib/data/mod.ts";
import type { Split } from "../../lib/data/types.ts";
import { embedSplit } from "../../lib/embedding/mod.ts";
import { evaluateFullRanking, evaluateSampled } from "../../lib/eval/mod.ts";
import { createNeuralModel, NeuMF } from "../../lib/train/mod.ts";
import { environmentInfo } from "../../lib/util/env.ts";
import { writeJsonAtomic } from "../../lib/util/fs.ts";
import { SilentSink } from "../../lib/util/progress.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    table: { type: "boolean", default: false },
    seeds: { type: "string" },
    reps: { type: "string" },
    epochs: { type: "string", default: "10" },
    backend: { type: "string", default: "auto" },
    out: { type: "string", default: join(root, "results", "bench", "ncf.json") },
    python: { type: "string", default: Deno.env.get("DSER_PYTHON") ?? "/usr/bin/python3" },
    anchors: {
      type: "string",
      default: Deno.env.get("DSER_ANCHORS_DIR") ?? join(root, "..", "shared", "anchors"),
    },
  },
});
const seeds = Number(args.seeds ?? (args.quick ? 1 : 3));
const reps = Number(args.reps ?? (args.quick ? 1 : 3));
const epochs = Number(args.epochs);
const HP = { factors: 8, layers: [64, 32, 16, 8], negatives: 4, lr: 0.001, batchSize: 256 };
const torchScript = join(args.anchors, "torch_ncf.py");
const workDir = join(root, "results", "tmp", "bench-ncf");

function log(msg: string): void {
  console.error(`[bench ncf] ${msg}`);
}

function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function mean(a: number[]): number {
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
}

const round = (x: number, d = 4) => Number.isFinite(x) ? Number(x.toFixed(d)) : null;

/** One epoch's timing. */
interface EpochTiming {
  seconds: number;
  samples: number;
  /** PyTorch only: seconds of the training loop without sampling. */
  trainSeconds?: number;
  /** PyTorch timing runs: samples actually trained (the epoch time is extrapolated). */
  extrapolatedFrom?: number;
}

/** One run of either implementation. */
interface RunResult {
  impl: string;
  seed: number;
  threads?: number;
  epochs: EpochTiming[];
  hr10: number;
  ndcg10: number;
  loadBefore: number;
  info?: Record<string, unknown>;
}

async function prepare(name: string, make: () => Promise<Split>): Promise<Split> {
  const dir = join(workDir, name);
  await Deno.mkdir(dir, { recursive: true });
  const split = await make();
  await writeNcfSplit(split, dir, name);
  // Both implementations read the same files.
  return await readNcfSplit(dir, name);
}

/**
 * Runs torch_ncf.py. With `maxSamples`, each epoch stops after that many samples (the
 * script's timing option) and the epoch time is extrapolated to `fullSamples`:
 * prep_s (sampling the whole epoch) + fullSamples / (samples / train_s).
 */
async function runTorch(
  name: string,
  seed: number,
  threads: number,
  nEpochs: number,
  maxSamples = 0,
  fullSamples = 0,
): Promise<RunResult> {
  const loadBefore = loadAverage();
  const cmd = new Deno.Command(args.python, {
    args: [
      torchScript,
      "--data",
      join(workDir, name),
      "--name",
      name,
      "--model",
      "neumf",
      "--epochs",
      String(nEpochs),
      "--batch",
      String(HP.batchSize),
      "--negatives",
      String(HP.negatives),
      "--lr",
      String(HP.lr),
      "--factors",
      String(HP.factors),
      "--layers",
      HP.layers.join(","),
      "--threads",
      String(threads),
      "--seed",
      String(seed),
      ...(maxSamples > 0 ? ["--max-samples", String(maxSamples)] : []),
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const done = (r: string) => log(`  torch threads ${threads}: ${r}`);
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`torch_ncf.py failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
  const lines = text.trim().split("\n");
  const summary = JSON.parse(lines[lines.length - 1]);
  const history = summary.history as {
    prep_s: number;
    train_s: number;
    samples: number;
    hr10: number;
    ndcg10: number;
  }[];
  const last = history[history.length - 1];
  done(
    history.map((h) =>
      maxSamples > 0
        ? `${
          (h.prep_s + (fullSamples * h.train_s) / h.samples).toFixed(2)
        }s (extrapolated from ${h.samples} samples)`
        : `${(h.prep_s + h.train_s).toFixed(2)}s`
    ).join(", ") + ` HR@10 ${last.hr10}`,
  );
  return {
    impl: summary.impl,
    seed,
    threads,
    epochs: history.map((h) =>
      maxSamples > 0
        ? {
          seconds: h.prep_s + (fullSamples * h.train_s) / h.samples,
          samples: fullSamples,
          trainSeconds: (fullSamples * h.train_s) / h.samples,
          extrapolatedFrom: h.samples,
        }
        : { seconds: h.prep_s + h.train_s, samples: h.samples, trainSeconds: h.train_s }
    ),
    hr10: last.hr10,
    ndcg10: last.ndcg10,
    loadBefore,
  };
}

async function runOurs(split: Split, seed: number, nEpochs: number): Promise<RunResult> {
  const loadBefore = loadAverage();
  const model = new NeuMF({
    factors: HP.factors,
    layers: HP.layers,
    negatives: HP.negatives,
    lr: HP.lr,
    batchSize: HP.batchSize,
    epochs: nEpochs,
    patience: 0,
    backend: args.backend,
  });
  try {
    const report = await model.fit(split, { seed, progress: new SilentSink() });
    const r = await evaluateSampled(model, split.test, { ks: [10], progress: new SilentSink() });
    log(
      `  ours: ${report.history.map((h) => `${h.seconds.toFixed(2)}s`).join(", ")} HR@10 ${
        r.mean["HR@10"].toFixed(4)
      } (${report.info.executor})`,
    );
    return {
      impl: `ours (${report.info.executor})`,
      seed,
      epochs: report.history.map((h) => ({ seconds: h.seconds, samples: h.samples })),
      hr10: r.mean["HR@10"],
      ndcg10: r.mean["NDCG@10"],
      loadBefore,
      info: report.info,
    };
  } finally {
    model.dispose();
  }
}

function speedSummary(runs: RunResult[], skipFirstEpoch = false) {
  const ep = runs.flatMap((
    r,
  ) => (skipFirstEpoch && r.epochs.length > 1 ? r.epochs.slice(1) : r.epochs));
  const seconds = median(ep.map((e) => e.seconds));
  const samples = median(ep.map((e) => e.samples));
  const train = ep.filter((e) => e.trainSeconds !== undefined);
  return {
    epochSecondsMedian: round(seconds, 3),
    epochSeconds: ep.map((e) => round(e.seconds, 3)),
    samplesPerEpoch: samples,
    samplesPerSecond: Math.round(samples / seconds),
    ...(train.length
      ? {
        trainLoopSamplesPerSecond: Math.round(
          median(train.map((e) => e.samples / e.trainSeconds!)),
        ),
      }
      : {}),
    loadAverages: runs.map((r) => round(r.loadBefore, 2)),
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  log(`torch: ${args.python} ${torchScript}`);
  try {
    await Deno.stat(torchScript);
  } catch {
    throw new Error(
      `PyTorch reference not found at ${torchScript} (set --anchors or DSER_ANCHORS_DIR)`,
    );
  }
  log("preparing ML-100K (NCF-style split) and synthetic ML-1M-shaped data ...");
  const ml100k = await prepare(
    "ml-100k",
    async () => leaveLatestOut(await loadInteractions("ml-100k"), { seed: 1, numNegatives: 99 }),
  );
  const synthetic = await prepare("synthetic-ml1m", () =>
    Promise.resolve(
      leaveLatestOut(syntheticInteractions({ seed: 1 }), { seed: 1, numNegatives: 99 }),
    ));

  const ml100kSamples = ml100k.train.users.length * (1 + HP.negatives);
  const synSamples = synthetic.train.users.length * (1 + HP.negatives);

  // ML-100K: accuracy after `epochs` epochs over seeds (torch --threads 1 and ours), plus a
  // short --threads 2 run for speed.
  const mlTorch1: RunResult[] = [];
  const mlTorch2: RunResult[] = [];
  const mlOurs: RunResult[] = [];
  for (let s = 1; s <= seeds; s++) {
    const order = s % 2 ? ["torch", "ours"] : ["ours", "torch"];
    for (const which of order) {
      if (which === "torch") {
        log(`ml-100k seed ${s}: torch --threads 1, ${epochs} epochs`);
        mlTorch1.push(await runTorch("ml-100k", s, 1, epochs));
      } else {
        log(`ml-100k seed ${s}: ours, ${epochs} epochs`);
        mlOurs.push(await runOurs(ml100k, s, epochs));
      }
    }
    log(`ml-100k seed ${s}: torch --threads 2, 1 epoch of 100k samples (speed only)`);
    mlTorch2.push(await runTorch("ml-100k", s, 2, 1, 100_000, ml100kSamples));
  }

  // Synthetic ML-1M: speed, alternating.
  const synTorch1: RunResult[] = [];
  const synTorch2: RunResult[] = [];
  const synOurs: RunResult[] = [];
  for (let r = 1; r <= reps; r++) {
    log(`synthetic rep ${r}: torch --threads 1 (1 epoch)`);
    synTorch1.push(await runTorch("synthetic-ml1m", r, 1, 1));
    log(`synthetic rep ${r}: ours (2 epochs)`);
    synOurs.push(await runOurs(synthetic, r, 2));
    log(`synthetic rep ${r}: torch --threads 2 (1 epoch, timed on 500k samples)`);
    synTorch2.push(await runTorch("synthetic-ml1m", r, 2, 1, 500_000, synSamples));
  }

  const compare = (ours: RunResult[], t1: RunResult[], t2: RunResult[]) => {
    const o = speedSummary(ours);
    const a = speedSummary(t1);
    const b = speedSummary(t2);
    const fastest = (a.epochSecondsMedian ?? Infinity) <= (b.epochSecondsMedian ?? Infinity)
      ? a
      : b;
    const ratio = (o.epochSecondsMedian ?? NaN) / (fastest.epochSecondsMedian ?? NaN);
    return {
      ours: o,
      torchThreads1: a,
      torchThreads2: b,
      torchFastest: fastest === a ? "threads 1" : "threads 2",
      epochTimeRatio: round(ratio, 3),
      speedup: round(1 / ratio, 2),
      targetEpochTimeRatio: 0.5,
      meetsTarget: ratio <= 0.5,
    };
  };

  const hrOurs = mean(mlOurs.map((r) => r.hr10));
  const hrTorch = mean(mlTorch1.map((r) => r.hr10));
  const result = {
    benchmark: "ncf",
    command: `deno task bench ncf ${Deno.args.join(" ")}`.trim(),
    description:
      "NeuMF (8 factors, layers 64,32,16,8, 4 negatives, Adam 1e-3, batch 256): ours vs " +
      "PyTorch torch_ncf.py, same NCF-format files, runs alternated, medians of epoch times",
    hyperparameters: HP,
    backend: args.backend,
    environment: environmentInfo({ torch: mlTorch1[0]?.impl ?? "" }),
    epochDefinition:
      "seconds of one epoch: negative sampling + shuffling + training (torch: prep_s + train_s)",
    datasets: {
      "ml-100k": {
        split: ml100k.name,
        users: ml100k.nUsers,
        items: ml100k.nItems,
        trainInteractions: ml100k.train.users.length,
        speed: compare(mlOurs, mlTorch1, mlTorch2),
        accuracy: {
          epochs,
          seeds,
          protocol: "held-out item among its 99 sampled negatives, pessimistic ties",
          ours: {
            hr10: mlOurs.map((r) => round(r.hr10)),
            ndcg10: mlOurs.map((r) => round(r.ndcg10)),
            hr10Mean: round(hrOurs),
            ndcg10Mean: round(mean(mlOurs.map((r) => r.ndcg10))),
          },
          torch: {
            hr10: mlTorch1.map((r) => round(r.hr10)),
            ndcg10: mlTorch1.map((r) => round(r.ndcg10)),
            hr10Mean: round(hrTorch),
            ndcg10Mean: round(mean(mlTorch1.map((r) => r.ndcg10))),
          },
          hr10Difference: round(hrOurs - hrTorch),
          targetHr10Difference: 0.01,
          meetsTarget: Math.abs(hrOurs - hrTorch) <= 0.01,
        },
      },
      "synthetic-ml1m": {
        split: synthetic.name,
        users: synthetic.nUsers,
        items: synthetic.nItems,
        trainInteractions: synthetic.train.users.length,
        speed: compare(synOurs, synTorch1, synTorch2),
      },
    },
    ourRunInfo: mlOurs[0]?.info ?? {},
    wallSeconds: round((performance.now() - t0) / 1000, 1),
  };
  await writeJsonAtomic(args.out, result);
  const ml = result.datasets["ml-100k"];
  const syn = result.datasets["synthetic-ml1m"];
  console.log(
    [
      `ml-100k: epoch ${ml.speed.ours.epochSecondsMedian}s ours vs ${
        ml.speed.torchFastest === "threads 1"
          ? ml.speed.torchThreads1.epochSecondsMedian
          : ml.speed.torchThreads2.epochSecondsMedian
      }s torch (${ml.speed.torchFastest}): ratio ${ml.speed.epochTimeRatio}`,
      `ml-100k: HR@10 ours ${ml.accuracy.ours.hr10Mean} vs torch ${ml.accuracy.torch.hr10Mean} ` +
      `(diff ${ml.accuracy.hr10Difference}); NDCG@10 ${ml.accuracy.ours.ndcg10Mean} vs ${ml.accuracy.torch.ndcg10Mean}`,
      `synthetic ML-1M: epoch ${syn.speed.ours.epochSecondsMedian}s ours (${syn.speed.ours.samplesPerSecond}/s) vs ` +
      `torch t1 ${syn.speed.torchThreads1.epochSecondsMedian}s, t2 ${syn.speed.torchThreads2.epochSecondsMedian}s: ` +
      `ratio ${syn.speed.epochTimeRatio}`,
      `wrote ${args.out}`,
    ].join("\n"),
  );
}

/** The ML-100K table of the neural models (see the module comment). */
async function table(): Promise<void> {
  const t0 = performance.now();
  const split = leaveLatestOut(await loadInteractions("ml-100k"), {
    seed: 1,
    validation: true,
    numNegatives: 99,
  });
  log(`${split.name}: ${split.nUsers} users, ${split.nItems} items`);
  const te = performance.now();
  const embedding = await embedSplit(split, {
    documents: ["user", "item"],
    doc2vec: { dm: 1, vectorSize: 100, window: 5, epochs: 10, minCount: 1 },
  }, { progress: new SilentSink() });
  const embedSeconds = (performance.now() - te) / 1000;
  const common = { epochs: 20, patience: 5, backend: args.backend };
  const rows: Record<string, unknown>[] = [];
  const entries: [string, string, Record<string, unknown>][] = [
    ["GMF", "GMF", {}],
    ["MLP", "MLP", {}],
    ["NeuMF", "NeuMF", {}],
    ["NeuMF-pre", "NeuMF", { pretrain: true }],
    ["DSER", "DSER", {}],
    ["DSER-hidden", "DSER", { fusion: "hidden" }],
  ];
  for (const [label, type, params] of entries) {
    for (let seed = 1; seed <= seeds; seed++) {
      const model = createNeuralModel(type, { ...common, ...params }, { documents: embedding });
      try {
        const report = await model.fit(split, { seed, progress: new SilentSink() });
        const silent = new SilentSink();
        const sampled = await evaluateSampled(model, split.test, { ks: [10], progress: silent });
        const full = await evaluateFullRanking(model, split, { ks: [10], progress: silent });
        const row = {
          model: label,
          seed,
          bestEpoch: report.bestEpoch,
          epochs: report.history.length,
          fitSeconds: round(report.seconds, 1),
          validHR10: round(report.history[(report.bestEpoch ?? 1) - 1]?.valid?.["HR@10"] ?? NaN),
          sampledHR10: round(sampled.mean["HR@10"]),
          sampledNDCG10: round(sampled.mean["NDCG@10"]),
          fullHR10: round(full.mean["HR@10"]),
          fullNDCG10: round(full.mean["NDCG@10"]),
          backend: report.info.executor,
        };
        log(JSON.stringify(row));
        rows.push(row);
      } finally {
        model.dispose();
      }
    }
  }
  await writeJsonAtomic(args.out.replace(/ncf\.json$/, "ncf_table.json"), {
    benchmark: "ncf --table",
    command: `deno task bench ncf ${Deno.args.join(" ")}`.trim(),
    split: split.name,
    protocol: "test: held-out latest item among 99 sampled negatives (pessimistic ties) and full " +
      "ranking (training items masked); model selection on the validation item only",
    embedding: {
      documents: ["user", "item"],
      doc2vec: "PV-DM, 100-d, window 5, 10 epochs, minCount 1",
      seconds: round(embedSeconds, 1),
    },
    training: common,
    environment: environmentInfo(),
    rows,
    wallSeconds: round((performance.now() - t0) / 1000, 1),
  });
}

if (args.table) await table();
else await main();
