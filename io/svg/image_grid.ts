/**
 * A grid of small images (NCHW, grayscale or RGB) as an SVG string, with no
 * embedded PNG: each row of pixels becomes a few rectangles.
 *
 * Not drawn by Observable Plot, on purpose: Plot's `raster` mark paints into
 * a `<canvas>` and embeds it as a PNG data URL, and linkedom (our DOM without
 * a browser) has no canvas; Plot's `cell` mark would make one `<rect>` per
 * pixel (64 images of 28 × 28 are 50,000 rects). Run-length encoding each
 * row into one path per colour keeps the file small and crisp at any zoom,
 * which is all an image grid needs (no axes or scales).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { checkNumbers, escapeXml, fmt, svgDocument } from "./_plot.ts";
import type { Numbers } from "./plot_options.ts";

/** A batch of images, flat NCHW (or NHW, or HW for one image). */
export interface ImageBatch {
  /** The pixel values, C order. */
  data: Numbers;
  /** `[n, c, h, w]` with c = 1 (grayscale) or 3 (RGB), `[n, h, w]`, or `[h, w]`. */
  shape: readonly number[];
}

/** Options for {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /** Images per row. Default: about √n, at most 8. */
  cols?: number;
  /** Displayed size of one pixel in px. Default: so that an image is about 96 px wide. */
  pixelSize?: number;
  /** Values mapped to black and white. Default: the data's min and max. Values outside are shown at the nearest end. */
  range?: readonly [number, number];
  /** Title above the grid. */
  title?: string;
  /** One caption under each image. */
  captions?: readonly string[];
  /** Space between images in px. Default 6. */
  gap?: number;
}

/**
 * Draws a batch of images in a grid, e.g. samples from an image diffusion
 * model. Each image row is run-length encoded into runs of equal colour (256
 * levels), one `<path>` per colour, so the SVG stays small and crisp at any
 * zoom.
 *
 * @param images the pixels and their shape (NCHW as elsewhere in sdeno)
 * @param options columns, pixel size, value range, title, captions
 * @returns an SVG document as a string
 * @throws {SdenoTypeError} when the shape does not match the data or has an unsupported channel count
 * @throws {SdenoRangeError} for a bad range, column count or size
 *
 * @example Four 2 × 2 grayscale images
 * ```ts
 * import { imageGrid } from "./image_grid.ts";
 * import assert from "node:assert/strict";
 * const data = new Float32Array(16).map((_, i) => i / 15);
 * const svg = imageGrid({ data, shape: [4, 1, 2, 2] }, { cols: 2, title: "samples" });
 * assert.equal(svg.match(/class="image"/g)!.length, 4);
 * assert.match(svg, /fill="#000000"/); // the smallest value is black
 * ```
 */
export function imageGrid(images: ImageBatch, options: ImageGridOptions = {}): string {
  const what = "Cannot draw imageGrid";
  const data = checkNumbers(what, "data", images?.data);
  const shape = images.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new SdenoTypeError(
      `${what}: shape must be a list of positive integers, got ${quote(shape)}`,
    );
  }
  let n: number, c: number, h: number, w: number;
  if (shape.length === 4) [n, c, h, w] = shape as [number, number, number, number];
  else if (shape.length === 3) [n, h, w] = shape as [number, number, number], c = 1;
  else if (shape.length === 2) [h, w] = shape as [number, number], n = 1, c = 1;
  else {
    throw new SdenoTypeError(
      `${what}: shape must be [n, c, h, w], [n, h, w] or [h, w], got ${quote(shape)}`,
    );
  }
  if (c !== 1 && c !== 3) {
    throw new SdenoTypeError(`${what}: channels must be 1 (gray) or 3 (RGB), got ${quote(c)}`);
  }
  if (n * c * h * w !== data.length) {
    throw new SdenoTypeError(
      `${what}: shape ${quote(shape)} holds ${n * c * h * w} values but data has ${data.length}`,
    );
  }
  let lo: number, hi: number;
  if (options.range !== undefined) {
    [lo, hi] = options.range;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new SdenoRangeError(
        `${what}: range must be [lo, hi] with lo < hi, got ${quote(options.range)}`,
      );
    }
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === hi) hi = lo + 1;
  }
  const cols = options.cols ?? Math.min(8, Math.ceil(Math.sqrt(n)));
  if (!Number.isInteger(cols) || cols < 1) {
    throw new SdenoRangeError(`${what}: cols must be a positive integer, got ${quote(cols)}`);
  }
  const px = options.pixelSize ?? Math.max(1, Math.round(9600 / Math.max(h, w)) / 100);
  const gap = options.gap ?? 6;
  if (!(px > 0) || !Number.isFinite(px)) {
    throw new SdenoRangeError(`${what}: pixelSize must be a positive number, got ${quote(px)}`);
  }
  if (!(gap >= 0) || !Number.isFinite(gap)) {
    throw new SdenoRangeError(`${what}: gap must be a non-negative number, got ${quote(gap)}`);
  }
  const captions = options.captions ?? [];
  const rows = Math.ceil(n / cols);
  const top = options.title ? 30 : 0;
  const capH = captions.length > 0 ? 16 : 0;
  const cellW = w * px;
  const cellH = h * px;
  const width = gap + cols * (cellW + gap);
  const height = top + gap + rows * (cellH + capH + gap);

  const level = (v: number) => Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
  const hex = (r: number, g: number, b: number) =>
    `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
  const plane = h * w;
  const parts: string[] = [`<rect width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>`];
  if (options.title) {
    parts.push(
      `<text x="${
        fmt(width / 2)
      }" y="20" text-anchor="middle" font-size="14" font-weight="600" fill="#222">${
        escapeXml(options.title)
      }</text>`,
    );
  }
  for (let i = 0; i < n; i++) {
    const x0 = gap + (i % cols) * (cellW + gap);
    const y0 = top + gap + Math.floor(i / cols) * (cellH + capH + gap);
    const base = i * c * plane;
    // Runs of equal colour in each row, grouped into one path per colour.
    const runs = new Map<string, string[]>();
    for (let r = 0; r < h; r++) {
      let start = 0;
      let prev = "";
      for (let k = 0; k <= w; k++) {
        let col = "";
        if (k < w) {
          const o = base + r * w + k;
          const g = level(data[o] as number);
          col = c === 1
            ? hex(g, g, g)
            : hex(g, level(data[o + plane] as number), level(data[o + 2 * plane] as number));
        }
        if (k > 0 && col !== prev) {
          let list = runs.get(prev);
          if (list === undefined) runs.set(prev, list = []);
          list.push(`M${start} ${r}h${k - start}v1h${start - k}z`);
          start = k;
        }
        prev = col;
      }
    }
    const rects = [...runs].map(([col, d]) => `<path fill="${col}" d="${d.join("")}"/>`);
    parts.push(
      `<g class="image" transform="translate(${fmt(x0)} ${fmt(y0)}) scale(${
        fmt(px)
      })" shape-rendering="crispEdges">${rects.join("")}</g>`,
      `<rect x="${fmt(x0 - 0.5)}" y="${fmt(y0 - 0.5)}" width="${fmt(cellW + 1)}" height="${
        fmt(cellH + 1)
      }" fill="none" stroke="#cccccc" stroke-width="1"/>`,
    );
    const cap = captions[i];
    if (cap !== undefined) {
      parts.push(
        `<text x="${fmt(x0 + cellW / 2)}" y="${
          fmt(y0 + cellH + 12)
        }" text-anchor="middle" font-size="11" fill="#555">${escapeXml(cap)}</text>`,
      );
    }
  }
  return svgDocument(width, height, parts.join(""));
}
