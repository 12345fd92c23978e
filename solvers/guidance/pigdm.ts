/**
 * Pseudoinverse-guided diffusion models (ΠGDM): Song, Vahdat, Mardani &
 * Kautz, "Pseudoinverse-Guided Diffusion Models for Inverse Problems", ICLR
 * 2023 (openreview 9_gsMA8MRKQ), §3 and Algorithm 1. The posterior of x₀
 * given x_t is approximated by N(x̂₀, r_t² I) with r_t² = 1 − ᾱ_t (the VP
 * form of σ_t²/(1 + σ_t²)), which makes the likelihood score
 *
 * ```
 * g = ∇_{x_t} log p(y | x_t) ≈ Jᵀ Aᵀ (r_t² A Aᵀ + σ_y² I)⁻¹ (y − A x̂₀),   J = ∂x̂₀/∂x_t
 * ```
 *
 * (with σ_y = 0 this is Jᵀ A⁺(y − A x̂₀)/r_t², so the `"rt2"` step below
 * is NVlabs' noiseless `w √(ᾱ_s ᾱ_t) Jᵀ(A⁺y − A⁺A x̂₀)`). The inverse is
 * applied through the operator's SVD, `Aᵀ U diag(1/(r_t² s² + σ_y²)) Uᵀ`, or, for an operator
 * without one, by conjugate gradients on the d_y × d_y system. The step adds
 * g to a DDIM step (η) with one of three coefficients
 * (../shared/refs/inverse §1.2 and §1.6):
 *
 * - `"rt2"` (default): `x_s = DDIM(x̂₀, ε̂) + w √(ᾱ_s ᾱ_t) r_t² g`, as the
 *   re-implementations NVlabs/RED-diff (`algos/pgdm.py`) and
 *   Badr-MOUFAD/dcps (`pgdm_svd`) do;
 * - `"score"`: g is taken as the likelihood score, `ε̂' = ε̂ − w √(1 − ᾱ_t) g`
 *   (and x̂₀' from ε̂'), followed by the DDIM step;
 * - `"paper"`: `x_s = DDIM(x̂₀, ε̂) + w √ᾱ_t g`, our reading of Algorithm 1.
 *   Unstable: near t = 0, g ≈ Aᵀ(y − Ax)/σ_y², and the step diverges once
 *   ‖A‖²/σ_y² exceeds about 2 (refs §1.6: it diverged on gmm_d8_dy2).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import type { GuidanceMethod } from "./method.ts";
import { conjugateGradient } from "./_cg.ts";
import { ddimCoefficients } from "./vp.ts";
import { choiceOption, numberOption, optionsRecord } from "./_method_options.ts";
import {
  type BatchState,
  ddimStep,
  denoise,
  denoiserVjp,
  hasSvd,
  runGuidanceLoop,
  type Spectrum,
  spectrum,
  transposeThroughU,
  withScratch,
} from "./_step.ts";

/** The coefficient of the guidance term of {@linkcode pigdm}. */
export type PigdmCoefficient = "rt2" | "score" | "paper";

/** Options of {@linkcode pigdm}. */
export interface PigdmOptions {
  /** The coefficient form (default `"rt2"`; `"paper"` is unstable, see the module doc). */
  coef?: PigdmCoefficient;
  /** The guidance weight w ≥ 0 (default 1). */
  w?: number;
  /** DDIM stochasticity η ≥ 0 (default 1). */
  eta?: number;
  /** Conjugate-gradient iterations per step for an operator without an SVD (default 50). */
  cgIterations?: number;
  /** Relative residual at which conjugate gradients stop (default 1e-8). */
  cgTolerance?: number;
}

const COEFFICIENTS: readonly PigdmCoefficient[] = ["rt2", "score", "paper"];

/**
 * ΠGDM: DDIM steps with the pseudo-inverse guidance term (two NFE per step:
 * the model and its VJP). Needs a model with a `vjp` and a linear operator
 * (its SVD is used when present, else conjugate gradients); Gaussian or no noise.
 *
 * @example On a Gaussian prior the samples' mean lands near the exact posterior mean
 * ```ts
 * import { pigdm } from "./pigdm.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0], [0, 1]] }, schedule);
 * const problem = { operator: denseOperator([[1, 0]]), y: [2], noise: gaussianNoise(0.2) };
 * const r = await pigdm.run({
 *   model, problem, grid: quadraticGrid(50), samples: 400, key: makeKey(2),
 *   backend: new CpuBackend(), options: { coef: "score" },
 * });
 * let mean = 0;
 * for (let i = 0; i < 400; i++) mean += r.samples[2 * i]! / 400;
 * assert.ok(Math.abs(mean - 2 / 1.04) < 0.15, `mean ${mean}`); // exact: 1.923
 * ```
 */
export const pigdm: GuidanceMethod<PigdmOptions> = {
  info: Object.freeze(
    {
      family: "guidance",
      name: "pigdm",
      aliases: ["pgdm", "pseudoinverse_guided"],
      summary: "ΠGDM: DDIM steps plus the pseudo-inverse guidance Jᵀ Aᵀ(r_t²AAᵀ + σ²I)⁻¹(y − Ax̂₀)",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: true,
      needsSvd: false,
      needsPseudoInverse: false,
      operators: "linear",
      noise: ["gaussian"],
      asymptoticallyExact: false,
      paper:
        "Song, Vahdat, Mardani & Kautz, Pseudoinverse-Guided Diffusion Models for Inverse Problems, ICLR 2023",
    } as const,
  ),
  async run(request) {
    const what = "Cannot run pigdm";
    const o = optionsRecord(what, request?.options, [
      "coef",
      "w",
      "eta",
      "cgIterations",
      "cgTolerance",
    ]);
    const coef = choiceOption(what, o, "coef", COEFFICIENTS, "rt2");
    const w = numberOption(what, o, "w", 1, { min: 0 });
    const eta = numberOption(what, o, "eta", 1, { min: 0 });
    const cgIterations = numberOption(what, o, "cgIterations", 50, { min: 1, integer: true });
    const cgTolerance = numberOption(what, o, "cgTolerance", 1e-8, {
      min: 0,
      minExclusive: true,
      max: 1,
    });
    const op = request?.problem?.operator as LinearOperator;
    const noise = request?.problem?.noise;
    const sigma = noise?.kind === "gaussian" ? noise.sigma : 0;
    let sp: Spectrum | undefined;
    let x0: DeviceArray, eps: DeviceArray, res: DeviceArray, h: DeviceArray, g: DeviceArray;
    return await runGuidanceLoop(pigdm.info, request, {
      async prepare(state) {
        if (hasSvd(op)) {
          sp ??= await spectrum(state.backend, op, Float64Array.from(request.problem.y));
        }
        const n = state.x.length;
        [x0, eps, h, g] = [0, 1, 2, 3].map(() => state.run.alloc(n)) as [
          DeviceArray,
          DeviceArray,
          DeviceArray,
          DeviceArray,
        ];
        res = state.run.alloc(state.y.length);
      },
      async step(state, input) {
        const b = state.backend, r2 = 1 - input.abT;
        await denoise(state, request, input.t, input.abT, x0, eps);
        await op.apply(x0, res);
        await b.lincomb(res, [[1, state.y], [-1, res]]); // y − A x̂₀
        await guidanceDirection(state, op, sp, r2, sigma, res, h, {
          iterations: cgIterations,
          tolerance: cgTolerance,
        });
        await denoiserVjp(state, request, input.t, h, g); // g = Jᵀ h
        const c = ddimCoefficients(input.abT, input.abS, eta);
        if (coef === "score") {
          // ε̂' = ε̂ − w √(1−ᾱ_t) g, x̂₀' = x̂₀ + w (1−ᾱ_t)/√ᾱ_t g
          const sd = Math.sqrt(r2);
          await b.lincomb(eps, [[1, eps], [-w * sd, g]]);
          await b.lincomb(x0, [[1, x0], [w * r2 / Math.sqrt(input.abT), g]]);
          await ddimStep(state, input, c, x0, eps);
        } else {
          const k = coef === "rt2"
            ? w * Math.sqrt(input.abS * input.abT) * r2
            : w * Math.sqrt(input.abT);
          await ddimStep(state, input, c, x0, eps, [[k, g]]);
        }
      },
    });
  },
};

/** h = Aᵀ(r² AAᵀ + σ² I)⁻¹ v per row: through the SVD, else by conjugate gradients. */
async function guidanceDirection(
  state: BatchState,
  op: LinearOperator,
  sp: Spectrum | undefined,
  r2: number,
  sigma: number,
  v: DeviceArray,
  h: DeviceArray,
  cg: { iterations: number; tolerance: number },
): Promise<void> {
  if (sp !== undefined) {
    const c = Float64Array.from(sp.s, (s) => 1 / (r2 * s * s + sigma * sigma));
    await transposeThroughU(state, sp, c, v, h);
    return;
  }
  const b = state.backend;
  await withScratch(b, [v.length], async ([u]) => {
    // (r² AAᵀ + σ² I) u = v by conjugate gradients from u = 0, then h = Aᵀu.
    await conjugateGradient(
      {
        dim: op.outDim,
        apply: async (p, out) => {
          await op.applyTranspose(p, h);
          await op.apply(h, out);
          await b.lincomb(out, [[r2, out], [sigma * sigma, p]]);
        },
      },
      v,
      u!,
      cg,
    );
    await op.applyTranspose(u!, h);
  });
}
