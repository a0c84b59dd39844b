/**
 * The default model registry: every model of the workspace by name, with its own
 * parameter schema and factory. Models whose module has not landed yet are declared as
 * unavailable, so a config naming them fails validation with a clear message.
 *
 * The non-neural baselines take one extra key, `tune`: "grid" (or "quick") chooses their
 * hyperparameters on the validation item from lib/models' grids (`BASELINE_GRIDS`,
 * `QUICK_BASELINE_GRIDS`) with `selectOnValidation`, as `reproduce` does; the chosen
 * values are recorded in the run's metrics.json `info`.
 *
 * @module
 */
import type { Split } from "../data/types.ts";
import * as modelsFace from "../models/mod.ts";
import {
  BASELINE_GRIDS,
  baselineCandidates,
  type BaselineName,
  type DocumentVectors,
  dserNotebookSchema,
  dserSchema,
  gmfSchema,
  mlpSchema,
  neumfSchema,
  QUICK_BASELINE_GRIDS,
  selectOnValidation,
} from "../models/mod.ts";
import { DSER, DSERNotebook, GMF, MLP, NeuMF, type NeuralOptions } from "../train/mod.ts";
import { join } from "node:path";
import type { FitContext, FitReport, Recommender } from "../models/types.ts";
import { DotScorer, type SplitEmbeddings } from "../embedding/mod.ts";
import { ConfigError } from "../util/errors.ts";
import { oneOf, type Schema } from "../util/schema.ts";
import { ModelRegistry } from "./registry.ts";
import type { ModelEntry } from "./types.ts";

type Ctor = new (params: Record<string, unknown>) => Recommender;

/** Looks an export up on lib/models/mod.ts by name (modules land one by one). */
function exported<T>(name: string): T | undefined {
  return (modelsFace as unknown as Record<string, unknown>)[name] as T | undefined;
}

function classEntry(
  name: string,
  className: string,
  schemaName: string | null,
  doc: string,
  extra: Partial<ModelEntry> = {},
): ModelEntry {
  const cls = exported<Ctor>(className);
  const schema = schemaName ? exported<Schema>(schemaName) : {};
  if (!cls || !schema) {
    return {
      name,
      doc,
      schema: {},
      unavailable: `lib/models/mod.ts does not export ${!cls ? className : schemaName} yet`,
    };
  }
  return { name, doc, schema, create: (params) => new cls(params), ...extra };
}

const tuneField = oneOf(["off", "quick", "grid"] as const, {
  default: "off",
  doc: "choose hyperparameters on the validation item: grid = lib/models BASELINE_GRIDS, " +
    "quick = QUICK_BASELINE_GRIDS (the given values are then not used); off = as given",
});

/**
 * A baseline whose hyperparameters are chosen on the validation item during `fit`
 * (lib/models `selectOnValidation`, sampled NDCG@10); scores with the chosen model.
 */
export class TunedBaseline implements Recommender {
  readonly name: string;
  #model: Recommender | null = null;
  constructor(readonly baseline: BaselineName, readonly grid: "quick" | "grid") {
    this.name = baseline;
  }
  get nUsers(): number {
    return this.#chosen().nUsers;
  }
  get nItems(): number {
    return this.#chosen().nItems;
  }
  #chosen(): Recommender {
    if (!this.#model) throw new Error(`${this.name}: scored before fit`);
    return this.#model;
  }
  async fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    const grid = (this.grid === "quick" ? QUICK_BASELINE_GRIDS : BASELINE_GRIDS)[this.baseline];
    const sel = await selectOnValidation(baselineCandidates(this.baseline, grid), split, {
      seed: ctx.seed,
      metric: "NDCG@10",
      protocol: "sampled",
      progress: ctx.progress,
      signal: ctx.signal,
    });
    this.#model = sel.model;
    const info: Record<string, string | number | boolean> = {
      ...sel.fit.info,
      chosen: JSON.stringify(sel.params),
      tunedOn: "valid sampled NDCG@10",
    };
    for (const g of sel.grid) info[`valid NDCG@10 ${JSON.stringify(g.params)}`] = g.value;
    return { ...sel.fit, seconds: (performance.now() - t0) / 1000, info };
  }
  scorePairs(users: Int32Array, items: Int32Array) {
    return this.#chosen().scorePairs(users, items);
  }
  scoreAll(users: Int32Array) {
    return this.#chosen().scoreAll(users);
  }
  dispose(): void {
    this.#model?.dispose?.();
  }
}

/**
 * The Doc2Vec probe as a model (lib/embedding's probe): score(u, i) = user document vector
 * . item word vector, both from the user-document model (one vector space), with no
 * training of its own; shows what the embedding alone ranks (items without a vector rank
 * last). Needs word vectors: PV-DM, or PV-DBOW with dbowWords.
 */
export class Doc2VecProbe implements Recommender {
  readonly name = "D2V-probe";
  #scorer: DotScorer | null = null;
  constructor(readonly embedding: SplitEmbeddings) {}
  get nUsers(): number {
    return this.embedding.nUsers;
  }
  get nItems(): number {
    return this.embedding.nItems;
  }
  fit(_split: Split, _ctx: FitContext): Promise<FitReport> {
    const e = this.embedding;
    const table = "itemWord";
    const items = e[table];
    if (!e.user || !items) {
      throw new ConfigError(
        `D2V-probe: the embedding has no ${!e.user ? "user document" : table} vectors ` +
          `(${e.notes.join("; ") || "check embedding.documents"})`,
      );
    }
    const dim = e.dims.user!;
    if (e.dims[table] !== dim) {
      throw new ConfigError(`D2V-probe: user vectors are ${dim}-d, ${table} ${e.dims[table]}-d`);
    }
    this.#scorer = new DotScorer(
      e.nUsers,
      e.nItems,
      dim,
      e.user,
      items,
      e.present.user,
      e.present[table],
      this.name,
    );
    return Promise.resolve({ history: [], bestEpoch: null, seconds: 0, info: { item: table } });
  }
  #s(): DotScorer {
    if (!this.#scorer) throw new Error("D2V-probe: scored before fit");
    return this.#scorer;
  }
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    return this.#s().scorePairs(users, items);
  }
  scoreAll(users: Int32Array): Float32Array {
    return this.#s().scoreAll(users);
  }
  scoreAllInto(users: Int32Array, out: Float32Array): void {
    this.#s().scoreAllInto(users, out);
  }
}

type NeuralCtor = new (params: Record<string, unknown>, options: NeuralOptions) => Recommender;

/** A neural model (lib/train): checkpoints under the run folder, Doc2Vec vectors when used. */
function neuralEntry(
  name: string,
  schema: Schema,
  doc: string,
  ctor: NeuralCtor,
  needsEmbedding = false,
): ModelEntry {
  return {
    name,
    doc,
    schema,
    needsEmbedding,
    create: (params, inputs) =>
      new ctor(params, {
        documents: needsEmbedding ? (inputs.embedding as DocumentVectors) : null,
        checkpointDir: join(inputs.runDir, "checkpoints"),
      }),
  };
}

function baselineEntry(name: BaselineName, schema: Schema, doc: string, ctor: Ctor): ModelEntry {
  return {
    name,
    doc,
    schema: { ...schema, tune: tuneField },
    // Counting and closed-form: the same numbers for every seed.
    seedless: true,
    create: ({ tune, ...params }) =>
      tune === "off" ? new ctor(params) : new TunedBaseline(name, tune as "quick" | "grid"),
  };
}

/** The registry of every model in the workspace. */
export function defaultModelRegistry(): Promise<ModelRegistry> {
  const r = new ModelRegistry();
  r.register(
    baselineEntry("MostPop", {}, "items by training popularity", modelsFace.MostPop as Ctor),
  );
  r.register(
    baselineEntry(
      "ItemKNN",
      modelsFace.itemKnnSchema,
      "item-item cosine kNN",
      modelsFace.ItemKNN as unknown as Ctor,
    ),
  );
  r.register(
    baselineEntry(
      "EASE",
      modelsFace.easeSchema,
      "closed-form item-item model (Steck 2019)",
      modelsFace.EASE as unknown as Ctor,
    ),
  );
  r.register({
    name: "D2V-probe",
    doc: "Doc2Vec alone: user document vector . item vector (no training of its own)",
    schema: {},
    needsEmbedding: true,
    create: (_params, inputs) => new Doc2VecProbe(inputs.embedding as SplitEmbeddings),
  });
  r.register(
    classEntry("PureSVD", "PureSVD", "pureSvdSchema", "truncated SVD of the rating matrix"),
  );
  r.register(classEntry("iALS", "IALS", "ialsSchema", "implicit ALS (Hu et al. 2008)"));
  r.register(
    classEntry(
      "MF",
      "LogisticMF",
      "logisticMfSchema",
      "dot-product MF, logistic loss on sampled negatives (Rendle et al. 2020)",
    ),
  );
  r.register(classEntry("BPR", "BPRMF", "bprMfSchema", "BPR-MF (Rendle et al. 2009)"));
  r.register(neuralEntry("GMF", gmfSchema, "generalized matrix factorization (NCF)", GMF));
  r.register(neuralEntry("MLP", mlpSchema, "MLP over user and item embeddings (NCF)", MLP));
  r.register(
    neuralEntry("NeuMF", neumfSchema, "GMF + MLP fused (NCF), optional pretraining", NeuMF),
  );
  r.register(
    neuralEntry(
      "DSER",
      dserSchema,
      "GMF + MLP over Doc2Vec user/item vectors (Hong et al. 2022)",
      DSER,
      true,
    ),
  );
  r.register(
    neuralEntry(
      "DSER-notebook",
      dserNotebookSchema,
      "the seed notebook's hybrid (GMF + MLP over user doc, item word, item content vectors), " +
        "its one-star-positives defect fixed",
      DSERNotebook,
      true,
    ),
  );
  return Promise.resolve(r);
}

let gitFacts: Record<string, string> | null = null;

/** The workspace's git commit (with "-dirty" for uncommitted changes), once per process. */
function gitDescribe(): Record<string, string> {
  if (gitFacts) return gitFacts;
  gitFacts = {};
  try {
    const root = new URL("../../", import.meta.url);
    if (root.protocol !== "file:") return gitFacts;
    const out = new Deno.Command("git", {
      args: ["describe", "--always", "--dirty", "--abbrev=12"],
      cwd: root,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (out.success) gitFacts.workspaceCommit = new TextDecoder().decode(out.stdout).trim();
  } catch {
    // Not a git checkout, or git is missing: nothing to record.
  }
  return gitFacts;
}

/**
 * Facts recorded in every run's environment.json: the workspace commit, so that a number
 * can be traced to the code that produced it (run ids follow the config, not the code).
 */
export function modelLibraries(): Record<string, string> {
  return { ...gitDescribe() };
}
