/**
 * Saving and loading Doc2Vec models:
 *
 * - **binary** (`.d2v`): the whole model (parameters, vocabulary with counts, word,
 *   document and output weights), so a loaded model can infer vectors and answer
 *   similarity queries exactly as the saved one. Layout: magic `DSERD2V1`, a u32 header
 *   length, a UTF-8 JSON header, zero padding to 8 bytes, then little-endian arrays
 *   `counts` (f64, nWords), `wv` (f32, nWords*dim), `dv` (f32, nTags*dim),
 *   `syn1neg` (f32, nWords*layer1).
 * - **word2vec text** (`.txt`), as gensim's `save_word2vec_format(binary=False)` writes
 *   it: a line `count dim`, then `key v1 v2 ...` per vector, numbers as numpy prints a
 *   float32 (shortest text that reads back to the same float32). Document vectors follow
 *   the word vectors with keys `*dt_<tag>` (gensim's Doc2Vec prefix). Any word2vec tool
 *   reads it; it keeps vectors only.
 *
 * @module
 */
import { DataError, writeFileAtomic } from "../util/mod.ts";
import { Doc2Vec } from "./doc2vec.ts";
import { layer1Size, resolveDoc2VecParams } from "./params.ts";
import { buildVocabFromCounts } from "./vocab.ts";

const MAGIC = "DSERD2V1";

/** Serialises a model to the binary form. */
export function encodeModel(model: Doc2Vec): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({
    format: 1,
    params: model.params,
    nTags: model.nTags,
    words: model.vocab.words,
    nullWord: model.vocab.nullWord,
    stats: model.vocab.stats,
    report: model.report,
  }));
  const headEnd = align8(8 + 4 + header.length);
  const { wv, dv, syn1neg } = model.weights;
  const counts = model.vocab.counts;
  const total = headEnd + counts.length * 8 + (wv.length + dv.length + syn1neg.length) * 4;
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let at = headEnd;
  for (const a of [counts, wv, dv, syn1neg]) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    if (littleEndian()) out.set(bytes, at);
    else writeSwapped(out, at, a);
    at += a.byteLength;
  }
  return out;
}

/**
 * Reads a model from the binary form.
 * @param file name used in error messages
 * @throws DataError naming the file for a wrong magic, header or size
 */
export function decodeModel(bytes: Uint8Array, file = "model"): Doc2Vec {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new DataError(`${file}: not a Doc2Vec model (expected the magic ${MAGIC})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(8, true);
  if (12 + headLen > bytes.length) throw new DataError(`${file}: truncated header`);
  let header: {
    format: number;
    params: Record<string, unknown>;
    nTags: number;
    words: string[];
    nullWord: number;
    report: Doc2Vec["report"];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headLen)));
  } catch (err) {
    throw new DataError(`${file}: unreadable header: ${(err as Error).message}`);
  }
  if (header.format !== 1) {
    throw new DataError(`${file}: unknown model format ${header.format} (this code reads 1)`);
  }
  const params = resolveDoc2VecParams(header.params, `${file}: params`);
  const nWords = header.words.length;
  const dim = params.vectorSize;
  const l1 = layer1Size(params);
  const sizes = [nWords, nWords * dim, header.nTags * dim, nWords * l1];
  let at = align8(12 + headLen);
  const expected = at + sizes[0] * 8 + (sizes[1] + sizes[2] + sizes[3]) * 4;
  if (bytes.length !== expected) {
    throw new DataError(`${file}: ${bytes.length} bytes, expected ${expected} for this header`);
  }
  const counts = new Float64Array(nWords);
  const arrays = [
    new Float32Array(sizes[1]),
    new Float32Array(sizes[2]),
    new Float32Array(sizes[3]),
  ];
  readInto(bytes, at, counts);
  at += counts.byteLength;
  for (const a of arrays) {
    readInto(bytes, at, a);
    at += a.byteLength;
  }
  const vocab = buildVocabFromCounts(header.words, counts, header.nullWord, params);
  return new Doc2Vec(
    params,
    vocab,
    { wv: arrays[0], dv: arrays[1], syn1neg: arrays[2] },
    header.nTags,
    header.report,
  );
}

/** Saves a model in the binary form (atomically). */
export async function saveModel(model: Doc2Vec, path: string): Promise<void> {
  await writeFileAtomic(path, encodeModel(model));
}

/** Loads a model saved by {@link saveModel}. */
export async function loadModel(path: string): Promise<Doc2Vec> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new DataError(`${path}: file not found`);
    throw err;
  }
  return decodeModel(bytes, path);
}

/** Vectors with keys, as a word2vec file holds them. */
export interface KeyedVectors {
  keys: string[];
  /** Shape: [keys.length * dim], row k = keys[k]. */
  vectors: Float32Array;
  dim: number;
}

/** gensim's prefix of document vector keys in word2vec files. */
export const DOC_PREFIX = "*dt_";

/**
 * A float32 as numpy prints it (`repr(np.float32(x))`): the shortest decimal that reads
 * back to the same float32; positional for 1e-4 <= |x| < 1e16, else scientific with a
 * signed exponent of at least two digits.
 */
export function formatFloat32(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const f = Math.fround(x);
  let e = "";
  for (let p = 1; p <= 9; p++) {
    e = f.toExponential(p - 1);
    if (Math.fround(Number(e)) === f) break;
  }
  const [mant, expText] = e.split("e");
  const exp = Number(expText);
  const ax = Math.abs(f);
  if (ax >= 1e16 || ax < 1e-4) {
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const neg = f < 0;
  const digits = mant.replace("-", "").replace(".", "");
  let intPart: string;
  let frac: string;
  if (exp >= 0) {
    if (digits.length <= exp + 1) {
      intPart = digits + "0".repeat(exp + 1 - digits.length);
      frac = "0";
    } else {
      intPart = digits.slice(0, exp + 1);
      frac = digits.slice(exp + 1);
    }
  } else {
    intPart = "0";
    frac = "0".repeat(-exp - 1) + digits;
  }
  return `${neg ? "-" : ""}${intPart}.${frac}`;
}

/**
 * The model in word2vec text format (gensim `model.save_word2vec_format(path,
 * doctag_vec=docs, word_vec=words, binary=False)`): word vectors first, then document
 * vectors with keys `*dt_<tag>`.
 */
export function encodeWord2VecText(
  model: Doc2Vec,
  opts: { words?: boolean; docs?: boolean; prefix?: string } = {},
): string {
  const words = opts.words ?? true;
  const docs = opts.docs ?? false;
  const prefix = opts.prefix ?? DOC_PREFIX;
  const dim = model.dim;
  const total = (words ? model.nWords : 0) + (docs ? model.nTags : 0);
  const lines: string[] = [`${total} ${dim}`];
  const row = (key: string, a: Float32Array, r: number) => {
    const parts = new Array<string>(dim + 1);
    parts[0] = key;
    for (let c = 0; c < dim; c++) parts[c + 1] = formatFloat32(a[r * dim + c]);
    lines.push(parts.join(" "));
  };
  if (words) {
    for (let r = 0; r < model.nWords; r++) {
      row(model.vocab.words[r], model.weights.wv, r);
    }
  }
  if (docs) { for (let r = 0; r < model.nTags; r++) row(`${prefix}${r}`, model.weights.dv, r); }
  return lines.join("\n") + "\n";
}

/** Writes {@link encodeWord2VecText} to a file (atomically). */
export async function saveWord2VecFormat(
  model: Doc2Vec,
  path: string,
  opts: { words?: boolean; docs?: boolean; prefix?: string } = {},
): Promise<void> {
  await writeFileAtomic(path, encodeWord2VecText(model, opts));
}

/**
 * Parses word2vec text (any tool's): header `count dim`, then one `key v1 .. vdim` per
 * line. Errors name the file and line.
 */
export function parseWord2VecText(text: string, file = "vectors.txt"): KeyedVectors {
  const lines = text.split("\n");
  const head = lines[0].trim().split(/\s+/);
  const count = Number(head[0]);
  const dim = Number(head[1]);
  if (head.length !== 2 || !Number.isInteger(count) || !Number.isInteger(dim) || dim < 1) {
    throw new DataError(
      `${file}:1: expected a header "count dim", got ${JSON.stringify(lines[0])}`,
    );
  }
  const keys: string[] = [];
  const vectors = new Float32Array(count * dim);
  for (let k = 0; k < count; k++) {
    const line = lines[k + 1];
    if (line === undefined || line === "") {
      throw new DataError(`${file}:${k + 2}: expected ${count} vectors, found ${k}`);
    }
    const parts = line.replace(/\s+$/, "").split(" ");
    if (parts.length !== dim + 1) {
      throw new DataError(
        `${file}:${k + 2}: expected a key and ${dim} numbers, got ${parts.length - 1} numbers`,
      );
    }
    keys.push(parts[0]);
    for (let c = 0; c < dim; c++) {
      const v = Number(parts[c + 1]);
      if (Number.isNaN(v) && parts[c + 1] !== "nan") {
        throw new DataError(`${file}:${k + 2}: not a number: ${JSON.stringify(parts[c + 1])}`);
      }
      vectors[k * dim + c] = v;
    }
  }
  return { keys, vectors, dim };
}

/** Reads a word2vec text file. */
export async function loadWord2VecFormat(path: string): Promise<KeyedVectors> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new DataError(`${path}: file not found`);
    throw err;
  }
  return parseWord2VecText(text, path);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function writeSwapped(out: Uint8Array, at: number, a: Float32Array | Float64Array): void {
  const v = new DataView(out.buffer, out.byteOffset);
  const step = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < a.length; i++) {
    if (step === 8) v.setFloat64(at + i * 8, a[i], true);
    else v.setFloat32(at + i * 4, a[i], true);
  }
}

function readInto(bytes: Uint8Array, at: number, a: Float32Array | Float64Array): void {
  if (littleEndian()) {
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(bytes.subarray(at, at + a.byteLength));
    return;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, a.byteLength);
  const step = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < a.length; i++) {
    a[i] = step === 8 ? v.getFloat64(i * 8, true) : v.getFloat32(i * 4, true);
  }
}
