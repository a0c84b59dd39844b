/**
 * Figure specs built from results files (bars, epoch curves, sweep heatmaps), checked
 * against values recomputed from the run folders; and the files the report writes.
 */
import { assert, assertClose, assertEquals, tempDir } from "./_assert.ts";
import { join } from "node:path";
import { planExperiment, runExperiment } from "../lib/experiments/mod.ts";
import {
  epochCurves,
  loadExperimentResults,
  metricBars,
  sweepHeatmaps,
  writeExperimentReport,
} from "../lib/report/mod.ts";
import { SilentSink } from "../lib/util/progress.ts";
import { fakeEnv } from "./fixtures/experiments/fake_env.ts";

const config = {
  name: "figs",
  data: { dataset: "tiny" },
  models: { Pop: { type: "FakePop", epochs: 3 }, Base: { type: "FakePop", noise: 2 } },
  eval: { ks: [10], negatives: 20 },
  seeds: [1, 2],
  sweep: { params: { "models.Pop.noise": [0.1, 1], "models.Pop.factors": [4, 8, 16] } },
  table: { baseline: "Base" },
};

Deno.test("figures: bars, epoch curves and sweep heatmaps match the results files", async () => {
  const tmp = await tempDir();
  try {
    const env = fakeEnv();
    const plan = planExperiment(config, env);
    await runExperiment(plan, env, {
      resultsRoot: tmp.path,
      log: () => {},
      progress: new SilentSink(),
    });
    const results = await loadExperimentResults(tmp.path, "figs");

    const bars = metricBars(results, ["sampled:HR@10", "full:NDCG@10"])!;
    assertEquals(bars.categories, results.rows);
    const row = results.rows[0];
    const runs = results.runs.filter((r) => r.row === row);
    const mean = runs.reduce((s, r) => s + r.metrics.sampled!["HR@10"], 0) / runs.length;
    assertClose(bars.series[0].values[0], mean, 1e-12, "bar = mean over seeds");

    // Fake models record loss 1/epoch and no validation metrics: the curve is the loss.
    const curves = epochCurves(results)!;
    assert(curves.yLabel === "training loss");
    const pop = curves.series.find((s) => s.name === row)!;
    assertEquals(Array.from(pop.x), [1, 2, 3]);
    assertEquals(Array.from(pop.y), [1, 1 / 2, 1 / 3]);

    const heat = sweepHeatmaps(results, "valid:NDCG@10");
    assertEquals(heat.length, 1, "one pair of swept keys for Pop, none for Base");
    const h = heat[0].figure;
    assertEquals([h.x, h.y], [["0.1", "1"], ["4", "8", "16"]]);
    for (let yi = 0; yi < 3; yi++) {
      for (let xi = 0; xi < 2; xi++) {
        const cell = results.runs.filter((r) =>
          r.label === "Pop" && r.point["models.Pop.noise"] === [0.1, 1][xi] &&
          r.point["models.Pop.factors"] === [4, 8, 16][yi]
        );
        assertEquals(cell.length, 2);
        const m = cell.reduce((s, r) => s + r.metrics.valid!["NDCG@10"], 0) / 2;
        assertClose(h.z[yi][xi], m, 1e-12, `heatmap cell ${xi},${yi}`);
      }
    }

    const report = await writeExperimentReport(tmp.path, "figs");
    const names = report.files.map((f) => f.slice(join(tmp.path, "figs").length + 1)).sort();
    assertEquals(names, [
      "figures/epochs.plotly.json",
      "figures/epochs.svg",
      "figures/metrics.plotly.json",
      "figures/metrics.svg",
      "figures/sweep_Pop_noise_x_factors.plotly.json",
      "figures/sweep_Pop_noise_x_factors.svg",
      "tables/main.csv",
      "tables/main.md",
      "tables/main.tex",
      "tables/selected.csv",
      "tables/selected.md",
      "tables/selected.tex",
    ]);
    const svg = await Deno.readTextFile(join(tmp.path, "figs", "figures", "metrics.svg"));
    assert(svg.startsWith("<svg") || svg.startsWith("<?xml"), svg.slice(0, 40));
    // The selection table holds one row per model label.
    const sel = await Deno.readTextFile(join(tmp.path, "figs", "tables", "selected.md"));
    assertEquals(sel.split("\n").filter((l) => /^\| (Pop|Base)/.test(l)).length, 2, sel);
  } finally {
    await tmp.remove();
  }
});
