// Conjugate gradients on batched rows (solvers/guidance/_cg.ts): solves SPD
// systems to tolerance against a direct Gauss–Jordan solve, rows are
// independent (same bits alone or in a batch), converged rows stay put, and
// bad options are refused.

import assert from "node:assert/strict";
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import type { Backend } from "../../../kernels/backend.ts";
import { fillNormal, makeKey } from "../../../kernels/philox.ts";
import { type CgSystem, conjugateGradient } from "../../../solvers/guidance/_cg.ts";
import { inverseSpd } from "./_benchmark.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../../_gpu.ts";

// M = GᵀG + 0.1 I (SPD, condition number of a few hundred).
function spd(d: number, seed: number): Float64Array {
  const g = new Float64Array(d * d);
  fillNormal(g, makeKey(seed));
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let acc = i === j ? 0.1 : 0;
      for (let k = 0; k < d; k++) acc += g[k * d + i]! * g[k * d + j]!;
      m[i * d + j] = acc;
    }
  }
  return m;
}

function system(backend: Backend, m: Float64Array, d: number): CgSystem {
  const dev = backend.upload(m);
  return {
    dim: d,
    apply: (p, out) =>
      backend.matmul(out, { a: p, b: dev, m: p.length / d, k: d, n: d, transB: true }),
  };
}

Deno.test("conjugateGradient() solves SPD systems to 1e-10 against a direct solve", async () => {
  const d = 12, n = 3, b = new CpuBackend();
  const m = spd(d, 3);
  const rhs = new Float64Array(n * d);
  fillNormal(rhs, makeKey(4));
  const x = b.zeros(n * d);
  const res = await conjugateGradient(system(b, m, d), b.upload(rhs), x, {
    iterations: 200,
    tolerance: 1e-12,
  });
  assert.ok(res.iterations <= 200 && res.iterations >= d / 2, `iterations ${res.iterations}`);
  const inv = inverseSpd(m, d);
  const got = await b.download(x);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      let want = 0;
      for (let j = 0; j < d; j++) want += inv[i * d + j]! * rhs[r * d + j]!;
      assert.ok(Math.abs(got[r * d + i]! - want) < 1e-10 * (1 + Math.abs(want)), `${r},${i}`);
    }
  }
  assert.ok(res.residualNorms!.every((v) => v < 1e-11));
});

Deno.test("conjugateGradient() in exact-arithmetic terms: d iterations on a d×d system", async () => {
  // A well-conditioned system (M = I + small) converges in d steps to rounding.
  const d = 6, b = new CpuBackend();
  const m = spd(d, 9).map((v, i) => v * 0.01 + (i % (d + 1) === 0 ? 1 : 0));
  const rhs = Float64Array.from({ length: d }, (_, i) => i - 2.5);
  const x = b.zeros(d);
  await conjugateGradient(system(b, m, d), b.upload(rhs), x, { iterations: d });
  const inv = inverseSpd(m, d), got = await b.download(x);
  for (let i = 0; i < d; i++) {
    let want = 0;
    for (let j = 0; j < d; j++) want += inv[i * d + j]! * rhs[j]!;
    assert.ok(Math.abs(got[i]! - want) < 1e-12, `${i}`);
  }
});

Deno.test("conjugateGradient() rows are independent: a row alone gives the same bits", async () => {
  const d = 8, n = 4, b = new CpuBackend();
  const m = spd(d, 5);
  const rhs = new Float64Array(n * d), x0 = new Float64Array(n * d);
  fillNormal(rhs, makeKey(6));
  fillNormal(x0, makeKey(7));
  rhs.fill(0, 2 * d, 3 * d); // row 2: b = 0 from x0 …
  const all = b.upload(x0);
  await conjugateGradient(system(b, m, d), b.upload(rhs), all, { iterations: 3 });
  const whole = await b.download(all);
  for (let r = 0; r < n; r++) {
    const one = b.upload(x0.subarray(r * d, (r + 1) * d));
    await conjugateGradient(system(b, m, d), b.upload(rhs.subarray(r * d, (r + 1) * d)), one, {
      iterations: 3,
    });
    assert.deepEqual([...await b.download(one)], [...whole.subarray(r * d, (r + 1) * d)]);
  }
  // A row that starts at the solution (x = 0, b = 0) stays exactly there.
  const z = b.zeros(d);
  await conjugateGradient(system(b, m, d), b.zeros(d), z, { iterations: 4 });
  assert.ok((await b.download(z)).every((v) => v === 0));
});

Deno.test("conjugateGradient() refuses bad options", async () => {
  const b = new CpuBackend();
  const sys = system(b, spd(2, 1), 2);
  await assert.rejects(
    () => conjugateGradient(sys, b.zeros(2), b.zeros(2), { iterations: 0 }),
    /iterations must be an integer in \[1/,
  );
  await assert.rejects(
    () => conjugateGradient(sys, b.zeros(2), b.zeros(2), { iterations: 1, tolerance: -1 }),
    /tolerance must be ≥ 0/,
  );
  await assert.rejects(
    () => conjugateGradient(sys, b.zeros(3), b.zeros(3), { iterations: 1 }),
    /whole rows of 2/,
  );
});

Deno.test({
  name: "conjugateGradient() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const d = 8, n = 5, cpu = new CpuBackend();
    const m = spd(d, 11).map((v, i) => v + (i % (d + 1) === 0 ? 2 : 0));
    const rhs = new Float64Array(n * d);
    fillNormal(rhs, makeKey(12));
    const out: Float64Array[] = [];
    for (const be of [cpu, gpu] as Backend[]) {
      const x = be.zeros(n * d), bb = be.upload(rhs);
      await conjugateGradient(system(be, m, d), bb, x, { iterations: 6 });
      out.push(Float64Array.from(await be.download(x)));
      be.release(x);
      be.release(bb);
    }
    assert.ok(maxAbsDiff(out[0]!, out[1]!) < 1e-4, `max diff ${maxAbsDiff(out[0]!, out[1]!)}`);
  },
});

Deno.test("conjugateGradient() on a singular consistent system stops at convergence instead of blowing up", async () => {
  // M = diag(1, 3, 0) (AᵀA + ρD_zᵀD_z has such a null space); b in its range.
  const b = new CpuBackend();
  const m = Float64Array.from([1, 0, 0, 0, 3, 0, 0, 0, 0]);
  const x = b.upload([0, 0, 0.5]);
  await conjugateGradient(system(b, m, 3), b.upload([2, 3, 0]), x, { iterations: 30 });
  const got = await b.download(x);
  assert.ok(Math.abs(got[0]! - 2) < 1e-12 && Math.abs(got[1]! - 1) < 1e-12, `${got}`);
  assert.equal(got[2], 0.5); // the null-space part of the start is left alone
});
