/**
 * The NCF family as data: an {@link NcfArchitecture} lists embedding (or fixed feature)
 * tables, the GMF pair, the MLP's inputs and layers, and the output head. GMF, MLP, NeuMF
 * and DSER are each one small function that returns such a description (see gmf.ts,
 * mlp.ts, neumf.ts, dser.ts); two executors run it: the tfjs reference network
 * (tfjs_network.ts, any tfjs backend, autodiff) and the fused kernels (fused_network.ts).
 *
 * Parameter names and layouts are shared by both executors:
 * - tables `[rows, dim]` (rows = nUsers or nItems),
 * - dense kernels `[in, out]` (the tfjs / Keras layout) and biases `[out]`,
 * - heads `[k, 1]` and `[1]`.
 *
 * @module
 */
import { ConfigError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type {
  FusedHeadSpec,
  FusedLayerSpec,
  FusedNetSpec,
  FusedTableSpec,
} from "../../kernels/mod.ts";

/** Which index selects a table row: the sample's user or its item. */
export type Side = FusedTableSpec["side"];

/**
 * An embedding table (learned) or a feature table (given values, frozen or fine-tuned): the
 * fused engine's table description plus optional initial values.
 */
export interface TableDef extends FusedTableSpec {
  /**
   * Initial values `[rows * dim]` (e.g. Doc2Vec vectors). Absent: NCF's N(0, 0.01) init.
   */
  values?: Float32Array;
}

/**
 * A dense layer `y = relu(x W + b)`; defined once, by the fused engine that runs it (the tfjs
 * executor reads the same description).
 */
export type DenseLayerDef = FusedLayerSpec;

/**
 * The output head: a linear layer over the GMF product (GMF), the last MLP layer (MLP) or their
 * concatenation (NeuMF, kind "hidden"); or score fusion, where each branch ends in its own
 * sigmoid score and a Linear(2, 1) mixes them (kind "score", DSER as reimplemented).
 */
export type HeadDef = FusedHeadSpec;

/**
 * A network of the NCF family: the fused engine's network description (tables, GMF pair, MLP
 * inputs and layers, head) with a model name and tables that may carry initial values.
 */
export interface NcfArchitecture extends FusedNetSpec {
  /** Model name for messages, e.g. "NeuMF". */
  model: string;
  tables: TableDef[];
}

/** One parameter of an architecture. */
export interface ParamDef {
  name: string;
  shape: number[];
  kind: "table" | "kernel" | "bias";
  trainable: boolean;
  /** Fan-in used by the default initialisation of kernels and biases. */
  fanIn: number;
}

/** A learned id-embedding table. */
export function embedding(name: string, side: Side, dim: number): TableDef {
  return { name, side, dim, trainable: true };
}

/** A table of given feature vectors (e.g. Doc2Vec), frozen or fine-tuned. */
export function features(
  name: string,
  side: Side,
  dim: number,
  values: Float32Array,
  trainable: boolean,
): TableDef {
  return { name, side, dim, trainable, values };
}

/** Dense ReLU layers named `<prefix>.dense<k>.kernel|bias` with the given widths. */
export function tower(prefix: string, units: readonly number[]): DenseLayerDef[] {
  return units.map((u, k) => ({
    kernel: `${prefix}.dense${k}.kernel`,
    bias: `${prefix}.dense${k}.bias`,
    units: u,
  }));
}

/** A linear head over the GMF product, the last MLP layer, or both concatenated. */
export function linearHead(kind: "gmf" | "mlp" | "hidden"): HeadDef {
  return { kind, kernel: "head.kernel", bias: "head.bias" };
}

/** Score fusion: sigmoid(Linear(2,1)([sigmoid(gmf score), sigmoid(mlp score)])). */
export function scoreFusionHead(): HeadDef {
  return {
    kind: "score",
    gmfKernel: "gmf.head.kernel",
    gmfBias: "gmf.head.bias",
    mlpKernel: "mlp.head.kernel",
    mlpBias: "mlp.head.bias",
    fuseKernel: "fuse.kernel",
    fuseBias: "fuse.bias",
  };
}

/** Rows of a table. */
export function tableRows(arch: NcfArchitecture, t: TableDef): number {
  return t.side === "user" ? arch.nUsers : arch.nItems;
}

/** Width of the MLP input (sum of its tables' dims), 0 without MLP. */
export function mlpInputWidth(arch: NcfArchitecture): number {
  if (!arch.mlp) return 0;
  return arch.mlp.inputs.reduce((s, n) => s + table(arch, n).dim, 0);
}

/** The table named `name`. */
export function table(arch: NcfArchitecture, name: string): TableDef {
  const t = arch.tables.find((x) => x.name === name);
  if (!t) throw new ConfigError(`${arch.model}: unknown table ${JSON.stringify(name)}`);
  return t;
}

/** Every parameter in a fixed order: tables, MLP layers, head. */
export function parameterDefs(arch: NcfArchitecture): ParamDef[] {
  const out: ParamDef[] = arch.tables.map((t) => ({
    name: t.name,
    shape: [tableRows(arch, t), t.dim],
    kind: "table" as const,
    trainable: t.trainable,
    fanIn: t.dim,
  }));
  let width = mlpInputWidth(arch);
  for (const l of arch.mlp?.layers ?? []) {
    out.push({
      name: l.kernel,
      shape: [width, l.units],
      kind: "kernel",
      trainable: true,
      fanIn: width,
    });
    out.push({ name: l.bias, shape: [l.units], kind: "bias", trainable: true, fanIn: width });
    width = l.units;
  }
  const f = arch.gmf ? table(arch, arch.gmf.user).dim : 0;
  const h = arch.mlp ? arch.mlp.layers[arch.mlp.layers.length - 1].units : 0;
  const lin = (kernel: string, bias: string, k: number) => {
    out.push({ name: kernel, shape: [k, 1], kind: "kernel", trainable: true, fanIn: k });
    out.push({ name: bias, shape: [1], kind: "bias", trainable: true, fanIn: k });
  };
  const head = arch.head;
  if (head.kind === "score") {
    lin(head.gmfKernel, head.gmfBias, f);
    lin(head.mlpKernel, head.mlpBias, h);
    lin(head.fuseKernel, head.fuseBias, 2);
  } else {
    lin(head.kernel, head.bias, head.kind === "gmf" ? f : head.kind === "mlp" ? h : f + h);
  }
  return out;
}

/** Number of trainable floats. */
export function countTrainable(arch: NcfArchitecture): number {
  return parameterDefs(arch)
    .filter((p) => p.trainable)
    .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Initial values of every parameter, seeded per parameter (`Rng.derive(seed, "init", name)`)
 * so that adding a parameter never changes another's start. Tables: the given values or
 * N(0, 0.01) as NCF; kernels and biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) as PyTorch's
 * nn.Linear (the reference torch_ncf.py uses both).
 */
export function initialParams(arch: NcfArchitecture, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const p of parameterDefs(arch)) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const given = p.kind === "table" ? table(arch, p.name).values : undefined;
    if (given) {
      out[p.name] = given.slice();
      continue;
    }
    const rng = Rng.derive(seed, "init", p.name);
    const v = new Float32Array(size);
    if (p.kind === "table") {
      for (let k = 0; k < size; k++) v[k] = 0.01 * rng.normal();
    } else {
      const bound = 1 / Math.sqrt(Math.max(1, p.fanIn));
      for (let k = 0; k < size; k++) v[k] = (2 * rng.float() - 1) * bound;
    }
    out[p.name] = v;
  }
  return out;
}

/**
 * Checks an architecture for consistency (names, dims, branch/head agreement, given values'
 * sizes); throws ConfigError naming the model and the part at fault.
 */
export function checkArchitecture(arch: NcfArchitecture): void {
  const where = arch.model;
  if (!(Number.isInteger(arch.nUsers) && arch.nUsers > 0)) {
    throw new ConfigError(`${where}: nUsers must be a positive integer, got ${arch.nUsers}`);
  }
  if (!(Number.isInteger(arch.nItems) && arch.nItems > 0)) {
    throw new ConfigError(`${where}: nItems must be a positive integer, got ${arch.nItems}`);
  }
  const seen = new Set<string>();
  for (const t of arch.tables) {
    if (seen.has(t.name)) throw new ConfigError(`${where}: duplicate table ${t.name}`);
    seen.add(t.name);
    if (!(Number.isInteger(t.dim) && t.dim > 0)) {
      throw new ConfigError(
        `${where}: table ${t.name} must have a positive integer dim, got ${t.dim}`,
      );
    }
    if (t.values) {
      const rows = tableRows(arch, t);
      if (t.values.length !== rows * t.dim) {
        throw new ConfigError(
          `${where}: ${t.name} has ${t.values.length} values, expected ${rows} ${t.side}s x ${t.dim} = ${
            rows * t.dim
          }`,
        );
      }
      for (let k = 0; k < t.values.length; k++) {
        if (!Number.isFinite(t.values[k])) {
          throw new ConfigError(
            `${where}: ${t.name} has a non-finite value at row ${Math.floor(k / t.dim)}`,
          );
        }
      }
    }
  }
  if (arch.gmf) {
    const u = table(arch, arch.gmf.user);
    const i = table(arch, arch.gmf.item);
    if (u.side !== "user" || i.side !== "item") {
      throw new ConfigError(`${where}: GMF needs a user table and an item table`);
    }
    if (u.dim !== i.dim) {
      throw new ConfigError(`${where}: GMF tables differ in dim (${u.dim} vs ${i.dim})`);
    }
  }
  if (arch.mlp) {
    if (arch.mlp.inputs.length === 0) throw new ConfigError(`${where}: the MLP has no inputs`);
    if (arch.mlp.layers.length === 0) throw new ConfigError(`${where}: the MLP has no layers`);
    for (const n of arch.mlp.inputs) table(arch, n);
    for (const l of arch.mlp.layers) {
      if (!(Number.isInteger(l.units) && l.units > 0)) {
        throw new ConfigError(`${where}: layer ${l.kernel} must have >= 1 units, got ${l.units}`);
      }
    }
  }
  const kind = arch.head.kind;
  if (kind !== "mlp" && !arch.gmf) throw new ConfigError(`${where}: head "${kind}" needs GMF`);
  if (kind !== "gmf" && !arch.mlp) throw new ConfigError(`${where}: head "${kind}" needs an MLP`);
}
