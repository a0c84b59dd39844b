/**
 * Model weights on disk: one binary file per checkpoint, written atomically (a reader never
 * sees a half-written file).
 *
 * Format (little-endian): the 8 bytes `DSERWTS1`, a uint32 header length, a UTF-8 JSON
 * header `{ model, meta, params: [{ name, shape, offset }] }` (offset in floats into the
 * data), zero padding to a multiple of 4 bytes, then the float32 data.
 *
 * @module
 */
import { DataError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";

const MAGIC = "DSERWTS1";

/** What a weights file holds. */
export interface WeightsFile {
  /** Model name, e.g. "NeuMF". */
  model: string;
  /** Free-form facts (epoch, metric, hyperparameters, ...). */
  meta: Record<string, unknown>;
  /** Parameter name -> values (row-major). */
  params: Record<string, Float32Array>;
  /** Parameter name -> shape. */
  shapes: Record<string, number[]>;
}

/** Encodes weights into the binary format. */
export function encodeWeights(w: WeightsFile): Uint8Array {
  let offset = 0;
  const entries = Object.keys(w.params).map((name) => {
    const shape = w.shapes[name] ?? [w.params[name].length];
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== w.params[name].length) {
      throw new Error(
        `encodeWeights: ${name} has ${w.params[name].length} values, shape [${shape}]`,
      );
    }
    const e = { name, shape, offset };
    offset += size;
    return e;
  });
  const header = new TextEncoder().encode(
    JSON.stringify({ model: w.model, meta: w.meta, params: entries }),
  );
  const headerEnd = 12 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const out = new Uint8Array(dataStart + offset * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  const data = new Float32Array(out.buffer, dataStart, offset);
  for (const e of entries) data.set(w.params[e.name], e.offset);
  return out;
}

/** Decodes the binary format; `file` names the source in errors. */
export function decodeWeights(bytes: Uint8Array, file = "weights"): WeightsFile {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new DataError(`${file}: not a DSER weights file (expected the ${MAGIC} header)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new DataError(`${file}: truncated header`);
  let header: {
    model: string;
    meta: Record<string, unknown>;
    params: { name: string; shape: number[]; offset: number }[];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (err) {
    throw new DataError(`${file}: unreadable header: ${(err as Error).message}`);
  }
  const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
  const floats = (bytes.length - dataStart) / 4;
  const aligned = bytes.slice(dataStart);
  const data = new Float32Array(aligned.buffer, 0, Math.floor(floats));
  const params: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  for (const e of header.params) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + size > data.length) {
      throw new DataError(
        `${file}: parameter ${e.name} runs past the end of the file (truncated?)`,
      );
    }
    params[e.name] = data.slice(e.offset, e.offset + size);
    shapes[e.name] = e.shape;
  }
  return { model: header.model, meta: header.meta ?? {}, params, shapes };
}

/** Writes a weights file atomically. */
export async function writeWeights(path: string, w: WeightsFile): Promise<void> {
  await writeFileAtomic(path, encodeWeights(w));
}

/** Reads a weights file. */
export async function readWeights(path: string): Promise<WeightsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new DataError(`weights file not found: ${path}`);
    throw err;
  }
  return decodeWeights(bytes, path);
}
