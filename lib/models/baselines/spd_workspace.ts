/**
 * Where EASE builds and inverts its Gram matrix: in wasm memory, inverted by the SIMD
 * kernels of asm/spd_inverse.ts (about 3-4x faster than the TypeScript loops), or in a
 * plain Float64Array inverted by {@link spdInverseInPlace} when wasm cannot be used.
 * Both run the same blocked algorithm; the wasm one is bit-identical across machines (no
 * fused multiply-add).
 *
 * @module
 */
import {
  NotPositiveDefiniteError,
  spdInverseInPlace,
  type SpdInverseOptions,
} from "./spd_inverse.ts";
import { instantiateKernel, PAGE, sharedMemory } from "./wasm.ts";

/** Which implementation inverts: "auto" prefers wasm and falls back to TypeScript. */
export type SpdBackend = "auto" | "wasm" | "js";

interface Kernels {
  cholesky(a: number, n: number, nb: number, ldiag: number): number;
  failedPivotValue(): number;
  triangularInverse(a: number, n: number, nb: number, ldiag: number): void;
  product(a: number, n: number, nb: number, pdiag: number): void;
}

function instantiate(memory: WebAssembly.Memory): Promise<Kernels> {
  return instantiateKernel<Kernels>("spd_inverse", memory);
}

let warmed: Promise<void> | null = null;

/**
 * V8 first runs wasm in its baseline compiler and optimises a function only for later
 * calls (no on-stack replacement), so one long call would run unoptimised throughout:
 * a few small inversions first (about 30 ms) get the kernels optimised. Measured at
 * n = 2000: 1.9 s cold, 1.1-1.2 s after the warm-up.
 */
function warmUp(): Promise<void> {
  warmed ??= (async () => {
    const n = 200;
    const memory = sharedMemory(0);
    const k = await instantiate(memory);
    const a = new Float64Array(memory.buffer, PAGE, n * n);
    for (let rep = 0; rep < 5; rep++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) a[i * n + j] = Math.cos(i + 2 * j);
        a[i * n + i] = n;
      }
      const ldiag = PAGE + 8 * n * n;
      k.cholesky(PAGE, n, 16, ldiag);
      k.triangularInverse(PAGE, n, 16, ldiag);
      k.product(PAGE, n, 16, ldiag + 8 * n);
    }
  })();
  return warmed;
}

/** The matrix starts above the module's own (tiny) static area. */
const BASE = PAGE;

/** An n x n row-major matrix to fill (lower triangle) and invert in place. */
export class SpdWorkspace {
  /** The matrix, row-major, shape [n * n]; fill its lower triangle before {@link invert}. */
  readonly matrix: Float64Array;
  /** "wasm" or "js": which implementation {@link invert} uses. */
  readonly backend: "wasm" | "js";
  readonly n: number;
  readonly #kernels: Kernels | null;

  private constructor(n: number, kernels: Kernels | null, memory: WebAssembly.Memory | null) {
    this.n = n;
    this.#kernels = kernels;
    this.backend = kernels ? "wasm" : "js";
    this.matrix = memory ? new Float64Array(memory.buffer, BASE, n * n) : new Float64Array(n * n);
  }

  /**
   * A zeroed workspace for an n x n matrix. With `backend: "auto"` a wasm failure (no
   * shared memory, missing binary, matrix over 4 GiB) falls back to TypeScript;
   * `"wasm"` rethrows it.
   */
  static async create(n: number, backend: SpdBackend = "auto"): Promise<SpdWorkspace> {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`SpdWorkspace: n must be >= 1, got ${n}`);
    }
    if (backend === "js") return new SpdWorkspace(n, null, null);
    try {
      const bytes = BASE + 8 * n * n + 16 * n + 64;
      await warmUp();
      const memory = sharedMemory(bytes);
      return new SpdWorkspace(n, await instantiate(memory), memory);
    } catch (err) {
      if (backend === "wasm") throw err;
      return new SpdWorkspace(n, null, null);
    }
  }

  /**
   * Replaces the matrix (symmetric positive definite; lower triangle read) by its inverse.
   * @throws NotPositiveDefiniteError naming the pivot
   */
  invert(opts: SpdInverseOptions = {}): void {
    const n = this.n;
    const k = this.#kernels;
    if (!k) {
      spdInverseInPlace(this.matrix, n, opts);
      return;
    }
    const nb = Math.max(1, Math.floor(opts.block ?? 96));
    const ldiag = BASE + 8 * n * n;
    const pdiag = ldiag + 8 * n;
    let t = performance.now();
    const done = (phase: "cholesky" | "triangular-inverse" | "product") => {
      const now = performance.now();
      opts.onPhase?.(phase, (now - t) / 1000);
      t = now;
    };
    const failed = k.cholesky(BASE, n, nb, ldiag);
    if (failed >= 0) {
      throw new NotPositiveDefiniteError(
        `matrix is not positive definite: pivot ${failed} is ${k.failedPivotValue()} ` +
          `(increase the regularisation)`,
      );
    }
    done("cholesky");
    k.triangularInverse(BASE, n, nb, ldiag);
    done("triangular-inverse");
    k.product(BASE, n, nb, pdiag);
    done("product");
  }
}
