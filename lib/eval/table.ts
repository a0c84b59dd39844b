/**
 * Turning evaluation results into tables: the per-user table stored with each run
 * (`per_user.csv.gz` of lib/results), paired comparisons of two models, and the small
 * results table that `reproduce` prints (markdown + CSV; experiments may replace it).
 *
 * @module
 */
import {
  type BootstrapCI,
  type BootstrapOptions,
  pairedBootstrapCI,
  pairedTTest,
  type TTestResult,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from "./stats.ts";
import type { EvalResult } from "./types.ts";

/** Column name of a metric key in per-user tables: "sampled:HR@10", "valid:full:NDCG@10". */
export function perUserColumn(r: Pick<EvalResult, "protocol" | "on">, key: string): string {
  return r.on === "test" ? `${r.protocol}:${key}` : `${r.on}:${r.protocol}:${key}`;
}

/**
 * Joins one or more results on the same users into one per-user table (the
 * `PerUserTable` shape of lib/results): columns "sampled:HR@10", "full:NDCG@10", ...
 *
 * @throws RangeError when the results were computed on different users
 */
export function perUserTable(
  ...results: EvalResult[]
): { users: Int32Array; columns: Record<string, Float64Array> } {
  if (results.length === 0) throw new RangeError("perUserTable: no results given");
  const users = results[0].users;
  const columns: Record<string, Float64Array> = {};
  for (const r of results) {
    assertSameUsers(results[0], r);
    for (const key of r.keys) {
      const col = perUserColumn(r, key);
      if (col in columns) throw new RangeError(`perUserTable: column ${col} appears twice`);
      columns[col] = r.perUser[key];
    }
  }
  return { users, columns };
}

function assertSameUsers(a: EvalResult, b: EvalResult): void {
  const same = a.users.length === b.users.length && a.users.every((u, i) => u === b.users[i]);
  if (!same) {
    throw new RangeError(
      `results cover different users (${a.protocol}/${a.on}: ${a.users.length} users, ` +
        `${b.protocol}/${b.on}: ${b.users.length}); paired comparisons need the same users`,
    );
  }
}

/** A paired comparison of two models on one metric key. */
export interface PairedComparison {
  key: string;
  n: number;
  meanA: number;
  meanB: number;
  tTest: TTestResult;
  wilcoxon: WilcoxonResult;
  /** Bootstrap interval of mean(A - B). */
  ci: BootstrapCI;
}

/**
 * Compares models A and B on metric `key` over the same users: paired t-test, Wilcoxon
 * signed-rank and a bootstrap interval of the mean difference A - B.
 */
export function comparePaired(
  a: EvalResult,
  b: EvalResult,
  key: string,
  opts: BootstrapOptions = {},
): PairedComparison {
  assertSameUsers(a, b);
  const va = a.perUser[key];
  const vb = b.perUser[key];
  if (!va || !vb) {
    throw new RangeError(`comparePaired: metric ${key} missing (A has ${a.keys}, B has ${b.keys})`);
  }
  return {
    key,
    n: va.length,
    meanA: a.mean[key],
    meanB: b.mean[key],
    tTest: pairedTTest(va, vb),
    wilcoxon: wilcoxonSignedRank(va, vb),
    ci: pairedBootstrapCI(va, vb, opts),
  };
}

/** One row of a results table: a model and its metric means by column name. */
export interface ResultsRow {
  model: string;
  /** Chosen hyperparameters, shown as `k=v` pairs. */
  params?: Record<string, string | number | boolean>;
  /** Column name (e.g. "sampled:HR@10") -> value. Missing columns print as "-". */
  values: Record<string, number>;
}

/**
 * Formats rows as a markdown table and a CSV (full precision in CSV, `digits` decimals in
 * markdown). Columns are given explicitly so tables stay comparable across runs.
 */
export function formatResultsTable(
  rows: ResultsRow[],
  columns: string[],
  digits = 4,
): { markdown: string; csv: string } {
  const params = (r: ResultsRow) =>
    Object.entries(r.params ?? {}).map(([k, v]) => `${k}=${v}`).join(" ");
  const header = ["model", "params", ...columns];
  const md = [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) =>
      `| ${
        [
          r.model,
          params(r) || "-",
          ...columns.map((c) => (c in r.values ? r.values[c].toFixed(digits) : "-")),
        ].join(" | ")
      } |`
    ),
  ].join("\n") + "\n";
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const csv = [
    header.map(quote).join(","),
    ...rows.map((r) =>
      [
        quote(r.model),
        quote(params(r)),
        ...columns.map((c) => (c in r.values ? String(r.values[c]) : "")),
      ]
        .join(",")
    ),
  ].join("\n") + "\n";
  return { markdown: md, csv };
}
