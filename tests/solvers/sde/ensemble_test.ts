import assert from "node:assert/strict";
import {
  brownianGrid,
  closeEnsembleWorkers,
  eulerMaruyama,
  milstein,
  reversibleHeun,
  type SdeSolver,
  simulateEnsemble,
  solveSde,
  sra1,
} from "../../../solvers/sde/mod.ts";
import { defineSde, type Sde, type SdeModel } from "../../../processes/sde.ts";
import { ornsteinUhlenbeck } from "../../../processes/sde_models/ornstein_uhlenbeck.ts";
import { geometricBrownianMotion } from "../../../processes/sde_models/geometric_brownian_motion.ts";
import { coxIngersollRoss } from "../../../processes/sde_models/cox_ingersoll_ross.ts";
import { doubleWellLangevin } from "../../../processes/sde_models/double_well_langevin.ts";
import { stochasticLotkaVolterra } from "../../../processes/sde_models/stochastic_lotka_volterra.ts";
import { kloedenPlaten } from "../../../processes/sde_models/kloeden_platen.ts";
import { diffusionModelSde } from "../../../processes/sde_models/diffusion_model_sdes.ts";
import {
  CpuBackend,
  NumericalError,
  SdenoParseError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/mod.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { ensembleWorkerPool } from "../../../solvers/sde/_ensemble_workers.ts";

const cpu = new CpuBackend();
const key = { seed: 11, stream: 2 };

/** Moments of column c at save s of a [saves, n, d] trajectory array. */
function trajMoments(x: Float64Array, s: number, n: number, d: number) {
  const mean = new Float64Array(d);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) mean[a] = mean[a]! + x[(s * n + i) * d + a]! / n;
  }
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        cov[a * d + b] = cov[a * d + b]! +
          ((x[(s * n + i) * d + a]! - mean[a]!) * (x[(s * n + i) * d + b]! - mean[b]!)) / (n - 1);
      }
    }
  }
  return { mean, cov };
}

function relClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    assert.ok(err <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]} (rel ${err} > ${tol})`);
  }
}

const CASES: Array<[string, Sde, SdeSolver, number[]]> = [
  ["OU 2-d, SRA1", ornsteinUhlenbeck({ theta: [1, 3], mu: [0.5, -1], sigma: [0.8, 1.5] }), sra1, [
    2,
    0,
  ]],
  ["GBM, Milstein", geometricBrownianMotion({ mu: 0.3, sigma: 0.5 }), milstein, [1]],
  ["Lotka–Volterra, EM", stochasticLotkaVolterra({ sigmaPrey: 0.3 }), eulerMaruyama, [1.2, 0.8]],
];

Deno.test("simulateEnsemble() on cpu follows solveSde's grid paths and its streaming moments equal the trajectories'", async () => {
  for (const [name, sde, solver, x0] of CASES) {
    const n = 300, saveAt = [0.25, 0.5, 1], d = sde.dim;
    const r = await simulateEnsemble(sde, {
      backend: cpu,
      solver,
      x0,
      paths: n,
      t1: 1,
      dt: 1 / 64,
      saveAt,
      key,
      returnFinal: true,
      keepPaths: 5,
    });
    const sol = solveSde(sde, { solver, x0, paths: n, t1: 1, dt: 1 / 64, saveAt, key });
    relClose(r.final, sol.x.subarray(2 * n * d), 1e-12, `${name} final`);
    relClose(r.samples.subarray(0, 5 * d), sol.x.subarray(0, 5 * d), 1e-12, `${name} samples`);
    for (let s = 0; s < saveAt.length; s++) {
      const m = trajMoments(sol.x, s, n, d);
      relClose(r.mean.subarray(s * d, (s + 1) * d), m.mean, 1e-10, `${name} mean`);
      relClose(r.covariance.subarray(s * d * d, (s + 1) * d * d), m.cov, 1e-9, `${name} cov`);
    }
  }
});

Deno.test({
  name:
    "simulateEnsemble() on webgpu matches the cpu twin path by path (f32: 1e-4 relative after 256 steps)",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const cases: Array<[string, Sde, SdeSolver, number[]]> = [
    ["OU, EM", ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 }), eulerMaruyama, [1]],
    ...CASES,
  ];
  for (const [name, sde, solver, x0] of cases) {
    const opts = {
      solver,
      x0,
      paths: 1000,
      t1: 1,
      dt: 1 / 256,
      saveAt: [0.5, 1],
      key,
      returnFinal: true,
      keepPaths: 3,
      stepsPerDispatch: 100,
      chunkPaths: 640,
    };
    const g = await simulateEnsemble(sde, { ...opts, backend: gpu });
    const c = await simulateEnsemble(sde, { ...opts, backend: cpu });
    assert.equal(g.backend, "webgpu");
    relClose(g.final, c.final, 1e-4, `${name} final`);
    relClose(g.samples, c.samples, 1e-4, `${name} samples`);
    relClose(g.mean, c.mean, 1e-4, `${name} mean`);
    relClose(g.covariance, c.covariance, 1e-3, `${name} covariance`);
  }
});

Deno.test({
  name:
    "simulateEnsemble() on webgpu keeps the twin's noise for m = 1, 2, 3, 4 and two streams with a pathOffset off the Philox blocks, a path count off the workgroups, and reports a bad path by its global index",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  // m = 3 and 4: a 2-d OU driven by a 2×m matrix (additive noise); paths 1001 and offsets 77
  // and 1022 put paths' first elements off a Philox block's first lane, with chunks of 600
  // paths and a partial last workgroup
  const matrixOu = (m: number) => {
    const sigma = Array.from({ length: 2 * m }, (_, e) => 0.3 + 0.1 * e);
    const row = (r: number) =>
      sigma.slice(r * m, (r + 1) * m).map((v, k) => `${v.toFixed(1)} * dw[${k}]`).join(" + ");
    return defineSde({
      name: `ou-2x${m}`,
      dim: 2,
      noiseDim: m,
      noise: "additive",
      drift: (_t, x, out, n) => {
        for (let e = 0; e < 2 * n; e++) out[e] = -x[e]!;
      },
      diffusion: (_t, _x, out, n) => {
        for (let i = 0; i < n; i++) out.set(sigma, i * 2 * m);
      },
      wgsl: {
        drift:
          "fn sde_drift(t: f32, x: SdState) -> SdState { var v = x; return SdState(-v[0], -v[1]); }",
        diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState { return SdState(${
          row(0)
        }, ${row(1)}); }`,
      },
    });
  };
  const cases: Array<[string, Sde, SdeSolver, number[]]> = [
    ["OU, EM (m = 1)", ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 }), eulerMaruyama, [1]],
    ["Lotka–Volterra, EM (m = 2)", stochasticLotkaVolterra({ sigmaPrey: 0.3 }), eulerMaruyama, [
      1.2,
      0.8,
    ]],
    ["OU 2×3, EM (m = 3)", matrixOu(3), eulerMaruyama, [1, 0]],
    ["OU 2×4, EM (m = 4)", matrixOu(4), eulerMaruyama, [1, 0]],
    ["OU 2-d, SRA1 (two streams)", CASES[0]![1], sra1, [2, 0]],
  ];
  for (const [name, sde, solver, x0] of cases) {
    for (const pathOffset of [0, 77, 1022]) {
      const opts = {
        solver,
        x0,
        paths: 1001,
        pathOffset,
        t1: 0.5,
        dt: 1 / 64,
        saveAt: [0.25, 0.5],
        key,
        returnFinal: true,
        keepPaths: 5,
        quantiles: [0.5],
        stepsPerDispatch: 10,
        chunkPaths: 600,
      };
      const g = await simulateEnsemble(sde, { ...opts, backend: gpu });
      const c = await simulateEnsemble(sde, { ...opts, backend: cpu });
      const what = `${name}, offset ${pathOffset}`;
      relClose(g.final, c.final, 1e-4, `${what} final`);
      relClose(g.samples, c.samples, 1e-4, `${what} samples`);
      relClose(g.mean, c.mean, 1e-4, `${what} mean`);
      relClose(g.covariance, c.covariance, 1e-3, `${what} covariance`);
    }
  }
  // a bad path is reported by its global index, the smallest of its group's bad paths
  const blowFrom = defineSde({
    name: "blow-up from x > 1",
    dim: 1,
    noise: "diagonal",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) out[i] = x[i]! > 1 ? 1e30 * x[i]! * x[i]! : 0;
    },
    diffusion: (_t, _x, out, n) => out.fill(0, 0, n),
    wgsl: {
      drift:
        "fn sde_drift(t: f32, x: SdState) -> SdState { var v = x; return SdState(select(0.0, 1e30 * v[0] * v[0], v[0] > 1.0)); }",
      diffusion:
        "fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState { return SdState(0.0); }",
    },
  });
  // paths 0 … 9 start at 0 (stay finite), paths 10 and 11 at 2 (blow up): the error names 10
  const x0 = Array.from({ length: 12 }, (_, i) => (i >= 10 ? 2 : 0));
  const base = { x0, paths: 12, t1: 1, dt: 0.1, key };
  for (const backend of [cpu, gpu]) {
    await assert.rejects(
      simulateEnsemble(blowFrom, { ...base, backend }),
      (e: Error) => e instanceof NumericalError && e.index === 10,
      backend.name,
    );
  }
});

/** Checks means and variances against the exact ones within 4 standard errors. */
function checkExact(
  r: Awaited<ReturnType<typeof simulateEnsemble>>,
  model: SdeModel,
  x0: number[],
) {
  const d = r.dim;
  for (let s = 0; s < r.t.length; s++) {
    const exact = model.moments!(r.t[s]!, x0);
    for (let a = 0; a < d; a++) {
      const k = s * d + a;
      const zm = (r.mean[k]! - exact.mean[a]!) / r.meanSe[k]!;
      const zv = (r.variance[k]! - exact.variance[a]!) / r.varianceSe[k]!;
      assert.ok(Math.abs(zm) < 4, `${model.name} ${r.backend} mean z = ${zm} at t = ${r.t[s]}`);
      assert.ok(Math.abs(zv) < 4, `${model.name} ${r.backend} var z = ${zv} at t = ${r.t[s]}`);
    }
  }
}

Deno.test({
  name:
    "simulateEnsemble() OU and GBM means and variances are within 4 SE of exact on both backends",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  const ou = ornsteinUhlenbeck({ theta: [1, 2], mu: [0.5, -1], sigma: [0.8, 1.2] });
  const gbm = geometricBrownianMotion({ mu: 0.4, sigma: 0.3 });
  const saveAt = [0.25, 0.5, 1, 2];
  for (const backend of gpu ? [cpu, gpu] : [cpu]) {
    const n = 20000;
    const a = await simulateEnsemble(ou, {
      backend,
      solver: sra1,
      x0: [2, 0],
      paths: n,
      t1: 2,
      dt: 1 / 64,
      saveAt,
      key,
    });
    checkExact(a, ou, [2, 0]);
    const b = await simulateEnsemble(gbm, {
      backend,
      solver: milstein,
      x0: [1],
      paths: n,
      t1: 2,
      dt: 1 / 256,
      saveAt,
      key: { seed: 5, stream: 0 },
    });
    checkExact(b, gbm, [1]);
  }
});

Deno.test({
  name: "simulateEnsemble() histogram quantiles of OU match the exact normal quantiles",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  const ou = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });
  const probs = [0.05, 0.5, 0.9];
  const zs = [-1.6448536269514722, 0, 1.2815515655446004];
  const n = 20000;
  for (const backend of gpu ? [cpu, gpu] : [cpu]) {
    for (const histogram of [undefined, { bins: 200, lower: -4, upper: 4 }]) {
      const r = await simulateEnsemble(ou, {
        backend,
        solver: sra1,
        x0: [1],
        paths: n,
        t1: 1,
        dt: 1 / 32,
        saveAt: [0.5, 1],
        key,
        quantiles: probs,
        ...(histogram ? { histogram } : {}),
      });
      for (let s = 0; s < 2; s++) {
        const { mean, variance } = ou.moments!(r.t[s]!, [1]);
        const sd = Math.sqrt(variance[0]!);
        probs.forEach((p, k) => {
          const exact = mean[0]! + sd * zs[k]!;
          const phi = Math.exp(-(zs[k]! ** 2) / 2) / Math.sqrt(2 * Math.PI);
          const se = (sd * Math.sqrt(p * (1 - p) / n)) / phi;
          const got = r.quantiles!.values[s * 3 + k]!;
          const tol = 4 * se + r.quantiles!.binWidth[s]!;
          assert.ok(Math.abs(got - exact) < tol, `${backend.name} q${p}: ${got} vs ${exact}`);
        });
      }
    }
  }
});

Deno.test({
  name: "simulateEnsemble() compiles every built-in model's WGSL and agrees with the cpu twin",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const models: Array<[SdeModel, SdeSolver[], number[]]> = [
    [ornsteinUhlenbeck({ theta: [1, 2], mu: 0, sigma: [1, 0.5] }), [eulerMaruyama, sra1], [1, 1]],
    [geometricBrownianMotion({ mu: 0.1, sigma: 0.2, dim: 2 }), [eulerMaruyama, milstein], [1, 2]],
    [
      geometricBrownianMotion({ mu: 0.1, sigma: 0.2, calculus: "stratonovich" }),
      [milstein],
      [1],
    ],
    [coxIngersollRoss({ kappa: 2, theta: 1, sigma: 0.5 }), [eulerMaruyama, milstein], [1]],
    [doubleWellLangevin({ dim: 2 }), [eulerMaruyama, sra1], [0.5, -0.5]],
    [stochasticLotkaVolterra(), [eulerMaruyama, milstein], [1.2, 0.8]],
    [kloedenPlaten("sinh"), [eulerMaruyama, milstein], [0.5]],
    [kloedenPlaten("arctan"), [eulerMaruyama, milstein], [0.5]],
    [kloedenPlaten("additive-decay"), [eulerMaruyama, sra1], [0.5]],
    [diffusionModelSde("ve"), [eulerMaruyama, sra1], [0.5]],
    [diffusionModelSde("vp", { dim: 2 }), [eulerMaruyama], [0.5, 1]],
    [diffusionModelSde("mean-reverting"), [sra1], [0.5]],
  ];
  for (const [model, solvers, x0] of models) {
    for (const solver of solvers) {
      const opts = { solver, x0, paths: 64, t1: 0.5, dt: 1 / 64, key, returnFinal: true };
      const g = await simulateEnsemble(model, { ...opts, backend: gpu });
      const c = await simulateEnsemble(model, { ...opts, backend: cpu });
      relClose(g.final, c.final, 1e-4, `${model.name} ${solver.info.name}`);
    }
  }
});

Deno.test({
  name: "simulateEnsemble() rejects bad input with typed errors",
  ...GPU_TEST,
}, async () => {
  const ou = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });
  const base = { backend: cpu, x0: [0], paths: 10, t1: 1, dt: 0.1 };
  await assert.rejects(simulateEnsemble(ou, { ...base, dt: -0.1 }), SdenoRangeError);
  await assert.rejects(
    simulateEnsemble(ou, { ...base, t0: 1, t1: 0.5 }),
    (e: Error) => e instanceof SdenoRangeError && /t-span must be increasing/.test(e.message),
  );
  await assert.rejects(simulateEnsemble(ou, { ...base, saveAt: [0.33] }), /must lie on the grid/);
  await assert.rejects(simulateEnsemble(ou, { ...base, saveAt: [0.5, 0.2] }), SdenoRangeError);
  await assert.rejects(
    simulateEnsemble(ou, { ...base, solver: reversibleHeun }),
    (e: Error) =>
      e instanceof SdenoRangeError &&
      /solver "reversible-heun" cannot run in the ensemble kernel: it is not a stochastic Runge–Kutta tableau and declares no ensemble step/
        .test(e.message) &&
      /solvers that do: euler-maruyama, milstein, heun/.test(e.message),
  );
  await assert.rejects(
    simulateEnsemble(geometricBrownianMotion({ mu: 0, sigma: 1 }), { ...base, solver: sra1 }),
    /supports additive noise/,
  );
  await assert.rejects(simulateEnsemble(ou, { ...base, x0: [0, 1, 2] }), SdenoTypeError);
  await assert.rejects(simulateEnsemble(ou, { ...base, quantiles: [1.5] }), SdenoRangeError);
  // blow-up: dX = X² dt from 1 reaches infinity at t = 1
  const blow = defineSde({
    name: "blow-up",
    dim: 1,
    noise: "diagonal",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < n; i++) out[i] = 1e30 * x[i]! * x[i]!;
    },
    diffusion: (_t, _x, out, n) => out.fill(0, 0, n),
    wgsl: {
      drift:
        "fn sde_drift(t: f32, x: SdState) -> SdState { var v = x; return SdState(1e30 * v[0] * v[0]); }",
      diffusion:
        "fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState { return SdState(0.0); }",
    },
  });
  await assert.rejects(
    simulateEnsemble(blow, { ...base, x0: [1] }),
    (e: Error) =>
      e instanceof NumericalError && /path 0, time 0.4/.test(e.message) && e.step === 3 &&
      Math.abs(e.time! - 0.4) < 1e-12 && e.index === 0, // step index from 0, as solveSde's
  );
  const gpu = await gpuBackend();
  if (!gpu) return;
  await assert.rejects(
    simulateEnsemble(blow, { ...base, x0: [1], backend: gpu }),
    // f32 overflows one step earlier: 1e30·(1e29)² at step 1
    (e: Error) => e instanceof NumericalError && e.step === 1 && e.index === 0,
  );
  await assert.rejects(
    simulateEnsemble(defineSde({ ...ou, wgsl: undefined }), { ...base, backend: gpu }),
    (e: Error) => e instanceof SdenoTypeError && /no WGSL snippets/.test(e.message),
  );
  const broken = defineSde({
    ...ou,
    wgsl: {
      drift: "fn sde_drift(t: f32, x: SdState) -> SdState {\n  return x * undefined_thing;\n}",
      diffusion: ou.wgsl!.diffusion,
    },
  });
  await assert.rejects(
    simulateEnsemble(broken, { ...base, backend: gpu }),
    (e: Error) =>
      e instanceof SdenoParseError && typeof e.line === "number" &&
      /undefined_thing/.test(e.message) && /line \d+/.test(e.message),
  );
});

Deno.test("simulateEnsemble() on cpu is Euler–Maruyama on brownianGrid's increments, bit for bit", async () => {
  const lv = stochasticLotkaVolterra({ sigmaPrey: 0.3 });
  const n = 300, steps = 40, dt = 1 / 64, offset = 77;
  const r = await simulateEnsemble(lv, {
    backend: cpu,
    x0: [1.2, 0.8],
    paths: n,
    t1: steps * dt,
    dt,
    key,
    pathOffset: offset,
    returnFinal: true,
  });
  const bm = brownianGrid(key, { noiseDim: 2, dt });
  const x = new Float64Array(n * 2).map((_, e) => (e % 2 ? 0.8 : 1.2));
  const f = new Float64Array(n * 2), g = new Float64Array(n * 2);
  const inc = { dW: new Float64Array(n * 2) };
  for (let j = 0; j < steps; j++) {
    lv.drift(j * dt, x, f, n);
    lv.diffusion(j * dt, x, g, n);
    bm.increment(j * dt, (j + 1) * dt, inc, n, offset);
    for (let e = 0; e < 2 * n; e++) x[e] = (x[e]! + dt * f[e]!) + g[e]! * inc.dW[e]!;
  }
  assert.deepEqual(r.final, x);
});

const WORKER_OU = {
  module: import.meta.resolve("../../../processes/sde_models/ornstein_uhlenbeck.ts"),
  exportName: "ornsteinUhlenbeck",
  args: [{ theta: 1, mu: 0.5, sigma: 1 }],
};

Deno.test("simulateEnsemble() on cpu workers equals one thread bit for bit", async () => {
  const lv = stochasticLotkaVolterra({ sigmaPrey: 0.3 });
  const perPath = Array.from({ length: 2 * 1500 }, (_, e) => (e % 2 ? 0.8 : 1.2) + (e % 7) * 0.01);
  const cases: Array<[Sde, Record<string, unknown>, ArrayLike<number>]> = [
    [lv, {
      module: import.meta.resolve("../../../processes/sde_models/stochastic_lotka_volterra.ts"),
      exportName: "stochasticLotkaVolterra",
      args: [{ sigmaPrey: 0.3 }],
    }, perPath],
    [ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 }), WORKER_OU, [1]],
  ];
  for (const [sde, workerModel, x0] of cases) {
    const opts = {
      backend: cpu,
      x0,
      paths: 1500,
      t1: 1,
      dt: 1 / 64,
      saveAt: [0.25, 1],
      key,
      pathOffset: 1000,
      quantiles: [0.1, 0.5],
      keepPaths: 300,
      returnFinal: true,
    };
    const progress: number[] = [];
    const one = await simulateEnsemble(sde, opts);
    const many = await simulateEnsemble(sde, {
      ...opts,
      workers: 2,
      workerModel: workerModel as never,
      onProgress: (k) => progress.push(k),
    });
    assert.deepEqual(many, one);
    assert.equal(progress[progress.length - 1], 1500);
  }
});

Deno.test("simulateEnsemble() on cpu workers reports the one-thread error and checks workerModel", async () => {
  const ou = ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 });
  const base = { backend: cpu, x0: [1], paths: 600, t1: 1, dt: 0.1 };
  await assert.rejects(simulateEnsemble(ou, { ...base, workers: 2 }), /needs workerModel/);
  await assert.rejects(
    simulateEnsemble(ou, {
      ...base,
      workers: 2,
      workerModel: { ...WORKER_OU, args: [{ theta: 2, mu: 0.5, sigma: 1 }] },
    }),
    (e: Error) => e instanceof SdenoTypeError && /differs from the SDE/.test(e.message),
  );
  await assert.rejects(
    simulateEnsemble(ou, {
      ...base,
      workers: 2,
      workerModel: { ...WORKER_OU, exportName: "nope" },
    }),
    (e: Error) => e instanceof SdenoTypeError && /no function export "nope"/.test(e.message),
  );
  // paths from 300 on blow up; the one-thread error names the first of them
  const big = ornsteinUhlenbeck({ theta: -400, mu: 0, sigma: 1 });
  const x0 = Array.from({ length: 600 }, (_, i) => (i >= 300 ? 1e300 : 0));
  const opts = { ...base, x0, dt: 0.01 };
  const err1 = await simulateEnsemble(big, opts).catch((e) => e);
  const err2 = await simulateEnsemble(big, {
    ...opts,
    workers: 2,
    workerModel: { ...WORKER_OU, args: [{ theta: -400, mu: 0, sigma: 1 }] },
  }).catch((e) => e);
  assert.ok(err1 instanceof NumericalError && /path 300,/.test(err1.message), String(err1));
  assert.ok(err2 instanceof NumericalError);
  assert.equal(err2.message, err1.message);
  assert.equal(err2.step, err1.step);
});

const WORKER_LV = {
  module: import.meta.resolve("../../../processes/sde_models/stochastic_lotka_volterra.ts"),
  exportName: "stochasticLotkaVolterra",
  args: [{ sigmaPrey: 0.3 }],
};

/** Pool tests check for leaked ops and resources explicitly. */
const poolTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, sanitizeOps: true, sanitizeResources: true }, async () => {
    closeEnsembleWorkers();
    try {
      await fn();
    } finally {
      closeEnsembleWorkers();
    }
  });

poolTest(
  "simulateEnsemble() workers are pooled: repeated calls reuse them, bit for bit",
  async () => {
    const ou = ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 });
    const opts = { backend: cpu, x0: [1], paths: 3000, t1: 0.5, dt: 1 / 64, key, quantiles: [0.5] };
    const one = await simulateEnsemble(ou, opts);
    const started = ensembleWorkerPool().started;
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(
        await simulateEnsemble(ou, { ...opts, workers: 2, workerModel: WORKER_OU }),
        one,
      );
      const pool = ensembleWorkerPool();
      assert.equal(pool.started, started + 2, `call ${k} started workers`);
      assert.equal(pool.size, 2);
      assert.equal(pool.busy, 0);
    }
    // two calls at once lease workers of their own
    const [a, b] = await Promise.all([
      simulateEnsemble(ou, { ...opts, workers: 2, workerModel: WORKER_OU }),
      simulateEnsemble(ou, { ...opts, workers: 2, workerModel: WORKER_OU }),
    ]);
    assert.deepEqual(a, one);
    assert.deepEqual(b, one);
    assert.equal(ensembleWorkerPool().size, 4);
  },
);

poolTest(
  "simulateEnsemble() pooled workers rebuild another model, and the probe check runs on reuse",
  async () => {
    const ou = ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 });
    const lv = stochasticLotkaVolterra({ sigmaPrey: 0.3 });
    const base = { backend: cpu, paths: 2000, t1: 0.5, dt: 1 / 64, key, workers: 2 };
    await simulateEnsemble(ou, { ...base, x0: [1], workerModel: WORKER_OU });
    const { started, keys } = ensembleWorkerPool();
    const opts = { ...base, x0: [1.2, 0.8] };
    const r = await simulateEnsemble(lv, { ...opts, workerModel: WORKER_LV });
    assert.deepEqual(r, await simulateEnsemble(lv, { ...opts, workers: 1 }));
    const pool = ensembleWorkerPool();
    assert.equal(pool.started, started, "the workers were re-initialised, not replaced");
    assert.notDeepEqual(pool.keys, keys);
    // the same workerModel, held by warm workers, no longer matches the caller's SDE
    await assert.rejects(
      simulateEnsemble(stochasticLotkaVolterra({ sigmaPrey: 0.4 }), {
        ...opts,
        workerModel: WORKER_LV,
      }),
      (e: Error) => e instanceof SdenoTypeError && /differs from the SDE/.test(e.message),
    );
    assert.equal(ensembleWorkerPool().size, 0, "the failed call's workers are discarded");
    // arguments that JSON cannot tell apart from others are never reused as a key
    await simulateEnsemble(ou, {
      ...base,
      x0: [1],
      workerModel: { ...WORKER_OU, args: [new Map([["theta", 1]])] },
    }).catch(() => {});
    assert.equal(ensembleWorkerPool().keys.filter((k) => k !== undefined).length, 0);
  },
);

poolTest(
  "closeEnsembleWorkers() empties the pool; idle workers terminate on their own",
  async () => {
    const ou = ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 });
    const opts = { backend: cpu, x0: [1], paths: 1024, t1: 0.25, dt: 1 / 64, key, workers: 2 };
    const r = await simulateEnsemble(ou, { ...opts, workerModel: WORKER_OU });
    assert.equal(ensembleWorkerPool().size, 2);
    closeEnsembleWorkers();
    assert.equal(ensembleWorkerPool().size, 0);
    closeEnsembleWorkers();
    // closing during a call: its workers finish the call, then terminate
    const started = ensembleWorkerPool().started;
    const running = simulateEnsemble(ou, { ...opts, workerModel: WORKER_OU });
    closeEnsembleWorkers();
    assert.deepEqual(await running, r);
    assert.equal(ensembleWorkerPool().started, started + 2);
    assert.equal(ensembleWorkerPool().size, 0);
    // idle for a second, they go
    await simulateEnsemble(ou, { ...opts, workerModel: WORKER_OU });
    assert.equal(ensembleWorkerPool().size, 2);
    const t = performance.now();
    while (ensembleWorkerPool().size > 0 && performance.now() - t < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(ensembleWorkerPool().size, 0);
  },
);

poolTest(
  "simulateEnsemble() discards workers that failed, and the next call starts fresh ones",
  async () => {
    const big = ornsteinUhlenbeck({ theta: -400, mu: 0, sigma: 1 });
    const wm = { ...WORKER_OU, args: [{ theta: -400, mu: 0, sigma: 1 }] };
    const x0 = Array.from({ length: 600 }, (_, i) => (i >= 300 ? 1e300 : 0));
    const opts = { backend: cpu, x0, paths: 600, t1: 1, dt: 0.01, key, workers: 2 };
    await simulateEnsemble(big, { ...opts, x0: [0], workerModel: wm });
    const started = ensembleWorkerPool().started;
    const err = await simulateEnsemble(big, { ...opts, workerModel: wm }).catch((e) => e);
    assert.ok(err instanceof NumericalError && /path 300,/.test(err.message), String(err));
    assert.equal(ensembleWorkerPool().size, 0);
    const bad = await simulateEnsemble(big, {
      ...opts,
      x0: [0],
      workerModel: { ...wm, exportName: "nope" },
    }).catch((e) => e);
    assert.ok(bad instanceof SdenoTypeError && /no function export "nope"/.test(bad.message));
    assert.equal(ensembleWorkerPool().size, 0);
    const ok = await simulateEnsemble(big, { ...opts, x0: [0], workerModel: wm });
    assert.deepEqual(ok, await simulateEnsemble(big, { ...opts, x0: [0], workers: 1 }));
    assert.equal(ensembleWorkerPool().started, started + 4);
  },
);
