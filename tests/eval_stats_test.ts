/**
 * Statistics against closed forms, brute-force enumeration and reference values computed
 * once with scipy 1.10.1 (Debian python3-scipy; the command is quoted beside each value).
 */
import { assert, assertClose, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  bootstrapMeanCI,
  erfc,
  holmAdjust,
  incompleteBeta,
  logGamma,
  normalSf,
  pairedBootstrapCI,
  pairedTTest,
  quantileSorted,
  studentTTwoSidedP,
  wilcoxonSignedRank,
} from "../lib/eval/mod.ts";
import { Rng } from "../lib/util/mod.ts";

/** |actual - expected| <= rel * |expected|. */
function assertRel(actual: number, expected: number, rel: number, what: string): void {
  assertClose(actual, expected, rel * Math.abs(expected), what);
}

Deno.test("logGamma: factorials and Γ(1/2) = √π", () => {
  let f = 1;
  for (let n = 1; n <= 20; n++) {
    assertRel(logGamma(n + 1), Math.log(f *= n), 1e-13, `lnΓ(${n + 1})`);
  }
  assertRel(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, "lnΓ(1/2)");
  assertRel(logGamma(1e-3), Math.log(999.4237724845955), 1e-10, "lnΓ(0.001)");
});

Deno.test("incomplete beta: closed forms, symmetry and scipy values", () => {
  for (const x of [0.01, 0.2, 0.5, 0.77, 0.999]) {
    assertRel(incompleteBeta(1, 1, x), x, 1e-13, `I_${x}(1,1)`);
    assertRel(incompleteBeta(3.5, 1, x), x ** 3.5, 1e-12, `I_${x}(3.5,1)`);
    assertRel(incompleteBeta(1, 2.5, x), 1 - (1 - x) ** 2.5, 1e-12, `I_${x}(1,2.5)`);
    for (const [a, b] of [[2, 7], [0.5, 30], [120, 3]]) {
      assertClose(incompleteBeta(a, b, x) + incompleteBeta(b, a, 1 - x), 1, 1e-13, "symmetry");
    }
  }
  assertClose(incompleteBeta(40, 40, 0.5), 0.5, 1e-13, "I_0.5(a,a)");
  // scipy.special.betainc(3.5, 4000.0, 0.0004), betainc(0.5, 0.5, 0.999)
  assertRel(incompleteBeta(3.5, 4000, 0.0004), 0.13425663134368152, 1e-10, "scipy 1");
  assertRel(incompleteBeta(0.5, 0.5, 0.999), 0.9798649583666225, 1e-12, "scipy 2");
  // Arcsine law: I_x(1/2, 1/2) = (2/π) asin(√x).
  assertRel(
    incompleteBeta(0.5, 0.5, 0.3),
    (2 / Math.PI) * Math.asin(Math.sqrt(0.3)),
    1e-12,
    "asin",
  );
});

Deno.test("Student t p-values: Cauchy (df 1), df 2 closed form, scipy values", () => {
  for (const t of [0, 0.3, 1, 2.5, 10, 300]) {
    assertRel(studentTTwoSidedP(t, 1), 1 - (2 / Math.PI) * Math.atan(t), 1e-12, `df1 t=${t}`);
    assertRel(studentTTwoSidedP(-t, 2), 1 - t / Math.sqrt(2 + t * t), 1e-11, `df2 t=${t}`);
  }
  // 2 * scipy.stats.t.sf(2.0, 5999), 2 * scipy.stats.t.sf(12.0, 30)
  assertRel(studentTTwoSidedP(2.0, 5999), 0.04554526742938599, 1e-10, "df 5999");
  assertRel(studentTTwoSidedP(12.0, 30), 5.580185415199261e-13, 1e-9, "df 30");
  assertEquals(studentTTwoSidedP(Infinity, 5), 0);
});

Deno.test("normal tail: erfc values and symmetry", () => {
  assertEquals(erfc(0), 1);
  assertRel(erfc(1), 0.15729920705028513, 1e-13, "erfc(1)"); // known constant
  assertRel(erfc(5), 1.5374597944280347e-12, 1e-11, "erfc(5)"); // scipy.special.erfc(5.0)
  assertRel(normalSf(8), 6.22096057427174e-16, 1e-10, "sf(8)"); // scipy.stats.norm.sf(8.0)
  assertClose(normalSf(1.959963984540054), 0.025, 1e-15, "sf(1.96)");
  assertClose(erfc(-0.7) + erfc(0.7), 2, 1e-15, "erfc symmetry");
});

Deno.test("paired t-test: scipy ttest_rel, n = 2 by hand, degenerate cases", async () => {
  const a = [0.61, 0.32, 0.95, 0.44, 0.58, 0.71, 0.29, 0.83, 0.5, 0.66];
  const b = [0.55, 0.41, 0.80, 0.40, 0.62, 0.52, 0.30, 0.70, 0.51, 0.58];
  const r = pairedTTest(a, b);
  // scipy.stats.ttest_rel(a, b): statistic 1.7677669529663684, pvalue 0.11089636269947781
  assertRel(r.t, 1.7677669529663684, 1e-12, "t");
  assertRel(r.pValue, 0.11089636269947781, 1e-10, "p");
  assertEquals(r.df, 9);
  // n = 2: d = [1, 3]: mean 2, sd √2, t = 2 / (√2 / √2) = 2, df 1: Cauchy tail.
  const two = pairedTTest([1, 3], [0, 0]);
  assertClose(two.t, 2, 1e-12, "t");
  assertClose(two.pValue, 1 - (2 / Math.PI) * Math.atan(2), 1e-12, "p");
  assertEquals(pairedTTest([1, 2, 3], [1, 2, 3]).pValue, 1);
  const shifted = pairedTTest([1, 2, 3], [0, 1, 2]);
  assertEquals(shifted.pValue, 0);
  assertEquals(shifted.t, Infinity);
  await assertThrowsMatching(() => pairedTTest([1], [2]), /at least 2/);
  await assertThrowsMatching(() => pairedTTest([1, 2], [2]), /differ in length/);
  await assertThrowsMatching(() => pairedTTest([1, NaN], [2, 3]), /entry 1 is not finite/);
});

/** Exact two-sided p by enumerating all 2^m sign patterns, ranks computed by counting. */
function bruteWilcoxonP(d: number[]): number {
  const nz = d.filter((x) => x !== 0);
  const m = nz.length;
  const abs = nz.map(Math.abs);
  // Average rank = (#smaller) + (#equal + 1) / 2.
  const rank = abs.map((x) =>
    abs.filter((y) => y < x).length + (abs.filter((y) => y === x).length + 1) / 2
  );
  const w = nz.reduce((s, x, i) => s + (x > 0 ? rank[i] : 0), 0);
  let lower = 0;
  let upper = 0;
  for (let mask = 0; mask < 1 << m; mask++) {
    let s = 0;
    for (let i = 0; i < m; i++) if (mask & (1 << i)) s += rank[i];
    if (s <= w + 1e-9) lower++;
    if (s >= w - 1e-9) upper++;
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / (1 << m));
}

Deno.test("Wilcoxon exact: equals brute-force enumeration, with zeros and ties", () => {
  const rng = new Rng(21);
  for (let trial = 0; trial < 25; trial++) {
    const n = 1 + rng.int(14);
    // Small integer differences: many ties and zeros.
    const a = Array.from({ length: n }, () => rng.int(5));
    const b = Array.from({ length: n }, () => rng.int(5));
    const r = wilcoxonSignedRank(a, b);
    const d = a.map((x, i) => x - b[i]);
    assertEquals(r.zeros, d.filter((x) => x === 0).length);
    assertEquals(r.method, "exact");
    assertClose(r.pValue, bruteWilcoxonP(d), 1e-12, `trial ${trial} p`);
    assertClose(r.wPlus + r.wMinus, (r.nRanked * (r.nRanked + 1)) / 2, 1e-12, "rank sum");
  }
  // No tie: d = 1..8 with signs (+,+,-,+,+,+,-,+): W- = 3 + 7 = 10 by hand.
  const d = [1, 2, -3, 4, 5, 6, -7, 8];
  const r = wilcoxonSignedRank(d, d.map(() => 0));
  assertEquals(r.statistic, 10);
  assertClose(r.pValue, bruteWilcoxonP(d), 1e-15, "no ties");
  // All differences zero: nothing to rank.
  const z = wilcoxonSignedRank([1, 2], [1, 2]);
  assertEquals([z.nRanked, z.pValue], [0, 1]);
});

Deno.test("Wilcoxon normal approximation: scipy (tie + continuity correction)", () => {
  // x from numpy default_rng(5): round(normal(0.1, 1, 80), 1); y = 0.
  // scipy.stats.wilcoxon(x, y, mode="approx", correction=True):
  // statistic 1320.5, pvalue 0.35905654156790434
  const x = [
    -0.7,
    -1.2,
    -0.1,
    0.5,
    1.2,
    0.2,
    -0.5,
    -0.7,
    0.8,
    1.7,
    0.4,
    -1.1,
    -0.9,
    1.7,
    0.3,
    -1.6,
    0.0,
    -1.1,
    -0.5,
    -0.4,
    -0.6,
    0.7,
    0.0,
    -0.5,
    0.5,
    0.9,
    -1.5,
    -0.2,
    -0.9,
    -0.1,
    -1.2,
    0.1,
    0.1,
    -0.2,
    -0.9,
    -0.3,
    -1.0,
    -1.3,
    0.3,
    -1.0,
    1.3,
    0.8,
    -1.9,
    0.4,
    -1.0,
    0.1,
    0.1,
    -1.9,
    -0.1,
    -0.2,
    1.1,
    -1.1,
    0.8,
    -1.0,
    -0.2,
    -0.7,
    1.5,
    0.7,
    2.5,
    0.7,
    0.9,
    0.9,
    -0.5,
    0.0,
    1.5,
    -0.3,
    0.3,
    0.1,
    0.7,
    -0.3,
    -0.1,
    0.3,
    0.2,
    -0.8,
    1.0,
    -1.2,
    -1.1,
    -1.2,
    1.1,
    -0.3,
  ];
  const r = wilcoxonSignedRank(x, x.map(() => 0));
  assertEquals(r.method, "normal");
  assertEquals(r.zeros, 3);
  assertEquals(r.statistic, 1320.5);
  assertRel(r.pValue, 0.35905654156790434, 1e-10, "p");
  // Without ties and n = 40, the approximation is close to the exact value.
  const d = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? -(i + 1) : i + 1));
  const exact = wilcoxonSignedRank(d, d.map(() => 0), { method: "exact" }).pValue;
  const approx = wilcoxonSignedRank(d, d.map(() => 0), { method: "normal" }).pValue;
  assertClose(approx, exact, 0.01, "normal vs exact at n = 40");
});

Deno.test("bootstrap: seeded, brackets the estimate, width matches the standard error", async () => {
  const rng = new Rng(1);
  const v = Float64Array.from({ length: 2000 }, () => (rng.float() < 0.3 ? 1 : 0));
  const a = bootstrapMeanCI(v, { seed: 4, resamples: 1000 });
  const b = bootstrapMeanCI(v, { seed: 4, resamples: 1000 });
  const c = bootstrapMeanCI(v, { seed: 5, resamples: 1000 });
  assertEquals(a, b);
  assert(a.lower !== c.lower || a.upper !== c.upper, "another seed, another interval");
  assert(a.lower < a.estimate && a.estimate < a.upper);
  const p = a.estimate;
  const se = Math.sqrt((p * (1 - p)) / v.length);
  assertClose(a.upper - a.lower, 2 * 1.959964 * se, 0.15 * 2 * 1.959964 * se, "width");
  const d = pairedBootstrapCI([1, 2, 3, 4], [1, 1, 1, 1], { seed: 1, resamples: 200 });
  assertClose(d.estimate, 1.5, 1e-12, "paired estimate");
  assert(d.lower >= 0 && d.upper <= 3);
  await assertThrowsMatching(() => bootstrapMeanCI([]), /no values/);
  await assertThrowsMatching(() => bootstrapMeanCI([1], { confidence: 1 }), /confidence/);
});

Deno.test("quantiles interpolate linearly (numpy default)", () => {
  const s = [1, 2, 4, 8];
  assertEquals(quantileSorted(s, 0), 1);
  assertEquals(quantileSorted(s, 1), 8);
  assertClose(quantileSorted(s, 0.5), 3, 1e-15, "median");
  assertClose(quantileSorted(s, 0.25), 1.75, 1e-15, "q25");
});

Deno.test("Holm adjustment: worked example, monotone, capped at 1", async () => {
  // Sorted: 0.005 x4 = 0.02; 0.01 x3 = 0.03; 0.03 x2 = 0.06; 0.04 x1 = 0.04 -> max 0.06.
  const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((v, i) => assertClose(adj[i], v, 1e-15, `p${i}`));
  assertEquals(holmAdjust([0.6, 0.9]), [1, 1]);
  assertEquals(holmAdjust([]), []);
  await assertThrowsMatching(() => holmAdjust([1.2]), /not in \[0, 1\]/);
});
