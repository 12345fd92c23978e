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

/**
 * Where common systems keep a sans-serif TrueType font (Debian/Ubuntu, Fedora,
 * Arch, macOS, Windows), in the order {@linkcode readFonts} tries them.
 */
export const SYSTEM_FONT_PATHS: readonly string[] = Object.freeze([
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
]);

/**
 * Reads the first font file that exists among `paths` (and its bold face,
 * `…-Bold.ttf`, when it lies beside), for the `fonts` of {@linkcode svgToPng}.
 * Needs `--allow-read` on the paths tried.
 *
 * @param paths font files to try, in order. Default {@linkcode SYSTEM_FONT_PATHS}
 * @returns the font's bytes and its path, or `undefined` when none exists
 *
 * @example
 * ```ts
 * import { readFonts } from "./png.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await readFonts(["/no/such/font.ttf"]), undefined);
 * ```
 */
export async function readFonts(
  paths: readonly string[] = SYSTEM_FONT_PATHS,
): Promise<{ path: string; fonts: Uint8Array[] } | undefined> {
  const read = async (path: string) => {
    try {
      return await Deno.readFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  };
  for (const path of paths) {
    const regular = await read(path);
    if (regular === undefined) continue;
    // Titles are bold: take the family's bold face too when it lies beside (resvg does not embolden).
    const bold = await read(path.replace(/(-Regular)?\.ttf$/i, "-Bold.ttf"));
    return { path, fonts: bold ? [regular, bold] : [regular] };
  }
  return undefined;
}

/**
 * A PNG beside every SVG among a run's output files: for each `[name.svg,
 * svg]` pair, a `[name.png, png]` pair, ready for `writeOutputs`.
 *
 * @param files `[name, data]` pairs; the `.svg` ones with string data are rasterised
 * @param options fonts (see {@linkcode readFonts}), width
 * @returns the PNG pairs, in the order of their SVGs
 *
 * @example
 * ```ts
 * import { pngsFor } from "./png.ts";
 * import { scatterPlot } from "./scatter_plot.ts";
 * import assert from "node:assert/strict";
 * const files: [string, string | Uint8Array][] = [
 *   ["a.svg", scatterPlot({ x: [1, 2], y: [2, 1] })],
 *   ["a.npy", new Uint8Array(0)],
 * ];
 * const pngs = await pngsFor(files);
 * assert.deepEqual(pngs.map(([name]) => name), ["a.png"]);
 * ```
 */
export async function pngsFor(
  files: ReadonlyArray<readonly [string, string | Uint8Array]>,
  options: PngOptions = {},
): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  for (const [name, data] of files) {
    if (name.endsWith(".svg") && typeof data === "string") {
      out.push([`${name.slice(0, -4)}.png`, await svgToPng(data, options)]);
    }
  }
  return out;
}
