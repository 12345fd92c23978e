/**
 * The SVG figures render: each kind (scatter, line with band, histogram,
 * image grid, panel grid) is rasterised with resvg (WebAssembly, through
 * io/svg/png.ts) and the pixels are checked: not blank, the series' colours
 * present (exactly, where a mark is opaque), and marks counted where cheap
 * (bars crossed by one pixel row, image areas in pixels).
 *
 * Needs --allow-read (resvg's .wasm is read from Deno's npm cache). No fonts
 * are given except in the last test (skipped where DejaVu Sans is missing),
 * so text is left out of the other rasters and every coloured pixel is a mark.
 */
import assert from "node:assert/strict";
import {
  histogramPlot,
  imageGrid,
  linePlot,
  PALETTE,
  panelGrid,
  pngsFor,
  readFonts,
  scatterPlot,
  svgToPng,
  svgToRgba,
} from "../../io/svg/mod.ts";
import type { Rgba } from "../../io/svg/mod.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

const DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
let hasFont = false;
try {
  hasFont = Deno.statSync(DEJAVU).isFile;
} catch {
  // no system font here: the text test is skipped
}

type Rgb = readonly [number, number, number];

function rgb(hex: string): Rgb {
  const v = parseInt(hex.slice(1), 16);
  return [v >> 16, (v >> 8) & 255, v & 255];
}

/** The colour `c` at opacity `a` over white, as resvg blends it. */
function overWhite(c: Rgb, a: number): Rgb {
  return c.map((v) => Math.round(v * a + 255 * (1 - a))) as unknown as Rgb;
}

/** Pixels within `tol` of a colour (opaque pixels only). */
function countColor(img: Rgba, c: Rgb, tol = 0): number {
  const p = img.pixels;
  let n = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (
      Math.abs(p[i]! - c[0]) <= tol && Math.abs(p[i + 1]! - c[1]) <= tol &&
      Math.abs(p[i + 2]! - c[2]) <= tol
    ) n++;
  }
  return n;
}

/** Pixels that are not (near) white. */
function inked(img: Rgba): number {
  const p = img.pixels;
  let n = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (p[i]! < 245 || p[i + 1]! < 245 || p[i + 2]! < 245) n++;
  }
  return n;
}

/** Runs of pixels within `tol` of colour `c` along pixel row `y`. */
function runsInRow(img: Rgba, y: number, c: Rgb, tol: number): number {
  let runs = 0;
  let inside = false;
  for (let x = 0; x < img.width; x++) {
    const i = 4 * (y * img.width + x);
    const p = img.pixels;
    const hit = Math.abs(p[i]! - c[0]) <= tol && Math.abs(p[i + 1]! - c[1]) <= tol &&
      Math.abs(p[i + 2]! - c[2]) <= tol;
    if (hit && !inside) runs++;
    inside = hit;
  }
  return runs;
}

/** Three tight clusters of points. */
function clusters(): { x: number[]; y: number[] }[] {
  return [0, 1, 2].map((k) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 30; i++) {
      x.push(3 * k + 0.3 * Math.cos(i));
      y.push(k + 0.3 * Math.sin(2 * i));
    }
    return { x, y };
  });
}

Deno.test("scatterPlot() rasterises with each series' colour and no other", async () => {
  const svg = scatterPlot(
    clusters().map((c, k) => ({ ...c, opacity: 1, radius: 4, label: `cluster ${k}` })),
    { legend: false },
  );
  const img = await svgToRgba(svg);
  assert.deepEqual([img.width, img.height], [480, 360]);
  for (let k = 0; k < 3; k++) {
    // 30 opaque discs of radius 4 (about 50 px each, overlapping): well over 200 exact pixels
    assert.ok(countColor(img, rgb(PALETTE[k]!)) > 200, `colour ${k}`);
  }
  for (let k = 3; k < PALETTE.length; k++) assert.equal(countColor(img, rgb(PALETTE[k]!)), 0);
});

Deno.test("linePlot() rasterises the line and its shaded band", async () => {
  const x = Array.from({ length: 41 }, (_, i) => i / 40);
  const y = x.map((t) => Math.exp(-t));
  const svg = linePlot({
    x,
    y,
    color: "#e15759",
    width: 3,
    band: { lower: y.map((v) => v - 0.2), upper: y.map((v) => v + 0.2), opacity: 0.25 },
  });
  const img = await svgToRgba(svg);
  const line = countColor(img, rgb("#e15759"), 2);
  const band = countColor(img, overWhite(rgb("#e15759"), 0.25), 2);
  assert.ok(line > 400 * 2, `${line} line pixels`); // a 3 px line across a ~400 px plot area
  assert.ok(band > 20 * line, `${band} band pixels`); // a band 0.4 tall over most of the height
});

Deno.test("histogramPlot() rasterises one bar per non-empty bin", async () => {
  const svg = histogramPlot(
    { counts: [5, 0, 5, 0, 5], edges: [0, 1, 2, 3, 4, 5], color: "#59a14f" },
    { yDomain: [0, 5] },
  );
  const img = await svgToRgba(svg);
  const bar = overWhite(rgb("#59a14f"), 0.75);
  // The middle row of the picture crosses the three bars and the two gaps.
  assert.equal(runsInRow(img, Math.round(img.height / 2), bar, 3), 3);
  assert.ok(countColor(img, bar, 3) > 3 * 60 * 200);
});

Deno.test("imageGrid() rasterises every image at its size and grey level", async () => {
  // Four constant 2 × 2 images, 10 px per pixel: each covers 20 × 20 px.
  const levels = [0, 1 / 3, 2 / 3, 1];
  const data = Float64Array.from({ length: 16 }, (_, i) => levels[i >> 2]!);
  const svg = imageGrid({ data, shape: [4, 1, 2, 2] }, { cols: 4, pixelSize: 10, gap: 6 });
  const img = await svgToRgba(svg);
  for (const [g, v] of [[0, 0], [85, 1], [170, 2]] as const) {
    assert.equal(countColor(img, [g, g, g]), 400, `level ${v}`);
  }
  assert.ok(inked(img) >= 3 * 400);
});

Deno.test("panelGrid() rasterises Plot panels and an image panel side by side", async () => {
  const data = Float64Array.from({ length: 16 }, (_, i) => (i % 4) / 3);
  const svg = panelGrid([
    { kind: "scatter", series: { ...clusters()[0]!, opacity: 1, radius: 4 } },
    { kind: "histogram", histogram: { counts: [1, 3, 2], edges: [0, 1, 2, 3], color: "#f28e2b" } },
    { kind: "image", images: { data, shape: [1, 4, 4] }, options: { pixelSize: 20 } },
  ], { cols: 3 });
  const img = await svgToRgba(svg);
  const [w, h] = [img.width, img.height];
  assert.deepEqual([w, h], [10 + 3 * 370, 10 + 290]);
  // Each cell has its own marks: the scatter's colour left, the bars' middle, greys right.
  const inCell = (cell: number, c: Rgb, tol: number) => {
    let n = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 10 + 370 * cell; x < 10 + 370 * cell + 360; x++) {
        const i = 4 * (y * w + x);
        const p = img.pixels;
        if (
          Math.abs(p[i]! - c[0]) <= tol && Math.abs(p[i + 1]! - c[1]) <= tol &&
          Math.abs(p[i + 2]! - c[2]) <= tol
        ) n++;
      }
    }
    return n;
  };
  assert.ok(inCell(0, rgb(PALETTE[0]!), 0) > 200);
  assert.equal(inCell(1, rgb(PALETTE[0]!), 0), 0);
  assert.ok(inCell(1, overWhite(rgb("#f28e2b"), 0.75), 3) > 1000);
  assert.ok(inCell(2, [85, 85, 85], 0) > 1000);
});

Deno.test("svgToPng() writes a PNG of the asked width", async () => {
  const png = await svgToPng(scatterPlot({ x: [1, 2, 3], y: [3, 1, 2] }), { width: 240 });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  assert.deepEqual([view.getUint32(16), view.getUint32(20)], [240, 180]); // IHDR width, height
});

Deno.test("svgToPng() and svgToRgba() reject bad input before any work", async () => {
  await assert.rejects(
    () => svgToPng("<html></html>"),
    (e) => e instanceof SdenoTypeError && /svg must be an SVG document string/.test(e.message),
  );
  await assert.rejects(
    () => svgToRgba(scatterPlot({ x: [1], y: [1] }), { width: 0 }),
    (e) =>
      e instanceof SdenoRangeError &&
      /width must be an integer in \[1, 16384\], got "0"/.test(e.message),
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => svgToRgba(scatterPlot({ x: [1], y: [1] }), { fonts: ["DejaVuSans.ttf"] as any }),
    (e) => e instanceof SdenoTypeError && /fonts must be a list of Uint8Array/.test(e.message),
  );
});

Deno.test("pngsFor() makes a PNG beside each SVG output and nothing else", async () => {
  const svg = histogramPlot({ counts: [1, 2], edges: [0, 1, 2] });
  const pngs = await pngsFor([["h.svg", svg], ["h.npy", new Uint8Array(3)], ["t.svg", "x"]].filter(
    ([, data]) => data !== "x",
  ) as [string, string | Uint8Array][]);
  assert.deepEqual(pngs.map(([name]) => name), ["h.png"]);
  assert.deepEqual([...pngs[0]![1].subarray(1, 4)], [0x50, 0x4e, 0x47]);
  await assert.rejects(() => pngsFor([["bad.svg", "not an svg"]]), SdenoTypeError);
});

Deno.test("readFonts() takes the first font that exists, or none", async () => {
  assert.equal(await readFonts(["/no/such/a.ttf", "/no/such/b.ttf"]), undefined);
  if (hasFont) {
    const found = await readFonts(["/no/such/a.ttf", DEJAVU]);
    assert.equal(found?.path, DEJAVU);
    // DejaVu's bold face lies beside the regular one on Debian
    assert.equal(found?.fonts.length, 2);
  }
});

Deno.test({
  name: "svgToRgba() draws the text with the fonts given",
  ignore: !hasFont,
  fn: async () => {
    const svg = linePlot({ y: [1, 2] }, { title: "A title", xLabel: "time", yLabel: "value" });
    const fonts = [await Deno.readFile(DEJAVU)];
    const without = await svgToRgba(svg);
    const withText = await svgToRgba(svg, { fonts });
    // Title, axis labels and tick labels add ink; the title's rows hold none without a font.
    assert.ok(inked(withText) > inked(without) + 500, `${inked(withText)} vs ${inked(without)}`);
    const titleRows = (img: Rgba) =>
      inked({ ...img, height: 30, pixels: img.pixels.subarray(0, 30 * img.width * 4) });
    assert.equal(titleRows(without), 0);
    assert.ok(titleRows(withText) > 100);
  },
});
