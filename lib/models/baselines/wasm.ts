/**
 * Loading the baselines' wasm kernels (built from `asm/<name>.ts` by `deno task build:wasm`
 * into `wasm/<name>.wasm`), each compiled once per process, instantiated on a shared
 * memory the caller owns.
 *
 * @module
 */

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The compiled module `wasm/<name>.wasm` (compiled once per process). */
export function kernelModule(name: string): Promise<WebAssembly.Module> {
  let m = compiled.get(name);
  if (!m) {
    m = (async () => {
      const url = new URL(`./wasm/${name}.wasm`, import.meta.url);
      const bytes = url.protocol === "file:"
        ? await Deno.readFile(url)
        : new Uint8Array(await (await fetch(url)).arrayBuffer());
      return await WebAssembly.compile(bytes);
    })();
    compiled.set(name, m);
  }
  return m;
}

/** Bytes per wasm page. */
export const PAGE = 65536;

/** Pages every kernel module declares as its initial memory (build flag --initialMemory 16). */
export const MIN_PAGES = 16;

/** A shared memory of at least `bytes` bytes (and the modules' minimum), growable to 4 GiB. */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(MIN_PAGES, Math.ceil(bytes / PAGE));
  if (pages > 65536) throw new RangeError(`${bytes} bytes do not fit in 4 GiB of wasm memory`);
  return new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
}

/** Grows `memory` so that it holds at least `bytes` bytes. */
export function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Instantiates kernel `name` on `memory`; returns its exports. */
export async function instantiateKernel<T>(name: string, memory: WebAssembly.Memory): Promise<T> {
  const instance = await WebAssembly.instantiate(await kernelModule(name), {
    env: {
      memory,
      abort(_m: number, _f: number, line: number, col: number) {
        throw new Error(`${name}.wasm aborted at ${line}:${col}`);
      },
    },
  });
  return instance.exports as unknown as T;
}
