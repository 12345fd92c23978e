/**
 * SVG plots: scatter, line (with bands), histogram (with exact densities),
 * image grids, and panel grids that lay several plots out side by side, and
 * PNG output. Scatter, line and histogram plots are drawn by Observable Plot
 * (`npm:@observablehq/plot`) into a DOM from `npm:linkedom`, without a
 * browser; image grids and the panel layout stay hand-written (their modules
 * say why). Every plot function takes typed arrays (or plain arrays) and
 * returns an SVG document as a string; none needs a permission. Axes use
 * "nice" tick values, text is escaped, and output is deterministic.
 * {@linkcode svgToPng} rasterises any of them with resvg (WebAssembly; it
 * reads its `.wasm` from Deno's npm cache, so it needs `--allow-read`).
 *
 * ```ts
 * import { histogramPlot, scatterPlot } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const svg = scatterPlot({ x: [1, 2, 3], y: [3, 1, 2] }, { title: "demo" });
 * assert.match(svg, /^<svg /);
 * assert.match(histogramPlot({ counts: [1, 2], edges: [0, 1, 2] }), /class="bar"/);
 * assert.match(svg, /class="series"/); // Observable Plot's dot mark
 * ```
 *
 * @module
 */

export * from "./nice_ticks.ts";
export * from "./plot_options.ts";
export * from "./scatter_plot.ts";
export * from "./line_plot.ts";
export * from "./histogram_plot.ts";
export * from "./image_grid.ts";
export * from "./panel_grid.ts";
export * from "./png.ts";
