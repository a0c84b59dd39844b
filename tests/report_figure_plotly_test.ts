import { assert, assertEquals } from "./_assert.ts";
import { type FigureSpec, histogramBins, PALETTE, toPlotly } from "../lib/report/mod.ts";

Deno.test("plotly line: a trace per series, plain arrays, NaN as null, error bars, log axis", () => {
  const fig = toPlotly({
    kind: "line",
    title: "Loss",
    xLabel: "epoch",
    yLabel: "loss",
    yLog: true,
    width: 500,
    series: [
      {
        name: "train",
        x: Int32Array.from([1, 2, 3]),
        y: Float32Array.from([0.5, NaN, 0.25]),
        error: [0.1, 0.1, 0.1],
      },
      { name: "valid", x: [1, 2, 3], y: [0.6, 0.4, 0.3], dash: true },
    ],
  });
  assertEquals(fig.data.length, 2);
  const t0 = fig.data[0] as Record<string, unknown>;
  assertEquals(t0.type, "scatter");
  assertEquals(t0.x, [1, 2, 3]);
  assertEquals(t0.y, [0.5, null, 0.25]);
  assert(Array.isArray(t0.x), "typed arrays must become plain arrays for JSON");
  assertEquals((t0.error_y as Record<string, unknown>).array, [0.1, 0.1, 0.1]);
  assertEquals(
    ((fig.data[1] as Record<string, unknown>).line as Record<string, unknown>).dash,
    "dash",
  );
  assertEquals((fig.layout.yaxis as Record<string, unknown>).type, "log");
  assertEquals(fig.layout.width, 500);
  assertEquals(fig.layout.height, 400);
  assertEquals(fig.layout.showlegend, true);
  assertEquals(fig.layout.colorway, [...PALETTE]);
  // The whole figure survives JSON (what the notebook output carries).
  assertEquals(JSON.parse(JSON.stringify(fig)).data[0].y, [0.5, null, 0.25]);
});

Deno.test("plotly bars: grouped, categorical axis, error bars per series", () => {
  const fig = toPlotly({
    kind: "bar",
    categories: ["1e-3", "1e-2"],
    series: [{ name: "a", values: [1, 2], errors: [0.1, 0.2] }, { name: "b", values: [3, 4] }],
  });
  assertEquals(fig.data.map((t) => t.type), ["bar", "bar"]);
  assertEquals(fig.layout.barmode, "group");
  // Category labels like "1e-3" must not be read as numbers.
  assertEquals((fig.layout.xaxis as Record<string, unknown>).type, "category");
  assertEquals(fig.data[0].x, ["1e-3", "1e-2"]);
  assert("error_y" in fig.data[0] && !("error_y" in fig.data[1]));
});

Deno.test("plotly heatmap: z rows follow y, annotations, missing cells null", () => {
  const fig = toPlotly({
    kind: "heatmap",
    x: [8, 16],
    y: ["lr=1e-3", "lr=1e-2"],
    z: [Float64Array.from([0.1, 0.2]), [NaN, 0.4]],
    digits: 2,
  });
  assertEquals(fig.data.length, 1);
  const t = fig.data[0] as Record<string, unknown>;
  assertEquals(t.type, "heatmap");
  assertEquals(t.z, [[0.1, 0.2], [null, 0.4]]);
  assertEquals(t.x, ["8", "16"]);
  assertEquals(t.text, [["0.10", "0.20"], ["", "0.40"]]);
  assertEquals(fig.layout.showlegend, false);
});

Deno.test("plotly scatter: hover labels, WebGL for large point sets", () => {
  const small = toPlotly({
    kind: "scatter",
    series: [{ name: "Drama", x: [1, 2], y: [3, 4], labels: ["Toy Story (1995)", "Heat"] }],
  });
  assertEquals(small.data[0].type, "scatter");
  assertEquals(small.data[0].mode, "markers");
  assertEquals(small.data[0].text, ["Toy Story (1995)", "Heat"]);
  const n = 3000;
  const big = toPlotly({
    kind: "scatter",
    series: [{ name: "all", x: new Float64Array(n), y: new Float64Array(n) }],
  });
  assertEquals(big.data[0].type, "scattergl");
});

Deno.test("plotly histogram: bars at bin centres with bin widths and the shared counts", () => {
  const spec: FigureSpec = {
    kind: "histogram",
    bins: 4,
    series: [{ name: "a", values: [0, 1, 1, 2, 3, 4] }, { name: "b", values: [4, 4, 0] }],
  };
  const fig = toPlotly(spec);
  const bins = histogramBins(spec);
  assertEquals(fig.data.length, 2);
  assertEquals(fig.data[0].x, [0.5, 1.5, 2.5, 3.5]);
  assertEquals(fig.data[0].width, [1, 1, 1, 1]);
  assertEquals(fig.data[0].y, bins.counts[0]);
  assertEquals(fig.data[1].y, [1, 0, 0, 2]);
  assertEquals(fig.layout.barmode, "overlay");
});

Deno.test("plotly text is escaped: labels cannot inject Plotly's pseudo-HTML", () => {
  const fig = toPlotly({
    kind: "bar",
    title: "a<b> & c",
    xLabel: "<i>x</i>",
    categories: ["<br>"],
    series: [{ name: "s<1>", values: [1] }],
  });
  assertEquals((fig.layout.title as Record<string, unknown>).text, "a&lt;b&gt; &amp; c");
  assertEquals(
    ((fig.layout.xaxis as Record<string, unknown>).title as Record<string, unknown>).text,
    "&lt;i&gt;x&lt;/i&gt;",
  );
  assertEquals(fig.data[0].name, "s&lt;1&gt;");
  assertEquals(fig.data[0].x, ["&lt;br&gt;"]);
});

Deno.test("plotly time axis: unix seconds become ISO dates on a date axis", () => {
  const fig = toPlotly({
    kind: "line",
    xTime: true,
    series: [{ name: "n", x: [Date.UTC(1998, 0, 1) / 1000, NaN], y: [1, 2] }],
  });
  assertEquals(fig.data[0].x, ["1998-01-01T00:00:00", null]);
  assertEquals((fig.layout.xaxis as Record<string, unknown>).type, "date");
});
