import { assert, assertClose, assertThrowsMatching } from "./_assert.ts";
import { heldOut, interactions } from "./_fixtures.ts";
import { PureSVD, randomizedSvd } from "../lib/models/mf/pure_svd.ts";
import { type Csr, transposeCsr } from "../lib/models/mf/sparse.ts";
import type { Split } from "../lib/data/types.ts";
import { syntheticSplit } from "../lib/data/mod.ts";
import { Rng } from "../lib/util/rng.ts";
import { SilentSink } from "../lib/util/progress.ts";

/**
 * Reference: eigenpairs of a dense symmetric matrix by power iteration with deflation,
 * written independently of the library's Jacobi solver. Accurate when the leading
 * eigenvalues are well separated (as in the block matrix below).
 */
function topEigenpairs(a: number[][], count: number): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const m = a.map((row) => row.slice());
  const values: number[] = [];
  const vectors: number[][] = [];
  const rng = new Rng(99);
  for (let c = 0; c < count; c++) {
    let v = Array.from({ length: n }, () => rng.normal());
    let lambda = 0;
    for (let it = 0; it < 5000; it++) {
      const w = m.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
      const norm = Math.hypot(...w);
      v = w.map((x) => x / norm);
      lambda = norm;
    }
    values.push(lambda);
    vectors.push(v);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i][j] -= lambda * v[i] * v[j];
  }
  return { values, vectors };
}

/** A binary matrix with three blocks of distinct sizes (clear spectral gaps) plus noise. */
function blockMatrix(): { dense: number[][]; csr: Csr } {
  const nRows = 30;
  const nCols = 20;
  const rng = new Rng(11);
  const dense = Array.from({ length: nRows }, () => new Array(nCols).fill(0));
  for (let r = 0; r < nRows; r++) {
    const block = r < 16 ? 0 : r < 25 ? 1 : 2;
    const [lo, hi] = block === 0 ? [0, 10] : block === 1 ? [10, 16] : [16, 20];
    for (let c = lo; c < hi; c++) if (rng.float() < 0.8) dense[r][c] = 1;
    if (rng.float() < 0.3) dense[r][rng.int(nCols)] = 1;
  }
  const indptr = new Int32Array(nRows + 1);
  const idx: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) if (dense[r][c]) idx.push(c);
    indptr[r + 1] = idx.length;
  }
  return { dense, csr: { indptr, indices: Int32Array.from(idx), nRows, nCols } };
}

function gramOf(dense: number[][]): number[][] {
  const nCols = dense[0].length;
  const g = Array.from({ length: nCols }, () => new Array(nCols).fill(0));
  for (const row of dense) {
    for (let i = 0; i < nCols; i++) for (let j = 0; j < nCols; j++) g[i][j] += row[i] * row[j];
  }
  return g;
}

Deno.test("PureSVD: randomized SVD matches the exact top singular subspace", () => {
  const { dense, csr } = blockMatrix();
  const k = 3;
  const exact = topEigenpairs(gramOf(dense), k);
  const svd = randomizedSvd(csr, transposeCsr(csr), k, {
    oversample: 4,
    powerIterations: 12,
    rng: new Rng(1),
  });
  assert.equal(svd.rank, k);
  for (let c = 0; c < k; c++) {
    assertClose(svd.singularValues[c], Math.sqrt(exact.values[c]), 1e-8, `sigma_${c}`);
  }
  // Projectors V Vᵀ agree (sign- and rotation-free comparison).
  const n = csr.nCols;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let ours = 0;
      let ref = 0;
      for (let c = 0; c < k; c++) {
        ours += svd.rightVectors[i * k + c] * svd.rightVectors[j * k + c];
        ref += exact.vectors[c][i] * exact.vectors[c][j];
      }
      assertClose(ours, ref, 1e-8, `(V Vᵀ)[${i}][${j}]`);
    }
  }
});

Deno.test("PureSVD: without power iterations the sketch is only approximate, with them exact", () => {
  // Guards against power iterations silently doing nothing: on a noisy matrix with a
  // slow spectrum, 0 iterations and no oversampling miss the exact values.
  const rng = new Rng(4);
  const nRows = 40;
  const nCols = 25;
  const dense = Array.from(
    { length: nRows },
    () => Array.from({ length: nCols }, () => (rng.float() < 0.3 ? 1 : 0)),
  );
  const indptr = new Int32Array(nRows + 1);
  const idx: number[] = [];
  dense.forEach((row, r) => {
    row.forEach((v, c) => v && idx.push(c));
    indptr[r + 1] = idx.length;
  });
  const csr = { indptr, indices: Int32Array.from(idx), nRows, nCols };
  const sigma = (q: number) =>
    randomizedSvd(csr, transposeCsr(csr), 4, { oversample: 0, powerIterations: q, rng: new Rng(2) })
      .singularValues[3];
  const ref = topEigenpairs(gramOf(dense), 4).values[3];
  assert.ok(Math.abs(sigma(0) - Math.sqrt(ref)) > 1e-3, "no power iteration: approximate");
  assertClose(sigma(60), Math.sqrt(ref), 1e-6, "sigma_4 after 60 power iterations");
});

function splitOf(dense: number[][]): Split {
  const pairs: number[][] = [];
  dense.forEach((row, u) => row.forEach((v, i) => v && pairs.push([u, i])));
  const nUsers = dense.length;
  const nItems = dense[0].length;
  return {
    name: "block matrix",
    train: interactions(pairs, nUsers, nItems),
    test: heldOut([[0, 0]]),
    nUsers,
    nItems,
  };
}

Deno.test("PureSVD: scores equal r_u V Vᵀ from the exact decomposition", async () => {
  const { dense } = blockMatrix();
  const k = 3;
  const model = new PureSVD({ factors: k, oversample: 4, powerIterations: 6 });
  const report = await model.fit(splitOf(dense), { seed: 7, progress: new SilentSink() });
  assert.equal(report.bestEpoch, null);
  const exact = topEigenpairs(gramOf(dense), k);
  const users = Int32Array.from(dense.keys());
  const all = model.scoreAll(users);
  const nItems = dense[0].length;
  for (const u of users) {
    for (let i = 0; i < nItems; i++) {
      let ref = 0;
      for (let c = 0; c < k; c++) {
        let ru = 0;
        for (let j = 0; j < nItems; j++) ru += dense[u][j] * exact.vectors[c][j];
        ref += ru * exact.vectors[c][i];
      }
      assertClose(all[u * nItems + i], ref, 1e-5, `score(${u}, ${i})`);
    }
  }
  const pairs = model.scorePairs(Int32Array.of(3, 29), Int32Array.of(5, 19));
  assert.equal(pairs[0], all[3 * nItems + 5]);
  assert.equal(pairs[1], all[29 * nItems + 19]);
});

Deno.test("PureSVD: same seed same scores; rank is capped by the matrix size", async () => {
  const split = syntheticSplit({
    nUsers: 40,
    nItems: 30,
    interactions: 400,
    seed: 3,
    minPerUser: 5,
    numNegatives: 10,
  });
  const fit = async (seed: number, factors = 5) => {
    const m = new PureSVD({ factors });
    const r = await m.fit(split, { seed, progress: new SilentSink() });
    return { m, r };
  };
  const a = await fit(1);
  const b = await fit(1);
  assert.deepEqual(a.m.scoreAll(Int32Array.of(0, 5)), b.m.scoreAll(Int32Array.of(0, 5)));
  const big = await fit(1, 500);
  assert.equal(big.r.info.factors, 30);
});

Deno.test("PureSVD: bad parameters and unfitted use give clear errors", async () => {
  await assertThrowsMatching(() => new PureSVD({ factors: 0 }), /PureSVD\.factors: expected/);
  await assertThrowsMatching(
    () => new PureSVD({ factor: 8 } as never),
    /PureSVD\.factor: unknown key \(did you mean "factors"\?\)/,
  );
  await assertThrowsMatching(() => new PureSVD().scoreAll(Int32Array.of(0)), /call fit\(\)/);
});
