/**
 * RED-diff: Mardani, Song, Kautz & Vahdat, "A Variational Perspective on
 * Solving Inverse Problems with Diffusion Models", ICLR 2024 (arXiv
 * 2305.04391), as in the authors' NVlabs/RED-diff `algos/reddiff.py` and
 * ../shared/refs/inverse §1.3. Not a sampler but an optimiser: the
 * variational posterior is a Dirac at μ (σ_x0 = 0, the default), and μ is
 * fitted by Adam to
 *
 *   loss = w_t · mean(sg(ε̂(x_t, t) − ε) ⊙ μ) + v · mean((y − A(μ))²)/2,
 *   x_t = √ᾱ_t μ + √(1 − ᾱ_t) ε,  ε ~ N(0, I) fresh at each t,
 *
 * the paper's eq. (9) (score-matching regulariser, with the stop-gradient of
 * its eq. (10)) plus the data term, one Adam step per time from the noisy
 * end to the clean end. "mean" is over the numel of x (d) and of y (d_y), as
 * the reference code's `torch.mean`; the regulariser's gradient is therefore
 * `sg(ε̂ − ε)/d` and the data term's `−A'(μ)ᵀ(y − A(μ))/d_y`. The weight is
 * `w_t = λ·f(snr_inv)` with `snr_inv = √(1 − ᾱ_t)/√ᾱ_t` and f one of the
 * reference's `denoise_term_weight` choices (linear by default).
 *
 * μ starts at A⁺y (`H.H_pinv(y)`) when the operator gives a pseudo-inverse
 * or SVD. With an SVD, singular values below `initCutoff·s₁` (default 0.03)
 * are dropped, as the reference code's deblurring `H_funcs` (DDRM's
 * `svd_replacement.py`) zero singular values below 3e-2: the exact A⁺y of an
 * ill-conditioned blur amplifies the noise by 1/s_min (‖A⁺y‖ = 75 on the
 * refs' 8×8 blur instance, from which Adam at lr 0.1 cannot return in 100
 * steps). A linear operator without one starts at c·Aᵀy with the c that
 * best fits the data along Aᵀy (`c = ‖Aᵀy‖²/‖AAᵀy‖²`); a nonlinear operator
 * starts at 0 unless `init` gives a start. Every sample starts at the same μ
 * and differs only through its ε draws; the output is μ (RED-diff is
 * mode-seeking, its samples collapse: see §2.2 item 5 of the refs).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { predictAs } from "../../models/denoiser.ts";
import { isLinearOperator } from "../../models/operators/operator.ts";
import { Adam } from "../training/adam.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import { alphaBar } from "./vp.ts";
import { applyPseudoInverse, hasPseudoInverse } from "./_pseudo_inverse.ts";
import {
  choiceOption,
  numberOption,
  optionsRecord,
  reportStep,
  runRowBatches,
  tileRows,
} from "./_method_options.ts";

/** The weightings f(snr_inv) of the regulariser (the reference's `denoise_term_weight`). */
export type RedDiffWeighting = "linear" | "sqrt" | "square" | "log" | "clip" | "const" | "pow23";

/** The weightings, in the reference's order. */
export const RED_DIFF_WEIGHTINGS: readonly RedDiffWeighting[] = Object.freeze([
  "linear",
  "sqrt",
  "square",
  "log",
  "clip",
  "const",
  "pow23",
]);

/** Options of {@linkcode redDiff}. */
export interface RedDiffOptions {
  /** λ, the regulariser's weight (`grad_term_weight`, default 0.25). */
  lambda?: number;
  /** Adam's learning rate (default 0.1, the reference config; its README uses 0.5). */
  lr?: number;
  /** f in `w_t = λ f(snr_inv)` (default `"linear"`). */
  weighting?: RedDiffWeighting;
  /** v, the data term's weight (`obs_weight`, default 1). */
  obsWeight?: number;
  /** Adam's β₁ (default 0.9). */
  beta1?: number;
  /** Adam's β₂ (default 0.99, the reference's). */
  beta2?: number;
  /** A starting μ (length d) instead of A⁺y. */
  init?: ArrayLike<number>;
  /** Relative cutoff of the singular values in the A⁺y start, in [0, 1) (default 0.03). */
  initCutoff?: number;
}

/**
 * f(snr_inv) for a weighting.
 *
 * @param weighting the weighting
 * @param snrInv √(1 − ᾱ)/√ᾱ
 * @returns f(snr_inv)
 *
 * @example
 * ```ts
 * import { redDiffWeight } from "./red_diff.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redDiffWeight("linear", 4), 4);
 * assert.equal(redDiffWeight("sqrt", 4), 2);
 * assert.equal(redDiffWeight("clip", 4), 1);
 * ```
 */
export function redDiffWeight(weighting: RedDiffWeighting, snrInv: number): number {
  switch (weighting) {
    case "linear":
      return snrInv;
    case "sqrt":
      return Math.sqrt(snrInv);
    case "square":
      return snrInv * snrInv;
    case "log":
      return Math.log1p(snrInv);
    case "clip":
      return Math.min(snrInv, 1);
    case "const":
      return 1;
    case "pow23":
      return Math.cbrt(snrInv * snrInv);
  }
}

const INFO: GuidanceInfo = Object.freeze({
  family: "guidance",
  name: "red-diff",
  aliases: Object.freeze(["reddiff", "red_diff"]),
  summary:
    "RED-diff (Mardani et al. 2023): Adam on the mean of a Dirac variational posterior, score-matching regulariser plus data fit",
  stochastic: true,
  backends: Object.freeze(["cpu", "webgpu"] as const),
  needsVjp: false,
  needsSvd: false,
  needsPseudoInverse: false,
  operators: "any",
  noise: Object.freeze(["gaussian"] as const),
  asymptoticallyExact: false,
  paper:
    "Mardani, Song, Kautz, Vahdat, A Variational Perspective on Solving Inverse Problems with Diffusion Models, arXiv 2305.04391 (ICLR 2024)",
}) as GuidanceInfo;

const KNOWN = [
  "lambda",
  "lr",
  "weighting",
  "obsWeight",
  "beta1",
  "beta2",
  "init",
  "initCutoff",
] as const;

function checkOptions(what: string, options: unknown, d: number) {
  const o = optionsRecord(what, options, KNOWN);
  const init = o.init;
  let start: Float64Array | undefined;
  if (init !== undefined) {
    const a = init as ArrayLike<number>;
    if (a === null || typeof a !== "object" || typeof a.length !== "number") {
      throw new SdenoTypeError(
        `${what}: option init must be an array of numbers, got ${quote(init)}`,
      );
    }
    if (a.length !== d) {
      throw new SdenoRangeError(`${what}: option init must have length ${d}, got ${a.length}`);
    }
    start = Float64Array.from(a);
    const bad = start.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new SdenoRangeError(`${what}: option init[${bad}] is ${start[bad]}`);
  }
  return {
    lambda: numberOption(what, o, "lambda", 0.25, { min: 0 }),
    lr: numberOption(what, o, "lr", 0.1, { min: 0, minExclusive: true }),
    weighting: choiceOption(what, o, "weighting", RED_DIFF_WEIGHTINGS, "linear"),
    obsWeight: numberOption(what, o, "obsWeight", 1, { min: 0 }),
    beta1: numberOption(what, o, "beta1", 0.9, { min: 0, max: 1, maxExclusive: true }),
    beta2: numberOption(what, o, "beta2", 0.99, { min: 0, max: 1, maxExclusive: true }),
    initCutoff: numberOption(what, o, "initCutoff", 0.03, { min: 0, max: 1, maxExclusive: true }),
    start,
  };
}

/**
 * RED-diff ({@linkcode RedDiffOptions}): one Adam step on μ per grid time
 * t > 0, from the noisy end to the clean end; returns μ for every sample.
 * The draws ε of sample r at step k are Philox normals at counter element
 * `(pathOffset + r)·d + j`, step k, purpose `guidanceAux`. NFE = the number
 * of grid times t > 0.
 *
 * @example The data term pulls μ onto the measurement (Gaussian prior, A = [1 0])
 * ```ts
 * import { redDiff } from "./red_diff.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0], [0, 1]] }, schedule);
 * const problem = { operator: denseOperator([[1, 0]]), y: [0.8], noise: gaussianNoise(0.05) };
 * const { samples } = await redDiff.run({
 *   model, problem, grid: quadraticGrid(50), samples: 4, key: makeKey(1), backend: new CpuBackend(),
 * });
 * for (let r = 0; r < 4; r++) assert.ok(Math.abs(samples[2 * r]! - 0.8) < 0.2);
 * ```
 */
export const redDiff: GuidanceMethod<RedDiffOptions> = Object.freeze({
  info: INFO,
  async run(request: GuidanceRequest<RedDiffOptions>): Promise<GuidanceResult> {
    const what = `Cannot run ${INFO.name}`;
    const { grid, y } = checkGuidanceRequest(INFO, request);
    const { model, problem, backend: b } = request;
    const d = model.dim, dy = problem.operator.outDim;
    const o = checkOptions(what, request.options, d);
    const op = problem.operator;
    if (!op.linear && typeof op.vjp !== "function") {
      throw new SdenoTypeError(
        `${what}: the data term's gradient needs the operator's vjp, and ${
          quote(op.name)
        } has none`,
      );
    }
    const times = Array.from(grid).filter((t) => t > 0);
    const pathOffset = request.pathOffset ?? 0;
    const mu0 = await startingPoint(request, y, o.start, o.initCutoff);
    const samples = await runRowBatches(what, request, d, async (run, row, n) => {
      const mu = run.alloc(n * d), eps = run.alloc(n * d), xt = run.alloc(n * d);
      const epsHat = run.alloc(n * d), grad = run.alloc(n * d);
      const resid = run.alloc(n * dy), yRows = run.alloc(n * dy), back = run.alloc(n * d);
      await b.write(mu, tileRows(mu0, n));
      await b.write(yRows, tileRows(y, n));
      const adam = new Adam(b, n * d, { learningRate: o.lr, beta1: o.beta1, beta2: o.beta2 });
      try {
        for (let k = 0; k < times.length; k++) {
          const t = times[k]!, ab = alphaBar(model.schedule, t);
          const draw = {
            step: k,
            purpose: PHILOX_PURPOSES.guidanceAux,
            offset: (pathOffset + row) * d,
          };
          await b.fillNormal(eps, request.key, draw);
          await b.lincomb(xt, [[Math.sqrt(ab), mu], [Math.sqrt(1 - ab), eps]]);
          await predictAs(model, xt, {
            t,
            kind: "eps",
            out: epsHat,
            conditioning: request.conditioning,
          });
          // ∇ = w_t (ε̂ − ε)/d − v A'(μ)ᵀ(y − A(μ))/d_y
          await op.apply(mu, resid);
          await b.lincomb(resid, [[1, yRows], [-1, resid]]);
          if (isLinearOperator(op)) await op.applyTranspose(resid, back);
          else await op.vjp!(mu, resid, back);
          const w = o.lambda * redDiffWeight(o.weighting, Math.sqrt((1 - ab) / ab));
          await b.lincomb(grad, [[w / d, epsHat], [-w / d, eps], [-o.obsWeight / dy, back]]);
          await adam.step(mu, grad);
          await run.checkFinite(mu, { step: k, time: t, quantity: "μ" });
          await reportStep(request, b, mu, { step: k, t, tNext: times[k + 1] ?? 0, row });
        }
      } finally {
        adam.release();
      }
      return mu;
    });
    return { samples, nfe: times.length };
  },
});

// μ₀: the user's start, A⁺y, c·Aᵀy (linear without A⁺), or 0 (nonlinear).
async function startingPoint(
  request: GuidanceRequest<RedDiffOptions>,
  y: Float64Array,
  start: Float64Array | undefined,
  cutoff: number,
): Promise<Float64Array> {
  const op = request.problem.operator, d = op.inDim;
  if (start !== undefined) return start;
  if (!isLinearOperator(op)) return new Float64Array(d);
  const b = request.backend;
  const yd = b.upload(y), x = b.zeros(d), ax = b.zeros(y.length);
  try {
    if (hasPseudoInverse(op)) {
      await applyPseudoInverse(op, yd, x, cutoff);
      return Float64Array.from(await b.download(x));
    }
    await op.applyTranspose(yd, x);
    await op.apply(x, ax);
    const atY = Float64Array.from(await b.download(x));
    const aaty = Float64Array.from(await b.download(ax));
    let num = 0, den = 0;
    for (const v of atY) num += v * v;
    for (const v of aaty) den += v * v;
    const c = den > 0 ? num / den : 0;
    return atY.map((v) => c * v);
  } finally {
    b.release(yd);
    b.release(x);
    b.release(ax);
  }
}
