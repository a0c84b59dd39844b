/**
 * A pool of threads that run one wasm module's exports on one shared memory. The calling
 * thread is thread 0 and does its share of the work; workers 1..n-1 wait on a futex in
 * shared memory for the next command, so dispatching a call costs microseconds and no
 * message passing. Kernels synchronise among themselves with barriers in shared memory.
 *
 * Workers are node:worker_threads workers, unref'ed: a pool never keeps the process alive,
 * so a script that forgets `dispose()` still exits.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { SharedHeap } from "./heap.ts";
import { instantiateKernelModule } from "../util/wasm.ts";

/** Control block layout (int32 slots). */
const SEQ = 0; // command sequence number, bumped by thread 0
const DONE = 1; // workers finished with the current command
const FN = 2; // index into the pool's function list, or -1 to exit
const FAILED = 3; // set when a worker threw
const ACTIVE = 4; // threads taking part in the current command (workers >= ACTIVE skip it)
const ARGS = 5; // up to 8 int32 arguments
const MAX_ARGS = 8;
const CTL_INTS = ARGS + MAX_ARGS;

/** A message a worker posts when it is ready or when a call threw. */
interface WorkerMessage {
  ready?: boolean;
  error?: string;
}

/** Runs exported functions `fn(ctx, tid, ...args)` on every thread of the pool. */
export class ThreadPool {
  /** Threads including the caller. */
  readonly threads: number;
  readonly #exports: Record<string, (...args: number[]) => number>;
  readonly #functions: readonly string[];
  readonly #workers: Worker[] = [];
  readonly #ctl: Int32Array;
  #errors: string[] = [];
  #disposed = false;

  private constructor(
    threads: number,
    exports: Record<string, (...args: number[]) => number>,
    functions: readonly string[],
    ctl: Int32Array,
  ) {
    this.threads = threads;
    this.#exports = exports;
    this.#functions = functions;
    this.#ctl = ctl;
  }

  /**
   * Instantiates `module` on the calling thread and in `threads - 1` workers, all importing
   * `heap.memory`.
   * @param functions the exports that `run` may call, each `(ctx, tid, ...args) => i32`.
   */
  static async create(
    module: WebAssembly.Module,
    heap: SharedHeap,
    threads: number,
    functions: readonly string[],
  ): Promise<ThreadPool> {
    const exports = await instantiateKernelModule<Record<string, (...args: number[]) => number>>(
      module,
      heap.memory,
    );
    const ctlPtr = heap.alloc(CTL_INTS * 4);
    const ctl = new Int32Array(heap.memory.buffer, ctlPtr, CTL_INTS);
    const pool = new ThreadPool(threads, exports, functions, ctl);
    const ready: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url));
      ready.push(
        new Promise((resolve, reject) => {
          worker.on("message", (msg: WorkerMessage) => {
            if (msg.ready) resolve();
            if (msg.error) pool.#errors.push(msg.error);
          });
          worker.on("error", (err: Error) => {
            const msg = `kernel worker ${t} failed: ${err.message}`;
            pool.#errors.push(msg);
            reject(new Error(msg));
          });
        }),
      );
      worker.postMessage({ module, memory: heap.memory, ctlPtr, tid: t, functions });
      pool.#workers.push(worker);
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      pool.dispose();
      throw err;
    }
    // Only now: an unref'ed worker's messages do not keep the event loop waiting for "ready".
    for (const w of pool.#workers) w.unref();
    return pool;
  }

  /**
   * Runs `name(ctx, tid, ...args)` on all threads and returns thread 0's result. Blocks the
   * calling thread until every worker has finished.
   */
  run(name: string, ctx: number, ...args: number[]): number {
    return this.runOn(this.threads, name, ctx, ...args);
  }

  /**
   * Like {@link run} on threads 0..active-1 only (the others skip the command); the kernel
   * must be told the same thread count (e.g. through its own context block).
   */
  runOn(active: number, name: string, ctx: number, ...args: number[]): number {
    if (this.#disposed) throw new Error("ThreadPool: used after dispose()");
    const fn = this.#functions.indexOf(name);
    if (fn < 0) throw new Error(`ThreadPool: unknown function ${name}`);
    if (args.length > MAX_ARGS - 1) throw new Error(`ThreadPool: too many arguments for ${name}`);
    const ctl = this.#ctl;
    if (!(Number.isInteger(active) && active >= 1 && active <= this.threads)) {
      throw new RangeError(
        `ThreadPool: active threads must be in [1, ${this.threads}], got ${active}`,
      );
    }
    const nWorkers = active - 1;
    if (nWorkers > 0) {
      Atomics.store(ctl, ACTIVE, active);
      Atomics.store(ctl, FN, fn);
      Atomics.store(ctl, ARGS, ctx);
      for (let k = 0; k < args.length; k++) Atomics.store(ctl, ARGS + 1 + k, args[k]);
      Atomics.store(ctl, DONE, 0);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
    }
    const result = this.#exports[name](ctx, 0, ...args);
    if (nWorkers > 0) {
      for (;;) {
        const done = Atomics.load(ctl, DONE);
        if (done >= nWorkers) break;
        Atomics.wait(ctl, DONE, done, 1000);
      }
      if (Atomics.load(ctl, FAILED) !== 0) {
        throw new Error(`kernel ${name} failed in a worker: ${this.#errors.join("; ")}`);
      }
    }
    return result;
  }

  /** Stops the workers. The pool cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    Atomics.store(this.#ctl, FN, -1);
    Atomics.add(this.#ctl, SEQ, 1);
    Atomics.notify(this.#ctl, SEQ);
    for (const w of this.#workers) void w.terminate();
    this.#workers.length = 0;
  }
}

/** The control-block constants, shared with worker.ts. */
export const CONTROL = { SEQ, DONE, FN, FAILED, ACTIVE, ARGS, MAX_ARGS, CTL_INTS } as const;
