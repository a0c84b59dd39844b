import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  isRunFinished,
  readPerUser,
  readRun,
  runDir,
  writeHistory,
  writeRunResult,
  writeRunStart,
} from "../lib/results/mod.ts";
import { environmentInfo } from "../lib/util/mod.ts";

Deno.test("run folder: unfinished until metrics.json, then round-trips", async () => {
  const tmp = await tempDir();
  try {
    const dir = runDir(tmp.path, "exp", "mostpop__seed1");
    await writeRunStart(dir, { model: "MostPop" }, environmentInfo({ backend: "none" }));
    assertEquals(await isRunFinished(dir), false);
    await writeHistory(dir, [{ epoch: 1, loss: 0.5, seconds: 1, samples: 10 }]);
    const users = Int32Array.from([0, 2, 5]);
    const hr = Float64Array.from([1, 0, 1]);
    const ndcg = Float64Array.from([1 / 3, 0, 0.630929753571457]);
    await writeRunResult(dir, {
      sampled: { "HR@10": 2 / 3 },
      bestEpoch: 1,
      timings: { fitSeconds: 1, evalSeconds: 0.5, totalSeconds: 1.5 },
      users: { sampled: 3, full: 0 },
    }, { users, columns: { "sampled:HR@10": hr, "sampled:NDCG@10": ndcg } });
    assert(await isRunFinished(dir));
    const run = await readRun(dir);
    assertEquals(run.config, { model: "MostPop" });
    assertEquals(run.history.length, 1);
    assertEquals(run.metrics.sampled, { "HR@10": 2 / 3 });
    const per = await readPerUser(dir);
    assertEquals(Array.from(per!.users), [0, 2, 5]);
    assertEquals(Array.from(per!.columns["sampled:NDCG@10"]), Array.from(ndcg));
  } finally {
    await tmp.remove();
  }
});

Deno.test("run folder: an older layout version is refused with a clear message", async () => {
  const tmp = await tempDir();
  try {
    const dir = runDir(tmp.path, "exp", "r1");
    await writeRunStart(dir, {}, environmentInfo());
    await Deno.writeTextFile(`${dir}/metrics.json`, JSON.stringify({ layoutVersion: 0 }));
    await assertThrowsMatching(() => readRun(dir), /layout version 0.*rerun/);
  } finally {
    await tmp.remove();
  }
});

Deno.test("runDir rejects unsafe run ids", async () => {
  await assertThrowsMatching(() => runDir("/tmp", "e", "../x"), /run id/);
});
