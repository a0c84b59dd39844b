import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  applyOverrides,
  loadPlan,
  parseJsonc,
  planExperiment,
  resolveConfig,
} from "../lib/experiments/mod.ts";
import { parseSeeds } from "../cli/experiment.ts";
import { fakeEnv, tinySweepConfig } from "./fixtures/experiments/fake_env.ts";

const env = fakeEnv();

function cfg(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...structuredClone(tinySweepConfig), sweep: null, ...extra };
}

Deno.test("jsonc: comments and trailing commas are accepted, strings kept intact", () => {
  const text = `{
    // a comment
    "a": "http://x//y", /* block
    comment */ "b": [1, 2,],
    "c": {"d": "/* not a comment */",},
  }`;
  assertEquals(parseJsonc(text), { a: "http://x//y", b: [1, 2], c: { d: "/* not a comment */" } });
});

Deno.test("jsonc: a syntax error names file, line and column", async () => {
  await assertThrowsMatching(
    () => parseJsonc(`{\n  "a": 1,\n  "b": 2\n  "c": 3\n}`, "experiments/x.jsonc"),
    /^experiments\/x\.jsonc:4:\d+: invalid JSON/,
  );
});

Deno.test("config: defaults are filled and train defaults reach every model with the key", () => {
  const r = resolveConfig(cfg({ train: { epochs: 7 } }), env, "fallback");
  assertEquals(r.name, "tiny_sweep");
  assertEquals(r.eval, {
    metrics: ["HR", "NDCG"],
    ks: [5, 10],
    sampled: true,
    negatives: 20,
    full: true,
  });
  // Pop sets epochs itself (3): its own entry wins over train; Emb takes train's 7.
  assertEquals(r.models.map((m) => [m.label, m.type, m.params.epochs]), [
    ["Pop", "FakePop", 3],
    ["Emb", "FakeEmbed", 7],
  ]);
  assertEquals(r.models[1].needsEmbedding, true);
  assertEquals(r.embedding, { dim: 3, shuffle: false });
  assertEquals(r.table.baseline, "Emb");
});

Deno.test("config: unknown keys name the key and the nearest known key", async () => {
  await assertThrowsMatching(
    () => resolveConfig(cfg({ seed: [1] }), env),
    /^seed: unknown key \(did you mean "seeds"\?\)/,
  );
  const c = cfg();
  (c.models as Record<string, Record<string, unknown>>).Pop.lrr = 0.1;
  await assertThrowsMatching(
    () => resolveConfig(c, env),
    /^models\.Pop\.lrr: unknown key \(did you mean "lr"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ eval: { kss: [10] } }), env),
    /^eval\.kss: unknown key \(did you mean "ks"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ train: { epoch: 3 } }), env),
    /^train\.epoch: no model in this experiment has a parameter "epoch" \(did you mean "epochs"\?\)/,
  );
});

Deno.test("config: wrong types and ranges name the key and the value", async () => {
  const c = cfg();
  (c.models as Record<string, Record<string, unknown>>).Pop.lr = "fast";
  await assertThrowsMatching(
    () => resolveConfig(c, env),
    /^models\.Pop\.lr: expected a finite number, got "fast"/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ eval: { ks: [10, 2.5] } }), env),
    /^eval\.ks\[1\]: expected an integer, got 2\.5/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ data: { dataset: "tinny" } }), env),
    /^data\.dataset: expected one of "tiny", "missing", got "tinny" \(did you mean "tiny"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ seeds: [1, 1] }), env),
    /seeds: a seed is listed twice/,
  );
});

Deno.test("config: unknown, unavailable and misconfigured models fail clearly", async () => {
  await assertThrowsMatching(
    () => resolveConfig(cfg({ models: { X: { type: "FakePopp" } } }), env),
    /^models\.X: unknown model "FakePopp" \(did you mean "FakePop"\?\); known models: FakePop, /,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ models: { Planned: {} }, table: {} }), env),
    /^models\.Planned: model "Planned" is not available in this build: its module has not landed/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ embedding: null }), env),
    /^models\.Emb: model FakeEmbed uses Doc2Vec vectors; add an "embedding" section/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ table: { baseline: "Embb" } }), env),
    /^table\.baseline: no model labelled "Embb" \(did you mean "Emb"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ model: { type: "FakePop" } }), env),
    /model and models: use one of them/,
  );
});

Deno.test("config file: errors name the file and the line of the offending key", async () => {
  const tmp = await tempDir();
  try {
    const path = `${tmp.path}/bad.jsonc`;
    await Deno.writeTextFile(
      path,
      `{
  // one model
  "data": { "dataset": "tiny" },
  "model": {
    "type": "FakePop",
    "lrr": 0.01
  }
}
`,
    );
    await assertThrowsMatching(
      () => loadPlan(path, env),
      new RegExp(
        `^${path.replace(/[./]/g, "\\$&")}:6: model\\.lrr: unknown key \\(did you mean "lr"\\?\\)`,
      ),
    );
    await assertThrowsMatching(
      () => loadPlan(`${tmp.path}/nope.json`, env),
      /config file not found/,
    );
    await Deno.writeTextFile(
      path,
      `{ "data": { "dataset": "tiny" }, "model": {"type": "FakePop"} `,
    );
    await assertThrowsMatching(() => loadPlan(path, env), /bad\.jsonc:1:\d+: invalid JSON/);
    // A single-model config: the run is named after the file, overrides read model.<key>.
    await Deno.writeTextFile(
      path,
      `{ "data": { "dataset": "tiny" }, "model": {"type": "FakePop"} }`,
    );
    const plan = await loadPlan(path, env, { sets: ["model.lr=0.5"], seeds: [4, 5] });
    assertEquals(plan.name, "bad");
    assertEquals(plan.runs.map((r) => [r.config.label, r.config.seed, r.config.model.params.lr]), [
      ["FakePop", 4, 0.5],
      ["FakePop", 5, 0.5],
    ]);
  } finally {
    await tmp.remove();
  }
});

Deno.test("overrides: values are typed by the schema of the key they set", async () => {
  const raw = applyOverrides(cfg(), [
    "models.Pop.lr=0.5",
    "models.Pop.epochs=4",
    "eval.ks=5,20",
    "eval.full=false",
    "embedding.shuffle=true",
    "table.baseline=null",
    "train.noise=0.25",
    'models.New={"type":"FakePop"}',
  ], env);
  const r = resolveConfig(raw, env);
  const pop = r.models.find((m) => m.label === "Pop")!;
  assertEquals([pop.params.lr, pop.params.epochs, pop.params.noise], [0.5, 4, 0.25]);
  assertEquals(r.eval.ks, [5, 20]);
  assertEquals(r.eval.full, false);
  assertEquals(r.embedding!.shuffle, true);
  assertEquals(r.table.baseline, null);
  assertEquals(r.models.map((m) => m.label), ["Pop", "Emb", "New"]);
  // The override does not change the original object.
  assertEquals((cfg().models as Record<string, { lr?: number }>).Pop.lr, undefined);
  await assertThrowsMatching(
    () => applyOverrides(cfg(), ["models.Pop.lr=fast"], env),
    /--set models\.Pop\.lr=fast: expected a number/,
  );
  await assertThrowsMatching(
    () => applyOverrides(cfg(), ["models.Pop.epochs=2.5"], env),
    /models\.Pop\.epochs: expected an integer, got 2\.5/,
  );
  await assertThrowsMatching(
    () => applyOverrides(cfg(), ["eval.full=maybe"], env),
    /--set eval\.full=maybe: expected true or false/,
  );
  await assertThrowsMatching(() => applyOverrides(cfg(), ["lr"], env), /expected key=value/);
  // An unknown key is reported by validation with its nearest neighbour.
  await assertThrowsMatching(
    () => resolveConfig(applyOverrides(cfg(), ["models.Pop.factor=4"], env), env),
    /models\.Pop\.factor: unknown key \(did you mean "factors"\?\)/,
  );
});

Deno.test("--seeds: a count gives 1..N, a list is taken as is", async () => {
  assertEquals(parseSeeds("3"), [1, 2, 3]);
  assertEquals(parseSeeds("7, 11"), [7, 11]);
  await assertThrowsMatching(() => parseSeeds("0"), /at least one seed/);
  await assertThrowsMatching(() => parseSeeds("a,b"), /expected a count/);
  const plan = planExperiment(cfg(), env, { seeds: [1, 2, 3, 4, 5] });
  assertEquals(plan.base.seeds, [1, 2, 3, 4, 5]);
  assert(plan.runs.length === 10);
});

Deno.test("config: a model's own embedding block is merged over the experiment's section", async () => {
  const r = resolveConfig(
    cfg({
      models: {
        Emb: { type: "FakeEmbed" },
        Shuffled: { type: "FakeEmbed", embedding: { shuffle: true } },
        Pop: { type: "FakePop" },
      },
    }),
    env,
  );
  assertEquals(r.models.map((m) => m.embedding), [
    { dim: 3, shuffle: false },
    { dim: 3, shuffle: true },
    null,
  ]);
  const plan = planExperiment(
    cfg({
      models: {
        Emb: { type: "FakeEmbed" },
        Shuffled: { type: "FakeEmbed", embedding: { shuffle: true } },
      },
    }),
    env,
  );
  assertEquals(plan.runs.map((r) => r.config.embedding?.shuffle), [false, true, false, true]);
  await assertThrowsMatching(
    () =>
      resolveConfig(
        cfg({ models: { E: { type: "FakeEmbed", embedding: { dimm: 2 } } }, table: {} }),
        env,
      ),
    /^models\.E\.embedding\.dimm: unknown key \(did you mean "dim"\?\)/,
  );
  await assertThrowsMatching(
    () => resolveConfig(cfg({ models: { P: { type: "FakePop", embedding: {} } }, table: {} }), env),
    /^models\.P\.embedding: model FakePop uses no Doc2Vec vectors/,
  );
  const raw = applyOverrides(cfg(), ["models.Emb.embedding.dim=7"], env);
  assertEquals(resolveConfig(raw, env).models[1].embedding, { dim: 7, shuffle: false });
});

Deno.test("config file: extends deep-merges a base config; name is not inherited; cycles fail", async () => {
  const tmp = await tempDir();
  try {
    await Deno.writeTextFile(
      `${tmp.path}/base.jsonc`,
      JSON.stringify({
        name: "base",
        description: "base description",
        data: { dataset: "tiny", users: 30 },
        models: { Pop: { type: "FakePop", noise: 1 }, Emb: { type: "FakeEmbed" } },
        embedding: { dim: 2 },
        seeds: [1, 2, 3],
      }),
    );
    await Deno.mkdir(`${tmp.path}/sub`);
    await Deno.writeTextFile(
      `${tmp.path}/sub/quick.jsonc`,
      `{ "extends": "../base.jsonc", // one seed, less noise
         "seeds": [1], "models": { "Pop": { "noise": 0.1 } }, "data": { "users": 10 } }`,
    );
    const plan = await loadPlan(`${tmp.path}/sub/quick.jsonc`, env);
    assertEquals(plan.name, "quick");
    assertEquals(plan.base.description, "base description");
    assertEquals(plan.base.seeds, [1]);
    assertEquals(plan.base.data, { dataset: "tiny", users: 10, items: 40, perUser: 8, seed: 0 });
    assertEquals(plan.base.models.map((m) => [m.label, m.params.noise]), [["Pop", 0.1], [
      "Emb",
      0.5,
    ]]);
    await Deno.writeTextFile(`${tmp.path}/a.jsonc`, `{ "extends": "b.jsonc" }`);
    await Deno.writeTextFile(`${tmp.path}/b.jsonc`, `{ "extends": "a.jsonc" }`);
    await assertThrowsMatching(
      () => loadPlan(`${tmp.path}/a.jsonc`, env),
      /extends itself \(cycle\)/,
    );
    await Deno.writeTextFile(`${tmp.path}/c.jsonc`, `{ "extends": "nope.jsonc" }`);
    await assertThrowsMatching(
      () => loadPlan(`${tmp.path}/c.jsonc`, env),
      /config file not found: .*nope\.jsonc \(extended by .*c\.jsonc\)/,
    );
  } finally {
    await tmp.remove();
  }
});
