import assert from "node:assert/strict";
import { CpuBackend, SdenoRangeError } from "../../../kernels/mod.ts";
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

Deno.test("brownianNoise() is one path over every BrownianPath: overlapping queries agree, reversed queries flip sign", async () => {
  const b = new CpuBackend();
  const grid = brownianSigmaGrid([80, 2.5, 0.002, 0]);
  const paths = {
    splitmix64: splitMix64BrownianPath(grid, { seed: 4242 }),
    tree: virtualBrownianTree({ seed: 5, stream: 0 }, { noiseDim: 1, t0: 0.002, t1: 80 }),
    "tree (2 components)": virtualBrownianTree({ seed: 5, stream: 0 }, {
      noiseDim: 2,
      t0: 0.002,
      t1: 80,
    }),
  };
  for (const [name, path] of Object.entries(paths)) {
    const w = brownianNoise(path);
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
  await assert.rejects(
    () =>
      brownianNoise(paths.splitmix64).sample(b.zeros(2), { index: 0, from: 80, to: 50, offset: 0 }),
    SdenoRangeError,
  );
  await assert.rejects(
    () =>
      brownianNoise(paths["tree (2 components)"]).sample(b.zeros(3), {
        index: 0,
        from: 1,
        to: 2,
        offset: 0,
      }),
    TypeError,
  );
  // increment j of the splitmix64 path is stream j, and the grid path serves the SDE interface
  const w = brownianNoise(splitMix64BrownianPath([0, 1, 3], { seed: 4242 }));
  const o = b.zeros(3);
  await w.sample(o, { index: 9, from: 3, to: 1, offset: 0 }); // (W(1) − W(3))/√2 = −z₁
  const z1 = new Float64Array(3);
  splitMix64Normals(z1, { seed: 4242, stream: 1 });
  (await b.download(o)).forEach((v, e) => assert.ok(Math.abs(v + z1[e]!) < 1e-15));
  // the SDE solvers' fixed grid works too: its increments over [0, 0.5] are √dt·ξ summed
  const g = brownianNoise(brownianGrid({ seed: 2, stream: 0 }, { noiseDim: 1, dt: 0.25 }));
  const h = b.zeros(2), h1 = b.zeros(2), h2 = b.zeros(2);
  await g.sample(h, { index: 0, from: 0, to: 0.5, offset: 0 });
  await g.sample(h1, { index: 0, from: 0, to: 0.25, offset: 0 });
  await g.sample(h2, { index: 0, from: 0.25, to: 0.5, offset: 0 });
  const [H, H1, H2] = [await b.download(h), await b.download(h1), await b.download(h2)];
  for (let e = 0; e < 2; e++) {
    assert.ok(Math.abs(H[e]! * Math.sqrt(0.5) - 0.5 * (H1[e]! + H2[e]!)) < 1e-14);
  }
  assert.throws(() => splitMix64BrownianPath([1, 1, 2]), RangeError);
  assert.throws(() => splitMix64BrownianPath([1]), TypeError);
  assert.throws(() => brownianNoise({} as never), TypeError);
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
