/**
 * What the sweep notebook (notebooks/05_sweeps.ipynb) computes from a sweep's results
 * files, so that it only calls and shows:
 *
 * - {@link sweepSelections}: per swept model, the point chosen on validation (the same
 *   choice as `tables/selected.*`), its test metrics, and where it ranks on test;
 * - {@link sweepSliceHeatmaps}: a metric over each pair of swept keys with the other keys
 *   held at the chosen point, the chosen cell marked on both axes with ★;
 * - {@link sweepMainEffects}: each key's values averaged over the other keys;
 * - {@link describeSweep}: sentences computed from the above.
 *
 * @module
 */
import {
  type ExperimentResults,
  meanStd,
  metricValue,
  type RunResult,
  type Stats,
} from "./aggregate.ts";
import { kendallTauB } from "./experiment_views.ts";
import type { HeatmapFigure } from "./figure.ts";
import { chooseSweepPoints } from "./table.ts";

/** The mark on the axis labels of the chosen point. */
export const CHOSEN_MARK = "★";

/** One sweep point (row) of a model with its mean metrics over seeds. */
export interface SweepPointStats {
  row: string;
  point: Record<string, unknown>;
  /** Validation metric (the selection metric), mean over seeds. */
  valid: number;
  /** Test metric (`testColumn`), mean over seeds. */
  test: number;
  seeds: number;
}

/** The point chosen on validation for one swept model, and how it fares on test. */
export interface SweepSelection {
  label: string;
  /** Swept keys that vary for this model (config paths, e.g. "model.lr"). */
  keys: string[];
  /** The chosen row and its point. */
  row: string;
  point: Record<string, unknown>;
  /** Selection metric (sampled, on the validation items), e.g. "NDCG@10". */
  metric: string;
  /** Its mean validation value. */
  valid: number;
  /** Test column the choice is judged by, e.g. "sampled:HR@10". */
  testColumn: string;
  /** Test metrics of the chosen row (every metric column), mean ± std over seeds. */
  test: Record<string, Stats>;
  /** Every point of the model, best validation first. */
  points: SweepPointStats[];
  /** 1-based rank of the chosen point by the test column (1 = best on test). */
  testRank: number;
  /** The best point on test (what choosing on the test set would have picked). */
  bestOnTest: SweepPointStats;
  /** Kendall's tau-b between the validation and the test order of the points. */
  tau: number;
}

function valueText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The last part of a config path: "models.NeuMF.lr" -> "lr". */
export function shortKey(key: string): string {
  return key.split(".").pop()!;
}

/** "lr=0.005, factors=8" for a point. */
export function pointText(point: Record<string, unknown>): string {
  return Object.entries(point).map(([k, v]) => `${shortKey(k)}=${valueText(v)}`).join(", ");
}

function meanOf(runs: readonly RunResult[], column: string): number {
  const v = runs.map((r) => metricValue(r.metrics, column)).filter((x): x is number =>
    x !== undefined
  );
  return v.length ? meanStd(v).mean : NaN;
}

function varyingKeys(runs: readonly RunResult[]): string[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.point)))];
  return keys.filter((k) => new Set(runs.map((r) => valueText(r.point[k]))).size > 1);
}

/**
 * Per model label with several sweep points: the point with the best mean validation
 * `metric` (lib/report `chooseSweepPoints`, as tables/selected.*), its test metrics, and
 * its rank among the points on `testColumn`.
 */
export function sweepSelections(
  results: ExperimentResults,
  opts: { metric?: string; testColumn?: string } = {},
): SweepSelection[] {
  const metric = opts.metric ??
    ((results.manifest?.table as { select?: string } | undefined)?.select ?? "NDCG@10");
  const testColumn = opts.testColumn ?? "sampled:HR@10";
  const out: SweepSelection[] = [];
  for (const choice of chooseSweepPoints(results, metric)) {
    if (choice.candidates < 2) continue;
    const runs = results.runs.filter((r) => r.label === choice.label);
    const rows = results.rows.filter((row) => runs.some((r) => r.row === row));
    const points: SweepPointStats[] = rows.map((row) => {
      const rr = runs.filter((r) => r.row === row);
      return {
        row,
        point: rr[0].point,
        valid: meanOf(rr, `valid:${metric}`),
        test: meanOf(rr, testColumn),
        seeds: rr.length,
      };
    }).sort((a, b) => (b.valid - a.valid) || 0);
    const chosenRuns = runs.filter((r) => r.row === choice.row);
    const test: Record<string, Stats> = {};
    for (const protocol of ["sampled", "full"] as const) {
      for (const key of Object.keys(chosenRuns[0].metrics[protocol] ?? {})) {
        test[`${protocol}:${key}`] = meanStd(
          chosenRuns.map((r) => metricValue(r.metrics, `${protocol}:${key}`)!).filter(
            Number.isFinite,
          ),
        );
      }
    }
    const chosen = points.find((p) => p.row === choice.row)!;
    const byTest = [...points].sort((a, b) => b.test - a.test);
    out.push({
      label: choice.label,
      keys: varyingKeys(runs),
      row: choice.row,
      point: chosen.point,
      metric,
      valid: choice.value,
      testColumn,
      test,
      points,
      testRank: 1 + points.filter((p) => p.test > chosen.test).length,
      bestOnTest: byTest[0],
      tau: kendallTauB(points.map((p) => p.valid), points.map((p) => p.test)),
    });
  }
  return out;
}

/** A heatmap over two swept keys with the others held at the chosen point. */
export interface SweepHeatmap {
  /** File-safe name, e.g. "NeuMF_lr_x_factors". */
  name: string;
  /** The two keys (x, y). */
  keys: [string, string];
  /** Keys held fixed, at the chosen point's values. */
  fixed: Record<string, unknown>;
  figure: HeatmapFigure;
}

function sortedValues(runs: readonly RunResult[], key: string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const r of runs) seen.set(valueText(r.point[key]), r.point[key]);
  return [...seen.values()].sort((p, q) =>
    typeof p === "number" && typeof q === "number" ? p - q : valueText(p) < valueText(q) ? -1 : 1
  );
}

/**
 * For the model of `selection`: one heatmap of `column` (e.g. "valid:NDCG@10") per pair of
 * swept keys, each cell the mean over seeds with every other swept key held at the chosen
 * point's value (a slice through the chosen point, not an average over the other keys).
 * The chosen values carry {@link CHOSEN_MARK} on both axes, so the chosen cell is where
 * the marked row and column cross. Missing cells are NaN.
 */
export function sweepSliceHeatmaps(
  results: ExperimentResults,
  column: string,
  selection: SweepSelection,
): SweepHeatmap[] {
  const runs = results.runs.filter((r) => r.label === selection.label);
  const keys = selection.keys;
  const out: SweepHeatmap[] = [];
  const label = (key: string, v: unknown) =>
    valueText(v) === valueText(selection.point[key])
      ? `${valueText(v)} ${CHOSEN_MARK}`
      : valueText(v);
  for (let a = 0; a < keys.length; a++) {
    for (let b = a + 1; b < keys.length; b++) {
      const ka = keys[a], kb = keys[b];
      const fixed: Record<string, unknown> = {};
      for (const k of keys) if (k !== ka && k !== kb) fixed[k] = selection.point[k];
      const inSlice = runs.filter((r) =>
        Object.entries(fixed).every(([k, v]) => valueText(r.point[k]) === valueText(v))
      );
      const xs = sortedValues(runs, ka);
      const ys = sortedValues(runs, kb);
      const z = ys.map((yv) =>
        Float64Array.from(xs, (xv) =>
          meanOf(
            inSlice.filter((r) =>
              valueText(r.point[ka]) === valueText(xv) && valueText(r.point[kb]) === valueText(yv)
            ),
            column,
          ))
      );
      const fixedText = Object.keys(fixed).length ? ` at ${pointText(fixed)}` : "";
      out.push({
        name: `${selection.label}_${shortKey(ka)}_x_${shortKey(kb)}`.replace(
          /[^A-Za-z0-9._=+-]/g,
          "_",
        ),
        keys: [ka, kb],
        fixed,
        figure: {
          kind: "heatmap",
          title: `${selection.label}: ${column.replace(":", " ")}, ${shortKey(ka)} x ` +
            `${shortKey(kb)}${fixedText} (${CHOSEN_MARK} chosen on validation)`,
          xLabel: shortKey(ka),
          yLabel: shortKey(kb),
          x: xs.map((v) => label(ka, v)),
          y: ys.map((v) => label(kb, v)),
          z,
          colorLabel: column.replace(":", " "),
        },
      });
    }
  }
  return out;
}

/** The mean of a metric for one value of one swept key, over the other keys' points. */
export interface MainEffect {
  /** Metric column averaged, e.g. "valid:NDCG@10". */
  column: string;
  key: string;
  value: unknown;
  /** Mean over the points with this value (each point's seeds averaged first). */
  mean: number;
  /** Lowest and highest point with this value. */
  min: number;
  max: number;
  points: number;
}

/**
 * Each swept key's values, `column` averaged over the model's points that have the value
 * (every point weighs the same, whatever its seeds).
 */
export function sweepMainEffects(
  results: ExperimentResults,
  column: string,
  label: string,
): MainEffect[] {
  const runs = results.runs.filter((r) => r.label === label);
  const rows = [...new Set(runs.map((r) => r.row))];
  const pointMeans = rows.map((row) => {
    const rr = runs.filter((r) => r.row === row);
    return { point: rr[0].point, value: meanOf(rr, column) };
  }).filter((p) => Number.isFinite(p.value));
  const out: MainEffect[] = [];
  for (const key of varyingKeys(runs)) {
    for (const v of sortedValues(runs, key)) {
      const vals = pointMeans.filter((p) => valueText(p.point[key]) === valueText(v)).map((p) =>
        p.value
      );
      if (vals.length === 0) continue;
      out.push({
        column,
        key,
        value: v,
        mean: meanStd(vals).mean,
        min: Math.min(...vals),
        max: Math.max(...vals),
        points: vals.length,
      });
    }
  }
  return out;
}

/** Table rows of {@link sweepMainEffects}. */
export function mainEffectRows(effects: readonly MainEffect[]): Record<string, unknown>[] {
  return effects.map((e) => ({
    key: shortKey(e.key),
    value: valueText(e.value),
    mean: e.mean,
    "lowest point": e.min,
    "highest point": e.max,
    points: e.points,
  }));
}

/** Table rows of a selection's points, best validation first, the chosen one marked. */
export function sweepPointRows(selection: SweepSelection): Record<string, unknown>[] {
  return selection.points.map((p, i) => ({
    "": p.row === selection.row ? CHOSEN_MARK : "",
    point: pointText(p.point),
    [`valid ${selection.metric}`]: p.valid,
    "valid rank": i + 1,
    [`test ${selection.testColumn.replace(":", " ")}`]: p.test,
    "test rank": 1 + selection.points.filter((q) => q.test > p.test).length,
    seeds: p.seeds,
  }));
}

/** Sentences about a sweep: the choice, how it fares on test, which key matters most. */
export function describeSweep(selection: SweepSelection, effects: readonly MainEffect[]): string {
  const n = selection.points.length;
  const testName = selection.testColumn.replace(":", " ");
  const chosen = selection.points.find((p) => p.row === selection.row)!;
  const lines = [
    `Chosen on validation ${selection.metric} (sampled, the validation items; the test set ` +
    `plays no part): **${pointText(selection.point)}** (${selection.valid.toFixed(4)}), ` +
    `out of ${n} points.`,
  ];
  if (selection.bestOnTest.row === selection.row) {
    lines.push(
      `It is also the best of the ${n} points on test ${testName} (${chosen.test.toFixed(4)}).`,
    );
  } else {
    lines.push(
      `On test ${testName} it ranks ${selection.testRank} of ${n} (${chosen.test.toFixed(4)}); ` +
        `the best point on test, ${pointText(selection.bestOnTest.point)}, reaches ` +
        `${selection.bestOnTest.test.toFixed(4)}: picking by test would report ` +
        `${(selection.bestOnTest.test - chosen.test).toFixed(4)} more than an honest choice.`,
    );
  }
  if (Number.isFinite(selection.tau)) {
    lines.push(
      `Kendall's τ between the validation and the test order of the points: ` +
        `${selection.tau.toFixed(2)}.`,
    );
  }
  const byKey = new Map<string, MainEffect[]>();
  for (const e of effects) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  const ranges = [...byKey].map(([key, es]) => {
    const best = es.reduce((x, y) => (y.mean > x.mean ? y : x));
    const worst = es.reduce((x, y) => (y.mean < x.mean ? y : x));
    return { key, best, range: best.mean - worst.mean };
  }).sort((a, b) => b.range - a.range);
  if (ranges.length) {
    const what = effects[0].column.replace(":", " ");
    lines.push(
      `Averaged over the other keys, ${what}: ${
        ranges.map((r) =>
          `**${shortKey(r.key)}** moves it by ${r.range.toFixed(4)} ` +
          `(best ${valueText(r.best.value)})`
        ).join(", ")
      }: ${shortKey(ranges[0].key)} matters most in this grid.`,
    );
  }
  return lines.join("  \n");
}
