/**
 * Small assertion helpers on top of node:assert (JSR's @std/assert is not reachable
 * from every machine this project runs on).
 *
 * @module
 */
import assert from "node:assert/strict";

export { assert };
export const assertEquals: <T>(actual: unknown, expected: T, message?: string) => void =
  assert.deepStrictEqual;

/** Asserts |actual - expected| <= tol (absolute), with a message naming both. */
export function assertClose(actual: number, expected: number, tol = 1e-9, what = "value"): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new assert.AssertionError({
      message: `${what}: expected ${expected} +- ${tol}, got ${actual}`,
      actual,
      expected,
    });
  }
}

/** Asserts element-wise closeness of two numeric arrays. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-6,
  what = "array",
): void {
  assert.equal(
    actual.length,
    expected.length,
    `${what}: length ${actual.length} != ${expected.length}`,
  );
  for (let i = 0; i < actual.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}

/** Asserts that `fn` throws (or rejects) with a message matching `pattern`. */
export async function assertThrowsMatching(
  fn: () => unknown,
  pattern: RegExp,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const msg = (err as Error).message;
    assert.match(msg, pattern, `error message ${JSON.stringify(msg)} does not match ${pattern}`);
    return;
  }
  throw new assert.AssertionError({ message: `expected an error matching ${pattern}` });
}

/** A fresh temporary directory, removed by the returned disposer. */
export async function tempDir(
  prefix = "dser-test-",
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, remove: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}
