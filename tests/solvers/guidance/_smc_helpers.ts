// Shared by the SMC guidance tests (mcgdiff, tds, fps_smc): small Gaussian
// problems with closed-form posteriors, a z-score of a sample mean whose
// standard error comes from the spread between independent particle systems
// (particles within a system are correlated; systems are i.i.d.), and the
// batch-split and cpu-vs-webgpu checks every method runs.

import assert from "node:assert/strict";
import { gaussian } from "../../../models/gaussian.ts";
import { denseOperator } from "../../../models/operators/dense.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import { CpuBackend } from "../../../kernels/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import type {
  GuidanceMethod,
  GuidanceRequest,
  GuidanceResult,
} from "../../../solvers/guidance/method.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { gpuBackend, maxAbsDiff } from "../../_gpu.ts";
import { loadGmmInstance, referenceSchedule } from "./_benchmark.ts";

/**
 * Prior N(0, [[1, ρ], [ρ, 1]]) in 2-D, y = x₁ + σ n: the posterior of
 * (x₁, x₂) in closed form.
 */
export function gaussian2d(sigma: number, y: number, rho = 0.5) {
  const model = gaussian({ mean: [0, 0], covariance: [[1, rho], [rho, 1]] }, referenceSchedule());
  const problem = { operator: denseOperator([[1, 0]]), y: [y], noise: gaussianNoise(sigma) };
  // x₁ | y ~ N(y/(1 + σ²), σ²/(1 + σ²)); x₂ | x₁ ~ N(ρ x₁, 1 − ρ²)
  const m1 = y / (1 + sigma * sigma), v1 = sigma * sigma / (1 + sigma * sigma);
  return {
    model,
    problem,
    mean: [m1, rho * m1],
    variance: [v1, rho * rho * v1 + 1 - rho * rho],
  };
}

/**
 * z of the mean of f(x_j) over the particle systems against its exact
 * value, with the standard error from the spread of the systems' averages
 * (systems are i.i.d.; the particles of one system are not independent).
 * Use f(x) = x for the mean and f(x) = (x − m)² with the exact mean m for
 * the variance.
 */
export function systemStatZ(
  samples: Float64Array,
  d: number,
  j: number,
  particles: number,
  f: (x: number) => number,
  exact: number,
): { value: number; se: number; z: number } {
  const rows = samples.length / d, systems = rows / particles;
  const values = new Float64Array(systems);
  for (let s = 0; s < systems; s++) {
    let acc = 0;
    for (let i = 0; i < particles; i++) acc += f(samples[(s * particles + i) * d + j]!);
    values[s] = acc / particles;
  }
  const value = values.reduce((a, b) => a + b, 0) / systems;
  const spread = values.reduce((a, b) => a + (b - value) ** 2, 0) / (systems - 1);
  const se = Math.sqrt(spread / systems);
  return { value, se, z: (value - exact) / se };
}

/** Sample mean and variance of coordinate j. */
export function moments(samples: Float64Array, d: number, j: number): [number, number] {
  const n = samples.length / d;
  let m = 0;
  for (let r = 0; r < n; r++) m += samples[r * d + j]! / n;
  let v = 0;
  for (let r = 0; r < n; r++) v += (samples[r * d + j]! - m) ** 2 / (n - 1);
  return [m, v];
}

/**
 * Runs a small problem (gmm_d8_dy2, 40 samples = 4 systems of 10, 20 steps)
 * whole, in batches of 10 and 20, and as two shards by pathOffset, and
 * checks that every split gives the same bits, ESS traces and resampling steps.
 */
export async function checkBatchSplit(
  method: GuidanceMethod<Record<string, unknown>>,
  options: Record<string, unknown> = {},
): Promise<void> {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const backend = new CpuBackend();
  const base: GuidanceRequest<Record<string, unknown>> = {
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(20),
    samples: 40,
    key: makeKey(5),
    backend,
    options: { particles: 10, essThreshold: 0.9, ...options },
  };
  const whole = await method.run(base);
  assert.equal(whole.samples.length, 40 * 8);
  assert.equal(whole.ess!.length, 4);
  assert.ok(whole.resampledAt!.some((r) => r.length > 0), "some system resampled");
  for (const batch of [10, 20]) {
    const r = await method.run({ ...base, batch });
    assert.deepEqual(r.samples, whole.samples, `batch ${batch}`);
    assert.deepEqual(r.ess, whole.ess);
    assert.deepEqual(r.resampledAt, whole.resampledAt);
  }
  const tail = await method.run({ ...base, samples: 20, pathOffset: 20 });
  assert.deepEqual(tail.samples, whole.samples.subarray(20 * 8));
  assert.deepEqual(tail.ess, whole.ess!.slice(2));
  assert.equal(backend.liveArrays, 0);
}

/**
 * The same small run on cpu (f64) and webgpu (f32): samples within `tol`
 * and the same resampling steps (skipped without an adapter).
 */
export async function checkCpuVsGpu(
  method: GuidanceMethod<Record<string, unknown>>,
  tol: number,
  options: Record<string, unknown> = {},
): Promise<void> {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const inst = loadGmmInstance("gmm_d8_dy4");
  const request = (backend: GuidanceRequest["backend"]) => ({
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(20),
    samples: 32,
    key: makeKey(8),
    backend,
    options: { particles: 16, ...options },
  });
  const cpu: GuidanceResult = await method.run(request(new CpuBackend()));
  const g: GuidanceResult = await method.run(request(gpu));
  assert.deepEqual(g.resampledAt, cpu.resampledAt);
  const diff = maxAbsDiff(cpu.samples, g.samples);
  console.log(`cpu vs webgpu (${gpu.description}): max |Δ| = ${diff.toExponential(2)}`);
  assert.ok(diff < tol, `cpu vs webgpu max |Δ| = ${diff}`);
}
