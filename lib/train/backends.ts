/**
 * Backend selection for the neural models (docs/backends.md):
 *
 * - `fused`: the tfjs backend "dser-fused", a tfjs CPU backend that also carries the fused
 *   NCF kernels (lib/kernels: whole training steps and scoring in wasm SIMD on every core).
 *   Models run their {@link FusedNetwork} through it.
 * - `wasm`, `cpu`: tfjs's own backends running the tfjs reference network
 *   ({@link TfjsNetwork}, autodiff + tfjs Adam).
 * - `tensorflow`: tfjs-node (native TensorFlow) running the tfjs reference network, when
 *   `@tensorflow/tfjs-node` is installed with its native library.
 * - `auto`: the fastest that works here. Measured (docs/backends.md): fused >> tensorflow
 *   (per-op overhead) > wasm > cpu; fused needs wasm SIMD, threads and SharedArrayBuffer,
 *   which Deno has, so auto is fused unless those are missing.
 *
 * Nothing happens at import time: backends are registered on first selection.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  fusedKernelsAvailable,
  type FusedNcf,
  FusedNcf as FusedNcfEngine,
  type FusedNetSpec,
} from "../kernels/mod.ts";
import {
  type BackendName,
  FUSED_BACKEND,
  FUSED_KERNELS,
  type FusedNcfHost,
} from "../models/mod.ts";
import { ConfigError } from "../util/errors.ts";
import { nearestKey } from "../util/schema.ts";

/** The backends a user can name. */
export const BACKENDS: readonly BackendName[] = ["auto", "fused", "wasm", "cpu", "tensorflow"];

/** What {@link selectBackend} chose. */
export interface BackendChoice {
  /** The backend name as users give it ("fused", "wasm", "cpu", "tensorflow"). */
  name: Exclude<BackendName, "auto">;
  /** The active tfjs backend ("dser-fused", "wasm", "cpu", "tensorflow"). */
  tfjsBackend: string;
  /** Which executor models use on it. */
  executor: "fused" | "tfjs";
  /** Why auto chose it, or "requested". */
  reason: string;
}

type KernelBackendLike = tf.KernelBackend & {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeTensorInfo(
    shape: number[],
    dtype: tf.DataType,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
};

let fusedRegistered: Promise<void> | null = null;
const unavailable = new Map<string, string>();

/** Names known to this module, with a did-you-mean for a typo. */
export function checkBackendName(name: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendName;
  const near = nearestKey(name, BACKENDS);
  throw new ConfigError(
    `unknown backend ${JSON.stringify(name)}${near ? ` (did you mean "${near}"?)` : ""}; ` +
      `known: ${BACKENDS.join(", ")}`,
  );
}

/**
 * Makes `name` the active tfjs backend (registering it first if needed) and says what was
 * chosen. Throws ConfigError naming the backend and how to get it when it cannot load.
 */
export async function selectBackend(name: string = "auto"): Promise<BackendChoice> {
  const want = checkBackendName(name);
  if (want === "auto") {
    const fused = await tryBackend("fused");
    if (fused === true) {
      return {
        ...(await selectBackend("fused")),
        reason: "auto: fused kernels available (fastest)",
      };
    }
    for (const other of ["tensorflow", "wasm", "cpu"] as const) {
      if ((await tryBackend(other)) === true) {
        return { ...(await selectBackend(other)), reason: `auto: fused unavailable (${fused})` };
      }
    }
    throw new ConfigError("no tfjs backend could be loaded");
  }
  const ok = await tryBackend(want);
  if (ok !== true) throw new ConfigError(`backend "${want}" is not available: ${ok}`);
  const tfjsBackend = want === "fused" ? FUSED_BACKEND : want;
  if (tf.getBackend() !== tfjsBackend) {
    if (!(await tf.setBackend(tfjsBackend))) {
      throw new ConfigError(`backend "${want}": tfjs could not initialise "${tfjsBackend}"`);
    }
  }
  await tf.ready();
  return {
    name: want,
    tfjsBackend,
    executor: want === "fused" ? "fused" : "tfjs",
    reason: "requested",
  };
}

/** Registers a backend if needed; true when usable, else the reason it is not. */
async function tryBackend(name: Exclude<BackendName, "auto">): Promise<true | string> {
  if (unavailable.has(name)) return unavailable.get(name)!;
  try {
    switch (name) {
      case "cpu":
        await import("@tensorflow/tfjs-backend-cpu");
        break;
      case "wasm":
        await registerWasm();
        break;
      case "fused":
        fusedRegistered ??= registerFused();
        await fusedRegistered;
        break;
      case "tensorflow":
        await registerTfjsNode();
        break;
    }
    return true;
  } catch (err) {
    const reason = (err as Error).message;
    unavailable.set(name, reason);
    if (name === "fused") fusedRegistered = null;
    return reason;
  }
}

async function registerWasm(): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // The package's node build reads its .wasm files next to itself; point it there.
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  if (entry.startsWith("file:")) {
    const dir = dirname(fileURLToPath(entry));
    wasm.setWasmPaths(`${dir}/`);
  }
}

/**
 * tfjs-node is not a dependency (its install step downloads libtensorflow): it is loaded
 * only when installed. `DSER_TFJS_NODE=0` disables the probe.
 */
async function registerTfjsNode(): Promise<void> {
  if (Deno.env.get("DSER_TFJS_NODE") === "0") throw new Error("disabled by DSER_TFJS_NODE=0");
  const specifier = Deno.env.get("DSER_TFJS_NODE_SPECIFIER") ?? "@tensorflow/tfjs-node";
  try {
    await import(specifier);
  } catch (err) {
    throw new Error(
      `@tensorflow/tfjs-node could not be loaded (${(err as Error).message.split("\n")[0]}). ` +
        "It needs its native TensorFlow library, downloaded by its install script; see " +
        'docs/backends.md ("Getting tfjs-node").',
    );
  }
  if (!tf.findBackend("tensorflow")) {
    throw new Error('@tensorflow/tfjs-node loaded but registered no "tensorflow" backend');
  }
}

/** Registers "dser-fused": tfjs's CPU backend + every CPU kernel + the fused kernels. */
async function registerFused(): Promise<void> {
  const ok = await fusedKernelsAvailable();
  if (ok !== true) throw new Error(`fused kernels unavailable: ${ok}`);
  if (tf.findBackend(FUSED_BACKEND)) return;
  const cpu = await import("@tensorflow/tfjs-backend-cpu");

  class FusedBackend extends cpu.MathBackendCPU implements FusedNcfHost {
    readonly engines = new Map<number, FusedNcf>();
    #next = 1;
    constructor() {
      super();
      // Silence the CPU backend's "install tfjs-node" hint: training here is not tfjs-CPU bound.
      (this as unknown as { firstUse: boolean }).firstUse = false;
    }
    async createNcf(arch: FusedNetSpec, opts: { threads?: number }): Promise<number> {
      const engine = await FusedNcfEngine.create(arch, {
        threads: opts.threads && opts.threads > 0 ? opts.threads : undefined,
      });
      const id = this.#next++;
      this.engines.set(id, engine);
      return id;
    }
    ncfThreads(id: number): number {
      return this.engine(id).threads;
    }
    releaseNcf(id: number): void {
      this.engines.get(id)?.dispose();
      this.engines.delete(id);
    }
    engine(id: number): FusedNcf {
      const e = this.engines.get(id);
      if (!e) throw new Error(`fused NCF engine ${id} does not exist (disposed?)`);
      return e;
    }
    override dispose(): void {
      for (const e of this.engines.values()) e.dispose();
      this.engines.clear();
      super.dispose();
    }
  }

  tf.registerBackend(FUSED_BACKEND, () => new FusedBackend(), 0);
  for (const k of tf.getKernelsForBackend("cpu")) {
    tf.registerKernel({ ...k, backendName: FUSED_BACKEND });
  }
  const host = (b: unknown) => b as FusedBackend & KernelBackendLike;
  const read = (b: KernelBackendLike, t: tf.TensorInfo) => b.readSync(t.dataId);
  const i32 = (b: KernelBackendLike, t: tf.TensorInfo) => {
    const v = read(b, t);
    return v instanceof Int32Array ? v : Int32Array.from(v as ArrayLike<number>);
  };
  const f32 = (b: KernelBackendLike, t: tf.TensorInfo) => {
    const v = read(b, t);
    return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
  };
  const attr = (attrs: tf.NamedAttrMap | undefined, key: string) => {
    const v = attrs?.[key];
    if (v === undefined) throw new Error(`fused kernel: missing attribute ${key}`);
    return v;
  };
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) =>
    tf.registerKernel({ kernelName, backendName: FUSED_BACKEND, kernelFunc });

  reg(FUSED_KERNELS.train, ({ inputs, backend, attrs }) => {
    const b = host(backend);
    const e = b.engine(attr(attrs, "engine") as number);
    const res = e.train(
      i32(b, inputs.users as tf.TensorInfo),
      i32(b, inputs.items as tf.TensorInfo),
      f32(b, inputs.labels as tf.TensorInfo),
      attr(attrs, "batchSize") as number,
    );
    return b.makeTensorInfo(
      [3],
      "float32",
      Float32Array.of(res.lossSum, res.samples, res.divergedBatch),
    );
  });
  reg(FUSED_KERNELS.score, ({ inputs, backend, attrs }) => {
    const b = host(backend);
    const e = b.engine(attr(attrs, "engine") as number);
    const out = e.scorePairs(
      i32(b, inputs.users as tf.TensorInfo),
      i32(b, inputs.items as tf.TensorInfo),
    );
    return b.makeTensorInfo([out.length], "float32", out);
  });
  reg(FUSED_KERNELS.get, ({ backend, attrs }) => {
    const b = host(backend);
    const e = b.engine(attr(attrs, "engine") as number);
    const params = e.getParams();
    return (attr(attrs, "names") as string[]).map((n) => {
      const info = e.params.find((p) => p.name === n);
      if (!info) throw new Error(`fused kernel: unknown parameter ${n}`);
      return b.makeTensorInfo(info.shape, "float32", params[n]);
    });
  });
  reg(FUSED_KERNELS.set, ({ inputs, backend, attrs }) => {
    const b = host(backend);
    const e = b.engine(attr(attrs, "engine") as number);
    const values: Record<string, Float32Array> = {};
    for (const [n, t] of Object.entries(inputs)) values[n] = f32(b, t as tf.TensorInfo);
    e.setParams(values);
    return [];
  });
  reg(FUSED_KERNELS.opt, ({ backend, attrs }) => {
    const b = host(backend);
    const e = b.engine(attr(attrs, "engine") as number);
    e.setOptimizer({
      kind: attr(attrs, "kind") as "adam" | "sgd",
      lr: attr(attrs, "lr") as number,
      beta1: attr(attrs, "beta1") as number,
      beta2: attr(attrs, "beta2") as number,
      eps: attr(attrs, "eps") as number,
      l2: attr(attrs, "l2") as number,
      lazy: attr(attrs, "lazy") as boolean,
    });
    e.resetOptimizerState();
    return [];
  });
  reg(FUSED_KERNELS.grads, ({ inputs, backend, attrs }) => {
    const b = host(backend);
    const e = b.engine(attr(attrs, "engine") as number);
    const { loss, grads } = e.gradients(
      i32(b, inputs.users as tf.TensorInfo),
      i32(b, inputs.items as tf.TensorInfo),
      f32(b, inputs.labels as tf.TensorInfo),
    );
    const out = [b.makeTensorInfo([], "float32", Float32Array.of(loss))];
    for (const n of attr(attrs, "names") as string[]) {
      const info = e.params.find((p) => p.name === n)!;
      out.push(b.makeTensorInfo(info.shape, "float32", grads[n]));
    }
    return out;
  });
}
