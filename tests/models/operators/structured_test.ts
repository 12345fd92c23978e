// Average pooling, separable Gaussian blur, random Gaussian projections: the stored dense A of the
// image benchmarks (tests/fixtures/inverse/images, from ../shared/refs/inverse §3) to 1e-15, the
// identities ⟨Ax, y⟩ = ⟨x, Aᵀy⟩, A A⁺ A = A, U S Vᵀ = A with U, V orthogonal (all by applying the
// implicit maps to basis vectors), cpu vs webgpu, and bad input.
import assert from "node:assert/strict";
import { avgPoolOperator } from "../../../models/operators/avgpool.ts";
import { gaussianBlurOperator } from "../../../models/operators/blur.ts";
import { gaussianProjection } from "../../../models/operators/projection.ts";
import type { LinearOperator } from "../../../models/operators/operator.ts";
import { checkLinearIdentities, cpu, maxDiff, readImageF64 } from "./_check.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { type Backend, SdenoRangeError, SdenoTypeError } from "../../../kernels/mod.ts";

Deno.test("avgpool: 2× on 8 × 8 reproduces the stored img8_sr2 A; identities hold", async () => {
  const op = avgPoolOperator(8, 8, 2);
  assert.equal(op.outDim, 16);
  const a = await checkLinearIdentities(op, 1e-15);
  assert.ok(maxDiff(a, readImageF64("img8_sr2_A.f64")) <= 1e-15);
});

Deno.test("avgpool: 3× with two channels and 4× satisfy the identities", async () => {
  const a3 = avgPoolOperator(6, 9, 3, { channels: 2 });
  assert.deepEqual([a3.inDim, a3.outDim], [108, 12]);
  await checkLinearIdentities(a3, 1e-14);
  await checkLinearIdentities(avgPoolOperator(8, 4, 4), 1e-14);
});

Deno.test("blur: σ = 1, radius 2 on 8 × 8 reproduces the stored img8_blur A; identities hold", async () => {
  const op = gaussianBlurOperator(8, 8, { sigma: 1, radius: 2 });
  const a = await checkLinearIdentities(op, 1e-13);
  const stored = readImageF64("img8_blur_A.f64");
  const err = maxDiff(a, stored);
  assert.ok(err <= 1e-15, `max |A − stored| = ${err}`);
  assert.equal(op.svd.singularValues.length, 64);
});

Deno.test("blur: a rectangular image with channels and a wide stencil satisfies the identities", async () => {
  const op = gaussianBlurOperator(5, 7, { sigma: 1.5, radius: 4, channels: 2 });
  await checkLinearIdentities(op, 1e-12);
});

Deno.test("gaussianProjection: keyed N(0, 1/m) entries; identities hold", async () => {
  const op = gaussianProjection(40, 10, { seed: 9, stream: 2 });
  await checkLinearIdentities(op, 1e-12);
  // the entries are N(0, 1/m): mean and variance within |z| < 4 over 400 entries
  const n = op.matrix.length;
  let s = 0, s2 = 0;
  for (const v of op.matrix) {
    s += v;
    s2 += v * v;
  }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean) / Math.sqrt(0.1 / n) < 4, `mean ${mean}`);
  // Var of the sample variance of normals: 2σ⁴/n
  assert.ok(Math.abs(variance - 0.1) / Math.sqrt(2 * 0.01 / n) < 4, `variance ${variance}`);
  assert.notDeepEqual(op.matrix, gaussianProjection(40, 10, { seed: 10, stream: 2 }).matrix);
});

Deno.test("structured operators: bad input gets typed errors", async () => {
  assert.throws(() => avgPoolOperator(7, 8, 2), SdenoRangeError);
  assert.throws(() => avgPoolOperator(8, 8, 0), SdenoRangeError);
  assert.throws(() => avgPoolOperator(8, 8, 1.5), SdenoTypeError);
  assert.throws(() => gaussianBlurOperator(8, 8, { sigma: -1 }), SdenoRangeError);
  assert.throws(() => gaussianBlurOperator(8, 8, { sigma: NaN }), SdenoRangeError);
  assert.throws(() => gaussianBlurOperator(8, 8, { radius: -1 }), SdenoRangeError);
  assert.throws(() => gaussianProjection(0, 3, { seed: 1, stream: 0 }), SdenoRangeError);
  const op = avgPoolOperator(4, 4, 2);
  await assert.rejects(() => op.apply(cpu.zeros(16), cpu.zeros(5)), SdenoRangeError);
  await assert.rejects(() => op.applyTranspose(cpu.zeros(3), cpu.zeros(16)), SdenoRangeError);
  const blur = gaussianBlurOperator(4, 4);
  await assert.rejects(() => blur.pseudoInverse(cpu.zeros(15), cpu.zeros(16)), SdenoRangeError);
});

async function runAll(b: Backend, op: LinearOperator, rows: number): Promise<Float64Array[]> {
  const d = op.inDim, m = op.outDim;
  const x = Float64Array.from({ length: rows * d }, (_, i) => Math.sin(0.37 * i) + 0.1);
  const y = Float64Array.from({ length: rows * m }, (_, i) => Math.cos(0.21 * i));
  const results: Float64Array[] = [];
  const run = async (
    inp: Float64Array,
    outLen: number,
    f: (a: typeof xi, o: typeof xi) => Promise<void>,
  ) => {
    const a = b.upload(inp), o = b.zeros(outLen);
    await f(a, o);
    results.push(Float64Array.from(await b.download(o)));
    b.release(a);
    b.release(o);
  };
  const xi = b.upload([0]);
  b.release(xi);
  await run(x, rows * m, op.apply);
  await run(y, rows * d, op.applyTranspose);
  await run(y, rows * d, op.pseudoInverse!);
  await run(x, rows * d, op.svd!.applyVt);
  await run(x, rows * d, op.svd!.applyV);
  await run(y, rows * m, op.svd!.applyUt);
  await run(y, rows * m, op.svd!.applyU);
  return results;
}

Deno.test({
  name: "structured operators: webgpu (sparse-row kernel, f32) matches the cpu (ndarray, f64)",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const ops: LinearOperator[] = [
      avgPoolOperator(8, 8, 2, { channels: 3 }),
      gaussianBlurOperator(8, 8),
      gaussianBlurOperator(6, 10, { sigma: 0.8, radius: 3, channels: 2 }),
    ];
    for (const op of ops) {
      const c = await runAll(cpu, op, 5), g = await runAll(gpu, op, 5);
      c.forEach((r, i) => {
        const scale = Math.max(1, ...r.map(Math.abs));
        assert.ok(maxDiff(r, g[i]!) <= 1e-5 * scale, `${op.name} map ${i}: ${maxDiff(r, g[i]!)}`);
      });
    }
  },
});

Deno.test({
  name:
    "structured operators: webgpu arrays split in small chunks and in-place calls give the cpu numbers",
  ...GPU_TEST,
  fn: async () => {
    const small = await gpuBackend({ maxChunkBytes: 256 });
    if (!small) return;
    const op = gaussianBlurOperator(8, 8, { channels: 2 });
    const c = await runAll(cpu, op, 3), g = await runAll(small, op, 3);
    c.forEach((r, i) => assert.ok(maxDiff(r, g[i]!) <= 1e-5 * Math.max(1, ...r.map(Math.abs))));
    // in place (x and out the same array) on both backends
    const gpu = (await gpuBackend())!;
    const x = Float64Array.from({ length: 2 * 128 }, (_, i) => Math.sin(i));
    for (const b of [cpu, gpu, small] as Backend[]) {
      const a = b.upload(x), ref = b.zeros(x.length), src = b.upload(x);
      await op.apply(a, a);
      await op.apply(src, ref);
      assert.ok(maxDiff(await b.download(a), await b.download(ref)) === 0, b.name);
      for (const arr of [a, ref, src]) b.release(arr);
    }
  },
});
