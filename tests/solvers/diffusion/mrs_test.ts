// MRS (Li et al. 2502.07856) on the exact mean-reverting model of a 2-D Gaussian mixture:
// ODE solvers against the exact probability-flow ODE solution (RK4 in u = −λ on 4096 steps,
// checked against 8192), SDE solvers in strong order on coupled Brownian paths (each form's
// noise clock), and the SDE's marginal moments against the exact mixture marginal (|z| < 4).
import assert from "node:assert/strict";
import { createBackend, PHILOX_PURPOSES } from "../../../kernels/mod.ts";
import { meanRevertingSchedule } from "../../../processes/mean_reverting_schedule.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { meanRevertingMixture } from "../../../solvers/diffusion/mrs_mixture.ts";
import { mrsOde, mrsOdeMethod, mrsSde, mrsSdeMethod } from "../../../solvers/diffusion/mrs.ts";
import { dpmSolver } from "../../../solvers/diffusion/dpm_solver.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { diffusionMethodProblems } from "../../../solvers/diffusion/diffusion_method.ts";
import type { NoiseSource } from "../../../solvers/diffusion/types.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../../_gpu.ts";

const cpu = await createBackend("cpu");
const get = async (a: Parameters<typeof cpu.download>[0]) =>
  Float64Array.from(await cpu.download(a));
const SPEC = {
  weights: [0.3, 0.5, 0.2],
  means: [[1, -1], [-1.5, 0.5], [2, 2]],
  variances: [[0.3, 0.5], [0.4, 0.2], [0.25, 0.3]],
};
const MU = [0.5, -0.3];
const S = meanRevertingSchedule({ stationaryStd: 0.8, thetaMin: 0.1, thetaMax: 8 });
const MODEL = meanRevertingMixture(SPEC, S, MU);
const T_END = 1e-3;
const ROWS = 32, D = 2;

/** Start points x_T: fixed normals × the prior std around μ. */
async function startPoints(rows: number, seed: number): Promise<Float64Array> {
  const z = cpu.zeros(rows * D);
  await cpu.fillNormal(z, { seed, stream: 0 }, { purpose: PHILOX_PURPOSES.diffusionNoise });
  const x = await get(z);
  return x.map((v, e) => MU[e % D]! + S.sigma(1) * v);
}

/** The exact PF-ODE of y = x − μ from t = 1 to tEnd: dỹ/du = ỹ − D(αỹ), ỹ = y/α, u = −λ (RK4). */
function exactFlow(x: Float64Array, steps: number): Float64Array {
  const u0 = -S.logSnr(1), u1 = -S.logSnr(T_END), h = (u1 - u0) / steps;
  const y = x.map((v, e) => (v - MU[e % D]!) / S.alpha(1));
  const f = (yt: Float64Array, u: number): Float64Array => {
    const t = S.tOfLogSnr(-u), a = S.alpha(t), s = S.sigma(t);
    const x0 = new Float64Array(yt.length);
    MODEL.evaluate(yt.map((v) => a * v), a, s, { x0 });
    return yt.map((v, e) => v - x0[e]!);
  };
  const axpy = (p: Float64Array, k: Float64Array, c: number) => p.map((v, e) => v + c * k[e]!);
  for (let i = 0; i < steps; i++) {
    const u = u0 + i * h;
    const k1 = f(y, u), k2 = f(axpy(y, k1, h / 2), u + h / 2);
    const k3 = f(axpy(y, k2, h / 2), u + h / 2), k4 = f(axpy(y, k3, h), u + h);
    for (let e = 0; e < y.length; e++) {
      y[e] = y[e]! + (h / 6) * (k1[e]! + 2 * k2[e]! + 2 * k3[e]! + k4[e]!);
    }
  }
  return y.map((v, e) => MU[e % D]! + S.alpha(T_END) * v);
}

/** Median over rows of the row error (RMS over dimensions): mode-switching rows do not dominate it. */
function medianRowError(a: Float64Array, b: Float64Array): number {
  const e: number[] = [];
  for (let i = 0; i < a.length / D; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) s += (a[i * D + j]! - b[i * D + j]!) ** 2;
    e.push(Math.sqrt(s / D));
  }
  e.sort((x, y) => x - y);
  return e[e.length >> 1]!;
}

function rms(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let e = 0; e < a.length; e++) s += (a[e]! - b[e]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Least-squares slope of log(err) against log(1/N). */
function fittedOrder(ns: number[], errs: number[]): number {
  const xs = ns.map((n) => -Math.log(n)), ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

const grid = (n: number) => timeGrid(S, n, { kind: "logSNR", tStart: 1, tEnd: T_END });
const X_T = await startPoints(ROWS, 7);
const TRUTH = exactFlow(X_T, 4096);

Deno.test("exact MR flow: RK4 on 4096 steps agrees with 8192 to 1e-10", () => {
  assert.ok(rms(TRUTH, exactFlow(X_T, 8192)) < 1e-10);
});

for (const prediction of ["data", "noise"] as const) {
  for (const order of [1, 2]) {
    Deno.test(`mrsOde() ${prediction} prediction has order ${order} against the exact MR flow`, async () => {
      const ns = order === 1 ? [40, 80, 160, 320] : [20, 40, 80, 160];
      const errs: number[] = [];
      for (const n of ns) {
        const r = await mrsOde(MODEL, cpu.upload(X_T), grid(n), { mu: MU, order, prediction });
        assert.equal(r.nfe, n);
        errs.push(rms(await get(r.x), TRUTH));
      }
      const p = fittedOrder(ns, errs);
      assert.ok(Math.abs(p - order) < 0.2, `fitted order ${p}, errors ${errs}`);
    });
  }
}

Deno.test("mrsOde() order 1 with λ_s = 1, μ = 0 is DPM-Solver(++)-1 on the VP linear schedule", async () => {
  const mr = meanRevertingSchedule({ thetaMin: 0.05, thetaMax: 10 }), vp = vpLinearSchedule();
  const spec = { weights: [1], means: [[0.5, 1]], variances: [[0.3, 0.2]] };
  const g = timeGrid(vp, 10, { kind: "logSNR", tStart: 1, tEnd: 1e-3 });
  for (
    const [prediction, algorithm] of [["data", "dpmsolver++"], ["noise", "dpmsolver"]] as const
  ) {
    const a = await mrsOde(gaussianMixture(spec, mr), cpu.upload(X_T), g, { order: 1, prediction });
    const b = await dpmSolver(gaussianMixture(spec, vp), cpu.upload(X_T), g, {
      algorithm,
      order: 1,
    });
    assert.ok(rms(await get(a.x), await get(b.x)) < 1e-12, prediction);
  }
});

/**
 * Noise coupled across nested grids: fine step k of `fine` carries ξ_k; a coarse step i covering
 * fine steps [i·m, (i+1)·m) draws Σ sqrt(ΔV_k) ξ_k / sqrt(Σ ΔV_k), V the form's variance clock.
 */
function coupledNoise(xi: Float64Array[], clock: number[], m: number): NoiseSource {
  return {
    async sample(out, call) {
      const z = new Float64Array(out.length);
      let total = 0;
      for (let k = call.index * m; k < (call.index + 1) * m; k++) {
        const dv = Math.abs(clock[k + 1]! - clock[k]!);
        total += dv;
        for (let e = 0; e < z.length; e++) z[e] = z[e]! + Math.sqrt(dv) * xi[k]![e]!;
      }
      const c = 1 / Math.sqrt(total);
      await cpu.lincomb(out, [[c, cpu.upload(z)]]);
    },
  };
}

const N_REF = 8192, SDE_ROWS = 512;
const X_T_SDE = await startPoints(SDE_ROWS, 8);
const XI: Float64Array[] = [];
for (let k = 0; k < N_REF; k++) {
  const z = cpu.zeros(SDE_ROWS * D);
  await cpu.fillNormal(z, { seed: 11, stream: 0 }, {
    step: k,
    purpose: PHILOX_PURPOSES.diffusionNoise,
  });
  XI.push(await get(z));
}

for (const prediction of ["data", "noise"] as const) {
  for (const order of [1, 2]) {
    Deno.test(`mrsSde() ${prediction} prediction, order ${order}: strong order 1 on coupled Brownian paths`, async () => {
      const fine = grid(N_REF);
      const clock = fine.map((t) => Math.exp((prediction === "data" ? 2 : -2) * S.logSnr(t)));
      const run = async (n: number) => {
        const noise = coupledNoise(XI, clock, N_REF / n);
        const r = await mrsSde(MODEL, cpu.upload(X_T_SDE), grid(n), {
          mu: MU,
          order,
          prediction,
          noise,
        });
        return await get(r.x);
      };
      const ref = await run(N_REF);
      const ns = [32, 64, 128, 256, 512];
      const errs: number[] = [];
      for (const n of ns) errs.push(medianRowError(await run(n), ref));
      const p = fittedOrder(ns, errs);
      assert.ok(Math.abs(p - 1) < 0.2, `fitted strong order ${p}, errors ${errs}`);
    });
  }
}

/** Coupled noise drawn on the fly: fine step k's normals are Philox step k (seed 12). */
function coupledNoiseKeyed(clock: number[], m: number): NoiseSource {
  return {
    async sample(out, call) {
      const xi = cpu.zeros(out.length);
      await cpu.lincomb(out, []);
      let total = 0;
      for (let k = call.index * m; k < (call.index + 1) * m; k++) {
        const dv = Math.abs(clock[k + 1]! - clock[k]!);
        total += dv;
        await cpu.fillNormal(xi, { seed: 12, stream: 0 }, {
          step: k,
          purpose: PHILOX_PURPOSES.diffusionNoise,
        });
        await cpu.lincomb(out, [[1, out], [Math.sqrt(dv), xi]]);
      }
      await cpu.lincomb(out, [[1 / Math.sqrt(total), out]]);
      cpu.release(xi);
    },
  };
}

// Weak order on the mixture: E[x₁²] after N steps minus after the reference on the same Brownian
// path, paired row by row (its SE from the paired differences). The noise forms are left out here:
// at N ≤ 16 they are far from their asymptotic regime (MRS §5: noise prediction is unstable at few
// steps; at N = 8 the order-2 noise form's error is ~10³ times the data form's), and beyond N = 64
// their errors are below 4 SE. The exact Gaussian test below covers them. The order-2 data form
// converges faster than second order over every range Monte Carlo resolves here: fitted 2.25 at
// N = 32-128 with 131072 rows (errors 7.0e-2, 1.5e-2, 3.1e-3; local slopes 2.21, 2.28), ~2.2 at
// N = 16-64, while on a Gaussian prior (below, no Monte Carlo) it is 2.03; so on the mixture the
// test asserts "at least second order" (fitted > 1.8), not 2 ± 0.2.
for (const [order, rows, ns] of [[1, 16384, [16, 32, 64]], [2, 32768, [16, 32, 64]]] as const) {
  Deno.test(`mrsSde() data prediction, order ${order}: weak order ${order === 1 ? "1" : "≥ 2"} on the mixture (coupled paths, paired SE)`, async () => {
    const nRef = 512;
    const x = await startPoints(rows, 13);
    const fine = grid(nRef);
    const clock = fine.map((t) => Math.exp(2 * S.logSnr(t)));
    const run = async (n: number) => {
      const noise = coupledNoiseKeyed(clock, nRef / n);
      return await get((await mrsSde(MODEL, cpu.upload(x), grid(n), { mu: MU, order, noise })).x);
    };
    const ref = await run(nRef);
    const errs: number[] = [];
    for (const n of ns) {
      const xn = await run(n);
      let s = 0, s2 = 0;
      for (let i = 0; i < rows; i++) {
        const d = xn[2 * i]! ** 2 - ref[2 * i]! ** 2;
        s += d;
        s2 += d * d;
      }
      const mean = s / rows, se = Math.sqrt((s2 / rows - mean * mean) / rows);
      assert.ok(Math.abs(mean) > 4 * se, `N = ${n}: weak error ${mean} is not resolved (SE ${se})`);
      errs.push(Math.abs(mean));
    }
    const p = fittedOrder([...ns], errs);
    const ok = order === 1 ? Math.abs(p - 1) < 0.2 : p > 1.8;
    assert.ok(ok, `fitted weak order ${p}, errors ${errs}`);
  });
}

Deno.test("mrsSde(): exact weak orders on a Gaussian prior (the law of x_N in closed form)", async () => {
  // x₀ ~ N(2, 0.3), μ = 0.5: every form is affine in (x_T, noise), so x_N = r + P (x_T − E x_T) +
  // Σᵢ Qᵢ ξᵢ; one run gives r (row 0 at E x_T), P (row 1 one above it) and each Qᵢ (row 2 + i: ξᵢ = 1).
  const mu = 0.5, m = 2, v = 0.3;
  const model = meanRevertingMixture({ weights: [1], means: [[m]], variances: [[v]] }, S, [mu]);
  const marg = (t: number) => [mu + S.alpha(t) * (m - mu), S.alpha(t) ** 2 * v + S.sigma(t) ** 2];
  // the first-order noise form is left out: on a Gaussian prior its variance error cancels to
  // second order (measured 2.0), on the mixture it is first order (1.0 at N = 16-256)
  for (const [prediction, order] of [["data", 1], ["data", 2], ["noise", 2]] as const) {
    const ns = [20, 40, 80, 160], errs: number[] = [];
    for (const n of ns) {
      const impulses: NoiseSource = {
        async sample(out, call) {
          const z = new Float64Array(out.length);
          z[2 + call.index] = 1;
          await cpu.write(out, z);
        },
      };
      const [mT, vT] = marg(1);
      const x0 = new Float64Array(n + 2).fill(mT!);
      x0[1] = mT! + 1;
      const r = await mrsSde(model, cpu.upload(x0), grid(n), {
        mu: [mu],
        order,
        prediction,
        noise: impulses,
      });
      const x = await get(r.x);
      let va = (x[1]! - x[0]!) ** 2 * vT!;
      for (let i = 0; i < n; i++) va += (x[2 + i]! - x[0]!) ** 2;
      const [me, ve] = marg(T_END);
      errs.push(Math.abs(x[0]! - me!) + Math.abs(va - ve!));
    }
    const p = fittedOrder(ns, errs);
    assert.ok(Math.abs(p - order) < 0.2, `${prediction} ${order}: weak order ${p}, errors ${errs}`);
  }
});

Deno.test("mrsSde() and mrsOde() from the exact marginal at T keep the exact marginal moments (|z| < 4)", async () => {
  const n = 4000, tEnd = 0.05;
  // exact samples of x_T: a component by a keyed uniform, then μ + α(x₀ − μ) + σ̄ ε
  const u = cpu.zeros(n), z = cpu.zeros(2 * n * D);
  await cpu.fillUniform(u, { seed: 3, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  await cpu.fillNormal(z, { seed: 3, stream: 1 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  const [uh, zh] = [await get(u), await get(z)];
  const a1 = S.alpha(1), s1 = S.sigma(1), xT = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    let k = 0, c = SPEC.weights[0]!;
    while (uh[i]! > c && k < SPEC.weights.length - 1) c += SPEC.weights[++k]!;
    for (let j = 0; j < D; j++) {
      const x0 = SPEC.means[k]![j]! + Math.sqrt(SPEC.variances[k]![j]!) * zh[i * D + j]!;
      xT[i * D + j] = MU[j]! + a1 * (x0 - MU[j]!) + s1 * zh[(n + i) * D + j]!;
    }
  }
  const g = timeGrid(S, 400, { kind: "logSNR", tStart: 1, tEnd });
  const a = S.alpha(tEnd), sg = S.sigma(tEnd);
  for (const [name, prediction] of [["sde", "data"], ["sde", "noise"], ["ode", "data"]] as const) {
    const r = name === "sde"
      ? await mrsSde(MODEL, cpu.upload(xT), g, { mu: MU, prediction, key: { seed: 5, stream: 0 } })
      : await mrsOde(MODEL, cpu.upload(xT), g, { mu: MU, prediction });
    const x = await get(r.x);
    for (let j = 0; j < D; j++) {
      // exact first and second moments of coordinate j of the mixture marginal at tEnd
      let m1 = 0, m2 = 0, m4 = 0;
      SPEC.weights.forEach((w, k) => {
        const mk = MU[j]! + a * (SPEC.means[k]![j]! - MU[j]!),
          vk = a * a * SPEC.variances[k]![j]! + sg * sg;
        m1 += w * mk;
        m2 += w * (mk * mk + vk);
        m4 += w * (mk ** 4 + 6 * mk * mk * vk + 3 * vk * vk);
      });
      let s1m = 0, s2m = 0;
      for (let i = 0; i < n; i++) {
        s1m += x[i * D + j]!;
        s2m += x[i * D + j]! ** 2;
      }
      const z1 = (s1m / n - m1) / Math.sqrt((m2 - m1 * m1) / n);
      const z2 = (s2m / n - m2) / Math.sqrt((m4 - m2 * m2) / n);
      assert.ok(
        Math.abs(z1) < 4 && Math.abs(z2) < 4,
        `${name} ${prediction} dim ${j}: z = ${z1}, ${z2}`,
      );
    }
  }
});

Deno.test("mrsOde()/mrsSde(): method objects are well declared; bad input gets typed errors", async () => {
  assert.deepEqual(diffusionMethodProblems(mrsOdeMethod), []);
  assert.deepEqual(diffusionMethodProblems(mrsSdeMethod), []);
  const x = cpu.upload(X_T), g = grid(4);
  await assert.rejects(() => mrsOde(MODEL, x, g, { mu: [1, 2, 3] }), SdenoTypeError);
  await assert.rejects(() => mrsOde(MODEL, x, g, { mu: [1, NaN] }), SdenoRangeError);
  await assert.rejects(() => mrsOde(MODEL, x, g, { order: 3 }), SdenoRangeError);
  await assert.rejects(
    () => mrsSde(MODEL, x, g, { prediction: "velocity" as "data" }),
    SdenoRangeError,
  );
  assert.throws(() => meanRevertingMixture(SPEC, S, [1]), SdenoTypeError);
  assert.throws(() => meanRevertingSchedule({ stationaryStd: 0 }), SdenoRangeError);
  assert.throws(() => meanRevertingSchedule({ thetaMin: 2, thetaMax: 1 }), SdenoRangeError);
  assert.throws(() => meanRevertingSchedule({ tMin: "0.1" as unknown as number }), SdenoTypeError);
  // μ per row (n·d numbers) equals the shared d-vector repeated
  const rows = new Float64Array(X_T.length).map((_, e) => MU[e % D]!);
  const [p, q] = [await mrsOde(MODEL, x, g, { mu: MU }), await mrsOde(MODEL, x, g, { mu: rows })];
  assert.deepEqual(await get(p.x), await get(q.x));
});

Deno.test("meanRevertingSchedule(): λ_s = 1, θ = β/2 is the VP linear schedule; f and g² match α, σ̄", () => {
  const mr = meanRevertingSchedule(), vp = vpLinearSchedule();
  for (const t of [1e-3, 0.1, 0.5, 1]) {
    assert.ok(Math.abs(mr.logSnr(t) - vp.logSnr(t)) < 1e-12);
    assert.ok(
      Math.abs(mr.drift(t) - vp.drift(t)) < 1e-12 &&
        Math.abs(mr.diffusion2(t) - vp.diffusion2(t)) < 1e-12,
    );
  }
  for (const t of [0.01, 0.3, 0.9]) {
    // d log α/dt = f, dσ̄²/dt = 2 f σ̄² + g² (central differences)
    const e = 1e-6, v = (u: number) => S.sigma(u) ** 2;
    assert.ok(Math.abs((S.logAlpha(t + e) - S.logAlpha(t - e)) / (2 * e) - S.drift(t)) < 1e-7);
    const dv = (v(t + e) - v(t - e)) / (2 * e);
    assert.ok(Math.abs(dv - 2 * S.drift(t) * v(t) - S.diffusion2(t)) < 1e-7);
    assert.ok(Math.abs(S.tOfLogSnr(S.logSnr(t)) - t) < 1e-12);
  }
});

Deno.test({
  name: "mrsOde()/mrsSde() on webgpu (float32 model) match the cpu run",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const g = grid(10), key = { seed: 2, stream: 0 };
  for (const f of [mrsOde, mrsSde]) {
    const a = await get((await f(MODEL, cpu.upload(X_T), g, { mu: MU, key })).x);
    const r = await f(MODEL, gpu.upload(X_T), g, { mu: MU, key });
    const b = await gpu.download(r.x);
    gpu.release(r.x);
    assert.ok(maxAbsDiff(a, b) < 1e-5, `${f.name}: ${maxAbsDiff(a, b)}`); // measured 1.3e-6, 1.7e-6
  }
});

Deno.test("mrsSde(): a shard (pathOffset) reproduces its rows of the whole run", async () => {
  const g = grid(8), key = { seed: 3, stream: 0 };
  const whole = await get((await mrsSde(MODEL, cpu.upload(X_T), g, { mu: MU, key })).x);
  const tail = await mrsSde(MODEL, cpu.upload(X_T.subarray(10 * D)), g, {
    mu: MU,
    key,
    pathOffset: 10,
  });
  assert.deepEqual(await get(tail.x), whole.subarray(10 * D));
});
