/**
 * Parsers on hand-written fixtures in the published formats (tests/fixtures/data) and on
 * inline malformed input: every error names file, line and the offending text.
 */
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  decodeLatin1,
  decodeUtf8,
  loadInteractions,
  loadItemMetadata,
  parseCreditsCsv,
  parseCsv,
  parseKeywordsCsv,
  parseLinksCsv,
  parseMl100kGenres,
  parseMl100kItems,
  parseMl1mMovies,
  parseMoviesCsv,
  parseMoviesMetadataCsv,
  parseNcfNegatives,
  parsePythonLiteral,
  parseRatingsBytes,
  parseTagsCsv,
  readDataBytes,
  splitTitleYear,
} from "../lib/data/mod.ts";

const FIX = join(import.meta.dirname!, "fixtures", "data");
const enc = (s: string) => new TextEncoder().encode(s);
const fixtureOpts = (cacheDir = "/nonexistent-dser-cache") => ({
  dataDir: FIX,
  cacheDir,
  download: false,
});
const TAB = { separator: "\t" as const };
const CSV = { separator: "," as const, header: ["userId", "movieId", "rating", "timestamp"] };

Deno.test("data: ratings: u.data (tab) fixture parses with ids in ascending raw order", async () => {
  const x = await loadInteractions("ml-100k", fixtureOpts());
  assertEquals(x.users.length, 10);
  assertEquals(Array.from(x.userIds.raw), [1, 2, 3, 4]);
  assertEquals(Array.from(x.itemIds.raw), [1, 2, 3, 267]);
  // Row 3 of the file: "1\t267\t4\t878542960" -> user 0, item 3.
  assertEquals([x.users[2], x.items[2], x.ratings[2], x.timestamps[2]], [0, 3, 4, 878542960]);
  assertEquals(x.nUsers, 4);
  assertEquals(x.nItems, 4);
});

Deno.test("data: ratings: ratings.dat ('::') and ratings.csv (CRLF, header, half stars)", async () => {
  const m = await loadInteractions("ml-1m", fixtureOpts());
  assertEquals(Array.from(m.itemIds.raw), [661, 914, 1193, 1357]);
  assertEquals(Array.from(m.items), [2, 0, 1, 3, 2]);
  const s = await loadInteractions("ml-latest-small", fixtureOpts());
  assertEquals(Array.from(s.userIds.raw), [1, 2, 610]);
  assertEquals(Array.from(s.ratings), [4, 4, 0.5, 3.5, 5, 5]);
  assertEquals(s.timestamps[5], 1493846352);
  const t = await loadInteractions("the-movies-dataset", fixtureOpts());
  assertEquals(t.users.length, 6);
  assertEquals(Array.from(t.itemIds.raw), [10, 31, 1029, 1061]);
});

Deno.test("data: ratings: malformed lines raise file:line with the offending text", async () => {
  const cases: [string, RegExp][] = [
    [
      "1\t2\t3\t4\n1\t2\t3\n",
      /^u\.data:2: expected 4 fields separated by "\\t", got 3: "1\\t2\\t3"$/,
    ],
    [
      "1\t2\t3\t4\n1\t2\t3\t4\t5\n",
      /^u\.data:2: expected 4 fields, got more: "1\\t2\\t3\\t4\\t5"$/,
    ],
    ["1\tx\t3\t4\n", /^u\.data:1: field 2 \(item id\) is not a number: "1\\tx\\t3\\t4"$/],
    ["1\t2.5\t3\t4\n", /^u\.data:1: item id must be an integer/],
    ["1\t2\t3\t4\n\n1\t2\t3\t4\n", /^u\.data:2: empty line/],
    ["1,2,3,4\n", /^u\.data:1: unexpected character "," after field 1 \(user id\): "1,2,3,4"$/],
    ["1\t2\t3\t4z\n", /^u\.data:1: unexpected character "z" after field 4/],
    ["", /^u\.data: no ratings \(empty dataset\)$/],
  ];
  for (const [text, re] of cases) {
    await assertThrowsMatching(() => parseRatingsBytes(enc(text), "u.data", TAB), re);
  }
  // Trailing blank lines and a missing final newline are fine.
  assertEquals(parseRatingsBytes(enc("1\t2\t3\t4\n\n\n"), "u.data", TAB).users.length, 1);
  assertEquals(parseRatingsBytes(enc("1\t2\t3\t4"), "u.data", TAB).users.length, 1);
  await assertThrowsMatching(
    () => parseRatingsBytes(enc("userId,movieId,rating\r\n1,2,3,4\r\n"), "ratings.csv", CSV),
    /^ratings\.csv:1: unexpected header .*: "userId,movieId,rating"$/,
  );
  await assertThrowsMatching(
    () => parseRatingsBytes(enc("1::2::3\n"), "ratings.dat", { separator: "::" }),
    /^ratings\.dat:1: expected 4 fields separated by "::", got 3: "1::2::3"$/,
  );
  await assertThrowsMatching(
    () => parseRatingsBytes(enc("1:2::3::4\n"), "ratings.dat", { separator: "::" }),
    /^ratings\.dat:1: unexpected character ":" after field 1/,
  );
  // Short rows (NCF Pinterest: "u\ti\t1\t0") outgrow the first capacity guess.
  const many = Array.from({ length: 5000 }, (_, r) => `${r % 7}\t${r}\t1\t0\n`).join("");
  const m = parseRatingsBytes(enc(many), "p.rating", TAB);
  assertEquals([m.users.length, m.items[4999], m.users[4999], m.users.buffer.byteLength], [
    5000,
    4999,
    1,
    20000,
  ]);
  // CSV: quoted numbers (RFC 4180 allows quoting any field) and CRLF.
  const q = parseRatingsBytes(
    enc('userId,movieId,rating,timestamp\r\n"7","8","2.5","99"\r\n'),
    "r.csv",
    CSV,
  );
  assertEquals([q.users[0], q.items[0], q.ratings[0], q.timestamps[0]], [7, 8, 2.5, 99]);
});

Deno.test("data: latin-1: exact byte->code point decoding (not windows-1252)", async () => {
  const bytes = new Uint8Array([0x4d, 0x69, 0x73, 0xe9, 0x92, 0x80]);
  assertEquals(decodeLatin1(bytes), "Mis\u00e9\u0092\u0080");
  // The WHATWG "latin1" label would have given windows-1252's right quote and euro sign.
  assert(new TextDecoder("latin1").decode(bytes) !== decodeLatin1(bytes));
  // Strict UTF-8 names the line with the invalid byte.
  await assertThrowsMatching(
    () => decodeUtf8(new Uint8Array([0x61, 0x0a, 0x4d, 0xe9, 0x0a]), "f.csv"),
    /^f\.csv:2: invalid UTF-8 .*"M\u00e9"$/,
  );
});

Deno.test("data: ml-100k u.item (latin-1, |, movie 267 unknown) and u.genre (trailing empty line)", async () => {
  const genreBytes = await Deno.readFile(join(FIX, "ml-100k", "u.genre"));
  assertEquals(genreBytes[genreBytes.length - 1], 10);
  assertEquals(genreBytes[genreBytes.length - 2], 10); // the trailing empty line
  const genres = parseMl100kGenres(genreBytes, "u.genre");
  assertEquals(genres.length, 19);
  assertEquals([genres[0], genres[4], genres[18]], ["unknown", "Children's", "Western"]);
  const items = parseMl100kItems(
    await Deno.readFile(join(FIX, "ml-100k", "u.item")),
    "u.item",
    genres,
  );
  assertEquals(items.map((i) => i.id), [1, 2, 3, 267, 1682]);
  assertEquals(items[0].title, "Toy Story");
  assertEquals(items[0].year, 1995);
  assertEquals(items[0].genres, ["Animation", "Children's", "Comedy"]);
  assertEquals(items[2].title, "Mis\u00e9rables, Les");
  assertEquals(items[3], {
    id: 267,
    title: "unknown",
    year: null,
    genres: ["unknown"],
    tags: [],
    keywords: [],
    imdbId: null,
    tmdbId: null,
  });
  // No year in the title: taken from the release date.
  assertEquals(items[4].title, "Scream of Stone (Schrei aus Stein)");
  assertEquals(items[4].year, 1996);
  const meta = await loadItemMetadata("ml-100k", fixtureOpts());
  assertEquals(meta.get(3)?.title, "Mis\u00e9rables, Les");
  await assertThrowsMatching(
    () => parseMl100kItems(enc("1|Toy Story (1995)|01-Jan-1995||url|0|1\n"), "u.item"),
    /^u\.item:1: expected 24 \|-separated fields, got 7: "1\|Toy Story/,
  );
  await assertThrowsMatching(
    () => parseMl100kGenres(enc("Action|1\n\nWestern|2\n"), "u.genre"),
    /^u\.genre:2: expected name\|index: ""$/,
  );
});

Deno.test("data: ml-1m movies.dat: '::' and latin-1", async () => {
  const movies = parseMl1mMovies(
    await Deno.readFile(join(FIX, "ml-1m", "movies.dat")),
    "movies.dat",
  );
  const les = movies.find((m) => m.id === 73)!;
  assertEquals(les.title, "Mis\u00e9rables, Les");
  assertEquals(les.genres, ["Drama", "Musical"]);
  assertEquals(movies.find((m) => m.id === 1193)!.title, "One Flew Over the Cuckoo's Nest");
  await assertThrowsMatching(
    () => parseMl1mMovies(enc("1::Toy Story (1995)\n"), "movies.dat"),
    /^movies\.dat:1: expected 3 "::"-separated fields, got 2: "1::Toy Story \(1995\)"$/,
  );
});

Deno.test("data: CSV: RFC-4180 quotes, doubled quotes, CRLF, embedded line breaks, errors", async () => {
  const t = parseCsv('a,b\r\n1,"x, y"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n4,\r\n', "t.csv");
  assertEquals(t.records, [["1", "x, y"], ["2", 'say "hi"'], ["3", "two\r\nlines"], ["4", ""]]);
  assertEquals(Array.from(t.lines), [2, 3, 4, 6]);
  await assertThrowsMatching(
    () => parseCsv('a,b\n1,"open\n2,3\n', "t.csv"),
    /^t\.csv:2: unterminated quoted field: "1,\\"open\\n2,3\\n"$/,
  );
  await assertThrowsMatching(
    () => parseCsv('a,b\n1,"x"y\n', "t.csv"),
    /^t\.csv:2: text after a closing quote: "1,\\"x\\"y"$/,
  );
  await assertThrowsMatching(
    () => parseCsv("a,b\n1,2\n3\n", "t.csv"),
    /^t\.csv:3: expected 2 fields \(a,b\), got 1: "3"$/,
  );
  // A quote inside an unquoted field is literal (Python csv does the same).
  assertEquals(parseCsv('a\n5"6\n', "t.csv").records, [['5"6']]);
});

Deno.test("data: movies.csv, links.csv, tags.csv (ml-latest-small traps)", async () => {
  const text = (f: string) => Deno.readTextFile(join(FIX, "ml-latest-small", f));
  const movies = parseMoviesCsv(await text("movies.csv"), "movies.csv");
  const by = new Map(movies.map((m) => [m.id, m]));
  assertEquals(by.get(3)!.title, "American President, The");
  assertEquals(by.get(7789)!.title, `11'09"01 - September 11`);
  assertEquals(by.get(7789)!.year, 2002);
  assertEquals(by.get(27008)!.title, "From Dusk Till Dawn 2: Texas Blood Money"); // trailing space
  assertEquals(by.get(27008)!.year, 1999);
  assertEquals(by.get(40697)!.year, null);
  assertEquals(by.get(147250)!.genres, []); // "(no genres listed)"
  assertEquals(by.get(171749)!.year, 2006); // "(2006–2007)"
  const links = parseLinksCsv(await text("links.csv"), "links.csv");
  assertEquals(links[0], { movieId: 1, imdbId: 114709, tmdbId: 862 });
  assertEquals(links[2], { movieId: 7789, imdbId: 328802, tmdbId: null });
  const tags = parseTagsCsv(await text("tags.csv"), "tags.csv");
  assertEquals(tags.get(1), ["pixar", "fun"]);
  assertEquals(tags.get(3), ['"artsy"', "politics, romance"]);
  assertEquals(tags.get(168252), ["dark"]);
  const meta = await loadItemMetadata("ml-latest-small", fixtureOpts());
  assertEquals(meta.get(1)!.tags, ["pixar", "fun"]);
  assertEquals(meta.get(1)!.tmdbId, 862);
  assertEquals(meta.get(168252)!.imdbId, 3315342);
  await assertThrowsMatching(
    () => parseLinksCsv("movieId,imdbId,tmdbId\r\n1,tt01,862\r\n", "links.csv"),
    /^links\.csv:2: imdbId must be an integer or empty: "1,tt01,862"$/,
  );
  await assertThrowsMatching(
    () => parseMoviesCsv("movieId,name,genres\n", "movies.csv"),
    /^movies\.csv:1: unexpected header/,
  );
  assertEquals(splitTitleYear("  Heat (1995) "), { title: "Heat", year: 1995 });
  assertEquals(splitTitleYear("(500) Days of Summer (2009)"), {
    title: "(500) Days of Summer",
    year: 2009,
  });
});

Deno.test("data: Python literals: single quotes, double-quoted apostrophes, escapes, None", () => {
  assertEquals(
    parsePythonLiteral(`[{'id': 1, 'name': "children's book"}, {'id': 2, 'name': 'It\\'s "x"'}]`),
    [{ id: 1, name: "children's book" }, { id: 2, name: `It's "x"` }],
  );
  assertEquals(parsePythonLiteral(`['\\xa0a', 'b\\\\c', '\\u00e9', None, True, -1.5e3, (1, 2)]`), [
    "\u00a0a",
    "b\\c",
    "\u00e9",
    null,
    true,
    -1500,
    [1, 2],
  ]);
  assertEquals(parsePythonLiteral("[]"), []);
  for (const bad of [`[{'id': 1, 'name': 'open}]`, `[1, 2`, `{'a' 1}`, `[1] x`]) {
    let threw = false;
    try {
      parsePythonLiteral(bad);
    } catch (err) {
      threw = /offset \d+/.test((err as Error).message);
    }
    assert(threw, `no offset error for ${bad}`);
  }
});

Deno.test("data: keywords.csv: Python-literal cells, duplicate ids merged, errors with line", async () => {
  const kw = parseKeywordsCsv(
    await Deno.readTextFile(join(FIX, "the-movies-dataset", "keywords.csv")),
    "keywords.csv",
  );
  assertEquals(kw.get(710), ["cuba", "falsely accused"]);
  assertEquals(kw.get(9909), ["based on children's book", "new year's eve"]);
  assertEquals(kw.get(11360), []);
  assertEquals(kw.get(819), ["nightgown", `It's "fine"`, "back\\slash", "duplicate id row"]);
  await assertThrowsMatching(
    () => parseKeywordsCsv(`id,keywords\n1,[]\n2,"[{'id': 3, 'name': 'x}]"\n`, "keywords.csv"),
    /^keywords\.csv:3: keywords is not a Python literal: unterminated string .*: "2,\\"\[\{'id': 3/,
  );
  await assertThrowsMatching(
    () => parseKeywordsCsv(`id,keywords\n1,"[{'id': 3}]"\n`, "keywords.csv"),
    /^keywords\.csv:2: keywords: each entry must be a dict with a 'name' string/,
  );
});

Deno.test("data: the-movies-dataset metadata: links + keywords + movies_metadata + credits", async () => {
  const warnings: string[] = [];
  const meta = await loadItemMetadata("the-movies-dataset", {
    ...fixtureOpts(),
    warn: (m) => warnings.push(m),
  });
  assertEquals(meta.size, 6);
  const gold = meta.get(10)!;
  assertEquals(gold.title, "GoldenEye");
  assertEquals(gold.year, 1995);
  assertEquals(gold.genres, ["Action", "Crime"]);
  assertEquals(gold.keywords, ["cuba", "falsely accused"]);
  assertEquals(gold.cast, ["Pierce Brosnan", "Sean Bean"]);
  assertEquals(gold.crew, ["Martin Campbell", "Jeffrey Caine"]);
  assertEquals(gold.imdbId, 113189);
  const minds = meta.get(31)!;
  assertEquals(
    minds.overview,
    'A teacher, a class; "Dangerous" minds.\r\nSecond line of the overview.',
  );
  assertEquals(minds.keywords, ["based on children's book", "new year's eve"]);
  assertEquals(minds.cast, undefined);
  assertEquals(meta.get(1061)!.year, null);
  assertEquals(meta.get(99999)!.tmdbId, null);
  // The shifted row (id "1997-08-20") is reported, not silently dropped.
  assertEquals(warnings.length, 1);
  assert(/skipped 1 rows whose id is not an integer .* lines 5$/.test(warnings[0]), warnings[0]);
  const parsed = parseMoviesMetadataCsv(
    await Deno.readTextFile(join(FIX, "the-movies-dataset", "movies_metadata.csv")),
    "movies_metadata.csv",
  );
  assertEquals(parsed.skipped.map((s) => s.line), [5]);
  const credits = parseCreditsCsv(
    await Deno.readTextFile(join(FIX, "the-movies-dataset", "credits.csv")),
    "credits.csv",
  );
  assertEquals(credits.get(710)!.cast, ["Pierce Brosnan", "Sean Bean"]);
});

Deno.test("data: NCF negative lines: (u,i)\\tneg... parsed; malformed lines named", async () => {
  const n = parseNcfNegatives(enc("(0,25)\t1\t2\n(1,7)\t3\t4\n"), "x.test.negative");
  assertEquals(Array.from(n.users), [0, 1]);
  assertEquals(Array.from(n.items), [25, 7]);
  assertEquals(Array.from(n.negatives), [1, 2, 3, 4]);
  assertEquals(n.numNegatives, 2);
  await assertThrowsMatching(
    () => parseNcfNegatives(enc("(0,25)\t1\t2\n(1,7)\t3\n"), "x.test.negative"),
    /^x\.test\.negative:2: expected 2 negatives \(as on line 1\), got 1: "\(1,7\)\\t3"$/,
  );
  await assertThrowsMatching(
    () => parseNcfNegatives(enc("0,25\t1\n"), "x.test.negative"),
    /^x\.test\.negative:1: expected "\(user,item\)" at the start: "0,25\\t1"$/,
  );
  await assertThrowsMatching(
    () => parseNcfNegatives(enc("(0,25)\t1\tx\n"), "x.test.negative"),
    /^x\.test\.negative:1: expected negative 2 \(a non-negative integer\): "\(0,25\)\\t1\\tx"$/,
  );
});

Deno.test("data: transparent .gz: a gzipped file gives the same data, corrupt gzip is named", async () => {
  const dir = await tempDir();
  try {
    const folder = join(dir.path, "ml-100k");
    await Deno.mkdir(folder);
    const raw = await Deno.readFile(join(FIX, "ml-100k", "u.data"));
    await Deno.writeFile(join(folder, "u.data.gz"), gzipSync(raw));
    assertEquals(await readDataBytes(join(folder, "u.data.gz")), raw);
    const viaGz = await loadInteractions("ml-100k", {
      dataDir: dir.path,
      cacheDir: dir.path + "/cache",
      download: false,
    });
    const plain = await loadInteractions("ml-100k", fixtureOpts());
    assertEquals(viaGz.items, plain.items);
    assertEquals(viaGz.timestamps, plain.timestamps);
    await Deno.writeFile(join(folder, "bad.gz"), raw);
    await assertThrowsMatching(
      () => readDataBytes(join(folder, "bad.gz")),
      /bad\.gz: not a gzip file/,
    );
  } finally {
    await dir.remove();
  }
});
