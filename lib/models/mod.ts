/**
 * Recommenders behind one interface ({@link Recommender}): non-neural baselines,
 * matrix-factorisation baselines and the neural NCF family (GMF, MLP, NeuMF, DSER).
 *
 * @module
 */
export type { EpochRecord, FitContext, FitReport, Recommender } from "./types.ts";

// Baselines without a neural net (MostPop, ItemKNN, EASE): ./baselines/

// Matrix factorisation baselines (BPR-MF, iALS, PureSVD): ./mf/

// Neural models (GMF, MLP, NeuMF, DSER): ./neural/
