import assert from "node:assert/strict";
import {
  histogramPlot,
  imageGrid,
  linePlot,
  niceTicks,
  panelGrid,
  scatterPlot,
} from "../../io/svg/mod.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkXml } from "./_xml.ts";

const count = (svg: string, pattern: RegExp) => svg.match(pattern)?.length ?? 0;

/**
 * The `<tag>` elements of the marks with this class, as attribute records:
 * Observable Plot puts a mark's `className` on the `<g>` that holds its shapes.
 */
function shapes(svg: string, className: string, tag: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const g of svg.matchAll(new RegExp(`<g [^>]*class="${className}"[^>]*>(.*?)</g>`, "gs"))) {
    for (const el of g[1]!.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "g"))) {
      out.push(
        Object.fromEntries([...el[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
      );
    }
  }
  return out;
}

function svgOk(svg: string): Map<string, number> {
  const { root, counts } = checkXml(svg);
  assert.equal(root, "svg");
  assert.match(
    svg,
    /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="[\d.]+" height="[\d.]+"/,
  );
  return counts;
}

/** Deterministic uniforms for test data. */
function uniforms(n: number, seed = 1): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

Deno.test("niceTicks() picks 1-2-5 steps that cover the data", () => {
  for (const [lo, hi] of [[0, 1], [-3.7, 12.2], [1e-6, 3e-6], [1234, 98765], [-1, -1e-3]]) {
    const t = niceTicks(lo!, hi!);
    assert.ok(t.min <= lo! && t.max >= hi!, `${lo}..${hi}`);
    const mantissa = t.step / Math.pow(10, Math.floor(Math.log10(t.step) + 1e-9));
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9), `step ${t.step}`);
    assert.ok(t.ticks.length >= 3 && t.ticks.length <= 12, `${t.ticks.length} ticks`);
    assert.equal(t.ticks[0], t.min);
    assert.equal(t.ticks.at(-1), t.max);
  }
  assert.deepEqual(niceTicks(0.1, 0.7).ticks, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]); // no 0.30000000000000004
  assert.deepEqual(niceTicks(5, 5).ticks.includes(5), true);
  assert.ok(!Object.is(niceTicks(-1, 1).ticks[2], -0));
});

Deno.test("niceTicks() rejects non-finite and reversed bounds", () => {
  assert.throws(() => niceTicks(NaN, 1), SdenoTypeError);
  assert.throws(() => niceTicks(0, Infinity), SdenoTypeError);
  assert.throws(() => niceTicks(2, 1), SdenoRangeError);
});

Deno.test("scatterPlot() is well-formed and draws one circle per point", () => {
  const u = uniforms(2 * 300);
  const svg = scatterPlot(
    [
      { x: u.subarray(0, 150), y: u.subarray(150, 300), label: "a" },
      { points: u.subarray(300), label: "b" }, // 150 two-dimensional points
    ],
    { title: "t", xLabel: "x", yLabel: "y" },
  );
  const counts = svgOk(svg);
  assert.equal(counts.get("circle"), 300 + 2); // plus the two legend markers
  assert.equal(count(svg, /<circle [^>]*r="3\.5"/g), 2);
  assert.equal(count(svg, /class="legend"/g), 1);
});

Deno.test("scatterPlot() picks coordinates from points with dim and axes", () => {
  const pts = new Float64Array([0, 10, 100, 1, 11, 101]); // two 3-d points
  const svg = scatterPlot({ points: pts, dim: 3, axes: [2, 1] });
  svgOk(svg);
  assert.equal(count(svg, /<circle /g), 2);
  assert.match(svg, />100(\.0+)?<\/text>/); // x axis spans the third coordinate
  assert.throws(() => scatterPlot({ points: pts, dim: 4 }), SdenoTypeError);
  assert.throws(() => scatterPlot({ points: pts, dim: 3, axes: [0, 3] }), SdenoTypeError);
});

Deno.test("scatterPlot() rejects mismatched lengths, empty data and non-finite values", () => {
  assert.throws(
    () => scatterPlot({ x: [1, 2, 3], y: [1, 2] }),
    (err) =>
      err instanceof SdenoTypeError &&
      err.message ===
        "Cannot draw scatterPlot: series[0].x and series[0].y must have the same length, got 3 and 2",
  );
  assert.throws(() => scatterPlot({ x: [], y: [] }), /series\[0\]\.x is empty/);
  assert.throws(() => scatterPlot([]), /series is empty/);
  assert.throws(
    () => scatterPlot({ x: [1, NaN], y: [1, 2] }),
    /series\[0\]\.x\[1\] must be a finite number, got "NaN"/,
  );
  assert.throws(() => scatterPlot({ x: [1], y: [1] }, { width: -5 }), SdenoRangeError);
  assert.throws(() => scatterPlot({ x: [1], y: [1] }, { width: 40, height: 40 }), /too small/);
});

Deno.test("scatterPlot() escapes text", () => {
  const svg = scatterPlot(
    { x: [1, 2], y: [2, 1], label: `<b>&"'` },
    { title: "A & B <C>", xLabel: "x < y", yLabel: "p(x) & q" },
  );
  svgOk(svg);
  assert.match(svg, /A &amp; B &lt;C&gt;/);
  assert.match(svg, /&lt;b&gt;&amp;&quot;&#39;/);
  assert.doesNotMatch(svg, /<b>/);
});

Deno.test("scatterPlot() handles a single point and constant data", () => {
  svgOk(scatterPlot({ x: [3], y: [3] }));
  svgOk(scatterPlot({ x: [0, 0, 0], y: [-2, -2, -2] }));
});

Deno.test("scatterPlot() output is deterministic", () => {
  const s = { x: [1, 2, 3], y: [3, 1, 2] };
  assert.equal(scatterPlot(s), scatterPlot(s));
  // different plots get different clip ids, so they can share a page
  const id = (svg: string) => /clipPath id="([^"]+)"/.exec(svg)![1];
  assert.notEqual(id(scatterPlot(s)), id(scatterPlot({ x: [1, 2, 3], y: [3, 1, 5] })));
});

Deno.test("linePlot() draws lines and bands", () => {
  const x = Float64Array.from({ length: 50 }, (_, i) => i / 49);
  const y = x.map((v) => Math.sin(6 * v));
  const svg = linePlot(
    [
      { x, y, label: "mean", band: { lower: y.map((v) => v - 0.3), upper: y.map((v) => v + 0.3) } },
      { x, y: y.map((v) => v / 2), label: "half", dash: true, markers: true },
      { y: [0, 0.5, 1] },
    ],
    { title: "lines", referenceLines: [{ y: 0, label: "zero" }, { x: 0.5 }] },
  );
  svgOk(svg);
  assert.equal(count(svg, /class="line"/g), 3);
  assert.equal(count(svg, /class="band"/g), 1);
  assert.equal(count(svg, /class="reference"/g), 2);
  assert.equal(count(svg, /<circle /g), 50);
  // the band path goes out along one bound and back along the other: 2 × 50 points
  const [band] = shapes(svg, "band", "path");
  assert.equal(band!.d!.split("L").length, 100);
  assert.equal(shapes(svg, "markers", "circle").length, 50);
  assert.match(
    svg,
    /stroke-dasharray="6 4"[^>]*class="line"|class="line"[^>]*stroke-dasharray="6 4"/,
  );
});

Deno.test("scatterPlot(), linePlot() and histogramPlot() are drawn by Observable Plot", () => {
  // Plot labels each mark's group with its type, and each axis by name.
  const svgs = {
    dot: scatterPlot({ x: [1, 2], y: [2, 1] }),
    line: linePlot({ y: [1, 2], band: { lower: [0, 1], upper: [2, 3] } }),
    area: linePlot({ y: [1, 2], band: { lower: [0, 1], upper: [2, 3] } }),
    rect: histogramPlot({ counts: [1, 2], edges: [0, 1, 2] }),
  };
  for (const [mark, svg] of Object.entries(svgs)) {
    svgOk(svg);
    assert.match(svg, new RegExp(`aria-label="${mark}"`), mark);
    assert.match(svg, /aria-label="x-axis tick label"/);
    assert.match(svg, /aria-label="y-axis tick label"/);
    assert.doesNotMatch(svg, /plot-clip-\d/); // Plot's per-process clip ids are renamed
  }
});

Deno.test("linePlot() supports log–log axes and rejects values ≤ 0 on them", () => {
  const svg = linePlot({ x: [0.1, 0.01, 0.001], y: [1e-2, 1e-3, 1e-4] }, {
    xScale: "log",
    yScale: "log",
  });
  svgOk(svg);
  assert.match(svg, />0\.001</);
  assert.throws(
    () => linePlot({ x: [0, 1], y: [1, 2] }, { xScale: "log" }),
    /values on a log x axis must be > 0, got "0"/,
  );
});

Deno.test("linePlot() rejects mismatched bands and x", () => {
  assert.throws(() => linePlot({ x: [1, 2], y: [1, 2, 3] }), SdenoTypeError);
  assert.throws(
    () => linePlot({ y: [1, 2], band: { lower: [0], upper: [2, 3] } }),
    /series\[0\]\.y and series\[0\]\.band\.lower must have the same length, got 2 and 1/,
  );
  assert.throws(() => linePlot({ y: [1, 2] }, { yDomain: [1, 1] }), SdenoRangeError);
});

Deno.test("histogramPlot() draws one bar per bin and the curve", () => {
  const counts = [1, 4, 9, 4, 1, 0];
  const edges = [-3, -2, -1, 0, 1, 2, 3];
  const svg = histogramPlot({ counts, edges, label: "h" }, {
    curve: [{ f: (x) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI), label: "pdf" }, {
      x: [-3, 3],
      y: [0.1, 0.1],
      dash: true,
    }],
  });
  svgOk(svg);
  assert.equal(shapes(svg, "bar", "rect").length, 6);
  assert.equal(count(svg, /class="curve"/g), 2);
  assert.match(svg, />density</); // y label follows the normalisation
});

Deno.test("histogramPlot() normalises to a density that integrates to 1", () => {
  const counts = [2, 6, 2];
  const edges = [0, 0.5, 1.5, 2];
  const svg = histogramPlot({ counts, edges }, { normalize: "density", height: 400 });
  svgOk(svg);
  // Bar pixel areas are proportional to count / total when heights are densities.
  const rects = shapes(svg, "bar", "rect").map((r) => Number(r.width) * Number(r.height));
  assert.equal(rects.length, 3);
  const total = rects.reduce((a, b) => a + b, 0);
  rects.forEach((a, i) => assert.ok(Math.abs(a / total - counts[i]! / 10) < 0.01));
});

Deno.test("histogramPlot() overlays several histograms", () => {
  const edges = [0, 1, 2, 3];
  const svg = histogramPlot([{ counts: [1, 2, 3], edges, label: "a" }, {
    counts: [3, 2, 1],
    edges,
    label: "b",
  }], { normalize: "probability" });
  svgOk(svg);
  assert.equal(shapes(svg, "bar", "rect").length, 6);
  assert.equal(count(svg, /class="bar"/g), 2);
});

Deno.test("histogramPlot() on a log axis stands bars on its bottom and leaves empty bins flat", () => {
  const svg = histogramPlot({ counts: [1000, 100, 0, 10, 1], edges: [0, 1, 2, 3, 4, 5] }, {
    yScale: "log",
  });
  svgOk(svg);
  const heights = shapes(svg, "bar", "rect").map((r) => Number(r.height ?? 0));
  assert.equal(heights.length, 5);
  // decades are equally tall: 1000 → 3 decades, 100 → 2, 10 → 1; 0 and 1 sit on the axis at 1
  const decade = heights[3]!;
  assert.ok(decade > 50);
  assert.ok(Math.abs(heights[0]! - 3 * decade) < 0.05 && Math.abs(heights[1]! - 2 * decade) < 0.05);
  assert.equal(heights[2], 0);
  assert.equal(heights[4], 0);
});

Deno.test("histogramPlot() rejects bad counts and edges", () => {
  assert.throws(
    () => histogramPlot({ counts: [1, 2], edges: [0, 1] }),
    /edges must have counts\.length \+ 1 = 3 entries, got 2/,
  );
  assert.throws(() => histogramPlot({ counts: [1, -2], edges: [0, 1, 2] }), SdenoRangeError);
  assert.throws(() => histogramPlot({ counts: [1, 2], edges: [0, 2, 1] }), /edges must increase/);
  assert.throws(() => histogramPlot({ counts: [], edges: [0] }), /counts is empty/);
  assert.throws(
    () => histogramPlot({ counts: [1], edges: [0, 1] }, { curve: { f: () => NaN } }),
    /curve\[0\]\.f\(x\)\[0\] must be a finite number/,
  );
});

Deno.test("imageGrid() lays out n images and covers every pixel once", () => {
  const n = 5;
  const data = uniforms(n * 3 * 4 * 6).map((v) => 2 * v - 1);
  const svg = imageGrid({ data, shape: [n, 3, 4, 6] }, {
    cols: 3,
    range: [-1, 1],
    captions: ["a", "b", "c", "d", "e"],
    title: "rgb",
  });
  const counts = svgOk(svg);
  assert.equal(count(svg, /class="image"/g), n);
  assert.equal(count(svg, /text-anchor="middle" font-size="11"/g), n);
  assert.ok((counts.get("path") ?? 0) > 0);
  // Each image's runs (M x y h w v1 h-w z) cover its 4 × 6 pixels exactly once.
  for (const g of svg.matchAll(/class="image"[^>]*>(.*?)<\/g>/g)) {
    let area = 0;
    for (const r of g[1]!.matchAll(/M\d+ \d+h(\d+)v1/g)) area += Number(r[1]);
    assert.equal(area, 24);
  }
});

Deno.test("imageGrid() accepts [n, h, w] and [h, w] and maps the range to black and white", () => {
  const svg = imageGrid({ data: [0, 1, 1, 0], shape: [2, 2] });
  svgOk(svg);
  assert.match(svg, /fill="#000000"/);
  assert.match(svg, /fill="#ffffff" d=/);
  svgOk(imageGrid({ data: new Float32Array(8), shape: [2, 2, 2] })); // constant images are fine
});

Deno.test("imageGrid() rejects a shape that does not match the data", () => {
  assert.throws(
    () => imageGrid({ data: new Float32Array(10), shape: [2, 1, 2, 2] }),
    /holds 8 values but data has 10/,
  );
  assert.throws(() => imageGrid({ data: new Float32Array(8), shape: [1, 2, 2, 2] }), /channels/);
  assert.throws(() => imageGrid({ data: new Float32Array(4), shape: [4] }), SdenoTypeError);
  assert.throws(
    () => imageGrid({ data: new Float32Array(4), shape: [2, 2] }, { range: [1, 0] }),
    SdenoRangeError,
  );
});

Deno.test("panelGrid() lays out specs and SVG strings with titles", () => {
  const svg = panelGrid([
    { title: "Euler", plot: { kind: "scatter", series: { x: [0, 1], y: [0, 1] } } },
    { title: "Heun & co", plot: scatterPlot({ x: [0, 1], y: [1, 0] }) },
    { kind: "histogram", histogram: { counts: [1, 2], edges: [0, 1, 2] } },
    { kind: "line", series: { y: [1, 2, 3] } },
    { kind: "image", images: { data: [0, 1, 1, 0], shape: [2, 2] } },
  ], { cols: 2, title: "all" });
  const counts = svgOk(svg);
  assert.equal(counts.get("svg"), 6);
  assert.equal(count(svg, /class="panel"/g), 5);
  assert.match(svg, />Heun &amp; co</);
  // 2 columns and 3 rows of 360 × 280 with 10 px gaps, and a 34 px title
  assert.match(svg, /width="750" height="914"/);
});

Deno.test("panelGrid() shares axes between panels of one kind", () => {
  const svg = panelGrid([
    { kind: "scatter", series: { x: [0, 1], y: [0, 1] } },
    { kind: "scatter", series: { x: [0, 10], y: [0, 5] } },
    { kind: "line", series: { y: [0, 0.5] } },
  ], { shareAxes: true });
  svgOk(svg);
  const panels = svg.split('class="panel"').slice(1);
  const labels = (p: string) =>
    [...p.matchAll(/<text [^>]*>([^<]+)<\/text>/g)].map((m) => m[1]).join(",");
  assert.equal(labels(panels[0]!), labels(panels[1]!));
  assert.notEqual(labels(panels[0]!), labels(panels[2]!));
});

Deno.test("panelGrid() rejects empty input and foreign panels", () => {
  assert.throws(() => panelGrid([]), SdenoTypeError);
  assert.throws(() => panelGrid(["<div>not svg</div>"]), /must be an <svg> with numeric width/);
  assert.throws(() => panelGrid([42 as unknown as string]), SdenoTypeError);
  assert.throws(() => panelGrid(["<svg/>"], { cols: 0 }), SdenoRangeError);
});
