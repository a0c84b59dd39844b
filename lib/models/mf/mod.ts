/**
 * Matrix-factorisation baselines, each a {@link Recommender}: PureSVD (randomized truncated
 * SVD), iALS (confidence-weighted alternating least squares), logistic MF on sampled
 * negatives (Rendle et al. 2020's "MF") and BPR-MF. Hyperparameters are declared as
 * schemas with ML-100K validation-tuned defaults; see docs/mf.md.
 *
 * @module
 */
export {
  PureSVD,
  type PureSVDParams,
  pureSvdSchema,
  randomizedSvd,
  type TruncatedSvd,
} from "./pure_svd.ts";
export { IALS, type IALSParams, ialsSchema } from "./ials.ts";
export {
  BPRMF,
  type BPRMFParams,
  bprMfSchema,
  LogisticMF,
  type LogisticMFParams,
  logisticMfSchema,
} from "./sgd.ts";
export { type DotFactors, DotProductScorer } from "./factors.ts";
export { makeMF, MF_GRIDS, MF_NAMES, mfCandidates, type MFName, QUICK_MF_GRIDS } from "./grid.ts";
export { VALID_METRICS } from "./epochs.ts";
