import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  type ExperimentPlan,
  finishedRuns,
  LOCK_FILE,
  planExperiment,
  runExperiment,
} from "../lib/experiments/mod.ts";
import { readPerUser, readRun, RESULTS_LAYOUT_VERSION, runDir } from "../lib/results/mod.ts";
import { SilentSink } from "../lib/util/progress.ts";
import { type FakeCounters, fakeEnv, tinySweepConfig } from "./fixtures/experiments/fake_env.ts";

const quiet = () => {};
const silent = new SilentSink();

async function finishedAt(root: string, plan: ExperimentPlan): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of plan.runs) {
    try {
      const m = JSON.parse(
        await Deno.readTextFile(join(runDir(root, plan.name, r.id), "metrics.json")),
      );
      out.set(r.id, m.finishedAt);
    } catch { /* not finished */ }
  }
  return out;
}

/** Runs the one-seed tiny sweep into `root`; returns it with each run's finish time. */
async function runTinyOnce(root: string) {
  const env = fakeEnv();
  const plan = planExperiment({ ...tinySweepConfig, seeds: [1] }, env);
  await runExperiment(plan, env, { resultsRoot: root, log: quiet, progress: silent });
  return { env, plan, before: await finishedAt(root, plan) };
}

Deno.test("runner: runs every run once, shares data and embeddings, a rerun skips all", async () => {
  const tmp = await tempDir();
  try {
    const counters: FakeCounters = { prepareData: 0, embed: 0 };
    const env = fakeEnv(counters);
    const plan = planExperiment(tinySweepConfig, env);
    const s1 = await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals([s1.ran.length, s1.skipped, s1.failed.length, s1.allFinished], [6, 0, 0, true]);
    assertEquals(counters.prepareData, 1, "one dataset for all runs");
    assertEquals(counters.embed, 2, "one embedding per seed (only Emb needs it)");
    const run = await readRun(runDir(tmp.path, plan.name, plan.runs[0].id));
    assertEquals(run.config.runId, plan.runs[0].id);
    assertEquals(run.history.length, 3, "history.json holds every epoch");
    assertEquals(run.metrics.bestEpoch, 3);
    assert(run.metrics.sampled!["HR@10"] >= 0 && run.metrics.full!["NDCG@5"] >= 0);
    const per = await readPerUser(run.dir);
    assertEquals(Object.keys(per!.columns).sort(), [
      "full:HR@10",
      "full:HR@5",
      "full:NDCG@10",
      "full:NDCG@5",
      "sampled:HR@10",
      "sampled:HR@5",
      "sampled:NDCG@10",
      "sampled:NDCG@5",
    ]);
    // Per-user values average to the stored metric.
    const col = per!.columns["sampled:HR@10"];
    assert(
      Math.abs(col.reduce((a, b) => a + b, 0) / col.length - run.metrics.sampled!["HR@10"]) < 1e-12,
    );
    const manifest = JSON.parse(
      await Deno.readTextFile(join(tmp.path, plan.name, "experiment.json")),
    );
    assertEquals(manifest.runs.map((r: { id: string }) => r.id), plan.runs.map((r) => r.id));
    assertEquals(manifest.rows, ["Pop (lr=0.001)", "Pop (lr=0.01)", "Emb"]);
    const before = await finishedAt(tmp.path, plan);
    const s2 = await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals([s2.ran.length, s2.skipped], [0, 6]);
    assertEquals(await finishedAt(tmp.path, plan), before, "no finished run redone");
    assertEquals(counters.prepareData, 1, "nothing to run: no data loaded");
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: fresh moves earlier results aside and recomputes every run", async () => {
  const tmp = await tempDir();
  try {
    const { env, plan, before } = await runTinyOnce(tmp.path);
    const lines: string[] = [];
    const s = await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      fresh: true,
      log: (l) => lines.push(l),
      progress: silent,
    });
    assertEquals([s.ran.length, s.skipped], [3, 0]);
    const after = await finishedAt(tmp.path, plan);
    for (const [id, t] of before) assert(after.get(id) !== t, `${id} was recomputed`);
    // The earlier folder is intact under tmp/previous/, and the log says where it went.
    const previous = [...Deno.readDirSync(join(tmp.path, "tmp", "previous"))].map((e) => e.name);
    assertEquals(previous.length, 1);
    assert(previous[0].startsWith(`${plan.name}-`), previous[0]);
    const moved = join(tmp.path, "tmp", "previous", previous[0]);
    const movedRoot = join(tmp.path, "tmp", "previous");
    for (const r of plan.runs) {
      const m = JSON.parse(
        await Deno.readTextFile(join(moved, "runs", r.id, "metrics.json")),
      );
      assertEquals(m.finishedAt, before.get(r.id));
    }
    assert(lines.some((l) => l.includes(movedRoot)), lines.join("\n"));
    // A shard of several cannot move the folder the other shards share.
    await assertThrowsMatching(
      () =>
        runExperiment(plan, env, {
          resultsRoot: tmp.path,
          fresh: true,
          shard: { index: 0, count: 2 },
          log: quiet,
          progress: silent,
        }),
      /--fresh cannot be combined with --shard 1\/2/,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: a partial run is redone, finished ones are kept, more seeds extend", async () => {
  const tmp = await tempDir();
  try {
    const { env, plan, before } = await runTinyOnce(tmp.path);
    // Simulate an interrupted run: metrics.json gone, a stale temp file and epoch left.
    const victim = runDir(tmp.path, plan.name, plan.runs[1].id);
    await Deno.remove(join(victim, "metrics.json"));
    await Deno.writeTextFile(join(victim, "metrics.json.999.0.tmp"), "{");
    await Deno.writeTextFile(
      join(victim, LOCK_FILE),
      JSON.stringify({ pid: 999999999, host: hostname(), startedAt: "x", heartbeatAt: "x" }),
    );
    const s = await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals(s.ran, [plan.runs[1].id]);
    const after = await finishedAt(tmp.path, plan);
    for (const [id, t] of before) if (id !== plan.runs[1].id) assertEquals(after.get(id), t);
    const names = [...Deno.readDirSync(victim)].map((e) => e.name).sort();
    assertEquals(names, [
      "config.json",
      "environment.json",
      "history.json",
      "metrics.json",
      "per_user.csv.gz",
    ]);
    // --seeds 2 on the same config: the seed-1 runs are reused, only seed 2 runs.
    const plan2 = planExperiment({ ...tinySweepConfig, seeds: [1] }, env, { seeds: [1, 2] });
    const s2 = await runExperiment(plan2, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals([s2.ran.length, s2.skipped], [3, 3]);
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: a run locked by a live process is left to it", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const plan = planExperiment({ ...tinySweepConfig, seeds: [1] }, env);
    const dir = runDir(tmp.path, plan.name, plan.runs[0].id);
    await Deno.mkdir(dir, { recursive: true });
    const now = new Date().toISOString();
    // Our own pid on our host: certainly alive.
    await Deno.writeTextFile(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: Deno.pid, host: hostname(), startedAt: now, heartbeatAt: now }),
    );
    const s = await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals(s.busy, [plan.runs[0].id]);
    assertEquals(s.ran.length, 2);
    assertEquals(s.allFinished, false);
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: a failing model is recorded and the sweep goes on", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const plan = planExperiment(
      {
        data: { dataset: "tiny" },
        models: { Bad: { type: "FakeFail" }, Good: { type: "FakePop" } },
        eval: { negatives: 10 },
      },
      env,
      { defaultName: "fails" },
    );
    const s = await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals(s.failed.map((f) => f.id), [plan.runs[0].id]);
    assert(/loss became NaN in epoch 1/.test(s.failed[0].message));
    assertEquals(s.ran, [plan.runs[1].id]);
    const err = await Deno.readTextFile(
      join(runDir(tmp.path, "fails", plan.runs[0].id), "error.txt"),
    );
    assert(/DivergenceError/.test(err), err);
    assertEquals(s.allFinished, false);
    await assertThrowsMatching(
      () =>
        runExperiment(plan, env, {
          resultsRoot: tmp.path,
          log: quiet,
          progress: silent,
          failFast: true,
        }),
      /failed \(--fail-fast\): .*loss became NaN/,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: a disk error mid-run stops the sweep, finished runs intact, rerun resumes", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const config = {
      data: { dataset: "tiny" },
      models: { A: { type: "FakePop" }, D: { type: "FakeDisk" }, B: { type: "FakePop", noise: 1 } },
      eval: { negatives: 10 },
    };
    const plan = planExperiment(config, env, { defaultName: "disk" });
    await assertThrowsMatching(
      () => runExperiment(plan, env, { resultsRoot: tmp.path, log: quiet, progress: silent }),
      /disk error in run D__s1__\w+: could not write .*history\.json.*\n1 finished runs are intact; .*rerun the same command to resume/,
    );
    const done = await finishedRuns(plan, tmp.path);
    assertEquals([...done], [plan.runs[0].id]);
    assertEquals(
      (await readRun(runDir(tmp.path, "disk", plan.runs[0].id))).metrics.layoutVersion,
      RESULTS_LAYOUT_VERSION,
    );
    // The disk is "fixed" (the model no longer blocks): a rerun finishes the rest only.
    const fixed = planExperiment(
      { ...config, models: { ...config.models, D: { type: "FakePop", noise: 2 } } },
      env,
      {
        defaultName: "disk",
      },
    );
    const s = await runExperiment(fixed, env, {
      resultsRoot: tmp.path,
      log: quiet,
      progress: silent,
    });
    assertEquals([s.skipped, s.ran.length, s.allFinished], [1, 2, true]);
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: a missing dataset stops with the data layer's message", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const plan = planExperiment({ data: { dataset: "missing" }, model: { type: "FakePop" } }, env, {
      defaultName: "nodata",
    });
    await assertThrowsMatching(
      () => runExperiment(plan, env, { resultsRoot: tmp.path, log: quiet, progress: silent }),
      /run FakePop__s1__\w+: dataset "missing": file u\.data not found; looked in .*\n0 finished runs are intact/,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("runner: results from an older layout are refused and left untouched", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const plan = planExperiment({ ...tinySweepConfig, seeds: [1] }, env);
    const manifest = join(tmp.path, plan.name, "experiment.json");
    await Deno.mkdir(join(tmp.path, plan.name), { recursive: true });
    await Deno.writeTextFile(manifest, JSON.stringify({ layoutVersion: 0, runs: [] }));
    await assertThrowsMatching(
      () => runExperiment(plan, env, { resultsRoot: tmp.path, log: quiet, progress: silent }),
      /was written by results layout version 0; .*Nothing was changed there.*--out <dir>/,
    );
    assertEquals(JSON.parse(await Deno.readTextFile(manifest)), { layoutVersion: 0, runs: [] });
    // A run folder of an older layout (no manifest) is refused as well.
    await Deno.remove(manifest);
    const dir = runDir(tmp.path, plan.name, plan.runs[0].id);
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, "metrics.json"), JSON.stringify({ layoutVersion: 0 }));
    await assertThrowsMatching(
      () => runExperiment(plan, env, { resultsRoot: tmp.path, log: quiet, progress: silent }),
      /runs\/Pop__lr=0\.001__s1__\w+ was written by results layout version 0/,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("determinism: the same experiment twice gives the same metrics and per-user values", async () => {
  const a = await tempDir();
  const b = await tempDir();
  try {
    const env = fakeEnv();
    const plan = planExperiment(tinySweepConfig, env);
    await runExperiment(plan, env, { resultsRoot: a.path, log: quiet, progress: silent });
    await runExperiment(planExperiment(tinySweepConfig, fakeEnv()), fakeEnv(), {
      resultsRoot: b.path,
      log: quiet,
      progress: silent,
    });
    for (const r of plan.runs) {
      const ra = await readRun(runDir(a.path, plan.name, r.id));
      const rb = await readRun(runDir(b.path, plan.name, r.id));
      assertEquals([ra.metrics.sampled, ra.metrics.full], [rb.metrics.sampled, rb.metrics.full]);
      assertEquals(ra.config, rb.config);
      const pa = await readPerUser(ra.dir);
      const pb = await readPerUser(rb.dir);
      assertEquals(pa, pb);
    }
    // Different seeds do give different numbers (the check above can fail).
    const r1 = await readRun(runDir(a.path, plan.name, plan.runs[0].id));
    const r2 = await readRun(runDir(a.path, plan.name, plan.runs[3].id));
    assert(JSON.stringify(r1.metrics.full) !== JSON.stringify(r2.metrics.full));
  } finally {
    await a.remove();
    await b.remove();
  }
});
