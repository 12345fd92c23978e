// DPM-Solver-v3's empirical model statistics (solvers/diffusion/dpm_solver_v3_statistics.ts)
// against their closed form for a Gaussian with a full covariance, and save/load checks.
import assert from "node:assert/strict";
import type { DeviceArray } from "../../../kernels/mod.ts";
import { fillNormal } from "../../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import type { Denoiser, PredictRequest } from "../../../models/denoiser.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import { vpCosineSchedule } from "../../../processes/vp_cosine_schedule.ts";
import {
  computeStatistics,
  degeneratedStatistics,
  type EmpiricalModelStatistics,
  loadStatistics,
  saveStatistics,
  statisticsFromJson,
  statisticsToJson,
} from "../../../solvers/diffusion/dpm_solver_v3_statistics.ts";
import { dpmSolverV3 } from "../../../solvers/diffusion/dpm_solver_v3.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { createBackend } from "../../../kernels/mod.ts";

type Mat = number[][];
const mul = (a: Mat, b: Mat): Mat =>
  a.map((r) => b[0]!.map((_, j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const tr = (a: Mat): Mat => a[0]!.map((_, j) => a.map((r) => r[j]!));
const add = (a: Mat, b: Mat, cb = 1): Mat => a.map((r, i) => r.map((v, j) => v + cb * b[i]![j]!));
const scale = (a: Mat, c: number): Mat => a.map((r) => r.map((v) => c * v));
const eye = (n: number): Mat =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const diagOf = (a: Mat): Mat => a.map((r, i) => r.map((v, j) => (i === j ? v : 0)));
function inv(a: Mat): Mat {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...eye(n)[i]!]);
  for (let c = 0; c < n; c++) {
    const p = m[c]![c]!;
    m[c] = m[c]!.map((v) => v / p);
    for (let r = 0; r < n; r++) {
      if (r !== c) {
        const f = m[r]![c]!;
        m[r] = m[r]!.map((v, k) => v - f * m[c]![k]!);
      }
    }
  }
  return m.map((r) => r.slice(n));
}
function chol(a: Mat): Mat {
  const n = a.length, l = a.map((r) => r.map(() => 0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  }
  return l;
}

const MU = [0.5, -1, 0.3];
const SIGMA: Mat = [[1, 0.6, 0.2], [0.6, 0.8, -0.3], [0.2, -0.3, 0.5]];
const LIN = vpLinearSchedule();

/** The exact noise prediction of N(μ, Σ): ε(x) = σ Q⁻¹ (x − α μ), Q = α² Σ + σ² I (and its VJP). */
function gaussianDenoiser(): Denoiser {
  const d = 3;
  const q = (t: number) =>
    inv(add(scale(SIGMA, LIN.alpha(t) ** 2), scale(eye(d), LIN.sigma(t) ** 2)));
  const apply = async (x: DeviceArray, out: DeviceArray, t: number, shift: boolean) => {
    const a = LIN.alpha(t), s = LIN.sigma(t), qi = q(t);
    const xs = await x.backend.download(x), o = new Float64Array(xs.length);
    for (let r = 0; r < xs.length; r += d) {
      for (let i = 0; i < d; i++) {
        let acc = 0;
        for (let j = 0; j < d; j++) acc += qi[i]![j]! * (xs[r + j]! - (shift ? a * MU[j]! : 0));
        o[r + i] = s * acc;
      }
    }
    await out.backend.write(out, o);
  };
  return {
    dim: d,
    nativeKind: "eps",
    kinds: ["eps"],
    schedule: LIN,
    predict: (x: DeviceArray, t: number, out: DeviceArray, _r: PredictRequest) =>
      apply(x, out, t, true),
    vjp: (_x: DeviceArray, t: number, v: DeviceArray, out: DeviceArray, _r: PredictRequest) =>
      apply(v, out, t, false),
  };
}

/** Closed-form l, s, b at λ and the standard errors of the regression estimates from n rows. */
function closedForm(lam: number, n: number) {
  const tau = Math.exp(-2 * lam);
  const C = add(SIGMA, scale(eye(3), tau));
  const A = scale(inv(C), tau);
  const L = diagOf(A);
  const Ad = add(scale(A, -2), scale(mul(A, A), 2)); // dA/dλ
  const Ld = diagOf(Ad);
  const M1 = add(A, L, -1);
  const M2 = add(add(Ad, mul(M1, A), -1), Ld, -1);
  const V1 = mul(mul(M1, C), tr(M1)), V2 = mul(mul(M2, C), tr(M2)), V12 = mul(mul(M2, C), tr(M1));
  return [0, 1, 2].map((d) => {
    const l = A[d]![d]!, s = V12[d]![d]! / V1[d]![d]!;
    const ef = -l * MU[d]!, ef1 = -Ld[d]![d]! * MU[d]!;
    const resid = V2[d]![d]! - V12[d]![d]! ** 2 / V1[d]![d]!;
    return {
      l,
      s,
      b: ef1 - s * ef,
      seS: Math.sqrt(resid / (n * V1[d]![d]!)),
      seB: Math.sqrt(resid * (1 / n + ef * ef / (n * V1[d]![d]!))),
    };
  });
}

Deno.test("computeStatistics() matches the closed-form l, s, b of a correlated Gaussian (l to 1e-10, s and b within 4 standard errors)", async () => {
  const n = 4000, steps = 300;
  const z = new Float64Array(3 * n);
  fillNormal(z, { seed: 7, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  const c = chol(SIGMA);
  const data = new Float64Array(3 * n);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < 3; i++) {
      let v = MU[i]!;
      for (let j = 0; j <= i; j++) v += c[i]![j]! * z[3 * r + j]!;
      data[3 * r + i] = v;
    }
  }
  const st = await computeStatistics(gaussianDenoiser(), data, {
    steps,
    key: { seed: 3, stream: 1 },
  });
  assert.equal(st.lambdas.length, steps + 1);
  let maxL = 0;
  st.lambdas.forEach((lam, i) => {
    closedForm(lam, n).forEach((cf, d) => maxL = Math.max(maxL, Math.abs(st.l[3 * i + d]! - cf.l)));
  });
  assert.ok(maxL < 1e-10, `l: max error ${maxL}`);
  // s and b at a few λ spread over the grid (ends included)
  for (const i of [0, 60, 150, 240, steps]) {
    closedForm(st.lambdas[i]!, n).forEach((cf, d) => {
      const zs = (st.s[3 * i + d]! - cf.s) / cf.seS, zb = (st.b[3 * i + d]! - cf.b) / cf.seB;
      assert.ok(
        Math.abs(zs) < 4,
        `s at point ${i}, dim ${d}: ${st.s[3 * i + d]} vs ${cf.s} (z ${zs})`,
      );
      assert.ok(
        Math.abs(zb) < 4,
        `b at point ${i}, dim ${d}: ${st.b[3 * i + d]} vs ${cf.b} (z ${zb})`,
      );
    });
  }
});

Deno.test("computeStatistics() by central differences (no VJP) gives the same l as by VJPs", async () => {
  const g = gaussianDenoiser();
  const noVjp: Denoiser = {
    dim: g.dim,
    nativeKind: g.nativeKind,
    kinds: g.kinds,
    schedule: g.schedule,
    predict: g.predict,
  };
  const data = Float64Array.from({ length: 3 * 50 }, (_, i) => Math.sin(i) * 1.3);
  const a = await computeStatistics(g, data, { steps: 20 });
  const b = await computeStatistics(noVjp, data, { steps: 20 });
  const c = await computeStatistics(g, data, { steps: 20, jacobian: "fd" });
  for (let i = 0; i < a.l.length; i++) {
    assert.ok(Math.abs(a.l[i]! - b.l[i]!) < 1e-7, `l[${i}] ${a.l[i]} vs ${b.l[i]}`);
    assert.equal(b.l[i], c.l[i]);
  }
  await assert.rejects(() => computeStatistics(noVjp, data, { jacobian: "vjp" }), {
    name: "SdenoTypeError",
    message: /jacobian "vjp" needs a model with a vjp/,
  });
});

Deno.test("computeStatistics() with Rademacher probes (Hutchinson) estimates l within 4 standard errors, deterministically per key", async () => {
  const n = 2000, probes = 6;
  const data = new Float64Array(3 * n);
  fillNormal(data, { seed: 8, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  const g = gaussianDenoiser();
  let points = 0;
  const st = await computeStatistics(g, data, {
    steps: 8,
    probes,
    key: { seed: 5, stream: 0 },
    onPoint: (done, total) => {
      points = done;
      assert.equal(total, 9);
    },
  });
  assert.equal(points, 9);
  st.lambdas.forEach((lam, i) => {
    const tau = Math.exp(-2 * lam);
    const A = scale(inv(add(SIGMA, scale(eye(3), tau))), tau); // σJ, constant for a Gaussian
    for (let d = 0; d < 3; d++) {
      let off = 0;
      for (let k = 0; k < 3; k++) if (k !== d) off += A[k]![d]! ** 2;
      const z = (st.l[3 * i + d]! - A[d]![d]!) / Math.sqrt(off / (n * probes));
      assert.ok(Math.abs(z) < 4, `point ${i}, dim ${d}: z ${z}`);
    }
  });
  const again = await computeStatistics(g, data, { steps: 8, probes, key: { seed: 5, stream: 0 } });
  assert.deepEqual(again.l, st.l);
  const other = await computeStatistics(g, data, { steps: 8, probes, key: { seed: 6, stream: 0 } });
  assert.notDeepEqual(other.l, st.l);
});

Deno.test("computeStatistics() rejects bad data and options before any work", async () => {
  const g = gaussianDenoiser();
  await assert.rejects(() => computeStatistics(g, new Float64Array(7)), {
    name: "SdenoTypeError",
    message: /whole rows of 3 numbers, got length 7/,
  });
  await assert.rejects(() => computeStatistics(g, new Float64Array(3)), {
    name: "SdenoRangeError",
    message: /at least 2 rows, got 1/,
  });
  await assert.rejects(() => computeStatistics(g, Float64Array.from([0, 0, NaN, 1, 1, 1])), {
    name: "SdenoRangeError",
    message: /data\[2\] is NaN/,
  });
  await assert.rejects(() => computeStatistics(g, new Float64Array(6), { steps: 2 }), {
    name: "SdenoRangeError",
  });
  await assert.rejects(
    () => computeStatistics(g, new Float64Array(6), { jacobian: "exact" as "fd" }),
    {
      name: "SdenoRangeError",
      message: /jacobian must be "auto", "vjp" or "fd", got "exact"/,
    },
  );
});

Deno.test("statistics save and load; a file for another schedule or dimension is refused with a typed error", async () => {
  const st = degeneratedStatistics(LIN, 2, { steps: 12 });
  const text = statisticsToJson(st);
  assert.deepEqual(statisticsFromJson(text), st);
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await saveStatistics(path, st);
    const back = await loadStatistics(path, { schedule: LIN, dim: 2 });
    assert.deepEqual(back, st);
    await assert.rejects(() => loadStatistics(path, { schedule: LIN, dim: 3 }), {
      name: "SdenoTypeError",
      message: /statistics are for dimension 2, not 3/,
    });
    await assert.rejects(() => loadStatistics(path, { schedule: vpCosineSchedule(), dim: 2 }), {
      name: "SdenoTypeError",
      message: /statistics are for schedule "vp-linear", not "vp-cosine"/,
    });
    // same name, other parameters: the λ grid gives it away
    const other = vpLinearSchedule({ beta0: 0.1, beta1: 10 });
    await assert.rejects(() => loadStatistics(path, { schedule: other, dim: 2 }), {
      name: "SdenoTypeError",
      message: /statistics of another schedule/,
    });
  } finally {
    await Deno.remove(path);
  }
  assert.throws(() => statisticsFromJson("{"), { name: "SdenoParseError" });
  assert.throws(() => statisticsFromJson(text.replace('"l":[1,', '"l":[')), {
    name: "SdenoTypeError",
    message: /statistics.l must be a Float64Array of 13 × 2 numbers, got 25/,
  });
});

Deno.test("dpmSolverV3() refuses statistics of another schedule or dimension, grids beyond them, and bad orders", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture({ weights: [1], means: [[0, 0]], variances: [[1, 1]] }, LIN);
  const x = cpu.upload([0.1, 0.2]);
  const grid = [1, 0.5, 0.1, 0.01];
  const st3: EmpiricalModelStatistics = degeneratedStatistics(LIN, 3, { steps: 100 });
  await assert.rejects(() => dpmSolverV3(gm, x, grid, { statistics: st3 }), {
    name: "SdenoTypeError",
    message: /statistics are for dimension 3, not 2/,
  });
  const cos = degeneratedStatistics(vpCosineSchedule(), 2, { steps: 100 });
  await assert.rejects(() => dpmSolverV3(gm, x, grid, { statistics: cos }), {
    name: "SdenoTypeError",
    message: /schedule "vp-cosine", not "vp-linear"/,
  });
  const narrow = degeneratedStatistics(LIN, 2, { tStart: 0.8, tEnd: 0.01, steps: 100 });
  await assert.rejects(() => dpmSolverV3(gm, x, grid, { statistics: narrow }), {
    name: "SdenoRangeError",
    message: /grid point 0 has λ = .* outside the statistics' λ range/,
  });
  const coarse = degeneratedStatistics(LIN, 2, { tStart: 1, tEnd: 0.01, steps: 4 });
  await assert.rejects(() => dpmSolverV3(gm, x, [1, 0.99, 0.5, 0.01], { statistics: coarse }), {
    name: "SdenoRangeError",
    message: /too coarse/,
  });
  await assert.rejects(() => dpmSolverV3(gm, x, grid, { order: 4 }), {
    name: "SdenoRangeError",
    message: /order must be one of 1, 2, 3, got "4"/,
  });
  await assert.rejects(() => dpmSolverV3(gm, x, [1, 0.5, 0.01], { order: 3 }), {
    name: "SdenoRangeError",
    message: /order 3 needs at least 3 steps, got 2/,
  });
});

Deno.test("dpmSolverV3() half: the corrector only above t = 0.5 (none on a grid from 0.5 down)", async () => {
  const cpu = await createBackend("cpu");
  const gm = gaussianMixture(
    { weights: [0.4, 0.6], means: [[-1], [1]], variances: [[0.1], [0.2]] },
    LIN,
  );
  const x = [0.3, -0.8, 1.4];
  const run = async (grid: number[], o: Record<string, boolean>) =>
    Array.from(await cpu.download((await dpmSolverV3(gm, cpu.upload(x), grid, o)).x));
  const low = [0.5, 0.3, 0.15, 0.05, 0.01];
  assert.deepEqual(await run(low, { half: true }), await run(low, { corrector: false }));
  const high = [1, 0.8, 0.6, 0.3, 0.01];
  const h = await run(high, { half: true });
  assert.notDeepEqual(h, await run(high, { corrector: false }));
  assert.notDeepEqual(h, await run(high, {}));
});
