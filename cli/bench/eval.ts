/**
 * `deno task bench eval [--repeats N] [--no-numpy]`: speed of evaluation and of EASE at
 * ML-1M's shape, written to `results/bench/eval.json`.
 *
 * Data: synthetic, shaped like ML-1M (6,040 users x 3,706 items, about 1M interactions,
 * Zipf popularity; lib/data/synthetic.ts), leave-latest-out with a validation item
 * and 99 sampled negatives.
 *
 * Measured (each `--repeats` times, default 3; min and median reported because other
 * jobs share the machine):
 * 1. Full ranking of every user (test item, training and validation items masked, all
 *    seven metrics at K=10) with
 *    - a "precomputed" scorer that only copies a stored score row: the evaluator's own cost;
 *    - a 64-factor dot-product scorer (lib/models/mf DotProductScorer);
 *    - EASE (λ = 500) fitted on the training pairs.
 * 2. The sampled protocol (6,040 x 100 candidates) for the same scorers.
 * 3. EASE's fit: Gram matrix, Cholesky, inverse (wasm SIMD and, once, TypeScript).
 * 4. A yardstick, when Debian's /usr/bin/python3 has numpy: the same full ranking of a
 *    64-factor dot-product model (numpy matmul + counting) and np.linalg.inv of a 3,706 x
 *    3,706 SPD matrix, with 1 BLAS thread and with the default threads.
 *
 * @module
 */
import { join } from "node:path";
import { type Split, syntheticSplit } from "../../lib/data/mod.ts";
import { evaluateFullRanking, evaluateSampled, type Scorer } from "../../lib/eval/mod.ts";
import { EASE } from "../../lib/models/mod.ts";
import { DotProductScorer } from "../../lib/models/mf/mod.ts";
import { environmentInfo, Rng, SilentSink, writeJsonAtomic } from "../../lib/util/mod.ts";

const args = Deno.args;
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const repeats = Number(option("--repeats") ?? 3);
const withNumpy = !args.includes("--no-numpy");
const root = join(import.meta.dirname!, "..", "..");
const quiet = new SilentSink();
const log = (s: string) => console.error(s);

/** Scores copied from one stored random table: isolates the evaluator's own cost. */
class PrecomputedScorer implements Scorer {
  readonly name = "precomputed";
  readonly table: Float32Array;
  constructor(readonly nUsers: number, readonly nItems: number, seed: number) {
    const rng = new Rng(seed);
    this.table = Float32Array.from({ length: nUsers * nItems }, () => rng.float());
  }
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    return Float32Array.from(users, (u, p) => this.table[u * this.nItems + items[p]]);
  }
  scoreAll(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.nItems);
    this.scoreAllInto(users, out);
    return out;
  }
  scoreAllInto(users: Int32Array, out: Float32Array): void {
    const n = this.nItems;
    users.forEach((u, b) => out.set(this.table.subarray(u * n, (u + 1) * n), b * n));
  }
}

/** A dot-product model with random Gaussian factors. */
class RandomFactors extends DotProductScorer {
  readonly name = "dot64";
  constructor(nUsers: number, nItems: number, k: number, seed: number) {
    super();
    const rng = new Rng(seed);
    this.nUsers = nUsers;
    this.nItems = nItems;
    this.factors = {
      k,
      userFactors: Float64Array.from({ length: nUsers * k }, () => rng.normal() * 0.1),
      itemFactors: Float64Array.from({ length: nItems * k }, () => rng.normal() * 0.1),
      userBias: null,
      itemBias: null,
      globalBias: 0,
    };
  }
}

function stats(xs: number[]): { min: number; median: number; runs: number[] } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { min: r(s[0]), median: r(s[Math.floor(s.length / 2)]), runs: xs.map(r) };
}

async function timeFull(scorer: Scorer, split: Split) {
  const secs: number[] = [];
  let hr = 0;
  for (let r = 0; r < repeats; r++) {
    const res = await evaluateFullRanking(scorer, split, { ks: [10], progress: quiet });
    secs.push(res.seconds);
    hr = res.mean["HR@10"];
  }
  return {
    seconds: stats(secs),
    usersPerSecond: Math.round(split.test.users.length / Math.min(...secs)),
    hr10: hr,
  };
}

async function timeSampled(scorer: Scorer, split: Split) {
  const secs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    secs.push((await evaluateSampled(scorer, split.test, { ks: [10], progress: quiet })).seconds);
  }
  return { seconds: stats(secs) };
}

const NUMPY = `
import json, os, sys, time
import numpy as np
n_users, n_items, k, per_user = 6040, 3706, 64, 165
rng = np.random.default_rng(1)
U = (rng.standard_normal((n_users, k)) * 0.1).astype(np.float32)
V = (rng.standard_normal((n_items, k)) * 0.1).astype(np.float32)
train = [rng.choice(n_items, per_user, replace=False) for _ in range(n_users)]
test = rng.integers(0, n_items, n_users)
def full_ranking():
    t = time.perf_counter()
    hits = 0
    for s in range(0, n_users, 256):
        scores = U[s:s+256] @ V.T
        for b in range(scores.shape[0]):
            row = scores[b]
            pos = row[test[s + b]]
            row[train[s + b]] = -np.inf
            rank = int((row >= pos).sum()) - 1
            hits += rank < 10
    return time.perf_counter() - t
def inverse():
    x = (rng.random((6040, n_items)) < 0.045).astype(np.float64)
    g = x.T @ x + 500 * np.eye(n_items)
    t = time.perf_counter()
    np.linalg.inv(g)
    return time.perf_counter() - t
print(json.dumps({"numpy": np.__version__, "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
                  "fullRankingDot64Seconds": min(full_ranking() for _ in range(2)),
                  "inverse3706Seconds": min(inverse() for _ in range(2))}))
`;

async function numpyYardstick(threads: string | null) {
  const env: Record<string, string> = threads
    ? { OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads, MKL_NUM_THREADS: threads }
    : {};
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", NUMPY],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return { skipped: new TextDecoder().decode(out.stderr).trim().split("\n").pop() };
    }
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  } catch (err) {
    return { skipped: (err as Error).message };
  }
}

log("building synthetic ML-1M-shaped split ...");
const split = syntheticSplit({
  nUsers: 6040,
  nItems: 3706,
  interactions: 1_000_209,
  seed: 1,
  numNegatives: 99,
});
const shape = {
  users: split.nUsers,
  items: split.nItems,
  trainPairs: split.train.users.length,
  testUsers: split.test.users.length,
};
log(`${shape.users} users x ${shape.items} items, ${shape.trainPairs} training pairs`);

const report: Record<string, unknown> = {
  name: "eval",
  command: `deno task bench eval ${args.join(" ")}`.trim(),
  environment: environmentInfo({ backend: "TypeScript + wasm SIMD (EASE inverse)" }),
  data: { ...shape, kind: "synthetic, ML-1M shape (lib/data/synthetic.ts), seed 1" },
  repeats,
};

log("full ranking / sampled with a precomputed scorer (evaluator cost) ...");
const pre = new PrecomputedScorer(split.nUsers, split.nItems, 2);
report.precomputed = { full: await timeFull(pre, split), sampled: await timeSampled(pre, split) };
log(JSON.stringify(report.precomputed));

log("full ranking / sampled with a 64-factor dot-product scorer ...");
const dot = new RandomFactors(split.nUsers, split.nItems, 64, 3);
report.dot64 = { full: await timeFull(dot, split), sampled: await timeSampled(dot, split) };
log(JSON.stringify(report.dot64));

log("EASE fit (wasm) ...");
const easeFits: number[] = [];
let ease: EASE | null = null;
let easeInfo: Record<string, unknown> = {};
for (let r = 0; r < repeats; r++) {
  ease = new EASE({ lambda: 500 });
  const fit = await ease.fit(split, { seed: 1, progress: quiet });
  easeFits.push(fit.seconds);
  easeInfo = fit.info;
  log(`  fit ${fit.seconds.toFixed(2)} s ${JSON.stringify(fit.info)}`);
}
log("EASE fit (TypeScript fallback, once) ...");
const jsFit = await new EASE({ lambda: 500 }, { backend: "js" }).fit(split, {
  seed: 1,
  progress: quiet,
});
log(`  fit ${jsFit.seconds.toFixed(2)} s ${JSON.stringify(jsFit.info)}`);
report.easeFit = {
  items: split.nItems,
  wasm: { seconds: stats(easeFits), lastInfo: easeInfo },
  js: { seconds: Math.round(jsFit.seconds * 1000) / 1000, info: jsFit.info },
};
log("full ranking / sampled with EASE ...");
report.ease = { full: await timeFull(ease!, split), sampled: await timeSampled(ease!, split) };
log(JSON.stringify(report.ease));

if (withNumpy) {
  log("numpy yardstick (1 thread, then default threads) ...");
  report.numpy = {
    oneThread: await numpyYardstick("1"),
    defaultThreads: await numpyYardstick(null),
  };
  log(JSON.stringify(report.numpy));
}

const path = join(root, "results", "bench", "eval.json");
await writeJsonAtomic(path, report);
log(`wrote ${path}`);
