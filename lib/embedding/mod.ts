/**
 * Doc2Vec for recommendation: a gensim-faithful PV-DM / PV-DBOW engine (WebAssembly SIMD
 * kernel on shared memory with worker threads, or a scalar TypeScript reference), the
 * document builders that turn a split's training interactions and item metadata into
 * documents, and `embedSplit`, the one call notebooks, experiment configs and DSER use.
 * Parameters, algorithms, deliberate differences from gensim and measured speed:
 * docs/doc2vec.md.
 *
 * @example
 * ```ts
 * import { embedSplit, probeUserItem } from "./lib/embedding/mod.ts";
 * const emb = await embedSplit(split, { doc2vec: { dm: 1, vectorSize: 100, workers: 2 } });
 * emb.user;     // Float32Array [nUsers * 100], row = user index
 * emb.itemWord; // Float32Array [nItems * 100], row = item index
 * const { hr, ndcg } = await probeUserItem(split, emb);
 * ```
 *
 * @module
 */
export {
  defaultDoc2VecParams,
  type Doc2VecParams,
  doc2vecParamsSchema,
  layer1Size,
  modeName,
  resolveDoc2VecParams,
} from "./params.ts";
export {
  checkCorpus,
  type Corpus,
  CorpusBuilder,
  corpusDocuments,
  corpusFromDocuments,
  corpusSize,
  type TaggedDocument,
} from "./corpus.ts";
export {
  buildVocabulary,
  CUM_TABLE_DOMAIN,
  keepProbability,
  NULL_WORD,
  type VocabOptions,
  type VocabStats,
  type Vocabulary,
} from "./vocab.ts";
export { inferenceAlphas, jobAlpha, type JobPlan, planJobs, trainingAlphas } from "./schedule.ts";
export {
  Doc2Vec,
  type Doc2VecWeights,
  documentSeeds,
  type Similar,
  type SimilarityQuery,
  type TrainOptions,
  type TrainReport,
} from "./doc2vec.ts";
export {
  decodeModel,
  DOC_PREFIX,
  encodeModel,
  encodeWord2VecText,
  formatFloat32,
  type KeyedVectors,
  loadModel,
  loadWord2VecFormat,
  parseWord2VecText,
  saveModel,
  saveWord2VecFormat,
} from "./io.ts";
export {
  CONTENT_FIELDS,
  type ContentField,
  contentTokens,
  itemContentDocuments,
  itemDocuments,
  phraseToken,
  type SequenceDocumentOptions,
  tokenize,
  userDocuments,
} from "./documents.ts";
export {
  type DocumentKind,
  DotScorer,
  type EmbeddingConfig,
  embeddingConfigSchema,
  type EmbeddingTableName,
  type EmbedOptions,
  embedSplit,
  type ProbeResult,
  probeUserItem,
  resolveEmbeddingConfig,
  type SplitEmbeddings,
} from "./embed.ts";
export { type PcaOptions, pcaProject, type PcaResult, symmetricEigen } from "./project.ts";
