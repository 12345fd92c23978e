/**
 * A run's outputs written as one unit: staged in a hidden folder inside the
 * output folder, then renamed into place together, so an interrupted or
 * failed run never leaves its files beside an earlier run's.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { type AtomicData, writeFileAtomic } from "./atomic.ts";
import { fsMessage } from "./_fs_message.ts";
import { type PngOptions, pngsFor, readFonts } from "./svg/png.ts";
import { CliUsageError } from "./cli.ts";

/** Options for {@linkcode writeOutputs}. */
export interface WriteOutputsOptions {
  /**
   * Every file name a run of this kind may write: those of them that this run
   * does not write are removed after the renames (stale outputs of an earlier
   * run). The PNG twin `name.png` of each `name.svg` among them counts too
   * (see `png`), so a run without `png` removes an earlier run's PNGs.
   * Default: none removed.
   */
  outputs?: readonly string[];
  /**
   * Also write a PNG beside each SVG file (`name.svg` with string data →
   * `name.png`, through resvg: see {@linkcode pngFiles}). `true` draws the
   * text with a system font ({@linkcode readFonts}); options give the fonts
   * yourself. Needs `--allow-read` on Deno's npm cache (resvg's `.wasm`) and,
   * with `true`, on the font folder (`/usr/share/fonts` on Linux). Default `false`.
   */
  png?: boolean | PngOptions;
}

/**
 * The names a run may write with PNG output: `names` and, after them, the
 * `.png` twin of each `.svg` among them (for `checkOutDir`'s `outputs`).
 *
 * @param names output file names
 * @returns `names` followed by the PNG twins not already among them
 *
 * @example
 * ```ts
 * import { withPngTwins } from "./write_outputs.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(withPngTwins(["a.svg", "b.npy"]), ["a.svg", "b.npy", "a.png"]);
 * ```
 */
export function withPngTwins(names: readonly string[]): string[] {
  const out = [...names];
  for (const name of names) {
    const twin = name.endsWith(".svg") ? `${name.slice(0, -4)}.png` : undefined;
    if (twin !== undefined && !out.includes(twin)) out.push(twin);
  }
  return out;
}

/**
 * The PNG twins of a run's SVG files, for scripts' `--png`: `[]` when `png`
 * is `false`; with `true`, the text is drawn with the first system font
 * {@linkcode readFonts} finds, and when there is none a warning goes to
 * stderr and the PNGs have no text.
 *
 * Needs `--allow-read` on Deno's npm cache and, with `true`, on the font
 * folder (`/usr/share/fonts` on Linux).
 *
 * @param files `[name, data]` pairs (names may be paths); `.svg` ones with string data are rasterised
 * @param png `false`, `true` (system font) or {@linkcode PngOptions}
 * @returns `[name.png, bytes]` pairs in the order of their SVGs
 * @throws {SdenoTypeError} when `png` is neither a boolean nor an options object
 *
 * @example
 * ```ts
 * import { pngFiles } from "./write_outputs.ts";
 * import assert from "node:assert/strict";
 * const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2"></svg>`;
 * assert.deepEqual(await pngFiles([["a.svg", svg]], false), []);
 * const pngs = await pngFiles([["a.svg", svg], ["b.txt", "x"]], { fonts: [] });
 * assert.deepEqual(pngs.map(([name]) => name), ["a.png"]);
 * assert.deepEqual([...pngs[0]![1].subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
 * ```
 */
export async function pngFiles(
  files: ReadonlyArray<readonly [string, AtomicData]>,
  png: boolean | PngOptions,
): Promise<[string, Uint8Array][]> {
  if (png === false) return [];
  if (png !== true && (typeof png !== "object" || png === null || Array.isArray(png))) {
    throw new SdenoTypeError(
      `pngFiles: png must be a boolean or an options object ({ fonts, width }), got ${quote(png)}`,
    );
  }
  const svgs = files.filter(([name, data]) =>
    name.endsWith(".svg") && typeof data === "string"
  ) as [
    string,
    string,
  ][];
  if (svgs.length === 0) return [];
  const options: PngOptions = png === true ? await systemFontOptions() : png;
  return await pngsFor(svgs, options);
}

/** The system font, read once per process (a missing one is reported once). */
let systemFont: Promise<PngOptions> | undefined;

function systemFontOptions(): Promise<PngOptions> {
  systemFont ??= readFonts().then((font) => {
    if (font) return { fonts: font.fonts };
    console.error("no system font found (readFonts): the PNGs have no text");
    return {};
  });
  // a failed read (e.g. no permission) is not cached: the next call reports it again
  systemFont.catch(() => (systemFont = undefined));
  return systemFont;
}

/**
 * Checks, before a script's work, that its `--png` output can be made:
 * loads resvg's WebAssembly and reads the system font (as `png: true` in
 * {@linkcode writeOutputs} will), so a missing read permission is a usage
 * error now rather than a failure after the run.
 *
 * @param flag the flag asking for PNGs, for the message. Default `"--png"`
 * @returns once resvg is loaded and the font read
 * @throws {CliUsageError} when Deno's npm cache or the font folder may not be read
 *
 * @example
 * ```ts
 * import { checkPng } from "./write_outputs.ts";
 * const granted = (path: string) =>
 *   Deno.permissions.querySync({ name: "read", path }).state === "granted";
 * if (granted("/")) await checkPng(); // resolves: PNGs can be made
 * ```
 */
export async function checkPng(flag = "--png"): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>`;
  try {
    await pngFiles([["check.svg", svg]], true);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new CliUsageError(
        `${flag}: ${err.message}. PNG output reads resvg's .wasm from Deno's npm cache and a ` +
          `system font: run with --allow-read=<npm cache>,/usr/share/fonts (\`deno info\` ` +
          `prints the npm cache folder)`,
        { flag },
      );
    }
    throw err;
  }
}

/** Staging folders of writes in progress, removed on SIGINT. */
const stages = new Set<string>();
let listening = false;

/**
 * SIGINT while outputs are staged: the staging folders (with any temp files
 * of atomic writes inside them) are removed, then the process ends with code
 * 130 as it would have without the listener. Registered before the atomic
 * writes' own listener, so it runs first.
 */
function onSigint(): void {
  for (const stage of stages) {
    try {
      Deno.removeSync(stage, { recursive: true });
    } catch { /* already gone, or not permitted */ }
  }
  stages.clear();
  Deno.exit(130);
}

function track(stage: string): void {
  stages.add(stage);
  if (listening || Deno.build.os === "windows") return;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    listening = true;
  } catch { /* signals not available: the folder is still removed on errors */ }
}

function untrack(stage: string): void {
  stages.delete(stage);
  if (stages.size > 0 || !listening) return;
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
  } catch { /* nothing to remove */ }
  listening = false;
}

/** A plain file name: no separator, not empty, not `.` or `..`. */
function checkName(name: unknown, what: string): void {
  if (
    typeof name !== "string" || name === "" || name === "." || name === ".." ||
    /[\\/]/.test(name)
  ) {
    throw new SdenoRangeError(
      `writeOutputs: ${what} must be a plain file name (no folder separator, not "." or ".."), ` +
        `got ${quote(name)}`,
    );
  }
}

/**
 * Writes a run's outputs into `outDir` as one unit: each file atomically into
 * a hidden staging folder inside `outDir` (`.stage-<random>`), then all
 * renamed into place, then the files of `options.outputs` that this run did
 * not write are removed. A failure (or SIGINT) before the renames, and a
 * folder where an output goes, leave `outDir` as it was, and the staging folder is removed on every exit path.
 * `outDir` is created if missing.
 *
 * Needs `--allow-write` and `--allow-read` on `outDir`.
 *
 * @param outDir the output folder
 * @param files `[name, data]` pairs: plain file names (unique) and their contents
 * @param options `outputs`: every name a run may write, for removing stale ones; `png`: a PNG beside each SVG
 * @returns once every file is in place
 * @throws {SdenoRangeError} a name that is not a plain file name, or repeated (a PNG twin included)
 * @throws {SdenoTypeError} a file-system failure (permission, a folder in the way, …)
 *
 * @example Two outputs replace a run's three
 * ```ts
 * import { writeOutputs } from "./write_outputs.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const outputs = ["a.txt", "b.txt", "c.txt"];
 * await writeOutputs(dir, [["a.txt", "1"], ["b.txt", "1"], ["c.txt", "1"]], { outputs });
 * await writeOutputs(dir, [["a.txt", "2"], ["b.txt", "2"]], { outputs });
 * const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
 * assert.deepEqual(names, ["a.txt", "b.txt"]);
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "2");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeOutputs(
  outDir: string,
  files: ReadonlyArray<readonly [string, AtomicData]>,
  options: WriteOutputsOptions = {},
): Promise<void> {
  if (typeof outDir !== "string" || outDir === "") {
    throw new SdenoTypeError(
      `writeOutputs: outDir must be a non-empty string, got ${quote(outDir)}`,
    );
  }
  if (!Array.isArray(files)) {
    throw new SdenoTypeError(`writeOutputs: files must be an array of [name, data] pairs`);
  }
  const png = options.png ?? false;
  if (typeof png !== "boolean" && (typeof png !== "object" || png === null || Array.isArray(png))) {
    throw new SdenoTypeError(
      `writeOutputs: options.png must be a boolean or an options object ({ fonts, width }), ` +
        `got ${quote(png)}`,
    );
  }
  for (const entry of files) checkName(entry?.[0], "a file's name");
  // PNGs are made before anything is written: a rasterising failure leaves outDir as it was
  files = [...files, ...await pngFiles(files, png)];
  const written = new Set<string>();
  for (const entry of files) {
    checkName(entry?.[0], "a file's name");
    if (written.has(entry[0])) {
      throw new SdenoRangeError(`writeOutputs: file name ${quote(entry[0])} given twice`);
    }
    written.add(entry[0]);
  }
  for (const name of options.outputs ?? []) checkName(name, "each of options.outputs");
  const outputs = withPngTwins(options.outputs ?? []);
  const stage = `${outDir}/.stage-${crypto.randomUUID().slice(0, 8)}`;
  let made = false;
  try {
    await Deno.mkdir(outDir, { recursive: true });
    track(stage);
    await Deno.mkdir(stage);
    made = true;
    for (const [name, data] of files) await writeFileAtomic(`${stage}/${name}`, data);
    // a folder where an output goes would fail its rename half-way: refused before any rename
    for (const [name] of files) {
      const st = await Deno.lstat(`${outDir}/${name}`).catch(() => undefined);
      if (st?.isDirectory) {
        throw new SdenoTypeError(
          `Cannot write the outputs in ${quote(outDir)}: ${name} there is a folder`,
        );
      }
    }
    for (const [name] of files) await Deno.rename(`${stage}/${name}`, `${outDir}/${name}`);
    for (const name of outputs) {
      if (!written.has(name)) await Deno.remove(`${outDir}/${name}`).catch(() => {});
    }
  } catch (err) {
    const why = fsMessage(err);
    if (why === undefined) throw err;
    throw new SdenoTypeError(`Cannot write the outputs in ${quote(outDir)}: ${why}`);
  } finally {
    if (made) await Deno.remove(stage, { recursive: true }).catch(() => {});
    untrack(stage);
  }
}
