/**
 * Showing figures and tables in Jupyter notebooks on the Deno kernel, so that they render
 * in the classic Notebook, JupyterLab, VS Code and the nbconvert HTML export, offline.
 *
 * A figure's MIME bundle carries:
 * - `text/html`: the static SVG as an `<img>` with a data URI (it survives the HTML
 *   sanitizer of untrusted notebooks, which strips `<svg>` and `<script>`), plus a small
 *   script that replaces it with an interactive Plotly chart once `window.Plotly` exists.
 *   The first figure shown in a kernel session also carries plotly.js itself (the
 *   npm package `plotly.js-dist-min`, about 4.5 MB), so every later figure on the page
 *   reuses it: once per page, never per output, and no network.
 * - `image/svg+xml`: the same SVG, for frontends and exporters that do not render HTML
 *   (nbconvert to PDF/LaTeX, some viewers).
 * - `application/vnd.plotly.v1+json`: for frontends with a Plotly renderer (VS Code's
 *   built-in renderers, JupyterLab with the plotly extension), which prefer it.
 * - `text/plain`: a one-line description.
 *
 * Use `await showFigure(spec)` rather than leaving a figure as a cell's last expression:
 * the Deno 2.9 kernel sometimes publishes a cell's `execute_result` after its idle status,
 * and frontends then drop it, while an awaited display is always delivered in order.
 *
 * @module
 */
import { ConfigError, writeFileAtomic, writeJsonAtomic } from "../util/mod.ts";
import { figureSize, type FigureSpec, toPlotly } from "./figure.ts";
import { escapeXml, renderSvg } from "./svg.ts";

/** MIME type of Plotly figures understood by Plotly-aware frontends. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** Version of the bundled plotly.js (deno.json pins the npm package). */
export const PLOTLY_VERSION = "2.35.2";

/** A Jupyter MIME bundle: MIME type -> content. */
export type MimeBundle = Record<string, unknown>;

/** An object the Deno kernel displays by calling its `Symbol.for("Jupyter.display")` method. */
export interface Displayable {
  [key: symbol]: () => Promise<MimeBundle>;
}

const DISPLAY = Symbol.for("Jupyter.display");

type JupyterApi = {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
  display?(
    obj: unknown,
    opts?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
};

/**
 * Publishes a display and waits until the kernel has most likely sent it. Deno 2.9's
 * kernel resolves `broadcast()` when the message is queued, and may publish the cell's
 * idle status before a large message is on the wire; frontends then drop the output
 * (measured here: a 4.5 MB message was late in 8 of 20 runs, with a 50 ms wait in none).
 * The wait grows with the size: 10 ms plus 30 ms per MB.
 */
async function publish(j: JupyterApi, data: MimeBundle): Promise<void> {
  let chars = 0;
  for (const v of Object.values(data)) chars += typeof v === "string" ? v.length : 0;
  await j.broadcast("display_data", { data, metadata: {}, transient: {} });
  await new Promise((r) => setTimeout(r, 10 + (30 * chars) / 1e6));
}

function jupyter(): JupyterApi | undefined {
  try {
    const j = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return j?.broadcast ? j : undefined;
  } catch {
    // Deno 2.x: the Deno.jupyter getter throws outside `deno jupyter`.
    return undefined;
  }
}

/** True when running inside a Jupyter kernel (Deno's `Deno.jupyter` is present). */
export function inJupyter(): boolean {
  return jupyter() !== undefined;
}

// ---------------------------------------------------------------------------------------
// Notebook mode

/** How much work a notebook does: `full` (the real configuration) or `small` (CI, smoke). */
export type NotebookMode = "small" | "full";

/** Environment variable that selects the notebook mode (`small` or `full`, default full). */
export const NOTEBOOK_MODE_ENV = "DSER_NOTEBOOK_MODE";

/**
 * The notebook mode from `DSER_NOTEBOOK_MODE` (`small` or `full`; unset means `full`).
 * The notebook test sets `small`, so every notebook picks its small configuration from
 * this one setting. Any other value is a ConfigError naming the variable.
 */
export function notebookMode(): NotebookMode {
  const v = (Deno.env.get(NOTEBOOK_MODE_ENV) ?? "").trim().toLowerCase();
  if (v === "" || v === "full") return "full";
  if (v === "small") return "small";
  throw new ConfigError(
    `${NOTEBOOK_MODE_ENV}=${
      JSON.stringify(Deno.env.get(NOTEBOOK_MODE_ENV))
    }: expected "small" or "full"`,
  );
}

/** True in small mode (CI). */
export function isSmallMode(): boolean {
  return notebookMode() === "small";
}

/**
 * Picks the configuration for the current mode.
 *
 * @example
 * ```ts
 * const cfg = byMode({ full: { dataset: "ml-1m", epochs: 20 }, small: { dataset: "ml-100k", epochs: 2 } });
 * ```
 */
export function byMode<T>(choices: { small: T; full: T }): T {
  return choices[notebookMode()];
}

// ---------------------------------------------------------------------------------------
// Figures

let plotlySource: Promise<string> | undefined;

/** The source of the bundled plotly.js (read once from the npm package, then cached). */
export function plotlyJsSource(): Promise<string> {
  plotlySource ??= import("plotly.js-dist-min/plotly.min.js", { with: { type: "text" } })
    .then((m) => m.default as string)
    .catch((err) => {
      plotlySource = undefined;
      throw new Error(
        `could not read plotly.js from npm:plotly.js-dist-min@${PLOTLY_VERSION} ` +
          `(run 'deno cache lib/report/mod.ts' once with network): ${(err as Error).message}`,
      );
    });
  return plotlySource;
}

/**
 * A `<script>` defining `window.Plotly` from the given plotly.js source, unless a Plotly is
 * already on the page. `define`/`module`/`exports` are shadowed so that the UMD bundle
 * sets the global even where require.js is loaded (classic Notebook, nbconvert's
 * templates), instead of registering an anonymous AMD module.
 */
export function plotlyLoaderHtml(source: string): string {
  // A literal "</script" would end the element early; "<\/script" means the same in JS.
  const safe = source.replace(/<\/script/gi, "<\\/script");
  return `<script type="text/javascript" class="dser-plotly-loader">` +
    `if (!window.Plotly) { (function (define, module, exports) {\n${safe}\n}).call(window); }` +
    `</script>`;
}

let plotlyOnPage = false;

/**
 * Forgets that plotly.js was sent, so that the next figure carries it again (after the
 * outputs holding it were cleared). Figures still show their static SVG without it.
 */
export function resendPlotly(): void {
  plotlyOnPage = false;
}

function base64Utf8(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** JSON safe to embed in a `<script>` element (no `</script>`, no `<!--`). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

let figureCounter = 0;

/** Options of {@link figureHtml} and {@link figureBundle}. */
export interface FigureHtmlOptions {
  /** DOM id of the figure's container (default: unique per call). */
  id?: string;
  /** Prepend the plotly.js loader (source text) to this output. */
  plotlySource?: string;
}

/**
 * HTML for one figure: a container holding the static SVG as an `<img>`, and a script that
 * waits (up to 20 s) for `window.Plotly` and the container to be on the page, then draws
 * the interactive chart and hides the image. The container's `data-rendered` attribute
 * ends as `plotly`, or `static` when Plotly failed.
 */
export function figureHtml(spec: FigureSpec, opts: FigureHtmlOptions = {}): string {
  const svg = renderSvg(spec);
  const fig = toPlotly(spec);
  const { width, height } = figureSize(spec);
  const id = opts.id ??
    `dser-fig-${Date.now().toString(36)}-${(figureCounter++).toString(36)}-` +
      Math.floor(Math.random() * 1e9).toString(36);
  const alt = escapeXml(spec.title ?? `${spec.kind} chart`);
  const script = `(function () {
  var id = ${JSON.stringify(id)}, fig = ${scriptJson(fig)}, tries = 0;
  function attempt() {
    var root = document.getElementById(id), P = window.Plotly;
    if (!root || !P) { if (++tries < 400) setTimeout(attempt, 50); return; }
    if (root.getAttribute("data-rendered")) return;
    root.setAttribute("data-rendered", "pending");
    var div = document.createElement("div");
    div.className = "dser-plotly";
    root.appendChild(div);
    P.newPlot(div, fig.data, fig.layout, fig.config).then(function () {
      var img = root.querySelector("img.dser-figure-static");
      if (img) img.style.display = "none";
      root.setAttribute("data-rendered", "plotly");
    }, function (err) {
      root.removeChild(div);
      root.setAttribute("data-rendered", "static");
      if (window.console) console.error("dser figure " + id + ": " + err);
    });
  }
  attempt();
})();`;
  return (opts.plotlySource ? plotlyLoaderHtml(opts.plotlySource) + "\n" : "") +
    `<div class="dser-figure" id="${id}" style="max-width:100%;min-height:${height}px">` +
    `<img class="dser-figure-static" alt="${alt}" width="${width}" height="${height}" ` +
    `style="max-width:100%;height:auto" src="data:image/svg+xml;base64,${base64Utf8(svg)}">` +
    `<script type="text/javascript">${script}</script></div>`;
}

/** A one-line description of a figure for `text/plain`. */
export function describeFigure(spec: FigureSpec): string {
  const what = spec.kind === "heatmap"
    ? `${spec.y.length}x${spec.x.length} heatmap`
    : `${spec.kind} chart, ${spec.series.length} series`;
  return `[figure: ${spec.title ?? "untitled"} (${what})]`;
}

/**
 * The MIME bundle of a figure (see the module doc). `opts.plotlySource` prepends the
 * plotly.js loader to the HTML; {@link showFigure} does that for the first figure only.
 */
export function figureBundle(spec: FigureSpec, opts: FigureHtmlOptions = {}): MimeBundle {
  return {
    "text/plain": describeFigure(spec),
    "text/html": figureHtml(spec, opts),
    "image/svg+xml": renderSvg(spec),
    [PLOTLY_MIME]: toPlotly(spec),
  };
}

/** The bundle for the next figure on the page: the first one carries plotly.js. */
async function nextFigureBundle(spec: FigureSpec): Promise<MimeBundle> {
  const source = plotlyOnPage ? undefined : await plotlyJsSource();
  const bundle = figureBundle(spec, { plotlySource: source });
  plotlyOnPage = true;
  return bundle;
}

/**
 * A displayable figure: the Deno kernel shows it when it is a cell's last expression, and
 * `await Deno.jupyter.display(figure(spec))` shows it anywhere. Prefer {@link showFigure}.
 */
export function figure(spec: FigureSpec): Displayable {
  return { [DISPLAY]: () => nextFigureBundle(spec) };
}

/**
 * Shows a figure in the notebook (a `display_data` output, delivered before the cell
 * finishes). Outside Jupyter it prints the one-line description.
 */
export async function showFigure(spec: FigureSpec): Promise<void> {
  const j = jupyter();
  if (!j) {
    console.log(describeFigure(spec));
    return;
  }
  await publish(j, await nextFigureBundle(spec));
}

/**
 * Writes a figure as `<path>.svg` (static, for the README and papers) and
 * `<path>.plotly.json` (data + layout + config), atomically. `path` has no extension.
 */
export async function writeFigure(spec: FigureSpec, path: string): Promise<void> {
  await writeFileAtomic(`${path}.svg`, renderSvg(spec));
  await writeJsonAtomic(`${path}.plotly.json`, toPlotly(spec));
}

// ---------------------------------------------------------------------------------------
// Tables and text

/** A table as rows of named cells, or markdown text (a pipe table with optional text). */
export type TableInput = string | Record<string, unknown>[];

/** Options of {@link showTable}. */
export interface TableOptions {
  /** Caption shown above the table. */
  caption?: string;
  /** Decimals for non-integer numbers in rows (default 4). */
  digits?: number;
  /** Column order (default: the keys of the rows, in first-seen order). */
  columns?: string[];
}

function formatCell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  }
  if (Array.isArray(v)) return v.map((x) => formatCell(x, digits)).join(", ");
  return String(v);
}

/** Markdown pipe table from rows; `|` in cells is escaped. */
export function rowsToMarkdown(rows: Record<string, unknown>[], opts: TableOptions = {}): string {
  const digits = opts.digits ?? 4;
  const cols = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
  const numeric = cols.map((c) =>
    rows.every((r) => r[c] === undefined || typeof r[c] === "number")
  );
  const lines = [
    `| ${cols.map(esc).join(" | ")} |`,
    `| ${cols.map((_, k) => (numeric[k] ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map((c) => esc(formatCell(r[c], digits))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** Inline markdown to HTML: escapes, then `**bold**`, `*italic*`, `` `code` ``. */
function inlineMarkdown(s: string): string {
  // Backslash-escaped punctuation (`\_`, `\*`, `\|`, ...) stands for the literal character:
  // park it in a private-use code point so emphasis rules skip it, then put it back.
  const parked = s.replace(
    /\\([\\`*_{}[\]()#+\-.!|~<>])/g,
    (_, c: string) => String.fromCharCode(0xe000 + c.charCodeAt(0)),
  );
  return escapeHtml(parked)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<i>$2</i>")
    .replace(/[\ue000-\ue07f]/g, (c) => escapeHtml(String.fromCharCode(c.charCodeAt(0) - 0xe000)));
}

/** Splits a pipe-table row into cells, honouring `\|` escapes. */
function splitRow(line: string): string[] {
  const t = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  const cells: string[] = [];
  let cur = "";
  for (let i = 0; i < t.length; i++) {
    if (t[i] === "\\" && t[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (t[i] === "|") {
      cells.push(cur.trim());
      cur = "";
    } else cur += t[i];
  }
  cells.push(cur.trim());
  return cells;
}

/**
 * HTML for markdown made of pipe tables and plain lines (what the table generators write):
 * tables become `<table>` with alignment from the separator row; other non-empty lines
 * become paragraphs. Inline `**bold**`, `*italic*` and `` `code` `` are kept.
 */
export function markdownToHtml(md: string): string {
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isSep = (s: string | undefined) =>
      s !== undefined && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(s);
    if (line.trim().startsWith("|") && isSep(lines[i + 1])) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]).map((c) =>
        c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : "left"
      );
      const cell = (tag: string, s: string, k: number) =>
        `<${tag} style="text-align:${align[k] ?? "left"}">${inlineMarkdown(s)}</${tag}>`;
      out.push(`<table class="dser-table">`);
      out.push(`<thead><tr>${head.map((h, k) => cell("th", h, k)).join("")}</tr></thead><tbody>`);
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith("|")) {
        out.push(`<tr>${splitRow(lines[i]).map((c, k) => cell("td", c, k)).join("")}</tr>`);
        i++;
      }
      i--;
      out.push(`</tbody></table>`);
    } else if (/^#{1,6}\s/.test(line)) {
      const level = line.match(/^#+/)![0].length;
      out.push(`<h${level}>${inlineMarkdown(line.replace(/^#+\s*/, ""))}</h${level}>`);
    } else if (line.trim() !== "") {
      out.push(`<p>${inlineMarkdown(line)}</p>`);
    }
  }
  return out.join("\n");
}

/**
 * The MIME bundle of a table: `text/html` (rendered everywhere, also in the HTML export),
 * `text/markdown` (the source, for copying into papers) and `text/plain`.
 */
export function tableBundle(table: TableInput, opts: TableOptions = {}): MimeBundle {
  const md = typeof table === "string" ? table : rowsToMarkdown(table, opts);
  const caption = opts.caption ? `**${opts.caption}**\n\n` : "";
  return {
    "text/plain": caption.replace(/\*\*/g, "") + md,
    "text/markdown": caption + md,
    "text/html": markdownToHtml(caption + md),
  };
}

/** Shows a table (rows or markdown) in the notebook; outside Jupyter prints the markdown. */
export async function showTable(table: TableInput, opts: TableOptions = {}): Promise<void> {
  const bundle = tableBundle(table, opts);
  const j = jupyter();
  if (!j) {
    console.log(bundle["text/plain"]);
    return;
  }
  await publish(j, bundle);
}

/** Shows markdown text (headings, paragraphs, pipe tables) in the notebook. */
export function showMarkdown(md: string): Promise<void> {
  return showTable(md);
}

/** Shows preformatted text (e.g. LaTeX source of a table) in a scrollable box. */
export async function showCode(text: string, language = ""): Promise<void> {
  const j = jupyter();
  if (!j) {
    console.log(text);
    return;
  }
  const bundle = {
    "text/plain": text,
    "text/markdown": "```" + language + "\n" + text + "\n```",
    "text/html": `<pre class="dser-code" style="max-height:24em;overflow:auto">` +
      `<code>${escapeHtml(text)}</code></pre>`,
  };
  await publish(j, bundle);
}
