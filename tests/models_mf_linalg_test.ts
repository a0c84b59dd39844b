import { assert, assertAllClose, assertClose } from "./_assert.ts";
import {
  choleskyInPlace,
  choleskySolveInPlace,
  gramian,
  orthonormalizeColumns,
  symmetricEigen,
} from "../lib/models/mf/dense.ts";
import { csrTimesDense, transposeCsr } from "../lib/models/mf/sparse.ts";
import { Rng } from "../lib/util/rng.ts";

Deno.test("mf linalg: Cholesky solve of a hand-worked 3x3 system", () => {
  // A = L Lᵀ with L = [[2,0,0],[1,3,0],[-1,2,1]]; x = [1,-2,3] gives b = A x.
  const a = Float64Array.of(4, 2, -2, 2, 10, 5, -2, 5, 6);
  const x = [1, -2, 3];
  const b = new Float64Array(3);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) b[i] += a[i * 3 + j] * x[j];
  assert.ok(choleskyInPlace(a, 3));
  assertAllClose([a[0], a[3], a[4], a[6], a[7], a[8]], [2, 1, 3, -1, 2, 1], 1e-12, "L");
  choleskySolveInPlace(a, 3, b);
  assertAllClose(b, x, 1e-12, "x");
});

Deno.test("mf linalg: Cholesky reports a matrix that is not positive definite", () => {
  assert.equal(choleskyInPlace(Float64Array.of(1, 2, 2, 1), 2), false);
  assert.equal(choleskyInPlace(Float64Array.of(0, 0, 0, 1), 2), false);
});

Deno.test("mf linalg: symmetric eigendecomposition satisfies A W = W Λ, WᵀW = I", () => {
  const n = 7;
  const rng = new Rng(3);
  const b = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
  }
  const { values, vectors: w } = symmetricEigen(a, n);
  for (let c = 1; c < n; c++) assert.ok(values[c - 1] >= values[c], "descending");
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i];
  assertClose(values.reduce((s, v) => s + v, 0), trace, 1e-10, "sum of eigenvalues");
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j] * w[j * n + c];
      assertClose(av, values[c] * w[i * n + c], 1e-10, `(A w)[${i}] for eigenpair ${c}`);
    }
    for (let d = 0; d < n; d++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += w[i * n + c] * w[i * n + d];
      assertClose(dot, c === d ? 1 : 0, 1e-12, `w${c}·w${d}`);
    }
  }
});

Deno.test("mf linalg: orthonormalisation keeps the span and repairs dependent columns", () => {
  const rows = 9;
  const cols = 4;
  const rng = new Rng(5);
  const y = Float64Array.from({ length: rows * cols }, () => rng.normal());
  // Column 2 = column 0 + 2 column 1: dependent, must be replaced by a fresh direction.
  for (let r = 0; r < rows; r++) y[r * cols + 2] = y[r * cols] + 2 * y[r * cols + 1];
  const original = y.slice();
  orthonormalizeColumns(y, rows, cols, rng);
  const g = new Float64Array(cols * cols);
  gramian(y, rows, cols, g);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) assertClose(g[i * cols + j], i === j ? 1 : 0, 1e-12, "QᵀQ");
  }
  // Columns 0, 1 and 3 of the input lie in the span of Q: Q Qᵀ y_c = y_c.
  for (const c of [0, 1, 3]) {
    const coef = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) coef[j] += y[r * cols + j] * original[r * cols + c];
    }
    for (let r = 0; r < rows; r++) {
      let proj = 0;
      for (let j = 0; j < cols; j++) proj += y[r * cols + j] * coef[j];
      assertClose(proj, original[r * cols + c], 1e-10, `projection of column ${c}, row ${r}`);
    }
  }
});

Deno.test("mf sparse: CSR transpose and products match dense arithmetic", () => {
  // 3 x 4 binary matrix [[1,0,1,0],[0,0,0,0],[1,1,0,1]].
  const m = {
    indptr: Int32Array.of(0, 2, 2, 5),
    indices: Int32Array.of(0, 2, 0, 1, 3),
    nRows: 3,
    nCols: 4,
  };
  const t = transposeCsr(m);
  assert.deepEqual([...t.indptr], [0, 2, 3, 4, 5]);
  assert.deepEqual([...t.indices], [0, 2, 2, 0, 2]);
  const x = Float64Array.of(1, 10, 2, 20, 3, 30, 4, 40); // 4 x 2
  const out = csrTimesDense(m, x, 2, new Float64Array(6).fill(99));
  assert.deepEqual([...out], [4, 40, 0, 0, 7, 70]);
  const back = csrTimesDense(t, Float64Array.of(1, 2, 3), 1, new Float64Array(4));
  assert.deepEqual([...back], [4, 3, 1, 3]);
});
