/**
 * Line plots (with optional shaded bands) as SVG strings, drawn by Observable
 * Plot: a `line` mark per series, an `areaY` mark per band, `dot` marks for
 * markers.
 *
 * @module
 */

import { SdenoTypeError } from "../../kernels/errors.ts";
import {
  checkNumbers,
  checkSameLength,
  color,
  column,
  extent,
  type LegendEntry,
  renderPlot,
} from "./_plot.ts";
import { Plot } from "./_observable_plot.ts";
import type { Numbers, PlotOptions } from "./plot_options.ts";

/** One line of a line plot. */
export interface LineSeries {
  /** y values. */
  y: Numbers;
  /** x values, same length as `y`. Default `0, 1, 2, …`. */
  x?: Numbers;
  /** Legend text. */
  label?: string;
  /** Stroke colour. Default: the next palette colour. */
  color?: string;
  /** Stroke width in px. Default 2. */
  width?: number;
  /** Dashed line: `true` for the default dash, or an SVG `stroke-dasharray`. */
  dash?: boolean | string;
  /** Mark each point with a dot. Default `false`. */
  markers?: boolean;
  /** A shaded band around the line, e.g. mean ± 2 sd; same length as `y`. */
  band?: { lower: Numbers; upper: Numbers; opacity?: number };
}

interface Checked {
  s: LineSeries;
  x: Numbers;
  y: Numbers;
  lower?: Numbers;
  upper?: Numbers;
}

/**
 * Draws one or more lines, each with an optional shaded band (for example a
 * mean with mean ± 2 sd, or a solver's path with its exact solution).
 *
 * @param series one series or a list (coloured from {@linkcode PALETTE} in order)
 * @param options size, title, labels, domains, scales (log–log for
 *   convergence plots), legend, reference lines
 * @returns an SVG document as a string
 * @throws {SdenoTypeError} for empty data, non-finite values or mismatched lengths
 * @throws {SdenoRangeError} for values ≤ 0 on a log axis
 *
 * @example A mean with a band
 * ```ts
 * import { linePlot } from "./line_plot.ts";
 * import assert from "node:assert/strict";
 * const t = [0, 0.25, 0.5, 0.75, 1];
 * const m = t.map((s) => Math.exp(-s));
 * const svg = linePlot({
 *   x: t, y: m, label: "E[X_t]",
 *   band: { lower: m.map((v) => v - 0.2), upper: m.map((v) => v + 0.2) },
 * }, { title: "Ornstein–Uhlenbeck", xLabel: "t" });
 * assert.equal(svg.match(/class="line"/g)!.length, 1);
 * assert.equal(svg.match(/class="band"/g)!.length, 1);
 * ```
 */
export function linePlot(
  series: LineSeries | readonly LineSeries[],
  options: PlotOptions = {},
): string {
  const what = "Cannot draw linePlot";
  const list: readonly LineSeries[] = Array.isArray(series) ? series : [series as LineSeries];
  if (list.length === 0) throw new SdenoTypeError(`${what}: series is empty`);
  const checked: Checked[] = list.map((s, i) => {
    const y = checkNumbers(what, `series[${i}].y`, s?.y);
    const x = s.x === undefined
      ? Float64Array.from({ length: y.length }, (_, k) => k)
      : checkNumbers(what, `series[${i}].x`, s.x);
    checkSameLength(what, [`series[${i}].x`, x], [`series[${i}].y`, y]);
    if (s.band === undefined) return { s, x, y };
    const lower = checkNumbers(what, `series[${i}].band.lower`, s.band.lower);
    const upper = checkNumbers(what, `series[${i}].band.upper`, s.band.upper);
    checkSameLength(what, [`series[${i}].y`, y], [`series[${i}].band.lower`, lower]);
    checkSameLength(what, [`series[${i}].y`, y], [`series[${i}].band.upper`, upper]);
    return { s, x, y, lower, upper };
  });
  const legend: LegendEntry[] = [];
  checked.forEach(({ s, lower }, i) => {
    if (s.label === undefined) return;
    const kind = lower !== undefined ? "band" : s.dash ? "dash" : "line";
    legend.push({ label: s.label, color: s.color ?? color(i), kind });
  });
  const ys: Numbers[] = [];
  for (const c of checked) ys.push(c.y, ...(c.lower && c.upper ? [c.lower, c.upper] : []));
  return renderPlot(what, options, {
    xExtent: extent(checked.map((c) => c.x)),
    yExtent: extent(ys),
    xPad: 0,
    yPad: 0.04,
    legend,
    occupied: () => checked.flatMap((c) => _dense(c.x, c.y, c.lower, c.upper)),
    marks: () => {
      const bands: Plot.Markish[] = [];
      const lines: Plot.Markish[] = [];
      checked.forEach(({ s, x, y, lower, upper }, i) => {
        const c = s.color ?? color(i);
        const index = { length: x.length };
        if (lower !== undefined && upper !== undefined) {
          bands.push(Plot.areaY(index, {
            x: column(x),
            y1: column(lower),
            y2: column(upper),
            fill: c,
            fillOpacity: s.band?.opacity ?? 0.18,
            className: "band",
            clip: true,
          }));
        }
        lines.push(Plot.line(index, {
          x: column(x),
          y: column(y),
          stroke: c,
          strokeWidth: s.width ?? 2,
          ...(s.dash ? { strokeDasharray: s.dash === true ? "6 4" : s.dash } : {}),
          className: "line",
          clip: true,
        }));
        if (s.markers) {
          lines.push(
            Plot.dot(index, {
              x: column(x),
              y: column(y),
              r: 3,
              fill: c,
              className: "markers",
              clip: true,
            }),
          );
        }
      });
      return [...bands, ...lines];
    },
  });
}

/** Points along the line (and across its band), for placing the legend. */
function _dense(
  x: Numbers,
  y: Numbers,
  lower?: Numbers,
  upper?: Numbers,
): [Numbers, Numbers][] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < x.length; k++) {
    const x0 = x[k] as number;
    const y0 = y[k] as number;
    const x1 = (k + 1 < x.length ? x[k + 1] : x0) as number;
    const y1 = (k + 1 < x.length ? y[k + 1] : y0) as number;
    for (let j = 0; j < 4; j++) {
      xs.push(x0 + ((x1 - x0) * j) / 4);
      ys.push(y0 + ((y1 - y0) * j) / 4);
    }
    if (lower !== undefined && upper !== undefined) {
      const lo = lower[k] as number;
      const hi = upper[k] as number;
      for (let j = 0; j <= 4; j++) {
        xs.push(x0);
        ys.push(lo + ((hi - lo) * j) / 4);
      }
    }
  }
  return [[xs, ys]];
}
