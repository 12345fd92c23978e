/**
 * The predictor–corrector sampler of Song et al., "Score-based generative
 * modeling through stochastic differential equations" (ICLR 2021, §4.2,
 * Algorithms 2–3 and Appendix G): each step first runs M Langevin MCMC
 * corrector steps at the current noise level with the step size set by a
 * target signal-to-noise ratio r, then a reverse-diffusion predictor step to
 * the next level.
 *
 * It runs in the variance-exploding view of the schedule, `x̃ = x/α`,
 * `σ̃ = σ/α` (the VE SDE of the same marginals, Karras et al. 2022, Table 1),
 * with score `s̃ = (D(x̃, σ̃) − x̃)/σ̃²`; on the EDM schedule this is exactly
 * Song's VE PC sampler.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { SampleRun } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

const OPTIONS = ["snr", "correctorSteps", "denoise"] as const;

/** Options of {@linkcode samplePredictorCorrector}. */
export interface PredictorCorrectorOptions extends SamplerOptions {
  /** Target signal-to-noise ratio r of the Langevin corrector (default 0.16, Song's VE setting). */
  snr?: number;
  /** Corrector steps M per noise level (default 1; 0 gives the predictor alone). */
  correctorSteps?: number;
  /**
   * Return the noise-free mean of the last predictor step (default true, as
   * Song's `denoise=True`); with a final σ = 0 the last step is then `x = D`.
   */
  denoise?: boolean;
}

/**
 * Predictor–corrector sampling. For each step i (σ̃ᵢ → σ̃ᵢ₊₁):
 *
 * - corrector, M times: `z ~ N(0, I)`, `s = s̃(x, σ̃ᵢ)`,
 *   `ε = 2(r‖z‖/‖s‖)²`, `x ← x + ε s + sqrt(2ε) z` (Algorithm 4 of Song et
 *   al. with α = 1 in the VE view). ‖·‖ is the root mean square over the
 *   batch of the per-point norms (one step size for the whole batch, as in
 *   Song's code, which uses the mean of the norms; the RMS is what the
 *   backend's column reduction gives), so results depend on the batch;
 * - predictor (reverse diffusion, Song et al. eq. 47 for VE):
 *   `x ← x + (σ̃ᵢ² − σ̃ᵢ₊₁²) s + sqrt(σ̃ᵢ² − σ̃ᵢ₊₁²) z`, without the noise on
 *   the last step when `denoise` is true.
 *
 * NFE = (M + 1) per step. Noise comes from `options.noise` (default Philox
 * keyed by `key`), corrector draws first.
 *
 * @param denoiser the model; the grid is in its schedule's time
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times (a final σ = 0 is allowed)
 * @param options `snr` (0.16), `correctorSteps` (1), `denoise` (true) and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example Two model calls per step with one corrector step
 * ```ts
 * import { samplePredictorCorrector } from "./sample_predictor_corrector.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await samplePredictorCorrector(model, b.upload([80, -80, 40]), karrasSigmas(10));
 * assert.equal(r.nfe, 20);
 * assert.ok((await b.download(r.x)).every((v) => Math.abs(v) < 6));
 * ```
 */
export async function samplePredictorCorrector(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: PredictorCorrectorOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("the predictor-corrector sampler", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: OPTIONS,
  });
  const snr = run.positive("snr", options.snr ?? 0.16);
  const m = run.integer("correctorSteps", options.correctorSteps ?? 1, 0, 1000);
  const denoise = options.denoise ?? true;
  const s = run.sigmas;
  const rows = run.length / run.dim;
  return run.use(async () => {
    const xs = await run.start(x);
    const den = run.alloc(), score = run.alloc(), z = run.alloc();
    const rmsNorm = async (a: DeviceArray) =>
      Math.sqrt((await run.backend.columnStats(a, 1)).sumSq[0]! / rows);
    for (let i = 0; i + 1 < s.length; i++) {
      const si = s[i]!, next = s[i + 1]!;
      for (let j = 0; j < m; j++) {
        await run.denoise(xs, si, den);
        await run.lc(score, [[1 / (si * si), den], [-1 / (si * si), xs]]);
        await run.drawNoise(z, { from: si, to: si });
        const zn = await rmsNorm(z), sn = await rmsNorm(score);
        const eps = sn > 0 ? 2 * (snr * zn / sn) ** 2 : 0;
        await run.lc(xs, [[1, xs], [eps, score], [Math.sqrt(2 * eps), z]]);
      }
      await run.denoise(xs, si, den);
      const g2 = si * si - next * next;
      // x + g²·(D − x)/σ²
      const c = g2 / (si * si);
      const terms: Term[] = [[1 - c, xs], [c, den]];
      const last = i + 2 === s.length;
      if (last && denoise) await run.lc(xs, terms);
      else await run.lcNoise(xs, terms, Math.sqrt(g2), { from: si, to: next });
      await run.endStep(i, xs, den);
    }
    return run.finish(xs);
  });
}

/**
 * The method object of {@linkcode samplePredictorCorrector}: `correctorSteps + 1`
 * calls per step.
 *
 * @example
 * ```ts
 * import { predictorCorrectorMethod } from "./sample_predictor_corrector.ts";
 * import assert from "node:assert/strict";
 * assert.equal(predictorCorrectorMethod.info.nfe({ points: 11, endsAtZero: true }, {}), 20);
 * ```
 */
export const predictorCorrectorMethod: DiffusionMethod<PredictorCorrectorOptions> = diffusionMethod(
  {
    family: "diffusion",
    name: "pc",
    aliases: ["predictor_corrector", "sample_predictor_corrector"],
    summary: "reverse-diffusion predictor + Langevin corrector (Song et al., ICLR 2021, §4.2)",
    stochastic: true,
    backends: ["cpu", "webgpu"],
    order: 1,
    grid: "sigma",
    budget: "grid",
    noise: "iid",
    rowsIndependent: false,
    options: OPTIONS,
    nfe: (g, o) => (g.points - 1) * (((o.correctorSteps as number | undefined) ?? 1) + 1),
  },
  samplePredictorCorrector,
);
