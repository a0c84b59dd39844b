/** Per-user tables, paired comparisons and the results table formatter. */
import {
  assert,
  assertAllClose,
  assertClose,
  assertEquals,
  assertThrowsMatching,
} from "./_assert.ts";
import {
  comparePaired,
  type EvalResult,
  formatResultsTable,
  pairedTTest,
  perUserTable,
  wilcoxonSignedRank,
} from "../lib/eval/mod.ts";
import { perUserFromCsv, perUserToCsv } from "../lib/results/mod.ts";

function result(
  protocol: "sampled" | "full",
  users: number[],
  values: Record<string, number[]>,
  on: "test" | "valid" = "test",
): EvalResult {
  const perUser: Record<string, Float64Array> = {};
  const mean: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) {
    perUser[k] = Float64Array.from(v);
    mean[k] = v.reduce((a, b) => a + b, 0) / v.length;
  }
  return {
    protocol,
    on,
    ks: [10],
    keys: Object.keys(values),
    users: Int32Array.from(users),
    perUser,
    mean,
    pairs: users.length,
    seconds: 0,
  };
}

Deno.test("perUserTable joins protocols into lib/results columns and round-trips as CSV", async () => {
  const s = result("sampled", [0, 3, 4], { "HR@10": [1, 0, 1], AUC: [0.9, 0.2, 0.5] });
  const f = result("full", [0, 3, 4], { "HR@10": [0, 0, 1] });
  const v = result("sampled", [0, 3, 4], { "HR@10": [1, 1, 1] }, "valid");
  const t = perUserTable(s, f, v);
  assertEquals(Object.keys(t.columns), [
    "sampled:HR@10",
    "sampled:AUC",
    "full:HR@10",
    "valid:sampled:HR@10",
  ]);
  const back = perUserFromCsv(perUserToCsv(t));
  assertEquals(Array.from(back.users), [0, 3, 4]);
  assertAllClose(back.columns["sampled:AUC"], [0.9, 0.2, 0.5]);
  await assertThrowsMatching(
    () => perUserTable(s, result("full", [0, 3], { "HR@10": [0, 1] })),
    /different users/,
  );
  await assertThrowsMatching(() => perUserTable(s, s), /appears twice/);
});

Deno.test("comparePaired runs the paired tests on aligned per-user vectors", () => {
  const a = result("full", [0, 1, 2, 3, 4, 5], { "NDCG@10": [0.5, 0.2, 0.9, 0.1, 0.4, 0.3] });
  const b = result("full", [0, 1, 2, 3, 4, 5], { "NDCG@10": [0.4, 0.25, 0.6, 0.1, 0.2, 0.1] });
  const c = comparePaired(a, b, "NDCG@10", { seed: 1, resamples: 500 });
  const va = a.perUser["NDCG@10"];
  const vb = b.perUser["NDCG@10"];
  assertEquals(c.tTest, pairedTTest(va, vb));
  assertEquals(c.wilcoxon, wilcoxonSignedRank(va, vb));
  assertClose(c.ci.estimate, c.meanA - c.meanB, 1e-12, "CI estimate");
  assert(c.ci.lower <= c.ci.estimate && c.ci.estimate <= c.ci.upper);
});

Deno.test("formatResultsTable: markdown rounding, CSV full precision and quoting", () => {
  const t = formatResultsTable(
    [
      { model: "EASE", params: { lambda: 500 }, values: { "full:HR@10": 0.123456789 } },
      { model: 'Odd, "name"', values: {} },
    ],
    ["full:HR@10"],
  );
  assertEquals(
    t.markdown,
    "| model | params | full:HR@10 |\n|---|---|---:|\n| EASE | lambda=500 | 0.1235 |\n" +
      '| Odd, "name" | - | - |\n',
  );
  assertEquals(
    t.csv,
    'model,params,full:HR@10\nEASE,lambda=500,0.123456789\n"Odd, ""name""",,\n',
  );
});
