/**
 * Scores of dot-product factor models, shared by every MF baseline:
 * `score(u, i) = globalBias + userBias[u] + itemBias[i] + <P[u], Q[i]>`.
 *
 * @module
 */

/** The parameters of a dot-product model. Biases absent means zero. */
export interface DotFactors {
  /** Factors per user / item. */
  k: number;
  /** User factors P, row-major. Shape: [nUsers * k]. */
  userFactors: Float64Array;
  /** Item factors Q, row-major. Shape: [nItems * k]. */
  itemFactors: Float64Array;
  /** Shape: [nUsers], or null. */
  userBias: Float64Array | null;
  /** Shape: [nItems], or null. */
  itemBias: Float64Array | null;
  globalBias: number;
}

function checkIndex(kind: string, v: number, n: number) {
  if (!(v >= 0 && v < n)) throw new RangeError(`${kind} index ${v} out of range [0, ${n})`);
}

/**
 * Scores of the pairs `(users[p], items[p])`.
 * @returns Float32Array of shape [users.length].
 */
export function scoreDotPairs(
  f: DotFactors,
  nUsers: number,
  nItems: number,
  users: Int32Array,
  items: Int32Array,
): Float32Array {
  if (users.length !== items.length) {
    throw new RangeError(`scorePairs: ${users.length} users but ${items.length} items`);
  }
  const { k, userFactors: p, itemFactors: q, userBias, itemBias, globalBias } = f;
  const out = new Float32Array(users.length);
  for (let n = 0; n < users.length; n++) {
    const u = users[n];
    const i = items[n];
    checkIndex("user", u, nUsers);
    checkIndex("item", i, nItems);
    let s = globalBias + (userBias ? userBias[u] : 0) + (itemBias ? itemBias[i] : 0);
    const po = u * k;
    const qo = i * k;
    for (let c = 0; c < k; c++) s += p[po + c] * q[qo + c];
    out[n] = s;
  }
  return out;
}

/**
 * Scores of every item for each user, row-major, written into `out`.
 * @param out length >= users.length * nItems.
 */
export function scoreDotAllInto(
  f: DotFactors,
  nUsers: number,
  nItems: number,
  users: Int32Array,
  out: Float32Array,
): Float32Array {
  if (out.length < users.length * nItems) {
    throw new RangeError(`scoreAllInto: out has ${out.length} < ${users.length} x ${nItems}`);
  }
  const { k, userFactors: p, itemFactors: q, userBias, globalBias } = f;
  // One bias row for all users (zeros without item biases): no branch in the item loop.
  const itemBias = f.itemBias ?? new Float64Array(nItems);
  const nItems4 = nItems & ~3;
  for (let n = 0; n < users.length; n++) {
    const u = users[n];
    checkIndex("user", u, nUsers);
    const base = globalBias + (userBias ? userBias[u] : 0);
    const po = u * k;
    const oo = n * nItems;
    // Four items per pass: each user factor is loaded once for four dot products.
    let i = 0;
    for (; i < nItems4; i += 4) {
      const q0 = i * k;
      const q1 = q0 + k;
      const q2 = q1 + k;
      const q3 = q2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < k; c++) {
        const pc = p[po + c];
        s0 += pc * q[q0 + c];
        s1 += pc * q[q1 + c];
        s2 += pc * q[q2 + c];
        s3 += pc * q[q3 + c];
      }
      out[oo + i] = base + itemBias[i] + s0;
      out[oo + i + 1] = base + itemBias[i + 1] + s1;
      out[oo + i + 2] = base + itemBias[i + 2] + s2;
      out[oo + i + 3] = base + itemBias[i + 3] + s3;
    }
    for (; i < nItems; i++) {
      let s = 0;
      const qo = i * k;
      for (let c = 0; c < k; c++) s += p[po + c] * q[qo + c];
      out[oo + i] = base + itemBias[i] + s;
    }
  }
  return out;
}

/**
 * Scores of every item for each user, row-major.
 * @returns Float32Array of shape [users.length * nItems].
 */
export function scoreDotAll(
  f: DotFactors,
  nUsers: number,
  nItems: number,
  users: Int32Array,
): Float32Array {
  return scoreDotAllInto(f, nUsers, nItems, users, new Float32Array(users.length * nItems));
}

/** Throws a clear error when a model is used before `fit`. */
export function requireFitted<T>(value: T | null, model: string): T {
  if (value === null) throw new Error(`${model}: call fit() before scoring`);
  return value;
}

/**
 * Scoring shared by every dot-product model: subclasses fit and set `factors`, `nUsers`
 * and `nItems`; this class answers the {@link Scorer} calls.
 */
export abstract class DotProductScorer {
  abstract readonly name: string;
  nUsers = 0;
  nItems = 0;
  /** The fitted parameters, null before fit. */
  factors: DotFactors | null = null;

  /** Scores of pairs `(users[p], items[p])`. Shape: [users.length]. */
  scorePairs(users: Int32Array, items: Int32Array): Float32Array {
    const f = requireFitted(this.factors, this.name);
    return scoreDotPairs(f, this.nUsers, this.nItems, users, items);
  }

  /** Scores of every item per user, row-major. Shape: [users.length * nItems]. */
  scoreAll(users: Int32Array): Float32Array {
    return scoreDotAll(requireFitted(this.factors, this.name), this.nUsers, this.nItems, users);
  }

  /** {@link scoreAll} into a reused buffer of length >= users.length * nItems. */
  scoreAllInto(users: Int32Array, out: Float32Array): void {
    scoreDotAllInto(requireFitted(this.factors, this.name), this.nUsers, this.nItems, users, out);
  }
}
