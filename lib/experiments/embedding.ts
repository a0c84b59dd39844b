/**
 * The embedding stage of experiments: Doc2Vec vectors for users, items and item content
 * (lib/embedding `embedSplit`), trained on the training split only, with the settings of
 * the config's `embedding` section (lib/embedding's own schema).
 *
 * Seeds: unless the section sets `doc2vec.seed` itself, each run's seed becomes the Doc2Vec
 * seed, so repeating an experiment over seeds also repeats the Doc2Vec training (its
 * variance is part of the reported std). Deterministic with `doc2vec.workers: 1`.
 *
 * @module
 */
import {
  embeddingConfigSchema,
  embedSplit,
  resolveEmbeddingConfig,
  type SplitEmbeddings,
} from "../embedding/mod.ts";
import type { Schema } from "../util/schema.ts";
import type { PreparedData, StageContext } from "./types.ts";

/** Schema of the config's `embedding` section (lib/embedding's embedding config). */
export const embeddingSchema: Schema = embeddingConfigSchema;

/** Validates the Doc2Vec parameters inside the section (ConfigError naming the key path). */
export function checkEmbedding(cfg: Record<string, unknown>): void {
  resolveEmbeddingConfig(cfg, "embedding");
}

/** The section with the run's seed as Doc2Vec seed when the section sets none. */
export function seededEmbeddingConfig(
  cfg: Record<string, unknown>,
  seed: number,
): Record<string, unknown> {
  const doc2vec = { ...(cfg.doc2vec as Record<string, unknown> | undefined ?? {}) };
  if (doc2vec.seed === undefined) doc2vec.seed = seed;
  return { ...cfg, doc2vec };
}

/** Trains the embedding stage on the training split; DSER receives the result. */
export function trainEmbedding(
  cfg: Record<string, unknown>,
  data: PreparedData,
  seed: number,
  ctx: StageContext,
): Promise<SplitEmbeddings> {
  return embedSplit(data.split, seededEmbeddingConfig(cfg, seed), {
    metadata: data.metadata,
    progress: ctx.progress,
  });
}
