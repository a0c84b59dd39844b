/**
 * Loading a dataset's interactions: resolve the ratings file, parse it on the byte
 * level, and number users and items densely in ascending raw-id order.
 *
 * @module
 */
import { concatInteractions } from "./preprocess.ts";
import { loadNcfSplit } from "./ncf.ts";
import { parseRatingsBytes, type RatingsFormat, toInteractions } from "./ratings.ts";
import type { DatasetName } from "./registry.ts";
import { type LoadOptions, readDatasetFile } from "./resolve.ts";
import type { Interactions } from "./types.ts";

const CSV_HEADER = ["userId", "movieId", "rating", "timestamp"];

/** The ratings file and its layout for each rating dataset. */
export const RATINGS_FILES: Record<
  Exclude<DatasetName, "ncf-ml-1m" | "ncf-pinterest-20">,
  { file: string; format: RatingsFormat }
> = {
  "ml-100k": { file: "u.data", format: { separator: "\t" } },
  "ml-1m": { file: "ratings.dat", format: { separator: "::" } },
  "ml-latest-small": { file: "ratings.csv", format: { separator: ",", header: CSV_HEADER } },
  "ml-20m": { file: "ratings.csv", format: { separator: ",", header: CSV_HEADER } },
  "ml-25m": { file: "ratings.csv", format: { separator: ",", header: CSV_HEADER } },
  "the-movies-dataset": {
    file: "ratings_small.csv",
    format: { separator: ",", header: CSV_HEADER },
  },
};

/**
 * All ratings of a dataset with timestamps, in file order. Users and items are numbered
 * 0..n-1 in ascending raw-id order (as ../shared/anchors/make_ncf_split.py does), so
 * `x.userIds.raw[u]` / `x.itemIds.raw[i]` give the dataset's ids back.
 *
 * For `ncf-ml-1m` / `ncf-pinterest-20` the rows are the published split's train rows
 * followed by its test rows, with the NCF ids (identity id maps).
 *
 * @example
 * ```ts
 * const x = await loadInteractions("ml-100k"); // 100,000 rows, 943 users, 1,682 items
 * ```
 * @throws DataError for a missing file (where it looked, how to get it), a malformed
 *   line (file, line, text) or an empty dataset.
 */
export async function loadInteractions(
  name: DatasetName,
  opts: LoadOptions = {},
): Promise<Interactions> {
  if (name === "ncf-ml-1m" || name === "ncf-pinterest-20") {
    const split = await loadNcfSplit(name, opts);
    const t = split.test;
    return concatInteractions([split.train, {
      ...split.train,
      users: t.users,
      items: t.items,
      ratings: t.ratings,
      timestamps: t.timestamps,
    }]);
  }
  const { file, format } = RATINGS_FILES[name];
  const { path, bytes } = await readDatasetFile(name, file, opts);
  return toInteractions(parseRatingsBytes(bytes, path, format));
}
