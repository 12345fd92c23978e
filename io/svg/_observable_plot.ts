/**
 * The one adapter to Observable Plot (`npm:@observablehq/plot`) and the DOM it
 * draws into (`npm:linkedom`, a DOM implementation without a browser). Plot
 * takes a `document` option for exactly this use (server-side rendering); we
 * hand it a fresh linkedom document per figure and serialise the `<svg>` it
 * returns into a standalone SVG file: the root gets `xmlns`, a white
 * background, our font, and ids and class names derived from a hash of the
 * content (Plot's own are random or count up per process), and coordinates
 * are rounded to 0.01 px so files stay small and deterministic.
 *
 * No permission is needed: neither package touches the file system or the
 * network at run time.
 *
 * @module
 */

import * as Plot from "npm:@observablehq/plot@0.6.17";
import { parseHTML } from "npm:linkedom@0.18.15";
import { fnv1a32 } from "../../kernels/hash.ts";

export { Plot };

/** Font stack for every text element. */
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/** A Plot scale as seen after rendering: maps data values to pixels. */
export interface RenderedScale {
  apply(value: number): number;
}

/** What {@linkcode renderWithPlot} hands to the `overlay` callback. */
export interface RenderedPlot {
  /** The x scale, data to pixels. */
  x: RenderedScale;
  /** The y scale, data to pixels. */
  y: RenderedScale;
}

/** A coordinate, rounded to 0.01 px, without "-0". */
export function fmt(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/** Attributes that hold pixel coordinates (their long decimals are rounded). */
const GEOMETRY = /\s(d|cx|cy|x|y|x1|x2|y1|y2|r|width|height|transform|points)="([^"]*)"/g;
const LONG_NUMBER = /-?\d+\.\d{3,}(?:e-?\d+)?/g;

/**
 * Renders a Plot specification to a standalone SVG document. `overlay` may
 * return extra SVG markup (drawn last, on top), computed from the rendered
 * scales: we use it for the in-frame legend box, which Plot draws only as
 * HTML swatches outside the SVG.
 *
 * @param options Plot's options (marks, scales, size, margins); `document`
 *   and `className` are set here
 * @param overlay extra SVG markup from the rendered scales
 * @returns the SVG document as a string, ending with a newline
 */
export function renderWithPlot(
  options: Plot.PlotOptions,
  overlay?: (plot: RenderedPlot) => string,
): string {
  const { document } = parseHTML(
    "<!DOCTYPE html><html><head></head><body></body></html>",
  ) as unknown as { document: Plot.PlotOptions["document"] };
  const figure = Plot.plot({
    ...options,
    // linkedom's Document implements what Plot uses of the DOM.
    document,
    className: "sdeno-plot",
  });
  if (figure.tagName.toLowerCase() !== "svg") {
    throw new Error(`Observable Plot returned a <${figure.tagName}>, expected an <svg>`);
  }
  const svg = figure as unknown as {
    scale(name: "x" | "y"): RenderedScale | undefined;
    innerHTML: string;
  };
  const identity: RenderedScale = { apply: (v) => v };
  const extra = overlay?.({ x: svg.scale("x") ?? identity, y: svg.scale("y") ?? identity }) ?? "";
  const width = Number(options.width ?? 640);
  const height = Number(options.height ?? 400);
  const inner = svg.innerHTML.replace(
    GEOMETRY,
    (_, name: string, value: string) =>
      ` ${name}="${value.replace(LONG_NUMBER, (n) => fmt(Number(n)))}"`,
  );
  return svgDocument(
    width,
    height,
    `<rect width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>${inner}${extra}`,
    { fill: "currentColor", textAnchor: "middle", fontSize: 11, color: "#333" },
  );
}

/** 32-bit FNV-1a hash, base 36. */
function _hash(text: string): string {
  return fnv1a32(text).toString(36);
}

/**
 * Wraps content in the root element. Plot's class name `sdeno-plot`, its clip
 * ids (`plot-clip-N`) and our `__CLIP__` placeholder become names derived
 * from a hash of the document, so several figures can share a page (or a
 * panel grid) and the same figure always gives the same bytes.
 */
export function svgDocument(
  width: number,
  height: number,
  content: string,
  root: { fill?: string; textAnchor?: string; fontSize?: number; color?: string } = {},
): string {
  const extra = (root.color ? ` color="${root.color}"` : "") +
    (root.fill ? ` fill="${root.fill}"` : "") +
    (root.textAnchor ? ` text-anchor="${root.textAnchor}"` : "");
  // Plot numbers its clip paths per process: number them per document first.
  const clips = new Map<string, string>();
  const numbered = content.replace(/plot-clip-\d+/g, (m) => {
    let name = clips.get(m);
    if (name === undefined) clips.set(m, name = `__CLIP__-clip${clips.size + 1}`);
    return name;
  });
  const body = `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(width)}" height="${
    fmt(height)
  }" viewBox="0 0 ${fmt(width)} ${fmt(height)}" font-family="${
    FONT.replaceAll("'", "&#39;")
  }" font-size="${root.fontSize ?? 12}"${extra} class="sdeno-plot">${numbered}</svg>\n`;
  const id = `sdeno-${_hash(body)}`;
  return body.replaceAll("sdeno-plot", id).replaceAll("__CLIP__", id);
}
