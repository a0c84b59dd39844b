/**
 * The neural NCF family: GMF, MLP, NeuMF (He et al. 2017) and DSER (Hong et al. 2022),
 * each a small architecture description (architecture.ts) run by the tfjs reference
 * executor or the fused-kernel executor. Training (fit) lives in lib/train.
 *
 * @module
 */
export {
  checkArchitecture,
  countTrainable,
  type DenseLayerDef,
  embedding,
  features,
  type HeadDef,
  initialParams,
  linearHead,
  mlpInputWidth,
  type NcfArchitecture,
  type ParamDef,
  parameterDefs,
  scoreFusionHead,
  type Side,
  table,
  type TableDef,
  tableRows,
  tower,
} from "./architecture.ts";
export {
  BACKEND_NAMES,
  type BackendName,
  TRAINING_SCHEMA,
  type TrainingParams,
  trainingSchema,
} from "./params.ts";
export { gmfArchitecture, gmfSchema } from "./gmf.ts";
export { mlpArchitecture, mlpSchema, ncfEmbeddingSize } from "./mlp.ts";
export { neumfArchitecture, neumfFromPretrained, neumfSchema } from "./neumf.ts";
export {
  checkDocumentVectors,
  documentDim,
  type DocumentVectors,
  DSER_INPUTS,
  dserArchitecture,
  type DserArchParams,
  type DserInput,
  dserNotebookSchema,
  dserSchema,
} from "./dser.ts";
export type {
  NcfNetwork,
  OptimizerSettings,
  TrainBatchesOptions,
  TrainBatchesResult,
} from "./network.ts";
export { TfjsNetwork } from "./tfjs_network.ts";
export { FUSED_BACKEND, FUSED_KERNELS, type FusedNcfHost, FusedNetwork } from "./fused_network.ts";
