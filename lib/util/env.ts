/**
 * The environment a result was produced in, recorded beside every run so that numbers
 * can be traced to the software and machine that made them.
 *
 * @module
 */

/** Software and machine facts recorded with each run. */
export interface EnvironmentInfo {
  deno: string;
  v8: string;
  typescript: string;
  os: string;
  arch: string;
  /** Logical cores visible to the process. */
  cores: number;
  /** Total memory in bytes, or null when not readable. */
  memoryBytes: number | null;
  /** CPU model name, when readable. */
  cpu: string | null;
  /** Library versions and other facts added by the caller (tfjs, backend, polars, ...). */
  libraries: Record<string, string>;
  /** ISO time the record was made. */
  recordedAt: string;
}

/** Reads the environment; `libraries` adds caller-known versions (e.g. the tfjs backend). */
export function environmentInfo(libraries: Record<string, string> = {}): EnvironmentInfo {
  let memoryBytes: number | null = null;
  try {
    memoryBytes = Deno.systemMemoryInfo().total;
  } catch {
    memoryBytes = null;
  }
  let cpu: string | null = null;
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? null;
  } catch {
    cpu = null;
  }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cores: navigator.hardwareConcurrency,
    memoryBytes,
    cpu,
    libraries,
    recordedAt: new Date().toISOString(),
  };
}
