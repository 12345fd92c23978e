/**
 * The unconditional baseline of the guidance benchmarks: DDPM/DDIM sampling
 * of the prior from x_T ~ N(0, I), ignoring the measurement
 * (../shared/refs/inverse §1.1; Ho, Jain & Abbeel, "Denoising Diffusion
 * Probabilistic Models", arXiv 2006.11239; Song, Meng & Ermon, "Denoising
 * Diffusion Implicit Models", arXiv 2010.02502, eq. 12). Each step t → s is
 *
 * ```
 * x_s = √ᾱ_s x̂₀ + c2 ε̂ + c1 z,  c1 = η √((1 − ᾱ_t/ᾱ_s)(1 − ᾱ_s)/(1 − ᾱ_t)),  c2 = √(1 − ᾱ_s − c1²)
 * ```
 *
 * η = 1 is ancestral DDPM, η = 0 deterministic DDIM. Its distance to the
 * prior is the floor every guided method carries (refs §1.6: x_T ~ N(0, I)
 * instead of the true p_T, and K steps).
 *
 * @module
 */

import type { GuidanceMethod } from "./method.ts";
import { ddimCoefficients } from "./vp.ts";
import { numberOption, optionsRecord } from "./_method_options.ts";
import { ddimStep, denoise, runGuidanceLoop } from "./_step.ts";

/** Options of {@linkcode ddpmUnconditional}. */
export interface DdpmUnconditionalOptions {
  /** DDIM stochasticity η ≥ 0 (default 1: ancestral DDPM). */
  eta?: number;
}

/**
 * Unconditional DDPM/DDIM sampling of the prior (the baseline; the problem
 * is checked but not used). One NFE per step.
 *
 * @example Samples of a 1-D Gaussian prior N(2, 0.25) have its mean
 * ```ts
 * import { ddpmUnconditional } from "./ddpm_unconditional.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [2], covariance: [[0.25]] }, schedule);
 * const problem = { operator: denseOperator([[1]]), y: [0], noise: gaussianNoise(0.1) };
 * const r = await ddpmUnconditional.run({
 *   model, problem, grid: quadraticGrid(50), samples: 400, key: makeKey(1), backend: new CpuBackend(),
 * });
 * const mean = r.samples.reduce((a, b) => a + b) / 400;
 * assert.ok(Math.abs(mean - 2) < 4 * 0.5 / 20);
 * assert.equal(r.nfe, quadraticGrid(50).length - 1);
 * ```
 */
export const ddpmUnconditional: GuidanceMethod<DdpmUnconditionalOptions> = {
  info: Object.freeze(
    {
      family: "guidance",
      name: "ddpm",
      aliases: ["unconditional", "uncond_ddpm"],
      summary: "unconditional DDPM/DDIM sampling of the prior (the baseline; ignores y)",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: false,
      needsSvd: false,
      needsPseudoInverse: false,
      operators: "any",
      noise: ["gaussian", "poisson", "none"],
      asymptoticallyExact: false,
      paper: "Ho, Jain & Abbeel, Denoising Diffusion Probabilistic Models, arXiv 2006.11239",
    } as const,
  ),
  async run(request) {
    const what = "Cannot run ddpm";
    const o = optionsRecord(what, request?.options, ["eta"]);
    const eta = numberOption(what, o, "eta", 1, { min: 0 });
    let x0: ReturnType<typeof request.backend.zeros>, eps: typeof x0;
    return await runGuidanceLoop(ddpmUnconditional.info, request, {
      prepare(state) {
        x0 = state.run.alloc(state.x.length);
        eps = state.run.alloc(state.x.length);
        return Promise.resolve();
      },
      async step(state, input) {
        await denoise(state, request, input.t, input.abT, x0, eps);
        await ddimStep(state, input, ddimCoefficients(input.abT, input.abS, eta), x0, eps);
      },
    });
  },
};
