/**
 * Recommendations for one user, explained: what the recommendation notebook
 * (notebooks/07_recommend_user.ipynb, the successor of the Python version's dashboard)
 * computes and shows.
 *
 * - {@link fitRecommender}: any model of the workspace by registry name (DSER, EASE,
 *   NeuMF, ...; lib/experiments `defaultModelRegistry`), fitted on the split's training
 *   part: the model is a one-line choice.
 * - {@link recommendForUser}: the top-k items of one user's score row, the user's
 *   training items left out.
 * - {@link explainByNeighbours}: for each recommended item, the items of the user's own
 *   history nearest to it by cosine similarity of item vectors (Doc2Vec).
 * - Table rows with titles, years and genres: {@link userHistoryRows},
 *   {@link recommendationRows}, {@link heldOutRows}.
 *
 * Items are dense indices of the split; titles come from the dataset's metadata through
 * `split.train.itemIds`.
 *
 * @module
 */
import type { ItemInfo, ItemMetadata, Split } from "../data/mod.ts";
import type { Scorer } from "../eval/mod.ts";
import { topK } from "../eval/mod.ts";
import type { ModelRegistryLike, PreparedData } from "../experiments/types.ts";
import type { FitReport, Recommender } from "../models/types.ts";
import { pcaProject } from "../embedding/mod.ts";
import { ConfigError, type ProgressSink, validate } from "../util/mod.ts";
import type { ScatterFigure, ScatterSeries } from "./figure.ts";

/** One recommended item. */
export interface RankedItem {
  /** Item index. */
  item: number;
  /** The model's score. */
  score: number;
  /** 1-based position in the list. */
  rank: number;
}

/** Options of {@link recommendForUser}. */
export interface RecommendOptions {
  /** List length, default 10. */
  k?: number;
  /** Leave out the user's training items (default true). */
  excludeSeen?: boolean;
  /** Further items to leave out (item indices). */
  exclude?: ArrayLike<number>;
}

/** Throws a ConfigError unless `user` is a user index of the split. */
function checkUser(split: Split, user: number, where: string): void {
  if (!(Number.isInteger(user) && user >= 0 && user < split.nUsers)) {
    throw new ConfigError(`${where}: user ${user} is not a user index in [0, ${split.nUsers})`);
  }
}

/**
 * The user index of a raw dataset user id (e.g. MovieLens userId 196).
 * @throws ConfigError naming the id when the split does not know it
 */
export function userIndexOf(split: Split, rawUserId: number): number {
  const u = split.train.userIds.indexOf(rawUserId);
  if (u === undefined) {
    const raw = split.train.userIds.raw;
    throw new ConfigError(
      `user id ${rawUserId} is not in ${split.name} (raw user ids run from ${raw[0]} to ` +
        `${raw[raw.length - 1]})`,
    );
  }
  return u;
}

/** Rows of one user's training interactions. */
export interface UserHistory {
  /** Item indices, oldest first (ties keep the table's row order). */
  items: Int32Array;
  /** Unix seconds per item. */
  timestamps: Float64Array;
  /** Rating per item (NaN when none). */
  ratings: Float32Array;
}

/** One user's training interactions in time order, oldest first. */
export function userHistory(split: Split, user: number): UserHistory {
  checkUser(split, user, "userHistory");
  const t = split.train;
  const rows: number[] = [];
  for (let r = 0; r < t.users.length; r++) if (t.users[r] === user) rows.push(r);
  // Stable sort: rows with equal timestamps keep their order in the table.
  rows.sort((a, b) => t.timestamps[a] - t.timestamps[b]);
  return {
    items: Int32Array.from(rows, (r) => t.items[r]),
    timestamps: Float64Array.from(rows, (r) => t.timestamps[r]),
    ratings: Float32Array.from(rows, (r) => t.ratings[r]),
  };
}

/**
 * The top `k` items for one user by the model's scores, best first. Ties go to the lower
 * item index; NaN scores are skipped.
 *
 * @param model any scorer (a fitted Recommender)
 * @param split the split the model was fitted on (its training items are "seen")
 * @param user user index
 * @throws ConfigError for a bad user index or k
 */
export async function recommendForUser(
  model: Scorer,
  split: Split,
  user: number,
  opts: RecommendOptions = {},
): Promise<RankedItem[]> {
  checkUser(split, user, "recommendForUser");
  const k = opts.k ?? 10;
  if (!(Number.isInteger(k) && k >= 1)) {
    throw new ConfigError(`recommendForUser: k must be an integer >= 1, got ${k}`);
  }
  if (model.nItems !== split.nItems) {
    throw new ConfigError(
      `recommendForUser: the model scores ${model.nItems} items, the split has ${split.nItems}`,
    );
  }
  const scores = await model.scoreAll(Int32Array.of(user));
  const mask = new Uint8Array(split.nItems);
  if (opts.excludeSeen ?? true) {
    const t = split.train;
    for (let r = 0; r < t.users.length; r++) if (t.users[r] === user) mask[t.items[r]] = 1;
  }
  for (const i of Array.from(opts.exclude ?? [])) {
    if (!(Number.isInteger(i) && i >= 0 && i < split.nItems)) {
      throw new ConfigError(`recommendForUser: exclude holds ${i}, not an item index`);
    }
    mask[i] = 1;
  }
  const top = topK(scores, k, mask);
  return Array.from(top, (item, p) => ({ item, score: scores[item], rank: p + 1 }));
}

/**
 * The 1-based rank of `item` among all items the user has not seen in training (and not
 * in `exclude`), counting every other candidate scored at or above it (pessimistic ties,
 * as the evaluator), and the number of candidates (the item included). Answers "where
 * would the user's real next item have been listed?".
 */
export async function rankAmongUnseen(
  model: Scorer,
  split: Split,
  user: number,
  item: number,
  exclude: ArrayLike<number> = [],
): Promise<{ rank: number; candidates: number }> {
  checkUser(split, user, "rankAmongUnseen");
  if (!(Number.isInteger(item) && item >= 0 && item < split.nItems)) {
    throw new ConfigError(`rankAmongUnseen: item ${item} is not an item index`);
  }
  const scores = await model.scoreAll(Int32Array.of(user));
  const mask = new Uint8Array(split.nItems);
  const t = split.train;
  for (let r = 0; r < t.users.length; r++) if (t.users[r] === user) mask[t.items[r]] = 1;
  for (const i of Array.from(exclude)) mask[i] = 1;
  mask[item] = 0;
  const s = scores[item];
  let above = 0, candidates = 0;
  for (let i = 0; i < scores.length; i++) {
    if (mask[i]) continue;
    candidates++;
    if (i !== item && !(scores[i] < s)) above++;
  }
  return { rank: above + 1, candidates };
}

/** Item vectors to explain with: a row-major table on item indices. */
export interface ItemVectors {
  /** Shape: [nItems * dim]. */
  vectors: Float32Array;
  dim: number;
  /** 1 where the row is a trained vector; rows with 0 (or a zero norm) are never used. */
  present?: Uint8Array;
}

/** A history item near a recommended one. */
export interface Neighbour {
  /** Item index (from the history). */
  item: number;
  /** Cosine similarity of the two item vectors, in [-1, 1]. */
  similarity: number;
}

/** Why an item was recommended: its nearest items in the user's own history. */
export interface Explanation {
  /** The recommended item. */
  item: number;
  /** Up to `n` history items, most similar first; empty when the item has no vector. */
  neighbours: Neighbour[];
}

/** Euclidean norm of a row, 0 when absent. */
function rowNorm(v: ItemVectors, i: number): number {
  if (v.present && !v.present[i]) return 0;
  let ss = 0;
  const base = i * v.dim;
  for (let c = 0; c < v.dim; c++) ss += v.vectors[base + c] * v.vectors[base + c];
  return Math.sqrt(ss);
}

/** Cosine similarity of two rows with known non-zero norms. */
function cosine(v: ItemVectors, a: number, b: number, na: number, nb: number): number {
  let s = 0;
  const pa = a * v.dim, pb = b * v.dim;
  for (let c = 0; c < v.dim; c++) s += v.vectors[pa + c] * v.vectors[pb + c];
  return s / (na * nb);
}

function checkVectors(v: ItemVectors, where: string): number {
  if (!(Number.isInteger(v.dim) && v.dim >= 1) || v.vectors.length % v.dim !== 0) {
    throw new ConfigError(`${where}: ${v.vectors.length} values are not rows of dim ${v.dim}`);
  }
  return v.vectors.length / v.dim;
}

/**
 * For each recommended item, the `n` items of `history` whose vectors are most
 * cosine-similar to it ("because you watched ..."). History items without a vector are
 * skipped, repeated ones counted once; ties keep the order of `history` (pass it most
 * recent first to prefer recent items).
 *
 * @param itemVectors e.g. `{ vectors: emb.itemWord, dim: emb.dims.itemWord, present: emb.present.itemWord }`
 * @param history item indices of the user's history
 * @param recommended item indices to explain
 * @throws ConfigError for a malformed table or an item index outside it
 */
export function explainByNeighbours(
  itemVectors: ItemVectors,
  history: ArrayLike<number>,
  recommended: ArrayLike<number>,
  opts: { n?: number } = {},
): Explanation[] {
  const nRows = checkVectors(itemVectors, "explainByNeighbours");
  const n = opts.n ?? 3;
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new ConfigError(`explainByNeighbours: n must be an integer >= 1, got ${n}`);
  }
  const inRange = (i: number, what: string) => {
    if (!(Number.isInteger(i) && i >= 0 && i < nRows)) {
      throw new ConfigError(`explainByNeighbours: ${what} item ${i} is not a row in [0, ${nRows})`);
    }
  };
  const hist: number[] = [];
  const histNorm: number[] = [];
  const seen = new Set<number>();
  for (const h of Array.from(history)) {
    inRange(h, "history");
    if (seen.has(h)) continue;
    seen.add(h);
    const norm = rowNorm(itemVectors, h);
    if (norm > 0) {
      hist.push(h);
      histNorm.push(norm);
    }
  }
  return Array.from(recommended, (item) => {
    inRange(item, "recommended");
    const norm = rowNorm(itemVectors, item);
    if (norm === 0) return { item, neighbours: [] };
    const sims = hist.map((h, p) => cosine(itemVectors, item, h, norm, histNorm[p]));
    const order = hist.map((_, p) => p).sort((a, b) => sims[b] - sims[a] || a - b);
    return {
      item,
      neighbours: order.slice(0, n).map((p) => ({ item: hist[p], similarity: sims[p] })),
    };
  });
}

/** Metadata of an item index (via the split's raw item ids), or undefined. */
export function itemInfo(split: Split, metadata: ItemMetadata, item: number): ItemInfo | undefined {
  return metadata.get(split.train.itemIds.raw[item]);
}

/** "Title (year)" of an item index, or "item <raw id>" without metadata. */
export function itemLabel(split: Split, metadata: ItemMetadata, item: number): string {
  const info = itemInfo(split, metadata, item);
  if (!info) return `item ${split.train.itemIds.raw[item]}`;
  return info.year === null ? info.title : `${info.title} (${info.year})`;
}

function dateText(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/**
 * Table rows of a user's `n` most recent training items, most recent first: date, title,
 * year, genres, rating.
 */
export function userHistoryRows(
  split: Split,
  metadata: ItemMetadata,
  user: number,
  n = 10,
): Record<string, unknown>[] {
  const h = userHistory(split, user);
  const rows: Record<string, unknown>[] = [];
  for (let p = h.items.length - 1; p >= 0 && rows.length < n; p--) {
    const info = itemInfo(split, metadata, h.items[p]);
    rows.push({
      date: dateText(h.timestamps[p]),
      title: info?.title ?? `item ${split.train.itemIds.raw[h.items[p]]}`,
      year: info?.year ?? "",
      genres: info?.genres.join(", ") ?? "",
      rating: Number.isFinite(h.ratings[p]) ? h.ratings[p] : "",
    });
  }
  return rows;
}

/**
 * Table rows of a recommendation list: rank, title, year, genres, score and, when
 * explanations are given, the nearest history items with their cosine similarity.
 */
export function recommendationRows(
  split: Split,
  metadata: ItemMetadata,
  recommendations: readonly RankedItem[],
  explanations?: readonly Explanation[],
  opts: { digits?: number } = {},
): Record<string, unknown>[] {
  const digits = opts.digits ?? 3;
  const byItem = new Map(explanations?.map((e) => [e.item, e]) ?? []);
  return recommendations.map((r) => {
    const info = itemInfo(split, metadata, r.item);
    const row: Record<string, unknown> = {
      rank: r.rank,
      title: info?.title ?? `item ${split.train.itemIds.raw[r.item]}`,
      year: info?.year ?? "",
      genres: info?.genres.join(", ") ?? "",
      score: Number(r.score.toPrecision(4)),
    };
    if (explanations) {
      const e = byItem.get(r.item);
      row["nearest in the user's history (cosine)"] = !e || e.neighbours.length === 0
        ? "(no item vector)"
        : e.neighbours
          .map((nb) => `${itemLabel(split, metadata, nb.item)} ${nb.similarity.toFixed(digits)}`)
          .join("; ");
    }
    return row;
  });
}

/** Table rows of the user's held-out items (validation, test) with date, title, genres. */
export function heldOutRows(
  split: Split,
  metadata: ItemMetadata,
  user: number,
): { role: "validation" | "test"; item: number; row: Record<string, unknown> }[] {
  checkUser(split, user, "heldOutRows");
  const out: { role: "validation" | "test"; item: number; row: Record<string, unknown> }[] = [];
  for (const [h, role] of [[split.valid, "validation"], [split.test, "test"]] as const) {
    if (!h) continue;
    for (let p = 0; p < h.users.length; p++) {
      if (h.users[p] !== user) continue;
      const info = itemInfo(split, metadata, h.items[p]);
      out.push({
        role,
        item: h.items[p],
        row: {
          role,
          date: dateText(h.timestamps[p]),
          title: info?.title ?? `item ${split.train.itemIds.raw[h.items[p]]}`,
          year: info?.year ?? "",
          genres: info?.genres.join(", ") ?? "",
        },
      });
    }
  }
  return out;
}

/**
 * A 2-D PCA map of all item vectors with one user's history, recommendations and held-out
 * items highlighted (hover shows titles): whether the list sits where the history is.
 */
export function userItemMapFigure(
  itemVectors: ItemVectors,
  split: Split,
  metadata: ItemMetadata,
  opts: {
    history: ArrayLike<number>;
    recommended: ArrayLike<number>;
    heldOut?: readonly { item: number; role: string }[];
    seed?: number;
    title?: string;
  },
): ScatterFigure {
  const nRows = checkVectors(itemVectors, "userItemMapFigure");
  const rows: number[] = [];
  for (let i = 0; i < nRows; i++) if (rowNorm(itemVectors, i) > 0) rows.push(i);
  const p = pcaProject(itemVectors.vectors, itemVectors.dim, { rows, seed: opts.seed ?? 1 });
  const pos = new Map(rows.map((item, k) => [item, k]));
  const role = new Map<number, string>();
  for (const i of Array.from(opts.history)) role.set(i, "history");
  for (const i of Array.from(opts.recommended)) role.set(i, "recommended");
  for (const h of opts.heldOut ?? []) role.set(h.item, `${h.role} item`);
  const groups: { key: string; name: string; color: string }[] = [
    { key: "other", name: "other items", color: "#d0d0d0" },
    { key: "history", name: "history", color: "#4c78a8" },
    { key: "recommended", name: "recommended", color: "#f58518" },
    ...[...new Set((opts.heldOut ?? []).map((h) => `${h.role} item`))].map((r, k) => ({
      key: r,
      name: r,
      color: ["#e45756", "#54a24b"][k % 2],
    })),
  ];
  const series: ScatterSeries[] = groups.map((g) => {
    const items = g.key === "other"
      ? rows.filter((i) => !role.has(i))
      : [...role.entries()].filter(([i, r]) => r === g.key && pos.has(i)).map(([i]) => i);
    return {
      name: `${g.name} (${items.length})`,
      x: items.map((i) => p.coords[2 * pos.get(i)!]),
      y: items.map((i) => p.coords[2 * pos.get(i)! + 1]),
      labels: items.map((i) => itemLabel(split, metadata, i)),
      color: g.color,
    };
  }).filter((s) => s.x.length > 0);
  const pct = (r: number) => `${(100 * r).toFixed(1)}%`;
  return {
    kind: "scatter",
    title: opts.title ?? "The user's items in item-vector space (PCA)",
    xLabel: `PC 1 (${pct(p.explainedRatio[0])} of the variance)`,
    yLabel: `PC 2 (${pct(p.explainedRatio[1])} of the variance)`,
    series,
    markerSize: 4,
    opacity: 0.8,
    width: 760,
    height: 500,
  };
}

/** How well the explanations hold up, for the notebook's interpretation text. */
export interface ExplanationSummary {
  /** Recommended items that have an item vector (and so an explanation). */
  explained: number;
  /** Mean cosine similarity of each explained item to its nearest history item. */
  meanNearest: number;
  /** Mean cosine similarity over every (recommended item, history item) pair: the baseline. */
  meanAllPairs: number;
  /** Explained items sharing at least one genre with their nearest history item. */
  sharesGenreWithNearest: number;
}

/**
 * Summary of a set of explanations: how much closer the chosen history items are than an
 * average history item, and how often the nearest one shares a genre.
 */
export function explanationSummary(
  split: Split,
  metadata: ItemMetadata,
  itemVectors: ItemVectors,
  history: ArrayLike<number>,
  explanations: readonly Explanation[],
): ExplanationSummary {
  checkVectors(itemVectors, "explanationSummary");
  const hist = [...new Set(Array.from(history))].filter((h) => rowNorm(itemVectors, h) > 0);
  let explained = 0, nearest = 0, all = 0, pairs = 0, shares = 0;
  for (const e of explanations) {
    if (e.neighbours.length === 0) continue;
    explained++;
    nearest += e.neighbours[0].similarity;
    const ne = rowNorm(itemVectors, e.item);
    for (const h of hist) {
      all += cosine(itemVectors, e.item, h, ne, rowNorm(itemVectors, h));
      pairs++;
    }
    const g1 = itemInfo(split, metadata, e.item)?.genres ?? [];
    const g2 = new Set(itemInfo(split, metadata, e.neighbours[0].item)?.genres ?? []);
    if (g1.some((g) => g2.has(g))) shares++;
  }
  return {
    explained,
    meanNearest: explained ? nearest / explained : NaN,
    meanAllPairs: pairs ? all / pairs : NaN,
    sharesGenreWithNearest: shares,
  };
}

/**
 * Interpretation of one user's recommendations as markdown, from the numbers: how close
 * the explaining history items are compared with an average history item, how often they
 * share a genre, and where the user's held-out items rank.
 *
 * @param heldOut the user's held-out items with their 1-based rank among unseen items
 */
export function describeRecommendations(
  summary: ExplanationSummary,
  k: number,
  heldOut: readonly { role: string; title: string; rank: number; candidates: number }[],
): string {
  const lines: string[] = [];
  if (summary.explained === 0) {
    lines.push(`None of the ${k} recommended items has an item vector, so none is explained.`);
  } else {
    const ratio = summary.meanAllPairs !== 0 ? summary.meanNearest / summary.meanAllPairs : NaN;
    lines.push(
      `${summary.explained} of the ${k} recommended items have an item vector. Their nearest ` +
        `history item has a mean cosine similarity of ${summary.meanNearest.toFixed(3)}, against ` +
        `${summary.meanAllPairs.toFixed(3)} for an average history item` +
        (Number.isFinite(ratio) && summary.meanAllPairs > 0 ? ` (${ratio.toFixed(2)}x)` : "") +
        `; ${summary.sharesGenreWithNearest} of ${summary.explained} share a genre with it.`,
    );
  }
  for (const h of heldOut) {
    lines.push(
      `The ${h.role} item, *${h.title}*, ranks ${h.rank} of ${h.candidates} unseen items` +
        (h.rank <= k ? `: it is in this top ${k}.` : `: outside this top ${k}.`),
    );
  }
  return lines.join("\n\n");
}

/** A model by registry name with its parameters, e.g. `{ type: "EASE", params: { lambda: 200 } }`. */
export interface ModelChoice {
  /** Registry name (lib/experiments `defaultModelRegistry`): "DSER", "EASE", "NeuMF", ... */
  type: string;
  /** Parameters, validated against the model's own schema (defaults fill the rest). */
  params?: Record<string, unknown>;
}

/** A fitted model and what its fit reported. */
export interface FittedModel {
  model: Recommender;
  report: FitReport;
  /** The validated parameters. */
  params: Record<string, unknown>;
  type: string;
}

/**
 * Builds a model by registry name and fits it on `split.train` (validation data for
 * early stopping where the model uses it; never the test part).
 *
 * @param registry the model registry, normally `await defaultModelRegistry()` from
 *   lib/experiments (passed in so that this module does not load every model)
 * @param choice model name and parameters, e.g. `{ type: "DSER", params: { epochs: 5 } }`
 * @param opts.embedding the Doc2Vec vectors (`embedSplit`'s result) for models that need
 *   them (DSER); other models ignore it
 * @throws ConfigError for an unknown model name, a bad parameter (naming the key) or a
 *   model that needs an embedding when none is given
 *
 * @example
 * ```ts
 * const registry = await defaultModelRegistry();
 * const { model } = await fitRecommender(registry, { type: "EASE", params: { lambda: 200 } }, split);
 * const top10 = await recommendForUser(model, split, 0);
 * ```
 */
export async function fitRecommender(
  registry: ModelRegistryLike,
  choice: ModelChoice,
  split: Split,
  opts: {
    embedding?: unknown;
    metadata?: ItemMetadata;
    seed?: number;
    progress?: ProgressSink;
  } = {},
): Promise<FittedModel> {
  const entry = registry.get(choice.type, "model.type");
  const params = validate(entry.schema, choice.params ?? {}, `model.${choice.type}`) as Record<
    string,
    unknown
  >;
  const needs = typeof entry.needsEmbedding === "function"
    ? entry.needsEmbedding(params)
    : entry.needsEmbedding === true;
  if (needs && !opts.embedding) {
    throw new ConfigError(
      `model ${choice.type} needs Doc2Vec vectors: pass { embedding } (lib/embedding embedSplit)`,
    );
  }
  const seed = opts.seed ?? 1;
  const data: PreparedData = { split, metadata: opts.metadata, info: { dataset: split.name } };
  // Neural models write a best-epoch checkpoint into the run folder; here it is scratch.
  const runDir = await Deno.makeTempDir({ prefix: "dser-recommend-" });
  try {
    const model = await entry.create!(params, {
      data,
      embedding: needs ? opts.embedding! : null,
      seed,
      runDir,
    });
    const report = await model.fit(split, { seed, progress: opts.progress });
    return { model, report, params, type: choice.type };
  } finally {
    await Deno.remove(runDir, { recursive: true }).catch(() => {});
  }
}
