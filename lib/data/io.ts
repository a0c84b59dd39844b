/**
 * Byte-level file access shared by the parsers: whole-file reads with transparent gzip,
 * exact latin-1 and strict UTF-8 decoding, line splitting with line numbers, and the
 * checksums (sha256, git blob ids) the registry records.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { DataError } from "../util/errors.ts";

/**
 * Reads a data file into memory. A path ending in `.gz` is gunzipped while reading, so
 * `u.data` and `u.data.gz` give the same bytes.
 *
 * @param path file path; `.gz` means gzip-compressed.
 * @returns the (decompressed) file content.
 * @throws DataError naming the file when it is missing, unreadable or not valid gzip.
 */
export async function readDataBytes(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new DataError(`file not found: ${path}`);
    throw new DataError(`could not read ${path}: ${(err as Error).message}`);
  }
  if (!path.endsWith(".gz")) return bytes;
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new DataError(
      `${path}: not a gzip file (the name ends in .gz but the magic bytes differ)`,
    );
  }
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new DataError(`${path}: corrupt gzip data: ${(err as Error).message}`);
  }
}

/**
 * Decodes ISO-8859-1 exactly: byte b becomes code point b.
 *
 * Why not `TextDecoder("latin1")`: the WHATWG Encoding standard maps the labels
 * "latin1" and "iso-8859-1" to windows-1252, which changes bytes 0x80..0x9F.
 */
export function decodeLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  const CHUNK = 8192;
  for (let p = start; p < end; p += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(p, Math.min(end, p + CHUNK)) as unknown as number[],
    );
  }
  return out;
}

const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Decodes UTF-8 strictly. On invalid bytes the error names the file and the line that
 * holds them, with the line shown as latin-1.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    const lines = splitLines(bytes);
    for (let k = 0; k < lines.count; k++) {
      try {
        utf8Fatal.decode(bytes.subarray(lines.starts[k], lines.ends[k]));
      } catch {
        throw new DataError(
          `${file}:${k + 1}: invalid UTF-8 (is the file latin-1?): ` +
            JSON.stringify(decodeLatin1(bytes, lines.starts[k], lines.ends[k]).slice(0, 200)),
        );
      }
    }
    throw new DataError(`${file}: invalid UTF-8`);
  }
}

/**
 * Line boundaries of a byte buffer. Line k (0-based, file line k+1) is
 * `bytes[starts[k] .. ends[k])`, without its `\n` and without a `\r` before it.
 * A final newline does not start an extra line.
 */
export interface LineTable {
  starts: Int32Array;
  ends: Int32Array;
  count: number;
}

/** Splits `bytes` into lines (LF or CRLF). */
export function splitLines(bytes: Uint8Array): LineTable {
  let count = 0;
  for (let p = bytes.indexOf(10); p !== -1; p = bytes.indexOf(10, p + 1)) count++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) count++;
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  let p = 0;
  for (let k = 0; k < count; k++) {
    let nl = bytes.indexOf(10, p);
    if (nl === -1) nl = bytes.length;
    starts[k] = p;
    ends[k] = nl > p && bytes[nl - 1] === 13 ? nl - 1 : nl;
    p = nl + 1;
  }
  return { starts, ends, count };
}

/** Counts lines the way {@link splitLines} does, without allocating. */
export function countLines(bytes: Uint8Array): number {
  let count = 0;
  for (let p = bytes.indexOf(10); p !== -1; p = bytes.indexOf(10, p + 1)) count++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) count++;
  return count;
}

function hex(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** sha256 of `bytes` as 64 lowercase hex digits. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/**
 * The git blob id of `bytes` (what `git hash-object FILE` prints): sha1 of
 * `"blob <length>\0"` followed by the content. SOURCE.md files record these for files
 * whose sha256 is unknown (e.g. ml-1m ratings.dat, the NCF train files).
 */
export async function gitBlobId(bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head, 0);
  all.set(bytes, head.length);
  return hex(await crypto.subtle.digest("SHA-1", all));
}

/**
 * Checks `bytes` against the known sums of a file (either may be absent).
 *
 * @throws DataError naming the file, the expected and the actual sum on a mismatch.
 */
export async function verifyChecksums(
  file: string,
  bytes: Uint8Array,
  expected: { sha256?: string; gitBlob?: string },
): Promise<void> {
  if (expected.sha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== expected.sha256.toLowerCase()) {
      throw new DataError(
        `checksum mismatch for ${file}: expected sha256 ${expected.sha256}, actual ${actual}`,
      );
    }
  }
  if (expected.gitBlob) {
    const actual = await gitBlobId(bytes);
    if (actual !== expected.gitBlob.toLowerCase()) {
      throw new DataError(
        `checksum mismatch for ${file}: expected git blob ${expected.gitBlob}, actual ${actual}`,
      );
    }
  }
}
