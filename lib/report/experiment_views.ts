/**
 * What the experiment notebooks (03 NCF comparison, 04 DSER, 06 results tables) compute
 * from an experiment's results files, so that the notebooks only call and show:
 *
 * - paired per-user comparisons of two rows, as a family with Holm's correction
 *   ({@link compareRows}, {@link compareRowPairs}, {@link comparisonRows},
 *   {@link describeComparisons}) and a histogram of the per-user differences;
 * - whether the sampled and the full-ranking protocol order the models alike
 *   ({@link protocolAgreement}, Kendall's tau-b);
 * - training time per epoch per model ({@link trainingTimes}, {@link trainingTimeFigure});
 * - the significance marks of a results table, cell by cell, and Holm's step for one cell
 *   ({@link significanceRows}, {@link holmStep}, {@link describeSignificance});
 * - the files of an experiment folder ({@link experimentFiles}).
 *
 * Every sentence is built from the numbers it reports.
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import {
  type BootstrapCI,
  holmAdjust,
  pairedBootstrapCI,
  pairedTTest,
  type TTestResult,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from "../eval/mod.ts";
import type { PerUserTable } from "../results/mod.ts";
import { exists } from "../util/mod.ts";
import {
  alignUsers,
  type ExperimentResults,
  meanStd,
  rowPerUser,
  type RunResult,
  type Stats,
} from "./aggregate.ts";
import type { BarFigure, HistogramFigure } from "./figure.ts";
import { renderLatex } from "./latex.ts";
import { WORKSPACE_ROOT } from "./notebook_experiments.ts";
import { renderCsv, renderMarkdown, type ResultsTable, type TableCell } from "./table.ts";

// ---------------------------------------------------------------------------------------
// Paired comparisons of two rows

/** Two rows compared user by user on one metric column. */
export interface RowComparison {
  /** Row labels: A is compared against B (differences are A - B). */
  a: string;
  b: string;
  /** Metric column, e.g. "sampled:HR@10". */
  column: string;
  /** Users paired. */
  users: number;
  /** Means over the paired users (per-user values averaged over each row's seeds). */
  meanA: number;
  meanB: number;
  /** Users where A is higher, lower, equal. */
  better: number;
  worse: number;
  tied: number;
  /** Per-user differences A - B, aligned with ascending user index. Shape: [users]. */
  diffs: Float64Array;
  /** Paired t-test. */
  t: TTestResult;
  /** Wilcoxon signed-rank test. */
  wilcoxon: WilcoxonResult;
  /** 95 % percentile bootstrap interval of the mean difference (users resampled). */
  ci: BootstrapCI;
  /** p-value of the chosen test (t or Wilcoxon). */
  p: number;
  /** Holm-adjusted p over the family it was computed in; equals p for a single comparison. */
  pHolm: number;
  /** Seeds averaged per row. */
  seedsA: number;
  seedsB: number;
}

/** Options of {@link compareRows} and {@link compareRowPairs}. */
export interface CompareOptions {
  /** Test whose p-value is reported and adjusted (default "t"). */
  test?: "t" | "wilcoxon";
  /** Seed of the bootstrap (default 0). */
  seed?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
}

function runsOfRow(results: ExperimentResults, row: string): RunResult[] {
  return results.runs.filter((r) => r.row === row);
}

/**
 * Compares rows `a` and `b` on `column` over the users both have: each user's value is
 * averaged over the row's seeds (as the tables do), then paired. Null when either row has
 * no per-user values for the column, or fewer than two users are paired.
 */
export async function compareRows(
  results: ExperimentResults,
  a: string,
  b: string,
  column: string,
  opts: CompareOptions & { cache?: Map<string, PerUserTable | null> } = {},
): Promise<RowComparison | null> {
  const cache = opts.cache ?? new Map();
  const runsA = runsOfRow(results, a);
  const runsB = runsOfRow(results, b);
  const va = await rowPerUser(runsA, column, cache);
  const vb = await rowPerUser(runsB, column, cache);
  if (!va || !vb) return null;
  const { a: xa, b: xb } = alignUsers(va, vb);
  const n = xa.length;
  if (n < 2) return null;
  const diffs = new Float64Array(n);
  let sumA = 0, sumB = 0, better = 0, worse = 0;
  for (let u = 0; u < n; u++) {
    diffs[u] = xa[u] - xb[u];
    sumA += xa[u];
    sumB += xb[u];
    if (diffs[u] > 0) better++;
    else if (diffs[u] < 0) worse++;
  }
  const t = pairedTTest(xa, xb);
  const wilcoxon = wilcoxonSignedRank(xa, xb);
  const ci = pairedBootstrapCI(xa, xb, { seed: opts.seed ?? 0, resamples: opts.resamples });
  const p = (opts.test ?? "t") === "t" ? t.pValue : wilcoxon.pValue;
  return {
    a,
    b,
    column,
    users: n,
    meanA: sumA / n,
    meanB: sumB / n,
    better,
    worse,
    tied: n - better - worse,
    diffs,
    t,
    wilcoxon,
    ci,
    p,
    pHolm: p,
    seedsA: runsA.length,
    seedsB: runsB.length,
  };
}

/**
 * Every pair of `pairs` on every column of `columns`, as one family: the p-values are
 * Holm-adjusted together. Pairs whose rows are missing or lack per-user values are left
 * out (the result says which were compared).
 */
export async function compareRowPairs(
  results: ExperimentResults,
  pairs: readonly [string, string][],
  columns: readonly string[],
  opts: CompareOptions = {},
): Promise<RowComparison[]> {
  const cache = new Map<string, PerUserTable | null>();
  const out: RowComparison[] = [];
  for (const [a, b] of pairs) {
    if (!results.rows.includes(a) || !results.rows.includes(b)) continue;
    for (const column of columns) {
      const c = await compareRows(results, a, b, column, { ...opts, cache });
      if (c) out.push(c);
    }
  }
  const adjusted = holmAdjust(out.map((c) => c.p));
  out.forEach((c, i) => (c.pHolm = adjusted[i]));
  return out;
}

/** A p-value as text: 3 significant digits, "< 1e-16" below double precision. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p < 1e-16) return "< 1e-16";
  if (p < 0.001) return p.toExponential(2);
  return p.toPrecision(3);
}

/** "p = 0.0123", or "p < 1e-16" below double precision. */
export function pText(p: number, name = "p"): string {
  const f = formatP(p);
  return f.startsWith("<") ? `${name} ${f}` : `${name} = ${f}`;
}

function columnName(column: string): string {
  const colon = column.indexOf(":");
  return colon < 0 ? column : `${column.slice(colon + 1)} (${column.slice(0, colon)})`;
}

/** Table rows of comparisons: means, difference with its bootstrap interval, counts, p-values. */
export function comparisonRows(
  comparisons: readonly RowComparison[],
  opts: { alpha?: number; digits?: number } = {},
): Record<string, unknown>[] {
  const alpha = opts.alpha ?? 0.05;
  const d = opts.digits ?? 4;
  return comparisons.map((c) => ({
    "A vs B": `${c.a} vs ${c.b}`,
    metric: columnName(c.column),
    A: c.meanA,
    B: c.meanB,
    "A - B": c.meanA - c.meanB,
    "95% CI": `[${c.ci.lower.toFixed(d)}, ${c.ci.upper.toFixed(d)}]`,
    "users A>B / A<B / =": `${c.better} / ${c.worse} / ${c.tied}`,
    p: formatP(c.p),
    "p (Holm)": formatP(c.pHolm),
    [`at ${alpha}`]: c.pHolm < alpha ? (c.meanA > c.meanB ? "A better" : "A worse") : "n.s.",
  }));
}

/**
 * One markdown bullet per comparison: the two means, the difference, how many users
 * moved each way, and whether it survives Holm's correction at `alpha`.
 */
export function describeComparisons(
  comparisons: readonly RowComparison[],
  opts: { alpha?: number; test?: "t" | "wilcoxon" } = {},
): string {
  const alpha = opts.alpha ?? 0.05;
  const testName = (opts.test ?? "t") === "t" ? "paired t-test" : "Wilcoxon signed-rank test";
  if (comparisons.length === 0) return "No comparison could be computed (no per-user values).";
  const lines = comparisons.map((c) => {
    const diff = c.meanA - c.meanB;
    const sig = c.pHolm < alpha;
    const direction = diff === 0 ? "equal to" : diff > 0 ? "above" : "below";
    const verdict = sig
      ? `significant at ${alpha} after Holm (${pText(c.pHolm)})`
      : `not significant at ${alpha} after Holm (${pText(c.pHolm)})`;
    const seeds = c.seedsA > 1 || c.seedsB > 1
      ? ` (per-user values averaged over ${c.seedsA} and ${c.seedsB} seeds)`
      : "";
    return `- **${c.a}** vs **${c.b}**, ${columnName(c.column)}: ${c.meanA.toFixed(4)} is ` +
      `${direction} ${c.meanB.toFixed(4)} by ${Math.abs(diff).toFixed(4)}` +
      ` (95% CI of the difference [${c.ci.lower.toFixed(4)}, ${c.ci.upper.toFixed(4)}]); ` +
      `${c.a} is higher for ${c.better} users, lower for ${c.worse}, equal for ${c.tied}${seeds}; ` +
      `${verdict}.`;
  });
  lines.push(
    `(${comparisons.length} comparisons, ${testName} over users, Holm-corrected together.)`,
  );
  return lines.join("\n");
}

/**
 * Whether a comparison supports the claim "A is higher than B": supported when A is
 * higher and significant after Holm at `alpha`, contradicted when A is significantly
 * lower, otherwise not shown either way. One markdown sentence naming the numbers.
 */
export function claimVerdict(
  c: RowComparison,
  claim: string,
  opts: { alpha?: number; reduced?: boolean } = {},
): string {
  const alpha = opts.alpha ?? 0.05;
  const diff = c.meanA - c.meanB;
  const sig = c.pHolm < alpha;
  const what = `${c.a} - ${c.b} = ${diff >= 0 ? "+" : ""}${diff.toFixed(4)} on ` +
    `${columnName(c.column)}, Holm-adjusted ${pText(c.pHolm)}`;
  const caveat = opts.reduced ? " In a reduced configuration: indicative only." : "";
  if (sig && diff > 0) return `**Supported** here: ${claim} (${what}).${caveat}`;
  if (sig && diff < 0) {
    return `**Contradicted** here: ${claim} (${what}, the opposite direction).${caveat}`;
  }
  return `**Not shown** here: ${claim} (${what}: not significant at ${alpha}` +
    (c.seedsA < 2 || c.seedsB < 2 ? `, with ${Math.min(c.seedsA, c.seedsB)} seed` : "") +
    `).${caveat}`;
}

/**
 * Per-user differences A - B as a histogram (bins of width 0.1 centred on multiples of
 * 0.1, over [-1, 1]: every per-user metric here lies in [0, 1]).
 */
export function differenceHistogram(c: RowComparison): HistogramFigure {
  const edges = Array.from({ length: 22 }, (_, k) => Number((-1.05 + 0.1 * k).toFixed(2)));
  return {
    kind: "histogram",
    title: `${c.a} - ${c.b}: per-user ${columnName(c.column)} (${c.users} users)`,
    xLabel: `${c.a} - ${c.b}`,
    yLabel: "users",
    bins: edges,
    series: [{ name: `${c.a} - ${c.b}`, values: c.diffs }],
  };
}

// ---------------------------------------------------------------------------------------
// Sampled vs full ranking

/** How the sampled and the full-ranking protocol order the rows on one metric. */
export interface ProtocolAgreement {
  /** Metric key, e.g. "HR@10". */
  metric: string;
  rows: { row: string; sampled: number; full: number; rankSampled: number; rankFull: number }[];
  /** Kendall's tau-b between the two orders (NaN with fewer than two rows). */
  tau: number;
  /** Row pairs the two protocols order oppositely. */
  discordant: [string, string][];
  /** Pairs compared (n (n - 1) / 2). */
  pairs: number;
  /** Sampled negatives per test item, when the table knows it. */
  negatives: number | null;
}

/** Ranks 1 = highest; ties share the best rank. */
function ranksDescending(values: readonly number[]): number[] {
  return values.map((v) => 1 + values.filter((w) => w > v).length);
}

/**
 * Kendall's tau-b of two paired lists: (concordant - discordant) /
 * sqrt((n0 - ties in x) (n0 - ties in y)), n0 = n (n - 1) / 2. NaN when undefined.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  let conc = 0, disc = 0, tx = 0, ty = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0) tx++;
      if (dy === 0) ty++;
      if (dx !== 0 && dy !== 0) dx === dy ? conc++ : disc++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denom = Math.sqrt((n0 - tx) * (n0 - ty));
  return denom > 0 ? (conc - disc) / denom : NaN;
}

/**
 * Whether the sampled and the full-ranking protocol put the rows of `table` in the same
 * order on `metric` (e.g. "HR@10"): ranks under each, Kendall's tau-b, and the pairs they
 * order oppositely. Null when the table lacks either column.
 */
export function protocolAgreement(table: ResultsTable, metric = "HR@10"): ProtocolAgreement | null {
  const cs = table.columns.findIndex((c) => c.key === `sampled:${metric}`);
  const cf = table.columns.findIndex((c) => c.key === `full:${metric}`);
  if (cs < 0 || cf < 0) return null;
  const kept = table.rows.filter((r) => r.cells[cs] && r.cells[cf]);
  const sampled = kept.map((r) => r.cells[cs]!.mean);
  const full = kept.map((r) => r.cells[cf]!.mean);
  const rs = ranksDescending(sampled);
  const rf = ranksDescending(full);
  const discordant: [string, string][] = [];
  for (let i = 0; i < kept.length; i++) {
    for (let j = i + 1; j < kept.length; j++) {
      if (Math.sign(sampled[i] - sampled[j]) * Math.sign(full[i] - full[j]) < 0) {
        discordant.push([kept[i].row, kept[j].row]);
      }
    }
  }
  return {
    metric,
    rows: kept.map((r, i) => ({
      row: r.row,
      sampled: sampled[i],
      full: full[i],
      rankSampled: rs[i],
      rankFull: rf[i],
    })),
    tau: kendallTauB(sampled, full),
    discordant,
    pairs: (kept.length * (kept.length - 1)) / 2,
    negatives: table.negatives,
  };
}

/** Sentences about a {@link ProtocolAgreement}: the leaders and how far the orders agree. */
export function describeProtocolAgreement(a: ProtocolAgreement): string {
  if (a.rows.length < 2) return `Only ${a.rows.length} row has both protocols; nothing to compare.`;
  const leaders = (key: "rankSampled" | "rankFull") =>
    a.rows.filter((r) => r[key] === 1).map((r) => `**${r.row}**`).join(" and ");
  const sameLeader = leaders("rankSampled") === leaders("rankFull");
  const lines = [
    `Best ${a.metric} among ${a.negatives ?? "the"} sampled negatives: ` +
    `${leaders("rankSampled")}; with full ranking: ` +
    `${leaders("rankFull")}${sameLeader ? " (the same)" : ""}.`,
    `Kendall's τ between the two orders of ${a.rows.length} models is ${a.tau.toFixed(2)}: ` +
    `${a.discordant.length} of ${a.pairs} pairs swap places` +
    (a.discordant.length
      ? ` (${a.discordant.slice(0, 6).map(([x, y]) => `${x} / ${y}`).join(", ")}` +
        `${a.discordant.length > 6 ? ", ..." : ""})`
      : "") +
    ".",
  ];
  const moved = a.rows.map((r) => ({ row: r.row, shift: r.rankSampled - r.rankFull }))
    .filter((m) => m.shift !== 0).sort((x, y) => Math.abs(y.shift) - Math.abs(x.shift));
  if (moved.length) {
    const m = moved[0];
    lines.push(
      `The largest move: **${m.row}** ranks ${m.shift > 0 ? "higher" : "lower"} under full ` +
        `ranking by ${Math.abs(m.shift)} place${Math.abs(m.shift) > 1 ? "s" : ""}.`,
    );
  }
  return lines.join("  \n");
}

// ---------------------------------------------------------------------------------------
// Training time

/** Training cost of one row, over its seeds. */
export interface TrainingTime {
  row: string;
  runs: number;
  /** Epochs trained per run (0 for closed-form models). */
  epochs: Stats;
  /** Best epoch (kept weights) per run; n = 0 for closed-form models. */
  bestEpoch: Stats;
  /** Mean wall seconds per epoch per run (sampling included, validation excluded). */
  secondsPerEpoch: Stats;
  /** Training samples per second per run (samples / seconds over its epochs). */
  samplesPerSecond: Stats;
  /** Samples per epoch (positives + negatives) of the first run. */
  samplesPerEpoch: number;
  /** Whole fit seconds per run (validation and any pretraining included). */
  fitSeconds: Stats;
  /** NeuMF pretraining seconds per run (GMF + MLP), when recorded. */
  pretrainSeconds: Stats;
  /** Executor of the neural kernels as recorded (e.g. "fused wasm SIMD (2 threads)"). */
  executor: string;
}

/** Training time per row from the runs' histories and metrics (results files only). */
export function trainingTimes(results: ExperimentResults): TrainingTime[] {
  return results.rows.map((row) => {
    const runs = runsOfRow(results, row);
    const withEpochs = runs.filter((r) => r.history.length > 0);
    const perEpoch = withEpochs.map((r) =>
      r.history.reduce((s, h) => s + h.seconds, 0) / r.history.length
    );
    const rate = withEpochs.map((r) => {
      const secs = r.history.reduce((s, h) => s + h.seconds, 0);
      return secs > 0 ? r.history.reduce((s, h) => s + h.samples, 0) / secs : NaN;
    }).filter(Number.isFinite);
    const info = (r: RunResult, k: string) => r.metrics.info?.[k];
    const pre = runs.map((r) => info(r, "pretrainSeconds")).filter((v): v is number =>
      typeof v === "number"
    );
    const executors = [...new Set(runs.map((r) => info(r, "executor")).filter(Boolean))];
    return {
      row,
      runs: runs.length,
      epochs: meanStd(runs.map((r) => r.history.length)),
      bestEpoch: meanStd(
        runs.map((r) => r.metrics.bestEpoch).filter((v): v is number => typeof v === "number"),
      ),
      secondsPerEpoch: meanStd(perEpoch),
      samplesPerSecond: meanStd(rate),
      samplesPerEpoch: withEpochs[0]?.history[0]?.samples ?? 0,
      fitSeconds: meanStd(runs.map((r) => r.metrics.timings.fitSeconds)),
      pretrainSeconds: meanStd(pre),
      executor: executors.join(", "),
    };
  });
}

function statText(s: Stats, digits: number): string {
  if (s.n === 0) return "";
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

/** Table rows of {@link trainingTimes}. */
export function trainingTimeRows(times: readonly TrainingTime[]): Record<string, unknown>[] {
  return times.map((t) => ({
    model: t.row,
    runs: t.runs,
    epochs: t.epochs.mean > 0 ? statText(t.epochs, 1) : "closed form",
    "best epoch": statText(t.bestEpoch, 1),
    "s / epoch": statText(t.secondsPerEpoch, 2),
    "samples / epoch": t.samplesPerEpoch || "",
    "samples / s": t.samplesPerSecond.n ? Math.round(t.samplesPerSecond.mean) : "",
    "fit s": statText(t.fitSeconds, 1),
    "pretrain s": statText(t.pretrainSeconds, 1),
    executor: t.executor,
  }));
}

/**
 * Seconds per epoch per row (rows with epochs), mean ± std over seeds; a logarithmic axis
 * when the slowest is more than 20 times the fastest.
 */
export function trainingTimeFigure(
  times: readonly TrainingTime[],
  title?: string,
): BarFigure | null {
  const kept = times.filter((t) => t.secondsPerEpoch.n > 0);
  if (kept.length === 0) return null;
  const means = kept.map((t) => t.secondsPerEpoch.mean);
  const spread = Math.max(...means) / Math.max(1e-9, Math.min(...means));
  return {
    kind: "bar",
    title: title ?? "Training time per epoch (mean ± std over seeds)",
    yLabel: "seconds per epoch",
    categories: kept.map((t) => t.row),
    series: [{
      name: "seconds per epoch",
      values: means,
      errors: kept.map((t) => t.secondsPerEpoch.std || 0),
    }],
    yLog: spread > 20,
    showLegend: false,
  };
}

/** Sentences about training time: fastest and slowest per epoch, pretraining's share. */
export function describeTrainingTimes(times: readonly TrainingTime[]): string {
  const kept = times.filter((t) => t.secondsPerEpoch.n > 0)
    .sort((a, b) => a.secondsPerEpoch.mean - b.secondsPerEpoch.mean);
  if (kept.length === 0) return "No run recorded per-epoch times.";
  const fast = kept[0], slow = kept[kept.length - 1];
  const lines = [
    `Fastest epoch: **${fast.row}** (${fast.secondsPerEpoch.mean.toFixed(2)} s); slowest: ` +
    `**${slow.row}** (${slow.secondsPerEpoch.mean.toFixed(2)} s), ` +
    `${(slow.secondsPerEpoch.mean / fast.secondsPerEpoch.mean).toFixed(1)} times as long.`,
  ];
  for (const t of times) {
    if (t.pretrainSeconds.n > 0 && t.fitSeconds.mean > 0) {
      lines.push(
        `**${t.row}** spends ${t.pretrainSeconds.mean.toFixed(1)} s of its ` +
          `${t.fitSeconds.mean.toFixed(1)} s fit pretraining GMF and MLP ` +
          `(${(100 * t.pretrainSeconds.mean / t.fitSeconds.mean).toFixed(0)} %).`,
      );
    }
  }
  const closed = times.filter((t) => t.secondsPerEpoch.n === 0 && t.runs > 0);
  if (closed.length) {
    lines.push(
      `Without epochs: ${
        closed.map((t) => `${t.row} (fit ${t.fitSeconds.mean.toFixed(1)} s)`).join(", ")
      }.`,
    );
  }
  return lines.join("  \n");
}

/** Machines the runs were recorded on (from environment.json): "2 cores, AMD EPYC, Deno 2.9.6". */
export async function runMachines(results: ExperimentResults): Promise<string[]> {
  const seen = new Set<string>();
  for (const r of results.runs) {
    const path = join(r.dir, "environment.json");
    if (!(await exists(path))) continue;
    const e = JSON.parse(await Deno.readTextFile(path)) as Record<string, unknown>;
    seen.add(`${e.cores} cores, ${e.cpu}, Deno ${e.deno}, ${e.os}/${e.arch}`);
  }
  return [...seen];
}

// ---------------------------------------------------------------------------------------
// Significance marks of a table

/** One tested cell of a results table. */
export interface SignificanceRow {
  row: string;
  column: string;
  mean: number;
  baselineMean: number;
  pairedUsers: number;
  p: number;
  pHolm: number;
  mark: TableCell["mark"];
}

/** Every tested cell of `table` (rows against its baseline), in table order. */
export function significanceRows(table: ResultsTable): SignificanceRow[] {
  const base = table.rows.find((r) => r.isBaseline);
  if (!base) return [];
  const out: SignificanceRow[] = [];
  for (const r of table.rows) {
    r.cells.forEach((cell, c) => {
      if (!cell || cell.p === null || cell.pHolm === null) return;
      out.push({
        row: r.row,
        column: table.columns[c].key,
        mean: cell.mean,
        baselineMean: base.cells[c]?.mean ?? NaN,
        pairedUsers: cell.pairedUsers,
        p: cell.p,
        pHolm: cell.pHolm,
        mark: cell.mark,
      });
    });
  }
  return out;
}

/** Table rows of {@link significanceRows}, with the mark as printed in the table. */
export function significanceTableRows(rows: readonly SignificanceRow[]): Record<string, unknown>[] {
  return rows.map((s) => ({
    model: s.row,
    metric: columnName(s.column),
    value: s.mean,
    baseline: s.baselineMean,
    difference: s.mean - s.baselineMean,
    users: s.pairedUsers,
    p: formatP(s.p),
    "p (Holm)": formatP(s.pHolm),
    mark: s.mark === "better" ? "*" : s.mark === "worse" ? "†" : "",
  }));
}

/** Holm's step for one tested cell: its place among the sorted p-values and the factor. */
export interface HolmStep {
  /** 1-based position of the cell's raw p among all the table's p-values, ascending. */
  rank: number;
  /** Comparisons in the family. */
  m: number;
  /** The factor m - rank + 1 its raw p is multiplied by. */
  factor: number;
  p: number;
  /** min(1, factor * p) before the running maximum. */
  scaled: number;
  /** The adjusted p: the running maximum of the scaled values up to this rank. */
  pHolm: number;
}

/**
 * Holm's step-down adjustment for one cell, spelled out; null when the cell was not
 * tested. Ties in p keep table order.
 */
export function holmStep(table: ResultsTable, row: string, column: string): HolmStep | null {
  const all = significanceRows(table);
  const k = all.findIndex((s) => s.row === row && s.column === column);
  if (k < 0) return null;
  const order = all.map((_, i) => i).sort((x, y) => all[x].p - all[y].p || x - y);
  const rank = order.indexOf(k) + 1;
  const m = all.length;
  const factor = m - rank + 1;
  return {
    rank,
    m,
    factor,
    p: all[k].p,
    scaled: Math.min(1, factor * all[k].p),
    pHolm: all[k].pHolm,
  };
}

/** How the marks of `table` came about, and which cells carry them (markdown). */
export function describeSignificance(table: ResultsTable): string {
  if (!table.baseline) return "This table has no baseline, so no significance tests.";
  const rows = significanceRows(table);
  const testName = table.test === "t" ? "a paired t-test" : "a Wilcoxon signed-rank test";
  const marked = (mark: "better" | "worse") => {
    const byRow = new Map<string, string[]>();
    for (const s of rows.filter((x) => x.mark === mark)) {
      byRow.set(s.row, [...(byRow.get(s.row) ?? []), columnName(s.column)]);
    }
    return [...byRow].map(([r, cols]) => `${r} (${cols.join(", ")})`);
  };
  const worse = marked("worse");
  const better = marked("better");
  const rawSig = rows.filter((s) => s.p < table.alpha).length;
  const holmSig = rows.filter((s) => s.pHolm < table.alpha).length;
  const lines = [
    `Every cell of every other row is tested against **${table.baseline}** with ${testName} ` +
    `over per-user values (each user's value averaged over the row's seeds, paired with the ` +
    `baseline's for the same user): ${rows.length} comparisons in all.`,
    `Holm's correction treats them as one family: the smallest p is multiplied by ` +
    `${rows.length}, the next by ${rows.length - 1}, and so on, each adjusted value at least the ` +
    `one before; a cell is marked when its adjusted p is below ${table.alpha}. ` +
    `${rawSig} comparisons have a raw p below ${table.alpha}, ${holmSig} remain after Holm.`,
    `**†** (significantly worse than ${table.baseline}): ${
      worse.length ? worse.join("; ") : "none"
    }.`,
    `**\\*** (significantly better): ${better.length ? better.join("; ") : "none"}.`,
  ];
  return lines.join("  \n");
}

/** The comparison of one table cell against the table's baseline, chosen for display. */
export interface CellChoice {
  row: string;
  baseline: string;
  column: string;
  /** Why this cell: "as asked" or what it fell back to. */
  note: string;
}

/**
 * The cell `want` (row vs the table's baseline on a column) when the table tested it;
 * otherwise the tested cell with the smallest adjusted p (a note says so). Null when the
 * table has no tests.
 */
export function chooseCell(
  table: ResultsTable,
  want: { row: string; column: string },
): CellChoice | null {
  const all = significanceRows(table);
  if (!table.baseline || all.length === 0) return null;
  const hit = all.find((s) => s.row === want.row && s.column === want.column);
  if (hit) return { row: hit.row, baseline: table.baseline, column: hit.column, note: "as asked" };
  const best = [...all].sort((a, b) => a.pHolm - b.pHolm)[0];
  return {
    row: best.row,
    baseline: table.baseline,
    column: best.column,
    note: `${want.row} on ${want.column} is not a tested cell of this table; showing the ` +
      `cell with the smallest adjusted p instead`,
  };
}

/**
 * The per-user paired test of one comparison, quantity by quantity: users, means,
 * how users split, the t-test, the Wilcoxon test, the bootstrap interval, and (with the
 * table's Holm step) the adjusted p.
 */
export function pairedTestDetails(
  c: RowComparison,
  step: HolmStep | null,
): { quantity: string; value: string; meaning: string }[] {
  const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
  const rows = [
    {
      quantity: "users paired",
      value: String(c.users),
      meaning: `users with a test item in both rows (values averaged over ${c.seedsA} and ` +
        `${c.seedsB} seeds)`,
    },
    { quantity: `mean ${c.a}`, value: f(c.meanA), meaning: "mean over the paired users" },
    { quantity: `mean ${c.b}`, value: f(c.meanB), meaning: "mean over the paired users" },
    {
      quantity: "mean difference",
      value: f(c.t.meanDiff),
      meaning: `${c.a} - ${c.b}; sd of the per-user differences ${f(c.t.sdDiff)}`,
    },
    {
      quantity: `users ${c.a} higher / lower / equal`,
      value: `${c.better} / ${c.worse} / ${c.tied}`,
      meaning: "equal users carry no information for the Wilcoxon test",
    },
    {
      quantity: "paired t",
      value: `t = ${f(c.t.t, 3)}, df = ${c.t.df}`,
      meaning: "mean difference / (sd / sqrt(users))",
    },
    { quantity: "p (t-test)", value: formatP(c.t.pValue), meaning: "two-sided" },
    {
      quantity: "Wilcoxon signed-rank",
      value: `W+ = ${f(c.wilcoxon.wPlus, 1)}, W- = ${f(c.wilcoxon.wMinus, 1)}, ` +
        `${c.wilcoxon.nRanked} ranked`,
      meaning: `${c.wilcoxon.zeros} zero differences dropped; ` +
        (Number.isFinite(c.wilcoxon.z)
          ? `normal approximation z = ${f(c.wilcoxon.z, 3)}`
          : "exact"),
    },
    { quantity: "p (Wilcoxon)", value: formatP(c.wilcoxon.pValue), meaning: "two-sided" },
    {
      quantity: `${Math.round(100 * c.ci.confidence)}% bootstrap CI`,
      value: `[${f(c.ci.lower)}, ${f(c.ci.upper)}]`,
      meaning: `of the mean difference, ${c.ci.resamples} resamples of users`,
    },
  ];
  if (step) {
    rows.push({
      quantity: "Holm",
      value: `rank ${step.rank} of ${step.m}: ${formatP(step.p)} x ${step.factor} = ` +
        `${formatP(step.scaled)} -> ${formatP(step.pHolm)}`,
      meaning: "raw p times (m - rank + 1), then the running maximum over smaller p-values",
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// Files

/** One generated file of an experiment folder. */
export interface ExperimentFile {
  /** Path relative to `relativeTo` (default: the workspace root). */
  path: string;
  bytes: number;
  kind: string;
}

/** Whether a table file on disk holds exactly what the table renders to now. */
export interface TableFileStatus {
  path: string;
  format: "markdown" | "csv" | "latex";
  exists: boolean;
  /** True when the file's text equals the fresh rendering. */
  matches: boolean;
}

/**
 * Compares `tables/<name>.{md,csv,tex}` of an experiment folder with the renderings of
 * `table` (built from the same results): are the files on disk what the results give now?
 */
export async function tableFileStatus(
  table: ResultsTable,
  experimentDir: string,
  name = "main",
  relativeTo = WORKSPACE_ROOT,
): Promise<TableFileStatus[]> {
  const out: TableFileStatus[] = [];
  const forms = [
    ["md", "markdown", renderMarkdown(table)],
    ["csv", "csv", renderCsv(table)],
    ["tex", "latex", renderLatex(table)],
  ] as const;
  for (const [ext, format, text] of forms) {
    const path = join(experimentDir, "tables", `${name}.${ext}`);
    const there = await exists(path);
    out.push({
      path: relative(resolve(relativeTo), resolve(path)),
      format,
      exists: there,
      matches: there && (await Deno.readTextFile(path)) === text,
    });
  }
  return out;
}

/** The generated tables and figures of an experiment folder (tables/, figures/), by name. */
export async function experimentFiles(
  results: ExperimentResults,
  relativeTo = WORKSPACE_ROOT,
): Promise<ExperimentFile[]> {
  const out: ExperimentFile[] = [];
  const kinds: Record<string, string> = {
    md: "markdown",
    csv: "CSV (full precision, p-values)",
    tex: "LaTeX (booktabs)",
    svg: "static figure",
    json: "Plotly figure",
  };
  for (const sub of ["tables", "figures"]) {
    const dir = join(results.dir, sub);
    if (!(await exists(dir))) continue;
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
    names.sort();
    for (const name of names) {
      const path = join(dir, name);
      const ext = name.split(".").pop() ?? "";
      out.push({
        path: relative(resolve(relativeTo), resolve(path)),
        bytes: (await Deno.stat(path)).size,
        kind: kinds[ext] ?? ext,
      });
    }
  }
  return out;
}
