/**
 * The wasm SIMD kernel of iALS's Cholesky half-sweep (`wasm/ials.wasm`, built from
 * `asm/ials.ts` by `deno task build:wasm`). The user and item factors live in the kernel's
 * memory and are handed out as Float64Array views, so the model scores straight from them.
 * `alsHalfStep` in ials.ts is the JavaScript reference it is tested against.
 *
 * @module
 */
import { DivergenceError } from "../../util/errors.ts";
import type { Csr } from "./sparse.ts";
import { instantiateKernel, layoutBuffers } from "./sgd_wasm.ts";

interface IalsKernelExports {
  heapBase(): number;
  halfStep(
    nRows: number,
    nCols: number,
    indptr: number,
    indices: number,
    y: number,
    x: number,
    k: number,
    alpha: number,
    lambda: number,
    g: number,
    a: number,
    t: number,
  ): number;
}

/** One kernel instance holding X, Y, both CSR forms and the per-row λ. */
export class IalsKernel {
  /** User factors (nUsers x k, row-major), a view on the kernel's memory. */
  readonly x: Float64Array;
  /** Item factors (nItems x k, row-major), a view on the kernel's memory. */
  readonly y: Float64Array;
  readonly #ex: IalsKernelExports;
  readonly #ptr: Record<string, number>;
  readonly #r: Csr;
  readonly #k: number;

  private constructor(
    ex: IalsKernelExports,
    memory: WebAssembly.Memory,
    ptr: Record<string, number>,
    r: Csr,
    rT: Csr,
    k: number,
    userLambda: Float64Array,
    itemLambda: Float64Array,
  ) {
    this.#ex = ex;
    this.#ptr = ptr;
    this.#r = r;
    this.#k = k;
    const buf = memory.buffer;
    this.x = new Float64Array(buf, ptr.x, r.nRows * k);
    this.y = new Float64Array(buf, ptr.y, r.nCols * k);
    new Int32Array(buf, ptr.rIndptr, r.nRows + 1).set(r.indptr);
    new Int32Array(buf, ptr.rIndices, r.indices.length).set(r.indices);
    new Int32Array(buf, ptr.tIndptr, rT.nRows + 1).set(rT.indptr);
    new Int32Array(buf, ptr.tIndices, rT.indices.length).set(rT.indices);
    new Float64Array(buf, ptr.userLambda, r.nRows).set(userLambda);
    new Float64Array(buf, ptr.itemLambda, rT.nRows).set(itemLambda);
  }

  /** Instantiates the kernel for the matrix `r` (users x items) and its transpose `rT`. */
  static async create(
    r: Csr,
    rT: Csr,
    k: number,
    userLambda: Float64Array,
    itemLambda: Float64Array,
  ): Promise<IalsKernel> {
    let maxLen = 1;
    for (const m of [r, rT]) {
      for (let i = 0; i < m.nRows; i++) maxLen = Math.max(maxLen, m.indptr[i + 1] - m.indptr[i]);
    }
    const sizes = (): [string, number][] => [
      ["x", r.nRows * k * 8],
      ["y", r.nCols * k * 8],
      ["rIndptr", (r.nRows + 1) * 4],
      ["rIndices", r.indices.length * 4],
      ["tIndptr", (rT.nRows + 1) * 4],
      ["tIndices", rT.indices.length * 4],
      ["userLambda", r.nRows * 8],
      ["itemLambda", rT.nRows * 8],
      ["g", k * k * 8],
      ["a", k * k * 8],
      ["t", maxLen * k * 8],
    ];
    let ptr: Record<string, number> = {};
    const { exports, memory } = await instantiateKernel<IalsKernelExports>("ials", (base) => {
      const l = layoutBuffers(base, sizes());
      ptr = l.ptr;
      return l.end;
    });
    return new IalsKernel(exports, memory, ptr, r, rT, k, userLambda, itemLambda);
  }

  /** Solves every user given the items (`users: true`) or every item given the users. */
  halfStep(users: boolean, alpha: number): void {
    const p = this.#ptr;
    const r = this.#r;
    const bad = users
      ? this.#ex.halfStep(
        r.nRows,
        r.nCols,
        p.rIndptr,
        p.rIndices,
        p.y,
        p.x,
        this.#k,
        alpha,
        p.userLambda,
        p.g,
        p.a,
        p.t,
      )
      : this.#ex.halfStep(
        r.nCols,
        r.nRows,
        p.tIndptr,
        p.tIndices,
        p.x,
        p.y,
        this.#k,
        alpha,
        p.itemLambda,
        p.g,
        p.a,
        p.t,
      );
    if (bad >= 0) {
      throw new DivergenceError(
        `iALS: the k x k system of ${users ? "user" : "item"} ${bad} is not positive ` +
          `definite; use reg > 0`,
      );
    }
  }
}
