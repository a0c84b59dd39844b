/**
 * The experiment command with the real modules (lib/data, lib/eval, lib/models) on
 * ML-100K from DSER_DATA_DIR, and its messages for a missing dataset and a broken config.
 */
import { assert, assertEquals, tempDir } from "./_assert.ts";
import { join } from "node:path";
import { experimentMain } from "../cli/experiment.ts";
import { defaultEnv } from "../lib/experiments/mod.ts";
import { readPerUser, readRun } from "../lib/results/mod.ts";
import { SilentSink } from "../lib/util/progress.ts";

const hasData = !!Deno.env.get("DSER_DATA_DIR");
const CLI = new URL("../cli/experiment.ts", import.meta.url).pathname;

Deno.test({
  name: "real: MostPop and EASE on ML-100K, tables from the results files",
  ignore: !hasData,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const path = join(tmp.path, "real.jsonc");
      await Deno.writeTextFile(
        path,
        `{ // two cheap models on the real data
          "data": { "dataset": "ml-100k" },
          "models": { "MostPop": {}, "EASE": { "lambda": 200 } },
          "eval": { "ks": [10], "negatives": 99 },
          "table": { "baseline": "MostPop" } }`,
      );
      const out: string[] = [];
      const err: string[] = [];
      const code = await experimentMain(
        [path, "--out", tmp.path],
        await defaultEnv(),
        { out: (s) => out.push(s), err: (s) => err.push(s), progress: new SilentSink() },
      );
      assertEquals(code, 0, err.join("\n"));
      const runs = [...Deno.readDirSync(join(tmp.path, "real", "runs"))].map((e) => e.name).sort();
      assertEquals(runs.length, 2);
      const ease = await readRun(join(tmp.path, "real", "runs", runs[0]));
      const pop = await readRun(join(tmp.path, "real", "runs", runs[1]));
      assertEquals(ease.metrics.users, { sampled: 943, full: 943 });
      assert(ease.metrics.valid!["HR@10"] > 0, "validation metrics recorded");
      // The stored mean is the mean of the stored per-user values.
      const per = await readPerUser(ease.dir);
      const col = per!.columns["full:NDCG@10"];
      assert(
        Math.abs(col.reduce((a, b) => a + b, 0) / 943 - ease.metrics.full!["NDCG@10"]) < 1e-12,
      );
      // EASE beats popularity by a wide margin on every column, and the table says so.
      for (const k of ["HR@10", "NDCG@10"]) {
        assert(ease.metrics.sampled![k] > pop.metrics.sampled![k] + 0.1, k);
        assert(ease.metrics.full![k] > pop.metrics.full![k], k);
      }
      const md = await Deno.readTextFile(join(tmp.path, "real", "tables", "main.md"));
      assert(/\| EASE \| 1 \| \*\*0\.\d{4}\*\*\* \|/.test(md), md);
      assert(out.join("\n").includes("MostPop (baseline)"));
    } finally {
      await tmp.remove();
    }
  },
});

Deno.test("real: a missing dataset and a broken config give clear messages and exit codes", async () => {
  const tmp = await tempDir();
  try {
    const path = join(tmp.path, "x.jsonc");
    await Deno.writeTextFile(
      path,
      `{ "data": { "dataset": "ml-20m" }, "model": { "type": "MostPop" } }`,
    );
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, ...args],
        env: { DSER_DATA_DIR: join(tmp.path, "empty"), DSER_OFFLINE: "1", DSER_QUIET: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const missing = await run([path, "--out", join(tmp.path, "results")]);
    const text = new TextDecoder().decode(missing.stderr);
    assertEquals(missing.code, 1, text);
    assert(/stopped: run MostPop__s1__\w+: .*ratings\.csv/.test(text), text);
    assert(/0 finished runs are intact/.test(text), text);
    await Deno.writeTextFile(
      path,
      `{ "data": { "dataset": "ml-100k" }, "modle": { "type": "MostPop" } }`,
    );
    const broken = await run([path]);
    const btext = new TextDecoder().decode(broken.stderr);
    assertEquals(broken.code, 2, btext);
    assert(
      btext.includes(`config error: ${path}:1: modle: unknown key (did you mean "model"?)`),
      btext,
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("reproduce: ML-1M when its ratings are present, else ML-100K; --models subsets", async () => {
  const tmp = await tempDir();
  try {
    const REPRO = new URL("../cli/reproduce.ts", import.meta.url).pathname;
    const dry = async (dataDir: string, extra: string[] = []) => {
      const o = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", REPRO, "--dry-run", ...extra],
        env: { DSER_DATA_DIR: dataDir, DSER_OFFLINE: "1", DSER_QUIET: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(o.stderr);
      assert(o.success, err);
      return { err, ids: new TextDecoder().decode(o.stdout).trim().split("\n") };
    };
    // The data/ download cache of the repository could hold ML-1M; only test the switch
    // when it does not.
    const cached = await Deno.stat(new URL("../data/ml-1m/ratings.dat", import.meta.url))
      .then(() => true, () => false);
    if (!cached) {
      const none = await dry(join(tmp.path, "empty"));
      assert(/reproduce: ml-100k: /.test(none.err), none.err);
    }
    await Deno.mkdir(join(tmp.path, "d", "ml-1m"), { recursive: true });
    await Deno.writeTextFile(join(tmp.path, "d", "ml-1m", "ratings.dat"), "1::1::5::978300760\n");
    const ml1m = await dry(join(tmp.path, "d"));
    assert(/reproduce: ml-1m: /.test(ml1m.err), ml1m.err);
    const sub = await dry(join(tmp.path, "d"), ["--quick", "--models", "EASE,NeuMF"]);
    assert(/reproduce: ml-1m, quick: EASE, NeuMF; seeds 1; 2 runs/.test(sub.err), sub.err);
    assert(sub.ids.every((id) => /^(EASE|NeuMF)__s1__[0-9a-f]{8}$/.test(id)), sub.ids.join(" "));
  } finally {
    await tmp.remove();
  }
});
