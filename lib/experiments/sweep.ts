/**
 * Sweeps and run planning: grid and seeded random expansion over any config key, the
 * list of runs (seed-major, then sweep point, then model), stable readable run ids, and
 * deterministic sharding of the runs across processes or machines.
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { getPath, resolveConfig, setPath } from "./config.ts";
import { canonicalJson, contentHash } from "./hash.ts";
import type {
  ExperimentEnv,
  ExperimentPlan,
  PlannedRun,
  ResolvedExperiment,
  ResolvedModel,
  RunConfig,
  SweepConfig,
} from "./types.ts";

/** A random-mode range: uniform in [min, max], log-uniform with `log`, integers with `int`. */
interface RangeSpec {
  min: number;
  max: number;
  log?: boolean;
  int?: boolean;
}

function isRange(v: unknown): v is RangeSpec {
  return v !== null && typeof v === "object" && !Array.isArray(v) &&
    typeof (v as RangeSpec).min === "number" && typeof (v as RangeSpec).max === "number";
}

function checkSpec(key: string, spec: unknown, mode: SweepConfig["mode"]): void {
  const where = `sweep.params["${key}"]`;
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new ConfigError(`${where}: the list of values is empty`);
    return;
  }
  if (mode === "random" && isRange(spec)) {
    const extra = Object.keys(spec).filter((k) => !["min", "max", "log", "int"].includes(k));
    if (extra.length) {
      throw new ConfigError(`${where}.${extra[0]}: unknown key; a range has min, max, log, int`);
    }
    if (!(spec.min <= spec.max)) {
      throw new ConfigError(`${where}: min ${spec.min} > max ${spec.max}`);
    }
    if (spec.log && !(spec.min > 0)) {
      throw new ConfigError(`${where}: a log range needs min > 0, got ${spec.min}`);
    }
    return;
  }
  throw new ConfigError(
    `${where}: expected a list of values` +
      (mode === "random" ? ' or a range {"min", "max", "log", "int"}' : "") +
      `, got ${JSON.stringify(spec)}`,
  );
}

function draw(spec: unknown, rng: Rng): unknown {
  if (Array.isArray(spec)) return structuredClone(spec[rng.int(spec.length)]);
  const r = spec as RangeSpec;
  if (r.int) {
    if (r.log) {
      const v = Math.exp(Math.log(r.min) + rng.float() * (Math.log(r.max + 1) - Math.log(r.min)));
      return Math.min(r.max, Math.floor(v));
    }
    return Math.ceil(r.min) + rng.int(Math.floor(r.max) - Math.ceil(r.min) + 1);
  }
  const v = r.log
    ? Math.exp(Math.log(r.min) + rng.float() * (Math.log(r.max) - Math.log(r.min)))
    : r.min + rng.float() * (r.max - r.min);
  // Four significant digits keep ids and tables readable; the draw stays seeded.
  return Number(v.toPrecision(4));
}

/**
 * The points of a sweep, each a map config path -> value, in a fixed order: grid points
 * with the last key varying fastest; random points in draw order (duplicates dropped).
 * Without a sweep, one empty point.
 */
export function sweepPoints(sweep: SweepConfig | null): Record<string, unknown>[] {
  if (sweep === null) return [{}];
  const keys = Object.keys(sweep.params);
  if (keys.length === 0) throw new ConfigError(`sweep.params: no keys to sweep over`);
  for (const k of keys) checkSpec(k, sweep.params[k], sweep.mode);
  if (sweep.mode === "grid") {
    let points: Record<string, unknown>[] = [{}];
    for (const k of keys) {
      const values = sweep.params[k] as unknown[];
      points = points.flatMap((p) => values.map((v) => ({ ...p, [k]: structuredClone(v) })));
    }
    return points;
  }
  const rng = Rng.derive(sweep.seed, "sweep");
  const seen = new Set<string>();
  const points: Record<string, unknown>[] = [];
  // A small discrete space may hold fewer distinct points than asked for.
  for (let attempt = 0; points.length < sweep.samples && attempt < sweep.samples * 100; attempt++) {
    const p: Record<string, unknown> = {};
    for (const k of keys) p[k] = draw(sweep.params[k], rng);
    const key = canonicalJson(p);
    if (!seen.has(key)) {
      seen.add(key);
      points.push(p);
    }
  }
  return points;
}

/** True when the sweep key `path` can change the runs of `model`. */
function affects(path: string, model: ResolvedModel): boolean {
  const [head, second] = path.split(".");
  if (head === "model") return true;
  if (head === "models") return second === model.label;
  if (head === "train") return second in model.params;
  if (head === "embedding") return model.needsEmbedding;
  if (head === "table" || head === "name" || head === "description") return false;
  return true;
}

function formatValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(formatValue).join("-");
  return canonicalJson(v);
}

/** Short key names for ids and row labels: the last path segment, longer when ambiguous. */
function shortKeys(paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of paths) {
    const parts = p.split(".");
    let n = 1;
    const clash = () =>
      paths.some((q) => q !== p && q.split(".").slice(-n).join(".") === parts.slice(-n).join("."));
    while (n < parts.length && clash()) n++;
    out.set(p, parts.slice(-n).join("."));
  }
  return out;
}

function safeIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9._=+-]+/g, "_").replace(/_+/g, "_");
}

/** The run config of one (point, model, seed); its content decides the run id. */
function runConfigOf(
  exp: ResolvedExperiment,
  model: ResolvedModel,
  point: Record<string, unknown>,
  seed: number,
  shortNames: Map<string, string>,
): RunConfig {
  const relevant: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(point)) {
    if (affects(k, model)) relevant[k] = v;
  }
  const pointText = Object.entries(relevant).map(([k, v]) =>
    `${shortNames.get(k)}=${formatValue(v)}`
  )
    .join(",");
  const row = pointText ? `${model.label} (${pointText})` : model.label;
  const identity = {
    label: model.label,
    model: { type: model.type, params: model.params },
    data: exp.data,
    embedding: model.embedding,
    eval: exp.eval,
    seed,
  };
  const hash = contentHash(identity);
  let readable = safeIdPart(model.label);
  if (pointText) {
    readable += "__" + safeIdPart(
      Object.entries(relevant).map(([k, v]) => `${shortNames.get(k)}=${formatValue(v)}`).join("_"),
    );
  }
  if (readable.length > 100) readable = readable.slice(0, 100);
  const runId = `${readable}__s${seed}__${hash}`;
  return {
    experiment: exp.name,
    runId,
    row,
    label: model.label,
    point: relevant,
    seed,
    model: identity.model,
    data: exp.data,
    embedding: identity.embedding,
    eval: exp.eval,
  };
}

/** Options for {@link planExperiment}. */
export interface PlanOptions {
  /** Experiment name when the config has none (the file's stem). */
  defaultName?: string;
  /** The config file, recorded in the plan. */
  source?: string | null;
  /** Replaces the config's seeds (`--seeds`). */
  seeds?: number[];
}

/**
 * Resolves a raw config (after overrides) into the full list of runs: every sweep point
 * is applied to the raw config and validated again (errors name the point), then each
 * point x model x seed gives a run. Runs whose resolved config is the same (a model no
 * sweep key affects) are planned once.
 */
export function planExperiment(
  raw: Record<string, unknown>,
  env: ExperimentEnv,
  opts: PlanOptions = {},
): ExperimentPlan {
  const rawSeeded = opts.seeds ? { ...raw, seeds: opts.seeds } : raw;
  const base = resolveConfig(rawSeeded, env, opts.defaultName);
  const points = sweepPoints(base.sweep);
  const keys = Object.keys(points[0] ?? {});
  for (const k of keys) {
    const [head, label] = k.split(".");
    if (head === "models" && getPath(rawSeeded, `models.${label}`) === undefined) {
      throw new ConfigError(
        `sweep.params["${k}"]: no model labelled "${label}"; labels: ` +
          base.models.map((m) => m.label).join(", "),
      );
    }
    if (head === "sweep" || head === "seeds" || head === "name") {
      throw new ConfigError(`sweep.params["${k}"]: ${head} cannot be swept`);
    }
  }
  const shortNames = shortKeys(keys);
  const resolved = points.map((point, i) => {
    let r = rawSeeded;
    for (const [k, v] of Object.entries(point)) r = setPath(r, k, v);
    try {
      return resolveConfig(r, env, opts.defaultName);
    } catch (err) {
      if (err instanceof ConfigError) {
        const desc = Object.entries(point).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
        const e = new ConfigError(`sweep point ${i + 1} (${desc}): ${err.message}`);
        e.cause = err;
        throw e;
      }
      throw err;
    }
  });
  const runs: PlannedRun[] = [];
  const seen = new Set<string>();
  for (const seed of base.seeds) {
    for (let p = 0; p < points.length; p++) {
      for (const model of resolved[p].models) {
        if (model.seedless && seed !== base.seeds[0]) continue;
        const config = runConfigOf(resolved[p], model, points[p], seed, shortNames);
        if (seen.has(config.runId)) continue;
        seen.add(config.runId);
        runs.push({ id: config.runId, config });
      }
    }
  }
  return { name: base.name, source: opts.source ?? null, raw: rawSeeded, base, points, runs };
}

/** One shard of a sweep: `index` in [0, count). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses `--shard i/n` with 1-based `i` (as Slurm's `--array=1-n` gives), e.g. "2/4".
 * @throws ConfigError naming the text.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--shard ${text}: expected i/n, e.g. --shard 2/4`);
  const i = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) {
    throw new ConfigError(`--shard ${text}: need 1 <= i <= n (shards are numbered 1..n)`);
  }
  return { index: i - 1, count: n };
}

/**
 * The runs of one shard: run `k` of the plan's order goes to shard `k mod n`. Every run
 * is in exactly one shard, whatever the machine; shards differ in size by at most one.
 */
export function selectShard<T>(runs: readonly T[], shard: Shard | null | undefined): T[] {
  if (!shard || shard.count === 1) return [...runs];
  return runs.filter((_, k) => k % shard.count === shard.index);
}
