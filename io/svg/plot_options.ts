/**
 * Options and colours shared by the SVG plots.
 *
 * @module
 */

/** Numbers a plot accepts: any typed array of numbers, or a plain array. */
export type Numbers = ArrayLike<number>;

/** How an axis maps values: evenly, or by decades (values must be > 0). */
export type AxisScale = "linear" | "log";

/** A dashed guide line across the plot at a fixed x or y. */
export interface ReferenceLine {
  /** Draw a horizontal line at this y. */
  y?: number;
  /** Draw a vertical line at this x. */
  x?: number;
  /** Legend text. */
  label?: string;
  /** Stroke colour. Default dark grey. */
  color?: string;
}

/** Where the legend goes, inside the plot area. */
export type LegendPosition = "top-right" | "top-left" | "bottom-right" | "bottom-left";

/** Options every plot takes. */
export interface PlotOptions {
  /** Width in px. Default 480. */
  width?: number;
  /** Height in px. Default 360. */
  height?: number;
  /** Title above the plot. */
  title?: string;
  /** Label under the x axis. */
  xLabel?: string;
  /** Label left of the y axis. */
  yLabel?: string;
  /** Fixed x range `[min, max]`; data outside it is clipped. Default: from the data, widened to nice ticks. */
  xDomain?: readonly [number, number];
  /** Fixed y range `[min, max]`. */
  yDomain?: readonly [number, number];
  /** Scale of the x axis. Default `"linear"`. */
  xScale?: AxisScale;
  /** Scale of the y axis. Default `"linear"`. */
  yScale?: AxisScale;
  /** Light grid lines at the ticks. Default `true`. */
  grid?: boolean;
  /**
   * Show a legend (when some series has a label), or where. Default `true`:
   * the corner that covers the least data.
   */
  legend?: boolean | LegendPosition;
  /** Dashed guide lines (e.g. an exact mean). */
  referenceLines?: readonly ReferenceLine[];
}

/**
 * The default series colours, in order (Tableau 10: distinct, calm, and
 * readable for the common colour-vision deficiencies in its first four).
 *
 * @example
 * ```ts
 * import { PALETTE } from "./plot_options.ts";
 * import assert from "node:assert/strict";
 * assert.equal(PALETTE.length, 10);
 * assert.match(PALETTE[0]!, /^#[0-9a-f]{6}$/);
 * ```
 */
export const PALETTE: readonly string[] = Object.freeze([
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
]);
