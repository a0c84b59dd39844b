import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  corpusFromDocuments,
  decodeModel,
  Doc2Vec,
  encodeModel,
  encodeWord2VecText,
  formatFloat32,
  loadModel,
  loadWord2VecFormat,
  parseWord2VecText,
  saveModel,
  saveWord2VecFormat,
} from "../lib/embedding/mod.ts";

async function smallModel(extra: Record<string, unknown> = {}): Promise<Doc2Vec> {
  const docs = [
    { words: ["apple", "banana", "cherry", "apple"], tag: 0 },
    { words: ["banana", "date", "elder", "fig"], tag: 1 },
    { words: ["cherry", "fig", "apple", "grape"], tag: 2 },
  ];
  return await Doc2Vec.train(corpusFromDocuments(docs), {
    vectorSize: 6,
    minCount: 1,
    epochs: 3,
    workers: 1,
    ...extra,
  });
}

Deno.test("embedding io: float32 text is numpy's repr (shortest round-trip digits)", () => {
  // Expected strings printed by numpy 1.24: repr(np.float32(v)).
  const cases: [number, string][] = [
    [0, "0.0"],
    [-0, "-0.0"],
    [1, "1.0"],
    [1e-5, "1e-05"],
    [0.1, "0.1"],
    [-0.0123, "-0.0123"],
    [1.2345e-5, "1.2345e-05"],
    [123456.7, "123456.7"],
    [1e16, "1e+16"],
    [3.4e38, "3.4e+38"],
    [0.0001, "1e-04"],
    [0.00012, "0.00012"],
  ];
  for (const [v, s] of cases) assertEquals(formatFloat32(Math.fround(v)), s, `repr of ${v}`);
  // Every float32 reads back exactly.
  const a = new Float32Array(1000);
  for (let i = 0; i < a.length; i++) a[i] = (Math.sin(i * 12.9898) * 43758.5453) % 1 / (1 + i);
  for (const v of a) assertEquals(Math.fround(Number(formatFloat32(v))), v);
});

Deno.test("embedding io: binary save/load round trip keeps every weight, inference and queries", async () => {
  for (const extra of [{ dm: 1 }, { dm: 1, dmConcat: 1, window: 2 }, { dm: 0, dbowWords: 1 }]) {
    const m = await smallModel(extra);
    const dir = await tempDir();
    try {
      const path = `${dir.path}/m.d2v`;
      await saveModel(m, path);
      const l = await loadModel(path);
      assertEquals(l.params, m.params);
      assertEquals(l.vocab.words, m.vocab.words);
      assertEquals(l.vocab.counts, m.vocab.counts);
      assertEquals(l.vocab.cumTable, m.vocab.cumTable);
      assertEquals(l.vocab.sampleInt, m.vocab.sampleInt);
      assertEquals(l.weights.wv, m.weights.wv);
      assertEquals(l.weights.dv, m.weights.dv);
      assertEquals(l.weights.syn1neg, m.weights.syn1neg);
      assertEquals(l.nTags, m.nTags);
      assertEquals(l.report, m.report);
      const words = ["apple", "fig", "unknown"];
      assertEquals(l.inferVector(words), m.inferVector(words));
      assertEquals(l.mostSimilar({ positive: ["apple"] }), m.mostSimilar({ positive: ["apple"] }));
    } finally {
      await dir.remove();
    }
  }
});

Deno.test("embedding io: a damaged binary file is refused, naming the file", async () => {
  const bytes = encodeModel(await smallModel());
  await assertThrowsMatching(
    () => decodeModel(bytes.subarray(0, bytes.length - 4), "m.d2v"),
    /m\.d2v: \d+ bytes, expected \d+/,
  );
  const wrong = bytes.slice();
  wrong[0] = 0;
  await assertThrowsMatching(() => decodeModel(wrong, "x.d2v"), /x\.d2v: not a Doc2Vec model/);
  await assertThrowsMatching(() => loadModel("/nonexistent/m.d2v"), /m\.d2v: file not found/);
});

Deno.test("embedding io: word2vec text round trip (words, then documents as *dt_<tag>)", async () => {
  const m = await smallModel();
  const dir = await tempDir();
  try {
    const path = `${dir.path}/v.txt`;
    await saveWord2VecFormat(m, path, { words: true, docs: true });
    const text = await Deno.readTextFile(path);
    assertEquals(text.split("\n")[0], `${m.nWords + m.nTags} 6`);
    const kv = await loadWord2VecFormat(path);
    assertEquals(kv.dim, 6);
    assertEquals(kv.keys, [...m.vocab.words, "*dt_0", "*dt_1", "*dt_2"]);
    assertEquals(kv.vectors.subarray(0, m.nWords * 6), m.weights.wv);
    assertEquals(kv.vectors.subarray(m.nWords * 6), m.weights.dv);
    // Words only (gensim's default).
    assertEquals(parseWord2VecText(encodeWord2VecText(m)).keys, m.vocab.words);
  } finally {
    await dir.remove();
  }
});

Deno.test("embedding io: malformed word2vec text names the line", async () => {
  await assertThrowsMatching(
    () => parseWord2VecText("2 3\na 1 2 3\nb 1 2\n", "v.txt"),
    /v\.txt:3: expected a key and 3 numbers, got 2/,
  );
  await assertThrowsMatching(
    () => parseWord2VecText("x\n", "v.txt"),
    /v\.txt:1: expected a header/,
  );
  await assertThrowsMatching(
    () => parseWord2VecText("2 1\na 1\n", "v.txt"),
    /v\.txt:3: expected 2 vectors, found 1/,
  );
  await assertThrowsMatching(
    () => parseWord2VecText("1 1\na one\n", "v.txt"),
    /v\.txt:2: not a number: "one"/,
  );
});

const python = "/usr/bin/python3";
async function hasGensim(): Promise<boolean> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import gensim"],
      stderr: "null",
      stdout: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "embedding io: gensim reads our word2vec text file to the same vectors",
  ignore: !(await hasGensim()),
  fn: async () => {
    const m = await smallModel();
    const dir = await tempDir();
    try {
      const path = `${dir.path}/v.txt`;
      await saveWord2VecFormat(m, path);
      const code = "import sys, json\nfrom gensim.models import KeyedVectors\n" +
        "kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)\n" +
        "print(json.dumps({k: [float(x) for x in kv[k]] for k in kv.index_to_key}))";
      const out = await new Deno.Command(python, { args: ["-c", code, path] }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
      const got = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, number[]>;
      assertEquals(Object.keys(got), m.vocab.words);
      for (const w of m.vocab.words) assertEquals(Float32Array.from(got[w]), m.wordVector(w));
    } finally {
      await dir.remove();
    }
  },
});
