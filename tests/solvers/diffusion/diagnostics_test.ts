import assert from "node:assert/strict";
import { type CpuArray, createBackend, fillNormal, fillUniform } from "../../../kernels/mod.ts";
import { type Denoiser, denoiserFromNative, predictAs } from "../../../models/denoiser.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { ddpm } from "../../../solvers/diffusion/ddpm.ts";
import {
  fokkerPlanckResidual,
  odeSdeGap,
  x0TrajectoryVariance,
} from "../../../solvers/diffusion/diagnostics.ts";
import { diffusionMethods } from "../../../solvers/diffusion/registry.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { mannWhitneyAuc } from "../../../stats/diffusion_diagnostics.ts";
import { slicedWasserstein } from "../../../stats/sliced_wasserstein.ts";
import { LINEAR, NOISE, SPEC } from "./_fixture.ts";

const cpu = await createBackend("cpu");
const RING = gaussianMixture(SPEC, LINEAR);
const mean = (a: readonly number[]) => a.reduce((p, q) => p + q, 0) / a.length;
const sd = (a: readonly number[]) => {
  const m = mean(a);
  return Math.sqrt(a.reduce((p, q) => p + (q - m) ** 2, 0) / (a.length - 1));
};

/** The ring mixture's x̂₀ changed to (1 + scale)·x̂₀ + shift: a score with a known error. */
function perturbed(scale: number, shift: number): Denoiser {
  return denoiserFromNative({
    dim: 2,
    schedule: LINEAR,
    kind: "x0",
    async predict(x, t, out) {
      await predictAs(RING, x, { t, kind: "x0", out });
      const o = (out as CpuArray).data;
      for (let i = 0; i < o.length; i++) o[i] = (1 + scale) * o[i]! + shift;
    },
  });
}

Deno.test("mannWhitneyAuc() equals the pair count with ties counted ½", () => {
  const p = new Float64Array(37), q = new Float64Array(52);
  fillUniform(p, { seed: 1, stream: 0 });
  fillUniform(q, { seed: 2, stream: 0 });
  const pos = Array.from(p, (v) => Math.round(v * 10)),
    neg = Array.from(q, (v) => Math.round(v * 8));
  let pairs = 0;
  for (const a of pos) for (const b of neg) pairs += a > b ? 1 : a === b ? 0.5 : 0;
  const r = mannWhitneyAuc(pos, neg);
  assert.ok(Math.abs(r.auc - pairs / (37 * 52)) < 1e-14);
  assert.equal(r.u, pairs);
  // Hanley & McNeil's Table 1-style check: A = 0.5 with n = m gives se² = (1/4 + (n−1)(1/3 − 1/4)·2)/n²
  const h = mannWhitneyAuc([1, 2, 3, 4], [1, 2, 3, 4]);
  assert.equal(h.auc, 0.5);
  assert.ok(Math.abs(h.se ** 2 - (0.25 + 3 * (1 / 3 - 0.25) * 2) / 16) < 1e-15);
  assert.throws(() => mannWhitneyAuc([], [1]), { name: "SdenoRangeError" });
  assert.throws(() => mannWhitneyAuc([1, Number.NaN], [1]), {
    name: "SdenoRangeError",
    message: /positives\[1\]/,
  });
  assert.throws(() => mannWhitneyAuc(null as never, [1]), { name: "SdenoTypeError" });
});

Deno.test("x0TrajectoryVariance(): separates samples between modes from samples at modes (AUC − 4 SE > 0.9)", async () => {
  // Aithal et al. 2406.09358: a learned score is a smooth interpolation of the true one, which
  // puts samples between modes (mode interpolation). Emulated exactly: the 1-D mixture ±2 (sd 0.1)
  // whose responsibilities are frozen at σ/α ≥ 1.3 (the component means b_k stay exact), so the
  // responsibility switch between the modes stays smooth at low noise. DDPM, 50 log-SNR steps,
  // variance over the steps with σ/α ≤ 1. Between: |x| < 1.5 (5 sd from a mode); at: within 3 sd.
  // Measured: 269 between, 19209 at, AUC 0.965.
  const s = vpLinearSchedule(), mu = [-2, 2], v = 0.01, floor = 1.3;
  const model = denoiserFromNative({
    dim: 1,
    schedule: s,
    kind: "x0",
    async predict(x, t, out) {
      const a = s.alpha(t), sg = s.sigma(t), st = Math.max(sg / a, floor), q = a * a * v + sg * sg;
      const xs = (x as CpuArray).data, o = (out as CpuArray).data;
      for (let i = 0; i < xs.length; i++) {
        const xt = xs[i]! / a;
        const dl = (-((xt - mu[1]!) ** 2) + (xt - mu[0]!) ** 2) / (2 * (v + st * st));
        const r1 = 1 / (1 + Math.exp(-dl));
        const b0 = mu[0]! + a * v * (xs[i]! - a * mu[0]!) / q;
        const b1 = mu[1]! + a * v * (xs[i]! - a * mu[1]!) / q;
        o[i] = (1 - r1) * b0 + r1 * b1;
      }
    },
  });
  const n = 20000;
  const x = cpu.zeros(n);
  await cpu.fillNormal(x, { seed: 3, stream: 0 });
  const rec = x0TrajectoryVariance({ dim: 1, window: [0, 1], schedule: s });
  const r = await ddpm(model, x, timeGrid(s, 50, { kind: "logSNR" }), {
    key: { seed: 4, stream: 0 },
    onStep: rec.onStep,
  });
  assert.equal(rec.steps, 23); // the steps that start at σ/α ≤ 1
  const xf = await cpu.download(r.x), score = rec.scores();
  const between: number[] = [], at: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = Math.abs(xf[i]!);
    if (a < 1.5) between.push(score[i]!);
    else if (Math.abs(a - 2) < 0.3) at.push(score[i]!);
  }
  assert.ok(between.length > 100, `${between.length} samples between the modes`);
  const auc = mannWhitneyAuc(between, at);
  assert.ok(auc.auc - 4 * auc.se > 0.9, `AUC ${auc.auc} ± ${auc.se}`);
});

Deno.test("x0TrajectoryVariance() rejects a bad dim, a window without schedule, too few steps", () => {
  assert.throws(() => x0TrajectoryVariance({ dim: 0 }), { name: "SdenoRangeError" });
  assert.throws(() => x0TrajectoryVariance({ dim: 1, window: [0, 1] }), { name: "SdenoTypeError" });
  assert.throws(() => x0TrajectoryVariance({ dim: 1, window: [2, 1], schedule: LINEAR }), {
    name: "SdenoRangeError",
  });
  assert.throws(() => x0TrajectoryVariance({ dim: 1 }).scores(), {
    name: "SdenoRangeError",
    message: /0 steps recorded/,
  });
});

Deno.test("odeSdeGap(): exact score within the exact-vs-exact band, a biased x̂0 far outside", async () => {
  // DPM-Solver++ (50 log-SNR steps) against DDPM (200) from the same 4000 normals on the ring.
  // Band: SW2 between independent exact samples of the ring (sizes 4000), 10 replicates, mean +
  // 4 sd. A biased model (x̂0 + 0.1) moves the ODE and the SDE differently (the SDE's drift
  // carries the score error twice, the ODE's once). Measured: null 0.064 ± 0.020, band 0.14; exact
  // gap 0.077, biased gap 0.29.
  const n = 4000;
  const exact = (seed: number) => {
    const u = new Float64Array(n), z = new Float64Array(2 * n), out = new Float64Array(2 * n);
    fillUniform(u, { seed, stream: 0 });
    fillNormal(z, { seed, stream: 1 });
    for (let i = 0; i < n; i++) {
      let c = 0, acc = SPEC.weights[0]!;
      while (u[i]! > acc && c < SPEC.weights.length - 1) acc += SPEC.weights[++c]!;
      for (let j = 0; j < 2; j++) {
        out[2 * i + j] = SPEC.means[c]![j]! + Math.sqrt(SPEC.variances[c]![j]!) * z[2 * i + j]!;
      }
    }
    return out;
  };
  const nulls = Array.from(
    { length: 10 },
    (_, i) => slicedWasserstein(exact(10 + 2 * i), exact(11 + 2 * i), { d: 2 }),
  );
  const band = mean(nulls) + 4 * sd(nulls);
  const x = cpu.zeros(2 * n);
  await cpu.fillNormal(x, { seed: 1, stream: 0 });
  const opts = {
    ode: diffusionMethods.get("dpmsolver++"),
    sde: diffusionMethods.get("ddpm"),
    sdeGrid: timeGrid(LINEAR, 200, { kind: "logSNR" }),
    sdeOptions: { key: { seed: 5, stream: 0 } },
  };
  const grid = timeGrid(LINEAR, 50, { kind: "logSNR" });
  const good = await odeSdeGap(RING, x, grid, opts);
  assert.ok(good.distance < band, `exact gap ${good.distance}, band ${band}`);
  const bad = await odeSdeGap(perturbed(0, 0.1), x, grid, opts);
  assert.ok(bad.distance > band, `biased gap ${bad.distance}, band ${band}`);
  await assert.rejects(() => odeSdeGap(RING, x, grid, { ...opts, sde: {} as never }), {
    name: "SdenoTypeError",
  });
});

Deno.test("fokkerPlanckResidual(): O(h²) for the exact score, O(1) for a perturbed one", async () => {
  // Central differences with τ = h/10: for the exact ring score the relative residual falls at
  // order 2 (measured ratios 4.0 per halving); x̂0 scaled by 1.05 leaves a residual that does not
  // fall (8e-2, 4e-2, 1e-3 of |∂t s| at t = 0.1, 0.3, 0.7).
  const x = cpu.upload(NOISE.subarray(0, 64).map((v) => v * 1.5));
  const bad = perturbed(0.05, 0);
  const hs = [4e-2, 2e-2, 1e-2, 5e-3];
  for (const t of [0.1, 0.3, 0.7]) {
    const rel: number[] = [], relBad: number[] = [];
    for (const h of hs) {
      const r = await fokkerPlanckResidual(RING, x, t, { h, tau: h / 10 });
      const p = await fokkerPlanckResidual(bad, x, t, { h, tau: h / 10 });
      rel.push(r.rms / r.scale);
      relBad.push(p.rms / p.scale);
    }
    const lx = hs.map(Math.log), ly = rel.map(Math.log);
    const mx = mean(lx), my = mean(ly);
    let num = 0, den = 0;
    for (let i = 0; i < hs.length; i++) {
      num += (lx[i]! - mx) * (ly[i]! - my);
      den += (lx[i]! - mx) ** 2;
    }
    assert.ok(Math.abs(num / den - 2) < 0.2, `t ${t}: order ${num / den} (${rel})`);
    assert.ok(rel[3]! < 1e-3, `t ${t}: exact residual ${rel[3]}`);
    assert.ok(relBad[3]! > 10 * rel[3]! && relBad[3]! > 0.5 * relBad[0]!, `t ${t}: ${relBad}`);
  }
  await assert.rejects(() => fokkerPlanckResidual(RING, x, 1), {
    name: "SdenoRangeError",
    message: /t ± tau/,
  });
  await assert.rejects(() => fokkerPlanckResidual(RING, x, 0.5, { h: -1 }), {
    name: "SdenoRangeError",
  });
});
