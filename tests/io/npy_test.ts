import assert from "node:assert/strict";
import { decodeNpy, encodeNpy } from "../../io/npy.ts";
import { SdenoParseError, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

const FIXTURES = new URL("../fixtures/npy/", import.meta.url);
const fixture = (name: string) => Deno.readFileSync(new URL(name, FIXTURES));

/** Builds a .npy file by hand: any version, header text and data bytes. */
function handMade(header: string, data: Uint8Array, major = 1): Uint8Array {
  const text = new TextEncoder().encode(header);
  const prefix = major === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, prefix);
  out.set(data, prefix + text.length);
  return out;
}

const f8bytes = (values: number[]) => new Uint8Array(new Float64Array(values).buffer);

Deno.test("decodeNpy() reads numpy's <f4 fixture", () => {
  const { data, shape, dtype } = decodeNpy(fixture("f4.npy"));
  assert.ok(data instanceof Float32Array);
  assert.equal(dtype, "<f4");
  assert.deepEqual(shape, [4]);
  assert.deepEqual([...data], [1.5, -2.25, Math.fround(3e-3), Math.fround(1e30)]);
});

Deno.test("decodeNpy() reads numpy's <f8 fixture in C order", () => {
  const { data, shape, dtype } = decodeNpy(fixture("f8.npy"));
  assert.ok(data instanceof Float64Array);
  assert.equal(dtype, "<f8");
  assert.deepEqual(shape, [2, 3]);
  assert.deepEqual([...data], [-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
});

Deno.test("decodeNpy() reads numpy's <i4 fixture including the extremes", () => {
  const { data, shape } = decodeNpy(fixture("i4.npy"));
  assert.ok(data instanceof Int32Array);
  assert.deepEqual(shape, [2, 3]);
  assert.deepEqual([...data], [-2147483648, -1, 0, 1, 42, 2147483647]);
});

Deno.test("decodeNpy() reads a 0-d array with shape []", () => {
  const { data, shape } = decodeNpy(fixture("scalar_f8.npy"));
  assert.deepEqual(shape, []);
  assert.deepEqual([...data], [Math.PI]);
});

Deno.test("decodeNpy() reads a 3-d array in C order", () => {
  const { data, shape } = decodeNpy(fixture("cube_f8.npy"));
  assert.deepEqual(shape, [2, 3, 4]);
  assert.equal(data.length, 24);
  // element [1, 2, 3] sits at 1·12 + 2·4 + 3 = 23
  assert.equal(data[23], 23);
  assert.equal(data[1 * 12 + 0 * 4 + 2], 14);
});

Deno.test("decodeNpy() byte-swaps a big-endian >f8 file", () => {
  const { data, dtype } = decodeNpy(fixture("big_endian_f8.npy"));
  assert.equal(dtype, "<f8");
  assert.deepEqual([...data], [1, -0.5, 2]);
});

Deno.test("decodeNpy() reads <i8 into a BigInt64Array", () => {
  const { data, dtype } = decodeNpy(fixture("i8.npy"));
  assert.ok(data instanceof BigInt64Array);
  assert.equal(dtype, "<i8");
  assert.deepEqual([...data], [-3n, 0n, 2n ** 40n]);
});

Deno.test("decodeNpy() rejects fortran_order: True clearly", () => {
  assert.throws(
    () => decodeNpy(fixture("fortran_f8.npy")),
    (err) => err instanceof SdenoRangeError && /fortran_order is True/.test(err.message),
  );
});

Deno.test("encodeNpy() writes the same bytes as np.save", () => {
  for (const name of ["f4.npy", "f8.npy", "i4.npy", "scalar_f8.npy", "cube_f8.npy", "i8.npy"]) {
    const bytes = fixture(name);
    const { data, shape } = decodeNpy(bytes);
    assert.deepEqual(encodeNpy({ data, shape }), bytes, name);
  }
});

Deno.test("encodeNpy() aligns the data to 64 bytes for any rank", () => {
  for (let rank = 0; rank < 12; rank++) {
    const shape = Array.from({ length: rank }, (_, i) => (i % 3) + 1);
    const size = shape.reduce((a, b) => a * b, 1);
    const bytes = encodeNpy({ data: new Float64Array(size), shape });
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLength) % 64, 0, `rank ${rank}`);
    assert.equal(bytes[10 + headerLength - 1], 0x0a);
    assert.equal(bytes.length, 10 + headerLength + 8 * size);
  }
});

Deno.test("encodeNpy() switches to version 2.0 only for a header over 65535 bytes", () => {
  assert.equal(encodeNpy({ data: new Int32Array(1), shape: [1] })[6], 1);
  const shape = new Array(30000).fill(1);
  const bytes = encodeNpy({ data: new Int32Array([5]), shape });
  assert.equal(bytes[6], 2);
  assert.equal((12 + new DataView(bytes.buffer).getUint32(8, true)) % 64, 0);
  const back = decodeNpy(bytes);
  assert.equal(back.shape.length, 30000);
  assert.deepEqual([...back.data], [5]);
});

Deno.test("encodeNpy() round-trips every supported typed array", () => {
  const arrays = [
    new Float32Array([1, -2.5]),
    new Float64Array([Math.E, -0]),
    new Int32Array([-7, 7]),
    new BigInt64Array([-1n, 9007199254740993n]),
    new Uint8Array([0, 255]),
  ];
  for (const data of arrays) {
    const back = decodeNpy(encodeNpy({ data, shape: [2, 1] }));
    assert.equal(back.data.constructor, data.constructor);
    assert.deepEqual([...back.data], [...data]);
    assert.deepEqual(back.shape, [2, 1]);
  }
});

Deno.test("encodeNpy() reads a subarray view, not its whole buffer", () => {
  const whole = new Float64Array([9, 1, 2, 9]);
  const back = decodeNpy(encodeNpy({ data: whole.subarray(1, 3), shape: [2] }));
  assert.deepEqual([...back.data], [1, 2]);
});

Deno.test("encodeNpy() rejects a shape that disagrees with the data", () => {
  assert.throws(
    () => encodeNpy({ data: new Float64Array(6), shape: [2, 2] }),
    (err) => err instanceof SdenoTypeError && /holds 4 elements but data has 6/.test(err.message),
  );
  assert.throws(() => encodeNpy({ data: new Float64Array(0), shape: [-1] }), SdenoRangeError);
  assert.throws(() => encodeNpy({ data: new Float64Array(2), shape: [2.5] }), SdenoRangeError);
});

Deno.test("encodeNpy() rejects an unsupported array type", () => {
  assert.throws(
    () => encodeNpy({ data: new Int16Array(2) as unknown as Float64Array, shape: [2] }),
    (err) => err instanceof SdenoTypeError && /got "Int16Array"/.test(err.message),
  );
});

Deno.test("decodeNpy() reads versions 2.0 and 3.0", () => {
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n";
  for (const major of [2, 3]) {
    const { data } = decodeNpy(handMade(header, f8bytes([1, 2]), major));
    assert.deepEqual([...data], [1, 2]);
  }
});

Deno.test("decodeNpy() accepts a dtype without byte-order mark, '|u1' and double quotes", () => {
  const a = decodeNpy(
    handMade(`{"descr": "f8", "fortran_order": False, "shape": (1,)}`, f8bytes([3])),
  );
  assert.deepEqual([...a.data], [3]);
  const b = decodeNpy(
    handMade("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1)}", new Uint8Array([4, 5])),
  );
  assert.ok(b.data instanceof Uint8Array);
  assert.deepEqual([...b.data], [4, 5]);
});

Deno.test("decodeNpy() rejects a malformed magic", () => {
  const bytes = fixture("f8.npy").slice();
  bytes[1] = 0x6e; // "nUMPY"
  assert.throws(
    () => decodeNpy(bytes),
    (err) => err instanceof SdenoParseError && /bad magic/.test(err.message),
  );
  assert.throws(() => decodeNpy(new TextEncoder().encode("PK\x03\x04 not numpy")), SdenoParseError);
  assert.throws(() => decodeNpy(new Uint8Array(0)), SdenoParseError);
});

Deno.test("decodeNpy() rejects an unknown format version", () => {
  const bytes = fixture("f8.npy").slice();
  bytes[6] = 4;
  assert.throws(() => decodeNpy(bytes), /format version must be 1\.0, 2\.0 or 3\.0, got "4\.0"/);
});

Deno.test("decodeNpy() rejects a truncated header", () => {
  const bytes = fixture("f8.npy").subarray(0, 60);
  assert.throws(
    () => decodeNpy(bytes),
    (err) => err instanceof SdenoParseError && /header is truncated/.test(err.message),
  );
  assert.throws(() => decodeNpy(fixture("f8.npy").subarray(0, 9)), /ends inside the preamble/);
});

Deno.test("decodeNpy() rejects a header without shape", () => {
  const bytes = handMade("{'descr': '<f8', 'fortran_order': False}", f8bytes([1]));
  assert.throws(
    () => decodeNpy(bytes),
    (err) =>
      err instanceof SdenoParseError &&
      err.message ===
        `Cannot read .npy: header dict lacks "shape", got "{'descr': '<f8', 'fortran_order': False}"`,
  );
});

Deno.test("decodeNpy() rejects a header that is not numpy's dict literal", () => {
  const bad = [
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': __import__('os')}",
    "{'descr': '<f8', 'fortran_order': False, 'shape': [1]}",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1)}",
    "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}",
    "{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} trailing",
    "descr=<f8",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 'x'}",
    "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,)}",
  ];
  for (const header of bad) {
    assert.throws(() => decodeNpy(handMade(header, f8bytes([1]))), SdenoParseError, header);
  }
  assert.throws(
    () =>
      decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': [1]}", f8bytes([1]))),
    (err) => err instanceof SdenoParseError && err.line === 1 && err.column === 51, // the "["
  );
});

Deno.test("decodeNpy() rejects a shape whose product disagrees with the data", () => {
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  assert.throws(
    () => decodeNpy(handMade(header, f8bytes([1, 2, 3]))),
    (err) => err instanceof SdenoParseError && /needs 32 data bytes, got 24/.test(err.message),
  );
  assert.throws(() => decodeNpy(handMade(header, f8bytes([1, 2, 3, 4, 5]))), SdenoParseError);
});

Deno.test("decodeNpy() rejects an unsupported dtype naming it", () => {
  const header = "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }";
  assert.throws(
    () => decodeNpy(handMade(header, new Uint8Array(16))),
    (err) => err instanceof SdenoRangeError && /got "<c16"/.test(err.message),
  );
});

Deno.test("decodeNpy() returns aligned data from an unaligned view", () => {
  const file = fixture("f8.npy");
  const padded = new Uint8Array(file.length + 3);
  padded.set(file, 3);
  const { data } = decodeNpy(padded.subarray(3));
  assert.deepEqual([...data], [-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
});
