/**
 * Canonical JSON and short content hashes: run ids are derived from a run's resolved
 * config, so the same config and seed always give the same id on every machine.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** First `length` hex digits of the sha256 of the canonical JSON of `value`. */
export function contentHash(value: unknown, length = 8): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}
