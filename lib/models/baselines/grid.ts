/**
 * The hyperparameter grids `reproduce` searches for each baseline (on validation only).
 * Small on purpose: the point is a fair, cheap baseline, not an exhaustive sweep
 * (experiments can run bigger ones).
 *
 * @module
 */
import { ConfigError } from "../../util/errors.ts";
import type { Recommender } from "../types.ts";
import { EASE } from "./ease.ts";
import { ItemKNN } from "./itemknn.ts";
import { MostPop } from "./mostpop.ts";
import type { Candidate } from "./select.ts";

/** Names of the non-neural baselines. */
export const BASELINE_NAMES = ["MostPop", "ItemKNN", "EASE"] as const;

/** One of {@link BASELINE_NAMES}. */
export type BaselineName = typeof BASELINE_NAMES[number];

/** Full grids: ItemKNN k x shrink, EASE λ (Steck's range; ML-1M optimum a few hundred). */
export const BASELINE_GRIDS: Record<BaselineName, Record<string, (number | string)[]>> = {
  MostPop: {},
  ItemKNN: { k: [20, 50, 100, 200], shrink: [0, 10] },
  EASE: { lambda: [50, 100, 200, 500, 1000] },
};

/** `--quick` grids: one point each (typical good values on MovieLens). */
export const QUICK_BASELINE_GRIDS: Record<BaselineName, Record<string, (number | string)[]>> = {
  MostPop: {},
  ItemKNN: { k: [100], shrink: [10] },
  EASE: { lambda: [500] },
};

/** Builds an unfitted baseline from its name and hyperparameters. */
export function makeBaseline(name: string, params: Record<string, unknown> = {}): Recommender {
  switch (name) {
    case "MostPop":
      if (Object.keys(params).length > 0) {
        throw new ConfigError(`MostPop has no hyperparameters, got ${Object.keys(params)}`);
      }
      return new MostPop();
    case "ItemKNN":
      return new ItemKNN(params);
    case "EASE":
      return new EASE(params);
    default:
      throw new ConfigError(
        `unknown baseline "${name}"; known baselines: ${BASELINE_NAMES.join(", ")}`,
      );
  }
}

/** Every combination of a grid (cartesian product, keys in the given order). */
export function expandGrid(
  grid: Record<string, (number | string)[]>,
): Record<string, number | string>[] {
  let points: Record<string, number | string>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return points;
}

/** The candidates of a baseline's grid, ready for `selectOnValidation`. */
export function baselineCandidates(
  name: BaselineName,
  grid: Record<string, (number | string)[]> = BASELINE_GRIDS[name],
): Candidate[] {
  return expandGrid(grid).map((params) => ({ params, make: () => makeBaseline(name, params) }));
}
