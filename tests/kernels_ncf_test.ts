// The fused NCF kernels (lib/kernels): gradients against finite differences for every
// head kind, thread-count independence, dense-Adam catch-up against a float64 simulation of
// dense Adam, lazy Adam, the divergence guard, and bad input.
import { assert, assertClose, assertThrowsMatching } from "./_assert.ts";
import { FusedNcf, type FusedNetSpec } from "../lib/kernels/mod.ts";
import { Rng } from "../lib/util/rng.ts";

const N_USERS = 5;
const N_ITEMS = 6;

/** A small spec of the given head kind; DSER-like frozen/trainable feature tables. */
function spec(kind: "gmf" | "mlp" | "hidden" | "score", frozenFeatures = false): FusedNetSpec {
  const tables: FusedNetSpec["tables"] = [];
  const withGmf = kind !== "mlp";
  const withMlp = kind !== "gmf";
  if (withGmf) {
    tables.push({ name: "gu", side: "user", dim: 3, trainable: true });
    tables.push({ name: "gi", side: "item", dim: 3, trainable: true });
  }
  if (withMlp) {
    // Odd widths exercise the scalar tails of the SIMD loops.
    tables.push({ name: "mu", side: "user", dim: 5, trainable: !frozenFeatures });
    tables.push({ name: "mi", side: "item", dim: 6, trainable: true });
  }
  return {
    nUsers: N_USERS,
    nItems: N_ITEMS,
    tables,
    gmf: withGmf ? { user: "gu", item: "gi" } : null,
    mlp: withMlp
      ? {
        inputs: ["mu", "mi"],
        layers: [
          { kernel: "w0", bias: "b0", units: 8 },
          { kernel: "w1", bias: "b1", units: 5 },
        ],
      }
      : null,
    head: kind === "score"
      ? {
        kind: "score",
        gmfKernel: "gk",
        gmfBias: "gb",
        mlpKernel: "mk",
        mlpBias: "mb",
        fuseKernel: "fk",
        fuseBias: "fb",
      }
      : { kind, kernel: "hk", bias: "hb" },
  };
}

function randomParams(e: FusedNcf, seed: number, scale = 0.5): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const p of e.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    out[p.name] = Float32Array.from({ length: n }, () => scale * rng.normal());
  }
  return out;
}

function batch(seed: number, n: number) {
  const rng = new Rng(seed);
  return {
    users: Int32Array.from({ length: n }, () => rng.int(N_USERS)),
    items: Int32Array.from({ length: n }, () => rng.int(N_ITEMS)),
    labels: Float32Array.from({ length: n }, () => rng.int(2)),
  };
}

for (const kind of ["gmf", "mlp", "hidden", "score"] as const) {
  Deno.test(`fused kernel gradients match central finite differences (${kind} head)`, async () => {
    const e = await FusedNcf.create(spec(kind, kind === "score"), { threads: 2, chunk: 4 });
    try {
      const params = randomParams(e, 7);
      e.setParams(params);
      // Repeated users and items in one batch: row gradients must be summed.
      const { users, items, labels } = batch(3, 23);
      const { loss, grads } = e.gradients(users, items, labels);
      assert.ok(Number.isFinite(loss));
      const lossAt = (name: string, k: number, delta: number) => {
        const v = params[name].slice();
        v[k] += delta;
        e.setParams({ [name]: v });
        const l = e.gradients(users, items, labels).loss;
        e.setParams({ [name]: params[name] });
        return l;
      };
      const rng = new Rng(11);
      let checked = 0;
      for (const p of e.params) {
        if (!p.trainable) {
          assert.equal(grads[p.name], undefined, `${p.name} is frozen: no gradient`);
          continue;
        }
        const n = params[p.name].length;
        for (let t = 0; t < 4; t++) {
          const k = rng.int(n);
          const h = 1e-2;
          const fd = (lossAt(p.name, k, h) - lossAt(p.name, k, -h)) / (2 * h);
          // float32 losses: differences are good to ~1e-4; ReLU kinks may rarely sit inside
          // [-h, h], so allow a relative slack as well.
          assertClose(
            grads[p.name][k],
            fd,
            2e-4 + 0.02 * Math.abs(fd),
            `${kind} d/d ${p.name}[${k}]`,
          );
          checked++;
        }
      }
      assert.ok(checked >= 16);
    } finally {
      e.dispose();
    }
  });
}

Deno.test("fused training gives bit-identical weights with 1 and 2 threads", async () => {
  const results: Record<string, Float32Array>[] = [];
  for (const threads of [1, 2]) {
    const e = await FusedNcf.create(spec("hidden"), { threads, chunk: 4, adaptive: false });
    try {
      e.setParams(randomParams(e, 5, 0.3));
      const { users, items, labels } = batch(9, 200);
      const r = e.train(users, items, labels, 16);
      assert.equal(r.divergedBatch, -1);
      assert.equal(r.samples, 200);
      results.push(e.getParams());
    } finally {
      e.dispose();
    }
  }
  for (const name of Object.keys(results[0])) {
    assert.deepStrictEqual(
      results[0][name],
      results[1][name],
      `${name} differs between 1 and 2 threads`,
    );
  }
});

Deno.test("dense-Adam catch-up equals a float64 simulation of dense Adam on untouched rows", async () => {
  // GMF with a fixed item row and head: the user rows' gradient is known in closed form.
  const s: FusedNetSpec = {
    nUsers: 3,
    nItems: 1,
    tables: [
      { name: "u", side: "user", dim: 4, trainable: true },
      { name: "i", side: "item", dim: 4, trainable: false },
    ],
    gmf: { user: "u", item: "i" },
    mlp: null,
    head: { kind: "gmf", kernel: "hk", bias: "hb" },
  };
  const e = await FusedNcf.create(s, { threads: 2 });
  try {
    const u0 = Float32Array.from([0.1, -0.2, 0.3, 0.05, 0.2, 0.1, -0.1, 0.3, 0, 0, 0, 0]);
    const q = Float32Array.from([0.5, 0.4, -0.3, 0.2]);
    const hk = Float32Array.from([1, -1, 1, 1]);
    e.setParams({ u: u0, i: q, hk, hb: Float32Array.of(0) });
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    e.setOptimizer({ kind: "adam", lr, beta1: b1, beta2: b2, eps, l2: 0, lazy: false });
    e.resetOptimizerState();
    // Dense-head gradients would move hk too; freeze it by training with lr only on rows:
    // simulate the user rows exactly (the head moves in both, but only user rows are checked
    // against their own closed-form gradients (sigmoid(z) - 1) * hk * q with hk as it was).
    // Sequence: user 0 at step 1, user 1 at steps 2..6, user 0 again at step 7, then flush.
    const seq = [0, 1, 1, 1, 1, 1, 0];
    const sim = [Array.from(u0.slice(0, 4)), Array.from(u0.slice(4, 8))];
    const m = [[0, 0, 0, 0], [0, 0, 0, 0]];
    const v = [[0, 0, 0, 0], [0, 0, 0, 0]];
    const head = Array.from(hk);
    let bias = 0;
    const hm = [0, 0, 0, 0, 0];
    const hv = [0, 0, 0, 0, 0];
    for (let step = 1; step <= seq.length; step++) {
      const user = seq[step - 1];
      e.train(Int32Array.of(user), Int32Array.of(0), Float32Array.of(1), 1);
      // Simulate dense Adam in float64 on both user rows and the head.
      let z = bias;
      for (let d = 0; d < 4; d++) z += head[d] * sim[user][d] * q[d];
      const g = 1 / (1 + Math.exp(-z)) - 1;
      const gHead = [0, 1, 2, 3].map((d) => g * sim[user][d] * q[d]);
      for (const r of [0, 1]) {
        for (let d = 0; d < 4; d++) {
          const gr = r === user ? g * head[d] * q[d] : 0;
          m[r][d] = b1 * m[r][d] + (1 - b1) * gr;
          v[r][d] = b2 * v[r][d] + (1 - b2) * gr * gr;
          sim[r][d] -= (lr / (1 - b1 ** step)) * m[r][d] /
            (Math.sqrt(v[r][d]) / Math.sqrt(1 - b2 ** step) + eps);
        }
      }
      for (let d = 0; d <= 4; d++) {
        const gh = d < 4 ? gHead[d] : g;
        hm[d] = b1 * hm[d] + (1 - b1) * gh;
        hv[d] = b2 * hv[d] + (1 - b2) * gh * gh;
        const upd = (lr / (1 - b1 ** step)) * hm[d] /
          (Math.sqrt(hv[d]) / Math.sqrt(1 - b2 ** step) + eps);
        if (d < 4) head[d] -= upd;
        else bias -= upd;
      }
    }
    const got = e.getParams();
    for (const r of [0, 1]) {
      for (let d = 0; d < 4; d++) {
        assertClose(got.u[r * 4 + d], sim[r][d], 2e-6, `user ${r} dim ${d}`);
      }
    }
    // User 2 was never touched: dense Adam leaves it exactly where it was.
    assert.deepStrictEqual(Array.from(got.u.slice(8)), [0, 0, 0, 0]);
  } finally {
    e.dispose();
  }
});

Deno.test("lazy Adam leaves rows outside the batches untouched; dense Adam keeps moving them", async () => {
  const moved: boolean[] = [];
  for (const lazy of [true, false]) {
    const e = await FusedNcf.create(spec("gmf"), { threads: 1 });
    try {
      const p = randomParams(e, 2, 0.3);
      e.setParams(p);
      e.setOptimizer({ kind: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, l2: 0, lazy });
      e.resetOptimizerState();
      // User 4 appears in the first batch only; then 10 batches without it.
      const users = Int32Array.from([4, 1, ...new Array(20).fill(0).map((_, k) => k % 3)]);
      const items = Int32Array.from({ length: users.length }, (_, k) => k % N_ITEMS);
      const labels = Float32Array.from({ length: users.length }, (_, k) => k % 2);
      e.train(users.slice(0, 2), items.slice(0, 2), labels.slice(0, 2), 2);
      const after1 = e.getParams().gu.slice(12, 15);
      e.train(users.slice(2), items.slice(2), labels.slice(2), 2);
      const after = e.getParams().gu.slice(12, 15);
      moved.push(after.some((x, k) => x !== after1[k]));
    } finally {
      e.dispose();
    }
  }
  assert.deepStrictEqual(moved, [false, true]);
});

Deno.test("a diverging learning rate is reported with the failing batch, nothing applied", async () => {
  const e = await FusedNcf.create(spec("hidden"), { threads: 2 });
  try {
    e.setParams(randomParams(e, 1, 1));
    e.setOptimizer({
      kind: "sgd",
      lr: 1e30,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      l2: 0,
      lazy: false,
    });
    const { users, items, labels } = batch(4, 64);
    const r = e.train(users, items, labels, 8);
    assert.ok(r.divergedBatch >= 1, `diverged at ${r.divergedBatch}`);
    assert.equal(r.samples, r.divergedBatch * 8);
  } finally {
    e.dispose();
  }
});

Deno.test("bad specs and inputs give clear errors", async () => {
  const bad = spec("hidden");
  bad.mlp!.inputs = ["mu", "nope"];
  await assertThrowsMatching(() => FusedNcf.create(bad), /unknown table "nope"/);
  const mismatch = spec("gmf");
  mismatch.tables[1] = { ...mismatch.tables[1], dim: 4 };
  await assertThrowsMatching(
    () => FusedNcf.create(mismatch),
    /gmf tables differ in dim \(3 vs 4\)/,
  );
  const e = await FusedNcf.create(spec("gmf"), { threads: 1 });
  try {
    await assertThrowsMatching(
      () => e.train(Int32Array.of(0, 9), Int32Array.of(0, 0), Float32Array.of(1, 0), 2),
      /user index 9 at position 1 is outside \[0, 5\)/,
    );
    await assertThrowsMatching(
      () => e.setParams({ gu: new Float32Array(3) }),
      /gu has 3 values, expected 15/,
    );
  } finally {
    e.dispose();
  }
  await assertThrowsMatching(
    () => e.scorePairs(Int32Array.of(0), Int32Array.of(0)),
    /after dispose/,
  );
});
