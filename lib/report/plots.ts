/**
 * Figure specs built from an experiment's results files (drawn by the figure module:
 * Plotly JSON for notebooks, static SVG for the README and papers):
 *
 * - {@link epochCurves}: a validation metric (or the training loss) by epoch, one line per
 *   row, mean over seeds with std error bars;
 * - {@link metricBars}: every row's test metrics as grouped bars with std error bars (an
 *   ablation at a glance);
 * - {@link sweepHeatmaps}: for each model swept over two or more keys, a metric over each
 *   pair of keys (mean over seeds and over the other keys).
 *
 * @module
 */
import type { BarFigure, HeatmapFigure, LineFigure } from "./figure.ts";
import {
  aggregateRows,
  type ExperimentResults,
  meanStd,
  metricColumns,
  metricValue,
} from "./aggregate.ts";

/**
 * A metric by epoch per row: the validation `metric` recorded in each epoch's history
 * (mean ± std over seeds), or the training loss when no epoch has validation values.
 * Null when no run has a history.
 */
export function epochCurves(results: ExperimentResults, metric = "HR@10"): LineFigure | null {
  const hasValid = results.runs.some((r) => r.history.some((h) => h.valid?.[metric] !== undefined));
  const series = [];
  for (const row of results.rows) {
    const runs = results.runs.filter((r) => r.row === row && r.history.length > 0);
    if (runs.length === 0) continue;
    const maxEpoch = Math.max(...runs.flatMap((r) => r.history.map((h) => h.epoch)));
    const x: number[] = [];
    const y: number[] = [];
    const err: number[] = [];
    for (let e = 1; e <= maxEpoch; e++) {
      const values = runs.map((r) => {
        const h = r.history.find((h) => h.epoch === e);
        return hasValid ? h?.valid?.[metric] : h?.loss;
      }).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      if (values.length === 0) continue;
      const s = meanStd(values);
      x.push(e);
      y.push(s.mean);
      err.push(s.std);
    }
    if (x.length > 0) series.push({ name: row, x, y, error: runs.length > 1 ? err : undefined });
  }
  if (series.length === 0) return null;
  const what = hasValid ? `validation ${metric}` : "training loss";
  return {
    kind: "line",
    title: `${results.name}: ${what} by epoch`,
    xLabel: "epoch",
    yLabel: what,
    series,
  };
}

/** Every row's test metrics (`columns`, default all) as grouped bars with std error bars. */
export function metricBars(results: ExperimentResults, columns?: string[]): BarFigure | null {
  const keys = columns ?? metricColumns(results.runs);
  if (keys.length === 0 || results.runs.length === 0) return null;
  const rows = results.rows.filter((row) => results.runs.some((r) => r.row === row));
  const stats = aggregateRows({ ...results, rows }, keys);
  return {
    kind: "bar",
    title: `${results.name}: test metrics (mean ± std over seeds)`,
    yLabel: "value",
    categories: rows,
    series: keys.map((k) => ({
      name: k.replace(":", " "),
      values: rows.map((row) => stats.get(row)!.get(k)!.mean),
      errors: rows.map((row) => stats.get(row)!.get(k)!.std || 0),
    })),
  };
}

function valueText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * For each model label whose runs vary over two or more sweep keys: one heatmap per pair
 * of keys of `column` (e.g. "valid:NDCG@10" or "sampled:HR@10"), each cell the mean over
 * seeds and over the other keys' values. Missing cells are NaN.
 */
export function sweepHeatmaps(
  results: ExperimentResults,
  column: string,
): { name: string; figure: HeatmapFigure }[] {
  const out: { name: string; figure: HeatmapFigure }[] = [];
  const labels = [...new Set(results.runs.map((r) => r.label))];
  for (const label of labels) {
    const runs = results.runs.filter((r) => r.label === label);
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.point)))];
    const varying = keys.filter((k) => new Set(runs.map((r) => valueText(r.point[k]))).size > 1);
    for (let a = 0; a < varying.length; a++) {
      for (let b = a + 1; b < varying.length; b++) {
        const ka = varying[a];
        const kb = varying[b];
        const sortVals = (k: string) =>
          [...new Set(runs.map((r) => r.point[k]))].sort((p, q) =>
            typeof p === "number" && typeof q === "number"
              ? p - q
              : valueText(p) < valueText(q)
              ? -1
              : 1
          );
        const xs = sortVals(ka);
        const ys = sortVals(kb);
        const z = ys.map((yv) =>
          Float64Array.from(xs, (xv) => {
            const values = runs.filter((r) =>
              valueText(r.point[ka]) === valueText(xv) && valueText(r.point[kb]) === valueText(yv)
            ).map((r) => metricValue(r.metrics, column)).filter((v): v is number =>
              v !== undefined
            );
            return values.length ? meanStd(values).mean : NaN;
          })
        );
        const short = (k: string) => k.split(".").pop()!;
        out.push({
          name: `sweep_${label}_${short(ka)}_x_${short(kb)}`.replace(/[^A-Za-z0-9._=+-]/g, "_"),
          figure: {
            kind: "heatmap",
            title: `${label}: ${column.replace(":", " ")}` +
              (varying.length > 2 ? " (mean over the other swept keys)" : ""),
            xLabel: short(ka),
            yLabel: short(kb),
            x: xs.map(valueText),
            y: ys.map(valueText),
            z,
            colorLabel: column.replace(":", " "),
          },
        });
      }
    }
  }
  return out;
}
