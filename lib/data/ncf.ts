/**
 * The NCF file format (He et al., WWW 2017; hexiangnan/neural_collaborative_filtering):
 * `<name>.train.rating` and `<name>.test.rating` (`user \t item \t rating \t timestamp`,
 * 0-based ids) and `<name>.test.negative` (`(user,item) \t neg_1 \t ... \t neg_99`).
 * Reading (the published split as published), writing (our splits for other tools and
 * ../shared/anchors/*.py), and rebuilding the NCF ML-1M split from ratings.dat.
 *
 * @module
 */
import { join } from "node:path";
import { ConfigError, DataError, lineError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { decodeLatin1, readDataBytes } from "./io.ts";
import { sampleEvalNegatives } from "./negatives.ts";
import { groupByUser, selectRows, userItemIndex } from "./preprocess.ts";
import { parseRatingsBytes, type RawRatings } from "./ratings.ts";
import { datasetSpec } from "./registry.ts";
import { type LoadOptions, missingFileError, resolveDataFile } from "./resolve.ts";
import { type HeldOut, IdMap, type Interactions, type Split } from "./types.ts";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** `path` if it exists, else `path.gz` if that exists, else null. */
async function plainOrGz(path: string): Promise<string | null> {
  if (await isFile(path)) return path;
  if (await isFile(path + ".gz")) return path + ".gz";
  return null;
}

/** Parsed `*.test.negative` lines. */
export interface NcfNegatives {
  /** Key user per line. Shape: [lines]. */
  users: Int32Array;
  /** Key (held-out) item per line. Shape: [lines]. */
  items: Int32Array;
  /** Negatives, line-major. Shape: [lines * numNegatives]. */
  negatives: Int32Array;
  numNegatives: number;
}

/**
 * Parses an NCF negative file: lines `(u,i)\tn_1\t...\tn_k` with the same k on every line.
 *
 * @throws lineError (file, line, reason, text) on any malformed line.
 */
export function parseNcfNegatives(bytes: Uint8Array, file: string): NcfNegatives {
  const b = bytes;
  const n = b.length;
  const users: number[] = [];
  const items: number[] = [];
  let negs = new Int32Array(1 << 16);
  let nNeg = 0;
  let perLine = -1;
  let p = 0;
  let line = 0;
  const text = (s: number) => {
    let e = b.indexOf(10, s);
    if (e === -1) e = n;
    return decodeLatin1(b, s, e > s && b[e - 1] === 13 ? e - 1 : e);
  };
  const readInt = (what: string, s: number): number => {
    let v = 0;
    let d = 0;
    while (p < n && b[p] >= 48 && b[p] <= 57) {
      v = v * 10 + b[p] - 48;
      p++;
      d++;
    }
    if (d === 0 || v > 2147483647) {
      throw lineError(file, line, `expected ${what} (a non-negative integer)`, text(s));
    }
    return v;
  };
  while (p < n) {
    line++;
    const s = p;
    if (b[p] === 10 || b[p] === 13) {
      let q = p;
      while (q < n && (b[q] === 10 || b[q] === 13)) q++;
      if (q >= n) break;
      throw lineError(file, line, "empty line", "");
    }
    if (b[p] !== 40) throw lineError(file, line, 'expected "(user,item)" at the start', text(s));
    p++;
    const u = readInt("user id", s);
    if (b[p] !== 44) throw lineError(file, line, 'expected "," inside "(user,item)"', text(s));
    p++;
    const i = readInt("item id", s);
    if (b[p] !== 41) throw lineError(file, line, 'expected ")" after "(user,item"', text(s));
    p++;
    users.push(u);
    items.push(i);
    let k = 0;
    while (p < n && b[p] === 9) {
      p++;
      // Tolerate a trailing tab before the line end.
      if (p >= n || b[p] === 10 || b[p] === 13) break;
      if (nNeg === negs.length) {
        const bigger = new Int32Array(negs.length * 2);
        bigger.set(negs);
        negs = bigger;
      }
      negs[nNeg++] = readInt(`negative ${k + 1}`, s);
      k++;
    }
    if (p < n && b[p] === 13) p++;
    if (p < n && b[p] !== 10) {
      throw lineError(
        file,
        line,
        `unexpected character ${JSON.stringify(String.fromCharCode(b[p]))}`,
        text(s),
      );
    }
    p++;
    if (perLine === -1) perLine = k;
    else if (k !== perLine) {
      throw lineError(
        file,
        line,
        `expected ${perLine} negatives (as on line 1), got ${k}`,
        text(s),
      );
    }
  }
  if (users.length === 0) throw new DataError(`${file}: no lines (empty negative file)`);
  return {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    negatives: negs.slice(0, nNeg),
    numNegatives: perLine,
  };
}

/** Options of {@link readNcfSplit}. */
export interface ReadNcfOptions {
  /**
   * The train file must exist (default true). With false, a missing train file gives
   * test-only mode: `train` is empty (as for ../shared/data/ncf, where the published train
   * files are absent) and `Split.name` says so.
   */
  requireTrain?: boolean;
  /** Number of users; default 1 + the largest user id in the files. */
  nUsers?: number;
  /** Number of items; default 1 + the largest item id in the files (negatives included). */
  nItems?: number;
  /**
   * What to do when a negative is the held-out item itself, another held-out item or a
   * train item of the user, or repeats within a line: "warn" (default: report through
   * `warn` and note it in `Split.name`), "error", or "off". The published NCF
   * ml-1m.test.negative lists the test item among the 99 negatives on 156 of 6,040 lines;
   * NCF's own evaluator collapses the duplicate (its scores are a dict keyed by item).
   */
  checkNegatives?: "warn" | "error" | "off";
  /** Where warnings go. Default console.warn. */
  warn?: (message: string) => void;
  /**
   * Require a test pair for every user that has training rows (default true): a user
   * with no test item is an error, never a silent skip.
   */
  requireTestPerUser?: boolean;
}

function rawToHeldOut(
  raw: RawRatings,
  neg: NcfNegatives | null,
  negFile: string,
  ratingFile: string,
): HeldOut {
  const n = raw.users.length;
  if (neg) {
    if (neg.users.length !== n) {
      throw new DataError(
        `${negFile} has ${neg.users.length} lines but ${ratingFile} has ${n}; they must match line by line`,
      );
    }
    for (let k = 0; k < n; k++) {
      if (neg.users[k] !== raw.users[k] || neg.items[k] !== raw.items[k]) {
        throw lineError(
          negFile,
          k + 1,
          `key (${neg.users[k]},${neg.items[k]}) differs from line ${k + 1} of ${ratingFile} ` +
            `(${raw.users[k]},${raw.items[k]})`,
        );
      }
    }
  }
  // HeldOut is sorted by user; NCF files already are, but sort stably if not.
  const order = Array.from({ length: n }, (_, k) => k);
  let sorted = true;
  for (let k = 1; k < n; k++) if (raw.users[k] < raw.users[k - 1]) sorted = false;
  if (!sorted) order.sort((a, b) => raw.users[a] - raw.users[b] || a - b);
  const m = neg?.numNegatives ?? 0;
  const h: HeldOut = {
    users: new Int32Array(n),
    items: new Int32Array(n),
    timestamps: new Float64Array(n),
    ratings: new Float32Array(n),
    numNegatives: m,
  };
  if (neg && m > 0) h.negatives = new Int32Array(n * m);
  for (let k = 0; k < n; k++) {
    const r = order[k];
    h.users[k] = raw.users[r];
    h.items[k] = raw.items[r];
    h.timestamps[k] = raw.timestamps[r];
    h.ratings[k] = raw.ratings[r];
    if (h.negatives) h.negatives.set(neg!.negatives.subarray(r * m, (r + 1) * m), k * m);
  }
  if (neg && m === 0) h.numNegatives = 0;
  return h;
}

/**
 * Reads `<dir>/<name>.train.rating`, `.test.rating` and `.test.negative` (each may be
 * gzipped as `FILE.gz`) into a {@link Split} with identity id maps (the files are
 * 0-based). `.valid.rating` / `.valid.negative`, written by {@link writeNcfSplit}, are
 * read too when present. A missing `.test.negative` gives `numNegatives` 0.
 *
 * @example
 * ```ts
 * // The published NCF test files (train absent here): test-only mode.
 * const s = await readNcfSplit("/work/shared/data/ncf", "ml-1m", { requireTrain: false, nItems: 3706 });
 * s.test.users.length; // 6040
 * ```
 */
export async function readNcfSplit(
  dir: string,
  name: string,
  opts: ReadNcfOptions = {},
): Promise<Split> {
  const base = join(dir, name);
  const testPath = await plainOrGz(`${base}.test.rating`);
  if (!testPath) {
    throw new DataError(
      `missing NCF test file: looked for ${base}.test.rating and ${base}.test.rating.gz`,
    );
  }
  const trainPath = await plainOrGz(`${base}.train.rating`);
  if (!trainPath && opts.requireTrain !== false) {
    throw new DataError(
      `missing NCF train file: looked for ${base}.train.rating and ${base}.train.rating.gz ` +
        `(pass requireTrain: false for test-only mode)`,
    );
  }
  return await readNcfFiles(
    {
      train: trainPath,
      test: testPath,
      negative: await plainOrGz(`${base}.test.negative`),
      valid: await plainOrGz(`${base}.valid.rating`),
      validNegative: await plainOrGz(`${base}.valid.negative`),
    },
    opts,
    `NCF files ${base}.*`,
  );
}

/** Paths of one NCF split's files (null: absent). */
export interface NcfPaths {
  train: string | null;
  test: string;
  negative: string | null;
  valid?: string | null;
  validNegative?: string | null;
}

/**
 * {@link readNcfSplit} on explicit paths (the files may live in different folders, e.g.
 * the test files in DSER_DATA_DIR and a downloaded train file in the cache).
 */
export async function readNcfFiles(
  paths: NcfPaths,
  opts: ReadNcfOptions = {},
  label = `NCF files ${paths.test}`,
): Promise<Split> {
  const trainPath = paths.train;
  const testPath = paths.test;
  const negPath = paths.negative;
  const validPath = paths.valid ?? null;
  const validNegPath = paths.validNegative ?? null;
  const tab = { separator: "\t" as const };
  const train: RawRatings = trainPath
    ? parseRatingsBytes(await readDataBytes(trainPath), trainPath, tab)
    : emptyRaw();
  const test = parseRatingsBytes(await readDataBytes(testPath), testPath, tab);
  const neg = negPath ? parseNcfNegatives(await readDataBytes(negPath), negPath) : null;
  const valid = validPath
    ? parseRatingsBytes(await readDataBytes(validPath), validPath, tab)
    : null;
  const validNeg = validNegPath
    ? parseNcfNegatives(await readDataBytes(validNegPath), validNegPath)
    : null;

  let maxU = -1;
  let maxI = -1;
  for (const r of [train, test, valid]) {
    if (!r) continue;
    for (let k = 0; k < r.users.length; k++) {
      if (r.users[k] > maxU) maxU = r.users[k];
      if (r.items[k] > maxI) maxI = r.items[k];
    }
  }
  for (const ng of [neg, validNeg]) {
    if (!ng) continue;
    for (let k = 0; k < ng.negatives.length; k++) {
      if (ng.negatives[k] > maxI) maxI = ng.negatives[k];
    }
  }
  const nUsers = opts.nUsers ?? maxU + 1;
  const nItems = opts.nItems ?? maxI + 1;
  const rangeCheck = (r: RawRatings | null, file: string | null) => {
    if (!r || !file) return;
    for (let k = 0; k < r.users.length; k++) {
      if (r.users[k] >= nUsers) {
        throw lineError(file, k + 1, `user id ${r.users[k]} out of range [0, ${nUsers})`);
      }
      if (r.items[k] >= nItems) {
        throw lineError(file, k + 1, `item id ${r.items[k]} out of range [0, ${nItems})`);
      }
    }
  };
  rangeCheck(train, trainPath);
  rangeCheck(test, testPath);
  rangeCheck(valid, validPath);
  for (const [ng, file] of [[neg, negPath], [validNeg, validNegPath]] as const) {
    if (!ng || !file) continue;
    for (let k = 0; k < ng.negatives.length; k++) {
      if (ng.negatives[k] >= nItems) {
        const line = Math.floor(k / ng.numNegatives) + 1;
        throw lineError(file, line, `negative item ${ng.negatives[k]} out of range [0, ${nItems})`);
      }
    }
  }

  const trainX: Interactions = {
    users: train.users,
    items: train.items,
    ratings: train.ratings,
    timestamps: train.timestamps,
    nUsers,
    nItems,
    userIds: IdMap.identity(nUsers),
    itemIds: IdMap.identity(nItems),
  };
  const testH = rawToHeldOut(test, neg, negPath ?? "", testPath);
  const validH = valid && validPath
    ? rawToHeldOut(valid, validNeg, validNegPath ?? "", validPath)
    : undefined;

  if (opts.requireTestPerUser !== false && trainPath) {
    const hasTest = new Uint8Array(nUsers);
    for (let k = 0; k < testH.users.length; k++) hasTest[testH.users[k]] = 1;
    for (let r = 0; r < train.users.length; r++) {
      if (!hasTest[train.users[r]]) {
        throw new DataError(
          `user ${
            train.users[r]
          } has training rows in ${trainPath} but no test item in ${testPath}`,
        );
      }
    }
  }
  const notes: string[] = [];
  const mode = opts.checkNegatives ?? "warn";
  if (mode !== "off") {
    const idx = userItemIndex(trainX);
    const found: [HeldOut, string][] = [[testH, negPath ?? ""]];
    if (validH) found.push([validH, validNegPath ?? ""]);
    for (const [h, file] of found) {
      const issues = checkHeldOutNegatives(h, idx, h === testH ? validH : testH);
      const what = describeIssues(issues, h.users.length);
      if (!what) continue;
      const msg = `${file}: ${what} (e.g. ${issues.examples.join("; ")})`;
      if (mode === "error") {
        throw new DataError(msg + '; pass checkNegatives: "warn" or "off" to load anyway');
      }
      (opts.warn ?? ((s: string) => console.warn(s)))(msg);
      notes.push(what);
    }
  }
  return {
    name: label + (trainPath ? "" : " (test only: no train file)") +
      (notes.length ? ` [negatives as published: ${notes.join("; ")}]` : ""),
    train: trainX,
    test: testH,
    ...(validH ? { valid: validH } : {}),
    nUsers,
    nItems,
  };
}

function emptyRaw(): RawRatings {
  return {
    users: new Int32Array(0),
    items: new Int32Array(0),
    ratings: new Float32Array(0),
    timestamps: new Float64Array(0),
  };
}

/** What {@link readNcfSplit} found wrong with a negative file (see `checkNegatives`). */
export interface NegativeIssues {
  /** Lines listing their own held-out item among the negatives. */
  ownItem: number;
  /** Negatives that are another held-out item of the user (e.g. the validation item). */
  otherHeldOut: number;
  /** Negatives that are training items of the user. */
  train: number;
  /** Lines with a repeated negative. */
  repeated: number;
  /** Up to 5 examples, "line L: user U, negative J (kind)". */
  examples: string[];
}

/**
 * Checks sampled negatives: none should be the held-out item, another held-out item of
 * the user, or a train item, and none should repeat within a line.
 */
export function checkHeldOutNegatives(
  h: HeldOut,
  train: { indptr: Int32Array; indices: Int32Array },
  other?: HeldOut,
): NegativeIssues {
  const out: NegativeIssues = { ownItem: 0, otherHeldOut: 0, train: 0, repeated: 0, examples: [] };
  if (!h.negatives) return out;
  const m = h.numNegatives;
  const heldBy = new Map<number, Set<number>>();
  for (const part of [h, other]) {
    if (!part) continue;
    for (let k = 0; k < part.users.length; k++) {
      const s = heldBy.get(part.users[k]) ?? new Set<number>();
      s.add(part.items[k]);
      heldBy.set(part.users[k], s);
    }
  }
  const seen = new Set<number>();
  for (let p = 0; p < h.users.length; p++) {
    const u = h.users[p];
    const lo = train.indptr[u];
    const hi = train.indptr[u + 1];
    const held = heldBy.get(u)!;
    let own = false;
    seen.clear();
    let repeated = false;
    for (let t = 0; t < m; t++) {
      const j = h.negatives[p * m + t];
      if (seen.has(j)) repeated = true;
      seen.add(j);
      let inTrain = false;
      for (let a = lo, b = hi; a < b;) {
        const mid = (a + b) >>> 1;
        if (train.indices[mid] === j) {
          inTrain = true;
          break;
        }
        if (train.indices[mid] < j) a = mid + 1;
        else b = mid;
      }
      let kind = "";
      if (j === h.items[p]) {
        own = true;
        kind = "its own held-out item";
      } else if (held.has(j)) {
        out.otherHeldOut++;
        kind = "another held-out item";
      } else if (inTrain) {
        out.train++;
        kind = "a train item";
      }
      if (kind && out.examples.length < 5) {
        out.examples.push(`line ${p + 1}: user ${u}, negative ${j} (${kind})`);
      }
    }
    if (own) out.ownItem++;
    if (repeated) {
      out.repeated++;
      if (out.examples.length < 5) out.examples.push(`line ${p + 1}: user ${u} repeats a negative`);
    }
  }
  return out;
}

function describeIssues(x: NegativeIssues, lines: number): string | null {
  const parts: string[] = [];
  if (x.ownItem) parts.push(`${x.ownItem} of ${lines} lines list their own held-out item`);
  if (x.otherHeldOut) parts.push(`${x.otherHeldOut} negatives are another held-out item`);
  if (x.train) parts.push(`${x.train} negatives are train items of the user`);
  if (x.repeated) parts.push(`${x.repeated} lines repeat a negative`);
  return parts.length === 0 ? null : parts.join("; ");
}

function fmtRating(r: number): string {
  // Python's "{rating:g}" style: 3.0 -> "3", 3.5 -> "3.5"; NaN (no rating) -> "1".
  if (r !== r) return "1";
  return String(Number(r.toPrecision(7)));
}

/** Row order of the train file written by {@link writeNcfSplit}. */
export type NcfTrainOrder = "user-time" | "user-time-desc" | "input";

/** Options of {@link writeNcfSplit}. */
export interface WriteNcfOptions {
  /**
   * Train row order: "user-time" (default: by user, then timestamp ascending, then input
   * row; what ../shared/anchors/make_ncf_split.py writes), "user-time-desc" (by user, latest
   * first, as the published NCF ml-1m.train.rating), or "input" (as stored).
   */
  trainOrder?: NcfTrainOrder;
}

function ratingLines(
  users: Int32Array,
  items: Int32Array,
  ratings: Float32Array,
  timestamps: Float64Array,
  order: ArrayLike<number>,
): string {
  const parts: string[] = [];
  for (let k = 0; k < order.length; k++) {
    const r = order[k];
    parts.push(`${users[r]}\t${items[r]}\t${fmtRating(ratings[r])}\t${timestamps[r]}\n`);
  }
  return parts.join("");
}

function negativeLines(h: HeldOut): string {
  const m = h.numNegatives;
  const parts: string[] = [];
  for (let p = 0; p < h.users.length; p++) {
    let s = `(${h.users[p]},${h.items[p]})`;
    for (let t = 0; t < m; t++) s += `\t${h.negatives![p * m + t]}`;
    parts.push(s + "\n");
  }
  return parts.join("");
}

/**
 * Writes a split in the NCF format: `<name>.train.rating`, `<name>.test.rating`,
 * `<name>.test.negative` (when the test part has negatives), and `<name>.valid.rating` /
 * `.valid.negative` when there is a validation part (an extension the NCF code ignores).
 * Ids are the split's dense indices; a rating that is NaN is written as 1. Files are
 * written atomically.
 */
export async function writeNcfSplit(
  split: Split,
  dir: string,
  name: string,
  opts: WriteNcfOptions = {},
): Promise<void> {
  const t = split.train;
  const n = t.users.length;
  const order = opts.trainOrder ?? "user-time";
  let rows: Int32Array;
  if (order === "input") {
    rows = Int32Array.from({ length: n }, (_, k) => k);
  } else if (order === "user-time" || order === "user-time-desc") {
    const g = groupByUser(t);
    rows = g.order;
    const desc = order === "user-time-desc";
    for (let u = 0; u < t.nUsers; u++) {
      const seg = rows.subarray(g.ptr[u], g.ptr[u + 1]);
      const sorted = Array.from(seg).sort((a, b) =>
        (desc ? t.timestamps[b] - t.timestamps[a] : t.timestamps[a] - t.timestamps[b]) || a - b
      );
      seg.set(sorted);
    }
  } else {
    throw new ConfigError(`writeNcfSplit: unknown trainOrder ${JSON.stringify(order)}`);
  }
  const base = join(dir, name);
  await writeFileAtomic(
    `${base}.train.rating`,
    ratingLines(t.users, t.items, t.ratings, t.timestamps, rows),
  );
  const parts: [HeldOut, string][] = [[split.test, "test"]];
  if (split.valid) parts.push([split.valid, "valid"]);
  for (const [h, label] of parts) {
    const idx = Int32Array.from({ length: h.users.length }, (_, k) => k);
    await writeFileAtomic(
      `${base}.${label}.rating`,
      ratingLines(h.users, h.items, h.ratings, h.timestamps, idx),
    );
    if (h.negatives && h.numNegatives > 0) {
      await writeFileAtomic(`${base}.${label}.negative`, negativeLines(h));
    }
  }
}

/** One user whose rebuilt test item differs from the published one. */
export interface NcfTestMismatch {
  /** 1-based line in the published test file. */
  line: number;
  user: number;
  /** Our test item (dense index) and its timestamp. */
  ours: { item: number; timestamp: number };
  /** The published test item and its timestamp. */
  published: { item: number; timestamp: number };
}

/** What {@link rebuildNcfMl1m} found. */
export interface NcfRebuildReport {
  ratingsFile: string;
  users: number;
  items: number;
  ratings: number;
  /** The published test file compared against, or null when none was given. */
  publishedTest: string | null;
  /** Users whose latest rating is not the published test item. */
  mismatches: NcfTestMismatch[];
  /** Which test items the split uses: ours, or the published ones. */
  testFrom: "ours" | "published";
  /** Where the negatives come from: the published file, or sampled with `seed`. */
  negativesFrom: string;
  /** A one-paragraph summary for logs. */
  summary: string;
}

/** A rebuilt NCF split plus its report. */
export interface NcfRebuild extends Split {
  report: NcfRebuildReport;
}

/** Options of {@link rebuildNcfMl1m}. */
export interface RebuildNcfOptions {
  /** Published `ml-1m.test.rating` to check against (path). */
  testRating?: string;
  /** Published `ml-1m.test.negative` whose negatives are reused (path). */
  testNegative?: string;
  /**
   * When our test items differ from the published ones: "error" (default) throws with
   * the mismatches; "published" uses the published test items (so train = all other
   * ratings, the published split); "ours" keeps ours. Both keep the report.
   */
  onMismatch?: "error" | "published" | "ours";
  /** Negatives when no published negative file is given. Default 99. */
  numNegatives?: number;
  /** Seed for sampled negatives (only without a published negative file). Default 1. */
  seed?: number;
}

/**
 * Rebuilds the NCF ML-1M split from MovieLens 1M `ratings.dat`: user = UserID - 1; items
 * numbered 0.. in order of first appearance in ratings.dat; test = each user's latest
 * rating (on equal timestamps the later row); train = every other rating (rows in file
 * order). With the published test files, the rebuilt test items are checked line by line
 * (see `onMismatch`) and the published negatives are reused.
 *
 * @returns the split with `report` (mismatches, sources, counts).
 */
export async function rebuildNcfMl1m(
  ratingsDat: string,
  opts: RebuildNcfOptions = {},
): Promise<NcfRebuild> {
  const onMismatch = opts.onMismatch ?? "error";
  if (!["error", "published", "ours"].includes(onMismatch)) {
    throw new ConfigError(
      `rebuildNcfMl1m: onMismatch must be "error", "published" or "ours", got ${onMismatch}`,
    );
  }
  const raw = parseRatingsBytes(await readDataBytes(ratingsDat), ratingsDat, { separator: "::" });
  const n = raw.users.length;
  let maxUser = 0;
  let maxMovie = 0;
  for (let r = 0; r < n; r++) {
    if (raw.users[r] < 1) throw lineError(ratingsDat, r + 1, `UserID ${raw.users[r]} must be >= 1`);
    if (raw.users[r] > maxUser) maxUser = raw.users[r];
    if (raw.items[r] > maxMovie) maxMovie = raw.items[r];
  }
  const nUsers = maxUser;
  const itemOf = new Int32Array(maxMovie + 1).fill(-1);
  const movieOrder: number[] = [];
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    users[r] = raw.users[r] - 1;
    const m = raw.items[r];
    if (itemOf[m] === -1) {
      itemOf[m] = movieOrder.length;
      movieOrder.push(m);
    }
    items[r] = itemOf[m];
  }
  const x: Interactions = {
    users,
    items,
    ratings: raw.ratings,
    timestamps: raw.timestamps,
    nUsers,
    nItems: movieOrder.length,
    userIds: new IdMap(Array.from({ length: nUsers }, (_, u) => u + 1)),
    itemIds: new IdMap(movieOrder),
  };
  const { ptr, order } = groupByUser(x);
  const testRow = new Int32Array(nUsers);
  for (let u = 0; u < nUsers; u++) {
    if (ptr[u + 1] === ptr[u]) {
      throw new DataError(
        `${ratingsDat}: UserID ${
          u + 1
        } has no ratings, so no test item (user ids must be 1..${nUsers})`,
      );
    }
    let best = -1;
    for (let k = ptr[u]; k < ptr[u + 1]; k++) {
      const r = order[k];
      if (best === -1 || x.timestamps[r] >= x.timestamps[best]) best = r;
    }
    testRow[u] = best;
  }

  const mismatches: NcfTestMismatch[] = [];
  let testFrom: "ours" | "published" = "ours";
  if (opts.testRating) {
    const pub = parseRatingsBytes(await readDataBytes(opts.testRating), opts.testRating, {
      separator: "\t",
    });
    if (pub.users.length !== nUsers) {
      throw new DataError(
        `${opts.testRating} has ${pub.users.length} lines; the rebuild has ${nUsers} users`,
      );
    }
    const pubRow = new Int32Array(nUsers);
    for (let k = 0; k < nUsers; k++) {
      const u = pub.users[k];
      if (u !== k) {
        throw lineError(opts.testRating, k + 1, `expected user ${k} on this line, got ${u}`);
      }
      const ours = testRow[u];
      if (pub.items[k] !== x.items[ours]) {
        mismatches.push({
          line: k + 1,
          user: u,
          ours: { item: x.items[ours], timestamp: x.timestamps[ours] },
          published: { item: pub.items[k], timestamp: pub.timestamps[k] },
        });
        // The published pair must be one of the user's ratings.
        let found = -1;
        for (let q = ptr[u]; q < ptr[u + 1]; q++) {
          if (x.items[order[q]] === pub.items[k]) found = order[q];
        }
        if (found === -1) {
          throw lineError(
            opts.testRating,
            k + 1,
            `published test item ${
              pub.items[k]
            } is not among user ${u}'s ratings in ${ratingsDat}; ` +
              "the item numbering differs (is this the same ratings.dat?)",
          );
        }
        pubRow[u] = found;
      } else {
        pubRow[u] = ours;
      }
    }
    if (mismatches.length > 0) {
      if (onMismatch === "error") {
        const shown = mismatches.slice(0, 10).map((m) =>
          `  line ${m.line}: user ${m.user}: ours item ${m.ours.item} @${m.ours.timestamp}, ` +
          `published item ${m.published.item} @${m.published.timestamp}`
        );
        throw new DataError(
          [
            `rebuildNcfMl1m: ${mismatches.length} of ${nUsers} rebuilt test items differ from ${opts.testRating}:`,
            ...shown,
            ...(mismatches.length > 10 ? [`  ... and ${mismatches.length - 10} more`] : []),
            'Pass onMismatch: "published" to use the published test items, or "ours" to keep ours.',
          ].join("\n"),
        );
      }
      if (onMismatch === "published") {
        testRow.set(pubRow);
        testFrom = "published";
      }
    }
  }

  const isTest = new Uint8Array(n);
  for (let u = 0; u < nUsers; u++) isTest[testRow[u]] = 1;
  const trainRows: number[] = [];
  for (let r = 0; r < n; r++) if (!isTest[r]) trainRows.push(r);
  const test: HeldOut = {
    users: new Int32Array(nUsers),
    items: new Int32Array(nUsers),
    timestamps: new Float64Array(nUsers),
    ratings: new Float32Array(nUsers),
    numNegatives: 0,
  };
  for (let u = 0; u < nUsers; u++) {
    const r = testRow[u];
    test.users[u] = u;
    test.items[u] = x.items[r];
    test.timestamps[u] = x.timestamps[r];
    test.ratings[u] = x.ratings[r];
  }
  const all = userItemIndex(x);
  let negativesFrom: string;
  if (opts.testNegative) {
    const neg = parseNcfNegatives(await readDataBytes(opts.testNegative), opts.testNegative);
    if (neg.users.length !== nUsers) {
      throw new DataError(
        `${opts.testNegative} has ${neg.users.length} lines; the rebuild has ${nUsers} users`,
      );
    }
    for (let k = 0; k < nUsers; k++) {
      if (neg.users[k] !== k) {
        throw lineError(opts.testNegative, k + 1, `expected user ${k}, got ${neg.users[k]}`);
      }
    }
    for (let k = 0; k < neg.negatives.length; k++) {
      const u = Math.floor(k / neg.numNegatives);
      const j = neg.negatives[k];
      const lo = all.indptr[u];
      const hi = all.indptr[u + 1];
      if (j >= x.nItems || all.indices.subarray(lo, hi).includes(j)) {
        throw lineError(
          opts.testNegative,
          u + 1,
          j >= x.nItems
            ? `negative ${j} out of range [0, ${x.nItems})`
            : `negative ${j} is an item user ${u} rated in ${ratingsDat}`,
        );
      }
    }
    test.negatives = neg.negatives;
    test.numNegatives = neg.numNegatives;
    negativesFrom = opts.testNegative;
  } else {
    const m = opts.numNegatives ?? 99;
    const seed = opts.seed ?? 1;
    if (m > 0) {
      test.negatives = sampleEvalNegatives(all, test.users, m, seed);
      test.numNegatives = m;
    }
    negativesFrom = `sampled (${m} per user, seed ${seed})`;
  }
  const report: NcfRebuildReport = {
    ratingsFile: ratingsDat,
    users: nUsers,
    items: x.nItems,
    ratings: n,
    publishedTest: opts.testRating ?? null,
    mismatches,
    testFrom,
    negativesFrom,
    summary:
      `rebuilt NCF ml-1m from ${ratingsDat}: ${nUsers} users, ${x.nItems} items, ${n} ratings, ` +
      `${trainRows.length} train rows; ` +
      (opts.testRating
        ? `${nUsers - mismatches.length}/${nUsers} test items equal ${opts.testRating}` +
          (mismatches.length
            ? ` (using the ${testFrom} ones for the ${mismatches.length} others)`
            : "")
        : "no published test file to check against") +
      `; negatives: ${negativesFrom}`,
  };
  return {
    name: `NCF ml-1m rebuilt from ratings.dat (test items: ${testFrom})`,
    train: selectRows(x, Int32Array.from(trainRows)),
    test,
    nUsers,
    nItems: x.nItems,
    report,
  };
}

/** Options of {@link loadNcfSplit}. */
export interface LoadNcfOptions extends LoadOptions {
  /**
   * For ncf-ml-1m without a train file: rebuild it from ml-1m ratings.dat (resolved like
   * any dataset file, so possibly downloaded) and the published test files. Default true.
   */
  rebuild?: boolean;
  /** Return a test-only split when no train file can be had (instead of an error). Default false. */
  testOnly?: boolean;
  /** Where the rebuild report goes. Default console.error. */
  log?: (message: string) => void;
}

/** NCF ML-1M has 3,706 items; files without the train part cannot tell. */
const NCF_ITEMS: Record<string, number> = { "ml-1m": 3706, "pinterest-20": 9916 };

/**
 * The published NCF split of `ncf-ml-1m` or `ncf-pinterest-20`, found like any dataset
 * file ($DSER_DATA_DIR/ncf, data/ncf, download from the NCF repository). When
 * ml-1m.train.rating cannot be had, it is rebuilt from MovieLens 1M ratings.dat with the
 * published test items and negatives (see {@link rebuildNcfMl1m}).
 */
export async function loadNcfSplit(
  dataset: "ncf-ml-1m" | "ncf-pinterest-20",
  opts: LoadNcfOptions = {},
): Promise<Split> {
  const spec = datasetSpec(dataset);
  const stem = dataset === "ncf-ml-1m" ? "ml-1m" : "pinterest-20";
  const log = opts.log ?? ((m: string) => console.error(m));
  const testPath = await resolveDataFile(dataset, `${stem}.test.rating`, opts);
  let negPath: string | null = null;
  try {
    negPath = await resolveDataFile(dataset, `${stem}.test.negative`, opts);
  } catch (err) {
    if (!opts.testOnly) throw err;
  }
  let trainErr: Error | null = null;
  let trainPath: string | null = null;
  try {
    trainPath = await resolveDataFile(dataset, `${stem}.train.rating`, opts);
  } catch (err) {
    trainErr = err as Error;
  }
  if (trainPath) {
    return await readFromPaths(trainPath, testPath, negPath, stem);
  }
  if (dataset === "ncf-ml-1m" && opts.rebuild !== false) {
    let ratings: string | null = null;
    try {
      ratings = await resolveDataFile("ml-1m", "ratings.dat", opts);
    } catch (err) {
      trainErr = new DataError(
        `${
          trainErr!.message
        }\nRebuilding it needs MovieLens 1M ratings.dat, which is missing too:\n` +
          (err as Error).message,
      );
    }
    if (ratings) {
      const rebuilt = await rebuildNcfMl1m(ratings, {
        testRating: testPath,
        testNegative: negPath ?? undefined,
        onMismatch: "published",
      });
      log(rebuilt.report.summary);
      return rebuilt;
    }
  }
  if (opts.testOnly) {
    return await readNcfFiles(
      { train: null, test: testPath, negative: negPath },
      { nItems: NCF_ITEMS[stem] },
      `NCF ${stem} (${testPath})`,
    );
  }
  throw trainErr ?? missingFileError(spec, `${stem}.train.rating`, opts, "");
}

async function readFromPaths(
  trainPath: string,
  testPath: string,
  negPath: string | null,
  stem: string,
): Promise<Split> {
  return await readNcfFiles(
    { train: trainPath, test: testPath, negative: negPath },
    {},
    `NCF ${stem} (${trainPath})`,
  );
}
