/**
 * Denoising diffusion restoration models (DDRM): Kawar, Elad, Ermon & Song,
 * "Denoising Diffusion Restoration Models", NeurIPS 2022, arXiv 2201.11793,
 * eqs. (7)–(8) and the official `efficient_generalized_steps`
 * (bahjat-kawar/ddrm). Works in the operator's spectral domain: with
 * `A = U diag(s) Vᵀ`, the VE view x^VE = x/√ᾱ (noise level σ_t = √((1−ᾱ_t)/ᾱ_t)),
 * v = Vᵀ x^VE, ȳ_i = (Uᵀy)_i/s_i and σ^(i) = σ_y/s_i, a step t → s sets,
 * from v₀ = Vᵀ x̂₀ and v_ε = Vᵀ ε̂ (../shared/refs/inverse §1.2):
 *
 * ```
 * unobserved i (i > rank):  v_i = v₀_i + √(1 − η_C²) σ_s v_ε,i + η_C σ_s z_i
 * observed, σ_s < σ^(i):    v_i = v₀_i + √(1 − η²) σ_s (ȳ_i − v₀_i)/σ^(i) + η σ_s z_i
 * observed, σ_s ≥ σ^(i):    v_i = (1 − η_B) v₀_i + η_B ȳ_i + √(σ_s² − η_B² σ^(i)²) z_i
 * ```
 *
 * then x_s = √ᾱ_s V v. Defaults η = η_A = 0.85, η_B = 1, η_C = 1; like the
 * official code it starts from x_T ~ N(0, I). No network VJP; needs the
 * operator's SVD.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import type { GuidanceMethod } from "./method.ts";
import { numberOption, optionsRecord } from "./_method_options.ts";
import {
  columnAffine,
  denoise,
  runGuidanceLoop,
  type Spectrum,
  spectrum,
  stepNoise,
} from "./_step.ts";

/** Options of {@linkcode ddrm}. */
export interface DdrmOptions {
  /** η (η_A) in [0, 1], the noise share on observed coordinates less noisy than y (default 0.85). */
  eta?: number;
  /** η_B in [0, 1], the weight of ȳ on coordinates noisier than y (default 1). */
  etaB?: number;
  /** η_C in [0, 1], the noise share on unobserved coordinates (default 1). */
  etaC?: number;
}

/**
 * DDRM: one NFE per step, the update in the SVD coordinates of A. Needs a
 * linear operator with an SVD; Gaussian or no noise.
 *
 * @example Noiseless: observed coordinates end at the measurement
 * ```ts
 * import { ddrm } from "./ddrm.ts";
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
 * const problem = { operator: denseOperator([[2, 0]]), y: [1], noise: gaussianNoise(0) };
 * const r = await ddrm.run({
 *   model, problem, grid: quadraticGrid(20), samples: 3, key: makeKey(1), backend: new CpuBackend(),
 * });
 * for (let i = 0; i < 3; i++) assert.ok(Math.abs(2 * r.samples[2 * i]! - 1) < 1e-9);
 * ```
 */
export const ddrm: GuidanceMethod<DdrmOptions> = {
  info: Object.freeze(
    {
      family: "guidance",
      name: "ddrm",
      aliases: ["denoising_diffusion_restoration"],
      summary: "DDRM: variational DDIM steps in the SVD coordinates of A (η = 0.85, η_B = η_C = 1)",
      stochastic: true,
      backends: ["cpu", "webgpu"],
      needsVjp: false,
      needsSvd: true,
      needsPseudoInverse: false,
      operators: "linear",
      noise: ["gaussian"],
      asymptoticallyExact: false,
      paper:
        "Kawar, Elad, Ermon & Song, Denoising Diffusion Restoration Models, NeurIPS 2022, arXiv 2201.11793",
    } as const,
  ),
  async run(request) {
    const what = "Cannot run ddrm";
    const o = optionsRecord(what, request?.options, ["eta", "etaB", "etaC"]);
    const etaA = numberOption(what, o, "eta", 0.85, { min: 0, max: 1 });
    const etaB = numberOption(what, o, "etaB", 1, { min: 0, max: 1 });
    const etaC = numberOption(what, o, "etaC", 1, { min: 0, max: 1 });
    const noise = request?.problem?.noise;
    const sigmaY = noise?.kind === "gaussian" ? noise.sigma : 0;
    let sp: Spectrum;
    let x0: DeviceArray, eps: DeviceArray, v0: DeviceArray, ve: DeviceArray, z: DeviceArray;
    return await runGuidanceLoop(ddrm.info, request, {
      async prepare(state) {
        sp = await spectrum(
          state.backend,
          request.problem.operator as Spectrum["op"],
          Float64Array.from(request.problem.y),
        );
        const n = state.x.length;
        [x0, eps, v0, ve, z] = [0, 1, 2, 3, 4].map(() => state.run.alloc(n)) as [
          DeviceArray,
          DeviceArray,
          DeviceArray,
          DeviceArray,
          DeviceArray,
        ];
      },
      async step(state, input) {
        const b = state.backend, d = state.d, svd = sp.op.svd;
        await denoise(state, request, input.t, input.abT, x0, eps);
        await svd.applyVt(x0, v0);
        await svd.applyVt(eps, ve);
        await b.fillNormal(z, state.run.noise.key, stepNoise(state, input.index, 1));
        // Per spectral coordinate: v = c0·v₀ + cε·v_ε + cz·z + cy·ȳ.
        const sigS = Math.sqrt((1 - input.abS) / input.abS);
        const c0 = new Float64Array(d).fill(1);
        const ce = new Float64Array(d).fill(Math.sqrt(1 - etaC * etaC) * sigS);
        const cz = new Float64Array(d).fill(etaC * sigS);
        const bias = new Float64Array(d);
        for (let i = 0; i < sp.s.length; i++) {
          const si = sp.s[i]!, ybar = sp.uty[i]! / si, sigI = sigmaY / si;
          ce[i] = 0;
          if (sigS < sigI) {
            const k = Math.sqrt(1 - etaA * etaA) * sigS / sigI;
            c0[i] = 1 - k;
            bias[i] = k * ybar;
            cz[i] = etaA * sigS;
          } else {
            c0[i] = 1 - etaB;
            bias[i] = etaB * ybar;
            cz[i] = Math.sqrt(Math.max(0, sigS * sigS - etaB * etaB * sigI * sigI));
          }
        }
        // x_s = √ᾱ_s V v: scale the coefficients by √ᾱ_s before going back.
        const a = Math.sqrt(input.abS);
        for (const c of [c0, ce, cz, bias]) for (let i = 0; i < d; i++) c[i] = c[i]! * a;
        await columnAffine(b, v0, d, [[c0, v0], [ce, ve], [cz, z]], bias);
        await svd.applyV(v0, state.x);
      },
    });
  },
};
