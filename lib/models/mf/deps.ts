/**
 * What the MF baselines take from lib/data and lib/eval, in one place (their `mod.ts`
 * faces only).
 *
 * @module
 */
export { TrainingNegativeSampler, userItemIndex } from "../../data/mod.ts";
export { evaluateFullRanking, evaluateSampled } from "../../eval/mod.ts";
