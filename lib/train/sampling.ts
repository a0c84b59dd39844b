/**
 * One epoch's training samples for pointwise NCF training: every training interaction as a
 * positive, `negatives` uniformly drawn items the user never interacted with (in training)
 * per positive, all in one seeded random order. Fresh negatives and a fresh order every
 * epoch, from independent streams `Rng.derive(seed, "negatives", epoch)` and
 * `Rng.derive(seed, "shuffle", epoch)`.
 *
 * @module
 */
import { TrainingNegativeSampler, userItemIndex } from "../data/mod.ts";
import type { Interactions } from "../data/types.ts";
import { Rng } from "../util/rng.ts";

/** Samples of one epoch (views into reused buffers: valid until the next `epoch` call). */
export interface EpochSamples {
  /** Shape: [n]. */
  users: Int32Array;
  /** Shape: [n]. */
  items: Int32Array;
  /** 1 for positives, 0 for negatives. Shape: [n]. */
  labels: Float32Array;
}

/** Builds each epoch's positives + negatives, shuffled, into buffers reused across epochs. */
export class EpochSampler {
  readonly positives: number;
  readonly negatives: number;
  /** Samples per epoch: positives * (1 + negatives). */
  readonly size: number;
  readonly #train: Interactions;
  readonly #sampler: TrainingNegativeSampler | null;
  readonly #users: Int32Array;
  readonly #items: Int32Array;
  readonly #labels: Float32Array;
  readonly #negItems: Int32Array;

  /** @param negatives negatives per positive (0: positives only). */
  constructor(train: Interactions, negatives: number) {
    this.#train = train;
    this.positives = train.users.length;
    this.negatives = negatives;
    this.size = this.positives * (1 + negatives);
    this.#sampler = negatives > 0 ? new TrainingNegativeSampler(userItemIndex(train)) : null;
    this.#users = new Int32Array(this.size);
    this.#items = new Int32Array(this.size);
    this.#labels = new Float32Array(this.size);
    this.#negItems = new Int32Array(this.positives * negatives);
  }

  /** The shuffled samples of `epoch` (1-based) for `seed`. */
  epoch(seed: number, epoch: number): EpochSamples {
    const P = this.positives;
    const K = this.negatives;
    const u = this.#users;
    const i = this.#items;
    const y = this.#labels;
    u.set(this.#train.users);
    i.set(this.#train.items);
    y.fill(1, 0, P);
    if (this.#sampler) {
      this.#sampler.sample(
        this.#train.users,
        K,
        Rng.derive(seed, "negatives", epoch),
        this.#negItems,
      );
      // Negative k of positive p goes to P + p*K + k (user repeated K times).
      const tu = this.#train.users;
      for (let p = 0, w = P; p < P; p++) {
        const user = tu[p];
        for (let k = 0; k < K; k++, w++) u[w] = user;
      }
      i.set(this.#negItems, P);
      y.fill(0, P);
    }
    // Fisher-Yates on the three arrays together.
    const rng = Rng.derive(seed, "shuffle", epoch);
    for (let a = this.size - 1; a > 0; a--) {
      const b = rng.int(a + 1);
      const tu = u[a];
      u[a] = u[b];
      u[b] = tu;
      const ti = i[a];
      i[a] = i[b];
      i[b] = ti;
      const ty = y[a];
      y[a] = y[b];
      y[b] = ty;
    }
    return { users: u, items: i, labels: y };
  }
}
