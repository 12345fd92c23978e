/**
 * DDS, the Decomposed Diffusion Sampler: Chung, Lee & Ye, "Decomposed
 * Diffusion Sampler for Accelerating Large-Scale Inverse Problems", ICLR
 * 2024 (arXiv 2303.05754), as in the authors' HJ-harry/DDS `solver_2d.py`,
 * `solver_3d.py` and ../shared/refs/inverse §1.5. Each step:
 *
 * 1. Tweedie: `x̂₀ = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t` (one model call);
 * 2. data consistency by M conjugate-gradient steps started at x̂₀ (the
 *    paper's eq. (14): a Krylov update that stays near the clean manifold):
 *    noiseless, `CG(AᵀA, Aᵀy, x̂₀)`; noisy, `CG(I + γAᵀA, x̂₀ + γAᵀy, x̂₀)`,
 *    the proximal problem `min ‖x − x̂₀‖² + γ‖y − Ax‖²` (paper eq. (17));
 *    with `slices` > 1 each row is a volume of slices and the step is one
 *    ADMM-TV iteration along z ({@linkcode admmTvStep}, paper §4.2);
 * 3. re-noise with DDS's own η (not DDIM's): `x_s = √ᾱ_s x̂₀' + √(1 − ᾱ_s)(η z
 *    + √(1 − η²) ε̂)`, η = 0.85; the step to the clean end returns x̂₀'.
 *
 * @module
 */

import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { predictAs } from "../../models/denoiser.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import { alphaBar } from "./vp.ts";
import { conjugateGradient } from "./_cg.ts";
import {
  numberOption,
  optionsRecord,
  reportStep,
  runRowBatches,
  tileRows,
} from "./_method_options.ts";
import { admmTvSettings, AdmmTvState, admmTvStep } from "./admm_tv.ts";
import { quote, SdenoRangeError } from "../../kernels/errors.ts";

/** Options of {@linkcode dds}. */
export interface DdsOptions {
  /** M, conjugate-gradient steps per diffusion step (≥ 1, default 5, the authors' `CG_iter`). */
  cgIterations?: number;
  /** DDS's re-noising η in [0, 1] (default 0.85). */
  eta?: number;
  /** γ > 0, the data weight of the noisy proximal step (default 1). */
  gamma?: number;
  /** S: each row is a volume of S slices (the model and operator act on whole volumes); > 1 turns on ADMM-TV along z (default 1). */
  slices?: number;
  /** λ of ‖D_z x‖₁ (≥ 0, default 0.04, the authors' SV-CT value); with `slices` > 1. */
  tvLambda?: number;
  /** ρ > 0 of ADMM (default 10); with `slices` > 1. */
  rho?: number;
  /** ADMM iterations per diffusion step (≥ 1, default 1); with `slices` > 1. */
  admmIterations?: number;
}

const INFO: GuidanceInfo = Object.freeze({
  family: "guidance",
  name: "dds",
  aliases: Object.freeze(["decomposed-diffusion-sampler"]),
  summary:
    "DDS (Chung, Lee, Ye 2023): Tweedie x̂₀, M conjugate-gradient steps on the data term, DDIM-like re-noising; ADMM-TV along z for volumes",
  stochastic: true,
  backends: Object.freeze(["cpu", "webgpu"] as const),
  needsVjp: false,
  needsSvd: false,
  needsPseudoInverse: false,
  operators: "linear",
  noise: Object.freeze(["gaussian"] as const),
  asymptoticallyExact: false,
  paper:
    "Chung, Lee, Ye, Decomposed Diffusion Sampler for Accelerating Large-Scale Inverse Problems, arXiv 2303.05754 (ICLR 2024)",
}) as GuidanceInfo;

const KNOWN = [
  "cgIterations",
  "eta",
  "gamma",
  "slices",
  "tvLambda",
  "rho",
  "admmIterations",
] as const;

/**
 * DDS ({@linkcode DdsOptions}). `x_T` of sample r is the Philox normal at
 * counter element `(pathOffset + r)·d + j`, step 0, purpose `guidanceInit`;
 * the re-noising z of step k uses step k, purpose `guidanceStep`. NFE = the
 * number of steps. For a volume (`slices` = S), give the model and operator
 * on whole volumes ({@linkcode sliceStackModel}, {@linkcode sliceStackOperator})
 * and y for the whole volume; each sample carries its own ADMM state.
 *
 * @example Noiseless: the output satisfies A x = y (CG on AᵀA from x̂₀)
 * ```ts
 * import { dds } from "./dds.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0.5], [0.5, 1]] }, schedule);
 * const problem = { operator: denseOperator([[1, 1]]), y: [1.2], noise: gaussianNoise(0) };
 * const { samples } = await dds.run({
 *   model, problem, grid: quadraticGrid(20), samples: 3, key: makeKey(1), backend: new CpuBackend(),
 * });
 * for (let r = 0; r < 3; r++) assert.ok(Math.abs(samples[2 * r]! + samples[2 * r + 1]! - 1.2) < 1e-12);
 * ```
 */
export const dds: GuidanceMethod<DdsOptions> = Object.freeze({
  info: INFO,
  async run(request: GuidanceRequest<DdsOptions>): Promise<GuidanceResult> {
    const what = `Cannot run ${INFO.name}`;
    const { grid, y } = checkGuidanceRequest(INFO, request);
    const o = optionsRecord(what, request.options, KNOWN);
    const cgIterations = numberOption(what, o, "cgIterations", 5, { min: 1, integer: true });
    const eta = numberOption(what, o, "eta", 0.85, { min: 0, max: 1 });
    const gamma = numberOption(what, o, "gamma", 1, { min: 0, minExclusive: true });
    const slices = numberOption(what, o, "slices", 1, { min: 1, integer: true });
    const admm = admmTvSettings(what, {
      lambda: numberOption(what, o, "tvLambda", 0.04, { min: 0 }),
      rho: numberOption(what, o, "rho", 10, { min: 0, minExclusive: true }),
      cgIterations,
      iterations: numberOption(what, o, "admmIterations", 1, { min: 1, integer: true }),
    });
    const { model, problem, backend: b } = request;
    const op = problem.operator as LinearOperator;
    const d = model.dim, dy = op.outDim;
    if (d % slices !== 0) {
      throw new SdenoRangeError(
        `${what}: the model's dimension ${d} is not a whole number of ${slices} slices (option slices ${
          quote(slices)
        })`,
      );
    }
    const noiseless = problem.noise.kind === "gaussian" && problem.noise.sigma === 0;
    const pathOffset = request.pathOffset ?? 0;
    const steps = grid.length - 1;
    const samples = await runRowBatches(what, request, d, async (run, row, n) => {
      const x = run.alloc(n * d), eps = run.alloc(n * d), x0 = run.alloc(n * d);
      const aty = run.alloc(n * d), yRows = run.alloc(n * dy), rhs = run.alloc(n * d);
      const ax = run.alloc(n * dy), ata = run.alloc(n * d);
      await b.write(yRows, tileRows(y, n));
      await op.applyTranspose(yRows, aty);
      const offset = (pathOffset + row) * d;
      await b.fillNormal(x, request.key, { purpose: PHILOX_PURPOSES.guidanceInit, offset });
      const state = slices > 1
        ? new AdmmTvState(b, { volumes: n, slices, dim: d / slices })
        : undefined;
      // M p: AᵀA p (noiseless) or p + γAᵀA p (noisy).
      const system = {
        dim: d,
        apply: async (p: typeof x, q: typeof x) => {
          await op.apply(p, ax);
          await op.applyTranspose(ax, ata);
          if (noiseless) await b.lincomb(q, [[1, ata]]);
          else await b.lincomb(q, [[1, p], [gamma, ata]]);
        },
      };
      try {
        for (let k = 0; k < steps; k++) {
          const t = grid[k]!, s = grid[k + 1]!;
          const abT = alphaBar(model.schedule, t), abS = alphaBar(model.schedule, s);
          await predictAs(model, x, {
            t,
            kind: "eps",
            out: eps,
            conditioning: request.conditioning,
          });
          // 1. Tweedie
          await b.lincomb(x0, [[1 / Math.sqrt(abT), x], [-Math.sqrt((1 - abT) / abT), eps]]);
          // 2. data consistency from x̂₀
          if (state !== undefined) {
            if (noiseless) await admmTvStep(state, x0, { operator: op, aty }, admm);
            else {
              await b.lincomb(rhs, [[1, x0]]);
              await admmTvStep(state, x0, { operator: op, aty, gamma, center: rhs }, admm);
            }
          } else {
            if (noiseless) await b.lincomb(rhs, [[1, aty]]);
            else await b.lincomb(rhs, [[1, x0], [gamma, aty]]);
            await conjugateGradient(system, rhs, x0, { iterations: cgIterations });
          }
          // 3. re-noise (DDS's η), or return x̂₀' at the clean end
          if (s === 0) await b.lincomb(x, [[1, x0]]);
          else {
            const sd = Math.sqrt(1 - abS);
            await b.lincomb(x, [[Math.sqrt(abS), x0], [sd * Math.sqrt(1 - eta * eta), eps]], {
              scale: sd * eta,
              key: request.key,
              step: k,
              purpose: PHILOX_PURPOSES.guidanceStep,
              offset,
            });
          }
          await run.checkFinite(x, { step: k, time: s, quantity: "x" });
          await reportStep(request, b, x, { step: k, t, tNext: s, row });
        }
      } finally {
        state?.release();
      }
      return x;
    });
    return { samples, nfe: steps };
  },
});
