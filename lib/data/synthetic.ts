/**
 * Seeded synthetic implicit-feedback data shaped like MovieLens 1M (6,040 users, 3,706
 * items, about 1M interactions, at least 20 per user, skewed item popularity, time-ordered
 * events), for benchmarks and tests that must not depend on downloaded data.
 *
 * Generative model: item popularity follows a Zipf-like law over a random ranking; users
 * and items have latent vectors, and a user's items are drawn without replacement with
 * probability proportional to popularity x exp(sharpness * u.v), so there is structure for a
 * recommender to learn. User activity is log-normal (ML-1M's mean 165.6, minimum 20). Each
 * user's events are spread over time after a random start (exponential gaps), in the order
 * drawn; ratings 1-5 come from the affinity plus noise. {@link syntheticSplit} splits such
 * data leave-latest-one-out with a validation pair per user.
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { leaveLatestOut } from "./split.ts";
import { IdMap, type Interactions, type Split } from "./types.ts";

/** Options of {@link syntheticInteractions}. Defaults give ML-1M's shape. */
export interface SyntheticOptions {
  /** Seed of every random choice. */
  seed: number;
  /** Users (default 6,040). */
  nUsers?: number;
  /** Items (default 3,706). */
  nItems?: number;
  /** Total interactions (default 1,000,209), met exactly. */
  interactions?: number;
  /** Minimum interactions per user (default 20). */
  minPerUser?: number;
  /** Zipf exponent of item popularity (default 1.0). */
  popularityExponent?: number;
  /** Latent dimension (default 8). */
  dim?: number;
  /** Strength of the latent preference (default 2.0; 0 = popularity only). */
  sharpness?: number;
  /** Log-normal sigma of user activity (default 1.0). */
  activitySigma?: number;
}

/**
 * Generates interactions (one row per user-item pair, no duplicates), rows ordered by user
 * then time. Deterministic in `seed`. Raw ids are 1-based like MovieLens.
 *
 * @example
 * ```ts
 * const x = syntheticInteractions({ seed: 1 }); // ML-1M shaped
 * const small = syntheticInteractions({ seed: 1, nUsers: 50, nItems: 80, interactions: 2000, minPerUser: 5 });
 * ```
 */
export function syntheticInteractions(opts: SyntheticOptions): Interactions {
  const nUsers = opts.nUsers ?? 6040;
  const nItems = opts.nItems ?? 3706;
  const total = opts.interactions ?? 1_000_209;
  const minPer = opts.minPerUser ?? 20;
  const dim = opts.dim ?? 8;
  const sharp = opts.sharpness ?? 2.0;
  const zipf = opts.popularityExponent ?? 1.0;
  const sigma = opts.activitySigma ?? 1.0;
  for (const [k, v] of Object.entries({ nUsers, nItems, total, dim })) {
    if (!(Number.isInteger(v) && v >= 1)) {
      throw new ConfigError(`syntheticInteractions: ${k} must be a positive integer, got ${v}`);
    }
  }
  if (!(Number.isInteger(minPer) && minPer >= 1)) {
    throw new ConfigError(
      `syntheticInteractions: minPerUser must be an integer >= 1, got ${minPer}`,
    );
  }
  const maxPer = Math.floor(0.62 * nItems); // ML-1M's heaviest user rated 62% of the items
  if (minPer > maxPer) {
    throw new ConfigError(
      `syntheticInteractions: minPerUser ${minPer} exceeds ${maxPer} (62% of ${nItems} items)`,
    );
  }
  if (total < nUsers * minPer || total > nUsers * maxPer) {
    throw new ConfigError(
      `syntheticInteractions: interactions must be in [${nUsers * minPer}, ${nUsers * maxPer}] ` +
        `for ${nUsers} users with ${minPer}..${maxPer} each, got ${total}`,
    );
  }

  // Per-user counts: log-normal above the minimum, scaled to the total, clamped.
  const rngA = Rng.derive(opts.seed, "synthetic", "activity");
  const raw = new Float64Array(nUsers);
  let rawSum = 0;
  for (let u = 0; u < nUsers; u++) {
    raw[u] = Math.exp(sigma * rngA.normal());
    rawSum += raw[u];
  }
  const counts = new Int32Array(nUsers);
  const extra = total - nUsers * minPer;
  let assigned = 0;
  for (let u = 0; u < nUsers; u++) {
    counts[u] = Math.min(maxPer, minPer + Math.floor((extra * raw[u]) / rawSum));
    assigned += counts[u];
  }
  // Hand out the remainder one at a time to users with room, in a seeded order.
  let u = rngA.int(nUsers);
  while (assigned < total) {
    if (counts[u] < maxPer) {
      counts[u]++;
      assigned++;
    }
    u = (u + 1) % nUsers;
  }

  // Latent vectors and popularity.
  const rngL = Rng.derive(opts.seed, "synthetic", "latent");
  const scale = 1 / Math.sqrt(dim);
  const P = new Float64Array(nUsers * dim);
  const Q = new Float64Array(nItems * dim);
  for (let k = 0; k < P.length; k++) P[k] = rngL.normal() * scale;
  for (let k = 0; k < Q.length; k++) Q[k] = rngL.normal() * scale;
  const rank = rngL.shuffle(Int32Array.from({ length: nItems }, (_, k) => k));
  const pop = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) pop[i] = 1 / Math.pow(rank[i] + 10, zipf);

  const users = new Int32Array(total);
  const items = new Int32Array(total);
  const ratings = new Float32Array(total);
  const timestamps = new Float64Array(total);
  const rngD = Rng.derive(opts.seed, "synthetic", "draws");
  const weight = new Float64Array(nItems);
  const cum = new Float64Array(nItems);
  const taken = new Uint8Array(nItems);
  const affinity = new Float64Array(nItems);
  const start2000 = 956_703_932; // 2000-04-25, the first ML-1M timestamp
  const span = 86_400 * 365 * 2.8;
  let row = 0;
  for (let user = 0; user < nUsers; user++) {
    let sum = 0;
    for (let i = 0; i < nItems; i++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += P[user * dim + d] * Q[i * dim + d];
      affinity[i] = dot;
      weight[i] = pop[i] * Math.exp(sharp * dot);
      sum += weight[i];
      cum[i] = sum;
    }
    const n = counts[user];
    taken.fill(0);
    const chosen: number[] = [];
    if (n <= nItems / 4) {
      // Inverse-CDF draws, redrawing items already taken.
      while (chosen.length < n) {
        const x = rngD.float() * sum;
        let lo = 0;
        let hi = nItems - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cum[mid] > x) hi = mid;
          else lo = mid + 1;
        }
        if (!taken[lo]) {
          taken[lo] = 1;
          chosen.push(lo);
        }
      }
    } else {
      // Heavy users: weighted sampling without replacement by exponential keys.
      const keys = new Float64Array(nItems);
      for (let i = 0; i < nItems; i++) {
        let r = rngD.float();
        while (r === 0) r = rngD.float();
        keys[i] = -Math.log(r) / weight[i];
      }
      const order = Int32Array.from({ length: nItems }, (_, k) => k).sort((a, b) =>
        keys[a] - keys[b] || a - b
      );
      for (let k = 0; k < n; k++) chosen.push(order[k]);
    }
    let t = start2000 + rngD.float() * span * 0.5;
    const meanGap = (span * 0.5) / Math.max(1, n) / 4;
    for (const item of chosen) {
      t += Math.floor(-Math.log(1 - rngD.float()) * meanGap);
      users[row] = user;
      items[row] = item;
      const r = 3 + 1.5 * affinity[item] / scale * 0.5 + 0.8 * rngD.normal();
      ratings[row] = Math.max(1, Math.min(5, Math.round(r)));
      timestamps[row] = Math.floor(t);
      row++;
    }
  }
  return {
    users,
    items,
    ratings,
    timestamps,
    nUsers,
    nItems,
    userIds: new IdMap(Float64Array.from({ length: nUsers }, (_, k) => k + 1)),
    itemIds: new IdMap(Float64Array.from({ length: nItems }, (_, k) => k + 1)),
  };
}

/** Options of {@link syntheticSplit}: the data's, and the negatives of the split. */
export interface SyntheticSplitOptions extends SyntheticOptions {
  /** Sampled negatives per held-out pair (default 99, as NCF). */
  numNegatives?: number;
}

/**
 * {@link syntheticInteractions} split by {@link leaveLatestOut} with validation: per user
 * the latest interaction is the test pair, the one before it the validation pair, the rest
 * training; `seed` also seeds the negatives. The split's name records shape and seed (for
 * benchmark records).
 *
 * @example
 * ```ts
 * const split = syntheticSplit({ seed: 1, nUsers: 60, nItems: 50, interactions: 900, minPerUser: 6 });
 * ```
 */
export function syntheticSplit(opts: SyntheticSplitOptions): Split {
  const { numNegatives, ...shape } = opts;
  const x = syntheticInteractions(shape);
  return leaveLatestOut(x, {
    seed: opts.seed,
    validation: true,
    numNegatives,
    name:
      `synthetic ${x.nUsers}x${x.nItems} (${x.users.length} interactions, seed ${opts.seed}), ` +
      "leave-latest-one-out",
  });
}
