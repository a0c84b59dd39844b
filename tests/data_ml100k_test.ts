/**
 * End to end on the real datasets in $DSER_DATA_DIR (CI: ../shared/data): ML-100K load,
 * statistics and leave-latest-one-out; the registry's checksums against the real files;
 * the published NCF test files; and our ML-100K split against the anchor script
 * ../shared/anchors/make_ncf_split.py (byte-identical train and test files).
 *
 * Skipped, with a message saying so, only when DSER_DATA_DIR is unset.
 */
import { join } from "node:path";
import { assert, assertEquals, tempDir } from "./_assert.ts";
import {
  DATASETS,
  datasetStats,
  findLocalDataFile,
  leaveLatestOut,
  loadInteractions,
  loadItemMetadata,
  readNcfSplit,
  userItemIndex,
  writeNcfSplit,
} from "../lib/data/mod.ts";

const DATA = Deno.env.get("DSER_DATA_DIR");
const SKIP = DATA ? "" : " (skipped: DSER_DATA_DIR is not set)";
if (!DATA) {
  console.warn(
    "data_ml100k_test.ts: DSER_DATA_DIR is not set, so the real-data tests are skipped. " +
      "Run with DSER_DATA_DIR=../shared/data to include them.",
  );
}
const opts = { dataDir: DATA ?? null, download: false };

Deno.test({
  name: "data: ML-100K end to end: 943 users, 1,682 items, 100,000 ratings; 943 test pairs" + SKIP,
  ignore: !DATA,
  fn: async () => {
    const x = await loadInteractions("ml-100k", opts);
    assertEquals([x.users.length, x.nUsers, x.nItems], [100_000, 943, 1682]);
    // u.data ids are 1..943 and 1..1682, so dense index = raw id - 1.
    for (let r = 0; r < 1000; r++) assertEquals(x.userIds.raw[x.users[r]], x.users[r] + 1);
    const stats = datasetStats(x);
    assertEquals(stats.ratingHistogram.reduce((s, h) => s + h.count, 0), 100_000);
    assertEquals(stats.perUser.min, 20); // README: each user has rated at least 20 movies
    assertEquals(stats.density, 100_000 / (943 * 1682));
    const s = leaveLatestOut(x, { seed: 1, validation: true });
    assertEquals(s.test.users.length, 943);
    assertEquals(s.valid!.users.length, 943);
    assertEquals(s.train.users.length, 100_000 - 2 * 943);
    const all = userItemIndex(x);
    for (let p = 0; p < 943; p++) {
      const items = all.indices.subarray(all.indptr[p], all.indptr[p + 1]);
      const negs = s.test.negatives!.subarray(p * 99, (p + 1) * 99);
      assertEquals(new Set(negs).size, 99);
      for (const j of negs) assert(!items.includes(j));
      // The test item is the user's latest rating.
      for (let r = 0; r < x.users.length; r += 1) {
        if (x.users[r] === p) assert(x.timestamps[r] <= s.test.timestamps[p]);
      }
    }
    const meta = await loadItemMetadata("ml-100k", opts);
    assertEquals(meta.size, 1682);
    assertEquals(meta.get(267)!.title, "unknown");
    assertEquals(meta.get(267)!.year, null);
  },
});

Deno.test({
  name: "data: real files: registry checksums hold for every file present in DSER_DATA_DIR" + SKIP,
  ignore: !DATA,
  fn: async () => {
    let checked = 0;
    for (const spec of Object.values(DATASETS)) {
      for (const f of spec.files) {
        if (!f.sha256 && !f.gitBlob) continue;
        const local = await findLocalDataFile(spec.name, f.name, {
          ...opts,
          cacheDir: "/nonexistent",
        });
        if (!local) continue;
        await findLocalDataFile(spec.name, f.name, {
          ...opts,
          cacheDir: "/nonexistent",
          verify: true,
        });
        checked++;
      }
    }
    assert(checked >= 20, `only ${checked} files checked`);
  },
});

Deno.test({
  name: "data: real files: ml-latest-small and the-movies-dataset counts as documented" + SKIP,
  ignore: !DATA,
  fn: async () => {
    const s = await loadInteractions("ml-latest-small", opts);
    assertEquals([s.users.length, s.nUsers, s.nItems], [100_836, 610, 9724]);
    const t = await loadInteractions("the-movies-dataset", opts);
    assertEquals([t.users.length, t.nUsers, t.nItems], [100_004, 671, 9066]);
    const meta = await loadItemMetadata("ml-latest-small", opts);
    assertEquals(meta.size, 9742);
    assertEquals(meta.get(1)!.tmdbId, 862);
  },
});

Deno.test({
  name:
    "data: published NCF ml-1m test files: 6,040 users x 99 negatives, own-item lines reported" +
    SKIP,
  ignore: !DATA,
  fn: async () => {
    const warnings: string[] = [];
    const s = await readNcfSplit(join(DATA!, "ncf"), "ml-1m", {
      requireTrain: false,
      nItems: 3706,
      warn: (m) => warnings.push(m),
    });
    assertEquals([s.test.users.length, s.test.numNegatives], [6040, 99]);
    assertEquals([s.test.users[0], s.test.items[0]], [0, 25]);
    // As published: 156 lines list the test item among their 99 negatives.
    assertEquals(warnings.length, 1);
    assert(warnings[0].includes("156 of 6040 lines list their own held-out item"), warnings[0]);
  },
});

async function hasNumpy(): Promise<boolean> {
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

// The anchors sit beside the data: ../shared/{data,anchors}.
const ANCHOR = join(
  DATA ?? join(import.meta.dirname!, "..", "..", "shared", "data"),
  "..",
  "anchors",
  "make_ncf_split.py",
);
const anchorReady = DATA !== undefined && (await hasNumpy()) &&
  (await Deno.stat(ANCHOR).then(() => true, () => false));
if (DATA && !anchorReady) {
  console.warn(
    `data_ml100k_test.ts: skipping the anchor comparison (needs /usr/bin/python3 with numpy and ${ANCHOR})`,
  );
}

Deno.test({
  name:
    "data: ML-100K split equals ../shared/anchors/make_ncf_split.py byte for byte (train, test)" +
    (anchorReady ? "" : " (skipped: no DSER_DATA_DIR, numpy or anchor script)"),
  ignore: !anchorReady,
  fn: async () => {
    const dir = await tempDir();
    try {
      const out = await new Deno.Command("/usr/bin/python3", {
        args: [ANCHOR, join(DATA!, "ml-100k", "u.data"), join(dir.path, "py"), "--name", "ml-100k"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
      const x = await loadInteractions("ml-100k", opts);
      await writeNcfSplit(leaveLatestOut(x, { seed: 1 }), join(dir.path, "ts"), "ml-100k");
      for (const f of ["ml-100k.train.rating", "ml-100k.test.rating"]) {
        const ours = await Deno.readTextFile(join(dir.path, "ts", f));
        const theirs = await Deno.readTextFile(join(dir.path, "py", f));
        assert(ours === theirs, `${f} differs from the anchor's`);
      }
    } finally {
      await dir.remove();
    }
  },
});
