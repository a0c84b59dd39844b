/**
 * The numerical reference: an {@link NcfArchitecture} as tfjs variables and ops, trained
 * with tfjs autodiff and tfjs optimisers, on whatever tfjs backend is active (cpu, wasm,
 * tensorflow = tfjs-node, or the fused backend's CPU kernels).
 *
 * Embedding lookups use a custom gradient that scatters the batch rows into a zero table
 * (scatterND) instead of tfjs's default UnsortedSegmentSum, which the wasm backend lacks and
 * the cpu backend runs over the whole table (27 samples/s for NeuMF). Adam is tfjs's own,
 * dense over every table (PyTorch's semantics).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ConfigError } from "../../util/errors.ts";
import {
  checkArchitecture,
  type NcfArchitecture,
  type ParamDef,
  parameterDefs,
  table,
} from "./architecture.ts";
import type {
  NcfNetwork,
  OptimizerSettings,
  TrainBatchesOptions,
  TrainBatchesResult,
} from "./network.ts";

let networkCounter = 0;
let gradientsRegistered: Promise<unknown> | null = null;

/**
 * tfjs-core's node build registers no gradient functions; tfjs-layers' build registers all
 * of them (globally, for every backend). Loaded once, on first use.
 */
export function ensureTfjsGradients(): Promise<unknown> {
  gradientsRegistered ??= import("@tensorflow/tfjs-layers");
  return gradientsRegistered;
}

/** Embedding lookup whose gradient is a scatter of the batch rows (duplicates summed). */
function gatherRows(tableTensor: tf.Tensor, idx: tf.Tensor1D): tf.Tensor2D {
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    // Keep the indices alive until the backward pass (the forward tidy would free them).
    save([idx]);
    return {
      value: tf.gather(t, idx) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.scatterND(tf.expandDims(saved[0], 1), dy, t.shape),
    };
  });
  return lookup(tableTensor) as tf.Tensor2D;
}

/** Distinct values of `a` as an int32 tensor (L2 applies once per touched row). */
function distinct(a: Int32Array): tf.Tensor1D {
  return tf.tensor1d(Int32Array.from(new Set(a)), "int32");
}

/** The tfjs reference executor. */
export class TfjsNetwork implements NcfNetwork {
  readonly description: string;
  readonly params: readonly ParamDef[];
  readonly arch: NcfArchitecture;
  /** Trainable parameters as variables, fixed tables as constant tensors. */
  readonly #tensors = new Map<string, tf.Variable | tf.Tensor>();
  readonly #trainable: tf.Variable[] = [];
  readonly #nameOf = new Map<string, string>();
  #optimizer: tf.Optimizer | null = null;
  #settings: OptimizerSettings | null = null;

  /**
   * Builds variables for `arch` with `values` (e.g. from `initialParams`) on the active
   * tfjs backend.
   */
  static async create(
    arch: NcfArchitecture,
    values: Record<string, Float32Array>,
  ): Promise<TfjsNetwork> {
    await ensureTfjsGradients();
    return new TfjsNetwork(arch, values);
  }

  private constructor(arch: NcfArchitecture, values: Record<string, Float32Array>) {
    checkArchitecture(arch);
    this.arch = arch;
    this.params = parameterDefs(arch);
    this.description = `tfjs ${tf.getBackend()}`;
    const prefix = `ncf${networkCounter++}`;
    for (const p of this.params) {
      const v = values[p.name];
      if (!v) throw new ConfigError(`${arch.model}: no initial value for ${p.name}`);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (v.length !== size) {
        throw new ConfigError(`${arch.model}: ${p.name} has ${v.length} values, expected ${size}`);
      }
      const t = tf.tensor(v, p.shape, "float32");
      if (p.trainable) {
        const variable = tf.variable(t, true, `${prefix}/${p.name}`);
        t.dispose();
        this.#tensors.set(p.name, variable);
        this.#trainable.push(variable);
        this.#nameOf.set(variable.name, p.name);
      } else {
        this.#tensors.set(p.name, t);
      }
    }
  }

  #t(name: string): tf.Tensor {
    const t = this.#tensors.get(name);
    if (!t) throw new Error(`${this.arch.model}: no parameter ${name}`);
    return t;
  }

  #rows(name: string, users: tf.Tensor1D, items: tf.Tensor1D): tf.Tensor2D {
    const def = table(this.arch, name);
    const idx = def.side === "user" ? users : items;
    return def.trainable
      ? gatherRows(this.#t(name), idx)
      : tf.gather(this.#t(name), idx) as tf.Tensor2D;
  }

  #linear(x: tf.Tensor2D, kernel: string, bias: string): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.#t(kernel) as tf.Tensor2D), this.#t(bias)) as tf.Tensor2D;
  }

  /** Logits of a batch, shape [n]: the architecture read top to bottom. */
  forward(users: tf.Tensor1D, items: tf.Tensor1D): tf.Tensor1D {
    const a = this.arch;
    let gmf: tf.Tensor2D | null = null;
    if (a.gmf) {
      gmf = tf.mul(this.#rows(a.gmf.user, users, items), this.#rows(a.gmf.item, users, items));
    }
    let mlp: tf.Tensor2D | null = null;
    if (a.mlp) {
      const parts = a.mlp.inputs.map((n) => this.#rows(n, users, items));
      let x = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
      for (const l of a.mlp.layers) x = tf.relu(this.#linear(x, l.kernel, l.bias));
      mlp = x;
    }
    const h = a.head;
    let z: tf.Tensor2D;
    if (h.kind === "score") {
      const sG = tf.sigmoid(this.#linear(gmf!, h.gmfKernel, h.gmfBias));
      const sM = tf.sigmoid(this.#linear(mlp!, h.mlpKernel, h.mlpBias));
      z = this.#linear(tf.concat([sG, sM], 1), h.fuseKernel, h.fuseBias);
    } else {
      const x = h.kind === "gmf" ? gmf! : h.kind === "mlp" ? mlp! : tf.concat([gmf!, mlp!], 1);
      z = this.#linear(x, h.kernel, h.bias);
    }
    return tf.reshape(z, [-1]) as tf.Tensor1D;
  }

  /** Mean BCE with logits + the L2 term, as the fused kernel defines them. */
  #loss(
    u: Int32Array,
    i: Int32Array,
    y: Float32Array,
    l2: number,
  ): tf.Scalar {
    const users = tf.tensor1d(u, "int32");
    const items = tf.tensor1d(i, "int32");
    const labels = tf.tensor1d(y, "float32");
    const z = this.forward(users, items);
    // max(z, 0) - z * y + log(1 + exp(-|z|)): stable for any z.
    const perSample = tf.add(
      tf.sub(tf.relu(z), tf.mul(z, labels)),
      tf.log1p(tf.exp(tf.neg(tf.abs(z)))),
    );
    let loss = tf.mean(perSample) as tf.Scalar;
    if (l2 > 0) {
      // Coupled L2: gradient + l2 * w for dense weights, and for each table row once per
      // batch it appears in (what the fused kernel does).
      let penalty: tf.Scalar = tf.scalar(0);
      for (const p of this.params) {
        if (!p.trainable) continue;
        if (p.kind === "table") {
          const def = table(this.arch, p.name);
          const rows = distinct(def.side === "user" ? u : i);
          penalty = tf.add(penalty, tf.sum(tf.square(gatherRows(this.#t(p.name), rows))));
        } else {
          penalty = tf.add(penalty, tf.sum(tf.square(this.#t(p.name))));
        }
      }
      loss = tf.add(loss, tf.mul(0.5 * l2, penalty));
    }
    return loss;
  }

  setOptimizer(opt: OptimizerSettings): void {
    if (opt.lazy) {
      throw new ConfigError(
        `${this.arch.model}: embeddingAdam "lazy" is implemented by the fused backend only ` +
          `(the tfjs reference runs dense Adam)`,
      );
    }
    this.#optimizer?.dispose();
    this.#settings = { ...opt };
    this.#optimizer = opt.kind === "adam"
      ? tf.train.adam(opt.lr, opt.beta1, opt.beta2, opt.eps)
      : tf.train.sgd(opt.lr);
  }

  trainBatches(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
    batchSize: number,
    opts: TrainBatchesOptions = {},
  ): Promise<TrainBatchesResult> {
    if (!this.#optimizer || !this.#settings) throw new Error("TfjsNetwork: setOptimizer first");
    const n = users.length;
    const opt = this.#optimizer;
    const l2 = this.#settings.l2;
    let lossSum = 0;
    let done = 0;
    for (let start = 0, b = 0; start < n; start += batchSize, b++) {
      const end = Math.min(n, start + batchSize);
      const u = users.subarray(start, end);
      const i = items.subarray(start, end);
      const y = labels.subarray(start, end);
      const lossT = opt.minimize(() => this.#loss(u, i, y, l2), true, this.#trainable);
      const loss = lossT!.dataSync()[0];
      lossT!.dispose();
      if (!Number.isFinite(loss)) {
        return Promise.resolve({ lossSum, samples: done, divergedBatch: b });
      }
      // The L2 term is not part of the reported data loss.
      lossSum += (l2 > 0 ? this.#dataLoss(u, i, y) : loss) * (end - start);
      done = end;
      if (opts.onProgress && opts.onProgress(done, lossSum) === false) break;
    }
    return Promise.resolve({ lossSum, samples: done, divergedBatch: -1 });
  }

  #dataLoss(u: Int32Array, i: Int32Array, y: Float32Array): number {
    return tf.tidy(() => this.#loss(u, i, y, 0).dataSync()[0]);
  }

  gradients(
    users: Int32Array,
    items: Int32Array,
    labels: Float32Array,
  ): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
    const l2 = this.#settings?.l2 ?? 0;
    const { value, grads } = tf.variableGrads(
      () => this.#loss(users, items, labels, l2),
      this.#trainable,
    );
    const out: Record<string, Float32Array> = {};
    for (const [varName, g] of Object.entries(grads)) {
      out[this.#nameOf.get(varName)!] = g.dataSync().slice() as Float32Array;
      g.dispose();
    }
    // Report the data loss (BCE) like the fused kernel; the gradients include the L2 term.
    const loss = l2 > 0 ? this.#dataLoss(users, items, labels) : value.dataSync()[0];
    value.dispose();
    return Promise.resolve({ loss, grads: out });
  }

  scorePairs(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    const out = new Float32Array(users.length);
    const block = 1 << 16;
    for (let s = 0; s < users.length; s += block) {
      const e = Math.min(users.length, s + block);
      const z = tf.tidy(() =>
        this.forward(
          tf.tensor1d(users.subarray(s, e), "int32"),
          tf.tensor1d(items.subarray(s, e), "int32"),
        ).dataSync()
      );
      out.set(z, s);
    }
    return Promise.resolve(out);
  }

  getParams(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const p of this.params) out[p.name] = this.#t(p.name).dataSync().slice() as Float32Array;
    return Promise.resolve(out);
  }

  setParams(values: Record<string, Float32Array>): Promise<void> {
    for (const [name, v] of Object.entries(values)) {
      const p = this.params.find((x) => x.name === name);
      if (!p) {
        throw new ConfigError(`${this.arch.model}: unknown parameter ${JSON.stringify(name)}`);
      }
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (v.length !== size) {
        throw new ConfigError(
          `${this.arch.model}: ${name} has ${v.length} values, expected ${size}`,
        );
      }
      const current = this.#t(name);
      if (current instanceof tf.Variable) {
        tf.tidy(() => (current as tf.Variable).assign(tf.tensor(v, p.shape, "float32")));
      } else {
        current.dispose();
        this.#tensors.set(name, tf.tensor(v, p.shape, "float32"));
      }
    }
    return Promise.resolve();
  }

  dispose(): void {
    this.#optimizer?.dispose();
    this.#optimizer = null;
    for (const t of this.#tensors.values()) t.dispose();
    this.#tensors.clear();
  }
}
