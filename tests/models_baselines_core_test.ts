/**
 * MostPop, ItemKNN, EASE and the blocked SPD inverse against direct, independent
 * computations on tiny hand-checkable data.
 */
import {
  assert,
  assertAllClose,
  assertClose,
  assertEquals,
  assertThrowsMatching,
} from "./_assert.ts";
import { heldOut, interactions } from "./_fixtures.ts";
import type { Split } from "../lib/data/types.ts";
import {
  EASE,
  EaseWeights,
  ItemKNN,
  MostPop,
  type Recommender,
  selectOnValidation,
  spdInverseInPlace,
  SpdWorkspace,
} from "../lib/models/mod.ts";
import { Rng, SilentSink } from "../lib/util/mod.ts";
import { userItemIndex } from "../lib/data/mod.ts";

const quiet = new SilentSink();
const ctx = { seed: 1, progress: quiet };

/** Random training pairs (with duplicates) and a leave-one-out valid/test with negatives. */
function randomSplit(seed: number, nUsers: number, nItems: number, density = 0.3): Split {
  const rng = new Rng(seed);
  const train: [number, number][] = [];
  const valid: [number, number][] = [];
  const test: [number, number][] = [];
  const vNeg: number[][] = [];
  const tNeg: number[][] = [];
  for (let u = 0; u < nUsers; u++) {
    const order = rng.shuffle(Int32Array.from({ length: nItems }, (_, i) => i));
    const n = 2 + rng.int(Math.max(1, Math.floor(density * nItems)));
    for (let q = 0; q < n; q++) {
      train.push([u, order[q]]);
      if (rng.float() < 0.2) train.push([u, order[q]]); // a repeated event
    }
    valid.push([u, order[n]]);
    test.push([u, order[n + 1]]);
    vNeg.push(Array.from(order.subarray(n + 2, n + 6)));
    tNeg.push(Array.from(order.subarray(n + 2, n + 6)));
  }
  return {
    name: `random-${seed}`,
    train: interactions(train, nUsers, nItems),
    valid: heldOut(valid, vNeg),
    test: heldOut(test, tNeg),
    nUsers,
    nItems,
  };
}

/** Dense binary X (users x items) from the training events. */
function denseX(split: Split): number[][] {
  const x = Array.from({ length: split.nUsers }, () => new Array(split.nItems).fill(0));
  split.train.users.forEach((u, r) => (x[u][split.train.items[r]] = 1));
  return x;
}

/** Inverse by Gauss-Jordan elimination with partial pivoting (independent of Cholesky). */
function gaussJordanInverse(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    const d = a[c][c];
    for (let k = 0; k < 2 * n; k++) a[c][k] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let k = 0; k < 2 * n; k++) a[r][k] -= f * a[c][k];
    }
  }
  return a.map((row) => row.slice(n));
}

/** Scores must agree between scorePairs and scoreAll for every (user, item). */
async function assertScoresConsistent(model: Recommender, tol: number): Promise<void> {
  const users = Int32Array.from({ length: model.nUsers }, (_, u) => u);
  const all = await model.scoreAll(users);
  const pu = new Int32Array(model.nUsers * model.nItems);
  const pi = new Int32Array(pu.length);
  for (let u = 0; u < model.nUsers; u++) {
    for (let i = 0; i < model.nItems; i++) {
      pu[u * model.nItems + i] = u;
      pi[u * model.nItems + i] = i;
    }
  }
  assertAllClose(await model.scorePairs(pu, pi), all, tol, `${model.name} scorePairs vs scoreAll`);
}

Deno.test("spdInverseInPlace equals Gauss-Jordan for many sizes and block sizes", async () => {
  const rng = new Rng(2);
  for (const n of [1, 2, 3, 5, 8, 13, 33, 70]) {
    const x = Array.from({ length: n + 3 }, () => Array.from({ length: n }, () => rng.normal()));
    const g = Array.from(
      { length: n },
      (_, i) =>
        Array.from(
          { length: n },
          (_, j) => x.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? 0.5 : 0),
        ),
    );
    const want = gaussJordanInverse(g).flat();
    for (const block of [1, 3, 4, 16, 96]) {
      const a = Float64Array.from(g.flat());
      // Garbage above the diagonal must not matter (only the lower triangle is read).
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 1e9;
      spdInverseInPlace(a, n, { block });
      const scale = Math.max(...want.map(Math.abs));
      assertAllClose(
        a.map((v) => v / scale),
        want.map((v) => v / scale),
        1e-10,
        `n=${n} b=${block}`,
      );
    }
  }
  const notPd = Float64Array.from([1, 2, 2, 1]);
  await assertThrowsMatching(() => spdInverseInPlace(notPd, 2), /not positive definite: pivot 1/);
});

Deno.test("SpdWorkspace: the wasm kernels equal Gauss-Jordan and the TypeScript inverse", async () => {
  const rng = new Rng(8);
  for (const n of [1, 2, 7, 40, 131]) {
    const x = Array.from({ length: n + 2 }, () => Array.from({ length: n }, () => rng.normal()));
    const g = Array.from(
      { length: n },
      (_, i) =>
        Array.from(
          { length: n },
          (_, j) => x.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? 1 : 0),
        ),
    );
    const want = gaussJordanInverse(g).flat();
    const scale = Math.max(...want.map(Math.abs));
    for (const block of [3, 16, 96]) {
      const ws = await SpdWorkspace.create(n, "wasm");
      assertEquals(ws.backend, "wasm");
      ws.matrix.set(g.flat());
      ws.invert({ block });
      assertAllClose(
        Array.from(ws.matrix, (v) => v / scale),
        want.map((v) => v / scale),
        1e-10,
        `wasm n=${n} b=${block}`,
      );
      const js = Float64Array.from(g.flat());
      spdInverseInPlace(js, n, { block });
      assertAllClose(ws.matrix, js, 1e-9 * scale, `wasm vs js n=${n}`);
    }
  }
  const ws = await SpdWorkspace.create(2, "wasm");
  ws.matrix.set([1, 2, 2, 1]);
  await assertThrowsMatching(() => ws.invert(), /not positive definite: pivot 1 is -3/);
  assertEquals((await SpdWorkspace.create(3, "js")).backend, "js");
});

Deno.test("EASE equals the direct dense solution and satisfies its optimality condition", async () => {
  const split = randomSplit(3, 12, 7, 0.5);
  const lambda = 2.5;
  const model = new EASE({ lambda });
  const report = await model.fit(split, ctx);
  assertEquals(report.bestEpoch, null);
  const x = denseX(split);
  const n = split.nItems;
  const gram = Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => x.reduce((s, row) => s + row[i] * row[j], 0)),
  );
  const p = gaussJordanInverse(gram.map((row, i) => row.map((v, j) => v + (i === j ? lambda : 0))));
  const b = p.map((row, i) => row.map((v, j) => (i === j ? 0 : -v / p[j][j])));
  assertAllClose(model.weights, b.flat(), 1e-6, "B");
  // Optimality (Steck eq. 4): ((XᵀX + λI) B - XᵀX) is diagonal.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let s = -gram[i][j];
      for (let k = 0; k < n; k++) s += (gram[i][k] + (i === k ? lambda : 0)) * b[k][j];
      assertClose(s, 0, 1e-9, `KKT (${i},${j})`);
    }
  }
  // Scores are X B.
  const all = await model.scoreAll(Int32Array.from([0, 5]));
  for (const [row, u] of [[0, 0], [1, 5]]) {
    for (let j = 0; j < n; j++) {
      const want = x[u].reduce((s, xi, i) => s + xi * b[i][j], 0);
      assertClose(all[row * n + j], want, 1e-5, `score(${u},${j})`);
    }
  }
  await assertScoresConsistent(model, 0); // same float32 sums in the same order
  // The TypeScript fallback gives the same weights.
  const js = new EASE({ lambda }, { backend: "js" });
  const jsReport = await js.fit(split, ctx);
  assertEquals([report.info.inverseBackend, jsReport.info.inverseBackend], ["wasm", "js"]);
  assertEquals([report.info.scoreBackend, jsReport.info.scoreBackend], ["wasm", "js"]);
  // Long runs of pairs per user take the batch path of scorePairs: still identical.
  const wide = new EASE({ lambda });
  await wide.fit(randomSplit(9, 12, 40, 0.3), ctx);
  await assertScoresConsistent(wide, 0);
  assertAllClose(js.weights, model.weights, 1e-6, "B (js vs wasm)");
});

Deno.test("EaseWeights: wasm and TypeScript batch scores equal sequential float32 sums", async () => {
  const rng = new Rng(12);
  const n = 530; // more than one column block of 512, not a multiple of 4
  const split = randomSplit(13, 37, n, 0.05);
  const index = userItemIndex(split.train);
  const wasm = await EaseWeights.create(n, "wasm");
  const js = await EaseWeights.create(n, "js");
  assertEquals([wasm.backend, js.backend], ["wasm", "js"]);
  for (let q = 0; q < n * n; q++) wasm.weights[q] = js.weights[q] = rng.normal();
  const users = Int32Array.from([5, 0, 36, 5, 12]); // any order, repeats allowed
  const a = new Float32Array(users.length * n);
  const b = new Float32Array(users.length * n).fill(7); // must be overwritten
  wasm.scoreBatch(index, users, a);
  js.scoreBatch(index, users, b);
  assertEquals(a, b);
  users.forEach((u, r) => {
    for (const j of [0, 1, 511, 512, n - 1]) {
      let s = 0;
      for (let q = index.indptr[u]; q < index.indptr[u + 1]; q++) {
        s = Math.fround(s + js.weights[index.indices[q] * n + j]);
      }
      assertEquals(a[r * n + j], s, `user ${u} item ${j}`);
    }
  });
});

Deno.test("ItemKNN equals brute-force cosine with shrink and top-k per target item", async () => {
  const split = randomSplit(4, 30, 12, 0.4);
  const x = denseX(split);
  const n = split.nItems;
  for (const [k, shrink] of [[3, 0], [5, 2.5], [50, 0]]) {
    const model = new ItemKNN({ k, shrink });
    await model.fit(split, ctx);
    const col = (i: number) => x.map((row) => row[i]);
    const count = (i: number) => col(i).reduce((a, b) => a + b, 0);
    const sim = (i: number, j: number) => {
      const co = x.reduce((s, row) => s + row[i] * row[j], 0);
      return co === 0 ? 0 : co / (Math.sqrt(count(i) * count(j)) + shrink);
    };
    for (let j = 0; j < n; j++) {
      const others = Array.from({ length: n }, (_, i) => i).filter((i) => i !== j && sim(i, j) > 0);
      others.sort((a, b) => sim(b, j) - sim(a, j) || a - b);
      const nb = others.slice(0, k);
      const got = model.neighbours(j);
      assertEquals(Array.from(got.items), nb, `neighbours of ${j} (k=${k})`);
      assertAllClose(got.similarities, nb.map((i) => sim(i, j)), 1e-6, "similarities");
      // score(u, j) = Σ over the user's items among j's neighbours.
      const scores = model.scoreAll(Int32Array.from(x.keys()));
      x.forEach((row, u) => {
        const want = nb.reduce((s, i) => s + row[i] * sim(i, j), 0);
        assertClose(scores[u * n + j], want, 1e-5, `score(${u},${j})`);
      });
    }
    await assertScoresConsistent(model, 1e-6);
  }
});

Deno.test("MostPop ranks items by distinct training users, the same for everyone", async () => {
  // Item 2: users 0, 1, 2; item 0: users 0, 1 (user 0 twice); item 3: user 2; item 1: none.
  const split: Split = {
    name: "pop",
    train: interactions([[0, 0], [0, 0], [1, 0], [0, 2], [1, 2], [2, 2], [2, 3]], 3, 4),
    test: heldOut([[0, 1]]),
    nUsers: 3,
    nItems: 4,
  };
  const model = new MostPop();
  await model.fit(split, ctx);
  assertEquals(Array.from(model.popularity), [2, 0, 3, 1]);
  const all = model.scoreAll(Int32Array.from([0, 2]));
  assertEquals(Array.from(all), [2, 0, 3, 1, 2, 0, 3, 1]);
  await assertScoresConsistent(model, 0);
});

Deno.test("baselines: scoring before fit, bad ids and unknown hyperparameters are errors", async () => {
  await assertThrowsMatching(() => new EASE().scoreAll(Int32Array.of(0)), /before fit/);
  await assertThrowsMatching(() => new ItemKNN({ k: 0 }), /k/);
  await assertThrowsMatching(
    () => new EASE({ lamda: 3 } as unknown as { lambda: number }),
    /lamda.*lambda/,
  );
  const split = randomSplit(5, 6, 8);
  const model = new MostPop();
  await model.fit(split, ctx);
  await assertThrowsMatching(
    () => model.scorePairs(Int32Array.of(0), Int32Array.of(8)),
    /pair 0 \(user 0, item 8\) out of range/,
  );
  await assertThrowsMatching(() => model.scoreAll(Int32Array.of(6)), /user 6 out of range/);
  const bad = { ...split, train: interactions([[0, 9]], 6, 8) };
  await assertThrowsMatching(() => new EASE().fit(bad, ctx), /item 9 out of range/);
});

Deno.test("selectOnValidation picks the best validation value and never reads the test set", async () => {
  const split = randomSplit(6, 40, 20, 0.3);
  Object.defineProperty(split, "test", {
    get() {
      throw new Error("the test set was read during model selection");
    },
  });
  const lambdas = [0.5, 5, 50, 500];
  const sel = await selectOnValidation(
    lambdas.map((lambda) => ({ params: { lambda }, make: () => new EASE({ lambda }) })),
    split,
    { seed: 1, metric: "NDCG@3", progress: quiet },
  );
  assertEquals(sel.grid.map((g) => g.params.lambda), lambdas);
  const best = Math.max(...sel.grid.map((g) => g.value));
  assertEquals(sel.grid.find((g) => g.value === best)!.params, sel.params);
  assertClose(sel.valid.mean["NDCG@3"], best, 0, "kept model's value");
  assert(sel.model instanceof EASE && sel.model.params.lambda === sel.params.lambda);
  const noValid = { ...randomSplit(6, 5, 9), valid: undefined };
  await assertThrowsMatching(
    () => selectOnValidation([{ params: {}, make: () => new MostPop() }], noValid, { seed: 1 }),
    /no validation set/,
  );
});
