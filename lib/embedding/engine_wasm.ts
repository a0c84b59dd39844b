/**
 * Runs Doc2Vec training on the WebAssembly kernel (`wasm/doc2vec.wasm`, built from
 * `asm/doc2vec.ts`) with `workers` threads sharing one `WebAssembly.Memory`: the main
 * thread plus `workers - 1` Web Workers each take the next job (a run of documents)
 * from an atomic counter and update the shared weights without locks (Hogwild), as
 * gensim's worker threads do. Learning rates and per-document random seeds are fixed
 * before the epoch, so with one worker a seed always gives the same vectors.
 *
 * @module
 */
import type { Doc2VecParams } from "./params.ts";
import type { JobPlan } from "./schedule.ts";
import { EXP_TABLE_SIZE, type KernelState, MAX_DOCUMENT_LENGTH } from "./kernel_js.ts";
import {
  compileWasm,
  instantiateKernelModule,
  kernelPages,
  sharedKernelMemory,
  WASM_MAX_PAGES,
} from "../util/wasm.ts";

/** Exports of the compiled kernel. */
export interface KernelExports {
  configureModel(
    mode: number,
    dim: number,
    layer1: number,
    window: number,
    negative: number,
    dmMean: number,
    trainWords: number,
    shrinkWindows: number,
    doSample: number,
    nullWord: number,
  ): void;
  configureArrays(
    wv: number,
    dv: number,
    syn1: number,
    cumTable: number,
    cumLen: number,
    cumLut: number,
    cumLutShift: number,
    sampleInt: number,
    expTable: number,
    words: number,
    offsets: number,
    tags: number,
    seeds: number,
  ): void;
  configureScratch(neu1: number, work: number, idx: number, reduced: number, winIdx: number): void;
  configureLearning(doctags: number, words: number, hidden: number): void;
  trainDocs(d0: number, d1: number, alpha: number): number;
  countNonFinite(ptr: number, n: number): number;
}

/** Byte addresses of everything in the shared memory. */
export interface MemoryLayout {
  /** Model shape, as passed to configureModel. */
  model: [number, number, number, number, number, number, number, number, number, number];
  expTable: number;
  cumTable: number;
  cumLen: number;
  /** Bucket -> bisect_left of the bucket's first value (speeds up negative draws). */
  cumLut: number;
  /** Buckets are `x >>> cumLutShift`. */
  cumLutShift: number;
  /** Buckets in cumLut. */
  cumLutSize: number;
  sampleInt: number;
  words: number;
  offsets: number;
  tags: number;
  seeds: number;
  wv: number;
  dv: number;
  syn1: number;
  /** Per thread: [neu1, work, idx, reduced, winIdx]. */
  scratch: [number, number, number, number, number][];
  /** Int32 control words: [next job, jobs in epoch, diverged flag]. */
  control: number;
  /** Bytes used. */
  bytes: number;
}

/** Control word: next job to claim. */
export const CTRL_NEXT_JOB = 0;
/** Control word: jobs done so far in the epoch. */
export const CTRL_JOBS_DONE = 1;
/** Control word: set when a thread met a NaN score. */
export const CTRL_DIVERGED = 2;

/** Memory reserved below the layout for the kernel's own (empty) static area. */
const RESERVED_BYTES = 65536;

/** The compiled kernel module (compiled once per process, on first use). */
export function kernelModule(): Promise<WebAssembly.Module> {
  return compileWasm(new URL("./wasm/doc2vec.wasm", import.meta.url));
}

/** Applies a layout to one kernel instance (thread `thread`'s scratch). */
export function configureInstance(k: KernelExports, L: MemoryLayout, thread: number): void {
  k.configureModel(...L.model);
  k.configureArrays(
    L.wv,
    L.dv,
    L.syn1,
    L.cumTable,
    L.cumLen,
    L.cumLut,
    L.cumLutShift,
    L.sampleInt,
    L.expTable,
    L.words,
    L.offsets,
    L.tags,
    L.seeds,
  );
  k.configureScratch(...L.scratch[thread]);
  k.configureLearning(1, 1, 1);
}

/**
 * Cuts each job into work units of about `unitWords` words at document boundaries. A unit
 * keeps its job's learning rate, so the schedule is gensim's; smaller units only balance
 * the threads better at the end of an epoch (one thread descheduled by another process
 * no longer holds a whole job while the other waits).
 */
export function planUnits(
  plan: JobPlan,
  offsets: Int32Array,
  unitWords: number,
): { starts: Int32Array; job: Int32Array } {
  const starts: number[] = [0];
  const job: number[] = [];
  for (let j = 0; j < plan.nJobs; j++) {
    let from = plan.starts[j];
    for (let d = plan.starts[j] + 1; d <= plan.starts[j + 1]; d++) {
      if (d === plan.starts[j + 1] || offsets[d] - offsets[from] >= unitWords) {
        starts.push(d);
        job.push(j);
        from = d;
      }
    }
  }
  return { starts: Int32Array.from(starts), job: Int32Array.from(job) };
}

/** Runs one thread's share of an epoch: claims work units until none are left. */
export function runJobs(
  k: KernelExports,
  control: Int32Array,
  starts: Int32Array,
  alphas: Float64Array,
  afterJob?: () => void,
): void {
  const nJobs = starts.length - 1;
  for (;;) {
    const j = Atomics.add(control, CTRL_NEXT_JOB, 1);
    if (j >= nJobs) return;
    if (k.trainDocs(starts[j], starts[j + 1], alphas[j]) !== 0) {
      Atomics.store(control, CTRL_DIVERGED, 1);
    }
    Atomics.add(control, CTRL_JOBS_DONE, 1);
    afterJob?.();
  }
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

function planLayout(s: KernelState, nThreads: number): MemoryLayout {
  let at = RESERVED_BYTES;
  const take = (bytes: number) => {
    const p = at;
    at = align16(at + bytes);
    return p;
  };
  const nWords = s.cumTable.length;
  const nDocs = s.tags.length;
  const control = take(16);
  const expTable = take(EXP_TABLE_SIZE * 4);
  const cumTable = take(nWords * 4);
  // About four buckets per word: a draw then scans 1/4 of an entry on average.
  const lutBits = Math.min(22, Math.max(4, Math.ceil(Math.log2(4 * nWords))));
  const cumLut = take((1 << lutBits) * 4);
  const sampleInt = take(nWords * 4);
  const words = take(s.words.length * 4);
  const offsets = take((nDocs + 1) * 4);
  const tags = take(nDocs * 4);
  const seeds = take(nDocs * 8);
  const wv = take(s.wv.length * 4);
  const dv = take(s.dv.length * 4);
  const syn1 = take(s.syn1neg.length * 4);
  const scratch: [number, number, number, number, number][] = [];
  for (let t = 0; t < nThreads; t++) {
    // Scratch rows start on their own cache lines so threads do not share lines.
    at = (at + 63) & ~63;
    scratch.push([
      take(s.layer1 * 4),
      take(s.layer1 * 4),
      take(MAX_DOCUMENT_LENGTH * 4),
      take(MAX_DOCUMENT_LENGTH * 4),
      take(Math.max(1, 2 * s.window) * 4),
    ]);
  }
  return {
    model: [
      s.mode,
      s.dim,
      s.layer1,
      s.window,
      s.negative,
      s.dmMean,
      s.trainWords,
      s.shrinkWindows,
      s.doSample,
      s.nullWord,
    ],
    expTable,
    cumTable,
    cumLen: nWords,
    cumLut,
    cumLutShift: 31 - lutBits,
    cumLutSize: 1 << lutBits,
    sampleInt,
    words,
    offsets,
    tags,
    seeds,
    wv,
    dv,
    syn1,
    scratch,
    control,
    bytes: align16(at),
  };
}

/**
 * `lut[b]` = bisect_left(cumTable, b << shift): where the search for any value in bucket
 * `b` can start.
 */
export function fillCumLut(cumTable: Uint32Array, lut: Int32Array, shift: number): void {
  let i = 0;
  for (let b = 0; b < lut.length; b++) {
    const x = b * 2 ** shift;
    while (i < cumTable.length - 1 && cumTable[i] < x) i++;
    lut[b] = i;
  }
}

/** What the trainer learns from the engine while it runs. */
export interface EngineHooks {
  /** Fills the 48-bit document seeds of an epoch. */
  docSeeds(epoch: number, out: Float64Array): void;
  /** Share of the current epoch's work units finished (any thread), 0..1. */
  onProgress(epoch: number, fraction: number): void;
  /** After each epoch, with views of the weights (e.g. to check they are finite). */
  onEpoch(epoch: number, w: { wv: Float32Array; dv: Float32Array; syn1neg: Float32Array }): void;
  /** The error to throw when a NaN score was met in an epoch. */
  divergence(epoch: number): Error;
}

interface WorkerReply {
  type: "ready" | "done" | "error";
  message?: string;
}

function reply(w: Worker): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    w.onmessage = (e: MessageEvent<WorkerReply>) => {
      if (e.data.type === "error") reject(new Error(`Doc2Vec worker: ${e.data.message}`));
      else resolve(e.data);
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      reject(new Error(`Doc2Vec worker failed: ${e.message}`));
    };
  });
}

/**
 * Trains in place of the JS loop: copies the state into shared memory, runs every epoch
 * on `p.workers` threads (fewer when there are fewer work units), and returns copies of
 * the trained weights and the number of threads used.
 */
export async function trainWasm(
  s: KernelState,
  plan: JobPlan,
  alphas: Float64Array,
  p: Doc2VecParams,
  hooks: EngineHooks,
): Promise<{ wv: Float32Array; dv: Float32Array; syn1neg: Float32Array; threads: number }> {
  const wordsPerEpoch = s.offsets[s.offsets.length - 1];
  const unitWords = Math.max(500, Math.min(p.batchWords, wordsPerEpoch / (16 * p.workers)));
  const units = planUnits(plan, s.offsets, unitWords);
  const nUnits = units.job.length;
  const nThreads = Math.max(1, Math.min(p.workers, nUnits));
  const L = planLayout(s, nThreads);
  // At least the 16 pages (1 MiB) the module declares (cli/build_wasm.ts --initialMemory).
  const pages = kernelPages(L.bytes);
  if (pages > WASM_MAX_PAGES) {
    throw new RangeError(`Doc2Vec: the model needs ${L.bytes} bytes, over the 4 GiB of wasm32`);
  }
  const memory = sharedKernelMemory(pages, pages);
  const buf = memory.buffer;
  new Float32Array(buf, L.expTable, EXP_TABLE_SIZE).set(s.expTable);
  new Uint32Array(buf, L.cumTable, s.cumTable.length).set(s.cumTable);
  fillCumLut(s.cumTable, new Int32Array(buf, L.cumLut, L.cumLutSize), L.cumLutShift);
  new Uint32Array(buf, L.sampleInt, s.sampleInt.length).set(s.sampleInt);
  new Int32Array(buf, L.words, s.words.length).set(s.words);
  new Int32Array(buf, L.offsets, s.offsets.length).set(s.offsets);
  new Int32Array(buf, L.tags, s.tags.length).set(s.tags);
  const wv = new Float32Array(buf, L.wv, s.wv.length);
  const dv = new Float32Array(buf, L.dv, s.dv.length);
  const syn1neg = new Float32Array(buf, L.syn1, s.syn1neg.length);
  wv.set(s.wv);
  dv.set(s.dv);
  syn1neg.set(s.syn1neg);
  const seeds = new Float64Array(buf, L.seeds, s.tags.length);
  const control = new Int32Array(buf, L.control, 4);

  const module = await kernelModule();
  const kernel = await instantiateKernelModule<KernelExports>(module, memory);
  configureInstance(kernel, L, 0);

  const workers: Worker[] = [];
  try {
    for (let t = 1; t < nThreads; t++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      workers.push(w);
    }
    await Promise.all(workers.map((w, i) => {
      const ready = reply(w);
      w.postMessage({ type: "init", module, memory, layout: L, thread: i + 1 });
      return ready;
    }));
    const nJobs = plan.nJobs;
    const epochAlphas = new Float64Array(nUnits);
    for (let e = 0; e < p.epochs; e++) {
      hooks.docSeeds(e, seeds);
      for (let u = 0; u < nUnits; u++) epochAlphas[u] = alphas[e * nJobs + units.job[u]];
      Atomics.store(control, CTRL_NEXT_JOB, 0);
      Atomics.store(control, CTRL_JOBS_DONE, 0);
      Atomics.store(control, CTRL_DIVERGED, 0);
      const done = workers.map((w) => {
        const r = reply(w);
        w.postMessage({ type: "epoch", starts: units.starts, alphas: epochAlphas });
        return r;
      });
      runJobs(
        kernel,
        control,
        units.starts,
        epochAlphas,
        () => hooks.onProgress(e, Atomics.load(control, CTRL_JOBS_DONE) / nUnits),
      );
      await Promise.all(done);
      hooks.onProgress(e, 1);
      if (Atomics.load(control, CTRL_DIVERGED)) throw hooks.divergence(e);
      hooks.onEpoch(e, { wv, dv, syn1neg });
    }
  } finally {
    for (const w of workers) w.terminate();
  }
  return { wv: wv.slice(), dv: dv.slice(), syn1neg: syn1neg.slice(), threads: nThreads };
}
