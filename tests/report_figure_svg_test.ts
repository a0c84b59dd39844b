import { assert, assertClose, assertEquals, assertThrowsMatching } from "./_assert.ts";
import {
  type FigureSpec,
  formatTick,
  histogramBins,
  type HistogramFigure,
  renderSvg,
  VIRIDIS,
  viridis,
} from "../lib/report/mod.ts";

// ---------------------------------------------------------------------------------------
// A small strict XML well-formedness checker, independent of the renderer: balanced tags,
// quoted unique attributes, only the five predefined entities or character references,
// one root element, no stray text outside it.

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  text: string;
}

const ENTITY = /&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;

function checkEntities(s: string, where: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "<") throw new Error(`raw '<' in ${where}`);
    if (s[i] === "&") {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(s);
      if (!m) throw new Error(`bad entity in ${where}: ${s.slice(i, i + 12)}`);
      const e = m[1];
      out += e === "amp"
        ? "&"
        : e === "lt"
        ? "<"
        : e === "gt"
        ? ">"
        : e === "quot"
        ? '"'
        : e === "apos"
        ? "'"
        : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
      i += m[0].length - 1;
    } else out += s[i];
  }
  return out;
}

/** Parses `xml` strictly; returns every element with its attributes and direct text. */
function parseXml(xml: string): XmlElement[] {
  const elements: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    const decoded = checkEntities(text, `text at ${i}`);
    if (stack.length === 0) {
      if (decoded.trim() !== "") {
        throw new Error(`text outside the root element: ${decoded.trim()}`);
      }
    } else stack[stack.length - 1].text += decoded;
    if (lt < 0) break;
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt);
      if (end < 0) throw new Error("unterminated comment");
      i = end + 3;
      continue;
    }
    // Find the end of the tag, outside quoted attribute values.
    let j = lt + 1, quote = "";
    while (j < xml.length && (quote || xml[j] !== ">")) {
      if (quote) {
        if (xml[j] === quote) quote = "";
      } else if (xml[j] === '"' || xml[j] === "'") quote = xml[j];
      j++;
    }
    if (j >= xml.length) throw new Error(`unterminated tag at ${lt}`);
    const body = xml.slice(lt + 1, j);
    i = j + 1;
    if (body.startsWith("/")) {
      const name = body.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = body.endsWith("/");
    const inner = selfClosing ? body.slice(0, -1) : body;
    const nameMatch = /^[A-Za-z_][\w.:-]*/.exec(inner);
    if (!nameMatch) throw new Error(`bad tag name: <${body.slice(0, 20)}`);
    const el: XmlElement = { name: nameMatch[0], attrs: {}, text: "" };
    const attrRe = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
    let k = nameMatch[0].length;
    while (k < inner.length) {
      if (/^\s*$/.test(inner.slice(k))) break;
      attrRe.lastIndex = k;
      const m = attrRe.exec(inner);
      if (!m) throw new Error(`bad attribute in <${el.name}>: ${inner.slice(k, k + 30)}`);
      if (m[1] in el.attrs) throw new Error(`duplicate attribute ${m[1]} in <${el.name}>`);
      el.attrs[m[1]] = checkEntities(m[3] ?? m[4], `attribute ${m[1]}`);
      k = attrRe.lastIndex;
    }
    if (stack.length === 0) roots++;
    elements.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return elements;
}

function marks(elements: XmlElement[], cls: string): XmlElement[] {
  return elements.filter((e) => (e.attrs.class ?? "").split(" ").includes(cls));
}

Deno.test("XML checker rejects what it must (so the SVG checks below can fail)", () => {
  for (
    const bad of ["<a><b></a></b>", "<a x=1/>", "<a>&foo;</a>", "<a/><b/>", "<a x='1' x='2'/>"]
  ) {
    let threw = false;
    try {
      parseXml(bad);
    } catch {
      threw = true;
    }
    assert(threw, `accepted ${bad}`);
  }
  assertEquals(parseXml(`<a t="&lt;&amp;">x &gt; y</a>`)[0], {
    name: "a",
    attrs: { t: "<&" },
    text: "x > y",
  });
});

// ---------------------------------------------------------------------------------------

const epochs = [1, 2, 3, 4, 5];

Deno.test("line chart: one path per series, a marker per finite point, NaN breaks the line", () => {
  const spec: FigureSpec = {
    kind: "line",
    title: "HR@10",
    xLabel: "epoch",
    yLabel: "HR@10",
    series: [
      {
        name: "GMF",
        x: epochs,
        y: [0.1, 0.2, NaN, 0.4, 0.5],
        error: [0.01, 0.01, 0.01, 0.01, 0.01],
      },
      {
        name: "MLP",
        x: Float64Array.from(epochs),
        y: Float32Array.from([0.2, 0.3, 0.35, 0.4, 0.42]),
      },
    ],
  };
  const el = parseXml(renderSvg(spec));
  assertEquals(el[0].name, "svg");
  assertEquals(el[0].attrs.xmlns, "http://www.w3.org/2000/svg");
  const lines = marks(el, "line");
  assertEquals(lines.length, 2);
  // The NaN splits GMF into two pieces: two move-to commands.
  assertEquals((lines[0].attrs.d.match(/M/g) ?? []).length, 2);
  assertEquals((lines[1].attrs.d.match(/M/g) ?? []).length, 1);
  assertEquals(marks(el, "marker").length, 4 + 5);
  assertEquals(marks(el, "errorbar").length, 4);
  assertEquals(marks(el, "legend-item").length, 2);
  const legendTexts = el.filter((e) => e.name === "text" && ["GMF", "MLP"].includes(e.text));
  assertEquals(legendTexts.length, 2);
});

Deno.test("line chart: y pixels are linear in the values (checked from the path itself)", () => {
  const y = [0.2, 0.4, 0.6, 0.8, 1.0];
  const el = parseXml(renderSvg({ kind: "line", series: [{ name: "a", x: epochs, y }] }));
  const pts = [...marks(el, "line")[0].attrs.d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
  assertEquals(pts.length, 5);
  // Equal steps in x and y give equal pixel steps; larger y is higher up (smaller pixel y).
  for (let k = 1; k < 5; k++) {
    assertClose(pts[k][0] - pts[k - 1][0], pts[1][0] - pts[0][0], 0.02, "x step");
    assertClose(pts[k][1] - pts[k - 1][1], pts[1][1] - pts[0][1], 0.02, "y step");
  }
  assert(pts[4][1] < pts[0][1]);
});

Deno.test("grouped bars: one rect per finite value, heights proportional to values from 0", () => {
  const spec: FigureSpec = {
    kind: "bar",
    categories: ["a", "b", "c"],
    series: [
      { name: "s1", values: [1, 2, 4], errors: [0.1, 0.2, 0.3] },
      { name: "s2", values: [3, NaN, 1] },
    ],
  };
  const el = parseXml(renderSvg(spec));
  const bars = marks(el, "bar");
  assertEquals(bars.length, 5);
  assertEquals(marks(el, "errorbar").length, 3);
  const h = bars.map((b) => Number(b.attrs.height));
  // s1 first (a, b, c), then s2 (a, c).
  assertClose(h[1] / h[0], 2, 0.01, "b/a");
  assertClose(h[2] / h[0], 4, 0.02, "c/a");
  assertClose(h[3] / h[0], 3, 0.02, "s2 a / s1 a");
  // Bars of one category are side by side and do not overlap.
  const x = bars.map((b) => Number(b.attrs.x)), w = bars.map((b) => Number(b.attrs.width));
  assert(x[0] + w[0] <= x[3] + 0.01, "s1 and s2 bars of category a overlap");
});

Deno.test("heatmap: a cell per entry, viridis from min to max, NaN marked missing", () => {
  const spec: FigureSpec = {
    kind: "heatmap",
    x: ["8", "16", "32"],
    y: ["1e-3", "1e-2"],
    z: [[0.1, 0.2, 0.3], [0.4, NaN, 0.6]],
    colorLabel: "HR@10",
  };
  const el = parseXml(renderSvg(spec));
  const cells = marks(el, "cell");
  assertEquals(cells.length, 6);
  assertEquals(marks(el, "missing").length, 1);
  const fills = cells.map((c) => c.attrs.fill);
  assert(fills.includes(VIRIDIS[0]), "minimum is the first viridis colour");
  assert(fills.includes(VIRIDIS[VIRIDIS.length - 1]), "maximum is the last viridis colour");
  assertEquals(marks(el, "annotation").length, 5);
  assertEquals(viridis(0), VIRIDIS[0]);
  assertEquals(viridis(1), VIRIDIS[VIRIDIS.length - 1]);
});

Deno.test("scatter: one circle per finite point, grouped by series", () => {
  const spec: FigureSpec = {
    kind: "scatter",
    series: [
      { name: "Drama", x: [1, 2, 3], y: [1, 2, 3] },
      { name: "Comedy", x: [4, 5], y: [NaN, 1] },
    ],
  };
  const el = parseXml(renderSvg(spec));
  assertEquals(marks(el, "point").length, 4);
  assertEquals(marks(el, "legend-item").length, 2);
});

Deno.test("histogram bins: hand-worked counts, closed last bin, normalisation, log bins", () => {
  const spec: HistogramFigure = {
    kind: "histogram",
    bins: 5,
    series: [{ name: "v", values: [0, 1, 2, 3, 4, 5, NaN] }],
  };
  const b = histogramBins(spec);
  assertEquals(b.edges, [0, 1, 2, 3, 4, 5]);
  assertEquals(b.counts, [[1, 1, 1, 1, 2]]);
  const n = histogramBins({ ...spec, normalize: true });
  assertClose(n.counts[0].reduce((a, c) => a + c, 0), 1, 1e-12, "fractions sum");
  const explicit = histogramBins({ ...spec, bins: [0, 2.5, 10] });
  assertEquals(explicit.counts, [[3, 3]]);
  const log = histogramBins({
    kind: "histogram",
    bins: 3,
    xLog: true,
    series: [{ name: "v", values: [1, 10, 100, 1000, 0, -1] }],
  });
  assertEquals(log.edges.length, 4);
  for (let k = 0; k < 4; k++) assertClose(Math.log10(log.edges[k]), k, 1e-9, `log edge ${k}`);
  assertEquals(log.counts, [[1, 1, 2]]);
  const el = parseXml(renderSvg({ ...spec, title: "hist" }));
  assertEquals(marks(el, "bar").length, 5);
});

Deno.test("labels with markup characters are escaped and read back unchanged", () => {
  const title = `HR@10 <b>&amp; "quoted" 'x' a<b>c`;
  const spec: FigureSpec = {
    kind: "bar",
    title,
    xLabel: "model & <variant>",
    categories: ["<script>alert(1)</script>", "a&b"],
    series: [{ name: `s "1" <x>`, values: [1, 2] }, { name: "s2", values: [2, 1] }],
  };
  const svg = renderSvg(spec);
  assert(!svg.includes("<script"), "raw markup from a label reached the SVG");
  const el = parseXml(svg);
  const texts = el.filter((e) => e.name === "text").map((e) => e.text);
  assert(texts.includes(title), "title round trip");
  assert(texts.includes("model & <variant>"), "axis label round trip");
  assert(texts.includes(`s "1" <x>`), "legend round trip");
  assert(texts.includes("a&b"), "category round trip");
  assertEquals(el.find((e) => e.name === "title")?.text, title);
});

Deno.test("log axes: ticks are powers of ten and non-positive values are not drawn", () => {
  const el = parseXml(renderSvg({
    kind: "line",
    yLog: true,
    series: [{ name: "loss", x: [1, 2, 3, 4], y: [0.9, 0.1, 0.011, 0] }],
  }));
  const ticks = el.filter((e) => e.name === "text" && (e.attrs.class ?? "") === "tick").map((e) =>
    e.text
  );
  for (const t of ["0.01", "0.1", "1"]) {
    assert(ticks.includes(t), `missing log tick ${t} in ${ticks}`);
  }
  assertEquals(marks(el, "marker").length, 3);
});

Deno.test("tick labels: decimals follow the step, large values use k and M", () => {
  assertEquals(formatTick(0.25, 0.05), "0.25");
  assertEquals(formatTick(0.3, 0.1), "0.3");
  assertEquals(formatTick(1500, 500), "1500");
  assertEquals(formatTick(20000, 5000), "20k");
  assertEquals(formatTick(2500000, 500000), "2.5M");
  assertEquals(formatTick(0, 0.1), "0");
});

Deno.test("rendering is deterministic and invalid specs name the field", async () => {
  const spec: FigureSpec = { kind: "scatter", series: [{ name: "a", x: [1, 2], y: [3, 4] }] };
  assertEquals(renderSvg(spec), renderSvg(spec));
  await assertThrowsMatching(
    () => renderSvg({ kind: "line", title: "T", series: [{ name: "MLP", x: [1, 2], y: [1] }] }),
    /figure "T": series\[0\] \("MLP"\): x has 2 values, y has 1/,
  );
  await assertThrowsMatching(
    () => renderSvg({ kind: "bar", categories: ["a"], series: [{ name: "s", values: [1, 2] }] }),
    /values has 2 entries, categories has 1/,
  );
  await assertThrowsMatching(
    () => renderSvg({ kind: "heatmap", x: ["a"], y: ["b", "c"], z: [[1]] }),
    /z has 1 rows, y has 2/,
  );
  await assertThrowsMatching(
    () => renderSvg({ kind: "pie" } as unknown as FigureSpec),
    /unknown kind "pie"/,
  );
});

Deno.test("time axis: ticks on the first of months, labelled YYYY-MM", () => {
  const months = [0, 1, 2, 3, 4, 5, 6].map((m) => Date.UTC(1997, 8 + m, 1) / 1000);
  const el = parseXml(renderSvg({
    kind: "line",
    xTime: true,
    series: [{ name: "n", x: months, y: months.map((_, k) => k) }],
  }));
  const ticks = el.filter((e) => e.name === "text" && e.attrs.class === "tick").map((e) => e.text);
  for (const t of ["1997-09", "1997-12", "1998-03"]) {
    assert(ticks.includes(t), `no tick ${t} in ${ticks}`);
  }
});
