import { assert, assertClose, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  buildVocabulary,
  corpusFromDocuments,
  CUM_TABLE_DOMAIN,
  documentSeeds,
  keepProbability,
  NULL_WORD,
} from "../lib/embedding/mod.ts";
import { buildExpTable, JsKernel, type KernelState } from "../lib/embedding/kernel_js.ts";

/** A corpus whose word `w<k>` occurs `counts[k]` times, spread over a few documents. */
function corpusWithCounts(counts: number[]) {
  const words: string[] = [];
  counts.forEach((c, k) => {
    for (let i = 0; i < c; i++) words.push(`w${k}`);
  });
  return corpusFromDocuments([
    { words: words.filter((_, i) => i % 2 === 0), tag: 0 },
    { words: words.filter((_, i) => i % 2 === 1), tag: 1 },
  ]);
}

const OPTS = { minCount: 1, sample: 1e-3, nsExponent: 0.75, nullWord: false };

Deno.test("embedding vocab: minCount drops rare words, order is by descending count", () => {
  const c = corpusWithCounts([3, 10, 1, 7, 3]);
  const v = buildVocabulary(c, { ...OPTS, minCount: 3 });
  assertEquals(v.words, ["w1", "w3", "w0", "w4"]); // ties (w0, w4 both 3) by first appearance
  assertEquals(Array.from(v.counts), [10, 7, 3, 3]);
  assertEquals(v.stats.rawTypes, 5);
  assertEquals(v.stats.keptTypes, 4);
  assertEquals(v.stats.rawWords, 24);
  assertEquals(v.stats.keptWords, 23);
  const w2 = c.keys.indexOf("w2");
  assertEquals(v.tokenToWord[w2], -1);
  assertEquals(v.words[v.tokenToWord[c.keys.indexOf("w3")]], "w3");
});

Deno.test("embedding vocab: a vocabulary emptied by minCount names minCount", async () => {
  const c = corpusWithCounts([2, 3]);
  await assertThrowsMatching(
    () => buildVocabulary(c, { ...OPTS, minCount: 4 }),
    /minCount: 4 removes every word \(the most frequent of 2 distinct words occurs 3 times\)/,
  );
});

Deno.test("embedding vocab: subsampling keep probabilities follow gensim's formula", () => {
  // Hand-worked: kept total 1000 tokens, sample 0.01 -> threshold t = 10.
  // count 500: (sqrt(500/10) + 1) * 10/500 = (7.0711 + 1) / 50 = 0.161421
  // count 40:  (sqrt(4) + 1) * 10/40 = 0.75;  count 10: (1 + 1) * 1 = 2 -> capped at 1.
  assertClose(keepProbability(500, 1000, 0.01), (Math.sqrt(50) + 1) / 50, 1e-15);
  assertClose(keepProbability(40, 1000, 0.01), 0.75, 1e-15);
  assertEquals(keepProbability(10, 1000, 0.01), 1);
  assertEquals(keepProbability(900, 1000, 0), 1); // sample 0: nothing downsampled
  // sample >= 1 means "downsample words seen more than about `sample` times".
  const t = Math.trunc(5 * (3 + Math.sqrt(5)) / 2); // 13
  assertClose(keepProbability(100, 1000, 5), (Math.sqrt(100 / t) + 1) * (t / 100), 1e-15);

  const c = corpusWithCounts([500, 40, 10, 450]);
  const v = buildVocabulary(c, { ...OPTS, sample: 0.01 });
  for (let w = 0; w < v.words.length; w++) {
    const p = keepProbability(v.counts[w], 1000, 0.01);
    assertEquals(v.sampleInt[w], Math.floor(p * (2 ** 32 - 1)), `sampleInt of ${v.words[w]}`);
  }
  assertEquals(v.stats.downsampledTypes, 3);
});

Deno.test("embedding vocab: the kernel keeps each token with the formula's probability", () => {
  const counts = [500, 40, 10, 450];
  const c = corpusWithCounts(counts);
  const v = buildVocabulary(c, { ...OPTS, sample: 0.01 });
  // One document of every token, in vocabulary indices.
  const words = Int32Array.from(c.words, (t) => v.tokenToWord[t]);
  const state = kernelState(v, words);
  const k = new JsKernel(state);
  const kept = new Float64Array(v.words.length);
  const trials = 400;
  const seeds = new Float64Array(trials);
  documentSeeds(3, 0, seeds);
  for (let s = 0; s < trials; s++) {
    k.seed(seeds[s]);
    const n = k.filterDocument(0);
    for (const w of k.keptWords(n)) kept[w]++;
  }
  for (let w = 0; w < v.words.length; w++) {
    const p = keepProbability(v.counts[w], 1000, 0.01);
    const n = v.counts[w] * trials;
    const rate = kept[w] / n;
    const sd = Math.sqrt(p * (1 - p) / n);
    assert(
      Math.abs(rate - p) <= 5 * sd + 1e-12,
      `${v.words[w]}: kept ${rate.toFixed(4)} of tokens, formula ${p.toFixed(4)} (sd ${sd})`,
    );
  }
});

Deno.test("embedding vocab: negative-sampling table and draws follow count^0.75", () => {
  const counts = [1000, 100, 10, 1];
  const c = corpusWithCounts(counts);
  const v = buildVocabulary(c, OPTS);
  assertEquals(v.cumTable[v.cumTable.length - 1], CUM_TABLE_DOMAIN);
  const pow = counts.map((x) => x ** 0.75);
  const z = pow.reduce((a, b) => a + b, 0);
  let cum = 0;
  for (let w = 0; w < 4; w++) {
    cum += pow[w];
    assertClose(v.cumTable[w], Math.round((cum / z) * CUM_TABLE_DOMAIN), 0.5, `cumTable[${w}]`);
  }
  const k = new JsKernel(kernelState(v, new Int32Array(1)));
  k.seed(12345);
  const draws = 200000;
  const hist = new Float64Array(4);
  for (let i = 0; i < draws; i++) hist[k.drawNegative()]++;
  for (let w = 0; w < 4; w++) {
    const p = pow[w] / z;
    const sd = Math.sqrt(p * (1 - p) / draws);
    assert(Math.abs(hist[w] / draws - p) < 5 * sd, `word ${w}: ${hist[w] / draws} vs ${p}`);
  }
});

Deno.test("embedding vocab: PV-DM concat adds the null word with count 1, never downsampled in", () => {
  const c = corpusWithCounts([5, 2]);
  const v = buildVocabulary(c, { ...OPTS, nullWord: true });
  assertEquals(v.words, ["w0", "w1", NULL_WORD]);
  assertEquals(v.nullWord, 2);
  assertEquals(v.counts[2], 1);
  assertEquals(v.stats.keptTypes, 2);
  assertEquals(v.stats.keptWords, 7);
});

function kernelState(v: ReturnType<typeof buildVocabulary>, words: Int32Array): KernelState {
  return {
    mode: 0,
    dim: 4,
    layer1: 4,
    window: 2,
    negative: 1,
    dmMean: 1,
    trainWords: 0,
    shrinkWindows: 1,
    doSample: 1,
    nullWord: -1,
    wv: new Float32Array(v.words.length * 4),
    dv: new Float32Array(4),
    syn1neg: new Float32Array(v.words.length * 4),
    cumTable: v.cumTable,
    sampleInt: v.sampleInt,
    expTable: buildExpTable(),
    words,
    offsets: Int32Array.of(0, words.length),
    tags: Int32Array.of(0),
  };
}
