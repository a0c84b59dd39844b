/**
 * `deno task bench data [--quick] [--rows N] [--repeats N]`: speed of the data layer,
 * written to `results/bench/data.json`.
 *
 * 1. Real files from `DSER_DATA_DIR` (skipped when unset): loadInteractions on ML-100K,
 *    ml-latest-small and ratings_small; item metadata (ML-100K, ml-latest-small, The Movies
 *    Dataset keywords); leave-latest-one-out on ML-100K; and, side by side, our
 *    load + split + writeNcfSplit against ../shared/anchors/make_ncf_split.py on ML-100K.
 * 2. A synthetic ratings.csv shaped like ml-25m (25M rows by default, `--rows`): bytes
 *    generated in memory, then parseRatingsBytes (rows/s, MB/s) and the dense-id mapping.
 * 3. Synthetic ML-1M-shaped interactions (lib/data/synthetic.ts, seed 1: 6,040 users x 3,706
 *    items, 1,000,209 rows, skewed popularity): userItemIndex, leaveLatestOut with 99 negatives, and
 *    TrainingNegativeSampler drawing 4 negatives per positive (bitset and binary search),
 *    in samples/s.
 *
 * Every timing is repeated (`--repeats`, default 3) and reported as min and median, since
 * other jobs share the machine. `--quick` uses 2M synthetic rows and one repeat.
 *
 * @module
 */
import { join } from "node:path";
import {
  leaveLatestOut,
  loadInteractions,
  loadItemMetadata,
  parseRatingsBytes,
  syntheticInteractions,
  toInteractions,
  TrainingNegativeSampler,
  userItemIndex,
  writeNcfSplit,
} from "../../lib/data/mod.ts";
import { environmentInfo, Rng, writeJsonAtomic } from "../../lib/util/mod.ts";

const args = Deno.args;
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const repeats = Number(option("--repeats") ?? (quick ? 1 : 3));
const rows = Number(option("--rows") ?? (quick ? 2_000_000 : 25_000_000));
const root = join(import.meta.dirname!, "..", "..");
const dataDir = Deno.env.get("DSER_DATA_DIR");
const log = (s: string) => console.error(s);

interface Timing {
  minS: number;
  medianS: number;
  runs: number[];
}

async function time(fn: () => unknown | Promise<unknown>, n = repeats): Promise<Timing> {
  const runs: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    await fn();
    runs.push((performance.now() - t) / 1000);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { minS: sorted[0], medianS: sorted[Math.floor((sorted.length - 1) / 2)], runs };
}

const result: Record<string, unknown> = {
  benchmark: "data",
  command: `deno task bench data ${args.join(" ")}`.trim(),
  repeats,
  environment: environmentInfo(),
};

// 1. Real files.
if (dataDir) {
  const opts = { dataDir, download: false };
  const real: Record<string, unknown> = {};
  for (const name of ["ml-100k", "ml-latest-small", "the-movies-dataset"] as const) {
    const x = await loadInteractions(name, opts);
    const t = await time(() => loadInteractions(name, opts));
    real[`loadInteractions ${name}`] = {
      rows: x.users.length,
      ...t,
      rowsPerS: x.users.length / t.minS,
    };
    log(`loadInteractions ${name}: ${x.users.length} rows, min ${(t.minS * 1000).toFixed(1)} ms`);
  }
  for (const name of ["ml-100k", "ml-latest-small", "the-movies-dataset"] as const) {
    const t = await time(() => loadItemMetadata(name, { ...opts, warn: () => {} }));
    real[`loadItemMetadata ${name}`] = t;
    log(`loadItemMetadata ${name}: min ${(t.minS * 1000).toFixed(1)} ms`);
  }
  const x = await loadInteractions("ml-100k", opts);
  real["leaveLatestOut ml-100k (validation, 99 negatives)"] = await time(() =>
    leaveLatestOut(x, { seed: 1, validation: true })
  );
  // Side by side with the anchor script (same work: read u.data, split, 99 negatives, write).
  const anchor = join(dataDir, "..", "anchors", "make_ncf_split.py");
  const tmp = await Deno.makeTempDir({ prefix: "dser-bench-data-" });
  try {
    const ours = await time(async () => {
      const y = await loadInteractions("ml-100k", opts);
      await writeNcfSplit(leaveLatestOut(y, { seed: 1 }), join(tmp, "ts"), "ml-100k");
    });
    let py: Timing | null = null;
    try {
      py = await time(async () => {
        const out = await new Deno.Command("/usr/bin/python3", {
          args: [anchor, join(dataDir, "ml-100k", "u.data"), join(tmp, "py"), "--name", "ml-100k"],
          stdout: "null",
          stderr: "piped",
        }).output();
        if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      });
    } catch (err) {
      log(`anchor script not run: ${(err as Error).message}`);
    }
    const same: Record<string, boolean> = {};
    if (py) {
      for (const f of ["ml-100k.train.rating", "ml-100k.test.rating"]) {
        same[f] = (await Deno.readTextFile(join(tmp, "ts", f))) ===
          (await Deno.readTextFile(join(tmp, "py", f)));
      }
    }
    real["ml-100k NCF split written: ours vs make_ncf_split.py"] = {
      ours,
      python: py,
      speedup: py ? py.minS / ours.minS : null,
      identicalFiles: same,
      note: "python time includes interpreter start-up (~50 ms)",
    };
    log(
      `ML-100K split+write: ours ${(ours.minS * 1000).toFixed(0)} ms, python ${
        py ? (py.minS * 1000).toFixed(0) : "-"
      } ms, identical ${JSON.stringify(same)}`,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  result.real = real;
} else {
  log("DSER_DATA_DIR is not set: skipping the real-file timings");
  result.real = null;
}

// 2. Synthetic ml-25m-shaped ratings.csv.
function syntheticCsv(n: number): Uint8Array {
  const header = "userId,movieId,rating,timestamp\n";
  const buf = new Uint8Array(header.length + n * 30);
  let p = 0;
  for (let k = 0; k < header.length; k++) buf[p++] = header.charCodeAt(k);
  const rng = new Rng(25);
  const writeInt = (v: number) => {
    const start = p;
    do {
      buf[p++] = 48 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    buf.subarray(start, p).reverse();
  };
  let user = 1;
  for (let r = 0; r < n; r++) {
    if (rng.int(150) === 0) user++;
    writeInt(user);
    buf[p++] = 44;
    writeInt(1 + Math.floor(209171 * rng.float() ** 3));
    buf[p++] = 44;
    const half = 1 + rng.int(10);
    writeInt(half >> 1);
    buf[p++] = 46;
    buf[p++] = half & 1 ? 53 : 48;
    buf[p++] = 44;
    writeInt(789652009 + rng.int(785000000));
    buf[p++] = 10;
  }
  return buf.subarray(0, p);
}
{
  log(`generating a synthetic ratings.csv with ${rows} rows ...`);
  const bytes = syntheticCsv(rows);
  const format = { separator: "," as const, header: ["userId", "movieId", "rating", "timestamp"] };
  let raw = parseRatingsBytes(bytes, "synthetic.csv", format);
  const parse = await time(() => {
    raw = parseRatingsBytes(bytes, "synthetic.csv", format);
  });
  const dense = await time(() => toInteractions(raw));
  result.syntheticCsv = {
    rows,
    bytes: bytes.length,
    parse,
    parseRowsPerS: rows / parse.minS,
    parseMBPerS: bytes.length / 1e6 / parse.minS,
    denseIds: dense,
    totalRowsPerS: rows / (parse.minS + dense.minS),
  };
  log(
    `synthetic csv: ${rows} rows, ${(bytes.length / 1e6).toFixed(0)} MB: parse min ${
      parse.minS.toFixed(2)
    } s ` +
      `(${(rows / parse.minS / 1e6).toFixed(1)} M rows/s, ${
        (bytes.length / 1e6 / parse.minS).toFixed(0)
      } MB/s), ` +
      `dense ids ${dense.minS.toFixed(2)} s`,
  );
}

// 3. ML-1M-shaped interactions: index, split, training negatives.
{
  const x = syntheticInteractions({ seed: 1 });
  const m = x.users.length;
  log(`ML-1M-shaped synthetic: ${m} interactions`);
  const index = await time(() => userItemIndex(x));
  const split = await time(() => leaveLatestOut(x, { seed: 1, validation: true }));
  const s = leaveLatestOut(x, { seed: 1, validation: true });
  const idx = userItemIndex(s.train);
  const samplers = {
    bitset: new TrainingNegativeSampler(idx),
    "binary-search": new TrainingNegativeSampler(idx, { bitsetMaxBytes: 0 }),
  };
  const perUser = 4;
  const out = new Int32Array(s.train.users.length * perUser);
  const sampler: Record<string, unknown> = {};
  for (const [name, smp] of Object.entries(samplers)) {
    const rng = new Rng(7);
    smp.sample(s.train.users, perUser, rng, out); // warm-up
    const t = await time(() => smp.sample(s.train.users, perUser, rng, out), Math.max(3, repeats));
    sampler[name] = { samples: out.length, ...t, samplesPerS: out.length / t.minS };
    log(
      `TrainingNegativeSampler (${name}): ${out.length} samples, min ${
        (t.minS * 1000).toFixed(0)
      } ms, ${(out.length / t.minS / 1e6).toFixed(1)} M samples/s`,
    );
  }
  result.ml1mShaped = {
    users: x.nUsers,
    items: x.nItems,
    interactions: m,
    userItemIndex: index,
    leaveLatestOut: split,
    trainingNegatives: { perPositive: perUser, ...sampler },
  };
  log(
    `userItemIndex min ${
      (index.minS * 1000).toFixed(0)
    } ms, leaveLatestOut (valid, 99 negatives) min ${(split.minS * 1000).toFixed(0)} ms`,
  );
}

const path = join(root, "results", "bench", "data.json");
await writeJsonAtomic(path, result);
log(`wrote ${path}`);
