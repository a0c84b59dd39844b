/**
 * `deno task readme`: refreshes the generated blocks of README.md from results files, so
 * the numbers shown there are never typed by hand:
 *
 * - `main-table`: `results/reproduce/tables/main.md` (written by `deno task reproduce`);
 * - `bench`: a summary of `results/bench/ncf.json` and `results/bench/doc2vec.json`
 *   (written by `deno task bench ncf` / `deno task bench doc2vec`).
 *
 * A block is the text between `<!-- BEGIN generated:NAME -->` and `<!-- END generated:NAME -->`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface SpeedSide {
  epochSecondsMedian: number;
  samplesPerSecond: number;
}
interface NcfBench {
  environment: { cpu: string | null; cores: number; deno: string };
  datasets: Record<string, {
    trainInteractions: number;
    speed: {
      ours: SpeedSide;
      torchThreads1: SpeedSide;
      torchThreads2: SpeedSide;
      torchFastest: string;
      epochTimeRatio: number;
      targetEpochTimeRatio: number;
    };
    accuracy?: {
      epochs: number;
      seeds: number;
      ours: { hr10Mean: number; ndcg10Mean: number };
      torch: { hr10Mean: number; ndcg10Mean: number };
      targetHr10Difference: number;
    };
  }>;
}
interface Doc2VecSide {
  wordsPerSecondMedian: number;
  hr10Mean: number;
  ndcg10Mean: number;
}
interface Doc2VecBench {
  repeats: number;
  results: Record<string, {
    ours: Doc2VecSide;
    gensim: Doc2VecSide;
    wordsPerSecondRatio: number;
  }>;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

/** The markdown summary of the two benchmark files. */
export function benchSummary(ncf: NcfBench, d2v: Doc2VecBench): string {
  const lines = [
    "| benchmark | ours | reference | ratio | target |",
    "|---|---:|---:|---:|---|",
  ];
  for (const [name, d] of Object.entries(ncf.datasets)) {
    const s = d.speed;
    const torch = s.torchFastest === "threads 2" ? s.torchThreads2 : s.torchThreads1;
    lines.push(
      `| NeuMF epoch, ${name} (batch 256) | ${s.ours.epochSecondsMedian.toFixed(2)} s ` +
        `(${fmtInt(s.ours.samplesPerSecond)} samples/s) | PyTorch ${s.torchFastest}: ` +
        `${torch.epochSecondsMedian.toFixed(2)} s (${
          fmtInt(torch.samplesPerSecond)
        } samples/s) | ` +
        `${s.epochTimeRatio.toFixed(2)}x time | <= ${s.targetEpochTimeRatio}x |`,
    );
    if (d.accuracy) {
      const a = d.accuracy;
      lines.push(
        `| NeuMF HR@10 / NDCG@10, ${name}, ${a.epochs} epochs, ${a.seeds} seeds | ` +
          `${a.ours.hr10Mean.toFixed(4)} / ${a.ours.ndcg10Mean.toFixed(4)} | ` +
          `${a.torch.hr10Mean.toFixed(4)} / ${a.torch.ndcg10Mean.toFixed(4)} | ` +
          `${
            (a.ours.hr10Mean - a.torch.hr10Mean).toFixed(4)
          } HR | within ${a.targetHr10Difference} |`,
      );
    }
  }
  for (const [mode, r] of Object.entries(d2v.results)) {
    lines.push(
      `| Doc2Vec ${mode}, ML-100K user documents, 2 workers | ` +
        `${fmtInt(r.ours.wordsPerSecondMedian)} words/s, HR@10 ${r.ours.hr10Mean.toFixed(4)} | ` +
        `gensim: ${fmtInt(r.gensim.wordsPerSecondMedian)} words/s, HR@10 ${
          r.gensim.hr10Mean.toFixed(4)
        } | ${r.wordsPerSecondRatio.toFixed(2)}x words/s | >= 1x, HR@10 within 0.02 |`,
    );
  }
  lines.push(
    "",
    `Measured side by side in one run on ${ncf.environment.cpu ?? "?"} ` +
      `(${ncf.environment.cores} cores), Deno ${ncf.environment.deno}; medians over ` +
      `repeated, alternated runs (Doc2Vec: ${d2v.repeats} rounds). Details and every raw run: ` +
      "`results/bench/ncf.json`, `results/bench/doc2vec.json`.",
  );
  return lines.join("\n");
}

/** Where the block `name` of `text` sits: its body runs from `start` to `end` (exclusive). */
function locateBlock(text: string, name: string): { start: number; end: number } {
  const begin = `<!-- BEGIN generated:${name} -->`;
  const endMarker = `<!-- END generated:${name} -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(endMarker);
  if (a < 0 || b < a) throw new Error(`README.md has no ${begin} ... ${endMarker} block`);
  return { start: a + begin.length, end: b };
}

/** The body of the block `name` of `text`; throws when its markers are missing. */
export function readBlock(text: string, name: string): string {
  const { start, end } = locateBlock(text, name);
  return text.slice(start, end);
}

/** Replaces the block `name` of `text`; throws when its markers are missing. */
export function replaceBlock(text: string, name: string, body: string): string {
  const { start, end } = locateBlock(text, name);
  return text.slice(0, start) + "\n" + body.trim() + "\n" + text.slice(end);
}

if (import.meta.main) {
  const readmePath = join(root, "README.md");
  let text = await Deno.readTextFile(readmePath);
  const mainTable = await Deno.readTextFile(join(root, "results/reproduce/tables/main.md"));
  text = replaceBlock(text, "main-table", mainTable);
  const ncf = JSON.parse(await Deno.readTextFile(join(root, "results/bench/ncf.json")));
  const d2v = JSON.parse(await Deno.readTextFile(join(root, "results/bench/doc2vec.json")));
  text = replaceBlock(text, "bench", benchSummary(ncf, d2v));
  await Deno.writeTextFile(readmePath, text);
  // The generated tables are plain markdown; `deno fmt` aligns them so that `deno task check`
  // stays clean after every refresh.
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", readmePath] }).output();
  if (!fmt.success) {
    throw new Error(`deno fmt README.md failed: ${new TextDecoder().decode(fmt.stderr)}`);
  }
  console.log("README.md: generated blocks refreshed");
}
