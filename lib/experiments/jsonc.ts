/**
 * JSON with comments (JSONC), as used by experiment configs: `//` and `/* *\/` comments
 * and trailing commas are allowed. Syntax errors name the file, line and column.
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";

/**
 * Replaces comments and trailing commas by spaces, keeping every other character at its
 * offset (so JSON.parse positions map back to the original text).
 */
export function stripJsonc(text: string): string {
  const out = text.split("");
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      // Skip a string literal, honouring escapes.
      i++;
      while (i < n && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") out[i++] = " ";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) if (text[i] !== "\n") out[i] = " ";
    } else if (c === ",") {
      // A trailing comma: the next significant character closes an object or array.
      let j = i + 1;
      for (;;) {
        while (j < n && /\s/.test(text[j])) j++;
        if (text[j] === "/" && text[j + 1] === "/") {
          while (j < n && text[j] !== "\n") j++;
        } else if (text[j] === "/" && text[j + 1] === "*") {
          const end = text.indexOf("*/", j + 2);
          j = end < 0 ? n : end + 2;
        } else break;
      }
      if (text[j] === "}" || text[j] === "]") out[i] = " ";
      i++;
    } else {
      i++;
    }
  }
  return out.join("");
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastNl = -1;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text[i] === "\n") {
      line++;
      lastNl = i;
    }
  }
  return { line, column: offset - lastNl };
}

/**
 * Parses JSONC text; `source` (a file name) prefixes error messages as `file:line:col`.
 * @throws ConfigError on a syntax error.
 */
export function parseJsonc(text: string, source = "config"): unknown {
  const stripped = stripJsonc(text);
  try {
    return JSON.parse(stripped);
  } catch (err) {
    const msg = (err as Error).message;
    // V8 reports either "at position N" or "(line L column C)".
    const pos = /at position (\d+)/.exec(msg);
    const lc = /line (\d+) column (\d+)/.exec(msg);
    let where = source;
    if (lc) where = `${source}:${lc[1]}:${lc[2]}`;
    else if (pos) {
      const { line, column } = lineColumn(text, Number(pos[1]));
      where = `${source}:${line}:${column}`;
    } else if (/end of JSON input/i.test(msg)) {
      const { line, column } = lineColumn(text, text.length);
      where = `${source}:${line}:${column}`;
    }
    const detail = msg.replace(/^JSON\.parse: /, "").replace(/ in JSON at position \d+.*$/, "");
    throw new ConfigError(`${where}: invalid JSON: ${detail}`);
  }
}

/**
 * The 1-based line of the first occurrence of `"key"` as an object key in `text`, or
 * undefined; used to point validation errors at the line of the offending key.
 */
export function lineOfKey(text: string, key: string): number | undefined {
  const re = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\s*:`);
  const m = re.exec(stripJsonc(text));
  return m ? lineColumn(text, m.index).line : undefined;
}
