import assert from "node:assert/strict";
import { boxMuller, radiusUniform } from "../../kernels/_box_muller.ts";
import {
  createBackend,
  fillBits,
  fillNormal,
  fillUniform,
  makeKey,
  philox4x32,
  PHILOX_WGSL,
} from "../../kernels/mod.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../_gpu.ts";

// Random123 known-answer vectors (kat_vectors, philox4x32 10): counter, key, output.
const KATS: Array<[[number, number, number, number], [number, number], number[]]> = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

Deno.test("philox4x32() matches the Random123 known-answer vectors", () => {
  for (const [counter, key, expected] of KATS) {
    assert.deepEqual([...philox4x32(counter, key)], expected);
  }
});

// Runs sd_philox from philox.wgsl on arbitrary (counter, key) rows.
const KAT_KERNEL = `
@group(0) @binding(0) var<storage, read_write> io: array<vec4<u32>>;
@group(0) @binding(1) var<uniform> n: vec4<u32>;
@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= n.x) { return; }
  let key = io[2u * i + 1u];
  io[2u * i] = sd_philox(io[2u * i], key.xy);
}`;

Deno.test(
  { name: "philox.wgsl matches the Random123 known-answer vectors", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const ctx = gpu.ctx;
    const pipeline = await ctx.pipeline("test:philox_kat", PHILOX_WGSL + KAT_KERNEL, [
      "storage",
      "uniform",
    ]);
    const rows = new Uint32Array(8 * KATS.length);
    KATS.forEach(([c, k], i) => rows.set([...c, ...k, 0, 0], 8 * i));
    const buf = ctx.acquire(rows.byteLength);
    ctx.write(buf, 0, rows);
    ctx.dispatch(pipeline, [buf], new Uint32Array([KATS.length, 0, 0, 0]).buffer, [KATS.length, 1]);
    const out = new Uint32Array(await ctx.read(buf, 0, rows.byteLength));
    KATS.forEach(([, , expected], i) =>
      assert.deepEqual([...out.subarray(8 * i, 8 * i + 4)], expected)
    );
    ctx.recycle(buf);
  },
);

Deno.test("fillBits() names element e by block e >> 2 and lane e & 3", () => {
  const key = makeKey(9, 4);
  const out = new Uint32Array(12);
  fillBits(out, key, { step: 5, purpose: 2, offset: 6 });
  for (let k = 0; k < 12; k++) {
    const e = 6 + k;
    assert.equal(out[k], philox4x32([e >> 2, 5, 2, 0], [9, 4])[e & 3]);
  }
});

Deno.test("fillBits() carries the block index into counter word 3 past 2^32 blocks", () => {
  const out = new Uint32Array(2);
  const offset = 4 * 4294967296 + 4 * 7 + 1; // block 2^32 + 7, lane 1
  fillBits(out, makeKey(1, 2), { offset });
  assert.equal(out[0], philox4x32([7, 0, 0, 1], [1, 2])[1]);
});

Deno.test("fillNormal() and fillUniform() do not depend on how the range is split", () => {
  const key = makeKey(2024, 1);
  const whole = new Float64Array(103);
  fillNormal(whole, key, { step: 7, purpose: 3 });
  const parts = new Float64Array(103);
  for (const [a, b] of [[0, 1], [1, 6], [6, 50], [50, 103]] as const) {
    const part = new Float64Array(b - a);
    fillNormal(part, key, { step: 7, purpose: 3, offset: a });
    parts.set(part, a);
  }
  assert.deepEqual(parts, whole);
  const u = new Float64Array(9);
  fillUniform(u, key, { offset: 5 });
  const bits = new Uint32Array(9);
  fillBits(bits, key, { offset: 5 });
  for (let i = 0; i < 9; i++) assert.equal(u[i], (bits[i]! + 0.5) / 2 ** 32);
});

Deno.test("fillNormal() is Box–Muller on lane pairs with both outputs used", () => {
  const key = makeKey(5, 0);
  const w = philox4x32([0, 0, 0, 0], [5, 0]);
  const z = new Float64Array(4);
  fillNormal(z, key);
  for (const pair of [0, 2]) {
    const r = Math.sqrt(-2 * Math.log(radiusUniform(w[pair]!)));
    const theta = 2 * Math.PI * ((w[pair + 1]! >>> 8) / 2 ** 24 - 0.5);
    // boxMuller's table sincos is within 1e-15 of Math.cos/sin
    assert.ok(Math.abs(z[pair]! + r * Math.cos(theta)) < 1e-15 * r);
    assert.ok(Math.abs(z[pair + 1]! + r * Math.sin(theta)) < 1e-15 * r);
  }
});

Deno.test("boxMuller() matches Math.cos/sin within 1e-15 on 2^20 angles", () => {
  const w = new Uint32Array(4), z = new Float64Array(4);
  let worst = 0;
  for (let k = 0; k < 1 << 20; k++) {
    w[0] = 0x80000000; // a fixed radius: r = sqrt(2 ln 2)
    w[1] = Math.imul(k, 2654435761) >>> 0;
    boxMuller(w, z);
    const r = Math.sqrt(-2 * Math.log(radiusUniform(w[0]!)));
    const theta = 2 * Math.PI * ((w[1]! >>> 8) / 2 ** 24 - 0.5);
    worst = Math.max(
      worst,
      Math.abs(z[0]! + r * Math.cos(theta)),
      Math.abs(z[1]! + r * Math.sin(theta)),
    );
  }
  assert.ok(worst < 1e-15, `worst ${worst}`);
});

Deno.test("uniforms never reach 0 or 1, even for the extreme words", () => {
  assert.ok(radiusUniform(0) > 0);
  assert.ok(radiusUniform(0xffffffff) <= 1);
  assert.ok((0xffffffff + 0.5) / 2 ** 32 < 1);
  assert.ok(Number.isFinite(Math.sqrt(-2 * Math.log(radiusUniform(0)))));
});

Deno.test(
  { name: "webgpu and cpu give bit-identical Philox words on 2^20 counters", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const cpu = await createBackend("cpu");
    const n = 1 << 20;
    for (
      const opts of [
        { step: 0, purpose: 0, offset: 0 },
        { step: 3, purpose: 1, offset: 5 },
        { step: 0xffffffff, purpose: 7, offset: 4 * 4294967296 - 4099 }, // crosses into word 3
      ]
    ) {
      const key = makeKey(123456789, 42);
      const a = await gpu.randomBits(n, key, opts);
      const b = await cpu.randomBits(n, key, opts);
      let mismatches = 0;
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) mismatches++;
      assert.equal(mismatches, 0, `options ${JSON.stringify(opts)}`);
    }
  },
);

Deno.test(
  {
    name: "webgpu normals and uniforms agree with cpu within f32 bounds on 2^21 draws",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const n = 1 << 21;
    const key = makeKey(77, 3);
    const z = gpu.zeros(n);
    await gpu.fillNormal(z, key, { step: 11, offset: 3 });
    const zc = new Float64Array(n);
    fillNormal(zc, key, { step: 11, offset: 3 });
    assert.ok(maxAbsDiff(await gpu.download(z), zc) < 1e-6);
    const u = gpu.zeros(n);
    await gpu.fillUniform(u, key, { purpose: 2 });
    const uc = new Float64Array(n);
    fillUniform(uc, key, { purpose: 2 });
    const ug = await gpu.download(u);
    // the GPU rounds (w + 0.5) 2^-32 once to f32: relative error at most 2^-24
    for (let i = 0; i < n; i++) {
      assert.ok(ug[i]! > 0 && ug[i]! <= 1);
      assert.ok(Math.abs(ug[i]! - uc[i]!) <= uc[i]! * 2 ** -24);
    }
    gpu.release(z);
    gpu.release(u);
  },
);

Deno.test("makeKey() rejects seeds and streams outside u32 with typed errors", () => {
  assert.throws(() => makeKey(1.5), { name: "SdenoTypeError", message: /seed must be an integer/ });
  assert.throws(() => makeKey(2 ** 32), { name: "SdenoRangeError", message: /seed/ });
  assert.throws(() => makeKey(1, -1), { name: "SdenoRangeError", message: /stream/ });
  assert.throws(
    () => fillNormal(new Float64Array(2), { seed: 1, stream: 0 }, { offset: -4 }),
    { name: "SdenoRangeError", message: /offset/ },
  );
});
