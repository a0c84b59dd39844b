/**
 * Executes every `notebooks/*.ipynb` headless on the Deno kernel in small mode
 * (`DSER_NOTEBOOK_MODE=small`), fails on any cell error (read from the executed notebook,
 * not trusted from the exit code), type-checks the notebook code, exports each notebook to
 * HTML, opens it in headless Chromium with the network blocked and checks that every chart
 * rendered. Screenshots and run times go to `results/notebooks/`.
 *
 * Installs Jupyter, the kernelspec and Chromium when missing and possible (see
 * cli/setup_notebooks.ts). `DSER_SKIP_NOTEBOOKS=1` skips these tests explicitly.
 */
import { basename, join } from "node:path";
import { assert } from "./_assert.ts";
import { ensureNotebookTools, type NotebookTools } from "../cli/setup_notebooks.ts";
import { listNotebooks, recordTimings, ROOT, runNotebook } from "../cli/run_notebooks.ts";

const skip = Deno.env.get("DSER_SKIP_NOTEBOOKS") === "1";
let tools: Promise<NotebookTools> | undefined;
const getTools = () => (tools ??= ensureNotebookTools({ install: true }));

for (const path of listNotebooks()) {
  const name = basename(path);
  Deno.test({
    name: `notebook ${name}: runs headless in small mode, no cell errors, every chart renders`,
    ignore: skip,
    fn: async () => {
      const run = await runNotebook(await getTools(), path, { mode: "small" });
      await recordTimings([run]);
      const late = run.execution.late;
      if (late.length > 0) {
        console.warn(
          `${name}: ${late.length} kernel message(s) arrived after their cell finished ` +
            `(kept in the export): ${late.map((l) => `cell ${l.cell} ${l.msg_type}`).join(", ")}`,
        );
      }
      console.log(
        `${name}: executed in ${run.execution.seconds.toFixed(1)} s, ` +
          `${run.figures.length} charts, screenshot ${run.screenshotPath}`,
      );
      assert(run.report.codeCells > 0, `${name} has no code cells`);
      assert(run.failures.length === 0, `${name}:\n- ${run.failures.join("\n- ")}`);
    },
  });
}

/** A notebook with planted faults: each must be reported, or the checks above prove nothing. */
function plantedNotebook(): string {
  const cells = [
    [
      `import { figureBundle } from "../../../lib/report/mod.ts";`,
      `// A figure sent without plotly.js on the page: it must count as not rendered.`,
      `await Deno.jupyter.display(figureBundle({ kind: "bar", categories: ["a"], series: [{ name: "s", values: [1] }] }), { raw: true });`,
    ],
    [`const planted: number = "not a number"; // a type error the kernel does not see`],
    [`throw new Error("planted failure");`],
    [`console.log("never runs");`],
  ];
  return JSON.stringify({
    cells: cells.map((src, i) => ({
      cell_type: "code",
      execution_count: null,
      id: `planted${i}`,
      metadata: {},
      outputs: [],
      source: src.join("\n"),
    })),
    metadata: { kernelspec: { display_name: "Deno", language: "typescript", name: "deno" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

Deno.test({
  name:
    "notebook checks catch a cell error, an unexecuted cell, a type error and an unrendered chart",
  ignore: skip,
  fn: async () => {
    const dir = join(ROOT, "results", "tmp", "notebook-selftest");
    await Deno.mkdir(dir, { recursive: true });
    const path = join(dir, "planted_faults.ipynb");
    await Deno.writeTextFile(path, plantedNotebook());
    const run = await runNotebook(await getTools(), path, {
      mode: "small",
      outDir: join(dir, "out"),
      renderTimeoutMs: 1500,
    });
    const all = run.failures.join("\n");
    assert(/planted failure/.test(all), `cell error not reported:\n${all}`);
    assert(
      /cell 3 \(console\.log\("never runs"\);\) was not executed/.test(all),
      `unexecuted cell not reported:\n${all}`,
    );
    assert(/type errors[\s\S]*TS2322/.test(all), `type error not reported:\n${all}`);
    assert(/did not render: state=none/.test(all), `unrendered chart not reported:\n${all}`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  },
});
