/**
 * The binary user-item matrix of a training set in compressed sparse row form, both
 * user-major (rows = users) and item-major (rows = items), plus the two sparse x dense
 * products the matrix-factorisation models need.
 *
 * @module
 */
import type { Split, UserItemIndex } from "../../data/types.ts";
import { DataError } from "../../util/errors.ts";
import { userItemIndex } from "./deps.ts";

/**
 * A binary sparse matrix in CSR form: row `r` has ones in columns
 * `indices[indptr[r] .. indptr[r+1])`, sorted ascending and distinct.
 */
export interface Csr {
  /** Row pointers. Shape: [nRows + 1]. */
  indptr: Int32Array;
  /** Column of each nonzero. Shape: [nnz]. */
  indices: Int32Array;
  nRows: number;
  nCols: number;
}

/** Views a {@link UserItemIndex} (users x items) as a {@link Csr}; no copy. */
export function csrOfIndex(index: UserItemIndex): Csr {
  return {
    indptr: index.indptr,
    indices: index.indices,
    nRows: index.nUsers,
    nCols: index.nItems,
  };
}

/** Number of nonzeros of `m`. */
export function nnz(m: Csr): number {
  return m.indptr[m.nRows];
}

/**
 * The transpose of a binary CSR matrix (counting sort; columns of the result come out
 * sorted because rows of the input are visited in order).
 */
export function transposeCsr(m: Csr): Csr {
  const { indptr, indices, nRows, nCols } = m;
  const n = indptr[nRows];
  const tIndptr = new Int32Array(nCols + 1);
  for (let p = 0; p < n; p++) tIndptr[indices[p] + 1]++;
  for (let c = 0; c < nCols; c++) tIndptr[c + 1] += tIndptr[c];
  const fill = tIndptr.slice(0, nCols);
  const tIndices = new Int32Array(n);
  for (let r = 0; r < nRows; r++) {
    for (let p = indptr[r], end = indptr[r + 1]; p < end; p++) tIndices[fill[indices[p]]++] = r;
  }
  return { indptr: tIndptr, indices: tIndices, nRows: nCols, nCols: nRows };
}

/** Row of each nonzero, in storage order (the COO row array of `m`). Shape: [nnz]. */
export function rowOfNonzero(m: Csr): Int32Array {
  const out = new Int32Array(nnz(m));
  for (let r = 0; r < m.nRows; r++) out.fill(r, m.indptr[r], m.indptr[r + 1]);
  return out;
}

/**
 * `out = M X` for binary `M` (nRows x nCols) and row-major dense `X` (nCols x width):
 * row `r` of `out` is the sum of the rows of `X` at the columns of row `r` of `M`.
 * Each output row is written once (gather), so `out` need not be zeroed.
 * @param out row-major, shape [nRows * width].
 */
export function csrTimesDense(
  m: Csr,
  x: Float64Array,
  width: number,
  out: Float64Array,
): Float64Array {
  const { indptr, indices, nRows } = m;
  for (let r = 0; r < nRows; r++) {
    const o = r * width;
    for (let f = 0; f < width; f++) out[o + f] = 0;
    for (let p = indptr[r], end = indptr[r + 1]; p < end; p++) {
      const xo = indices[p] * width;
      for (let f = 0; f < width; f++) out[o + f] += x[xo + f];
    }
  }
  return out;
}

/**
 * The binary training matrix of a split (users x items, duplicates collapsed) and its
 * transpose, after checking that the split's id spaces agree and that it is not empty.
 * @param model named in errors.
 */
export function trainingMatrix(split: Split, model: string): { r: Csr; rT: Csr } {
  const t = split.train;
  if (t.nUsers !== split.nUsers || t.nItems !== split.nItems) {
    throw new DataError(
      `${model}: split "${split.name}" has ${split.nUsers} users x ${split.nItems} items but ` +
        `its training set has ${t.nUsers} x ${t.nItems}`,
    );
  }
  if (t.users.length === 0) {
    throw new DataError(`${model}: split "${split.name}" has no training interactions`);
  }
  const r = csrOfIndex(userItemIndex(t));
  return { r, rT: transposeCsr(r) };
}
