/**
 * Seeded pseudo-random numbers shared by every stochastic step (splits, negatives,
 * initialisation, shuffling). One generator type everywhere makes "same seed, same
 * result" easy to keep.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna), seeded through SplitMix32 so that small
 * consecutive seeds give unrelated streams.
 *
 * @module
 */

/** SplitMix32 step: returns the next state and output packed for seeding. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

/**
 * A seeded generator (xoshiro128**). Not cryptographic.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.int(10); // integer in [0, 10)
 * rng.float(); // number in [0, 1)
 * ```
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** @param seed any integer; the same seed always gives the same stream. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    }
    // Fold a possibly large integer seed into 32 bits without losing its high part.
    let st = (seed >>> 0) ^ Math.floor(seed / 4294967296);
    let out: number;
    [st, out] = splitmix32(st);
    this.#s0 = out;
    [st, out] = splitmix32(st);
    this.#s1 = out;
    [st, out] = splitmix32(st);
    this.#s2 = out;
    [st, out] = splitmix32(st);
    this.#s3 = out;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** Next unsigned 32-bit integer. */
  u32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n), n >= 1 and < 2^32 (Lemire's unbiased method). */
  int(n: number): number {
    if (n <= 0 || n > 4294967296) throw new RangeError(`Rng.int: n must be in [1, 2^32], got ${n}`);
    // Rejection sampling removes modulo bias; the loop almost never repeats.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.u32();
    while (x >= limit) x = this.u32();
    return x % n;
  }

  /** Standard normal sample (Box-Muller). */
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `arr` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /**
   * An independent generator derived from this seed and a stream label, so that
   * sub-tasks (e.g. per-epoch negatives, per-worker streams) do not depend on how many
   * numbers other tasks drew.
   */
  static derive(seed: number, ...labels: (string | number)[]): Rng {
    let h = 0x811c9dc5 ^ (seed >>> 0) ^ Math.floor(seed / 4294967296);
    for (const label of labels) {
      const s = String(label);
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ 0xff, 0x01000193);
    }
    return new Rng(h >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
