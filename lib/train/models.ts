/**
 * The neural recommenders as {@link Recommender}s: GMF, MLP, NeuMF (with optional NCF
 * pretraining), DSER and the seed notebook's hybrid (DSERNotebook). Each validates its
 * hyperparameters against its schema (lib/models/neural), builds its architecture on the
 * split's dimensions, picks the backend and trains with {@link trainNetwork}.
 *
 * @example
 * ```ts
 * const model = new NeuMF({ epochs: 10, backend: "auto" });
 * const report = await model.fit(split, { seed: 1 });
 * const r = await evaluateSampled(model, split.test, { ks: [10] });
 * console.log(report.info.backend, r.mean["HR@10"]);
 * model.dispose();
 * ```
 *
 * @module
 */
import type { Split } from "../data/types.ts";
import {
  checkArchitecture,
  countTrainable,
  type DocumentVectors,
  dserArchitecture,
  dserNotebookSchema,
  dserSchema,
  FusedNetwork,
  gmfArchitecture,
  gmfSchema,
  initialParams,
  mlpArchitecture,
  mlpSchema,
  type NcfArchitecture,
  type NcfNetwork,
  neumfArchitecture,
  neumfFromPretrained,
  neumfSchema,
  type OptimizerSettings,
  parameterDefs,
  TfjsNetwork,
  type TrainingParams,
} from "../models/mod.ts";
import type { FitContext, FitReport, Recommender } from "../models/types.ts";
import { ConfigError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { nearestKey, type Schema, validate } from "../util/schema.ts";
import { type BackendChoice, selectBackend } from "./backends.ts";
import { readWeights, writeWeights } from "./checkpoint.ts";
import { trainNetwork } from "./trainer.ts";

/** Options of a neural model besides its hyperparameters. */
export interface NeuralOptions {
  /** Document vectors for DSER (the embedding stage's output). */
  documents?: DocumentVectors | null;
  /** Folder for checkpoints (`best.weights`), e.g. `<run>/checkpoints`. */
  checkpointDir?: string;
}

/** Common parts of every neural recommender. */
export abstract class NeuralRecommender implements Recommender {
  abstract readonly name: string;
  /** Validated hyperparameters. */
  readonly params: Record<string, unknown> & TrainingParams;
  readonly options: NeuralOptions;
  #nUsers = 0;
  #nItems = 0;
  #network: NcfNetwork | null = null;
  #arch: NcfArchitecture | null = null;
  #backend: BackendChoice | null = null;

  constructor(
    schema: Schema,
    name: string,
    params: Record<string, unknown>,
    options: NeuralOptions,
  ) {
    this.params = validate(schema, params, name) as Record<string, unknown> & TrainingParams;
    this.options = options;
  }

  get nUsers(): number {
    return this.#nUsers;
  }

  get nItems(): number {
    return this.#nItems;
  }

  /** The trained network's architecture (after fit). */
  get architecture(): NcfArchitecture | null {
    return this.#arch;
  }

  /** The backend used by the last fit. */
  get backend(): BackendChoice | null {
    return this.#backend;
  }

  /** This model's network for `nUsers` x `nItems`. */
  abstract buildArchitecture(nUsers: number, nItems: number): NcfArchitecture;

  /** Initial weights (subclasses may replace, e.g. NeuMF pretraining). */
  protected initialWeights(
    arch: NcfArchitecture,
    _split: Split,
    ctx: FitContext,
  ): Promise<
    { values: Record<string, Float32Array>; info: Record<string, string | number | boolean> }
  > {
    return Promise.resolve({ values: initialParams(arch, ctx.seed), info: {} });
  }

  /** Optimiser of the main training phase. */
  protected optimizer(): OptimizerSettings {
    const p = this.params;
    return {
      kind: p.optimizer,
      lr: p.lr,
      beta1: p.beta1,
      beta2: p.beta2,
      eps: p.eps,
      l2: p.l2,
      lazy: p.embeddingAdam === "lazy",
    };
  }

  async fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    this.dispose();
    const arch = this.buildArchitecture(split.nUsers, split.nItems);
    checkArchitecture(arch);
    const backend = await selectBackend(this.params.backend);
    const init = await this.initialWeights(arch, split, ctx);
    const network = await createNetwork(arch, init.values, backend, this.params.threads);
    this.#network = network;
    this.#arch = arch;
    this.#backend = backend;
    this.#nUsers = split.nUsers;
    this.#nItems = split.nItems;
    const opt = this.optimizer();
    try {
      network.setOptimizer(opt);
      const shapes = Object.fromEntries(parameterDefs(arch).map((d) => [d.name, d.shape]));
      const result = await trainNetwork(network, split, {
        model: this.name,
        seed: ctx.seed,
        params: { ...this.params, optimizer: opt.kind, lr: opt.lr },
        scorer: this,
        progress: ctx.progress,
        signal: ctx.signal,
        onEpoch: ctx.onEpoch,
        checkpointDir: this.options.checkpointDir,
        checkpointMeta: { params: this.params },
        shapes,
      });
      const rates = result.history.map((h) => h.samples / h.seconds).sort((a, b) => a - b);
      return {
        history: result.history,
        bestEpoch: result.bestEpoch,
        seconds: (performance.now() - t0) / 1000,
        info: {
          backend: backend.name,
          tfjsBackend: backend.tfjsBackend,
          backendReason: backend.reason,
          executor: network.description,
          trainableParams: countTrainable(arch),
          optimizer: opt.kind,
          lr: opt.lr,
          embeddingAdam: this.params.embeddingAdam,
          stoppedEarly: result.stoppedEarly,
          samplesPerSecondMedian: rates.length ? Math.round(rates[rates.length >> 1]) : 0,
          ...(result.bestValid !== null
            ? { [`valid${this.params.validMetric}`]: result.bestValid }
            : {}),
          ...init.info,
        },
      };
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  #net(): NcfNetwork {
    if (!this.#network) throw new Error(`${this.name}: not trained yet (call fit first)`);
    return this.#network;
  }

  scorePairs(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    return this.#net().scorePairs(users, items);
  }

  async scoreAll(users: Int32Array): Promise<Float32Array> {
    const out = new Float32Array(users.length * this.#nItems);
    await this.scoreAllInto(users, out);
    return out;
  }

  async scoreAllInto(users: Int32Array, out: Float32Array): Promise<void> {
    const n = this.#nItems;
    const u = new Int32Array(users.length * n);
    const i = new Int32Array(users.length * n);
    for (let k = 0; k < users.length; k++) {
      u.fill(users[k], k * n, (k + 1) * n);
      for (let j = 0; j < n; j++) i[k * n + j] = j;
    }
    out.set(await this.#net().scorePairs(u, i));
  }

  /** Copies of the current weights by parameter name. */
  getWeights(): Promise<Record<string, Float32Array>> {
    return this.#net().getParams();
  }

  /** Writes the current weights (atomically) to `path`. */
  async saveWeights(path: string, meta: Record<string, unknown> = {}): Promise<void> {
    const arch = this.#arch!;
    const params = await this.#net().getParams();
    const shapes = Object.fromEntries(parameterDefs(arch).map((d) => [d.name, d.shape]));
    await writeWeights(path, {
      model: this.name,
      meta: { ...meta, params: this.params, nUsers: this.#nUsers, nItems: this.#nItems },
      params,
      shapes,
    });
  }

  /**
   * Loads weights written by {@link saveWeights} into this model, building its network
   * for the file's dimensions when it has none. Names and shapes must match.
   */
  async loadWeights(path: string): Promise<void> {
    const w = await readWeights(path);
    if (w.model !== this.name) {
      throw new ConfigError(`${path}: weights of model ${w.model}, not ${this.name}`);
    }
    if (!this.#network) {
      const nUsers = Number(w.meta.nUsers);
      const nItems = Number(w.meta.nItems);
      const arch = this.buildArchitecture(nUsers, nItems);
      const backend = await selectBackend(this.params.backend);
      this.#network = await createNetwork(
        arch,
        initialParams(arch, 0),
        backend,
        this.params.threads,
      );
      this.#arch = arch;
      this.#backend = backend;
      this.#nUsers = nUsers;
      this.#nItems = nItems;
    }
    for (const d of parameterDefs(this.#arch!)) {
      const v = w.params[d.name];
      if (!v) throw new ConfigError(`${path}: no parameter ${d.name}`);
      if (JSON.stringify(w.shapes[d.name]) !== JSON.stringify(d.shape)) {
        throw new ConfigError(
          `${path}: ${d.name} has shape [${w.shapes[d.name]}], the model needs [${d.shape}]`,
        );
      }
    }
    await this.#network.setParams(w.params);
  }

  dispose(): void {
    this.#network?.dispose();
    this.#network = null;
  }
}

/** Builds the executor for the chosen backend. */
export function createNetwork(
  arch: NcfArchitecture,
  values: Record<string, Float32Array>,
  backend: BackendChoice,
  threads = 0,
): Promise<NcfNetwork> {
  return backend.executor === "fused"
    ? FusedNetwork.create(arch, values, { threads: threads > 0 ? threads : undefined })
    : TfjsNetwork.create(arch, values);
}

/** GMF (He et al. 2017). */
export class GMF extends NeuralRecommender {
  readonly name = "GMF";
  constructor(params: Record<string, unknown> = {}, options: NeuralOptions = {}) {
    super(gmfSchema, "GMF", params, options);
  }
  buildArchitecture(nUsers: number, nItems: number): NcfArchitecture {
    return gmfArchitecture(nUsers, nItems, this.params as unknown as { factors: number });
  }
}

/** MLP (He et al. 2017). */
export class MLP extends NeuralRecommender {
  readonly name = "MLP";
  constructor(params: Record<string, unknown> = {}, options: NeuralOptions = {}) {
    super(mlpSchema, "MLP", params, options);
  }
  buildArchitecture(nUsers: number, nItems: number): NcfArchitecture {
    return mlpArchitecture(nUsers, nItems, this.params as unknown as { layers: number[] });
  }
}

/** NeuMF (He et al. 2017), optionally pretrained from GMF and MLP. */
export class NeuMF extends NeuralRecommender {
  readonly name = "NeuMF";
  constructor(params: Record<string, unknown> = {}, options: NeuralOptions = {}) {
    super(neumfSchema, "NeuMF", params, options);
  }
  buildArchitecture(nUsers: number, nItems: number): NcfArchitecture {
    return neumfArchitecture(
      nUsers,
      nItems,
      this.params as unknown as { factors: number; layers: number[] },
    );
  }

  protected override optimizer(): OptimizerSettings {
    const base = super.optimizer();
    if (!this.params.pretrain) return base;
    return {
      ...base,
      kind: this.params.pretrainedOptimizer as "sgd" | "adam",
      lr: this.params.pretrainedLr as number,
    };
  }

  protected override async initialWeights(
    arch: NcfArchitecture,
    split: Split,
    ctx: FitContext,
  ): Promise<
    { values: Record<string, Float32Array>; info: Record<string, string | number | boolean> }
  > {
    if (!this.params.pretrain) return super.initialWeights(arch, split, ctx);
    const common: Record<string, unknown> = {};
    for (const key of Object.keys(gmfSchema)) {
      if (key !== "factors" && key in this.params) common[key] = this.params[key];
    }
    const gmf = new GMF({ ...common, factors: this.params.factors });
    const mlp = new MLP({ ...common, layers: this.params.layers });
    try {
      const seedG = Rng.derive(ctx.seed, "pretrain", "GMF").u32();
      const seedM = Rng.derive(ctx.seed, "pretrain", "MLP").u32();
      const rg = await gmf.fit(split, { ...ctx, seed: seedG, onEpoch: undefined });
      const rm = await mlp.fit(split, { ...ctx, seed: seedM, onEpoch: undefined });
      const values = neumfFromPretrained(
        await gmf.getWeights(),
        await mlp.getWeights(),
        this.params.alpha as number,
      );
      return {
        values,
        info: {
          pretrainGmfBestEpoch: rg.bestEpoch ?? 0,
          pretrainMlpBestEpoch: rm.bestEpoch ?? 0,
          pretrainSeconds: rg.seconds + rm.seconds,
          ...(rg.info[`valid${this.params.validMetric}`] !== undefined
            ? {
              pretrainGmfValid: rg.info[`valid${this.params.validMetric}`],
              pretrainMlpValid: rm.info[`valid${this.params.validMetric}`],
            }
            : {}),
        },
      };
    } finally {
      gmf.dispose();
      mlp.dispose();
    }
  }
}

/** DSER (Hong et al. 2022): GMF on ids + MLP over Doc2Vec vectors. */
export class DSER extends NeuralRecommender {
  readonly name: string = "DSER";
  constructor(params: Record<string, unknown> = {}, options: NeuralOptions = {}) {
    super(dserSchema, "DSER", params, options);
  }
  buildArchitecture(nUsers: number, nItems: number): NcfArchitecture {
    return dserArchitecture(
      nUsers,
      nItems,
      this.params as unknown as Parameters<typeof dserArchitecture>[2],
      this.options.documents as DocumentVectors,
      this.name,
    );
  }
}

/**
 * The seed notebook's hybrid, its defect fixed: GMF 8-d concatenated with an MLP over
 * [user doc, item word, item content] -> 64 -> 32 -> 16, Adam 0.01, batch 512, 4 negatives.
 */
export class DSERNotebook extends NeuralRecommender {
  readonly name = "DSERNotebook";
  constructor(params: Record<string, unknown> = {}, options: NeuralOptions = {}) {
    super(dserNotebookSchema, "DSERNotebook", params, options);
  }
  buildArchitecture(nUsers: number, nItems: number): NcfArchitecture {
    return dserArchitecture(
      nUsers,
      nItems,
      this.params as unknown as Parameters<typeof dserArchitecture>[2],
      this.options.documents as DocumentVectors,
      this.name,
    );
  }
}

/** Every neural model by name, with its schema. */
export const NEURAL_MODELS = {
  GMF: {
    schema: gmfSchema,
    create: (p: Record<string, unknown>, o?: NeuralOptions) => new GMF(p, o),
  },
  MLP: {
    schema: mlpSchema,
    create: (p: Record<string, unknown>, o?: NeuralOptions) => new MLP(p, o),
  },
  NeuMF: {
    schema: neumfSchema,
    create: (p: Record<string, unknown>, o?: NeuralOptions) => new NeuMF(p, o),
  },
  DSER: {
    schema: dserSchema,
    create: (p: Record<string, unknown>, o?: NeuralOptions) => new DSER(p, o),
  },
  DSERNotebook: {
    schema: dserNotebookSchema,
    create: (p: Record<string, unknown>, o?: NeuralOptions) => new DSERNotebook(p, o),
  },
} as const;

/** A neural model name. */
export type NeuralModelName = keyof typeof NEURAL_MODELS;

/** Builds a neural model by name; an unknown name is a ConfigError with the nearest name. */
export function createNeuralModel(
  name: string,
  params: Record<string, unknown> = {},
  options: NeuralOptions = {},
): NeuralRecommender {
  const entry = (NEURAL_MODELS as Record<string, typeof NEURAL_MODELS[NeuralModelName]>)[name];
  if (!entry) {
    const names = Object.keys(NEURAL_MODELS);
    const near = nearestKey(name, names);
    throw new ConfigError(
      `unknown neural model ${JSON.stringify(name)}${near ? ` (did you mean "${near}"?)` : ""}; ` +
        `known: ${names.join(", ")}`,
    );
  }
  return entry.create(params, options);
}
