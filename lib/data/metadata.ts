/**
 * Item metadata parsers (u.item, movies.dat, movies.csv, links.csv, tags.csv, and The
 * Movies Dataset's keywords.csv, movies_metadata.csv, credits.csv) and
 * {@link loadItemMetadata}, which joins them per dataset into one {@link ItemInfo} per
 * raw item id.
 *
 * @module
 */
import { ConfigError, DataError, lineError } from "../util/errors.ts";
import { columnIndex, type CsvTable, parseCsv } from "./csv.ts";
import { decodeLatin1, decodeUtf8, readDataBytes, splitLines } from "./io.ts";
import { parsePythonLiteral, PyLiteralError, type PyValue } from "./pyliteral.ts";
import type { DatasetName } from "./registry.ts";
import { findLocalDataFile, type LoadOptions, readDatasetFile } from "./resolve.ts";
import type { ItemInfo, ItemMetadata } from "./types.ts";

/** The 19 ML-100K genres in u.genre order (used when u.genre is absent). */
export const ML100K_GENRES: readonly string[] = [
  "unknown",
  "Action",
  "Adventure",
  "Animation",
  "Children's",
  "Comedy",
  "Crime",
  "Documentary",
  "Drama",
  "Fantasy",
  "Film-Noir",
  "Horror",
  "Musical",
  "Mystery",
  "Romance",
  "Sci-Fi",
  "Thriller",
  "War",
  "Western",
];

const TITLE_YEAR = /^(.*?)\s*\((\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*$/;

/**
 * Splits a MovieLens title "Toy Story (1995)" into title "Toy Story" and year 1995.
 * Year ranges "(2006–2007)" give the first year; titles without a year keep their text
 * and year null. Surrounding spaces are trimmed.
 */
export function splitTitleYear(raw: string): { title: string; year: number | null } {
  const t = raw.trim();
  const m = TITLE_YEAR.exec(t);
  if (!m || m[1] === "") return { title: t, year: null };
  return { title: m[1], year: Number(m[2]) };
}

function emptyInfo(id: number): ItemInfo {
  return {
    id,
    title: "",
    year: null,
    genres: [],
    tags: [],
    keywords: [],
    imdbId: null,
    tmdbId: null,
  };
}

function parseId(field: string, file: string, line: number, what: string, text: string): number {
  const t = field.trim();
  if (!/^\d+$/.test(t)) throw lineError(file, line, `${what} must be a non-negative integer`, text);
  return Number(t);
}

/** Optional integer id (empty -> null); accepts "862.0" as written by pandas. */
function parseOptionalId(
  field: string,
  file: string,
  line: number,
  what: string,
  text: string,
): number | null {
  const t = field.trim();
  if (t === "") return null;
  if (!/^\d+(\.0+)?$/.test(t)) {
    throw lineError(file, line, `${what} must be an integer or empty`, text);
  }
  return Number(t);
}

/**
 * ML-100K u.genre: `name|index` lines, ending with an empty line.
 *
 * @returns genre names by index.
 */
export function parseMl100kGenres(bytes: Uint8Array, file: string): string[] {
  const lines = splitLines(bytes);
  const out: string[] = [];
  let last = lines.count;
  while (last > 0 && lines.ends[last - 1] === lines.starts[last - 1]) last--;
  for (let k = 0; k < last; k++) {
    const text = decodeLatin1(bytes, lines.starts[k], lines.ends[k]);
    const parts = text.split("|");
    if (parts.length !== 2 || !/^\d+$/.test(parts[1])) {
      throw lineError(file, k + 1, "expected name|index", text);
    }
    const idx = Number(parts[1]);
    if (out[idx] !== undefined) throw lineError(file, k + 1, `duplicate genre index ${idx}`, text);
    out[idx] = parts[0];
  }
  for (let i = 0; i < out.length; i++) {
    if (out[i] === undefined) throw new DataError(`${file}: genre index ${i} is missing`);
  }
  if (out.length === 0) throw new DataError(`${file}: no genres`);
  return out;
}

/**
 * ML-100K u.item (latin-1): `id|title|release date|video release date|IMDb URL|flags...`
 * with one 0/1 flag per genre. The year comes from the title, else from the release date
 * ("01-Jan-1995"); movie 267 ("unknown", no dates) gets year null.
 */
export function parseMl100kItems(
  bytes: Uint8Array,
  file: string,
  genres: readonly string[] = ML100K_GENRES,
): ItemInfo[] {
  const lines = splitLines(bytes);
  const out: ItemInfo[] = [];
  const want = 5 + genres.length;
  for (let k = 0; k < lines.count; k++) {
    const text = decodeLatin1(bytes, lines.starts[k], lines.ends[k]);
    if (text === "") {
      if (k === lines.count - 1) break;
      throw lineError(file, k + 1, "empty line", text);
    }
    const f = text.split("|");
    if (f.length !== want) {
      throw lineError(file, k + 1, `expected ${want} |-separated fields, got ${f.length}`, text);
    }
    const info = emptyInfo(parseId(f[0], file, k + 1, "movie id", text));
    const ty = splitTitleYear(f[1]);
    info.title = ty.title;
    info.year = ty.year;
    if (info.year === null && f[2] !== "") {
      const m = /^\d{1,2}-[A-Za-z]{3}-(\d{4})$/.exec(f[2]);
      if (!m) {
        throw lineError(
          file,
          k + 1,
          `release date ${JSON.stringify(f[2])} is not dd-Mon-yyyy`,
          text,
        );
      }
      info.year = Number(m[1]);
    }
    for (let g = 0; g < genres.length; g++) {
      const flag = f[5 + g];
      if (flag === "1") info.genres.push(genres[g]);
      else if (flag !== "0") {
        throw lineError(file, k + 1, `genre flag ${g + 1} must be 0 or 1`, text);
      }
    }
    out.push(info);
  }
  return out;
}

/** ML-1M movies.dat (latin-1): `MovieID::Title::Genres` with `|`-separated genres. */
export function parseMl1mMovies(bytes: Uint8Array, file: string): ItemInfo[] {
  const lines = splitLines(bytes);
  const out: ItemInfo[] = [];
  for (let k = 0; k < lines.count; k++) {
    const text = decodeLatin1(bytes, lines.starts[k], lines.ends[k]);
    if (text === "") {
      if (k === lines.count - 1) break;
      throw lineError(file, k + 1, "empty line", text);
    }
    const f = text.split("::");
    if (f.length !== 3) {
      throw lineError(file, k + 1, `expected 3 "::"-separated fields, got ${f.length}`, text);
    }
    const info = emptyInfo(parseId(f[0], file, k + 1, "MovieID", text));
    const ty = splitTitleYear(f[1]);
    info.title = ty.title;
    info.year = ty.year;
    info.genres = splitGenres(f[2]);
    out.push(info);
  }
  return out;
}

function splitGenres(s: string): string[] {
  if (s === "" || s === "(no genres listed)") return [];
  return s.split("|");
}

/** MovieLens movies.csv: `movieId,title,genres`; "(no genres listed)" gives no genres. */
export function parseMoviesCsv(text: string, file: string): ItemInfo[] {
  const t = parseCsv(text, file, { expectHeader: ["movieId", "title", "genres"] });
  return t.records.map((r, k) => {
    const info = emptyInfo(parseId(r[0], file, t.lines[k], "movieId", t.recordText(k)));
    const ty = splitTitleYear(r[1]);
    info.title = ty.title;
    info.year = ty.year;
    info.genres = splitGenres(r[2]);
    return info;
  });
}

/** One row of links.csv. */
export interface LinkRow {
  movieId: number;
  imdbId: number | null;
  tmdbId: number | null;
}

/** links.csv: `movieId,imdbId,tmdbId`; imdbId keeps no leading zeros, empty tmdbId is null. */
export function parseLinksCsv(text: string, file: string): LinkRow[] {
  const t = parseCsv(text, file, { expectHeader: ["movieId", "imdbId", "tmdbId"] });
  return t.records.map((r, k) => {
    const line = t.lines[k];
    const txt = t.recordText(k);
    return {
      movieId: parseId(r[0], file, line, "movieId", txt),
      imdbId: parseOptionalId(r[1], file, line, "imdbId", txt),
      tmdbId: parseOptionalId(r[2], file, line, "tmdbId", txt),
    };
  });
}

/**
 * tags.csv: `userId,movieId,tag,timestamp`. Returns per movie the distinct tags,
 * lowercased and trimmed, in order of first appearance.
 */
export function parseTagsCsv(text: string, file: string): Map<number, string[]> {
  const t = parseCsv(text, file, { expectHeader: ["userId", "movieId", "tag", "timestamp"] });
  const out = new Map<number, string[]>();
  t.records.forEach((r, k) => {
    const id = parseId(r[1], file, t.lines[k], "movieId", t.recordText(k));
    const tag = r[2].trim().toLowerCase();
    if (tag === "") return;
    const list = out.get(id);
    if (!list) out.set(id, [tag]);
    else if (!list.includes(tag)) list.push(tag);
  });
  return out;
}

function pyCell(t: CsvTable, k: number, col: number, what: string): PyValue {
  const cell = t.records[k][col];
  try {
    return parsePythonLiteral(cell);
  } catch (err) {
    if (err instanceof PyLiteralError) {
      throw lineError(
        t.file,
        t.lines[k],
        `${what} is not a Python literal: ${err.message}`,
        t.recordText(k),
      );
    }
    throw err;
  }
}

/** Names from a Python-literal list of dicts (`[{'id': 1, 'name': 'x'}, ...]`). */
function namesOf(v: PyValue, t: CsvTable, k: number, what: string, key = "name"): string[] {
  if (!Array.isArray(v)) {
    throw lineError(t.file, t.lines[k], `${what} must be a list`, t.recordText(k));
  }
  const out: string[] = [];
  for (const d of v) {
    if (d === null || typeof d !== "object" || Array.isArray(d) || typeof d[key] !== "string") {
      throw lineError(
        t.file,
        t.lines[k],
        `${what}: each entry must be a dict with a '${key}' string`,
        t.recordText(k),
      );
    }
    const name = (d[key] as string).replace(/\u00a0/g, " ").trim();
    if (name !== "" && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The Movies Dataset keywords.csv: `id,keywords` with a Python-literal list of
 * `{'id', 'name'}` dicts. Duplicate ids (987 rows in the published file) are merged.
 *
 * @returns TMDB id -> distinct keyword names (non-breaking spaces normalised, trimmed).
 */
export function parseKeywordsCsv(text: string, file: string): Map<number, string[]> {
  const t = parseCsv(text, file, { expectHeader: ["id", "keywords"] });
  const out = new Map<number, string[]>();
  for (let k = 0; k < t.records.length; k++) {
    const id = parseId(t.records[k][0], file, t.lines[k], "id", t.recordText(k));
    const names = namesOf(pyCell(t, k, 1, "keywords"), t, k, "keywords");
    const prev = out.get(id);
    if (!prev) out.set(id, names);
    else for (const n of names) if (!prev.includes(n)) prev.push(n);
  }
  return out;
}

/** A movies_metadata.csv row reduced to what {@link ItemInfo} holds. */
export interface TmdbMovie {
  tmdbId: number;
  title: string;
  year: number | null;
  genres: string[];
  overview: string;
  imdbId: number | null;
}

/**
 * The Movies Dataset movies_metadata.csv. A few published rows are shifted (their `id`
 * holds a date such as "1997-08-20"); those rows are not movies and are returned in
 * `skipped` with their line numbers so the caller can report them. Any other bad value
 * is an error.
 */
export function parseMoviesMetadataCsv(
  text: string,
  file: string,
): { movies: Map<number, TmdbMovie>; skipped: { line: number; text: string }[] } {
  const t = parseCsv(text, file);
  const cId = columnIndex(t, "id");
  const cTitle = columnIndex(t, "title");
  const cDate = columnIndex(t, "release_date");
  const cGenres = columnIndex(t, "genres");
  const cOverview = columnIndex(t, "overview");
  const cImdb = columnIndex(t, "imdb_id");
  const movies = new Map<number, TmdbMovie>();
  const skipped: { line: number; text: string }[] = [];
  for (let k = 0; k < t.records.length; k++) {
    const r = t.records[k];
    if (!/^\d+$/.test(r[cId].trim())) {
      skipped.push({ line: t.lines[k], text: t.recordText(k).slice(0, 200) });
      continue;
    }
    const tmdbId = Number(r[cId]);
    const date = r[cDate].trim();
    const ym = /^(\d{4})-\d{2}-\d{2}$/.exec(date);
    if (date !== "" && !ym) {
      throw lineError(
        file,
        t.lines[k],
        `release_date ${JSON.stringify(date)} is not yyyy-mm-dd`,
        t.recordText(k),
      );
    }
    const imdb = r[cImdb].trim();
    const im = /^tt(\d+)$/.exec(imdb);
    const genresCell = r[cGenres].trim();
    const genres = genresCell === ""
      ? []
      : namesOf(pyCell(t, k, cGenres, "genres"), t, k, "genres");
    if (movies.has(tmdbId)) continue; // the published file repeats some rows verbatim
    movies.set(tmdbId, {
      tmdbId,
      title: r[cTitle].trim(),
      year: ym ? Number(ym[1]) : null,
      genres,
      overview: r[cOverview].trim(),
      imdbId: im ? Number(im[1]) : null,
    });
  }
  return { movies, skipped };
}

/**
 * The Movies Dataset credits.csv: `cast,crew,id` with Python-literal lists of dicts.
 * @returns TMDB id -> cast names (billing order) and crew names (as listed), distinct.
 */
export function parseCreditsCsv(
  text: string,
  file: string,
): Map<number, { cast: string[]; crew: string[] }> {
  const t = parseCsv(text, file, { expectHeader: ["cast", "crew", "id"] });
  const out = new Map<number, { cast: string[]; crew: string[] }>();
  for (let k = 0; k < t.records.length; k++) {
    const id = parseId(t.records[k][2], file, t.lines[k], "id", t.recordText(k));
    const cast = namesOf(pyCell(t, k, 0, "cast"), t, k, "cast");
    const crew = namesOf(pyCell(t, k, 1, "crew"), t, k, "crew");
    if (!out.has(id)) out.set(id, { cast, crew });
  }
  return out;
}

async function readText(
  dataset: DatasetName,
  file: string,
  opts: LoadOptions,
): Promise<{ path: string; text: string }> {
  const { path, bytes } = await readDatasetFile(dataset, file, opts);
  return { path, text: decodeUtf8(bytes, path) };
}

async function readOptionalText(
  dataset: DatasetName,
  file: string,
  opts: LoadOptions,
): Promise<{ path: string; text: string } | null> {
  const path = await findLocalDataFile(dataset, file, opts);
  if (!path) return null;
  return { path, text: decodeUtf8(await readDataBytes(path), path) };
}

function toMap(items: ItemInfo[], file: string): ItemMetadata {
  const out: ItemMetadata = new Map();
  for (const it of items) {
    if (out.has(it.id)) throw new DataError(`${file}: duplicate movie id ${it.id}`);
    out.set(it.id, it);
  }
  return out;
}

/** Options of {@link loadItemMetadata}. */
export interface MetadataOptions extends LoadOptions {
  /** Read credits.csv (190 MB) when present, for cast and crew. Default true. */
  credits?: boolean;
  /** Where notes about skipped published rows go. Default console.warn. */
  warn?: (message: string) => void;
}

/**
 * Item metadata of a dataset, keyed by raw item id (MovieLens movieId):
 * - ml-100k: u.item (+ u.genre names); ml-1m: movies.dat;
 * - ml-latest-small, ml-20m, ml-25m: movies.csv, links.csv (IMDB/TMDB ids), tags.csv;
 * - the-movies-dataset: every movie of links.csv, with TMDB keywords joined through
 *   tmdbId, and title, year, genres, overview (movies_metadata.csv) and cast, crew
 *   (credits.csv) when those optional files are present locally (titles stay "" without
 *   movies_metadata.csv).
 *
 * The NCF datasets have remapped ids: use the ml-1m metadata through the split's itemIds.
 *
 * @example
 * ```ts
 * const meta = await loadItemMetadata("ml-100k");
 * meta.get(1); // { id: 1, title: "Toy Story", year: 1995, genres: ["Animation", ...], ... }
 * ```
 */
export async function loadItemMetadata(
  name: DatasetName,
  opts: MetadataOptions = {},
): Promise<ItemMetadata> {
  switch (name) {
    case "ml-100k": {
      const item = await readDatasetFile(name, "u.item", opts);
      const genrePath = await findLocalDataFile(name, "u.genre", opts);
      const genres = genrePath
        ? parseMl100kGenres(await readDataBytes(genrePath), genrePath)
        : ML100K_GENRES;
      return toMap(parseMl100kItems(item.bytes, item.path, genres), item.path);
    }
    case "ml-1m": {
      const m = await readDatasetFile(name, "movies.dat", opts);
      return toMap(parseMl1mMovies(m.bytes, m.path), m.path);
    }
    case "ml-latest-small":
    case "ml-20m":
    case "ml-25m": {
      const movies = await readText(name, "movies.csv", opts);
      const meta = toMap(parseMoviesCsv(movies.text, movies.path), movies.path);
      const links = await readOptionalText(name, "links.csv", opts);
      if (links) {
        for (const l of parseLinksCsv(links.text, links.path)) {
          const info = meta.get(l.movieId);
          if (!info) continue;
          info.imdbId = l.imdbId;
          info.tmdbId = l.tmdbId;
        }
      }
      const tags = await readOptionalText(name, "tags.csv", opts);
      if (tags) {
        for (const [id, list] of parseTagsCsv(tags.text, tags.path)) {
          const info = meta.get(id);
          if (info) info.tags = list;
        }
      }
      return meta;
    }
    case "the-movies-dataset":
      return await loadMoviesDatasetMetadata(opts);
    case "ncf-ml-1m":
    case "ncf-pinterest-20":
      throw new ConfigError(
        `loadItemMetadata: ${name} has remapped ids and no metadata of its own; for ncf-ml-1m ` +
          `load "ml-1m" metadata and map items through the rebuilt split's itemIds ` +
          `(rebuildNcfMl1m), Pinterest has none.`,
      );
  }
}

async function loadMoviesDatasetMetadata(opts: MetadataOptions): Promise<ItemMetadata> {
  const ds = "the-movies-dataset";
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const links = await readText(ds, "links.csv", opts);
  const keywordsFile = await readText(ds, "keywords.csv", opts);
  const keywords = parseKeywordsCsv(keywordsFile.text, keywordsFile.path);
  const metaFile = await readOptionalText(ds, "movies_metadata.csv", opts);
  let tmdb: Map<number, TmdbMovie> | null = null;
  if (metaFile) {
    const parsed = parseMoviesMetadataCsv(metaFile.text, metaFile.path);
    tmdb = parsed.movies;
    if (parsed.skipped.length > 0) {
      warn(
        `${metaFile.path}: skipped ${parsed.skipped.length} rows whose id is not an integer ` +
          `(shifted rows in the published file), lines ${
            parsed.skipped.map((s) => s.line).join(", ")
          }`,
      );
    }
  }
  const creditsFile = opts.credits === false
    ? null
    : await readOptionalText(ds, "credits.csv", opts);
  const credits = creditsFile ? parseCreditsCsv(creditsFile.text, creditsFile.path) : null;
  const meta: ItemMetadata = new Map();
  for (const l of parseLinksCsv(links.text, links.path)) {
    if (meta.has(l.movieId)) throw new DataError(`${links.path}: duplicate movieId ${l.movieId}`);
    const info = emptyInfo(l.movieId);
    info.imdbId = l.imdbId;
    info.tmdbId = l.tmdbId;
    if (l.tmdbId !== null) {
      info.keywords = [...(keywords.get(l.tmdbId) ?? [])];
      const m = tmdb?.get(l.tmdbId);
      if (m) {
        info.title = m.title;
        info.year = m.year;
        info.genres = [...m.genres];
        info.overview = m.overview;
      }
      const c = credits?.get(l.tmdbId);
      if (c) {
        info.cast = [...c.cast];
        info.crew = [...c.crew];
      }
    }
    meta.set(l.movieId, info);
  }
  return meta;
}
