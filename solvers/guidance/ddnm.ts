/**
 * Denoising diffusion null-space models, DDNM and DDNM+: Wang, Yu & Zhang,
 * "Zero-Shot Image Restoration Using Denoising Diffusion Null-Space Model",
 * ICLR 2023, arXiv 2212.00490 (wyhuai/DDNM). Each step t → s rectifies
 * Tweedie's x̂₀ in the range space of A and keeps its null-space part
 * (eq. 13):
 *
 * ```
 * x̂₀' = A⁺y + (I − A⁺A) x̂₀ = x̂₀ − λ_t A⁺(A x̂₀ − y)            (λ_t = 1: DDNM)
 * ```
 *
 * then takes the DDPM/DDIM step from x_t with x̂₀' (ε̂' = (x_t − √ᾱ_t x̂₀')/√(1 − ᾱ_t)):
 * `x_s = a x̂₀' + b x_t + c1 z`, where `a = √ᾱ_s − c2 √(ᾱ_t/(1 − ᾱ_t))` is the
 * coefficient of x̂₀' (the DDPM posterior mean's at η = 1) and c1, c2 are the
 * DDIM coefficients. DDNM+ (§3.3, eqs. 17–19) handles noise σ_y: it scales
 * the correction by λ_t = 1 if c1 ≥ a σ_y, else c1/(a σ_y), and injects
 * noise of variance c1² − (a λ_t σ_y)² instead of c1², since the correction
 * carries noise a λ_t A⁺n of its own (../shared/refs/inverse §1.2). With
 * an operator that has an SVD, DDNM+ applies this rule per singular
 * direction, where the correction's noise is a λ_i σ_y/s_i (eq. 19 with a
 * diagonal Σ_t in V, as the official `svd_based_ddnm_plus`); with only a
 * pseudo-inverse it uses the scalar rule, which assumes A⁺ has unit gain
 * (masks, orthogonal rows).
 *
 * Time travel (§3.3, "the time-travel trick", from RePaint's resampling):
 * every `travelLength` grid steps, jump back `travelLength` steps with the
 * forward kernel and go down again, `travelRepeats − 1` times; the jumps are
 * keyed like the steps, so runs are reproducible and batch-independent.
 *
 * No network VJP; needs A⁺ (the operator's pseudo-inverse or SVD).
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import type { GuidanceInfo, GuidanceMethod, GuidanceRequest, GuidanceResult } from "./method.ts";
import { ddimCoefficients } from "./vp.ts";
import { numberOption, optionsRecord } from "./_method_options.ts";
import { applyPseudoInverse } from "./_pseudo_inverse.ts";
import {
  type BatchState,
  columnAffine,
  denoise,
  hasSvd,
  runGuidanceLoop,
  type Spectrum,
  spectrum,
  stepNoise,
  timeTravelPlan,
} from "./_step.ts";

/** Options of {@linkcode ddnm} and {@linkcode ddnmPlus}. */
export interface DdnmOptions {
  /** DDIM stochasticity η ≥ 0 (default 0.85, the official code's). */
  eta?: number;
  /** Grid steps l ≥ 1 per time-travel jump (default 1; only used when travelRepeats > 1). */
  travelLength?: number;
  /** Passes r ≥ 1 over each stretch of l steps (default 1: no time travel). */
  travelRepeats?: number;
}

const KNOWN = ["eta", "travelLength", "travelRepeats"] as const;

function makeDdnm(plus: boolean): GuidanceMethod<DdnmOptions> {
  const name = plus ? "ddnm+" : "ddnm";
  const info: GuidanceInfo = Object.freeze(
    {
      family: "guidance",
      name,
      aliases: plus ? ["ddnm_plus", "ddnmplus"] : ["null_space"],
      summary: plus
        ? "DDNM+: null-space rectification of x̂₀ with the noise-aware λ_t and reduced step noise"
        : "DDNM: x̂₀ ← A⁺y + (I − A⁺A)x̂₀ before each DDPM/DDIM step (noiseless)",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: false,
      needsSvd: false,
      needsPseudoInverse: true,
      operators: "linear",
      noise: plus ? ["gaussian"] as const : ["none"] as const,
      asymptoticallyExact: false,
      paper:
        "Wang, Yu & Zhang, Zero-Shot Image Restoration Using Denoising Diffusion Null-Space Model, ICLR 2023, arXiv 2212.00490",
    } as const,
  );
  async function run(request: GuidanceRequest<DdnmOptions>): Promise<GuidanceResult> {
    const what = `Cannot run ${name}`;
    const o = optionsRecord(what, request?.options, KNOWN);
    const eta = numberOption(what, o, "eta", 0.85, { min: 0 });
    const length = numberOption(what, o, "travelLength", 1, { min: 1, integer: true });
    const repeats = numberOption(what, o, "travelRepeats", 1, { min: 1, max: 1000, integer: true });
    const op = request?.problem?.operator as LinearOperator;
    const noise = request?.problem?.noise;
    const sigmaY = noise?.kind === "gaussian" ? noise.sigma : 0;
    let x0: DeviceArray, eps: DeviceArray, corr: DeviceArray, res: DeviceArray;
    let sp: Spectrum | undefined;
    return await runGuidanceLoop(info, request, {
      async prepare(state) {
        if (plus && sigmaY > 0 && hasSvd(op)) {
          sp ??= await spectrum(state.backend, op, Float64Array.from(request.problem.y));
        }
        const n = state.x.length;
        [x0, eps, corr] = [0, 1, 2].map(() => state.run.alloc(n)) as [
          DeviceArray,
          DeviceArray,
          DeviceArray,
        ];
        res = state.run.alloc(state.y.length);
      },
      async step(state, input) {
        const b = state.backend;
        await denoise(state, request, input.t, input.abT, x0, eps);
        const c = ddimCoefficients(input.abT, input.abS, eta);
        const sdT = Math.sqrt(1 - input.abT);
        const cx = c.eps / sdT; // coefficient of x_t
        const a = c.x0 - cx * Math.sqrt(input.abT); // coefficient of x̂₀'
        if (sp !== undefined) {
          // DDNM+ per singular direction: the correction's noise there is a λ_i σ_y/s_i.
          await spectralPlusStep(state, input.index, sp, sigmaY, { a, cx, c1: c.noise }, x0, corr);
          return;
        }
        let lambda = 1, std = c.noise;
        if (plus && sigmaY > 0 && a > 0) {
          lambda = c.noise >= a * sigmaY ? 1 : c.noise / (a * sigmaY);
          std = Math.sqrt(Math.max(0, c.noise ** 2 - (a * lambda * sigmaY) ** 2));
        }
        if (lambda > 0) {
          await op.apply(x0, res);
          await b.lincomb(res, [[1, state.y], [-1, res]]); // y − A x̂₀
          await applyPseudoInverse(op, res, corr);
          await b.lincomb(x0, [[1, x0], [lambda, corr]]);
        }
        await b.lincomb(
          state.x,
          [[a, x0], [cx, state.x]],
          std > 0 ? stepNoise(state, input.index, std) : undefined,
        );
      },
    }, (steps) => timeTravelPlan(steps, length, repeats));
  }
  return { info, run };
}

/**
 * The DDNM+ step in the SVD coordinates v = Vᵀx (Wang et al. eq. 19 with
 * Σ_t diagonal in V, as the official `svd_based_ddnm_plus`): per observed
 * direction i, λ_i = 1 if c1 ≥ a σ_y/s_i else c1 s_i/(a σ_y), v₀'_i =
 * v₀_i + λ_i (ȳ_i − v₀_i) with ȳ_i = (Uᵀy)_i/s_i, and noise of standard
 * deviation √(c1² − (a λ_i σ_y/s_i)²); unobserved directions keep v₀ and c1.
 * Then x_s = cx x_t + V(a v₀' + std ⊙ z).
 */
async function spectralPlusStep(
  state: BatchState,
  index: number,
  sp: Spectrum,
  sigmaY: number,
  k: { a: number; cx: number; c1: number },
  x0: DeviceArray,
  v: DeviceArray,
): Promise<void> {
  const d = state.d, b = state.backend;
  const keep = new Float64Array(d).fill(k.a), bias = new Float64Array(d);
  const std = new Float64Array(d).fill(k.c1);
  for (let i = 0; i < sp.s.length; i++) {
    const s = sp.s[i]!, noiseI = k.a * sigmaY / s;
    const lambda = k.c1 >= noiseI ? 1 : k.c1 / noiseI;
    keep[i] = k.a * (1 - lambda);
    bias[i] = k.a * lambda * sp.uty[i]! / s;
    std[i] = Math.sqrt(Math.max(0, k.c1 ** 2 - (lambda * noiseI) ** 2));
  }
  await sp.op.svd.applyVt(x0, v);
  await b.fillNormal(x0, state.run.noise.key, stepNoise(state, index, 1));
  await columnAffine(b, v, d, [[keep, v], [std, x0]], bias);
  await sp.op.svd.applyV(v, x0);
  await b.lincomb(state.x, [[k.cx, state.x], [1, x0]]);
}

/**
 * DDNM for noiseless measurements: range/null-space rectification of x̂₀
 * before each DDPM/DDIM step (one NFE per step), with optional time travel.
 * The samples satisfy A x = y exactly (to rounding) when A has full row rank.
 *
 * @example A noiseless inpainting of one of two coordinates
 * ```ts
 * import { ddnm } from "./ddnm.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0.8], [0.8, 1]] }, schedule);
 * const problem = { operator: denseOperator([[1, 0]]), y: [1.5], noise: gaussianNoise(0) };
 * const r = await ddnm.run({
 *   model, problem, grid: quadraticGrid(50), samples: 400, key: makeKey(4), backend: new CpuBackend(),
 *   options: { travelLength: 5, travelRepeats: 3 },
 * });
 * let mean = 0;
 * for (let i = 0; i < 400; i++) {
 *   assert.ok(Math.abs(r.samples[2 * i]! - 1.5) < 1e-12);
 *   mean += r.samples[2 * i + 1]! / 400;
 * }
 * // prior mean 0, exact E[x₂ | x₁ = 1.5] = 1.2: DDNM is biased toward the prior, time travel helps
 * assert.ok(mean > 0.6 && mean < 1.4, `mean ${mean}`);
 * ```
 */
export const ddnm: GuidanceMethod<DdnmOptions> = makeDdnm(false);

/**
 * DDNM+ for noisy measurements (Gaussian σ_y; σ_y = 0 is DDNM): the
 * correction is scaled by λ_t and the step noise reduced to keep the total
 * noise at the step's level (one NFE per step), with optional time travel.
 *
 * @example The samples' mean lies between the prior mean and the measurement
 * ```ts
 * import { ddnmPlus } from "./ddnm.ts";
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
 * const problem = { operator: denseOperator([[1]]), y: [2], noise: gaussianNoise(0.5) };
 * const r = await ddnmPlus.run({
 *   model, problem, grid: quadraticGrid(50), samples: 400, key: makeKey(4), backend: new CpuBackend(),
 * });
 * const mean = r.samples.reduce((a, b) => a + b) / 400;
 * assert.ok(mean > 0.5 && mean < 2, `mean ${mean}`); // exact posterior mean 1.6
 * ```
 */
export const ddnmPlus: GuidanceMethod<DdnmOptions> = makeDdnm(true);
