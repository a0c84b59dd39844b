/**
 * What notebooks 03, 04 and 06 compute from results files (lib/report/experiment_views.ts),
 * checked on fixture run folders with known per-user values against independent hand
 * computations: per-user averaging over seeds, the t statistic, Holm's steps, Kendall's
 * tau-b (hand-worked examples), training time per epoch, and the table files.
 */
import { join } from "node:path";
import { assert, assertClose, assertEquals, tempDir } from "./_assert.ts";
import {
  buildResultsTable,
  chooseCell,
  claimVerdict,
  compareRowPairs,
  compareRows,
  describeSignificance,
  differenceHistogram,
  holmStep,
  kendallTauB,
  loadExperimentResults,
  pairedTestDetails,
  protocolAgreement,
  type RowComparison,
  significanceRows,
  tableFileStatus,
  trainingTimes,
  writeTableFiles,
} from "../lib/report/mod.ts";
import {
  runDir,
  writeHistory,
  writeManifest,
  writeRunResult,
  writeRunStart,
} from "../lib/results/mod.ts";
import { environmentInfo } from "../lib/util/env.ts";

const N = 30;
const SEEDS = [1, 2];

/** Per-user 0/1 hits of a row for a seed: `rate` of users hit, shifted by seed and row. */
function hits(row: string, seed: number): Float64Array {
  const shift = { Base: 0, Good: 7, Bad: 3 }[row]!;
  const rate = { Base: 0.5, Good: 0.8, Bad: 0.2 }[row]!;
  return Float64Array.from(
    { length: N },
    (_, u) => (((u * 7 + shift + seed) % N) / N < rate ? 1 : 0),
  );
}

/** Full-ranking hits: a different order of the rows (Bad best) to test protocol agreement. */
function fullHits(row: string, seed: number): Float64Array {
  const rate = { Base: 0.2, Good: 0.1, Bad: 0.3 }[row]!;
  return Float64Array.from({ length: N }, (_, u) => (((u * 11 + seed) % N) / N < rate ? 1 : 0));
}

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;

async function writeFixture(root: string): Promise<void> {
  const runs = [];
  for (const seed of SEEDS) {
    for (const row of ["Base", "Good", "Bad"]) {
      const id = `${row}__s${seed}`;
      const dir = runDir(root, "fx", id);
      await writeRunStart(
        dir,
        { label: row, row, seed, point: {}, eval: { negatives: 99 } },
        environmentInfo(),
      );
      // Epoch seconds 0.5 * (seed) for Good; none for Base (closed form); 2 epochs for Bad.
      const history = row === "Base" ? [] : row === "Good"
        ? [1, 2, 3].map((e) => ({
          epoch: e,
          loss: 1 / e,
          seconds: 0.5 * seed,
          samples: 1000,
          valid: { "HR@10": 0.1 * e },
        }))
        : [1, 2].map((e) => ({
          epoch: e,
          loss: 1 / e,
          seconds: 2,
          samples: 500,
          valid: { "HR@10": 0.2 },
        }));
      await writeHistory(dir, history);
      const h = hits(row, seed);
      const f = fullHits(row, seed);
      await writeRunResult(dir, {
        sampled: { "HR@10": mean(h) },
        full: { "HR@10": mean(f) },
        bestEpoch: history.length ? history.length : null,
        timings: { fitSeconds: 10 * seed, evalSeconds: 1, totalSeconds: 10 * seed + 1 },
        users: { sampled: N, full: N },
        info: row === "Good" ? { executor: "fake", pretrainSeconds: 4 } : {},
      }, {
        users: Int32Array.from({ length: N }, (_, u) => u),
        columns: { "sampled:HR@10": h, "full:HR@10": f },
      });
      runs.push({ id, row, label: row, seed, point: {} });
    }
  }
  await writeManifest(root, {
    name: "fx",
    description: "fixture",
    source: null,
    config: {},
    table: { baseline: "Base", test: "t", alpha: 0.05, precision: 4, columns: null },
    rows: ["Base", "Good", "Bad"],
    runs,
  });
}

/** Per-user values of a row averaged over seeds, computed directly from the generators. */
function averaged(row: string, gen = hits): Float64Array {
  const out = new Float64Array(N);
  for (const s of SEEDS) gen(row, s).forEach((v, u) => (out[u] += v / SEEDS.length));
  return out;
}

function tByHand(a: Float64Array, b: Float64Array): number {
  const d = a.map((x, i) => x - b[i]);
  const m = mean(d);
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
  return m / (sd / Math.sqrt(d.length));
}

Deno.test("compareRows: per-user values averaged over seeds, counts, t statistic by hand", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const results = await loadExperimentResults(tmp.path, "fx");
    const c = (await compareRows(results, "Good", "Base", "sampled:HR@10"))!;
    const a = averaged("Good"), b = averaged("Base");
    assertEquals(c.users, N);
    assertClose(c.meanA, mean(a), 1e-12, "mean A");
    assertClose(c.meanB, mean(b), 1e-12, "mean B");
    const d = a.map((x, i) => x - b[i]);
    assertEquals([c.better, c.worse, c.tied], [
      d.filter((x) => x > 0).length,
      d.filter((x) => x < 0).length,
      d.filter((x) => x === 0).length,
    ]);
    assertClose(c.t.t, tByHand(a, b), 1e-9, "t");
    assert(c.ci.lower <= c.meanA - c.meanB && c.meanA - c.meanB <= c.ci.upper, "CI holds the mean");
    assertEquals(c.seedsA, 2);
    // A single comparison is its own family.
    assertEquals(c.pHolm, c.p);
    // No per-user column -> null.
    assertEquals(await compareRows(results, "Good", "Base", "sampled:NDCG@10"), null);
    // The histogram holds every user's difference.
    const hist = differenceHistogram(c);
    assertEquals(hist.series[0].values.length, N);
  } finally {
    await tmp.remove();
  }
});

Deno.test("compareRowPairs: Holm over the family (step-down by hand), missing rows left out", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const results = await loadExperimentResults(tmp.path, "fx");
    const cs = await compareRowPairs(
      results,
      [["Good", "Base"], ["Bad", "Base"], ["Nope", "Base"]],
      [
        "sampled:HR@10",
        "full:HR@10",
      ],
    );
    assertEquals(cs.map((c) => `${c.a}/${c.column}`), [
      "Good/sampled:HR@10",
      "Good/full:HR@10",
      "Bad/sampled:HR@10",
      "Bad/full:HR@10",
    ]);
    // Holm by hand: sort ascending, multiply by m, m-1, ..., running maximum, cap at 1.
    const order = cs.map((_, i) => i).sort((x, y) => cs[x].p - cs[y].p);
    let running = 0;
    order.forEach((i, j) => {
      running = Math.max(running, Math.min(1, (cs.length - j) * cs[i].p));
      assertClose(cs[i].pHolm, running, 1e-15, `Holm of comparison ${i}`);
    });
  } finally {
    await tmp.remove();
  }
});

Deno.test("kendallTauB: hand-worked examples, with ties (scipy.stats.kendalltau gives the same)", () => {
  assertClose(kendallTauB([1, 2, 3, 4], [1, 2, 3, 4]), 1, 1e-15, "same order");
  assertClose(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), -1, 1e-15, "reversed");
  // 5 concordant, 1 discordant pair of 6.
  assertClose(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]), 4 / 6, 1e-15, "one swap");
  // 4 concordant, 0 discordant, one tie in each: 4 / sqrt(5 * 5).
  assertClose(kendallTauB([1, 2, 2, 3], [1, 2, 3, 3]), 0.8, 1e-15, "ties");
  assert(Number.isNaN(kendallTauB([1], [1])));
});

Deno.test("protocolAgreement: ranks per protocol and the pairs they order oppositely", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const table = await buildResultsTable(await loadExperimentResults(tmp.path, "fx"));
    const a = protocolAgreement(table, "HR@10")!;
    const sampled = ["Base", "Good", "Bad"].map((r) => mean(averaged(r)));
    const full = ["Base", "Good", "Bad"].map((r) => mean(averaged(r, fullHits)));
    const rank = (v: number[], i: number) => 1 + v.filter((x) => x > v[i]).length;
    assertEquals(a.rows.map((r) => r.rankSampled), [0, 1, 2].map((i) => rank(sampled, i)));
    assertEquals(a.rows.map((r) => r.rankFull), [0, 1, 2].map((i) => rank(full, i)));
    assertClose(a.tau, kendallTauB(sampled, full), 1e-15, "tau");
    const expected: string[] = [];
    const names = ["Base", "Good", "Bad"];
    for (let i = 0; i < 3; i++) {
      for (let j = i + 1; j < 3; j++) {
        if ((sampled[i] - sampled[j]) * (full[i] - full[j]) < 0) {
          expected.push(`${names[i]}/${names[j]}`);
        }
      }
    }
    assertEquals(a.discordant.map(([x, y]) => `${x}/${y}`), expected);
    assert(expected.length > 0, "the fixture orders the protocols differently");
  } finally {
    await tmp.remove();
  }
});

Deno.test("trainingTimes: seconds per epoch, samples per second, pretraining, closed form", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const times = trainingTimes(await loadExperimentResults(tmp.path, "fx"));
    const by = Object.fromEntries(times.map((t) => [t.row, t]));
    // Good: 0.5 s per epoch with seed 1, 1.0 s with seed 2.
    assertClose(by.Good.secondsPerEpoch.mean, 0.75, 1e-12, "Good s/epoch");
    assertClose(by.Good.secondsPerEpoch.std, Math.sqrt(0.125), 1e-12, "Good std");
    assertClose(by.Good.samplesPerSecond.mean, (2000 + 1000) / 2, 1e-9, "Good samples/s");
    assertClose(by.Good.pretrainSeconds.mean, 4, 1e-12, "pretrain");
    assertEquals(by.Good.executor, "fake");
    assertClose(by.Bad.secondsPerEpoch.mean, 2, 1e-12, "Bad s/epoch");
    assertEquals(by.Bad.epochs.mean, 2);
    assertEquals(by.Base.secondsPerEpoch.n, 0, "closed form: no epochs");
    assertClose(by.Base.fitSeconds.mean, 15, 1e-12, "fit seconds");
  } finally {
    await tmp.remove();
  }
});

Deno.test("significance: every tested cell, Holm's step for one cell, the chosen cell, the description", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const results = await loadExperimentResults(tmp.path, "fx");
    const table = await buildResultsTable(results);
    const rows = significanceRows(table);
    assertEquals(rows.length, table.comparisons);
    assertEquals(rows.map((r) => `${r.row}/${r.column}`), [
      "Good/sampled:HR@10",
      "Good/full:HR@10",
      "Bad/sampled:HR@10",
      "Bad/full:HR@10",
    ]);
    // Holm's step spelled out: factor m - rank + 1; the adjusted p is at least the scaled p.
    const sortedP = rows.map((r) => r.p).sort((a, b) => a - b);
    for (const r of rows) {
      const step = holmStep(table, r.row, r.column)!;
      assertEquals(step.m, 4);
      assertEquals(sortedP[step.rank - 1], r.p);
      assertEquals(step.factor, 4 - step.rank + 1);
      assertClose(step.scaled, Math.min(1, step.factor * r.p), 1e-15, "scaled");
      assert(step.pHolm >= step.scaled - 1e-15);
      assertEquals(step.pHolm, r.pHolm);
    }
    assertEquals(holmStep(table, "Base", "sampled:HR@10"), null, "the baseline is not tested");
    // The compared p equals the table's.
    const c = (await compareRows(results, "Good", "Base", "sampled:HR@10"))!;
    assertClose(c.p, rows[0].p, 1e-15, "same p as the table");
    const details = pairedTestDetails(c, holmStep(table, "Good", "sampled:HR@10"));
    assert(details.some((d) => d.quantity === "Holm"));
    assert(
      details.find((d) => d.quantity === "paired t")!.value.startsWith(`t = ${c.t.t.toFixed(3)}`),
    );
    // chooseCell: as asked, or the smallest adjusted p.
    assertEquals(chooseCell(table, { row: "Bad", column: "full:HR@10" })!.note, "as asked");
    const fallback = chooseCell(table, { row: "Missing", column: "sampled:HR@10" })!;
    const smallest = [...rows].sort((a, b) => a.pHolm - b.pHolm)[0];
    assertEquals([fallback.row, fallback.column], [smallest.row, smallest.column]);
    // The description counts raw and adjusted significant comparisons.
    const text = describeSignificance(table);
    const raw = rows.filter((r) => r.p < 0.05).length;
    const adj = rows.filter((r) => r.pHolm < 0.05).length;
    assert(
      text.includes(`${raw} comparisons have a raw p below 0.05, ${adj} remain after Holm`),
      text,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("claimVerdict: supported, contradicted, not shown", () => {
  const base = { a: "X", b: "Y", column: "sampled:HR@10", seedsA: 3, seedsB: 3 };
  const c = (meanA: number, pHolm: number) =>
    ({ ...base, meanA, meanB: 0.5, pHolm }) as unknown as RowComparison;
  assert(claimVerdict(c(0.6, 0.001), "X beats Y").startsWith("**Supported**"));
  assert(claimVerdict(c(0.4, 0.001), "X beats Y").startsWith("**Contradicted**"));
  assert(claimVerdict(c(0.6, 0.2), "X beats Y").startsWith("**Not shown**"));
  assert(/indicative only/.test(claimVerdict(c(0.6, 0.001), "X beats Y", { reduced: true })));
});

Deno.test("tableFileStatus: the files written for a table match it; an edited file does not", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const results = await loadExperimentResults(tmp.path, "fx");
    const table = await buildResultsTable(results);
    assertEquals((await tableFileStatus(table, results.dir)).map((s) => s.exists), [
      false,
      false,
      false,
    ]);
    await writeTableFiles(table, join(results.dir, "tables"), "main");
    const fresh = await tableFileStatus(table, results.dir, "main", tmp.path);
    assertEquals(fresh.map((s) => [s.path, s.matches]), [
      ["fx/tables/main.md", true],
      ["fx/tables/main.csv", true],
      ["fx/tables/main.tex", true],
    ]);
    await Deno.writeTextFile(join(results.dir, "tables", "main.csv"), "edited\n", { append: true });
    const edited = await tableFileStatus(table, results.dir);
    assertEquals(edited.map((s) => s.matches), [true, false, true]);
  } finally {
    await tmp.remove();
  }
});
