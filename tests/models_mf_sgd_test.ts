import { assert, assertAllClose, assertClose, assertThrowsMatching } from "./_assert.ts";
import {
  bprGradient,
  BPRMF,
  bprStep,
  logisticGradient,
  LogisticMF,
  logisticStep,
  type SgdParams,
} from "../lib/models/mf/sgd.ts";
import { syntheticSplit } from "../lib/data/mod.ts";
import { evaluateSampled } from "../lib/eval/mod.ts";
import { Rng } from "../lib/util/rng.ts";
import { SilentSink } from "../lib/util/progress.ts";
import { DivergenceError } from "../lib/util/errors.ts";

const quiet = { progress: new SilentSink() };

function randomParams(k: number, nUsers: number, nItems: number, seed: number, biasOn = 1) {
  const rng = new Rng(seed);
  const g = (n: number, s: number) => Float64Array.from({ length: n }, () => s * rng.normal());
  return {
    k,
    p: g(nUsers * k, 0.7),
    q: g(nItems * k, 0.7),
    userBias: g(nUsers, 0.5 * biasOn),
    itemBias: g(nItems, 0.5 * biasOn),
    globalBias: g(1, 0.5 * biasOn),
    biasOn,
  } satisfies SgdParams;
}

/** Every scalar parameter of `m` as (array, index) handles, for finite differences. */
function handles(m: SgdParams): [Float64Array, number, string][] {
  const out: [Float64Array, number, string][] = [];
  for (const [name, arr] of Object.entries(m)) {
    if (arr instanceof Float64Array) {
      for (let n = 0; n < arr.length; n++) out.push([arr, n, `${name}[${n}]`]);
    }
  }
  return out;
}

const softplus = (s: number) => Math.log(1 + Math.exp(s));
const sq = (a: Float64Array, o: number, k: number) => {
  let s = 0;
  for (let f = 0; f < k; f++) s += a[o + f] ** 2;
  return s;
};
const dot = (a: Float64Array, ao: number, b: Float64Array, bo: number, k: number) => {
  let s = 0;
  for (let f = 0; f < k; f++) s += a[ao + f] * b[bo + f];
  return s;
};

/** The logistic per-example objective, written directly from its definition. */
function logisticObjective(m: SgdParams, u: number, i: number, y: number, reg: number) {
  const { k } = m;
  const s = m.globalBias[0] + m.userBias[u] + m.itemBias[i] + dot(m.p, u * k, m.q, i * k, k);
  const l2 = sq(m.p, u * k, k) + sq(m.q, i * k, k) +
    m.biasOn * (m.userBias[u] ** 2 + m.itemBias[i] ** 2 + m.globalBias[0] ** 2);
  return -(y * Math.log(1 / (1 + Math.exp(-s))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-s)))) +
    (reg / 2) * l2;
}

/** The BPR per-triple objective, written directly from its definition. */
function bprObjective(m: SgdParams, u: number, i: number, j: number, reg: number) {
  const { k } = m;
  const x = m.itemBias[i] - m.itemBias[j] + dot(m.p, u * k, m.q, i * k, k) -
    dot(m.p, u * k, m.q, j * k, k);
  const l2 = sq(m.p, u * k, k) + sq(m.q, i * k, k) + sq(m.q, j * k, k) +
    m.biasOn * (m.itemBias[i] ** 2 + m.itemBias[j] ** 2);
  return softplus(-x) + (reg / 2) * l2;
}

/** Central finite difference of `f` with respect to every parameter of `m`. */
function numericGradient(m: SgdParams, f: () => number): Map<string, number> {
  const h = 1e-6;
  const grad = new Map<string, number>();
  for (const [arr, n, name] of handles(m)) {
    const v = arr[n];
    arr[n] = v + h;
    const up = f();
    arr[n] = v - h;
    const down = f();
    arr[n] = v;
    grad.set(name, (up - down) / (2 * h));
  }
  return grad;
}

Deno.test("MF (logistic): gradient matches finite differences, labels 1 and 0", () => {
  const k = 4;
  for (const [label, biasOn, seed] of [[1, 1, 1], [0, 1, 2], [1, 0, 3], [0, 0, 4]]) {
    const m = randomParams(k, 3, 5, seed, biasOn);
    const reg = 0.07;
    const [u, i] = [2, 3];
    const num = numericGradient(m, () => logisticObjective(m, u, i, label, reg));
    const gp = new Float64Array(k);
    const gq = new Float64Array(k);
    const gb = new Float64Array(3);
    const loss = logisticGradient(m, u, i, label, reg, gp, gq, gb);
    const l2 = (reg / 2) *
      (sq(m.p, u * k, k) + sq(m.q, i * k, k) +
        biasOn * (m.userBias[u] ** 2 + m.itemBias[i] ** 2 + m.globalBias[0] ** 2));
    assertClose(loss, logisticObjective(m, u, i, label, reg) - l2, 1e-12, "loss");
    for (let f = 0; f < k; f++) {
      assertClose(gp[f], num.get(`p[${u * k + f}]`)!, 1e-7, `dp[${f}]`);
      assertClose(gq[f], num.get(`q[${i * k + f}]`)!, 1e-7, `dq[${f}]`);
    }
    if (biasOn) {
      assertClose(gb[0], num.get("globalBias[0]")!, 1e-7, "db");
      assertClose(gb[1], num.get(`userBias[${u}]`)!, 1e-7, "db_u");
      assertClose(gb[2], num.get(`itemBias[${i}]`)!, 1e-7, "db_i");
    } else {
      assertAllClose(gb, [0, 0, 0], 0, "bias gradient without biases");
    }
    // Parameters the example does not touch have zero gradient.
    for (const [name, g] of num) {
      const touched = name.startsWith(`p[`) && Math.floor(+name.slice(2, -1) / k) === u ||
        name.startsWith(`q[`) && Math.floor(+name.slice(2, -1) / k) === i ||
        name === `userBias[${u}]` || name === `itemBias[${i}]` || name === "globalBias[0]";
      if (!touched) assertClose(g, 0, 1e-9, name);
    }
  }
});

Deno.test("BPR-MF: gradient matches finite differences", () => {
  const k = 5;
  for (const [biasOn, seed] of [[1, 5], [0, 6]]) {
    const m = randomParams(k, 4, 6, seed, biasOn);
    const reg = 0.03;
    const [u, i, j] = [1, 4, 2];
    const num = numericGradient(m, () => bprObjective(m, u, i, j, reg));
    const gp = new Float64Array(k);
    const gqi = new Float64Array(k);
    const gqj = new Float64Array(k);
    const gb = new Float64Array(2);
    bprGradient(m, u, i, j, reg, gp, gqi, gqj, gb);
    for (let f = 0; f < k; f++) {
      assertClose(gp[f], num.get(`p[${u * k + f}]`)!, 1e-7, `dp[${f}]`);
      assertClose(gqi[f], num.get(`q[${i * k + f}]`)!, 1e-7, `dq_i[${f}]`);
      assertClose(gqj[f], num.get(`q[${j * k + f}]`)!, 1e-7, `dq_j[${f}]`);
    }
    assertClose(gb[0], biasOn ? num.get(`itemBias[${i}]`)! : 0, 1e-7, "db_i");
    assertClose(gb[1], biasOn ? num.get(`itemBias[${j}]`)! : 0, 1e-7, "db_j");
  }
});

Deno.test("MF and BPR-MF: an SGD step moves every parameter by -lr · gradient", () => {
  const k = 3;
  const lr = 0.1;
  const reg = 0.02;
  {
    const m = randomParams(k, 2, 4, 9);
    const before = structuredClone(m);
    const gp = new Float64Array(k);
    const gq = new Float64Array(k);
    const gb = new Float64Array(3);
    const l0 = logisticGradient(m, 1, 2, 1, reg, gp, gq, gb);
    const l1 = logisticStep(m, 1, 2, 1, lr, reg);
    assertClose(l1, l0, 0, "loss before the step");
    assertAllClose(m.p.subarray(3, 6), before.p.subarray(3, 6).map((v, f) => v - lr * gp[f]));
    assertAllClose(m.q.subarray(6, 9), before.q.subarray(6, 9).map((v, f) => v - lr * gq[f]));
    assertClose(m.globalBias[0], before.globalBias[0] - lr * gb[0], 1e-15);
    assertClose(m.userBias[1], before.userBias[1] - lr * gb[1], 1e-15);
    assertClose(m.itemBias[2], before.itemBias[2] - lr * gb[2], 1e-15);
    assertAllClose(m.p.subarray(0, 3), before.p.subarray(0, 3), 0, "untouched user");
  }
  {
    const m = randomParams(k, 2, 4, 10);
    const before = structuredClone(m);
    const gp = new Float64Array(k);
    const gqi = new Float64Array(k);
    const gqj = new Float64Array(k);
    const gb = new Float64Array(2);
    bprGradient(m, 0, 3, 1, reg, gp, gqi, gqj, gb);
    bprStep(m, 0, 3, 1, lr, reg);
    assertAllClose(m.p.subarray(0, 3), before.p.subarray(0, 3).map((v, f) => v - lr * gp[f]));
    assertAllClose(m.q.subarray(9, 12), before.q.subarray(9, 12).map((v, f) => v - lr * gqi[f]));
    assertAllClose(m.q.subarray(3, 6), before.q.subarray(3, 6).map((v, f) => v - lr * gqj[f]));
    assertClose(m.itemBias[3], before.itemBias[3] - lr * gb[0], 1e-15);
    assertClose(m.itemBias[1], before.itemBias[1] - lr * gb[1], 1e-15);
  }
});

function tinySplit(seed = 1) {
  return syntheticSplit({
    nUsers: 60,
    nItems: 50,
    interactions: 900,
    seed,
    minPerUser: 6,
    numNegatives: 15,
  });
}

for (
  const make of [
    () => new LogisticMF({ factors: 8, epochs: 12, lr: 0.05 }),
    () => new BPRMF({ factors: 8, epochs: 12, lr: 0.05 }),
  ]
) {
  const name = make().name;
  Deno.test(`${name}: training lowers the loss and beats the untrained model on validation`, async () => {
    const split = tinySplit(2);
    const untrained = make();
    (untrained.params as { epochs: number }).epochs = 1;
    (untrained.params as { lr: number }).lr = 1e-9;
    await untrained.fit(split, { seed: 3, ...quiet });
    const before =
      (await evaluateSampled(untrained, split.valid!, { ks: [10], progress: new SilentSink() }))
        .mean["NDCG@10"];
    const model = make();
    const report = await model.fit(split, { seed: 3, ...quiet });
    const losses = report.history.map((h) => h.loss);
    assert.ok(losses[losses.length - 1] < 0.8 * losses[0], `loss ${losses.join(", ")}`);
    const after =
      (await evaluateSampled(model, split.valid!, { ks: [10], progress: new SilentSink() }))
        .mean["NDCG@10"];
    assert.ok(after > before, `valid NDCG@10 ${before} -> ${after}`);
    // The restored parameters are those of the best epoch: re-evaluating reproduces it.
    const best = report.history[report.bestEpoch! - 1].valid!;
    const now =
      (await evaluateSampled(model, split.valid!, { ks: [10], progress: new SilentSink() })).mean;
    assertClose(now["HR@10"], best["HR@10"], 1e-12, "HR@10 of the kept epoch");
  });

  Deno.test(`${name}: same seed same scores, different seed different`, async () => {
    const split = tinySplit(4);
    const fit = async (seed: number) => {
      const m = make();
      (m.params as { epochs: number }).epochs = 2;
      await m.fit(split, { seed, ...quiet });
      return m.scoreAll(Int32Array.of(0, 59));
    };
    const a = await fit(5);
    assert.deepEqual(a, await fit(5));
    assert.notDeepEqual(a, await fit(6));
  });
}

Deno.test("MF: a diverging learning rate stops with a DivergenceError naming lr", async () => {
  const split = tinySplit(6);
  const m = new LogisticMF({ factors: 4, epochs: 5, lr: 1e8, reg: 1 });
  await assertThrowsMatching(() => m.fit(split, { seed: 1, ...quiet }), /MF: .*lower lr/);
  const err = await m.fit(split, { seed: 1, ...quiet }).catch((e) => e);
  assert.ok(err instanceof DivergenceError);
});

Deno.test("MF: early stopping ends the run after `patience` evaluations without gain", async () => {
  const split = tinySplit(7);
  // lr tiny: validation barely moves, so it stops after the first non-improving checks.
  const m = new LogisticMF({ factors: 4, epochs: 40, lr: 1e-7, patience: 2 });
  const report = await m.fit(split, { seed: 1, ...quiet });
  assert.ok(report.history.length < 40, `ran ${report.history.length} epochs`);
  assert.equal(report.info.stoppedEarly, true);
});

Deno.test("MF: never reads split.test while fitting", async () => {
  const split = tinySplit(8);
  const guarded = {
    ...split,
    get test(): never {
      throw new Error("fit read split.test");
    },
  };
  await new LogisticMF({ factors: 4, epochs: 2 }).fit(guarded, { seed: 1, ...quiet });
  await new BPRMF({ factors: 4, epochs: 2 }).fit(guarded, { seed: 1, ...quiet });
});

for (const Model of [LogisticMF, BPRMF]) {
  Deno.test(`${new Model().name}: the wasm kernel follows the JavaScript reference`, async () => {
    const split = tinySplit(9);
    const fit = async (kernel: "wasm" | "js", factors: number) => {
      const m = new Model({ factors, epochs: 3, lr: 0.05, kernel, evalEvery: 100 });
      const report = await m.fit(split, { seed: 2, ...quiet });
      return { f: m.factors!, report };
    };
    for (const factors of [8, 5]) {
      const js = await fit("js", factors);
      const wasm = await fit("wasm", factors);
      // f32 parameters in wasm, f64 in JS: equal up to f32 rounding after 3 epochs.
      assertAllClose(wasm.f.userFactors, js.f.userFactors, 2e-4, `P (k=${factors})`);
      assertAllClose(wasm.f.itemFactors, js.f.itemFactors, 2e-4, `Q (k=${factors})`);
      assertAllClose(wasm.f.itemBias!, js.f.itemBias!, 2e-4, `item bias (k=${factors})`);
      assertClose(wasm.f.globalBias, js.f.globalBias, 2e-4, "global bias");
      for (let e = 0; e < 3; e++) {
        assertClose(wasm.report.history[e].loss, js.report.history[e].loss, 1e-5, `loss ${e + 1}`);
      }
      assert.ok(js.report.history[2].loss < js.report.history[0].loss, "it trained");
    }
  });
}
