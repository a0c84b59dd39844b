/**
 * Results tables generated from `results/` files only: one row per model (and sweep
 * point), one column per metric with sampled and full-ranking metrics side by side,
 * mean ± sample std over seeds, the best mean per column in bold, and significance marks
 * against a named baseline row (paired test over per-user values averaged over seeds,
 * Holm-corrected over every comparison in the table). Rendered as markdown and CSV here,
 * LaTeX in latex.ts.
 *
 * @module
 */
import { join } from "node:path";
import { holmAdjust, pairedTTest, wilcoxonSignedRank } from "../eval/mod.ts";
import type { PerUserTable } from "../results/mod.ts";
import { writeFileAtomic } from "../util/fs.ts";
import {
  aggregateRows,
  alignUsers,
  type ExperimentResults,
  loadExperimentResults,
  metricColumns,
  rowPerUser,
} from "./aggregate.ts";
import { renderLatex } from "./latex.ts";

/** How a table is built (defaults: the experiment's `table` section). */
export interface ResultsTableOptions {
  /** Row label (model label) tested against; null: no tests. */
  baseline?: string | null;
  /** Paired test: "t" (paired t-test) or "wilcoxon" (signed-rank). */
  test?: "t" | "wilcoxon";
  /** Significance level after Holm correction. */
  alpha?: number;
  /** Decimals shown. */
  precision?: number;
  /** Metric columns ("sampled:HR@10", ...); null: every metric in the runs. */
  columns?: string[] | null;
  /** Title line; default the experiment's description or name. */
  title?: string;
}

/** One column of a table. */
export interface TableColumn {
  /** Metric column key, e.g. "sampled:HR@10". */
  key: string;
  /** "sampled" or "full". */
  protocol: string;
  /** Metric key, e.g. "HR@10". */
  metric: string;
}

/** One cell: statistics over seeds and the comparison with the baseline. */
export interface TableCell {
  mean: number;
  /** Sample standard deviation over seeds (0 with one seed). */
  std: number;
  /** Seeds (runs) averaged. */
  n: number;
  /** Best mean of its column (at the shown precision). */
  bold: boolean;
  /** Raw p-value of the paired test against the baseline, or null. */
  p: number | null;
  /** Holm-adjusted p-value, or null. */
  pHolm: number | null;
  /** Users paired in the test. */
  pairedUsers: number;
  /** Significantly better / worse than the baseline after Holm, or "". */
  mark: "better" | "worse" | "";
}

/** One row of a table. */
export interface TableRow {
  row: string;
  label: string;
  /** Finished runs (seeds) in the row. */
  seeds: number;
  /** Planned runs of the row. */
  planned: number;
  isBaseline: boolean;
  /** Cells aligned with the table's columns; null when no run has the metric. */
  cells: (TableCell | null)[];
}

/** A built table, ready to render. */
export interface ResultsTable {
  experiment: string;
  title: string;
  columns: TableColumn[];
  rows: TableRow[];
  /** The baseline row used for tests, or null. */
  baseline: string | null;
  test: "t" | "wilcoxon";
  alpha: number;
  precision: number;
  /** Comparisons the Holm correction ran over. */
  comparisons: number;
  /** Sampled negatives per test item (for the column header), when known. */
  negatives: number | null;
  /** Footnotes: what the numbers and marks mean, what is missing. */
  notes: string[];
}

function column(key: string): TableColumn {
  const colon = key.indexOf(":");
  return { key, protocol: key.slice(0, colon), metric: key.slice(colon + 1) };
}

/**
 * Builds the results table of an experiment from its results (see
 * {@link loadExperimentResults}); options default to the manifest's `table` section.
 * @throws Error naming the baseline or column when they do not exist in the results.
 */
export async function buildResultsTable(
  results: ExperimentResults,
  options: ResultsTableOptions = {},
): Promise<ResultsTable> {
  const fromManifest = (results.manifest?.table ?? {}) as ResultsTableOptions;
  const opts: Required<Omit<ResultsTableOptions, "title">> & { title?: string } = {
    baseline: options.baseline !== undefined ? options.baseline : fromManifest.baseline ?? null,
    test: options.test ?? fromManifest.test ?? "t",
    alpha: options.alpha ?? fromManifest.alpha ?? 0.05,
    precision: options.precision ?? fromManifest.precision ?? 4,
    columns: options.columns !== undefined ? options.columns : fromManifest.columns ?? null,
    title: options.title,
  };
  const available = metricColumns(results.runs);
  const keys = opts.columns ?? available;
  for (const k of keys) {
    if (!available.includes(k)) {
      throw new Error(
        `table column "${k}" is in no finished run of ${results.name}; available: ` +
          (available.join(", ") || "(none)"),
      );
    }
  }
  const columns = keys.map(column);
  const stats = aggregateRows(results, keys);
  const notes: string[] = [];

  // Baseline row: the one row of the baseline label.
  let baselineRow: string | null = null;
  if (opts.baseline !== null) {
    const candidates = results.rows.filter((row) =>
      results.runs.some((r) => r.row === row && r.label === opts.baseline) || row === opts.baseline
    );
    if (candidates.length === 1) baselineRow = candidates[0];
    else if (candidates.length === 0) {
      notes.push(`Baseline ${opts.baseline} has no finished runs; no significance tests.`);
    } else {
      notes.push(
        `Baseline ${opts.baseline} has ${candidates.length} rows (a sweep); no significance tests.`,
      );
    }
  }

  const rows: TableRow[] = results.rows.map((row) => {
    const runs = results.runs.filter((r) => r.row === row);
    const planned = (results.manifest?.runs ?? results.runs).filter((r) => r.row === row).length;
    return {
      row,
      label: runs[0]?.label ?? row,
      seeds: runs.length,
      planned,
      isBaseline: row === baselineRow,
      cells: keys.map((k) => {
        const s = stats.get(row)!.get(k)!;
        if (s.n === 0) return null;
        return { ...s, bold: false, p: null, pHolm: null, pairedUsers: 0, mark: "" as const };
      }),
    };
  });

  // Best per column, compared at the shown precision so that displayed ties are all bold.
  const round = (v: number) => Number(v.toFixed(opts.precision));
  columns.forEach((_, c) => {
    const values = rows.map((r) => r.cells[c]).filter((x): x is TableCell => x !== null);
    if (values.length < 2) return;
    const best = Math.max(...values.map((x) => round(x.mean)));
    for (const x of values) x.bold = round(x.mean) === best;
  });

  // Paired tests against the baseline, Holm over all comparisons of the table.
  let comparisons = 0;
  if (baselineRow !== null) {
    const cache = new Map<string, PerUserTable | null>();
    const baseRuns = results.runs.filter((r) => r.row === baselineRow);
    const tests: { cell: TableCell; p: number; diff: number }[] = [];
    let missingPerUser = false;
    for (let c = 0; c < keys.length; c++) {
      const base = await rowPerUser(baseRuns, keys[c], cache);
      if (!base) {
        missingPerUser = true;
        continue;
      }
      for (const row of rows) {
        const cell = row.cells[c];
        if (row.isBaseline || cell === null) continue;
        const mine = await rowPerUser(
          results.runs.filter((r) => r.row === row.row),
          keys[c],
          cache,
        );
        if (!mine) {
          missingPerUser = true;
          continue;
        }
        const { a, b } = alignUsers(mine, base);
        if (a.length < 2) continue;
        let mean = 0;
        for (let u = 0; u < a.length; u++) mean += a[u] - b[u];
        const p = opts.test === "t" ? pairedTTest(a, b).pValue : wilcoxonSignedRank(a, b).pValue;
        cell.p = p;
        cell.pairedUsers = a.length;
        tests.push({ cell, p, diff: mean / a.length });
      }
    }
    comparisons = tests.length;
    const adjusted = holmAdjust(tests.map((t) => t.p));
    tests.forEach((t, i) => {
      t.cell.pHolm = adjusted[i];
      if (adjusted[i] < opts.alpha && t.diff !== 0) t.cell.mark = t.diff > 0 ? "better" : "worse";
    });
    if (missingPerUser) notes.push("Some runs have no per-user values; they were not tested.");
  }

  const seedsAll = new Set(rows.map((r) => r.seeds));
  notes.unshift(
    seedsAll.size === 1 && [...seedsAll][0] === 1
      ? "One run per row (one seed)."
      : "Mean ± sample standard deviation over seeds (n = seeds per row" +
        (rows.some((r) => r.planned === 1 && r.seeds === 1)
          ? "; n = 1: a model whose result does not depend on the seed runs once)."
          : ")."),
  );
  if (columns.length > 0) notes.push("Bold: best mean in its column.");
  if (baselineRow !== null) {
    const testName = opts.test === "t" ? "paired t-test" : "Wilcoxon signed-rank test";
    notes.push(
      `* / †: significantly better / worse than ${baselineRow} (${testName} over per-user ` +
        `values averaged over seeds, Holm-corrected over ${comparisons} comparisons, ` +
        `alpha = ${opts.alpha}).`,
    );
  }
  const incomplete = rows.filter((r) => r.seeds < r.planned);
  if (incomplete.length) {
    notes.push(
      `Incomplete: ${incomplete.map((r) => `${r.row} (${r.seeds}/${r.planned} runs)`).join(", ")}.`,
    );
  }
  const negatives =
    results.runs.map((r) => (r.config.eval as { negatives?: number } | undefined)?.negatives).find((
      n,
    ) => typeof n === "number") ?? null;
  const title = opts.title ?? (results.manifest?.description || results.name);
  return {
    experiment: results.name,
    title,
    columns,
    rows,
    baseline: baselineRow,
    test: opts.test,
    alpha: opts.alpha,
    precision: opts.precision,
    comparisons,
    negatives,
    notes,
  };
}

/** Which sweep point was chosen for one model label, and on what. */
export interface SweepChoice {
  label: string;
  /** The chosen row. */
  row: string;
  /** Mean over seeds of the validation metric of the chosen row. */
  value: number;
  /** Rows of the label that were compared. */
  candidates: number;
}

/**
 * Model selection on validation data only: for each model label with several rows (a
 * sweep), the row with the highest mean validation `metric` (sampled protocol, e.g.
 * "NDCG@10"); labels with one row keep it. Rows without validation values lose to any
 * row that has them; ties keep the first row in plan order.
 */
export function chooseSweepPoints(results: ExperimentResults, metric: string): SweepChoice[] {
  const byLabel = new Map<string, string[]>();
  for (const row of results.rows) {
    const label = results.runs.find((r) => r.row === row)?.label ??
      results.manifest?.runs.find((r) => r.row === row)?.label ?? row;
    if (!byLabel.has(label)) byLabel.set(label, []);
    byLabel.get(label)!.push(row);
  }
  const out: SweepChoice[] = [];
  for (const [label, rows] of byLabel) {
    let best: SweepChoice | null = null;
    for (const row of rows) {
      const values = results.runs.filter((r) => r.row === row)
        .map((r) => r.metrics.valid?.[metric])
        .filter((v): v is number => typeof v === "number");
      const value = values.length ? values.reduce((a, b) => a + b, 0) / values.length : -Infinity;
      if (best === null || value > best.value) {
        best = { label, row, value, candidates: rows.length };
      }
    }
    if (best) out.push(best);
  }
  return out;
}

/**
 * The table of a sweep after model selection: one row per model label, the sweep point
 * with the best validation metric (see {@link chooseSweepPoints}), its test metrics,
 * tests against the baseline's selected row. Null when no label has several rows.
 */
export async function buildSelectionTable(
  results: ExperimentResults,
  options: ResultsTableOptions & { select?: string } = {},
): Promise<{ table: ResultsTable; selections: SweepChoice[] } | null> {
  const metric = options.select ??
    ((results.manifest?.table as { select?: string } | undefined)?.select) ?? "NDCG@10";
  const selections = chooseSweepPoints(results, metric);
  if (!selections.some((s) => s.candidates > 1)) return null;
  const chosen = new Set(selections.map((s) => s.row));
  const baselineLabel = options.baseline !== undefined
    ? options.baseline
    : ((results.manifest?.table as { baseline?: string | null } | undefined)?.baseline ?? null);
  const filtered: ExperimentResults = {
    ...results,
    rows: results.rows.filter((r) => chosen.has(r)),
    runs: results.runs.filter((r) => chosen.has(r.row)),
    manifest: results.manifest
      ? { ...results.manifest, runs: results.manifest.runs.filter((r) => chosen.has(r.row)) }
      : null,
  };
  const table = await buildResultsTable(filtered, {
    ...options,
    baseline: baselineLabel,
    title: options.title ??
      `${
        results.manifest?.description || results.name
      }: sweep points chosen on validation ${metric}`,
  });
  table.notes.push(
    `Each model's sweep point was chosen by mean validation ${metric} (sampled protocol) over ` +
      `seeds; the test set played no part in the choice.`,
  );
  return { table, selections };
}

/** Header text of a column for markdown and CSV, e.g. "HR@10 (sampled)". */
export function columnHeader(c: TableColumn): string {
  return `${c.metric} (${c.protocol === "full" ? "full" : c.protocol})`;
}

function markText(cell: TableCell): string {
  return cell.mark === "better" ? "*" : cell.mark === "worse" ? "†" : "";
}

/** A cell as text: "0.6512 ± 0.0041" (no ± with one seed), marks appended. */
export function formatCell(cell: TableCell | null, precision: number): string {
  if (cell === null) return "–";
  const mean = cell.mean.toFixed(precision);
  const std = cell.n > 1 ? ` ± ${cell.std.toFixed(precision)}` : "";
  return `${mean}${std}${markText(cell)}`;
}

function escapeMarkdown(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\*/g, "\\*").replace(/_/g, "\\_");
}

/** The table as GitHub markdown, with its notes below. */
export function renderMarkdown(t: ResultsTable): string {
  const header = ["Model", "n", ...t.columns.map(columnHeader)];
  const lines = [
    `**${escapeMarkdown(t.title)}**`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? ":---" : "---:")).join("|")}|`,
  ];
  for (const r of t.rows) {
    const cells = r.cells.map((c) => {
      if (c === null) return "–";
      const text = formatCell(c, t.precision);
      const mean = c.mean.toFixed(t.precision);
      return c.bold ? text.replace(mean, `**${mean}**`) : text;
    });
    const name = escapeMarkdown(r.row) + (r.isBaseline ? " (baseline)" : "");
    const n = r.seeds < r.planned ? `${r.seeds}/${r.planned}` : String(r.seeds);
    lines.push(`| ${[name, n, ...cells].join(" | ")} |`);
  }
  lines.push("");
  // Two trailing spaces: a line break in markdown; a leading "*" must not start a list.
  for (const n of t.notes) lines.push(`${n.replace(/\*/g, "\\*")}  `);
  return lines.join("\n") + "\n";
}

function csvQuote(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The table as CSV at full precision: per column its mean, std, n, raw and Holm-adjusted
 * p-value and mark ("better", "worse" or empty).
 */
export function renderCsv(t: ResultsTable): string {
  const header = ["row", "label", "seeds", "baseline"];
  for (const c of t.columns) {
    for (const f of ["mean", "std", "n", "p", "p_holm", "mark"]) header.push(`${c.key}:${f}`);
  }
  const lines = [header.map(csvQuote).join(",")];
  for (const r of t.rows) {
    const fields = [r.row, r.label, String(r.seeds), r.isBaseline ? "1" : "0"];
    for (const c of r.cells) {
      if (c === null) fields.push("", "", "", "", "", "");
      else {
        fields.push(
          String(c.mean),
          String(c.std),
          String(c.n),
          c.p === null ? "" : String(c.p),
          c.pHolm === null ? "" : String(c.pHolm),
          c.mark,
        );
      }
    }
    lines.push(fields.map(csvQuote).join(","));
  }
  return lines.join("\n") + "\n";
}

/** Paths of the files written by {@link writeTables}. */
export interface WrittenTables {
  markdown: string;
  csv: string;
  latex: string;
  table: ResultsTable;
}

/** Writes one table as `<dir>/<name>.md`, `.csv` and `.tex`; returns the paths. */
export async function writeTableFiles(
  table: ResultsTable,
  dir: string,
  name: string,
): Promise<WrittenTables> {
  const out = {
    markdown: join(dir, `${name}.md`),
    csv: join(dir, `${name}.csv`),
    latex: join(dir, `${name}.tex`),
    table,
  };
  await writeFileAtomic(out.markdown, renderMarkdown(table));
  await writeFileAtomic(out.csv, renderCsv(table));
  await writeFileAtomic(out.latex, renderLatex(table));
  return out;
}

/**
 * Builds the main table of `results/<experiment>` and writes `tables/<name>.md`, `.csv`
 * and `.tex` atomically (name default "main").
 */
export async function writeTables(
  resultsRoot: string,
  experiment: string,
  options: ResultsTableOptions & { name?: string } = {},
): Promise<WrittenTables> {
  const results = await loadExperimentResults(resultsRoot, experiment);
  const table = await buildResultsTable(results, options);
  return writeTableFiles(table, join(results.dir, "tables"), options.name ?? "main");
}
