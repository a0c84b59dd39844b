/**
 * GMF, generalized matrix factorization (He et al., "Neural Collaborative Filtering",
 * WWW 2017, Sec. 3.2): user and item id embeddings, their element-wise product, a linear
 * output and a sigmoid.
 *
 *     score(u, i) = sigmoid(h^T (p_u * q_i) + b)
 *
 * @module
 */
import { int, type Schema } from "../../util/schema.ts";
import { embedding, linearHead, type NcfArchitecture } from "./architecture.ts";
import { trainingSchema } from "./params.ts";

/** GMF hyperparameters: NCF's defaults (8 predictive factors) plus the training keys. */
export const gmfSchema = {
  factors: int({ default: 8, min: 1, doc: "embedding size = predictive factors" }),
  ...trainingSchema(),
} satisfies Schema;

/** The GMF network for `nUsers` x `nItems`. */
export function gmfArchitecture(
  nUsers: number,
  nItems: number,
  p: { factors: number },
): NcfArchitecture {
  return {
    model: "GMF",
    nUsers,
    nItems,
    tables: [embedding("gmf.user", "user", p.factors), embedding("gmf.item", "item", p.factors)],
    gmf: { user: "gmf.user", item: "gmf.item" },
    mlp: null,
    head: linearHead("gmf"),
  };
}
