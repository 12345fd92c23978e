// Issue 14, item 7 of "Deliver" (the practitioner samplers and σ schedules) on a shipped
// learned model: the ring MLP of
// models/shipped (EDM schedule, x₀ prediction, float32 weights evaluated in float64 on cpu).
// Quality is SW2 to the exact data law (the ring of 8 Gaussians, std 0.2, radius 2, whose
// projections are 1-D mixtures with exact quantiles), so only the samples carry Monte Carlo
// noise; it is measured over G independent groups of points (standard error of the mean).

import assert from "node:assert/strict";
import { createBackend, fillNormal } from "../../../kernels/mod.ts";
import { Mlp } from "../../../models/mlp.ts";
import { readNpy } from "../../../io/mod.ts";
import { normalCdf } from "../../../stats/normal_cdf.ts";
import { sampleDataset } from "../../../processes/sample_dataset.ts";
import { slicedWassersteinToQuantiles } from "../../../stats/sliced_wasserstein.ts";
import { parseSamplerSpec, planBudget } from "../../../solvers/diffusion/plan_budget.ts";
import { ddpm } from "../../../solvers/diffusion/ddpm.ts";
import { karrasSigmas } from "../../../solvers/diffusion/k_sigmas.ts";
import { sampleDpmpp2m } from "../../../solvers/diffusion/dpm_solver.ts";
import { SIGMA_SCHEDULES } from "../../../solvers/diffusion/sampler_names.ts";

const DIR = new URL("../../../models/shipped/", import.meta.url);
const card = JSON.parse(await Deno.readTextFile(new URL("ring.json", DIR)));
const weights = await readNpy(new URL(card.weights.file, DIR));
const MODEL = Mlp.fromCard(card, weights.data as Float32Array).denoiser();
const S = MODEL.schedule;
const cpu = await createBackend("cpu");

/** Samples: N = 4096 points, SW2 over G = 8 groups of 512 (one SW2 of 512 points is ~0.12). */
const N = 4096, G = 8;

// SW2 to the exact ring along 64 fixed directions, from its exact projected quantiles: the
// projection of the ring on θ is the 1-D mixture of N(θ·μ_k, 0.2²), inverted by bisection
const L = 64;
const DIRECTIONS = new Float64Array(2 * L).map((_, i) => {
  const a = Math.PI * ((i >> 1) + 0.5) / L;
  return i % 2 === 0 ? Math.cos(a) : Math.sin(a);
});
const quantileCache = new Map<number, Float64Array>();
function ringQuantiles(m: number): Float64Array {
  const cached = quantileCache.get(m);
  if (cached) return cached;
  const q = new Float64Array(L * m);
  for (let l = 0; l < L; l++) {
    const c = DIRECTIONS[2 * l]!, s = DIRECTIONS[2 * l + 1]!;
    const mu = Array.from(
      { length: 8 },
      (_, k) => 2 * (c * Math.cos(2 * Math.PI * k / 8) + s * Math.sin(2 * Math.PI * k / 8)),
    );
    const cdf = (y: number) => mu.reduce((p, v) => p + normalCdf((y - v) / 0.2), 0) / 8;
    for (let j = 0; j < m; j++) {
      const level = (j + 0.5) / m;
      let lo = -4, hi = 4;
      for (let it = 0; it < 50; it++) {
        const mid = (lo + hi) / 2;
        if (cdf(mid) < level) lo = mid;
        else hi = mid;
      }
      q[l * m + j] = (lo + hi) / 2;
    }
  }
  quantileCache.set(m, q);
  return q;
}

interface Sw2 {
  mean: number;
  se: number;
  /** Mean distance from the origin (exact ring: 2.010) and its standard error. */
  radius: number;
  radiusSe: number;
}

/** Mean SW2 to the exact ring over G equal groups of the points, and its standard error. */
function sw2(x: ArrayLike<number>): Sw2 {
  const m = x.length / 2 / G, quantiles = ringQuantiles(m);
  const v = Array.from(
    { length: G },
    (_, g) =>
      slicedWassersteinToQuantiles(Float64Array.from(x).subarray(2 * g * m, 2 * (g + 1) * m), {
        d: 2,
        directions: DIRECTIONS,
        quantiles,
      }),
  );
  const mean = v.reduce((p, q) => p + q, 0) / G;
  const sd = Math.sqrt(v.reduce((p, q) => p + (q - mean) ** 2, 0) / (G - 1));
  const r = Array.from({ length: x.length / 2 }, (_, i) => Math.hypot(x[2 * i]!, x[2 * i + 1]!));
  const radius = r.reduce((p, q) => p + q, 0) / r.length;
  const rsd = Math.sqrt(r.reduce((p, q) => p + (q - radius) ** 2, 0) / (r.length - 1));
  return { mean, se: sd / Math.sqrt(G), radius, radiusSe: rsd / Math.sqrt(r.length) };
}

/** z of a sampler's mean SW2 above the reference's (independent samples). */
const zAbove = (a: Sw2, ref: Sw2) => (a.mean - ref.mean) / Math.hypot(a.se, ref.se);
const show = (a: Sw2) =>
  `SW2 ${a.mean.toFixed(4)} ± ${a.se.toFixed(4)}, radius ${a.radius.toFixed(3)} ± ${
    a.radiusSe.toFixed(3)
  }`;

/**
 * The same statistics of exact ring points (sample_dataset.ts), n of them: the i.i.d. floor.
 * One SW2 of 512 exact points is 0.116 (256: ~0.16, 2048: 0.062), so at these group sizes
 * SW2 is dominated by the floor and separates only gross errors; the mean radius (exact
 * 2.010, standard error ~0.003 at 4096 points) shows the samplers' small biases, reported.
 */
const floor = (n: number) =>
  show(sw2(sampleDataset("ring", { n, key: { seed: 14, stream: 30 } }).data));

/** σ_max z for n keyed normals (the same first rows for every n). */
function startNoise(n: number, stream: number): Float64Array {
  const z = new Float64Array(2 * n);
  fillNormal(z, { seed: 14, stream });
  return z.map((v) => S.tMax * v);
}

let reference: { x: Float64Array; sw2: Sw2 } | undefined;
/** The model's own ancestral DDPM samples: 100 Karras steps (σ 80 → 0.002). */
async function ddpmReference() {
  if (reference) return reference;
  const r = await ddpm(
    MODEL,
    cpu.upload(startNoise(N, 1)),
    karrasSigmas(101, { appendZero: false }),
    {
      key: { seed: 14, stream: 2 },
    },
  );
  const x = Float64Array.from(await cpu.download(r.x));
  reference = { x, sw2: sw2(x) };
  return reference;
}

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
