// Shared by the SMC guidance tests (mcgdiff, tds, fps_smc): small Gaussian
// problems with closed-form posteriors, a z-score of a sample mean whose
// standard error comes from the spread between independent particle systems
// (particles within a system are correlated; systems are i.i.d.), the
// batch-split and cpu-vs-webgpu checks every method runs, the SW sweep over
// particle counts on the GMM instances, and the typed-error harness.

import assert from "node:assert/strict";
import { gaussian } from "../../../models/gaussian.ts";
import { denseOperator } from "../../../models/operators/dense.ts";
import type { LinearOperator } from "../../../models/operators/operator.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import { CpuBackend } from "../../../kernels/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import type {
  GuidanceMethod,
  GuidanceRequest,
  GuidanceResult,
} from "../../../solvers/guidance/method.ts";
import { alphaBar, ddimCoefficients, quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { ddimMean } from "../../../solvers/guidance/_smc.ts";
import { gpuBackend, maxAbsDiff } from "../../_gpu.ts";
import { loadGmmInstance, modeTv, referenceSchedule, sw1 } from "./_benchmark.ts";

/**
 * Prior N(0, [[1, ρ], [ρ, 1]]) in 2-D, y = x₁ + σ n, reversed by the DDIM
 * chain (η) on `grid` from x_T ~ N(0, I) with the exact x̂₀. The chain's
 * output is Gaussian, N(0, S) with S from the linear recursion
 * `C_s = B C_t Bᵀ + c1² I`, `B = a M_t + b I`, `x̂₀ = M_t x_t`
 * (`M_t = √ᾱ Σ (ᾱ Σ + (1 − ᾱ) I)⁻¹`), and an SMC method whose last target
 * is `p_chain(x₀) p(y | x₀)` converges to the posterior under that prior:
 * `mean` and `variance` are its moments (x₁ and x₂), so the test checks the
 * sampler's exactness apart from the discretisation of the grid.
 */
export function gaussian2d(sigma: number, y: number, grid: ArrayLike<number>, eta = 1, rho = 0.5) {
  const schedule = referenceSchedule();
  const model = gaussian({ mean: [0, 0], covariance: [[1, rho], [rho, 1]] }, schedule);
  const problem = { operator: denseOperator([[1, 0]]), y: [y], noise: gaussianNoise(sigma) };
  type M2 = [number, number, number, number];
  const mul = (p: M2, q: M2): M2 => [
    p[0] * q[0] + p[1] * q[2],
    p[0] * q[1] + p[1] * q[3],
    p[2] * q[0] + p[3] * q[2],
    p[2] * q[1] + p[3] * q[3],
  ];
  const tr = (p: M2): M2 => [p[0], p[2], p[1], p[3]];
  const inv = (p: M2): M2 => {
    const det = p[0] * p[3] - p[1] * p[2];
    return [p[3] / det, -p[1] / det, -p[2] / det, p[0] / det];
  };
  const prior: M2 = [1, rho, rho, 1];
  let c: M2 = [1, 0, 0, 1];
  for (let k = 0; k + 1 < grid.length; k++) {
    const abT = alphaBar(schedule, grid[k]!), abS = alphaBar(schedule, grid[k + 1]!);
    const { a, b, c1 } = ddimMean(abT, abS, ddimCoefficients(abT, abS, eta));
    const inner: M2 = [
      abT * prior[0] + 1 - abT,
      abT * prior[1],
      abT * prior[2],
      abT * prior[3] + 1 - abT,
    ];
    const m = mul(prior, inv(inner)).map((v) => v * Math.sqrt(abT)) as M2;
    const bm = m.map((v, i) => a * v + (i === 0 || i === 3 ? b : 0)) as M2;
    c = mul(mul(bm, c), tr(bm));
    c[0] += c1 * c1;
    c[3] += c1 * c1;
  }
  const s = c, den = s[0] + sigma * sigma;
  return {
    model,
    problem,
    /** Covariance of the chain's output (prior) S, row-major. */
    chainPrior: s,
    mean: [s[0] * y / den, s[2] * y / den],
    variance: [s[0] - s[0] * s[0] / den, s[3] - s[2] * s[2] / den],
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
 * Asserts that coordinate j's sample mean and variance are within |z| < 4
 * of the exact `mean` and `variance` (z from the between-system standard
 * error of {@linkcode systemStatZ}, systems of `particles` rows of width 2),
 * and prints them after `label`.
 */
export function assertMomentsZ(
  label: string,
  samples: Float64Array,
  particles: number,
  j: number,
  mean: number,
  variance: number,
): void {
  const stats: [string, (x: number) => number, number][] = [
    ["mean", (x) => x, mean],
    ["variance", (x) => (x - mean) ** 2, variance],
  ];
  for (const [stat, f, exact] of stats) {
    const { value, se, z } = systemStatZ(samples, 2, j, particles, f, exact);
    console.log(
      `${label}: x${j + 1} ${stat} ${value.toFixed(4)} ± ${se.toFixed(4)} (exact ${
        exact.toFixed(4)
      }), z ${z.toFixed(2)}`,
    );
    assert.ok(Math.abs(z) < 4, `x${j + 1} ${stat} ${value}, z ${z}`);
  }
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

/**
 * SW of `method` on a d = 8 GMM instance at 10, 100 and 1000 particles per
 * system (10000 samples, quadraticGrid(100), key 1), printed with modeTV.
 */
export async function gmmSwByParticles(
  method: GuidanceMethod<Record<string, unknown>>,
  name: string,
  backend: GuidanceRequest["backend"],
): Promise<number[]> {
  const inst = loadGmmInstance(name);
  const sw: number[] = [];
  for (const particles of [10, 100, 1000]) {
    const r = await method.run({
      model: inst.model,
      problem: inst.problem,
      grid: quadraticGrid(100),
      samples: 10000,
      key: makeKey(1),
      backend,
      options: { particles },
    });
    sw.push(sw1(inst, r.samples));
    console.log(
      `${name} N = ${particles}: SW ${sw.at(-1)!.toFixed(3)} modeTV ${
        modeTv(inst, r.samples).toFixed(3)
      }`,
    );
  }
  return sw;
}

/**
 * The 2-D problem of {@linkcode gaussian2d} (σ_y = 0.3, y = 0.7) and
 * `bad(options, class, message, extra)`, which asserts that `method` refuses
 * that request (20 samples, quadraticGrid(10), `extra` merged in) with an
 * error of the class whose message matches.
 */
export function refusals(method: GuidanceMethod<Record<string, unknown>>) {
  const { model, problem } = gaussian2d(0.3, 0.7, quadraticGrid(10));
  const base = {
    model,
    problem,
    grid: quadraticGrid(10),
    samples: 20,
    key: makeKey(1),
    backend: new CpuBackend(),
  };
  const bad = async (options: Record<string, unknown>, cls: unknown, re: RegExp, extra = {}) => {
    await assert.rejects(
      method.run({ ...base, ...extra, options } as never),
      (e) => e instanceof (cls as typeof Error) && re.test((e as Error).message),
    );
  };
  return { model, problem, bad };
}

/** The operator x ↦ x₁ on 2-D without an SVD (with its VJP when `vjp`). */
export function noSvdOperator(vjp = false): LinearOperator {
  const dense = denseOperator([[1, 0]]);
  return {
    name: "no-svd",
    inDim: 2,
    outDim: 1,
    linear: true,
    apply: (x, out) => dense.apply(x, out),
    applyTranspose: (v, out) => dense.applyTranspose(v, out),
    ...(vjp ? { vjp: (_x, v, out) => dense.applyTranspose(v, out) } : {}),
  };
}
