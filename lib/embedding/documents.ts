/**
 * Documents for Doc2Vec built from a split, the way DSER reads interaction histories:
 *
 * - **user documents**: a user's training items ordered by time (ties keep row order);
 *   words are item indices as text ("42"), the tag is the user index;
 * - **item documents**: an item's training users ordered by time; words are user
 *   indices as text, the tag is the item index;
 * - **item content documents**: words from the item's metadata (title words, genres,
 *   user tags, TMDB keywords, cast, crew, overview, whichever the dataset has), one
 *   tokenizer for all; the tag is the item index.
 *
 * Only `split.train` is read: a validation or test interaction inside a document would
 * leak the held-out answer into the vectors. Users or items without training
 * interactions get no document. `order: "shuffled"` shuffles each document's words
 * (seeded), the control for DSER's claim that the order of a history matters: same
 * words, same counts, no sequence.
 *
 * @module
 */
import type { Interactions, ItemInfo, ItemMetadata, Split } from "../data/types.ts";
import { Rng } from "../util/mod.ts";
import type { Corpus } from "./corpus.ts";

/** Options of the interaction document builders. */
export interface SequenceDocumentOptions {
  /** "time": chronological (default); "shuffled": words of each document shuffled. */
  order?: "time" | "shuffled";
  /** Seed of the shuffle (order "shuffled"). Default 1. */
  seed?: number;
}

/** Keys "0", "1", ... "n-1": the word text of dense indices. */
function indexKeys(n: number): string[] {
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) keys[i] = String(i);
  return keys;
}

/**
 * Groups rows by `owner` (user or item) and orders each group by timestamp, ties by row.
 * Returns the corpus of `other` ids per owner; owners without rows are left out.
 */
function sequenceCorpus(
  owner: Int32Array,
  other: Int32Array,
  timestamps: Float64Array,
  nOwners: number,
  nOthers: number,
  opts: SequenceDocumentOptions,
  label: string,
): Corpus {
  const n = owner.length;
  // Bucket rows by owner (a stable counting sort), then sort each bucket by time; the
  // sort is stable, so rows with equal timestamps keep their order in the table.
  const start = new Int32Array(nOwners + 1);
  for (let r = 0; r < n; r++) start[owner[r] + 1]++;
  for (let o = 0; o < nOwners; o++) start[o + 1] += start[o];
  const fill = start.slice(0, nOwners);
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) rows[fill[owner[r]]++] = r;
  const words = new Int32Array(n);
  const offsets: number[] = [0];
  const tags: number[] = [];
  for (let o = 0; o < nOwners; o++) {
    const a = start[o];
    const b = start[o + 1];
    if (a === b) continue;
    const group = Array.from(rows.subarray(a, b)).sort((x, y) => timestamps[x] - timestamps[y]);
    for (let q = 0; q < group.length; q++) words[a + q] = other[group[q]];
    offsets.push(b);
    tags.push(o);
  }
  if (opts.order === "shuffled") {
    const seed = opts.seed ?? 1;
    for (let d = 0; d < tags.length; d++) {
      const rng = Rng.derive(seed, "shuffled-documents", label, tags[d]);
      rng.shuffle(words.subarray(offsets[d], offsets[d + 1]));
    }
  }
  return {
    keys: indexKeys(nOthers),
    words,
    offsets: Int32Array.from(offsets),
    tags: Int32Array.from(tags),
    nTags: nOwners,
  };
}

function trainOf(x: Split | Interactions): Interactions {
  return "train" in x ? x.train : x;
}

/**
 * User documents from the training interactions: per user, items in time order.
 * Words are item indices as text; tag = user index; `nTags` = nUsers.
 *
 * @example
 * ```ts
 * const docs = userDocuments(split);            // chronological
 * const control = userDocuments(split, { order: "shuffled", seed: 7 });
 * ```
 */
export function userDocuments(
  split: Split | Interactions,
  opts: SequenceDocumentOptions = {},
): Corpus {
  const t = trainOf(split);
  return sequenceCorpus(t.users, t.items, t.timestamps, t.nUsers, t.nItems, opts, "user");
}

/**
 * Item documents from the training interactions: per item, users in time order.
 * Words are user indices as text; tag = item index; `nTags` = nItems.
 */
export function itemDocuments(
  split: Split | Interactions,
  opts: SequenceDocumentOptions = {},
): Corpus {
  const t = trainOf(split);
  return sequenceCorpus(t.items, t.users, t.timestamps, t.nItems, t.nUsers, opts, "item");
}

/**
 * The one tokenizer for metadata text: Unicode-normalised, lowercased, diacritics
 * removed, split at every character that is not a letter or digit; apostrophes inside
 * words are dropped ("don't" -> "dont"). Single letters are dropped, digits kept.
 */
export function tokenize(text: string): string[] {
  const clean = text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().replace(
    /(\p{L})['\u2019](\p{L})/gu,
    "$1$2",
  );
  const out: string[] = [];
  for (const t of clean.split(/[^\p{L}\p{N}]+/u)) {
    if (t.length > 1 || /\p{N}/u.test(t)) out.push(t);
  }
  return out;
}

/** A multi-word name ("Science Fiction", "Tom Hanks") as one token ("science_fiction"). */
export function phraseToken(text: string): string | null {
  const parts = tokenize(text);
  return parts.length ? parts.join("_") : null;
}

/** Which metadata fields go into content documents, in this order. */
export type ContentField =
  | "title"
  | "genres"
  | "tags"
  | "keywords"
  | "cast"
  | "crew"
  | "overview";

/** Every content field, in document order. */
export const CONTENT_FIELDS: readonly ContentField[] = [
  "title",
  "genres",
  "tags",
  "keywords",
  "cast",
  "crew",
  "overview",
];

/**
 * The content words of one item: title words (the "(1995)" year suffix removed),
 * then one token per genre, tag, keyword, cast and crew name, then overview words.
 */
export function contentTokens(
  info: ItemInfo,
  fields: readonly ContentField[] = CONTENT_FIELDS,
): string[] {
  const out: string[] = [];
  const phrases = (list: readonly string[] | undefined) => {
    for (const p of list ?? []) {
      const t = phraseToken(p);
      if (t) out.push(t);
    }
  };
  for (const f of fields) {
    if (f === "title") out.push(...tokenize(info.title.replace(/\s*\(\d{4}\)\s*$/, "")));
    else if (f === "overview") out.push(...tokenize(info.overview ?? ""));
    else phrases(info[f]);
  }
  return out;
}

/**
 * Item content documents: per item of the split with metadata, its content words.
 * Items without metadata or without any word get no document; tag = item index,
 * `nTags` = nItems. Metadata is looked up by raw item id (`train.itemIds`).
 */
export function itemContentDocuments(
  split: Split | Interactions,
  metadata: ItemMetadata,
  opts: { fields?: readonly ContentField[] } = {},
): Corpus {
  const t = trainOf(split);
  const keys: string[] = [];
  const ids = new Map<string, number>();
  const words: number[] = [];
  const offsets: number[] = [0];
  const tags: number[] = [];
  for (let i = 0; i < t.nItems; i++) {
    const info = metadata.get(t.itemIds.rawOf(i));
    if (!info) continue;
    const tokens = contentTokens(info, opts.fields);
    if (tokens.length === 0) continue;
    for (const w of tokens) {
      let id = ids.get(w);
      if (id === undefined) {
        id = keys.length;
        ids.set(w, id);
        keys.push(w);
      }
      words.push(id);
    }
    offsets.push(words.length);
    tags.push(i);
  }
  return {
    keys,
    words: Int32Array.from(words),
    offsets: Int32Array.from(offsets),
    tags: Int32Array.from(tags),
    nTags: t.nItems,
  };
}
