/**
 * The MF baselines by name, and the hyperparameter grids recommended for validation
 * sweeps (docs/mf.md explains the ranges and the ML-100K measurements behind them).
 *
 * @module
 */
import { ConfigError } from "../../util/errors.ts";
import { type Candidate, expandGrid } from "../baselines/mod.ts";
import type { Recommender } from "../types.ts";
import { IALS, type IALSParams } from "./ials.ts";
import { PureSVD, type PureSVDParams } from "./pure_svd.ts";
import { BPRMF, type BPRMFParams, LogisticMF, type LogisticMFParams } from "./sgd.ts";

/** Names of the matrix-factorisation baselines (the models' `name`). */
export const MF_NAMES = ["PureSVD", "iALS", "MF", "BPR-MF"] as const;

/** One of {@link MF_NAMES}. */
export type MFName = typeof MF_NAMES[number];

/**
 * Recommended sweep grids (8-24 fits each; epochs are chosen by validation inside every
 * fit), around the ML-100K optimum with the other hyperparameters at their defaults
 * (iALS with regExponent 1, whose reg transfers across dataset sizes better than a plain λ).
 */
export const MF_GRIDS: Record<MFName, Record<string, (number | string)[]>> = {
  PureSVD: { factors: [12, 16, 24, 32, 48, 64, 96, 128] },
  iALS: { factors: [64, 128], alpha: [2, 4, 8, 16], reg: [0.005, 0.01, 0.02] },
  MF: { factors: [64, 128, 192], lr: [0.01, 0.03], reg: [0.005, 0.01, 0.015] },
  "BPR-MF": { factors: [64, 128, 192], negatives: [4, 16], reg: [0.0075, 0.01, 0.015] },
};

/** `--quick` grids: the ML-100K-tuned defaults only. */
export const QUICK_MF_GRIDS: Record<MFName, Record<string, (number | string)[]>> = {
  PureSVD: {},
  iALS: {},
  MF: {},
  "BPR-MF": {},
};

/** Builds an unfitted MF baseline from its name and hyperparameters (validated). */
export function makeMF(name: string, params: Record<string, unknown> = {}): Recommender {
  switch (name) {
    case "PureSVD":
      return new PureSVD(params as Partial<PureSVDParams>);
    case "iALS":
      return new IALS(params as Partial<IALSParams>);
    case "MF":
      return new LogisticMF(params as Partial<LogisticMFParams>);
    case "BPR-MF":
      return new BPRMF(params as Partial<BPRMFParams>);
    default:
      throw new ConfigError(`unknown MF baseline "${name}"; known: ${MF_NAMES.join(", ")}`);
  }
}

/** The candidates of an MF baseline's grid, ready for `selectOnValidation`. */
export function mfCandidates(
  name: MFName,
  grid: Record<string, (number | string)[]> = MF_GRIDS[name],
): Candidate[] {
  return expandGrid(grid).map((params) => ({ params, make: () => makeMF(name, params) }));
}
