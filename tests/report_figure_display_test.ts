import { assert, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  byMode,
  figure,
  figureBundle,
  type FigureSpec,
  inJupyter,
  markdownToHtml,
  type MimeBundle,
  notebookMode,
  PLOTLY_MIME,
  plotlyLoaderHtml,
  renderSvg,
  resendPlotly,
  rowsToMarkdown,
  showFigure,
  showTable,
  tableBundle,
  toPlotly,
} from "../lib/report/mod.ts";
import { JupyterSink, Progress } from "../lib/util/mod.ts";

const spec: FigureSpec = {
  kind: "line",
  title: `HR@10 </script><script>alert(1)</script>`,
  series: [{ name: "a", x: [1, 2], y: [0.1, 0.2] }],
};

function b64decodeUtf8(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
}

Deno.test("figure bundle: HTML with the static SVG as an <img>, SVG, Plotly JSON and plain text", () => {
  const bundle = figureBundle(spec, { id: "fig-1" });
  assertEquals(
    Object.keys(bundle).sort(),
    ["image/svg+xml", PLOTLY_MIME, "text/html", "text/plain"].sort(),
  );
  assertEquals(bundle["image/svg+xml"], renderSvg(spec));
  assertEquals(bundle[PLOTLY_MIME], toPlotly(spec));
  const html = bundle["text/html"] as string;
  // The fallback is an <img> with a data URI (kept by Jupyter's sanitizer, unlike <svg>).
  const m =
    /<img class="dser-figure-static"[^>]* src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/.exec(
      html,
    );
  assert(m, "no static image");
  assertEquals(b64decodeUtf8(m[1]), renderSvg(spec));
  assert(html.includes(`id="fig-1"`));
  // A title holding "</script>" must not end the script early: exactly one closing tag.
  assertEquals(html.match(/<\/script>/g)?.length, 1);
  assert(!html.includes("dser-plotly-loader"), "plotly.js must not be in every output");
});

Deno.test("plotly.js is sent with the first figure of a session only, with AMD shadowed", async () => {
  resendPlotly();
  const display = Symbol.for("Jupyter.display");
  const first = await figure(spec)[display]() as MimeBundle;
  const second = await figure(spec)[display]() as MimeBundle;
  const h1 = first["text/html"] as string, h2 = second["text/html"] as string;
  assert(
    h1.includes("dser-plotly-loader") && h1.length > 3_000_000,
    "first figure lacks plotly.js",
  );
  assert(
    !h2.includes("dser-plotly-loader") && h2.length < 100_000,
    "second figure repeats plotly.js",
  );
  const loader = plotlyLoaderHtml("var x = '</script>';");
  assert(loader.includes("(function (define, module, exports)"), "require.js would capture Plotly");
  assert(loader.includes("if (!window.Plotly)"));
  assertEquals(loader.match(/<\/script>/gi)?.length, 1);
  resendPlotly();
});

Deno.test("notebook mode: DSER_NOTEBOOK_MODE selects small or full, anything else is an error", async () => {
  const old = Deno.env.get("DSER_NOTEBOOK_MODE");
  try {
    Deno.env.delete("DSER_NOTEBOOK_MODE");
    assertEquals(notebookMode(), "full");
    Deno.env.set("DSER_NOTEBOOK_MODE", "small");
    assertEquals(notebookMode(), "small");
    assertEquals(byMode({ small: 1, full: 2 }), 1);
    Deno.env.set("DSER_NOTEBOOK_MODE", "tiny");
    await assertThrowsMatching(
      () => notebookMode(),
      /DSER_NOTEBOOK_MODE="tiny": expected "small" or "full"/,
    );
  } finally {
    if (old === undefined) Deno.env.delete("DSER_NOTEBOOK_MODE");
    else Deno.env.set("DSER_NOTEBOOK_MODE", old);
  }
});

Deno.test("tables: rows to markdown and HTML with alignment, escaping and bold", () => {
  const md = rowsToMarkdown([{ model: "a|b", "HR@10": 0.61234567, n: 3 }, {
    model: "<c>",
    "HR@10": 0.5,
  }]);
  assertEquals(
    md,
    [
      "| model | HR@10 | n |",
      "| --- | ---: | ---: |",
      "| a\\|b | 0.6123 | 3 |",
      "| <c> | 0.5000 |  |",
    ].join("\n"),
  );
  const html = markdownToHtml("**Table 1**\n\n" + md.replace("0.6123", "**0.6123**"));
  assert(html.includes("<p><b>Table 1</b></p>"));
  assert(html.includes(`<td style="text-align:left">a|b</td>`), html);
  assert(html.includes(`<td style="text-align:right"><b>0.6123</b></td>`), html);
  assert(html.includes("&lt;c&gt;") && !html.includes("<c>"));
  assertEquals((html.match(/<tr>/g) ?? []).length, 3);
  const bundle = tableBundle(md, { caption: "Results" });
  assertEquals(bundle["text/markdown"], "**Results**\n\n" + md);
  assert((bundle["text/html"] as string).includes("<table"));
});

Deno.test("tables: backslash escapes render as the literal character, not as emphasis", () => {
  const html = markdownToHtml(
    "**DSER and the NCF comparison \\| sampled** with a\\_b and 2\\*3\\*4 and *it*",
  );
  assert(html.includes("<b>DSER and the NCF comparison | sampled</b>"), html);
  assert(html.includes("a_b") && !html.includes("\\_"), html);
  assert(html.includes("2*3*4") && !html.includes("<i>3</i>"), html);
  assert(html.includes("<i>it</i>"), html);
});

Deno.test("JupyterSink: one display, then updates of the same display id; failed sends are contained", async () => {
  const sent: { type: string; content: Record<string, unknown> }[] = [];
  const fake = {
    broadcast(type: string, content: Record<string, unknown>) {
      sent.push({ type, content });
      return Promise.reject(new Error("iopub closed"));
    },
  };
  const p = new Progress("epoch 1", { total: 4, unit: "batches", sink: new JupyterSink(fake) });
  p.tick(1);
  await new Promise((r) => setTimeout(r, 120));
  p.tick(1);
  p.finish({ loss: 0.5 });
  // Let the rejected promises settle: an unhandled rejection would fail this test.
  await new Promise((r) => setTimeout(r, 20));
  assert(sent.length >= 2, `expected >= 2 messages, got ${sent.length}`);
  assertEquals(sent[0].type, "display_data");
  for (const m of sent.slice(1)) assertEquals(m.type, "update_display_data");
  const ids = new Set(sent.map((m) => (m.content.transient as { display_id: string }).display_id));
  assertEquals(ids.size, 1);
  const last = sent[sent.length - 1].content.data as Record<string, string>;
  assert(
    last["text/plain"].includes("100%") && last["text/plain"].includes("loss=0.5000"),
    last["text/plain"],
  );
  assert(last["text/html"].includes(`<progress value="1"`));
});

Deno.test("outside Jupyter, show* print plain text instead of failing", async () => {
  assertEquals(inJupyter(), false);
  const logged: unknown[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => logged.push(a.join(" "));
  try {
    await showTable([{ model: "EASE", "HR@10": 0.7 }]);
    await showFigure(spec);
  } finally {
    console.log = log;
  }
  assertEquals(logged.length, 2);
  assert(String(logged[0]).includes("| EASE | 0.7000 |"), String(logged[0]));
  assert(String(logged[1]).startsWith("[figure: HR@10"), String(logged[1]));
});
