import { assertAllClose, assertClose, assertEquals } from "./_assert.ts";
import { inferenceAlphas, jobAlpha, planJobs, trainingAlphas } from "../lib/embedding/mod.ts";
import { buildExpTable } from "../lib/embedding/kernel_js.ts";

Deno.test("embedding schedule: documents are cut into jobs of at most batchWords raw words", () => {
  // lengths 4,4,3 | 9 | 12 (alone: longer than the batch) | 2,5
  const plan = planJobs([4, 4, 3, 9, 12, 2, 5], 11);
  assertEquals(Array.from(plan.starts), [0, 3, 4, 5, 7]);
  assertEquals(plan.nJobs, 4);
  assertEquals(Array.from(planJobs([], 10).starts), [0]);
});

Deno.test("embedding schedule: the learning rate decays linearly with documents queued, over all epochs", () => {
  // 10 documents in jobs starting at documents 0, 4 and 6; 2 epochs.
  const plan = { starts: Int32Array.of(0, 4, 6, 10), nJobs: 3 };
  const a = trainingAlphas(plan, 0.025, 0.0001, 2);
  // Hand-worked: progress = (epoch + docsBefore / 10) / 2, alpha = 0.025 - 0.0249 * progress.
  const expected = [0, 0.4, 0.6, 1, 1.4, 1.6].map((x) => 0.025 - 0.0249 * (x / 2));
  assertAllClose(a, expected, 1e-15, "job alphas");
  assertEquals(a[0], 0.025);
  // Never below minAlpha, even past the end.
  assertEquals(jobAlpha(0.025, 0.0001, 2, 2, 5, 10), 0.0001);
});

Deno.test("embedding schedule: inferVector steps by (alpha - minAlpha) / (epochs - 1)", () => {
  assertAllClose(inferenceAlphas(0.1, 0.01, 4), [0.1, 0.07, 0.04, 0.01], 1e-15, "4 epochs");
  assertAllClose(inferenceAlphas(0.1, 0.01, 1), [0.1], 1e-15, "1 epoch");
});

Deno.test("embedding schedule: sigmoid table matches 1/(1+exp(-x)) at gensim's grid", () => {
  const t = buildExpTable();
  assertEquals(t.length, 1000);
  for (const i of [0, 1, 250, 500, 999]) {
    const x = (i / 1000 * 2 - 1) * 6;
    assertClose(t[i], 1 / (1 + Math.exp(-x)), 1e-6, `table[${i}]`);
  }
});
