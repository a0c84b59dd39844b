/**
 * The two evaluation protocols, on any {@link Scorer}:
 *
 * - **sampled** ({@link evaluateSampled}): each held-out pair is ranked against its own
 *   sampled negatives (`HeldOut.negatives`, NCF: 99), one relevant item among 1 + N.
 * - **full ranking** ({@link evaluateFullRanking}): every item is scored; the user's
 *   training items are masked, and so are the items of the other held-out set (validation
 *   items when ranking test, test items when ranking validation). The relevant set is the
 *   user's held-out items; held-out items themselves are never masked.
 *
 * Tie rule (everywhere): pessimistic. A candidate whose score equals a relevant item's
 * score is ranked above it, so a scorer that gives every item the same score gets the
 * worst possible ranks, never HR = 1. Relevant items tied with each other are ordered among
 * themselves arbitrarily, which changes no metric (they all have gain 1).
 *
 * Per-user values: under the sampled protocol a user with several held-out pairs gets
 * the mean over their pairs; under full ranking a user's held-out items form one list.
 * Means are over users (each user weighs the same).
 *
 * No top-K selection is needed: the position of each relevant item is counted exactly in
 * one pass over the user's score row (O(nItems) per user, no sort), which is both faster
 * than a partial selection and exact under ties.
 *
 * @module
 */
import type { HeldOut, Interactions, Split } from "../data/types.ts";
import { ConfigError, DataError } from "../util/errors.ts";
import { Progress, type ProgressSink } from "../util/progress.ts";
import { type MetricKey, metricKeys, type RankedList } from "./metrics.ts";
import type { EvalResult, Scorer } from "./types.ts";

/** A model produced a NaN score: names the model, the user and the item. */
export class ScoreError extends Error {
  override name = "ScoreError";
}

/** Options shared by both protocols. */
export interface EvalOptions {
  /** Cut-offs, default [10]. */
  ks?: number[];
  /** Metric names from the registry (see metricNames()), default all. */
  metrics?: string[];
  /** Model name used in error messages; default the scorer's `name` property or "model". */
  name?: string;
  /** Where progress goes; default the environment's sink. */
  progress?: ProgressSink;
}

/** Options of {@link evaluateSampled}. */
export interface SampledOptions extends EvalOptions {
  /** Held-out pairs scored per `scorePairs` call (each brings 1 + N candidates), default 1024. */
  batchPairs?: number;
  /** Label recorded in the result, default "test". */
  on?: "test" | "valid";
}

/** Options of {@link evaluateFullRanking}. */
export interface FullRankingOptions extends EvalOptions {
  /** Which held-out set to rank, default "test". */
  on?: "test" | "valid";
  /** Users scored per `scoreAll` call, default 256 (buffer: batchUsers x nItems floats). */
  batchUsers?: number;
}

/** What both protocols settle first: start time, held-out set label, metrics, model name. */
function begin(scorer: Scorer, opts: EvalOptions & { on?: "test" | "valid" }) {
  const t0 = performance.now();
  const on = opts.on ?? "test";
  const ks = opts.ks ?? [10];
  const keys = metricKeys(opts.metrics, ks);
  const name = opts.name ?? (scorer as { name?: string }).name ?? "model";
  return { t0, on, ks, keys, name };
}

/** Checks a held-out set: non-empty, users non-decreasing, ids in range. */
function checkHeldOut(h: HeldOut, nUsers: number, nItems: number, what: string): void {
  const n = h.users.length;
  if (n === 0) {
    throw new DataError(`${what}: no held-out pairs to evaluate (empty held-out set)`);
  }
  if (h.items.length !== n) {
    throw new DataError(`${what}: ${n} users but ${h.items.length} items`);
  }
  let prev = -1;
  for (let p = 0; p < n; p++) {
    const u = h.users[p];
    const i = h.items[p];
    if (!(u >= 0 && u < nUsers)) {
      throw new DataError(`${what}: pair ${p} has user ${u}, out of range [0, ${nUsers})`);
    }
    if (!(i >= 0 && i < nItems)) {
      throw new DataError(`${what}: pair ${p} has item ${i}, out of range [0, ${nItems})`);
    }
    if (u < prev) {
      throw new DataError(
        `${what}: pairs must be sorted by user (pair ${p}: user ${u} after ${prev})`,
      );
    }
    prev = u;
  }
}

/** Groups pairs sorted by user: distinct users and, per user, its first pair. */
function groupByUser(users: Int32Array): { users: Int32Array; start: Int32Array } {
  let count = 0;
  for (let p = 0; p < users.length; p++) if (p === 0 || users[p] !== users[p - 1]) count++;
  const distinct = new Int32Array(count);
  const start = new Int32Array(count + 1);
  let g = 0;
  for (let p = 0; p < users.length; p++) {
    if (p === 0 || users[p] !== users[p - 1]) {
      distinct[g] = users[p];
      start[g++] = p;
    }
  }
  start[count] = users.length;
  return { users: distinct, start };
}

function emptyResult(
  protocol: "sampled" | "full",
  on: "test" | "valid",
  ks: number[],
  keys: MetricKey[],
  users: Int32Array,
): EvalResult {
  const perUser: Record<string, Float64Array> = {};
  for (const m of keys) perUser[m.key] = new Float64Array(users.length);
  return {
    protocol,
    on,
    ks: [...new Set(ks)].sort((a, b) => a - b),
    keys: keys.map((m) => m.key),
    users,
    perUser,
    mean: {},
    pairs: 0,
    seconds: 0,
  };
}

/** Completes a result whose per-user values are filled: means, pair count, seconds. */
function finish(r: EvalResult, pairs: number, t0: number, progress: Progress): EvalResult {
  for (const key of r.keys) {
    const v = r.perUser[key];
    let s = 0;
    for (let u = 0; u < v.length; u++) s += v[u];
    r.mean[key] = s / v.length;
  }
  r.pairs = pairs;
  r.seconds = (performance.now() - t0) / 1000;
  progress.finish({ [r.keys[0]]: r.mean[r.keys[0]] });
  return r;
}

/**
 * Sampled protocol: ranks each held-out pair's item against its `numNegatives` sampled
 * negatives (pessimistic ties), computes every metric per pair, averages per user.
 * A negative equal to the pair's own item is ignored (as NCF's evaluator does), so that
 * pair is ranked among the remaining negatives.
 *
 * @param scorer the model
 * @param heldOut pairs sorted by user, with `negatives` (shape [pairs * numNegatives])
 * @returns per-user values (users ascending) and means over users
 * @throws DataError for an empty held-out set, missing negatives or ids out of range;
 *   ScoreError naming model, user and item when a score is NaN
 *
 * @example
 * ```ts
 * const r = await evaluateSampled(model, split.test, { ks: [10] });
 * r.mean["HR@10"]; // hit ratio over users
 * ```
 */
export async function evaluateSampled(
  scorer: Scorer,
  heldOut: HeldOut,
  opts: SampledOptions = {},
): Promise<EvalResult> {
  const { t0, on, ks, keys, name } = begin(scorer, opts);
  const what = `sampled evaluation of ${name} on ${on}`;
  checkHeldOut(heldOut, scorer.nUsers, scorer.nItems, what);
  const nNeg = heldOut.numNegatives;
  const negs = heldOut.negatives;
  if (!negs || nNeg <= 0) {
    throw new DataError(
      `${what}: the held-out set has no sampled negatives (numNegatives = ${nNeg}); ` +
        `build the split with numNegatives > 0 or use full ranking`,
    );
  }
  const pairs = heldOut.users.length;
  if (negs.length !== pairs * nNeg) {
    throw new DataError(
      `${what}: negatives has ${negs.length} entries, expected ${pairs} pairs x ${nNeg}`,
    );
  }
  for (let q = 0; q < negs.length; q++) {
    if (!(negs[q] >= 0 && negs[q] < scorer.nItems)) {
      throw new DataError(
        `${what}: negative ${q % nNeg} of pair ${Math.floor(q / nNeg)} is item ${negs[q]}, ` +
          `out of range [0, ${scorer.nItems})`,
      );
    }
  }
  const batchPairs = Math.max(1, opts.batchPairs ?? 1024);
  const width = 1 + nNeg;
  const group = groupByUser(heldOut.users);
  const result = emptyResult("sampled", on, ks, keys, group.users);
  const perPair = keys.map(() => new Float64Array(pairs));
  const bUsers = new Int32Array(Math.min(batchPairs, pairs) * width);
  const bItems = new Int32Array(bUsers.length);
  const list: RankedList = { positions: new Float64Array(1), numRelevant: 1, numNonRelevant: nNeg };
  const progress = new Progress(`${name}: sampled ${on}`, {
    total: pairs,
    unit: "pairs",
    sink: opts.progress,
  });
  for (let p0 = 0; p0 < pairs; p0 += batchPairs) {
    const p1 = Math.min(pairs, p0 + batchPairs);
    const len = (p1 - p0) * width;
    for (let p = p0; p < p1; p++) {
      const o = (p - p0) * width;
      const u = heldOut.users[p];
      bUsers[o] = u;
      bItems[o] = heldOut.items[p];
      for (let j = 0; j < nNeg; j++) {
        bUsers[o + 1 + j] = u;
        bItems[o + 1 + j] = negs[p * nNeg + j];
      }
    }
    const scores = await scorer.scorePairs(bUsers.subarray(0, len), bItems.subarray(0, len));
    if (scores.length < len) {
      throw new Error(`${name}.scorePairs returned ${scores.length} scores for ${len} pairs`);
    }
    for (let p = p0; p < p1; p++) {
      const o = (p - p0) * width;
      const s = scores[o];
      if (s !== s) {
        throw new ScoreError(
          `${name} gave a NaN score to user ${heldOut.users[p]}, held-out item ${heldOut.items[p]}`,
        );
      }
      // A negative equal to the held-out item is not a competitor: the published NCF
      // ml-1m.test.negative lists the test item among its negatives on 156 lines, and
      // NCF's evaluator (scores in a dict keyed by item) collapses it. Skip it likewise.
      const positive = heldOut.items[p];
      let above = 0;
      let duplicates = 0;
      for (let j = 1; j < width; j++) {
        const x = scores[o + j];
        if (bItems[o + j] === positive) duplicates++;
        else if (x >= s) above++;
        else if (x !== x) {
          throw new ScoreError(
            `${name} gave a NaN score to user ${heldOut.users[p]}, item ${bItems[o + j]}`,
          );
        }
      }
      list.positions[0] = above;
      list.numNonRelevant = nNeg - duplicates;
      for (let m = 0; m < keys.length; m++) perPair[m][p] = keys[m].def.compute(list, keys[m].k);
    }
    progress.set(p1);
  }
  // Per-user means over each user's pairs.
  for (let g = 0; g < group.users.length; g++) {
    const a = group.start[g];
    const b = group.start[g + 1];
    for (let m = 0; m < keys.length; m++) {
      let s = 0;
      for (let p = a; p < b; p++) s += perPair[m][p];
      result.perUser[keys[m].key][g] = s / (b - a);
    }
  }
  return finish(result, pairs, t0, progress);
}

/** Items per user in CSR form from event rows (duplicates kept; the mask dedups). */
function itemsByUser(users: Int32Array, items: Int32Array, nUsers: number) {
  const indptr = new Int32Array(nUsers + 1);
  for (let r = 0; r < users.length; r++) indptr[users[r] + 1]++;
  for (let u = 0; u < nUsers; u++) indptr[u + 1] += indptr[u];
  const fill = indptr.slice(0, nUsers);
  const indices = new Int32Array(users.length);
  for (let r = 0; r < users.length; r++) indices[fill[users[r]]++] = items[r];
  return { indptr, indices };
}

function checkTrain(x: Interactions, nUsers: number, nItems: number, name: string): void {
  for (let r = 0; r < x.users.length; r++) {
    const u = x.users[r];
    const i = x.items[r];
    if (!(u >= 0 && u < nUsers) || !(i >= 0 && i < nItems)) {
      throw new DataError(
        `full ranking of ${name}: training row ${r} (user ${u}, item ${i}) is out of range ` +
          `[0, ${nUsers}) x [0, ${nItems})`,
      );
    }
  }
}

/**
 * Full-ranking protocol: scores every item for each user with held-out pairs in
 * `split[on]`, masks the user's training items and the other held-out set's items,
 * and places the user's held-out items in that ranking (pessimistic ties).
 *
 * Speed: users are scored in batches into one reused buffer (`scoreAllInto` when the
 * scorer has it); each user then costs one pass over its score row, no sort.
 *
 * @param scorer the model (`nItems` must equal `split.nItems`)
 * @param split the split; `split[on]` gives relevant items, `split.train` the mask
 * @returns per-user values (users ascending) and means over users
 * @throws DataError for an empty held-out set or ids out of range; ScoreError naming model
 *   and user when a score is NaN
 *
 * @example
 * ```ts
 * const r = await evaluateFullRanking(model, split, { ks: [10], on: "test" });
 * r.mean["NDCG@10"];
 * ```
 */
export async function evaluateFullRanking(
  scorer: Scorer,
  split: Split,
  opts: FullRankingOptions = {},
): Promise<EvalResult> {
  const { t0, on, ks, keys, name } = begin(scorer, opts);
  const nItems = split.nItems;
  const nUsers = split.nUsers;
  if (scorer.nItems !== nItems || scorer.nUsers !== nUsers) {
    throw new DataError(
      `full ranking of ${name}: model has ${scorer.nUsers} users x ${scorer.nItems} items, ` +
        `split ${split.name} has ${nUsers} x ${nItems}`,
    );
  }
  const heldOut = on === "test" ? split.test : split.valid;
  if (!heldOut) {
    throw new ConfigError(`full ranking of ${name}: split ${split.name} has no validation set`);
  }
  const other = on === "test" ? split.valid : split.test;
  const what = `full-ranking evaluation of ${name} on ${on}`;
  checkHeldOut(heldOut, nUsers, nItems, what);
  if (other) checkHeldOut(other, nUsers, nItems, `${what} (the other held-out set)`);
  checkTrain(split.train, nUsers, nItems, name);

  // Items masked per user: training items, then the other held-out set's items.
  const masks = [itemsByUser(split.train.users, split.train.items, nUsers)];
  if (other) masks.push(itemsByUser(other.users, other.items, nUsers));
  const group = groupByUser(heldOut.users);
  const result = emptyResult("full", on, ks, keys, group.users);
  const nEval = group.users.length;

  const batchUsers = Math.max(1, Math.min(opts.batchUsers ?? 256, nEval));
  const buffer = new Float32Array(batchUsers * nItems);
  const batch = new Int32Array(batchUsers);
  // Per item: 0 candidate, 1 masked, 2 relevant (reset after each user).
  const mark = new Uint8Array(nItems);
  const relScores = new Float64Array(nItems);
  const counts = new Int32Array(nItems + 1);
  const list: RankedList = {
    positions: new Float64Array(nItems),
    numRelevant: 0,
    numNonRelevant: 0,
  };
  const progress = new Progress(`${name}: full ranking ${on}`, {
    total: nEval,
    unit: "users",
    sink: opts.progress,
  });

  for (let g0 = 0; g0 < nEval; g0 += batchUsers) {
    const g1 = Math.min(nEval, g0 + batchUsers);
    const b = g1 - g0;
    for (let g = g0; g < g1; g++) batch[g - g0] = group.users[g];
    const users = batch.subarray(0, b);
    let scores: Float32Array;
    if (scorer.scoreAllInto) {
      await scorer.scoreAllInto(users, buffer);
      scores = buffer;
    } else {
      scores = await scorer.scoreAll(users);
    }
    if (scores.length < b * nItems) {
      throw new Error(`${name}.scoreAll returned ${scores.length} scores for ${b} x ${nItems}`);
    }
    for (let g = g0; g < g1; g++) {
      const u = group.users[g];
      const row = (g - g0) * nItems;
      // Relevant items (distinct) and their scores.
      let m = 0;
      for (let p = group.start[g]; p < group.start[g + 1]; p++) {
        const i = heldOut.items[p];
        if (mark[i] === 2) continue;
        mark[i] = 2;
        const s = scores[row + i];
        if (s !== s) {
          throw new ScoreError(`${name} gave a NaN score to user ${u}, held-out item ${i}`);
        }
        relScores[m++] = s;
      }
      // Mask: training items and the other held-out set's items, unless relevant.
      let masked = 0;
      for (const mk of masks) masked += markMasked(mark, mk.indptr, mk.indices, u);
      const numNonRelevant = nItems - masked - m;
      if (numNonRelevant <= 0) {
        throw new DataError(
          `${what}: user ${u} has no unmasked non-relevant item to rank against ` +
            `(every item is a training or held-out item)`,
        );
      }
      if (m === 1) {
        // Common case (leave-one-out): count unmasked non-relevant items with score >= s.
        const s = relScores[0];
        let above = 0;
        for (let i = 0; i < nItems; i++) {
          const x = scores[row + i];
          if (x >= s) above++;
          else if (x !== x) {
            throw new ScoreError(`${name} gave a NaN score to user ${u}, item ${i}`);
          }
        }
        above -= 1; // the relevant item itself
        for (const mk of masks) {
          above -= uncountAbove(mark, mk.indptr, mk.indices, u, scores, row, s);
        }
        list.positions[0] = above;
      } else {
        // Several relevant items: sort their scores descending; an item with score x counts
        // towards every relevant j with s_j <= x, a suffix found by binary search.
        const rs = relScores.subarray(0, m).sort().reverse();
        counts.fill(0, 0, m + 1);
        for (let i = 0; i < nItems; i++) {
          const x = scores[row + i];
          if (x !== x) throw new ScoreError(`${name} gave a NaN score to user ${u}, item ${i}`);
          counts[firstNotAbove(rs, m, x)]++;
        }
        // Remove masked and relevant items from the counts (each distinct item once).
        for (const mk of masks) {
          uncountSuffix(mark, 1, mk.indptr, mk.indices, u, scores, row, rs, m, counts);
        }
        uncountSuffix(mark, 2, group.start, heldOut.items, g, scores, row, rs, m, counts);
        let cum = 0;
        for (let j = 0; j < m; j++) {
          cum += counts[j];
          list.positions[j] = j + cum;
        }
      }
      list.numRelevant = m;
      list.numNonRelevant = numNonRelevant;
      for (let k = 0; k < keys.length; k++) {
        result.perUser[keys[k].key][g] = keys[k].def.compute(list, keys[k].k);
      }
      // Reset the marks this user set.
      for (let p = group.start[g]; p < group.start[g + 1]; p++) mark[heldOut.items[p]] = 0;
      for (const mk of masks) {
        for (let q = mk.indptr[u]; q < mk.indptr[u + 1]; q++) mark[mk.indices[q]] = 0;
      }
    }
    progress.set(g1);
  }
  return finish(result, heldOut.users.length, t0, progress);
}

/** Marks user u's listed items as masked (1) unless already marked; returns how many. */
function markMasked(mark: Uint8Array, indptr: Int32Array, indices: Int32Array, u: number): number {
  let masked = 0;
  for (let q = indptr[u]; q < indptr[u + 1]; q++) {
    const i = indices[q];
    if (mark[i] === 0) {
      mark[i] = 1;
      masked++;
    }
  }
  return masked;
}

/**
 * Counts user u's masked items (mark 1) with score >= s, each distinct item once (its mark
 * becomes 3).
 */
function uncountAbove(
  mark: Uint8Array,
  indptr: Int32Array,
  indices: Int32Array,
  u: number,
  scores: Float32Array,
  row: number,
  s: number,
): number {
  let above = 0;
  for (let q = indptr[u]; q < indptr[u + 1]; q++) {
    const i = indices[q];
    if (mark[i] === 1) {
      if (scores[row + i] >= s) above++;
      mark[i] = 3;
    }
  }
  return above;
}

/**
 * Removes row `r`'s listed items in state `state` (1 masked, 2 relevant) from the suffix
 * counts, each distinct item once (its mark becomes 3).
 */
function uncountSuffix(
  mark: Uint8Array,
  state: number,
  indptr: Int32Array,
  indices: Int32Array,
  r: number,
  scores: Float32Array,
  row: number,
  rs: Float64Array,
  m: number,
  counts: Int32Array,
): void {
  for (let q = indptr[r]; q < indptr[r + 1]; q++) {
    const i = indices[q];
    if (mark[i] === state) {
      counts[firstNotAbove(rs, m, scores[row + i])]--;
      mark[i] = 3;
    }
  }
}

/** First index j in `rs[0..m)` (descending) with rs[j] <= x; m when every rs[j] > x. */
function firstNotAbove(rs: Float64Array, m: number, x: number): number {
  let lo = 0;
  let hi = m;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rs[mid] > x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Options of {@link evaluateProtocols}. */
export interface ProtocolsOptions extends EvalOptions {
  /** Which protocols to run, default both (sampled only when the held-out set has negatives). */
  protocols?: ("sampled" | "full")[];
  /** Which held-out set, default "test". */
  on?: "test" | "valid";
  batchPairs?: number;
  batchUsers?: number;
}

/**
 * Runs the requested protocols on one held-out set of `split`: the usual last step of a
 * run (`reproduce`, experiments). Returns the results keyed by protocol.
 *
 * @example
 * ```ts
 * const { sampled, full } = await evaluateProtocols(model, split, { ks: [10] });
 * ```
 */
export async function evaluateProtocols(
  scorer: Scorer,
  split: Split,
  opts: ProtocolsOptions = {},
): Promise<{ sampled?: EvalResult; full?: EvalResult }> {
  const on = opts.on ?? "test";
  const heldOut = on === "test" ? split.test : split.valid;
  if (!heldOut) throw new ConfigError(`evaluateProtocols: split ${split.name} has no ${on} set`);
  const protocols = opts.protocols ??
    (heldOut.negatives && heldOut.numNegatives > 0 ? ["sampled", "full"] : ["full"]);
  const out: { sampled?: EvalResult; full?: EvalResult } = {};
  if (protocols.includes("sampled")) {
    out.sampled = await evaluateSampled(scorer, heldOut, { ...opts, on });
  }
  if (protocols.includes("full")) {
    out.full = await evaluateFullRanking(scorer, split, { ...opts, on });
  }
  return out;
}
