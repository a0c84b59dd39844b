/**
 * The model registry: name -> parameter schema + factory. Adding a model to the
 * experiments is one {@link ModelRegistry.register} call; configs then accept it by name,
 * validate its parameters with its own schema and build it through its factory.
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";
import { nearestKey } from "../util/schema.ts";
import type { ModelEntry, ModelRegistryLike } from "./types.ts";

/**
 * Models known to the experiments.
 *
 * @example
 * ```ts
 * const registry = new ModelRegistry();
 * registry.register({ name: "MostPop", doc: "popularity", schema: {}, create: () => new MostPop() });
 * registry.get("MostPop", "models.MostPop").schema;
 * ```
 */
export class ModelRegistry implements ModelRegistryLike {
  #entries = new Map<string, ModelEntry>();

  /** Adds (or replaces) an entry. */
  register(entry: ModelEntry): this {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(entry.name)) {
      throw new ConfigError(`model name "${entry.name}" must be letters, digits, _ and -`);
    }
    this.#entries.set(entry.name, entry);
    return this;
  }

  /** True when `name` is registered (available or not). */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /**
   * The entry called `name`. An unknown name is a ConfigError naming `where`, the value and
   * the nearest registered name; a declared but unavailable model says why.
   */
  get(name: string, where: string): ModelEntry {
    const entry = this.#entries.get(name);
    if (!entry) {
      const near = nearestKey(name, this.names());
      throw new ConfigError(
        `${where}: unknown model ${JSON.stringify(name)}` +
          (near ? ` (did you mean ${JSON.stringify(near)}?)` : "") +
          `; known models: ${this.names().join(", ")}`,
      );
    }
    if (!entry.create) {
      throw new ConfigError(
        `${where}: model ${JSON.stringify(name)} is not available in this build` +
          (entry.unavailable ? `: ${entry.unavailable}` : ""),
      );
    }
    return entry;
  }

  /** Registered names in registration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** Every entry (available or not), for docs. */
  entries(): ModelEntry[] {
    return [...this.#entries.values()];
  }
}
