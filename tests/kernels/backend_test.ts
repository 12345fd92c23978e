import assert from "node:assert/strict";
import {
  type Backend,
  createBackend,
  defineMap,
  DeviceLostError,
  fillNormal,
  makeKey,
  SdenoError,
  WebGpuBackend,
  withBackend,
} from "../../kernels/mod.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../_gpu.ts";

const KEY = makeKey(31337, 5);

/** Runs `body` on cpu and, where an adapter exists, on webgpu. */
async function onBoth(body: (b: Backend) => Promise<void>): Promise<void> {
  await body(await createBackend("cpu"));
  const gpu = await gpuBackend();
  if (gpu) await body(gpu);
}

/** Deterministic test data without touching the generator under test. */
function ramp(n: number, a: number, b: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(a * i + b));
}

Deno.test(
  { name: "lincomb() adds terms and keyed noise alike on cpu and webgpu", ...GPU_TEST },
  async () => {
    const n = 10_001;
    const xs = [
      ramp(n, 0.1, 0),
      ramp(n, 0.2, 1),
      ramp(n, 0.3, 2),
      ramp(n, 0.4, 3),
      ramp(n, 0.5, 4),
    ];
    const cs = [0.5, -1.25, 2, 0.75, -0.3];
    const z = new Float64Array(n);
    fillNormal(z, KEY, { step: 9, purpose: 1, offset: 17 });
    for (const k of [0, 1, 2, 4, 5]) {
      const expected = Float64Array.from({ length: n }, (_, i) => {
        let s = 0.1 * z[i]!;
        for (let t = 0; t < k; t++) s += cs[t]! * xs[t]![i]!;
        return s;
      });
      await onBoth(async (b) => {
        const out = b.zeros(n);
        const inputs = xs.slice(0, k).map((x) => b.upload(x));
        await b.lincomb(out, inputs.map((x, t) => [cs[t]!, x] as const), {
          scale: 0.1,
          key: KEY,
          step: 9,
          purpose: 1,
          offset: 17,
        });
        const tol = b.precision === "f64" ? 1e-12 : 2e-6;
        assert.ok(maxAbsDiff(await b.download(out), expected) < tol, `${b.name}, ${k} terms`);
      });
    }
  },
);

Deno.test({ name: "lincomb() may write into one of its inputs", ...GPU_TEST }, async () => {
  const n = 999;
  const x = ramp(n, 0.3, 0), y = ramp(n, 0.7, 1), w = ramp(n, 0.9, 2);
  const expected = x.map((v, i) => 2 * v + 3 * y[i]! - v + 0.5 * w[i]! + y[i]! - w[i]! + 2 * y[i]!);
  await onBoth(async (b) => {
    const bx = b.upload(x), by = b.upload(y), bw = b.upload(w);
    // out = x appears twice; six terms force two GPU passes
    await b.lincomb(bx, [[2, bx], [3, by], [-1, bx], [0.5, bw], [1, by], [-1, bw], [2, by]]);
    const tol = b.precision === "f64" ? 1e-12 : 1e-5;
    assert.ok(maxAbsDiff(await b.download(bx), expected) < tol, b.name);
  });
});

Deno.test(
  {
    name: "lincomb() with noise is identical for chunks of 1 KiB, 1 MiB and unchunked",
    ...GPU_TEST,
  },
  async () => {
    const whole = await gpuBackend();
    if (!whole) return;
    const n = (1 << 19) + 13; // 2 MiB of f32 plus a ragged tail
    const x = ramp(n, 0.01, 0.5);
    const results: Float32Array[] = [];
    for (const maxChunkBytes of [1024, 1 << 20, undefined]) {
      const b: WebGpuBackend | undefined = maxChunkBytes
        ? await gpuBackend({ maxChunkBytes })
        : whole;
      assert.ok(b);
      if (maxChunkBytes) assert.equal(b.chunkElements, maxChunkBytes / 4);
      const bx = b.upload(x);
      await b.lincomb(bx, [[0.9, bx]], { scale: 0.3, key: KEY, step: 2, offset: 1 });
      results.push(await b.download(bx));
      b.release(bx);
    }
    assert.deepEqual(results[0], results[2]);
    assert.deepEqual(results[1], results[2]);
  },
);

Deno.test(
  { name: "fillNormal() on webgpu does not depend on the chunk size", ...GPU_TEST },
  async () => {
    const a = await gpuBackend({ maxChunkBytes: 4096 });
    const b = await gpuBackend();
    if (!a || !b) return;
    const n = 100_003;
    const za = a.zeros(n), zb = b.zeros(n);
    await a.fillNormal(za, KEY, { offset: 2, step: 1 });
    await b.fillNormal(zb, KEY, { offset: 2, step: 1 });
    assert.deepEqual(await a.download(za), await b.download(zb));
  },
);

const affine = defineMap({
  name: "test_affine2",
  arity: 2,
  wgsl: "return params[0] * x0 + params[1] * x1 + f32(i % 3u);",
  cpu: (x0, x1, _x2, _x3, p, i) => p[0]! * x0 + p[1]! * x1 + (i % 3),
});

Deno.test(
  { name: "map() runs a WGSL snippet and its twin alike, chunked or not", ...GPU_TEST },
  async () => {
    const n = 5000;
    const x = ramp(n, 0.2, 0), y = ramp(n, 0.4, 1);
    const expected = x.map((v, i) => 2 * v - 0.5 * y[i]! + (i % 3));
    const backends: Backend[] = [await createBackend("cpu")];
    for (const b of [await gpuBackend(), await gpuBackend({ maxChunkBytes: 1024 })]) {
      if (b) backends.push(b);
    }
    for (const b of backends) {
      const out = b.zeros(n);
      await b.map(affine, out, [b.upload(x), b.upload(y)], [2, -0.5]);
      const tol = b.precision === "f64" ? 0 : 1e-5;
      assert.ok(maxAbsDiff(await b.download(out), expected) <= tol, b.name);
    }
  },
);

Deno.test({
  name: "columnStats() sums columns exactly on cpu and within f32 on webgpu",
  ...GPU_TEST,
}, async () => {
  const rows = 20_011, cols = 3;
  const x = Float64Array.from({ length: rows * cols }, (_, i) => ((i % cols) + 1) * Math.cos(i));
  const sum = new Float64Array(cols), sq = new Float64Array(cols);
  for (let i = 0; i < x.length; i++) {
    sum[i % cols]! += x[i]!;
    sq[i % cols]! += x[i]! ** 2;
  }
  const backends: Backend[] = [await createBackend("cpu")];
  // 1 KiB chunks hold 256 elements: chunk boundaries fall inside rows
  for (const b of [await gpuBackend(), await gpuBackend({ maxChunkBytes: 1024 })]) {
    if (b) backends.push(b);
  }
  for (const b of backends) {
    const s = await b.columnStats(b.upload(x), cols);
    assert.equal(s.rows, rows);
    const tol = b.precision === "f64" ? 1e-9 : 1e-3;
    assert.ok(maxAbsDiff(s.sum, sum) < tol, `${b.name} sums`);
    assert.ok(maxAbsDiff(s.sumSq, sq) < tol * 10, `${b.name} squares`);
  }
});

Deno.test("createBackend() rejects an unknown name with a typed error", async () => {
  await assert.rejects(() => createBackend("cuda" as "cpu"), {
    name: "SdenoRangeError",
    message: /name must be one of cpu, webgpu, auto, got "cuda"/,
  });
});

Deno.test(
  { name: "backends reject bad sizes and mismatched lengths before any work", ...GPU_TEST },
  async () => {
    await onBoth(async (b) => {
      assert.throws(() => b.zeros(-1), { name: "SdenoRangeError", message: /length/ });
      assert.throws(() => b.zeros(2.5), {
        name: "SdenoTypeError",
        message: /length must be an integer/,
      });
      await assert.rejects(() => b.randomBits(-3, KEY), { name: "SdenoRangeError" });
      const x = b.zeros(4), y = b.zeros(5);
      await assert.rejects(() => b.lincomb(x, [[1, y]]), {
        name: "SdenoTypeError",
        message: /terms\[0\] has length 5, but out has length "4"/,
      });
      await assert.rejects(() => b.lincomb(x, [[NaN, x]]), {
        name: "SdenoTypeError",
        message: /terms\[0\]\[0\] must be a finite number/,
      });
      await assert.rejects(
        () => b.lincomb(x, [], { scale: 1, key: { seed: -1, stream: 0 } }),
        { name: "SdenoRangeError", message: /key.seed/ },
      );
      await assert.rejects(() => b.map(affine, x, [x]), {
        name: "SdenoRangeError",
        message: /expected 2 inputs, got "1"/,
      });
      await assert.rejects(() => b.columnStats(y, 2), {
        name: "SdenoTypeError",
        message: /length 5 is not a multiple of cols "2"/,
      });
    });
    const other = await createBackend("cpu");
    const cpu = await createBackend("cpu");
    await assert.rejects(() => cpu.lincomb(cpu.zeros(2), [[1, other.zeros(2)]]), {
      name: "SdenoTypeError",
      message: /belongs to the cpu backend, not this cpu backend/,
    });
  },
);

Deno.test("defineMap() rejects bad names and arities", () => {
  const cpu = () => 0;
  assert.throws(() => defineMap({ name: "a b", arity: 1, wgsl: "return 0.0;", cpu }), {
    name: "SdenoTypeError",
  });
  assert.throws(() => defineMap({ name: "ok", arity: 5, wgsl: "return 0.0;", cpu }), {
    name: "SdenoRangeError",
    message: /arity must be an integer in \[0, 4\], got "5"/,
  });
});

Deno.test(
  { name: "a WGSL snippet that fails to compile names the line", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const broken = defineMap({
      name: "test_broken",
      arity: 1,
      wgsl: "  let y = x0 * undefined_name;\n  return y;",
      cpu: (x0) => x0,
    });
    const x = gpu.zeros(4);
    await assert.rejects(() => gpu.map(broken, x, [x]), (err: Error) => {
      assert.ok(err instanceof SdenoError);
      assert.equal(err.name, "SdenoParseError");
      assert.match(err.message, /Cannot compile WGSL kernel "map:test_broken/);
      assert.match(err.message, /at line \d+, column \d+/);
      assert.match(err.message, /undefined_name/);
      return true;
    });
  },
);

Deno.test({
  name: "withBackend() reruns on cpu with a warning when the device is lost",
  ...GPU_TEST,
}, async () => {
  if (!(await gpuBackend())) return;
  const warnings: string[] = [];
  const seen: string[] = [];
  const result = await withBackend("webgpu", async (b) => {
    seen.push(b.name);
    const z = b.zeros(1000);
    if (b instanceof WebGpuBackend) b.ctx.device.destroy(); // simulate a lost device
    await b.fillNormal(z, KEY);
    return await b.download(z);
  }, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(seen, ["webgpu", "cpu"]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /device was lost.*rerunning on the cpu backend/);
  const expected = new Float64Array(1000);
  fillNormal(expected, KEY);
  assert.deepEqual(result, expected);
});

Deno.test("DeviceLostError is a NumericalError and an SdenoError", () => {
  const err = new DeviceLostError("gone");
  assert.ok(err instanceof SdenoError);
  assert.equal(err.kind, "numerical");
});

Deno.test({
  name: "write() overwrites a range, across chunk boundaries, and rejects overruns",
  ...GPU_TEST,
}, async () => {
  const backends: Backend[] = [await createBackend("cpu")];
  const small = await gpuBackend({ maxChunkBytes: 16 }); // 4 elements a chunk
  if (small) backends.push(small);
  for (const b of backends) {
    const a = b.upload([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await b.write(a, [-1, -2, -3, -4, -5], 3);
    assert.deepEqual([...await b.download(a)], [0, 1, 2, -1, -2, -3, -4, -5, 8, 9], b.name);
    await assert.rejects(() => b.write(a, [1, 2, 3], 8), {
      name: "SdenoRangeError",
      message: /3 values at offset 8 overrun an array of length "10"/,
    });
  }
});

Deno.test("createBackend() falls back to cpu with a warning when no adapter exists", async () => {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return; // nothing to stub: "auto" already meets no adapter
  const original = gpu.requestAdapter;
  gpu.requestAdapter = () => Promise.resolve(null);
  try {
    const warnings: string[] = [];
    const b = await createBackend("auto", { onWarning: (m) => warnings.push(m) });
    assert.equal(b.name, "cpu");
    assert.deepEqual(warnings, ["sdeno: no WebGPU adapter found; using the cpu backend"]);
    await assert.rejects(() => createBackend("webgpu"), {
      name: "SdenoRangeError",
      message: /navigator.gpu gave no adapter/,
    });
  } finally {
    gpu.requestAdapter = original;
  }
});

Deno.test({
  name: "webgpu fillNormal(), download() and lincomb() reject a released array with a typed error",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const live = gpu.liveArrays;
  const a = gpu.zeros(16);
  const b = gpu.zeros(16);
  gpu.release(a);
  const released = { name: "SdenoTypeError", message: /was released; it must be a live array/ };
  await assert.rejects(() => gpu.fillNormal(a, KEY), {
    ...released,
    message: /^Cannot draw normals: out \(a webgpu array of 16 elements\) was released/,
  });
  await assert.rejects(() => gpu.fillUniform(a, KEY), released);
  await assert.rejects(() => gpu.download(a), released);
  await assert.rejects(() => gpu.lincomb(a, [[1, b]]), released);
  await assert.rejects(() => gpu.lincomb(b, [[1, a]]), { ...released, message: /terms\[0\]/ });
  // a live array still works
  await gpu.fillNormal(b, KEY);
  assert.equal((await gpu.download(b)).length, 16);
  gpu.release(b);
  assert.equal(gpu.liveArrays, live);
});
