/**
 * Loading of this folder's wasm kernels, and the kernel of the SGD baselines (`wasm/mf_sgd.wasm`, built from
 * `asm/mf_sgd.ts` by `deno task build:wasm`): one call trains a whole epoch on f32
 * parameters held in the kernel's memory. The JavaScript steps in sgd.ts are the reference
 * it is tested against; this file only lays out the memory and moves parameters in and out.
 *
 * @module
 */
import {
  compileWasm,
  instantiateKernelModule,
  kernelPages,
  probeKernelModule,
  sharedKernelMemory,
} from "../../util/wasm.ts";

interface SgdKernelExports {
  heapBase(): number;
  logisticEpoch(
    stride: number,
    p: number,
    q: number,
    userBias: number,
    itemBias: number,
    globalBias: number,
    biasOn: number,
    records: number,
    count: number,
    lr: number,
    reg: number,
  ): number;
  bprEpoch(
    stride: number,
    p: number,
    q: number,
    itemBias: number,
    biasOn: number,
    records: number,
    count: number,
    neg: number,
    lr: number,
    reg: number,
  ): number;
}

/** A compiled kernel of this folder (`wasm/<name>.wasm`), loaded once per process. */
export function kernelModule(name: string): Promise<WebAssembly.Module> {
  return compileWasm(new URL(`./wasm/${name}.wasm`, import.meta.url));
}

/**
 * Instantiates a kernel with its own shared memory of at least `bytesAbove(heapBase)` bytes
 * (the build imports a shared memory of 16 initial and 65,536 maximum pages). The memory
 * never grows afterwards, so typed views on it stay valid.
 */
export async function instantiateKernel<X extends { heapBase(): number }>(
  name: string,
  bytesAbove: (heapBase: number) => number,
): Promise<{ exports: X; memory: WebAssembly.Memory }> {
  const module = await kernelModule(name);
  const probe = await probeKernelModule<X>(module);
  const memory = sharedKernelMemory(kernelPages(bytesAbove(probe.heapBase())));
  return { exports: await instantiateKernelModule<X>(module, memory), memory };
}

/** 64-byte aligned offsets for named buffers from `base`, and the end. */
export function layoutBuffers(
  base: number,
  sizes: [string, number][],
): { ptr: Record<string, number>; end: number } {
  const ptr: Record<string, number> = {};
  let top = Math.ceil(base / 64) * 64;
  for (const [name, bytes] of sizes) {
    ptr[name] = top;
    top = Math.ceil((top + bytes) / 64) * 64;
  }
  return { ptr, end: top };
}

/** Shapes of the buffers a kernel instance holds. */
export interface SgdKernelShape {
  nUsers: number;
  nItems: number;
  k: number;
  /** Sampled negatives per training pair (BPR records hold `2 + neg` ids). */
  neg: number;
  /** Example records per epoch (nPos·(1+neg) pointwise, nPos pairwise). */
  records: number;
  /** Ids per record: 2 pointwise, 2 + neg pairwise. */
  recordWidth: number;
}

/**
 * One kernel instance with its own memory. Typed views on that memory are handed out for
 * the caller to fill (the epoch's records) without copies; the memory never grows, so the
 * views stay valid.
 */
export class SgdKernel {
  readonly stride: number;
  /** User factors, rows of `stride` floats. */
  readonly p: Float32Array;
  /** Item factors, rows of `stride` floats. */
  readonly q: Float32Array;
  readonly userBias: Float32Array;
  readonly itemBias: Float32Array;
  readonly globalBias: Float32Array;
  /** The next epoch's example records, `recordWidth` ids each (see asm/mf_sgd.ts). */
  readonly records: Int32Array;
  readonly #x: SgdKernelExports;
  readonly #ptr: Record<string, number>;
  readonly #shape: SgdKernelShape;

  private constructor(x: SgdKernelExports, memory: WebAssembly.Memory, shape: SgdKernelShape) {
    this.#x = x;
    this.#shape = shape;
    this.stride = Math.ceil(shape.k / 4) * 4;
    const layout = SgdKernel.layout(x.heapBase(), shape);
    this.#ptr = layout.ptr;
    const buf = memory.buffer;
    const f32 = (name: string, n: number) => new Float32Array(buf, layout.ptr[name], n);
    const i32 = (name: string, n: number) => new Int32Array(buf, layout.ptr[name], n);
    this.p = f32("p", shape.nUsers * this.stride);
    this.q = f32("q", shape.nItems * this.stride);
    this.userBias = f32("userBias", shape.nUsers);
    this.itemBias = f32("itemBias", shape.nItems);
    this.globalBias = f32("globalBias", 1);
    this.records = i32("records", shape.records * shape.recordWidth);
  }

  /** Byte offsets of every buffer (64-byte aligned) and the bytes needed in all. */
  static layout(base: number, s: SgdKernelShape): { ptr: Record<string, number>; end: number } {
    const stride = Math.ceil(s.k / 4) * 4;
    return layoutBuffers(base, [
      ["p", s.nUsers * stride * 4],
      ["q", s.nItems * stride * 4],
      ["userBias", s.nUsers * 4],
      ["itemBias", s.nItems * 4],
      ["globalBias", 4],
      ["records", s.records * s.recordWidth * 4],
    ]);
  }

  /** Instantiates the kernel with a memory sized for `shape`. */
  static async create(shape: SgdKernelShape): Promise<SgdKernel> {
    const { exports, memory } = await instantiateKernel<SgdKernelExports>(
      "mf_sgd",
      (base) => SgdKernel.layout(base, shape).end,
    );
    return new SgdKernel(exports, memory, shape);
  }

  /** Copies row-major f64 factors (rows of k) into a kernel table (rows of stride). */
  load(dst: Float32Array, src: Float64Array): void {
    const { k } = this.#shape;
    const stride = this.stride;
    for (let r = 0, n = src.length / k; r < n; r++) {
      for (let f = 0; f < k; f++) dst[r * stride + f] = src[r * k + f];
    }
  }

  /** Copies a kernel table (rows of stride) back into row-major f64 factors (rows of k). */
  store(src: Float32Array, dst: Float64Array): void {
    const { k } = this.#shape;
    const stride = this.stride;
    for (let r = 0, n = dst.length / k; r < n; r++) {
      for (let f = 0; f < k; f++) dst[r * k + f] = src[r * stride + f];
    }
  }

  /** One logistic-MF epoch over `records` (see asm/mf_sgd.ts); returns the summed loss. */
  logisticEpoch(lr: number, reg: number, biasOn: number): number {
    const p = this.#ptr;
    const s = this.#shape;
    return this.#x.logisticEpoch(
      this.stride,
      p.p,
      p.q,
      p.userBias,
      p.itemBias,
      p.globalBias,
      biasOn,
      p.records,
      s.records,
      lr,
      reg,
    );
  }

  /** One BPR epoch over `records` (see asm/mf_sgd.ts); returns the summed loss. */
  bprEpoch(lr: number, reg: number, biasOn: number): number {
    const p = this.#ptr;
    const s = this.#shape;
    return this.#x.bprEpoch(
      this.stride,
      p.p,
      p.q,
      p.itemBias,
      biasOn,
      p.records,
      s.records,
      s.neg,
      lr,
      reg,
    );
  }
}
