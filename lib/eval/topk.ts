/**
 * Top-K selection for recommendation lists (dashboards, examples, exported
 * recommendations). Evaluation does not need it: metrics come from exact positions of the
 * held-out items (see evaluate.ts), which is cheaper and exact under ties.
 *
 * @module
 */

/**
 * The `k` highest-scoring items of one score row, best first, by partial selection (a
 * binary min-heap of size k: O(n log k), no sort of the whole row, no allocation per item).
 * Equal scores are ordered by ascending item index, so the list is deterministic.
 * Items with `exclude[i] !== 0` (e.g. the user's training items) and NaN scores are skipped.
 *
 * @param scores score row, shape [n]
 * @param k list length; fewer items are returned when fewer are eligible
 * @param exclude optional mask, shape [n]; nonzero entries are never returned
 * @param out optional output buffer of length >= k (reused across users)
 * @returns item indices, best first (a view of `out` when given)
 *
 * @example
 * ```ts
 * topK(Float32Array.from([0.1, 0.9, 0.5]), 2); // Int32Array [1, 2]
 * ```
 */
export function topK(
  scores: ArrayLike<number>,
  k: number,
  exclude?: ArrayLike<number>,
  out?: Int32Array,
): Int32Array {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`topK: k must be an integer >= 0, got ${k}`);
  }
  const heap = out && out.length >= k ? out : new Int32Array(k);
  let size = 0;
  const n = scores.length;
  // "a worse than b": lower score, or equal score and larger index.
  const worse = (a: number, b: number) =>
    scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  for (let i = 0; i < n; i++) {
    if (exclude && exclude[i] !== 0) continue;
    const x = scores[i];
    if (x !== x) continue;
    if (size < k) {
      // Sift up.
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(i, heap[p])) break;
        heap[c] = heap[p];
        c = p;
      }
      heap[c] = i;
    } else if (k > 0 && worse(heap[0], i)) {
      // Replace the root (the worst kept item) and sift down.
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= size) break;
        const r = l + 1;
        const w = r < size && worse(heap[r], heap[l]) ? r : l;
        if (!worse(heap[w], i)) break;
        heap[c] = heap[w];
        c = w;
      }
      heap[c] = i;
    }
  }
  // Pop the heap from the worst: fills the list from the back, best ends first.
  for (let end = size - 1; end > 0; end--) {
    const last = heap[end];
    heap[end] = heap[0];
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= end) break;
      const r = l + 1;
      const w = r < end && worse(heap[r], heap[l]) ? r : l;
      if (!worse(heap[w], last)) break;
      heap[c] = heap[w];
      c = w;
    }
    heap[c] = last;
  }
  return heap.subarray(0, size);
}
