/**
 * Hand-written SVG plots: scatter, line (with bands), histogram (with exact
 * densities), image grids, and panel grids that lay several plots out side by
 * side. Every function takes typed arrays (or plain arrays) and returns an
 * SVG document as a string; none needs a permission. Axes use "nice" tick
 * values, text is escaped, and output is deterministic.
 *
 * ```ts
 * import { histogramPlot, scatterPlot } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const svg = scatterPlot({ x: [1, 2, 3], y: [3, 1, 2] }, { title: "demo" });
 * assert.match(svg, /^<svg /);
 * assert.match(histogramPlot({ counts: [1, 2], edges: [0, 1, 2] }), /class="bar"/);
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
