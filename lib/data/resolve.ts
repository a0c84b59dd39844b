/**
 * Finding dataset files: `$DSER_DATA_DIR/<folder>/<file>` (or `<file>.gz`), then the
 * `data/` download cache of this repository, then a download of the official archive
 * into that cache with a byte progress display and checksum verification.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { DataError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { Progress, type ProgressSink } from "../util/progress.ts";
import { readDataBytes, verifyChecksums } from "./io.ts";
import { type DataFileSpec, type DatasetName, type DatasetSpec, datasetSpec } from "./registry.ts";

/** Where and how dataset files are found. Every field is optional. */
export interface LoadOptions {
  /**
   * Root of a folder tree laid out like ../shared/data (`<dir>/<folder>/<file>`).
   * Default: `$DSER_DATA_DIR` when set. `null` ignores `$DSER_DATA_DIR`.
   */
  dataDir?: string | null;
  /** Download cache, same layout. Default: `<repo>/data` (git-ignored). */
  cacheDir?: string;
  /** Download missing files from the official source. Default true, false when `DSER_OFFLINE=1`. */
  download?: boolean;
  /** Where download progress (in bytes) is shown. Default: the environment's sink. */
  progress?: ProgressSink;
  /**
   * Verify checksums. Downloads are always verified unless this is `false`; local files
   * are verified only when this is `true` (it reads the whole file once more).
   */
  verify?: boolean;
  /** The fetch used for downloads (a mirror, or a stub in tests). Default: global fetch. */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

/** The repository root (two levels above this file), or the working directory. */
export function repoRoot(): string {
  const url = new URL("../../", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : Deno.cwd();
}

function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The data directory in effect: `opts.dataDir`, else `$DSER_DATA_DIR`, else none. */
export function effectiveDataDir(opts: LoadOptions = {}): string | null {
  if (opts.dataDir !== undefined) return opts.dataDir || null;
  return envGet("DSER_DATA_DIR") || null;
}

/** The download cache in effect: `opts.cacheDir`, else `<repo>/data`. */
export function effectiveCacheDir(opts: LoadOptions = {}): string {
  return opts.cacheDir ?? join(repoRoot(), "data");
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The places a file is looked for, in order, with the reason for each. */
export function candidatePaths(
  dataset: DatasetName,
  file: string,
  opts: LoadOptions = {},
): { path: string; from: string }[] {
  const spec = datasetSpec(dataset);
  const out: { path: string; from: string }[] = [];
  const dataDir = effectiveDataDir(opts);
  const dataFrom = opts.dataDir ? "dataDir option" : "DSER_DATA_DIR";
  if (dataDir) {
    out.push({ path: join(dataDir, spec.folder, file), from: dataFrom });
    out.push({ path: join(dataDir, spec.folder, file + ".gz"), from: dataFrom });
  }
  const cache = effectiveCacheDir(opts);
  out.push({ path: join(cache, spec.folder, file), from: "download cache" });
  out.push({ path: join(cache, spec.folder, file + ".gz"), from: "download cache" });
  return out;
}

/** Finds an existing local copy (no download); null when there is none. */
export async function findLocalDataFile(
  dataset: DatasetName,
  file: string,
  opts: LoadOptions = {},
): Promise<string | null> {
  for (const c of candidatePaths(dataset, file, opts)) {
    if (await isFile(c.path)) {
      if (opts.verify === true) await verifyLocal(dataset, file, c.path);
      return c.path;
    }
  }
  return null;
}

async function verifyLocal(dataset: DatasetName, file: string, path: string): Promise<void> {
  const fs = datasetSpec(dataset).files.find((f) => f.name === file);
  if (!fs || (!fs.sha256 && !fs.gitBlob)) return;
  await verifyChecksums(path, await readDataBytes(path), fs);
}

function downloadsEnabled(opts: LoadOptions): boolean {
  if (opts.download !== undefined) return opts.download;
  return envGet("DSER_OFFLINE") !== "1";
}

/**
 * The path of a dataset file, found or fetched in this order:
 * 1. `<dataDir>/<folder>/<file>`, then `<file>.gz` (dataDir = `opts.dataDir` or `$DSER_DATA_DIR`);
 * 2. `<cacheDir>/<folder>/<file>`, then `<file>.gz` (cacheDir = `<repo>/data` by default);
 * 3. a download of the official archive (or the file's own URL) into the cache, with
 *    progress in bytes and sha256 / git-blob verification of every file with a known sum.
 *
 * A returned path ending in `.gz` is read transparently by {@link readDataBytes}.
 *
 * @example
 * ```ts
 * const path = await resolveDataFile("ml-100k", "u.data"); // ".../ml-100k/u.data"
 * ```
 * @throws DataError naming the file, every place looked, and how to get it; or a
 *   checksum mismatch naming the file, expected and actual sums.
 */
export async function resolveDataFile(
  dataset: DatasetName,
  file: string,
  opts: LoadOptions = {},
): Promise<string> {
  const local = await findLocalDataFile(dataset, file, opts);
  if (local) return local;
  const spec = datasetSpec(dataset);
  let downloadNote: string;
  if (!spec.downloadable) {
    downloadNote = `${spec.title} cannot be downloaded automatically.`;
  } else if (!downloadsEnabled(opts)) {
    downloadNote = "Downloads are off (download: false or DSER_OFFLINE=1).";
  } else {
    const fileSpec = spec.files.find((f) => f.name === file);
    const source = fileSpec?.url ?? spec.archive?.url;
    if (!source || (spec.archive && fileSpec?.url === undefined && !fileSpec?.archivePath)) {
      downloadNote = `${file} is not part of the official ${spec.title} download.`;
    } else {
      try {
        await downloadDataset(dataset, { ...opts, files: [file] });
        const path = join(effectiveCacheDir(opts), spec.folder, file);
        if (await isFile(path)) return path;
        downloadNote = `The download from ${source} did not contain ${file}.`;
      } catch (err) {
        if (err instanceof DataError && /checksum mismatch/.test(err.message)) throw err;
        const e = err as Error & { cause?: { message?: string } };
        const cause = e.cause ? ` (${e.cause.message ?? String(e.cause)})` : "";
        downloadNote = `Downloading ${source} failed: ${e.message}${cause}`;
      }
    }
  }
  throw missingFileError(spec, file, opts, downloadNote);
}

/** The error for a file that is nowhere to be found. */
export function missingFileError(
  spec: DatasetSpec,
  file: string,
  opts: LoadOptions,
  note: string,
): DataError {
  const looked = candidatePaths(spec.name, file, opts).map((c) => `  ${c.path} (${c.from})`);
  const dataDir = effectiveDataDir(opts);
  const lines = [
    `missing data file ${spec.folder}/${file} (${spec.title}).`,
    `Looked in:`,
    ...looked,
    note,
    `How to get it: ${spec.howToGet}`,
  ];
  if (!dataDir) {
    lines.push(
      "Or set DSER_DATA_DIR to a folder laid out as <folder>/<file> (e.g. ../shared/data).",
    );
  } else {
    const source = join(dataDir, spec.folder, "SOURCE.md");
    let hasSource = false;
    try {
      hasSource = Deno.statSync(source).isFile;
    } catch {
      hasSource = false;
    }
    if (hasSource) lines.push(`See ${source} for what this folder holds and lacks.`);
  }
  return new DataError(lines.join("\n"));
}

async function fetchBytes(url: string, opts: LoadOptions): Promise<Uint8Array> {
  const doFetch = opts.fetch ?? fetch;
  // A stalled connection should fail, but a slow large download must not: the timeout
  // covers the response headers only.
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new Error("no response within 60 s")), 60_000);
  let res: Response;
  try {
    res = await doFetch(url, { signal: ctrl.signal });
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText} for ${url}`);
  }
  const total = Number(res.headers.get("content-length") ?? 0) || 0;
  const name = url.slice(url.lastIndexOf("/") + 1);
  const progress = new Progress(`download ${name}`, { total, unit: "B", sink: opts.progress });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    progress.tick(value.length);
  }
  progress.finish();
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Downloads a dataset into the cache: the official archive (all registry files found in
 * it are extracted), or for per-file sources (NCF) the `files` asked for (default: all).
 * Every file with a known sum is verified before anything is written.
 *
 * @returns the paths written.
 * @throws DataError on a checksum mismatch (file, expected, actual) or when the dataset
 *   cannot be downloaded (Kaggle), with what to do instead.
 */
export async function downloadDataset(
  dataset: DatasetName,
  opts: LoadOptions & { files?: string[] } = {},
): Promise<string[]> {
  const spec = datasetSpec(dataset);
  if (!spec.downloadable) {
    throw new DataError(`${spec.title} cannot be downloaded automatically. ${spec.howToGet}`);
  }
  const dir = join(effectiveCacheDir(opts), spec.folder);
  const got: { spec: DataFileSpec; bytes: Uint8Array; source: string }[] = [];
  if (spec.archive) {
    const url = spec.archive.url;
    const zip = await fetchBytes(url, opts);
    if (spec.archive.sha256 && opts.verify !== false) {
      await verifyChecksums(url, zip, { sha256: spec.archive.sha256 });
    }
    const wanted = new Map(
      spec.files.filter((f) => f.archivePath).map((f) => [f.archivePath!, f]),
    );
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(zip, { filter: (f) => wanted.has(f.name) });
    } catch (err) {
      throw new DataError(`${url}: not a readable zip archive: ${(err as Error).message}`);
    }
    for (const [path, f] of wanted) {
      if (entries[path]) got.push({ spec: f, bytes: entries[path], source: url });
    }
  } else {
    const names = opts.files ?? spec.files.map((f) => f.name);
    for (const name of names) {
      const f = spec.files.find((x) => x.name === name);
      if (!f?.url) continue;
      got.push({ spec: f, bytes: await fetchBytes(f.url, opts), source: f.url });
    }
  }
  if (opts.verify !== false) {
    for (const g of got) {
      await verifyChecksums(`${spec.folder}/${g.spec.name} (from ${g.source})`, g.bytes, g.spec);
    }
  }
  const written: string[] = [];
  for (const g of got) {
    const path = join(dir, g.spec.name);
    await Deno.mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, g.bytes);
    written.push(path);
  }
  return written;
}

/** Resolves and reads a dataset file (gunzipped when it is `.gz`). */
export async function readDatasetFile(
  dataset: DatasetName,
  file: string,
  opts: LoadOptions = {},
): Promise<{ path: string; bytes: Uint8Array }> {
  const path = await resolveDataFile(dataset, file, opts);
  return { path, bytes: await readDataBytes(path) };
}
