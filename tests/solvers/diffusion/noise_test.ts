import assert from "node:assert/strict";
import { CpuBackend, SdenoRangeError } from "../../../kernels/mod.ts";
import {
  _splitMix64,
  brownianPathNoise,
  brownianSigmaGrid,
  philoxNoise,
  splitMix64Noise,
  splitMix64Normals,
} from "../../../solvers/diffusion/noise.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";

const M64 = (1n << 64n) - 1n;

/** SplitMix64 with BigInt, written from the reference README (§3.3). */
function splitMixBig(k: bigint): bigint {
  let z = (k + 0x9E3779B97F4A7C15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M64;
  return z ^ (z >> 31n);
}

function normalBig(seed: number, stream: number, e: number): number {
  const key = (j: number) => ((BigInt(seed) << 48n) + (BigInt(stream) << 32n) + BigInt(j)) & M64;
  const u = (k: bigint) => (Number(splitMixBig(k) >> 11n) + 0.5) * 2 ** -53;
  return Math.sqrt(-2 * Math.log(u(key(2 * e)))) * Math.cos(2 * Math.PI * u(key(2 * e + 1)));
}

Deno.test("_splitMix64() in 32-bit halves equals a BigInt SplitMix64", () => {
  const keys = [0n, 1n, M64, 0x9E3779B97F4A7C15n, 0xFFFFFFFFn, 0x100000000n, 4242n << 48n];
  for (let i = 0; i < 200; i++) keys.push(splitMixBig(BigInt(i * 7919)));
  for (const k of keys) {
    const [hi, lo] = _splitMix64(Number(k >> 32n), Number(k & 0xFFFFFFFFn));
    assert.equal((BigInt(hi) << 32n) | BigInt(lo), splitMixBig(k), `key ${k}`);
  }
});

Deno.test("splitMix64Normals() follows the reference key layout, offsets and wrap-around", () => {
  for (const [seed, stream] of [[4242, 0], [4242, 17], [70000, 3], [0, 2 ** 32 - 1]]) {
    const z = new Float64Array(9);
    splitMix64Normals(z, { seed: seed!, stream: stream!, offset: 5 });
    z.forEach((v, i) =>
      assert.equal(v, normalBig(seed!, stream!, 5 + i), `${seed}/${stream}/${i}`)
    );
  }
  assert.throws(() => splitMix64Normals(new Float64Array(1), { seed: -1 }), RangeError);
  // normals: mean ≈ 0, variance ≈ 1 within 4 standard errors (n = 20000)
  const n = 20000, z = new Float64Array(n);
  splitMix64Normals(z, { stream: 1 });
  const mean = z.reduce((a, v) => a + v, 0) / n;
  const v = z.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  assert.ok(Math.abs(mean) < 4 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(v - 1) < 4 * Math.sqrt(2 / n), `variance ${v}`);
});

Deno.test("splitMix64Noise() returns stream c on call c; philoxNoise() is keyed by call index", async () => {
  const b = new CpuBackend();
  const out = b.zeros(6);
  await splitMix64Noise({ seed: 11 }).sample(b, out, { index: 4, from: 2, to: 1 });
  const z = new Float64Array(6);
  splitMix64Normals(z, { seed: 11, stream: 4 });
  assert.deepEqual(await b.download(out), z);
  const p = philoxNoise({ seed: 3, stream: 0 });
  const small = b.zeros(3), big = b.zeros(6), next = b.zeros(3);
  await p.sample(b, small, { index: 2, from: 1, to: 0 });
  await p.sample(b, big, { index: 2, from: 1, to: 0 });
  await p.sample(b, next, { index: 3, from: 1, to: 0 });
  assert.deepEqual([...await b.download(small)], [...(await b.download(big)).slice(0, 3)]);
  assert.notDeepEqual(await b.download(small), await b.download(next));
  assert.throws(() => philoxNoise({ seed: -1, stream: 0 }), RangeError);
  assert.throws(() => philoxNoise({ seed: 1, stream: 0 }, { purpose: 2 ** 33 }), RangeError);
});

Deno.test("brownianPathNoise() is one path: overlapping queries agree, reversed queries flip sign", async () => {
  const b = new CpuBackend();
  const grid = brownianSigmaGrid([80, 2.5, 0.002, 0]);
  for (const normals of ["splitmix64", "philox"] as const) {
    const w = brownianPathNoise(grid, { normals, seed: 4242, key: { seed: 5, stream: 0 } });
    const q = async (from: number, to: number) => {
      const o = b.zeros(4);
      await w.sample(b, o, { index: 0, from, to });
      return await b.download(o);
    };
    const [p0, p1, p2] = [grid[4]!, grid[3]!, grid[2]!];
    const a = await q(p0, p1), c = await q(p1, p2), all = await q(p0, p2), back = await q(p2, p0);
    for (let e = 0; e < 4; e++) {
      const lhs = all[e]! * Math.sqrt(p0 - p2);
      const rhs = a[e]! * Math.sqrt(p0 - p1) + c[e]! * Math.sqrt(p1 - p2);
      assert.ok(Math.abs(lhs - rhs) < 1e-12 * Math.max(1, Math.abs(lhs)), normals);
      assert.ok(Math.abs(back[e]! + all[e]!) < 1e-12, normals);
    }
    await assert.rejects(() => q(p0, 50), SdenoRangeError);
  }
  // increment j of the splitmix64 path is stream j
  const w = brownianPathNoise([0, 1, 3], { normals: "splitmix64", seed: 4242 });
  const o = b.zeros(3);
  await w.sample(b, o, { index: 9, from: 3, to: 1 }); // (W(1) − W(3))/√2 = −z₁
  const z1 = new Float64Array(3);
  splitMix64Normals(z1, { seed: 4242, stream: 1 });
  (await b.download(o)).forEach((v, e) => assert.ok(Math.abs(v + z1[e]!) < 1e-15));
  assert.throws(() => brownianPathNoise([1, 1, 2]), RangeError);
  assert.throws(() => brownianPathNoise([1]), TypeError);
  assert.throws(() => brownianPathNoise([1, 2], { normals: "mt" as "philox" }), RangeError);
  assert.throws(() => brownianSigmaGrid([1, 2, 0]), RangeError);
  assert.throws(() => brownianSigmaGrid([2, 1, 0], { r: 1 }), RangeError);
});

Deno.test({
  name: "noise sources give the same normals on webgpu (f32) as on cpu",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const cpu = new CpuBackend();
    const sources = [
      philoxNoise({ seed: 1, stream: 2 }),
      splitMix64Noise(),
      brownianPathNoise([0.5, 1, 2], { key: { seed: 4, stream: 0 } }),
    ];
    for (const s of sources) {
      const a = cpu.zeros(1000), g = gpu.zeros(1000);
      await s.sample(cpu, a, { index: 3, from: 2, to: 0.5 });
      await s.sample(gpu, g, { index: 3, from: 2, to: 0.5 });
      const x = await cpu.download(a), y = await gpu.download(g);
      for (let e = 0; e < 1000; e++) {
        assert.ok(Math.abs(x[e]! - y[e]!) < 1e-5 * (1 + Math.abs(x[e]!)));
      }
      gpu.release(g);
    }
  },
});
