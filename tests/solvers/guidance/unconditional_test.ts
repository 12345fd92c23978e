// ddpmUnconditional: the baseline sampler's distance to exact prior samples
// on the d = 8 GMM instances (refs §2.2, "uncond_ddpm(vs prior)": K = 100
// quadratic grid, η = 1, x_T ~ N(0, I), 10000 samples), its η = 0 (DDIM)
// form on a Gaussian prior, batch independence, cpu vs webgpu, bad input.

import assert from "node:assert/strict";
import { ddpmUnconditional } from "../../../solvers/guidance/ddpm_unconditional.ts";
import { loadGmmInstance, loadImageInstance, meanCov, sw1 } from "./_benchmark.ts";
import {
  assertBatchIndependent,
  cpuVsWebgpu,
  GMM_NAMES,
  gmmPriorSamples,
  runOn,
} from "./_ddim_checks.ts";
import { GPU_TEST } from "../../_gpu.ts";
import { CpuBackend } from "../../../kernels/mod.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { edmSchedule } from "../../../processes/edm_schedule.ts";
import { gaussian } from "../../../models/gaussian.ts";
import { denseOperator } from "../../../models/operators/dense.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";

Deno.test("ddpmUnconditional() is within 1.5× of the uncond_ddpm level against exact prior samples (10000 samples, K = 100)", async () => {
  for (const name of GMM_NAMES) {
    const inst = loadGmmInstance(name);
    const level = inst.levels.runs.get("uncond_ddpm(vs prior)")!.sw;
    const r = await runOn(ddpmUnconditional, inst, { samples: 10000 });
    const prior = gmmPriorSamples(inst, 10000, 31);
    const sw = sw1({ ...inst, exactSamples: prior }, r.samples);
    console.log(
      `${name}: SW to prior ${sw.toFixed(3)} (level ${level.toFixed(3)}, ≤ ${
        (1.5 * level).toFixed(3)
      })`,
    );
    assert.ok(sw <= 1.5 * level, `${name}: SW ${sw} > 1.5 × ${level}`);
    assert.equal(r.nfe, quadraticGrid(100).length - 1);
  }
});

Deno.test("ddpmUnconditional() with η = 0 and η = 1 samples a Gaussian prior: mean within 4 SE, covariance trace converging with K", async () => {
  // img8 prior N(μ, Σ), d = 64. The sample mean is checked pixel by pixel
  // (4 standard errors). The trace of the sample covariance carries the
  // DDPM/DDIM discretisation error (x̂₀ plugged into q(x_s | x_t, x₀) drops
  // Var(x₀ | x_t), refs §1.6), which is first order in the step: the gap
  // must at least halve from K = 25 to K = 100 (a 4× finer grid) and be
  // below 10% of tr Σ at K = 100.
  const inst = loadImageInstance("img8_sr2");
  const d = inst.d, n = 1000;
  let tr = 0, tr2 = 0;
  for (let i = 0; i < d; i++) tr += inst.priorCov[i * d + i]!;
  for (let i = 0; i < d * d; i++) tr2 += inst.priorCov[i]! ** 2;
  const trSe = Math.sqrt(2 * tr2 / n);
  for (const eta of [0, 1]) {
    const gaps: number[] = [];
    for (const steps of [25, 100]) {
      const r = await runOn(ddpmUnconditional, inst, { samples: n, steps, options: { eta } });
      const { mean, cov } = meanCov(r.samples, d);
      let trS = 0;
      for (let i = 0; i < d; i++) {
        const se = Math.sqrt(inst.priorCov[i * d + i]! / n);
        assert.ok(
          Math.abs(mean[i]! - inst.priorMean[i]!) < 4 * se,
          `η ${eta}, K ${steps}, pixel ${i}: ${mean[i]} vs ${inst.priorMean[i]} ± ${se}`,
        );
        trS += cov[i * d + i]!;
      }
      gaps.push(tr - trS);
    }
    console.log(
      `η = ${eta}: tr Σ − tr S = ${gaps[0]!.toFixed(3)} (K = 25), ${
        gaps[1]!.toFixed(3)
      } (K = 100); tr Σ = ${tr.toFixed(3)}, SE of tr S ${trSe.toFixed(3)}`,
    );
    assert.ok(gaps[1]! < gaps[0]! / 2 + 4 * trSe, `η ${eta}: gaps ${gaps}`);
    assert.ok(Math.abs(gaps[1]!) < 0.1 * tr + 4 * trSe, `η ${eta}: gaps ${gaps}`);
  }
});

Deno.test("ddpmUnconditional() gives the same bits for any batch split and shard", async () => {
  await assertBatchIndependent(ddpmUnconditional, loadGmmInstance("gmm_d8_dy2"));
});

Deno.test({
  name: "ddpmUnconditional() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const rel = await cpuVsWebgpu(ddpmUnconditional, loadGmmInstance("gmm_d8_dy2"));
    if (rel === undefined) return;
    assert.ok(rel < 1e-4, `relative difference ${rel}`);
  },
});

Deno.test("ddpmUnconditional() refuses bad options and a non-VP schedule before any work", async () => {
  const inst = loadGmmInstance("gmm_d8_dy1");
  const base = {
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(10),
    samples: 2,
    key: makeKey(1),
    backend: new CpuBackend(),
  };
  await assert.rejects(
    () => ddpmUnconditional.run({ ...base, options: { eta: -1 } }),
    SdenoRangeError,
  );
  await assert.rejects(() => ddpmUnconditional.run({ ...base, options: { eta: NaN } }), /eta/);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => ddpmUnconditional.run({ ...base, options: { etta: 1 } as any }),
    SdenoTypeError,
  );
  const edm = gaussian({ mean: [0], covariance: [[1]] }, edmSchedule());
  const problem = { operator: denseOperator([[1]]), y: [0], noise: gaussianNoise(0.1) };
  await assert.rejects(
    () => ddpmUnconditional.run({ ...base, model: edm, problem, grid: [2, 1] }),
    /variance-preserving/,
  );
  await assert.rejects(() => ddpmUnconditional.run({ ...base, samples: 0 }), SdenoRangeError);
});

Deno.test("ddpmUnconditional() calls onStep after every step with the batch's rows, and releases its arrays", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const backend = new CpuBackend();
  const before = backend.liveArrays;
  const seen: { step: number; t: number; tNext: number; rows: number; row: number }[] = [];
  const grid = quadraticGrid(6);
  const r = await ddpmUnconditional.run({
    model: inst.model,
    problem: inst.problem,
    grid,
    samples: 5,
    batch: 3,
    key: makeKey(4),
    backend,
    onStep: ({ step, t, tNext, x, row }) => {
      seen.push({ step, t, tNext, row, rows: x.length / 8 });
    },
  });
  assert.equal(backend.liveArrays, before);
  const steps = grid.length - 1;
  assert.equal(seen.length, 2 * steps);
  seen.forEach((s, i) => {
    const k = i % steps;
    assert.deepEqual(s, {
      step: k,
      t: grid[k],
      tNext: grid[k + 1],
      rows: i < steps ? 3 : 2,
      row: i < steps ? 0 : 3,
    });
  });
  assert.ok(r.samples.every(Number.isFinite));
});

/** The eight methods on the shared DDIM loop (_step.ts). */
async function ddimStyleMethods() {
  return [
    ddpmUnconditional,
    (await import("../../../solvers/guidance/dps.ts")).dps,
    (await import("../../../solvers/guidance/pigdm.ts")).pigdm,
    (await import("../../../solvers/guidance/ddrm.ts")).ddrm,
    (await import("../../../solvers/guidance/ddnm.ts")).ddnm,
    (await import("../../../solvers/guidance/ddnm.ts")).ddnmPlus,
    (await import("../../../solvers/guidance/diffpir.ts")).diffpir,
    (await import("../../../solvers/guidance/mpgd.ts")).mpgd,
  ];
}

Deno.test("the DDIM-style guidance methods declare well-formed metadata with distinct names", async () => {
  const { methodInfoProblems } = await import("../../../solvers/method_registry.ts");
  const methods = await ddimStyleMethods();
  const names = new Set<string>();
  for (const m of methods) {
    assert.deepEqual(methodInfoProblems(m.info, "guidance"), [], m.info.name);
    for (const n of [m.info.name, ...m.info.aliases]) {
      assert.ok(!names.has(n), `${n} declared twice`);
      names.add(n);
    }
  }
});

Deno.test("the DDIM-style guidance methods refuse a missing request or problem with a typed error", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const methods = await ddimStyleMethods();
  for (const m of methods) {
    const base = {
      model: inst.model,
      grid: quadraticGrid(5),
      samples: 2,
      key: makeKey(1),
      backend: new CpuBackend(),
    };
    // deno-lint-ignore no-explicit-any
    await assert.rejects(() => m.run(null as any), SdenoTypeError, m.info.name);
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      () => m.run({ ...base, problem: undefined as any }),
      SdenoTypeError,
      m.info.name,
    );
    const nan = { ...inst.problem, y: [NaN, 0] };
    await assert.rejects(() => m.run({ ...base, problem: nan }), SdenoRangeError, m.info.name);
  }
});
