/**
 * `deno task table results/<experiment> [options]`: (re)generates the tables (and figures)
 * of an experiment from its results files only, e.g. with another baseline or test, or
 * for a sweep that is not finished yet (rows then show how many runs they hold).
 *
 * Options:
 *   --baseline LABEL     row label to test against ("none": no tests)
 *   --test t|wilcoxon    paired test over per-user values (default: the config's)
 *   --alpha A            significance level after Holm correction
 *   --columns a,b        metric columns, e.g. sampled:HR@10,full:HR@10
 *   --precision D        decimals shown
 *   --name NAME          file stem under tables/ (default: custom; without any of these
 *                        options the experiment's own tables and figures are regenerated)
 *   --format md|csv|tex  what to print on stdout (default md)
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { parseArgs } from "node:util";
import {
  renderCsv,
  renderLatex,
  renderMarkdown,
  writeExperimentReport,
  writeTables,
} from "../lib/report/mod.ts";

const USAGE = "usage: deno task table results/<experiment> [--baseline LABEL|none] " +
  "[--test t|wilcoxon] [--alpha A] [--columns a,b] [--precision D] [--name NAME] " +
  "[--format md|csv|tex]";

/** The command; returns the exit code. */
export async function tableMain(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        baseline: { type: "string" },
        test: { type: "string" },
        alpha: { type: "string" },
        columns: { type: "string" },
        precision: { type: "string" },
        name: { type: "string" },
        format: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (v.help || parsed.positionals.length !== 1) {
    console.error(USAGE);
    return v.help ? 0 : 2;
  }
  const folder = parsed.positionals[0].replace(/\/+$/, "");
  const root = dirname(folder);
  const experiment = basename(folder);
  if (v.test !== undefined && v.test !== "t" && v.test !== "wilcoxon") {
    console.error(`--test ${v.test}: expected t or wilcoxon`);
    return 2;
  }
  const numberOpt = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n)) throw new Error(`--${name} ${text}: expected a number`);
    return n;
  };
  try {
    const custom = v.baseline !== undefined || v.test !== undefined || v.alpha !== undefined ||
      v.columns !== undefined || v.precision !== undefined || v.name !== undefined;
    let table;
    if (!custom) {
      table = (await writeExperimentReport(root, experiment, { log: (s) => console.error(s) }))
        .table;
    } else {
      const out = await writeTables(root, experiment, {
        baseline: v.baseline === undefined ? undefined : v.baseline === "none" ? null : v.baseline,
        test: v.test as "t" | "wilcoxon" | undefined,
        alpha: numberOpt("alpha", v.alpha),
        precision: numberOpt("precision", v.precision),
        columns: v.columns?.split(",").map((s) => s.trim()),
        name: v.name ?? "custom",
      });
      console.error(`tables: ${out.markdown}, ${out.csv}, ${out.latex}`);
      table = out.table;
    }
    const format = v.format ?? "md";
    console.log(
      format === "csv"
        ? renderCsv(table)
        : format === "tex"
        ? renderLatex(table)
        : renderMarkdown(table),
    );
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await tableMain(Deno.args));
