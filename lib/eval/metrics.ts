/**
 * Ranking metrics registered by name (RecBole style). Every metric is a function of one
 * ranked candidate list, described by the 0-based positions of its relevant items, so the
 * same definitions serve the sampled protocol (one relevant item among 1 + N candidates)
 * and full ranking (the user's held-out items among all unmasked items).
 *
 * Positions follow the workspace's one tie rule (pessimistic, see docs/evaluation.md): an
 * item whose score equals a relevant item's score is ranked above it, so position
 * `p = #{non-relevant candidates with score >= s}` (plus the relevant items ranked before).
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";

/**
 * One ranked candidate list as the metrics see it. `positions[0..numRelevant)` are the
 * 0-based positions of the relevant items in the list, ascending; the list holds
 * `numRelevant + numNonRelevant` candidates.
 */
export interface RankedList {
  /** Positions of the relevant items, ascending; only the first `numRelevant` are read. */
  positions: Float64Array;
  /** Relevant items in the list (>= 1). */
  numRelevant: number;
  /** Candidates that are not relevant (sampled: the negatives; full: unmasked items). */
  numNonRelevant: number;
}

/** A metric: its name, whether it takes a cut-off K, and its per-list value. */
export interface MetricDef {
  /** Registry name, e.g. "NDCG"; keys are `NDCG@10` for cut-off metrics, `AUC` otherwise. */
  name: string;
  /** True when the metric is computed on the top K positions (`name@K`). */
  cutoff: boolean;
  /** One line for docs and `--help`. */
  description: string;
  /** Value for one list; `k` is ignored by metrics without a cut-off. No allocation. */
  compute(list: RankedList, k: number): number;
}

/** Hits in the top K: relevant positions `< k`. Positions are ascending. */
function hitsAt(list: RankedList, k: number): number {
  let h = 0;
  while (h < list.numRelevant && list.positions[h] < k) h++;
  return h;
}

const LOG2 = Math.log(2);

/** Discount of 0-based position p: 1 / log2(p + 2). */
function discount(p: number): number {
  return LOG2 / Math.log(p + 2);
}

const BUILTIN: MetricDef[] = [
  {
    name: "HR",
    cutoff: true,
    description: "hit ratio: 1 when any relevant item is in the top K, else 0",
    compute: (l, k) => (l.numRelevant > 0 && l.positions[0] < k ? 1 : 0),
  },
  {
    name: "NDCG",
    cutoff: true,
    description: "sum of 1/log2(p+2) over relevant items in the top K, divided by the ideal " +
      "sum over the first min(|R|, K) positions",
    compute: (l, k) => {
      const h = hitsAt(l, k);
      if (h === 0) return 0;
      let dcg = 0;
      for (let j = 0; j < h; j++) dcg += discount(l.positions[j]);
      let idcg = 0;
      const ideal = Math.min(l.numRelevant, k);
      for (let j = 0; j < ideal; j++) idcg += discount(j);
      return dcg / idcg;
    },
  },
  {
    name: "MRR",
    cutoff: true,
    description: "1/(p+1) for the first relevant item when it is in the top K, else 0",
    compute: (l, k) => (l.numRelevant > 0 && l.positions[0] < k ? 1 / (l.positions[0] + 1) : 0),
  },
  {
    name: "Recall",
    cutoff: true,
    description: "relevant items in the top K divided by |R|",
    compute: (l, k) => hitsAt(l, k) / l.numRelevant,
  },
  {
    name: "Precision",
    cutoff: true,
    description: "relevant items in the top K divided by K",
    compute: (l, k) => hitsAt(l, k) / k,
  },
  {
    name: "MAP",
    cutoff: true,
    description: "average precision at K: sum over relevant items in the top K of " +
      "(hits so far)/(p+1), divided by min(|R|, K)",
    compute: (l, k) => {
      const h = hitsAt(l, k);
      let sum = 0;
      for (let j = 0; j < h; j++) sum += (j + 1) / (l.positions[j] + 1);
      return sum / Math.min(l.numRelevant, k);
    },
  },
  {
    name: "AUC",
    cutoff: false,
    description: "fraction of (relevant, non-relevant) pairs ordered correctly; a tie counts " +
      "as wrongly ordered (tie rule)",
    compute: (l) => {
      // Non-relevant items at or above relevant item j: positions[j] - j.
      let above = 0;
      for (let j = 0; j < l.numRelevant; j++) above += l.positions[j] - j;
      return 1 - above / (l.numRelevant * l.numNonRelevant);
    },
  },
];

const registry = new Map<string, MetricDef>(BUILTIN.map((m) => [m.name, m]));

/** Names of every registered metric, built-ins first. */
export function metricNames(): string[] {
  return [...registry.keys()];
}

/** The metric called `name`; a ConfigError lists the known names otherwise. */
export function getMetric(name: string): MetricDef {
  const m = registry.get(name);
  if (!m) {
    throw new ConfigError(`unknown metric "${name}"; known metrics: ${metricNames().join(", ")}`);
  }
  return m;
}

/**
 * Adds a metric to the registry (e.g. a project-specific one); its name must be new.
 * It is then accepted by name wherever metrics are listed.
 */
export function registerMetric(def: MetricDef): void {
  if (registry.has(def.name)) throw new ConfigError(`metric "${def.name}" is already registered`);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(def.name)) {
    throw new ConfigError(`metric name "${def.name}" must be letters, digits and _`);
  }
  registry.set(def.name, def);
}

/** A metric key resolved to its definition and cut-off (0 for metrics without one). */
export interface MetricKey {
  key: string;
  def: MetricDef;
  k: number;
}

/**
 * Expands metric names and cut-offs into keys: cut-off metrics once per K
 * (`HR@5`, `HR@10`), others once (`AUC`). Order: metrics as given, then K ascending.
 * Defaults: every registered metric; `ks` must be positive integers.
 */
export function metricKeys(
  metrics: readonly string[] | undefined,
  ks: readonly number[],
): MetricKey[] {
  if (ks.length === 0) throw new ConfigError("ks: at least one cut-off K is needed");
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) {
      throw new ConfigError(`ks: cut-off K must be a positive integer, got ${k}`);
    }
  }
  const sortedKs = [...new Set(ks)].sort((a, b) => a - b);
  const out: MetricKey[] = [];
  for (const name of metrics ?? metricNames()) {
    const def = getMetric(name);
    if (def.cutoff) { for (const k of sortedKs) out.push({ key: `${name}@${k}`, def, k }); }
    else out.push({ key: name, def, k: 0 });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.key)) throw new ConfigError(`metrics: "${m.key}" is listed twice`);
    seen.add(m.key);
  }
  return out;
}
