/**
 * The checks of a script's output folder and input files, before any work:
 * a problem is a {@linkcode CliUsageError} (exit 2 with the usage, one line,
 * no stack) naming the flag and the path.
 *
 * @module
 */

import { CliUsageError } from "./cli.ts";
import { fsMessage } from "./_fs_message.ts";

/** Options for {@linkcode checkOutDir}. */
export interface CheckOutDirOptions {
  /** The flag that named the folder. Default `"--out"`. */
  flag?: string;
  /** File names the run will write there; a folder at any of them is refused. */
  outputs?: readonly string[];
}

/**
 * Checks an output folder before any work: read and write permission for it,
 * a folder (or nothing yet) at the path, and no folder where an output file
 * goes. Needs no permission itself beyond what it checks (a `stat` of the
 * path and the outputs, where read access is granted).
 *
 * @param outDir the folder
 * @param options the flag's name and the outputs
 * @returns a promise that resolves when the folder is usable
 * @throws {CliUsageError} naming the flag, the path and what is wrong
 *
 * @example A file where the folder should be
 * ```ts
 * import { checkOutDir } from "./check_out_dir.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/f`, "");
 * await assert.rejects(() => checkOutDir(`${dir}/f`), {
 *   name: "CliUsageError",
 *   message: /^--out ".*f" is a file; it must be a folder/,
 * });
 * await checkOutDir(`${dir}/new`, { outputs: ["a.npy"] }); // nothing there yet: fine
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkOutDir(outDir: string, options: CheckOutDirOptions = {}): Promise<void> {
  const flag = options.flag ?? "--out";
  const name = `${flag} ${JSON.stringify(outDir)}`;
  for (const access of ["write", "read"] as const) {
    if (Deno.permissions.querySync({ name: access, path: outDir }).state !== "granted") {
      throw new CliUsageError(
        `${name}: no ${access} permission for it (run with --allow-write=${outDir} ` +
          `--allow-read=${outDir})`,
        { flag },
      );
    }
  }
  const kind = async (path: string) => {
    try {
      return (await Deno.stat(path)).isDirectory ? "folder" : "file";
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "none";
      const why = fsMessage(err);
      if (why === undefined) throw err;
      throw new CliUsageError(`${name}: ${why}`, { flag });
    }
  };
  const k = await kind(outDir);
  if (k === "file") {
    throw new CliUsageError(`${name} is a file; it must be a folder (or not exist yet)`, { flag });
  }
  if (k === "none") return;
  for (const file of options.outputs ?? []) {
    if ((await kind(`${outDir}/${file}`)) === "folder") {
      throw new CliUsageError(
        `${name}: ${file} there is a folder; it must be a file (or not exist)`,
        {
          flag,
        },
      );
    }
  }
}

/**
 * Checks an input file before any work: read permission, that it exists, and
 * that it is a file (not a folder).
 *
 * @param flag the flag that named it, e.g. `"--module"`
 * @param path the file
 * @returns a promise that resolves when the file can be read
 * @throws {CliUsageError} naming the flag, the path and what is wrong
 *
 * @example A missing file
 * ```ts
 * import { checkInputFile } from "./check_out_dir.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await assert.rejects(() => checkInputFile("--model", `${dir}/missing.json`), {
 *   name: "CliUsageError",
 *   message: /^--model ".*missing.json": cannot read it: no such file or folder$/,
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkInputFile(flag: string, path: string): Promise<void> {
  const fail = (why: string) =>
    new CliUsageError(`${flag} ${JSON.stringify(path)}: cannot read it: ${why}`, { flag });
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw fail(`no read permission for it (run with --allow-read=${path})`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    const why = fsMessage(err);
    if (why === undefined) throw err;
    throw fail(why);
  }
  if (info.isDirectory) throw fail("is a folder, not a file");
}
