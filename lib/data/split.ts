/**
 * Train / validation / test splits: leave-latest-one-out (the NCF protocol), a seeded
 * per-user random ratio split (the seed notebook's 80/20) and a global temporal ratio
 * split. Every split returns a {@link Split} whose parts share one id space, with seeded
 * sampled evaluation negatives.
 *
 * Common rules:
 * - Splits require one row per (user, item) and throw otherwise: call `dedupe` first.
 *   So no held-out (user, item) pair ever occurs in train.
 * - Evaluation negatives are items the user never interacted with in the whole input
 *   (train + valid + test), distinct per pair, from `Rng.derive(seed, <split>, "test" | "valid")`.
 * - Held-out pairs are sorted by user, then by (timestamp, input row).
 *
 * @module
 */
import { ConfigError, DataError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { sampleEvalNegatives } from "./negatives.ts";
import {
  compactIds,
  groupByUser,
  selectRows,
  userItemIndex,
  validateInteractions,
} from "./preprocess.ts";
import type { HeldOut, Interactions, Split, UserItemIndex } from "./types.ts";

/** What to do with users who have too few interactions for a split. */
export type ShortUsers = "error" | "drop";

/** Options of {@link leaveLatestOut}. */
export interface LeaveLatestOutOptions {
  /** Also hold out each user's second-latest interaction as validation. Default false. */
  validation?: boolean;
  /** Sampled negatives per held-out pair (NCF: 99). 0 for none. Default 99. */
  numNegatives?: number;
  /** Seed of the negative samples. */
  seed: number;
  /**
   * Users with fewer than `1 + (validation ? 1 : 0) + minTrain` interactions: `"error"`
   * (default) throws naming them; `"drop"` removes them and compacts ids (the split's
   * name records how many were dropped).
   */
  shortUsers?: ShortUsers;
  /** Training interactions each user must keep. Default 1. */
  minTrain?: number;
  /** Provenance text for `Split.name`. Default "leave-latest-one-out". */
  name?: string;
}

function checkSeed(seed: unknown, fn: string): void {
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new ConfigError(`${fn}: seed must be a finite number, got ${seed}`);
  }
}

function checkNegatives(n: number, fn: string): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigError(`${fn}: numNegatives must be an integer >= 0, got ${n}`);
  }
}

/** Throws when some (user, item) occurs twice; returns the index of all interactions. */
function indexWithoutDuplicates(x: Interactions, fn: string): UserItemIndex {
  const idx = userItemIndex(x);
  if (idx.indices.length !== x.users.length) {
    // Find one example for the message.
    const seen = new Set<number>();
    for (let r = 0; r < x.users.length; r++) {
      const key = x.users[r] * x.nItems + x.items[r];
      if (seen.has(key)) {
        throw new DataError(
          `${fn}: ${x.users.length - idx.indices.length} duplicate (user, item) rows, e.g. row ` +
            `${r}: user ${x.users[r]} (raw ${x.userIds.raw[x.users[r]]}), item ${x.items[r]} ` +
            `(raw ${x.itemIds.raw[x.items[r]]}); call dedupe(x) first`,
        );
      }
      seen.add(key);
    }
  }
  return idx;
}

function emptyCheck(x: Interactions, fn: string): void {
  if (x.users.length === 0) throw new DataError(`${fn}: no interactions (empty dataset)`);
  validateInteractions(x, fn);
}

/** Builds a HeldOut from chosen rows (sorted by user, then timestamp, then row). */
function heldOutFromRows(
  x: Interactions,
  rows: Int32Array,
  numNegatives: number,
  interacted: UserItemIndex,
  seed: number,
): HeldOut {
  const sorted = Array.from(rows).sort((a, b) =>
    x.users[a] - x.users[b] || x.timestamps[a] - x.timestamps[b] || a - b
  );
  const n = sorted.length;
  const h: HeldOut = {
    users: new Int32Array(n),
    items: new Int32Array(n),
    timestamps: new Float64Array(n),
    ratings: new Float32Array(n),
    numNegatives,
  };
  for (let k = 0; k < n; k++) {
    const r = sorted[k];
    h.users[k] = x.users[r];
    h.items[k] = x.items[r];
    h.timestamps[k] = x.timestamps[r];
    h.ratings[k] = x.ratings[r];
  }
  if (numNegatives > 0) h.negatives = sampleEvalNegatives(interacted, h.users, numNegatives, seed);
  return h;
}

function streamSeed(seed: number, ...labels: string[]): number {
  return Rng.derive(seed, ...labels).u32();
}

/** Drops the rows of `users` (flag per user) and compacts ids. */
function dropUsers(x: Interactions, drop: Uint8Array): Interactions {
  const keep: number[] = [];
  for (let r = 0; r < x.users.length; r++) if (!drop[x.users[r]]) keep.push(r);
  if (keep.length === 0) throw new DataError("every user has too few interactions (empty dataset)");
  return compactIds(selectRows(x, Int32Array.from(keep)));
}

/**
 * Users with fewer than `need` interactions: with `shortUsers` "drop" they are removed (ids
 * compacted), otherwise a DataError names them. Returns the data kept, grouped by user, and
 * how many users were dropped.
 */
function handleShortUsers(
  fn: string,
  x: Interactions,
  need: number,
  shortUsers: ShortUsers,
): { x: Interactions; ptr: Int32Array; order: Int32Array; dropped: number } {
  const { ptr, order } = groupByUser(x);
  const short: number[] = [];
  for (let u = 0; u < x.nUsers; u++) if (ptr[u + 1] - ptr[u] < need) short.push(u);
  if (short.length === 0) return { x, ptr, order, dropped: 0 };
  if (shortUsers !== "drop") {
    const count = (u: number) => ptr[u + 1] - ptr[u];
    const ex = short.slice(0, 5).map((u) => `${u} (raw ${x.userIds.raw[u]}: ${count(u)})`);
    throw new DataError(
      `${fn}: ${short.length} users have fewer than ${need} interactions, e.g. user ` +
        `${ex.join(", ")}; filter them (kCore) or pass shortUsers: "drop"`,
    );
  }
  const flag = new Uint8Array(x.nUsers);
  for (const u of short) flag[u] = 1;
  const kept = dropUsers(x, flag);
  return { x: kept, ...groupByUser(kept), dropped: short.length };
}

/**
 * Leave-latest-one-out (NCF protocol): each user's latest interaction is the test pair;
 * with `validation`, the one before it is the validation pair; the rest is train.
 * "Latest" orders a user's rows by (timestamp, input row), so on equal timestamps the
 * later row in the input is the later one, as ../shared/anchors/make_ncf_split.py does.
 *
 * @example
 * ```ts
 * const x = await loadInteractions("ml-100k");
 * const split = leaveLatestOut(x, { seed: 1 }); // 943 test pairs with 99 negatives each
 * ```
 * @throws DataError for an empty dataset, duplicate (user, item) rows, or (with
 *   shortUsers "error") users with too few interactions.
 */
export function leaveLatestOut(x: Interactions, opts: LeaveLatestOutOptions): Split {
  const fn = "leaveLatestOut";
  checkSeed(opts.seed, fn);
  const numNegatives = opts.numNegatives ?? 99;
  checkNegatives(numNegatives, fn);
  const validation = opts.validation ?? false;
  const minTrain = opts.minTrain ?? 1;
  if (!Number.isInteger(minTrain) || minTrain < 0) {
    throw new ConfigError(`${fn}: minTrain must be an integer >= 0, got ${minTrain}`);
  }
  const shortUsers = opts.shortUsers ?? "error";
  if (shortUsers !== "error" && shortUsers !== "drop") {
    throw new ConfigError(
      `${fn}: shortUsers must be "error" or "drop", got ${JSON.stringify(shortUsers)}`,
    );
  }
  emptyCheck(x, fn);
  const need = 1 + (validation ? 1 : 0) + minTrain;
  const grouped = handleShortUsers(fn, x, need, shortUsers);
  const { ptr, order, dropped } = grouped;
  x = grouped.x;
  const interacted = indexWithoutDuplicates(x, fn);
  const role = new Uint8Array(x.users.length); // 0 train, 1 test, 2 valid
  const testRows = new Int32Array(x.nUsers);
  const validRows = new Int32Array(validation ? x.nUsers : 0);
  const ts = x.timestamps;
  for (let u = 0; u < x.nUsers; u++) {
    // Rows of u are in input order, so ">=" picks the later row on equal timestamps.
    let best = -1;
    for (let k = ptr[u]; k < ptr[u + 1]; k++) {
      const r = order[k];
      if (best === -1 || ts[r] >= ts[best]) best = r;
    }
    role[best] = 1;
    testRows[u] = best;
    if (validation) {
      let second = -1;
      for (let k = ptr[u]; k < ptr[u + 1]; k++) {
        const r = order[k];
        if (r !== best && (second === -1 || ts[r] >= ts[second])) second = r;
      }
      role[second] = 2;
      validRows[u] = second;
    }
  }
  const trainRows: number[] = [];
  for (let r = 0; r < x.users.length; r++) if (role[r] === 0) trainRows.push(r);
  const base = opts.name ?? "leave-latest-one-out";
  const split: Split = {
    name: base + (validation ? " (+ latest-but-one validation)" : "") +
      (dropped > 0 ? `, ${dropped} users with < ${need} interactions dropped` : ""),
    train: selectRows(x, Int32Array.from(trainRows)),
    test: heldOutFromRows(x, testRows, numNegatives, interacted, streamSeed(opts.seed, fn, "test")),
    nUsers: x.nUsers,
    nItems: x.nItems,
  };
  if (validation) {
    split.valid = heldOutFromRows(
      x,
      validRows,
      numNegatives,
      interacted,
      streamSeed(opts.seed, fn, "valid"),
    );
  }
  return split;
}

/** Options of the ratio splits. */
export interface RatioSplitOptions {
  /** Fraction of interactions held out for test, in (0, 1). */
  testRatio: number;
  /** Fraction held out for validation, in [0, 1). Default 0 (no validation part). */
  validRatio?: number;
  /** Seed of the random assignment (random split) and of the negatives. */
  seed: number;
  /** Sampled negatives per held-out pair. Default 99 (the seed notebook used 19). */
  numNegatives?: number;
  /** Users too small for the split: "error" (default) or "drop" (random split only). */
  shortUsers?: ShortUsers;
  /** Provenance text for `Split.name`. */
  name?: string;
}

function checkRatios(opts: RatioSplitOptions, fn: string): { test: number; valid: number } {
  const test = opts.testRatio;
  const valid = opts.validRatio ?? 0;
  if (!(test > 0 && test < 1)) {
    throw new ConfigError(`${fn}: testRatio must be in (0, 1), got ${test}`);
  }
  if (!(valid >= 0 && valid < 1)) {
    throw new ConfigError(`${fn}: validRatio must be in [0, 1), got ${valid}`);
  }
  if (!(test + valid < 1)) {
    throw new ConfigError(`${fn}: testRatio + validRatio must be < 1, got ${test + valid}`);
  }
  return { test, valid };
}

/**
 * Per-user random ratio split (the seed notebook's 80/20 when testRatio 0.2): each user's
 * interactions are shuffled (seeded) and `max(1, round(n * testRatio))` go to test,
 * `max(1, round(n * validRatio))` to validation when validRatio > 0, the rest (at least
 * one) to train. Users with too few interactions for that: see `shortUsers`.
 */
export function randomRatioSplit(x: Interactions, opts: RatioSplitOptions): Split {
  const fn = "randomRatioSplit";
  checkSeed(opts.seed, fn);
  const r = checkRatios(opts, fn);
  const numNegatives = opts.numNegatives ?? 99;
  checkNegatives(numNegatives, fn);
  const shortUsers = opts.shortUsers ?? "error";
  emptyCheck(x, fn);
  const need = 2 + (r.valid > 0 ? 1 : 0);
  const grouped = handleShortUsers(fn, x, need, shortUsers);
  const { ptr, order, dropped } = grouped;
  x = grouped.x;
  const interacted = indexWithoutDuplicates(x, fn);
  const rng = Rng.derive(opts.seed, fn, "assign");
  const role = new Uint8Array(x.users.length);
  for (let u = 0; u < x.nUsers; u++) {
    const rows = order.slice(ptr[u], ptr[u + 1]);
    rng.shuffle(rows);
    const n = rows.length;
    // At least one test (and validation) row, and at least one training row: n >= need
    // guarantees room for all three.
    const reserve = r.valid > 0 ? 1 : 0;
    const nTest = Math.min(Math.max(1, Math.round(n * r.test)), n - 1 - reserve);
    const nValid = r.valid > 0 ? Math.min(Math.max(1, Math.round(n * r.valid)), n - 1 - nTest) : 0;
    for (let k = 0; k < nTest; k++) role[rows[k]] = 1;
    for (let k = nTest; k < nTest + nValid; k++) role[rows[k]] = 2;
  }
  return assemble(x, role, numNegatives, interacted, opts, fn, r, dropped);
}

function assemble(
  x: Interactions,
  role: Uint8Array,
  numNegatives: number,
  interacted: UserItemIndex,
  opts: RatioSplitOptions,
  fn: string,
  r: { test: number; valid: number },
  dropped: number,
): Split {
  const train: number[] = [];
  const test: number[] = [];
  const valid: number[] = [];
  for (let k = 0; k < role.length; k++) {
    (role[k] === 0 ? train : role[k] === 1 ? test : valid).push(k);
  }
  if (test.length === 0) throw new DataError(`${fn}: the test part is empty (testRatio ${r.test})`);
  if (r.valid > 0 && valid.length === 0) {
    throw new DataError(`${fn}: the validation part is empty (validRatio ${r.valid})`);
  }
  const name = (opts.name ?? fn) + ` (test ${r.test}${r.valid > 0 ? `, valid ${r.valid}` : ""})` +
    (dropped > 0 ? `, ${dropped} short users dropped` : "");
  const split: Split = {
    name,
    train: selectRows(x, Int32Array.from(train)),
    test: heldOutFromRows(
      x,
      Int32Array.from(test),
      numNegatives,
      interacted,
      streamSeed(opts.seed, fn, "test"),
    ),
    nUsers: x.nUsers,
    nItems: x.nItems,
  };
  if (r.valid > 0) {
    split.valid = heldOutFromRows(
      x,
      Int32Array.from(valid),
      numNegatives,
      interacted,
      streamSeed(opts.seed, fn, "valid"),
    );
  }
  return split;
}

/**
 * Global temporal ratio split: one time cut for everybody. With rows sorted by
 * timestamp, the cut is the timestamp of the row at position `n - round(n * testRatio)`;
 * every row at or after it is test (so ties at the cut go to test and the realised ratio
 * can be a little larger). Validation is the `validRatio` slice before it, cut the same
 * way. Users or items first seen after the cut stay in the held-out parts (cold start);
 * the seed only drives the negatives.
 */
export function temporalRatioSplit(x: Interactions, opts: RatioSplitOptions): Split {
  const fn = "temporalRatioSplit";
  checkSeed(opts.seed, fn);
  const r = checkRatios(opts, fn);
  const numNegatives = opts.numNegatives ?? 99;
  checkNegatives(numNegatives, fn);
  emptyCheck(x, fn);
  const interacted = indexWithoutDuplicates(x, fn);
  const n = x.users.length;
  const sorted = x.timestamps.slice().sort();
  const nTest = Math.round(n * r.test);
  if (nTest < 1) throw new DataError(`${fn}: testRatio ${r.test} of ${n} rows holds out nothing`);
  const tTest = sorted[n - nTest];
  const nValid = Math.round(n * r.valid);
  const tValid = r.valid > 0 ? sorted[Math.max(0, n - nTest - nValid)] : Infinity;
  const role = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const t = x.timestamps[k];
    role[k] = t >= tTest ? 1 : t >= tValid ? 2 : 0;
  }
  let nTrain = 0;
  for (let k = 0; k < n; k++) if (role[k] === 0) nTrain++;
  if (nTrain === 0) {
    throw new DataError(
      `${fn}: every row is at or after the cut (ties at timestamp ${
        tValid < tTest ? tValid : tTest
      }); nothing left to train on`,
    );
  }
  return assemble(x, role, numNegatives, interacted, opts, fn, r, 0);
}
