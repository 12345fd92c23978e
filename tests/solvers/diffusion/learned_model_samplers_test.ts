// Issue 14, item 7 of "Deliver" (the practitioner samplers and σ schedules) on a shipped
// learned model: the ring MLP of
// models/shipped (EDM schedule, x₀ prediction, float32 weights evaluated in float64 on cpu).
// Quality is SW2 to the exact data law (the ring of 8 Gaussians, std 0.2, radius 2, whose
// projections are 1-D mixtures with exact quantiles), so only the samples carry Monte Carlo
// noise; it is measured over G independent groups of points (standard error of the mean).

import assert from "node:assert/strict";
import { parseSamplerSpec, planBudget } from "../../../solvers/diffusion/plan_budget.ts";
import { sampleDpmpp2m } from "../../../solvers/diffusion/dpm_solver.ts";
import { SIGMA_SCHEDULES } from "../../../solvers/diffusion/sampler_names.ts";

import {
  cpu,
  ddpmReference,
  floor,
  MODEL,
  N,
  S,
  show,
  startNoise,
  sw2,
  zAbove,
} from "./_learned_model.ts";

// Measured (seed 14; SW2 ± standard error over 8 groups of 512, mean radius ± SE over 4096):
//   exact data 0.122 ± 0.015, r 2.010;  DDPM-100 0.118 ± 0.008, r 1.997
//   ipndm 0.119, r 2.014;  sa_solver 0.125, r 2.064;  restart (NFE 39) 0.104, r 2.024;
//   lcm 0.141, r 1.956;  deis 0.116, r 1.995;  dpmpp_2m 0.125, r 2.052  (radius SE 0.003)
// SW2 at 512 points sits at the i.i.d. floor; the radius shows the NFE-20 biases (2M's 2.05 as
// models/shipped/README.md reports). At NFE 10 (not asserted; SW2): ipndm 0.119, deis 0.124,
// euler 0.176, lcm 0.194, dpmpp_2m 0.267, sa_solver 0.869 (its τ noise is not yet removed).
Deno.test("every practitioner sampler of the registry on the shipped ring MLP at NFE 20 (restart 40) reaches the DDPM reference's SW2 within its Monte Carlo band", async () => {
  const ref = (await ddpmReference()).sw2;
  const rows = [`exact data          ${floor(N)}`, `ddpm (100 steps)    ${show(ref)}`];
  // LCM multistep takes the learned x̂₀ as its consistency function (one jump to x̂₀, renoise)
  // Restart spends its budget as Heun below 20 steps (no restart, ComfyUI's automatic list needs
  // ≥ 20): at NFE 19 it is Heun on 10 Karras steps, SW2 0.188 ± 0.011 (z 5.3 above DDPM, a
  // poor ODE solve, as dpmpp_2m's 0.267 at NFE 10); so it gets NFE 39, where it restarts
  for (const name of ["ipndm", "sa_solver", "restart", "lcm", "deis", "dpmpp_2m"]) {
    const spec = parseSamplerSpec(name);
    const p = planBudget(spec, { schedule: S, budget: name === "restart" ? 40 : 20 });
    const r = await spec.method.sample(MODEL, cpu.upload(startNoise(N, 1)), p.grid, {
      ...p.options,
      key: { seed: 14, stream: 3 },
    });
    const q = sw2(await cpu.download(r.x));
    const z = zAbove(q, ref);
    rows.push(
      `${name.padEnd(9)} NFE ${String(r.nfe).padStart(2)}   ${show(q)}  ratio ${
        (q.mean / ref.mean).toFixed(2)
      }  z ${z.toFixed(1)}`,
    );
    assert.ok(r.nfe <= (name === "restart" ? 40 : 20), name);
    assert.ok(z < 4 && q.mean < 1.5 * ref.mean, rows.join("\n"));
  }
  console.log(rows.join("\n"));
});

Deno.test("every σ schedule of sampler_names.ts with DPM-Solver++(2M) at 20 steps on the shipped ring MLP reaches the DDPM reference's SW2 within its Monte Carlo band", async () => {
  // half the points (2048, groups of 256), against the reference's first 2048 rows
  const n = N / 2;
  const ref = sw2((await ddpmReference()).x.subarray(0, 2 * n));
  // the model-based schedules (simple, sgm_uniform, ddim_uniform, beta, normal) read a table of
  // the model's σ's: for a continuous EDM model ComfyUI's ModelSamplingContinuousEDM holds
  // 1000 σ's uniform in log σ between σ_min and σ_max
  const table = Float64Array.from(
    { length: 1000 },
    (_, k) => Math.exp(Math.log(S.tMin) + k * (Math.log(S.tMax) - Math.log(S.tMin)) / 999),
  );
  const model = { sigmas: table, sigmaMin: S.tMin, sigmaMax: S.tMax };
  const rows = [`exact data           ${floor(n)}`, `ddpm (100 steps)     ${show(ref)}`];
  const skipped: string[] = [];
  for (const [name, schedule] of Object.entries(SIGMA_SCHEDULES)) {
    // Align Your Steps lists are Stable Diffusion's / SVD's σ's (σ_max 14.6 or 700), flow_shift a
    // rectified-flow grid: neither belongs to this model's σ range
    if (name.startsWith("ays_") || name === "flow_shift") {
      skipped.push(name);
      continue;
    }
    const sigmas = schedule(20, { sigmaMin: S.tMin, sigmaMax: S.tMax, model });
    // start at the schedule's own σ_max (ddim_uniform's first σ is 48.1 here)
    const x = startNoise(n, 1).map((v) => v * sigmas[0]! / S.tMax);
    const r = await sampleDpmpp2m(MODEL, cpu.upload(x), sigmas);
    const q = sw2(await cpu.download(r.x));
    const z = zAbove(q, ref);
    rows.push(
      `${name.padEnd(16)} σ ${sigmas[0]!.toPrecision(3)}…${
        sigmas[sigmas.length - 2]!.toPrecision(2)
      }  ${show(q)}  ratio ${(q.mean / ref.mean).toFixed(2)}  z ${z.toFixed(1)}`,
    );
  }
  console.log(rows.join("\n") + `\nnot run (another model's σ range): ${skipped.join(", ")}`);
  // measured SW2 (2048 points, groups of 256; floor 0.143, DDPM 0.134): 0.123–0.127 for every
  // schedule over the model's range, radius 2.025 (kl_optimal) to 2.063 (beta) vs DDPM 1.991.
  // linear_quadratic (ComfyUI's, for flow models such as Mochi) is linear in σ/σ_max for most
  // steps: its last positive σ is 15 here, so its final step jumps from 15 to 0 — reported, not
  // held to the band
  for (const row of rows.slice(2).filter((r) => !r.startsWith("linear_quadratic"))) {
    const z = Number(row.slice(row.lastIndexOf("z ") + 2));
    assert.ok(z < 4, rows.join("\n"));
  }
});
