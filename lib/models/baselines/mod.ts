/**
 * Baselines without a neural net: MostPop, ItemKNN (cosine, top-k) and EASE (closed
 * form). Each implements {@link Recommender}; `selectOnValidation` picks
 * hyperparameters on the validation set only.
 *
 * @module
 */
export { MostPop } from "./mostpop.ts";
export { ItemKNN, type ItemKNNParams, itemKnnSchema } from "./itemknn.ts";
export { EASE, type EASEParams, easeSchema } from "./ease.ts";
export {
  NotPositiveDefiniteError,
  spdInverseInPlace,
  type SpdInverseOptions,
} from "./spd_inverse.ts";
export {
  type Candidate,
  type Selection,
  selectOnValidation,
  type SelectOptions,
} from "./select.ts";
export {
  BASELINE_GRIDS,
  BASELINE_NAMES,
  baselineCandidates,
  type BaselineName,
  expandGrid,
  makeBaseline,
  QUICK_BASELINE_GRIDS,
} from "./grid.ts";
export { type SpdBackend, SpdWorkspace } from "./spd_workspace.ts";
export { EaseWeights } from "./ease_weights.ts";
