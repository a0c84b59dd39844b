/**
 * The ablation-friendly door: one config in, the Doc2Vec vectors of a split out, as
 * dense tables on user and item indices (what DSER and notebooks consume), with timings
 * and vocabulary facts; plus the probe that scores a user by the dot product of the
 * user's document vector and an item's word vector.
 *
 * Rows of users or items that have no vector (no training interactions, so no document;
 * a word dropped by minCount) are zeros, flagged 0 in `present`. The probe scores such
 * items -Infinity (as the gensim anchor does for unknown words).
 *
 * @module
 */
import type { ItemMetadata, Split } from "../data/types.ts";
import { type EvalResult, evaluateSampled, type Scorer } from "../eval/mod.ts";
import {
  any,
  arr,
  ConfigError,
  defaultSink,
  type Infer,
  int,
  oneOf,
  type ProgressSink,
  SilentSink,
  validate,
} from "../util/mod.ts";
import type { Corpus } from "./corpus.ts";
import { Doc2Vec, type TrainReport } from "./doc2vec.ts";
import {
  CONTENT_FIELDS,
  type ContentField,
  itemContentDocuments,
  itemDocuments,
  userDocuments,
} from "./documents.ts";
import { type Doc2VecParams, resolveDoc2VecParams } from "./params.ts";

/** The document kinds embedSplit can train on. */
export type DocumentKind = "user" | "item" | "content";

/**
 * Config of {@link embedSplit}. Doc2Vec parameters use gensim's names (see
 * `doc2vecParamsSchema`); the defaults are gensim's except `minCount: 1`, which DSER
 * uses so that every item with a training interaction gets a vector.
 */
export const embeddingConfigSchema = {
  documents: arr<DocumentKind>(oneOf(["user", "item", "content"] as const), {
    default: ["user"],
    minLength: 1,
    doc: "document kinds to train: user (items by time), item (users by time), content",
  }),
  order: oneOf(["time", "shuffled"] as const, {
    default: "time",
    doc: "word order in user and item documents; shuffled is the no-sequence control",
  }),
  shuffleSeed: int({ default: 1, doc: "seed of the shuffled order" }),
  doc2vec: any({
    default: {},
    doc: "Doc2Vec parameters for every kind (gensim names; gensim defaults but minCount 1)",
  }),
  user: any({ default: {}, doc: "Doc2Vec parameters overriding doc2vec for user documents" }),
  item: any({ default: {}, doc: "Doc2Vec parameters overriding doc2vec for item documents" }),
  content: any({
    default: {},
    doc: "Doc2Vec parameters overriding doc2vec for item content documents",
  }),
  contentFields: arr<ContentField>(oneOf(CONTENT_FIELDS), {
    default: [...CONTENT_FIELDS],
    minLength: 1,
    doc: "metadata fields of content documents, in document order",
  }),
};

/** A validated embedding config. */
export type EmbeddingConfig = Infer<typeof embeddingConfigSchema>;

/** DSER's departure from gensim's defaults (paper notes: min_count 1). */
const EMBEDDING_DEFAULTS: Partial<Doc2VecParams> = { minCount: 1 };

/**
 * Validates an embedding config and resolves each kind's Doc2Vec parameters
 * (defaults < `doc2vec` < the kind's overrides). Errors name the key path.
 */
export function resolveEmbeddingConfig(
  given: Record<string, unknown> = {},
  path = "embedding",
): { config: EmbeddingConfig; params: Record<DocumentKind, Doc2VecParams> } {
  const config = validate(embeddingConfigSchema, given, path);
  const base = asObject(config.doc2vec, `${path}.doc2vec`);
  const params = {} as Record<DocumentKind, Doc2VecParams>;
  for (const kind of ["user", "item", "content"] as const) {
    const over = asObject(config[kind], `${path}.${kind}`);
    // Validate the shared block alone first so its errors are named after it.
    resolveDoc2VecParams({ ...EMBEDDING_DEFAULTS, ...base }, `${path}.doc2vec`);
    params[kind] = resolveDoc2VecParams(
      { ...EMBEDDING_DEFAULTS, ...base, ...over },
      `${path}.${kind}`,
    );
  }
  return { config, params };
}

function asObject(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ConfigError(
      `${path}: expected an object of Doc2Vec parameters, got ${JSON.stringify(v)}`,
    );
  }
  return v as Record<string, unknown>;
}

/** Vectors of a split on dense indices. Every table is row-major, row = index. */
export interface SplitEmbeddings {
  nUsers: number;
  nItems: number;
  /** Vector size of the user-document model (all kinds unless overridden; see `dims`). */
  dim: number;
  /** User document vectors (user documents). Shape: [nUsers * dims.user]. */
  user?: Float32Array;
  /**
   * Item word vectors (user documents). Shape: [nItems * dims.itemWord]. Absent for
   * PV-DBOW without dbowWords, which trains no word vectors (they would stay random).
   */
  itemWord?: Float32Array;
  /** Item document vectors (item documents). Shape: [nItems * dims.itemDoc]. */
  itemDoc?: Float32Array;
  /** User word vectors (item documents); absent for PV-DBOW without dbowWords. */
  userWord?: Float32Array;
  /** Item content document vectors. Shape: [nItems * dims.itemContent]. */
  itemContent?: Float32Array;
  /** Vector size of each table present. */
  dims: Partial<Record<EmbeddingTableName, number>>;
  /** Per table, 1 where the row has a trained vector, 0 where it is zeros. */
  present: Partial<Record<EmbeddingTableName, Uint8Array>>;
  /** The trained models (for inferVector, mostSimilar, saving). */
  models: Partial<Record<DocumentKind, Doc2Vec>>;
  /** Training figures per document kind (seconds, words/s, vocabulary). */
  reports: Partial<Record<DocumentKind, TrainReport>>;
  /** Seconds spent building documents, per kind. */
  documentSeconds: Partial<Record<DocumentKind, number>>;
  /** Resolved Doc2Vec parameters per kind trained. */
  params: Partial<Record<DocumentKind, Doc2VecParams>>;
  config: EmbeddingConfig;
  /** Things a reader should know (e.g. a table left out and why). */
  notes: string[];
}

/** Names of the tables in {@link SplitEmbeddings}. */
export type EmbeddingTableName = "user" | "itemWord" | "itemDoc" | "userWord" | "itemContent";

/** Options of {@link embedSplit} besides the config. */
export interface EmbedOptions {
  /** Needed when the config asks for content documents. */
  metadata?: ItemMetadata;
  /** Where training progress goes; default the environment's sink (DSER_QUIET=1: none). */
  progress?: ProgressSink;
}

/**
 * Trains Doc2Vec on the documents of a split (training part only) and returns the
 * vectors as tables on user and item indices.
 *
 * @example
 * ```ts
 * const emb = await embedSplit(split, { documents: ["user"], doc2vec: { dm: 1, workers: 2 } });
 * emb.user;      // Float32Array [nUsers * 100]
 * emb.itemWord;  // Float32Array [nItems * 100]
 * const probe = await probeUserItem(split, emb); // { hr: ..., ndcg: ... }
 * ```
 * @throws ConfigError for bad config keys or values (naming the path), or content
 *   documents without metadata.
 */
export async function embedSplit(
  split: Split,
  given: Record<string, unknown> = {},
  opts: EmbedOptions = {},
): Promise<SplitEmbeddings> {
  const { config, params } = resolveEmbeddingConfig(given);
  const out: SplitEmbeddings = {
    nUsers: split.nUsers,
    nItems: split.nItems,
    dim: params.user.vectorSize,
    dims: {},
    present: {},
    models: {},
    reports: {},
    documentSeconds: {},
    params: {},
    config,
    notes: [],
  };
  const kinds = [...new Set(config.documents)];
  if (kinds.includes("content") && !opts.metadata) {
    throw new ConfigError(
      `embedding.documents: "content" needs item metadata (pass { metadata } to embedSplit)`,
    );
  }
  const seqOpts = { order: config.order, seed: config.shuffleSeed };
  for (const kind of kinds) {
    const t0 = performance.now();
    const corpus: Corpus = kind === "user"
      ? userDocuments(split, seqOpts)
      : kind === "item"
      ? itemDocuments(split, seqOpts)
      : itemContentDocuments(split, opts.metadata!, { fields: config.contentFields });
    out.documentSeconds[kind] = (performance.now() - t0) / 1000;
    const p = params[kind];
    const model = await Doc2Vec.train(corpus, p, {
      progress: opts.progress ?? defaultSink(),
      label: `${kind} documents`,
    });
    out.models[kind] = model;
    out.reports[kind] = model.report!;
    out.params[kind] = p;
    const nOwners = kind === "item" ? split.nUsers : split.nItems;
    const docTable = kind === "user" ? "user" : kind === "item" ? "itemDoc" : "itemContent";
    const docs = documentTable(model, corpus);
    out[docTable] = docs.vectors;
    out.dims[docTable] = p.vectorSize;
    out.present[docTable] = docs.present;
    if (kind !== "content") {
      const wordTable = kind === "user" ? "itemWord" : "userWord";
      if (p.dm === 0 && p.dbowWords === 0) {
        out.notes.push(
          `${wordTable} left out: PV-DBOW without dbowWords trains no word vectors ` +
            `(they would stay at their random start)`,
        );
      } else {
        const words = wordTable_(model, nOwners);
        out[wordTable] = words.vectors;
        out.dims[wordTable] = p.vectorSize;
        out.present[wordTable] = words.present;
      }
    }
  }
  return out;
}

/** Document vectors by tag; tags without a document are zeros. */
function documentTable(
  model: Doc2Vec,
  corpus: Corpus,
): { vectors: Float32Array; present: Uint8Array } {
  const vectors = model.weights.dv.slice();
  const present = new Uint8Array(model.nTags);
  for (let d = 0; d < corpus.tags.length; d++) present[corpus.tags[d]] = 1;
  const dim = model.dim;
  for (let t = 0; t < model.nTags; t++) if (!present[t]) vectors.fill(0, t * dim, (t + 1) * dim);
  return { vectors, present };
}

/** Word vectors on dense indices (words are indices as text); unknown rows are zeros. */
function wordTable_(model: Doc2Vec, n: number): { vectors: Float32Array; present: Uint8Array } {
  const dim = model.dim;
  const vectors = new Float32Array(n * dim);
  const present = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = model.wordVector(String(i));
    if (v) {
      vectors.set(v, i * dim);
      present[i] = 1;
    }
  }
  return { vectors, present };
}

/**
 * Scores `user . item` from two tables; rows absent from either table score -Infinity,
 * so an unknown item never outranks a known one (ties rank pessimistically).
 */
export class DotScorer implements Scorer {
  readonly name: string;
  constructor(
    readonly nUsers: number,
    readonly nItems: number,
    readonly dim: number,
    readonly users: Float32Array,
    readonly items: Float32Array,
    readonly userPresent?: Uint8Array,
    readonly itemPresent?: Uint8Array,
    name = "doc2vec-probe",
  ) {
    if (users.length !== nUsers * dim || items.length !== nItems * dim) {
      throw new ConfigError(
        `DotScorer: tables of ${users.length} and ${items.length} values do not match ` +
          `${nUsers} users and ${nItems} items x ${dim}`,
      );
    }
    this.name = name;
  }

  #score(u: number, i: number): number {
    if ((this.userPresent && !this.userPresent[u]) || (this.itemPresent && !this.itemPresent[i])) {
      return -Infinity;
    }
    const dim = this.dim;
    const a = u * dim;
    const b = i * dim;
    let s = 0;
    for (let c = 0; c < dim; c++) s += this.users[a + c] * this.items[b + c];
    return s;
  }

  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    const out = new Float32Array(users.length);
    for (let p = 0; p < users.length; p++) out[p] = this.#score(users[p], items[p]);
    return out;
  }

  scoreAll(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.nItems);
    this.scoreAllInto(users, out);
    return out;
  }

  scoreAllInto(users: Int32Array, out: Float32Array): void {
    for (let k = 0; k < users.length; k++) {
      for (let i = 0; i < this.nItems; i++) out[k * this.nItems + i] = this.#score(users[k], i);
    }
  }
}

/** Probe figures: the user-document . item-word ranking quality. */
export interface ProbeResult {
  /** HR@10 under the sampled protocol (held-out item among its negatives). */
  hr: number;
  /** NDCG@10. */
  ndcg: number;
  result: EvalResult;
}

/**
 * The probe: score = user document vector . item word vector, each held-out pair ranked
 * among its sampled negatives (pessimistic ties), HR@K and NDCG@K via lib/eval.
 * @throws ConfigError when the embeddings lack user or item word vectors.
 */
export async function probeUserItem(
  split: Split,
  emb: SplitEmbeddings,
  opts: { k?: number; on?: "test" | "valid"; progress?: ProgressSink } = {},
): Promise<ProbeResult> {
  if (!emb.user || !emb.itemWord) {
    throw new ConfigError(
      `probe: needs user document vectors and item word vectors (user documents with ` +
        `dm 1, or dm 0 with dbowWords 1)`,
    );
  }
  if (emb.dims.user !== emb.dims.itemWord) {
    throw new ConfigError(`probe: user and item vectors differ in size`);
  }
  const k = opts.k ?? 10;
  const on = opts.on ?? "test";
  const held = on === "test" ? split.test : split.valid;
  if (!held) throw new ConfigError(`probe: the split has no validation part`);
  const scorer = new DotScorer(
    emb.nUsers,
    emb.nItems,
    emb.dims.user!,
    emb.user,
    emb.itemWord,
    emb.present.user,
    emb.present.itemWord,
  );
  const result = await evaluateSampled(scorer, held, {
    ks: [k],
    metrics: ["HR", "NDCG"],
    on,
    progress: opts.progress ?? new SilentSink(),
  });
  return { hr: result.mean[`HR@${k}`], ndcg: result.mean[`NDCG@${k}`], result };
}
