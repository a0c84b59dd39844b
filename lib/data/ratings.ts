/**
 * The ratings hot path: one pass over the raw bytes of `u.data` (tab), `ratings.dat`
 * (`::`) or `ratings.csv` (comma, header, CRLF) into typed arrays, with no string or
 * object per field, then raw ids mapped to dense indices in ascending raw-id order.
 *
 * @module
 */
import { DataError, lineError } from "../util/errors.ts";
import { IdMap, type Interactions } from "./types.ts";
import { decodeLatin1 } from "./io.ts";

/** Field layout of a ratings file: `user SEP item SEP rating SEP timestamp`. */
export interface RatingsFormat {
  /** Field separator: "\t" (u.data, NCF files), "::" (ratings.dat) or "," (csv). */
  separator: "\t" | "::" | ",";
  /** Header the file must start with (csv), e.g. ["userId","movieId","rating","timestamp"]. */
  header?: string[];
}

/** Ratings with raw (dataset) ids, one entry per line. */
export interface RawRatings {
  /** Raw user id per row. Shape: [rows]. */
  users: Int32Array;
  /** Raw item id per row. Shape: [rows]. */
  items: Int32Array;
  /** Rating per row. Shape: [rows]. */
  ratings: Float32Array;
  /** Unix seconds per row. Shape: [rows]. */
  timestamps: Float64Array;
}

// Parser cursor: position after the last number read (module-level so that the
// number reader returns a plain number, not a tuple, in the hot loop).
let at = 0;

/**
 * Reads an unsigned/negative decimal number at `p` (digits, optional "." and digits,
 * optionally wrapped in double quotes when `quotes`). Returns NaN when there is none.
 */
function readNumber(b: Uint8Array, p: number, n: number, quotes: boolean): number {
  let quoted = false;
  if (quotes && p < n && b[p] === 34) {
    quoted = true;
    p++;
  }
  let neg = false;
  if (p < n && b[p] === 45) {
    neg = true;
    p++;
  }
  let v = 0;
  let digits = 0;
  while (p < n) {
    const c = b[p] - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    p++;
    digits++;
  }
  if (p < n && b[p] === 46) {
    p++;
    let f = 0;
    let scale = 1;
    while (p < n) {
      const c = b[p] - 48;
      if (c < 0 || c > 9) break;
      f = f * 10 + c;
      scale *= 10;
      p++;
      digits++;
    }
    v += f / scale;
  }
  if (quoted) {
    if (p < n && b[p] === 34) p++;
    else return NaN;
  }
  at = p;
  if (digits === 0) return NaN;
  return neg ? -v : v;
}

function lineTextAt(b: Uint8Array, p: number): string {
  let s = p;
  while (s > 0 && b[s - 1] !== 10) s--;
  let e = b.indexOf(10, s);
  if (e === -1) e = b.length;
  if (e > s && b[e - 1] === 13) e--;
  return decodeLatin1(b, s, e);
}

/**
 * The common case, unrolled: rows of four plain unsigned numbers (ids without a
 * fraction). Parses rows from `p` until the end or the first row that is anything else,
 * which it leaves untouched for the general (error-reporting) path. Returns the number of
 * rows parsed and sets `at` to the position after them.
 */
function fastRows(
  b: Uint8Array,
  p: number,
  n: number,
  sep: number,
  twoChar: boolean,
  users: Int32Array,
  items: Int32Array,
  ratings: Float32Array,
  timestamps: Float64Array,
  row: number,
  cap: number,
): number {
  const start = row;
  const step = twoChar ? 2 : 1;
  while (p < n && row < cap) {
    let q = p;
    let c = 0;
    // user id
    let u = 0;
    while (q < n && (c = b[q] - 48) >= 0 && c <= 9) {
      u = u * 10 + c;
      q++;
    }
    if (q === p || u > 2147483647 || b[q] !== sep || (twoChar && b[q + 1] !== sep)) break;
    q += step;
    // item id
    let s = q;
    let i = 0;
    while (q < n && (c = b[q] - 48) >= 0 && c <= 9) {
      i = i * 10 + c;
      q++;
    }
    if (q === s || i > 2147483647 || b[q] !== sep || (twoChar && b[q + 1] !== sep)) break;
    q += step;
    // rating, possibly with a fraction
    s = q;
    let r = 0;
    while (q < n && (c = b[q] - 48) >= 0 && c <= 9) {
      r = r * 10 + c;
      q++;
    }
    if (q === s) break;
    if (b[q] === 46) {
      q++;
      const fs = q;
      let f = 0;
      let scale = 1;
      while (q < n && (c = b[q] - 48) >= 0 && c <= 9) {
        f = f * 10 + c;
        scale *= 10;
        q++;
      }
      if (q === fs) break;
      r += f / scale;
    }
    if (b[q] !== sep || (twoChar && b[q + 1] !== sep)) break;
    q += step;
    // timestamp (integer or with a fraction)
    s = q;
    let t = 0;
    while (q < n && (c = b[q] - 48) >= 0 && c <= 9) {
      t = t * 10 + c;
      q++;
    }
    if (q === s) break;
    if (q < n && b[q] === 46) break; // rare: let the general path read it
    if (q < n && b[q] === 13) q++;
    if (q < n) {
      if (b[q] !== 10) break;
      q++;
    }
    users[row] = u;
    items[row] = i;
    ratings[row] = r;
    timestamps[row] = t;
    row++;
    p = q;
  }
  at = p;
  return row - start;
}

const FIELD_NAMES = ["user id", "item id", "rating", "timestamp"];

/**
 * Parses a ratings file's bytes into raw-id typed arrays.
 *
 * Rules: exactly 4 numeric fields per line; ids must be integers in [0, 2^31); a final
 * newline and trailing blank lines are fine, a blank line elsewhere is an error; CRLF is
 * accepted. Any other deviation raises `lineError(file, line, reason, text)`.
 *
 * @param bytes file content (already gunzipped).
 * @param file name used in error messages.
 * @throws DataError for malformed lines, a wrong header, or a file without ratings.
 */
export function parseRatingsBytes(
  bytes: Uint8Array,
  file: string,
  format: RatingsFormat,
): RawRatings {
  const b = bytes;
  const n = b.length;
  let p = 0;
  let lineNo = 1;
  if (n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) p = 3;
  if (format.header) {
    let e = b.indexOf(10, p);
    if (e === -1) e = n;
    const nl = e;
    if (e > p && b[e - 1] === 13) e--;
    const got = decodeLatin1(b, p, e);
    if (got !== format.header.join(format.separator)) {
      throw lineError(
        file,
        1,
        `unexpected header (expected ${JSON.stringify(format.header.join(format.separator))})`,
        got,
      );
    }
    p = nl + 1;
    lineNo = 2;
  }
  // Capacity from a typical row length (MovieLens rows are 20-30 bytes), grown by 1.5x
  // when short: counting lines first costs more than the occasional copy.
  let cap = Math.max(64, Math.ceil((n - p) / 20));
  let users = new Int32Array(cap);
  let items = new Int32Array(cap);
  let ratings = new Float32Array(cap);
  let timestamps = new Float64Array(cap);
  const grow = () => {
    cap = Math.ceil(cap * 1.5);
    const u = new Int32Array(cap);
    const i = new Int32Array(cap);
    const r = new Float32Array(cap);
    const t = new Float64Array(cap);
    u.set(users);
    i.set(items);
    r.set(ratings);
    t.set(timestamps);
    users = u;
    items = i;
    ratings = r;
    timestamps = t;
  };
  const sep0 = format.separator.charCodeAt(0);
  const twoChar = format.separator.length === 2;
  const quotes = format.separator === ",";
  let row = 0;
  while (p < n) {
    if (row === cap) grow();
    const done = fastRows(b, p, n, sep0, twoChar, users, items, ratings, timestamps, row, cap);
    if (done > 0) {
      row += done;
      lineNo += done;
      p = at;
      if (p >= n) break;
      if (row === cap) continue;
    }
    // Anything the fast path declined: one line through the general path, which reads
    // quoted or negative numbers and raises the line error.
    // Blank line: fine only when nothing but blank lines follows.
    if (b[p] === 10 || (b[p] === 13 && b[p + 1] === 10)) {
      let q = p;
      while (q < n && (b[q] === 10 || b[q] === 13)) q++;
      if (q >= n) break;
      throw lineError(file, lineNo, "empty line", "");
    }
    for (let f = 0; f < 4; f++) {
      const v = readNumber(b, p, n, quotes);
      if (v !== v) {
        throw lineError(
          file,
          lineNo,
          `field ${f + 1} (${FIELD_NAMES[f]}) is not a number`,
          lineTextAt(b, p),
        );
      }
      p = at;
      if (f === 0 || f === 1) {
        if (v < 0 || v > 2147483647 || Math.floor(v) !== v) {
          throw lineError(
            file,
            lineNo,
            `${FIELD_NAMES[f]} must be an integer in [0, 2^31)`,
            lineTextAt(b, p),
          );
        }
        if (f === 0) users[row] = v;
        else items[row] = v;
      } else if (f === 2) ratings[row] = v;
      else timestamps[row] = v;
      if (f < 3) {
        if (p < n && b[p] === sep0 && (!twoChar || b[p + 1] === sep0)) {
          p += twoChar ? 2 : 1;
        } else {
          const why = p >= n || b[p] === 10 || b[p] === 13
            ? `expected 4 fields separated by ${JSON.stringify(format.separator)}, got ${f + 1}`
            : `unexpected character ${JSON.stringify(String.fromCharCode(b[p]))} after field ${
              f + 1
            } (${FIELD_NAMES[f]})`;
          throw lineError(file, lineNo, why, lineTextAt(b, Math.min(p, n - 1)));
        }
      }
    }
    if (p < n && b[p] === 13) p++;
    if (p < n) {
      if (b[p] !== 10) {
        const why = b[p] === sep0
          ? "expected 4 fields, got more"
          : `unexpected character ${JSON.stringify(String.fromCharCode(b[p]))} after field 4`;
        throw lineError(file, lineNo, why, lineTextAt(b, p));
      }
      p++;
    }
    row++;
    lineNo++;
  }
  if (row === 0) throw new DataError(`${file}: no ratings (empty dataset)`);
  return {
    users: row === cap ? users : users.slice(0, row),
    items: row === cap ? items : items.slice(0, row),
    ratings: row === cap ? ratings : ratings.slice(0, row),
    timestamps: row === cap ? timestamps : timestamps.slice(0, row),
  };
}

/**
 * Maps raw integer ids to dense indices in ascending raw-id order.
 *
 * @returns `index[row]` (Int32Array, shape [rows]) and the sorted distinct raw ids.
 */
export function denseIds(raw: Int32Array): { index: Int32Array; ids: Int32Array } {
  const n = raw.length;
  const index = new Int32Array(n);
  if (n === 0) return { index, ids: new Int32Array(0) };
  let max = 0;
  let min = 0x7fffffff;
  for (let r = 0; r < n; r++) {
    const v = raw[r];
    if (v > max) max = v;
    if (v < min) min = v;
  }
  // MovieLens ids are small: a direct lookup table is the fastest map. Very large or
  // negative ids fall back to binary search in the sorted distinct ids.
  if (min >= 0 && max < 1 << 26) {
    const table = new Int32Array(max + 1);
    for (let r = 0; r < n; r++) table[raw[r]] = 1;
    let k = 0;
    for (let v = 0; v <= max; v++) if (table[v]) k++;
    const ids = new Int32Array(k);
    k = 0;
    for (let v = 0; v <= max; v++) {
      if (table[v]) {
        ids[k] = v;
        table[v] = k++;
      }
    }
    for (let r = 0; r < n; r++) index[r] = table[raw[r]];
    return { index, ids };
  }
  const sorted = raw.slice().sort();
  let k = 0;
  for (let r = 0; r < n; r++) if (r === 0 || sorted[r] !== sorted[r - 1]) sorted[k++] = sorted[r];
  const ids = sorted.slice(0, k);
  for (let r = 0; r < n; r++) {
    const v = raw[r];
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    index[r] = lo;
  }
  return { index, ids };
}

/**
 * Turns raw-id ratings into {@link Interactions}: users and items numbered 0..n-1 in
 * ascending raw-id order (as ../shared/anchors/make_ncf_split.py numbers them); rows keep
 * the file order.
 */
export function toInteractions(raw: RawRatings): Interactions {
  const u = denseIds(raw.users);
  const i = denseIds(raw.items);
  return {
    users: u.index,
    items: i.index,
    ratings: raw.ratings,
    timestamps: raw.timestamps,
    nUsers: u.ids.length,
    nItems: i.ids.length,
    userIds: new IdMap(u.ids),
    itemIds: new IdMap(i.ids),
  };
}
