/**
 * Config file -> experiment plan in one call: read (JSONC), apply `--set` overrides,
 * validate, expand the sweep and seeds. Every ConfigError names the file (and the line of
 * the offending key when it can be found).
 *
 * @module
 */
import { applyOverrides, nameFromPath, readConfigFile, withSource } from "./config.ts";
import { planExperiment } from "./sweep.ts";
import type { ExperimentEnv, ExperimentPlan } from "./types.ts";

/** Options of {@link loadPlan}. */
export interface LoadPlanOptions {
  /** `--set key=value` overrides, applied in order. */
  sets?: string[];
  /** Replaces the config's seeds. */
  seeds?: number[];
}

/** Reads, overrides, validates and plans the experiment in config file `path`. */
export async function loadPlan(
  path: string,
  env: ExperimentEnv,
  opts: LoadPlanOptions = {},
): Promise<ExperimentPlan> {
  const { raw, text } = await readConfigFile(path);
  try {
    const overridden = applyOverrides(raw, opts.sets ?? [], env);
    return planExperiment(overridden, env, {
      defaultName: nameFromPath(path),
      source: path,
      seeds: opts.seeds,
    });
  } catch (err) {
    throw withSource(err, path, text);
  }
}
