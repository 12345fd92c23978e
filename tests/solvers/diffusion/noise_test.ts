import assert from "node:assert/strict";
import { CpuBackend, fillNormal, makeKey } from "../../../kernels/mod.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { karrasSigmas, sampleDpmppSde } from "../../../solvers/diffusion/mod.ts";
import {
  brownianNoise,
  brownianSigmaGrid,
  philoxNoise,
  splitMix64BrownianPath,
  splitMix64Noise,
  splitMix64Normals,
} from "../../../solvers/diffusion/noise.ts";
import { splitMix64 } from "../../../solvers/diffusion/_split_mix64.ts";
import { brownianGrid } from "../../../solvers/sde/brownian_grid.ts";
import { virtualBrownianTree } from "../../../solvers/sde/virtual_brownian_tree.ts";
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

Deno.test("splitMix64() in 32-bit halves equals a BigInt SplitMix64", () => {
  const keys = [0n, 1n, M64, 0x9E3779B97F4A7C15n, 0xFFFFFFFFn, 0x100000000n, 4242n << 48n];
  for (let i = 0; i < 200; i++) keys.push(splitMixBig(BigInt(i * 7919)));
  for (const k of keys) {
    const [hi, lo] = splitMix64(Number(k >> 32n), Number(k & 0xFFFFFFFFn));
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
  await splitMix64Noise({ seed: 11 }).sample(out, { index: 4, from: 2, to: 1, offset: 0 });
  const z = new Float64Array(6);
  splitMix64Normals(z, { seed: 11, stream: 4 });
  assert.deepEqual(await b.download(out), z);
  // a shard at offset 2 draws elements 2… of the whole batch
  const shard = b.zeros(3);
  await splitMix64Noise({ seed: 11 }).sample(shard, { index: 4, from: 2, to: 1, offset: 2 });
  assert.deepEqual([...await b.download(shard)], [...z.slice(2, 5)]);
  const p = philoxNoise({ seed: 3, stream: 0 });
  const small = b.zeros(3), big = b.zeros(6), next = b.zeros(3);
  await p.sample(small, { index: 2, from: 1, to: 0, offset: 0 });
  await p.sample(big, { index: 2, from: 1, to: 0, offset: 0 });
  await p.sample(next, { index: 3, from: 1, to: 0, offset: 0 });
  assert.deepEqual([...await b.download(small)], [...(await b.download(big)).slice(0, 3)]);
  assert.notDeepEqual(await b.download(small), await b.download(next));
  const tail = b.zeros(3);
  await p.sample(tail, { index: 2, from: 1, to: 0, offset: 3 });
  assert.deepEqual([...await b.download(tail)], [...(await b.download(big)).slice(3)]);
  assert.deepEqual(p.philox, { key: { seed: 3, stream: 0 }, purpose: 0x6466 });
  assert.throws(() => philoxNoise({ seed: -1, stream: 0 }), RangeError);
  assert.throws(() => philoxNoise({ seed: 1, stream: 0 }, { purpose: 2 ** 33 }), RangeError);
});

Deno.test("brownianNoise() is one path over every BrownianPath: overlapping queries agree, reversed queries flip sign, shards", async () => {
  const b = new CpuBackend();
  const grid = brownianSigmaGrid([80, 2.5, 0.002, 0]);
  const sources = {
    "splitmix64 on the σ grid": brownianNoise(splitMix64BrownianPath({ seed: 4242 }), { grid }),
    "brownianGrid on the σ grid": brownianNoise(
      brownianGrid({ seed: 5, stream: 0 }, { noiseDim: 1, dt: 1 }),
      { grid },
    ),
    "tree": brownianNoise(
      virtualBrownianTree({ seed: 5, stream: 0 }, { noiseDim: 1, t0: 0.002, t1: 80 }),
    ),
    "tree (2 components)": brownianNoise(
      virtualBrownianTree({ seed: 5, stream: 0 }, { noiseDim: 2, t0: 0.002, t1: 80 }),
    ),
  };
  for (const [name, w] of Object.entries(sources)) {
    const q = async (from: number, to: number, offset = 0) => {
      const o = b.zeros(4);
      await w.sample(o, { index: 0, from, to, offset });
      return await b.download(o);
    };
    const [p0, p1, p2] = [grid[4]!, grid[3]!, grid[2]!];
    const a = await q(p0, p1), c = await q(p1, p2), all = await q(p0, p2), back = await q(p2, p0);
    for (let e = 0; e < 4; e++) {
      const lhs = all[e]! * Math.sqrt(p0 - p2);
      const rhs = a[e]! * Math.sqrt(p0 - p1) + c[e]! * Math.sqrt(p1 - p2);
      assert.ok(Math.abs(lhs - rhs) < 1e-12 * Math.max(1, Math.abs(lhs)), name);
      assert.ok(Math.abs(back[e]! + all[e]!) < 1e-12, name);
    }
    // a shard at offset 2 gets elements 2, 3 of the whole batch
    const shard = b.zeros(2);
    await w.sample(shard, { index: 0, from: p0, to: p2, offset: 2 });
    assert.deepEqual([...await b.download(shard)], [...all.slice(2)], name);
  }
  const off = { index: 0, from: 80, to: 50, offset: 0 };
  await assert.rejects(() => sources["splitmix64 on the σ grid"].sample(b.zeros(2), off), {
    name: "SdenoRangeError",
    message: /to "80" is not a grid point|from "50" is not a grid point/,
  });
  await assert.rejects(
    () => sources["tree (2 components)"].sample(b.zeros(3), { ...off, from: 1, to: 2 }),
    TypeError,
  );
  // on a grid, increment k of the reference path is √(Δp_k)·(stream k), as the reference builds it
  const w = brownianNoise(splitMix64BrownianPath({ seed: 4242 }), { grid: [0, 1, 3] });
  const o = b.zeros(3);
  await w.sample(o, { index: 9, from: 3, to: 1, offset: 0 }); // (W(1) − W(3))/√2 = −z₁
  const z1 = new Float64Array(3);
  splitMix64Normals(z1, { seed: 4242, stream: 1 });
  (await b.download(o)).forEach((v, e) => assert.ok(Math.abs(v + z1[e]!) < 1e-15));
  assert.throws(
    () => brownianNoise(splitMix64BrownianPath(), { grid: [1, 1, 2] }),
    RangeError,
  );
  assert.throws(() => brownianNoise(splitMix64BrownianPath(), { grid: [1] }), TypeError);
  assert.throws(
    () =>
      brownianNoise(virtualBrownianTree({ seed: 1, stream: 0 }, { noiseDim: 1, t1: 1 }), {
        grid: [0, 1],
      }),
    /needs a unit-grid path/,
  );
  assert.throws(
    () => splitMix64BrownianPath().increment(0.5, 1, { dW: new Float64Array(1) }, 1),
    RangeError,
  );
  assert.throws(() => brownianNoise({} as never), TypeError);
  assert.throws(() => brownianSigmaGrid([1, 2, 0]), RangeError);
  assert.throws(() => brownianSigmaGrid([2, 1, 0], { r: 1 }), RangeError);
});

// dpmpp_sde's default noise (the SDE solvers' brownianGrid read on the σ grid) is a Brownian path:
// on data N(μ, v) started from the exact marginal at σ = 80, 40 Karras steps end within 4 standard
// errors of mean μ and variance v (n = 20000; the bias at 40 steps is below one standard error).
Deno.test("sampleDpmppSde() with its default Brownian noise samples a 1-D Gaussian within |z| < 4", async () => {
  const b = new CpuBackend();
  const mu = 0.5, v = 0.25, n = 20000;
  const gm = gaussianMixture({ weights: [1], means: [[mu]], variances: [[v]] }, edmSchedule());
  const z = new Float64Array(n);
  fillNormal(z, makeKey(3, 0));
  const x = b.upload(z.map((e) => mu + Math.sqrt(v + 80 * 80) * e));
  const r = await sampleDpmppSde(gm, x, karrasSigmas(40), { key: makeKey(11, 0) });
  assert.equal(r.noiseCalls.length, 2 * 39);
  const y = Float64Array.from(await b.download(r.x));
  const m = y.reduce((a, c) => a + c, 0) / n;
  const s2 = y.reduce((a, c) => a + (c - m) ** 2, 0) / (n - 1);
  const zMean = (m - mu) / Math.sqrt(v / n), zVar = (s2 - v) / (v * Math.sqrt(2 / n));
  assert.ok(Math.abs(zMean) < 4, `mean z = ${zMean}`);
  assert.ok(Math.abs(zVar) < 4, `variance z = ${zVar}`);
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
      brownianNoise(virtualBrownianTree({ seed: 4, stream: 0 }, { noiseDim: 1, t0: 0.5, t1: 2 })),
    ];
    for (const s of sources) {
      const a = cpu.zeros(1000), g = gpu.zeros(1000);
      await s.sample(a, { index: 3, from: 2, to: 0.5, offset: 7 });
      await s.sample(g, { index: 3, from: 2, to: 0.5, offset: 7 });
      const x = await cpu.download(a), y = await gpu.download(g);
      for (let e = 0; e < 1000; e++) {
        assert.ok(Math.abs(x[e]! - y[e]!) < 1e-5 * (1 + Math.abs(x[e]!)));
      }
      gpu.release(g);
    }
  },
});
