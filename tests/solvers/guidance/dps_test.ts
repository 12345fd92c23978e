// dps: the refs' levels on the d = 8 GMM instances ("dps(zeta=0.1)", K =
// 100) and the image instances ("dps(zeta=0.3)"), the generic path for
// nonlinear operators (operator VJP only), the Poisson data-fit gradient
// against finite differences of the negative log-likelihood, typed errors,
// batch independence and cpu = webgpu. SDENO_SLOW=1 adds the full-size
// levels for ζ = 0.1, 0.3, 1.0 (GMM, 10000 samples) and ζ = 0.3, 1.0 (images).

import assert from "node:assert/strict";
import { dps } from "../../../solvers/guidance/dps.ts";
import { dataFitGradient } from "../../../solvers/guidance/_step.ts";
import { loadGmmInstance, loadImageInstance } from "./_benchmark.ts";
import {
  asNonlinear,
  assertBatchIndependent,
  cpuVsWebgpu,
  GMM_NAMES,
  gmmLevel,
  IMAGE_NAMES,
  imageLevel,
  runOn,
  SLOW,
  withoutFactorisations,
  withoutVjp,
} from "./_ddim_checks.ts";
import { GPU_TEST } from "../../_gpu.ts";
import { NumericalError, SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { gaussian } from "../../../models/gaussian.ts";
import { poissonNoise } from "../../../models/operators/noise.ts";
import { denseOperator } from "../../../models/operators/dense.ts";
import { referenceSchedule } from "./_benchmark.ts";
import { CpuBackend } from "../../../kernels/mod.ts";
import { fillNormal, makeKey } from "../../../kernels/philox.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";

Deno.test("dps() with ζ = 0.1 lands on the refs' SW and modeTV levels on the three GMM instances (1000 samples)", async () => {
  for (const name of GMM_NAMES) {
    console.log(await gmmLevel(dps, name, "dps(zeta=0.1)", 1000, { zeta: 0.1 }));
  }
});

Deno.test({
  name:
    "dps() lands on the refs' GMM levels for ζ = 0.1, 0.3, 1.0 at the refs' size (10000 samples)",
  ignore: !SLOW,
  async fn() {
    for (const zeta of [0.1, 0.3, 1.0]) {
      for (const name of GMM_NAMES) {
        const label = `dps(zeta=${zeta.toFixed(1)})`;
        console.log(await gmmLevel(dps, name, label, 10000, { zeta }));
      }
    }
  },
});

Deno.test("dps() with ζ = 0.3 lands on the refs' Gaussian-W2 level and trace ratio on img8_sr2 (1000 samples)", async () => {
  console.log(await imageLevel(dps, "img8_sr2", "dps(zeta=0.3)", 1000, { zeta: 0.3 }));
});

Deno.test({
  name: "dps() lands on the refs' image levels for ζ = 0.3 and 1.0 (4000 samples, as the refs)",
  ignore: !SLOW,
  async fn() {
    for (const zeta of [0.3, 1.0]) {
      for (const name of IMAGE_NAMES) {
        const label = `dps(zeta=${zeta.toFixed(1)})`;
        console.log(await imageLevel(dps, name, label, 4000, { zeta }));
      }
    }
  },
});

Deno.test("dps() through a nonlinear operator's VJP gives the linear operator's samples", async () => {
  // The generic path (apply and vjp only, linear: false) must agree with
  // the dense operator to rounding: both compute Aᵀ v, by the same product.
  const inst = loadGmmInstance("gmm_d8_dy2");
  const nonlinear = { ...inst, problem: { ...inst.problem, operator: asNonlinear(inst.operator) } };
  const a = await runOn(dps, inst, { samples: 16, steps: 20, options: { zeta: 0.3 } });
  const b = await runOn(dps, nonlinear, { samples: 16, steps: 20, options: { zeta: 0.3 } });
  assert.deepEqual(b.samples, a.samples);
});

Deno.test("dps() with a genuinely nonlinear operator moves the samples to the data", async () => {
  // Prior N(0, I₂), y = x₁² + x₂ = 2 with σ_y = 0.05: the exact posterior
  // concentrates on the parabola x₂ = 2 − x₁². DPS is biased, but its
  // samples must remove at least 3/4 of the prior samples' mean misfit
  // (prior samples: Philox normals; the same 200 draws' misfit is ≈ 1.7).
  const model = gaussian({ mean: [0, 0], covariance: [[1, 0], [0, 1]] }, referenceSchedule());
  const operator = {
    name: "x1² + x2",
    inDim: 2,
    outDim: 1,
    linear: false,
    async apply(x: import("../../../kernels/backend.ts").DeviceArray, out: typeof x) {
      const v = await x.backend.download(x);
      const r = new Float64Array(v.length / 2).map((_, i) => v[2 * i]! ** 2 + v[2 * i + 1]!);
      await out.backend.write(out, r);
    },
    async vjp(
      x: typeof out,
      v: typeof out,
      out: import("../../../kernels/backend.ts").DeviceArray,
    ) {
      const xs = await x.backend.download(x), vs = await v.backend.download(v);
      const r = new Float64Array(xs.length);
      for (let i = 0; i < vs.length; i++) {
        r[2 * i] = 2 * xs[2 * i]! * vs[i]!;
        r[2 * i + 1] = vs[i]!;
      }
      await out.backend.write(out, r);
    },
  };
  const r = await dps.run({
    model,
    problem: { operator, y: [2], noise: { kind: "gaussian", sigma: 0.05 } },
    grid: quadraticGrid(100),
    samples: 200,
    key: makeKey(8),
    backend: new CpuBackend(),
    options: { zeta: 0.3 },
  });
  const prior = new Float64Array(400);
  fillNormal(prior, makeKey(81));
  let misfit = 0, priorMisfit = 0;
  for (let i = 0; i < 200; i++) {
    misfit += Math.abs(r.samples[2 * i]! ** 2 + r.samples[2 * i + 1]! - 2) / 200;
    priorMisfit += Math.abs(prior[2 * i]! ** 2 + prior[2 * i + 1]! - 2) / 200;
  }
  console.log(`mean |A(x) − y|: DPS ${misfit.toFixed(4)}, prior ${priorMisfit.toFixed(4)}`);
  assert.ok(misfit < priorMisfit / 4, `misfit ${misfit} vs prior ${priorMisfit}`);
});

Deno.test("dataFitGradient(): the Poisson form is the gradient of (2/rate)·NLL, the Gaussian form of ‖y − a‖²", () => {
  const rate = 7, y = Float64Array.from([0.3, 1.2, 0]);
  const a = [0.5, 0.9, 0.2];
  const nll = (v: number[]) =>
    v.reduce((acc, aj, j) => acc + rate * aj - rate * y[j]! * Math.log(rate * aj), 0);
  const g = dataFitGradient("t", poissonNoise(rate), a, y, { step: 0, time: 0 });
  const h = 1e-6;
  for (let j = 0; j < 3; j++) {
    const up = [...a], dn = [...a];
    up[j]! += h;
    dn[j]! -= h;
    const fd = (2 / rate) * (nll(up) - nll(dn)) / (2 * h);
    assert.ok(Math.abs(g.grad[j]! - fd) < 1e-6, `j ${j}: ${g.grad[j]} vs ${fd}`);
  }
  const gg = dataFitGradient("t", { kind: "gaussian", sigma: 0.1 }, a, y, { step: 0, time: 0 });
  a.forEach((aj, j) => assert.ok(Math.abs(gg.grad[j]! - 2 * (aj - y[j]!)) < 1e-15));
  assert.ok(Math.abs(g.norms[0]! - Math.hypot(0.2, 0.3, 0.2)) < 1e-15);
  assert.throws(
    () => dataFitGradient("t", poissonNoise(rate), [-0.1, 1, 1], y, { step: 3, time: 0.5 }),
    (e) => e instanceof NumericalError && /A\(x̂₀\) > 0/.test(e.message),
  );
});

Deno.test("dps() with Poisson noise moves a positive prior toward the counts", async () => {
  // Prior N(4, 1) per pixel, A = I (2 pixels), rate 20: y = (6, 2). The
  // exact posterior means (quadrature) are 5.59 and 2.24. DPS drives
  // A(x̂₀) toward y, so its sample mean must move at least 70% of the way
  // from the prior mean to the exact posterior mean, and not overshoot the
  // measurement by more than 4 standard errors.
  const model = gaussian({ mean: [4, 4], covariance: [[1, 0], [0, 1]] }, referenceSchedule());
  const rate = 20, y = [6, 2];
  const exact = y.map((yj) => {
    let z = 0, m = 0;
    for (let x = 0.001; x < 12; x += 0.001) {
      const w = Math.exp(-0.5 * (x - 4) ** 2 + rate * yj * Math.log(x) - rate * x);
      z += w;
      m += w * x;
    }
    return m / z;
  });
  const r = await dps.run({
    model,
    problem: { operator: denseOperator([[1, 0], [0, 1]]), y, noise: poissonNoise(rate) },
    grid: quadraticGrid(100),
    samples: 400,
    key: makeKey(9),
    backend: new CpuBackend(),
    options: { zeta: 0.3 },
  });
  for (let j = 0; j < 2; j++) {
    let mean = 0, sq = 0;
    for (let i = 0; i < 400; i++) mean += r.samples[2 * i + j]! / 400;
    for (let i = 0; i < 400; i++) sq += (r.samples[2 * i + j]! - mean) ** 2 / 399;
    const se = Math.sqrt(sq / 400), dir = Math.sign(exact[j]! - 4);
    console.log(
      `pixel ${j}: DPS mean ${mean.toFixed(3)} ± ${se.toFixed(3)}, exact ${
        exact[j]!.toFixed(3)
      }, prior 4, y ${y[j]}`,
    );
    assert.ok(dir * (mean - 4) >= 0.7 * dir * (exact[j]! - 4), `pixel ${j}: ${mean}`);
    assert.ok(dir * (mean - y[j]!) <= 4 * se, `pixel ${j}: ${mean} overshoots ${y[j]}`);
  }
});

Deno.test("dps() gives the same bits for any batch split and shard", async () => {
  await assertBatchIndependent(dps, loadGmmInstance("gmm_d8_dy2"), { zeta: 0.3 });
});

Deno.test({
  name: "dps() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const rel = await cpuVsWebgpu(dps, loadImageInstance("img8_sr2"), { zeta: 0.3 });
    if (rel !== undefined) assert.ok(rel < 1e-4, `relative difference ${rel}`);
  },
});

Deno.test("dps() refuses a model without a VJP, an operator without one and bad options, before any work", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  await assert.rejects(
    () => runOn(dps, { ...inst, model: withoutVjp(inst.model) }, { samples: 2, steps: 5 }),
    (e) => e instanceof SdenoTypeError && /vjp/.test(e.message),
  );
  const noVjp = { ...inst.problem, operator: asNonlinear(inst.operator, false) };
  await assert.rejects(
    () => runOn(dps, { ...inst, problem: noVjp }, { samples: 2, steps: 5 }),
    (e) => e instanceof SdenoTypeError && /operator's vjp/.test(e.message),
  );
  for (const options of [{ zeta: 0 }, { zeta: -1 }, { eta: -0.5 }]) {
    await assert.rejects(
      () => runOn(dps, inst, { samples: 2, steps: 5, options }),
      SdenoRangeError,
      JSON.stringify(options),
    );
  }
  await assert.rejects(
    () => runOn(dps, inst, { samples: 2, steps: 5, options: { scale: 1 } }),
    SdenoTypeError,
  );
  await assert.rejects(
    () => runOn(dps, inst, { samples: 2, steps: 5, options: { zeta: Infinity } }),
    SdenoTypeError,
  );
});

Deno.test("dps() stops with a NumericalError when the Poisson intensity A(x̂₀) is not positive, and releases its arrays", async () => {
  const model = gaussian({ mean: [-3], covariance: [[1]] }, referenceSchedule());
  const backend = new CpuBackend();
  const before = backend.liveArrays;
  await assert.rejects(
    () =>
      dps.run({
        model,
        problem: { operator: denseOperator([[1]]), y: [1], noise: poissonNoise(10) },
        grid: quadraticGrid(10),
        samples: 4,
        key: makeKey(1),
        backend,
      }),
    (e) => e instanceof NumericalError && /step 0/.test(e.message),
  );
  assert.equal(backend.liveArrays, before);
});

Deno.test("dps() and mpgd() serve a linear operator without a vjp through its transpose", async () => {
  const { mpgd } = await import("../../../solvers/guidance/mpgd.ts");
  const inst = loadGmmInstance("gmm_d8_dy4");
  const bare = {
    ...inst,
    problem: { ...inst.problem, operator: withoutFactorisations(inst.operator) },
  };
  for (const m of [dps, mpgd]) {
    const a = await runOn(m, inst, { samples: 8, steps: 15 });
    const b = await runOn(m, bare, { samples: 8, steps: 15 });
    assert.deepEqual(b.samples, a.samples, m.info.name);
  }
});
