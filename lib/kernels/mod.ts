/**
 * Low-level compute for the neural models: AssemblyScript wasm SIMD kernels
 * (`asm/*.ts`, compiled by `deno task build:wasm` into `wasm/*.wasm`) run on a pool of
 * threads sharing one `WebAssembly.Memory`. Imports only lib/util.
 *
 * - {@link FusedNcf}: GMF / MLP / NeuMF / DSER networks held in shared memory, trained by
 *   fused whole steps (forward + backward + Adam/SGD of a batch) and scored in batches.
 * - {@link ThreadPool}, {@link SharedHeap}: the threading and memory underneath.
 *
 * See docs/backends.md for the design and the measured speed.
 *
 * @module
 */
export {
  DEFAULT_FUSED_OPTIMIZER,
  type FusedHeadSpec,
  fusedKernelsAvailable,
  type FusedLayerSpec,
  FusedNcf,
  type FusedNetSpec,
  type FusedOptimizer,
  type FusedOptions,
  type FusedParamInfo,
  type FusedTableSpec,
  type FusedTrainResult,
  ncfModule,
  validateSpec,
} from "./ncf.ts";
export { ThreadPool } from "./pool.ts";
export { align, SharedHeap } from "./heap.ts";
