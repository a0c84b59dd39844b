/**
 * The vocabulary as gensim 4.2 builds it (`Word2Vec.prepare_vocab`, `make_cum_table`):
 *
 * - count every word; keep words with `count >= minCount`;
 * - per kept word, a keep probability for frequent-word downsampling,
 *   `p = (sqrt(c / t) + 1) * t / c` capped at 1, with `t = sample * (total kept words)`
 *   (or `t = floor(sample * (3 + sqrt 5) / 2)` when `sample >= 1`), stored as
 *   `floor(p * (2^32 - 1))` and compared with a 32-bit random draw during training;
 * - PV-DM concat adds a null word `"\0"` (count 1) that pads windows at document edges;
 * - words are sorted by descending count (ties: first appearance in the corpus; the null
 *   word last);
 * - a cumulative table of `count^nsExponent` scaled to `2^31 - 1`, from which negatives
 *   are drawn by a random integer and binary search (bisect_left).
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { Corpus } from "./corpus.ts";

/** The text of gensim's null word (PV-DM concat padding). */
export const NULL_WORD = "\0";

/** Largest value of the negative-sampling table (gensim's `domain`). */
export const CUM_TABLE_DOMAIN = 2 ** 31 - 1;

/** Facts about the vocabulary, recorded with every training run. */
export interface VocabStats {
  /** Distinct words in the corpus. */
  rawTypes: number;
  /** Distinct words kept (count >= minCount), null word excluded. */
  keptTypes: number;
  /** Words (tokens) in the corpus. */
  rawWords: number;
  /** Tokens of kept words. */
  keptWords: number;
  /** Kept words whose keep probability is below 1. */
  downsampledTypes: number;
  /** Expected tokens per epoch after downsampling. */
  expectedSampledWords: number;
}

/** Word index space of a trained model: kept words sorted by descending count. */
export interface Vocabulary {
  /** Text of each word index. Shape: [nWords]. */
  words: string[];
  /** Corpus count of each word index (1 for the null word). Shape: [nWords]. */
  counts: Float64Array;
  /** gensim `sample_int`: keep a token when `sampleInt[w] >= draw`, draw uniform 32-bit. */
  sampleInt: Uint32Array;
  /** gensim `cum_table`: cumulative `count^nsExponent`, last entry 2^31 - 1. */
  cumTable: Uint32Array;
  /** Word index of the null word, or -1 when absent. */
  nullWord: number;
  /** Corpus token id -> word index, -1 for dropped tokens. Shape: [corpus.keys.length]. */
  tokenToWord: Int32Array;
  stats: VocabStats;
}

/** Options of {@link buildVocabulary} (the subset of Doc2Vec parameters it reads). */
export interface VocabOptions {
  minCount: number;
  sample: number;
  nsExponent: number;
  /** Add the null word (PV-DM concat). */
  nullWord: boolean;
}

/**
 * gensim's downsampling keep probability of a word seen `count` times among
 * `keptTotal` kept tokens (1 when the word is not downsampled).
 */
export function keepProbability(count: number, keptTotal: number, sample: number): number {
  let threshold: number;
  if (!sample) threshold = keptTotal;
  else if (sample < 1) threshold = sample * keptTotal;
  else threshold = Math.trunc(sample * (3 + Math.sqrt(5)) / 2);
  const p = (Math.sqrt(count / threshold) + 1) * (threshold / count);
  return p < 1 ? p : 1;
}

/** Python's round(): nearest integer, halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Builds the vocabulary of a corpus.
 * @throws ConfigError naming `minCount` when no word is frequent enough.
 */
export function buildVocabulary(corpus: Corpus, opts: VocabOptions): Vocabulary {
  const nKeys = corpus.keys.length;
  const counts = new Float64Array(nKeys);
  const firstSeen = new Int32Array(nKeys).fill(-1);
  const words = corpus.words;
  for (let q = 0; q < words.length; q++) {
    const t = words[q];
    if (counts[t]++ === 0) firstSeen[t] = q;
  }
  const kept: number[] = [];
  let maxCount = 0;
  let rawTypes = 0;
  for (let t = 0; t < nKeys; t++) {
    if (counts[t] === 0) continue;
    rawTypes++;
    if (counts[t] > maxCount) maxCount = counts[t];
    if (counts[t] >= opts.minCount) {
      kept.push(t);
    }
  }
  if (kept.length === 0) {
    throw new ConfigError(
      `minCount: ${opts.minCount} removes every word (the most frequent of ${rawTypes} ` +
        `distinct words occurs ${maxCount} times); lower minCount`,
    );
  }
  kept.sort((a, b) => counts[b] - counts[a] || firstSeen[a] - firstSeen[b]);

  const hasNull = opts.nullWord;
  const nWords = kept.length + (hasNull ? 1 : 0);
  const vocabWords: string[] = new Array(nWords);
  const vocabCounts = new Float64Array(nWords);
  const tokenToWord = new Int32Array(nKeys).fill(-1);
  for (let w = 0; w < kept.length; w++) {
    const t = kept[w];
    vocabWords[w] = corpus.keys[t];
    vocabCounts[w] = counts[t];
    tokenToWord[t] = w;
  }
  // The null word (count 1) goes last; gensim's unstable sort puts it somewhere among the
  // words seen once, which changes nothing but its index.
  const nullWord = hasNull ? kept.length : -1;
  if (hasNull) {
    vocabWords[nullWord] = NULL_WORD;
    vocabCounts[nullWord] = 1;
  }
  const vocab = buildVocabFromCounts(vocabWords, vocabCounts, nullWord, opts);
  vocab.tokenToWord = tokenToWord;
  vocab.stats.rawTypes = rawTypes;
  vocab.stats.rawWords = words.length;
  return vocab;
}

/**
 * The sampling and negative tables of an already sorted vocabulary (used when training
 * and when loading a saved model). `tokenToWord` is left empty; raw-corpus figures in
 * `stats` are those of the kept words.
 */
export function buildVocabFromCounts(
  words: string[],
  counts: Float64Array,
  nullWord: number,
  opts: { sample: number; nsExponent: number },
): Vocabulary {
  const nWords = words.length;
  let keptTotal = 0;
  for (let w = 0; w < nWords; w++) if (w !== nullWord) keptTotal += counts[w];
  const sampleInt = new Uint32Array(nWords);
  let downsampledTypes = 0;
  let expected = 0;
  for (let w = 0; w < nWords; w++) {
    if (w === nullWord) continue; // never an input word: gensim leaves it at 0
    const p = keepProbability(counts[w], keptTotal, opts.sample);
    if (p < 1) downsampledTypes++;
    expected += p * counts[w];
    sampleInt[w] = Math.trunc(p * 4294967295);
  }

  // Negative-sampling table, in float64 like gensim's Python loop.
  const cumTable = new Uint32Array(nWords);
  let powTotal = 0;
  for (let i = 0; i < nWords; i++) powTotal += counts[i] ** opts.nsExponent;
  let cumulative = 0;
  for (let i = 0; i < nWords; i++) {
    cumulative += counts[i] ** opts.nsExponent;
    cumTable[i] = roundHalfEven((cumulative / powTotal) * CUM_TABLE_DOMAIN);
  }
  const keptTypes = nWords - (nullWord >= 0 ? 1 : 0);
  return {
    words,
    counts,
    sampleInt,
    cumTable,
    nullWord,
    tokenToWord: new Int32Array(0),
    stats: {
      rawTypes: keptTypes,
      keptTypes,
      rawWords: keptTotal,
      keptWords: keptTotal,
      downsampledTypes,
      expectedSampledWords: Math.round(expected),
    },
  };
}

/** A lookup from word text to word index. */
export function wordIndex(vocab: Vocabulary): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < vocab.words.length; i++) m.set(vocab.words[i], i);
  return m;
}
