/**
 * Progress display for long work (epochs, batches, downloads, sweeps), with rate and ETA.
 * One `Progress` object drives whichever sink fits where the code runs: a rewritten
 * line on a terminal, periodic plain lines in logs (CI), or an updating display in a
 * Jupyter notebook (Deno kernel).
 *
 * @module
 */

/** A snapshot of progress handed to a sink. */
export interface ProgressState {
  /** What is being done, e.g. "NeuMF epoch 3/20". */
  label: string;
  /** Units done so far. */
  done: number;
  /** Units in all; 0 when unknown. */
  total: number;
  /** Unit name, e.g. "samples", "B", "runs". */
  unit: string;
  /** Seconds since start. */
  elapsedS: number;
  /** Estimated seconds left; NaN when unknown. */
  etaS: number;
  /** Extra key figures to show (loss, HR@10, ...). */
  info: Record<string, string | number>;
  /** True on the final update. */
  finished: boolean;
}

/** Where progress is shown. */
export interface ProgressSink {
  update(state: ProgressState): void;
}

/** Formats seconds as `1h02m`, `3m05s` or `4.2s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m - h * 60).padStart(2, "0")}m`;
}

function formatCount(n: number, unit: string): string {
  if (unit === "B") {
    if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
    if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
    return `${n} B`;
  }
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : `${n}`;
}

/** One line of text describing `state`. */
export function formatProgress(state: ProgressState): string {
  const { label, done, total, unit, elapsedS, etaS, info, finished } = state;
  const pct = total > 0 ? ` ${((100 * done) / total).toFixed(0).padStart(3)}%` : "";
  const count = total > 0
    ? `${formatCount(done, unit)}/${formatCount(total, unit)}`
    : formatCount(done, unit);
  const rate = elapsedS > 0 ? ` ${formatCount(Math.round(done / elapsedS), unit)}/s` : "";
  const time = finished
    ? ` in ${formatDuration(elapsedS)}`
    : ` ${formatDuration(elapsedS)} elapsed, ETA ${formatDuration(etaS)}`;
  const extra = Object.entries(info).map(([k, v]) =>
    ` ${k}=${typeof v === "number" ? (Number.isInteger(v) ? v : v.toPrecision(4)) : v}`
  ).join("");
  return `${label}${pct} ${count} ${unit}${rate}${time}${extra}`;
}

/** Rewrites one line on a terminal (stderr). */
export class TerminalSink implements ProgressSink {
  #enc = new TextEncoder();
  update(state: ProgressState): void {
    const line = formatProgress(state);
    const cols = Deno.consoleSize?.().columns ?? 120;
    const shown = line.length > cols - 1 ? line.slice(0, cols - 1) : line;
    Deno.stderr.writeSync(this.#enc.encode(`\r\x1b[2K${shown}${state.finished ? "\n" : ""}`));
  }
}

/** Writes a plain line at most every `everyS` seconds, plus the final line (logs, CI). */
export class LineSink implements ProgressSink {
  #last = -Infinity;
  constructor(
    private readonly everyS = 10,
    private readonly write = (s: string) => console.error(s),
  ) {}
  update(state: ProgressState): void {
    if (state.finished || state.elapsedS - this.#last >= this.everyS) {
      this.#last = state.elapsedS;
      this.write(formatProgress(state));
    }
  }
}

/** Collects nothing; for tests and quiet runs. */
export class SilentSink implements ProgressSink {
  update(_state: ProgressState): void {}
}

type JupyterApi = {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
};

let displayCounter = 0;

/** An updating HTML display in a Jupyter notebook running on the Deno kernel. */
export class JupyterSink implements ProgressSink {
  #id = `dser-progress-${Date.now()}-${displayCounter++}`;
  #started = false;
  #lastMs = 0;
  constructor(private readonly jupyter: JupyterApi) {}
  update(state: ProgressState): void {
    const now = performance.now();
    if (!state.finished && this.#started && now - this.#lastMs < 250) return;
    this.#lastMs = now;
    const frac = state.total > 0 ? Math.min(1, state.done / state.total) : 0;
    const text = formatProgress(state);
    const html = `<div style="font-family:monospace;font-size:12px">` +
      `<progress value="${frac}" max="1" style="width:240px;vertical-align:middle"></progress> ` +
      `${escapeHtml(text)}</div>`;
    const content = {
      data: { "text/plain": text, "text/html": html },
      metadata: {},
      transient: { display_id: this.#id },
    };
    // Not awaited (update() is synchronous): a failed send (kernel channel closed) must not
    // become an unhandled rejection, which would abort the cell.
    Promise.resolve(
      this.jupyter.broadcast(this.#started ? "update_display_data" : "display_data", content),
    ).catch(() => {});
    this.#started = true;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Picks the sink for where the code runs: Jupyter kernel, terminal, or plain log lines. */
export function defaultSink(): ProgressSink {
  if (Deno.env.get("DSER_QUIET") === "1") return new SilentSink();
  let jupyter: JupyterApi | undefined;
  try {
    jupyter = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    // Deno 2.x: the Deno.jupyter getter throws outside `deno jupyter`.
    jupyter = undefined;
  }
  if (jupyter?.broadcast) return new JupyterSink(jupyter);
  if (Deno.stderr.isTerminal()) return new TerminalSink();
  return new LineSink();
}

/**
 * Tracks progress of one task and reports it to a sink, throttled for terminals.
 *
 * @example
 * ```ts
 * const p = new Progress("epoch 1/10", { total: 1000, unit: "samples" });
 * for (let i = 0; i < 1000; i += 100) p.tick(100, { loss: 0.3 });
 * p.finish();
 * ```
 */
export class Progress {
  readonly label: string;
  total: number;
  readonly unit: string;
  #sink: ProgressSink;
  #start = performance.now();
  #lastEmit = -Infinity;
  #done = 0;
  #info: Record<string, string | number> = {};
  #finished = false;

  constructor(
    label: string,
    opts: { total?: number; unit?: string; sink?: ProgressSink } = {},
  ) {
    this.label = label;
    this.total = opts.total ?? 0;
    this.unit = opts.unit ?? "";
    this.#sink = opts.sink ?? defaultSink();
  }

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Adds `n` done units and optionally updates the shown figures. */
  tick(n = 1, info?: Record<string, string | number>): void {
    this.set(this.#done + n, info);
  }

  /** Sets the done count and optionally updates the shown figures. */
  set(done: number, info?: Record<string, string | number>): void {
    this.#done = done;
    if (info) Object.assign(this.#info, info);
    const now = performance.now();
    if (now - this.#lastEmit >= 100) {
      this.#lastEmit = now;
      this.#sink.update(this.state(false));
    }
  }

  /** Reports the final state once. */
  finish(info?: Record<string, string | number>): void {
    if (this.#finished) return;
    this.#finished = true;
    if (info) Object.assign(this.#info, info);
    if (this.total > 0 && this.#done < this.total) this.#done = this.total;
    this.#sink.update(this.state(true));
  }

  /** The current state (for sinks and tests). */
  state(finished = this.#finished): ProgressState {
    const elapsedS = (performance.now() - this.#start) / 1000;
    const rate = elapsedS > 0 ? this.#done / elapsedS : 0;
    const etaS = this.total > 0 && rate > 0 ? (this.total - this.#done) / rate : NaN;
    return {
      label: this.label,
      done: this.#done,
      total: this.total,
      unit: this.unit,
      elapsedS,
      etaS: finished ? 0 : etaS,
      info: { ...this.#info },
      finished,
    };
  }
}
