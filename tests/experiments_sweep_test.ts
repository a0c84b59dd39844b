import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  parseShard,
  planExperiment,
  selectShard,
  type SweepConfig,
  sweepPoints,
} from "../lib/experiments/mod.ts";
import { fakeEnv, tinySweepConfig } from "./fixtures/experiments/fake_env.ts";

const env = fakeEnv();

function sweep(s: Partial<SweepConfig>): SweepConfig {
  return { mode: "grid", params: {}, samples: 10, seed: 0, ...s };
}

Deno.test("sweep: a grid is the full product, last key fastest", () => {
  const points = sweepPoints(sweep({ params: { a: [1, 2], b: ["x", "y", "z"] } }));
  assertEquals(points, [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
    { a: 1, b: "z" },
    { a: 2, b: "x" },
    { a: 2, b: "y" },
    { a: 2, b: "z" },
  ]);
  assertEquals(sweepPoints(null), [{}]);
});

Deno.test("sweep: random draws are seeded, in range, distinct, log and int ranges honoured", () => {
  const s = sweep({
    mode: "random",
    samples: 25,
    seed: 3,
    params: {
      lr: { min: 1e-4, max: 1e-1, log: true },
      factors: { min: 4, max: 64, int: true },
      neg: [1, 4, 8],
    },
  });
  const a = sweepPoints(s);
  assertEquals(a, sweepPoints(s));
  assert(
    JSON.stringify(a) !== JSON.stringify(sweepPoints({ ...s, seed: 4 })),
    "seed changes draws",
  );
  assertEquals(a.length, 25);
  assertEquals(new Set(a.map((p) => JSON.stringify(p))).size, 25);
  for (const p of a) {
    assert((p.lr as number) >= 1e-4 && (p.lr as number) <= 1e-1, `lr ${p.lr}`);
    assert(
      Number.isInteger(p.factors) && (p.factors as number) >= 4 && (p.factors as number) <= 64,
    );
    assert([1, 4, 8].includes(p.neg as number));
  }
  // Log-uniform: about half the draws below the geometric middle 10^-2.5.
  const below = a.filter((p) => (p.lr as number) < 10 ** -2.5).length;
  assert(below > 5 && below < 20, `log-uniform lr: ${below}/25 below 10^-2.5`);
  // A small discrete space yields at most its size.
  assertEquals(
    sweepPoints(sweep({ mode: "random", samples: 10, params: { a: [1, 2] } })).length,
    2,
  );
});

Deno.test("sweep: bad specs name the key", async () => {
  await assertThrowsMatching(
    () => sweepPoints(sweep({ params: { "models.Pop.lr": { min: 0, max: 1 } } })),
    /sweep\.params\["models\.Pop\.lr"\]: expected a list of values/,
  );
  await assertThrowsMatching(
    () => sweepPoints(sweep({ mode: "random", params: { x: { min: 0, max: 1, log: true } } })),
    /a log range needs min > 0/,
  );
  await assertThrowsMatching(
    () => sweepPoints(sweep({ params: { x: [] } })),
    /list of values is empty/,
  );
  await assertThrowsMatching(
    () => planExperiment({ ...tinySweepConfig, sweep: { params: { "models.Popp.lr": [1] } } }, env),
    /sweep\.params\["models\.Popp\.lr"\]: no model labelled "Popp"/,
  );
  await assertThrowsMatching(
    () =>
      planExperiment(
        { ...tinySweepConfig, sweep: { params: { "models.Pop.lr": [0.1, -1] } } },
        env,
      ),
    /^sweep point 2 \(models\.Pop\.lr=-1\): models\.Pop\.lr: expected a value > 0, got -1/,
  );
  await assertThrowsMatching(
    () =>
      planExperiment({ ...tinySweepConfig, sweep: { params: { "models.Pop.lrr": [0.1] } } }, env),
    /sweep point 1 .*models\.Pop\.lrr: unknown key \(did you mean "lr"\?\)/,
  );
});

Deno.test("plan: seed-major runs, unaffected models planned once, ids stable and readable", () => {
  const plan = planExperiment(tinySweepConfig, env);
  // Per seed: Pop at 2 lr values + Emb once (no sweep key affects it) = 3 runs; 2 seeds.
  assertEquals(plan.runs.length, 6);
  assertEquals(plan.runs.map((r) => [r.config.row, r.config.seed]), [
    ["Pop (lr=0.001)", 1],
    ["Emb", 1],
    ["Pop (lr=0.01)", 1],
    ["Pop (lr=0.001)", 2],
    ["Emb", 2],
    ["Pop (lr=0.01)", 2],
  ]);
  assert(/^Pop__lr=0\.001__s1__[0-9a-f]{8}$/.test(plan.runs[0].id), plan.runs[0].id);
  assert(/^Emb__s1__[0-9a-f]{8}$/.test(plan.runs[1].id), plan.runs[1].id);
  assertEquals(new Set(plan.runs.map((r) => r.id)).size, 6);
  // Same config written in another key order: same ids.
  const reordered = {
    table: tinySweepConfig.table,
    sweep: tinySweepConfig.sweep,
    seeds: tinySweepConfig.seeds,
    eval: { negatives: 20, ks: [5, 10] },
    models: { Pop: { epochs: 3, type: "FakePop" }, Emb: { type: "FakeEmbed" } },
    embedding: tinySweepConfig.embedding,
    data: tinySweepConfig.data,
    name: tinySweepConfig.name,
  };
  assertEquals(planExperiment(reordered, env).runs.map((r) => r.id), plan.runs.map((r) => r.id));
  // A changed setting changes the ids of exactly the runs it affects.
  const changed = planExperiment({
    ...tinySweepConfig,
    models: { ...tinySweepConfig.models, Emb: { type: "FakeEmbed", noise: 0.1 } },
  }, env);
  const same = changed.runs.filter((r, k) => r.id === plan.runs[k].id).map((r) => r.config.label);
  assertEquals(same, ["Pop", "Pop", "Pop", "Pop"]);
  // Setting a key to its default value resolves to the same run.
  const explicit = planExperiment({
    ...tinySweepConfig,
    models: { ...tinySweepConfig.models, Emb: { type: "FakeEmbed", noise: 0.5 } },
  }, env);
  assertEquals(explicit.runs.map((r) => r.id), plan.runs.map((r) => r.id));
});

Deno.test("shards: every run in exactly one shard, sizes within one, 1-based i/n", async () => {
  const plan = planExperiment({ ...tinySweepConfig, seeds: [1, 2, 3, 4, 5] }, env);
  const ids = plan.runs.map((r) => r.id);
  for (let n = 1; n <= 7; n++) {
    const shards = Array.from(
      { length: n },
      (_, i) => selectShard(ids, parseShard(`${i + 1}/${n}`)),
    );
    const all = shards.flat();
    assertEquals(all.length, ids.length, `n=${n}: no run twice`);
    assertEquals(new Set(all), new Set(ids), `n=${n}: every run once`);
    const sizes = shards.map((s) => s.length);
    assert(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: sizes ${sizes}`);
    // Deterministic: the same shard again gives the same runs.
    assertEquals(selectShard(ids, parseShard(`1/${n}`)), shards[0]);
  }
  await assertThrowsMatching(() => parseShard("0/4"), /1 <= i <= n/);
  await assertThrowsMatching(() => parseShard("5/4"), /1 <= i <= n/);
  await assertThrowsMatching(() => parseShard("2of4"), /expected i\/n/);
});

Deno.test("plan: a seedless model runs once per sweep point, with the first seed", () => {
  const plan = planExperiment(
    {
      data: { dataset: "tiny" },
      models: { Const: { type: "FakeConst" }, Pop: { type: "FakePop" } },
      seeds: [3, 4, 5],
      sweep: { params: { "models.Const.factors": [4, 8] } },
    },
    env,
    { defaultName: "seedless" },
  );
  assertEquals(plan.runs.map((r) => `${r.config.row}/${r.config.seed}`), [
    "Const (factors=4)/3",
    "Pop/3",
    "Const (factors=8)/3",
    "Pop/4",
    "Pop/5",
  ]);
});
