/** Polars frames and dataset statistics on the ML-100K fixture (numbers worked by hand). */
import { join } from "node:path";
import { assertClose, assertEquals } from "./_assert.ts";
import {
  datasetStats,
  interactionsFrame,
  loadInteractions,
  loadItemMetadata,
  metadataFrame,
} from "../lib/data/mod.ts";

const FIX = join(import.meta.dirname!, "fixtures", "data");
const opts = { dataDir: FIX, cacheDir: "/nonexistent", download: false };

Deno.test("data: datasetStats: counts, density, quantiles, histogram, time span", async () => {
  const s = datasetStats(await loadInteractions("ml-100k", opts));
  assertEquals([s.users, s.items, s.interactions], [4, 4, 10]);
  assertClose(s.density, 10 / 16);
  // Per user [3, 2, 3, 2]; per item [4, 2, 2, 2] (numpy-style linear quantiles).
  assertEquals(s.perUser, { min: 2, q25: 2, median: 2.5, q75: 3, q90: 3, max: 3, mean: 2.5 });
  assertEquals(s.perItem.median, 2);
  assertClose(s.perItem.q90, 3.4, 1e-12);
  assertEquals(s.perItem.max, 4);
  assertEquals(s.ratingHistogram, [
    { rating: 1, count: 1 },
    { rating: 2, count: 1 },
    { rating: 3, count: 3 },
    { rating: 4, count: 3 },
    { rating: 5, count: 2 },
  ]);
  assertEquals([s.timeSpan.first, s.timeSpan.last], [874965758, 892323600]);
  assertEquals(s.timeSpan.firstIso, "1997-09-22");
  assertClose(s.timeSpan.days, (892323600 - 874965758) / 86400);
});

Deno.test("data: interactionsFrame and metadataFrame: one row per interaction / item", async () => {
  const x = await loadInteractions("ml-100k", opts);
  const df = interactionsFrame(x);
  assertEquals(df.shape, { height: 10, width: 6 });
  assertEquals(df.columns, ["user", "item", "userId", "itemId", "rating", "timestamp"]);
  assertEquals(df.getColumn("itemId").toArray().slice(0, 3), [1, 2, 267]);
  const perUser = df.groupBy("userId").len().sort("userId");
  assertEquals(perUser.getColumn("len").toArray().map(Number), [3, 2, 3, 2]);
  const meta = metadataFrame(await loadItemMetadata("ml-100k", opts));
  assertEquals(meta.height, 5);
  assertEquals(meta.getColumn("genres").toArray()[0], "Animation|Children's|Comedy");
});
