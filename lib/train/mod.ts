/**
 * Training of the neural models: the Recommender classes GMF, MLP, NeuMF, DSER and
 * DSERNotebook, the shared training loop (seeded negatives per epoch, Adam/SGD, early
 * stopping on validation data with best-epoch restore, checkpoints, NaN/Inf guard,
 * progress), backend selection (fused wasm SIMD kernels, tfjs wasm / cpu, tfjs-node) and
 * weights files. See docs/models.md and docs/backends.md.
 *
 * @example
 * ```ts
 * import { NeuMF } from "./lib/train/mod.ts";
 * const model = new NeuMF({ epochs: 20 });           // NCF defaults, backend "auto"
 * const report = await model.fit(split, { seed: 1 }); // validation on split.valid
 * console.log(report.bestEpoch, report.info.backend);
 * ```
 *
 * @module
 */
export { type BackendChoice, BACKENDS, checkBackendName, selectBackend } from "./backends.ts";
export {
  createNetwork,
  createNeuralModel,
  DSER,
  DSERNotebook,
  GMF,
  MLP,
  NeuMF,
  NEURAL_MODELS,
  type NeuralModelName,
  type NeuralOptions,
  NeuralRecommender,
} from "./models.ts";
export { type TrainLoopOptions, type TrainLoopResult, trainNetwork, validate } from "./trainer.ts";
export { EpochSampler, type EpochSamples } from "./sampling.ts";
export {
  decodeWeights,
  encodeWeights,
  readWeights,
  type WeightsFile,
  writeWeights,
} from "./checkpoint.ts";
