/**
 * DSER (Hong, Koo, Chung, "DSER: Deep-Sequential Embedding for Single Domain
 * Recommendation", ESWA 208, 2022): a GMF branch on learned id embeddings and an MLP branch
 * over Doc2Vec vectors: the user's vector from their time-ordered item "document", and the
 * item's vector from its time-ordered user document. The branches are fused
 *
 * - by score (`fusion: "score"`, as the public RecBole reimplementation does): each branch
 *   ends in its own sigmoid score and a Linear(2, 1) + sigmoid combines the two, or
 * - by hidden layer (`fusion: "hidden"`, as NeuMF): the GMF product and the MLP's last layer
 *   are concatenated into one linear output.
 *
 *     s_G = sigmoid(h_G^T (p_u * q_i) + b_G)
 *     s_M = sigmoid(h_M^T MLP([d_u ; d_i]) + b_M)
 *     score(u, i) = sigmoid(w_1 s_G + w_2 s_M + b)
 *
 * Switches: which document vectors feed the MLP (`inputs`: "user" = user document vector,
 * "itemDoc" = item document vector, "itemWord" = the item's word vector from the user
 * documents, "itemContent" = item content document vector), and whether they stay frozen
 * or are fine-tuned (`documentVectors`).
 *
 * The seed notebook's hybrid is the named variant {@link dserNotebookSchema}: GMF 8-d
 * concatenated (hidden fusion) with an MLP over [user doc, item word, item content]
 * -> 64 -> 32 -> 16, Adam 0.01, batch 512, 4 negatives, 10 epochs. Its defect (training
 * positives filtered with `rating == 1` after the implicit conversion, so only one-star
 * ratings were positives) cannot recur here: every model trains on `split.train`, whose
 * rows are the implicit positives chosen by the data layer's threshold.
 *
 * @module
 */
import { ConfigError } from "../../util/errors.ts";
import { arr, int, oneOf, type Schema } from "../../util/schema.ts";
import {
  embedding,
  features,
  linearHead,
  type NcfArchitecture,
  scoreFusionHead,
  type TableDef,
  tower,
} from "./architecture.ts";
import { trainingSchema } from "./params.ts";

/**
 * Document vectors as produced by the embedding stage (lib/embedding `embedSplit`):
 * row-major `[rows * dim]` float32 matrices.
 */
export interface DocumentVectors {
  /** Floats per vector (of every table unless `dims` says otherwise). */
  dim: number;
  /** Floats per vector of individual tables, when they differ (as embedSplit reports them). */
  dims?: Partial<Record<string, number>>;
  /** User document vectors. Shape: [nUsers * dim]. */
  user?: Float32Array;
  /** Item word vectors from the user documents. Shape: [nItems * dim]. */
  itemWord?: Float32Array;
  /** Item document vectors from the item documents. Shape: [nItems * dim]. */
  itemDoc?: Float32Array;
  /** Item content document vectors. Shape: [nItems * dim]. */
  itemContent?: Float32Array;
}

/** Names of the document inputs DSER's MLP can read. */
export const DSER_INPUTS = ["user", "itemDoc", "itemWord", "itemContent"] as const;
/** One document input. */
export type DserInput = typeof DSER_INPUTS[number];

const INPUT_DOC: Record<DserInput, string> = {
  user: "user document vectors (user documents)",
  itemDoc: "item document vectors (item documents)",
  itemWord: "item word vectors (user documents with word training)",
  itemContent: "item content vectors (item content documents)",
};

function dserKeys(d: { hidden: number[]; inputs: DserInput[]; fusion: string }) {
  return {
    factors: int({ default: 8, min: 1, doc: "GMF embedding size" }),
    hidden: arr(int({ min: 1 }), {
      default: d.hidden,
      minLength: 1,
      doc: "MLP widths over the concatenated document vectors",
    }),
    inputs: arr(oneOf(DSER_INPUTS), {
      default: d.inputs,
      minLength: 1,
      doc: "document vectors concatenated as the MLP input",
    }),
    fusion: oneOf(["score", "hidden"] as const, {
      default: d.fusion as "score",
      doc:
        "score: Linear(2,1) over the branches' sigmoid scores; hidden: NeuMF-style concatenation",
    }),
    documentVectors: oneOf(["frozen", "finetune"] as const, {
      default: "frozen",
      doc: "keep the Doc2Vec vectors fixed or train them with the model",
    }),
  };
}

/** DSER hyperparameters (paper setting as inferred; NCF training defaults). */
export const dserSchema = {
  ...dserKeys({ hidden: [64, 32, 16], inputs: ["user", "itemDoc"], fusion: "score" }),
  ...trainingSchema(),
} satisfies Schema;

/** The seed notebook's hybrid, defect fixed: its own defaults. */
export const dserNotebookSchema = {
  ...dserKeys({
    hidden: [64, 32, 16],
    inputs: ["user", "itemWord", "itemContent"],
    fusion: "hidden",
  }),
  ...trainingSchema({ lr: 0.01, batchSize: 512, epochs: 10 }),
} satisfies Schema;

/** Architecture keys of DSER. */
export interface DserArchParams {
  factors: number;
  hidden: number[];
  inputs: DserInput[];
  fusion: "score" | "hidden";
  documentVectors: "frozen" | "finetune";
}

/** Floats per vector of one document input. */
export function documentDim(docs: DocumentVectors, input: DserInput): number {
  return docs.dims?.[input] ?? docs.dim;
}

/**
 * Checks document vectors against the data: every requested input present, sized
 * `[rows * dim]`, finite. Throws ConfigError naming the input, expected and actual sizes.
 */
export function checkDocumentVectors(
  model: string,
  docs: DocumentVectors | null | undefined,
  inputs: readonly DserInput[],
  nUsers: number,
  nItems: number,
): void {
  if (!docs) {
    throw new ConfigError(
      `${model} needs document vectors (the embedding stage's output, lib/embedding embedSplit): ` +
        `pass options.documents`,
    );
  }
  const seen = new Set<string>();
  for (const input of inputs) {
    const dim = documentDim(docs, input);
    if (!(Number.isInteger(dim) && dim > 0)) {
      throw new ConfigError(
        `${model}: the ${input} vectors' dim must be a positive integer, got ${dim}`,
      );
    }
    if (seen.has(input)) throw new ConfigError(`${model}.inputs: ${input} is listed twice`);
    seen.add(input);
    const values = docs[input];
    if (!values) {
      throw new ConfigError(
        `${model}.inputs includes "${input}" but the embedding stage produced no ${
          INPUT_DOC[input]
        } ` +
          `(documents.${input} is missing)`,
      );
    }
    const rows = input === "user" ? nUsers : nItems;
    if (values.length !== rows * docs.dim) {
      const got = values.length % docs.dim === 0
        ? `${values.length / docs.dim} rows of ${docs.dim}`
        : `${values.length} floats, not a multiple of dim ${docs.dim}`;
      throw new ConfigError(
        `${model}: documents.${input} must hold ${rows} ${
          input === "user" ? "users" : "items"
        } x ` +
          `${docs.dim} = ${rows * docs.dim} floats, got ${got}`,
      );
    }
  }
}

/** The DSER network (or its notebook variant, `model = "DSERNotebook"`). */
export function dserArchitecture(
  nUsers: number,
  nItems: number,
  p: DserArchParams,
  docs: DocumentVectors,
  model = "DSER",
): NcfArchitecture {
  checkDocumentVectors(model, docs, p.inputs, nUsers, nItems);
  const trainable = p.documentVectors === "finetune";
  const docTables: TableDef[] = p.inputs.map((input) =>
    features(
      `doc.${input}`,
      input === "user" ? "user" : "item",
      documentDim(docs, input),
      docs[input]!,
      trainable,
    )
  );
  return {
    model,
    nUsers,
    nItems,
    tables: [
      embedding("gmf.user", "user", p.factors),
      embedding("gmf.item", "item", p.factors),
      ...docTables,
    ],
    gmf: { user: "gmf.user", item: "gmf.item" },
    mlp: { inputs: docTables.map((t) => t.name), layers: tower("mlp", p.hidden) },
    head: p.fusion === "score" ? scoreFusionHead() : linearHead("hidden"),
  };
}
