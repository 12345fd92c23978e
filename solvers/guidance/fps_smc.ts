/**
 * FPS-SMC: Dou & Song, "Diffusion Posterior Sampling for Linear Inverse
 * Problem Solving: a Filtering Perspective", ICLR 2024 (code
 * ZehaoDou-official/FPS-SMC-2023); ../shared/refs/inverse §1.2.
 *
 * The measurement is diffused along with x: with the forward noise ε shared,
 * `y_t = √ᾱ_t y + √(1 − ᾱ_t) A ε = A x_t + √ᾱ_t σ_y n`, so `c_t = √ᾱ_t`. A
 * path y_T, …, y_0 = y is drawn once per particle system by the backward
 * bridge: `y_T = √ᾱ_T y + √(1 − ᾱ_T) A ε`, then the DDIM step with the same
 * η as the sampler, `y_s = √ᾱ_s y + c2 (y_t − √ᾱ_t y)/√(1 − ᾱ_t) + c1 A z`
 * (η = 1: the exact bridge q(y_s | y_t, y_0)). Each particle then moves by
 * the Gaussian product
 * `x_s ∝ N(x_s; m(x_t), c1² I)·N(y_s; A x_s, ᾱ_s σ_y² I)`, closed form in
 * the SVD coordinates (`x̄ = Vᵀx`, `ȳ = Uᵀy`): for j < rank, precision
 * `1/c1² + s_j²/(ᾱ_s σ_y²)` and mean `(m̄_j/c1² + s_j ȳ_{s,j}/(ᾱ_s σ_y²))/precision`;
 * other coordinates `N(m̄_j, c1²)`. The weight is the proposal's normaliser,
 * `Π_j N(ȳ_{s,j}; s_j m̄_j, s_j² c1² + ᾱ_s σ_y²)`, a function of x_t only
 * (the same ratio the official code evaluates at the drawn sample), so the
 * systems resample before they move; x_T starts exactly from
 * `N(0, I)·N(y_T; A x_T, ᾱ_T σ_y² I)`.
 *
 * Differences from the official code, on purpose: the reverse kernel is the
 * DDIM step with η (the code's `c_rate` uses the variance `c·(1 − ᾱ_s)`),
 * y_T includes its mean `√ᾱ_T y`, and every particle is output (the code
 * returns the first particle of one system).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import type { ResamplingScheme } from "./resampling.ts";
import { optionsRecord } from "./_method_options.ts";
import {
  ddimSteps,
  gatherRows,
  hostNormals,
  logNormal,
  measurementInU,
  runSmcBatches,
  smcLayout,
  SpectralState,
} from "./_smc.ts";

/** Options of {@linkcode fpsSmc}. */
export interface FpsSmcOptions {
  /**
   * Particles per system (default: samples up to 1000, else the largest divisor of samples in
   * [100, 1000]); samples must be a multiple.
   */
  particles?: number;
  /** DDIM η in (0, 1] of the reverse kernel and of the measurement bridge (default 1). */
  eta?: number;
  /** Resampling scheme (default `"systematic"`). */
  resampling?: ResamplingScheme;
  /** Resample when ESS < essThreshold·N (default 0.5). */
  essThreshold?: number;
  /**
   * The incremental weight: `"twisted"` (default) divides the proposal's
   * normaliser by the previous step's potential `N(y_t; A x_t, ᾱ_t σ_y²)`,
   * an SMC sampler of the targets `p_t(x_t) N(y_t; A x_t, ᾱ_t σ_y²)`, whose
   * last is the posterior, so it is exact as particles grow; `"paper"` uses
   * the normaliser alone, as the official code, which multiplies the
   * likelihoods of every y_t (they share one noise draw) and over-concentrates
   * when σ_y is not small.
   */
  weighting?: "twisted" | "paper";
}

const OPTION_KEYS = ["particles", "eta", "resampling", "essThreshold", "weighting"] as const;

const INFO: GuidanceInfo = Object.freeze(
  {
    family: "guidance",
    name: "fps-smc",
    aliases: ["fps_smc", "fpssmc", "fps"],
    summary:
      "FPS-SMC: filtering posterior sampling with a diffused measurement path and particles (Dou & Song 2024)",
    stochastic: true,
    backends: ["cpu", "webgpu"],
    needsVjp: false,
    needsSvd: true,
    needsPseudoInverse: false,
    operators: "linear",
    noise: ["gaussian"],
    asymptoticallyExact: true,
    paper:
      "Dou, Song, Diffusion Posterior Sampling for Linear Inverse Problem Solving: a Filtering Perspective, ICLR 2024",
  } as const,
);

async function run(request: GuidanceRequest<FpsSmcOptions>): Promise<GuidanceResult> {
  const what = "Cannot run fps-smc";
  const { grid, y } = checkGuidanceRequest(INFO, request);
  const options = optionsRecord(what, request.options, OPTION_KEYS);
  const layout = smcLayout(what, request, options, {
    resampling: "systematic",
    essThreshold: 0.5,
  });
  const weighting = options.weighting ?? "twisted";
  if (weighting !== "twisted" && weighting !== "paper") {
    throw new SdenoTypeError(
      `${what}: options.weighting must be "twisted" or "paper", got ${quote(weighting)}`,
    );
  }
  const twisted = weighting === "twisted";
  const noise = request.problem.noise;
  const sigma = noise.kind === "gaussian" ? noise.sigma : 0;
  if (!(sigma > 0)) {
    throw new SdenoRangeError(
      `${what}: it needs Gaussian noise with σ_y > 0 (its product step divides by ᾱ σ_y²), got σ_y = ${sigma}`,
    );
  }
  const { model, backend, key } = request;
  const svd = (request.problem.operator as LinearOperator).svd!;
  const d = model.dim, sv = svd.singularValues, rank = sv.length;
  const yb = await measurementInU(backend, svd, y);
  const steps = grid.length - 1;
  const { ab, ddim } = ddimSteps(model.schedule, grid, layout.eta);

  return await runSmcBatches(what, request, layout, { d, grid, nfe: steps }, async (batch) => {
    const n = layout.particles;
    const { rows, systems, firstSystem, weights } = batch;
    const spectral = new SpectralState(batch, request, svd);
    // the measurement path of each system, in U coordinates (rank entries); aux normals
    // at grid index k, elements system·rank + j
    const bridgeNoise = (k: number) =>
      hostNormals(key, systems * rank, {
        step: k,
        purpose: PHILOX_PURPOSES.guidanceAux,
        offset: firstSystem * rank,
      });
    let yPath = new Float64Array(systems * rank);
    {
      const z = bridgeNoise(0), sa = Math.sqrt(ab[0]!), sn = Math.sqrt(1 - ab[0]!);
      for (let q = 0; q < systems; q++) {
        for (let j = 0; j < rank; j++) {
          yPath[q * rank + j] = sa * yb[j]! + sn * sv[j]! * z[q * rank + j]!;
        }
      }
    }

    // x_T exactly from N(0, I)·N(ȳ_T; s x̄, ᾱ_T σ²)
    const xb = batch.initNormals();
    {
      const v = ab[0]! * sigma * sigma;
      for (let j = 0; j < rank; j++) {
        const prec = 1 + sv[j]! * sv[j]! / v;
        for (let r = 0; r < rows; r++) {
          const q = Math.floor(r / n), i = r * d + j;
          xb[i] = sv[j]! * yPath[q * rank + j]! / v / prec + xb[i]! / Math.sqrt(prec);
        }
      }
    }

    let state = xb;
    for (let k = 0; k < steps; k++) {
      const t = grid[k]!, s = grid[k + 1]!;
      const { a, b, c1, c2 } = ddim[k]!;
      // the bridge y_t → y_s
      const next = new Float64Array(systems * rank);
      {
        const z = bridgeNoise(k + 1), saS = Math.sqrt(ab[k + 1]!), saT = Math.sqrt(ab[k]!);
        const back = c2 / Math.sqrt(1 - ab[k]!);
        for (let q = 0; q < systems; q++) {
          for (let j = 0; j < rank; j++) {
            const i = q * rank + j;
            next[i] = saS * yb[j]! + back * (yPath[i]! - saT * yb[j]!) + c1 * sv[j]! * z[i]!;
          }
        }
      }
      const yPrev = yPath;
      yPath = next;

      let mb = await spectral.ddimMean(state, k, t, a, b);

      // weights: the normaliser of the Gaussian product, then resampling
      const vy = ab[k + 1]! * sigma * sigma, vyPrev = ab[k]! * sigma * sigma;
      const inc = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const q = Math.floor(r / n);
        let lw = 0;
        for (let j = 0; j < rank; j++) {
          const sj = sv[j]!;
          lw += logNormal(yPath[q * rank + j]!, sj * mb[r * d + j]!, sj * sj * c1 * c1 + vy);
          if (twisted) lw -= logNormal(yPrev[q * rank + j]!, sj * state[r * d + j]!, vyPrev);
        }
        inc[r] = lw;
      }
      weights.add(inc, { what, step: k, time: t });
      const ancestors = weights.decide(k);
      if (ancestors !== undefined) mb = gatherRows(mb, d, ancestors);

      // the Gaussian product step
      const z = batch.stepNormals(k);
      const moved = new Float64Array(rows * d);
      for (let i = 0; i < rows * d; i++) moved[i] = mb[i]! + c1 * z[i]!;
      if (c1 > 0) {
        for (let j = 0; j < rank; j++) {
          const sj = sv[j]!, prec = 1 / (c1 * c1) + sj * sj / vy, sd = 1 / Math.sqrt(prec);
          for (let r = 0; r < rows; r++) {
            const q = Math.floor(r / n), i = r * d + j;
            const mean = (mb[i]! / (c1 * c1) + sj * yPath[q * rank + j]! / vy) / prec;
            moved[i] = mean + sd * z[i]!;
          }
        }
      }
      state = moved;
      await spectral.report(state, k, t, s);
    }
    return await batch.finish(state, (xbFinal) => spectral.toX(xbFinal));
  });
}

/**
 * FPS-SMC (Dou & Song, ICLR 2024): particle filtering along a diffused
 * measurement path, with a closed-form Gaussian product step in the
 * operator's SVD coordinates. Needs σ_y > 0. Options:
 * {@linkcode FpsSmcOptions}. The result carries each system's ESS trace
 * (one entry per grid point and the final decision) and resampling steps.
 *
 * @example A 1-D Gaussian posterior
 * ```ts
 * import { fpsSmc } from "./fps_smc.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * // prior N(0, 1), y = x + 0.5 n, y = 1: posterior N(0.8, 0.2)
 * const model = gaussian({ mean: [0], covariance: [[1]] }, vpDiscreteSchedule({ betas: ddpmLinearBetas() }));
 * const problem = { operator: denseOperator([[1]]), y: [1], noise: gaussianNoise(0.5) };
 * const { samples } = await fpsSmc.run({
 *   model, problem, grid: quadraticGrid(50), samples: 2000, key: makeKey(1),
 *   backend: new CpuBackend(), options: { particles: 100 },
 * });
 * const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
 * assert.ok(Math.abs(mean - 0.8) < 0.1);
 * ```
 */
export const fpsSmc: GuidanceMethod<FpsSmcOptions> = Object.freeze({ info: INFO, run });
