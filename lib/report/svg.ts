/**
 * Static SVG rendering of a {@link FigureSpec}, with no browser: axes with "nice" ticks,
 * grid lines, axis labels, title, legend, error bars, log axes, a colour bar for heatmaps.
 * For the README and papers, and as the fallback image inside notebook outputs (it shows
 * where scripts do not run: untrusted notebooks, GitHub, e-mail).
 *
 * Marks carry a class so that tests and tools can count them: `line` (one path per line
 * series), `marker`, `errorbar`, `bar` (grouped bars and histogram bins with a non-zero
 * count), `cell` (heatmap cells), `point` (scatter points), `legend-item`.
 *
 * Text widths are estimated from typical Helvetica glyph widths (no font metrics without a
 * browser), so margins are generous rather than tight.
 *
 * @module
 */
import {
  figureSize,
  type FigureSpec,
  type HeatmapFigure,
  histogramBins,
  legendShown,
  seriesColor,
  validateFigure,
  VIRIDIS,
} from "./figure.ts";

const FONT = "Helvetica, Arial, sans-serif";
const TICK_FONT = 11;
const LABEL_FONT = 12;
const TITLE_FONT = 15;
const AXIS_COLOR = "#444444";
const GRID_COLOR = "#e5e5e5";
const MISSING_COLOR = "#d9d9d9";

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;")
    // Control characters other than tab/newline are not allowed in XML 1.0 at all.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/** Estimated width in pixels of `s` at font size `size` (Helvetica-like proportions). */
export function textWidth(s: string, size: number): number {
  let w = 0;
  for (const ch of s) {
    if ("il.,:;'|!jI ".includes(ch)) w += 0.28;
    else if ("ftr()[]-".includes(ch)) w += 0.36;
    else if ("mwMW@%".includes(ch)) w += 0.86;
    else if (ch >= "A" && ch <= "Z") w += 0.68;
    else if (ch >= "0" && ch <= "9") w += 0.56;
    else w += 0.55;
  }
  return w * size;
}

/** Rounds a coordinate to 0.01 px so that output is compact and deterministic. */
function r(v: number): string {
  const x = Math.round(v * 100) / 100;
  return Object.is(x, -0) ? "0" : String(x);
}

function truncate(s: string, maxChars: number): string {
  return s.length > maxChars ? s.slice(0, maxChars - 1) + "\u2026" : s;
}

/** Formats a tick value; `step` is the tick spacing and sets the decimals. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  const trim = (s: string) => s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  // Decimals so that the step is visible: 2.5M with a step of 0.5M, 20k with 5k.
  const dec = (unitLog: number) => Math.max(0, Math.ceil(unitLog - Math.log10(step) - 1e-9));
  if (a >= 1e6 && step >= 1e5) return trim((v / 1e6).toFixed(dec(6))) + "M";
  if (a >= 1e4 && step >= 1e3) return trim((v / 1e3).toFixed(dec(3))) + "k";
  if (a < 1e-4) return v.toExponential(1);
  const decimals = step >= 1 ? 0 : Math.min(8, Math.ceil(-Math.log10(step) - 1e-9));
  return v.toFixed(decimals);
}

/** A numeric axis: maps data values to pixels and lists its ticks. */
interface Scale {
  map(v: number): number;
  ticks: { v: number; label: string }[];
  log: boolean;
}

/** Nice tick step (1, 2 or 5 x 10^k) giving about `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/**
 * A linear or log domain for data in [lo, hi]: `extend` widens a linear domain to whole
 * tick steps (value axes); otherwise it stays at the data range (e.g. epochs 1..20).
 */
function domain(
  lo: number,
  hi: number,
  log: boolean,
  extend: boolean,
): Domain {
  if (log) {
    if (!(lo > 0)) lo = hi > 0 ? hi / 10 : 1;
    if (!(hi > 0)) hi = lo * 10;
    let a = Math.floor(Math.log10(lo) + 1e-9), b = Math.ceil(Math.log10(hi) - 1e-9);
    if (b === a) b = a + 1;
    const ticks: number[] = [];
    const decades = b - a;
    const mults = decades <= 2 ? [1, 2, 5] : [1];
    const every = Math.ceil(decades / 8);
    for (let e = a; e <= b; e++) {
      if ((e - a) % every !== 0) continue;
      for (const m of mults) {
        const v = m * 10 ** e;
        if (v <= 10 ** b * (1 + 1e-9)) ticks.push(v);
      }
    }
    if (!extend) {
      // Keep the data range, but never cut away the ticks that frame it.
      a = Math.log10(lo);
      b = Math.log10(hi);
      if (b - a < 1e-9) {
        a -= 0.5;
        b += 0.5;
      }
      return {
        lo: 10 ** a,
        hi: 10 ** b,
        ticks: ticks.filter((t) => t >= 10 ** a * (1 - 1e-9) && t <= 10 ** b * (1 + 1e-9)),
        step: 1,
      };
    }
    return { lo: 10 ** a, hi: 10 ** b, ticks, step: 1 };
  }
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep(hi - lo, 5);
  const tlo = Math.ceil(lo / step - 1e-9) * step, thi = Math.floor(hi / step + 1e-9) * step;
  if (extend) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
  }
  const ticks: number[] = [];
  for (let t = extend ? lo : tlo; t <= (extend ? hi : thi) + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return { lo, hi, ticks, step };
}

/** A domain with its tick values, tick step and (for time axes) ready-made tick labels. */
interface Domain {
  lo: number;
  hi: number;
  ticks: number[];
  step: number;
  labels?: string[];
}

/**
 * A time domain over unix seconds [lo, hi]: ticks on the first day of months (every 1, 2,
 * 3, 6, 12, ... months, about 4 to 8 ticks) or, for spans under three months, on days.
 */
export function timeDomain(lo: number, hi: number): Domain {
  if (!(hi > lo)) hi = lo + 86400;
  const month = (t: number) => {
    const d = new Date(t * 1000);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  };
  const iso = (t: number) => new Date(t * 1000).toISOString();
  const ticks: number[] = [], labels: string[] = [];
  const m0 = month(lo), m1 = month(hi);
  if (m1 - m0 >= 3) {
    const step = [1, 2, 3, 6, 12, 24, 60, 120].find((k) => (m1 - m0) / k <= 8) ?? 240;
    for (let k = Math.ceil(m0 / step) * step; k <= m1; k += step) {
      const t = Date.UTC(Math.floor(k / 12), k % 12, 1) / 1000;
      if (t < lo || t > hi) continue;
      ticks.push(t);
      labels.push(step >= 12 ? iso(t).slice(0, 4) : iso(t).slice(0, 7));
    }
    return { lo, hi, ticks, step, labels };
  }
  const days = (hi - lo) / 86400;
  const step = [1, 2, 7, 14].find((k) => days / k <= 8) ?? 28;
  for (let t = Math.ceil(lo / 86400 / step) * step * 86400; t <= hi; t += step * 86400) {
    ticks.push(t);
    labels.push(iso(t).slice(0, 10));
  }
  return { lo, hi, ticks, step, labels };
}

function scale(d: Domain, log: boolean, p0: number, p1: number): Scale {
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(d.lo), b = f(d.hi);
  const k = (p1 - p0) / (b - a);
  return {
    map: (v: number) => p0 + (f(v) - a) * k,
    ticks: d.ticks.map((v, i) => ({
      v,
      label: d.labels?.[i] ?? (log ? formatLogTick(v) : formatTick(v, d.step)),
    })),
    log,
  };
}

function formatLogTick(v: number): string {
  if (v >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (v >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (v >= 1e-3) return String(Number(v.toPrecision(3)));
  return v.toExponential(0);
}

/** Data extent of values (finite; positive only when `log`), or null when none. */
function extent(values: Iterable<number>, log: boolean): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? null : [lo, hi];
}

function* iter(a: ArrayLike<number>): Iterable<number> {
  for (let i = 0; i < a.length; i++) yield a[i];
}

function* withErrors(y: ArrayLike<number>, e: ArrayLike<number> | undefined): Iterable<number> {
  for (let i = 0; i < y.length; i++) {
    yield y[i];
    if (e && Number.isFinite(e[i])) {
      yield y[i] - e[i];
      yield y[i] + e[i];
    }
  }
}

/** Viridis colour at t in [0, 1], interpolated between the stops. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const u = x - i;
  const a = hexRgb(VIRIDIS[i]), b = hexRgb(VIRIDIS[i + 1]);
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * u));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

function hexRgb(hex: string): [number, number, number] {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((k) => parseInt(h.slice(k, k + 2), 16)) as [number, number, number];
}

/** Relative luminance in [0, 1] of a #rrggbb colour, to pick readable text on it. */
function luminance(hex: string): number {
  const [r, g, b] = hexRgb(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** A short hex id from the spec's content (FNV-1a over its JSON). */
export function contentId(spec: FigureSpec): string {
  const json = JSON.stringify(
    spec,
    (_k, v) => ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v,
  );
  let h = 0x811c9dc5;
  for (let i = 0; i < json.length; i++) {
    h ^= json.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Collects SVG elements. */
class Svg {
  parts: string[] = [];
  add(s: string): void {
    this.parts.push(s);
  }
  text(
    x: number,
    y: number,
    s: string,
    opts: {
      size?: number;
      anchor?: "start" | "middle" | "end";
      fill?: string;
      weight?: number;
      rotate?: number;
      baseline?: "middle" | "hanging" | "auto";
      cls?: string;
    } = {},
  ): void {
    const attrs = [
      `x="${r(x)}"`,
      `y="${r(y)}"`,
      `font-size="${opts.size ?? TICK_FONT}"`,
      opts.anchor && opts.anchor !== "start" ? `text-anchor="${opts.anchor}"` : "",
      opts.fill ? `fill="${opts.fill}"` : "",
      opts.weight ? `font-weight="${opts.weight}"` : "",
      opts.baseline && opts.baseline !== "auto" ? `dominant-baseline="${opts.baseline}"` : "",
      opts.rotate ? `transform="rotate(${opts.rotate} ${r(x)} ${r(y)})"` : "",
      opts.cls ? `class="${opts.cls}"` : "",
    ].filter(Boolean).join(" ");
    this.add(`<text ${attrs}>${escapeXml(s)}</text>`);
  }
}

interface Frame {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Legend entries drawn at the right of the plot area. */
function drawLegend(
  svg: Svg,
  entries: { name: string; color: string; kind: "line" | "box" | "dot"; dash?: boolean }[],
  x: number,
  y: number,
): void {
  svg.add(`<g class="legend">`);
  entries.forEach((e, i) => {
    const cy = y + i * 18;
    svg.add(`<g class="legend-item">`);
    if (e.kind === "line") {
      svg.add(
        `<line x1="${r(x)}" y1="${r(cy)}" x2="${r(x + 18)}" y2="${r(cy)}" stroke="${e.color}" ` +
          `stroke-width="2"${e.dash ? ` stroke-dasharray="5 3"` : ""}/>`,
      );
    } else if (e.kind === "box") {
      svg.add(`<rect x="${r(x + 3)}" y="${r(cy - 6)}" width="12" height="12" fill="${e.color}"/>`);
    } else {
      svg.add(`<circle cx="${r(x + 9)}" cy="${r(cy)}" r="4" fill="${e.color}"/>`);
    }
    svg.text(x + 24, cy, truncate(e.name, 32), { size: LABEL_FONT, baseline: "middle" });
    svg.add(`</g>`);
  });
  svg.add(`</g>`);
}

function legendWidth(names: string[]): number {
  return 24 + Math.max(0, ...names.map((n) => textWidth(truncate(n, 32), LABEL_FONT))) + 8;
}

/** Horizontal grid lines, y tick labels and the y axis line. */
function drawYAxis(svg: Svg, ys: Scale, f: Frame, width: number): void {
  for (const t of ys.ticks) {
    const y = ys.map(t.v);
    svg.add(
      `<line class="grid" x1="${r(f.left)}" y1="${r(y)}" x2="${r(width - f.right)}" y2="${r(y)}" ` +
        `stroke="${GRID_COLOR}"/>`,
    );
    svg.add(
      `<line x1="${r(f.left - 4)}" y1="${r(y)}" x2="${r(f.left)}" y2="${
        r(y)
      }" stroke="${AXIS_COLOR}"/>`,
    );
    svg.text(f.left - 7, y, t.label, { anchor: "end", baseline: "middle", cls: "tick" });
  }
}

/** Tick marks and labels of a numeric x axis. */
function drawXAxis(svg: Svg, xs: Scale, f: Frame, height: number): void {
  const y0 = height - f.bottom;
  for (const t of xs.ticks) {
    const x = xs.map(t.v);
    svg.add(
      `<line x1="${r(x)}" y1="${r(y0)}" x2="${r(x)}" y2="${r(y0 + 4)}" stroke="${AXIS_COLOR}"/>`,
    );
    svg.text(x, y0 + 7, t.label, { anchor: "middle", baseline: "hanging", cls: "tick" });
  }
}

function drawAxisLines(svg: Svg, f: Frame, width: number, height: number): void {
  const x0 = f.left, y0 = height - f.bottom;
  svg.add(
    `<path class="axis" d="M${r(x0)} ${r(f.top)}V${r(y0)}H${r(width - f.right)}" ` +
      `fill="none" stroke="${AXIS_COLOR}"/>`,
  );
}

function drawLabels(
  svg: Svg,
  spec: FigureSpec,
  f: Frame,
  width: number,
  height: number,
  xLabelY: number,
): void {
  const plotMidX = (f.left + width - f.right) / 2;
  const plotMidY = (f.top + height - f.bottom) / 2;
  if (spec.title) {
    svg.text(width / 2, 22, spec.title, {
      size: TITLE_FONT,
      anchor: "middle",
      weight: 600,
      cls: "title",
    });
  }
  if (spec.xLabel) {
    svg.text(plotMidX, xLabelY, spec.xLabel, {
      size: LABEL_FONT,
      anchor: "middle",
      cls: "axis-label",
    });
  }
  if (spec.yLabel) {
    svg.text(14, plotMidY, spec.yLabel, {
      size: LABEL_FONT,
      anchor: "middle",
      rotate: -90,
      baseline: "middle",
      cls: "axis-label",
    });
  }
}

function maxTickWidth(d: Domain, log: boolean): number {
  return Math.max(
    0,
    ...d.ticks.map((v, i) =>
      textWidth(d.labels?.[i] ?? (log ? formatLogTick(v) : formatTick(v, d.step)), TICK_FONT)
    ),
  );
}

/**
 * Renders a figure as a standalone SVG document (UTF-8 text, no external resources). Same
 * palette, bins and labels as `toPlotly`; throws a ConfigError for an invalid spec.
 */
export function renderSvg(spec: FigureSpec): string {
  validateFigure(spec);
  const { width, height } = figureSize(spec);
  const svg = new Svg();
  // Ids of clip paths and gradients: derived from the content, so output is deterministic
  // and two different figures inlined in one page do not share ids.
  const uid = contentId(spec);
  const titleText = spec.title ? `<title>${escapeXml(spec.title)}</title>` : "";
  svg.add(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img">${titleText}`,
  );
  svg.add(`<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`);
  switch (spec.kind) {
    case "heatmap":
      drawHeatmap(svg, spec, width, height, uid);
      break;
    case "bar":
      drawBars(svg, spec, width, height);
      break;
    default:
      drawNumeric(svg, spec, width, height, uid);
  }
  svg.add(`</svg>`);
  return svg.parts.join("\n") + "\n";
}

/** Line, scatter and histogram figures: numeric x and y axes. */
function drawNumeric(
  svg: Svg,
  spec: Extract<FigureSpec, { kind: "line" | "scatter" | "histogram" }>,
  width: number,
  height: number,
  uid: string,
): void {
  const xLog = spec.xLog ?? false, yLog = spec.yLog ?? false;
  let xd: Domain, yd: Domain;
  const hist = spec.kind === "histogram" ? histogramBins(spec) : null;
  if (spec.kind === "histogram") {
    const { edges, counts } = hist!;
    xd = domain(edges[0], edges[edges.length - 1], xLog, false);
    const ys = extent(counts.flat(), yLog) ?? [0, 1];
    yd = domain(yLog ? ys[0] : 0, ys[1], yLog, true);
  } else {
    const xe = extent(spec.series.flatMap((s) => [...iter(s.x)]), xLog) ?? [0, 1];
    const ye = extent(
      spec.series.flatMap((s) => [...withErrors(s.y, (s as { error?: ArrayLike<number> }).error)]),
      yLog,
    ) ?? [0, 1];
    xd = spec.kind === "line" && spec.xTime && !xLog
      ? timeDomain(xe[0], xe[1])
      : domain(xe[0], xe[1], xLog, spec.kind === "scatter");
    const yr = spec.kind === "line" && spec.yRange ? spec.yRange : ye;
    yd = domain(yr[0], yr[1], yLog, !(spec.kind === "line" && spec.yRange));
  }
  const legend = legendShown(spec);
  const names = spec.series.map((s) => s.name);
  const f: Frame = {
    top: spec.title ? 36 : 14,
    right: 16 + (legend ? legendWidth(names) : 0),
    bottom: 8 + TICK_FONT + 8 + (spec.xLabel ? 20 : 0),
    left: 10 + (spec.yLabel ? 20 : 0) + maxTickWidth(yd, yLog) + 8,
  };
  // The last x tick label is centred on the axis end: keep room for its right half.
  f.right = Math.max(f.right, maxTickWidth(xd, xLog) / 2 + 6);
  const xs = scale(xd, xLog, f.left, width - f.right);
  const ys = scale(yd, yLog, height - f.bottom, f.top);
  drawYAxis(svg, ys, f, width);
  drawXAxis(svg, xs, f, height);
  const clipId = `clip-${uid}`;
  svg.add(
    `<clipPath id="${clipId}"><rect x="${r(f.left)}" y="${r(f.top - 4)}" ` +
      `width="${r(width - f.right - f.left)}" height="${
        r(height - f.bottom - f.top + 4)
      }"/></clipPath>`,
  );
  svg.add(`<g clip-path="url(#${clipId})">`);
  const ok = (x: number, y: number) =>
    Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0) && (!yLog || y > 0);
  if (spec.kind === "line") {
    spec.series.forEach((s, i) => {
      const color = seriesColor(s.color, i);
      let d = "", pen = false;
      for (let k = 0; k < s.x.length; k++) {
        if (!ok(s.x[k], s.y[k])) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${r(xs.map(s.x[k]))} ${r(ys.map(s.y[k]))}`;
        pen = true;
      }
      if (s.error) {
        for (let k = 0; k < s.x.length; k++) {
          const e = s.error[k];
          if (!ok(s.x[k], s.y[k]) || !(e > 0)) continue;
          const x = xs.map(s.x[k]);
          const lo = ys.map(yLog ? Math.max(s.y[k] - e, yd.lo) : s.y[k] - e),
            hi = ys.map(s.y[k] + e);
          svg.add(
            `<path class="errorbar" d="M${r(x)} ${r(lo)}V${r(hi)}M${r(x - 3)} ${r(lo)}H${
              r(x + 3)
            }` +
              `M${r(x - 3)} ${r(hi)}H${r(x + 3)}" stroke="${color}" fill="none"/>`,
          );
        }
      }
      svg.add(
        `<path class="line" d="${d}" fill="none" stroke="${color}" stroke-width="2" ` +
          `stroke-linejoin="round"${s.dash ? ` stroke-dasharray="6 4"` : ""}/>`,
      );
      if (s.markers ?? s.x.length <= 30) {
        for (let k = 0; k < s.x.length; k++) {
          if (!ok(s.x[k], s.y[k])) continue;
          svg.add(
            `<circle class="marker" cx="${r(xs.map(s.x[k]))}" cy="${r(ys.map(s.y[k]))}" r="3" ` +
              `fill="${color}"/>`,
          );
        }
      }
    });
  } else if (spec.kind === "scatter") {
    const rad = spec.markerSize ?? 3, op = spec.opacity ?? 0.7;
    spec.series.forEach((s, i) => {
      const color = seriesColor(s.color, i);
      svg.add(`<g fill="${color}" fill-opacity="${op}">`);
      for (let k = 0; k < s.x.length; k++) {
        if (!ok(s.x[k], s.y[k])) continue;
        svg.add(
          `<circle class="point" cx="${r(xs.map(s.x[k]))}" cy="${r(ys.map(s.y[k]))}" r="${rad}"/>`,
        );
      }
      svg.add(`</g>`);
    });
  } else {
    const { edges, counts } = hist!;
    const overlay = spec.series.length > 1;
    spec.series.forEach((s, i) => {
      const color = seriesColor(s.color, i);
      svg.add(`<g fill="${color}"${overlay ? ` fill-opacity="0.6"` : ""}>`);
      counts[i].forEach((c, k) => {
        if (!(c > 0) || (yLog && c < yd.lo)) return;
        const x0 = xs.map(edges[k]), x1 = xs.map(edges[k + 1]);
        const y = ys.map(c), yb = height - f.bottom;
        svg.add(
          `<rect class="bar" x="${r(x0)}" y="${r(y)}" width="${r(Math.max(0.5, x1 - x0))}" ` +
            `height="${r(Math.max(0, yb - y))}"${
              overlay ? "" : ` stroke="#ffffff" stroke-width="0.5"`
            }/>`,
        );
      });
      svg.add(`</g>`);
    });
  }
  svg.add(`</g>`);
  drawAxisLines(svg, f, width, height);
  drawLabels(svg, spec, f, width, height, height - 10);
  if (legend) {
    drawLegend(
      svg,
      spec.series.map((s, i) => ({
        name: s.name,
        color: seriesColor(s.color, i),
        kind: spec.kind === "line" ? "line" : spec.kind === "scatter" ? "dot" : "box",
        dash: spec.kind === "line" ? (s as { dash?: boolean }).dash : false,
      })),
      width - f.right + 12,
      f.top + 8,
    );
  }
}

/** Category labels under a band axis, rotated when they do not fit their band. */
function categoryLayout(labels: string[], band: number): { rotate: boolean; height: number } {
  const widest = Math.max(0, ...labels.map((l) => textWidth(truncate(l, 24), TICK_FONT)));
  if (widest <= band * 0.95) return { rotate: false, height: TICK_FONT + 8 };
  return { rotate: true, height: widest * Math.sin(Math.PI / 4.5) + TICK_FONT + 6 };
}

function drawCategoryTicks(
  svg: Svg,
  labels: string[],
  centre: (i: number) => number,
  y0: number,
  rotate: boolean,
): void {
  labels.forEach((l, i) => {
    const x = centre(i);
    svg.add(
      `<line x1="${r(x)}" y1="${r(y0)}" x2="${r(x)}" y2="${r(y0 + 4)}" stroke="${AXIS_COLOR}"/>`,
    );
    if (rotate) {
      svg.text(x + 3, y0 + 10, truncate(l, 24), { anchor: "end", rotate: -40, cls: "tick" });
    } else {
      svg.text(x, y0 + 7, truncate(l, 24), { anchor: "middle", baseline: "hanging", cls: "tick" });
    }
  });
}

function drawBars(
  svg: Svg,
  spec: Extract<FigureSpec, { kind: "bar" }>,
  width: number,
  height: number,
): void {
  const yLog = spec.yLog ?? false;
  const ye = extent(spec.series.flatMap((s) => [...withErrors(s.values, s.errors)]), yLog) ??
    [0, 1];
  const yr = spec.yRange ?? (yLog ? ye : [Math.min(0, ye[0]), Math.max(0, ye[1])]);
  const yd = domain(yr[0], yr[1], yLog, !spec.yRange);
  const legend = legendShown(spec);
  const left = 10 + (spec.yLabel ? 20 : 0) + maxTickWidth(yd, yLog) + 8;
  const right = 16 + (legend ? legendWidth(spec.series.map((s) => s.name)) : 0);
  const n = spec.categories.length;
  const band = (width - left - right) / n;
  const cat = categoryLayout(spec.categories, band);
  const f: Frame = {
    top: spec.title ? 36 : 14,
    right,
    left,
    bottom: 8 + cat.height + (spec.xLabel ? 20 : 0),
  };
  const ys = scale(yd, yLog, height - f.bottom, f.top);
  drawYAxis(svg, ys, f, width);
  const y0 = height - f.bottom;
  drawCategoryTicks(svg, spec.categories, (i) => f.left + (i + 0.5) * band, y0, cat.rotate);
  const m = spec.series.length;
  const groupW = band * 0.8, barW = groupW / m;
  const base = ys.map(yLog ? yd.lo : Math.max(yd.lo, Math.min(0, yd.hi)));
  spec.series.forEach((s, j) => {
    const color = seriesColor(s.color, j);
    for (let i = 0; i < n; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v) || (yLog && v <= 0)) continue;
      const x = f.left + i * band + (band - groupW) / 2 + j * barW;
      const y = ys.map(v);
      svg.add(
        `<rect class="bar" x="${r(x + 0.5)}" y="${r(Math.min(y, base))}" width="${
          r(Math.max(0.5, barW - 1))
        }" ` +
          `height="${r(Math.abs(base - y))}" fill="${color}"/>`,
      );
      const e = s.errors?.[i];
      if (e !== undefined && e > 0) {
        const cx = x + barW / 2;
        const lo = ys.map(yLog ? Math.max(v - e, yd.lo) : v - e), hi = ys.map(v + e);
        const cap = Math.min(4, barW / 3);
        svg.add(
          `<path class="errorbar" d="M${r(cx)} ${r(lo)}V${r(hi)}M${r(cx - cap)} ${r(lo)}H${
            r(cx + cap)
          }` +
            `M${r(cx - cap)} ${r(hi)}H${r(cx + cap)}" stroke="#222222" fill="none"/>`,
        );
      }
    }
  });
  drawAxisLines(svg, f, width, height);
  drawLabels(svg, spec, f, width, height, height - 10);
  if (legend) {
    drawLegend(
      svg,
      spec.series.map((s, j) => ({ name: s.name, color: seriesColor(s.color, j), kind: "box" })),
      width - f.right + 12,
      f.top + 8,
    );
  }
}

function drawHeatmap(
  svg: Svg,
  spec: HeatmapFigure,
  width: number,
  height: number,
  uid: string,
): void {
  const xl = spec.x.map(String), yl = spec.y.map(String);
  const values = spec.z.flatMap((row) => [...iter(row)]);
  const ze = extent(values, false) ?? [0, 1];
  const zd = domain(ze[0], ze[1], false, false);
  const zlo = ze[0], zhi = ze[1] > ze[0] ? ze[1] : ze[0] + 1;
  const barTicks = zd.ticks.filter((t) => t >= zlo - 1e-12 && t <= zhi + 1e-12);
  const barLabelW = Math.max(
    0,
    ...barTicks.map((t) => textWidth(formatTick(t, zd.step), TICK_FONT)),
  );
  const right = 16 + 14 + 6 + barLabelW + (spec.colorLabel ? 22 : 0);
  const left = 10 + (spec.yLabel ? 20 : 0) +
    Math.max(0, ...yl.map((l) => textWidth(truncate(l, 24), TICK_FONT))) + 8;
  const bandX = (width - left - right) / xl.length;
  const cat = categoryLayout(xl, bandX);
  const f: Frame = {
    top: spec.title ? 36 : 14,
    right,
    left,
    bottom: 8 + cat.height + (spec.xLabel ? 20 : 0),
  };
  const bandY = (height - f.top - f.bottom) / yl.length;
  const annotate = spec.annotate ?? xl.length * yl.length <= 150;
  const digits = spec.digits ?? 3;
  const fontSize = Math.max(8, Math.min(TICK_FONT, bandY * 0.45, bandX / (digits + 3) / 0.56));
  for (let row = 0; row < yl.length; row++) {
    // Row 0 is at the bottom, as in Plotly.
    const y = height - f.bottom - (row + 1) * bandY;
    for (let col = 0; col < xl.length; col++) {
      const v = spec.z[row][col];
      const x = f.left + col * bandX;
      const fill = Number.isFinite(v) ? viridis((v - zlo) / (zhi - zlo)) : MISSING_COLOR;
      svg.add(
        `<rect class="cell${Number.isFinite(v) ? "" : " missing"}" x="${r(x)}" y="${r(y)}" ` +
          `width="${r(bandX)}" height="${
            r(bandY)
          }" fill="${fill}" stroke="#ffffff" stroke-width="1"/>`,
      );
      if (annotate && Number.isFinite(v)) {
        svg.text(x + bandX / 2, y + bandY / 2, v.toFixed(digits), {
          size: Math.round(fontSize * 10) / 10,
          anchor: "middle",
          baseline: "middle",
          fill: luminance(fill) < 0.25 ? "#ffffff" : "#111111",
          cls: "annotation",
        });
      }
    }
  }
  yl.forEach((l, row) => {
    const y = height - f.bottom - (row + 0.5) * bandY;
    svg.text(f.left - 7, y, truncate(l, 24), { anchor: "end", baseline: "middle", cls: "tick" });
  });
  drawCategoryTicks(svg, xl, (i) => f.left + (i + 0.5) * bandX, height - f.bottom, cat.rotate);
  // Colour bar: a vertical gradient from the lowest (bottom) to the highest value (top).
  const gid = `grad-${uid}`;
  const bx = width - f.right + 16, by0 = height - f.bottom, by1 = f.top;
  svg.add(`<defs><linearGradient id="${gid}" x1="0" y1="1" x2="0" y2="0">`);
  VIRIDIS.forEach((c, k) => {
    svg.add(`<stop offset="${r(k / (VIRIDIS.length - 1))}" stop-color="${c}"/>`);
  });
  svg.add(`</linearGradient></defs>`);
  svg.add(
    `<rect class="colorbar" x="${r(bx)}" y="${r(by1)}" width="14" height="${r(by0 - by1)}" ` +
      `fill="url(#${gid})"/>`,
  );
  for (const t of barTicks) {
    const y = by0 - ((t - zlo) / (zhi - zlo)) * (by0 - by1);
    svg.add(
      `<line x1="${r(bx + 14)}" y1="${r(y)}" x2="${r(bx + 18)}" y2="${
        r(y)
      }" stroke="${AXIS_COLOR}"/>`,
    );
    svg.text(bx + 21, y, formatTick(t, zd.step), { baseline: "middle", cls: "tick" });
  }
  if (spec.colorLabel) {
    svg.text(width - 12, (by0 + by1) / 2, spec.colorLabel, {
      size: LABEL_FONT,
      anchor: "middle",
      rotate: -90,
      baseline: "middle",
      cls: "axis-label",
    });
  }
  drawLabels(svg, spec, f, width, height, height - 10);
}
