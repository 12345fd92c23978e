/**
 * MR Sampler (MRS; Li et al., "MRS: A Fast Sampler for Mean Reverting
 * Diffusion based on ODE and SDE Solvers", arXiv:2502.07856, ICLR 2025):
 * semi-analytic solvers of the reverse mean-reverting diffusion
 * `dx = θ_t(μ − x)dt + σ_t dW` (IR-SDE, Luo et al. 2301.11699). In
 * `y = x − μ` the forward process is the noise schedule
 * `y_t = α_t y₀ + σ̄_t ε` (`processes/mean_reverting_schedule.ts`), so the
 * reverse ODE / SDE have an exact linear part and an integral of the model
 * weighted by an exponential in the half log-SNR λ = log(α/σ̄) (MRS §4,
 * eqs. 11–14 and 17–20). With `h = λ_t − λ_s > 0`, the model's first
 * derivative in λ taken from the previous step (`D' ≈ (D_s − D_{s'})/(r h)`,
 * `r = (λ_s − λ_{s'})/h`; order 2 uses it, order 1 drops it) and the exact
 * weights of the polynomial terms:
 *
 * ```
 * ODE, noise:  y_t = (α_t/α_s) y_s − σ_t (e^h − 1) ε_s − σ_t (e^h − 1 − h) ε'
 * ODE, data:   y_t = (σ_t/σ_s) y_s + α_t (1 − e^{−h}) D_s + α_t (h − 1 + e^{−h}) D'
 * SDE, noise:  y_t = (α_t/α_s) y_s − 2σ_t (e^h − 1) ε_s − 2σ_t (e^h − 1 − h) ε' + σ_t sqrt(e^{2h} − 1) z
 * SDE, data:   y_t = (σ_t/σ_s) e^{−h} y_s + α_t (1 − e^{−2h}) D_s + α_t (h − (1 − e^{−2h})/2) D'
 *                    + σ_t sqrt(1 − e^{−2h}) z
 * ```
 *
 * (ε̂ noise prediction, D = x̂₀ − μ data prediction, both of the model in
 * y). The state is kept in x: `x_t = μ + y_t`. With μ = 0 on a VP schedule
 * these are DPM-Solver-1/2 (multistep), DPM-Solver++(1)/(2M) and the
 * SDE-DPM-Solver(++) of Lu et al. (2211.01095, §5). The noise draw of step
 * i belongs to the interval `(e^{2λ_s}, e^{2λ_t})` (data) or
 * `(e^{−2λ_s}, e^{−2λ_t})` (noise) — the variance clocks of the two noise
 * integrals — so a Brownian-path source couples runs on nested grids.
 *
 * Measured on an exact 2-D mixture (tests/solvers/diffusion/mrs_test.ts):
 * the ODE forms converge to the exact probability-flow solution at orders
 * 1.01 / 2.08 (data) and 1.01 / 1.93 (noise); every SDE form has strong
 * order 1; the SDE data forms have weak orders 1 and ≥ 2 (2.03 on a
 * Gaussian prior). The noise forms blow up at few steps (the order-2 SDE
 * form's weak error at N = 8 is ~10³ times the data form's), as MRS
 * reports (§5): prefer the data prediction.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { store } from "../../models/_host.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { SampleRun } from "./sample_run.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode mrsOde} and {@linkcode mrsSde}. */
export interface MrsOptions extends SamplerOptions {
  /**
   * The mean μ the process reverts to: d numbers (shared by every point) or
   * n·d (one row per point, e.g. the degraded image of each sample). Default 0.
   */
  mu?: ArrayLike<number>;
  /** 1 or 2 (default 2; the first step of order 2 is order 1). */
  order?: number;
  /** `"data"` (default; x̂₀, MRS's recommended form) or `"noise"` (ε̂). */
  prediction?: "data" | "noise";
}

const OPTIONS = ["mu", "order", "prediction"] as const;

/**
 * Samples the MR probability-flow ODE with MRS (NFE = grid.length − 1).
 *
 * @param denoiser the model of `y = x − μ` (its schedule is the MR schedule)
 * @param x the batch at grid[0], in x (not modified)
 * @param grid decreasing times inside the schedule's range
 * @param options `mu`, `order` (2), `prediction` ("data") and the common options
 * @returns the samples in x, NFE and call times
 * @throws {SdenoTypeError} for a μ of the wrong length or non-numbers
 * @throws {SdenoRangeError} for a bad order, prediction or grid
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example With λ_s = 1 and μ = 0, MRS-ODE-1 (data) is DDIM: exact for a point mass
 * ```ts
 * import { mrsOde } from "./mrs.ts";
 * import { meanRevertingMixture } from "./mrs_mixture.ts";
 * import { meanRevertingSchedule } from "../../processes/mean_reverting_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = meanRevertingSchedule({ stationaryStd: 0.5 });
 * const mu = [1];
 * // x₀ = 3 (almost a point mass): y₀ = 2, and the flow ends at x = 3
 * const m = meanRevertingMixture({ weights: [1], means: [[3]], variances: [[1e-12]] }, s, mu);
 * const b = await createBackend("cpu");
 * const r = await mrsOde(m, b.upload([1.2]), [1, 0.5, 0.01], { mu, order: 1 });
 * const y = (t: number) => 2 * s.alpha(t) + s.sigma(t) * (0.2 - 2 * s.alpha(1)) / s.sigma(1);
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 1 - y(0.01)) < 1e-9);
 * ```
 */
export function mrsOde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: MrsOptions = {},
): Promise<SampleResult> {
  return mrs("Cannot sample with MRS (ODE)", false, denoiser, x, grid, options);
}

/**
 * Samples the reverse MR SDE with MRS (NFE = grid.length − 1; one noise draw
 * per step, from Philox keyed by `key` unless `noise` is given).
 *
 * @param denoiser the model of `y = x − μ`
 * @param x the batch at grid[0], in x (not modified)
 * @param grid decreasing times inside the schedule's range
 * @param options `mu`, `order` (2), `prediction` ("data") and the common options
 * @returns the samples in x, NFE, call times and noise intervals
 * @throws {SdenoTypeError} for a μ of the wrong length
 * @throws {SdenoRangeError} for a bad order, prediction or grid
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Reproducible from its key, and different keys differ
 * ```ts
 * import { mrsSde } from "./mrs.ts";
 * import { meanRevertingMixture } from "./mrs_mixture.ts";
 * import { meanRevertingSchedule } from "../../processes/mean_reverting_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = meanRevertingSchedule();
 * const m = meanRevertingMixture({ weights: [1], means: [[0]], variances: [[1]] }, s, [2]);
 * const b = await createBackend("cpu");
 * const run = async (seed: number) =>
 *   b.download((await mrsSde(m, b.upload([2, 2.5]), [1, 0.5, 0.1], { mu: [2], key: { seed, stream: 0 } })).x);
 * assert.deepEqual(await run(1), await run(1));
 * assert.notDeepEqual(await run(1), await run(2));
 * ```
 */
export function mrsSde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: MrsOptions = {},
): Promise<SampleResult> {
  return mrs("Cannot sample with MRS (SDE)", true, denoiser, x, grid, options);
}

async function mrs(
  what: string,
  sde: boolean,
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: MrsOptions,
): Promise<SampleResult> {
  const run = new SampleRun(what, denoiser, x, grid, options, {
    grid: "time",
    query: options?.prediction === "noise" ? "eps" : "x0",
    options: OPTIONS,
  });
  const order = run.choice("order", options.order ?? 2, [1, 2]);
  const data = run.choice("prediction", options.prediction ?? "data", ["data", "noise"]) ===
    "data";
  const muHost = checkMu(what, options.mu, run.dim, run.length);
  const pts = run.points, steps = pts.length - 1;
  return await run.use(async () => {
    const cur = await run.start(x);
    let mu: DeviceArray | undefined;
    let y = cur;
    if (muHost) {
      mu = run.alloc();
      await store(mu, muHost);
      y = run.alloc();
    }
    const m = [run.alloc(), run.alloc()]; // model outputs (y view) of this and the previous step
    for (let i = 0; i < steps; i++) {
      const s = pts[i]!, t = pts[i + 1]!;
      if (mu) await run.lc(y, [[1, cur], [-1, mu]]);
      const now = m[i % 2]!, prev = m[(i + 1) % 2]!;
      await run.model(y, s, now, data ? "x0" : "eps");
      const h = t.lam - s.lam;
      // linear coefficient a on y_s, the weights c0 (model) and c1 (its λ-derivative × h)
      let a: number, c0: number, c1: number;
      if (data) {
        const e = sde ? -Math.expm1(-2 * h) : -Math.expm1(-h);
        a = (t.sigma / s.sigma) * (sde ? Math.exp(-h) : 1);
        c0 = t.alpha * e;
        c1 = t.alpha * (sde ? h - e / 2 : h - e) / h;
      } else {
        const k = sde ? 2 : 1, e = Math.expm1(h);
        a = Math.exp(t.la - s.la);
        c0 = -k * t.sigma * e;
        c1 = -k * t.sigma * (e - h) / h;
      }
      const terms: Term[] = [[a, cur], [c0, now]];
      if (mu) terms.push([1 - a, mu]);
      if (order === 2 && i > 0) {
        const r = (s.lam - pts[i - 1]!.lam) / h;
        terms.push([c1 / r, now], [-c1 / r, prev]);
      }
      if (sde) {
        const scale = data
          ? t.sigma * Math.sqrt(-Math.expm1(-2 * h))
          : t.sigma * Math.sqrt(Math.expm1(2 * h));
        const clock = data
          ? { from: Math.exp(2 * s.lam), to: Math.exp(2 * t.lam) }
          : { from: Math.exp(-2 * s.lam), to: Math.exp(-2 * t.lam) };
        await run.lcNoise(cur, terms, scale, clock);
      } else {
        await run.lc(cur, terms);
      }
      await run.endStep(i, cur, undefined);
    }
    return run.finish(cur);
  });
}

/** μ as n·d host numbers (a d-vector repeated per row), or undefined for μ = 0. */
function checkMu(
  what: string,
  mu: ArrayLike<number> | undefined,
  d: number,
  length: number,
): Float64Array | undefined {
  if (mu === undefined) return undefined;
  if (mu === null || typeof mu !== "object" || typeof mu.length !== "number") {
    throw new SdenoTypeError(`${what}: mu must be an array of numbers, got ${quote(mu)}`);
  }
  if (mu.length !== d && mu.length !== length) {
    throw new SdenoTypeError(
      `${what}: mu must have d = ${d} or n·d = ${length} numbers, got ${mu.length}`,
    );
  }
  const out = new Float64Array(length);
  for (let e = 0; e < length; e++) {
    const v = mu[mu.length === d ? e % d : e];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new SdenoRangeError(`${what}: mu[${e % mu.length}] must be finite, got ${quote(v)}`);
    }
    out[e] = v;
  }
  return out;
}

const methodInfo = {
  family: "diffusion" as const,
  backends: ["cpu", "webgpu"] as const,
  grid: "time" as const,
  budget: "grid" as const,
  noise: "iid" as const,
  rowsIndependent: true,
  options: OPTIONS,
  nfe: (g: { points: number }) => g.points - 1,
};

/**
 * The method object of {@linkcode mrsOde} (order 2 by default, NFE = steps).
 *
 * @example
 * ```ts
 * import { mrsOdeMethod } from "./mrs.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mrsOdeMethod.info.nfe({ points: 11, endsAtZero: false }, {}), 10);
 * assert.equal(mrsOdeMethod.info.order, 2);
 * ```
 */
export const mrsOdeMethod: DiffusionMethod<MrsOptions> = diffusionMethod({
  ...methodInfo,
  backends: [...methodInfo.backends],
  name: "mrs_ode",
  aliases: ["mr_sampler_ode"],
  summary:
    "MR Sampler, mean-reverting probability-flow ODE, data/noise, order 1-2 (Li et al., ICLR 2025)",
  stochastic: false,
  order: 2,
}, mrsOde);

/**
 * The method object of {@linkcode mrsSde} (NFE = steps; declared order 2,
 * the weak order of the default second-order data form: 2.03 on a Gaussian
 * prior, ≥ 2 on a mixture; its strong order is 1, like every form's).
 *
 * @example
 * ```ts
 * import { mrsSdeMethod } from "./mrs.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mrsSdeMethod.info.stochastic, true);
 * ```
 */
export const mrsSdeMethod: DiffusionMethod<MrsOptions> = diffusionMethod({
  ...methodInfo,
  backends: [...methodInfo.backends],
  name: "mrs_sde",
  aliases: ["mr_sampler_sde"],
  summary: "MR Sampler, reverse mean-reverting SDE, data/noise, order 1-2 (Li et al., ICLR 2025)",
  stochastic: true,
  order: 2,
}, mrsSde);
