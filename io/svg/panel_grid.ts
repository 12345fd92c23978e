/**
 * Several plots laid out in rows and columns, in one SVG.
 *
 * The panels are drawn by the plot functions (Observable Plot for scatter,
 * line and histogram panels); only the layout is ours. Plot's own facets
 * (`fx`/`fy`) need every panel to be the same kind of mark over one data
 * table, while a panel grid mixes kinds (histograms beside paths, image grids
 * beside scatters) and takes finished SVGs, so we nest the panels' `<svg>`s,
 * each scaled into its cell; shared axes are computed here with
 * {@linkcode niceTicks}, as the plots compute their own.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkPositive, escapeXml, extent, fmt, scatterXY, svgDocument } from "./_plot.ts";
import { niceTicks } from "./nice_ticks.ts";
import type { Numbers, PlotOptions } from "./plot_options.ts";
import { scatterPlot, type ScatterSeries } from "./scatter_plot.ts";
import { linePlot, type LineSeries } from "./line_plot.ts";
import { type HistogramData, histogramPlot, type HistogramPlotOptions } from "./histogram_plot.ts";
import { type ImageBatch, imageGrid, type ImageGridOptions } from "./image_grid.ts";

/** A plot described as data, drawn by {@linkcode panelGrid} at the cell's size. */
export type PlotSpec =
  | { kind: "scatter"; series: ScatterSeries | readonly ScatterSeries[]; options?: PlotOptions }
  | { kind: "line"; series: LineSeries | readonly LineSeries[]; options?: PlotOptions }
  | {
    kind: "histogram";
    histogram: HistogramData | readonly HistogramData[];
    options?: HistogramPlotOptions;
  }
  | { kind: "image"; images: ImageBatch; options?: ImageGridOptions };

/** One cell: an SVG string, a plot spec, or either with a title. */
export type Panel = string | PlotSpec | { title?: string; plot: string | PlotSpec };

/** Options for {@linkcode panelGrid}. */
export interface PanelGridOptions {
  /** Panels per row. Default: up to 3. */
  cols?: number;
  /** Width of one cell in px. Default 360. */
  cellWidth?: number;
  /** Height of one cell in px. Default 280. */
  cellHeight?: number;
  /** Space between cells in px. Default 10. */
  gap?: number;
  /** Title above the grid. */
  title?: string;
  /**
   * Give every scatter and line panel the same axes (the union of their data,
   * widened to nice ticks), so panels compare at a glance. `"x"` or `"y"`
   * shares one axis. Panels with their own domains keep them. Default `false`.
   */
  shareAxes?: boolean | "x" | "y";
}

function _isSpec(v: unknown): v is PlotSpec {
  return typeof v === "object" && v !== null && "kind" in v;
}

/** The data extents of a scatter or line spec, or undefined for others. */
function _extents(spec: PlotSpec, i: number): [Numbers[], Numbers[]] | undefined {
  const what = `Cannot draw panelGrid: panel ${i}`;
  if (spec.kind === "scatter") {
    const list = Array.isArray(spec.series) ? spec.series : [spec.series as ScatterSeries];
    const xy = list.map((s: ScatterSeries, k: number) => scatterXY(what, s, k));
    return [xy.map(([x]) => x), xy.map(([, y]) => y)];
  }
  if (spec.kind === "line") {
    const list = Array.isArray(spec.series) ? spec.series : [spec.series as LineSeries];
    const xs: Numbers[] = [];
    const ys: Numbers[] = [];
    for (const s of list as LineSeries[]) {
      xs.push(s.x ?? [0, s.y.length - 1]);
      ys.push(s.y, ...(s.band ? [s.band.lower, s.band.upper] : []));
    }
    return [xs, ys];
  }
  return undefined;
}

function _sharedDomain(
  arrays: Numbers[],
  pad: number,
  count: number,
): readonly [number, number] | undefined {
  if (arrays.length === 0) return undefined;
  let [lo, hi] = extent(arrays);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return undefined;
  const span = hi - lo;
  lo -= span * pad;
  hi += span * pad;
  const t = niceTicks(lo, hi, { count });
  return [t.min, t.max];
}

/** Root width and height of an SVG string. */
function _size(svg: string, i: number): [number, number] {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  const width = root && /\swidth="([\d.]+)(px)?"/.exec(root)?.[1];
  const height = root && /\sheight="([\d.]+)(px)?"/.exec(root)?.[1];
  if (!width || !height) {
    throw new SdenoTypeError(
      `Cannot draw panelGrid: panel ${i} must be an <svg> with numeric width and height, got ${
        quote(svg.slice(0, 60))
      }`,
    );
  }
  return [Number(width), Number(height)];
}

/**
 * Lays out plots in a grid, for side-by-side comparisons such as one scatter
 * panel per sampler. Panels are SVG strings (scaled to fit their cell) or
 * {@linkcode PlotSpec}s (drawn at the cell's size, optionally with shared
 * axes).
 *
 * @param panels the cells, in reading order
 * @param options columns, cell size, gap, title, shared axes
 * @returns an SVG document as a string
 * @throws {SdenoTypeError} for an empty list or a panel that is neither an SVG nor a spec
 *
 * @example One panel per sampler, same axes
 * ```ts
 * import { panelGrid } from "./panel_grid.ts";
 * import assert from "node:assert/strict";
 * const svg = panelGrid([
 *   { title: "Euler", plot: { kind: "scatter", series: { x: [0, 1], y: [0, 1] } } },
 *   { title: "Heun", plot: { kind: "scatter", series: { x: [0, 2], y: [0, 3] } } },
 * ], { cols: 2, shareAxes: true, title: "samplers" });
 * assert.equal(svg.match(/<svg/g)!.length, 3); // the grid and two panels
 * assert.match(svg, />Heun</);
 * ```
 */
export function panelGrid(panels: readonly Panel[], options: PanelGridOptions = {}): string {
  const what = "Cannot draw panelGrid";
  if (!Array.isArray(panels) || panels.length === 0) {
    throw new SdenoTypeError(`${what}: panels must be a non-empty list, got ${quote(panels)}`);
  }
  const n = panels.length;
  const cols = options.cols ?? Math.min(3, n);
  if (!Number.isInteger(cols) || cols < 1) {
    throw new SdenoRangeError(`${what}: cols must be a positive integer, got ${quote(cols)}`);
  }
  const cw = checkPositive(what, "cellWidth", options.cellWidth ?? 360);
  const ch = checkPositive(what, "cellHeight", options.cellHeight ?? 280);
  const gap = options.gap ?? 10;
  if (!(gap >= 0) || !Number.isFinite(gap)) {
    throw new SdenoRangeError(`${what}: gap must be a non-negative number, got ${quote(gap)}`);
  }
  const rows = Math.ceil(n / cols);
  const top = options.title ? 34 : 0;
  const width = gap + cols * (cw + gap);
  const height = top + gap + rows * (ch + gap);

  const cells = panels.map((p, i) => {
    if (typeof p === "string" || _isSpec(p)) return { title: undefined, plot: p };
    if (typeof p === "object" && p !== null && "plot" in p) return { title: p.title, plot: p.plot };
    throw new SdenoTypeError(
      `${what}: panel ${i} must be an SVG string or a plot spec, got ${quote(p)}`,
    );
  });

  // Shared axes: one domain per kind (scatter panels with scatter panels, lines with lines).
  const share = options.shareAxes ?? false;
  const shared = new Map<
    string,
    { x?: readonly [number, number]; y?: readonly [number, number] }
  >();
  if (share !== false) {
    for (const kind of ["scatter", "line"] as const) {
      const xs: Numbers[] = [];
      const ys: Numbers[] = [];
      cells.forEach(({ plot }, i) => {
        if (!_isSpec(plot) || plot.kind !== kind) return;
        const e = _extents(plot, i);
        if (e === undefined) return;
        if ((plot.options?.xScale ?? "linear") === "linear") xs.push(...e[0]);
        if ((plot.options?.yScale ?? "linear") === "linear") ys.push(...e[1]);
      });
      const pad = kind === "scatter" ? 0.03 : 0;
      const x = share === "y"
        ? undefined
        : _sharedDomain(xs, pad, Math.max(2, Math.round(cw / 90)));
      const y = share === "x"
        ? undefined
        : _sharedDomain(ys, kind === "scatter" ? 0.03 : 0.04, Math.max(2, Math.round(ch / 60)));
      shared.set(kind, { ...(x ? { x } : {}), ...(y ? { y } : {}) });
    }
  }

  const parts: string[] = [`<rect width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>`];
  if (options.title) {
    parts.push(
      `<text x="${
        fmt(width / 2)
      }" y="23" text-anchor="middle" font-size="16" font-weight="600" fill="#222">${
        escapeXml(options.title)
      }</text>`,
    );
  }
  cells.forEach(({ title, plot }, i) => {
    const x0 = gap + (i % cols) * (cw + gap);
    const y0 = top + gap + Math.floor(i / cols) * (ch + gap);
    let svg: string;
    if (typeof plot === "string") {
      svg = plot;
    } else {
      const size = { width: cw, height: ch };
      const withTitle = title !== undefined ? { title } : {};
      switch (plot.kind) {
        case "scatter":
        case "line": {
          const o: PlotOptions = { ...withTitle, ...plot.options, ...size };
          const d = shared.get(plot.kind);
          if (d?.x && o.xDomain === undefined && (o.xScale ?? "linear") === "linear") {
            o.xDomain = d.x;
          }
          if (d?.y && o.yDomain === undefined && (o.yScale ?? "linear") === "linear") {
            o.yDomain = d.y;
          }
          svg = plot.kind === "scatter"
            ? scatterPlot(plot.series as ScatterSeries[], o)
            : linePlot(plot.series as LineSeries[], o);
          break;
        }
        case "histogram":
          svg = histogramPlot(plot.histogram as HistogramData[], {
            ...withTitle,
            ...plot.options,
            ...size,
          });
          break;
        case "image":
          svg = imageGrid(plot.images, { ...withTitle, ...plot.options });
          break;
        default:
          throw new SdenoTypeError(
            `${what}: panel ${i} has an unknown kind, got ${
              quote((plot as { kind: unknown }).kind)
            }`,
          );
      }
    }
    const titled = typeof plot === "string" && title !== undefined;
    const headH = titled ? 24 : 0;
    if (titled) {
      parts.push(
        `<text x="${fmt(x0 + cw / 2)}" y="${
          fmt(y0 + 17)
        }" text-anchor="middle" font-size="14" font-weight="600" fill="#222">${
          escapeXml(title)
        }</text>`,
      );
    }
    const [w, h] = _size(svg, i);
    const s = Math.min(cw / w, (ch - headH) / h);
    const dx = x0 + (cw - w * s) / 2;
    const dy = y0 + headH + (ch - headH - h * s) / 2;
    const inner = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "").trim();
    parts.push(
      `<g class="panel" transform="translate(${fmt(dx)} ${fmt(dy)})${
        s === 1 ? "" : ` scale(${Number(s.toFixed(4))})`
      }">${inner}</g>`,
    );
  });
  return svgDocument(width, height, parts.join(""));
}
