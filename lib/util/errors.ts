/**
 * Error types for bad input. Messages always name the thing at fault (file and line,
 * config key, parameter) so that a user can fix it without reading the code.
 *
 * @module
 */

/** Malformed or inconsistent input data: a file, a line, a checksum, an id. */
export class DataError extends Error {
  override name = "DataError";
}

/** An invalid configuration or parameter: names the key and the offending value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Training diverged (NaN/Inf loss or weights). */
export class DivergenceError extends Error {
  override name = "DivergenceError";
}

/** Formats an error at `file:line` with the offending text, shortened to 200 chars. */
export function lineError(file: string, line: number, message: string, text?: string): DataError {
  const shown = text === undefined
    ? ""
    : `: ${JSON.stringify(text.length > 200 ? text.slice(0, 200) + "..." : text)}`;
  return new DataError(`${file}:${line}: ${message}${shown}`);
}
