/**
 * Data frames (nodejs-polars) for notebooks and tables, and dataset statistics.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { Interactions, ItemMetadata } from "./types.ts";

/**
 * The interactions as a polars DataFrame with columns `user`, `item` (dense indices,
 * i32), `userId`, `itemId` (raw ids, f64), `rating` (f32) and `timestamp` (f64, unix s).
 *
 * @example
 * ```ts
 * const df = interactionsFrame(x);
 * df.groupBy("user").len().sort("len", true).head(5);
 * ```
 */
export function interactionsFrame(x: Interactions): pl.DataFrame {
  const n = x.users.length;
  const userId = new Float64Array(n);
  const itemId = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    userId[r] = x.userIds.raw[x.users[r]];
    itemId[r] = x.itemIds.raw[x.items[r]];
  }
  return pl.DataFrame([
    pl.Series("user", x.users),
    pl.Series("item", x.items),
    pl.Series("userId", userId),
    pl.Series("itemId", itemId),
    pl.Series("rating", x.ratings),
    pl.Series("timestamp", x.timestamps),
  ]);
}

/**
 * Item metadata as a polars DataFrame: `id`, `title`, `year`, `genres`, `tags`,
 * `keywords` (lists joined with "|"), `imdbId`, `tmdbId`, one row per item in id order.
 */
export function metadataFrame(meta: ItemMetadata): pl.DataFrame {
  const rows = [...meta.values()].sort((a, b) => a.id - b.id);
  return pl.DataFrame({
    id: rows.map((r) => r.id),
    title: rows.map((r) => r.title),
    year: rows.map((r) => r.year),
    genres: rows.map((r) => r.genres.join("|")),
    tags: rows.map((r) => r.tags.join("|")),
    keywords: rows.map((r) => r.keywords.join("|")),
    imdbId: rows.map((r) => r.imdbId),
    tmdbId: rows.map((r) => r.tmdbId),
  });
}

/** Five-number-plus summary of a count distribution. */
export interface CountSummary {
  min: number;
  /** Quantiles with linear interpolation (numpy's default). */
  q25: number;
  median: number;
  q75: number;
  q90: number;
  max: number;
  mean: number;
}

/** Size, sparsity and distributions of an interaction table. */
export interface DatasetStats {
  /** Users with at least one interaction. */
  users: number;
  /** Items with at least one interaction. */
  items: number;
  /** Size of the id spaces (may exceed users / items). */
  nUsers: number;
  nItems: number;
  interactions: number;
  /** interactions / (users * items). */
  density: number;
  /** Interactions per user (users with at least one). */
  perUser: CountSummary;
  /** Interactions per item (items with at least one). */
  perItem: CountSummary;
  /** Count per distinct rating value, ascending; `rating` null counts NaN (no rating). */
  ratingHistogram: { rating: number | null; count: number }[];
  /** First and last timestamp (unix s), ISO dates and the span in days. */
  timeSpan: { first: number; last: number; firstIso: string; lastIso: string; days: number };
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summarize(counts: Int32Array): CountSummary {
  let k = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) k++;
  const v = new Float64Array(k);
  k = 0;
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] > 0) {
      v[k++] = counts[i];
      sum += counts[i];
    }
  }
  v.sort();
  if (k === 0) return { min: 0, q25: 0, median: 0, q75: 0, q90: 0, max: 0, mean: 0 };
  return {
    min: v[0],
    q25: quantile(v, 0.25),
    median: quantile(v, 0.5),
    q75: quantile(v, 0.75),
    q90: quantile(v, 0.9),
    max: v[k - 1],
    mean: sum / k,
  };
}

/**
 * Statistics of an interaction table: users, items, interactions, density, per-user and
 * per-item count quantiles, rating histogram and time span.
 *
 * @throws Error on an empty table.
 */
export function datasetStats(x: Interactions): DatasetStats {
  const n = x.users.length;
  if (n === 0) throw new Error("datasetStats: no interactions (empty dataset)");
  const uc = new Int32Array(x.nUsers);
  const ic = new Int32Array(x.nItems);
  const hist = new Map<number, number>();
  let nan = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let r = 0; r < n; r++) {
    uc[x.users[r]]++;
    ic[x.items[r]]++;
    const v = x.ratings[r];
    if (v !== v) nan++;
    else hist.set(v, (hist.get(v) ?? 0) + 1);
    const t = x.timestamps[r];
    if (t < first) first = t;
    if (t > last) last = t;
  }
  const perUser = summarize(uc);
  const perItem = summarize(ic);
  let users = 0;
  let items = 0;
  for (let u = 0; u < x.nUsers; u++) if (uc[u] > 0) users++;
  for (let i = 0; i < x.nItems; i++) if (ic[i] > 0) items++;
  const ratingHistogram: { rating: number | null; count: number }[] = [...hist.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([rating, count]) => ({ rating, count }));
  if (nan > 0) ratingHistogram.push({ rating: null, count: nan });
  const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  return {
    users,
    items,
    nUsers: x.nUsers,
    nItems: x.nItems,
    interactions: n,
    density: n / (users * items),
    perUser,
    perItem,
    ratingHistogram,
    timeSpan: {
      first,
      last,
      firstIso: iso(first),
      lastIso: iso(last),
      days: (last - first) / 86400,
    },
  };
}

/** A few lines of text describing {@link DatasetStats}, for logs and notebooks. */
export function formatStats(s: DatasetStats, title = "dataset"): string {
  const c = (x: CountSummary) =>
    `min ${x.min}, median ${x.median}, mean ${x.mean.toFixed(1)}, q90 ${x.q90}, max ${x.max}`;
  return [
    `${title}: ${s.users} users, ${s.items} items, ${s.interactions} interactions, density ${
      (100 * s.density).toFixed(2)
    }%`,
    `  per user: ${c(s.perUser)}`,
    `  per item: ${c(s.perItem)}`,
    `  ratings: ${s.ratingHistogram.map((h) => `${h.rating ?? "none"}:${h.count}`).join(" ")}`,
    `  time: ${s.timeSpan.firstIso} .. ${s.timeSpan.lastIso} (${s.timeSpan.days.toFixed(0)} days)`,
  ].join("\n");
}
