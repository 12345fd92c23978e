/**
 * The twisted diffusion sampler (TDS): Wu, Trippe, Naesseth, Blei &
 * Cunningham, "Practical and Asymptotically Exact Conditional Sampling in
 * Diffusion Models", arXiv 2306.17775, NeurIPS 2023 (code
 * blt2114/twisted_diffusion_sampler), Algorithm 1, for a Gaussian
 * measurement `y = A(x) + σ_y n`; ../shared/refs/inverse §1.2.
 *
 * Twisting functions `p̃_t(y | x_t) = N(y; A(x̂₀(x_t)), Σ_t)` with
 * `Σ_t = σ_y² I` (default) or `σ_y² I + r_t² A Aᵀ`, `r_t² = 1 − ᾱ_t`
 * (ΠGDM's variance, linear operators with an SVD); at t = 0, x̂₀ = x and
 * `p̃_0` is the likelihood. Each step t → s of a particle system:
 * 1. resample when the ESS falls below θ·N (θ = 0.5 by default);
 * 2. propose `x_s ~ N(m(x_t) + c1² ∇ log p̃_t(y | x_t), c1² I)`, with m and
 *    c1 the DDIM mean and noise std (η = 1: ancestral DDPM), and the
 *    gradient `J_{x̂₀}ᵀ J_Aᵀ Σ_t⁻¹ (y − A(x̂₀))` by the model's VJP;
 * 3. weight `p(x_s | x_t) p̃_s(y | x_s) / [p̃_t(y | x_t) q(x_s | x_t)]`, where
 *    for the proposal `x_s = m + c1² g + c1 z` the Gaussian ratio is
 *    `log p − log q = −c1² |g|²/2 − c1 g·z`.
 * Particles start from x_T ~ N(0, I) with weights p̃_T(y | x_T), and every
 * system resamples once more at the end when its weights differ, so the
 * output is equally weighted. Exact as the particle count grows (for an
 * exact reverse kernel).
 *
 * Particles: `samples / particles` independent systems, all particles
 * output; see `_smc.ts` for the keyed layout.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { predictAs, vjpAs } from "../../models/denoiser.ts";
import { isLinearOperator, operatorVjp } from "../../models/operators/operator.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import type { ResamplingScheme } from "./resampling.ts";
import { optionsRecord } from "./_method_options.ts";
import { ddimSteps, gatherRows, runSmcBatches, smcLayout, toHost } from "./_smc.ts";

/** Options of {@linkcode tds}. */
export interface TdsOptions {
  /**
   * Particles per system (default: samples up to 1000, else the largest divisor of samples in
   * [100, 1000]); samples must be a multiple.
   */
  particles?: number;
  /** DDIM η in (0, 1] (default 1). */
  eta?: number;
  /** Resampling scheme (default `"systematic"`). */
  resampling?: ResamplingScheme;
  /** Resample when ESS < essThreshold·N (default 0.5, as the paper). */
  essThreshold?: number;
  /**
   * The twisting variance: `"data"` (default) is σ_y² I; `"data+rt2"` adds
   * `r_t² A Aᵀ` with `r_t² = 1 − ᾱ_t` (needs a linear operator with an SVD).
   */
  twistVariance?: "data" | "data+rt2";
}

const OPTION_KEYS = ["particles", "eta", "resampling", "essThreshold", "twistVariance"] as const;

const INFO: GuidanceInfo = Object.freeze(
  {
    family: "guidance",
    name: "tds",
    aliases: ["twisted-diffusion", "twisted_diffusion_sampler"],
    summary:
      "TDS: SMC with twisting p(y | x̂₀(x_t)) and a gradient-guided proposal (Wu et al. 2023)",
    stochastic: true,
    backends: ["cpu", "webgpu"],
    needsVjp: true,
    needsSvd: false,
    needsPseudoInverse: false,
    operators: "any",
    noise: ["gaussian"],
    asymptoticallyExact: true,
    paper:
      "Wu, Trippe, Naesseth, Blei, Cunningham, Practical and Asymptotically Exact Conditional Sampling in Diffusion Models, arXiv 2306.17775 (NeurIPS 2023)",
  } as const,
);

async function run(request: GuidanceRequest<TdsOptions>): Promise<GuidanceResult> {
  const what = "Cannot run tds";
  const { grid, y } = checkGuidanceRequest(INFO, request);
  const options = optionsRecord(what, request.options, OPTION_KEYS);
  const layout = smcLayout(what, request, options, {
    resampling: "systematic",
    essThreshold: 0.5,
  });
  const noise = request.problem.noise;
  const sigma = noise.kind === "gaussian" ? noise.sigma : 0;
  if (!(sigma > 0)) {
    throw new SdenoRangeError(
      `${what}: it needs Gaussian noise with σ_y > 0 (the twisting density N(y; A x̂₀, σ_y² I) is singular at σ_y = 0), got σ_y = ${sigma}`,
    );
  }
  const variance = options.twistVariance ?? "data";
  if (variance !== "data" && variance !== "data+rt2") {
    throw new SdenoTypeError(
      `${what}: options.twistVariance must be "data" or "data+rt2", got ${quote(variance)}`,
    );
  }
  const op = request.problem.operator;
  const svd = isLinearOperator(op) ? op.svd : undefined;
  if (variance === "data+rt2" && svd === undefined) {
    throw new SdenoTypeError(
      `${what}: options.twistVariance "data+rt2" needs a linear operator with an SVD, and ${
        quote(op.name)
      } has none`,
    );
  }
  const { model, backend } = request;
  const d = model.dim, dy = op.outDim;
  const steps = grid.length - 1;
  const { ab, ddim } = ddimSteps(model.schedule, grid, layout.eta);
  // Σ_t⁻¹ in U coordinates: 1/(σ² + r_t² s_j²) (s_j = 0 past the rank)
  const sv = svd?.singularValues ?? new Float64Array(0);
  const nfe = 2 * grid.filter((t) => t > 0).length;

  return await runSmcBatches(what, request, layout, { d, grid, nfe }, async (batch) => {
    const { ctx, rows, weights } = batch;
    const xDev = ctx.alloc(rows * d), x0Dev = ctx.alloc(rows * d);
    const vDev = ctx.alloc(rows * d), gDev = ctx.alloc(rows * d);
    const ayDev = ctx.alloc(rows * dy), ryDev = ctx.alloc(rows * dy);

    /** log p̃_t(y | x) (up to a constant of t) and, for t > 0, x̂₀ and ∇_x log p̃_t. */
    const twist = async (x: Float64Array, k: number) => {
      const t = grid[k]!;
      await backend.write(xDev, x);
      const x0 = t > 0 ? x0Dev : xDev;
      if (t > 0) {
        await predictAs(model, xDev, {
          t,
          kind: "x0",
          out: x0Dev,
          conditioning: request.conditioning,
        });
      }
      await op.apply(x0, ayDev);
      const ay = await toHost(backend, ayDev);
      const res = new Float64Array(rows * dy);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < dy; i++) res[r * dy + i] = y[i]! - ay[r * dy + i]!;
      }
      const lp = new Float64Array(rows);
      const r2 = variance === "data+rt2" ? 1 - ab[k]! : 0;
      if (r2 > 0) {
        // Σ⁻¹ res = U diag(1/(σ² + r² s²)) Uᵀ res
        await backend.write(ryDev, res);
        await svd!.applyUt(ryDev, ayDev);
        const ru = await toHost(backend, ayDev);
        for (let r = 0; r < rows; r++) {
          let q = 0;
          for (let j = 0; j < dy; j++) {
            const s = j < sv.length ? sv[j]! : 0, lam = sigma * sigma + r2 * s * s;
            q += ru[r * dy + j]! * ru[r * dy + j]! / lam;
            ru[r * dy + j] = ru[r * dy + j]! / lam;
          }
          lp[r] = -0.5 * q;
        }
        await backend.write(ayDev, ru);
        await svd!.applyU(ayDev, ryDev);
      } else {
        for (let r = 0; r < rows; r++) {
          let q = 0;
          for (let i = 0; i < dy; i++) q += res[r * dy + i]! * res[r * dy + i]!;
          lp[r] = -0.5 * q / (sigma * sigma);
        }
        for (let i = 0; i < res.length; i++) res[i] = res[i]! / (sigma * sigma);
        await backend.write(ryDev, res);
      }
      if (t === 0) return { lp, x0h: x, g: undefined };
      // ∇_x log p̃ = J_{x̂₀}ᵀ J_Aᵀ Σ⁻¹ (y − A x̂₀)
      if (isLinearOperator(op)) await op.applyTranspose(ryDev, vDev);
      else await operatorVjp(op, x0Dev, ryDev, vDev);
      await vjpAs(model, xDev, {
        t,
        kind: "x0",
        v: vDev,
        out: gDev,
        conditioning: request.conditioning,
      });
      const g = await toHost(backend, gDev), x0h = await toHost(backend, x0Dev);
      await ctx.checkFinite(g, { step: k, time: t, quantity: "the twisted gradient" });
      return { lp, x0h, g };
    };

    let x = batch.initNormals();
    let cur = await twist(x, 0);
    weights.add(cur.lp, { what, step: 0, time: grid[0]! });
    for (let k = 0; k < steps; k++) {
      const t = grid[k]!, s = grid[k + 1]!;
      const ancestors = weights.decide(k);
      let lp: Float64Array = cur.lp, x0h: Float64Array = cur.x0h, g = cur.g;
      if (ancestors !== undefined) {
        x = gatherRows(x, d, ancestors);
        x0h = gatherRows(x0h, d, ancestors);
        g = gatherRows(g!, d, ancestors);
        lp = gatherRows(lp, 1, ancestors);
      }
      const { a, b, c1 } = ddim[k]!;
      const z = batch.stepNormals(k);
      const next = new Float64Array(rows * d);
      const logRatio = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        let gg = 0, gz = 0;
        for (let j = 0; j < d; j++) {
          const i = r * d + j, gi = g![i]!;
          next[i] = a * x0h[i]! + b * x[i]! + c1 * c1 * gi + c1 * z[i]!;
          gg += gi * gi;
          gz += gi * z[i]!;
        }
        logRatio[r] = -0.5 * c1 * c1 * gg - c1 * gz;
      }
      x = next;
      cur = await twist(x, k + 1);
      const inc = new Float64Array(rows);
      for (let r = 0; r < rows; r++) inc[r] = cur.lp[r]! - lp[r]! + logRatio[r]!;
      weights.add(inc, { what, step: k, time: t });
      if (request.onStep) {
        await request.onStep({ step: k, t, tNext: s, x, row: batch.firstRow });
      }
    }
    return await batch.finish(x);
  });
}

/**
 * The twisted diffusion sampler (Wu et al., arXiv 2306.17775): SMC whose
 * twisting function is the likelihood at the denoiser, `N(y; A(x̂₀(x_t)),
 * Σ_t)`, with a proposal moved by its gradient (needs the model's VJP, and
 * the operator's for a nonlinear A). Gaussian noise with σ_y > 0. Options:
 * {@linkcode TdsOptions}. `nfe` counts a model call and a VJP per grid time
 * above 0. The result carries each system's ESS trace (one entry per grid
 * point and the final decision) and resampling steps.
 *
 * @example A 1-D Gaussian posterior
 * ```ts
 * import { tds } from "./tds.ts";
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
 * const { samples, nfe } = await tds.run({
 *   model, problem, grid: quadraticGrid(50), samples: 2000, key: makeKey(1),
 *   backend: new CpuBackend(), options: { particles: 100 },
 * });
 * const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
 * assert.ok(Math.abs(mean - 0.8) < 0.1);
 * assert.equal(nfe, 2 * (quadraticGrid(50).length - 1));
 * ```
 */
export const tds: GuidanceMethod<TdsOptions> = Object.freeze({ info: INFO, run });
