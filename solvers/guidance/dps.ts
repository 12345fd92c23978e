/**
 * Diffusion posterior sampling (DPS): Chung, Kim, McCann, Klasky & Ye,
 * "Diffusion Posterior Sampling for General Noisy Inverse Problems", ICLR
 * 2023, arXiv 2209.14687, Algorithm 1 (Gaussian) and 2 (Poisson). Each step
 * t → s takes the ancestral (DDIM, η) step from Tweedie's x̂₀(x_t), then
 * moves against the gradient of the data misfit through the denoiser:
 *
 * ```
 * x_s = √ᾱ_s x̂₀ + c2 ε̂ + c1 z − ζ_t ∇_{x_t} ℓ(y, A(x̂₀(x_t))),   ζ_t = ζ / ‖y − A(x̂₀)‖
 * ```
 *
 * with ℓ = ‖y − A(x̂₀)‖² for Gaussian noise (the paper's step-size heuristic,
 * as in ../shared/refs/inverse §1.2; the official code differentiates the
 * norm instead, which is ζ/2 here), and for Poisson noise
 * ℓ = (2/rate)·(−log p(y | A(x̂₀))), the negative Poisson log-likelihood
 * scaled so that it plays the role of the squared residual. The gradient is
 * `Jᵀ (∂A/∂x)ᵀ ∂ℓ/∂A`, J = ∂x̂₀/∂x_t: one model VJP and one operator VJP per
 * step, so any differentiable operator works (nonlinear ones included).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { operatorVjp } from "../../models/operators/operator.ts";
import type { GuidanceMethod } from "./method.ts";
import { ddimCoefficients } from "./vp.ts";
import { numberOption, optionsRecord } from "./_method_options.ts";
import { dataFitGradient, ddimStep, denoise, denoiserVjp, runGuidanceLoop } from "./_step.ts";

/** Options of {@linkcode dps}. */
export interface DpsOptions {
  /** The step size ζ > 0 of ζ_t = ζ/‖y − A(x̂₀)‖ (default 0.3; tune per problem). */
  zeta?: number;
  /** DDIM stochasticity η ≥ 0 of the underlying step (default 1: ancestral). */
  eta?: number;
}

/**
 * DPS: a DDPM step, then a step of size ζ/‖y − A(x̂₀)‖ down the gradient of
 * the data misfit with respect to x_t (two NFE per step: the model and its
 * VJP). Needs a model with a `vjp`, and a linear operator (its Aᵀ serves)
 * or one with a `vjp`; handles Gaussian and Poisson noise.
 *
 * @example The samples' mean moves from the prior mean toward the measured value
 * ```ts
 * import { dps } from "./dps.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0], covariance: [[1]] }, schedule);
 * const problem = { operator: denseOperator([[1]]), y: [2], noise: gaussianNoise(0.2) };
 * const r = await dps.run({
 *   model, problem, grid: quadraticGrid(50), samples: 200, key: makeKey(2),
 *   backend: new CpuBackend(), options: { zeta: 0.3 },
 * });
 * const mean = r.samples.reduce((a, b) => a + b) / 200;
 * assert.ok(mean > 1.5, `mean ${mean}`); // the exact posterior mean is 1.92
 * assert.equal(r.nfe, 2 * (quadraticGrid(50).length - 1));
 * ```
 */
export const dps: GuidanceMethod<DpsOptions> = {
  info: Object.freeze(
    {
      family: "guidance",
      name: "dps",
      aliases: ["diffusion_posterior_sampling"],
      summary: "DPS: DDPM steps plus ζ/‖y − A(x̂₀)‖ times the misfit gradient through the denoiser",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: true,
      needsSvd: false,
      needsPseudoInverse: false,
      operators: "any",
      noise: ["gaussian", "poisson"],
      asymptoticallyExact: false,
      paper:
        "Chung, Kim, McCann, Klasky & Ye, Diffusion Posterior Sampling for General Noisy Inverse Problems, ICLR 2023, arXiv 2209.14687",
    } as const,
  ),
  async run(request) {
    const what = "Cannot run dps";
    const o = optionsRecord(what, request?.options, ["zeta", "eta"]);
    const zeta = numberOption(what, o, "zeta", 0.3, { min: 0, minExclusive: true });
    const eta = numberOption(what, o, "eta", 1, { min: 0 });
    const op = request?.problem?.operator;
    let y: Float64Array;
    let x0: DeviceArray, eps: DeviceArray, ax: DeviceArray, w: DeviceArray;
    let g: DeviceArray, jg: DeviceArray;
    return await runGuidanceLoop(dps.info, request, {
      prepare(state) {
        y = Float64Array.from(request.problem.y);
        const n = state.x.length;
        [x0, eps, g, jg] = [0, 1, 2, 3].map(() => state.run.alloc(n)) as [
          DeviceArray,
          DeviceArray,
          DeviceArray,
          DeviceArray,
        ];
        [ax, w] = [state.run.alloc(state.y.length), state.run.alloc(state.y.length)];
        return Promise.resolve();
      },
      async step(state, input) {
        const b = state.backend;
        await denoise(state, request, input.t, input.abT, x0, eps);
        await op.apply(x0, ax);
        // ζ_t ∂ℓ/∂A per row, on the host (one small d_y-wide transfer).
        const { grad, norms } = dataFitGradient(
          what,
          request.problem.noise,
          await b.download(ax),
          y,
          {
            step: input.index,
            time: input.t,
          },
        );
        const dy = y.length;
        for (let r = 0; r < norms.length; r++) {
          const scale = norms[r]! > 0 ? zeta / norms[r]! : 0;
          for (let j = r * dy; j < (r + 1) * dy; j++) grad[j] = grad[j]! * scale;
        }
        await b.write(w, grad);
        await operatorVjp(op, x0, w, g); // (∂A/∂x at x̂₀)ᵀ ζ_t ∂ℓ/∂A
        await denoiserVjp(state, request, input.t, g, jg); // ζ_t ∇_{x_t} ℓ
        await ddimStep(state, input, ddimCoefficients(input.abT, input.abS, eta), x0, eps, [
          [-1, jg],
        ]);
      },
    });
  },
};
