/**
 * Work split and learning-rate schedule, as gensim 4.2 does it for a corpus iterable:
 *
 * - documents are cut, in corpus order, into jobs of at most `batchWords` raw words (a
 *   longer document is a job of its own);
 * - each job trains with one learning rate, fixed when the job is queued:
 *   `alpha - (alpha - minAlpha) * (epoch + docsBefore / nDocs) / epochs`, floored at
 *   `minAlpha`, where `docsBefore` counts the documents of the epoch's earlier jobs
 *   (gensim's examples-based progress, used because the corpus size is known);
 * - `inferVector` lowers its rate by `(alpha - minAlpha) / max(epochs - 1, 1)` after each
 *   of its epochs.
 *
 * @module
 */

/** How an epoch is cut into jobs. */
export interface JobPlan {
  /** Job `j` trains documents `starts[j] .. starts[j+1])`. Shape: [nJobs + 1]. */
  starts: Int32Array;
  /** Number of jobs per epoch. */
  nJobs: number;
}

/**
 * Cuts documents (raw lengths in words) into jobs of at most `batchWords` raw words.
 * @param lengths raw word count per document. Shape: [nDocs].
 */
export function planJobs(lengths: ArrayLike<number>, batchWords: number): JobPlan {
  const starts: number[] = [0];
  let size = 0;
  for (let d = 0; d < lengths.length; d++) {
    const len = lengths[d];
    if (size + len <= batchWords || d === starts[starts.length - 1]) {
      size += len;
    } else {
      starts.push(d);
      size = len;
    }
  }
  if (lengths.length > 0) starts.push(lengths.length);
  return { starts: Int32Array.from(starts), nJobs: starts.length - 1 };
}

/**
 * Learning rate of a job: linear in the fraction of all documents of all epochs queued
 * before it, from `alpha` down to `minAlpha`.
 * @param epoch 0-based epoch
 * @param docsBefore documents of this epoch in earlier jobs
 */
export function jobAlpha(
  alpha: number,
  minAlpha: number,
  epochs: number,
  epoch: number,
  docsBefore: number,
  nDocs: number,
): number {
  const progress = (epoch + docsBefore / nDocs) / epochs;
  return Math.max(minAlpha, alpha - (alpha - minAlpha) * progress);
}

/**
 * Learning rates of every job of every epoch. Shape: [epochs * nJobs], epoch-major.
 */
export function trainingAlphas(
  plan: JobPlan,
  alpha: number,
  minAlpha: number,
  epochs: number,
): Float64Array {
  const nDocs = plan.starts[plan.nJobs];
  const out = new Float64Array(epochs * plan.nJobs);
  for (let e = 0; e < epochs; e++) {
    for (let j = 0; j < plan.nJobs; j++) {
      out[e * plan.nJobs + j] = jobAlpha(alpha, minAlpha, epochs, e, plan.starts[j], nDocs);
    }
  }
  return out;
}

/** Learning rate of each `inferVector` epoch (gensim: a step of (alpha-minAlpha)/(epochs-1)). */
export function inferenceAlphas(alpha: number, minAlpha: number, epochs: number): Float64Array {
  const out = new Float64Array(epochs);
  const delta = (alpha - minAlpha) / Math.max(epochs - 1, 1);
  let a = alpha;
  for (let e = 0; e < epochs; e++) {
    out[e] = a;
    a -= delta;
  }
  return out;
}
