/**
 * End to end on the real ML-100K (DSER_DATA_DIR): `reproduce --quick` (its baselines) writes
 * one finished run per baseline and tables whose numbers are the run files' numbers.
 * Skipped when the data is not there.
 */
import { assert, assertClose, assertEquals, tempDir } from "./_assert.ts";
import { readPerUser, readRun } from "../lib/results/mod.ts";
import { join } from "node:path";

const dataDir = Deno.env.get("DSER_DATA_DIR");
let haveData = false;
try {
  haveData = !!dataDir && Deno.statSync(join(dataDir, "ml-100k", "u.data")).isFile;
} catch {
  haveData = false;
}

Deno.test({
  name: "reproduce --quick on ML-100K: runs, per-user values and tables agree",
  ignore: !haveData,
  fn: async () => {
    const tmp = await tempDir();
    try {
      const root = join(import.meta.dirname!, "..");
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(root, "cli", "reproduce.ts"),
          "--quick",
          "--models",
          "MostPop,ItemKNN,EASE",
          "--out",
          tmp.path,
        ],
        env: { DSER_QUIET: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert(out.success, new TextDecoder().decode(out.stderr));
      // Experiment layout (docs/experiments.md): tables/main.csv has per column its mean,
      // std, n, p, Holm p and mark; the manifest maps rows to run folders.
      const exp = join(tmp.path, "reproduce_quick");
      const csv = await Deno.readTextFile(join(exp, "tables", "main.csv"));
      const lines = csv.trim().split("\n");
      const header = lines[0].split(",");
      const cols = ["sampled:HR@10", "sampled:NDCG@10", "full:HR@10", "full:NDCG@10"];
      assertEquals(header.filter((h) => h.endsWith(":mean")), cols.map((c) => `${c}:mean`));
      assertEquals(lines.slice(1).map((l) => l.split(",")[0]), ["MostPop", "ItemKNN", "EASE"]);
      const manifest = JSON.parse(await Deno.readTextFile(join(exp, "experiment.json")));
      for (const line of lines.slice(1)) {
        const fields = line.split(",");
        const model = fields[0];
        const [sHr, sNdcg, fHr, fNdcg] = cols.map((c) => fields[header.indexOf(`${c}:mean`)]);
        const id = manifest.runs.find((r: { label: string }) => r.label === model).id;
        const run = await readRun(join(exp, "runs", id));
        assertEquals(run.metrics.users, { sampled: 943, full: 943 });
        assertEquals(Number(sHr), run.metrics.sampled!["HR@10"]);
        assertEquals(Number(sNdcg), run.metrics.sampled!["NDCG@10"]);
        assertEquals(Number(fHr), run.metrics.full!["HR@10"]);
        assertEquals(Number(fNdcg), run.metrics.full!["NDCG@10"]);
        // Means are the means of the stored per-user vectors.
        const per = (await readPerUser(run.dir))!;
        for (const col of ["sampled:HR@10", "full:NDCG@10", "full:AUC"]) {
          const v = per.columns[col];
          const [protocol, key] = col.split(":");
          const mean = v.reduce((a, b) => a + b, 0) / v.length;
          const stored = (protocol === "sampled" ? run.metrics.sampled : run.metrics.full)!;
          assertClose(mean, stored[key], 1e-12, `${model} ${col}`);
        }
        // The printed table shows the same figures.
        assert(stdout.includes(`| ${model} |`), `${model} missing from the printed table`);
        assertEquals((run.config.data as { dataset: string }).dataset, "ml-100k");
      }
      // A personalised model beats popularity on the sampled protocol.
      const hr = (m: string) =>
        Number(
          lines.find((l) => l.startsWith(m))!.split(",")[header.indexOf("sampled:HR@10:mean")],
        );
      assert(hr("EASE") > hr("MostPop") && hr("ItemKNN") > hr("MostPop"));
    } finally {
      await tmp.remove();
    }
  },
});
