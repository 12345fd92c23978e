/**
 * Encoding and decoding of numpy's `.npy` format, as bytes (no file access).
 *
 * The format: the magic `\x93NUMPY`, a version (major, minor), the header
 * length (2 bytes little-endian in version 1.0, 4 bytes in 2.0 and 3.0), then
 * a Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }` padded with
 * spaces and a newline so the data starts at a multiple of 64 bytes, then the
 * raw data. See numpy's `numpy/lib/format.py` (NEP 1).
 *
 * @module
 */

import { quote, SdenoParseError, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** The `.npy` dtypes sdeno reads and writes, as numpy spells them (little-endian). */
export type NpyDtype = "<f4" | "<f8" | "<i4" | "<i8" | "|u1";

/** A typed array that maps to one {@linkcode NpyDtype}. */
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** An array with its shape, C (row-major) order, as stored in a `.npy` file. */
export interface NpyArray<T extends NpyData = NpyData> {
  /** The elements, C order, length = product of `shape`. */
  data: T;
  /** The dimensions; `[]` for a 0-d (scalar) array. */
  shape: readonly number[];
}

/** What {@linkcode decodeNpy} returns: the array, its shape and numpy's dtype. */
export interface DecodedNpy extends NpyArray {
  /** The dtype of the data as returned (always little-endian, native to JS). */
  dtype: NpyDtype;
}

interface DtypeInfo {
  kind: "f" | "i" | "u";
  size: number;
  make: (buffer: ArrayBuffer) => NpyData;
  get: (view: DataView, offset: number, little: boolean) => number | bigint;
}

const DTYPES: Record<string, DtypeInfo> = {
  f4: {
    kind: "f",
    size: 4,
    make: (b) => new Float32Array(b),
    get: (v, o, le) => v.getFloat32(o, le),
  },
  f8: {
    kind: "f",
    size: 8,
    make: (b) => new Float64Array(b),
    get: (v, o, le) => v.getFloat64(o, le),
  },
  i4: {
    kind: "i",
    size: 4,
    make: (b) => new Int32Array(b),
    get: (v, o, le) => v.getInt32(o, le),
  },
  i8: {
    kind: "i",
    size: 8,
    make: (b) => new BigInt64Array(b),
    get: (v, o, le) => v.getBigInt64(o, le),
  },
  u1: {
    kind: "u",
    size: 1,
    make: (b) => new Uint8Array(b),
    get: (v, o) => v.getUint8(o),
  },
};

const SUPPORTED = '"<f4", "<f8", "<i4", "<i8", "|u1"';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
// numpy leaves room for the first axis to grow to 21 digits (GROWTH_AXIS_MAX_DIGITS).
const GROWTH_DIGITS = 21;

function _dtypeOf(data: unknown): NpyDtype {
  if (data instanceof Float64Array) return "<f8";
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Int32Array) return "<i4";
  if (data instanceof BigInt64Array) return "<i8";
  if (data instanceof Uint8Array) return "|u1";
  const name = typeof data === "object" && data !== null ? data.constructor.name : typeof data;
  throw new SdenoTypeError(
    `Cannot encode .npy: data must be a Float64Array, Float32Array, Int32Array, BigInt64Array or Uint8Array, got ${
      quote(name)
    }`,
  );
}

function _shapeRepr(shape: readonly number[]): string {
  if (shape.length === 0) return "()";
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/**
 * Encodes an array as the bytes of a `.npy` file, exactly as `np.save` would
 * write it (format 1.0, C order, little-endian, data aligned to 64 bytes;
 * format 2.0 only when the header does not fit in 65535 bytes).
 *
 * The dtype follows the typed array: Float64Array → `<f8`, Float32Array →
 * `<f4`, Int32Array → `<i4`, BigInt64Array → `<i8`, Uint8Array → `|u1`.
 *
 * @param array the data and its shape; the product of `shape` must equal `data.length`
 * @returns the file's bytes
 * @throws {SdenoTypeError} when the data is not a supported typed array or
 *   the shape does not match its length
 * @throws {SdenoRangeError} when a dimension is not a non-negative integer
 *
 * @example Encode a 2 × 3 matrix
 * ```ts
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodeNpy({ data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
 * assert.equal(bytes.length, 128 + 6 * 8);
 * assert.deepEqual(decodeNpy(bytes).shape, [2, 3]);
 * ```
 */
export function encodeNpy(array: NpyArray): Uint8Array {
  const { data, shape } = array;
  const dtype = _dtypeOf(data);
  if (!Array.isArray(shape)) {
    throw new SdenoTypeError(`Cannot encode .npy: shape must be an array, got ${quote(shape)}`);
  }
  let size = 1;
  for (const [i, n] of shape.entries()) {
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
      throw new SdenoRangeError(
        `Cannot encode .npy: shape[${i}] must be a non-negative integer, got ${quote(n)}`,
      );
    }
    size *= n;
  }
  if (size !== data.length) {
    throw new SdenoTypeError(
      `Cannot encode .npy: shape ${
        quote(_shapeRepr(shape))
      } holds ${size} elements but data has ${data.length}`,
    );
  }
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${_shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(Math.max(0, GROWTH_DIGITS - String(shape[0]).length));
  const header = new TextEncoder().encode(dict);
  let major = 1;
  let prefix = 10;
  let padded = _paddedLength(prefix, header.length);
  if (padded > 0xffff) {
    major = 2;
    prefix = 12;
    padded = _paddedLength(prefix, header.length);
  }
  const out = new Uint8Array(prefix + padded + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  out.set(header, prefix);
  out.fill(0x20, prefix + header.length, prefix + padded - 1);
  out[prefix + padded - 1] = 0x0a;
  // Typed arrays are little-endian on every platform Deno supports.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), prefix + padded);
  return out;
}

/** Length of header + spaces + newline so that prefix + it is a multiple of 64 (as numpy). */
function _paddedLength(prefix: number, headerLength: number): number {
  const hlen = headerLength + 1;
  return hlen + ALIGN - ((prefix + hlen) % ALIGN);
}

/**
 * Decodes the bytes of a `.npy` file (format 1.0, 2.0 or 3.0).
 *
 * Reads dtypes `<f4`, `<f8`, `<i4`, `<i8` and `|u1`; big-endian files
 * (`>f8`, …) are byte-swapped, and a dtype without a byte-order mark is read
 * as little-endian. The returned data is a fresh copy, aligned, and its
 * `dtype` names the returned (little-endian) layout.
 *
 * @param bytes the whole file
 * @returns the data, shape and dtype
 * @throws {SdenoParseError} when the magic, the header or the data length is
 *   wrong (`column` points into the header dict)
 * @throws {SdenoRangeError} for a well-formed file sdeno does not read:
 *   `fortran_order: True`, or another dtype
 *
 * @example Round trip
 * ```ts
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodeNpy({ data: new Int32Array([7, 8, 9]), shape: [3] });
 * const { data, shape, dtype } = decodeNpy(bytes);
 * assert.deepEqual([...data], [7, 8, 9]);
 * assert.deepEqual(shape, [3]);
 * assert.equal(dtype, "<i4");
 * ```
 */
export function decodeNpy(bytes: Uint8Array): DecodedNpy {
  if (!(bytes instanceof Uint8Array)) {
    throw new SdenoTypeError(`Cannot read .npy: bytes must be a Uint8Array, got ${quote(bytes)}`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const got = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0"))
        .join(" ");
      throw new SdenoParseError(
        `Cannot read .npy: bad magic, expected "93 4e 55 4d 50 59" (\\x93NUMPY), got ${quote(got)}`,
      );
    }
  }
  if (bytes.length < 10) {
    throw new SdenoParseError(
      `Cannot read .npy: file ends inside the preamble, got ${quote(bytes.length)} bytes`,
    );
  }
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  if (minor !== 0 || major < 1 || major > 3) {
    throw new SdenoParseError(
      `Cannot read .npy: format version must be 1.0, 2.0 or 3.0, got ${quote(`${major}.${minor}`)}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prefix = 10;
  let headerLength: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
  } else {
    if (bytes.length < 12) {
      throw new SdenoParseError(
        `Cannot read .npy: file ends inside the preamble, got ${quote(bytes.length)} bytes`,
      );
    }
    headerLength = view.getUint32(8, true);
    prefix = 12;
  }
  const start = prefix + headerLength;
  if (start > bytes.length) {
    throw new SdenoParseError(
      `Cannot read .npy: header is truncated, it claims ${headerLength} bytes but only ${
        bytes.length - prefix
      } follow the preamble`,
    );
  }
  const headerBytes = bytes.subarray(prefix, start);
  const text = major === 3
    ? new TextDecoder("utf-8", { fatal: true }).decode(headerBytes)
    : new TextDecoder("latin1").decode(headerBytes);
  const header = _parseHeader(text);

  const descr = header.descr;
  const match = /^([<>|=]?)([fiu])(\d+)$/.exec(descr);
  const info = match ? DTYPES[`${match[2]}${match[3]}`] : undefined;
  if (match === null || info === undefined) {
    throw new SdenoRangeError(
      `Cannot read .npy: dtype must be one of ${SUPPORTED}, got ${quote(descr)}`,
    );
  }
  if (header.fortranOrder) {
    throw new SdenoRangeError(
      `Cannot read .npy: fortran_order is True, only C order is supported (re-save with np.ascontiguousarray), got ${
        quote(text.trim())
      }`,
    );
  }
  const size = header.shape.reduce((a, b) => a * b, 1);
  const available = bytes.length - start;
  if (available !== size * info.size) {
    throw new SdenoParseError(
      `Cannot read .npy: shape ${quote(_shapeRepr(header.shape))} of ${quote(descr)} needs ${
        size * info.size
      } data bytes, got ${available}`,
    );
  }
  const bigEndian = match[1] === ">" && info.size > 1;
  let data: NpyData;
  if (!bigEndian) {
    data = info.make(bytes.slice(start).buffer);
  } else {
    data = info.make(new ArrayBuffer(size * info.size));
    const src = new DataView(bytes.buffer, bytes.byteOffset + start, size * info.size);
    const dst = data as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < size; i++) dst[i] = info.get(src, i * info.size, false);
  }
  const dtype = (info.size === 1 ? `|${info.kind}1` : `<${info.kind}${info.size}`) as NpyDtype;
  return { data, shape: header.shape, dtype };
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

type PyValue = string | boolean | number[];

/**
 * Parses the header dict numpy writes: string keys mapping to a string, a
 * boolean or a tuple of integers. Anything else (expressions, nested dicts,
 * lists) is rejected, so this is a parser, not an evaluator.
 */
function _parseHeader(text: string): Header {
  let pos = 0;
  const fail = (why: string): never => {
    throw new SdenoParseError(
      `Cannot read .npy: header is not the dict literal numpy writes, ${why} at column ${
        pos + 1
      }, got ${quote(text.trimEnd())}`,
      { line: 1, column: pos + 1 },
    );
  };
  const skip = () => {
    while (pos < text.length && " \t\r\n".includes(text[pos] as string)) pos++;
  };
  const expect = (c: string) => {
    skip();
    if (text[pos] !== c) fail(`expected "${c}"`);
    pos++;
  };
  const str = (): string => {
    skip();
    const q = text[pos];
    if (q !== "'" && q !== '"') return fail("expected a quoted string");
    const end = text.indexOf(q, pos + 1);
    if (end < 0) return fail("unterminated string");
    const s = text.slice(pos + 1, end);
    if (s.includes("\\")) return fail("escapes in strings are not supported");
    pos = end + 1;
    return s;
  };
  const int = (): number => {
    skip();
    const m = /^\d+L?/.exec(text.slice(pos));
    if (m === null) return fail("expected a non-negative integer");
    const n = Number(m[0].replace("L", ""));
    if (!Number.isSafeInteger(n)) return fail("integer is too large");
    pos += m[0].length;
    return n;
  };
  const value = (): PyValue => {
    skip();
    const c = text[pos];
    if (c === "'" || c === '"') return str();
    if (text.startsWith("True", pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith("False", pos)) {
      pos += 5;
      return false;
    }
    if (c === "(") {
      pos++;
      const items: number[] = [];
      skip();
      if (text[pos] === ")") {
        pos++;
        return items;
      }
      for (;;) {
        items.push(int());
        skip();
        if (text[pos] === ")") {
          pos++;
          // (3) is the integer 3, not a tuple; numpy always writes (3,)
          if (items.length === 1) return fail("a 1-tuple needs a trailing comma");
          return items;
        }
        expect(",");
        skip();
        if (text[pos] === ")") {
          pos++;
          return items;
        }
      }
    }
    return fail("expected a string, True, False or a tuple of integers");
  };

  const entries = new Map<string, PyValue>();
  expect("{");
  for (;;) {
    skip();
    if (text[pos] === "}") {
      pos++;
      break;
    }
    const keyAt = pos;
    const key = str();
    if (entries.has(key)) {
      pos = keyAt;
      fail(`duplicate key ${quote(key)}`);
    }
    expect(":");
    entries.set(key, value());
    skip();
    if (text[pos] === "}") {
      pos++;
      break;
    }
    expect(",");
  }
  skip();
  if (pos !== text.length) fail("unexpected text after the dict");

  const got = quote(text.trimEnd());
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!entries.has(key)) {
      throw new SdenoParseError(`Cannot read .npy: header dict lacks "${key}", got ${got}`);
    }
  }
  for (const key of entries.keys()) {
    if (key !== "descr" && key !== "fortran_order" && key !== "shape") {
      throw new SdenoParseError(
        `Cannot read .npy: header dict has unexpected key ${quote(key)}, got ${got}`,
      );
    }
  }
  const descr = entries.get("descr");
  const fortranOrder = entries.get("fortran_order");
  const shape = entries.get("shape");
  if (typeof descr !== "string") {
    throw new SdenoParseError(
      `Cannot read .npy: "descr" must be a dtype string (structured dtypes are not supported), got ${got}`,
    );
  }
  if (typeof fortranOrder !== "boolean") {
    throw new SdenoParseError(
      `Cannot read .npy: "fortran_order" must be True or False, got ${got}`,
    );
  }
  if (!Array.isArray(shape)) {
    throw new SdenoParseError(`Cannot read .npy: "shape" must be a tuple of integers, got ${got}`);
  }
  return { descr, fortranOrder, shape };
}
