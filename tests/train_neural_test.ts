// Neural recommenders end to end on tiny synthetic data: every model overfits, same seed
// gives the same weights and metrics, save/load round trip, frozen document vectors stay
// put, best-epoch restore and checkpoints, the tfjs reference backends, and bad input.
import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import { syntheticSplit } from "../lib/data/mod.ts";
import type { Split } from "../lib/data/types.ts";
import {
  createNeuralModel,
  DSER,
  DSERNotebook,
  GMF,
  MLP,
  NeuMF,
  type NeuralRecommender,
  readWeights,
  validate,
} from "../lib/train/mod.ts";
import { ConfigError, DivergenceError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/rng.ts";
import { SilentSink } from "../lib/util/progress.ts";

const quiet = { progress: new SilentSink() };

function tinySplit(seed = 1): Split {
  return syntheticSplit({
    seed,
    nUsers: 30,
    nItems: 60,
    interactions: 450,
    minPerUser: 8,
    sharpness: 4,
    numNegatives: 15,
  });
}

function docs(split: Split, dim = 8, seed = 5) {
  const rng = new Rng(seed);
  const m = (rows: number) => Float32Array.from({ length: rows * dim }, () => 0.3 * rng.normal());
  return {
    dim,
    user: m(split.nUsers),
    itemDoc: m(split.nItems),
    itemWord: m(split.nItems),
    itemContent: m(split.nItems),
  };
}

/** Fraction of training positives scored above a random item the user never saw. */
async function trainAuc(model: NeuralRecommender, split: Split): Promise<number> {
  const t = split.train;
  const seen = new Set<number>();
  for (let k = 0; k < t.users.length; k++) seen.add(t.users[k] * split.nItems + t.items[k]);
  const rng = new Rng(9);
  const negs = Int32Array.from(t.users, (u) => {
    for (;;) {
      const j = rng.int(split.nItems);
      if (!seen.has(u * split.nItems + j)) return j;
    }
  });
  const pos = await model.scorePairs(t.users, t.items);
  const neg = await model.scorePairs(t.users, negs);
  let wins = 0;
  for (let k = 0; k < pos.length; k++) wins += pos[k] > neg[k] ? 1 : 0;
  return wins / pos.length;
}

const FAST = { epochs: 100, lr: 0.02, batchSize: 64, patience: 0 };

Deno.test("every neural model overfits a tiny dataset", async () => {
  const split = tinySplit();
  const d = docs(split);
  const models: NeuralRecommender[] = [
    new GMF({ ...FAST, factors: 8 }),
    new MLP({ ...FAST, layers: [32, 32, 16] }),
    new NeuMF({ ...FAST, factors: 8, layers: [16, 16, 8] }),
    new DSER({ ...FAST, hidden: [16, 8], documentVectors: "finetune" }, { documents: d }),
    new DSERNotebook({ ...FAST, hidden: [16, 8], batchSize: 64 }, { documents: d }),
  ];
  for (const m of models) {
    try {
      const r = await m.fit(split, { seed: 1, ...quiet });
      const first = r.history[0].loss;
      const last = r.history[r.history.length - 1].loss;
      assert.ok(last < 0.6 * first, `${m.name}: loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
      const auc = await trainAuc(m, split);
      assert.ok(auc > 0.9, `${m.name}: training AUC ${auc.toFixed(3)}`);
      assertEquals(r.info.backend, "fused");
    } finally {
      m.dispose();
    }
  }
});

Deno.test("NeuMF with pretraining starts from GMF and MLP and trains with SGD", async () => {
  const split = tinySplit(2);
  const hp = { ...FAST, epochs: 15, factors: 8, layers: [16, 16, 8] };
  const pre = new NeuMF({ ...hp, pretrain: true, pretrainedLr: 0.05 });
  const plain = new NeuMF({ ...hp, optimizer: "sgd", lr: 0.05 });
  try {
    const r = await pre.fit(split, { seed: 3, ...quiet });
    const r0 = await plain.fit(split, { seed: 3, ...quiet });
    assertEquals(r.info.optimizer, "sgd");
    assert.ok(Number(r.info.pretrainGmfBestEpoch) >= 1);
    assert.ok(Number(r.info.pretrainMlpBestEpoch) >= 1);
    // Starting from trained GMF and MLP weights, the first epoch's loss is far lower than
    // from a random start with the same optimiser.
    assert.ok(
      r.history[0].loss < r0.history[0].loss - 0.05,
      `first epoch loss ${r.history[0].loss} (pretrained) vs ${r0.history[0].loss}`,
    );
  } finally {
    pre.dispose();
    plain.dispose();
  }
});

Deno.test("same seed gives the same weights and metrics; another seed does not", async () => {
  const split = tinySplit(3);
  const run = async (seed: number) => {
    const m = new NeuMF({
      epochs: 3,
      factors: 4,
      layers: [8, 8, 4],
      batchSize: 32,
      lr: 0.01,
      patience: 0,
    });
    try {
      const r = await m.fit(split, { seed, ...quiet });
      return { weights: await m.getWeights(), history: r.history.map((h) => [h.loss, h.valid]) };
    } finally {
      m.dispose();
    }
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assertEquals(b.history, a.history);
  for (const name of Object.keys(a.weights)) assertEquals(b.weights[name], a.weights[name]);
  assert.notDeepStrictEqual(c.weights["gmf.user"], a.weights["gmf.user"]);
});

Deno.test("frozen document vectors stay unchanged; fine-tuned ones move", async () => {
  const split = tinySplit(4);
  const d = docs(split);
  for (const mode of ["frozen", "finetune"] as const) {
    const m = new DSER({ ...FAST, epochs: 3, hidden: [8, 4], documentVectors: mode }, {
      documents: d,
    });
    try {
      await m.fit(split, { seed: 1, ...quiet });
      const w = await m.getWeights();
      const same = w["doc.user"].every((x, k) => x === d.user[k]) &&
        w["doc.itemDoc"].every((x, k) => x === d.itemDoc[k]);
      assertEquals(same, mode === "frozen", `${mode}: document vectors unchanged = ${same}`);
    } finally {
      m.dispose();
    }
  }
});

Deno.test("save/load round trip reproduces every score", async () => {
  const split = tinySplit(5);
  const dir = await tempDir();
  const a = new NeuMF({ epochs: 2, factors: 4, layers: [8, 8, 4], patience: 0 });
  const b = new NeuMF({ factors: 4, layers: [8, 8, 4] });
  try {
    await a.fit(split, { seed: 2, ...quiet });
    const path = `${dir.path}/neumf.weights`;
    await a.saveWeights(path, { note: "test" });
    await b.loadWeights(path);
    const users = Int32Array.from({ length: 40 }, (_, k) => k % split.nUsers);
    assertEquals(await b.scoreAll(users), await a.scoreAll(users));
    const w = await readWeights(path);
    assertEquals(w.model, "NeuMF");
    assertEquals(w.meta.note, "test");
    assertEquals(w.shapes["mlp.dense0.kernel"], [8, 8]);
    await assertThrowsMatching(
      () => new GMF().loadWeights(path),
      /weights of model NeuMF, not GMF/,
    );
  } finally {
    a.dispose();
    b.dispose();
    await dir.remove();
  }
});

Deno.test("the best validation epoch is restored and checkpointed", async () => {
  const split = tinySplit(6);
  const dir = await tempDir();
  const m = new GMF({ epochs: 6, factors: 8, lr: 0.05, batchSize: 32, patience: 0 }, {
    checkpointDir: dir.path,
  });
  try {
    const r = await m.fit(split, { seed: 1, ...quiet });
    const hr = r.history.map((h) => h.valid!["HR@10"]);
    const best = hr.indexOf(Math.max(...hr)) + 1;
    assertEquals(r.bestEpoch, best);
    const now = await validate(m, split, "GMF");
    assertEquals(now!["HR@10"], hr[best - 1]);
    const ckpt = await readWeights(`${dir.path}/best.weights`);
    assertEquals(ckpt.meta.epoch, best);
    const files = [...Deno.readDirSync(dir.path)].map((e) => e.name);
    assertEquals(files, ["best.weights"]);
  } finally {
    m.dispose();
    await dir.remove();
  }
});

Deno.test("early stopping ends training after `patience` epochs without improvement", async () => {
  const split = tinySplit(7);
  // lr so small that validation HR never improves after epoch 1 (ties are not improvements).
  const m = new GMF({ epochs: 20, factors: 4, lr: 1e-9, optimizer: "sgd", patience: 2 });
  try {
    const r = await m.fit(split, { seed: 1, ...quiet });
    assertEquals(r.history.length, 3);
    assertEquals(r.bestEpoch, 1);
    assertEquals(r.info.stoppedEarly, true);
  } finally {
    m.dispose();
  }
});

Deno.test("tfjs reference backends train the same architecture", async () => {
  const split = tinySplit(8);
  const m = createNeuralModel("GMF", {
    epochs: 2,
    factors: 4,
    batchSize: 128,
    backend: "cpu",
    patience: 0,
  });
  try {
    const r = await m.fit(split, { seed: 1, ...quiet });
    assertEquals(r.info.backend, "cpu");
    assertEquals(r.info.executor, "tfjs cpu");
    assert.ok(r.history[1].loss < r.history[0].loss);
  } finally {
    m.dispose();
  }
  const lazy = new GMF({ epochs: 1, backend: "cpu", embeddingAdam: "lazy" });
  await assertThrowsMatching(() => lazy.fit(split, { seed: 1, ...quiet }), /fused backend only/);
  lazy.dispose();
});

Deno.test("bad input gives clear errors and writes nothing", async () => {
  await assertThrowsMatching(
    () => createNeuralModel("NeuMf"),
    /unknown neural model "NeuMf" \(did you mean "NeuMF"\?\)/,
  );
  await assertThrowsMatching(
    () => new NeuMF({ backend: "gpu" }),
    /NeuMF\.backend: expected one of "auto", "fused"/,
  );
  await assertThrowsMatching(
    () => new GMF({ factorz: 8 }),
    /GMF\.factorz: unknown key \(did you mean "factors"\?\)/,
  );
  await assertThrowsMatching(
    () => new MLP({ layers: [63, 16] }).buildArchitecture(3, 3),
    /must be even, got 63/,
  );
  const split = tinySplit(9);
  await assertThrowsMatching(
    () => new DSER({ epochs: 1 }).fit(split, { seed: 1, ...quiet }),
    /DSER needs document vectors/,
  );
  const d = docs(split);
  const short = { ...d, user: d.user.subarray(0, (split.nUsers - 1) * d.dim) };
  await assertThrowsMatching(
    () => new DSER({ epochs: 1 }, { documents: short }).fit(split, { seed: 1, ...quiet }),
    new RegExp(
      `documents.user must hold ${split.nUsers} users x 8 = ${split.nUsers * 8} floats, got ${
        split.nUsers - 1
      } rows of 8`,
    ),
  );
  await assertThrowsMatching(
    () =>
      new DSER({ epochs: 1 }, { documents: { ...d, dim: 7 } }).fit(split, { seed: 1, ...quiet }),
    /documents\.user must hold .* floats, got .*not a multiple of dim 7/,
  );
  await assertThrowsMatching(
    () =>
      new DSER({ epochs: 1, inputs: ["user", "itemContent"] }, {
        documents: { dim: 8, user: d.user },
      })
        .fit(split, { seed: 1, ...quiet }),
    /includes "itemContent" but the embedding stage produced no item content vectors/,
  );
  const dir = await tempDir();
  try {
    const m = new NeuMF({ epochs: 2, optimizer: "sgd", lr: 1e30 }, {
      checkpointDir: `${dir.path}/ckpt`,
    });
    let err: unknown;
    try {
      await m.fit(split, { seed: 1, ...quiet });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof DivergenceError, `expected a DivergenceError, got ${err}`);
    assert.match((err as Error).message, /NeuMF: training diverged at epoch 1, batch \d+ of \d+/);
    assert.ok(!(await exists(`${dir.path}/ckpt`)), "no checkpoint folder after divergence");
    await assertThrowsMatching(
      () => m.scorePairs(Int32Array.of(0), Int32Array.of(0)),
      /not trained/,
    );
  } finally {
    await dir.remove();
  }
  assert.ok(new ConfigError("x") instanceof Error);
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
