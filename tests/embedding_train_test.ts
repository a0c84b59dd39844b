import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  type Corpus,
  corpusFromDocuments,
  Doc2Vec,
  type Doc2VecParams,
  type TaggedDocument,
} from "../lib/embedding/mod.ts";
import { Rng } from "../lib/util/mod.ts";

const TOPICS = 3;
const DOCS_PER_TOPIC = 20;

/**
 * Documents drawn from a few topics: each topic has its own 12 words; a document takes
 * 40 words, 80% from its topic and 20% from 6 words common to all topics.
 */
function plantedTopics(seed = 1): { docs: TaggedDocument[]; topicOf: number[] } {
  const rng = new Rng(seed);
  const docs: TaggedDocument[] = [];
  const topicOf: number[] = [];
  for (let d = 0; d < TOPICS * DOCS_PER_TOPIC; d++) {
    const topic = d % TOPICS;
    const words: string[] = [];
    for (let i = 0; i < 40; i++) {
      words.push(rng.float() < 0.8 ? `t${topic}w${rng.int(12)}` : `common${rng.int(6)}`);
    }
    docs.push({ words, tag: d });
    topicOf.push(topic);
  }
  return { docs, topicOf };
}

const SMALL: Partial<Doc2VecParams> = {
  vectorSize: 16,
  window: 3,
  minCount: 1,
  sample: 0,
  epochs: 30,
  workers: 1,
  seed: 7,
};

/** Share of documents whose nearest other document has the same topic. */
function nearestSameTopic(model: Doc2Vec, topicOf: number[]): number {
  let same = 0;
  for (let d = 0; d < topicOf.length; d++) {
    const [best] = model.mostSimilar({ positive: [d], space: "docs", topn: 1 });
    if (topicOf[best.index] === topicOf[d]) same++;
  }
  return same / topicOf.length;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let c = 0; c < a.length; c++) {
    ab += a[c] * b[c];
    aa += a[c] * a[c];
    bb += b[c] * b[c];
  }
  return ab / Math.sqrt(aa * bb);
}

const MODES: [string, Partial<Doc2VecParams>][] = [
  ["PV-DM mean", { dm: 1 }],
  ["PV-DM sum", { dm: 1, dmMean: 0, alpha: 0.01 }],
  // Concatenation overfits tiny corpora at gensim's alpha (gensim 4.2 does the same on this
  // corpus: 0.73-0.87 at alpha 0.025, 1.0 at alpha 0.01 with 32 dimensions).
  ["PV-DM concat", { dm: 1, dmConcat: 1, window: 2, alpha: 0.01, vectorSize: 32 }],
  ["PV-DBOW", { dm: 0 }],
  ["PV-DBOW+words", { dm: 0, dbowWords: 1 }],
];

for (const [name, mode] of MODES) {
  Deno.test(`embedding train: ${name} puts documents of one topic nearest each other`, async () => {
    const { docs, topicOf } = plantedTopics();
    const corpus = corpusFromDocuments(docs);
    const model = await Doc2Vec.train(corpus, { ...SMALL, ...mode });
    assertEquals(model.report!.mode, name);
    const share = nearestSameTopic(model, topicOf);
    assert(share >= 0.95, `${name}: only ${share} of documents have a same-topic nearest document`);
  });
}

Deno.test("embedding train: inferVector of a training document lands near its trained vector", async () => {
  const { docs, topicOf } = plantedTopics();
  for (const mode of [{ dm: 0 }, { dm: 1 }]) {
    const model = await Doc2Vec.train(corpusFromDocuments(docs), { ...SMALL, ...mode });
    let ownBeatsOtherTopics = 0;
    let sumCos = 0;
    for (let d = 0; d < docs.length; d++) {
      const v = model.inferVector(docs[d].words, { epochs: 60 });
      const own = cosine(v, model.docVector(d));
      sumCos += own;
      let otherMax = -1;
      for (let e = 0; e < docs.length; e++) {
        if (topicOf[e] !== topicOf[d]) otherMax = Math.max(otherMax, cosine(v, model.docVector(e)));
      }
      if (own > otherMax) ownBeatsOtherTopics++;
    }
    assert(ownBeatsOtherTopics >= 0.95 * docs.length, `dm=${mode.dm}: ${ownBeatsOtherTopics}`);
    assert(sumCos / docs.length > 0.5, `dm=${mode.dm}: mean cosine ${sumCos / docs.length}`);
    // Inference is deterministic for a given model and document.
    assertEquals(model.inferVector(docs[0].words), model.inferVector(docs[0].words));
  }
});

Deno.test("embedding train: words of one topic are most similar to each other (PV-DM)", async () => {
  const { docs } = plantedTopics();
  const model = await Doc2Vec.train(corpusFromDocuments(docs), { ...SMALL, dm: 1 });
  let same = 0;
  let total = 0;
  for (let t = 0; t < TOPICS; t++) {
    for (let w = 0; w < 12; w++) {
      const res = model.mostSimilar({ positive: [`t${t}w${w}`], topn: 3 });
      for (const r of res) {
        total++;
        if (String(r.key).startsWith(`t${t}w`)) same++;
      }
      assert(!res.some((r) => r.key === `t${t}w${w}`), "the query word is left out");
    }
  }
  assert(same / total >= 0.9, `only ${same}/${total} neighbours share the topic`);
});

function weightsOf(m: Doc2Vec): Float32Array[] {
  return [m.weights.wv, m.weights.dv, m.weights.syn1neg];
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("embedding train: one worker and a fixed seed give identical vectors; another seed does not", async () => {
  const corpus = corpusFromDocuments(plantedTopics().docs);
  for (const engine of ["wasm", "js"] as const) {
    const p = { ...SMALL, epochs: 5, sample: 1e-2, engine, dm: 0, dbowWords: 1 };
    const a = await Doc2Vec.train(corpus, p);
    const b = await Doc2Vec.train(corpus, p);
    const c = await Doc2Vec.train(corpus, { ...p, seed: 8 });
    weightsOf(a).forEach((w, k) => assertEquals(w, weightsOf(b)[k], `${engine} array ${k}`));
    assert(maxAbsDiff(a.weights.dv, c.weights.dv) > 1e-3, `${engine}: seed changes nothing`);
  }
});

Deno.test("embedding train: the WebAssembly kernel computes what the TypeScript reference computes", async () => {
  const corpus = corpusFromDocuments(plantedTopics().docs);
  for (const [name, mode] of MODES) {
    const p = { ...SMALL, ...mode, epochs: 2, sample: 1e-2 };
    const js = await Doc2Vec.train(corpus, { ...p, engine: "js" });
    const wasm = await Doc2Vec.train(corpus, { ...p, engine: "wasm" });
    // Same random draws; only float rounding differs (SIMD sums in another order).
    for (let k = 0; k < 3; k++) {
      const d = maxAbsDiff(weightsOf(js)[k], weightsOf(wasm)[k]);
      assert(d < 1e-4, `${name}: array ${k} differs by ${d}`);
    }
    assert(maxAbsDiff(js.weights.syn1neg, new Float32Array(js.weights.syn1neg.length)) > 1e-2);
  }
});

Deno.test("embedding train: two workers share the weights and still learn the topics", async () => {
  const { docs, topicOf } = plantedTopics();
  // Small jobs so that both threads get work.
  const model = await Doc2Vec.train(corpusFromDocuments(docs), {
    ...SMALL,
    dm: 0,
    dbowWords: 1,
    workers: 2,
    batchWords: 200,
  });
  assertEquals(model.report!.workers, 2);
  assert(nearestSameTopic(model, topicOf) >= 0.95);
});

Deno.test("embedding train: parameters are validated with the key named", async () => {
  const corpus = corpusFromDocuments(plantedTopics().docs);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ vectorSize: 0 }, /doc2vec\.vectorSize: expected a value >= 1, got 0/],
    [{ window: 0 }, /doc2vec\.window: expected a value >= 1, got 0/],
    [{ alpha: Infinity }, /doc2vec\.alpha: expected a finite number, got null/],
    [{ alpha: NaN }, /doc2vec\.alpha: expected a finite number/],
    [{ alpha: 0 }, /doc2vec\.alpha: expected a value > 0/],
    [{ minAlpha: 0.5 }, /doc2vec\.minAlpha: must not exceed alpha \(0\.025\)/],
    [
      { hs: 1 },
      /doc2vec\.hs: expected a value <= 0, got 1 \(hierarchical softmax: not implemented/,
    ],
    [{ dm: 2 }, /doc2vec\.dm: expected a value <= 1/],
    [{ epochs: 1.5 }, /doc2vec\.epochs: expected an integer/],
    [{ vector_size: 10 }, /doc2vec\.vector_size: unknown key \(did you mean "vectorSize"\?\)/],
    [{ engine: "gpu" }, /doc2vec\.engine: expected one of "wasm", "js"/],
  ];
  for (const [params, pattern] of bad) {
    await assertThrowsMatching(() => Doc2Vec.train(corpus, params), pattern);
  }
  await assertThrowsMatching(
    () => Doc2Vec.train(corpus, { minCount: 1000 }),
    /minCount: 1000 removes every word/,
  );
});

Deno.test("embedding train: empty corpora and empty documents are refused, naming the document", async () => {
  await assertThrowsMatching(
    () => Doc2Vec.train(corpusFromDocuments([])),
    /corpus: no documents to train on/,
  );
  const withEmpty: Corpus = corpusFromDocuments([
    { words: ["a", "b"], tag: 0 },
    { words: [], tag: 5 },
  ]);
  await assertThrowsMatching(
    () => Doc2Vec.train(withEmpty, { minCount: 1 }),
    /document 1 \(tag 5\) is empty/,
  );
});

Deno.test("embedding train: divergence stops with a DivergenceError instead of NaN vectors", async () => {
  const corpus = corpusFromDocuments(plantedTopics().docs);
  for (const engine of ["wasm", "js"] as const) {
    let err: Error | null = null;
    try {
      // A rate beyond float32's range: the first update overflows to infinity and the
      // next products are NaN.
      await Doc2Vec.train(corpus, { ...SMALL, alpha: 1e39, minAlpha: 1e38, engine });
    } catch (e) {
      err = e as Error;
    }
    assert(err !== null, `${engine}: training with alpha 1e39 did not fail`);
    assertEquals(err.name, "DivergenceError");
    assert(
      /diverged in epoch \d+ \(learning rate .*\).*lower alpha/.test(err.message),
      err.message,
    );
  }
});
