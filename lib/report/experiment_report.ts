/**
 * Everything generated for an experiment from its `results/` files only:
 *
 * - `tables/main.{md,csv,tex}`: every row (model x sweep point), mean ± std over seeds,
 *   sampled and full-ranking metrics, significance marks against the baseline;
 * - `tables/all_metrics.{md,csv,tex}`: every metric, when `table.columns` shows a subset;
 * - `tables/selected.{md,csv,tex}` (sweeps): one row per model, the sweep point chosen on
 *   validation;
 * - `figures/*.svg` + `*.plotly.json`: metric bars, validation metric by epoch, sweep
 *   heatmaps.
 *
 * @module
 */
import { join } from "node:path";
import { writeFigure } from "./display.ts";
import { loadExperimentResults, metricColumns } from "./aggregate.ts";
import { epochCurves, metricBars, sweepHeatmaps } from "./plots.ts";
import {
  buildResultsTable,
  buildSelectionTable,
  renderMarkdown,
  type ResultsTable,
  type ResultsTableOptions,
  writeTableFiles,
} from "./table.ts";

/** What {@link writeExperimentReport} wrote. */
export interface ExperimentReport {
  /** The main table as markdown (also in tables/main.md), plus the selection table if any. */
  markdown: string;
  /** Every file written. */
  files: string[];
  /** The main table. */
  table: ResultsTable;
}

/** Writes the tables and figures of `results/<experiment>`. */
export async function writeExperimentReport(
  resultsRoot: string,
  experiment: string,
  opts: ResultsTableOptions & { log?: (line: string) => void; figures?: boolean } = {},
): Promise<ExperimentReport> {
  const log = opts.log ?? (() => {});
  const results = await loadExperimentResults(resultsRoot, experiment);
  const tablesDir = join(results.dir, "tables");
  const main = await buildResultsTable(results, opts);
  const written = await writeTableFiles(main, tablesDir, "main");
  const files = [written.markdown, written.csv, written.latex];
  let markdown = renderMarkdown(main);
  // When the main table shows a subset of the metrics, the full set gets its own table.
  const every = metricColumns(results.runs);
  if (main.columns.length < every.length) {
    const all = await buildResultsTable(results, { ...opts, columns: every });
    const w = await writeTableFiles(all, tablesDir, "all_metrics");
    files.push(w.markdown, w.csv, w.latex);
  }
  const selected = await buildSelectionTable(results, opts);
  if (selected) {
    const w = await writeTableFiles(selected.table, tablesDir, "selected");
    files.push(w.markdown, w.csv, w.latex);
    markdown += "\n" + renderMarkdown(selected.table);
  }
  if (opts.figures !== false) {
    const figDir = join(results.dir, "figures");
    const figs: { name: string; spec: Parameters<typeof writeFigure>[0] }[] = [];
    const bars = metricBars(results, main.columns.map((c) => c.key));
    if (bars) figs.push({ name: "metrics", spec: bars });
    const curves = epochCurves(results, "HR@10");
    if (curves) figs.push({ name: "epochs", spec: curves });
    const select = (results.manifest?.table as { select?: string } | undefined)?.select ??
      "NDCG@10";
    const hasValid = results.runs.some((r) => r.metrics.valid?.[select] !== undefined);
    const column = hasValid ? `valid:${select}` : (main.columns[0]?.key ?? "sampled:HR@10");
    for (const h of sweepHeatmaps(results, column)) figs.push({ name: h.name, spec: h.figure });
    for (const f of figs) {
      const path = join(figDir, f.name);
      await writeFigure(f.spec, path);
      files.push(`${path}.svg`, `${path}.plotly.json`);
    }
  }
  log(`wrote ${files.length} files under ${results.dir}/ (tables/, figures/)`);
  return { markdown, files, table: main };
}
