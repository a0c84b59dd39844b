/**
 * What the data notebook shows, computed here so the notebook stays thin: figure specs for
 * rating, popularity, activity, time and genre distributions; statistics rows for tables;
 * a split's sanity checks; one user's held-out items on a time line.
 *
 * The split checks recompute every invariant from the split's arrays with plain loops and
 * sets, independently of the code in lib/data that built the split.
 *
 * @module
 */
import type { DatasetStats, HeldOut, Interactions, ItemMetadata, Split } from "../data/mod.ts";
import type { BarFigure, HistogramFigure, LineFigure } from "./figure.ts";

/** Table rows (one per dataset) from dataset statistics. */
export function statsRows(stats: Record<string, DatasetStats>): Record<string, unknown>[] {
  return Object.entries(stats).map(([name, s]) => ({
    dataset: name,
    users: s.users,
    items: s.items,
    interactions: s.interactions,
    "density %": Number((100 * s.density).toFixed(3)),
    "per user (median / mean / max)": `${s.perUser.median} / ${
      s.perUser.mean.toFixed(1)
    } / ${s.perUser.max}`,
    "per item (median / mean / max)": `${s.perItem.median} / ${
      s.perItem.mean.toFixed(1)
    } / ${s.perItem.max}`,
    "time span": `${s.timeSpan.firstIso} .. ${s.timeSpan.lastIso}`,
  }));
}

/** Rating values and their counts as bars (`none` for rows without a rating). */
export function ratingFigure(stats: DatasetStats, name: string): BarFigure {
  const h = stats.ratingHistogram;
  return {
    kind: "bar",
    title: `${name}: ratings`,
    xLabel: "rating",
    yLabel: "interactions",
    categories: h.map((r) => (r.rating === null ? "none" : String(r.rating))),
    series: [{ name: "interactions", values: h.map((r) => r.count) }],
  };
}

function countsPer(ids: Int32Array, n: number): Int32Array {
  const c = new Int32Array(n);
  for (let r = 0; r < ids.length; r++) c[ids[r]]++;
  return c;
}

function positive(c: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.length; i++) if (c[i] > 0) out.push(c[i]);
  return out;
}

/** Interactions per item as a histogram with log-spaced bins (popularity is long-tailed). */
export function itemPopularityFigure(x: Interactions, name: string): HistogramFigure {
  return {
    kind: "histogram",
    title: `${name}: interactions per item`,
    xLabel: "interactions of an item (log scale)",
    yLabel: "items",
    xLog: true,
    bins: 25,
    series: [{ name: "items", values: positive(countsPer(x.items, x.nItems)) }],
  };
}

/** Interactions per user as a histogram with log-spaced bins. */
export function userActivityFigure(x: Interactions, name: string): HistogramFigure {
  return {
    kind: "histogram",
    title: `${name}: interactions per user`,
    xLabel: "interactions of a user (log scale)",
    yLabel: "users",
    xLog: true,
    bins: 25,
    series: [{ name: "users", values: positive(countsPer(x.users, x.nUsers)) }],
  };
}

/** Items ordered by popularity: interactions of the item at each rank (log-log long tail). */
export function longTailFigure(x: Interactions, name: string): LineFigure {
  const c = positive(countsPer(x.items, x.nItems)).sort((a, b) => b - a);
  return {
    kind: "line",
    title: `${name}: long tail of item popularity`,
    xLabel: "item rank by popularity (log scale)",
    yLabel: "interactions (log scale)",
    xLog: true,
    yLog: true,
    series: [{ name: "items", x: c.map((_, k) => k + 1), y: c, markers: false }],
  };
}

/**
 * Share of all interactions that fall on the most popular `fraction` of items (e.g. 0.2
 * for the top 20 %), in [0, 1].
 */
export function popularityShare(x: Interactions, fraction: number): number {
  const c = positive(countsPer(x.items, x.nItems)).sort((a, b) => b - a);
  const k = Math.max(1, Math.round(fraction * c.length));
  let top = 0, all = 0;
  for (let i = 0; i < c.length; i++) {
    all += c[i];
    if (i < k) top += c[i];
  }
  return all > 0 ? top / all : 0;
}

/** Interactions per calendar month (UTC) as a line over time (x: each month's first day). */
export function monthlyActivityFigure(x: Interactions, name: string): LineFigure {
  const counts = new Map<number, number>();
  for (let r = 0; r < x.timestamps.length; r++) {
    const d = new Date(x.timestamps[r] * 1000);
    const key = d.getUTCFullYear() * 12 + d.getUTCMonth();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  // Months without interactions between the first and the last count as 0.
  const xs: number[] = [], ys: number[] = [];
  for (let k = keys[0]; k <= keys[keys.length - 1]; k++) {
    xs.push(Date.UTC(Math.floor(k / 12), k % 12, 1) / 1000);
    ys.push(counts.get(k) ?? 0);
  }
  return {
    kind: "line",
    title: `${name}: interactions per month`,
    xLabel: "month (UTC)",
    xTime: true,
    yLabel: "interactions per month",
    series: [{ name: "interactions", x: xs, y: ys }],
  };
}

/**
 * Items and interactions per genre (an item with several genres counts for each), genres
 * ordered by interactions. Items without metadata are left out.
 */
export function genreFigure(x: Interactions, meta: ItemMetadata, name: string): BarFigure {
  const items = new Map<string, number>(), inter = new Map<string, number>();
  const perItem = countsPer(x.items, x.nItems);
  for (let i = 0; i < x.nItems; i++) {
    const info = meta.get(x.itemIds.raw[i]);
    if (!info) continue;
    for (const g of info.genres) {
      items.set(g, (items.get(g) ?? 0) + 1);
      inter.set(g, (inter.get(g) ?? 0) + perItem[i]);
    }
  }
  const genres = [...inter.keys()].sort((a, b) => inter.get(b)! - inter.get(a)!);
  const totalItems = [...items.values()].reduce((a, b) => a + b, 0);
  const totalInter = [...inter.values()].reduce((a, b) => a + b, 0);
  return {
    kind: "bar",
    title: `${name}: genres (share of items and of interactions)`,
    yLabel: "share %",
    categories: genres,
    series: [
      { name: "items", values: genres.map((g) => (100 * items.get(g)!) / Math.max(1, totalItems)) },
      {
        name: "interactions",
        values: genres.map((g) => (100 * inter.get(g)!) / Math.max(1, totalInter)),
      },
    ],
  };
}

/** One sanity check of a split. */
export interface SplitCheck {
  check: string;
  passed: boolean;
  detail: string;
}

/**
 * Sanity checks of a leave-latest-one-out split, recomputed from its arrays:
 * one test (and validation) pair per user; the test item is each user's latest
 * interaction and the validation item the latest of the rest; no held-out pair in train;
 * every user keeps training data; ids in range; sampled negatives are distinct, never
 * interacted with and not the held-out item; rows add up to the input's (`inputRows`,
 * when given: the number of interactions the split was made from).
 */
export function splitChecks(split: Split, inputRows?: number): SplitCheck[] {
  const { train, test, valid, nUsers, nItems } = split;
  const checks: SplitCheck[] = [];
  const add = (check: string, passed: boolean, detail: string) =>
    checks.push({ check, passed, detail });

  let badIds = 0;
  const inRange = (u: number, i: number) => u >= 0 && u < nUsers && i >= 0 && i < nItems;
  for (let r = 0; r < train.users.length; r++) {
    if (!inRange(train.users[r], train.items[r])) badIds++;
  }
  for (const h of [test, valid]) {
    if (!h) continue;
    for (let p = 0; p < h.users.length; p++) if (!inRange(h.users[p], h.items[p])) badIds++;
  }
  add(
    "user and item ids in range",
    badIds === 0,
    `${badIds} out of range (${nUsers} users, ${nItems} items)`,
  );

  const onePerUser = (h: HeldOut, what: string) => {
    const seen = new Int32Array(nUsers);
    for (let p = 0; p < h.users.length; p++) seen[h.users[p]]++;
    let missing = 0, many = 0;
    for (let u = 0; u < nUsers; u++) {
      if (seen[u] === 0) missing++;
      else if (seen[u] > 1) many++;
    }
    add(
      `one ${what} item per user`,
      missing === 0 && many === 0,
      `${h.users.length} pairs for ${nUsers} users; ${missing} users without, ${many} with several`,
    );
  };
  onePerUser(test, "test");
  if (valid) onePerUser(valid, "validation");

  const key = (u: number, i: number) => u * nItems + i;
  const trainPairs = new Set<number>();
  const lastTrain = new Float64Array(nUsers).fill(-Infinity);
  const trainCount = new Int32Array(nUsers);
  for (let r = 0; r < train.users.length; r++) {
    const u = train.users[r];
    trainPairs.add(key(u, train.items[r]));
    trainCount[u]++;
    if (train.timestamps[r] > lastTrain[u]) lastTrain[u] = train.timestamps[r];
  }
  let noTrain = 0;
  for (let u = 0; u < nUsers; u++) if (trainCount[u] === 0) noTrain++;
  add(
    "every user keeps training interactions",
    noTrain === 0,
    `${noTrain} users without training data`,
  );

  const leaks = (h: HeldOut) => {
    let n = 0;
    for (let p = 0; p < h.users.length; p++) if (trainPairs.has(key(h.users[p], h.items[p]))) n++;
    return n;
  };
  const leakTest = leaks(test), leakValid = valid ? leaks(valid) : 0;
  let validTestSame = 0;
  if (valid) {
    const vt = new Set<number>();
    for (let p = 0; p < valid.users.length; p++) vt.add(key(valid.users[p], valid.items[p]));
    for (let p = 0; p < test.users.length; p++) {
      if (vt.has(key(test.users[p], test.items[p]))) validTestSame++;
    }
  }
  add(
    "no held-out pair in train (no leak)",
    leakTest === 0 && leakValid === 0 && validTestSame === 0,
    `test pairs in train: ${leakTest}; validation pairs in train: ${leakValid}; ` +
      `validation = test: ${validTestSame}`,
  );

  // Latest: test time >= every train and validation time of the user; validation time >=
  // every train time (ties are allowed: equal timestamps are broken by file order).
  const validTime = new Float64Array(nUsers).fill(-Infinity);
  if (valid) {
    for (let p = 0; p < valid.users.length; p++) validTime[valid.users[p]] = valid.timestamps[p];
  }
  let notLatest = 0, ties = 0;
  for (let p = 0; p < test.users.length; p++) {
    const u = test.users[p], t = test.timestamps[p];
    const before = Math.max(lastTrain[u], validTime[u]);
    if (t < before) notLatest++;
    else if (t === before) ties++;
  }
  add(
    "test item is the user's latest interaction",
    notLatest === 0,
    `${notLatest} users with a later train/validation interaction; ${ties} ties on the timestamp`,
  );
  if (valid) {
    let vNotLatest = 0;
    for (let p = 0; p < valid.users.length; p++) {
      if (valid.timestamps[p] < lastTrain[valid.users[p]]) vNotLatest++;
    }
    add(
      "validation item is the latest of the rest",
      vNotLatest === 0,
      `${vNotLatest} users with a later train interaction`,
    );
  }

  if (inputRows !== undefined) {
    const total = train.users.length + test.users.length + (valid?.users.length ?? 0);
    add(
      "train + validation + test = input interactions",
      total === inputRows,
      `${total} vs ${inputRows}`,
    );
  }

  // All items each user interacted with (train + validation + test): negatives avoid them.
  const seenPairs = new Set(trainPairs);
  for (const h of [test, valid]) {
    if (!h) continue;
    for (let p = 0; p < h.users.length; p++) seenPairs.add(key(h.users[p], h.items[p]));
  }
  const negs = (h: HeldOut, what: string) => {
    if (!h.negatives || h.numNegatives === 0) {
      add(`${what} negatives`, true, "none sampled");
      return;
    }
    const n = h.numNegatives;
    const wrongCount = h.negatives.length === n * h.users.length ? 0 : 1;
    let interacted = 0, dup = 0, outOfRange = 0;
    for (let p = 0; p < h.users.length; p++) {
      const u = h.users[p];
      const s = new Set<number>();
      for (let k = p * n; k < (p + 1) * n; k++) {
        const i = h.negatives[k];
        if (!(i >= 0 && i < nItems)) outOfRange++;
        if (seenPairs.has(key(u, i))) interacted++;
        if (s.has(i)) dup++;
        s.add(i);
      }
    }
    add(
      `${what} negatives: ${n} per pair, distinct, never interacted`,
      wrongCount === 0 && interacted === 0 && dup === 0 && outOfRange === 0,
      `${h.negatives.length} sampled; interacted: ${interacted}, duplicates: ${dup}, ` +
        `out of range: ${outOfRange}`,
    );
  };
  negs(test, "test");
  if (valid) negs(valid, "validation");
  return checks;
}

/**
 * One user's last `k` training interactions and held-out items in time order, with titles
 * when metadata is given: what "leave the latest one out" means for a real user.
 */
export function userTimeline(
  split: Split,
  user: number,
  meta?: ItemMetadata,
  k = 5,
): Record<string, unknown>[] {
  const { train } = split;
  const rows: { role: string; item: number; t: number; rating: number }[] = [];
  for (let r = 0; r < train.users.length; r++) {
    if (train.users[r] === user) {
      rows.push({
        role: "train",
        item: train.items[r],
        t: train.timestamps[r],
        rating: train.ratings[r],
      });
    }
  }
  rows.sort((a, b) => a.t - b.t);
  const shown = rows.slice(-k);
  for (const [h, role] of [[split.valid, "validation"], [split.test, "test"]] as const) {
    if (!h) continue;
    for (let p = 0; p < h.users.length; p++) {
      if (h.users[p] === user) {
        shown.push({ role, item: h.items[p], t: h.timestamps[p], rating: h.ratings[p] });
      }
    }
  }
  const rawIds = train.itemIds.raw;
  return shown.map((r) => {
    const info = meta?.get(rawIds[r.item]);
    return {
      role: r.role,
      date: new Date(r.t * 1000).toISOString().slice(0, 16).replace("T", " "),
      item: rawIds[r.item],
      ...(meta
        ? {
          title: info?.title ?? "?",
          year: info?.year ?? "",
          genres: info?.genres.join(", ") ?? "",
        }
        : {}),
      rating: Number.isFinite(r.rating) ? r.rating : "",
    };
  });
}
