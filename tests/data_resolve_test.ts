/**
 * File resolution: DSER_DATA_DIR / dataDir, the data/ cache, .gz siblings, downloads
 * (through a stub fetch: no network in tests), checksum verification and the text of
 * missing-file errors.
 */
import { join } from "node:path";
import { zipSync } from "fflate";
import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  DATASETS,
  gitBlobId,
  loadInteractions,
  type LoadOptions,
  resolveDataFile,
  sha256Hex,
} from "../lib/data/mod.ts";
import type { ProgressState } from "../lib/util/mod.ts";

const FIX = join(import.meta.dirname!, "fixtures", "data");

function stubFetch(routes: Record<string, Uint8Array | number | Error>, calls: string[] = []) {
  return (url: string): Promise<Response> => {
    calls.push(url);
    const r = routes[url];
    if (r instanceof Error) return Promise.reject(r);
    if (r === undefined || typeof r === "number") {
      return Promise.resolve(
        new Response("not found", { status: r ?? 404, statusText: "Not Found" }),
      );
    }
    return Promise.resolve(
      new Response(r as Uint8Array<ArrayBuffer>, {
        headers: { "content-length": String(r.length) },
      }),
    );
  };
}

Deno.test("data: checksums: sha256 and git blob ids match independent values", async () => {
  const hello = new TextEncoder().encode("hello\n");
  // `printf 'hello\n' | sha256sum` and `printf 'hello\n' | git hash-object --stdin`.
  assertEquals(
    await sha256Hex(hello),
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
  );
  assertEquals(await gitBlobId(hello), "ce013625030ba8dba906f756967f9e9ca394464a");
});

Deno.test("data: resolution order: dataDir, then cache, plain before .gz; dataDir null ignores env", async () => {
  const dir = await tempDir();
  try {
    const data = join(dir.path, "shared");
    const cache = join(dir.path, "cache");
    await Deno.mkdir(join(data, "ml-100k"), { recursive: true });
    await Deno.mkdir(join(cache, "ml-100k"), { recursive: true });
    await Deno.writeTextFile(join(cache, "ml-100k", "u.item"), "x");
    await Deno.writeTextFile(join(cache, "ml-100k", "u.data.gz"), "x");
    await Deno.writeTextFile(join(data, "ml-100k", "u.data"), "x");
    const opts: LoadOptions = { dataDir: data, cacheDir: cache, download: false };
    assertEquals(await resolveDataFile("ml-100k", "u.data", opts), join(data, "ml-100k", "u.data"));
    assertEquals(
      await resolveDataFile("ml-100k", "u.item", opts),
      join(cache, "ml-100k", "u.item"),
    );
    await Deno.remove(join(data, "ml-100k", "u.data"));
    assertEquals(
      await resolveDataFile("ml-100k", "u.data", opts),
      join(cache, "ml-100k", "u.data.gz"),
    );
    await Deno.writeTextFile(join(data, "ml-100k", "u.data.gz"), "x");
    assertEquals(
      await resolveDataFile("ml-100k", "u.data", opts),
      join(data, "ml-100k", "u.data.gz"),
    );
    // DSER_DATA_DIR is used unless dataDir is given; null switches it off.
    const before = Deno.env.get("DSER_DATA_DIR");
    Deno.env.set("DSER_DATA_DIR", data);
    try {
      assertEquals(
        await resolveDataFile("ml-100k", "u.data", { cacheDir: cache, download: false }),
        join(data, "ml-100k", "u.data.gz"),
      );
      assertEquals(
        await resolveDataFile("ml-100k", "u.data", {
          dataDir: null,
          cacheDir: cache,
          download: false,
        }),
        join(cache, "ml-100k", "u.data.gz"),
      );
    } finally {
      if (before === undefined) Deno.env.delete("DSER_DATA_DIR");
      else Deno.env.set("DSER_DATA_DIR", before);
    }
  } finally {
    await dir.remove();
  }
});

Deno.test("data: missing file: names the file, every place looked, how to get it, SOURCE.md", async () => {
  const dir = await tempDir();
  try {
    const data = join(dir.path, "shared");
    await Deno.mkdir(join(data, "ml-1m"), { recursive: true });
    await Deno.writeTextFile(join(data, "ml-1m", "SOURCE.md"), "# provenance\n");
    let msg = "";
    try {
      await resolveDataFile("ml-1m", "ratings.dat", {
        dataDir: data,
        cacheDir: join(dir.path, "cache"),
        download: false,
      });
    } catch (err) {
      msg = (err as Error).message;
    }
    assert(msg.startsWith("missing data file ml-1m/ratings.dat (MovieLens 1M)."), msg);
    for (
      const p of [
        join(data, "ml-1m", "ratings.dat"),
        join(data, "ml-1m", "ratings.dat.gz"),
        join(dir.path, "cache", "ml-1m", "ratings.dat"),
        join(dir.path, "cache", "ml-1m", "ratings.dat.gz"),
      ]
    ) {
      assert(msg.includes(`  ${p} (`), `missing ${p} in:\n${msg}`);
    }
    assert(msg.includes("Downloads are off"), msg);
    assert(msg.includes("https://files.grouplens.org/datasets/movielens/ml-1m.zip"), msg);
    assert(msg.includes(`See ${join(data, "ml-1m", "SOURCE.md")}`), msg);
    // Without a data dir the message suggests DSER_DATA_DIR instead.
    await assertThrowsMatching(
      () =>
        resolveDataFile("ml-1m", "ratings.dat", {
          dataDir: null,
          cacheDir: join(dir.path, "cache"),
          download: false,
        }),
      /Or set DSER_DATA_DIR/,
    );
  } finally {
    await dir.remove();
  }
});

Deno.test("data: Kaggle: no download attempt; the error says which files go where and where from", async () => {
  const dir = await tempDir();
  try {
    const calls: string[] = [];
    let msg = "";
    try {
      await loadInteractions("the-movies-dataset", {
        dataDir: join(dir.path, "shared"),
        cacheDir: join(dir.path, "cache"),
        download: true,
        fetch: stubFetch({}, calls),
      });
    } catch (err) {
      msg = (err as Error).message;
    }
    assertEquals(calls, []);
    assert(msg.includes("missing data file the-movies-dataset/ratings_small.csv"), msg);
    assert(msg.includes("cannot be downloaded automatically"), msg);
    assert(msg.includes("https://www.kaggle.com/datasets/rounakbanik/the-movies-dataset"), msg);
    assert(
      msg.includes("put ratings_small.csv, links.csv and keywords.csv (required)") &&
        msg.includes("into the the-movies-dataset/ folder"),
      msg,
    );
    assert(msg.includes(join(dir.path, "shared", "the-movies-dataset", "ratings_small.csv")), msg);
  } finally {
    await dir.remove();
  }
});

Deno.test("data: download: archive fetched with byte progress, files extracted into the cache", async () => {
  const dir = await tempDir();
  try {
    const ratings = new TextEncoder().encode(
      "userId,movieId,rating,timestamp\r\n1,10,4.0,100\r\n2,10,3.5,200\r\n",
    );
    const zip = zipSync({
      "ml-20m/ratings.csv": ratings,
      "ml-20m/movies.csv": new TextEncoder().encode(
        "movieId,title,genres\r\n10,X (1999),Drama\r\n",
      ),
      "ml-20m/genome-scores.csv": new TextEncoder().encode("ignored"),
    });
    const calls: string[] = [];
    const states: ProgressState[] = [];
    const x = await loadInteractions("ml-20m", {
      dataDir: null,
      cacheDir: join(dir.path, "cache"),
      fetch: stubFetch({ [DATASETS["ml-20m"].archive!.url]: zip }, calls),
      progress: { update: (s) => states.push(s) },
    });
    assertEquals(calls, ["https://files.grouplens.org/datasets/movielens/ml-20m.zip"]);
    assertEquals(x.users.length, 2);
    const last = states[states.length - 1];
    assertEquals([last.unit, last.done, last.total, last.finished], [
      "B",
      zip.length,
      zip.length,
      true,
    ]);
    assertEquals(await Deno.readFile(join(dir.path, "cache", "ml-20m", "ratings.csv")), ratings);
    assert(await Deno.stat(join(dir.path, "cache", "ml-20m", "movies.csv")));
    // Only registry files are extracted.
    await assertThrowsMatching(
      () => Deno.stat(join(dir.path, "cache", "ml-20m", "genome-scores.csv")),
      /No such file|not found/i,
    );
    // The second load finds the cache and does not fetch again.
    await loadInteractions("ml-20m", {
      dataDir: null,
      cacheDir: join(dir.path, "cache"),
      fetch: stubFetch({}, calls),
    });
    assertEquals(calls.length, 1);
  } finally {
    await dir.remove();
  }
});

Deno.test("data: download: a checksum mismatch names file, expected and actual; nothing is written", async () => {
  const dir = await tempDir();
  try {
    const fake = new TextEncoder().encode("1\t1\t5\t874965758\n");
    const zip = zipSync({ "ml-100k/u.data": fake, "ml-100k/u.item": new Uint8Array(0) });
    const actual = await sha256Hex(fake);
    await assertThrowsMatching(
      () =>
        resolveDataFile("ml-100k", "u.data", {
          dataDir: null,
          cacheDir: join(dir.path, "cache"),
          fetch: stubFetch({ "https://files.grouplens.org/datasets/movielens/ml-100k.zip": zip }),
          progress: { update() {} },
        }),
      new RegExp(
        `^checksum mismatch for ml-100k/u\\.data \\(from https://files\\.grouplens\\.org/datasets/` +
          `movielens/ml-100k\\.zip\\): expected sha256 ` +
          `06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490, actual ${actual}$`,
      ),
    );
    await assertThrowsMatching(
      () => Deno.stat(join(dir.path, "cache", "ml-100k", "u.data")),
      /No such file|not found/i,
    );
  } finally {
    await dir.remove();
  }
});

Deno.test("data: verify: true checks local files against the registry sums", async () => {
  const actual = await sha256Hex(await Deno.readFile(join(FIX, "ml-100k", "u.data")));
  await assertThrowsMatching(
    () => resolveDataFile("ml-100k", "u.data", { dataDir: FIX, download: false, verify: true }),
    new RegExp(
      `^checksum mismatch for ${FIX}/ml-100k/u\\.data: expected sha256 06416e59\\w+, actual ${actual}$`,
    ),
  );
  // Without verify the (hand-written) fixture is accepted.
  assertEquals(
    await resolveDataFile("ml-100k", "u.data", { dataDir: FIX, download: false }),
    join(FIX, "ml-100k", "u.data"),
  );
});

Deno.test("data: download failures: HTTP errors and network errors end in the missing-file text", async () => {
  const dir = await tempDir();
  try {
    const url = DATASETS["ncf-ml-1m"].files.find((f) => f.name === "ml-1m.train.rating")!.url!;
    assert(
      url.startsWith(
        "https://raw.githubusercontent.com/hexiangnan/neural_collaborative_filtering/",
      ),
    );
    let msg = "";
    try {
      await resolveDataFile("ncf-ml-1m", "ml-1m.train.rating", {
        dataDir: null,
        cacheDir: join(dir.path, "cache"),
        fetch: stubFetch({ [url]: 404 }),
      });
    } catch (err) {
      msg = (err as Error).message;
    }
    assert(msg.includes(`Downloading ${url} failed: HTTP 404`), msg);
    assert(msg.includes("can also be rebuilt from MovieLens 1M ratings.dat"), msg);
    assert(msg.includes("user = UserID-1, items numbered by first appearance"), msg);
    await assertThrowsMatching(
      () =>
        resolveDataFile("ml-100k", "u.data", {
          dataDir: null,
          cacheDir: join(dir.path, "cache"),
          fetch: stubFetch({
            "https://files.grouplens.org/datasets/movielens/ml-100k.zip": new Error(
              "dns error: no route",
            ),
          }),
        }),
      /Downloading https:\/\/files\.grouplens\.org\/datasets\/movielens\/ml-100k\.zip failed: dns error: no route/,
    );
  } finally {
    await dir.remove();
  }
});
