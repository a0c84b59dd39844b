/**
 * Evaluation: ranking metrics registered by name, the sampled and full-ranking
 * protocols on any {@link Scorer}, paired significance tests and bootstrap intervals on
 * per-user vectors, and tables. Protocols, formulas and the tie rule: docs/evaluation.md.
 *
 * @example
 * ```ts
 * import { evaluateFullRanking, evaluateSampled, perUserTable } from "./lib/eval/mod.ts";
 * const sampled = await evaluateSampled(model, split.test, { ks: [10] });
 * const full = await evaluateFullRanking(model, split, { ks: [10], on: "test" });
 * console.log(sampled.mean["HR@10"], full.mean["NDCG@10"]);
 * const table = perUserTable(sampled, full); // columns "sampled:HR@10", "full:HR@10", ...
 * ```
 *
 * @module
 */
export type { EvalProtocol, EvalResult, Scorer } from "./types.ts";
export {
  getMetric,
  type MetricDef,
  type MetricKey,
  metricKeys,
  metricNames,
  type RankedList,
  registerMetric,
} from "./metrics.ts";
export {
  type EvalOptions,
  evaluateFullRanking,
  evaluateProtocols,
  evaluateSampled,
  type FullRankingOptions,
  type ProtocolsOptions,
  type SampledOptions,
  ScoreError,
} from "./evaluate.ts";
export { topK } from "./topk.ts";
export {
  type BootstrapCI,
  bootstrapMeanCI,
  type BootstrapOptions,
  erfc,
  holmAdjust,
  incompleteBeta,
  incompleteGammaUpper,
  logGamma,
  normalSf,
  pairedBootstrapCI,
  pairedTTest,
  quantileSorted,
  studentTTwoSidedP,
  type TTestResult,
  WILCOXON_EXACT_LIMIT,
  WILCOXON_EXACT_MAX,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from "./stats.ts";
export {
  comparePaired,
  formatResultsTable,
  type PairedComparison,
  perUserColumn,
  perUserTable,
  type ResultsRow,
} from "./table.ts";
