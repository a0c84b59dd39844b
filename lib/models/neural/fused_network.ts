/**
 * The fast executor: the same {@link NcfArchitecture}, run by fused whole-step kernels
 * (forward + backward + optimiser update of a batch, and batched scoring) in wasm SIMD over
 * all cores. The model calls them through tfjs: they are tfjs kernels registered for the
 * tfjs backend {@link FUSED_BACKEND} (by lib/train's backend selection, which owns the
 * wasm engine), and this file only calls `runKernel` with tensors and attributes, so the
 * model layer does not depend on the kernels' implementation.
 *
 * Kernel contract (names in {@link FUSED_KERNELS}); `engine` is the id returned by the
 * backend's {@link FusedNcfHost.createNcf}:
 * - train   inputs {users int32 [n], items int32 [n], labels float32 [n]},
 *           attrs {engine, batchSize} -> float32 [3]: loss sum, samples done, first
 *           non-finite batch or -1.
 * - score   inputs {users, items} attrs {engine} -> float32 [n] logits.
 * - get     attrs {engine, names: string[]} -> one float32 tensor per name.
 * - set     inputs {name: float32 tensor, ...} attrs {engine} -> [].
 * - opt     attrs {engine, kind, lr, beta1, beta2, eps, l2, lazy} -> [] (fresh state).
 * - grads   inputs {users, items, labels} attrs {engine, names} -> [loss, grad per name].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { FusedNetSpec } from "../../kernels/mod.ts";
import { ConfigError } from "../../util/errors.ts";
import {
  checkArchitecture,
  type NcfArchitecture,
  type ParamDef,
  parameterDefs,
} from "./architecture.ts";
import type {
  NcfNetwork,
  OptimizerSettings,
  TrainBatchesOptions,
  TrainBatchesResult,
} from "./network.ts";

/** Name of the tfjs backend that carries the fused kernels. */
export const FUSED_BACKEND = "dser-fused";

/** Names of the fused tfjs kernels. */
export const FUSED_KERNELS = {
  train: "DserNcfTrainBatches",
  score: "DserNcfScorePairs",
  get: "DserNcfGetParams",
  set: "DserNcfSetParams",
  opt: "DserNcfSetOptimizer",
  grads: "DserNcfGradients",
} as const;

/** What the fused tfjs backend offers besides its kernels: engine lifetime. */
export interface FusedNcfHost {
  /** Builds an engine for the architecture (weights zero) and returns its id. */
  createNcf(arch: FusedNetSpec, opts: { threads?: number }): Promise<number>;
  /** Threads an engine uses. */
  ncfThreads(id: number): number;
  /** Stops an engine's workers and frees it. */
  releaseNcf(id: number): void;
}

/** Samples per kernel call: progress and cancellation happen between calls. */
const SAMPLES_PER_CALL = 1 << 16;

/** The fused executor (see the module comment). */
export class FusedNetwork implements NcfNetwork {
  readonly description: string;
  readonly params: readonly ParamDef[];
  readonly arch: NcfArchitecture;
  readonly #host: FusedNcfHost;
  readonly #engine: number;
  readonly #trainableNames: string[];
  #released = false;

  private constructor(arch: NcfArchitecture, host: FusedNcfHost, engine: number) {
    this.arch = arch;
    this.params = parameterDefs(arch);
    this.#host = host;
    this.#engine = engine;
    this.#trainableNames = this.params.filter((p) => p.trainable).map((p) => p.name);
    this.description = `fused wasm SIMD (${host.ncfThreads(engine)} threads)`;
  }

  /**
   * Builds the network on the fused backend (which must be the active tfjs backend) and
   * loads `values` (e.g. from `initialParams`).
   */
  static async create(
    arch: NcfArchitecture,
    values: Record<string, Float32Array>,
    opts: { threads?: number } = {},
  ): Promise<FusedNetwork> {
    checkArchitecture(arch);
    if (tf.getBackend() !== FUSED_BACKEND) {
      throw new ConfigError(
        `${arch.model}: the fused executor needs the tfjs backend "${FUSED_BACKEND}" to be active ` +
          `(select backend "fused" through lib/train), the active one is "${tf.getBackend()}"`,
      );
    }
    const host = tf.backend() as unknown as FusedNcfHost;
    // The kernels' spec without the model name and the tables' initial values: those go in
    // through setParams below, not through the engine's constructor.
    const spec: FusedNetSpec = {
      nUsers: arch.nUsers,
      nItems: arch.nItems,
      tables: arch.tables.map((t) => ({
        name: t.name,
        side: t.side,
        dim: t.dim,
        trainable: t.trainable,
      })),
      gmf: arch.gmf,
      mlp: arch.mlp,
      head: arch.head,
    };
    const engine = await host.createNcf(spec, opts);
    const net = new FusedNetwork(arch, host, engine);
    try {
      await net.setParams(values);
    } catch (err) {
      net.dispose();
      throw err;
    }
    return net;
  }

  #alive(): void {
    if (this.#released) throw new Error(`${this.arch.model}: network used after dispose()`);
  }

  setOptimizer(opt: OptimizerSettings): void {
    this.#alive();
    tf.engine().runKernel(FUSED_KERNELS.opt, {}, {
      engine: this.#engine,
      kind: opt.kind,
      lr: opt.lr,
      beta1: opt.beta1,
      beta2: opt.beta2,
      eps: opt.eps,
      l2: opt.l2,
      lazy: opt.lazy,
    });
  }

  trainBatches(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
    batchSize: number,
    opts: TrainBatchesOptions = {},
  ): Promise<TrainBatchesResult> {
    this.#alive();
    const n = users.length;
    const perCall = Math.max(1, Math.floor(SAMPLES_PER_CALL / batchSize)) * batchSize;
    let lossSum = 0;
    let done = 0;
    for (let start = 0; start < n; start += perCall) {
      const end = Math.min(n, start + perCall);
      const res = tf.tidy(() => {
        const out = tf.engine().runKernel(FUSED_KERNELS.train, {
          users: tf.tensor1d(users.subarray(start, end), "int32"),
          items: tf.tensor1d(items.subarray(start, end), "int32"),
          labels: tf.tensor1d(labels.subarray(start, end), "float32"),
        }, { engine: this.#engine, batchSize }) as tf.Tensor;
        return out.dataSync().slice();
      });
      lossSum += res[0];
      if (res[2] >= 0) {
        return Promise.resolve({
          lossSum,
          samples: start + res[1],
          divergedBatch: start / batchSize + res[2],
        });
      }
      done = end;
      if (opts.onProgress && opts.onProgress(done, lossSum) === false) break;
    }
    return Promise.resolve({ lossSum, samples: done, divergedBatch: -1 });
  }

  gradients(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
  ): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    this.#alive();
    const names = this.#trainableNames;
    const outs = tf.engine().runKernel(FUSED_KERNELS.grads, {
      users: tf.tensor1d(users, "int32"),
      items: tf.tensor1d(items, "int32"),
      labels: tf.tensor1d(labels, "float32"),
    }, { engine: this.#engine, names }) as tf.Tensor[];
    const grads: Record<string, Float32Array> = {};
    names.forEach((name, k) => grads[name] = outs[k + 1].dataSync().slice() as Float32Array);
    const loss = outs[0].dataSync()[0];
    tf.dispose(outs);
    return Promise.resolve({ loss, grads });
  }

  scorePairs(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    this.#alive();
    const out = tf.tidy(() =>
      (tf.engine().runKernel(FUSED_KERNELS.score, {
        users: tf.tensor1d(users, "int32"),
        items: tf.tensor1d(items, "int32"),
      }, { engine: this.#engine }) as tf.Tensor).dataSync().slice() as Float32Array
    );
    return Promise.resolve(out);
  }

  getParams(): Promise<Record<string, Float32Array>> {
    this.#alive();
    const names = this.params.map((p) => p.name);
    const outs = tf.engine().runKernel(FUSED_KERNELS.get, {}, {
      engine: this.#engine,
      names,
    }) as tf.Tensor[];
    const res: Record<string, Float32Array> = {};
    names.forEach((n, k) => res[n] = outs[k].dataSync().slice() as Float32Array);
    tf.dispose(outs);
    return Promise.resolve(res);
  }

  setParams(values: Record<string, Float32Array>): Promise<void> {
    this.#alive();
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, v] of Object.entries(values)) {
      const p = this.params.find((x) => x.name === name);
      if (!p) {
        tf.dispose(Object.values(inputs));
        throw new ConfigError(`${this.arch.model}: unknown parameter ${JSON.stringify(name)}`);
      }
      inputs[name] = tf.tensor1d(v, "float32");
    }
    try {
      tf.engine().runKernel(FUSED_KERNELS.set, inputs, { engine: this.#engine });
    } finally {
      tf.dispose(Object.values(inputs));
    }
    return Promise.resolve();
  }

  dispose(): void {
    if (this.#released) return;
    this.#released = true;
    this.#host.releaseNcf(this.#engine);
  }
}
