/**
 * Loading the AssemblyScript kernels. `deno task build:wasm` compiles every
 * `lib/<module>/asm/<name>.ts` into the committed `lib/<module>/wasm/<name>.wasm` with one set
 * of flags (cli/build_wasm.ts): each kernel imports a shared memory `env.memory` of at least
 * {@link KERNEL_MIN_PAGES} pages (`--initialMemory 16`) and at most {@link WASM_MAX_PAGES}
 * (`--maximumMemory 65536`). The module that owns a kernel names its file; this file reads and
 * compiles it once per process and builds the memory and imports it is instantiated with.
 *
 * @module
 */

/** Bytes per wasm page. */
export const WASM_PAGE = 65536;

/** Pages every kernel declares as its initial memory (build flag `--initialMemory 16`). */
export const KERNEL_MIN_PAGES = 16;

/** Most pages of a wasm32 memory: 4 GiB (build flag `--maximumMemory 65536`). */
export const WASM_MAX_PAGES = 65536;

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * The compiled module at `url`, compiled once per process (later calls share the first
 * call's promise). A `file:` URL is read from disk, any other is fetched.
 *
 * @example
 * ```ts
 * const module = await compileWasm(new URL("./wasm/ncf.wasm", import.meta.url));
 * ```
 */
export function compileWasm(url: URL): Promise<WebAssembly.Module> {
  let m = compiled.get(url.href);
  if (!m) {
    m = (async () => {
      const bytes = url.protocol === "file:"
        ? await Deno.readFile(url)
        : new Uint8Array(await (await fetch(url)).arrayBuffer());
      return await WebAssembly.compile(bytes);
    })();
    compiled.set(url.href, m);
  }
  return m;
}

/** Pages that hold `bytes` bytes, and at least the kernels' {@link KERNEL_MIN_PAGES}. */
export function kernelPages(bytes: number): number {
  return Math.max(KERNEL_MIN_PAGES, Math.ceil(bytes / WASM_PAGE));
}

/**
 * A shared memory a kernel can import: `initial` pages (default {@link KERNEL_MIN_PAGES}),
 * growable up to `maximum` pages (default {@link WASM_MAX_PAGES}, 4 GiB).
 */
export function sharedKernelMemory(
  initial = KERNEL_MIN_PAGES,
  maximum = WASM_MAX_PAGES,
): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial, maximum, shared: true });
}

/**
 * The imports of a kernel: `memory`, and the `abort` AssemblyScript calls on a failed
 * assertion (the build passes `--noAssert`, so today no kernel imports it), which throws
 * naming `label` and the source position.
 */
export function kernelImports(
  memory: WebAssembly.Memory,
  label = "wasm kernel",
): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`${label} aborted at ${line}:${col}`);
      },
    },
  };
}

/** Instantiates `module` on `memory` (see {@link kernelImports}); returns its exports. */
export async function instantiateKernelModule<X>(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  label?: string,
): Promise<X> {
  const instance = await WebAssembly.instantiate(module, kernelImports(memory, label));
  return instance.exports as unknown as X;
}

/**
 * Exports of `module` instantiated on a fresh minimal memory: for reading what a kernel
 * reports about itself (its `heapBase()`, a version) before the real memory is sized.
 */
export function probeKernelModule<X>(module: WebAssembly.Module): Promise<X> {
  return instantiateKernelModule<X>(module, sharedKernelMemory());
}
