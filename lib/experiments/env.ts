/**
 * The default experiment environment: the workspace's real modules behind the stages of
 * {@link ExperimentEnv} — lib/data (load, implicit feedback, k-core, split, negatives),
 * lib/embedding (Doc2Vec on user / item / content documents), lib/models (every model in
 * the registry), lib/eval (sampled and full-ranking metrics, per-user values).
 *
 * @module
 */
import {
  compactIds,
  DATASET_NAMES,
  dedupe,
  kCore,
  leaveLatestOut,
  loadInteractions,
  loadItemMetadata,
  loadNcfSplit,
  randomRatioSplit,
  temporalRatioSplit,
  toImplicit,
} from "../data/mod.ts";
import type { DatasetName, Split } from "../data/mod.ts";
import {
  type EvalResult,
  evaluateFullRanking,
  evaluateSampled,
  metricNames,
  perUserTable,
} from "../eval/mod.ts";
import { ConfigError } from "../util/errors.ts";
import { bool, int, nearestKey, num, oneOf, type Schema } from "../util/schema.ts";
import { defaultModelRegistry, modelLibraries } from "./models.ts";
import type { EvalConfig, EvalOutput, ExperimentEnv, PreparedData } from "./types.ts";

/** Schema of the config's `data` section (maps onto lib/data's functions). */
export const dataSchema = {
  dataset: oneOf(DATASET_NAMES as readonly DatasetName[], {
    doc: "dataset name from lib/data's registry (ml-100k, ml-1m, the-movies-dataset, ...)",
  }),
  minRating: num({
    nullable: true,
    default: null as unknown as number,
    doc: "implicit positives: ratings >= minRating (null: every rating, as NCF; the seed: 3)",
  }),
  dedupe: oneOf(["latest", "first"] as const, {
    default: "latest",
    doc: "one row per (user, item): keep the latest or the first rating",
  }),
  kCore: int({
    default: 0,
    min: 0,
    doc: "repeatedly drop users and items with fewer interactions than this (0: no filter)",
  }),
  split: oneOf(
    ["leave-latest-one-out", "random-ratio", "temporal-ratio", "published"] as const,
    {
      default: "leave-latest-one-out",
      doc: "leave-latest-one-out (NCF), per-user random ratio (the seed's 80/20), global " +
        "temporal ratio, or the published NCF split (ncf-* datasets)",
    },
  ),
  validation: bool({
    default: true,
    doc: "leave-one-out: also hold out each user's latest-but-one item for model selection",
  }),
  testRatio: num({
    default: 0.2,
    min: 0,
    max: 1,
    exclusiveMin: true,
    exclusiveMax: true,
    doc: "ratio splits: fraction held out for test",
  }),
  validRatio: num({
    default: 0,
    min: 0,
    max: 1,
    exclusiveMax: true,
    doc: "ratio splits: fraction held out for validation (0: none)",
  }),
  shortUsers: oneOf(["error", "drop"] as const, {
    default: "drop",
    doc: "users with too few interactions for the split: stop with an error, or drop them",
  }),
  seed: int({
    default: 0,
    min: 0,
    doc: "seed of the split (ratio splits) and of the sampled evaluation negatives",
  }),
  metadata: bool({
    default: false,
    doc: "load item metadata (titles, genres, tags, keywords) for item content documents",
  }),
} satisfies Schema;

function splitData(
  d: Record<string, unknown>,
  x: Awaited<ReturnType<typeof loadInteractions>>,
  negatives: number,
): Split {
  const seed = d.seed as number;
  const shortUsers = d.shortUsers as "error" | "drop";
  switch (d.split) {
    case "leave-latest-one-out":
      return leaveLatestOut(x, {
        seed,
        validation: d.validation as boolean,
        numNegatives: negatives,
        shortUsers,
        name: `${d.dataset}, leave-latest-one-out`,
      });
    case "random-ratio":
      return randomRatioSplit(x, {
        seed,
        testRatio: d.testRatio as number,
        validRatio: d.validRatio as number,
        numNegatives: negatives,
        shortUsers,
        name: `${d.dataset}, random ${d.testRatio} test split`,
      });
    case "temporal-ratio":
      return temporalRatioSplit(x, {
        seed,
        testRatio: d.testRatio as number,
        validRatio: d.validRatio as number,
        numNegatives: negatives,
        shortUsers,
        name: `${d.dataset}, temporal ${d.testRatio} test split`,
      });
  }
  throw new ConfigError(`data.split: unknown split ${JSON.stringify(d.split)}`);
}

/** Loads, preprocesses and splits the dataset of a `data` section. */
export async function prepareData(
  d: Record<string, unknown>,
  evalConfig: EvalConfig,
): Promise<PreparedData> {
  const t0 = performance.now();
  const dataset = d.dataset as DatasetName;
  let split: Split;
  if (d.split === "published") {
    if (!dataset.startsWith("ncf-")) {
      throw new ConfigError(
        `data.split: "published" needs an NCF dataset (ncf-ml-1m, ncf-pinterest-20), got ` +
          `${dataset}`,
      );
    }
    split = await loadNcfSplit(dataset as "ncf-ml-1m" | "ncf-pinterest-20");
  } else {
    let x = await loadInteractions(dataset);
    if (d.minRating !== null) x = toImplicit(x, { minRating: d.minRating as number });
    x = dedupe(x, d.dedupe as "latest" | "first");
    const k = d.kCore as number;
    x = k > 0 ? kCore(x, { minUserInteractions: k, minItemInteractions: k }) : compactIds(x);
    split = splitData(d, x, evalConfig.negatives);
  }
  if (d.metadata && dataset.startsWith("ncf-")) {
    throw new ConfigError(
      `data.metadata: the NCF files number items their own way, so item metadata cannot be ` +
        `joined; use dataset "ml-1m" (the same ratings, our own split) for content documents`,
    );
  }
  const metadata = d.metadata ? await loadItemMetadata(dataset) : undefined;
  return {
    split,
    metadata,
    info: {
      dataset,
      split: split.name,
      users: split.nUsers,
      items: split.nItems,
      trainInteractions: split.train.users.length,
      dataSeconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    },
  };
}

/** Evaluates a model on the test pairs: sampled and/or full ranking, per-user values. */
export async function evaluateModel(
  model: Parameters<typeof evaluateSampled>[0],
  data: PreparedData,
  cfg: EvalConfig,
  progress?: import("../util/progress.ts").ProgressSink,
): Promise<EvalOutput> {
  const results: EvalResult[] = [];
  let sampled: EvalResult | undefined;
  let full: EvalResult | undefined;
  if (cfg.sampled) {
    sampled = await evaluateSampled(model, data.split.test, {
      ks: cfg.ks,
      metrics: cfg.metrics,
      progress,
    });
    results.push(sampled);
  }
  if (cfg.full) {
    full = await evaluateFullRanking(model, data.split, {
      ks: cfg.ks,
      metrics: cfg.metrics,
      on: "test",
      progress,
    });
    results.push(full);
  }
  // Validation metrics of the final model, for hyperparameter selection in sweeps.
  const v = data.split.valid;
  const valid = v && v.numNegatives > 0 && v.negatives
    ? (await evaluateSampled(model, v, { ks: cfg.ks, metrics: cfg.metrics, on: "valid", progress }))
      .mean
    : undefined;
  return {
    sampled: sampled?.mean,
    full: full?.mean,
    valid,
    users: { sampled: sampled?.users.length ?? 0, full: full?.users.length ?? 0 },
    perUser: perUserTable(...results),
  };
}

/** Checks metric names of an `eval` section against lib/eval's registry. */
export function checkEvalMetrics(cfg: EvalConfig): void {
  const known = metricNames();
  cfg.metrics.forEach((m, i) => {
    if (!known.includes(m)) {
      const near = nearestKey(m, known);
      throw new ConfigError(
        `eval.metrics[${i}]: unknown metric ${JSON.stringify(m)}` +
          (near ? ` (did you mean ${JSON.stringify(near)}?)` : "") +
          `; known metrics: ${known.join(", ")}`,
      );
    }
  });
}

/**
 * The environment wiring the workspace's modules (async because some modules load
 * WebAssembly or probe backends on first use).
 */
export async function defaultEnv(): Promise<ExperimentEnv> {
  const models = await defaultModelRegistry();
  const embedding = await import("./embedding.ts");
  return {
    models,
    dataSchema,
    embeddingSchema: embedding.embeddingSchema,
    checkEval: checkEvalMetrics,
    checkEmbedding: embedding.checkEmbedding,
    prepareData: (d, evalConfig) => prepareData(d, evalConfig),
    embed: (cfg, data, seed, ctx) => embedding.trainEmbedding(cfg, data, seed, ctx),
    evaluate: (model, data, cfg, ctx) => evaluateModel(model, data, cfg, ctx.progress),
    libraries: modelLibraries,
  };
}
