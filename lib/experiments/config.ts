/**
 * The experiment config: one schema, defined here once, for every file in `experiments/`.
 *
 * ```jsonc
 * {
 *   "name": "ncf_comparison",                 // results/<name>/ (default: the file's stem)
 *   "data": { "dataset": "ml-100k", ... },    // dataset, preprocessing, split (lib/data schema)
 *   "embedding": { "dm": 1, ... },            // Doc2Vec + documents (lib/embedding schema), or null
 *   "train": { "epochs": 20 },                // defaults for every model that has these keys
 *   "models": {                               // label -> { "type": registry name, ...params }
 *     "GMF": { "factors": 8 },
 *     "NeuMF-pre": { "type": "NeuMF", "pretrain": true }
 *   },
 *   "eval": { "metrics": ["HR", "NDCG"], "ks": [10], "sampled": true, "negatives": 99, "full": true },
 *   "seeds": [1, 2, 3],
 *   "sweep": { "mode": "grid", "params": { "models.GMF.lr": [0.0005, 0.001] } },
 *   "table": { "baseline": "NeuMF", "test": "t" }
 * }
 * ```
 *
 * A single-model config may say `"model": { "type": "NeuMF", "lr": 0.001 }` instead of
 * `models`; its label is its type and overrides read `--set model.lr=0.01`.
 *
 * Resolution order (RecBole's merge order, made explicit): schema defaults <- the `train`
 * section <- the model's own entry <- `--set` overrides <- the sweep point.
 *
 * @module
 */
import { basename, dirname, extname, resolve } from "node:path";
import { ConfigError } from "../util/errors.ts";
import {
  any,
  arr,
  bool,
  type Field,
  int,
  nearestKey,
  num,
  obj,
  oneOf,
  type Schema,
  str,
  validate,
  validateField,
} from "../util/schema.ts";
import { lineOfKey, parseJsonc } from "./jsonc.ts";
import type {
  EvalConfig,
  ExperimentEnv,
  ResolvedExperiment,
  ResolvedModel,
  SweepConfig,
  TableConfig,
} from "./types.ts";

/** Schema of the `eval` section. */
export const evalSchema = {
  metrics: arr<string>(str(), {
    default: ["HR", "NDCG"],
    minLength: 1,
    doc: "metric names from lib/eval: HR, NDCG, MRR, Recall, Precision, MAP, AUC",
  }),
  ks: arr<number>(int({ min: 1 }), { default: [10], minLength: 1, doc: "cut-offs K" }),
  sampled: bool({ default: true, doc: "rank each test item among sampled negatives" }),
  negatives: int({
    default: 99,
    min: 1,
    doc: "sampled negatives per test item (NCF: 99; the seed notebook: 19)",
  }),
  full: bool({ default: true, doc: "full ranking over every item not trained on" }),
} satisfies Schema;

/** Schema of the `table` section. */
export const tableSchema = {
  baseline: str({
    nullable: true,
    default: null as unknown as string,
    doc: "model label significance is tested against (null: no tests)",
  }),
  test: oneOf(["t", "wilcoxon"] as const, {
    default: "t",
    doc: "paired test over per-user values: t-test or Wilcoxon signed-rank",
  }),
  alpha: num({
    default: 0.05,
    min: 0,
    max: 1,
    exclusiveMin: true,
    exclusiveMax: true,
    doc: "significance level after Holm correction over every comparison in the table",
  }),
  precision: int({ default: 4, min: 1, max: 8, doc: "decimals shown" }),
  columns: arr<string>(str(), {
    nullable: true,
    default: null as unknown as string[],
    doc: 'metric columns shown, e.g. ["sampled:HR@10", "full:HR@10"] (null: all)',
  }),
  select: str({
    default: "NDCG@10",
    doc: "sweeps: validation metric (sampled protocol) that picks each model's sweep point " +
      "for tables/selected.*",
  }),
} satisfies Schema;

/** Schema of the `sweep` section. */
export const sweepSchema = {
  mode: oneOf(["grid", "random"] as const, {
    default: "grid",
    doc: "grid: every combination; random: `samples` seeded draws",
  }),
  params: any({
    doc: 'config key path -> list of values, or (random) {"min", "max", "log", "int"}',
  }),
  samples: int({ default: 10, min: 1, doc: "random mode: points drawn" }),
  seed: int({ default: 0, min: 0, doc: "random mode: seed of the draw" }),
} satisfies Schema;

/** The whole experiment schema, with the data and embedding sections from `env`. */
export function experimentSchema(env: Pick<ExperimentEnv, "dataSchema" | "embeddingSchema">) {
  return {
    name: str({
      default: "",
      pattern: /^$|^[A-Za-z0-9._-]+$/,
      doc: "experiment name, the folder results/<name>/ (default: the config file's stem)",
    }),
    description: str({ default: "", doc: "one line shown above tables" }),
    extends: any({
      nullable: true,
      default: null,
      doc: "config file(s) this one starts from (relative path or list), deep-merged",
    }),
    data: obj(env.dataSchema, { doc: "dataset, preprocessing and split" }),
    embedding: obj(env.embeddingSchema, {
      nullable: true,
      default: null as unknown as Record<string, unknown>,
      doc: "Doc2Vec settings and documents; null when no model uses them",
    }),
    model: any({
      nullable: true,
      default: null,
      doc: 'one model: {"type": name, ...params} (use either model or models)',
    }),
    models: any({
      nullable: true,
      default: null,
      doc: 'several models: label -> {"type": name (default: the label), ...params}',
    }),
    train: any({
      default: {},
      doc: "training defaults applied to every model whose schema has the key",
    }),
    eval: obj(evalSchema, { doc: "evaluation protocol" }),
    seeds: arr<number>(int({ min: 0 }), {
      default: [1],
      minLength: 1,
      doc: "seeds; every model and sweep point runs once per seed",
    }),
    sweep: obj(sweepSchema, {
      nullable: true,
      default: null as unknown as Record<string, unknown>,
      doc: "hyperparameter sweep (null: none)",
    }),
    table: obj(tableSchema, { doc: "generated tables" }),
  } satisfies Schema;
}

/**
 * Reads a config file (JSON or JSONC); errors name the file, line and column.
 *
 * `"extends": "other.jsonc"` (a path relative to the file, or a list of them) starts from
 * those configs, deep-merged in order, and merges this file over them: objects merge key
 * by key, anything else (lists, numbers, null) replaces. `name` is never inherited.
 */
export async function readConfigFile(
  path: string,
  seen: string[] = [],
): Promise<{ raw: Record<string, unknown>; text: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(
        `config file not found: ${path}` +
          (seen.length
            ? ` (extended by ${seen[seen.length - 1]})`
            : " (configs live in experiments/)"),
      );
    }
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`);
  }
  const parsed = parseJsonc(text, path);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: expected a JSON object at the top level`);
  }
  const { extends: bases, ...own } = parsed as Record<string, unknown>;
  if (bases === undefined || bases === null) return { raw: own, text };
  const list = Array.isArray(bases) ? bases : [bases];
  let merged: Record<string, unknown> = {};
  for (const b of list) {
    if (typeof b !== "string") {
      throw new ConfigError(
        `${path}: extends: expected a file path or a list of them, got ${JSON.stringify(b)}`,
      );
    }
    const basePath = resolve(dirname(path), b);
    if (seen.includes(basePath) || basePath === resolve(path)) {
      throw new ConfigError(`${path}: extends: ${b} extends itself (cycle)`);
    }
    const base = await readConfigFile(basePath, [...seen, resolve(path)]);
    const { name: _name, ...inherited } = base.raw;
    merged = deepMerge(merged, inherited) as Record<string, unknown>;
  }
  return { raw: deepMerge(merged, own) as Record<string, unknown>, text };
}

/** The experiment name a config file gives when it has no "name": its stem. */
export function nameFromPath(path: string): string {
  return basename(path, extname(path));
}

/** Reads the value at a dotted path ("models.NeuMF.lr"), or undefined. */
export function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Returns a deep copy of `obj` with `path` set to `value` (intermediate objects created). */
export function setPath(
  obj: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const out = structuredClone(obj);
  const parts = path.split(".");
  if (parts.some((p) => p.length === 0)) throw new ConfigError(`bad key path "${path}"`);
  let cur: Record<string, unknown> = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next === null || next === undefined || typeof next !== "object" || Array.isArray(next)) {
      if (next !== undefined && next !== null) {
        throw new ConfigError(
          `${parts.slice(0, i + 1).join(".")}: is ${JSON.stringify(next)}, not an object; ` +
            `cannot set ${path}`,
        );
      }
      cur[parts[i]] = {};
    }
    cur = cur[parts[i]] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep merge of plain objects: `over` wins; arrays and scalars are replaced. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}

/** Normalises `model` / `models` into [label, type, params] in config order. */
interface ModelSpec {
  label: string;
  type: string;
  params: Record<string, unknown>;
  /** The model's own `embedding` block, merged over the experiment's section. */
  embedding: Record<string, unknown> | undefined;
  where: string;
}

function embeddingOverride(v: unknown, where: string): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  if (!isPlainObject(v)) {
    throw new ConfigError(`${where}.embedding: expected an object, got ${JSON.stringify(v)}`);
  }
  return v;
}

function modelSpecs(raw: Record<string, unknown>): ModelSpec[] {
  const single = raw.model;
  const many = raw.models;
  if (single != null && many != null) {
    throw new ConfigError(`model and models: use one of them, not both`);
  }
  if (single == null && many == null) {
    throw new ConfigError(`models: required; give "models" (label -> spec) or "model" (one spec)`);
  }
  if (single != null) {
    if (!isPlainObject(single)) {
      throw new ConfigError(
        `model: expected an object {"type": ..., ...params}, got ${JSON.stringify(single)}`,
      );
    }
    const { type, embedding, ...params } = single;
    if (typeof type !== "string") {
      throw new ConfigError(`model.type: required model name, got ${JSON.stringify(type)}`);
    }
    return [{
      label: type,
      type,
      params,
      embedding: embeddingOverride(embedding, "model"),
      where: "model",
    }];
  }
  if (!isPlainObject(many)) {
    throw new ConfigError(`models: expected an object label -> spec, got ${JSON.stringify(many)}`);
  }
  const out = [];
  for (const [label, spec] of Object.entries(many)) {
    const where = `models.${label}`;
    if (!/^[A-Za-z0-9._+-]+$/.test(label)) {
      throw new ConfigError(`${where}: a label may use only letters, digits and . _ + -`);
    }
    if (!isPlainObject(spec)) {
      throw new ConfigError(
        `${where}: expected an object of parameters, got ${JSON.stringify(spec)}`,
      );
    }
    const { type = label, embedding, ...params } = spec;
    if (typeof type !== "string") {
      throw new ConfigError(`${where}.type: expected a model name, got ${JSON.stringify(type)}`);
    }
    out.push({ label, type, params, embedding: embeddingOverride(embedding, where), where });
  }
  if (out.length === 0) throw new ConfigError(`models: at least one model is needed`);
  return out;
}

function resolveModels(
  raw: Record<string, unknown>,
  env: ExperimentEnv,
  embedding: Record<string, unknown> | null,
): ResolvedModel[] {
  const train = raw.train ?? {};
  if (!isPlainObject(train)) {
    throw new ConfigError(`train: expected an object, got ${JSON.stringify(train)}`);
  }
  const used = new Set<string>();
  const known = new Set<string>();
  const models: ResolvedModel[] = [];
  for (const spec of modelSpecs(raw)) {
    const entry = env.models.get(spec.type, spec.where + (spec.where === "model" ? ".type" : ""));
    const merged: Record<string, unknown> = {};
    for (const key of Object.keys(entry.schema)) known.add(key);
    for (const [k, v] of Object.entries(train)) {
      if (k in entry.schema) {
        merged[k] = structuredClone(v);
        used.add(k);
      }
    }
    for (const [k, v] of Object.entries(spec.params)) merged[k] = deepMerge(merged[k], v);
    const params = validate(entry.schema, merged, spec.where) as Record<string, unknown>;
    const needs = typeof entry.needsEmbedding === "function"
      ? entry.needsEmbedding(params)
      : entry.needsEmbedding === true;
    let own: Record<string, unknown> | null = null;
    if (spec.embedding !== undefined) {
      if (!needs) {
        throw new ConfigError(
          `${spec.where}.embedding: model ${spec.type} uses no Doc2Vec vectors; remove the block`,
        );
      }
      own = validate(
        env.embeddingSchema,
        deepMerge(embedding ?? {}, spec.embedding) as Record<string, unknown>,
        `${spec.where}.embedding`,
      );
      try {
        env.checkEmbedding?.(own);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        throw new ConfigError(
          err.message.replace(/^embedding/, `${spec.where}.embedding`),
          { cause: err },
        );
      }
    } else if (needs) {
      if (embedding === null) {
        throw new ConfigError(
          `${spec.where}: model ${spec.type} uses Doc2Vec vectors; add an "embedding" section ` +
            `({} takes the defaults) or an "embedding" block in the model`,
        );
      }
      own = embedding;
    }
    models.push({
      label: spec.label,
      type: spec.type,
      params,
      needsEmbedding: needs,
      seedless: entry.seedless === true,
      embedding: own,
    });
  }
  for (const k of Object.keys(train)) {
    if (!used.has(k)) {
      const near = nearestKey(k, [...known]);
      throw new ConfigError(
        `train.${k}: no model in this experiment has a parameter "${k}"` +
          (near ? ` (did you mean ${JSON.stringify(near)}?)` : ""),
      );
    }
  }
  const labels = new Set<string>();
  for (const m of models) {
    if (labels.has(m.label)) throw new ConfigError(`models.${m.label}: label used twice`);
    labels.add(m.label);
  }
  return models;
}

/** Validates a raw config (after overrides and a sweep point) into a resolved experiment. */
export function resolveConfig(
  raw: Record<string, unknown>,
  env: ExperimentEnv,
  defaultName = "experiment",
): ResolvedExperiment {
  const top = validate(experimentSchema(env), raw);
  const embedding = top.embedding as Record<string, unknown> | null;
  if (embedding !== null) env.checkEmbedding?.(embedding);
  const models = resolveModels(raw, env, embedding);
  const evalConfig = top.eval as unknown as EvalConfig;
  env.checkEval?.(evalConfig);
  if (!evalConfig.sampled && !evalConfig.full) {
    throw new ConfigError(`eval: at least one of eval.sampled and eval.full must be true`);
  }
  const table = top.table as unknown as TableConfig;
  if (table.baseline !== null && !models.some((m) => m.label === table.baseline)) {
    const near = nearestKey(table.baseline, models.map((m) => m.label));
    throw new ConfigError(
      `table.baseline: no model labelled ${JSON.stringify(table.baseline)}` +
        (near ? ` (did you mean ${JSON.stringify(near)}?)` : "") +
        `; labels: ${models.map((m) => m.label).join(", ")}`,
    );
  }
  const seeds = top.seeds as number[];
  if (new Set(seeds).size !== seeds.length) throw new ConfigError(`seeds: a seed is listed twice`);
  const sweep = top.sweep as unknown as SweepConfig | null;
  if (sweep !== null && !isPlainObject(sweep.params)) {
    throw new ConfigError(`sweep.params: expected an object key path -> values`);
  }
  return {
    name: (top.name as string) || defaultName,
    description: top.description as string,
    data: top.data as Record<string, unknown>,
    embedding,
    models,
    eval: evalConfig,
    seeds,
    sweep,
    table,
  };
}

/**
 * Prefixes a ConfigError with the config file and, when the offending key can be found
 * in the file's text, its line: `experiments/x.json:12: models.NeuMF.lrr: unknown key ...`.
 */
export function withSource(err: unknown, source: string | null, text?: string): unknown {
  if (!(err instanceof ConfigError) || source === null) return err;
  if (err.message.startsWith(source)) return err;
  const path = /^([A-Za-z0-9_.+\-[\]]+):/.exec(err.message)?.[1];
  const key = path?.replace(/\[\d+\]$/, "").split(".").pop();
  const line = text && key ? lineOfKey(text, key) : undefined;
  const e = new ConfigError(`${source}${line ? `:${line}` : ""}: ${err.message}`);
  e.cause = err;
  return e;
}

/**
 * The schema field at a config key path, used to type `--set` values: `data.*` and
 * `embedding.*` from the module schemas, `model.*` / `models.<label>.*` from the model's
 * own schema, `train.*` from the first model that has the key. Undefined when unknown
 * (validation then reports the key with its nearest neighbour).
 */
export function fieldAtPath(
  env: ExperimentEnv,
  raw: Record<string, unknown>,
  path: string,
): Field | undefined {
  const parts = path.split(".");
  const top = experimentSchema(env) as Schema;
  const walk = (field: Field | undefined, rest: string[]): Field | undefined => {
    for (const p of rest) {
      if (!field || field.kind !== "object") return undefined;
      field = field.fields[p];
    }
    return field;
  };
  const modelSchema = (type: unknown): Schema | undefined => {
    if (typeof type !== "string") return undefined;
    try {
      return env.models.get(type, "").schema;
    } catch {
      return undefined;
    }
  };
  const [head, ...rest] = parts;
  if (head === "model" && rest.length >= 1) {
    if (rest[0] === "type") return str();
    if (rest[0] === "embedding") return walk(obj(env.embeddingSchema), rest.slice(1));
    const schema = modelSchema(getPath(raw, "model.type"));
    return schema ? walk(obj(schema), rest) : undefined;
  }
  if (head === "models" && rest.length >= 2) {
    const label = rest[0];
    if (rest[1] === "type") return str();
    if (rest[1] === "embedding") return walk(obj(env.embeddingSchema), rest.slice(2));
    const spec = getPath(raw, `models.${label}`);
    const type = isPlainObject(spec) && typeof spec.type === "string" ? spec.type : label;
    const schema = modelSchema(type);
    return schema ? walk(obj(schema), rest.slice(1)) : undefined;
  }
  if (head === "train" && rest.length >= 1) {
    for (
      const spec of (() => {
        try {
          return modelSpecs(raw);
        } catch {
          return [];
        }
      })()
    ) {
      const schema = modelSchema(spec.type);
      const f = schema ? walk(obj(schema), rest) : undefined;
      if (f) return f;
    }
    return undefined;
  }
  if (head === "sweep" && rest[0] === "params") return any();
  return walk(top[head], rest);
}

/**
 * Parses a command-line value for `field`: numbers, booleans, lists ("64,32,16" or JSON),
 * `null` for nullable keys, JSON for objects; text otherwise.
 */
export function parseValueForField(text: string, field: Field | undefined, key: string): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(`--set ${key}=${text}: expected ${what}`);
  };
  if (text === "null" && (field === undefined || field.nullable)) return null;
  if (!field || field.kind === "any" || field.kind === "object") {
    try {
      return JSON.parse(text);
    } catch {
      if (field?.kind === "object") bad("a JSON object");
      return text;
    }
  }
  switch (field.kind) {
    case "number": {
      const v = Number(text);
      if (text.trim() === "" || !Number.isFinite(v)) bad("a number");
      return v;
    }
    case "boolean":
      if (/^(true|yes|1)$/i.test(text)) return true;
      if (/^(false|no|0)$/i.test(text)) return false;
      return bad("true or false");
    case "string":
    case "enum":
      return text;
    case "array": {
      if (text.trim().startsWith("[")) {
        try {
          return JSON.parse(text);
        } catch {
          return bad("a JSON list");
        }
      }
      if (text.trim() === "") return [];
      return text.split(",").map((t, i) =>
        parseValueForField(t.trim(), field.items, `${key}[${i}]`)
      );
    }
  }
}

/** Splits `key=value` of a `--set` option. */
export function parseOverride(text: string): { key: string; value: string } {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new ConfigError(`--set ${text}: expected key=value, e.g. --set model.lr=0.001`);
  }
  return { key: text.slice(0, eq).trim(), value: text.slice(eq + 1) };
}

/** Applies `--set key=value` overrides in order, typing each value by the schema. */
export function applyOverrides(
  raw: Record<string, unknown>,
  sets: readonly string[],
  env: ExperimentEnv,
): Record<string, unknown> {
  let out = raw;
  for (const s of sets) {
    const { key, value } = parseOverride(s);
    const field = fieldAtPath(env, out, key);
    const parsed = parseValueForField(value, field, key);
    if (field) validateField(field, parsed, key);
    out = setPath(out, key, parsed);
  }
  return out;
}
