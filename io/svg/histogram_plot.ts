/**
 * Histograms (bars from counts and edges, with overlaid curves) as SVG
 * strings, drawn by Observable Plot: a `rect` mark per histogram (we bin
 * ourselves: sdeno's histograms arrive as counts and edges, often merged from
 * shards, so Plot's `bin` transform has nothing to do), a `line` per curve.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkNumbers, color, column, extent, type LegendEntry, renderPlot } from "./_plot.ts";
import { Plot } from "./_observable_plot.ts";
import type { Numbers, PlotOptions } from "./plot_options.ts";

/** Binned data: `counts[i]` values fell in `[edges[i], edges[i+1])`. */
export interface HistogramData {
  /** Count per bin (non-negative). */
  counts: Numbers;
  /** Bin edges, strictly increasing, one more than `counts`. */
  edges: Numbers;
  /** Legend text. */
  label?: string;
  /** Bar colour. Default: the next palette colour. */
  color?: string;
}

/** A curve drawn over the bars: sampled points, or a function sampled over the edges' range. */
export type HistogramCurve =
  & { label?: string; color?: string; dash?: boolean }
  & ({ x: Numbers; y: Numbers } | { f: (x: number) => number; samples?: number });

/** Options for {@linkcode histogramPlot}. */
export interface HistogramPlotOptions extends PlotOptions {
  /**
   * Bar heights: raw `"count"`, `"probability"` (count / total), or
   * `"density"` (count / (total · width), comparable with a pdf). Default
   * `"density"` when a curve is given, else `"count"`.
   */
  normalize?: "count" | "probability" | "density";
  /** Curves over the bars, e.g. the exact density. Drawn as given (not normalised). */
  curve?: HistogramCurve | readonly HistogramCurve[];
}

/**
 * Draws a histogram from counts and bin edges (as `stats` histograms give
 * them), optionally several overlaid (translucent) and with curves on top,
 * such as the exact density of the distribution sampled.
 *
 * @param histogram one histogram or a list
 * @param options normalisation, curves, and the common plot options
 * @returns an SVG document as a string
 * @throws {SdenoTypeError} for empty data, non-finite values, or edges whose
 *   length is not `counts.length + 1`
 * @throws {SdenoRangeError} for negative counts or edges that do not increase
 *
 * @example Counts against an exact density
 * ```ts
 * import { histogramPlot } from "./histogram_plot.ts";
 * import assert from "node:assert/strict";
 * const svg = histogramPlot(
 *   { counts: [2, 7, 12, 7, 2], edges: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], label: "samples" },
 *   { curve: { f: (x) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI), label: "N(0, 1)" } },
 * );
 * // Plot's rect mark: one group with the class, one <rect> per bin
 * const bars = /class="bar"[^>]*>(.*?)<\/g>/s.exec(svg)![1]!;
 * assert.equal(bars.match(/<rect /g)!.length, 5);
 * assert.equal(svg.match(/class="curve"/g)!.length, 1);
 * ```
 */
export function histogramPlot(
  histogram: HistogramData | readonly HistogramData[],
  options: HistogramPlotOptions = {},
): string {
  const what = "Cannot draw histogramPlot";
  const list: readonly HistogramData[] = Array.isArray(histogram)
    ? histogram
    : [histogram as HistogramData];
  if (list.length === 0) throw new SdenoTypeError(`${what}: histogram is empty`);
  const curves: readonly HistogramCurve[] = options.curve === undefined
    ? []
    : Array.isArray(options.curve)
    ? options.curve
    : [options.curve as HistogramCurve];
  const normalize = options.normalize ?? (curves.length > 0 ? "density" : "count");
  if (!["count", "probability", "density"].includes(normalize)) {
    throw new SdenoRangeError(
      `${what}: normalize must be "count", "probability" or "density", got ${quote(normalize)}`,
    );
  }

  const bars = list.map((h, i) => {
    const counts = checkNumbers(what, `histogram[${i}].counts`, h?.counts);
    const edges = checkNumbers(what, `histogram[${i}].edges`, h.edges);
    if (edges.length !== counts.length + 1) {
      throw new SdenoTypeError(
        `${what}: histogram[${i}].edges must have counts.length + 1 = ${
          counts.length + 1
        } entries, got ${edges.length}`,
      );
    }
    let total = 0;
    for (let k = 0; k < counts.length; k++) {
      const c = counts[k] as number;
      if (c < 0) {
        throw new SdenoRangeError(
          `${what}: histogram[${i}].counts[${k}] must be ≥ 0, got ${quote(c)}`,
        );
      }
      total += c;
      if (!((edges[k + 1] as number) > (edges[k] as number))) {
        throw new SdenoRangeError(
          `${what}: histogram[${i}].edges must increase, got ${quote(edges[k])} then ${
            quote(edges[k + 1])
          } at index ${k}`,
        );
      }
    }
    const heights = new Float64Array(counts.length);
    for (let k = 0; k < counts.length; k++) {
      const c = counts[k] as number;
      const w = (edges[k + 1] as number) - (edges[k] as number);
      heights[k] = normalize === "count"
        ? c
        : total === 0
        ? 0
        : normalize === "probability"
        ? c / total
        : c / (total * w);
    }
    return { h, edges, heights };
  });

  const [xlo, xhi] = extent(bars.map((b) => b.edges));
  const lines = curves.map((c, i) => {
    if ("f" in c) {
      if (typeof c.f !== "function") {
        throw new SdenoTypeError(`${what}: curve[${i}].f must be a function, got ${quote(c.f)}`);
      }
      const n = c.samples ?? 200;
      if (!Number.isInteger(n) || n < 2) {
        throw new SdenoRangeError(
          `${what}: curve[${i}].samples must be an integer ≥ 2, got ${quote(n)}`,
        );
      }
      const x = Float64Array.from({ length: n }, (_, k) => xlo + ((xhi - xlo) * k) / (n - 1));
      const y = checkNumbers(what, `curve[${i}].f(x)`, x.map((v) => c.f(v)));
      return { c, x: x as Numbers, y };
    }
    const x = checkNumbers(what, `curve[${i}].x`, c.x);
    const y = checkNumbers(what, `curve[${i}].y`, c.y);
    if (x.length !== y.length) {
      throw new SdenoTypeError(
        `${what}: curve[${i}].x and curve[${i}].y must have the same length, got ${x.length} and ${y.length}`,
      );
    }
    return { c, x, y };
  });

  const legend: LegendEntry[] = [];
  bars.forEach(({ h }, i) => {
    if (h.label !== undefined) {
      legend.push({ label: h.label, color: h.color ?? color(i), kind: "bar" });
    }
  });
  // Curves take colours after the bars, except a single curve over one histogram: dark ink.
  const curveColor = (i: number) =>
    list.length === 1 && curves.length === 1 ? "#222222" : color(list.length + i);
  lines.forEach(({ c }, i) => {
    if (c.label !== undefined) {
      legend.push({
        label: c.label,
        color: c.color ?? curveColor(i),
        kind: c.dash ? "dash" : "line",
      });
    }
  });

  const yLabel = options.yLabel ??
    (normalize === "count" ? "count" : normalize === "probability" ? "probability" : "density");
  const opacity = list.length > 1 ? 0.5 : 0.75;
  return renderPlot(what, { ...options, yLabel }, {
    xExtent: extent([[xlo, xhi], ...lines.map((l) => l.x)]),
    yExtent: options.yScale === "log"
      ? _positiveExtent([...bars.map((b) => b.heights), ...lines.map((l) => l.y)])
      : extent([...bars.map((b) => b.heights), ...lines.map((l) => l.y), [0]]),
    xPad: 0,
    yPad: 0.04,
    yZero: true,
    legend,
    occupied: () => {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const { edges, heights } of bars) {
        for (let k = 0; k < heights.length; k++) {
          const h = heights[k] as number;
          for (let j = 1; j <= 8; j++) {
            xs.push(((edges[k] as number) + (edges[k + 1] as number)) / 2);
            ys.push((h * j) / 8);
          }
        }
      }
      return [[xs, ys], ...lines.map((l): [Numbers, Numbers] => [l.x, l.y])];
    },
    marks: ({ y }) => {
      const out: Plot.Markish[] = [];
      // Bars stand on 0, or on the bottom of a log axis (where an empty bin has no height).
      const base = Math.max(0, y.lo);
      bars.forEach(({ h, edges, heights }, i) => {
        const n = heights.length;
        const top = heights.map((v) => (y.log && v <= 0 ? base : v));
        out.push(Plot.rect({ length: n }, {
          x1: Float64Array.from({ length: n }, (_, k) => edges[k] as number),
          x2: Float64Array.from({ length: n }, (_, k) => edges[k + 1] as number),
          y1: new Float64Array(n).fill(base),
          y2: top,
          fill: h.color ?? color(i),
          fillOpacity: opacity,
          stroke: "#ffffff",
          strokeWidth: n > 80 ? 0 : 0.8,
          className: "bar",
          clip: true,
        }));
      });
      lines.forEach(({ c, x, y }, i) => {
        out.push(Plot.line({ length: x.length }, {
          x: column(x),
          y: column(y),
          stroke: c.color ?? curveColor(i),
          strokeWidth: 2,
          ...(c.dash ? { strokeDasharray: "6 4" } : {}),
          className: "curve",
          clip: true,
        }));
      });
      return out;
    },
  });
}

/** Extent of the positive values (empty bins have no place on a log axis). */
function _positiveExtent(arrays: readonly Numbers[]): [number, number] {
  const positive = arrays.map((a) => Array.from(a).filter((v) => v > 0));
  const [lo, hi] = extent(positive);
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}
