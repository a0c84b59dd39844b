/**
 * Tables from fixture results: run folders written with lib/results (known per-user
 * values), then the table is checked against independent computations of the means, sample
 * standard deviations, a hand-written paired t statistic and Holm's adjustment.
 */
import { assert, assertClose, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import { join } from "node:path";
import {
  buildResultsTable,
  escapeLatex,
  loadExperimentResults,
  renderCsv,
  renderLatex,
  renderMarkdown,
  writeTables,
} from "../lib/report/mod.ts";
import { runDir, writeManifest, writeRunResult, writeRunStart } from "../lib/results/mod.ts";
import { environmentInfo } from "../lib/util/env.ts";

const N_USERS = 40;

/** Per-user 0/1 "hits" of the baseline for seed s: a fixed pattern, one user varying by seed. */
function baseHits(seed: number): Float64Array {
  const v = new Float64Array(N_USERS);
  for (let u = 0; u < N_USERS; u++) v[u] = (u * 7) % 10 < 5 ? 1 : 0;
  v[seed] = 1 - v[seed];
  return v;
}

/** Flips `up` misses to hits and `down` hits to misses (first ones in user order). */
function flip(v: Float64Array, up: number, down: number): Float64Array {
  const out = v.slice();
  for (let u = 0; u < N_USERS && up > 0; u++) if (out[u] === 0) (out[u] = 1, up--);
  for (let u = N_USERS - 1; u >= 0 && down > 0; u--) {
    if (v[u] === 1 && out[u] === 1) (out[u] = 0, down--);
  }
  return out;
}

const ROWS: Record<string, (seed: number) => Float64Array> = {
  "Base": baseHits,
  "Better_x&y": (s) => flip(baseHits(s), 14, 0),
  "Same": (s) => flip(baseHits(s), 2, 2),
  "Worse": (s) => flip(baseHits(s), 0, 12),
};
const SEEDS = [1, 2, 3];

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

async function writeFixture(root: string, opts: { manifest?: boolean } = {}): Promise<void> {
  const runs = [];
  for (const seed of SEEDS) {
    for (const [row, gen] of Object.entries(ROWS)) {
      const hits = gen(seed);
      // NDCG column: hits scaled by a per-user discount, so it differs from HR.
      const ndcg = hits.map((h, u) => h / Math.log2(2 + (u % 5)));
      const id = `${row.replace(/[^A-Za-z0-9]/g, "_")}__s${seed}`;
      const dir = runDir(root, "fx", id);
      await writeRunStart(
        dir,
        { label: row, row, seed, point: {}, eval: { negatives: 99 } },
        environmentInfo(),
      );
      await writeRunResult(dir, {
        sampled: { "HR@10": mean(hits), "NDCG@10": mean(ndcg) },
        full: { "HR@10": mean(hits) / 2 },
        bestEpoch: null,
        timings: { fitSeconds: 0, evalSeconds: 0, totalSeconds: 0 },
        users: { sampled: N_USERS, full: N_USERS },
      }, {
        users: Int32Array.from({ length: N_USERS }, (_, u) => u),
        columns: {
          "sampled:HR@10": hits,
          "sampled:NDCG@10": ndcg,
          "full:HR@10": hits.map((h) => h / 2),
        },
      });
      runs.push({ id, row, label: row, seed, point: {} });
    }
  }
  if (opts.manifest !== false) {
    await writeManifest(root, {
      name: "fx",
      description: "Fixture table",
      source: null,
      config: {},
      table: { baseline: "Base", test: "t", alpha: 0.05, precision: 4, columns: null },
      rows: Object.keys(ROWS),
      runs,
    });
  }
}

/** Paired t-test p-value by hand for large-ish n via the t statistic (checked separately). */
function tStatistic(a: Float64Array, b: Float64Array): number {
  const d = a.map((x, i) => x - b[i]);
  const m = mean(d);
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
  return m / (sd / Math.sqrt(d.length));
}

Deno.test("table: mean and sample std over seeds, best in bold, marks against the baseline", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const results = await loadExperimentResults(tmp.path, "fx");
    const t = await buildResultsTable(results);
    assertEquals(t.columns.map((c) => c.key), ["sampled:HR@10", "sampled:NDCG@10", "full:HR@10"]);
    assertEquals(t.rows.map((r) => r.row), Object.keys(ROWS));
    assertEquals(t.baseline, "Base");
    for (const r of t.rows) {
      const perSeed = SEEDS.map((s) => mean(ROWS[r.row](s)));
      const m = mean(perSeed);
      const sd = Math.sqrt(perSeed.reduce((s, x) => s + (x - m) ** 2, 0) / (perSeed.length - 1));
      assertClose(r.cells[0]!.mean, m, 1e-12, `${r.row} mean`);
      assertClose(r.cells[0]!.std, sd, 1e-12, `${r.row} std`);
      assertClose(r.cells[2]!.mean, m / 2, 1e-12, `${r.row} full mean`);
      assertEquals(r.cells[0]!.n, 3);
    }
    const cell = (row: string, c = 0) => t.rows.find((r) => r.row === row)!.cells[c]!;
    // Bold: the best mean per column only.
    assertEquals(t.rows.map((r) => r.cells.map((c) => c!.bold)), [
      [false, false, false],
      [true, true, true],
      [false, false, false],
      [false, false, false],
    ]);
    // Marks: 14 users gained / 12 lost are significant; 2 up and 2 down are not.
    assertEquals(cell("Better_x&y").mark, "better");
    assertEquals(cell("Worse").mark, "worse");
    assertEquals(cell("Same").mark, "");
    assertEquals(cell("Base").p, null);
    // The test pairs per-user values averaged over seeds; t statistic agrees with a hand computation.
    const avg = (row: string) => {
      const out = new Float64Array(N_USERS);
      for (const s of SEEDS) ROWS[row](s).forEach((x, u) => (out[u] += x / SEEDS.length));
      return out;
    };
    const tBetter = tStatistic(avg("Better_x&y"), avg("Base"));
    assert(tBetter > 4, `t = ${tBetter}`);
    assertEquals(cell("Better_x&y").pairedUsers, N_USERS);
    // Holm over the 9 comparisons (3 rows x 3 columns), recomputed by hand.
    const cells = t.rows.filter((r) => !r.isBaseline).flatMap((r) => r.cells.map((c) => c!));
    assertEquals(t.comparisons, 9);
    const sorted = [...cells].sort((a, b) => a.p! - b.p!);
    let running = 0;
    sorted.forEach((c, j) => {
      running = Math.max(running, Math.min(1, (9 - j) * c.p!));
      assertClose(c.pHolm!, running, 1e-15, "Holm-adjusted p");
      assertEquals(c.mark !== "", running < 0.05, "mark iff adjusted p < alpha");
    });
    // The direction of a mark follows the sign of the difference to the baseline.
    for (const r of t.rows.filter((r) => !r.isBaseline)) {
      r.cells.forEach((c, k) => {
        if (c!.mark) assertEquals(c!.mark, c!.mean > cell("Base", k).mean ? "better" : "worse");
      });
    }
    // A stricter alpha removes marks whose adjusted p is above it.
    const strict = await buildResultsTable(results, { alpha: 1e-30 });
    assert(strict.rows.every((r) => r.cells.every((c) => c!.mark === "")));
    // Wilcoxon as the test: same direction of marks.
    const w = await buildResultsTable(results, { test: "wilcoxon" });
    assertEquals(w.rows.find((r) => r.row === "Better_x&y")!.cells[0]!.mark, "better");
    assert(w.notes.some((n) => n.includes("Wilcoxon signed-rank")));
  } finally {
    await tmp.remove();
  }
});

Deno.test("table: markdown, CSV and LaTeX renderings", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path);
    const out = await writeTables(tmp.path, "fx");
    const md = await Deno.readTextFile(out.markdown);
    const better = out.table.rows[1].cells[0]!;
    const m = better.mean.toFixed(4);
    const s = better.std.toFixed(4);
    assert(md.includes(`| Better\\_x&y | 3 | **${m}** ± ${s}* |`), md);
    assert(md.includes("| Base (baseline) | 3 |"), md);
    assert(md.includes("\\* / †: significantly better / worse than Base"), md);

    const csv = (await Deno.readTextFile(out.csv)).trim().split("\n").map((l) => l.split(","));
    assertEquals(csv[0].slice(0, 10), [
      "row",
      "label",
      "seeds",
      "baseline",
      "sampled:HR@10:mean",
      "sampled:HR@10:std",
      "sampled:HR@10:n",
      "sampled:HR@10:p",
      "sampled:HR@10:p_holm",
      "sampled:HR@10:mark",
    ]);
    assertEquals(csv[2][0], "Better_x&y");
    assertEquals(Number(csv[2][4]), better.mean, "CSV keeps full precision");
    assertEquals(csv[2][9], "better");
    assertEquals(csv[1][3], "1", "the baseline row is flagged");

    const tex = await Deno.readTextFile(out.latex);
    assert(tex.includes("\\toprule") && tex.includes("\\midrule") && tex.includes("\\bottomrule"));
    assert(
      tex.includes(
        "\\multicolumn{2}{c}{Sampled (99 negatives)} & \\multicolumn{1}{c}{Full ranking}",
      ),
    );
    assert(tex.includes("\\cmidrule(lr){3-4} \\cmidrule(lr){5-5}"), tex);
    assert(
      tex.includes(`Better\\_x\\&y & 3 & \\textbf{${m}} {\\scriptsize $\\pm$ ${s}}$^{*}$`),
      tex,
    );
    assert(tex.includes("$^{\\dagger}$"), tex);
    assert(tex.includes("\\begin{tabular}{lrrrr}"), tex);
    assertEquals(renderLatex(out.table), tex);
    assertEquals(renderMarkdown(out.table), md);
    assertEquals(renderCsv(out.table), await Deno.readTextFile(out.csv));
  } finally {
    await tmp.remove();
  }
});

Deno.test("latex: every special character is escaped", () => {
  assertEquals(
    escapeLatex("a_b & 50% #1 $x {y} ~z ^w \\ <> | ± †"),
    "a\\_b \\& 50\\% \\#1 \\$x \\{y\\} \\textasciitilde{}z \\textasciicircum{}w \\textbackslash{} " +
      "\\textless{}\\textgreater{} \\textbar{} $\\pm$ $^{\\dagger}$",
  );
});

Deno.test("table: without a manifest, run folders are read; bad options name what is wrong", async () => {
  const tmp = await tempDir();
  try {
    await writeFixture(tmp.path, { manifest: false });
    const results = await loadExperimentResults(tmp.path, "fx");
    assertEquals(results.runs.length, 12);
    assertEquals(new Set(results.rows), new Set(Object.keys(ROWS)));
    const t = await buildResultsTable(results, { baseline: "Base", columns: ["full:HR@10"] });
    assertEquals(t.columns.length, 1);
    assertEquals(t.rows.find((r) => r.row === "Worse")!.cells[0]!.mark, "worse");
    const none = await buildResultsTable(results, { baseline: null });
    assert(none.rows.every((r) => r.cells.every((c) => c!.p === null)));
    await assertThrowsMatching(
      () => buildResultsTable(results, { columns: ["full:NDCG@10"] }),
      /table column "full:NDCG@10" is in no finished run of fx; available: sampled:HR@10, /,
    );
    await assertThrowsMatching(
      () => loadExperimentResults(tmp.path, "nope"),
      /no results for experiment "nope"/,
    );
    // An unfinished planned run shows as incomplete.
    await Deno.remove(join(runDir(tmp.path, "fx", "Same__s3"), "metrics.json"));
    const partial = await buildResultsTable(await loadExperimentResults(tmp.path, "fx"), {
      baseline: "Base",
    });
    assertEquals(partial.rows.find((r) => r.row === "Same")!.seeds, 2);
  } finally {
    await tmp.remove();
  }
});
