/**
 * The NCF file format: reading (incl. test-only mode and negative checks), write -> read
 * round trip, and rebuilding the NCF ML-1M split from a hand-written ratings.dat whose
 * expected split was worked out by hand (tests/fixtures/data/ncf-rebuild).
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrowsMatching, tempDir } from "./_assert.ts";
import {
  dedupe,
  leaveLatestOut,
  loadNcfSplit,
  readNcfSplit,
  rebuildNcfMl1m,
  type Split,
  writeNcfSplit,
} from "../lib/data/mod.ts";
import { randomInteractions } from "./fixtures/data/synthetic.ts";

const FIX = join(import.meta.dirname!, "fixtures", "data");
const REBUILD = join(FIX, "ncf-rebuild");

async function copyInto(dir: string, files: Record<string, string>): Promise<void> {
  for (const [to, from] of Object.entries(files)) {
    await Deno.mkdir(join(dir, to, ".."), { recursive: true });
    await Deno.copyFile(from, join(dir, to));
  }
}

Deno.test("data: readNcfSplit: train/test/negative files with 0-based ids", async () => {
  const s = await readNcfSplit(join(FIX, "ncf"), "toy");
  assertEquals([s.nUsers, s.nItems], [3, 5]);
  assertEquals(Array.from(s.train.items), [0, 2, 1, 3, 0, 4]);
  assertEquals(Array.from(s.train.ratings), [5, 3, 4, 1, 2, 5]);
  assertEquals(Array.from(s.test.users), [0, 1, 2]);
  assertEquals(Array.from(s.test.items), [1, 4, 2]);
  assertEquals(Array.from(s.test.timestamps), [102, 202, 302]);
  assertEquals(s.test.numNegatives, 2);
  assertEquals(Array.from(s.test.negatives!), [3, 4, 0, 2, 1, 3]);
  assertEquals(s.train.itemIds.rawOf(4), 4);
});

Deno.test("data: readNcfSplit: test-only mode, missing files, key and range errors", async () => {
  const dir = await tempDir();
  try {
    await copyInto(dir.path, {
      "toy.test.rating": join(FIX, "ncf", "toy.test.rating"),
      "toy.test.negative": join(FIX, "ncf", "toy.test.negative"),
    });
    await assertThrowsMatching(
      () => readNcfSplit(dir.path, "toy"),
      /missing NCF train file: looked for .*toy\.train\.rating and .*toy\.train\.rating\.gz \(pass requireTrain: false/,
    );
    const s = await readNcfSplit(dir.path, "toy", { requireTrain: false, nItems: 9 });
    assertEquals(s.train.users.length, 0);
    assertEquals([s.nUsers, s.nItems], [3, 9]);
    assert(s.name.includes("test only"), s.name);
    await assertThrowsMatching(() => readNcfSplit(dir.path, "nope"), /missing NCF test file/);
    await Deno.writeTextFile(
      join(dir.path, "toy.test.negative"),
      "(0,1)\t3\t4\n(1,3)\t0\t2\n(2,2)\t1\t3\n",
    );
    await assertThrowsMatching(
      () => readNcfSplit(dir.path, "toy", { requireTrain: false }),
      /toy\.test\.negative:2: key \(1,3\) differs from line 2 of .*toy\.test\.rating \(1,4\)/,
    );
    await Deno.writeTextFile(
      join(dir.path, "toy.test.negative"),
      "(0,1)\t3\t4\n(1,4)\t0\t2\n(2,2)\t1\t3\n",
    );
    await assertThrowsMatching(
      () => readNcfSplit(dir.path, "toy", { requireTrain: false, nItems: 4 }),
      /toy\.test\.rating:2: item id 4 out of range \[0, 4\)/,
    );
    // A user with training rows but no test item is an error, not a silent skip.
    await Deno.writeTextFile(join(dir.path, "toy.train.rating"), "0\t0\t5\t1\n3\t0\t5\t1\n");
    await assertThrowsMatching(
      () => readNcfSplit(dir.path, "toy"),
      /user 3 has training rows in .*toy\.train\.rating but no test item in .*toy\.test\.rating/,
    );
  } finally {
    await dir.remove();
  }
});

Deno.test("data: readNcfSplit: negatives that are the test item or a train item are reported", async () => {
  const dir = await tempDir();
  try {
    await copyInto(dir.path, {
      "toy.train.rating": join(FIX, "ncf", "toy.train.rating"),
      "toy.test.rating": join(FIX, "ncf", "toy.test.rating"),
    });
    // Line 1 lists user 0's test item 1; line 2 lists user 1's train item 3.
    await Deno.writeTextFile(
      join(dir.path, "toy.test.negative"),
      "(0,1)\t1\t4\n(1,4)\t3\t2\n(2,2)\t1\t3\n",
    );
    const warnings: string[] = [];
    const s = await readNcfSplit(dir.path, "toy", { warn: (m) => warnings.push(m) });
    assertEquals(warnings.length, 1);
    assert(warnings[0].includes("1 of 3 lines list their own held-out item"), warnings[0]);
    assert(warnings[0].includes("1 negatives are train items of the user"), warnings[0]);
    assert(warnings[0].includes("line 1: user 0, negative 1 (its own held-out item)"), warnings[0]);
    assert(s.name.includes("negatives as published"), s.name);
    assertEquals(Array.from(s.test.negatives!.subarray(0, 2)), [1, 4]); // kept as published
    await assertThrowsMatching(
      () => readNcfSplit(dir.path, "toy", { checkNegatives: "error" }),
      /toy\.test\.negative: 1 of 3 lines list their own held-out item/,
    );
  } finally {
    await dir.remove();
  }
});

function sortedRows(x: Split["train"]): string[] {
  const out: string[] = [];
  for (let r = 0; r < x.users.length; r++) {
    out.push(`${x.users[r]}|${x.items[r]}|${x.ratings[r]}|${x.timestamps[r]}`);
  }
  return out.sort();
}

Deno.test("data: writeNcfSplit -> readNcfSplit round trip (train, valid, test, negatives)", async () => {
  const x = dedupe(randomInteractions(21, 40, 300, 2500));
  for (let r = 0; r < x.ratings.length; r++) x.ratings[r] = 0.5 * (1 + (r % 10)); // half stars
  const s = leaveLatestOut(x, { seed: 4, validation: true, shortUsers: "drop", numNegatives: 9 });
  const dir = await tempDir();
  try {
    await writeNcfSplit(s, dir.path, "rt");
    const back = await readNcfSplit(dir.path, "rt", { nUsers: s.nUsers, nItems: s.nItems });
    assertEquals(sortedRows(back.train), sortedRows(s.train));
    assertEquals(back.test, s.test);
    assertEquals(back.valid, s.valid);
    const firstTest = (await Deno.readTextFile(join(dir.path, "rt.test.rating"))).split("\n")[0];
    assertEquals(
      firstTest,
      `0\t${s.test.items[0]}\t${s.test.ratings[0]}\t${s.test.timestamps[0]}`,
    );
    const neg = (await Deno.readTextFile(join(dir.path, "rt.test.negative"))).split("\n")[0];
    assertEquals(
      neg,
      `(0,${s.test.items[0]})\t` + Array.from(s.test.negatives!.subarray(0, 9)).join("\t"),
    );
    // Train rows are grouped by user and ordered by time (what make_ncf_split.py writes).
    const train = (await Deno.readTextFile(join(dir.path, "rt.train.rating"))).trim().split("\n")
      .map((l) => l.split("\t").map(Number));
    for (let k = 1; k < train.length; k++) {
      const [u0, , , t0] = train[k - 1];
      const [u1, , , t1] = train[k];
      assert(u1 > u0 || (u1 === u0 && t1 >= t0), `train line ${k + 1} out of order`);
    }
  } finally {
    await dir.remove();
  }
});

Deno.test("data: rebuildNcfMl1m: hand-worked fixture, checked against published test files", async () => {
  const ratings = join(REBUILD, "ratings.dat");
  const s = await rebuildNcfMl1m(ratings, {
    testRating: join(REBUILD, "ml-1m.test.rating"),
    testNegative: join(REBUILD, "ml-1m.test.negative"),
  });
  // Items in order of first appearance: 1193, 661, 914, 3408, 1357, 3068, 2355.
  assertEquals(Array.from(s.train.itemIds.raw), [1193, 661, 914, 3408, 1357, 3068, 2355]);
  assertEquals(Array.from(s.train.userIds.raw), [1, 2, 3]);
  assertEquals(Array.from(s.test.items), [1, 1, 4]);
  assertEquals(Array.from(s.test.negatives!), [4, 6, 2, 6, 0, 5]);
  assertEquals(s.report.mismatches, []);
  assertEquals(s.report.testFrom, "ours");
  assert(s.report.summary.includes("3/3 test items equal"), s.report.summary);
  const dir = await tempDir();
  try {
    await writeNcfSplit(s, dir.path, "ml-1m");
    assertEquals(
      await Deno.readTextFile(join(dir.path, "ml-1m.train.rating")),
      await Deno.readTextFile(join(REBUILD, "expected.train.rating")),
    );
    assertEquals(
      await Deno.readTextFile(join(dir.path, "ml-1m.test.rating")),
      await Deno.readTextFile(join(REBUILD, "ml-1m.test.rating")),
    );
    assertEquals(
      await Deno.readTextFile(join(dir.path, "ml-1m.test.negative")),
      await Deno.readTextFile(join(REBUILD, "ml-1m.test.negative")),
    );
  } finally {
    await dir.remove();
  }
  // Without published files, negatives are sampled (seeded) from unrated items.
  const sampled = await rebuildNcfMl1m(ratings, { numNegatives: 2, seed: 3 });
  assert(sampled.report.negativesFrom.startsWith("sampled (2 per user, seed 3)"));
  const rated = [[0, 1, 2, 3], [4, 5, 0, 1], [3, 4, 6]];
  for (let u = 0; u < 3; u++) {
    for (const j of sampled.test.negatives!.subarray(2 * u, 2 * u + 2)) {
      assert(!rated[u].includes(j));
    }
  }
});

Deno.test("data: rebuildNcfMl1m: a published test item that differs (a tie) is reported", async () => {
  const ratings = join(REBUILD, "ratings.dat");
  const opts = {
    testRating: join(REBUILD, "tie.test.rating"),
    testNegative: join(REBUILD, "tie.test.negative"),
  };
  await assertThrowsMatching(
    () => rebuildNcfMl1m(ratings, opts),
    /1 of 3 rebuilt test items differ from .*tie\.test\.rating:\n {2}line 2: user 1: ours item 1 @978299000, published item 5 @978299000\nPass onMismatch: "published"/,
  );
  const pub = await rebuildNcfMl1m(ratings, { ...opts, onMismatch: "published" });
  assertEquals(Array.from(pub.test.items), [1, 5, 4]);
  assertEquals(pub.report.testFrom, "published");
  assertEquals(pub.report.mismatches.length, 1);
  const user1Train = [];
  for (let r = 0; r < pub.train.users.length; r++) {
    if (pub.train.users[r] === 1) user1Train.push(pub.train.items[r]);
  }
  assertEquals(user1Train.sort(), [0, 1, 4]);
  const ours = await rebuildNcfMl1m(ratings, { ...opts, onMismatch: "ours" });
  assertEquals(Array.from(ours.test.items), [1, 1, 4]);
  assertEquals(ours.report.mismatches[0].published, { item: 5, timestamp: 978299000 });
  // A published negative the user rated is an error naming file and line.
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      join(dir.path, "bad.negative"),
      "(0,1)\t4\t6\n(1,1)\t0\t6\n(2,4)\t0\t5\n",
    );
    await assertThrowsMatching(
      () => rebuildNcfMl1m(ratings, { testNegative: join(dir.path, "bad.negative") }),
      /bad\.negative:2: negative 0 is an item user 1 rated in /,
    );
  } finally {
    await dir.remove();
  }
});

Deno.test("data: loadNcfSplit: without ml-1m.train.rating the split is rebuilt from ratings.dat", async () => {
  const dir = await tempDir();
  try {
    await copyInto(dir.path, {
      "ncf/ml-1m.test.rating": join(REBUILD, "ml-1m.test.rating"),
      "ncf/ml-1m.test.negative": join(REBUILD, "ml-1m.test.negative"),
      "ml-1m/ratings.dat": join(REBUILD, "ratings.dat"),
    });
    const logs: string[] = [];
    const s = await loadNcfSplit("ncf-ml-1m", {
      dataDir: dir.path,
      cacheDir: join(dir.path, "cache"),
      download: false,
      log: (m) => logs.push(m),
    });
    assertEquals(Array.from(s.test.items), [1, 1, 4]);
    assertEquals(s.train.users.length, 8);
    assert(logs[0].startsWith("rebuilt NCF ml-1m from "), logs[0]);
    // With the train file present it is read as published.
    await Deno.copyFile(
      join(REBUILD, "expected.train.rating"),
      join(dir.path, "ncf", "ml-1m.train.rating"),
    );
    const pub = await loadNcfSplit("ncf-ml-1m", {
      dataDir: dir.path,
      cacheDir: join(dir.path, "cache"),
      download: false,
    });
    assertEquals(pub.train.users.length, 8);
    assert(pub.name.startsWith("NCF ml-1m"), pub.name);
    // Neither train nor ratings.dat: the error explains both.
    await Deno.remove(join(dir.path, "ncf", "ml-1m.train.rating"));
    await Deno.remove(join(dir.path, "ml-1m", "ratings.dat"));
    await assertThrowsMatching(
      () =>
        loadNcfSplit("ncf-ml-1m", {
          dataDir: dir.path,
          cacheDir: join(dir.path, "cache"),
          download: false,
        }),
      /missing data file ncf\/ml-1m\.train\.rating[\s\S]*Rebuilding it needs MovieLens 1M ratings\.dat, which is missing too/,
    );
    const testOnly = await loadNcfSplit("ncf-ml-1m", {
      dataDir: dir.path,
      cacheDir: join(dir.path, "cache"),
      download: false,
      testOnly: true,
    });
    assertEquals([testOnly.train.users.length, testOnly.nItems], [0, 3706]);
  } finally {
    await dir.remove();
  }
});
