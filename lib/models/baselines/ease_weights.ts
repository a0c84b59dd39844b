/**
 * EASE's item-item weights B (n x n float32) and full-row scoring of a batch of users,
 * `out[r, :] = Σ_{i ∈ I_r} B[i, :]`: in wasm memory with the SIMD kernel of
 * asm/ease_scores.ts, or in a plain Float32Array with the same loops in TypeScript. Both
 * add the user's items in ascending order with float32 adds (a float64 add rounded to
 * float32 is the correctly rounded float32 sum), so they and `EASE.scorePairs` agree
 * bit for bit.
 *
 * @module
 */
import type { UserItemIndex } from "../../data/types.ts";
import type { SpdBackend } from "./spd_workspace.ts";
import { ensureBytes, instantiateKernel, PAGE, sharedMemory } from "./wasm.ts";

interface ScoreKernel {
  scoreBatch(
    b: number,
    n: number,
    ptr: number,
    rowsOf: number,
    out: number,
    nb: number,
    block: number,
  ): void;
}

/** Columns per pass (the touched block of the batch's output stays in cache). */
const COLUMN_BLOCK = 512;
/** B starts above the kernel's own static area. */
const BASE = PAGE;

let warmed: Promise<void> | null = null;

/** A few tiny calls so that V8 optimises the kernel before the first real batch. */
function warmUp(): Promise<void> {
  warmed ??= (async () => {
    const memory = sharedMemory(0);
    const k = await instantiateKernel<ScoreKernel>("ease_scores", memory);
    const n = 64;
    const ptr = BASE + 4 * n * n;
    const rows = ptr + 4 * (n + 1);
    const view = new Int32Array(memory.buffer, ptr, n + 1 + n);
    for (let i = 0; i <= n; i++) view[i] = i; // item i -> row i
    for (let i = 0; i < n; i++) view[n + 1 + i] = i;
    for (let rep = 0; rep < 20; rep++) k.scoreBatch(BASE, n, ptr, rows, rows + 4 * n, n, 16);
  })();
  return warmed;
}

/** EASE weights plus batch scoring. */
export class EaseWeights {
  readonly n: number;
  /** B, row-major (source item i, target item j). Shape: [n * n]. */
  readonly weights: Float32Array;
  /** "wasm" or "js": who computes full score rows. */
  readonly backend: "wasm" | "js";
  readonly #memory: WebAssembly.Memory | null;
  readonly #kernel: ScoreKernel | null;

  private constructor(n: number, memory: WebAssembly.Memory | null, kernel: ScoreKernel | null) {
    this.n = n;
    this.#memory = memory;
    this.#kernel = kernel;
    this.backend = kernel ? "wasm" : "js";
    this.weights = memory ? new Float32Array(memory.buffer, BASE, n * n) : new Float32Array(n * n);
  }

  /** Zeroed weights for n items ("auto": wasm when it can be used, else TypeScript). */
  static async create(n: number, backend: SpdBackend = "auto"): Promise<EaseWeights> {
    if (backend === "js") return new EaseWeights(n, null, null);
    try {
      await warmUp();
      const memory = sharedMemory(BASE + 4 * n * n);
      const kernel = await instantiateKernel<ScoreKernel>("ease_scores", memory);
      return new EaseWeights(n, memory, kernel);
    } catch (err) {
      if (backend === "wasm") throw err;
      return new EaseWeights(n, null, null);
    }
  }

  /**
   * Writes the score rows of `users` into `out` (row b = user users[b], length n each).
   * `index` gives each user's training items, sorted ascending.
   */
  scoreBatch(index: UserItemIndex, users: Int32Array, out: Float32Array): void {
    const n = this.n;
    const nb = users.length;
    // Batch rows per item (CSR over items; rows ascending within an item).
    const ptr = new Int32Array(n + 1);
    for (let b = 0; b < nb; b++) {
      const u = users[b];
      for (let q = index.indptr[u]; q < index.indptr[u + 1]; q++) ptr[index.indices[q] + 1]++;
    }
    for (let i = 0; i < n; i++) ptr[i + 1] += ptr[i];
    const nnz = ptr[n];
    const k = this.#kernel;
    const memory = this.#memory;
    if (k && memory) {
      const ptrAt = BASE + 4 * n * n;
      const rowsAt = ptrAt + 4 * (n + 1);
      const outAt = rowsAt + 4 * nnz + 16;
      ensureBytes(memory, outAt + 4 * nb * n);
      const buf = memory.buffer;
      new Int32Array(buf, ptrAt, n + 1).set(ptr);
      fillRows(index, users, ptr, new Int32Array(buf, rowsAt, nnz));
      k.scoreBatch(BASE, n, ptrAt, rowsAt, outAt, nb, COLUMN_BLOCK);
      out.set(new Float32Array(buf, outAt, nb * n));
      return;
    }
    const rowsOf = new Int32Array(nnz);
    fillRows(index, users, ptr, rowsOf);
    const w = this.weights;
    out.fill(0, 0, nb * n);
    for (let j0 = 0; j0 < n; j0 += COLUMN_BLOCK) {
      const j1 = Math.min(n, j0 + COLUMN_BLOCK);
      for (let i = 0; i < n; i++) {
        const src = i * n;
        for (let q = ptr[i]; q < ptr[i + 1]; q++) {
          const dst = rowsOf[q] * n;
          for (let j = j0; j < j1; j++) out[dst + j] += w[src + j];
        }
      }
    }
  }
}

/** rowsOf[ptr[i] ..] = batch rows having item i, rows ascending. */
function fillRows(index: UserItemIndex, users: Int32Array, ptr: Int32Array, rowsOf: Int32Array) {
  const fill = ptr.slice(0, ptr.length - 1);
  for (let b = 0; b < users.length; b++) {
    const u = users[b];
    for (let q = index.indptr[u]; q < index.indptr[u + 1]; q++) {
      rowsOf[fill[index.indices[q]]++] = b;
    }
  }
}
