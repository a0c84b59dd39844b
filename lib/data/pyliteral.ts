/**
 * A parser for the Python literals that The Movies Dataset stores in CSV cells
 * (keywords.csv, credits.csv, movies_metadata.csv genres): lists and dicts written with
 * `repr()`, so strings use single quotes, or double quotes when they contain an
 * apostrophe (`"children's book"`), with Python escapes such as `\xa0` and `\'`.
 *
 * @module
 */

/** A parsed Python literal. Dicts become plain objects with string keys; tuples become arrays. */
export type PyValue = null | boolean | number | string | PyValue[] | { [key: string]: PyValue };

/** Thrown by {@link parsePythonLiteral}; `offset` is the character position in the input. */
export class PyLiteralError extends Error {
  override name = "PyLiteralError";
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/**
 * Parses one Python literal: `None`, `True`, `False`, numbers (incl. `nan`, `inf`),
 * strings ('...', "...", with escapes), lists, tuples and dicts.
 *
 * @example
 * ```ts
 * parsePythonLiteral(`[{'id': 931, 'name': 'jealousy'}, {'id': 1, 'name': "new year's eve"}]`);
 * // [{ id: 931, name: "jealousy" }, { id: 1, name: "new year's eve" }]
 * ```
 * @throws PyLiteralError with the offset and a short reason.
 */
export function parsePythonLiteral(text: string): PyValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail("unexpected text after the literal");
  return v;
}

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
};

const Q1 = 39; // '
const Q2 = 34; // "
const BACKSLASH = 92;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(msg: string): never {
    const near = this.s.slice(Math.max(0, this.i - 20), this.i + 20);
    throw new PyLiteralError(`${msg} at offset ${this.i} (near ${JSON.stringify(near)})`, this.i);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
    this.i = i;
  }

  value(): PyValue {
    const s = this.s;
    if (this.i >= s.length) this.fail("unexpected end of input");
    const c = s.charCodeAt(this.i);
    if (c === 91 /* [ */) return this.seq(93);
    if (c === 40 /* ( */) return this.seq(41);
    if (c === 123 /* { */) return this.dict();
    if (c === Q1 || c === Q2) return this.str();
    if (c === 78 && s.startsWith("None", this.i)) return this.word("None", null);
    if (c === 84 && s.startsWith("True", this.i)) return this.word("True", true);
    if (c === 70 && s.startsWith("False", this.i)) return this.word("False", false);
    return this.num();
  }

  word<T>(w: string, v: T): T {
    this.i += w.length;
    return v;
  }

  seq(close: number): PyValue[] {
    this.i++;
    const out: PyValue[] = [];
    const s = this.s;
    this.ws();
    if (s.charCodeAt(this.i) === close) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = s.charCodeAt(this.i);
      if (c === 44 /* , */) {
        this.i++;
        this.ws();
        if (s.charCodeAt(this.i) === close) {
          this.i++;
          return out;
        }
        continue;
      }
      if (c === close) {
        this.i++;
        return out;
      }
      this.fail(`expected "," or "${String.fromCharCode(close)}"`);
    }
  }

  dict(): { [key: string]: PyValue } {
    this.i++;
    const out: { [key: string]: PyValue } = {};
    const s = this.s;
    this.ws();
    if (s.charCodeAt(this.i) === 125 /* } */) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      const k = this.value();
      if (k !== null && typeof k === "object") this.fail("unhashable dict key");
      this.ws();
      if (s.charCodeAt(this.i) !== 58 /* : */) this.fail('expected ":"');
      this.i++;
      this.ws();
      out[String(k)] = this.value();
      this.ws();
      const c = s.charCodeAt(this.i);
      if (c === 44) {
        this.i++;
        this.ws();
        if (s.charCodeAt(this.i) === 125) {
          this.i++;
          return out;
        }
        continue;
      }
      if (c === 125) {
        this.i++;
        return out;
      }
      this.fail('expected "," or "}"');
    }
  }

  str(): string {
    const s = this.s;
    const q = s.charCodeAt(this.i);
    const start = this.i;
    let i = this.i + 1;
    let out = "";
    let run = i;
    for (;;) {
      // Scan to the next quote, backslash or line break.
      let c = 0;
      while (i < s.length) {
        c = s.charCodeAt(i);
        if (c === q || c === BACKSLASH || c === 10) break;
        i++;
      }
      if (i >= s.length) {
        this.i = start;
        this.fail("unterminated string");
      }
      if (c === q) {
        this.i = i + 1;
        return run === start + 1 && out === "" ? s.slice(run, i) : out + s.slice(run, i);
      }
      if (c === 10) {
        this.i = i;
        this.fail("line break in a string");
      }
      out += s.slice(run, i);
      const e = s[i + 1];
      if (e === undefined) {
        this.i = i;
        this.fail("unterminated escape");
      }
      if (e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else if (e === "x" || e === "u" || e === "U") {
        const len = e === "x" ? 2 : e === "u" ? 4 : 8;
        const digits = s.slice(i + 2, i + 2 + len);
        if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== len) {
          this.i = i;
          this.fail(`bad \\${e} escape`);
        }
        out += String.fromCodePoint(parseInt(digits, 16));
        i += 2 + len;
      } else if (e >= "0" && e <= "7") {
        const m = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4))!;
        out += String.fromCharCode(parseInt(m[0], 8));
        i += 1 + m[0].length;
      } else {
        // Python keeps unknown escapes as written (backslash included).
        out += "\\" + e;
        i += 2;
      }
      run = i;
    }
  }

  num(): number {
    // Fast path: a plain non-negative integer followed by a delimiter.
    const s = this.s;
    let i = this.i;
    let v = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      i++;
    }
    if (i > this.i && i - this.i < 16) {
      const c = s.charCodeAt(i);
      if (!(c === 46 || c === 101 || c === 69 || c === 106 /* . e E j */)) {
        this.i = i;
        return v;
      }
    }
    const m = /^[-+]?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/.exec(
      this.s.slice(this.i, this.i + 40),
    );
    if (!m) this.fail("expected a value");
    this.i += m[0].length;
    const t = m[0].replace(/^\+/, "");
    if (t.endsWith("nan")) return NaN;
    if (t.endsWith("inf")) return t.startsWith("-") ? -Infinity : Infinity;
    return Number(t);
  }
}
