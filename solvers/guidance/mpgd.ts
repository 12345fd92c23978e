/**
 * Manifold preserving guided diffusion (MPGD), the Jacobian-free
 * reconstruction guidance of He, Murata, Lai, Takida, Uesaka, Kim, Liao,
 * Mitsufuji, Kolter, Salakhutdinov & Ermon, "Manifold Preserving Guided
 * Diffusion", ICLR 2024, arXiv 2311.16424, Algorithm 1 ("MPGD w/o
 * projection"). Each step t → s corrects Tweedie's x̂₀ by a gradient step on
 * the data misfit taken in clean space, with no backpropagation through the
 * network, then takes the DDIM step with the corrected x̂₀ and the model's ε̂:
 *
 * ```
 * x̂₀' = x̂₀ − c_t ∇_{x̂₀} ‖y − A(x̂₀)‖²,   x_s = √ᾱ_s x̂₀' + c2 ε̂ + c1 z
 * ```
 *
 * (../shared/refs/inverse §1.2). The gradient `−2 (∂A/∂x)ᵀ (y − A(x̂₀))`
 * needs only the operator's VJP, so nonlinear operators work. Here
 * c_t = c (a constant, option `stepSize`).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { SdenoTypeError } from "../../kernels/errors.ts";
import { isLinearOperator, operatorVjp } from "../../models/operators/operator.ts";
import type { GuidanceMethod } from "./method.ts";
import { ddimCoefficients } from "./vp.ts";
import { numberOption, optionsRecord } from "./_method_options.ts";
import { ddimStep, denoise, runGuidanceLoop } from "./_step.ts";

/** Options of {@linkcode mpgd}. */
export interface MpgdOptions {
  /** The step size c > 0 of the x̂₀ gradient step (default 0.5; 1/(2‖A‖²) projects a box mask). */
  stepSize?: number;
  /** DDIM stochasticity η ≥ 0 (default 1). */
  eta?: number;
}

/**
 * MPGD: a clean-space gradient step on x̂₀, then a DDIM step (one NFE per
 * step, no model VJP). Needs a linear operator (its Aᵀ serves) or one
 * with a `vjp`; Gaussian or no noise.
 *
 * @example The samples' mean moves toward the measured value
 * ```ts
 * import { mpgd } from "./mpgd.ts";
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
 * const r = await mpgd.run({
 *   model, problem, grid: quadraticGrid(50), samples: 200, key: makeKey(3), backend: new CpuBackend(),
 *   options: { stepSize: 0.1 },
 * });
 * const mean = r.samples.reduce((a, b) => a + b) / 200;
 * assert.ok(mean > 1 && mean < 2.5, `mean ${mean}`); // exact posterior mean 1.92
 * assert.equal(r.nfe, quadraticGrid(50).length - 1);
 * ```
 */
export const mpgd: GuidanceMethod<MpgdOptions> = {
  info: Object.freeze(
    {
      family: "guidance",
      name: "mpgd",
      aliases: ["manifold_preserving_guided_diffusion"],
      summary: "MPGD: x̂₀ ← x̂₀ − c ∇_{x̂₀}‖y − A(x̂₀)‖², then a DDIM step (no network VJP)",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: false,
      needsSvd: false,
      needsPseudoInverse: false,
      operators: "any",
      noise: ["gaussian"],
      asymptoticallyExact: false,
      paper: "He et al., Manifold Preserving Guided Diffusion, ICLR 2024, arXiv 2311.16424",
    } as const,
  ),
  async run(request) {
    const what = "Cannot run mpgd";
    const o = optionsRecord(what, request?.options, ["stepSize", "eta"]);
    const c = numberOption(what, o, "stepSize", 0.5, { min: 0, minExclusive: true });
    const eta = numberOption(what, o, "eta", 1, { min: 0 });
    const op = request?.problem?.operator;
    if (
      op !== null && typeof op === "object" && !isLinearOperator(op) && typeof op.vjp !== "function"
    ) {
      throw new SdenoTypeError(
        `${what}: it needs the operator's vjp, and "${op.name}" has none`,
      );
    }
    let x0: DeviceArray, eps: DeviceArray, res: DeviceArray, g: DeviceArray;
    return await runGuidanceLoop(mpgd.info, request, {
      prepare(state) {
        [x0, eps, g] = [0, 1, 2].map(() => state.run.alloc(state.x.length)) as [
          DeviceArray,
          DeviceArray,
          DeviceArray,
        ];
        res = state.run.alloc(state.y.length);
        return Promise.resolve();
      },
      async step(state, input) {
        const b = state.backend;
        await denoise(state, request, input.t, input.abT, x0, eps);
        await op.apply(x0, res);
        await b.lincomb(res, [[1, state.y], [-1, res]]); // y − A(x̂₀)
        await operatorVjp(op, x0, res, g); // −½ ∇_{x̂₀}‖y − A(x̂₀)‖²
        await b.lincomb(x0, [[1, x0], [2 * c, g]]);
        await ddimStep(state, input, ddimCoefficients(input.abT, input.abS, eta), x0, eps);
      },
    });
  },
};
