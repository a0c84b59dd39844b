/**
 * One small figure specification for everything this workspace draws, and its Plotly form.
 *
 * A {@link FigureSpec} says *what* to draw (series, categories, a matrix) and the labels;
 * two renderers turn it into pixels: {@link toPlotly} gives a Plotly figure (data + layout)
 * for interactive charts in notebooks, and `renderSvg` (svg.ts) gives a static SVG with no
 * browser, for the README, papers and as the fallback inside notebook outputs. Both use the
 * same palette and the same binning, so the two views of one spec agree.
 *
 * Kinds:
 * - `line`: y against numeric x per series (HR@10 by epoch per model, loss curves), with
 *   optional error bars (mean +- std over seeds) and log axes.
 * - `bar`: grouped bars over categories with optional error bars (ablations, rating counts).
 * - `heatmap`: a matrix over two category axes (sweeps: learning rate x factors).
 * - `scatter`: points per group (a 2-D map of item vectors coloured by genre).
 * - `histogram`: values binned into equal-width (or log-spaced) bins per series
 *   (popularity and activity distributions).
 *
 * @example
 * ```ts
 * const spec: FigureSpec = {
 *   kind: "line",
 *   title: "HR@10 by epoch",
 *   xLabel: "epoch",
 *   yLabel: "HR@10",
 *   series: [{ name: "NeuMF", x: [1, 2, 3], y: [0.52, 0.61, 0.64] }],
 * };
 * const { data, layout } = toPlotly(spec);
 * ```
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/**
 * Series colours, in order (Tableau 10 as used by Vega): distinct, readable on white and
 * mostly distinguishable with common colour-vision deficiencies.
 */
export const PALETTE: readonly string[] = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

/** Viridis colour stops (perceptually uniform; used for heatmaps by both renderers). */
export const VIRIDIS: readonly string[] = [
  "#440154",
  "#482878",
  "#3e4989",
  "#31688e",
  "#26828e",
  "#1f9e89",
  "#35b779",
  "#6ece58",
  "#b5de2b",
  "#fde725",
];

/** Fields shared by every figure kind. */
export interface FigureCommon {
  /** Title above the plot. */
  title?: string;
  /** Label under the x axis. */
  xLabel?: string;
  /** Label beside the y axis. */
  yLabel?: string;
  /** Width in CSS pixels (default 640). */
  width?: number;
  /** Height in CSS pixels (default 400). */
  height?: number;
  /** Show the legend; default: when there is more than one series. */
  showLegend?: boolean;
}

/** One line: `y[i]` at `x[i]`; NaN values leave a gap. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Half-height of an error bar per point (e.g. std over seeds); same length as `y`. */
  error?: ArrayLike<number>;
  /** CSS colour; default: the palette colour of the series' position. */
  color?: string;
  /** Dashed line (e.g. a baseline or a validation curve). */
  dash?: boolean;
  /** Draw a marker at each point (default: when the series has at most 30 points). */
  markers?: boolean;
}

/** Lines over a numeric x axis. */
export interface LineFigure extends FigureCommon {
  kind: "line";
  series: LineSeries[];
  /** Logarithmic x axis (non-positive x values are not drawn). */
  xLog?: boolean;
  /** x values are unix seconds: the axis shows calendar dates (UTC). */
  xTime?: boolean;
  /** Logarithmic y axis (non-positive y values are not drawn). */
  yLog?: boolean;
  /** Fixed y range [min, max]; default: fitted to the data. */
  yRange?: [number, number];
}

/** One group member of a grouped bar chart: one value per category. */
export interface BarSeries {
  name: string;
  /** One value per category, in the order of `BarFigure.categories`. */
  values: ArrayLike<number>;
  /** Half-height of an error bar per category (e.g. std over seeds). */
  errors?: ArrayLike<number>;
  color?: string;
}

/** Grouped bars over named categories. */
export interface BarFigure extends FigureCommon {
  kind: "bar";
  categories: string[];
  series: BarSeries[];
  /** Logarithmic value axis (non-positive values are not drawn). */
  yLog?: boolean;
  /** Fixed value range [min, max]; default: from 0 (or the data minimum if negative). */
  yRange?: [number, number];
}

/** A matrix over two category axes: `z[row][col]` is drawn at (x[col], y[row]). */
export interface HeatmapFigure extends FigureCommon {
  kind: "heatmap";
  /** Column labels (x axis). */
  x: (string | number)[];
  /** Row labels (y axis), bottom to top. */
  y: (string | number)[];
  /** `z[row][col]`; NaN marks a missing cell (e.g. a run that has not finished). */
  z: ArrayLike<number>[];
  /** Label of the colour bar (e.g. "HR@10"). */
  colorLabel?: string;
  /** Write each cell's value in the cell (default: when there are at most 150 cells). */
  annotate?: boolean;
  /** Decimals of the cell annotations (default 3). */
  digits?: number;
}

/** One group of points. */
export interface ScatterSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Hover text per point (e.g. item titles), interactive view only. */
  labels?: string[];
  color?: string;
}

/** Points coloured by group. */
export interface ScatterFigure extends FigureCommon {
  kind: "scatter";
  series: ScatterSeries[];
  xLog?: boolean;
  yLog?: boolean;
  /** Marker radius in pixels (default 3). */
  markerSize?: number;
  /** Marker opacity in [0, 1] (default 0.7). */
  opacity?: number;
}

/** One distribution: raw values, binned by the figure. */
export interface HistogramSeries {
  name: string;
  values: ArrayLike<number>;
  color?: string;
}

/** Binned distributions, overlaid when there are several series. */
export interface HistogramFigure extends FigureCommon {
  kind: "histogram";
  series: HistogramSeries[];
  /** Number of bins (default 30), or explicit increasing bin edges. */
  bins?: number | number[];
  /** Log-spaced bins and a logarithmic x axis (for long-tailed counts; values must be > 0). */
  xLog?: boolean;
  /** Logarithmic y axis. */
  yLog?: boolean;
  /** Show the fraction of values per bin instead of counts. */
  normalize?: boolean;
}

/** Any figure this workspace draws. */
export type FigureSpec = LineFigure | BarFigure | HeatmapFigure | ScatterFigure | HistogramFigure;

/** Default size of a figure in CSS pixels. */
export const DEFAULT_WIDTH = 640;
/** Default height of a figure in CSS pixels. */
export const DEFAULT_HEIGHT = 400;

/** Width and height of a figure in CSS pixels, with defaults applied. */
export function figureSize(spec: FigureSpec): { width: number; height: number } {
  return { width: spec.width ?? DEFAULT_WIDTH, height: spec.height ?? DEFAULT_HEIGHT };
}

/** The colour of series `i`: its own `color`, else the palette's, cycling. */
export function seriesColor(color: string | undefined, i: number): string {
  return color ?? PALETTE[i % PALETTE.length];
}

/** Number of series (heatmaps count as one). */
export function seriesCount(spec: FigureSpec): number {
  return spec.kind === "heatmap" ? 1 : spec.series.length;
}

/** Whether the legend is shown: `showLegend`, else when there is more than one series. */
export function legendShown(spec: FigureSpec): boolean {
  if (spec.kind === "heatmap") return false;
  return spec.showLegend ?? spec.series.length > 1;
}

/**
 * Checks a spec and throws a ConfigError naming the offending field (e.g.
 * `figure "HR@10": series[1] ("MLP"): x has 9 values, y has 10`).
 */
export function validateFigure(spec: FigureSpec): void {
  const where = `figure${spec.title ? ` ${JSON.stringify(spec.title)}` : ""}`;
  const fail = (msg: string): never => {
    throw new ConfigError(`${where}: ${msg}`);
  };
  const kinds = ["line", "bar", "heatmap", "scatter", "histogram"];
  if (!kinds.includes((spec as { kind: string }).kind)) {
    fail(`unknown kind ${JSON.stringify((spec as { kind: unknown }).kind)}; one of ${kinds}`);
  }
  for (const key of ["width", "height"] as const) {
    const v = spec[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 100)) {
      fail(`${key} must be >= 100, got ${v}`);
    }
  }
  const sname = (i: number, name: string) => `series[${i}] (${JSON.stringify(name)})`;
  switch (spec.kind) {
    case "line":
      if (spec.series.length === 0) fail("no series");
      spec.series.forEach((s, i) => {
        if (s.x.length !== s.y.length) {
          fail(`${sname(i, s.name)}: x has ${s.x.length} values, y has ${s.y.length}`);
        }
        if (s.error && s.error.length !== s.y.length) {
          fail(`${sname(i, s.name)}: error has ${s.error.length} values, y has ${s.y.length}`);
        }
      });
      break;
    case "scatter":
      if (spec.series.length === 0) fail("no series");
      spec.series.forEach((s, i) => {
        if (s.x.length !== s.y.length) {
          fail(`${sname(i, s.name)}: x has ${s.x.length} values, y has ${s.y.length}`);
        }
        if (s.labels && s.labels.length !== s.x.length) {
          fail(`${sname(i, s.name)}: labels has ${s.labels.length} values, x has ${s.x.length}`);
        }
      });
      break;
    case "bar":
      if (spec.series.length === 0) fail("no series");
      if (spec.categories.length === 0) fail("no categories");
      spec.series.forEach((s, i) => {
        if (s.values.length !== spec.categories.length) {
          fail(
            `${sname(i, s.name)}: values has ${s.values.length} entries, ` +
              `categories has ${spec.categories.length}`,
          );
        }
        if (s.errors && s.errors.length !== spec.categories.length) {
          fail(
            `${
              sname(i, s.name)
            }: errors has ${s.errors.length} entries, values has ${s.values.length}`,
          );
        }
      });
      break;
    case "heatmap":
      if (spec.x.length === 0 || spec.y.length === 0) fail("x and y need at least one label each");
      if (spec.z.length !== spec.y.length) {
        fail(`z has ${spec.z.length} rows, y has ${spec.y.length}`);
      }
      spec.z.forEach((row, r) => {
        if (row.length !== spec.x.length) {
          fail(`z[${r}] has ${row.length} values, x has ${spec.x.length}`);
        }
      });
      break;
    case "histogram": {
      if (spec.series.length === 0) fail("no series");
      const b = spec.bins;
      if (typeof b === "number" && !(Number.isInteger(b) && b >= 1)) {
        fail(`bins must be a positive integer, got ${b}`);
      }
      if (Array.isArray(b)) {
        if (b.length < 2) fail("bins needs at least 2 edges");
        for (let i = 1; i < b.length; i++) {
          if (!(b[i] > b[i - 1])) fail(`bins must increase: edge ${i} (${b[i]}) <= ${b[i - 1]}`);
        }
      }
      break;
    }
  }
}

/** Bin edges and per-series counts (or fractions) of a histogram figure. */
export interface HistogramBins {
  /** Increasing bin edges; bin k is `[edges[k], edges[k+1])`, the last bin closed. */
  edges: number[];
  /** `counts[series][bin]`: counts, or fractions when `normalize`. */
  counts: number[][];
}

/**
 * Bins a histogram figure's values. Equal-width bins span the finite values of all
 * series; with `xLog` they are equal in log10 and non-positive values are dropped.
 * Values outside explicit edges are not counted. Same bins for every series.
 */
export function histogramBins(spec: HistogramFigure): HistogramBins {
  let edges: number[];
  if (Array.isArray(spec.bins)) {
    edges = [...spec.bins];
  } else {
    const n = spec.bins ?? 30;
    let lo = Infinity, hi = -Infinity;
    for (const s of spec.series) {
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i];
        if (!Number.isFinite(v) || (spec.xLog && v <= 0)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (lo === Infinity) {
      lo = spec.xLog ? 1 : 0;
      hi = spec.xLog ? 10 : 1;
    }
    if (spec.xLog) {
      const a = Math.log10(lo), b = Math.log10(hi);
      const w = b > a ? (b - a) / n : 1 / n;
      edges = Array.from({ length: n + 1 }, (_, k) => 10 ** (a + k * w));
    } else {
      if (hi === lo) {
        lo -= 0.5;
        hi += 0.5;
      }
      const w = (hi - lo) / n;
      edges = Array.from({ length: n + 1 }, (_, k) => lo + k * w);
    }
    // Pin the outer edges to the data range: lo + n * w can round to just below hi.
    edges[0] = spec.xLog ? Math.min(edges[0], lo) : edges[0];
    edges[n] = Math.max(edges[n], hi);
  }
  const nb = edges.length - 1;
  const first = edges[0], last = edges[nb];
  const counts = spec.series.map((s) => {
    const c = new Array<number>(nb).fill(0);
    let total = 0;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v) || v < first || v > last) continue;
      // Binary search for the bin: edges[k] <= v < edges[k+1]; v == last goes to the last bin.
      let lo = 0, hi = nb;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (edges[mid] <= v) lo = mid;
        else hi = mid;
      }
      c[lo]++;
      total++;
    }
    if (spec.normalize && total > 0) { for (let k = 0; k < nb; k++) c[k] /= total; }
    return c;
  });
  return { edges, counts };
}

/** A Plotly figure: what `Plotly.newPlot(div, data, layout, config)` takes. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  config: Record<string, unknown>;
}

/**
 * Escapes text for Plotly, which reads titles, labels and names as a small subset of
 * HTML: `a<b` would otherwise be taken for a tag. Plotly turns the entities back into
 * characters when it draws.
 */
export function escapePlotlyText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Plain array from a typed or plain array, with NaN/Infinity as null (a gap in Plotly). */
function plain(a: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number.isFinite(a[i]) ? a[i] : null;
  return out;
}

/** Unix seconds as ISO 8601 strings (UTC), what Plotly's date axes read; NaN as null. */
function isoTimes(a: ArrayLike<number>): (string | null)[] {
  const out = new Array<string | null>(a.length);
  for (let i = 0; i < a.length; i++) {
    out[i] = Number.isFinite(a[i])
      ? new Date(a[i] * 1000).toISOString().replace(".000Z", "")
      : null;
  }
  return out;
}

function axis(label: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    ...(label ? { title: { text: escapePlotlyText(label) } } : {}),
    zeroline: false,
    automargin: true,
    ...extra,
  };
}

/**
 * The Plotly figure of a spec: traces per series, axis titles, log axes, the same palette
 * and size as the SVG. Labels are escaped ({@link escapePlotlyText}); typed arrays become
 * plain arrays and non-finite values become null.
 */
export function toPlotly(spec: FigureSpec): PlotlyFigure {
  validateFigure(spec);
  const { width, height } = figureSize(spec);
  const esc = escapePlotlyText;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    width,
    height,
    colorway: [...PALETTE],
    showlegend: legendShown(spec),
    // Room above the title for Plotly's mode bar, which sits at the top right.
    margin: { t: spec.title ? 64 : 30, r: 20, b: 50, l: 60 },
    font: { family: "Helvetica, Arial, sans-serif", size: 12 },
    plot_bgcolor: "#ffffff",
    paper_bgcolor: "#ffffff",
    ...(spec.title
      ? {
        title: {
          text: esc(spec.title),
          x: 0.5,
          xanchor: "center",
          y: 1 - 40 / height,
          yanchor: "middle",
        },
      }
      : {}),
  };
  const grid = { gridcolor: "#e5e5e5", linecolor: "#444444", showline: true, ticks: "outside" };
  switch (spec.kind) {
    case "line":
      spec.series.forEach((s, i) => {
        const color = seriesColor(s.color, i);
        const markers = s.markers ?? s.x.length <= 30;
        data.push({
          type: "scatter",
          mode: markers ? "lines+markers" : "lines",
          name: esc(s.name),
          x: spec.xTime ? isoTimes(s.x) : plain(s.x),
          y: plain(s.y),
          line: { color, width: 2, ...(s.dash ? { dash: "dash" } : {}) },
          marker: { color, size: 6 },
          ...(s.error ? { error_y: { type: "data", array: plain(s.error), visible: true } } : {}),
        });
      });
      layout.xaxis = axis(spec.xLabel, {
        ...grid,
        ...(spec.xLog ? { type: "log" } : spec.xTime ? { type: "date" } : {}),
      });
      layout.yaxis = axis(spec.yLabel, {
        ...grid,
        ...(spec.yLog ? { type: "log" } : {}),
        ...(spec.yRange ? { range: spec.yLog ? spec.yRange.map(Math.log10) : spec.yRange } : {}),
      });
      layout.hovermode = "x unified";
      break;
    case "bar":
      spec.series.forEach((s, i) => {
        data.push({
          type: "bar",
          name: esc(s.name),
          x: spec.categories.map(esc),
          y: plain(s.values),
          marker: { color: seriesColor(s.color, i) },
          ...(s.errors ? { error_y: { type: "data", array: plain(s.errors), visible: true } } : {}),
        });
      });
      layout.barmode = "group";
      layout.xaxis = axis(spec.xLabel, { type: "category", linecolor: "#444444", showline: true });
      layout.yaxis = axis(spec.yLabel, {
        ...grid,
        ...(spec.yLog ? { type: "log" } : {}),
        ...(spec.yRange ? { range: spec.yLog ? spec.yRange.map(Math.log10) : spec.yRange } : {}),
      });
      break;
    case "heatmap": {
      const annotate = spec.annotate ?? spec.x.length * spec.y.length <= 150;
      const digits = spec.digits ?? 3;
      const z = spec.z.map(plain);
      data.push({
        type: "heatmap",
        x: spec.x.map((v) => esc(String(v))),
        y: spec.y.map((v) => esc(String(v))),
        z,
        colorscale: VIRIDIS.map((c, k) => [k / (VIRIDIS.length - 1), c]),
        ...(spec.colorLabel ? { colorbar: { title: { text: esc(spec.colorLabel) } } } : {}),
        ...(annotate
          ? {
            text: z.map((row) => row.map((v) => (v === null ? "" : v.toFixed(digits)))),
            texttemplate: "%{text}",
            hovertemplate: "%{x}, %{y}: %{z}<extra></extra>",
          }
          : {}),
      });
      layout.xaxis = axis(spec.xLabel, { type: "category" });
      layout.yaxis = axis(spec.yLabel, { type: "category" });
      break;
    }
    case "scatter":
      spec.series.forEach((s, i) => {
        data.push({
          type: spec.series.reduce((n, t) => n + t.x.length, 0) > 2000 ? "scattergl" : "scatter",
          mode: "markers",
          name: esc(s.name),
          x: plain(s.x),
          y: plain(s.y),
          marker: {
            color: seriesColor(s.color, i),
            size: 2 * (spec.markerSize ?? 3),
            opacity: spec.opacity ?? 0.7,
          },
          ...(s.labels ? { text: s.labels.map(esc), hoverinfo: "text+name" } : {}),
        });
      });
      layout.xaxis = axis(spec.xLabel, { ...grid, ...(spec.xLog ? { type: "log" } : {}) });
      layout.yaxis = axis(spec.yLabel, { ...grid, ...(spec.yLog ? { type: "log" } : {}) });
      layout.hovermode = "closest";
      break;
    case "histogram": {
      const { edges, counts } = histogramBins(spec);
      const centres = edges.slice(0, -1).map((e, k) =>
        spec.xLog ? Math.sqrt(e * edges[k + 1]) : (e + edges[k + 1]) / 2
      );
      const widths = edges.slice(0, -1).map((e, k) => edges[k + 1] - e);
      spec.series.forEach((s, i) => {
        data.push({
          type: "bar",
          name: esc(s.name),
          x: centres,
          y: counts[i],
          width: widths,
          marker: {
            color: seriesColor(s.color, i),
            line: { color: "#ffffff", width: spec.series.length > 1 ? 0 : 0.5 },
          },
          opacity: spec.series.length > 1 ? 0.6 : 1,
          customdata: edges.slice(0, -1).map((e, k) => [e, edges[k + 1]]),
          hovertemplate:
            "[%{customdata[0]:.4g}, %{customdata[1]:.4g}): %{y}<extra>%{fullData.name}</extra>",
        });
      });
      layout.barmode = "overlay";
      layout.bargap = 0;
      layout.xaxis = axis(spec.xLabel, { ...grid, ...(spec.xLog ? { type: "log" } : {}) });
      layout.yaxis = axis(spec.yLabel ?? (spec.normalize ? "fraction" : "count"), {
        ...grid,
        ...(spec.yLog ? { type: "log" } : {}),
      });
      break;
    }
  }
  return {
    data,
    layout,
    config: {
      responsive: true,
      displaylogo: false,
      // The image export button works offline; the cloud editor link does not.
      showLink: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d"],
    },
  };
}
