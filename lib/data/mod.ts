/**
 * The data layer: dataset registry and file resolution (DSER_DATA_DIR, data/ cache,
 * downloads with checksums), parsers for every MovieLens / The Movies Dataset / NCF
 * format, interactions on typed arrays, item metadata, preprocessing, splits, negative
 * sampling, the NCF file format, and polars frames. See docs/data.md.
 *
 * @example
 * ```ts
 * import { leaveLatestOut, loadInteractions } from "./lib/data/mod.ts";
 * const x = await loadInteractions("ml-100k");
 * const split = leaveLatestOut(x, { seed: 1, validation: true });
 * ```
 *
 * @module
 */
export {
  type HeldOut,
  IdMap,
  type Interactions,
  type ItemInfo,
  type ItemMetadata,
  type Split,
  type UserItemIndex,
} from "./types.ts";
export {
  type DataFileSpec,
  DATASET_NAMES,
  type DatasetName,
  DATASETS,
  type DatasetSpec,
  datasetSpec,
  type ParserName,
} from "./registry.ts";
export {
  candidatePaths,
  downloadDataset,
  effectiveCacheDir,
  effectiveDataDir,
  findLocalDataFile,
  type LoadOptions,
  readDatasetFile,
  resolveDataFile,
} from "./resolve.ts";
export {
  countLines,
  decodeLatin1,
  decodeUtf8,
  gitBlobId,
  readDataBytes,
  sha256Hex,
  splitLines,
  verifyChecksums,
} from "./io.ts";
export { columnIndex, type CsvOptions, type CsvTable, parseCsv } from "./csv.ts";
export { parsePythonLiteral, PyLiteralError, type PyValue } from "./pyliteral.ts";
export {
  denseIds,
  parseRatingsBytes,
  type RatingsFormat,
  type RawRatings,
  toInteractions,
} from "./ratings.ts";
export { loadInteractions, RATINGS_FILES } from "./load.ts";
export {
  type LinkRow,
  loadItemMetadata,
  type MetadataOptions,
  ML100K_GENRES,
  parseCreditsCsv,
  parseKeywordsCsv,
  parseLinksCsv,
  parseMl100kGenres,
  parseMl100kItems,
  parseMl1mMovies,
  parseMoviesCsv,
  parseMoviesMetadataCsv,
  parseTagsCsv,
  splitTitleYear,
  type TmdbMovie,
} from "./metadata.ts";
export {
  compactIds,
  concatInteractions,
  dedupe,
  groupByUser,
  kCore,
  selectRows,
  toImplicit,
  userItemIndex,
  validateInteractions,
} from "./preprocess.ts";
export {
  leaveLatestOut,
  type LeaveLatestOutOptions,
  randomRatioSplit,
  type RatioSplitOptions,
  type ShortUsers,
  temporalRatioSplit,
} from "./split.ts";
export { sampleEvalNegatives, TrainingNegativeSampler } from "./negatives.ts";
export {
  checkHeldOutNegatives,
  type LoadNcfOptions,
  loadNcfSplit,
  type NcfNegatives,
  type NcfPaths,
  type NcfRebuild,
  type NcfRebuildReport,
  type NcfTestMismatch,
  type NcfTrainOrder,
  type NegativeIssues,
  parseNcfNegatives,
  readNcfFiles,
  type ReadNcfOptions,
  readNcfSplit,
  rebuildNcfMl1m,
  type RebuildNcfOptions,
  type WriteNcfOptions,
  writeNcfSplit,
} from "./ncf.ts";
export {
  type CountSummary,
  type DatasetStats,
  datasetStats,
  formatStats,
  interactionsFrame,
  metadataFrame,
} from "./frame.ts";
export {
  syntheticInteractions,
  type SyntheticOptions,
  syntheticSplit,
  type SyntheticSplitOptions,
} from "./synthetic.ts";
