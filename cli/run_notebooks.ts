/**
 * `deno run -A cli/run_notebooks.ts [name-filter...] [--full]`: executes notebooks headless
 * on the Deno kernel, exports each to HTML, opens the HTML in headless Chromium and checks
 * that every chart rendered. Writes under `results/notebooks/`: the executed notebook
 * (`<name>.ipynb`), its HTML export (`<name>.html`), a full-page screenshot (`<name>.png`)
 * and the run times (`timings.json`). Small mode (`DSER_NOTEBOOK_MODE=small`) unless
 * `--full`. `tests/notebooks_test.ts` runs the same steps.
 *
 * How errors are caught: the Deno kernel has had releases where a failing cell did not
 * fail the execution, so besides the runner's exit status the executed notebook is read
 * back and any `error` output, or any code cell left unexecuted, is a failure.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readJson, writeJsonAtomic } from "../lib/util/mod.ts";
import { ensureNotebookTools, type NotebookTools } from "./setup_notebooks.ts";

/** The workspace root (parent of cli/). */
export const ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the notebooks live. */
export const NOTEBOOK_DIR: string = join(ROOT, "notebooks");
/** Where executed notebooks, HTML exports, screenshots and timings go. */
export const OUTPUT_DIR: string = join(ROOT, "results", "notebooks");

/** Every `notebooks/*.ipynb`, sorted by name (the numbering gives the reading order). */
export function listNotebooks(dir = NOTEBOOK_DIR): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith("."))
    .map((e) => join(dir, e.name))
    .sort();
}

// ---------------------------------------------------------------------------------------
// Execution

/**
 * Python side of the runner (nbclient). Two things beyond `jupyter nbconvert --execute`:
 * - Deno 2.9's kernel sometimes publishes a cell's `execute_result` (or a display it
 *   did not await) just after its `idle` status; nbclient would drop it. After idle we keep
 *   reading IOPub for that cell until it is quiet for GRACE seconds, keep what arrives and
 *   report it as late, so that exports are complete and the test can warn.
 * - On a cell error the partly executed notebook is still written, so it can be read.
 */
const EXECUTOR_PY = String.raw`
import json, sys, time, queue
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellExecutionComplete
from nbclient.util import ensure_async

src, dst, cwd, timeout, grace = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
nb = nbformat.read(src, as_version=4)
late = []

class DrainingClient(NotebookClient):
    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=grace))
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            late.append({"cell": cell_index, "msg_type": msg["msg_type"]})
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                pass

client = DrainingClient(nb, timeout=timeout, kernel_name="deno", allow_errors=False,
                        record_timing=True, resources={"metadata": {"path": cwd}})
result = {"ok": True, "error": None, "late": late}
t0 = time.time()
try:
    client.execute()
except CellExecutionError as e:
    result["ok"] = False
    result["error"] = str(e)[-4000:]
except Exception as e:
    result["ok"] = False
    result["error"] = "%s: %s" % (type(e).__name__, str(e)[-4000:])
result["seconds"] = time.time() - t0
nbformat.write(nb, dst)
print("@@RESULT@@" + json.dumps(result))
`;

/** What executing one notebook gave. */
export interface ExecutionResult {
  /** The runner finished every cell without an error reply. */
  ok: boolean;
  /** The runner's error (nbclient's message with the failing cell), if any. */
  error: string | null;
  /** Messages that arrived after their cell's idle status (a kernel race; kept). */
  late: { cell: number; msg_type: string }[];
  /** Wall time of the execution, kernel start included. */
  seconds: number;
  /** Path of the executed notebook. */
  executedPath: string;
  /** The runner's stderr (kernel warnings), trimmed. */
  stderr: string;
}

/**
 * Executes a notebook on the Deno kernel with nbclient and writes the executed copy to
 * `outPath`. The kernel runs in the notebook's folder with `env` added (e.g. small mode).
 * A kernelspec pinned to this process's Deno is put first on JUPYTER_PATH, so the run uses
 * the same Deno as the caller whatever the user's kernelspec says.
 */
export async function executeNotebook(
  tools: NotebookTools,
  nbPath: string,
  outPath: string,
  opts: { env?: Record<string, string>; timeoutS?: number; graceS?: number } = {},
): Promise<ExecutionResult> {
  await Deno.mkdir(dirname(outPath), { recursive: true });
  const jupyterPath = await pinnedKernelspec(tools.deno);
  const env: Record<string, string> = {
    ...opts.env,
    JUPYTER_PATH: [jupyterPath, Deno.env.get("JUPYTER_PATH")].filter(Boolean).join(":"),
    DENO_NO_UPDATE_CHECK: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
  };
  const t0 = performance.now();
  const out = await new Deno.Command(tools.python, {
    args: [
      "-Xfrozen_modules=off",
      "-c",
      EXECUTOR_PY,
      nbPath,
      outPath,
      dirname(nbPath),
      String(opts.timeoutS ?? 1800),
      String(opts.graceS ?? 0.25),
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith("@@RESULT@@"));
  if (!line) {
    return {
      ok: false,
      error: `the notebook runner crashed (exit ${out.code}):\n${stderr.slice(-3000)}`,
      late: [],
      seconds: (performance.now() - t0) / 1000,
      executedPath: outPath,
      stderr: stderr.slice(-3000),
    };
  }
  const res = JSON.parse(line.slice("@@RESULT@@".length));
  return { ...res, executedPath: outPath, stderr: stderr.slice(-3000) };
}

/** A JUPYTER_PATH entry holding a `deno` kernelspec that runs `deno` (this Deno). */
async function pinnedKernelspec(deno: string): Promise<string> {
  const dir = join(ROOT, "results", "tmp", "jupyter");
  await Deno.mkdir(join(dir, "kernels", "deno"), { recursive: true });
  const spec = {
    argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  await Deno.writeTextFile(
    join(dir, "kernels", "deno", "kernel.json"),
    JSON.stringify(spec, null, 1),
  );
  return dir;
}

/** An `.ipynb` as far as the checks need it. */
interface Notebook {
  cells: {
    cell_type: string;
    source: string | string[];
    execution_count?: number | null;
    outputs?: {
      output_type: string;
      ename?: string;
      evalue?: string;
      traceback?: string[];
      name?: string;
      text?: string | string[];
      data?: Record<string, string | string[] | unknown>;
    }[];
    metadata?: { execution?: Record<string, string> };
  }[];
}

const joinText = (t: string | string[] | unknown) =>
  Array.isArray(t) ? t.join("") : String(t ?? "");

/** Problems found in an executed notebook, and what it shows. */
export interface NotebookReport {
  /** One message per error output or unexecuted code cell. */
  problems: string[];
  /** Outputs that hold a figure (a `dser-figure` container in their HTML). */
  figures: number;
  /** Code cells. */
  codeCells: number;
  /** Seconds per code cell (busy -> idle), in order. */
  cellSeconds: number[];
}

/** Reads an executed notebook: error outputs, unexecuted cells, figure count, cell times. */
export function inspectExecuted(nb: Notebook): NotebookReport {
  const problems: string[] = [];
  let figures = 0, codeCells = 0;
  const cellSeconds: number[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    codeCells++;
    const head = joinText(cell.source).split("\n")[0].slice(0, 80);
    if (joinText(cell.source).trim() !== "" && (cell.execution_count ?? null) === null) {
      problems.push(`cell ${i} (${head}) was not executed`);
    }
    for (const o of cell.outputs ?? []) {
      if (o.output_type === "error") {
        // Tracebacks carry ANSI colour codes.
        // deno-lint-ignore no-control-regex
        const tb = (o.traceback ?? []).join("\n").replace(/\x1b\[[0-9;]*m/g, "");
        problems.push(`cell ${i} (${head}) raised ${o.ename}: ${o.evalue}\n${tb.slice(0, 2000)}`);
      }
      const html = o.data?.["text/html"];
      if (html !== undefined) {
        figures += (joinText(html).match(/class="dser-figure"/g) ?? []).length;
      }
    }
    const ex = cell.metadata?.execution;
    const busy = ex?.["iopub.status.busy"], idle = ex?.["iopub.status.idle"];
    cellSeconds.push(busy && idle ? (Date.parse(idle) - Date.parse(busy)) / 1000 : NaN);
  });
  return { problems, figures, codeCells, cellSeconds };
}

/**
 * Type-checks a notebook's code: its code cells, in order, as one TypeScript module (what
 * the kernel runs, minus the kernel's leniency: it does not type-check). Relative imports
 * are rewritten to absolute paths so the module can live under results/tmp. Returns the
 * checker's messages, or null when the code type-checks. Catches drift between notebooks
 * and lib/ (a renamed option is silently ignored at run time).
 */
export async function checkNotebookTypes(deno: string, nbPath: string): Promise<string | null> {
  const nb = await readJson<Notebook>(nbPath);
  const base = new URL(".", `file://${nbPath}`);
  const code = nb.cells.filter((c) => c.cell_type === "code").map((c, i) => {
    const src = joinText(c.source).replace(
      /(from\s+|import\s*\(\s*)(["'])(\.{1,2}\/[^"']+)\2/g,
      (_m, pre: string, q: string, rel: string) => `${pre}${q}${new URL(rel, base).href}${q}`,
    );
    return `// ---- cell ${i + 1}\n${src}\n`;
  }).join("\n");
  const dir = join(ROOT, "results", "tmp", "nbcheck");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `${basename(nbPath, ".ipynb")}.ts`);
  await Deno.writeTextFile(
    file,
    `// Generated from ${nbPath} for type checking.\nexport {};\n${code}`,
  );
  const out = await new Deno.Command(deno, {
    args: ["check", "-q", file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (out.success) return null;
  // deno-lint-ignore no-control-regex
  const msg = new TextDecoder().decode(out.stderr).replace(/\x1b\[[0-9;]*m/g, "");
  return `${msg.trim().slice(0, 4000)}\n(cells as one module: ${file})`;
}

/** Exports an executed notebook to HTML with nbconvert (lab template); returns the path. */
export async function exportHtml(
  tools: NotebookTools,
  executedPath: string,
  outDir: string,
): Promise<string> {
  const name = basename(executedPath, ".ipynb");
  const out = await new Deno.Command(tools.python, {
    args: [
      "-Xfrozen_modules=off",
      "-m",
      "nbconvert",
      "--to",
      "html",
      "--output-dir",
      outDir,
      "--output",
      name,
      executedPath,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { PYDEVD_DISABLE_FILE_VALIDATION: "1" },
  }).output();
  if (!out.success) {
    throw new Error(
      `nbconvert --to html failed for ${executedPath}:\n${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return join(outDir, `${name}.html`);
}

// ---------------------------------------------------------------------------------------
// Headless Chromium over the DevTools protocol (Deno's WebSocket; no extra package)

/** A headless Chromium with one page, driven over the DevTools protocol. */
export class HeadlessChromium {
  #child: Deno.ChildProcess;
  #ws: WebSocket;
  #profile: string;
  #nextId = 0;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #session = "";
  /** Uncaught page exceptions and console errors seen so far. */
  readonly pageErrors: string[] = [];

  private constructor(child: Deno.ChildProcess, ws: WebSocket, profile: string) {
    this.#child = child;
    this.#ws = ws;
    this.#profile = profile;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p.resolve(msg.result);
      } else if (msg.method === "Runtime.exceptionThrown") {
        const d = msg.params.exceptionDetails;
        this.pageErrors.push(`exception: ${d.exception?.description ?? d.text}`);
      } else if (msg.method === "Runtime.consoleAPICalled" && msg.params.type === "error") {
        this.pageErrors.push(
          `console.error: ${
            msg.params.args.map((a: { value?: unknown; description?: string }) =>
              a.value ?? a.description
            ).join(" ")
          }`,
        );
      }
    };
  }

  /**
   * Starts Chromium headless as this machine needs it (no sandbox as root, no GPU, no
   * background network traffic, a fresh profile) and opens one blank page. With
   * `blockNetwork` (default) every http(s)/ws request of the page fails.
   */
  static async launch(
    binary: string,
    opts: { blockNetwork?: boolean } = {},
  ): Promise<HeadlessChromium> {
    const profile = await Deno.makeTempDir({ prefix: "dser-chromium-" });
    const child = new Deno.Command(binary, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    const deadline = Date.now() + 30_000;
    let url = "";
    while (!url) {
      const timer = new Promise<{ done: true; value: undefined }>((res) =>
        setTimeout(() => res({ done: true, value: undefined }), Math.max(0, deadline - Date.now()))
      );
      const { value, done } = await Promise.race([reader.read(), timer]);
      if (done) break;
      buf += value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(buf)?.[1] ?? "";
    }
    // Keep draining stderr so that Chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* discard */ }
      } catch { /* closed */ }
    })();
    if (!url) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw new Error(`Chromium (${binary}) did not start:\n${buf.slice(-2000)}`);
    }
    const ws = new WebSocket(url);
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = () => rej(new Error(`cannot connect to Chromium at ${url}`));
    });
    const browser = new HeadlessChromium(child, ws, profile);
    const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await browser.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as {
      sessionId: string;
    };
    browser.#session = sessionId;
    await browser.page("Page.enable");
    await browser.page("Runtime.enable");
    await browser.page("Network.enable");
    // No network: every script a chart needs must come with the page.
    if (opts.blockNetwork ?? true) {
      await browser.page("Network.setBlockedURLs", {
        urls: ["http://*", "https://*", "ws://*", "wss://*"],
      });
    }
    return browser;
  }

  /** Sends a browser-level DevTools command. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** Sends a DevTools command to the page. */
  page(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    return this.send(method, params, this.#session);
  }

  /** Evaluates an expression in the page and returns its JSON value (promises awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const res = await this.page("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as {
      result: { value: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (res.exceptionDetails) {
      throw new Error(
        `page evaluation failed: ${
          res.exceptionDetails.exception?.description ?? res.exceptionDetails.text
        }`,
      );
    }
    return res.result.value;
  }

  /** Loads a URL and waits until `document.readyState` is complete (or the timeout). */
  async open(url: string, timeoutMs = 60_000): Promise<void> {
    await this.page("Page.navigate", { url });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const state = await this.evaluate<string>("document.readyState").catch(() => "loading");
      if (state === "complete") return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${url} did not finish loading in ${timeoutMs / 1000} s`);
  }

  /** A PNG of the whole page at the given CSS width. */
  async screenshot(width = 1100, maxHeight = 30_000): Promise<Uint8Array> {
    await this.page("Emulation.setDeviceMetricsOverride", {
      width,
      height: 800,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const h = await this.evaluate<number>("Math.ceil(document.documentElement.scrollHeight)");
    const height = Math.min(maxHeight, Math.max(200, h));
    await this.page("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await new Promise((r) => setTimeout(r, 300));
    const { data } = await this.page("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    }) as {
      data: string;
    };
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }

  /** Closes Chromium and removes its profile. */
  async close(): Promise<void> {
    try {
      await this.send("Browser.close").catch(() => {});
      this.#ws.close();
    } catch { /* already closed */ }
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
    ]);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
      await this.#child.status;
    }
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** What the browser showed for one figure container. */
export interface RenderedFigure {
  id: string;
  /** `plotly` (interactive chart drawn), `static` (Plotly failed), or `none` (not yet). */
  rendered: string;
  /** Size of the drawn Plotly SVG in CSS px (0 when absent). */
  plotWidth: number;
  plotHeight: number;
  /** Traces Plotly drew. */
  traces: number;
  /** Whether the static SVG fallback image decoded (natural width > 0). */
  staticImageOk: boolean;
}

/** Waits until every figure container settled (or the timeout) and describes each. */
export async function renderedFigures(
  browser: HeadlessChromium,
  timeoutMs = 30_000,
): Promise<RenderedFigure[]> {
  const probe = `(() => {
    const figs = [...document.querySelectorAll(".dser-figure")];
    return figs.map((el) => {
      const plot = el.querySelector(".js-plotly-plot");
      const svg = plot ? plot.querySelector(".main-svg") : null;
      const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      const img = el.querySelector("img.dser-figure-static");
      return {
        id: el.id,
        rendered: el.getAttribute("data-rendered") || "none",
        plotWidth: Math.round(box.width),
        plotHeight: Math.round(box.height),
        traces: plot && plot._fullData ? plot._fullData.length : 0,
        staticImageOk: !!(img && img.complete && img.naturalWidth > 0),
      };
    });
  })()`;
  const deadline = Date.now() + timeoutMs;
  let figs = await browser.evaluate<RenderedFigure[]>(probe);
  while (
    Date.now() < deadline && figs.some((f) => f.rendered === "none" || f.rendered === "pending")
  ) {
    await new Promise((r) => setTimeout(r, 200));
    figs = await browser.evaluate<RenderedFigure[]>(probe);
  }
  return figs;
}

/** Waits (up to 10 s) for MathJax, when the page loaded it, to finish typesetting. */
async function settleMathJax(browser: HeadlessChromium): Promise<void> {
  const idle = `(() => { const H = window.MathJax && window.MathJax.Hub;
    return !H || !H.queue || (H.queue.pending === 0 && H.queue.running === 0); })()`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !(await browser.evaluate<boolean>(idle).catch(() => true))) {
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------------------------------
// One notebook, end to end

/** Timings and checks of one notebook run. */
export interface NotebookRun {
  name: string;
  mode: string;
  execution: ExecutionResult;
  report: NotebookReport;
  htmlPath: string | null;
  screenshotPath: string | null;
  figures: RenderedFigure[];
  pageErrors: string[];
  typeCheckSeconds: number;
  exportSeconds: number;
  browserSeconds: number;
  /** Everything wrong, one message each; empty when the notebook passed. */
  failures: string[];
}

/** Executes, inspects, exports and renders one notebook; never throws for notebook faults. */
export async function runNotebook(
  tools: NotebookTools,
  nbPath: string,
  opts: {
    mode?: "small" | "full";
    outDir?: string;
    env?: Record<string, string>;
    /** How long the page may take to draw its charts (default 30 s). */
    renderTimeoutMs?: number;
    /** Type-check the notebook's code as one module first (default true). */
    typeCheck?: boolean;
  } = {},
): Promise<NotebookRun> {
  const mode = opts.mode ?? "small";
  const outDir = opts.outDir ?? OUTPUT_DIR;
  const name = basename(nbPath, ".ipynb");
  const failures: string[] = [];
  const env = {
    DSER_NOTEBOOK_MODE: mode,
    ...(Deno.env.get("DSER_DATA_DIR") ? { DSER_DATA_DIR: Deno.env.get("DSER_DATA_DIR")! } : {}),
    ...opts.env,
  };
  let typeCheckSeconds = 0;
  if (opts.typeCheck ?? true) {
    const t0 = performance.now();
    const typeErrors = await checkNotebookTypes(tools.deno, nbPath);
    if (typeErrors) failures.push(`type errors in the notebook's code:\n${typeErrors}`);
    typeCheckSeconds = (performance.now() - t0) / 1000;
  }
  const execution = await executeNotebook(tools, nbPath, join(outDir, `${name}.ipynb`), { env });
  if (!execution.ok) failures.push(`execution failed: ${execution.error}`);
  let report: NotebookReport = { problems: [], figures: 0, codeCells: 0, cellSeconds: [] };
  try {
    report = inspectExecuted(await readJson<Notebook>(execution.executedPath));
    failures.push(...report.problems);
  } catch (err) {
    failures.push(`cannot read the executed notebook: ${(err as Error).message}`);
  }
  let htmlPath: string | null = null, screenshotPath: string | null = null;
  let figures: RenderedFigure[] = [];
  const pageErrors: string[] = [];
  let exportSeconds = 0, browserSeconds = 0;
  try {
    const t0 = performance.now();
    htmlPath = await exportHtml(tools, execution.executedPath, outDir);
    exportSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const browser = await HeadlessChromium.launch(tools.chromium);
    try {
      await browser.open(`file://${htmlPath}`);
      figures = await renderedFigures(browser, opts.renderTimeoutMs);
      await settleMathJax(browser);
      screenshotPath = join(outDir, `${name}.png`);
      await Deno.writeFile(screenshotPath, await browser.screenshot());
      pageErrors.push(...browser.pageErrors);
    } finally {
      await browser.close();
    }
    browserSeconds = (performance.now() - t1) / 1000;
  } catch (err) {
    failures.push(`HTML export or browser check failed: ${(err as Error).message}`);
  }
  if (htmlPath) {
    if (figures.length !== report.figures) {
      failures.push(
        `the executed notebook has ${report.figures} figures, the HTML page ${figures.length}`,
      );
    }
    for (const f of figures) {
      if (f.rendered !== "plotly" || f.plotWidth <= 0 || f.plotHeight <= 0 || f.traces <= 0) {
        failures.push(
          `figure ${f.id} did not render: state=${f.rendered}, plot ${f.plotWidth}x${f.plotHeight} px, ` +
            `${f.traces} traces`,
        );
      }
      if (!f.staticImageOk) failures.push(`figure ${f.id}: the static SVG fallback did not decode`);
    }
    for (const e of pageErrors) failures.push(`page error: ${e}`);
  }
  return {
    name,
    mode,
    execution,
    report,
    htmlPath,
    screenshotPath,
    figures,
    pageErrors,
    typeCheckSeconds,
    exportSeconds,
    browserSeconds,
    failures,
  };
}

/** Adds runs to `results/notebooks/timings.json` (one entry per notebook, replaced). */
export async function recordTimings(runs: NotebookRun[], outDir = OUTPUT_DIR): Promise<string> {
  const path = join(outDir, "timings.json");
  let old: { notebooks?: Record<string, unknown> } = {};
  try {
    old = await readJson(path);
  } catch { /* first run */ }
  const notebooks: Record<string, unknown> = { ...(old.notebooks ?? {}) };
  for (const r of runs) {
    notebooks[r.name] = {
      mode: r.mode,
      passed: r.failures.length === 0,
      executeSeconds: round(r.execution.seconds),
      cellSeconds: r.report.cellSeconds.map(round),
      typeCheckSeconds: round(r.typeCheckSeconds),
      exportSeconds: round(r.exportSeconds),
      browserSeconds: round(r.browserSeconds),
      codeCells: r.report.codeCells,
      figures: r.report.figures,
      lateMessages: r.execution.late.length,
      recordedAt: new Date().toISOString(),
    };
  }
  await writeJsonAtomic(path, {
    note: "Seconds of wall time; executeSeconds includes the kernel start. " +
      "Written by cli/run_notebooks.ts and tests/notebooks_test.ts.",
    deno: Deno.version.deno,
    cores: navigator.hardwareConcurrency,
    notebooks,
  });
  return path;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}

if (import.meta.main) {
  const full = Deno.args.includes("--full");
  const filters = Deno.args.filter((a) => !a.startsWith("--"));
  const tools = await ensureNotebookTools();
  const paths = listNotebooks().filter((p) =>
    filters.length === 0 || filters.some((f) => basename(p).includes(f))
  );
  const runs: NotebookRun[] = [];
  for (const p of paths) {
    console.error(`running ${basename(p)} (${full ? "full" : "small"} mode)...`);
    const run = await runNotebook(tools, p, { mode: full ? "full" : "small" });
    runs.push(run);
    const status = run.failures.length === 0 ? "ok" : "FAILED";
    console.error(
      `${status} ${run.name}: executed in ${run.execution.seconds.toFixed(1)} s, ` +
        `${
          run.figures.filter((f) => f.rendered === "plotly").length
        }/${run.report.figures} charts rendered` +
        (run.execution.late.length ? `, ${run.execution.late.length} late kernel messages` : ""),
    );
    for (const f of run.failures) console.error(`  - ${f}`);
  }
  console.error(`timings: ${await recordTimings(runs)}`);
  Deno.exit(runs.every((r) => r.failures.length === 0) ? 0 : 1);
}
