/**
 * The fused NCF-family engine: weights, optimiser state and scratch in one shared wasm
 * memory; whole training steps (forward + backward + optimiser update of a batch) and batched
 * scoring run in wasm SIMD on every thread of a {@link ThreadPool}.
 *
 * The network it runs is described by a {@link FusedNetSpec} (tables, GMF pair, MLP inputs
 * and layers, fusion head) with parameter names chosen by the caller, so the model layer and
 * this engine agree on weights by name. See lib/kernels/asm/ncf.ts for the kernel itself.
 *
 * @module
 */
import { SharedHeap } from "./heap.ts";
import { ThreadPool } from "./pool.ts";
import { compileWasm, probeKernelModule } from "../util/wasm.ts";

/** One embedding (or fixed feature) table, indexed by user or by item. */
export interface FusedTableSpec {
  /** Parameter name, e.g. "gmf.user". */
  name: string;
  /** Row index: the sample's user or its item. */
  side: "user" | "item";
  /** Floats per row. */
  dim: number;
  /** False for fixed inputs (e.g. frozen document vectors): no gradient, no update. */
  trainable: boolean;
}

/** One dense layer y = relu(x W + b), W stored [in, out]. */
export interface FusedLayerSpec {
  kernel: string;
  bias: string;
  /** Output width. */
  units: number;
}

/** The output head. */
export type FusedHeadSpec =
  | { kind: "gmf" | "mlp" | "hidden"; kernel: string; bias: string }
  | {
    kind: "score";
    gmfKernel: string;
    gmfBias: string;
    mlpKernel: string;
    mlpBias: string;
    fuseKernel: string;
    fuseBias: string;
  };

/** A network of the NCF family as the fused kernels run it. */
export interface FusedNetSpec {
  nUsers: number;
  nItems: number;
  tables: FusedTableSpec[];
  /** GMF branch: element-wise product of a user table row and an item table row. */
  gmf: { user: string; item: string } | null;
  /** MLP branch: concatenated rows of `inputs` tables, then `layers` (at least one). */
  mlp: { inputs: string[]; layers: FusedLayerSpec[] } | null;
  head: FusedHeadSpec;
}

/** Optimiser settings of the fused engine. */
export interface FusedOptimizer {
  kind: "adam" | "sgd";
  /** Learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 coefficient added to the gradient (coupled weight decay, as PyTorch's). */
  l2: number;
  /**
   * Embedding rows under Adam: false (default) gives dense-Adam semantics (rows a batch did
   * not touch still move by their momentum, caught up in O(1) per row when next touched);
   * true is row-wise "lazy" Adam (untouched rows stay put).
   */
  lazy: boolean;
}

/** Default optimiser: PyTorch's Adam defaults with NCF's learning rate. */
export const DEFAULT_FUSED_OPTIMIZER: FusedOptimizer = {
  kind: "adam",
  lr: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  l2: 0,
  lazy: false,
};

/** Shape and location of one parameter. */
export interface FusedParamInfo {
  name: string;
  shape: number[];
  /** Table index, or -1 for dense parameters. */
  table: number;
  /** Float offset inside the dense block (dense parameters only). */
  offset: number;
  trainable: boolean;
}

/** Options of {@link FusedNcf.create}. */
export interface FusedOptions {
  /** Threads including the caller (default: min(2, cores)). */
  threads?: number;
  /** Samples per gradient chunk (fixes the summation order; default 32). */
  chunk?: number;
  /** Largest batch size planned for (grows on demand; default 256). */
  maxBatch?: number;
  /** Barrier spin iterations before sleeping (default 20000). */
  spin?: number;
  /**
   * Choose between 1 thread and all threads per kernel call by measured throughput
   * (default true). Results do not depend on the thread count, so this changes speed only:
   * on a machine shared with other jobs, fine-grained barriers can make two threads slower
   * than one.
   */
  adaptive?: boolean;
}

/** How the engine's training calls were spread over thread counts. */
export interface FusedThreadStats {
  /** Thread count -> kernel calls and samples trained with it. */
  calls: Record<number, { calls: number; samples: number; seconds: number }>;
}

/** Result of one {@link FusedNcf.train} call. */
export interface FusedTrainResult {
  /** Sum over samples of the per-sample loss. */
  lossSum: number;
  /** Samples trained (all of them unless training diverged). */
  samples: number;
  /** Index of the first batch whose loss was not finite, or -1. */
  divergedBatch: number;
}

const FUNCTIONS = ["trainBatches", "flushTables", "scorePairs"] as const;
const PLAN_VERSION = 7;
/** Entries of each power table (keep in sync with POW_TABLE in asm/ncf.ts). */
const POW_TABLE = 16384;
const PLAN_BYTES = 1024;
const MAX_LAYERS = 8;
const MAX_SEGS = 8;
const MAX_TABLES = 8;

// Plan offsets (bytes); keep in sync with lib/kernels/asm/ncf.ts.
const P = {
  BATCH: 0,
  CHUNK: 4,
  NTHREADS: 8,
  FUSION: 12,
  F: 16,
  GMF_UT: 20,
  GMF_IT: 24,
  NSEG: 28,
  NLAYERS: 32,
  DENSE: 36,
  NDENSE: 40,
  DGRAD: 44,
  DM: 48,
  DV: 52,
  OPT: 56,
  LAZY: 60,
  STEP: 64,
  LOSSP: 68,
  ACC: 72,
  ACCLEN: 76,
  CTL: 80,
  STATUS: 84,
  SCRATCH: 88,
  SCRSTRIDE: 92,
  NTABLES: 96,
  IN0: 100,
  HEAD_W: 104,
  HEAD_B: 108,
  G_W: 112,
  G_B: 116,
  M_W: 120,
  M_B: 124,
  F_W: 128,
  F_B: 132,
  SCR_P: 136,
  SCR_DP: 140,
  SCR_S: 144,
  NEEDDX0: 148,
  SPIN: 152,
  SCR_A0: 156,
  LAYERS: 160,
  SEGS: 416,
  TABLES: 544,
  LR: 928,
  B1: 936,
  B2: 944,
  EPS: 952,
  L2: 960,
} as const;
const LAYER_SIZE = 32;
const SEG_SIZE = 16;
const TABLE_SIZE = 48;
const FUSION = { gmf: 0, mlp: 1, hidden: 2, score: 3 } as const;
const OPT = { adam: 0, sgd: 1, grads: 2 } as const;

/** The compiled kernel module (compiled once per process). */
export function ncfModule(): Promise<WebAssembly.Module> {
  return compileWasm(new URL("./wasm/ncf.wasm", import.meta.url));
}

/** What the engine reads from the kernel before it lays out its memory. */
interface ProbeExports {
  planVersion(): number;
  heapBase(): number;
}

/**
 * True when this runtime can run the fused kernels (wasm SIMD, relaxed SIMD, threads,
 * shared memory); the reason otherwise.
 */
export async function fusedKernelsAvailable(): Promise<true | string> {
  try {
    if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is not available";
    const probe = await probeKernelModule<ProbeExports>(await ncfModule());
    const version = probe.planVersion();
    if (version !== PLAN_VERSION) return `kernel binary has plan version ${version}`;
    return true;
  } catch (err) {
    return (err as Error).message;
  }
}

interface TableBuffers {
  spec: FusedTableSpec;
  rows: number;
  data: number;
  m: number;
  v: number;
  last: number;
  stamp: number;
  /** i32 block: first sample per row [rows], last sample per row [rows], next [maxBatch]. */
  links: number;
  gsample: number;
}

/** A network held in shared wasm memory, trained and scored by the fused kernels. */
export class FusedNcf {
  readonly spec: FusedNetSpec;
  readonly threads: number;
  readonly #heap: SharedHeap;
  readonly #pool: ThreadPool;
  readonly #plan: number;
  readonly #tables: TableBuffers[];
  readonly #params: FusedParamInfo[];
  readonly #nDense: number;
  readonly #dense: number;
  readonly #denseM: number;
  readonly #denseV: number;
  readonly #chunk: number;
  readonly #scratchFloats: number;
  #maxBatch = 0;
  #dgrad = 0;
  #lossP = 0;
  #acc = 0;
  #accLen = 0;
  #accCapacity = 0;
  #status: number;
  #samples = { ptr: 0, capacity: 0 };
  #optimizer: FusedOptimizer = { ...DEFAULT_FUSED_OPTIMIZER };
  #disposed = false;
  #ctl: number;
  #adaptive: boolean;
  /** Throughput estimates (samples/s) for [1 thread, all threads]; NaN until measured. */
  #rates = [NaN, NaN];
  #callCount = 0;
  #stats: FusedThreadStats = { calls: {} };

  private constructor(
    spec: FusedNetSpec,
    heap: SharedHeap,
    pool: ThreadPool,
    chunk: number,
    spin: number,
    adaptive: boolean,
  ) {
    this.spec = spec;
    this.threads = pool.threads;
    this.#heap = heap;
    this.#pool = pool;
    this.#chunk = chunk;
    validateSpec(spec);
    const tableIndex = new Map(spec.tables.map((t, k) => [t.name, k]));
    // Dense parameter layout: layers, then the head; each parameter starts on a vector.
    const params: FusedParamInfo[] = [];
    let nDense = 0;
    const addDense = (name: string, shape: number[]) => {
      const size = shape.reduce((a, b) => a * b, 1);
      params.push({ name, shape, table: -1, offset: nDense, trainable: true });
      nDense += Math.ceil(size / 4) * 4;
      return params[params.length - 1].offset;
    };
    spec.tables.forEach((t, k) =>
      params.push({
        name: t.name,
        shape: [t.side === "user" ? spec.nUsers : spec.nItems, t.dim],
        table: k,
        offset: 0,
        trainable: t.trainable,
      })
    );
    const f = spec.gmf ? spec.tables[tableIndex.get(spec.gmf.user)!].dim : 0;
    const in0 = spec.mlp
      ? spec.mlp.inputs.reduce((s, n) => s + spec.tables[tableIndex.get(n)!].dim, 0)
      : 0;
    const layerInfo: { in: number; out: number; w: number; b: number }[] = [];
    if (spec.mlp) {
      let width = in0;
      for (const layer of spec.mlp.layers) {
        const w = addDense(layer.kernel, [width, layer.units]);
        const b = addDense(layer.bias, [layer.units]);
        layerInfo.push({ in: width, out: layer.units, w, b });
        width = layer.units;
      }
    }
    const hL = layerInfo.length ? layerInfo[layerInfo.length - 1].out : 0;
    const head = spec.head;
    const headOffsets: Record<string, number> = {};
    if (head.kind === "score") {
      headOffsets.gw = addDense(head.gmfKernel, [f, 1]);
      headOffsets.gb = addDense(head.gmfBias, [1]);
      headOffsets.mw = addDense(head.mlpKernel, [hL, 1]);
      headOffsets.mb = addDense(head.mlpBias, [1]);
      headOffsets.fw = addDense(head.fuseKernel, [2, 1]);
      headOffsets.fb = addDense(head.fuseBias, [1]);
    } else {
      const width = head.kind === "gmf" ? f : head.kind === "mlp" ? hL : f + hL;
      headOffsets.hw = addDense(head.kernel, [width, 1]);
      headOffsets.hb = addDense(head.bias, [1]);
    }
    this.#params = params;
    this.#nDense = nDense;

    // Buffers.
    const plan = heap.alloc(PLAN_BYTES);
    this.#plan = plan;
    const ctl = heap.alloc(64);
    this.#ctl = ctl;
    this.#adaptive = adaptive && pool.threads > 1;
    this.#status = heap.alloc(64);
    this.#tables = spec.tables.map((t) => {
      const rows = t.side === "user" ? spec.nUsers : spec.nItems;
      const bytes = rows * t.dim * 4;
      const tb: TableBuffers = {
        spec: t,
        rows,
        data: heap.alloc(bytes),
        m: t.trainable ? heap.alloc(bytes) : 0,
        v: t.trainable ? heap.alloc(bytes) : 0,
        last: t.trainable ? heap.alloc(rows * 4) : 0,
        stamp: t.trainable ? heap.alloc(rows * 4) : 0,
        links: 0, // sized with the batch in #ensureBatch
        gsample: 0,
      };
      return tb;
    });
    this.#dense = heap.alloc(nDense * 4);
    this.#denseM = heap.alloc(nDense * 4);
    this.#denseV = heap.alloc(nDense * 4);

    // Scratch per thread (float offsets): p, dp, s, a0, then a_l / da_l per layer.
    let scr = 0;
    const take = (n: number) => {
      const at = scr;
      scr += Math.ceil(Math.max(n, 1) / 4) * 4 + 4;
      return at;
    };
    const scrP = take(f);
    const scrDp = take(f);
    const scrS = take(4);
    const acts: number[] = [take(in0)];
    const grads: number[] = [take(in0)];
    for (const l of layerInfo) {
      acts.push(take(l.out));
      grads.push(take(l.out));
    }
    this.#scratchFloats = Math.ceil(scr / 16) * 16;
    const scratch = heap.alloc(this.#scratchFloats * 4 * this.threads);

    // Write the plan.
    const dv = new DataView(heap.memory.buffer, plan, PLAN_BYTES);
    const seti = (off: number, v: number) => dv.setInt32(off, v, true);
    seti(P.CHUNK, chunk);
    seti(P.NTHREADS, this.threads);
    seti(P.FUSION, FUSION[head.kind]);
    seti(P.F, f);
    seti(P.GMF_UT, spec.gmf ? tableIndex.get(spec.gmf.user)! : -1);
    seti(P.GMF_IT, spec.gmf ? tableIndex.get(spec.gmf.item)! : -1);
    seti(P.NSEG, spec.mlp ? spec.mlp.inputs.length : 0);
    seti(P.NLAYERS, layerInfo.length);
    seti(P.DENSE, this.#dense);
    seti(P.NDENSE, nDense);
    seti(P.DM, this.#denseM);
    seti(P.DV, this.#denseV);
    seti(P.CTL, ctl);
    seti(P.STATUS, this.#status);
    seti(P.SCRATCH, scratch);
    seti(P.SCRSTRIDE, this.#scratchFloats * 4);
    seti(P.NTABLES, spec.tables.length);
    seti(P.IN0, in0);
    seti(P.HEAD_W, headOffsets.hw ?? 0);
    seti(P.HEAD_B, headOffsets.hb ?? 0);
    seti(P.G_W, headOffsets.gw ?? 0);
    seti(P.G_B, headOffsets.gb ?? 0);
    seti(P.M_W, headOffsets.mw ?? 0);
    seti(P.M_B, headOffsets.mb ?? 0);
    seti(P.F_W, headOffsets.fw ?? 0);
    seti(P.F_B, headOffsets.fb ?? 0);
    seti(P.SCR_P, scrP);
    seti(P.SCR_DP, scrDp);
    seti(P.SCR_S, scrS);
    seti(
      P.NEEDDX0,
      spec.mlp?.inputs.some((n) => spec.tables[tableIndex.get(n)!].trainable) ? 1 : 0,
    );
    seti(P.SPIN, spin);
    seti(P.SCR_A0, acts[0]);
    layerInfo.forEach((l, k) => {
      const o = P.LAYERS + k * LAYER_SIZE;
      seti(o, l.in);
      seti(o + 4, l.out);
      seti(o + 8, l.w);
      seti(o + 12, l.b);
      seti(o + 16, acts[k]);
      seti(o + 20, acts[k + 1]);
      seti(o + 24, grads[k]);
      seti(o + 28, grads[k + 1]);
    });
    let off = 0;
    (spec.mlp?.inputs ?? []).forEach((name, k) => {
      const t = tableIndex.get(name)!;
      const o = P.SEGS + k * SEG_SIZE;
      seti(o, t);
      seti(o + 4, spec.tables[t].dim);
      seti(o + 8, off); // float offset inside the input activation
      off += spec.tables[t].dim;
    });
    // Balance table updates across threads: heaviest tables first to the least loaded.
    const load = new Array(this.threads).fill(0);
    const owner = new Array(spec.tables.length).fill(0);
    [...spec.tables.keys()]
      .sort((a, b) => spec.tables[b].dim - spec.tables[a].dim)
      .forEach((k) => {
        const t = load.indexOf(Math.min(...load));
        owner[k] = t;
        load[t] += spec.tables[k].trainable ? spec.tables[k].dim : 0;
      });
    this.#tables.forEach((tb, k) => {
      const o = P.TABLES + k * TABLE_SIZE;
      seti(o, tb.data);
      seti(o + 4, tb.m);
      seti(o + 8, tb.v);
      seti(o + 12, tb.last);
      seti(o + 16, tb.stamp);
      seti(o + 28, tb.rows);
      seti(o + 32, tb.spec.dim);
      seti(o + 36, tb.spec.trainable ? 1 : 0);
      seti(o + 40, tb.spec.side === "user" ? 0 : 1);
      seti(o + 44, owner[k]);
    });
    this.#ensureBatch(256);
    this.setOptimizer(this.#optimizer);
  }

  /** Builds an engine for `spec` with its weights zeroed (set them with {@link setParams}). */
  static async create(spec: FusedNetSpec, opts: FusedOptions = {}): Promise<FusedNcf> {
    validateSpec(spec);
    const threads = opts.threads ?? Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
    if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
      throw new RangeError(`FusedNcf: threads must be an integer in [1, 64], got ${threads}`);
    }
    const chunk = opts.chunk ?? 32;
    const module = await ncfModule();
    const probe = await probeKernelModule<ProbeExports>(module);
    const version = probe.planVersion();
    if (version !== PLAN_VERSION) {
      throw new Error(
        `lib/kernels/wasm/ncf.wasm has plan version ${version}, expected ${PLAN_VERSION}: ` +
          "run `deno task build:wasm`",
      );
    }
    const base = probe.heapBase();
    const heap = new SharedHeap(base);
    const pool = await ThreadPool.create(module, heap, threads, FUNCTIONS);
    const engine = new FusedNcf(spec, heap, pool, chunk, opts.spin ?? 20000, opts.adaptive ?? true);
    if (opts.maxBatch) engine.#ensureBatch(opts.maxBatch);
    return engine;
  }

  /** Every parameter's name, shape and whether it trains. */
  get params(): readonly FusedParamInfo[] {
    return this.#params;
  }

  /** Adam steps taken so far. */
  get step(): number {
    return this.#i32(P.STEP);
  }

  /** Bytes of shared memory in use. */
  get memoryBytes(): number {
    return this.#heap.used;
  }

  /** Sets the optimiser (pending dense-Adam catch-up is applied first). */
  setOptimizer(opt: FusedOptimizer): void {
    this.#alive();
    for (const k of ["lr", "beta1", "beta2", "eps", "l2"] as const) {
      if (!Number.isFinite(opt[k]) || opt[k] < 0) {
        throw new RangeError(`optimizer.${k} must be a finite number >= 0, got ${opt[k]}`);
      }
    }
    if (!(opt.beta1 < 1 && opt.beta2 < 1)) throw new RangeError("optimizer betas must be < 1");
    if (this.step > 0) this.flush();
    this.#optimizer = { ...opt };
    this.#setI32(P.OPT, OPT[opt.kind]);
    this.#setI32(P.LAZY, opt.lazy ? 1 : 0);
    const dv = this.#view();
    dv.setFloat64(P.LR, opt.lr, true);
    dv.setFloat64(P.B1, opt.beta1, true);
    dv.setFloat64(P.B2, opt.beta2, true);
    dv.setFloat64(P.EPS, opt.eps, true);
    dv.setFloat64(P.L2, opt.l2, true);
    this.#accLen = 0; // the catch-up table depends on the betas: rebuild on next use
  }

  /** The current optimiser settings. */
  get optimizer(): FusedOptimizer {
    return { ...this.#optimizer };
  }

  /** Zeroes the optimiser state (moments, step counter), e.g. before a new training phase. */
  resetOptimizerState(): void {
    this.#alive();
    this.#setI32(P.STEP, 0);
    this.#heap.f32(this.#denseM, this.#nDense).fill(0);
    this.#heap.f32(this.#denseV, this.#nDense).fill(0);
    for (const tb of this.#tables) {
      if (!tb.spec.trainable) continue;
      const n = tb.rows * tb.spec.dim;
      this.#heap.f32(tb.m, n).fill(0);
      this.#heap.f32(tb.v, n).fill(0);
      this.#heap.i32(tb.last, tb.rows).fill(0);
      this.#heap.i32(tb.stamp, tb.rows).fill(0);
    }
  }

  /**
   * Copies parameter values in (any subset, by name). Shapes must match exactly.
   * Pending catch-up is applied first so that the new values are not moved by old momentum.
   */
  setParams(values: Record<string, Float32Array>): void {
    this.#alive();
    if (this.step > 0) this.flush();
    for (const [name, value] of Object.entries(values)) {
      const info = this.#params.find((p) => p.name === name);
      if (!info) {
        throw new Error(
          `FusedNcf.setParams: unknown parameter ${JSON.stringify(name)}; known: ${
            this.#params.map((p) => p.name).join(", ")
          }`,
        );
      }
      const size = info.shape.reduce((a, b) => a * b, 1);
      if (value.length !== size) {
        throw new Error(
          `FusedNcf.setParams: ${name} has ${value.length} values, expected ${size} ` +
            `(shape [${info.shape.join(", ")}])`,
        );
      }
      this.#view32(info).set(value);
    }
  }

  /** Copies of every parameter's values (dense-Adam catch-up applied first). */
  getParams(): Record<string, Float32Array> {
    this.#alive();
    this.flush();
    const out: Record<string, Float32Array> = {};
    for (const info of this.#params) out[info.name] = this.#view32(info).slice();
    return out;
  }

  /** Applies pending zero-gradient Adam steps to every table row (see the kernel). */
  flush(): void {
    this.#alive();
    if (this.#optimizer.kind !== "adam" || this.#optimizer.lazy) return;
    this.#ensureAcc(this.step + 1);
    this.#call(this.threads, "flushTables");
  }

  /**
   * Trains on the samples in order, `batchSize` per step. `onChunk` is called after every
   * `batchesPerCall` batches with the samples done so far and the loss sum; returning false
   * stops early.
   */
  train(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
    batchSize: number,
    opts: {
      batchesPerCall?: number;
      onChunk?: (samplesDone: number, lossSum: number) => boolean | void;
    } = {},
  ): FusedTrainResult {
    return this.#run(users, items, labels, batchSize, opts, false);
  }

  /**
   * Gradients of the mean BCE loss over all samples (one batch), without updating anything:
   * dense parameters and every row of trainable tables (zero for untouched rows). For tests
   * and gradient checks.
   */
  gradients(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
  ): { loss: number; grads: Record<string, Float32Array> } {
    this.#alive();
    const saved = this.#optimizer;
    const savedStep = this.step;
    this.flush();
    // Keep the Adam moments: copy them out, use the m buffers for gradients, restore.
    const backup = this.#tables.map((tb) =>
      tb.spec.trainable ? this.#heap.f32(tb.m, tb.rows * tb.spec.dim).slice() : null
    );
    const denseBackup = this.#heap.f32(this.#denseM, this.#nDense).slice();
    const stamps = this.#tables.map((tb) =>
      tb.spec.trainable ? this.#heap.i32(tb.stamp, tb.rows).slice() : null
    );
    this.#tables.forEach((tb) => {
      if (tb.spec.trainable) {
        this.#heap.f32(tb.m, tb.rows * tb.spec.dim).fill(0);
        this.#heap.i32(tb.stamp, tb.rows).fill(0);
      }
    });
    this.#setI32(P.OPT, OPT.grads);
    const res = this.#run(users, items, labels, users.length, {}, true);
    const grads: Record<string, Float32Array> = {};
    for (const info of this.#params) {
      if (!info.trainable) continue;
      if (info.table >= 0) {
        const tb = this.#tables[info.table];
        grads[info.name] = this.#heap.f32(tb.m, tb.rows * tb.spec.dim).slice();
      } else {
        const size = info.shape.reduce((a, b) => a * b, 1);
        grads[info.name] = this.#heap.f32(this.#denseM + info.offset * 4, size).slice();
      }
    }
    this.#tables.forEach((tb, k) => {
      if (tb.spec.trainable) {
        this.#heap.f32(tb.m, tb.rows * tb.spec.dim).set(backup[k]!);
        this.#heap.i32(tb.stamp, tb.rows).set(stamps[k]!);
      }
    });
    this.#heap.f32(this.#denseM, this.#nDense).set(denseBackup);
    this.#setI32(P.OPT, OPT[saved.kind]);
    this.#setI32(P.STEP, savedStep);
    return { loss: res.lossSum / users.length, grads };
  }

  /** Logits of the pairs (users[p], items[p]). */
  scorePairs(users: Int32Array, items: Int32Array, out?: Float32Array): Float32Array {
    this.#alive();
    const n = users.length;
    if (items.length !== n) {
      throw new Error(`scorePairs: ${n} users but ${items.length} items`);
    }
    checkIndices(users, this.spec.nUsers, "user");
    checkIndices(items, this.spec.nItems, "item");
    const result = out ?? new Float32Array(n);
    if (result.length !== n) throw new Error(`scorePairs: out has ${result.length} != ${n}`);
    this.flush();
    // Blocks of at most 1M pairs bound the buffer size.
    const block = 1 << 20;
    const cap = Math.min(n, block);
    const buf = this.#sampleBuffer(cap, 3);
    for (let s = 0; s < n; s += block) {
      const m = Math.min(block, n - s);
      this.#heap.i32(buf, m).set(users.subarray(s, s + m));
      this.#heap.i32(buf + cap * 4, m).set(items.subarray(s, s + m));
      this.#call(this.threads, "scorePairs", buf, buf + cap * 4, buf + cap * 8, m);
      result.set(this.#heap.f32(buf + cap * 8, m), s);
    }
    return result;
  }

  /** Stops the worker threads; the engine cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pool.dispose();
  }

  // -------------------------------------------------------------------------------------

  #run(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
    batchSize: number,
    opts: {
      batchesPerCall?: number;
      onChunk?: (samplesDone: number, lossSum: number) => boolean | void;
    },
    gradsOnly: boolean,
  ): FusedTrainResult {
    this.#alive();
    const n = users.length;
    if (items.length !== n || labels.length !== n) {
      throw new Error(
        `FusedNcf.train: users, items and labels differ in length (${n}, ${items.length}, ${labels.length})`,
      );
    }
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    }
    checkIndices(users, this.spec.nUsers, "user");
    checkIndices(items, this.spec.nItems, "item");
    this.#ensureBatch(batchSize);
    this.#setI32(P.BATCH, batchSize);
    const nBatches = Math.ceil(n / batchSize);
    if (!gradsOnly && this.#optimizer.kind === "adam" && !this.#optimizer.lazy) {
      this.#ensureAcc(this.step + nBatches + 1);
    }
    const buf = this.#sampleBuffer(n, 3);
    const uPtr = buf;
    const iPtr = buf + this.#samples.capacity * 4;
    const yPtr = buf + this.#samples.capacity * 8;
    this.#heap.i32(uPtr, n).set(users);
    this.#heap.i32(iPtr, n).set(items);
    this.#heap.f32(yPtr, n).set(labels);
    const status = () => this.#heap.f64(this.#status, 1);
    status()[0] = 0;
    const perCall = Math.max(1, opts.batchesPerCall ?? nBatches);
    let diverged = -1;
    let done = 0;
    for (let k = 0; k < nBatches; k += perCall) {
      const count = Math.min(perCall, nBatches - k);
      const active = gradsOnly ? this.threads : this.#chooseThreads();
      const t0 = performance.now();
      const r = this.#call(active, "trainBatches", uPtr, iPtr, yPtr, n, k, count);
      if (!gradsOnly) {
        const samples = Math.min(n, (k + count) * batchSize) - k * batchSize;
        this.#record(active, samples, (performance.now() - t0) / 1000);
      }
      if (r >= 0) {
        diverged = r;
        done = r * batchSize;
        break;
      }
      done = Math.min(n, (k + count) * batchSize);
      if (opts.onChunk && opts.onChunk(done, status()[0]) === false) break;
    }
    return { lossSum: status()[0], samples: done, divergedBatch: diverged };
  }

  /** How training calls were spread over thread counts so far. */
  get threadStats(): FusedThreadStats {
    return structuredClone(this.#stats);
  }

  /** Runs a kernel on `active` threads (plan and ticket counter set accordingly). */
  #call(active: number, name: string, ...args: number[]): number {
    this.#setI32(P.NTHREADS, active);
    new Int32Array(this.#heap.memory.buffer, this.#ctl, 4)[2] = 0; // ticket counter
    return this.#pool.runOn(active, name, this.#plan, ...args);
  }

  /**
   * Thread count for the next training call: all threads and 1 thread are each measured
   * once, then the faster is used, and the other is re-measured every 16th call.
   */
  #chooseThreads(): number {
    if (!this.#adaptive) return this.threads;
    const [one, all] = this.#rates;
    const call = this.#callCount++;
    if (Number.isNaN(all)) return this.threads;
    if (Number.isNaN(one)) return 1;
    const best = one > all ? 1 : this.threads;
    const other = best === 1 ? this.threads : 1;
    return call % 16 === 15 ? other : best;
  }

  #record(active: number, samples: number, seconds: number): void {
    const s = (this.#stats.calls[active] ??= { calls: 0, samples: 0, seconds: 0 });
    s.calls++;
    s.samples += samples;
    s.seconds += seconds;
    // Calls shorter than ~20 ms are too noisy to steer by.
    if (seconds < 0.02 || samples <= 0) return;
    const k = active === 1 ? 0 : 1;
    const rate = samples / seconds;
    this.#rates[k] = Number.isNaN(this.#rates[k]) ? rate : 0.5 * this.#rates[k] + 0.5 * rate;
  }

  /** Grows per-batch buffers (per-sample gradients, chunk partials) to `batch` samples. */
  #ensureBatch(batch: number): void {
    if (batch <= this.#maxBatch) return;
    const heap = this.#heap;
    const nChunks = Math.ceil(batch / this.#chunk);
    this.#dgrad = heap.alloc(nChunks * this.#nDense * 4);
    this.#lossP = heap.alloc(nChunks * 8);
    const dv = this.#view();
    this.#tables.forEach((tb, k) => {
      if (!tb.spec.trainable) return;
      tb.gsample = heap.alloc(batch * tb.spec.dim * 4);
      tb.links = heap.alloc((2 * tb.rows + batch) * 4);
      dv.setInt32(P.TABLES + k * TABLE_SIZE + 20, tb.links, true);
      dv.setInt32(P.TABLES + k * TABLE_SIZE + 24, tb.gsample, true);
    });
    const dv2 = this.#view();
    dv2.setInt32(P.DGRAD, this.#dgrad, true);
    dv2.setInt32(P.LOSSP, this.#lossP, true);
    this.#maxBatch = batch;
  }

  /**
   * The dense-Adam catch-up tables (see catchUpRow in asm/ncf.ts), f64, `len` entries each:
   * A[s] = sum_{s' > s} r^(s'-s) c_s' and B[s] = sum_{s' > s} (beta1/beta2)^(s'-s) c_s' d_s'
   * with r = beta1 / sqrt(beta2), c_s = sqrt(1 - beta2^s) / (1 - beta1^s),
   * d_s = sqrt(1 - beta2^s). Truncated at the end, which cancels exactly in the
   * differences the kernel takes. Followed by power tables of r, q, beta1 and beta2.
   */
  #ensureAcc(steps: number): void {
    if (this.#accLen > 0 && steps < this.#accLen - 1024) return;
    const len = Math.max(1 << 16, 2 ** Math.ceil(Math.log2(steps + 4096)));
    if (len > this.#accCapacity) {
      this.#acc = this.#heap.alloc((2 * len + 4 * POW_TABLE) * 8, 8);
      this.#accCapacity = len;
    }
    const { beta1, beta2 } = this.#optimizer;
    const r = beta1 / Math.sqrt(beta2);
    const q = beta1 / beta2;
    const a = this.#heap.f64(this.#acc, len);
    const b = this.#heap.f64(this.#acc + len * 8, len);
    a[len - 1] = 0;
    b[len - 1] = 0;
    for (let s = len - 2; s >= 0; s--) {
      const t = s + 1;
      const d = Math.sqrt(1 - beta2 ** t);
      const c = d / (1 - beta1 ** t);
      a[s] = r * (c + a[s + 1]);
      b[s] = q * (c * d + b[s + 1]);
    }
    // Power tables r^k, q^k, beta1^k, beta2^k for k < POW_TABLE (catch-up without pow()).
    const pw = this.#heap.f64(this.#acc + 2 * len * 8, 4 * POW_TABLE);
    for (let k = 0; k < POW_TABLE; k++) {
      pw[k] = r ** k;
      pw[POW_TABLE + k] = q ** k;
      pw[2 * POW_TABLE + k] = beta1 ** k;
      pw[3 * POW_TABLE + k] = beta2 ** k;
    }
    this.#accLen = len;
    const dv = this.#view();
    dv.setInt32(P.ACC, this.#acc, true);
    dv.setInt32(P.ACCLEN, len, true);
  }

  /** A buffer for `n` samples x `arrays` 4-byte arrays, reused when large enough. */
  #sampleBuffer(n: number, arrays: number): number {
    if (n > this.#samples.capacity) {
      const capacity = Math.max(n, Math.ceil(this.#samples.capacity * 1.5));
      this.#samples = { ptr: this.#heap.alloc(capacity * 4 * arrays), capacity };
    }
    return this.#samples.ptr;
  }

  #view32(info: FusedParamInfo): Float32Array {
    if (info.table >= 0) {
      const tb = this.#tables[info.table];
      return this.#heap.f32(tb.data, tb.rows * tb.spec.dim);
    }
    const size = info.shape.reduce((a, b) => a * b, 1);
    return this.#heap.f32(this.#dense + info.offset * 4, size);
  }

  #view(): DataView {
    return new DataView(this.#heap.memory.buffer, this.#plan, PLAN_BYTES);
  }

  #i32(off: number): number {
    return this.#view().getInt32(off, true);
  }

  #setI32(off: number, v: number): void {
    this.#view().setInt32(off, v, true);
  }

  #alive(): void {
    if (this.#disposed) throw new Error("FusedNcf: used after dispose()");
  }
}

function checkIndices(a: Int32Array, n: number, what: string): void {
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if (!(v >= 0 && v < n)) {
      throw new RangeError(`${what} index ${v} at position ${k} is outside [0, ${n})`);
    }
  }
}

/** Checks a spec for consistency; throws with the offending part named. */
export function validateSpec(spec: FusedNetSpec): void {
  const names = new Set<string>();
  if (!(Number.isInteger(spec.nUsers) && spec.nUsers > 0)) {
    throw new Error(`FusedNetSpec.nUsers must be a positive integer, got ${spec.nUsers}`);
  }
  if (!(Number.isInteger(spec.nItems) && spec.nItems > 0)) {
    throw new Error(`FusedNetSpec.nItems must be a positive integer, got ${spec.nItems}`);
  }
  if (spec.tables.length > MAX_TABLES) throw new Error(`at most ${MAX_TABLES} tables`);
  for (const t of spec.tables) {
    if (names.has(t.name)) throw new Error(`FusedNetSpec: duplicate table ${t.name}`);
    names.add(t.name);
    if (!(Number.isInteger(t.dim) && t.dim > 0)) {
      throw new Error(`FusedNetSpec: table ${t.name} has dim ${t.dim}`);
    }
  }
  const table = (n: string) => {
    const t = spec.tables.find((x) => x.name === n);
    if (!t) throw new Error(`FusedNetSpec: unknown table ${JSON.stringify(n)}`);
    return t;
  };
  const used = new Set<string>();
  const use = (n: string) => {
    if (used.has(n)) throw new Error(`FusedNetSpec: table ${n} is used twice`);
    used.add(n);
  };
  if (spec.gmf) {
    const u = table(spec.gmf.user);
    const i = table(spec.gmf.item);
    if (u.side !== "user" || i.side !== "item") {
      throw new Error("FusedNetSpec: gmf needs a user table and an item table");
    }
    if (u.dim !== i.dim) {
      throw new Error(`FusedNetSpec: gmf tables differ in dim (${u.dim} vs ${i.dim})`);
    }
    use(u.name);
    use(i.name);
  }
  if (spec.mlp) {
    if (spec.mlp.inputs.length === 0 || spec.mlp.inputs.length > MAX_SEGS) {
      throw new Error(`FusedNetSpec: mlp needs 1..${MAX_SEGS} inputs`);
    }
    if (spec.mlp.layers.length === 0 || spec.mlp.layers.length > MAX_LAYERS) {
      throw new Error(`FusedNetSpec: mlp needs 1..${MAX_LAYERS} layers`);
    }
    for (const n of spec.mlp.inputs) {
      table(n);
      use(n);
    }
    for (const l of spec.mlp.layers) {
      if (!(Number.isInteger(l.units) && l.units > 0)) {
        throw new Error(`FusedNetSpec: layer ${l.kernel} has ${l.units} units`);
      }
    }
  }
  const kind = spec.head.kind;
  if ((kind === "gmf" || kind === "hidden" || kind === "score") && !spec.gmf) {
    throw new Error(`FusedNetSpec: head ${kind} needs a gmf branch`);
  }
  if ((kind === "mlp" || kind === "hidden" || kind === "score") && !spec.mlp) {
    throw new Error(`FusedNetSpec: head ${kind} needs an mlp branch`);
  }
}
