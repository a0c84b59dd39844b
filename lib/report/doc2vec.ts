/**
 * What the Doc2Vec notebook (notebooks/02_doc2vec.ipynb) computes and shows, kept here so
 * the notebook only calls and displays:
 *
 * - a user document as Doc2Vec sees it, with titles ({@link userDocumentRows});
 * - the training report as a table row ({@link trainingRows});
 * - items found by title and their nearest items ({@link findItem}, {@link nearestItemRows});
 * - a 2-D PCA map of item vectors coloured by genre ({@link itemGenreMap}) and how often
 *   an item's nearest neighbours share a genre with it ({@link genreNeighbourAgreement});
 * - the probe ablation over seeds: run, tabulate, chart, describe
 *   ({@link runProbeAblation}, {@link ablationRows}, {@link ablationFigure},
 *   {@link describeAblation}).
 *
 * @module
 */
import type { ItemMetadata, Split } from "../data/mod.ts";
import {
  type Doc2Vec,
  embedSplit,
  pcaProject,
  type PcaResult,
  probeUserItem,
  type TrainReport,
  userDocuments,
} from "../embedding/mod.ts";
import type { Corpus } from "../embedding/mod.ts";
import { ConfigError, Progress, type ProgressSink, SilentSink } from "../util/mod.ts";
import { meanStd, type Stats } from "./aggregate.ts";
import type { BarFigure, ScatterFigure } from "./figure.ts";
import { itemInfo, itemLabel, userHistory } from "./recommend.ts";

// ---------------------------------------------------------------------------------------
// Documents and training

/**
 * One user's document as Doc2Vec trains on it (built by lib/embedding `userDocuments` from
 * the training split): position, the word (the item index as text), title, year, genres
 * and the interaction date. Shows the first `head` and the last `tail` words.
 */
export function userDocumentRows(
  split: Split,
  metadata: ItemMetadata,
  user: number,
  opts: { head?: number; tail?: number; order?: "time" | "shuffled"; seed?: number } = {},
): { words: number; rows: Record<string, unknown>[] } {
  const corpus = userDocuments(split, { order: opts.order ?? "time", seed: opts.seed });
  let d = -1;
  for (let k = 0; k < corpus.tags.length; k++) if (corpus.tags[k] === user) d = k;
  if (d < 0) throw new ConfigError(`userDocumentRows: user ${user} has no training document`);
  const a = corpus.offsets[d], b = corpus.offsets[d + 1];
  const head = opts.head ?? 5, tail = opts.tail ?? 5;
  // Dates from the user's time-ordered history (same order as the time-ordered document).
  const hist = (opts.order ?? "time") === "time" ? userHistory(split, user) : null;
  const rows: Record<string, unknown>[] = [];
  for (let p = a; p < b; p++) {
    const q = p - a;
    if (q >= head && q < b - a - tail) {
      if (q === head) {
        rows.push({ position: "...", word: "", title: `(${b - a - head - tail} more)` });
      }
      continue;
    }
    const word = corpus.keys[corpus.words[p]];
    const item = Number(word);
    const info = itemInfo(split, metadata, item);
    rows.push({
      position: q + 1,
      word: JSON.stringify(word),
      title: info?.title ?? "?",
      year: info?.year ?? "",
      genres: info?.genres.join(", ") ?? "",
      ...(hist && hist.items[q] === item
        ? { date: new Date(hist.timestamps[q] * 1000).toISOString().slice(0, 10) }
        : {}),
    });
  }
  return { words: b - a, rows };
}

/**
 * One table row describing a corpus: documents, words, document length (mean, median,
 * min, max) and distinct words.
 */
export function corpusRow(corpus: Corpus, name: string): Record<string, unknown> {
  const n = corpus.tags.length;
  const lengths = Array.from({ length: n }, (_, d) => corpus.offsets[d + 1] - corpus.offsets[d])
    .sort((a, b) => a - b);
  const words = corpus.offsets[n] - corpus.offsets[0];
  const distinct = new Set(corpus.words).size;
  const median = n === 0
    ? NaN
    : n % 2
    ? lengths[(n - 1) / 2]
    : (lengths[n / 2 - 1] + lengths[n / 2]) / 2;
  return {
    corpus: name,
    documents: n,
    words,
    "words per document (mean / median / min / max)": `${
      (words / Math.max(n, 1)).toFixed(1)
    } / ${median} / ${lengths[0] ?? 0} / ${lengths[n - 1] ?? 0}`,
    "distinct words": distinct,
  };
}

/** One table row per trained document kind: mode, documents, words, speed, vocabulary. */
export function trainingRows(
  reports: Partial<Record<string, TrainReport>>,
): Record<string, unknown>[] {
  return Object.entries(reports).flatMap(([kind, r]) =>
    r
      ? [{
        documents: kind,
        mode: r.mode,
        docs: r.docs,
        "words per epoch": r.rawWords,
        vocabulary: r.vocab.keptTypes,
        epochs: r.epochs,
        workers: r.workers,
        seconds: r.seconds.toFixed(2),
        "words/s": Math.round(r.wordsPerSecond),
      }]
      : []
  );
}

// ---------------------------------------------------------------------------------------
// Items by title and their neighbours

/**
 * The item index whose title matches `title` (case-insensitive; exact match first, then a
 * title starting with it), optionally with the release year. Among several matches the
 * one with the most training interactions wins.
 * @throws ConfigError naming the title when nothing matches
 */
export function findItem(
  split: Split,
  metadata: ItemMetadata,
  title: string,
  year?: number,
): number {
  const want = title.trim().toLowerCase();
  const counts = new Int32Array(split.nItems);
  for (let r = 0; r < split.train.items.length; r++) counts[split.train.items[r]]++;
  let best = -1, bestScore = -1;
  for (let i = 0; i < split.nItems; i++) {
    const info = itemInfo(split, metadata, i);
    if (!info || (year !== undefined && info.year !== year)) continue;
    const t = info.title.toLowerCase();
    const rank = t === want ? 2 : t.startsWith(want) ? 1 : 0;
    if (rank === 0) continue;
    const score = rank * 1e9 + counts[i];
    if (score > bestScore) [best, bestScore] = [i, score];
  }
  if (best < 0) {
    throw new ConfigError(
      `findItem: no item titled ${JSON.stringify(title)}${
        year ? ` (${year})` : ""
      } in ${split.name}`,
    );
  }
  return best;
}

/**
 * The `topn` nearest items of each query item by cosine similarity of its word vector in
 * `model` (the user-document model, whose words are item indices), via the engine's
 * `mostSimilar`. Rows: query, rank, title, year, genres, similarity.
 */
export function nearestItemRows(
  model: Doc2Vec,
  split: Split,
  metadata: ItemMetadata,
  items: readonly number[],
  topn = 5,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const item of items) {
    if (model.indexOf(String(item)) === undefined) {
      rows.push({ query: itemLabel(split, metadata, item), rank: "", title: "(no vector)" });
      continue;
    }
    const near = model.mostSimilar({ positive: [String(item)], topn });
    near.forEach((s, k) => {
      const info = itemInfo(split, metadata, Number(s.key));
      rows.push({
        query: k === 0 ? itemLabel(split, metadata, item) : "",
        rank: k + 1,
        title: info?.title ?? `item ${s.key}`,
        year: info?.year ?? "",
        genres: info?.genres.join(", ") ?? "",
        similarity: s.similarity,
      });
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// Genre map and genre agreement

/** Training interactions per item. */
function itemCounts(split: Split): Int32Array {
  const c = new Int32Array(split.nItems);
  for (let r = 0; r < split.train.items.length; r++) c[split.train.items[r]]++;
  return c;
}

/** Genres of an item without the placeholder "unknown" / "(no genres listed)". */
function realGenres(split: Split, metadata: ItemMetadata, item: number): string[] {
  return (itemInfo(split, metadata, item)?.genres ?? []).filter((g) =>
    g !== "unknown" && g !== "(no genres listed)"
  );
}

/** Items with a vector, genres and at least `minInteractions` training interactions. */
function mapItems(
  split: Split,
  metadata: ItemMetadata,
  present: Uint8Array | undefined,
  minInteractions: number,
): number[] {
  const counts = itemCounts(split);
  const out: number[] = [];
  for (let i = 0; i < split.nItems; i++) {
    if (present && !present[i]) continue;
    if (counts[i] < minInteractions) continue;
    if (realGenres(split, metadata, i).length === 0) continue;
    out.push(i);
  }
  return out;
}

/** Options of {@link itemGenreMap}. */
export interface GenreMapOptions {
  /** 1 where the row has a trained vector (e.g. `emb.present.itemWord`). */
  present?: Uint8Array;
  /** Items with fewer training interactions are left out (noisy vectors). Default 10. */
  minInteractions?: number;
  /** Colour groups; smaller genre groups are merged into "other genres". Default 8. */
  maxGroups?: number;
  /** Seed of the PCA start block. */
  seed?: number;
  title?: string;
}

/** A genre-coloured 2-D map of item vectors. */
export interface GenreMap {
  figure: ScatterFigure;
  projection: PcaResult;
  /** Item index of each projected row. */
  items: Int32Array;
  /** Group of each projected row (a genre or "other genres"). */
  groups: string[];
  /**
   * Pearson correlation of each map axis with item facts: release year, log training
   * interactions (popularity) and the mean time of the item's training interactions.
   * `[axis 1, axis 2]`; NaN when a fact does not vary.
   */
  axisCorrelations: {
    year: [number, number];
    popularity: [number, number];
    time: [number, number];
  };
}

/** Pearson correlation of the pairs where both values are finite; NaN without spread. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let n = 0, sx = 0, sy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      n++;
      sx += x[i];
      sy += y[i];
    }
  }
  if (n < 2) return NaN;
  const mx = sx / n, my = sy / n;
  let sxy = 0, sxx = 0, syy = 0, qx = 0, qy = 0;
  for (let i = 0; i < x.length; i++) {
    if (!(Number.isFinite(x[i]) && Number.isFinite(y[i]))) continue;
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
    qx += x[i] * x[i];
    qy += y[i] * y[i];
  }
  // A spread at rounding level (equal values whose mean is inexact) counts as none.
  return sxx > 1e-24 * qx && syy > 1e-24 * qy ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * 2-D PCA map of item vectors, one colour per genre. An item with several genres is drawn
 * in its most specific one (the genre with the fewest items among those mapped), so
 * "Comedy|Children's" shows as Children's; hover text gives title, year and all genres.
 *
 * @param vectors row-major item table, shape [nItems * dim] (e.g. `emb.itemWord`)
 */
export function itemGenreMap(
  vectors: Float32Array,
  dim: number,
  split: Split,
  metadata: ItemMetadata,
  opts: GenreMapOptions = {},
): GenreMap {
  const items = mapItems(split, metadata, opts.present, opts.minInteractions ?? 10);
  if (items.length < 2) throw new ConfigError(`itemGenreMap: fewer than 2 items to map`);
  const genreItems = new Map<string, number>();
  for (const i of items) {
    for (const g of realGenres(split, metadata, i)) genreItems.set(g, (genreItems.get(g) ?? 0) + 1);
  }
  const specific = items.map((i) =>
    realGenres(split, metadata, i).reduce((a, b) =>
      genreItems.get(b)! < genreItems.get(a)! || (genreItems.get(b) === genreItems.get(a) && b < a)
        ? b
        : a
    )
  );
  const groupSize = new Map<string, number>();
  for (const g of specific) groupSize.set(g, (groupSize.get(g) ?? 0) + 1);
  const maxGroups = opts.maxGroups ?? 8;
  const kept = [...groupSize.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxGroups).map(([g]) => g);
  const OTHER = "other genres";
  const groups = specific.map((g) => (kept.includes(g) ? g : OTHER));
  const projection = pcaProject(vectors, dim, { rows: items, seed: opts.seed ?? 1 });
  const order = [...kept, ...(groups.includes(OTHER) ? [OTHER] : [])];
  const series = order.map((g) => {
    const xs: number[] = [], ys: number[] = [], labels: string[] = [];
    groups.forEach((gg, k) => {
      if (gg !== g) return;
      xs.push(projection.coords[2 * k]);
      ys.push(projection.coords[2 * k + 1]);
      labels.push(
        `${itemLabel(split, metadata, items[k])} · ${
          realGenres(split, metadata, items[k]).join(", ")
        }`,
      );
    });
    return {
      name: `${g} (${xs.length})`,
      x: xs,
      y: ys,
      labels,
      ...(g === OTHER ? { color: "#bab0ac" } : {}),
    };
  });
  const pct = (r: number) => `${(100 * r).toFixed(1)}%`;
  // Item facts to read the axes by.
  const counts = itemCounts(split);
  const timeSum = new Float64Array(split.nItems);
  for (let r = 0; r < split.train.items.length; r++) {
    timeSum[split.train.items[r]] += split.train.timestamps[r];
  }
  const year = items.map((i) => itemInfo(split, metadata, i)?.year ?? NaN);
  const popularity = items.map((i) => Math.log(counts[i]));
  const time = items.map((i) => timeSum[i] / counts[i]);
  const axis = (c: number) => items.map((_, k) => projection.coords[2 * k + c]);
  const both = (v: number[]): [number, number] => [pearson(axis(0), v), pearson(axis(1), v)];
  return {
    axisCorrelations: { year: both(year), popularity: both(popularity), time: both(time) },
    figure: {
      kind: "scatter",
      title: opts.title ?? `Item vectors, PCA, coloured by most specific genre`,
      xLabel: `PC 1 (${pct(projection.explainedRatio[0])} of the variance)`,
      yLabel: `PC 2 (${pct(projection.explainedRatio[1])} of the variance)`,
      series,
      markerSize: 3,
      opacity: 0.75,
      width: 760,
      height: 520,
    },
    projection,
    items: Int32Array.from(items),
    groups,
  };
}

/** How often items near each other in vector space share a genre. */
export interface GenreAgreement {
  /** Items considered. */
  items: number;
  /** Neighbours per item. */
  k: number;
  /** Share of (item, one of its k nearest items) pairs with at least one genre in common. */
  agreement: number;
  /** The same share over all pairs of considered items: what chance gives. */
  baseline: number;
  /** Mean cosine similarity over all pairs of considered items. */
  meanCosine: number;
}

/**
 * For each item (with a vector, genres and `minInteractions` training interactions), its
 * `k` nearest other items by cosine similarity; the share of those pairs that share a
 * genre, against the share among all pairs. Brute force over the items (O(n^2 dim)).
 */
export function genreNeighbourAgreement(
  vectors: Float32Array,
  dim: number,
  split: Split,
  metadata: ItemMetadata,
  opts: { present?: Uint8Array; minInteractions?: number; k?: number } = {},
): GenreAgreement {
  const k = opts.k ?? 10;
  const items = mapItems(split, metadata, opts.present, opts.minInteractions ?? 10);
  const n = items.length;
  if (n <= k) throw new ConfigError(`genreNeighbourAgreement: ${n} items, need more than k=${k}`);
  // Genres as bit sets.
  const genreIndex = new Map<string, number>();
  const sets = items.map((i) =>
    realGenres(split, metadata, i).map((g) => {
      if (!genreIndex.has(g)) genreIndex.set(g, genreIndex.size);
      return genreIndex.get(g)!;
    })
  );
  const words = Math.ceil(genreIndex.size / 32);
  const bits = new Uint32Array(n * words);
  sets.forEach((s, a) => {
    for (const g of s) bits[a * words + (g >>> 5)] |= 1 << (g & 31);
  });
  const share = (a: number, b: number) => {
    for (let w = 0; w < words; w++) if (bits[a * words + w] & bits[b * words + w]) return true;
    return false;
  };
  // Unit rows.
  const unit = new Float64Array(n * dim);
  for (let a = 0; a < n; a++) {
    let ss = 0;
    for (let c = 0; c < dim; c++) ss += vectors[items[a] * dim + c] ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let c = 0; c < dim; c++) unit[a * dim + c] = vectors[items[a] * dim + c] * inv;
  }
  const sims = new Float64Array(n);
  const order = new Int32Array(n);
  let agree = 0, pairsShared = 0, cosSum = 0;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += unit[a * dim + c] * unit[b * dim + c];
      sims[b] = s;
      order[b] = b;
      if (b > a) {
        cosSum += s;
        if (share(a, b)) pairsShared++;
      }
    }
    sims[a] = -Infinity;
    order.sort((x, y) => sims[y] - sims[x] || x - y);
    for (let j = 0; j < k; j++) if (share(a, order[j])) agree++;
  }
  const pairs = (n * (n - 1)) / 2;
  return {
    items: n,
    k,
    agreement: agree / (n * k),
    baseline: pairsShared / pairs,
    meanCosine: cosSum / pairs,
  };
}

/**
 * Interpretation of a genre map and the genre agreement as markdown, from their numbers:
 * the variance the two axes keep, the agreement against chance and the mean cosine.
 */
export function describeItemSpace(map: GenreMap, agreement: GenreAgreement): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const r = map.projection.explainedRatio;
  const lift = agreement.baseline > 0 ? agreement.agreement / agreement.baseline : NaN;
  const c = map.axisCorrelations;
  const facts = [
    ["release year", c.year],
    ["popularity (log training interactions)", c.popularity],
    ["mean time of the item's ratings", c.time],
  ] as const;
  const axisLine = (k: 0 | 1) => {
    const ranked = [...facts].filter(([, v]) => Number.isFinite(v[k]))
      .sort((a, b) => Math.abs(b[1][k]) - Math.abs(a[1][k]));
    const all = facts.map(([name, v]) => `${name} r = ${v[k].toFixed(2)}`).join(", ");
    const top = ranked[0];
    return top && Math.abs(top[1][k]) >= 0.4
      ? `axis ${k + 1} follows the ${top[0]} (${all})`
      : `axis ${k + 1} follows none of these closely (${all})`;
  };
  return [
    `The map shows ${map.items.length} item vectors; its two axes keep ${pct(r[0])} and ` +
    `${pct(r[1])} of their variance (${pct(r[0] + r[1])} together)` +
    (r[0] + r[1] < 0.5
      ? `, so most of the variance lies in the other dimensions and the map is a rough view.`
      : `, so the map shows most of the variance.`),
    `Reading the axes by correlation with item facts: ${axisLine(0)}; ${axisLine(1)}.`,
    `In all dimensions, ${pct(agreement.agreement)} of each item's ${agreement.k} nearest items ` +
    `(cosine) share a genre with it, against ${pct(agreement.baseline)} for two random items ` +
    `(${lift.toFixed(2)}x chance), although Doc2Vec never saw a genre: only which items ` +
    `users rated, and in which order.`,
    `The mean cosine similarity of two random items is ${agreement.meanCosine.toFixed(3)}: ` +
    `read the similarities of the neighbour table against it, not against 0.`,
  ].join("\n\n");
}

// ---------------------------------------------------------------------------------------
// Probe ablation over seeds

/**
 * The notebook's standard probe ablation: PV-DM and PV-DBOW with word training, each on
 * time-ordered and on shuffled user documents, then PV-DM with other vector sizes and
 * windows (each one change against the base config).
 */
export function standardProbeVariants(
  opts: { sizes?: readonly number[]; windows?: readonly number[]; epochs?: readonly number[] } = {},
): AblationVariant[] {
  return [
    { name: "PV-DM", config: { doc2vec: { dm: 1 } } },
    { name: "PV-DM shuffled", config: { order: "shuffled", doc2vec: { dm: 1 } } },
    { name: "PV-DBOW+words", config: { doc2vec: { dm: 0, dbowWords: 1 } } },
    {
      name: "PV-DBOW+words shuffled",
      config: { order: "shuffled", doc2vec: { dm: 0, dbowWords: 1 } },
    },
    ...(opts.sizes ?? []).map((v) => ({
      name: `PV-DM ${v}-d`,
      config: { doc2vec: { dm: 1, vectorSize: v } },
    })),
    ...(opts.windows ?? []).map((w) => ({
      name: `PV-DM window ${w}`,
      config: { doc2vec: { dm: 1, window: w } },
    })),
    ...(opts.epochs ?? []).map((e) => ({
      name: `PV-DM ${e} epochs`,
      config: { doc2vec: { dm: 1, epochs: e } },
    })),
  ];
}

/** One ablation variant: embedding-config changes merged over the base config. */
export interface AblationVariant {
  /** Label in tables and charts. */
  name: string;
  /**
   * Changes to the base embedding config (lib/embedding `embedSplit` config); its
   * `doc2vec` block is merged key by key over the base's.
   */
  config: Record<string, unknown>;
}

/** One trained and probed run. */
export interface AblationRun {
  variant: string;
  seed: number;
  /** Probe HR@10 / NDCG@10 (user document vector . item word vector, sampled protocol). */
  hr: number;
  ndcg: number;
  /** Training wall seconds. */
  seconds: number;
}

/** Per-variant statistics over seeds. */
export interface AblationSummary {
  variant: string;
  hr: Stats;
  ndcg: Stats;
  seconds: Stats;
}

/** What {@link runProbeAblation} returns. */
export interface AblationResult {
  runs: AblationRun[];
  summary: AblationSummary[];
  seeds: number[];
}

/** The base config with a variant's changes; `doc2vec` merged key by key, then the seed. */
export function mergeEmbeddingConfig(
  base: Record<string, unknown>,
  change: Record<string, unknown>,
  seed?: number,
): Record<string, unknown> {
  const doc2vec = {
    ...(base.doc2vec as Record<string, unknown> | undefined),
    ...(change.doc2vec as Record<string, unknown> | undefined),
    ...(seed === undefined ? {} : { seed }),
  };
  return { ...base, ...change, doc2vec };
}

/**
 * Trains Doc2Vec for every variant and seed on the split's training part and probes each
 * (lib/embedding `probeUserItem`); one progress display over all runs. Each run's seed is
 * the Doc2Vec seed and, unless the config sets `shuffleSeed`, the seed of the shuffled
 * order. Variants without
 * item word vectors (PV-DBOW without dbowWords) are a ConfigError from the probe.
 */
export async function runProbeAblation(
  split: Split,
  base: Record<string, unknown>,
  variants: readonly AblationVariant[],
  opts: { seeds: readonly number[]; progress?: ProgressSink } = { seeds: [1] },
): Promise<AblationResult> {
  if (opts.seeds.length === 0) throw new ConfigError(`runProbeAblation: seeds is empty`);
  const names = new Set<string>();
  for (const v of variants) {
    if (names.has(v.name)) throw new ConfigError(`runProbeAblation: variant ${v.name} twice`);
    names.add(v.name);
  }
  const progress = new Progress("Doc2Vec ablation", {
    total: variants.length * opts.seeds.length,
    unit: "runs",
    sink: opts.progress,
  });
  const runs: AblationRun[] = [];
  for (const seed of opts.seeds) {
    for (const v of variants) {
      progress.set(progress.done, { variant: v.name, seed });
      const config = mergeEmbeddingConfig(base, v.config, seed);
      // The shuffled control draws a new order per seed too, unless the config fixes one.
      if (config.shuffleSeed === undefined) config.shuffleSeed = seed;
      const emb = await embedSplit(split, config, {
        progress: new SilentSink(),
      });
      const probe = await probeUserItem(split, emb);
      const seconds = Object.values(emb.reports).reduce((s, r) => s + (r?.seconds ?? 0), 0);
      runs.push({ variant: v.name, seed, hr: probe.hr, ndcg: probe.ndcg, seconds });
      progress.tick(1, { variant: v.name, seed, "HR@10": probe.hr.toFixed(3) });
    }
  }
  progress.finish();
  const summary = variants.map((v) => {
    const mine = runs.filter((r) => r.variant === v.name);
    return {
      variant: v.name,
      hr: meanStd(mine.map((r) => r.hr)),
      ndcg: meanStd(mine.map((r) => r.ndcg)),
      seconds: meanStd(mine.map((r) => r.seconds)),
    };
  });
  return { runs, summary, seeds: [...opts.seeds] };
}

function signed(x: number): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(4)}`;
}

/** Table rows: variant, HR@10 and NDCG@10 as mean ± std, difference to a reference, seconds. */
export function ablationRows(
  result: AblationResult,
  reference?: string,
): Record<string, unknown>[] {
  const ref = reference ? result.summary.find((s) => s.variant === reference) : undefined;
  if (reference && !ref) throw new ConfigError(`ablationRows: no variant named ${reference}`);
  const pm = (s: Stats) => `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
  return result.summary.map((s) => ({
    variant: s.variant,
    seeds: s.hr.n,
    "HR@10": pm(s.hr),
    "NDCG@10": pm(s.ndcg),
    ...(ref ? { [`ΔHR@10 vs ${ref.variant}`]: signed(s.hr.mean - ref.hr.mean) } : {}),
    "train s (mean)": s.seconds.mean.toFixed(2),
  }));
}

/** Grouped bars: HR@10 and NDCG@10 per variant, error bars = std over seeds. */
export function ablationFigure(result: AblationResult, title?: string): BarFigure {
  return {
    kind: "bar",
    title: title ?? `Doc2Vec probe by variant (mean ± std over ${result.seeds.length} seeds)`,
    xLabel: "variant",
    yLabel: "probe metric (sampled, 99 negatives)",
    categories: result.summary.map((s) => s.variant),
    series: [
      {
        name: "HR@10",
        values: result.summary.map((s) => s.hr.mean),
        errors: result.summary.map((s) => s.hr.std),
      },
      {
        name: "NDCG@10",
        values: result.summary.map((s) => s.ndcg.mean),
        errors: result.summary.map((s) => s.ndcg.std),
      },
    ],
    width: Math.max(640, 90 * result.summary.length),
  };
}

/**
 * One sentence comparing two variants' mean HR@10: the difference, its standard error
 * over seeds (`sqrt(sa^2/na + sb^2/nb)`) and whether it exceeds twice that.
 */
export function compareVariants(result: AblationResult, a: string, b: string): string {
  const sa = result.summary.find((s) => s.variant === a);
  const sb = result.summary.find((s) => s.variant === b);
  if (!sa || !sb) throw new ConfigError(`compareVariants: no variant named ${!sa ? a : b}`);
  const diff = sa.hr.mean - sb.hr.mean;
  const se = Math.sqrt(sa.hr.std ** 2 / sa.hr.n + sb.hr.std ** 2 / sb.hr.n);
  const verdict = sa.hr.n < 2 || sb.hr.n < 2
    ? "one seed each, so no spread to judge it by"
    : Math.abs(diff) > 2 * se
    ? `larger than twice its standard error over seeds (${se.toFixed(4)})`
    : `within twice its standard error over seeds (${se.toFixed(4)}): not distinguishable ` +
      `from seed noise`;
  const higher = diff === 0
    ? "the two are equal"
    : `**${diff > 0 ? a : b}** is higher by ${Math.abs(diff).toFixed(4)}`;
  return `**${a}** vs **${b}**: HR@10 ${sa.hr.mean.toFixed(4)} vs ${sb.hr.mean.toFixed(4)}; ` +
    `${higher}, ${verdict}.`;
}

/**
 * Interpretation of an ablation as markdown lines: the best and worst variant by HR@10,
 * then one sentence per requested comparison.
 */
export function describeAblation(
  result: AblationResult,
  comparisons: readonly [string, string][],
): string {
  const byHr = [...result.summary].sort((x, y) => y.hr.mean - x.hr.mean);
  const best = byHr[0], worst = byHr[byHr.length - 1];
  const lines = [
    `Over ${result.seeds.length} seed(s), the best variant by probe HR@10 is **${best.variant}** ` +
    `(${best.hr.mean.toFixed(4)} ± ${best.hr.std.toFixed(4)}), the worst **${worst.variant}** ` +
    `(${worst.hr.mean.toFixed(4)} ± ${worst.hr.std.toFixed(4)}).`,
    ...comparisons.map(([a, b]) => `- ${compareVariants(result, a, b)}`),
    ...(result.seeds.length < 3
      ? [
        `With ${result.seeds.length} seed(s) the standard errors are rough estimates; ` +
        `full mode repeats each variant over more seeds.`,
      ]
      : []),
  ];
  return lines.join("\n");
}
