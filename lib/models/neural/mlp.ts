/**
 * MLP (He et al., "Neural Collaborative Filtering", WWW 2017, Sec. 3.3): user and item id
 * embeddings concatenated, a tower of ReLU layers, a linear output and a sigmoid.
 * `layers` follows the NCF code: `layers[0]` is the width of the concatenated embeddings
 * (each side `layers[0] / 2`), the rest are the tower's widths; [64, 32, 16, 8] gives
 * 32-d embeddings and layers 64 -> 32 -> 16 -> 8.
 *
 *     score(u, i) = sigmoid(h^T relu(W3 relu(W2 relu(W1 [p_u; q_i] + b1) + b2) + b3) + b)
 *
 * @module
 */
import { ConfigError } from "../../util/errors.ts";
import { arr, int, type Schema } from "../../util/schema.ts";
import { embedding, linearHead, type NcfArchitecture, tower } from "./architecture.ts";
import { trainingSchema } from "./params.ts";

/** MLP hyperparameters: NCF's defaults plus the training keys. */
export const mlpSchema = {
  layers: arr(int({ min: 1 }), {
    default: [64, 32, 16, 8],
    minLength: 2,
    doc: "NCF layers: [embedding concat width (even), tower widths...]",
  }),
  ...trainingSchema(),
} satisfies Schema;

/** Checks NCF-style `layers` and returns the per-side embedding size. */
export function ncfEmbeddingSize(model: string, layers: readonly number[]): number {
  if (layers.length < 2) {
    throw new ConfigError(`${model}.layers: need at least 2 entries, got [${layers.join(", ")}]`);
  }
  if (layers[0] % 2 !== 0) {
    throw new ConfigError(
      `${model}.layers[0]: the concatenated embedding width must be even, got ${layers[0]}`,
    );
  }
  return layers[0] / 2;
}

/** The MLP network for `nUsers` x `nItems`. */
export function mlpArchitecture(
  nUsers: number,
  nItems: number,
  p: { layers: number[] },
): NcfArchitecture {
  const half = ncfEmbeddingSize("MLP", p.layers);
  return {
    model: "MLP",
    nUsers,
    nItems,
    tables: [embedding("mlp.user", "user", half), embedding("mlp.item", "item", half)],
    gmf: null,
    mlp: { inputs: ["mlp.user", "mlp.item"], layers: tower("mlp", p.layers.slice(1)) },
    head: linearHead("mlp"),
  };
}
