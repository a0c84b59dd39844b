/**
 * Declarative parameter schemas: every configurable thing (a model's hyperparameters,
 * Doc2Vec settings, an experiment config) declares its keys once, with type, default,
 * range and a one-line doc. Validation fills defaults and rejects bad input with a
 * message that names the key path, the value, and for an unknown key the nearest
 * known key.
 *
 * @example
 * ```ts
 * const schema = {
 *   lr: num({ default: 0.001, min: 0, exclusiveMin: true, doc: "learning rate" }),
 *   layers: arr(int({ min: 1 }), { default: [64, 32, 16, 8], doc: "MLP layer widths" }),
 * };
 * const params = validate(schema, { lr: 0.01 }, "model"); // { lr: 0.01, layers: [64, 32, 16, 8] }
 * ```
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** Common options of every field. */
interface FieldBase<T> {
  /** One-line description shown in docs and errors. */
  doc?: string;
  /** Value used when the key is absent. A field without default is required. */
  default?: T;
  /** Allow `null` as a value. */
  nullable?: boolean;
}

/** A number (float or integer). */
export interface NumberField extends FieldBase<number> {
  kind: "number";
  integer?: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}
/** true or false. */
export interface BooleanField extends FieldBase<boolean> {
  kind: "boolean";
}
/** Free text. */
export interface StringField extends FieldBase<string> {
  kind: "string";
  pattern?: RegExp;
}
/** One of a fixed set of strings. */
export interface EnumField<V extends string = string> extends FieldBase<V> {
  kind: "enum";
  values: readonly V[];
}
/** A list of values of one field type. */
export interface ArrayField<T = unknown> extends FieldBase<T[]> {
  kind: "array";
  items: Field;
  minLength?: number;
  maxLength?: number;
}
/** A nested object with its own schema. */
export interface ObjectField<S extends Schema = Schema> extends FieldBase<Record<string, unknown>> {
  kind: "object";
  fields: S;
  /** Accept unknown keys (kept as they are). Default false: unknown keys are errors. */
  open?: boolean;
}
/** Any JSON value (e.g. a sweep's grid of values), not checked further. */
export interface AnyField extends FieldBase<unknown> {
  kind: "any";
}

/** One key's declaration. */
export type Field =
  | NumberField
  | BooleanField
  | StringField
  | EnumField
  | ArrayField
  | ObjectField
  | AnyField;

/** Keys of an object and their declarations. */
export type Schema = Record<string, Field>;

/** The TypeScript type a field validates to. */
export type FieldType<F> = F extends NumberField ? number
  : F extends BooleanField ? boolean
  : F extends StringField ? string
  : F extends EnumField<infer V> ? V
  : F extends ArrayField<infer T> ? T[]
  : F extends ObjectField<infer S> ? Infer<S>
  : unknown;

/** The TypeScript type a schema validates to. */
export type Infer<S extends Schema> = { [K in keyof S]: FieldType<S[K]> };

/** A number field. */
export function num(opts: Omit<NumberField, "kind"> = {}): NumberField {
  return { kind: "number", ...opts };
}
/** An integer field. */
export function int(opts: Omit<NumberField, "kind" | "integer"> = {}): NumberField {
  return { kind: "number", integer: true, ...opts };
}
/** A boolean field. */
export function bool(opts: Omit<BooleanField, "kind"> = {}): BooleanField {
  return { kind: "boolean", ...opts };
}
/** A string field. */
export function str(opts: Omit<StringField, "kind"> = {}): StringField {
  return { kind: "string", ...opts };
}
/** An enum field. */
export function oneOf<V extends string>(
  values: readonly V[],
  opts: Omit<EnumField<V>, "kind" | "values"> = {},
): EnumField<V> {
  return { kind: "enum", values, ...opts };
}
/** An array field. */
export function arr<T>(
  items: Field,
  opts: Omit<ArrayField<T>, "kind" | "items"> = {},
): ArrayField<T> {
  return { kind: "array", items, ...opts };
}
/** A nested object field. Its default is built from its fields' defaults when all have one. */
export function obj<S extends Schema>(
  fields: S,
  opts: Omit<ObjectField<S>, "kind" | "fields"> = {},
): ObjectField<S> {
  return { kind: "object", fields, ...opts };
}
/** A field accepting any JSON value. */
export function any(opts: Omit<AnyField, "kind"> = {}): AnyField {
  return { kind: "any", ...opts };
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The known key closest to `key`, when close enough to be a plausible typo. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? s.slice(0, 80) + "..." : s;
}

function fieldDefault(field: Field): unknown {
  if (field.default !== undefined) return structuredClone(field.default);
  if (field.kind === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(field.fields)) {
      const d = fieldDefault(f);
      if (d === undefined && !f.nullable) return undefined;
      out[k] = d ?? null;
    }
    return out;
  }
  return field.nullable ? null : undefined;
}

/**
 * Validates `value` against one field and returns it with defaults filled in.
 * @param path the key path for messages, e.g. "model.layers[2]".
 */
export function validateField(field: Field, value: unknown, path: string): unknown {
  if (value === undefined) {
    const d = fieldDefault(field);
    if (d === undefined) throw new ConfigError(`${path}: required key is missing`);
    return d;
  }
  if (value === null) {
    if (field.nullable) return null;
    throw new ConfigError(`${path}: null is not allowed${field.doc ? ` (${field.doc})` : ""}`);
  }
  const fail = (what: string, hint = ""): never => {
    throw new ConfigError(
      `${path}: ${what}, got ${show(value)}${hint}${field.doc ? ` (${field.doc})` : ""}`,
    );
  };
  switch (field.kind) {
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) fail("expected a finite number");
      const v = value as number;
      if (field.integer && !Number.isInteger(v)) fail("expected an integer");
      if (field.min !== undefined && (field.exclusiveMin ? v <= field.min : v < field.min)) {
        fail(`expected a value ${field.exclusiveMin ? ">" : ">="} ${field.min}`);
      }
      if (field.max !== undefined && (field.exclusiveMax ? v >= field.max : v > field.max)) {
        fail(`expected a value ${field.exclusiveMax ? "<" : "<="} ${field.max}`);
      }
      return v;
    }
    case "boolean":
      if (typeof value !== "boolean") fail("expected true or false");
      return value;
    case "string":
      if (typeof value !== "string") fail("expected a string");
      if (field.pattern && !field.pattern.test(value as string)) {
        fail(`expected text matching ${field.pattern}`);
      }
      return value;
    case "enum":
      if (typeof value !== "string" || !field.values.includes(value)) {
        const near = typeof value === "string" ? nearestKey(value, field.values) : undefined;
        fail(
          `expected one of ${field.values.map((v) => JSON.stringify(v)).join(", ")}`,
          near ? ` (did you mean ${JSON.stringify(near)}?)` : "",
        );
      }
      return value;
    case "array": {
      if (!Array.isArray(value)) fail("expected a list");
      const a = value as unknown[];
      if (field.minLength !== undefined && a.length < field.minLength) {
        fail(`expected at least ${field.minLength} entries`);
      }
      if (field.maxLength !== undefined && a.length > field.maxLength) {
        fail(`expected at most ${field.maxLength} entries`);
      }
      return a.map((v, i) => validateField(field.items, v, `${path}[${i}]`));
    }
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) fail("expected an object");
      return validateObject(field.fields, value as Record<string, unknown>, path, field.open);
    }
    case "any":
      return value;
  }
}

function validateObject(
  schema: Schema,
  value: Record<string, unknown>,
  path: string,
  open = false,
): Record<string, unknown> {
  const known = Object.keys(schema);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!(key in schema)) {
      if (open) {
        out[key] = value[key];
        continue;
      }
      const near = nearestKey(key, known);
      const where = path ? `${path}.${key}` : key;
      throw new ConfigError(
        `${where}: unknown key` + (near ? ` (did you mean ${JSON.stringify(near)}?)` : "") +
          `; known keys${path ? ` of ${path}` : ""}: ${known.join(", ")}`,
      );
    }
  }
  for (const key of known) {
    out[key] = validateField(schema[key], value[key], path ? `${path}.${key}` : key);
  }
  return out;
}

/**
 * Validates a plain object against a schema: unknown keys are errors (with the nearest
 * known key), missing keys take their defaults, wrong types and ranges name key and value.
 * @param path prefix for messages, e.g. "model" gives "model.lr: ...".
 */
export function validate<S extends Schema>(
  schema: S,
  value: Record<string, unknown> | undefined,
  path = "",
): Infer<S> {
  if (
    value !== undefined && (typeof value !== "object" || value === null || Array.isArray(value))
  ) {
    throw new ConfigError(`${path || "config"}: expected an object, got ${show(value)}`);
  }
  return validateObject(schema, value ?? {}, path) as Infer<S>;
}

/** The defaults of a schema (throws when a key is required). */
export function defaults<S extends Schema>(schema: S): Infer<S> {
  return validate(schema, {});
}

/** A markdown table documenting a schema: key, type, default, doc. */
export function describeSchema(schema: Schema, prefix = ""): string {
  const rows: string[] = [];
  const walk = (s: Schema, p: string) => {
    for (const [k, f] of Object.entries(s)) {
      const key = p ? `${p}.${k}` : k;
      if (f.kind === "object") {
        walk(f.fields, key);
        continue;
      }
      const type = f.kind === "enum"
        ? f.values.map((v) => `"${v}"`).join(" \\| ")
        : f.kind === "array"
        ? `${f.items.kind}[]`
        : f.kind === "number" && f.integer
        ? "integer"
        : f.kind;
      const range = f.kind === "number" && (f.min !== undefined || f.max !== undefined)
        ? ` ${f.min !== undefined ? (f.exclusiveMin ? "(" : "[") + f.min : "(-inf"}, ${
          f.max !== undefined ? f.max + (f.exclusiveMax ? ")" : "]") : "inf)"
        }`
        : "";
      const def = f.default === undefined
        ? (f.nullable ? "null" : "required")
        : `\`${JSON.stringify(f.default)}\``;
      rows.push(`| \`${key}\` | ${type}${range} | ${def} | ${f.doc ?? ""} |`);
    }
  };
  walk(schema, prefix);
  return ["| key | type | default | description |", "|---|---|---|---|", ...rows].join("\n");
}
