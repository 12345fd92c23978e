/**
 * Partial results of sharded runs, and their exact merge.
 *
 * A run of `paths` paths is cut into fixed blocks of `blockSize` paths (the
 * last may be shorter); the block size is part of the run, independent of
 * the shard count. Each block's statistics are computed on their own —
 * moments as count/mean/M2 ({@linkcode PartialMoments}), sums (histogram
 * counts, integer sums: exact in float64) — and a shard owns whole blocks
 * (`io/shard.ts`). A shard writes one self-describing file: the format and
 * its version, the script, the run's full configuration as canonical JSON
 * and its SHA-256, the shard i/N, its blocks, the samples it kept with
 * their global path indices, and what every shard computes alike (`shared`:
 * save times, histogram edges, …).
 *
 * {@linkcode mergePartials} checks that the partials belong together and
 * folds the blocks in block order — moments by Chan, Golub & LeVeque's
 * pairwise update (stats/partial_moments.ts), sums by addition — so 1, 2 or 7
 * shards give the same bits as one unsharded run that folds the same blocks
 * the same way (a script's unsharded run merges its one in-memory partial).
 *
 * File form (JSON): typed arrays are objects `{"$f64": "<base64>"}` of the
 * little-endian float64 bytes, so every bit (−0, NaN) survives the trip.
 *
 * Pure except {@linkcode readPartialFile} (`--allow-read` on the file).
 *
 * @module
 */

import { quote, SdenoParseError, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { mergePartialMoments, type PartialMoments } from "../stats/partial_moments.ts";
import { writeOutputs } from "./write_outputs.ts";
import { type Shard, shardBlocks } from "./shard.ts";

/** The format's name, the first field of every partial file. */
export const PARTIAL_FORMAT = "sdeno-partial";
/** The format's version; a partial of another version is refused. */
export const PARTIAL_VERSION = 1;

/** A JSON value (finite numbers only). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** JSON with float64 arrays: what `shared` may hold. */
export type SharedValue =
  | null
  | boolean
  | number
  | string
  | Float64Array
  | SharedValue[]
  | { [key: string]: SharedValue };

/** One block's statistics. */
export interface PartialBlock {
  /** The block's index in the run, from 0. */
  index: number;
  /** Its paths: `blockSize`, or fewer for the last block. */
  paths: number;
  /** Moments by name, merged by Chan's update. */
  moments: Record<string, PartialMoments>;
  /** Sums by name (counts, integer sums), merged by addition. */
  sums: Record<string, Float64Array>;
}

/** Rows kept per path (sample paths), with the paths' global indices. */
export interface PartialSamples {
  /** Values per row. */
  rowLength: number;
  /** How many rows the whole run keeps. */
  total: number;
  /** The global path index of each row here. */
  indices: number[];
  /** rows × rowLength values. */
  data: Float64Array;
}

/** What identifies a run: two partials merge only when these are equal. */
export interface PartialRun {
  /** The script that wrote it, e.g. `"simulate"`. */
  script: string;
  /** Paths in the whole run. */
  paths: number;
  /** Paths per block. */
  blockSize: number;
  /** Everything else that affects the numbers (canonical JSON). */
  config: JsonValue;
}

/** One shard's partial result. */
export interface PartialResult {
  /** Always {@linkcode PARTIAL_FORMAT}. */
  format: string;
  /** The format version. */
  version: number;
  /** The run. */
  run: PartialRun;
  /** SHA-256 of the run's canonical JSON, hex. */
  runHash: string;
  /** This shard. */
  shard: Shard;
  /** Blocks in the run, ⌈paths / blockSize⌉. */
  blockCount: number;
  /** This shard's blocks, in order. */
  blocks: PartialBlock[];
  /** Kept rows by name. */
  samples: Record<string, PartialSamples>;
  /** What every shard computes alike (checked equal on merge). */
  shared: { [key: string]: SharedValue };
  /** Seconds this shard ran (not part of the run; summed on merge). */
  seconds: number;
}

/** The merge of a complete set of partials (or of one unsharded run). */
export interface MergedPartial {
  /** The run. */
  run: PartialRun;
  /** Its hash. */
  runHash: string;
  /** The shards merged. */
  shards: number;
  /** Moments folded over all blocks in block order. */
  moments: Record<string, PartialMoments>;
  /** Sums added over all blocks in block order. */
  sums: Record<string, Float64Array>;
  /** Kept rows, sorted by global index. */
  samples: Record<string, PartialSamples>;
  /** The shared values. */
  shared: { [key: string]: SharedValue };
  /** Seconds, summed over the shards. */
  seconds: number;
}

/**
 * Canonical JSON: object keys sorted, no whitespace, numbers in their
 * shortest round-trip form. Refuses what JSON cannot carry exactly.
 *
 * @param value the value
 * @returns the text
 * @throws {SdenoTypeError} for NaN, ±Infinity, undefined, functions or
 *   other non-JSON values, naming where
 *
 * @example Key order does not matter
 * ```ts
 * import { canonicalJson } from "./partial.ts";
 * import assert from "node:assert/strict";
 * assert.equal(canonicalJson({ b: [1, 0.1], a: "x" }), '{"a":"x","b":[1,0.1]}');
 * assert.equal(canonicalJson({ b: [1, 0.1], a: "x" }), canonicalJson({ a: "x", b: [1, 0.1] }));
 * assert.throws(() => canonicalJson({ x: NaN }), /config\.x must be a finite number/);
 * ```
 */
export function canonicalJson(value: unknown, path = "config"): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new SdenoTypeError(
        `canonicalJson: ${path} must be a finite number, got ${quote(value)}`,
      );
    }
    return JSON.stringify(Object.is(value, -0) ? 0 : value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(",")}]`;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const o = value as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) =>
        `${JSON.stringify(k)}:${canonicalJson(o[k], `${path}.${k}`)}`
      )
        .join(",")
    }}`;
  }
  throw new SdenoTypeError(
    `canonicalJson: ${path} must be null, a boolean, a number, a string, an array or a plain ` +
      `object, got ${quote(typeof value === "object" ? value?.constructor?.name : typeof value)}`,
  );
}

/**
 * SHA-256 (crypto.subtle) of the run's canonical JSON, as hex.
 *
 * @param run the run
 * @returns 64 hex digits
 *
 * @example Equal runs, equal hashes
 * ```ts
 * import { runHash } from "./partial.ts";
 * import assert from "node:assert/strict";
 * const a = await runHash({ script: "s", paths: 10, blockSize: 4, config: { seed: 1, dt: 0.1 } });
 * const b = await runHash({ script: "s", paths: 10, blockSize: 4, config: { dt: 0.1, seed: 1 } });
 * assert.equal(a, b);
 * assert.match(a, /^[0-9a-f]{64}$/);
 * ```
 */
export function runHash(run: PartialRun): Promise<string> {
  return sha256Hex(canonicalJson(run, "run"));
}

/**
 * SHA-256 (crypto.subtle) of a text's UTF-8 bytes, or of bytes, as hex.
 *
 * @param text the text, or the bytes
 * @returns 64 hex digits
 *
 * @example The standard test vector
 * ```ts
 * import { sha256Hex } from "./partial.ts";
 * import assert from "node:assert/strict";
 * assert.equal(
 *   await sha256Hex("abc"),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export async function sha256Hex(text: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The file name of shard i of N's partial: `partial-<i>-of-<N>.json`.
 *
 * @param shard the shard
 * @returns the name
 *
 * @example
 * ```ts
 * import { partialFileName } from "./partial.ts";
 * import assert from "node:assert/strict";
 * assert.equal(partialFileName({ index: 2, count: 7 }), "partial-2-of-7.json");
 * ```
 */
export function partialFileName(shard: Shard): string {
  return `partial-${shard.index}-of-${shard.count}.json`;
}

/**
 * Blocks in a run: ⌈paths / blockSize⌉.
 *
 * @param paths paths in the run
 * @param blockSize paths per block
 * @returns the number of blocks
 *
 * @example
 * ```ts
 * import { blockCountOf } from "./partial.ts";
 * import assert from "node:assert/strict";
 * assert.equal(blockCountOf(10, 4), 3);
 * ```
 */
export function blockCountOf(paths: number, blockSize: number): number {
  return Math.ceil(paths / blockSize);
}

/**
 * The paths of block `index`: [index·blockSize, min(paths, (index+1)·blockSize)).
 *
 * @param run paths and block size
 * @param index the block
 * @returns its first path and its number of paths
 *
 * @example The last block is shorter
 * ```ts
 * import { blockPaths } from "./partial.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(blockPaths({ paths: 10, blockSize: 4 }, 2), { offset: 8, paths: 2 });
 * ```
 */
export function blockPaths(
  run: { paths: number; blockSize: number },
  index: number,
): { offset: number; paths: number } {
  const offset = index * run.blockSize;
  return { offset, paths: Math.min(run.blockSize, run.paths - offset) };
}

function checkRun(run: PartialRun, where: string): void {
  if (typeof run !== "object" || run === null || typeof run.script !== "string") {
    throw new SdenoTypeError(`${where}: run must be { script, paths, blockSize, config }`);
  }
  for (const k of ["paths", "blockSize"] as const) {
    if (!Number.isSafeInteger(run[k]) || run[k] < 1) {
      throw new SdenoRangeError(
        `${where}: run.${k} must be a whole number ≥ 1, got ${quote(run[k])}`,
      );
    }
  }
}

/**
 * Builds shard `shard`'s partial result: the run is hashed, and `block(b)`
 * is called for each block the shard owns, in order.
 *
 * @param run the run
 * @param shard this shard
 * @param parts `block` computes one block; `samples` and `shared` as in {@linkcode PartialResult}
 * @returns the partial
 *
 * @example Two shards of a run of 5 paths in blocks of 2
 * ```ts
 * import { makePartial, mergePartials } from "./partial.ts";
 * import { partialMoments } from "../stats/partial_moments.ts";
 * import assert from "node:assert/strict";
 * const x = [1, 2, 3, 4, 10];
 * const run = { script: "demo", paths: 5, blockSize: 2, config: {} };
 * const block = (_b: number, offset: number, n: number) => ({
 *   moments: { x: partialMoments(x.slice(offset, offset + n), { columns: 1 }) },
 *   sums: {},
 * });
 * const parts = [0, 1].map((index) => makePartial(run, { index, count: 2 }, { block }));
 * const merged = mergePartials(
 *   await Promise.all(parts).then((ps) => ps.map((partial, i) => ({ name: `p${i}`, partial }))),
 * );
 * assert.equal(merged.moments.x!.count, 5);
 * assert.equal(merged.moments.x!.mean[0], 4);
 * ```
 */
export async function makePartial(
  run: PartialRun,
  shard: Shard,
  parts: {
    block: (
      index: number,
      offset: number,
      paths: number,
    ) =>
      | Omit<PartialBlock, "index" | "paths">
      | Promise<Omit<PartialBlock, "index" | "paths">>;
    samples?: Record<string, PartialSamples>;
    shared?: { [key: string]: SharedValue };
    seconds?: number;
  },
): Promise<PartialResult> {
  checkRun(run, "makePartial");
  const blockCount = blockCountOf(run.paths, run.blockSize);
  const { start, end } = shardBlocks(shard, blockCount);
  const blocks: PartialBlock[] = [];
  for (let b = start; b < end; b++) {
    const { offset, paths } = blockPaths(run, b);
    const r = await parts.block(b, offset, paths);
    blocks.push({ index: b, paths, moments: r.moments, sums: r.sums });
  }
  return {
    format: PARTIAL_FORMAT,
    version: PARTIAL_VERSION,
    run,
    runHash: await runHash(run),
    shard: { index: shard.index, count: shard.count },
    blockCount,
    blocks,
    samples: parts.samples ?? {},
    shared: parts.shared ?? {},
    seconds: parts.seconds ?? 0,
  };
}

// ---- the file form ------------------------------------------------------------

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encodeF64(a: Float64Array): { $f64: string } {
  const view = new DataView(new ArrayBuffer(a.length * 8));
  for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i]!, true);
  return { $f64: toBase64(new Uint8Array(view.buffer)) };
}

function decodeF64(v: unknown, where: string): Float64Array {
  const text = (v as { $f64?: unknown } | null)?.$f64;
  if (typeof text !== "string") {
    throw new SdenoTypeError(`${where} must be a float64 array {"$f64": base64}, got ${quote(v)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text);
  } catch {
    throw new SdenoTypeError(`${where} is not valid base64`);
  }
  if (bytes.length % 8 !== 0) {
    throw new SdenoTypeError(`${where} must hold whole float64 values, got ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

function encodeValue(v: unknown): unknown {
  if (v instanceof Float64Array) return encodeF64(v);
  if (Array.isArray(v)) return v.map(encodeValue);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeValue(x)]));
  }
  return v;
}

function decodeShared(v: unknown, where: string): SharedValue {
  if (Array.isArray(v)) return v.map((x, i) => decodeShared(x, `${where}[${i}]`));
  if (typeof v === "object" && v !== null) {
    if ("$f64" in v) return decodeF64(v, where);
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, decodeShared(x, `${where}.${k}`)]),
    );
  }
  return v as SharedValue;
}

/**
 * The file form of a partial: JSON, float64 arrays as base64 bytes.
 *
 * @param p the partial
 * @returns the text
 *
 * @example A round trip keeps every bit
 * ```ts
 * import { decodePartial, encodePartial, makePartial } from "./partial.ts";
 * import assert from "node:assert/strict";
 * const p = await makePartial({ script: "s", paths: 1, blockSize: 1, config: {} }, {
 *   index: 0, count: 1,
 * }, { block: () => ({ moments: {}, sums: { z: new Float64Array([-0, 0.1]) } }) });
 * const back = await decodePartial(encodePartial(p));
 * assert.ok(Object.is(back.blocks[0]!.sums.z![0], -0));
 * assert.deepEqual(back, p);
 * ```
 */
export function encodePartial(p: PartialResult): string {
  return JSON.stringify({
    format: p.format,
    version: p.version,
    runHash: p.runHash,
    shard: p.shard,
    run: p.run,
    blockCount: p.blockCount,
    seconds: p.seconds,
    shared: encodeValue(p.shared),
    samples: encodeValue(p.samples),
    blocks: encodeValue(p.blocks),
  }) + "\n";
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new SdenoTypeError(`${where} must be an object, got ${quote(v)}`);
  }
  return v as Record<string, unknown>;
}

function whole(v: unknown, where: string, min = 0): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new SdenoTypeError(`${where} must be a whole number ≥ ${min}, got ${quote(v)}`);
  }
  return v;
}

/**
 * Reads a partial from its file form and checks it: the format, the
 * version, the run's hash (recomputed), the shard, its blocks (exactly
 * those the shard owns, with the right path counts) and every array's shape.
 *
 * @param text the file's text
 * @param name the file's name, for errors (default `"partial"`)
 * @returns the partial
 * @throws {SdenoParseError} when the text is not JSON
 * @throws {SdenoRangeError} another format or version, a hash that does not
 *   match the run, blocks that are not the shard's
 * @throws {SdenoTypeError} a missing or malformed field
 *
 * @example Another version is refused
 * ```ts
 * import { decodePartial } from "./partial.ts";
 * import assert from "node:assert/strict";
 * await assert.rejects(
 *   decodePartial('{"format":"sdeno-partial","version":99}', "old.json"),
 *   /old\.json: format version 99, but this sdeno reads version 1/,
 * );
 * ```
 */
export async function decodePartial(text: string, name = "partial"): Promise<PartialResult> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SdenoParseError(
      `${name}: not a partial result (not JSON: ${(err as Error).message})`,
    );
  }
  const o = obj(raw, name);
  if (o.format !== PARTIAL_FORMAT) {
    throw new SdenoRangeError(
      `${name}: not a partial result (format ${quote(o.format)}, expected ${
        quote(PARTIAL_FORMAT)
      })`,
    );
  }
  if (o.version !== PARTIAL_VERSION) {
    throw new SdenoRangeError(
      `${name}: format version ${quote(o.version).replaceAll('"', "")}, but this sdeno reads ` +
        `version ${PARTIAL_VERSION}`,
    );
  }
  const runObj = obj(o.run, `${name}: run`);
  const run: PartialRun = {
    script: typeof runObj.script === "string" ? runObj.script : "",
    paths: whole(runObj.paths, `${name}: run.paths`, 1),
    blockSize: whole(runObj.blockSize, `${name}: run.blockSize`, 1),
    config: runObj.config as JsonValue,
  };
  if (run.script === "") throw new SdenoTypeError(`${name}: run.script must be a name`);
  const hash = await runHash(run);
  if (o.runHash !== hash) {
    throw new SdenoRangeError(
      `${name}: the run's hash ${quote(o.runHash)} does not match its configuration ` +
        `(SHA-256 ${hash}); the file was changed`,
    );
  }
  const sh = obj(o.shard, `${name}: shard`);
  const shard = {
    index: whole(sh.index, `${name}: shard.index`),
    count: whole(sh.count, `${name}: shard.count`, 1),
  };
  if (shard.index >= shard.count) {
    throw new SdenoRangeError(
      `${name}: shard index ${shard.index} must be below the count ${shard.count}`,
    );
  }
  const blockCount = blockCountOf(run.paths, run.blockSize);
  if (o.blockCount !== blockCount) {
    throw new SdenoRangeError(
      `${name}: blockCount ${quote(o.blockCount)} is not ⌈paths / blockSize⌉ = ${blockCount}`,
    );
  }
  const own = shardBlocks(shard, blockCount);
  if (!Array.isArray(o.blocks) || o.blocks.length !== own.end - own.start) {
    throw new SdenoRangeError(
      `${name}: shard ${shard.index}/${shard.count} owns blocks ${own.start} to ${own.end - 1}, ` +
        `got ${Array.isArray(o.blocks) ? o.blocks.length : "no"} blocks`,
    );
  }
  const blocks: PartialBlock[] = o.blocks.map((bv, k) => {
    const where = `${name}: blocks[${k}]`;
    const b = obj(bv, where);
    const index = whole(b.index, `${where}.index`);
    if (index !== own.start + k) {
      throw new SdenoRangeError(`${where}: expected block ${own.start + k}, got ${index}`);
    }
    const paths = whole(b.paths, `${where}.paths`, 1);
    if (paths !== blockPaths(run, index).paths) {
      throw new SdenoRangeError(
        `${where}: block ${index} has ${blockPaths(run, index).paths} paths, got ${paths}`,
      );
    }
    const moments: Record<string, PartialMoments> = {};
    for (const [key, mv] of Object.entries(obj(b.moments, `${where}.moments`))) {
      const m = obj(mv, `${where}.moments.${key}`);
      const p: PartialMoments = {
        count: whole(m.count, `${where}.moments.${key}.count`),
        dim: whole(m.dim, `${where}.moments.${key}.dim`, 1),
        mean: decodeF64(m.mean, `${where}.moments.${key}.mean`),
        m2: decodeF64(m.m2, `${where}.moments.${key}.m2`),
      };
      if (p.mean.length % p.dim !== 0 || p.m2.length !== p.mean.length * p.dim) {
        throw new SdenoTypeError(`${where}.moments.${key}: mean and m2 do not fit dim ${p.dim}`);
      }
      moments[key] = p;
    }
    const sums: Record<string, Float64Array> = {};
    for (const [key, sv] of Object.entries(obj(b.sums, `${where}.sums`))) {
      sums[key] = decodeF64(sv, `${where}.sums.${key}`);
    }
    return { index, paths, moments, sums };
  });
  const samples: Record<string, PartialSamples> = {};
  for (const [key, sv] of Object.entries(obj(o.samples, `${name}: samples`))) {
    const where = `${name}: samples.${key}`;
    const s = obj(sv, where);
    const rowLength = whole(s.rowLength, `${where}.rowLength`, 1);
    const indices = Array.isArray(s.indices)
      ? s.indices.map((i, k) => whole(i, `${where}.indices[${k}]`))
      : [];
    const data = decodeF64(s.data, `${where}.data`);
    if (data.length !== indices.length * rowLength) {
      throw new SdenoTypeError(
        `${where}: ${indices.length} rows of ${rowLength} need ${
          indices.length * rowLength
        } values, got ${data.length}`,
      );
    }
    samples[key] = { rowLength, total: whole(s.total, `${where}.total`), indices, data };
  }
  const shared = decodeShared(obj(o.shared, `${name}: shared`), `${name}: shared`) as {
    [key: string]: SharedValue;
  };
  const seconds = typeof o.seconds === "number" && o.seconds >= 0 ? o.seconds : 0;
  return {
    format: PARTIAL_FORMAT,
    version: PARTIAL_VERSION,
    run,
    runHash: hash,
    shard,
    blockCount,
    blocks,
    samples,
    shared,
    seconds,
  };
}

/**
 * Reads and checks a partial file (see {@linkcode decodePartial}).
 * Needs `--allow-read` on the file.
 *
 * @param path the file
 * @returns the partial
 *
 * @example
 * ```ts
 * import { encodePartial, makePartial, readPartialFile } from "./partial.ts";
 * import assert from "node:assert/strict";
 * const p = await makePartial({ script: "s", paths: 2, blockSize: 1, config: {} }, {
 *   index: 1, count: 2,
 * }, { block: () => ({ moments: {}, sums: {} }) });
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, encodePartial(p));
 * assert.deepEqual((await readPartialFile(file)).shard, { index: 1, count: 2 });
 * await Deno.remove(file);
 * ```
 */
export async function readPartialFile(path: string): Promise<PartialResult> {
  return decodePartial(await Deno.readTextFile(path), path);
}

// ---- the merge ----------------------------------------------------------------

/** The first place two JSON values differ, as `path: a vs b`, else undefined. */
function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (canonicalJsonOrNull(a) === canonicalJsonOrNull(b)) return undefined;
  if (
    typeof a === "object" && a !== null && typeof b === "object" && b !== null &&
    Array.isArray(a) === Array.isArray(b)
  ) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`,
      );
      if (d !== undefined) return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? "absent" : quote(v));
  return `${path}: ${show(a)} vs ${show(b)}`;
}

function canonicalJsonOrNull(v: unknown): string | null {
  try {
    return canonicalJson(v);
  } catch {
    return null;
  }
}

/** A partial and the name to call it by in errors (its file). */
export interface NamedPartial {
  /** Its name, e.g. the file path. */
  name: string;
  /** The partial. */
  partial: PartialResult;
}

/**
 * Merges the partials of every shard of one run, exactly: moments folded by
 * Chan's update and sums added, over all blocks in block order; samples
 * sorted by global index.
 *
 * Refuses (naming the files): partials of different runs (the first
 * differing configuration field is named), different shard counts, a shard
 * given twice, missing shards, samples claimed twice or incomplete, shared
 * values that differ.
 *
 * @param partials the partials with their names, any order
 * @returns the merged statistics
 * @throws {SdenoRangeError} when the partials do not make one complete run
 *
 * @example A missing shard is named
 * ```ts
 * import { makePartial, mergePartials } from "./partial.ts";
 * import assert from "node:assert/strict";
 * const run = { script: "s", paths: 6, blockSize: 2, config: { seed: 1 } };
 * const part = (index: number) =>
 *   makePartial(run, { index, count: 3 }, { block: () => ({ moments: {}, sums: {} }) });
 * const named = [{ name: "a.json", partial: await part(0) }, { name: "c.json", partial: await part(2) }];
 * assert.throws(() => mergePartials(named), /missing shard 1 of 3/);
 * ```
 */
export function mergePartials(partials: readonly NamedPartial[]): MergedPartial {
  const what = "Cannot merge the partial results";
  if (!Array.isArray(partials) || partials.length === 0) {
    throw new SdenoRangeError(`${what}: no partial results given`);
  }
  const first = partials[0]!;
  for (const { name, partial } of partials.slice(1)) {
    if (partial.runHash !== first.partial.runHash) {
      const diff = firstDifference(first.partial.run, partial.run, "run") ?? "the hashes";
      throw new SdenoRangeError(
        `${what}: ${name} is from another run than ${first.name} (${diff}; ` +
          `run SHA-256 ${partial.runHash.slice(0, 12)}… vs ${first.partial.runHash.slice(0, 12)}…)`,
      );
    }
    if (partial.shard.count !== first.partial.shard.count) {
      throw new SdenoRangeError(
        `${what}: ${name} is shard ${partial.shard.index} of ${partial.shard.count}, but ` +
          `${first.name} is shard ${first.partial.shard.index} of ${first.partial.shard.count}: ` +
          `the shard counts differ`,
      );
    }
  }
  const count = first.partial.shard.count;
  const byIndex = new Map<number, string>();
  for (const { name, partial } of partials) {
    const seen = byIndex.get(partial.shard.index);
    if (seen !== undefined) {
      throw new SdenoRangeError(
        `${what}: shard ${partial.shard.index} of ${count} is given twice (${seen} and ${name})`,
      );
    }
    byIndex.set(partial.shard.index, name);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    const list = missing.length > 20
      ? `${missing.slice(0, 20).join(", ")}, … (${missing.length} in all)`
      : missing.join(", ");
    throw new SdenoRangeError(
      `${what}: missing shard${missing.length > 1 ? "s" : ""} ${list} of ${count}`,
    );
  }
  const sorted = [...partials].sort((a, b) => a.partial.shard.index - b.partial.shard.index);
  const sharedText = canonicalJson(encodeValue(first.partial.shared), "shared");
  for (const { name, partial } of sorted) {
    if (canonicalJson(encodeValue(partial.shared), "shared") !== sharedText) {
      const diff = firstDifference(
        encodeValue(first.partial.shared),
        encodeValue(partial.shared),
        "shared",
      );
      throw new SdenoRangeError(
        `${what}: ${name} computed other shared values than ${first.name} (${diff})`,
      );
    }
  }
  // fold every block in block order: the same operations as an unsharded run
  const moments: Record<string, PartialMoments> = {};
  const sums: Record<string, Float64Array> = {};
  let b = 0;
  for (const { name, partial } of sorted) {
    for (const block of partial.blocks) {
      if (block.index !== b) {
        throw new SdenoRangeError(`${what}: ${name}: expected block ${b}, got ${block.index}`);
      }
      b++;
      for (const key of Object.keys(block.moments)) {
        const m: PartialMoments = block.moments[key]!;
        const acc = moments[key];
        moments[key] = acc === undefined
          ? {
            count: m.count,
            dim: m.dim,
            mean: Float64Array.from(m.mean),
            m2: Float64Array.from(m.m2),
          }
          : mergePartialMoments(acc, m);
      }
      for (const key of Object.keys(block.sums)) {
        const s: Float64Array = block.sums[key]!;
        const acc = sums[key] ?? (sums[key] = new Float64Array(s.length));
        if (acc.length !== s.length) {
          throw new SdenoRangeError(
            `${what}: ${name}: block ${block.index} has ${s.length} values of ${key}, expected ${acc.length}`,
          );
        }
        for (let i = 0; i < s.length; i++) acc[i]! += s[i]!;
      }
    }
  }
  if (b !== first.partial.blockCount) {
    throw new SdenoRangeError(`${what}: ${b} blocks merged, expected ${first.partial.blockCount}`);
  }
  const samples: Record<string, PartialSamples> = {};
  const names = new Set(sorted.flatMap((p) => Object.keys(p.partial.samples)));
  for (const key of names) {
    const rows: Array<{ index: number; data: Float64Array; from: string }> = [];
    let rowLength = 0, total = 0;
    for (const { name, partial } of sorted) {
      const s: PartialSamples | undefined = partial.samples[key];
      if (s === undefined) continue;
      rowLength = s.rowLength;
      total = s.total;
      s.indices.forEach((index: number, k: number) =>
        rows.push({
          index,
          data: s.data.subarray(k * s.rowLength, (k + 1) * s.rowLength),
          from: name,
        })
      );
    }
    rows.sort((x, y) => x.index - y.index);
    for (let k = 1; k < rows.length; k++) {
      if (rows[k]!.index === rows[k - 1]!.index) {
        throw new SdenoRangeError(
          `${what}: sample row ${rows[k]!.index} of ${key} is in both ${rows[k - 1]!.from} and ${
            rows[k]!.from
          }`,
        );
      }
    }
    if (rows.length !== total) {
      throw new SdenoRangeError(`${what}: ${rows.length} sample rows of ${key}, expected ${total}`);
    }
    const data = new Float64Array(rows.length * rowLength);
    rows.forEach((r, k) => data.set(r.data, k * rowLength));
    samples[key] = { rowLength, total, indices: rows.map((r) => r.index), data };
  }
  return {
    run: first.partial.run,
    runHash: first.partial.runHash,
    shards: count,
    moments,
    sums,
    samples,
    shared: first.partial.shared,
    seconds: sorted.reduce((s, p) => s + p.partial.seconds, 0),
  };
}

/**
 * Writes a shard's partial result into `outDir` as `partial-<i>-of-<N>.json`
 * (through {@linkcode writeOutputs}) and returns the two lines a script
 * prints about it: which blocks it ran, and where the file went.
 *
 * @param outDir the output folder
 * @param partial the shard's partial result
 * @param describe the script's label, the name of a block's items and the block size
 * @returns the lines to print
 *
 * @example
 * ```ts
 * import { makePartial, writeShardPartial } from "./partial.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const run = { script: "demo", paths: 4, blockSize: 2, config: {} };
 * const partial = await makePartial(run, { index: 0, count: 1 }, {
 *   block: () => ({ moments: {}, sums: {} }),
 * });
 * const lines = await writeShardPartial(dir, partial, { what: "demo", unit: "paths", blockSize: 2 });
 * assert.match(lines[0], /^demo: shard 0\/1, blocks 0 to 1 of 2 \(2 paths each\)/);
 * assert.ok((await Deno.stat(`${dir}/partial-0-of-1.json`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeShardPartial(
  outDir: string,
  partial: PartialResult,
  describe: { what: string; unit: string; blockSize: number },
): Promise<[string, string]> {
  const file = partialFileName(partial.shard);
  await writeOutputs(outDir, [[file, encodePartial(partial)]]);
  const { shard, blocks, blockCount, seconds } = partial;
  const ran = blocks.length > 0
    ? `blocks ${blocks[0]!.index} to ${blocks.at(-1)!.index}`
    : "no blocks";
  return [
    `${describe.what}: shard ${shard.index}/${shard.count}, ${ran} of ${blockCount} (${describe.blockSize} ${describe.unit} each) in ${
      seconds.toFixed(3)
    } s`,
    `wrote ${outDir}/${file}; merge the shards with scripts/merge.ts`,
  ];
}
