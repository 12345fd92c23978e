/**
 * SDE-DPM-Solver++(1) and SDE-DPM-Solver++(2M) (Lu et al. 2022,
 * "DPM-Solver++", arXiv:2211.01095, §5 and Appendix B): exponential
 * integrators of the reverse diffusion SDE in data-prediction form. With
 * `h = λ_t − λ_s` and a noise fraction η (η = 1 is the paper's SDE solver;
 * η = 0 gives DPM-Solver++(1)/(2M) exactly; in between, the η-interpolation
 * of k-diffusion's `sample_dpmpp_2m_sde`, cf. Gonzalez et al. 2023, "SEEDS"):
 *
 * ```
 * first order:  x_t = (σ_t/σ_s) e^{−ηh} x_s + α_t (1 − e^{−(1+η)h}) x̂₀_s + s_noise σ_t √(1 − e^{−2ηh}) z
 * (2M) adds     ½ α_t (1 − e^{−(1+η)h}) (x̂₀_s − x̂₀_{s'})/r            (solverType "midpoint")
 *          or   α_t ((1 − e^{−(1+η)h})/(−(1+η)h) + 1) (x̂₀_s − x̂₀_{s'})/r   ("heun")
 * ```
 *
 * with `r = (λ_s − λ_{s'})/h` for the previous grid point s'. At η = 1 the
 * first-order rule is the paper's SDE-DPM-Solver++1 and "midpoint" its
 * SDE-DPM-Solver++(2M). A step to σ = 0 is `x = x̂₀`.
 *
 * One implementation, two conventions: {@linkcode sdeDpmSolver} on a
 * schedule-time grid (DPM-Solver's warm-up and `lower_order_final` below 10
 * steps, a noise-prediction query, noise intervals in schedule time), and
 * {@linkcode sampleDpmpp2mSde}, k-diffusion's `sample_dpmpp_2m_sde` on a σ
 * grid ending at 0 (no lowering but the first step and the step to 0, the
 * data prediction queried directly, noise intervals in σ), which reproduces
 * k-diffusion's stored runs.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { SampleRun } from "./sample_run.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode sampleDpmpp2mSde}. */
export interface Dpmpp2mSdeOptions extends SamplerOptions {
  /** Noise fraction η ≥ 0 (default 1, the paper's SDE solver; 0 is DPM-Solver++). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
  /** The second-order correction: `"midpoint"` (default, the paper's and k-diffusion's) or `"heun"`. */
  solverType?: "midpoint" | "heun";
}

/** Options of {@linkcode sdeDpmSolver}. */
export interface SdeDpmSolverOptions extends Dpmpp2mSdeOptions {
  /** 1 (SDE-DPM-Solver++1) or 2 (SDE-DPM-Solver++(2M), default). */
  order?: number;
  /** Lower the order of the last step (default true), when there are fewer than `lowerOrderFinalBelow` steps. */
  lowerOrderFinal?: boolean;
  /** See `lowerOrderFinal` (default 10, as DPM-Solver's reference code). */
  lowerOrderFinalBelow?: number;
}

const K_OPTIONS = ["eta", "sNoise", "solverType"] as const;
const OPTIONS = [...K_OPTIONS, "order", "lowerOrderFinal", "lowerOrderFinalBelow"] as const;

interface Settings {
  order: number;
  eta: number;
  sNoise: number;
  heun: boolean;
  lowerOrderFinal: boolean;
}

/**
 * Samples with SDE-DPM-Solver++(1) or (2M) along `grid` (decreasing times of
 * the denoiser's schedule). NFE = grid.length − 1 (model at every grid point
 * but the last). Noise draw i belongs to step i (`from = grid[i]`,
 * `to = grid[i+1]`); the default source is Philox keyed by `key`. With
 * η = 0 no noise is drawn and the result equals `dpmSolver` (dpmsolver++,
 * multistep, same order).
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options order, η, s_noise, solver type, conventions and the common options
 * @returns the final batch, NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid, order, solver type or η
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example η = 0 is deterministic: the same key or another gives the same result
 * ```ts
 * import { sdeDpmSolver } from "./sde_dpm_solver.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[1]], variances: [[0.1]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const a = await sdeDpmSolver(gm, b.upload([0.3]), grid, { eta: 0, key: { seed: 1, stream: 0 } });
 * const c = await sdeDpmSolver(gm, b.upload([0.3]), grid, { eta: 0, key: { seed: 2, stream: 0 } });
 * assert.deepEqual(await b.download(a.x), await b.download(c.x));
 * assert.equal(a.nfe, 20);
 * ```
 */
export async function sdeDpmSolver(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SdeDpmSolverOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("SDE-DPM-Solver++", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: OPTIONS,
  });
  const order = run.choice("order", options.order ?? 2, [1, 2]);
  const steps = run.times.length - 1;
  const below = run.nonNegative("lowerOrderFinalBelow", options.lowerOrderFinalBelow ?? 10, true);
  const lowerOrderFinal = (options.lowerOrderFinal ?? true) && steps < below;
  return sdeDpmSolverSteps(run, x, { ...common(run, options), order, lowerOrderFinal });
}

/**
 * k-diffusion's `sample_dpmpp_2m_sde`: {@linkcode sdeDpmSolver} of order 2
 * on k-diffusion's σ grid (usually ending at σ = 0). With `h = tᵢ₊₁ − tᵢ`
 * (`t = −ln σ`), `ηh = η·h`: `x ← (σᵢ₊₁/σᵢ)e^{−ηh}x − expm1(−h−ηh)Dᵢ`, plus,
 * with a previous D and `r = h_prev/h`, `½(−expm1(−h−ηh))(Dᵢ − D_prev)/r`
 * (midpoint) or `(−expm1(−h−ηh)/(−h−ηh) + 1)(Dᵢ − D_prev)/r` (heun); then
 * `+ s_noise·σᵢ₊₁·sqrt(−expm1(−2ηh))·z(σᵢ, σᵢ₊₁)`; to σ = 0, `x = Dᵢ`.
 * NFE = steps. The queried intervals are disjoint, so i.i.d. draws are a
 * valid Brownian path.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options `eta` (1), `sNoise` (1), `solverType` ("midpoint") and the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid or a bad option
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example With η = 0 no noise is drawn
 * ```ts
 * import { sampleDpmpp2mSde } from "./sde_dpm_solver.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmpp2mSde(model, b.upload([80]), karrasSigmas(10), { eta: 0 });
 * assert.equal(r.nfe, 10);
 * assert.equal(r.noiseCalls.length, 0);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleDpmpp2mSde(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: Dpmpp2mSdeOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpmpp_2m_sde", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: K_OPTIONS,
  });
  return sdeDpmSolverSteps(run, x, { ...common(run, options), order: 2, lowerOrderFinal: false });
}

function common(run: SampleRun, options: Dpmpp2mSdeOptions) {
  const heun = run.choice(
    "solverType",
    options.solverType ?? "midpoint",
    [
      "midpoint",
      "heun",
    ] as const,
  ) === "heun";
  const eta = run.nonNegative("eta", options.eta ?? 1);
  const sNoise = run.nonNegative("sNoise", options.sNoise ?? 1);
  return { heun, eta, sNoise };
}

/** The one SDE-DPM-Solver++ loop, on the run's points (either convention). */
function sdeDpmSolverSteps(run: SampleRun, x: DeviceArray, st: Settings): Promise<SampleResult> {
  const pts = run.points, steps = pts.length - 1;
  // noise intervals are named in σ on a σ grid (k-diffusion's), in schedule time otherwise
  const label = (i: number) => run.convention === "sigma" ? pts[i]!.sigma : pts[i]!.t;
  return run.use(async () => {
    const cur = await run.start(x);
    let last = run.alloc(), prev = run.alloc();
    const diff = run.alloc();
    await run.denoise(cur, pts[0]!, last);
    for (let i = 1; i <= steps; i++) {
      const s = pts[i - 1]!, t = pts[i]!;
      if (t.sigma === 0) {
        await run.lc(cur, [[0, cur], [1, last]]);
      } else {
        const h = t.lam - s.lam;
        const hh = (1 + st.eta) * h;
        const c1 = -Math.expm1(-hh); // 1 − e^{−(1+η)h}
        const terms: Term[] = [[(t.sigma / s.sigma) * Math.exp(-st.eta * h), cur], [
          t.alpha * c1,
          last,
        ]];
        const p = i === 1 ? 1 : st.lowerOrderFinal && i === steps ? 1 : st.order;
        if (p === 2) {
          const r = (s.lam - pts[i - 2]!.lam) / h;
          await run.lc(diff, [[1, last], [-1, prev]]);
          const c2 = st.heun ? t.alpha * (c1 / -hh + 1) : 0.5 * t.alpha * c1;
          terms.push([c2 / r, diff]);
        }
        const scale = t.sigma * Math.sqrt(-Math.expm1(-2 * st.eta * h)) * st.sNoise;
        if (scale > 0) await run.lcNoise(cur, terms, scale, { from: label(i - 1), to: label(i) });
        else await run.lc(cur, terms);
      }
      await run.endStep(i - 1, cur, last);
      if (i < steps) {
        [prev, last] = [last, prev];
        await run.denoise(cur, t, last);
      }
    }
    return run.finish(cur);
  });
}

/**
 * The method object of {@linkcode sdeDpmSolver} (DPM-Solver's conventions on
 * a schedule-time grid; NFE = steps).
 *
 * @example
 * ```ts
 * import { sdeDpmSolverMethod } from "./sde_dpm_solver.ts";
 * import assert from "node:assert/strict";
 * assert.ok(sdeDpmSolverMethod.info.stochastic);
 * ```
 */
export const sdeDpmSolverMethod: DiffusionMethod<SdeDpmSolverOptions> = diffusionMethod({
  family: "diffusion",
  name: "sde_dpm_solver",
  aliases: ["sde-dpmsolver++", "sde_dpmsolver++", "sde_dpmsolver"],
  summary: "SDE-DPM-Solver++(1)/(2M) on a time grid (Lu et al. 2022, §5)",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: OPTIONS,
  nfe: (g) => g.points - 1,
}, sdeDpmSolver);

/**
 * The method object of {@linkcode sampleDpmpp2mSde} (k-diffusion's
 * conventions; NFE = steps).
 *
 * @example
 * ```ts
 * import { dpmpp2mSdeMethod } from "./sde_dpm_solver.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmpp2mSdeMethod.info.grid, "sigma");
 * ```
 */
export const dpmpp2mSdeMethod: DiffusionMethod<Dpmpp2mSdeOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpmpp_2m_sde",
  aliases: ["sample_dpmpp_2m_sde"],
  summary: "DPM-Solver++(2M) SDE on a σ grid, k-diffusion's sample_dpmpp_2m_sde",
  stochastic: true,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: K_OPTIONS,
  nfe: (g) => g.points - 1,
}, sampleDpmpp2mSde);

/**
 * ComfyUI's `dpmpp_2m_sde_heun`: {@linkcode sampleDpmpp2mSde} with
 * `solverType: "heun"` (the default of this entry; NFE = steps).
 *
 * @example
 * ```ts
 * import { dpmpp2mSdeHeunMethod } from "./sde_dpm_solver.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmpp2mSdeHeunMethod.info.name, "dpmpp_2m_sde_heun");
 * ```
 */
export const dpmpp2mSdeHeunMethod: DiffusionMethod<Dpmpp2mSdeOptions> = diffusionMethod(
  {
    ...dpmpp2mSdeMethod.info,
    name: "dpmpp_2m_sde_heun",
    aliases: ["sample_dpmpp_2m_sde_heun"],
    summary: "DPM-Solver++(2M) SDE with the Heun-type correction (ComfyUI's dpmpp_2m_sde_heun)",
  },
  (denoiser, x, grid, options = {}) =>
    sampleDpmpp2mSde(denoiser, x, grid, { solverType: "heun", ...options }),
);
