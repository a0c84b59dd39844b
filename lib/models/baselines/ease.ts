/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019).
 *
 * A closed-form item-item model: B minimises ||X - XB||² + λ||B||² subject to diag(B) = 0,
 * with X the binary user-item training matrix. The solution is
 *
 *   P = (XᵀX + λI)⁻¹,   B = I - P diag(1 / diag(P)),  i.e. B[i][j] = -P[i][j] / P[j][j],
 *   B[j][j] = 0,
 *
 * and score(u, j) = Σ_{i ∈ I_u} B[i][j]. The inverse is Cholesky-based
 * (spd_inverse.ts); for ML-1M's 3,706 items it is the whole cost of fitting.
 *
 * @module
 */
import type { Split, UserItemIndex } from "../../data/types.ts";
import { Progress } from "../../util/progress.ts";
import { type Infer, num, validate } from "../../util/schema.ts";
import type { FitContext, FitReport, Recommender } from "../types.ts";
import { EaseWeights } from "./ease_weights.ts";
import { type SpdBackend, SpdWorkspace } from "./spd_workspace.ts";
import {
  addCooccurrenceRow,
  binaryUserItems,
  checkPairs,
  checkUsers,
  transposeIndex,
} from "./sparse.ts";

/** Hyperparameters of {@link EASE}. */
export const easeSchema = {
  lambda: num({
    default: 500,
    min: 0,
    exclusiveMin: true,
    doc: "L2 regularisation λ added to the diagonal of XᵀX (Steck: a few hundred)",
  }),
};

/** Validated hyperparameters of {@link EASE}. */
export type EASEParams = Infer<typeof easeSchema>;

/**
 * EASE item-item model with closed-form weights.
 *
 * @example
 * ```ts
 * const model = new EASE({ lambda: 200 });
 * await model.fit(split, { seed: 1 });
 * model.scoreAll(Int32Array.of(0, 1)); // shape [2 * nItems]
 * ```
 */
export class EASE implements Recommender {
  readonly name = "EASE";
  readonly params: EASEParams;
  #nUsers = 0;
  #nItems = 0;
  #userItems: UserItemIndex | null = null;
  /** B row-major (source item i, target item j) and its batch scorer. */
  #weights: EaseWeights | null = null;

  readonly #backend: SpdBackend;

  /**
   * @param params hyperparameters (see {@link easeSchema}); unknown keys are errors.
   * @param opts.backend who inverts XᵀX + λI: "auto" (wasm SIMD, else TypeScript), "wasm", "js"
   */
  constructor(params: Partial<EASEParams> = {}, opts: { backend?: SpdBackend } = {}) {
    this.params = validate(easeSchema, params, "EASE");
    this.#backend = opts.backend ?? "auto";
  }

  get nUsers(): number {
    return this.#nUsers;
  }
  get nItems(): number {
    return this.#nItems;
  }
  /** The item-item weights B, row-major [nItems * nItems] (the model's own array). */
  get weights(): Float32Array {
    return this.#weights?.weights ?? new Float32Array(0);
  }

  /** Builds XᵀX from `split.train`, inverts it, derives B. Valid and test are not read. */
  async fit(split: Split, ctx: FitContext): Promise<FitReport> {
    const t0 = performance.now();
    const n = split.nItems;
    const { lambda } = this.params;
    const progress = new Progress(`EASE fit (${n} items)`, {
      total: 4,
      unit: "steps",
      sink: ctx.progress,
    });
    const userItems = binaryUserItems(split.train);
    const itemUsers = transposeIndex(userItems);
    // Gram matrix, lower triangle only (the inverse reads nothing else), built in place.
    const workspace = await SpdWorkspace.create(n, this.#backend);
    const g = workspace.matrix;
    for (let j = 0; j < n; j++) {
      addCooccurrenceRow(j, userItems, itemUsers, g, j * n, j + 1);
      g[j * n + j] += lambda;
    }
    const gramSeconds = (performance.now() - t0) / 1000;
    progress.set(1, { step: "Cholesky" });
    ctx.signal?.throwIfAborted();
    const phases: Record<string, number> = {};
    workspace.invert({
      onPhase: (phase, s) => {
        phases[phase] = s;
        progress.tick(1, { step: phase });
      },
    });
    // B[i][j] = -P[i][j] / P[j][j], zero diagonal; row by row for cache locality.
    const diag = new Float64Array(n);
    for (let j = 0; j < n; j++) diag[j] = g[j * n + j];
    const weights = await EaseWeights.create(n, this.#backend);
    const b = weights.weights;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) b[row + j] = -g[row + j] / diag[j];
      b[row + i] = 0;
    }
    progress.finish();
    this.#weights = weights;
    this.#userItems = userItems;
    this.#nUsers = split.nUsers;
    this.#nItems = n;
    const seconds = (performance.now() - t0) / 1000;
    return {
      history: [],
      bestEpoch: null,
      seconds,
      info: {
        lambda,
        inverseBackend: workspace.backend,
        scoreBackend: weights.backend,
        gramSeconds: round3(gramSeconds),
        choleskySeconds: round3(phases["cholesky"] ?? 0),
        inverseSeconds: round3((phases["triangular-inverse"] ?? 0) + (phases["product"] ?? 0)),
      },
    };
  }

  /**
   * Σ_{i ∈ I_u} B[i][j] for each pair, summed in float32 over i ascending (exactly as
   * {@link scoreAllInto}, so both give identical scores). Shape: [users.length].
   */
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    checkPairs(this.name, users, items, this.#nUsers, this.#nItems);
    const ui = this.#userItems!;
    const n = this.#nItems;
    const w = this.#weights!.weights;
    const out = new Float32Array(users.length);
    // Runs of pairs of one user (e.g. 1 + 99 candidates).
    const runStart: number[] = [];
    for (let p = 0; p < users.length; p++) {
      if (p === 0 || users[p] !== users[p - 1]) runStart.push(p);
    }
    runStart.push(users.length);
    const runs = runStart.length - 1;
    if (this.#weights!.backend === "wasm" && users.length >= 16 * runs && runs >= 8) {
      // Long runs: whole score rows from the SIMD batch kernel (the same float32 sums in the
      // same order), then pick the candidates. Cheaper than gathering 100 scattered
      // columns from every row of B the user touches.
      const chunk = 256;
      const rows = new Float32Array(chunk * n);
      const batch = new Int32Array(chunk);
      for (let r0 = 0; r0 < runs; r0 += chunk) {
        const r1 = Math.min(runs, r0 + chunk);
        for (let r = r0; r < r1; r++) batch[r - r0] = users[runStart[r]];
        this.#weights!.scoreBatch(ui, batch.subarray(0, r1 - r0), rows);
        for (let r = r0; r < r1; r++) {
          const o = (r - r0) * n;
          for (let p = runStart[r]; p < runStart[r + 1]; p++) out[p] = rows[o + items[p]];
        }
      }
      return out;
    }
    // Short runs: each row B[i, :] is visited once per run rather than once per pair.
    for (let r = 0; r < runs; r++) {
      const p0 = runStart[r];
      const p1 = runStart[r + 1];
      const u = users[p0];
      for (let q = ui.indptr[u]; q < ui.indptr[u + 1]; q++) {
        const row = ui.indices[q] * n;
        for (let p = p0; p < p1; p++) out[p] += w[row + items[p]];
      }
    }
    return out;
  }

  /** Scores of every item per user. Shape: [users.length * nItems]. */
  scoreAll(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.#nItems);
    this.scoreAllInto(users, out);
    return out;
  }

  /**
   * Like {@link scoreAll}, into `out`: row u = Σ_{i ∈ I_u} B[i, :] in float32, i ascending
   * (wasm SIMD when available; see ease_weights.ts).
   */
  scoreAllInto(users: Int32Array, out: Float32Array): void {
    checkUsers(this.name, users, this.#nUsers, this.#nItems, out);
    this.#weights!.scoreBatch(this.#userItems!, users, out);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
