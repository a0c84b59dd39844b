/**
 * Shared utilities with no knowledge of recommenders: seeded random numbers, atomic file
 * writes, error types, progress display, environment facts and loading the wasm kernels.
 *
 * @module
 */
export { Rng } from "./rng.ts";
export { exists, readJson, writeFileAtomic, writeJsonAtomic } from "./fs.ts";
export { ConfigError, DataError, DivergenceError, lineError } from "./errors.ts";
export {
  defaultSink,
  formatDuration,
  formatProgress,
  JupyterSink,
  LineSink,
  Progress,
  type ProgressSink,
  type ProgressState,
  SilentSink,
  TerminalSink,
} from "./progress.ts";
export { type EnvironmentInfo, environmentInfo } from "./env.ts";
export {
  any,
  arr,
  bool,
  defaults,
  describeSchema,
  editDistance,
  type Field,
  type Infer,
  int,
  nearestKey,
  num,
  obj,
  oneOf,
  type Schema,
  str,
  validate,
  validateField,
} from "./schema.ts";
export {
  compileWasm,
  instantiateKernelModule,
  KERNEL_MIN_PAGES,
  kernelImports,
  kernelPages,
  probeKernelModule,
  sharedKernelMemory,
  WASM_MAX_PAGES,
  WASM_PAGE,
} from "./wasm.ts";
