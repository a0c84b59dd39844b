/**
 * Synthetic implicit-feedback data with planted structure, for tests and benchmarks of the
 * MF baselines (no dataset files needed): items have a skewed (Zipf) popularity and belong
 * to taste clusters; each user mostly picks items from one or two clusters. Shapes can
 * match ML-1M (6,040 users x 3,706 items, about 1M interactions).
 *
 * @module
 */
import { type HeldOut, IdMap, type Interactions, type Split } from "../../data/types.ts";
import { Rng } from "../../util/rng.ts";

/** Shape and structure of {@link syntheticInteractions}. */
export interface SyntheticOptions {
  nUsers: number;
  nItems: number;
  /** Target number of (distinct) interactions; the result is within a few percent. */
  interactions: number;
  seed: number;
  /** Zipf exponent of item popularity (1 gives a MovieLens-like long tail). Default 1. */
  zipf?: number;
  /** Taste clusters. Default 20. */
  clusters?: number;
  /** Probability that an interaction comes from one of the user's clusters. Default 0.8. */
  affinity?: number;
  /** Fewest interactions per user. Default 20 (as MovieLens). */
  minPerUser?: number;
}

/** Index of the first cumulative weight > x (weights given as an inclusive prefix sum). */
function pick(cum: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Random implicit interactions with planted cluster structure and skewed popularity;
 * timestamps are distinct seconds in random order per user.
 */
export function syntheticInteractions(o: SyntheticOptions): Interactions {
  const { nUsers, nItems, interactions } = o;
  const zipf = o.zipf ?? 1;
  const nClusters = Math.max(1, Math.min(o.clusters ?? 20, nItems));
  const affinity = o.affinity ?? 0.8;
  const minPerUser = Math.min(o.minPerUser ?? 20, nItems);
  const rng = Rng.derive(o.seed, "synthetic");
  // Items sorted by cluster; popularity rank is random, independent of cluster.
  const cluster = new Int32Array(nItems);
  for (let i = 0; i < nItems; i++) cluster[i] = rng.int(nClusters);
  const rank = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
  const byCluster = Int32Array.from({ length: nItems }, (_, i) => i).sort((a, b) =>
    cluster[a] - cluster[b] || a - b
  );
  const start = new Int32Array(nClusters + 1);
  for (let i = 0; i < nItems; i++) start[cluster[i] + 1]++;
  for (let c = 0; c < nClusters; c++) start[c + 1] += start[c];
  const globalCum = new Float64Array(nItems);
  const clusterCum = new Float64Array(nItems); // prefix sums restart at each cluster
  let acc = 0;
  for (let i = 0; i < nItems; i++) globalCum[i] = acc += Math.pow(rank[i] + 2, -zipf);
  for (let c = 0; c < nClusters; c++) {
    let a = 0;
    for (let p = start[c]; p < start[c + 1]; p++) {
      clusterCum[p] = a += Math.pow(rank[byCluster[p]] + 2, -zipf);
    }
  }
  // Per-user activity: a heavy-tailed excess over the minimum, scaled to the target total.
  const excess = new Float64Array(nUsers);
  let excessSum = 0;
  for (let u = 0; u < nUsers; u++) excessSum += excess[u] = Math.exp(1.2 * rng.normal());
  const spare = Math.max(0, interactions - nUsers * minPerUser);
  const counts = new Int32Array(nUsers);
  let total = 0;
  const cap = Math.max(minPerUser, Math.floor(nItems * 0.6));
  for (let u = 0; u < nUsers; u++) {
    counts[u] = Math.min(cap, minPerUser + Math.round((spare * excess[u]) / excessSum));
    total += counts[u];
  }
  const users = new Int32Array(total);
  const items = new Int32Array(total);
  const seen = new Int32Array(nItems).fill(-1);
  let w = 0;
  for (let u = 0; u < nUsers; u++) {
    const c1 = rng.int(nClusters);
    const c2 = rng.int(nClusters);
    for (let n = 0; n < counts[u]; n++) {
      let item: number;
      do {
        const c = rng.float() < 0.5 ? c1 : c2;
        if (rng.float() < affinity && start[c + 1] > start[c]) {
          const x = rng.float() * clusterCum[start[c + 1] - 1];
          // clusterCum restarts per cluster; search within the cluster's range.
          item = byCluster[pick(clusterCum, start[c], start[c + 1] - 1, x)];
        } else {
          item = pick(globalCum, 0, nItems - 1, rng.float() * globalCum[nItems - 1]);
        }
      } while (seen[item] === u);
      seen[item] = u;
      users[w] = u;
      items[w] = item;
      w++;
    }
  }
  // Distinct timestamps per user in random order: a permutation of 0..count-1 seconds.
  const timestamps = new Float64Array(total);
  for (let u = 0, o0 = 0; u < nUsers; o0 += counts[u], u++) {
    const perm = rng.shuffle(Int32Array.from({ length: counts[u] }, (_, t) => t));
    for (let t = 0; t < counts[u]; t++) timestamps[o0 + t] = 1e9 + perm[t];
  }
  return {
    users,
    items,
    ratings: new Float32Array(total).fill(NaN),
    timestamps,
    nUsers,
    nItems,
    userIds: IdMap.identity(nUsers),
    itemIds: IdMap.identity(nItems),
  };
}

/**
 * Leave-latest-out split of synthetic data (a small stand-in for lib/data's splitter, used
 * by MF tests and benchmarks): per user the latest interaction is the test pair, the second
 * latest the validation pair, the rest training; `numNegatives` sampled items the user
 * never interacted with rank against each held-out item.
 */
export function syntheticSplit(
  o: SyntheticOptions & { numNegatives?: number },
): Split {
  const x = syntheticInteractions(o);
  const numNegatives = o.numNegatives ?? 99;
  const { nUsers, nItems } = x;
  // Rows grouped by user (generation order), find each user's two latest rows.
  const latest = new Int32Array(nUsers).fill(-1);
  const second = new Int32Array(nUsers).fill(-1);
  for (let r = 0; r < x.users.length; r++) {
    const u = x.users[r];
    if (latest[u] < 0 || x.timestamps[r] > x.timestamps[latest[u]]) {
      second[u] = latest[u];
      latest[u] = r;
    } else if (second[u] < 0 || x.timestamps[r] > x.timestamps[second[u]]) {
      second[u] = r;
    }
  }
  const held = new Uint8Array(x.users.length);
  for (let u = 0; u < nUsers; u++) {
    if (second[u] < 0) throw new Error(`syntheticSplit: user ${u} has fewer than 2 interactions`);
    held[latest[u]] = 1;
    held[second[u]] = 1;
  }
  const keep: number[] = [];
  for (let r = 0; r < x.users.length; r++) if (!held[r]) keep.push(r);
  const train: Interactions = {
    ...x,
    users: Int32Array.from(keep, (r) => x.users[r]),
    items: Int32Array.from(keep, (r) => x.items[r]),
    ratings: Float32Array.from(keep, (r) => x.ratings[r]),
    timestamps: Float64Array.from(keep, (r) => x.timestamps[r]),
  };
  // Every item of a user (train and held out) is excluded from its negatives.
  const start = new Int32Array(nUsers + 1);
  for (let r = 0; r < x.users.length; r++) start[x.users[r] + 1]++;
  for (let u = 0; u < nUsers; u++) start[u + 1] += start[u];
  const fill = start.slice(0, nUsers);
  const all = new Int32Array(x.users.length);
  for (let r = 0; r < x.users.length; r++) all[fill[x.users[r]]++] = x.items[r];
  const mark = new Int32Array(nItems).fill(-1);
  const heldOut = (rows: Int32Array, label: string): HeldOut => {
    const rng = Rng.derive(o.seed, "synthetic", "negatives", label);
    mark.fill(-1);
    const negatives = new Int32Array(nUsers * numNegatives);
    for (let u = 0; u < nUsers; u++) {
      for (let p = start[u]; p < start[u + 1]; p++) mark[all[p]] = u;
      if (nItems - (start[u + 1] - start[u]) < numNegatives) {
        throw new Error(`syntheticSplit: user ${u} has too few non-interacted items`);
      }
      for (let t = 0; t < numNegatives; t++) {
        let j: number;
        do j = rng.int(nItems); while (mark[j] === u || mark[j] === -2 - u);
        mark[j] = -2 - u; // distinct negatives per pair
        negatives[u * numNegatives + t] = j;
      }
    }
    return {
      users: Int32Array.from({ length: nUsers }, (_, u) => u),
      items: Int32Array.from(rows, (r) => x.items[r]),
      timestamps: Float64Array.from(rows, (r) => x.timestamps[r]),
      ratings: Float32Array.from(rows, (r) => x.ratings[r]),
      negatives,
      numNegatives,
    };
  };
  const valid = heldOut(second, "valid");
  const test = heldOut(latest, "test");
  return {
    name: `synthetic ${nUsers}x${nItems} (${o.interactions} interactions, seed ${o.seed}), ` +
      `leave-latest-out`,
    train,
    valid,
    test,
    nUsers,
    nItems,
  };
}
