/**
 * The sweep notebook's computations (lib/report/sweep_view.ts) on a fixture sweep whose
 * metrics follow a known formula of the swept values: the point chosen on validation, its
 * test rank, slices through it (cell values and the ★ marks), main effects by hand.
 */
import { assert, assertClose, assertEquals, tempDir } from "./_assert.ts";
import {
  CHOSEN_MARK,
  describeSweep,
  loadExperimentResults,
  sweepMainEffects,
  sweepPointRows,
  sweepSelections,
  sweepSliceHeatmaps,
} from "../lib/report/mod.ts";
import { runDir, writeManifest, writeRunResult, writeRunStart } from "../lib/results/mod.ts";
import { environmentInfo } from "../lib/util/env.ts";

const LR = [0.001, 0.01];
const FACTORS = [8, 16, 32];
const NEG = [1, 4];
const SEEDS = [1, 2];

/** Validation metric: peaks at lr 0.01, factors 16, negatives 4; seeds add -/+ 0.01. */
function valid(lr: number, f: number, n: number, seed: number): number {
  return 0.3 + (lr === 0.01 ? 0.05 : 0) - Math.abs(f - 16) / 400 + (n === 4 ? 0.02 : 0) +
    (seed === 1 ? -0.01 : 0.01);
}

/** Test metric: like validation, but factors 32 is best on test (validation and test disagree). */
function test(lr: number, f: number, n: number, seed: number): number {
  return valid(lr, f, n, seed) + (f === 32 ? 0.05 : 0);
}

async function writeSweep(root: string, skip?: (lr: number, f: number, n: number) => boolean) {
  const runs = [];
  for (const seed of SEEDS) {
    for (const lr of LR) {
      for (const f of FACTORS) {
        for (const n of NEG) {
          if (skip?.(lr, f, n)) continue;
          const row = `M (lr=${lr},factors=${f},negatives=${n})`;
          const point = { "model.lr": lr, "model.factors": f, "model.negatives": n };
          const id = `M__lr=${lr}_f=${f}_n=${n}__s${seed}`;
          const dir = runDir(root, "sw", id);
          await writeRunStart(dir, { label: "M", row, seed, point }, environmentInfo());
          await writeRunResult(dir, {
            sampled: { "HR@10": test(lr, f, n, seed), "NDCG@10": test(lr, f, n, seed) / 2 },
            valid: { "NDCG@10": valid(lr, f, n, seed) },
            bestEpoch: 1,
            timings: { fitSeconds: 1, evalSeconds: 1, totalSeconds: 2 },
            users: { sampled: 10, full: 0 },
          });
          runs.push({ id, row, label: "M", seed, point });
        }
      }
    }
  }
  await writeManifest(root, {
    name: "sw",
    description: "fixture sweep",
    source: null,
    config: {},
    table: { baseline: null, select: "NDCG@10" },
    rows: [...new Set(runs.map((r) => r.row))],
    runs,
  });
}

Deno.test("sweepSelections: the best mean validation point, its test rank, the best test point", async () => {
  const tmp = await tempDir();
  try {
    await writeSweep(tmp.path);
    const [s] = sweepSelections(await loadExperimentResults(tmp.path, "sw"));
    assertEquals(s.label, "M");
    assertEquals(s.keys, ["model.lr", "model.factors", "model.negatives"]);
    assertEquals(s.point, { "model.lr": 0.01, "model.factors": 16, "model.negatives": 4 });
    assertClose(s.valid, valid(0.01, 16, 4, 1) / 2 + valid(0.01, 16, 4, 2) / 2, 1e-12, "valid");
    assertClose(
      s.test["sampled:HR@10"].mean,
      (test(0.01, 16, 4, 1) + test(0.01, 16, 4, 2)) / 2,
      1e-12,
    );
    assertEquals(s.test["sampled:HR@10"].n, 2);
    // On test, factors 32 gains 0.05: (0.01, 32, 4) scores 0.38 against the chosen point's
    // 0.37; the next, (0.01, 32, 1), scores 0.36. So the chosen point ranks 2nd on test.
    assertEquals(s.bestOnTest.point, {
      "model.lr": 0.01,
      "model.factors": 32,
      "model.negatives": 4,
    });
    assertEquals(s.testRank, 2);
    assertEquals(s.points.length, 12);
    assert(s.points.every((p, i) => i === 0 || p.valid <= s.points[i - 1].valid), "best first");
    const rows = sweepPointRows(s);
    assertEquals(rows.filter((r) => r[""] === CHOSEN_MARK).length, 1);
    const text = describeSweep(
      s,
      sweepMainEffects(await loadExperimentResults(tmp.path, "sw"), "valid:NDCG@10", "M"),
    );
    assert(text.includes("ranks 2 of 12"), text);
  } finally {
    await tmp.remove();
  }
});

Deno.test("sweepSliceHeatmaps: cells are seed means with the third key held at the choice; ★ marks it", async () => {
  const tmp = await tempDir();
  try {
    // One point of the slice (lr=0.001, factors=8, negatives=4) never finished: a NaN cell.
    await writeSweep(tmp.path, (lr, f, n) => lr === 0.001 && f === 8 && n === 4);
    const results = await loadExperimentResults(tmp.path, "sw");
    const [s] = sweepSelections(results);
    const maps = sweepSliceHeatmaps(results, "valid:NDCG@10", s);
    assertEquals(maps.map((m) => m.keys.join(" x ")), [
      "model.lr x model.factors",
      "model.lr x model.negatives",
      "model.factors x model.negatives",
    ]);
    const lrF = maps[0];
    assertEquals(lrF.fixed, { "model.negatives": 4 });
    assertEquals(lrF.figure.x, ["0.001", `0.01 ${CHOSEN_MARK}`]);
    assertEquals(lrF.figure.y, ["8", `16 ${CHOSEN_MARK}`, "32"]);
    FACTORS.forEach((f, row) => {
      LR.forEach((lr, col) => {
        const v = lrF.figure.z[row][col];
        if (lr === 0.001 && f === 8) assert(Number.isNaN(v), "missing cell is NaN");
        else {assertClose(
            v,
            (valid(lr, f, 4, 1) + valid(lr, f, 4, 2)) / 2,
            1e-12,
            `cell ${lr},${f}`,
          );}
      });
    });
    // The factors x negatives slice is at lr 0.01: its cells use only lr 0.01 runs.
    const fN = maps[2];
    assertEquals(fN.fixed, { "model.lr": 0.01 });
    assertClose(
      fN.figure.z[0][0],
      (valid(0.01, 8, 1, 1) + valid(0.01, 8, 1, 2)) / 2,
      1e-12,
      "fN cell",
    );
  } finally {
    await tmp.remove();
  }
});

Deno.test("sweepMainEffects: each value's mean over the points that have it (points weigh equally)", async () => {
  const tmp = await tempDir();
  try {
    await writeSweep(tmp.path);
    const effects = sweepMainEffects(
      await loadExperimentResults(tmp.path, "sw"),
      "valid:NDCG@10",
      "M",
    );
    const pointMean = (lr: number, f: number, n: number) =>
      (valid(lr, f, n, 1) + valid(lr, f, n, 2)) / 2;
    for (const f of FACTORS) {
      const e = effects.find((x) => x.key === "model.factors" && x.value === f)!;
      const vals = LR.flatMap((lr) => NEG.map((n) => pointMean(lr, f, n)));
      assertEquals(e.points, 4);
      assertClose(e.mean, vals.reduce((a, b) => a + b, 0) / vals.length, 1e-12, `factors ${f}`);
      assertClose(e.max, Math.max(...vals), 1e-12, "max");
    }
    // lr moves the mean by exactly 0.05 (the formula's lr term).
    const lrMeans = LR.map((lr) =>
      effects.find((x) => x.key === "model.lr" && x.value === lr)!.mean
    );
    assertClose(lrMeans[1] - lrMeans[0], 0.05, 1e-12, "lr effect");
  } finally {
    await tmp.remove();
  }
});
