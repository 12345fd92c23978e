/**
 * DiffPIR, diffusion models for plug-and-play image restoration: Zhu, Zhang,
 * Liang, Cao, Wen, Timofte & Van Gool, "Denoising Diffusion Models for
 * Plug-and-Play Image Restoration", CVPRW 2023, arXiv 2305.08995, Algorithm 1.
 * Each step t → s solves the data subproblem around Tweedie's x̂₀ (eq. 12)
 *
 * ```
 * x̂₀' = argmin_x ‖y − A x‖² + ρ_t ‖x − x̂₀‖²,   ρ_t = λ σ_y² / σ̄_t²,  σ̄_t² = (1 − ᾱ_t)/ᾱ_t
 * ```
 *
 * in closed form through the operator's SVD (`v_i = (s_i (Uᵀy)_i + ρ_t v₀_i)/(s_i² + ρ_t)`
 * in V coordinates), or by conjugate gradients on `(AᵀA + ρ_t I) x = Aᵀy + ρ_t x̂₀`
 * started at x̂₀ when the operator has no SVD, and then re-noises (eq. 15):
 *
 * ```
 * x_s = √ᾱ_s x̂₀' + √(1 − ᾱ_s) (√(1 − ζ) ε̂' + √ζ z),   ε̂' = (x_t − √ᾱ_t x̂₀')/√(1 − ᾱ_t)
 * ```
 *
 * (../shared/refs/inverse §1.2, reconstruction guidance without a Jacobian).
 * Noiseless (σ_y = 0): ρ_t = 0 and x̂₀' is x̂₀ projected onto {A x = y}.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import type { GuidanceMethod } from "./method.ts";
import { numberOption, optionsRecord } from "./_method_options.ts";
import { conjugateGradient } from "./_cg.ts";
import {
  type BatchState,
  columnAffine,
  denoise,
  hasSvd,
  runGuidanceLoop,
  type Spectrum,
  spectrum,
  stepNoise,
  withScratch,
} from "./_step.ts";

/** Options of {@linkcode diffpir}. */
export interface DiffpirOptions {
  /** λ > 0 of ρ_t = λ σ_y²/σ̄_t² (default 7, the paper's typical value). */
  lambda?: number;
  /** ζ in [0, 1], the share of fresh noise in the re-noising (default 0.3). */
  zeta?: number;
  /** Conjugate-gradient iterations per step for an operator without an SVD (default 50). */
  cgIterations?: number;
  /** Relative residual at which conjugate gradients stop (default 1e-8). */
  cgTolerance?: number;
}

/**
 * DiffPIR: a proximal data step on x̂₀, then DDIM-like re-noising with a ζ
 * share of fresh noise (one NFE per step). No network VJP; a linear
 * operator (SVD used when present, else conjugate gradients); Gaussian or no noise.
 *
 * @example Noiseless: the samples satisfy the measurement
 * ```ts
 * import { diffpir } from "./diffpir.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0.5], [0.5, 1]] }, schedule);
 * const problem = { operator: denseOperator([[1, 1]]), y: [1], noise: gaussianNoise(0) };
 * const r = await diffpir.run({
 *   model, problem, grid: quadraticGrid(20), samples: 5, key: makeKey(1), backend: new CpuBackend(),
 * });
 * for (let i = 0; i < 5; i++) assert.ok(Math.abs(r.samples[2 * i]! + r.samples[2 * i + 1]! - 1) < 1e-9);
 * ```
 */
export const diffpir: GuidanceMethod<DiffpirOptions> = {
  info: Object.freeze(
    {
      family: "guidance",
      name: "diffpir",
      aliases: ["diff_pir", "plug_and_play_diffusion"],
      summary:
        "DiffPIR: x̂₀ ← argmin ‖y − Ax‖² + ρ_t‖x − x̂₀‖², then re-noising with a ζ share of fresh noise",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: false,
      needsSvd: false,
      needsPseudoInverse: false,
      operators: "linear",
      noise: ["gaussian"],
      asymptoticallyExact: false,
      paper:
        "Zhu, Zhang, Liang, Cao, Wen, Timofte & Van Gool, Denoising Diffusion Models for Plug-and-Play Image Restoration, CVPRW 2023, arXiv 2305.08995",
    } as const,
  ),
  async run(request) {
    const what = "Cannot run diffpir";
    const o = optionsRecord(what, request?.options, [
      "lambda",
      "zeta",
      "cgIterations",
      "cgTolerance",
    ]);
    const lambda = numberOption(what, o, "lambda", 7, { min: 0, minExclusive: true });
    const zeta = numberOption(what, o, "zeta", 0.3, { min: 0, max: 1 });
    const cg = {
      iterations: numberOption(what, o, "cgIterations", 50, { min: 1, integer: true }),
      tolerance: numberOption(what, o, "cgTolerance", 1e-8, {
        min: 0,
        minExclusive: true,
        max: 1,
      }),
    };
    const op = request?.problem?.operator as LinearOperator;
    const noise = request?.problem?.noise;
    const sigmaY = noise?.kind === "gaussian" ? noise.sigma : 0;
    let sp: Spectrum | undefined;
    let x0: DeviceArray, eps: DeviceArray;
    return await runGuidanceLoop(diffpir.info, request, {
      async prepare(state) {
        if (hasSvd(op)) {
          sp ??= await spectrum(state.backend, op, Float64Array.from(request.problem.y));
        }
        [x0, eps] = [state.run.alloc(state.x.length), state.run.alloc(state.x.length)];
      },
      async step(state, input) {
        const b = state.backend;
        await denoise(state, request, input.t, input.abT, x0, eps);
        const rho = lambda * sigmaY * sigmaY * input.abT / (1 - input.abT);
        await dataStep(state, op, sp, rho, x0, cg);
        // ε̂' from x̂₀', then x_s = √ᾱ_s x̂₀' + √(1−ᾱ_s)(√(1−ζ) ε̂' + √ζ z)
        const sdT = Math.sqrt(1 - input.abT), sdS = Math.sqrt(1 - input.abS);
        await b.lincomb(eps, [[1 / sdT, state.x], [-Math.sqrt(input.abT) / sdT, x0]]);
        const std = sdS * Math.sqrt(zeta);
        await b.lincomb(
          state.x,
          [[Math.sqrt(input.abS), x0], [sdS * Math.sqrt(1 - zeta), eps]],
          std > 0 ? stepNoise(state, input.index, std) : undefined,
        );
      },
    });
  },
};

/** x ← argmin ‖y − A x‖² + ρ ‖x − x₀‖² per row (x holds x₀ on entry). */
async function dataStep(
  state: BatchState,
  op: LinearOperator,
  sp: Spectrum | undefined,
  rho: number,
  x: DeviceArray,
  cg: { iterations: number; tolerance: number },
): Promise<void> {
  const b = state.backend, d = state.d;
  if (sp !== undefined) {
    // In V coordinates: v_i = (s_i (Uᵀy)_i + ρ v₀_i)/(s_i² + ρ) for i ≤ rank, v₀_i beyond.
    const keep = new Float64Array(d).fill(1), bias = new Float64Array(d);
    for (let i = 0; i < sp.s.length; i++) {
      const s = sp.s[i]!;
      keep[i] = rho / (s * s + rho);
      bias[i] = s * sp.uty[i]! / (s * s + rho);
    }
    await withScratch(b, [x.length], async ([v]) => {
      await sp.op.svd.applyVt(x, v!);
      await columnAffine(b, v!, d, [[keep, v!]], bias);
      await sp.op.svd.applyV(v!, x);
    });
    return;
  }
  // (AᵀA + ρI) x = Aᵀy + ρ x₀ by conjugate gradients from x₀.
  await withScratch(b, [x.length, state.y.length], async ([rhs, tmp]) => {
    await op.applyTranspose(state.y, rhs!);
    await b.lincomb(rhs!, [[1, rhs!], [rho, x]]);
    await conjugateGradient(
      {
        dim: d,
        apply: async (p, out) => {
          await op.apply(p, tmp!);
          await op.applyTranspose(tmp!, out);
          if (rho > 0) await b.lincomb(out, [[1, out], [rho, p]]);
        },
      },
      rhs!,
      x,
      cg,
    );
  });
}
