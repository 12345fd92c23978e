/**
 * Private core of the SVG plots: validation, axis domains and ticks, the
 * legend box, and the frame (margins, axes, grid, title, reference lines)
 * that every plot shares. The drawing itself is Observable Plot's, through
 * {@linkcode renderWithPlot} (`_observable_plot.ts`); each plot module only
 * contributes its data marks.
 *
 * We keep choosing the domains and ticks here (not Plot's `nice`) so that
 * scatter and line plots pad their data as before, histograms start at 0, a
 * log axis over few decades gets 1-2-5 ticks, and panel grids can share axes
 * computed the same way ({@linkcode niceTicks}).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { niceTicks } from "./nice_ticks.ts";
import type { AxisScale, LegendPosition, Numbers, PlotOptions } from "./plot_options.ts";
import { PALETTE } from "./plot_options.ts";
import type { ScatterSeries } from "./scatter_plot.ts";
import { fmt, Plot, type RenderedPlot, renderWithPlot } from "./_observable_plot.ts";

export { fmt, svgDocument } from "./_observable_plot.ts";

const INK = "#222";
const AXIS = "#888";
/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}

/** The i-th palette colour. */
export function color(i: number): string {
  return PALETTE[i % PALETTE.length] as string;
}

/** Checks that `value` is a non-empty array of finite numbers. */
export function checkNumbers(what: string, name: string, value: unknown): Numbers {
  if (
    typeof value !== "object" || value === null || typeof (value as Numbers).length !== "number" ||
    value instanceof BigInt64Array || value instanceof BigUint64Array
  ) {
    throw new SdenoTypeError(`${what}: ${name} must be an array of numbers, got ${quote(value)}`);
  }
  const arr = value as Numbers;
  if (arr.length === 0) throw new SdenoTypeError(`${what}: ${name} is empty`);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new SdenoTypeError(`${what}: ${name}[${i}] must be a finite number, got ${quote(v)}`);
    }
  }
  return arr;
}

/** Checks that two arrays have the same length. */
export function checkSameLength(what: string, a: [string, Numbers], b: [string, Numbers]): void {
  if (a[1].length !== b[1].length) {
    throw new SdenoTypeError(
      `${what}: ${a[0]} and ${b[0]} must have the same length, got ${a[1].length} and ${
        b[1].length
      }`,
    );
  }
}

/** Checks a positive finite size (px). */
export function checkPositive(what: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new SdenoRangeError(`${what}: ${name} must be a positive number, got ${quote(value)}`);
  }
  return value;
}

/** Numbers as a column Plot accepts (an iterable): a Float64Array, copied only when needed. */
export function column(values: Numbers): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values);
}

/** Min and max of some arrays (only positive values count when `log`). */
export function extent(arrays: readonly Numbers[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

/** An axis: its domain, ticks and tick labels. */
export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
  /** Tick label as plain text. */
  label: (v: number) => string;
  /** Width of the widest label, in characters. */
  labelChars: number;
}

const MINUS = "\u2212";
const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

function _plain(v: number, decimals: number): string {
  const abs = Math.abs(v);
  let s: string;
  if (v === 0) s = "0";
  else if (abs >= 1e5 || abs < 1e-3) {
    s = v.toExponential(Math.min(20, Math.max(0, decimals))).replace(/\.?0+e/, "e").replace(
      "e+",
      "e",
    );
  } else s = v.toFixed(Math.min(20, decimals));
  return s.replace("-", MINUS);
}

/** `10` with the exponent `k` in superscript digits, e.g. 10⁻⁶. */
function _power(k: number): string {
  const digits = String(Math.abs(k)).split("").map((d) => SUPERSCRIPT[Number(d)]).join("");
  return `10${k < 0 ? "⁻" : ""}${digits}`;
}

/** Chooses an axis' domain and ticks for data spanning `ext`. */
export function makeAxis(
  what: string,
  axis: "x" | "y",
  ext: [number, number],
  fixed: readonly [number, number] | undefined,
  kind: AxisScale,
  options: { pad: number; zero?: boolean; count: number },
): Axis {
  let [lo, hi] = fixed ?? ext;
  if (fixed !== undefined) {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new SdenoRangeError(
        `${what}: ${axis}Domain must be two finite numbers with min < max, got ${quote(fixed)}`,
      );
    }
  }
  if (kind === "log") {
    if (ext[0] <= 0) {
      throw new SdenoRangeError(
        `${what}: values on a log ${axis} axis must be > 0, got ${quote(ext[0])}`,
      );
    }
    if (lo <= 0) {
      throw new SdenoRangeError(
        `${what}: ${axis}Domain on a log axis must be > 0, got ${quote(fixed)}`,
      );
    }
    let l0 = Math.log10(lo);
    let l1 = Math.log10(hi);
    if (fixed === undefined) {
      l0 = Math.floor(l0 + 1e-9);
      l1 = Math.ceil(l1 - 1e-9);
      if (l0 === l1) {
        l0 -= 1;
        l1 += 1;
      } else if (l1 - l0 <= 2) {
        // Few decades: snap to 1-2-5 ticks instead of whole decades.
        const steps = (k: number) => [1, 2, 5].map((m) => Math.log10(m) + k);
        const below = [...steps(l0), ...steps(l0 + 1)].filter((v) => v <= Math.log10(lo) + 1e-9);
        const above = [...steps(l1 - 1), ...steps(l1)].filter((v) => v >= Math.log10(hi) - 1e-9);
        l0 = Math.max(...below);
        l1 = Math.min(...above);
      }
    }
    const ticks: number[] = [];
    const decades = Math.ceil(l1) - Math.floor(l0);
    const mult = decades <= 2 ? [1, 2, 5] : [1];
    const every = Math.max(1, Math.ceil(decades / 8));
    for (let k = Math.floor(l0); k <= Math.ceil(l1); k++) {
      if (mult.length === 1 && k % every !== 0) continue;
      for (const m of mult) {
        const v = m * Math.pow(10, k);
        const lv = Math.log10(v);
        if (lv >= l0 - 1e-9 && lv <= l1 + 1e-9) ticks.push(Number(v.toPrecision(12)));
      }
    }
    const label = (v: number) => {
      const k = Math.round(Math.log10(v));
      const isDecade = Math.abs(v / Math.pow(10, k) - 1) < 1e-9;
      if (isDecade && (k < -3 || k > 4)) return _power(k);
      return _plain(v, Math.max(0, -Math.floor(Math.log10(v) + 1e-9)));
    };
    return {
      lo: Math.pow(10, l0),
      hi: Math.pow(10, l1),
      log: true,
      ticks,
      label,
      labelChars: Math.max(...ticks.map((t) => label(t).length)),
    };
  }
  if (fixed === undefined) {
    const span = hi - lo;
    const pad = span > 0 ? span * options.pad : 0;
    lo -= pad;
    hi += pad;
    if (options.zero && ext[0] >= 0) lo = 0;
  }
  const nice = niceTicks(lo, hi, { count: options.count });
  if (fixed === undefined) {
    lo = nice.min;
    hi = nice.max;
  }
  const eps = (hi - lo) * 1e-9;
  const ticks = nice.ticks.filter((t) => t >= lo - eps && t <= hi + eps);
  const decimals = Math.max(0, -Math.floor(Math.log10(nice.step) + 1e-9));
  const label = (v: number) => _plain(v, decimals);
  return {
    lo,
    hi,
    log: false,
    ticks,
    label,
    labelChars: Math.max(0, ...ticks.map((t) => label(t).length)),
  };
}

/** One legend entry. */
export interface LegendEntry {
  label: string;
  color: string;
  kind: "point" | "line" | "band" | "bar" | "dash";
}

/** The plot area in pixels. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What a plot module passes to {@linkcode renderPlot}. */
export interface PlotLayer {
  /** Data extents (before padding). */
  xExtent: [number, number];
  yExtent: [number, number];
  /** Fraction of the span added on each side before choosing nice bounds. */
  xPad: number;
  yPad: number;
  /** Start the y axis at 0 when all data is ≥ 0 (bars). */
  yZero?: boolean;
  /** The data marks (Observable Plot), drawn under the reference lines, given the chosen axes. */
  marks: (axes: { x: Axis; y: Axis }) => Plot.Markish[];
  legend: LegendEntry[];
  /** Where the data is (pairs of x and y arrays), to put the legend in the emptiest corner. */
  occupied?: () => [Numbers, Numbers][];
}

const CHAR = 6.1; // average width of an 11 px character, px

/** Renders axes, grid, title, legend and the layer's marks into one SVG document. */
export function renderPlot(what: string, options: PlotOptions, layer: PlotLayer): string {
  const width = checkPositive(what, "width", options.width ?? 480);
  const height = checkPositive(what, "height", options.height ?? 360);
  const refs = options.referenceLines ?? [];
  const xExt: [number, number] = [...layer.xExtent];
  const yExt: [number, number] = [...layer.yExtent];
  for (const [i, r] of refs.entries()) {
    if (typeof r !== "object" || r === null || (r.x === undefined && r.y === undefined)) {
      throw new SdenoTypeError(`${what}: referenceLines[${i}] needs x or y, got ${quote(r)}`);
    }
    for (const key of ["x", "y"] as const) {
      const v = r[key];
      if (v === undefined) continue;
      if (!Number.isFinite(v)) {
        throw new SdenoTypeError(
          `${what}: referenceLines[${i}].${key} must be a finite number, got ${quote(v)}`,
        );
      }
      const e = key === "x" ? xExt : yExt;
      e[0] = Math.min(e[0], v);
      e[1] = Math.max(e[1], v);
    }
  }
  const top = options.title ? 36 : 14;
  const bottom = 26 + (options.xLabel ? 20 : 0);
  const right = 18;
  const xCount = Math.max(2, Math.round(width / 90));
  const yCount = Math.max(2, Math.round(height / 60));
  // The y axis' labels decide the left margin, so choose it first.
  const plotH = height - top - bottom;
  const y = makeAxis(what, "y", yExt, options.yDomain, options.yScale ?? "linear", {
    pad: layer.yPad,
    zero: layer.yZero ?? false,
    count: yCount,
  });
  const left = Math.ceil(14 + y.labelChars * CHAR + (options.yLabel ? 22 : 0));
  const plotW = width - left - right;
  if (plotW < 20 || plotH < 20) {
    throw new SdenoRangeError(
      `${what}: the plot area is too small (${Math.round(plotW)} × ${
        Math.round(plotH)
      } px), got width ${quote(width)} and height ${quote(height)}`,
    );
  }
  const x = makeAxis(what, "x", xExt, options.xDomain, options.xScale ?? "linear", {
    pad: layer.xPad,
    count: xCount,
  });
  const frame: Frame = { left, top, width: plotW, height: plotH };
  const grid = options.grid ?? true;
  const scale = (a: Axis, label: string | undefined, offset: number): Plot.ScaleOptions => ({
    type: a.log ? "log" : "linear",
    domain: [a.lo, a.hi],
    ticks: a.ticks,
    tickFormat: a.label,
    grid,
    label: label ?? null,
    labelAnchor: "center",
    labelArrow: "none",
    labelOffset: offset,
  });
  const marks: Plot.Markish[] = [...layer.marks({ x, y })];
  for (const r of refs) {
    const style = {
      stroke: r.color ?? "#444",
      strokeWidth: 1.2,
      strokeDasharray: "5 4",
      className: "reference",
      clip: true,
    };
    marks.push(r.y !== undefined ? Plot.ruleY([r.y], style) : Plot.ruleX([r.x], style));
  }
  marks.push(Plot.frame({ stroke: AXIS, strokeWidth: 1 }));
  if (options.title) {
    marks.push(
      Plot.text([options.title], {
        text: (d: string) => d,
        frameAnchor: "top",
        dy: 18 - top,
        fontSize: 14,
        fontWeight: 600,
        fill: INK,
        className: "title",
      }),
    );
  }
  const legend = [...layer.legend];
  for (const r of refs) {
    if (r.label !== undefined) {
      legend.push({ label: r.label, color: r.color ?? "#444", kind: "dash" });
    }
  }
  const position = options.legend ?? true;
  return renderWithPlot(
    {
      width,
      height,
      marginTop: top,
      marginBottom: bottom,
      marginLeft: left,
      marginRight: right,
      style: { color: INK },
      x: scale(x, options.xLabel, bottom - 8),
      y: scale(y, options.yLabel, left - 8),
      marks,
    },
    (plot) =>
      position === false || legend.length === 0
        ? ""
        : _legend(legend, frame, _corner(position, legend, frame, plot, layer.occupied)),
  );
}

/** The legend's corner: the one asked for, or the one covering the fewest data points. */
function _corner(
  position: true | LegendPosition,
  legend: LegendEntry[],
  frame: Frame,
  plot: RenderedPlot,
  occupied: (() => [Numbers, Numbers][]) | undefined,
): LegendPosition {
  if (position !== true) return position;
  if (occupied === undefined) return "top-right";
  const data = occupied();
  let where: LegendPosition = "top-right";
  let best = Infinity;
  // Ties go to the first corner in this order.
  for (const corner of ["top-right", "top-left", "bottom-right", "bottom-left"] as const) {
    const [bx, by, bw, bh] = _legendBox(legend, frame, corner);
    let count = 0;
    for (const [xs, ys] of data) {
      for (let i = 0; i < xs.length; i++) {
        const px = plot.x.apply(xs[i] as number);
        const py = plot.y.apply(ys[i] as number);
        if (px >= bx && px <= bx + bw && py >= by && py <= by + bh) count++;
      }
    }
    if (count < best) {
      best = count;
      where = corner;
    }
  }
  return where;
}

function _swatch(e: LegendEntry, x: number, y: number): string {
  const c = escapeXml(e.color);
  switch (e.kind) {
    case "point":
      return `<circle cx="${fmt(x + 9)}" cy="${fmt(y)}" r="3.5" fill="${c}"/>`;
    case "bar":
      return `<rect x="${fmt(x + 2)}" y="${
        fmt(y - 5)
      }" width="14" height="10" fill="${c}" fill-opacity="0.75"/>`;
    case "band":
      return `<rect x="${fmt(x)}" y="${
        fmt(y - 6)
      }" width="18" height="12" fill="${c}" fill-opacity="0.2"/>` +
        `<path d="M${fmt(x)} ${fmt(y)}h18" stroke="${c}" stroke-width="2"/>`;
    case "dash":
      return `<path d="M${fmt(x)} ${
        fmt(y)
      }h18" stroke="${c}" stroke-width="1.2" stroke-dasharray="5 4"/>`;
    default:
      return `<path d="M${fmt(x)} ${fmt(y)}h18" stroke="${c}" stroke-width="2"/>`;
  }
}

const ROW = 17;

/** The legend's box `[x, y, width, height]` in a corner. */
function _legendBox(
  entries: LegendEntry[],
  frame: Frame,
  position: LegendPosition,
): [number, number, number, number] {
  const chars = Math.max(...entries.map((e) => e.label.length));
  const w = 18 + 8 + chars * 6.5 + 16; // 6.5 px: a wide sans-serif's average at 11 px
  const h = entries.length * ROW + 8;
  const x0 = position.endsWith("right") ? frame.left + frame.width - w - 8 : frame.left + 8;
  const y0 = position.startsWith("top") ? frame.top + 8 : frame.top + frame.height - h - 8;
  return [x0, y0, w, h];
}

/**
 * The legend box, drawn over Plot's SVG: Plot's own legends for ordinal
 * colours are HTML swatches beside the figure, not SVG, and would be lost in
 * an .svg file.
 */
function _legend(entries: LegendEntry[], frame: Frame, position: LegendPosition): string {
  const [x0, y0, w, h] = _legendBox(entries, frame, position);
  const rows = entries.map((e, i) => {
    const cy = y0 + 4 + ROW * i + ROW / 2;
    return _swatch(e, x0 + 8, cy) +
      `<text x="${fmt(x0 + 34)}" y="${fmt(cy + 4)}">${escapeXml(e.label)}</text>`;
  });
  return `<g class="legend" font-size="11" fill="${INK}" text-anchor="start"><rect x="${
    fmt(x0)
  }" y="${fmt(y0)}" width="${fmt(w)}" height="${
    fmt(h)
  }" rx="3" fill="#ffffff" fill-opacity="0.88" stroke="#d0d0d0"/>${rows.join("")}</g>`;
}

/** Normalises a scatter series to x and y arrays (checked). */
export function scatterXY(what: string, s: ScatterSeries, i: number): [Numbers, Numbers] {
  if (typeof s !== "object" || s === null) {
    throw new SdenoTypeError(`${what}: series ${i} must be an object, got ${quote(s)}`);
  }
  if ("points" in s) {
    const pts = checkNumbers(what, `series[${i}].points`, s.points);
    const dim = s.dim ?? 2;
    const [a, b] = s.axes ?? [0, 1];
    if (!Number.isInteger(dim) || dim < 1 || pts.length % dim !== 0) {
      throw new SdenoTypeError(
        `${what}: series[${i}].points has length ${pts.length}, not a multiple of dim, got dim ${
          quote(dim)
        }`,
      );
    }
    for (const ax of [a, b]) {
      if (!Number.isInteger(ax) || ax < 0 || ax >= dim) {
        throw new SdenoTypeError(
          `${what}: series[${i}].axes must pick coordinates in [0, ${dim - 1}], got ${
            quote(s.axes)
          }`,
        );
      }
    }
    const n = pts.length / dim;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      x[k] = pts[k * dim + a] as number;
      y[k] = pts[k * dim + b] as number;
    }
    return [x, y];
  }
  const x = checkNumbers(what, `series[${i}].x`, s.x);
  const y = checkNumbers(what, `series[${i}].y`, s.y);
  checkSameLength(what, [`series[${i}].x`, x], [`series[${i}].y`, y]);
  return [x, y];
}
