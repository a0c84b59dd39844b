/**
 * Resume and sharding with real child processes: `deno run` of the experiment command
 * (fake fast models) is killed mid-sweep with SIGKILL and restarted; two shards run at
 * once on one results folder.
 */
import { assert, assertEquals, tempDir } from "./_assert.ts";
import { join } from "node:path";
import { type ExperimentPlan, LOCK_FILE, planExperiment } from "../lib/experiments/mod.ts";
import { runDir } from "../lib/results/mod.ts";
import { fakeEnv } from "./fixtures/experiments/fake_env.ts";

const CLI = new URL("./fixtures/experiments/fake_cli.ts", import.meta.url).pathname;

const config = {
  name: "resume",
  data: { dataset: "tiny" },
  models: {
    A: { type: "FakePop", epochs: 4, sleepMs: 50 },
    B: { type: "FakePop", epochs: 4, sleepMs: 50, noise: 1 },
  },
  eval: { negatives: 10 },
  seeds: [1, 2],
  sweep: { params: { "models.A.lr": [0.001, 0.01, 0.1] } },
  table: { baseline: "B" },
};

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DSER_QUIET: "1" },
  }).spawn();
}

async function state(root: string, plan: ExperimentPlan) {
  const finished = new Map<string, string>();
  const partial: string[] = [];
  for (const r of plan.runs) {
    const dir = runDir(root, plan.name, r.id);
    try {
      finished.set(r.id, JSON.parse(await Deno.readTextFile(join(dir, "metrics.json"))).finishedAt);
    } catch {
      try {
        await Deno.stat(join(dir, "config.json"));
        partial.push(r.id);
      } catch { /* not started */ }
    }
  }
  return { finished, partial };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await listFiles(p));
    else out.push(p);
  }
  return out;
}

Deno.test("resume: a sweep killed mid-run resumes without redoing, losing or duplicating runs", async () => {
  const tmp = await tempDir();
  try {
    const path = join(tmp.path, "resume.json");
    await Deno.writeTextFile(path, JSON.stringify(config));
    const out = join(tmp.path, "results");
    const plan = planExperiment(config, fakeEnv());
    assertEquals(plan.runs.length, 8);

    const child = spawn([path, "--out", out]);
    // Kill once some runs are finished and one is in the middle of its epochs.
    const deadline = Date.now() + 60_000;
    let s = await state(out, plan);
    while (!(s.finished.size >= 3 && s.partial.length >= 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      s = await state(out, plan);
    }
    child.kill("SIGKILL");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert(!status.success, "the child was killed");
    const before = await state(out, plan);
    assert(
      before.finished.size >= 3 && before.finished.size < 8,
      `finished ${before.finished.size}`,
    );
    assertEquals(before.partial.length, 1, "exactly one run was interrupted");

    const again = await spawn([path, "--out", out]).output();
    const log = new TextDecoder().decode(again.stderr);
    assert(again.success, log);
    assert(log.includes(`${before.finished.size} already finished`), log);
    assert(log.includes(`redoing ${before.partial[0]}`), log);
    const after = await state(out, plan);
    assertEquals(after.finished.size, 8, "nothing lost");
    for (const [id, t] of before.finished) {
      assertEquals(after.finished.get(id), t, `${id} not redone`);
    }
    // Nothing duplicated or left over: one folder per planned run, no temp or lock files.
    const runFolders = [...Deno.readDirSync(join(out, "resume", "runs"))].map((e) => e.name).sort();
    assertEquals(runFolders, plan.runs.map((r) => r.id).sort());
    const files = await listFiles(join(out, "resume"));
    assertEquals(files.filter((f) => f.endsWith(".tmp") || f.endsWith(LOCK_FILE)), []);
    // The redone run has a complete history (4 epochs), not the killed attempt's.
    const hist = JSON.parse(
      await Deno.readTextFile(join(runDir(out, "resume", before.partial[0]), "history.json")),
    );
    assertEquals(hist.map((h: { epoch: number }) => h.epoch), [1, 2, 3, 4]);
    // All finished: the tables were written.
    const md = await Deno.readTextFile(join(out, "resume", "tables", "main.md"));
    assert(md.includes("B (baseline)"), md);
  } finally {
    await tmp.remove();
  }
});

Deno.test("shards: two processes on one results folder run every run exactly once", async () => {
  const tmp = await tempDir();
  try {
    const path = join(tmp.path, "resume.json");
    const fast = structuredClone(config);
    fast.models.A.sleepMs = 5;
    fast.models.B.sleepMs = 5;
    await Deno.writeTextFile(path, JSON.stringify(fast));
    const out = join(tmp.path, "results");
    const [a, b] = await Promise.all([
      spawn([path, "--out", out, "--shard", "1/2", "--no-tables"]).output(),
      spawn([path, "--out", out, "--shard", "2/2", "--no-tables"]).output(),
    ]);
    const logA = new TextDecoder().decode(a.stderr);
    const logB = new TextDecoder().decode(b.stderr);
    assert(a.success && b.success, logA + logB);
    assert(/ran 4, skipped 0 finished, 0 failed, 0 busy/.test(logA), logA);
    assert(/ran 4, skipped 0 finished, 0 failed, 0 busy/.test(logB), logB);
    const plan = planExperiment(fast, fakeEnv());
    const s = await state(out, plan);
    assertEquals(s.finished.size, 8);
    // A dry run afterwards lists every run as finished.
    const dry = await spawn([path, "--out", out, "--dry-run"]).output();
    const text = new TextDecoder().decode(dry.stdout);
    assertEquals(text.match(/^\s+\d+\s+finished\s/gm)?.length, 8, text);
  } finally {
    await tmp.remove();
  }
});

Deno.test("two copies of one command share the work through the run locks", async () => {
  const tmp = await tempDir();
  try {
    const path = join(tmp.path, "resume.json");
    await Deno.writeTextFile(path, JSON.stringify(config));
    const out = join(tmp.path, "results");
    const [a, b] = await Promise.all([
      spawn([path, "--out", out, "--no-tables"]).output(),
      spawn([path, "--out", out, "--no-tables"]).output(),
    ]);
    const logs = [a, b].map((o) => new TextDecoder().decode(o.stderr));
    assert(a.success && b.success, logs.join("\n"));
    const ran = logs.map((l) => Number(/experiment resume: ran (\d+),/.exec(l)![1]));
    assertEquals(ran[0] + ran[1], 8, `each run once: ${ran}`);
    const plan = planExperiment(config, fakeEnv());
    assertEquals((await state(out, plan)).finished.size, 8);
  } finally {
    await tmp.remove();
  }
});

Deno.test("Ctrl-C (SIGINT) stops a sweep cleanly; the rerun finishes it", async () => {
  const tmp = await tempDir();
  try {
    const path = join(tmp.path, "resume.json");
    await Deno.writeTextFile(path, JSON.stringify(config));
    const out = join(tmp.path, "results");
    const plan = planExperiment(config, fakeEnv());
    const child = spawn([path, "--out", out]);
    const deadline = Date.now() + 60_000;
    while ((await state(out, plan)).finished.size < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGINT");
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      child.stdout.cancel(),
    ]);
    assertEquals(status.code, 1, stderr);
    assert(
      /interrupt/.test(stderr) && /finished runs are intact; rerun the same command/.test(stderr),
      stderr,
    );
    const before = await state(out, plan);
    assert(before.finished.size >= 2 && before.finished.size < 8, `${before.finished.size}`);
    // No lock is left behind by a clean stop.
    const files = await listFiles(join(out, "resume"));
    assertEquals(files.filter((f) => f.endsWith(LOCK_FILE)), []);
    const again = await spawn([path, "--out", out, "--no-tables"]).output();
    assert(again.success, new TextDecoder().decode(again.stderr));
    const after = await state(out, plan);
    assertEquals(after.finished.size, 8);
    for (const [id, t] of before.finished) assertEquals(after.finished.get(id), t);
  } finally {
    await tmp.remove();
  }
});
