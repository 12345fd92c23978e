/**
 * PNG (and raw RGBA) from an SVG string, through resvg compiled to
 * WebAssembly (`npm:@resvg/resvg-wasm`, the one adapter to that package).
 *
 * Permissions: the `.wasm` module is read from Deno's npm cache, where the
 * package's import put it, so the first call needs `--allow-read` on that
 * folder (`--allow-read` or, narrowly, `--allow-read=<DENO_DIR>/npm`; `deno
 * info` prints the cache folder). No network access is ever made. Pass the
 * bytes yourself (`wasm`) to need no permission at all, e.g. in a browser.
 *
 * Fonts: resvg in WebAssembly sees no system fonts, so text is drawn only
 * with the font files given in `fonts` (e.g. DejaVu Sans,
 * `/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf` on Debian), which then
 * stand in for every family the SVG names.
 *
 * @module
 */

import { initWasm, Resvg } from "npm:@resvg/resvg-wasm@2.6.2";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** Options for {@linkcode svgToPng} and {@linkcode svgToRgba}. */
export interface PngOptions {
  /**
   * Font files (TrueType or OpenType bytes) for the text. The first one's
   * family stands in for every family the SVG asks for (name it in
   * `fontFamily`). Without fonts, text is left out of the picture.
   */
  fonts?: readonly Uint8Array[];
  /** Family name of the first font, used for every text. Default `"DejaVu Sans"`. */
  fontFamily?: string;
  /** Width of the picture in px; the height keeps the aspect ratio. Default: the SVG's width. */
  width?: number;
  /** The bytes of resvg's `index_bg.wasm`. Default: read from Deno's npm cache. */
  wasm?: Uint8Array;
}

/** An RGBA picture, 4 bytes per pixel, row by row. */
export interface Rgba {
  /** Width in px. */
  width: number;
  /** Height in px. */
  height: number;
  /** `width · height · 4` bytes: red, green, blue, alpha. */
  pixels: Uint8Array;
}

let ready: Promise<void> | undefined;

/** Loads resvg's WebAssembly once per process. */
function _init(wasm: Uint8Array | undefined): Promise<void> {
  ready ??= (async () => {
    const bytes = wasm ?? await Deno.readFile(
      new URL(import.meta.resolve("npm:@resvg/resvg-wasm@2.6.2/index_bg.wasm")),
    );
    await initWasm(bytes);
  })();
  return ready;
}

/** Checks the arguments, then loads resvg and parses the SVG. */
async function _resvg(
  what: string,
  svg: string,
  options: PngOptions,
): Promise<InstanceType<typeof Resvg>> {
  if (typeof svg !== "string" || !/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg)) {
    throw new SdenoTypeError(
      `${what}: svg must be an SVG document string, got ${
        quote(typeof svg === "string" ? svg.slice(0, 40) : svg)
      }`,
    );
  }
  const fonts = options.fonts ?? [];
  if (!Array.isArray(fonts) || fonts.some((f) => !(f instanceof Uint8Array))) {
    throw new SdenoTypeError(`${what}: fonts must be a list of Uint8Array, got ${quote(fonts)}`);
  }
  const width = options.width;
  if (width !== undefined && (!Number.isInteger(width) || width < 1 || width > 16384)) {
    throw new SdenoRangeError(
      `${what}: width must be an integer in [1, 16384], got ${quote(width)}`,
    );
  }
  const family = options.fontFamily ?? "DejaVu Sans";
  await _init(options.wasm);
  return new Resvg(svg, {
    font: {
      fontBuffers: fonts as Uint8Array[],
      defaultFontFamily: family,
      sansSerifFamily: family,
      serifFamily: family,
      monospaceFamily: family,
    },
    ...(width !== undefined ? { fitTo: { mode: "width" as const, value: width } } : {}),
  });
}

/**
 * Rasterises an SVG into RGBA pixels (for checks, or to encode yourself).
 *
 * @param svg an SVG document, e.g. from {@linkcode linePlot}
 * @param options fonts, width, the wasm bytes
 * @returns the picture's size and pixels
 * @throws {SdenoTypeError} when `svg` is not an SVG document or `fonts` is not a list of bytes
 * @throws {SdenoRangeError} for a bad `width`
 *
 * @example A red square
 * ```ts
 * import { svgToRgba } from "./png.ts";
 * import assert from "node:assert/strict";
 * const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2">` +
 *   `<rect width="4" height="2" fill="#ff0000"/></svg>`;
 * const { width, height, pixels } = await svgToRgba(svg);
 * assert.deepEqual([width, height], [4, 2]);
 * assert.deepEqual([...pixels.subarray(0, 4)], [255, 0, 0, 255]);
 * ```
 */
export async function svgToRgba(svg: string, options: PngOptions = {}): Promise<Rgba> {
  const resvg = await _resvg("Cannot rasterise SVG", svg, options);
  const image = resvg.render();
  // `pixels` copies out of WebAssembly memory on every read: read it once.
  const pixels = image.pixels;
  const out = { width: image.width, height: image.height, pixels };
  image.free();
  resvg.free();
  return out;
}

/**
 * Rasterises an SVG into a PNG file's bytes.
 *
 * @param svg an SVG document, e.g. from {@linkcode histogramPlot}
 * @param options fonts, width, the wasm bytes
 * @returns the PNG bytes
 * @throws {SdenoTypeError} when `svg` is not an SVG document or `fonts` is not a list of bytes
 * @throws {SdenoRangeError} for a bad `width`
 *
 * @example A plot as PNG, twice as wide
 * ```ts
 * import { svgToPng } from "./png.ts";
 * import { linePlot } from "./line_plot.ts";
 * import assert from "node:assert/strict";
 * const png = await svgToPng(linePlot({ y: [1, 4, 9] }), { width: 960 });
 * assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
 * assert.equal(new DataView(png.buffer, png.byteOffset).getUint32(16), 960);
 * ```
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  const resvg = await _resvg("Cannot make PNG", svg, options);
  const image = resvg.render();
  const png = image.asPng();
  image.free();
  resvg.free();
  return png;
}
