/**
 * Where the experiment notebooks' numbers come from (lib/report/notebook_experiments.ts):
 * results on disk when a folder has every shown model, else a run of the experiment with
 * the notebook's changes, in a scratch folder that starts empty. Uses the fast fake
 * experiment environment (tiny synthetic data, fake models, the real runner and
 * evaluation), so every run takes milliseconds.
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  buildResultsTable,
  configLabels,
  keepModels,
  loadExperimentResults,
  loadOrRunExperiment,
  runForNotebook,
  selectModels,
  sourceText,
} from "../lib/report/mod.ts";
import { SilentSink } from "../lib/util/progress.ts";
import { type FakeCounters, fakeEnv } from "./fixtures/experiments/fake_env.ts";

const quiet = () => {};
const silent = new SilentSink();
const io = { progress: silent, runsProgress: silent, log: quiet };

/** An experiment config on disk: three fake models, two seeds, baseline A. */
async function writeConfig(dir: string, name: string, models: string[] = ["A", "B", "C"]) {
  const all: Record<string, unknown> = {
    A: { type: "FakePop", epochs: 3 },
    B: { type: "FakeEmbed", epochs: 2 },
    C: { type: "FakeConst", epochs: 0 },
  };
  const path = join(dir, `${name}.json`);
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      data: { dataset: "tiny" },
      embedding: { dim: 3 },
      models: Object.fromEntries(models.map((m) => [m, all[m]])),
      eval: { ks: [10], negatives: 20 },
      seeds: [1, 2],
      table: { baseline: models.includes("A") ? "A" : null },
    }),
  );
  return path;
}

Deno.test("notebook source: no results -> a run with the changes, in a scratch folder emptied first", async () => {
  const tmp = await tempDir();
  try {
    const counters: FakeCounters = { prepareData: 0, embed: 0 };
    const env = fakeEnv(counters);
    const config = await writeConfig(tmp.path, "exp");
    const resultsRoot = join(tmp.path, "results");
    const opts = {
      config,
      resultsRoot,
      env,
      run: { seeds: [1], sets: ["models.A.epochs=1"], models: ["A", "B"] },
      ...io,
    };
    const view = await loadOrRunExperiment(opts);
    assertEquals(view.source.kind, "run");
    assertEquals(view.source.reduced, true);
    assertEquals(view.source.skipped, [{ experiment: "exp", reason: "not run yet" }]);
    assertEquals(view.source.dir, join(resultsRoot, "tmp", "notebook_runs", "exp"));
    assertEquals(view.results.rows, ["A", "B"]);
    assertEquals(view.results.runs.map((r) => [r.label, r.seed]), [["A", 1], ["B", 1]]);
    // The override reached the model: one epoch instead of three.
    assertEquals(view.results.runs.find((r) => r.label === "A")!.history.length, 1);
    assertEquals(view.source.run!.summary.ran.length, 2);
    assert(/--seeds 1 --set models\.A\.epochs=1/.test(view.source.run!.command));
    assert(/keeping models A, B/.test(view.source.run!.command));
    assert(/a scratch folder, emptied first/.test(view.text), view.text);
    // The experiment folder under results/ itself is untouched.
    await assertThrowsMatching(() => Deno.stat(join(resultsRoot, "exp")), /No such file/);
    // Tables and figures were written for the scratch run.
    assert((await Deno.stat(join(view.source.dir, "tables", "main.md"))).isFile);

    // Again: the scratch folder starts empty (a planted file is gone), same numbers.
    const planted = join(view.source.dir, "planted.txt");
    await Deno.writeTextFile(planted, "x");
    const again = await loadOrRunExperiment(opts);
    await assertThrowsMatching(() => Deno.stat(planted), /No such file/);
    assertEquals(again.source.run!.summary.ran.length, 2, "every run redone");
    assertEquals(
      again.results.runs.map((r) => r.metrics.sampled),
      view.results.runs.map((r) => r.metrics.sampled),
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("notebook source: the experiment as shipped runs into results/ and is then read, not rerun", async () => {
  const tmp = await tempDir();
  try {
    const counters: FakeCounters = { prepareData: 0, embed: 0 };
    const env = fakeEnv(counters);
    const config = await writeConfig(tmp.path, "exp");
    const resultsRoot = join(tmp.path, "results");
    const first = await runForNotebook(config, { resultsRoot, env, ...io });
    assertEquals(first.run.fresh, false);
    assertEquals(first.run.resultsRoot, resultsRoot);
    // A, B twice (two seeds), C once (seedless).
    assertEquals(first.run.summary.ran.length, 5);
    const loads = counters.prepareData;

    const view = await loadOrRunExperiment({
      config,
      resultsRoot,
      env,
      models: ["B", "A"],
      ...io,
    });
    assertEquals(view.source.kind, "results");
    assertEquals(view.source.reduced, false);
    assertEquals(counters.prepareData, loads, "nothing ran");
    assertEquals(view.results.rows, ["B", "A"], "rows follow the requested order");
    assertEquals(view.results.runs.filter((r) => r.label === "C").length, 0);
    assert(/Source: results on disk/.test(view.text));

    // Rerunning the shipped experiment resumes: everything is already finished.
    const second = await runForNotebook(config, { resultsRoot, env, ...io });
    assertEquals([second.run.summary.ran.length, second.run.summary.skipped], [0, 5]);

    // source "run" runs even though results exist (here: as shipped, so nothing is left to do).
    const forced = await loadOrRunExperiment({ config, resultsRoot, env, source: "run", ...io });
    assertEquals(forced.source.kind, "run");
  } finally {
    await tmp.remove();
  }
});

Deno.test("notebook source: folders tried in order, one lacking a model is skipped with the reason", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const resultsRoot = join(tmp.path, "results");
    // "partial" has only model A; "exp" has all three.
    await runForNotebook(await writeConfig(tmp.path, "partial", ["A"]), {
      resultsRoot,
      env,
      ...io,
    });
    const config = await writeConfig(tmp.path, "exp");
    await runForNotebook(config, { resultsRoot, env, ...io });
    const view = await loadOrRunExperiment({
      config,
      resultsRoot,
      env,
      read: ["missing", "partial", "exp"],
      models: ["A", "B"],
      ...io,
    });
    assertEquals(view.source.experiment, "exp");
    assertEquals(view.source.skipped, [
      { experiment: "missing", reason: "not run yet" },
      { experiment: "partial", reason: "no finished runs of B" },
    ]);
    assert(/after trying/.test(sourceText(view.results, view.source)));
    // Only the asked models, and the table counts their planned runs only.
    const table = await buildResultsTable(view.results);
    assertEquals(table.rows.map((r) => [r.row, r.seeds, r.planned]), [["A", 2, 2], ["B", 2, 2]]);

    // source "results" with no qualifying folder: an error naming each folder and why.
    await assertThrowsMatching(
      () =>
        loadOrRunExperiment({
          config,
          resultsRoot,
          env,
          read: ["missing", "partial"],
          models: ["A", "B"],
          source: "results",
          ...io,
        }),
      /missing \(not run yet\); partial \(no finished runs of B\)/,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("keepModels: drops other models, their sweep keys, a dropped baseline; unknown label named", async () => {
  const env = fakeEnv();
  const raw = {
    data: { dataset: "tiny" },
    models: { A: { type: "FakePop" }, B: { type: "FakeEmbed" } },
    sweep: { mode: "grid", params: { "models.A.lr": [0.1, 0.2], "models.B.lr": [0.3] } },
    table: { baseline: "B" },
    train: { epochs: 1 },
  };
  const kept = keepModels(raw, ["A"], env);
  assertEquals(Object.keys(kept.models as object), ["A"]);
  assertEquals((kept.sweep as { params: object }).params, { "models.A.lr": [0.1, 0.2] });
  assertEquals((kept.table as { baseline: unknown }).baseline, null);
  assertEquals(kept.train, { epochs: 1 });
  assertEquals(raw.table.baseline, "B", "the input is not modified");
  // A sweep left without keys is no sweep.
  assertEquals(
    keepModels({ ...raw, sweep: { params: { "models.B.lr": [1] } } }, ["A"], env).sweep,
    null,
  );
  await assertThrowsMatching(
    () => keepModels(raw, ["A", "Z"], env),
    /no model labelled "Z"; labels: A, B/,
  );
  assertEquals(configLabels(raw), ["A", "B"]);
  assertEquals(configLabels({ model: { type: "FakePop" } }), ["FakePop"]);
});

Deno.test("selectModels: rows, runs, missing runs and the manifest filtered alike", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const config = await writeConfig(tmp.path, "exp");
    const resultsRoot = join(tmp.path, "results");
    await runForNotebook(config, { resultsRoot, env, ...io });
    const all = await loadExperimentResults(resultsRoot, "exp");
    assertEquals(all.rows, ["A", "B", "C"]);
    const some = selectModels(all, ["C", "A"]);
    assertEquals(some.rows, ["A", "C"], "experiment order by default");
    assertEquals(selectModels(all, ["C", "A"], { order: "labels" }).rows, ["C", "A"]);
    assertEquals(new Set(some.runs.map((r) => r.label)), new Set(["A", "C"]));
    assertEquals(some.manifest!.runs.length, 3, "A twice, C once");
    assertEquals(all.manifest!.runs.length, 5, "the input is not modified");
  } finally {
    await tmp.remove();
  }
});
