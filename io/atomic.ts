/**
 * Atomic file writes: a temp file in the same directory, then a rename, so a
 * reader (or a crash) never sees half a file.
 *
 * @module
 */

import { quote, SdenoTypeError } from "../kernels/errors.ts";

/**
 * What {@linkcode writeFileAtomic} accepts: bytes or text, a (sync or async)
 * iterable of chunks, or a function producing any of these (called once, after
 * the temp file is opened, so its failure is cleaned up like any other).
 */
export type AtomicData =
  | Uint8Array
  | string
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | (() =>
    | Uint8Array
    | string
    | Iterable<Uint8Array | string>
    | AsyncIterable<Uint8Array | string>
    | Promise<Uint8Array | string>);

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** File mode of the new file (POSIX only), e.g. `0o644`. Default: the umask's. */
  mode?: number;
  /** Flush the data to disk (fsync) before the rename. Default `true`. */
  sync?: boolean;
}

/** Converts a path or `file:` URL to a path string. */
function _toPath(path: string | URL): string {
  if (typeof path === "string") return path;
  if (path.protocol !== "file:") {
    throw new SdenoTypeError(
      `Cannot write file: URL must use the file: protocol, got ${quote(path.href)}`,
    );
  }
  const p = decodeURIComponent(path.pathname);
  return Deno.build.os === "windows" ? p.replace(/^\/([A-Za-z]:)/, "$1") : p;
}

/** Splits a path into its directory (with trailing separator, or "") and base name. */
function _split(path: string): [string, string] {
  const sep = Deno.build.os === "windows" ? /[\\/]/ : /\//;
  let i = path.length - 1;
  while (i >= 0 && !sep.test(path[i] as string)) i--;
  return [path.slice(0, i + 1), path.slice(i + 1)];
}

/** Temp files of writes in progress, removed on SIGINT. */
const pending = new Set<string>();
let sigintListening = false;

/**
 * SIGINT during a write: the temp files of every write in progress are
 * removed, then the process ends with code 130 (128 + SIGINT, as a shell
 * reports an interrupted program), as it would have without the listener.
 */
function onSigint(): void {
  for (const temp of pending) {
    try {
      Deno.removeSync(temp);
    } catch { /* already gone, or not permitted */ }
  }
  pending.clear();
  Deno.exit(130);
}

/** Tracks a temp file; the SIGINT listener is installed while any is pending (where allowed). */
function track(temp: string): void {
  pending.add(temp);
  if (sigintListening || Deno.build.os === "windows") return;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    sigintListening = true;
  } catch { /* signals not available here: the temp file is still removed on errors */ }
}

/** Stops tracking a temp file; the listener goes when none is pending. */
function untrack(temp: string): void {
  pending.delete(temp);
  if (pending.size > 0 || !sigintListening) return;
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
  } catch { /* nothing to remove */ }
  sigintListening = false;
}

/** Creates a new, uniquely named temp file beside the target. */
async function _openTemp(
  dir: string,
  base: string,
  mode: number | undefined,
): Promise<[string, Deno.FsFile]> {
  for (let attempt = 0;; attempt++) {
    const tag = crypto.getRandomValues(new Uint32Array(2));
    const temp = `${dir}.${base}.${tag[0]!.toString(36)}${tag[1]!.toString(36)}.tmp`;
    try {
      const file = await Deno.open(temp, {
        write: true,
        createNew: true,
        ...(mode === undefined ? {} : { mode }),
      });
      return [temp, file];
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists) || attempt >= 8) throw err;
    }
  }
}

/**
 * Writes a file atomically: the data goes to a uniquely named temp file in
 * the same directory (`.<name>.<random>.tmp`), which is flushed and then
 * renamed onto `path`. Nothing appears at `path` until the data is complete;
 * an existing file there is replaced only on success. On any failure the temp
 * file is removed and the error rethrown. A SIGINT (Ctrl-C) while a write is
 * in progress removes the temp file and ends the process with code 130, as
 * the interrupt would have (POSIX; a SIGINT listener is held only during
 * writes).
 *
 * Needs `--allow-write` (and `--allow-read` for the rename) on the directory.
 *
 * @param path the destination (string or `file:` URL)
 * @param data the content; see {@linkcode AtomicData}
 * @param options file mode and fsync
 * @returns a promise that resolves once the file is in place
 *
 * @example Write text, then replace it
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "first");
 * await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("second"));
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "second");
 * assert.equal([...Deno.readDirSync(dir)].length, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string | URL,
  data: AtomicData,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const target = _toPath(path);
  const [dir, base] = _split(target);
  if (base === "" || base === "." || base === "..") {
    throw new SdenoTypeError(`Cannot write file: path must name a file, got ${quote(target)}`);
  }
  const encoder = new TextEncoder();
  const [temp, handle] = await _openTemp(dir, base, options.mode);
  track(temp);
  let file: Deno.FsFile | undefined = handle;
  try {
    const writeAll = async (chunk: Uint8Array | string) => {
      let bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      if (!(bytes instanceof Uint8Array)) {
        throw new SdenoTypeError(
          `Cannot write file: chunks must be Uint8Array or string, got ${quote(chunk)}`,
        );
      }
      while (bytes.length > 0) bytes = bytes.subarray(await handle.write(bytes));
    };
    let content = typeof data === "function" ? data() : data;
    if (content instanceof Promise) content = await content;
    if (typeof content === "string" || content instanceof Uint8Array) {
      await writeAll(content);
    } else if (Symbol.asyncIterator in content) {
      for await (const chunk of content) await writeAll(chunk);
    } else if (Symbol.iterator in content) {
      for (const chunk of content) await writeAll(chunk);
    } else {
      throw new SdenoTypeError(
        `Cannot write file: data must be bytes, a string, an iterable or a function, got ${
          quote(content)
        }`,
      );
    }
    if (options.sync ?? true) await handle.sync();
    handle.close();
    file = undefined;
    await Deno.rename(temp, target);
    untrack(temp);
  } catch (err) {
    try {
      file?.close();
    } catch { /* already closed */ }
    try {
      await Deno.remove(temp);
    } catch { /* already gone */ }
    untrack(temp);
    throw err;
  }
}
