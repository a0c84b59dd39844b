// EASE scores for a batch of users in wasm SIMD: out[r, :] = Σ_{i ∈ I_r} B[i, :], float32.
//
// The batch is given item by item (CSR: the batch rows that have item i are
// rowsOf[ptr[i] .. ptr[i+1])), so each row of B is read once per batch, and the columns
// are processed in blocks so the touched part of `out` stays in cache. For every (r, j)
// the items are added in ascending order with IEEE float32 adds, exactly as the
// TypeScript path and EASE.scorePairs do, so all three give identical scores.
//
// Memory (imported, shared): B (n x n float32, row-major) at `b`; ptr (n + 1 int32),
// rowsOf (int32) and out (nb x n float32) wherever the caller put them.

/** Fills out[0 .. nb*n) with the batch's scores. */
export function scoreBatch(
  b: usize,
  n: i32,
  ptr: usize,
  rowsOf: usize,
  out: usize,
  nb: i32,
  block: i32,
): void {
  memory.fill(out, 0, (<usize>nb * <usize>n) << 2);
  for (let j0: i32 = 0; j0 < n; j0 += block) {
    const len = min(n, j0 + block) - j0;
    const len4 = len & ~3;
    for (let i: i32 = 0; i < n; i++) {
      const q0 = load<i32>(ptr + (<usize>i << 2));
      const q1 = load<i32>(ptr + (<usize>(i + 1) << 2));
      if (q0 == q1) continue;
      const src = b + ((<usize>i * <usize>n + <usize>j0) << 2);
      for (let q = q0; q < q1; q++) {
        const r = load<i32>(rowsOf + (<usize>q << 2));
        const dst = out + ((<usize>r * <usize>n + <usize>j0) << 2);
        let j: i32 = 0;
        for (; j < len4; j += 4) {
          const o = <usize>j << 2;
          v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
        }
        for (; j < len; j++) {
          const o = <usize>j << 2;
          store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
        }
      }
    }
  }
}
