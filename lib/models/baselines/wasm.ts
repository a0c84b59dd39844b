/**
 * Loading the baselines' wasm kernels (built from `asm/<name>.ts` by `deno task build:wasm`
 * into `wasm/<name>.wasm`), each compiled once per process, instantiated on a shared
 * memory the caller owns.
 *
 * @module
 */
import {
  compileWasm,
  instantiateKernelModule,
  kernelPages,
  sharedKernelMemory,
  WASM_MAX_PAGES,
  WASM_PAGE,
} from "../../util/wasm.ts";

/** The compiled module `wasm/<name>.wasm` (compiled once per process). */
export function kernelModule(name: string): Promise<WebAssembly.Module> {
  return compileWasm(new URL(`./wasm/${name}.wasm`, import.meta.url));
}

/** Bytes per wasm page. */
export const PAGE = WASM_PAGE;

/** A shared memory of at least `bytes` bytes (and the modules' minimum), growable to 4 GiB. */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = kernelPages(bytes);
  if (pages > WASM_MAX_PAGES) {
    throw new RangeError(`${bytes} bytes do not fit in 4 GiB of wasm memory`);
  }
  return sharedKernelMemory(pages);
}

/** Grows `memory` so that it holds at least `bytes` bytes. */
export function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Instantiates kernel `name` on `memory`; returns its exports. */
export async function instantiateKernel<T>(name: string, memory: WebAssembly.Memory): Promise<T> {
  return instantiateKernelModule<T>(await kernelModule(name), memory, `${name}.wasm`);
}
