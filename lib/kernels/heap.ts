/**
 * A bump allocator over one shared `WebAssembly.Memory`: the kernels' weights, optimiser
 * state and scratch buffers live there, so every worker thread sees the same bytes.
 * Nothing is freed individually; a heap lives as long as its engine.
 *
 * @module
 */
import {
  KERNEL_MIN_PAGES,
  sharedKernelMemory,
  WASM_MAX_PAGES,
  WASM_PAGE as PAGE,
} from "../util/wasm.ts";

/** A growable shared memory with a bump allocator and typed views that survive growth. */
export class SharedHeap {
  /** The shared memory every thread imports. */
  readonly memory: WebAssembly.Memory;
  #top: number;

  /**
   * @param base first byte the allocator may hand out (above the module's static data).
   * @param initialPages initial size in 64 KiB pages.
   */
  constructor(base: number, initialPages = KERNEL_MIN_PAGES, maximumPages = WASM_MAX_PAGES) {
    this.memory = sharedKernelMemory(initialPages, maximumPages);
    this.#top = align(base, 64);
  }

  /** Bytes handed out so far (including the reserved base). */
  get used(): number {
    return this.#top;
  }

  /** Allocates `bytes` zeroed bytes aligned to `alignment` and returns the byte offset. */
  alloc(bytes: number, alignment = 64): number {
    const ptr = align(this.#top, alignment);
    const end = ptr + Math.max(bytes, 0);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4)));
      } catch {
        this.memory.grow(pages); // the generous step did not fit under the maximum
      }
    }
    this.#top = end;
    // Fresh pages are zero; bytes reused after a reset are not, so clear explicitly.
    new Uint8Array(this.memory.buffer, ptr, end - ptr).fill(0);
    return ptr;
  }

  /** A Float32Array view of `length` floats at byte offset `ptr` (valid until the next grow). */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  /** A Float64Array view. */
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }

  /** An Int32Array view. */
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }
}

/** Rounds `n` up to a multiple of `a` (a power of two). */
export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
