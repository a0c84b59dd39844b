/**
 * NeuMF (He et al., "Neural Collaborative Filtering", WWW 2017, Sec. 3.4, Fig. 3): a GMF
 * branch and an MLP branch with their own embeddings; the GMF product and the MLP's last
 * layer are concatenated into one linear output and a sigmoid.
 *
 *     score(u, i) = sigmoid(h^T [p_u^G * q_i^G ; MLP([p_u^M ; q_i^M])] + b)
 *
 * Pretraining (Sec. 3.4.1): train GMF and MLP alone, copy their embeddings and layers, set
 * h = [alpha * h_GMF ; (1 - alpha) * h_MLP] and b = alpha * b_GMF + (1 - alpha) * b_MLP,
 * then train NeuMF with plain SGD (the paper's choice; `pretrainedOptimizer`).
 *
 * @module
 */
import { ConfigError } from "../../util/errors.ts";
import { arr, bool, int, num, oneOf, type Schema } from "../../util/schema.ts";
import { embedding, linearHead, type NcfArchitecture, tower } from "./architecture.ts";
import { ncfEmbeddingSize } from "./mlp.ts";
import { trainingSchema } from "./params.ts";

/** NeuMF hyperparameters: NCF's defaults plus pretraining switches and the training keys. */
export const neumfSchema = {
  factors: int({ default: 8, min: 1, doc: "GMF embedding size" }),
  layers: arr(int({ min: 1 }), {
    default: [64, 32, 16, 8],
    minLength: 2,
    doc: "NCF layers: [MLP embedding concat width (even), tower widths...]",
  }),
  pretrain: bool({ default: false, doc: "initialise from separately trained GMF and MLP" }),
  alpha: num({
    default: 0.5,
    min: 0,
    max: 1,
    doc: "pretraining: weight of GMF in the output layer",
  }),
  pretrainedOptimizer: oneOf(["sgd", "adam"] as const, {
    default: "sgd",
    doc: "pretraining: optimiser for NeuMF after initialisation (the paper: SGD)",
  }),
  pretrainedLr: num({
    default: 0.001,
    min: 0,
    exclusiveMin: true,
    doc: "pretraining: learning rate for NeuMF after initialisation",
  }),
  ...trainingSchema(),
} satisfies Schema;

/** The NeuMF network for `nUsers` x `nItems`. */
export function neumfArchitecture(
  nUsers: number,
  nItems: number,
  p: { factors: number; layers: number[] },
): NcfArchitecture {
  const half = ncfEmbeddingSize("NeuMF", p.layers);
  return {
    model: "NeuMF",
    nUsers,
    nItems,
    tables: [
      embedding("gmf.user", "user", p.factors),
      embedding("gmf.item", "item", p.factors),
      embedding("mlp.user", "user", half),
      embedding("mlp.item", "item", half),
    ],
    gmf: { user: "gmf.user", item: "gmf.item" },
    mlp: { inputs: ["mlp.user", "mlp.item"], layers: tower("mlp", p.layers.slice(1)) },
    head: linearHead("hidden"),
  };
}

/**
 * NeuMF's initial weights from trained GMF and MLP weights (NCF's `load_pretrain_model`):
 * embeddings and MLP layers copied, output layer mixed by `alpha`.
 */
export function neumfFromPretrained(
  gmf: Record<string, Float32Array>,
  mlp: Record<string, Float32Array>,
  alpha: number,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(gmf)) if (k.startsWith("gmf.")) out[k] = v.slice();
  for (const [k, v] of Object.entries(mlp)) if (k.startsWith("mlp.")) out[k] = v.slice();
  const hg = gmf["head.kernel"];
  const hm = mlp["head.kernel"];
  if (!hg || !hm) throw new ConfigError("NeuMF pretraining: GMF or MLP weights lack head.kernel");
  const h = new Float32Array(hg.length + hm.length);
  for (let k = 0; k < hg.length; k++) h[k] = alpha * hg[k];
  for (let k = 0; k < hm.length; k++) h[hg.length + k] = (1 - alpha) * hm[k];
  out["head.kernel"] = h;
  out["head.bias"] = Float32Array.of(
    alpha * gmf["head.bias"][0] + (1 - alpha) * mlp["head.bias"][0],
  );
  return out;
}
