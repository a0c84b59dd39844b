import { assert, assertClose, assertEquals, tempDir } from "./_assert.ts";
import { formatProgress, Progress, Rng, writeJsonAtomic } from "../lib/util/mod.ts";
import type { ProgressState } from "../lib/util/mod.ts";

Deno.test("Rng: same seed gives the same stream, different seeds differ", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const sa = Array.from({ length: 20 }, () => a.u32());
  const sb = Array.from({ length: 20 }, () => b.u32());
  const sc = Array.from({ length: 20 }, () => c.u32());
  assertEquals(sa, sb);
  assert(sa.some((x, i) => x !== sc[i]));
});

Deno.test("Rng.int is uniform enough over small ranges (chi-square)", () => {
  const rng = new Rng(1);
  const n = 10, draws = 100_000;
  const counts = new Array(n).fill(0);
  for (let i = 0; i < draws; i++) counts[rng.int(n)]++;
  const expected = draws / n;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
  assert(chi2 < 27.9, `chi2 = ${chi2}`);
});

Deno.test("Rng.float mean and normal moments", () => {
  const rng = new Rng(3);
  let s = 0, s2 = 0;
  const n = 200_000;
  for (let i = 0; i < n; i++) s += rng.float();
  assertClose(s / n, 0.5, 0.005, "mean of float()");
  s = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    s += z;
    s2 += z * z;
  }
  assertClose(s / n, 0, 0.01, "normal mean");
  assertClose(s2 / n, 1, 0.02, "normal variance");
});

Deno.test("Rng.derive: streams depend on labels only", () => {
  assertEquals(Rng.derive(5, "epoch", 1).u32(), Rng.derive(5, "epoch", 1).u32());
  assert(Rng.derive(5, "epoch", 1).u32() !== Rng.derive(5, "epoch", 2).u32());
});

Deno.test("writeJsonAtomic leaves no temporary files and replaces content", async () => {
  const dir = await tempDir();
  try {
    const path = `${dir.path}/a/b/x.json`;
    await writeJsonAtomic(path, { v: 1 });
    await writeJsonAtomic(path, { v: 2 });
    assertEquals(JSON.parse(await Deno.readTextFile(path)), { v: 2 });
    const names = [...Deno.readDirSync(`${dir.path}/a/b`)].map((e) => e.name);
    assertEquals(names, ["x.json"]);
  } finally {
    await dir.remove();
  }
});

Deno.test("Progress reports ETA and a final state", () => {
  const states: ProgressState[] = [];
  const p = new Progress("work", {
    total: 10,
    unit: "items",
    sink: { update: (s) => states.push(s) },
  });
  p.tick(5, { loss: 0.5 });
  p.finish();
  const last = states.at(-1)!;
  assert(last.finished);
  assertEquals(last.done, 10);
  assert(formatProgress(last).includes("10/10 items"));
  assert(formatProgress(last).includes("loss=0.5000"));
});
