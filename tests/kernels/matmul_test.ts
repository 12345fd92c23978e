import assert from "node:assert/strict";
import {
  type Backend,
  CpuBackend,
  matmulCpu,
  type MatmulShape,
  SdenoRangeError,
  SdenoTypeError,
  WebGpuBackend,
} from "../../kernels/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

/** Deterministic test data that does not depend on the generator. */
function ramp(n: number, a: number, b: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(a * i + b) + 0.25 * Math.cos(3 * i));
}

interface Case extends MatmulShape {
  bias?: boolean;
  aLen?: number;
  bLen?: number;
  outLen?: number;
}

// Tests as data: odd sizes off the 64×64 tile and the 16-wide k slice, every transpose,
// offsets into larger arrays, accumulation, a bias and a scale.
const CASES: Case[] = [
  { m: 1, k: 1, n: 1 },
  { m: 3, k: 5, n: 2, bias: true },
  { m: 70, k: 17, n: 65 },
  { m: 70, k: 17, n: 65, transA: true },
  { m: 70, k: 17, n: 65, transB: true, alpha: -0.5 },
  { m: 33, k: 129, n: 9, transA: true, transB: true, accumulate: true },
  { m: 130, k: 2, n: 128, bias: true, accumulate: true, alpha: 2 },
  { m: 1, k: 257, n: 40, transA: true }, // a bias gradient: 1ᵀ·dZ
  {
    m: 20,
    k: 31,
    n: 12,
    aOffset: 7,
    bOffset: 100,
    outOffset: 3,
    biasOffset: 5,
    bias: true,
    aLen: 700,
    bLen: 500,
    outLen: 300,
  },
  { m: 4, k: 0, n: 3, bias: true, accumulate: true },
];

/** The product by its definition, element by element, in float64. */
function reference(
  c: Case,
  a: Float64Array,
  b: Float64Array,
  bias: Float64Array,
  out0: Float64Array,
) {
  const out = out0.slice();
  const abs = new Float64Array(out.length); // Σ |A||B| per element, for the f32 bound
  const ao = c.aOffset ?? 0, bo = c.bOffset ?? 0, oo = c.outOffset ?? 0, co = c.biasOffset ?? 0;
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let s = 0, sa = 0;
      for (let q = 0; q < c.k; q++) {
        const av = c.transA ? a[ao + q * c.m + i]! : a[ao + i * c.k + q]!;
        const bv = c.transB ? b[bo + j * c.k + q]! : b[bo + q * c.n + j]!;
        s += av * bv;
        sa += Math.abs(av * bv);
      }
      const o = oo + i * c.n + j;
      out[o] = (c.accumulate ? out[o]! : 0) + (c.alpha ?? 1) * s + (c.bias ? bias[co + j]! : 0);
      abs[o] = Math.abs(c.alpha ?? 1) * sa + (c.accumulate ? Math.abs(out0[o]!) : 0) +
        (c.bias ? Math.abs(bias[co + j]!) : 0);
    }
  }
  return { out, abs };
}

function data(c: Case, k: number) {
  const a = ramp(c.aLen ?? c.m * c.k, 0.37, k);
  const b = ramp(c.bLen ?? c.k * c.n, 0.61, k + 1);
  const bias = ramp(Math.max(1, (c.biasOffset ?? 0) + c.n), 0.13, k + 2);
  const out0 = ramp(c.outLen ?? c.m * c.n, 0.29, k + 3);
  return { a, b, bias, out0 };
}

async function run(backend: Backend, c: Case, d: ReturnType<typeof data>) {
  const out = backend.upload(d.out0);
  const a = backend.upload(d.a), b = backend.upload(d.b);
  const bias = c.bias ? backend.upload(d.bias) : undefined;
  await backend.matmul(out, { ...c, a, b, bias });
  const host = await backend.download(out);
  for (const x of [out, a, b, ...(bias ? [bias] : [])]) backend.release(x);
  return host;
}

Deno.test("matmulCpu() equals the definition on every case to 1e-12", () => {
  CASES.forEach((c, k) => {
    const d = data(c, k);
    const out = d.out0.slice();
    matmulCpu(out, { ...c, a: d.a, b: d.b, bias: c.bias ? d.bias : undefined });
    const { out: want } = reference(c, d.a, d.b, d.bias, d.out0);
    for (let i = 0; i < out.length; i++) {
      assert.ok(
        Math.abs(out[i]! - want[i]!) <= 1e-12 * (1 + Math.abs(want[i]!)),
        `case ${k} at ${i}`,
      );
    }
  });
});

Deno.test("CpuBackend.matmul() runs the twin and leaves untouched elements alone", async () => {
  const b = new CpuBackend();
  for (const [k, c] of CASES.entries()) {
    const d = data(c, k);
    const got = await run(b, c, d);
    const { out: want } = reference(c, d.a, d.b, d.bias, d.out0);
    for (let i = 0; i < got.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-12 * (1 + Math.abs(want[i]!)), `case ${k}`);
    }
  }
  assert.equal(b.liveArrays, 0);
});

Deno.test(
  { name: "WebGpuBackend.matmul() matches the cpu twin within f32 rounding", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const cpu = new CpuBackend();
    for (const [k, c] of CASES.entries()) {
      const d = data(c, k);
      const got = await run(gpu, c, d);
      const want = await run(cpu, c, d);
      const { abs } = reference(c, d.a, d.b, d.bias, d.out0);
      for (let i = 0; i < got.length; i++) {
        // inputs rounded to f32, then k + 2 rounded additions: |err| ≤ (k + 4)·2⁻²⁴·Σ|terms| (Higham 2002, §3.1)
        const bound = (c.k + 4) * 2 ** -24 * abs[i]! + 2 ** -24 * Math.abs(d.out0[i]!);
        assert.ok(
          Math.abs(got[i]! - want[i]!) <= bound,
          `case ${k} at ${i}: ${got[i]} vs ${want[i]}`,
        );
      }
    }
  },
);

Deno.test(
  { name: "WebGpuBackend.matmul() refuses an operand split over chunks", ...GPU_TEST },
  async () => {
    if (!(await gpuBackend())) return;
    const gpu = await WebGpuBackend.create({ maxChunkBytes: 256 });
    if (!gpu) return;
    try {
      const a = gpu.zeros(100), b = gpu.zeros(10), out = gpu.zeros(10);
      await assert.rejects(
        () => gpu.matmul(out, { a, b, m: 10, k: 10, n: 1 }),
        (e: Error) => e instanceof SdenoRangeError && /a has 100 elements/.test(e.message),
      );
    } finally {
      gpu.destroy();
    }
  },
);

Deno.test("matmul() rejects bad shapes, offsets, foreign arrays and aliasing before any work", async () => {
  const b = new CpuBackend();
  const other = new CpuBackend();
  const x = b.upload([1, 2, 3, 4, 5, 6]), w = b.upload([1, 2, 3, 4, 5, 6]), out = b.zeros(4);
  const before = await b.download(out);
  const bad: Array<
    [Parameters<Backend["matmul"]>, typeof SdenoTypeError | typeof SdenoRangeError, RegExp]
  > = [
    [[out, { a: x, b: w, m: 3, k: 2, n: 2 }], SdenoRangeError, /out needs 6 elements \(3×2\)/],
    [[out, { a: x, b: w, m: 2, k: 4, n: 2 }], SdenoRangeError, /a needs 8 elements/],
    [
      [out, { a: x, b: w, m: 2, k: 3, n: 2, bOffset: 1 }],
      SdenoRangeError,
      /b needs 6 elements .* from offset 1/,
    ],
    [[out, { a: x, b: w, m: 2.5, k: 3, n: 2 }], SdenoTypeError, /m must be an integer, got "2.5"/],
    [[out, { a: x, b: w, m: -1, k: 3, n: 2 }], SdenoRangeError, /m must be an integer in/],
    [
      [out, { a: x, b: w, m: 2, k: 3, n: 2, alpha: NaN }],
      SdenoTypeError,
      /alpha must be a finite number/,
    ],
    [
      [out, { a: other.zeros(6), b: w, m: 2, k: 3, n: 2 }],
      SdenoTypeError,
      /a belongs to the cpu backend, not this/,
    ],
    [[x, { a: x, b: w, m: 1, k: 3, n: 2 }], SdenoTypeError, /out must not be the same array as a/],
    [
      [out, { a: x, b: w, m: 2, k: 3, n: 2, bias: b.zeros(1) }],
      SdenoRangeError,
      /bias needs 2 elements/,
    ],
  ];
  for (const [args, cls, re] of bad) {
    await assert.rejects(
      () => b.matmul(...args),
      (e: Error) => e instanceof cls && re.test(e.message),
      String(re),
    );
  }
  assert.deepEqual(await b.download(out), before);
});
