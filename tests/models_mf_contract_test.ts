import { assert, assertAllClose, assertThrowsMatching } from "./_assert.ts";
import {
  BPRMF,
  IALS,
  LogisticMF,
  makeMF,
  MF_GRIDS,
  MF_NAMES,
  mfCandidates,
  PureSVD,
} from "../lib/models/mf/mod.ts";
import { syntheticSplit } from "../lib/data/mod.ts";
import type { EpochRecord, Recommender } from "../lib/models/types.ts";
import { SilentSink } from "../lib/util/progress.ts";

const quiet = { progress: new SilentSink() };

const split = syntheticSplit({
  nUsers: 37,
  nItems: 43, // not a multiple of 4: exercises the blocked scorer's tail
  interactions: 600,
  seed: 12,
  minPerUser: 5,
  numNegatives: 12,
});

const makers: (() => Recommender)[] = [
  () => new PureSVD({ factors: 6 }),
  () => new IALS({ factors: 6, epochs: 3 }),
  () => new IALS({ factors: 5, epochs: 3, solver: "cg", regExponent: 1, reg: 0.01 }),
  () => new LogisticMF({ factors: 6, epochs: 3 }),
  () => new LogisticMF({ factors: 3, epochs: 2, biases: false, kernel: "js" }),
  () => new BPRMF({ factors: 6, epochs: 3 }),
];

for (const make of makers) {
  const label = `${make().name} ${
    JSON.stringify((make() as unknown as { params: unknown }).params)
  }`;
  Deno.test(`MF contract: ${label.slice(0, 90)}`, async () => {
    const model = make();
    const records: EpochRecord[] = [];
    // A split whose test set throws when read: fit must choose on validation only.
    const guarded = {
      ...split,
      get test(): never {
        throw new Error("fit read split.test");
      },
    };
    const report = await model.fit(guarded, {
      seed: 3,
      ...quiet,
      onEpoch: (r) => {
        records.push(r);
      },
    });
    assert.equal(model.nUsers, split.nUsers);
    assert.equal(model.nItems, split.nItems);
    assert.deepEqual(records, report.history, "onEpoch saw every epoch record");
    if (report.history.length > 0) {
      assert.ok(report.bestEpoch! >= 1 && report.bestEpoch! <= report.history.length);
      assert.ok(report.history.every((h) => h.samples > 0 && h.seconds >= 0));
      assert.ok(report.history[report.history.length - 1].valid, "last epoch validated");
      assert.ok(report.history[report.bestEpoch! - 1].valid, "best epoch was validated");
    } else {
      assert.equal(report.bestEpoch, null);
    }
    const users = Int32Array.of(0, 17, 36, 17);
    const all = await model.scoreAll(users);
    assert.equal(all.length, users.length * split.nItems);
    const pu = new Int32Array(users.length * split.nItems);
    const pi = new Int32Array(pu.length);
    for (let n = 0; n < users.length; n++) {
      for (let i = 0; i < split.nItems; i++) {
        pu[n * split.nItems + i] = users[n];
        pi[n * split.nItems + i] = i;
      }
    }
    assertAllClose(all, await model.scorePairs(pu, pi), 1e-5, "scoreAll vs scorePairs");
    assert.ok(all.every(Number.isFinite));
    const into = new Float32Array(all.length + 5).fill(7);
    await model.scoreAllInto!(users, into);
    assertAllClose(into.subarray(0, all.length), all, 0, "scoreAllInto");
    await assertThrowsMatching(
      () => model.scoreAll(Int32Array.of(37)),
      /user index 37 out of range/,
    );
    await assertThrowsMatching(
      () => model.scorePairs(Int32Array.of(0), Int32Array.of(-1)),
      /item index -1 out of range/,
    );
  });
}

Deno.test("MF contract: unknown hyperparameters name the nearest key", async () => {
  await assertThrowsMatching(
    () => new IALS({ alhpa: 2 } as never),
    /iALS\.alhpa: unknown key \(did you mean "alpha"\?\)/,
  );
  await assertThrowsMatching(
    () => new LogisticMF({ negative: 4 } as never),
    /MF\.negative: unknown key \(did you mean "negatives"\?\)/,
  );
  await assertThrowsMatching(
    () => new BPRMF({ lr: 0 }),
    /BPR-MF\.lr: expected a value > 0, got 0/,
  );
});

Deno.test("MF contract: an empty training set is a clear error", async () => {
  const empty = {
    ...split,
    train: {
      ...split.train,
      users: new Int32Array(0),
      items: new Int32Array(0),
      ratings: new Float32Array(0),
      timestamps: new Float64Array(0),
    },
  };
  for (const make of makers) {
    await assertThrowsMatching(() => make().fit(empty, { seed: 1, ...quiet }), /no training/);
  }
});

Deno.test("MF contract: models by name, and sweep grids whose keys the schemas accept", async () => {
  for (const name of MF_NAMES) {
    assert.equal(makeMF(name).name, name);
    const candidates = mfCandidates(name);
    const grid = MF_GRIDS[name];
    const expected = Object.values(grid).reduce((n, values) => n * values.length, 1);
    assert.equal(candidates.length, expected, `${name}: one candidate per grid point`);
    for (const c of candidates) assert.equal(c.make().name, name); // validates every point
  }
  await assertThrowsMatching(
    () => makeMF("SVD++"),
    /unknown MF baseline "SVD\+\+"; known: PureSVD/,
  );
});
