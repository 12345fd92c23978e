/**
 * Scatter plots as SVG strings, drawn by Observable Plot (a `dot` mark per
 * series).
 *
 * @module
 */

import { SdenoTypeError } from "../../kernels/errors.ts";
import { color, column, extent, type LegendEntry, renderPlot, scatterXY } from "./_plot.ts";
import { Plot } from "./_observable_plot.ts";
import type { Numbers, PlotOptions } from "./plot_options.ts";

/** Style shared by both forms of a scatter series. */
export interface ScatterStyle {
  /** Legend text. */
  label?: string;
  /** Fill colour. Default: the next palette colour. */
  color?: string;
  /** Marker radius in px. Default: 3 for few points, down to 1.2 for many. */
  radius?: number;
  /** Marker opacity. Default: 0.9 for few points, down to 0.35 for many. */
  opacity?: number;
}

/** A scatter series from separate coordinate arrays. */
export interface ScatterXY extends ScatterStyle {
  /** x coordinates. */
  x: Numbers;
  /** y coordinates, same length as `x`. */
  y: Numbers;
}

/** A scatter series from a flat point-major batch (n points × `dim`), as sdeno samplers return. */
export interface ScatterPoints extends ScatterStyle {
  /** n·dim numbers, point i at `[i*dim, (i+1)*dim)`. */
  points: Numbers;
  /** Dimension of each point. Default 2. */
  dim?: number;
  /** Which two coordinates to plot. Default `[0, 1]`. */
  axes?: readonly [number, number];
}

/** One series of a scatter plot. */
export type ScatterSeries = ScatterXY | ScatterPoints;

/**
 * Draws a scatter plot of one or more series, each from `x`/`y` arrays or a
 * flat point-major batch (`points`, `dim`, `axes`). Markers shrink and fade
 * as the number of points grows, so dense clouds still show their shape.
 *
 * @param series one series or a list (coloured from {@linkcode PALETTE} in order)
 * @param options size, title, labels, domains, scales, legend
 * @returns an SVG document as a string
 * @throws {SdenoTypeError} for empty data, non-finite values or mismatched lengths
 *
 * @example Two clouds
 * ```ts
 * import { scatterPlot } from "./scatter_plot.ts";
 * import assert from "node:assert/strict";
 * const svg = scatterPlot([
 *   { x: [0, 1, 2], y: [1, 3, 2], label: "a" },
 *   { points: new Float64Array([0.5, 0.5, 1.5, 2.5]), label: "b" },
 * ], { title: "samples", xLabel: "x₁", yLabel: "x₂" });
 * assert.ok(svg.startsWith("<svg"));
 * assert.equal(svg.match(/<circle /g)!.length, 5 + 2); // 5 points + 2 legend markers
 * ```
 */
export function scatterPlot(
  series: ScatterSeries | readonly ScatterSeries[],
  options: PlotOptions = {},
): string {
  const what = "Cannot draw scatterPlot";
  const list: readonly ScatterSeries[] = Array.isArray(series) ? series : [series as ScatterSeries];
  if (list.length === 0) throw new SdenoTypeError(`${what}: series is empty`);
  const data = list.map((s, i) => scatterXY(what, s, i));
  const total = data.reduce((n, [x]) => n + x.length, 0);
  const radius = total <= 200 ? 3 : total <= 2000 ? 2 : total <= 20000 ? 1.5 : 1.2;
  const opacity = total <= 200 ? 0.9 : total <= 2000 ? 0.7 : total <= 20000 ? 0.5 : 0.35;
  const legend: LegendEntry[] = [];
  list.forEach((s, i) => {
    if (s.label !== undefined) {
      legend.push({ label: s.label, color: s.color ?? color(i), kind: "point" });
    }
  });
  return renderPlot(what, options, {
    xExtent: extent(data.map(([x]) => x)),
    yExtent: extent(data.map(([, y]) => y)),
    xPad: 0.03,
    yPad: 0.03,
    legend,
    occupied: () => data,
    marks: () =>
      data.map(([x, y], i) => {
        const s = list[i] as ScatterSeries;
        return Plot.dot({ length: x.length }, {
          x: column(x),
          y: column(y),
          r: s.radius ?? radius,
          fill: s.color ?? color(i),
          fillOpacity: s.opacity ?? opacity,
          className: "series",
          clip: true,
        });
      }),
  });
}
