/**
 * Significance tests and confidence intervals on two models' per-user metric vectors
 * (paired: entry u of both vectors is the same user). Special functions are implemented
 * here (no dependency): log-gamma (Lanczos), the regularized incomplete beta function
 * (continued fraction, modified Lentz) for Student's t, and the regularized incomplete
 * gamma function for the normal tail. Accuracy is close to double precision (relative
 * error around 1e-12 or better for p-values down to 1e-300); tests check against
 * closed forms and scipy values.
 *
 * @module
 */
import { Rng } from "../util/rng.ts";

// ---------------------------------------------------------------------------------------
// Special functions

const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, about 15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma: x must be > 0, got ${x}`);
  if (x < 0.5) {
    // Reflection keeps accuracy near 0: Γ(x)Γ(1-x) = π / sin(πx).
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const TINY = 1e-300;
const EPS = 1e-16;

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta: continued fraction did not converge (a=${a}, b=${b}, x=${x})`);
}

/**
 * Regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), a, b > 0,
 * 0 <= x <= 1. Uses the continued fraction on whichever side converges fast.
 */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incompleteBeta: a, b must be > 0 (a=${a}, b=${b})`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) +
    b * Math.log1p(-x);
  const front = Math.exp(logFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), a > 0, x >= 0: series for
 * x < a + 1, continued fraction otherwise (accurate in the far tail).
 */
export function incompleteGammaUpper(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`incompleteGammaUpper: a must be > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incompleteGammaUpper: x must be >= 0, got ${x}`);
  if (x === 0) return 1;
  const logFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 100000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) return 1 - sum * Math.exp(logFront);
    }
    throw new Error(`incomplete gamma: series did not converge (a=${a}, x=${x})`);
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return Math.exp(logFront) * h;
  }
  throw new Error(`incomplete gamma: continued fraction did not converge (a=${a}, x=${x})`);
}

/** Complementary error function erfc(x), accurate in the tails (via Q(1/2, x²)). */
export function erfc(x: number): number {
  if (x !== x) return NaN;
  const q = incompleteGammaUpper(0.5, x * x);
  return x >= 0 ? q : 2 - q;
}

/** Standard normal upper tail P(Z > z). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Two-sided p-value of Student's t statistic with `df` degrees of freedom: P(|T| >= |t|). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTTwoSidedP: df must be > 0, got ${df}`);
  if (t !== t) return NaN;
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / 2, 0.5, df / (df + t * t));
}

// ---------------------------------------------------------------------------------------
// Paired tests

function checkPaired(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${what}: vectors differ in length (${a.length} vs ${b.length})`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) {
      throw new RangeError(`${what}: entry ${i} is not finite (${a[i]}, ${b[i]})`);
    }
  }
}

/** Result of {@link pairedTTest}. */
export interface TTestResult {
  /** Pairs. */
  n: number;
  /** Mean of a - b. */
  meanDiff: number;
  /** Sample standard deviation of a - b (n - 1 in the denominator). */
  sdDiff: number;
  /** t = meanDiff / (sdDiff / sqrt(n)); 0 when every difference is 0, ±Infinity when all equal and nonzero. */
  t: number;
  df: number;
  /** Two-sided p-value. */
  pValue: number;
}

/**
 * Paired two-sided t-test of mean(a - b) = 0 (scipy.stats.ttest_rel). Degenerate cases:
 * all differences 0 gives t = 0, p = 1; all differences equal and nonzero gives
 * t = ±Infinity, p = 0.
 *
 * @param a per-user values of model A, shape [n], n >= 2
 * @param b per-user values of model B for the same users, shape [n]
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): TTestResult {
  checkPaired(a, b, "pairedTTest");
  const n = a.length;
  if (n < 2) throw new RangeError(`pairedTTest: needs at least 2 pairs, got ${n}`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += a[i] - b[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i] - mean;
    ss += d * d;
  }
  const sd = Math.sqrt(ss / (n - 1));
  const df = n - 1;
  // Differences equal up to rounding count as a zero spread.
  if (sd <= 1e-14 * Math.max(1, Math.abs(mean))) {
    if (mean === 0 || Math.abs(mean) <= 1e-14) {
      return { n, meanDiff: 0, sdDiff: 0, t: 0, df, pValue: 1 };
    }
    return { n, meanDiff: mean, sdDiff: 0, t: mean > 0 ? Infinity : -Infinity, df, pValue: 0 };
  }
  const t = mean / (sd / Math.sqrt(n));
  return { n, meanDiff: mean, sdDiff: sd, t, df, pValue: studentTTwoSidedP(t, df) };
}

/** Result of {@link wilcoxonSignedRank}. */
export interface WilcoxonResult {
  /** Pairs given. */
  n: number;
  /** Pairs with a zero difference (dropped before ranking). */
  zeros: number;
  /** Pairs ranked (n - zeros). */
  nRanked: number;
  /** Sum of the ranks of positive differences a - b. */
  wPlus: number;
  /** Sum of the ranks of negative differences. */
  wMinus: number;
  /** min(wPlus, wMinus), the statistic scipy reports for the two-sided test. */
  statistic: number;
  /** Normal-approximation z (with tie and continuity correction); NaN for the exact method. */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  /** "exact": permutation distribution of the ranks; "normal": approximation. */
  method: "exact" | "normal";
}

/** Largest number of ranked pairs for which the exact distribution is used by default. */
export const WILCOXON_EXACT_MAX = 50;

/** Largest number of ranked pairs the exact method accepts (cost grows as n³). */
export const WILCOXON_EXACT_LIMIT = 1000;

/**
 * Wilcoxon signed-rank test (two-sided) of a - b symmetric about 0.
 *
 * - Zero differences are dropped (Wilcoxon's original rule, scipy's default
 *   `zero_method="wilcox"`); `zeros` reports how many. No ranked pair left: p = 1.
 * - Tied |differences| get the average of their ranks.
 * - nRanked <= 50 (or `method: "exact"`): exact p from the permutation distribution of
 *   the signs over the actual (possibly tied, mid-) ranks, enumerated by dynamic
 *   programming on doubled ranks; p = min(1, 2 min(P(W+ <= w), P(W+ >= w))).
 * - Otherwise the normal approximation: mean n(n+1)/4, variance
 *   n(n+1)(2n+1)/24 - Σ(t³ - t)/48 over tie groups of size t, continuity correction 0.5
 *   towards the mean.
 *
 * Per-user HR@K vectors are 0/1, so differences are -1/0/1 and almost all tied: the test
 * then behaves like a sign test on the users where the models disagree.
 */
export function wilcoxonSignedRank(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { method?: "auto" | "exact" | "normal" } = {},
): WilcoxonResult {
  checkPaired(a, b, "wilcoxonSignedRank");
  const n = a.length;
  const diffs: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) diffs.push(d);
  }
  const m = diffs.length;
  const zeros = n - m;
  if (m === 0) {
    return {
      n,
      zeros,
      nRanked: 0,
      wPlus: 0,
      wMinus: 0,
      statistic: 0,
      z: NaN,
      pValue: 1,
      method: "exact",
    };
  }
  // Rank |d| ascending with average ranks for ties; keep doubled ranks (integers).
  const order = diffs.map((_, i) => i).sort((x, y) => Math.abs(diffs[x]) - Math.abs(diffs[y]));
  const rank2 = new Int32Array(m); // doubled average rank
  let tieTerm = 0; // Σ (t³ - t)
  for (let s = 0; s < m;) {
    let e = s + 1;
    while (e < m && Math.abs(diffs[order[e]]) === Math.abs(diffs[order[s]])) e++;
    // Ranks s+1 .. e (1-based), average (s+1+e)/2, doubled s+1+e.
    for (let q = s; q < e; q++) rank2[order[q]] = s + 1 + e;
    const t = e - s;
    tieTerm += t * t * t - t;
    s = e;
  }
  let wPlus2 = 0;
  let total2 = 0;
  for (let i = 0; i < m; i++) {
    total2 += rank2[i];
    if (diffs[i] > 0) wPlus2 += rank2[i];
  }
  const wPlus = wPlus2 / 2;
  const wMinus = (total2 - wPlus2) / 2;
  const method = opts.method === "exact" || opts.method === "normal"
    ? opts.method
    : m <= WILCOXON_EXACT_MAX
    ? "exact"
    : "normal";
  if (method === "exact" && m > WILCOXON_EXACT_LIMIT) {
    throw new RangeError(
      `wilcoxonSignedRank: exact method limited to ${WILCOXON_EXACT_LIMIT} ranked pairs ` +
        `(got ${m}); use the normal approximation`,
    );
  }
  let pValue: number;
  let z = NaN;
  if (method === "exact") {
    // dist[w] = P(W+ doubled = w) under random signs.
    const dist = new Float64Array(total2 + 1);
    dist[0] = 1;
    let reach = 0;
    for (let i = 0; i < m; i++) {
      const r = rank2[i];
      for (let w = reach; w >= 0; w--) {
        const p = dist[w] * 0.5;
        dist[w] = p;
        dist[w + r] += p;
      }
      reach += r;
    }
    let lower = 0;
    let upper = 0;
    for (let w = 0; w <= total2; w++) {
      if (w <= wPlus2) lower += dist[w];
      if (w >= wPlus2) upper += dist[w];
    }
    pValue = Math.min(1, 2 * Math.min(lower, upper));
  } else {
    const mean = (m * (m + 1)) / 4;
    const variance = (m * (m + 1) * (2 * m + 1)) / 24 - tieTerm / 48;
    const dev = Math.max(0, Math.abs(wPlus - mean) - 0.5);
    z = variance > 0 ? (Math.sign(wPlus - mean) * dev) / Math.sqrt(variance) : 0;
    pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  }
  return {
    n,
    zeros,
    nRanked: m,
    wPlus,
    wMinus,
    statistic: Math.min(wPlus, wMinus),
    z,
    pValue,
    method,
  };
}

// ---------------------------------------------------------------------------------------
// Bootstrap and multiple comparisons

/** A percentile bootstrap interval for a mean. */
export interface BootstrapCI {
  /** Mean of the original sample. */
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level, e.g. 0.95. */
  confidence: number;
  resamples: number;
}

/** Options of the bootstrap functions. */
export interface BootstrapOptions {
  /** Resamples drawn, default 2000. */
  resamples?: number;
  /** Confidence level in (0, 1), default 0.95. */
  confidence?: number;
  /** Seed of the resampling (Rng.derive(seed, "bootstrap")), default 0. */
  seed?: number;
}

/** Quantile q of sorted values with linear interpolation (numpy's default, type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantileSorted: empty input");
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile bootstrap confidence interval of the mean of `values`: resample users with
 * replacement `resamples` times (seeded), take the (1-c)/2 and (1+c)/2 quantiles of the
 * resampled means. Same seed, same interval.
 */
export function bootstrapMeanCI(
  values: ArrayLike<number>,
  opts: BootstrapOptions = {},
): BootstrapCI {
  const n = values.length;
  if (n === 0) throw new RangeError("bootstrapMeanCI: no values");
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`bootstrapMeanCI: entry ${i} is not finite (${values[i]})`);
    }
  }
  const resamples = opts.resamples ?? 2000;
  const confidence = opts.confidence ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 1)) {
    throw new RangeError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  }
  const rng = Rng.derive(opts.seed ?? 0, "bootstrap");
  let estimate = 0;
  for (let i = 0; i < n; i++) estimate += values[i];
  estimate /= n;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const alpha = (1 - confidence) / 2;
  return {
    estimate,
    lower: quantileSorted(means, alpha),
    upper: quantileSorted(means, 1 - alpha),
    confidence,
    resamples,
  };
}

/** Percentile bootstrap interval of mean(a - b) over paired users (users resampled). */
export function pairedBootstrapCI(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: BootstrapOptions = {},
): BootstrapCI {
  checkPaired(a, b, "pairedBootstrapCI");
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = a[i] - b[i];
  return bootstrapMeanCI(d, opts);
}

/**
 * Holm's step-down adjustment of p-values for several comparisons (controls the
 * family-wise error rate). Returns adjusted p-values in the input order:
 * sort ascending, adj_(i) = max over j <= i of min(1, (m - j) p_(j)) (0-based j).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holmAdjust: p-value ${p} is not in [0, 1]`);
  }
  const order = pValues.map((_, i) => i).sort((x, y) => pValues[x] - pValues[y]);
  const out = new Array<number>(m);
  let running = 0;
  for (let j = 0; j < m; j++) {
    running = Math.max(running, Math.min(1, (m - j) * pValues[order[j]]));
    out[order[j]] = running;
  }
  return out;
}
