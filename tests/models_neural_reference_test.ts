// The tfjs reference executor against finite differences, and the fused executor against
// the tfjs reference (same logits, same gradients, same weights after Adam and SGD steps),
// for GMF, MLP, NeuMF and DSER (score and hidden fusion, frozen and fine-tuned vectors).
import { assert, assertAllClose, assertClose } from "./_assert.ts";
import {
  dserArchitecture,
  FusedNetwork,
  gmfArchitecture,
  initialParams,
  mlpArchitecture,
  type NcfArchitecture,
  type NcfNetwork,
  neumfArchitecture,
  type OptimizerSettings,
  TfjsNetwork,
} from "../lib/models/mod.ts";
import { selectBackend } from "../lib/train/mod.ts";
import { Rng } from "../lib/util/rng.ts";

const NU = 9;
const NI = 11;

function docs(seed: number) {
  const rng = new Rng(seed);
  const m = (rows: number) => Float32Array.from({ length: rows * 6 }, () => 0.5 * rng.normal());
  return { dim: 6, user: m(NU), itemDoc: m(NI), itemWord: m(NI), itemContent: m(NI) };
}

function architectures(): NcfArchitecture[] {
  const d = docs(1);
  return [
    gmfArchitecture(NU, NI, { factors: 4 }),
    mlpArchitecture(NU, NI, { layers: [8, 8, 4] }),
    neumfArchitecture(NU, NI, { factors: 4, layers: [10, 8, 4] }),
    dserArchitecture(NU, NI, {
      factors: 4,
      hidden: [8, 4],
      inputs: ["user", "itemDoc"],
      fusion: "score",
      documentVectors: "frozen",
    }, d),
    dserArchitecture(
      NU,
      NI,
      {
        factors: 4,
        hidden: [8, 5],
        inputs: ["user", "itemWord", "itemContent"],
        fusion: "hidden",
        documentVectors: "finetune",
      },
      d,
      "DSERNotebook",
    ),
  ];
}

/** Initial weights with embeddings large enough for varied ReLU patterns. */
function init(arch: NcfArchitecture, seed: number): Record<string, Float32Array> {
  const v = initialParams(arch, seed);
  for (const t of arch.tables) {
    if (!t.values) v[t.name] = v[t.name].map((x) => 30 * x);
  }
  return v;
}

function samples(seed: number, n: number) {
  const rng = new Rng(seed);
  return {
    users: Int32Array.from({ length: n }, () => rng.int(NU)),
    items: Int32Array.from({ length: n }, () => rng.int(NI)),
    labels: Float32Array.from({ length: n }, () => rng.int(2)),
  };
}

/** Whether row of flat index k of table `name` appears in the batch (L2 applies to those). */
function rowTouched(
  arch: NcfArchitecture,
  name: string,
  k: number,
  users: Int32Array,
  items: Int32Array,
): boolean {
  const t = arch.tables.find((x) => x.name === name)!;
  const row = Math.floor(k / t.dim);
  return (t.side === "user" ? users : items).includes(row);
}

const ADAM: OptimizerSettings = {
  kind: "adam",
  lr: 0.003,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  l2: 0,
  lazy: false,
};

Deno.test("tfjs reference gradients (custom embedding gradient included) match finite differences", async () => {
  await selectBackend("fused"); // its CPU kernels run the reference too
  for (const arch of architectures()) {
    const net = await TfjsNetwork.create(arch, init(arch, 2));
    try {
      net.setOptimizer({ ...ADAM, l2: 0.01 });
      const { users, items, labels } = samples(5, 17);
      const { grads } = await net.gradients(users, items, labels);
      const base = await net.getParams();
      const rng = new Rng(3);
      const at = async (name: string, k: number, delta: number) => {
        const v = base[name].slice();
        v[k] += delta;
        await net.setParams({ [name]: v });
        const l = (await net.gradients(users, items, labels)).loss;
        await net.setParams({ [name]: base[name] });
        return l;
      };
      for (const name of Object.keys(grads)) {
        let checked = 0;
        for (let t = 0; t < 8 && checked < 2; t++) {
          const k = rng.int(base[name].length);
          const h = 2e-3;
          const [lp, l0, lm] = [await at(name, k, h), await at(name, k, 0), await at(name, k, -h)];
          const fd = (lp - lm) / (2 * h);
          // A ReLU kink inside [-h, h] makes the one-sided slopes disagree: skip that point.
          if (Math.abs((lp - l0) - (l0 - lm)) / h > 5e-4 + 0.05 * Math.abs(fd)) continue;
          // The reported loss is the BCE part; add the L2 term's derivative l2 * w.
          const l2 = name.endsWith(".user") || name.endsWith(".item") || name.startsWith("doc.")
            ? 0.01 * base[name][k] * (rowTouched(arch, name, k, users, items) ? 1 : 0)
            : 0.01 * base[name][k];
          assertClose(
            grads[name][k],
            fd + l2,
            2e-4 + 0.02 * Math.abs(fd),
            `${arch.model} ${name}[${k}]`,
          );
          checked++;
        }
        assert.ok(checked > 0, `${arch.model} ${name}: no smooth point found`);
      }
    } finally {
      net.dispose();
    }
  }
});

Deno.test("fused executor agrees with the tfjs reference: logits, gradients, Adam and SGD steps", async () => {
  await selectBackend("fused");
  for (const arch of architectures()) {
    for (const opt of [ADAM, { ...ADAM, kind: "sgd" as const, lr: 0.05, l2: 0.01 }]) {
      const values = init(arch, 4);
      const nets: NcfNetwork[] = [
        await TfjsNetwork.create(arch, values),
        await FusedNetwork.create(arch, values, { threads: 2 }),
      ];
      try {
        const probe = samples(6, 40);
        const [za, zb] = await Promise.all(nets.map((n) => n.scorePairs(probe.users, probe.items)));
        assertAllClose(zb, za, 1e-5, `${arch.model} logits`);
        nets.forEach((n) => n.setOptimizer(opt));
        const [ga, gb] = await Promise.all(
          nets.map((n) => n.gradients(probe.users, probe.items, probe.labels)),
        );
        assertClose(gb.loss, ga.loss, 1e-6, `${arch.model} loss`);
        assert.deepStrictEqual(Object.keys(gb.grads).sort(), Object.keys(ga.grads).sort());
        for (const name of Object.keys(ga.grads)) {
          assertAllClose(gb.grads[name], ga.grads[name], 1e-6, `${arch.model} grad ${name}`);
        }
        // 30 steps of 8: most rows are skipped by most batches, so the fused dense-Adam
        // catch-up is exercised against tfjs's dense Adam.
        const train = samples(7, 240);
        for (const n of nets) await n.trainBatches(train.users, train.items, train.labels, 8);
        const [pa, pb] = await Promise.all(nets.map((n) => n.getParams()));
        for (const name of Object.keys(pa)) {
          assertAllClose(
            pb[name],
            pa[name],
            5e-5,
            `${arch.model} ${opt.kind} ${name} after 30 steps`,
          );
        }
      } finally {
        nets.forEach((n) => n.dispose());
      }
    }
  }
});
