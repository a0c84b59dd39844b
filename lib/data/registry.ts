/**
 * The dataset registry: for each dataset its folder, official source, files (with
 * sha256 or git blob ids where known, taken from ../shared/data/<folder>/SOURCE.md),
 * the parser that reads each file, license terms and how to obtain it.
 *
 * @module
 */

/** Names of the datasets this workspace knows. */
export type DatasetName =
  | "ml-100k"
  | "ml-1m"
  | "ml-latest-small"
  | "ml-20m"
  | "ml-25m"
  | "the-movies-dataset"
  | "ncf-ml-1m"
  | "ncf-pinterest-20";

/** Which parser reads a file (see docs/data.md for each format). */
export type ParserName =
  | "ratings-tab"
  | "ratings-dat"
  | "ratings-csv"
  | "ml100k-item"
  | "ml100k-genre"
  | "ml100k-user"
  | "ml1m-movies"
  | "ml1m-users"
  | "movies-csv"
  | "links-csv"
  | "tags-csv"
  | "tmd-keywords"
  | "tmd-movies-metadata"
  | "tmd-credits"
  | "ncf-rating"
  | "ncf-negative"
  | "text";

/** One file of a dataset. */
export interface DataFileSpec {
  /** File name inside the dataset folder (a `.gz` sibling is accepted too). */
  name: string;
  /** sha256 of the uncompressed published file, when known. */
  sha256?: string;
  /** Git blob id (`git hash-object`) of the published file, when known. */
  gitBlob?: string;
  /** True when the dataset's default loaders cannot work without it. */
  required: boolean;
  /** The parser that reads it. */
  parser: ParserName;
  /** Path of the file inside the official archive, when it comes from one. */
  archivePath?: string;
  /** Direct download URL when the file is fetched on its own (NCF files). */
  url?: string;
  /** One line about the content. */
  description: string;
}

/** One dataset. */
export interface DatasetSpec {
  name: DatasetName;
  /** Human title. */
  title: string;
  /** Folder under `$DSER_DATA_DIR` or `data/`. Several datasets may share one (ncf). */
  folder: string;
  /** Official web page. */
  homepage: string;
  /** Official archive holding the files, when there is one we can download. */
  archive?: { url: string; sha256?: string };
  /** False when files cannot be downloaded automatically (Kaggle needs a login). */
  downloadable: boolean;
  files: DataFileSpec[];
  /** License / terms in one paragraph. */
  license: string;
  /** How a user gets the files by hand. */
  howToGet: string;
}

const GROUPLENS = "https://files.grouplens.org/datasets/movielens";
const GROUPLENS_TERMS = "GroupLens terms: research use only, no commercial use, cite Harper & " +
  "Konstan 2015 (ACM TiiS 5(4)), do not imply endorsement, and do not redistribute the data " +
  "without permission.";
/** The NCF repository at the commit whose Data/ files SOURCE.md describes. */
const NCF_RAW = "https://raw.githubusercontent.com/hexiangnan/neural_collaborative_filtering/" +
  "4aab159e81c44b062c091bdaed0ab54ac632371f/Data";

function movielensLatest(name: "ml-20m" | "ml-25m", title: string): DatasetSpec {
  return {
    name,
    title,
    folder: name,
    homepage: `https://grouplens.org/datasets/movielens/${name.slice(3)}/`,
    archive: { url: `${GROUPLENS}/${name}.zip` },
    downloadable: true,
    files: [
      {
        name: "ratings.csv",
        required: true,
        parser: "ratings-csv",
        archivePath: `${name}/ratings.csv`,
        description: "userId,movieId,rating,timestamp (header, half-star ratings)",
      },
      {
        name: "movies.csv",
        required: true,
        parser: "movies-csv",
        archivePath: `${name}/movies.csv`,
        description: "movieId,title,genres",
      },
      {
        name: "links.csv",
        required: false,
        parser: "links-csv",
        archivePath: `${name}/links.csv`,
        description: "movieId,imdbId,tmdbId",
      },
      {
        name: "tags.csv",
        required: false,
        parser: "tags-csv",
        archivePath: `${name}/tags.csv`,
        description: "userId,movieId,tag,timestamp",
      },
    ],
    license: GROUPLENS_TERMS,
    howToGet: `Download ${GROUPLENS}/${name}.zip and unzip its ${name}/*.csv files into the ` +
      `${name}/ folder (files over 20 MB may be stored gzipped as FILE.gz).`,
  };
}

/**
 * Every known dataset. Checksums come from ../shared/data/<folder>/SOURCE.md; files
 * without a known sum are not verified.
 */
export const DATASETS: Record<DatasetName, DatasetSpec> = {
  "ml-100k": {
    name: "ml-100k",
    title: "MovieLens 100K",
    folder: "ml-100k",
    homepage: "https://grouplens.org/datasets/movielens/100k/",
    archive: { url: `${GROUPLENS}/ml-100k.zip` },
    downloadable: true,
    files: [
      {
        name: "u.data",
        sha256: "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
        gitBlob: "16ef21ed827cae1a3f71e89e23cffb5a8f44baae",
        required: true,
        parser: "ratings-tab",
        archivePath: "ml-100k/u.data",
        description: "user \\t item \\t rating \\t timestamp, 100,000 rows, no header",
      },
      {
        name: "u.item",
        sha256: "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
        gitBlob: "91bb56d53fcb5f8bbac079755593b48d34cfc9a7",
        required: true,
        parser: "ml100k-item",
        archivePath: "ml-100k/u.item",
        description: "movie id|title|release date|video date|IMDb URL|19 genre flags (latin-1)",
      },
      {
        name: "u.genre",
        sha256: "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
        required: false,
        parser: "ml100k-genre",
        archivePath: "ml-100k/u.genre",
        description: "genre|index, with a trailing empty line",
      },
      {
        name: "u.user",
        sha256: "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
        required: false,
        parser: "ml100k-user",
        archivePath: "ml-100k/u.user",
        description: "user id|age|gender|occupation|zip code",
      },
      {
        name: "u.occupation",
        sha256: "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d",
        required: false,
        parser: "text",
        archivePath: "ml-100k/u.occupation",
        description: "occupation names",
      },
      {
        name: "u.info",
        sha256: "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b",
        required: false,
        parser: "text",
        archivePath: "ml-100k/u.info",
        description: "counts",
      },
      {
        name: "README",
        sha256: "4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52",
        required: false,
        parser: "text",
        archivePath: "ml-100k/README",
        description: "GroupLens README with the terms of use",
      },
    ],
    license: GROUPLENS_TERMS,
    howToGet: `Download ${GROUPLENS}/ml-100k.zip and unzip its ml-100k/u.* files into the ` +
      "ml-100k/ folder.",
  },
  "ml-1m": {
    name: "ml-1m",
    title: "MovieLens 1M",
    folder: "ml-1m",
    homepage: "https://grouplens.org/datasets/movielens/1m/",
    archive: { url: `${GROUPLENS}/ml-1m.zip` },
    downloadable: true,
    files: [
      {
        name: "ratings.dat",
        gitBlob: "77a7c4b150f588c23bb9e1f068aa996c0b413695",
        required: true,
        parser: "ratings-dat",
        archivePath: "ml-1m/ratings.dat",
        description: "UserID::MovieID::Rating::Timestamp, 1,000,209 rows, grouped by user",
      },
      {
        name: "movies.dat",
        sha256: "0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9",
        gitBlob: "9a735435722829dad68446ef1c30d001d5d00c1d",
        required: true,
        parser: "ml1m-movies",
        archivePath: "ml-1m/movies.dat",
        description: "MovieID::Title::Genres (latin-1, genres |-separated)",
      },
      {
        name: "users.dat",
        sha256: "1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3",
        gitBlob: "2f86be06c70946984c0d5d56f9fcaa658eef139e",
        required: false,
        parser: "ml1m-users",
        archivePath: "ml-1m/users.dat",
        description: "UserID::Gender::Age::Occupation::Zip-code",
      },
      {
        name: "README",
        sha256: "2d5ddce86ccbd247207456165827b4b9ddf27282bca93807d4c763e28414f133",
        required: false,
        parser: "text",
        archivePath: "ml-1m/README",
        description: "GroupLens README with the terms of use",
      },
    ],
    license: GROUPLENS_TERMS,
    howToGet: `Download ${GROUPLENS}/ml-1m.zip and put ml-1m/ratings.dat into the ml-1m/ folder ` +
      "(or gzip it there as ratings.dat.gz with `gzip -9 -n ratings.dat`); " +
      "`git hash-object ratings.dat` must print 77a7c4b150f588c23bb9e1f068aa996c0b413695.",
  },
  "ml-latest-small": {
    name: "ml-latest-small",
    title: "MovieLens Latest Small (September 2018)",
    folder: "ml-latest-small",
    homepage: "https://grouplens.org/datasets/movielens/latest/",
    archive: { url: `${GROUPLENS}/ml-latest-small.zip` },
    downloadable: true,
    files: [
      {
        name: "ratings.csv",
        sha256: "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646",
        required: true,
        parser: "ratings-csv",
        archivePath: "ml-latest-small/ratings.csv",
        description: "userId,movieId,rating,timestamp (CRLF, header)",
      },
      {
        name: "movies.csv",
        sha256: "5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07",
        required: true,
        parser: "movies-csv",
        archivePath: "ml-latest-small/movies.csv",
        description: "movieId,title,genres (CRLF, RFC-4180 quotes)",
      },
      {
        name: "links.csv",
        sha256: "97ad18e4e56a09363c65676b6cb3482ce3e2cea2372a24620c1599c843325f31",
        required: false,
        parser: "links-csv",
        archivePath: "ml-latest-small/links.csv",
        description: "movieId,imdbId,tmdbId (tmdbId may be empty)",
      },
      {
        name: "tags.csv",
        sha256: "92a9f8bb7916dceef6151209845788c3643f794dfa79d1feaec7121b5960399d",
        required: false,
        parser: "tags-csv",
        archivePath: "ml-latest-small/tags.csv",
        description: "userId,movieId,tag,timestamp",
      },
      {
        name: "README.txt",
        sha256: "63d22ac138e80fae37021797ed8e1b9424b5239dc576a137422adf783ae3f404",
        required: false,
        parser: "text",
        archivePath: "ml-latest-small/README.txt",
        description: "GroupLens README",
      },
    ],
    license: "GroupLens terms (README.txt): research use, cite Harper & Konstan 2015, no " +
      "endorsement, no commercial use; redistribution allowed under the same terms.",
    howToGet: `Download ${GROUPLENS}/ml-latest-small.zip and unzip its ml-latest-small/*.csv ` +
      "files into the ml-latest-small/ folder. GroupLens may update this development set; the " +
      "sums recorded here are those of the September 2018 release (pass verify: false to " +
      "accept another release).",
  },
  "ml-20m": movielensLatest("ml-20m", "MovieLens 20M"),
  "ml-25m": movielensLatest("ml-25m", "MovieLens 25M"),
  "the-movies-dataset": {
    name: "the-movies-dataset",
    title: "The Movies Dataset (Kaggle, rounakbanik)",
    folder: "the-movies-dataset",
    homepage: "https://www.kaggle.com/datasets/rounakbanik/the-movies-dataset",
    downloadable: false,
    files: [
      {
        name: "ratings_small.csv",
        sha256: "821795331fd974bbe7a8416f2a7eec2b548a485dedb47a073580b0a9a8a0a8d2",
        gitBlob: "1d469cee991e1bb1cfc708b2bc56e97c8f85b397",
        required: true,
        parser: "ratings-csv",
        description: "userId,movieId,rating,timestamp (MovieLens ids, CRLF)",
      },
      {
        name: "links.csv",
        sha256: "bd8562d4b10d04d080e16caaf8027cd07e47b5da6920128d39e31cd1dd8ffc5e",
        gitBlob: "115708af7f0406eef2d8c3ef524ea1fc691a6bbf",
        required: true,
        parser: "links-csv",
        description: "movieId,imdbId,tmdbId (CRLF)",
      },
      {
        name: "links_small.csv",
        sha256: "772cb400f68f03cc61b112a544601d25571b168788dab7dc96f462d93059c49f",
        required: false,
        parser: "links-csv",
        description: "the links of the 9,125 movies in the small subset",
      },
      {
        name: "keywords.csv",
        sha256: "428ef94a80255986ad71fd347855702e772ee776841f1e8923a618aa2d87a668",
        gitBlob: "2274cf6707eb8862a877d943b653bed875d1f9cd",
        required: true,
        parser: "tmd-keywords",
        description: "id,keywords: TMDB id and a Python-literal list of {'id','name'} dicts",
      },
      {
        name: "movies_metadata.csv",
        sha256: "37ec322786b136a24604564e55160be75f8937546f11cb1a990076971fa895fd",
        required: false,
        parser: "tmd-movies-metadata",
        description: "TMDB metadata (title, release_date, genres, overview, imdb_id, id)",
      },
      {
        name: "credits.csv",
        sha256: "b968359c8e77aebcb7329608378b3b11cc1834726e157aae934bc89f291458ec",
        required: false,
        parser: "tmd-credits",
        description: "cast,crew,id: Python-literal lists of dicts (190 MB; store as .gz)",
      },
    ],
    license: "Kaggle page license (recalled as CC0, unverified); ratings and links come from " +
      "MovieLens (GroupLens terms: no redistribution, no commercial use), metadata and keywords " +
      "from the TMDb API (attribution, non-commercial).",
    howToGet: "Kaggle needs a login, so these files cannot be downloaded automatically. Sign in " +
      "at https://www.kaggle.com/datasets/rounakbanik/the-movies-dataset, download the archive " +
      "(or run `kaggle datasets download -d rounakbanik/the-movies-dataset` with the Kaggle CLI " +
      "and an API token), and put ratings_small.csv, links.csv and keywords.csv (required) and " +
      "movies_metadata.csv and credits.csv (optional: overview, cast, crew) into the " +
      "the-movies-dataset/ folder. Store credits.csv gzipped as credits.csv.gz (`gzip -9 -n`).",
  },
  "ncf-ml-1m": {
    name: "ncf-ml-1m",
    title: "NCF split of MovieLens 1M (He et al., WWW 2017)",
    folder: "ncf",
    homepage: "https://github.com/hexiangnan/neural_collaborative_filtering",
    downloadable: true,
    files: [
      {
        name: "ml-1m.train.rating",
        gitBlob: "31ba384fd58dac8fbd09d2dfc6616431f3563ab5",
        required: true,
        parser: "ncf-rating",
        url: `${NCF_RAW}/ml-1m.train.rating`,
        description: "user \\t item \\t rating \\t timestamp, 0-based ids, 994,169 rows",
      },
      {
        name: "ml-1m.test.rating",
        sha256: "231ae11eb060b643a8c58c063cd17ffc743b54f569afb073d1abb6cf126b88b5",
        gitBlob: "1b79e03c96710c3b0c35deb19155ef74f7965a02",
        required: true,
        parser: "ncf-rating",
        url: `${NCF_RAW}/ml-1m.test.rating`,
        description: "each user's latest rating, 6,040 rows",
      },
      {
        name: "ml-1m.test.negative",
        sha256: "127853228a76b7d21c0481e8ef8d00dd009cd5c88670dbdd9e9debfdb9f93de4",
        gitBlob: "c82844fb99d021f94751a6f915a230a1e8b8da92",
        required: true,
        parser: "ncf-negative",
        url: `${NCF_RAW}/ml-1m.test.negative`,
        description: "(user,item) \\t 99 negative items, 6,040 rows",
      },
    ],
    license: "Code Apache-2.0; the data derive from MovieLens 1M under the " + GROUPLENS_TERMS,
    howToGet: `Download ${NCF_RAW}/<file> for each file into the ncf/ folder. ` +
      "ml-1m.train.rating can also be rebuilt from MovieLens 1M ratings.dat: " +
      "loadNcfSplit('ncf-ml-1m') does it when ml-1m/ratings.dat is available (user = UserID-1, " +
      "items numbered by first appearance in ratings.dat, test = each user's latest rating, " +
      "checked against the published test files).",
  },
  "ncf-pinterest-20": {
    name: "ncf-pinterest-20",
    title: "NCF split of Pinterest (Geng et al. ICCV 2015, preprocessed by He et al.)",
    folder: "ncf",
    homepage: "https://github.com/hexiangnan/neural_collaborative_filtering",
    downloadable: true,
    files: [
      {
        name: "pinterest-20.train.rating",
        gitBlob: "99813f8ed7486c36fa0f405e3f400db5d6fed0be",
        required: true,
        parser: "ncf-rating",
        url: `${NCF_RAW}/pinterest-20.train.rating`,
        description: "user \\t item \\t 1 \\t 0",
      },
      {
        name: "pinterest-20.test.rating",
        sha256: "3a8a8f7eb8e21cc5928b8259dd2c265269ecfa219d92ba829249956aa293d732",
        gitBlob: "87fdbd13bced61c51f2842e2a667e83b9b0084e3",
        required: true,
        parser: "ncf-rating",
        url: `${NCF_RAW}/pinterest-20.test.rating`,
        description: "one held-out pin per user, 55,187 rows",
      },
      {
        name: "pinterest-20.test.negative",
        gitBlob: "b752ccdc14df423b9484771440ff4a73e4a4a304",
        required: true,
        parser: "ncf-negative",
        url: `${NCF_RAW}/pinterest-20.test.negative`,
        description: "(user,item) \\t 99 negative items, 55,187 rows",
      },
    ],
    license: "Code Apache-2.0; the Pinterest data of Geng et al. (ICCV 2015) carry no explicit " +
      "license. Keep them inside this workspace.",
    howToGet: `Download ${NCF_RAW}/<file> for each file into the ncf/ folder.`,
  },
};

/** All dataset names, in registry order. */
export const DATASET_NAMES: readonly DatasetName[] = Object.keys(DATASETS) as DatasetName[];

/** The spec of `name`; throws naming the known datasets when unknown. */
export function datasetSpec(name: string): DatasetSpec {
  const spec = (DATASETS as Record<string, DatasetSpec>)[name];
  if (!spec) {
    throw new Error(`unknown dataset ${JSON.stringify(name)}; known: ${DATASET_NAMES.join(", ")}`);
  }
  return spec;
}
