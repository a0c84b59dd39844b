/**
 * An RFC-4180 CSV reader that keeps line numbers, for the metadata files (movies.csv,
 * links.csv, tags.csv, keywords.csv, movies_metadata.csv, credits.csv). Quoted fields may
 * hold commas, doubled quotes (`""`) and line breaks; records end in LF or CRLF.
 *
 * Ratings files do not come here: they go through the byte parser in ratings.ts.
 *
 * @module
 */
import { lineError } from "../util/errors.ts";

/** Parsed CSV: header plus records, each with the file line it starts on. */
export interface CsvTable {
  /** Column names from the first record (a UTF-8 BOM is removed). */
  header: string[];
  /** Data records, each with `header.length` fields. */
  records: string[][];
  /** 1-based file line on which each record starts. Shape: [records.length]. */
  lines: Int32Array;
  /** The file name used in error messages. */
  file: string;
  /** Text of record `k` as written in the file (for error messages). */
  recordText(k: number): string;
}

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** Required header: the first record must equal it, else a line-1 error. */
  expectHeader?: string[];
  /** Field delimiter (one character). Default ",". */
  delimiter?: string;
}

/**
 * Parses CSV text (RFC 4180 with a header row).
 *
 * A quote inside an unquoted field is taken literally (as Python's csv module does);
 * text after a closing quote, an unterminated quote, or a record with the wrong number
 * of fields raises `lineError(file, line, reason, text)`. Blank lines at the very end of
 * the file are ignored; a blank line elsewhere is an error (wrong field count).
 *
 * @example
 * ```ts
 * const t = parseCsv('id,title\r\n1,"Toy Story, The"\r\n', "movies.csv");
 * t.records[0][1]; // "Toy Story, The"
 * ```
 */
export function parseCsv(text: string, file: string, opts: CsvOptions = {}): CsvTable {
  const delim = (opts.delimiter ?? ",").charCodeAt(0);
  const n = text.length;
  // Ignore trailing blank lines (a file ending in "\n\n" or "\r\n\r\n").
  let end = n;
  while (end > 0 && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  const all: string[][] = [];
  const lineList: number[] = [];
  const startList: number[] = [];
  const endList: number[] = [];
  let i = 0;
  let line = 1;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < end) {
    const recLine = line;
    const recStart = i;
    const fields: string[] = [];
    for (;;) {
      if (text.charCodeAt(i) === 34 /* " */) {
        let buf = "";
        let p = i + 1;
        for (;;) {
          const q = text.indexOf('"', p);
          if (q === -1) {
            throw lineError(
              file,
              recLine,
              "unterminated quoted field",
              text.slice(recStart, Math.min(n, recStart + 200)),
            );
          }
          for (let c = text.indexOf("\n", p); c !== -1 && c < q; c = text.indexOf("\n", c + 1)) {
            line++;
          }
          if (text.charCodeAt(q + 1) === 34) {
            buf += text.slice(p, q + 1);
            p = q + 2;
          } else {
            buf += text.slice(p, q);
            p = q + 1;
            break;
          }
        }
        fields.push(buf);
        i = p;
        const c = i < n ? text.charCodeAt(i) : 10;
        if (c === delim) {
          i++;
          continue;
        }
        if (c === 10 || (c === 13 && (i + 1 >= n || text.charCodeAt(i + 1) === 10))) break;
        throw lineError(file, line, "text after a closing quote", lineAt(text, recStart));
      } else {
        let p = i;
        let c = 0;
        while (p < n) {
          c = text.charCodeAt(p);
          if (c === delim || c === 10) break;
          p++;
        }
        const stop = p < n && c === 10 && p > i && text.charCodeAt(p - 1) === 13 ? p - 1 : p;
        fields.push(text.slice(i, stop));
        i = p;
        if (p < n && c === delim) {
          i++;
          continue;
        }
        break;
      }
    }
    // i is at "\n", "\r\n" or the end.
    if (i < n && text.charCodeAt(i) === 13) i++;
    if (i < n && text.charCodeAt(i) === 10) i++;
    all.push(fields);
    lineList.push(recLine);
    startList.push(recStart);
    endList.push(i);
    line++;
  }
  if (all.length === 0) throw lineError(file, 1, "empty CSV file (no header row)");
  const header = all[0];
  if (opts.expectHeader) {
    const want = opts.expectHeader.join(",");
    if (header.join(",") !== want) {
      throw lineError(
        file,
        1,
        `unexpected header (expected ${JSON.stringify(want)})`,
        header.join(","),
      );
    }
  }
  const recordText = (k: number) =>
    text.slice(startList[k + 1], endList[k + 1]).replace(/\r?\n$/, "");
  for (let k = 1; k < all.length; k++) {
    if (all[k].length !== header.length) {
      throw lineError(
        file,
        lineList[k],
        `expected ${header.length} fields (${header.join(",")}), got ${all[k].length}`,
        recordText(k - 1),
      );
    }
  }
  return {
    header,
    records: all.slice(1),
    lines: Int32Array.from(lineList.slice(1)),
    file,
    recordText,
  };
}

function lineAt(text: string, start: number): string {
  const nl = text.indexOf("\n", start);
  return text.slice(start, nl === -1 ? text.length : nl).replace(/\r$/, "");
}

/** Column index of `name` in a parsed table; a line-1 error names the missing column. */
export function columnIndex(table: CsvTable, name: string): number {
  const k = table.header.indexOf(name);
  if (k === -1) {
    throw lineError(
      table.file,
      1,
      `missing column ${JSON.stringify(name)}`,
      table.header.join(","),
    );
  }
  return k;
}
