/**
 * ItemKNN: item-based nearest neighbours on the binary user-item matrix (Sarwar et al.,
 * WWW 2001; configured as in Dacrema, Cremonesi, Jannach, RecSys 2019, "ItemKNNCF").
 *
 * sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i| |U_j|) + shrink), cosine on binary columns with
 * an optional shrink term that damps similarities resting on few users. Each target item
 * j keeps its `k` most similar items N_k(j) (positive similarity only; ties by lower item
 * index), and score(u, j) = Σ_{i ∈ I_u ∩ N_k(j)} sim(i, j), i.e. scores = X W with W the
 * sparse top-k similarity matrix (column j holds j's neighbours).
 *
 * @module
 */
import type { Split } from "../../data/types.ts";
import type { UserItemIndex } from "../../data/types.ts";
import { topK } from "../../eval/mod.ts";
import { Progress } from "../../util/progress.ts";
import { type Infer, int, num, validate } from "../../util/schema.ts";
import type { FitContext, FitReport, Recommender } from "../types.ts";
import {
  addCooccurrenceRow,
  binaryUserItems,
  checkPairs,
  checkUsers,
  transposeIndex,
} from "./sparse.ts";

/** Hyperparameters of {@link ItemKNN}. */
export const itemKnnSchema = {
  k: int({ default: 100, min: 1, doc: "neighbours kept per item (top-k by similarity)" }),
  shrink: num({
    default: 0,
    min: 0,
    doc: "shrink term added to the cosine denominator (0 = plain cosine)",
  }),
};

/** Validated hyperparameters of {@link ItemKNN}. */
export type ItemKNNParams = Infer<typeof itemKnnSchema>;

/**
 * Item-based kNN with cosine similarity on binary feedback.
 *
 * @example
 * ```ts
 * const model = new ItemKNN({ k: 50, shrink: 10 });
 * await model.fit(split, { seed: 1 });
 * ```
 */
export class ItemKNN implements Recommender {
  readonly name = "ItemKNN";
  readonly params: ItemKNNParams;
  #nUsers = 0;
  #nItems = 0;
  #userItems: UserItemIndex | null = null;
  /** Column form: neighbours of target j are nbr[colPtr[j] .. colPtr[j+1]). */
  #colPtr = new Int32Array(1);
  #colIdx = new Int32Array(0);
  #colSim = new Float32Array(0);
  /** Row form (transpose): targets that source i is a neighbour of. */
  #rowPtr = new Int32Array(1);
  #rowIdx = new Int32Array(0);
  #rowSim = new Float32Array(0);
  /** Scratch row for scoreAllInto. */
  #acc = new Float64Array(0);
  /** Scratch flags (the current user's training items) for scorePairs. */
  #flag = new Uint8Array(0);

  /** @param params hyperparameters (see {@link itemKnnSchema}); unknown keys are errors. */
  constructor(params: Partial<ItemKNNParams> = {}) {
    this.params = validate(itemKnnSchema, params, "ItemKNN");
  }

  get nUsers(): number {
    return this.#nUsers;
  }
  get nItems(): number {
    return this.#nItems;
  }

  /**
   * Neighbours of target item `j` and their similarities, most similar first.
   * Shapes: [<= k] each.
   */
  neighbours(j: number): { items: Int32Array; similarities: Float32Array } {
    const a = this.#colPtr[j];
    const b = this.#colPtr[j + 1];
    return { items: this.#colIdx.slice(a, b), similarities: this.#colSim.slice(a, b) };
  }

  /** Computes the top-k similarity lists from `split.train` (valid and test unread). */
  fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    const { k, shrink } = this.params;
    const nItems = split.nItems;
    const userItems = binaryUserItems(split.train);
    const itemUsers = transposeIndex(userItems);
    const count = new Float64Array(nItems);
    for (let i = 0; i < nItems; i++) count[i] = itemUsers.indptr[i + 1] - itemUsers.indptr[i];
    const kk = Math.min(k, Math.max(0, nItems - 1));
    const colPtr = new Int32Array(nItems + 1);
    const colIdx = new Int32Array(nItems * kk);
    const colSim = new Float32Array(nItems * kk);
    const co = new Float64Array(nItems);
    const sim = new Float64Array(nItems);
    const best = new Int32Array(kk);
    const progress = new Progress("ItemKNN similarities", {
      total: nItems,
      unit: "items",
      sink: ctx.progress,
    });
    let w = 0;
    for (let j = 0; j < nItems; j++) {
      ctx.signal?.throwIfAborted();
      co.fill(0);
      addCooccurrenceRow(j, userItems, itemUsers, co);
      const cj = count[j];
      for (let i = 0; i < nItems; i++) {
        // Items never co-rated get 0 and are dropped below; i == j is excluded.
        sim[i] = co[i] > 0 && i !== j ? co[i] / (Math.sqrt(count[i] * cj) + shrink) : 0;
      }
      const top = topK(sim, kk, undefined, best);
      for (let q = 0; q < top.length; q++) {
        const i = top[q];
        if (!(sim[i] > 0)) break; // best first: the rest are zero
        colIdx[w] = i;
        colSim[w++] = sim[i];
      }
      colPtr[j + 1] = w;
      if ((j & 63) === 0) progress.set(j);
    }
    progress.finish();
    this.#colPtr = colPtr;
    this.#colIdx = colIdx.slice(0, w);
    this.#colSim = colSim.slice(0, w);
    // Transpose to rows: source i -> (target j, sim) for full-row scoring.
    const rowPtr = new Int32Array(nItems + 1);
    for (let q = 0; q < w; q++) rowPtr[this.#colIdx[q] + 1]++;
    for (let i = 0; i < nItems; i++) rowPtr[i + 1] += rowPtr[i];
    const fill = rowPtr.slice(0, nItems);
    const rowIdx = new Int32Array(w);
    const rowSim = new Float32Array(w);
    for (let j = 0; j < nItems; j++) {
      for (let q = colPtr[j]; q < colPtr[j + 1]; q++) {
        const at = fill[this.#colIdx[q]]++;
        rowIdx[at] = j;
        rowSim[at] = this.#colSim[q];
      }
    }
    this.#rowPtr = rowPtr;
    this.#rowIdx = rowIdx;
    this.#rowSim = rowSim;
    this.#userItems = userItems;
    this.#nUsers = split.nUsers;
    this.#nItems = nItems;
    return Promise.resolve({
      history: [],
      bestEpoch: null,
      seconds: (performance.now() - t0) / 1000,
      info: { k, shrink, neighbourPairs: w },
    });
  }

  /** Σ over the user's training items among N_k(j) of sim(i, j). Shape: [users.length]. */
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    checkPairs(this.name, users, items, this.#nUsers, this.#nItems);
    const ui = this.#userItems!;
    const out = new Float32Array(users.length);
    // Pairs usually come grouped by user (1 + 99 candidates): flag the current user's
    // items once instead of searching their list for every neighbour.
    if (this.#flag.length !== this.#nItems) this.#flag = new Uint8Array(this.#nItems);
    const flag = this.#flag;
    let current = -1;
    for (let p = 0; p < users.length; p++) {
      const u = users[p];
      if (u !== current) {
        if (current >= 0) setFlags(flag, ui, current, 0);
        setFlags(flag, ui, u, 1);
        current = u;
      }
      const j = items[p];
      let s = 0;
      for (let q = this.#colPtr[j]; q < this.#colPtr[j + 1]; q++) {
        if (flag[this.#colIdx[q]] === 1) s += this.#colSim[q];
      }
      out[p] = s;
    }
    if (current >= 0) setFlags(flag, ui, current, 0);
    return out;
  }

  /** Scores of every item per user. Shape: [users.length * nItems]. */
  scoreAll(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.#nItems);
    this.scoreAllInto(users, out);
    return out;
  }

  /** Like {@link scoreAll}, into `out`: row u = Σ_{i ∈ I_u} W[i, :]. */
  scoreAllInto(users: Int32Array, out: Float32Array): void {
    checkUsers(this.name, users, this.#nUsers, this.#nItems, out);
    const ui = this.#userItems!;
    const n = this.#nItems;
    // Sums in float64 (as scorePairs does), rounded once to float32.
    if (this.#acc.length !== n) this.#acc = new Float64Array(n);
    const acc = this.#acc;
    for (let b = 0; b < users.length; b++) {
      const u = users[b];
      acc.fill(0);
      for (let p = ui.indptr[u]; p < ui.indptr[u + 1]; p++) {
        const i = ui.indices[p];
        for (let q = this.#rowPtr[i]; q < this.#rowPtr[i + 1]; q++) {
          acc[this.#rowIdx[q]] += this.#rowSim[q];
        }
      }
      out.set(acc, b * n);
    }
  }
}

function setFlags(flag: Uint8Array, ui: UserItemIndex, u: number, value: number): void {
  for (let q = ui.indptr[u]; q < ui.indptr[u + 1]; q++) flag[ui.indices[q]] = value;
}
