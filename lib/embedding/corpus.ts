/**
 * A corpus of tagged documents on typed arrays: what Doc2Vec trains on.
 *
 * Words are interned to integer token ids (`keys[id]` is the word's text, e.g. an item
 * index "42" or a title word "matrix"); documents are slices of one `Int32Array`. Each
 * document has exactly one tag, the row of its document vector (gensim allows several
 * tags per document; this workspace never needs more than one, so `dm_tag_count` is 1).
 * Several documents may share a tag, as in gensim.
 *
 * @module
 */
import { DataError } from "../util/mod.ts";

/** One document in the form gensim takes (`TaggedDocument(words, [tag])`). */
export interface TaggedDocument {
  /** Tokens in order. */
  words: readonly string[];
  /** Document vector row (a dense 0-based index, e.g. the user index). */
  tag: number;
}

/** Documents on typed arrays. */
export interface Corpus {
  /** Text of each token id. Shape: [nKeys]. */
  keys: readonly string[];
  /** Token ids of all documents, concatenated. Shape: [total words]. */
  words: Int32Array;
  /** Document `d` is `words[offsets[d] .. offsets[d+1])`. Shape: [nDocs + 1]. */
  offsets: Int32Array;
  /** Tag (document vector row) of each document. Shape: [nDocs]. */
  tags: Int32Array;
  /** Rows of the document vector table (> every tag). */
  nTags: number;
}

/** Number of documents in a corpus. */
export function corpusSize(c: Corpus): number {
  return c.tags.length;
}

/**
 * Builds a {@link Corpus} document by document, interning words.
 *
 * @example
 * ```ts
 * const b = new CorpusBuilder();
 * b.add(["a", "b", "a"], 0);
 * b.add(["b", "c"], 1);
 * const corpus = b.build(); // keys ["a", "b", "c"], nTags 2
 * ```
 */
export class CorpusBuilder {
  #keys: string[] = [];
  #ids = new Map<string, number>();
  #words: number[] = [];
  #offsets: number[] = [0];
  #tags: number[] = [];

  /** Appends a document of word strings with its tag. */
  add(words: readonly string[], tag: number): this {
    for (const w of words) {
      let id = this.#ids.get(w);
      if (id === undefined) {
        id = this.#keys.length;
        this.#ids.set(w, id);
        this.#keys.push(w);
      }
      this.#words.push(id);
    }
    this.#offsets.push(this.#words.length);
    this.#tags.push(tag);
    return this;
  }

  /** Number of documents added so far. */
  get size(): number {
    return this.#tags.length;
  }

  /** The corpus; `nTags` defaults to 1 + the largest tag. */
  build(nTags?: number): Corpus {
    let maxTag = -1;
    for (const t of this.#tags) if (t > maxTag) maxTag = t;
    return {
      keys: this.#keys.slice(),
      words: Int32Array.from(this.#words),
      offsets: Int32Array.from(this.#offsets),
      tags: Int32Array.from(this.#tags),
      nTags: nTags ?? maxTag + 1,
    };
  }
}

/** A corpus from gensim-style tagged documents. */
export function corpusFromDocuments(docs: readonly TaggedDocument[], nTags?: number): Corpus {
  const b = new CorpusBuilder();
  for (const d of docs) b.add(d.words, d.tag);
  return b.build(nTags);
}

/** The documents of a corpus as gensim-style tagged documents (for export and tests). */
export function corpusDocuments(c: Corpus): TaggedDocument[] {
  const out: TaggedDocument[] = [];
  for (let d = 0; d < c.tags.length; d++) {
    const words: string[] = [];
    for (let q = c.offsets[d]; q < c.offsets[d + 1]; q++) words.push(c.keys[c.words[q]]);
    out.push({ words, tag: c.tags[d] });
  }
  return out;
}

/**
 * Checks a corpus: at least one document, no empty document, tags in `[0, nTags)`, token
 * ids in range. Errors name the document index and its tag.
 * @param what name used in messages, e.g. "user documents".
 */
export function checkCorpus(c: Corpus, what = "corpus"): void {
  const n = c.tags.length;
  if (n === 0) throw new DataError(`${what}: no documents to train on`);
  if (c.offsets.length !== n + 1 || c.offsets[0] !== 0 || c.offsets[n] !== c.words.length) {
    throw new DataError(
      `${what}: offsets must have ${n + 1} entries from 0 to ${c.words.length}, ` +
        `got ${c.offsets.length} entries ending at ${c.offsets[c.offsets.length - 1]}`,
    );
  }
  if (!(Number.isInteger(c.nTags) && c.nTags >= 1)) {
    throw new DataError(`${what}: nTags must be a positive integer, got ${c.nTags}`);
  }
  for (let d = 0; d < n; d++) {
    const tag = c.tags[d];
    if (!(tag >= 0 && tag < c.nTags)) {
      throw new DataError(`${what}: document ${d} has tag ${tag}, outside [0, ${c.nTags})`);
    }
    if (c.offsets[d + 1] <= c.offsets[d]) {
      throw new DataError(
        `${what}: document ${d} (tag ${tag}) is empty; leave out documents without words`,
      );
    }
  }
  const nKeys = c.keys.length;
  for (let q = 0; q < c.words.length; q++) {
    const w = c.words[q];
    if (!(w >= 0 && w < nKeys)) {
      throw new DataError(`${what}: word ${q} has token id ${w}, outside [0, ${nKeys})`);
    }
  }
}
