/**
 * Reading and writing `.npy` files (the file-system side of `npy.ts`).
 *
 * @module
 */

import { type DecodedNpy, decodeNpy, encodeNpy, type NpyArray } from "./npy.ts";
import { writeFileAtomic } from "./atomic.ts";
import { quote } from "../kernels/errors.ts";

/**
 * Reads a `.npy` file. Needs `--allow-read` for the path.
 *
 * @param path the file (string or `file:` URL)
 * @returns the data, shape and dtype, as {@linkcode decodeNpy} gives them
 * @throws {SdenoParseError} when the file is not a valid `.npy`; the message
 *   names the path
 *
 * @example Write, then read back
 * ```ts
 * import { readNpy, writeNpy } from "./npy_file.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeNpy(`${dir}/x.npy`, { data: new Float32Array([0.5, 1.5]), shape: [2, 1] });
 * const { data, shape, dtype } = await readNpy(`${dir}/x.npy`);
 * assert.deepEqual([...data], [0.5, 1.5]);
 * assert.deepEqual(shape, [2, 1]);
 * assert.equal(dtype, "<f4");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readNpy(path: string | URL): Promise<DecodedNpy> {
  const bytes = await Deno.readFile(path);
  try {
    return decodeNpy(bytes);
  } catch (err) {
    if (err instanceof Error) {
      err.message = err.message.replace(
        /^Cannot read \.npy:/,
        `Cannot read .npy ${quote(String(path))}:`,
      );
    }
    throw err;
  }
}

/**
 * Writes an array as a `.npy` file, atomically (temp file, then rename), so
 * an interrupted run never leaves half a file. Needs `--allow-write` (and
 * `--allow-read`) for the directory.
 *
 * @param path the destination (string or `file:` URL)
 * @param array the data and shape, as for {@linkcode encodeNpy}
 * @returns a promise that resolves once the file is in place
 *
 * @example Save samples for numpy
 * ```ts
 * import { writeNpy } from "./npy_file.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeNpy(`${dir}/samples.npy`, { data: new Float64Array(8), shape: [4, 2] });
 * assert.equal((await Deno.stat(`${dir}/samples.npy`)).size, 128 + 64);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeNpy(path: string | URL, array: NpyArray): Promise<void> {
  const bytes = encodeNpy(array);
  await writeFileAtomic(path, bytes);
}
