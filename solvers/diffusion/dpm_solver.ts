/**
 * DPM-Solver (Lu et al., NeurIPS 2022) and DPM-Solver++ (Lu et al. 2022,
 * arXiv:2211.01095): exponential integrators of the diffusion
 * probability-flow ODE in the half log-SNR λ. With `h = λ_t − λ_s`:
 *
 * - noise form (`algorithm: "dpmsolver"`, integrates ε̂; DPM-Solver eq. 3.7):
 *   `x_t = e^{log α_t − log α_s} x_s − σ_t ∫ e^{λ} ε̂ dλ`, first order
 *   `x_t = (α_t/α_s) x_s − σ_t expm1(h) ε̂_s` (= DDIM);
 * - data form (`algorithm: "dpmsolver++"`, integrates x̂₀; DPM-Solver++ eq. 9):
 *   first order `x_t = (σ_t/σ_s) x_s − α_t expm1(−h) x̂₀_s`.
 *
 * Higher orders: singlestep DPM-Solver-2/3 (DPM-Solver Alg. 1–2,
 * DPM-Solver++(2S)/(3S)) with intermediate points at `λ_s + r h`, and
 * multistep 2/3 (DPM-Solver++ Alg. 2, (2M)/(3M)).
 *
 * One implementation, two conventions. {@linkcode dpmSolver} follows the
 * reference implementation LuChengTHU/dpm-solver (`dpm_solver_pytorch.py`):
 * a schedule-time grid, lower-order warm-up, `lower_order_final` only when
 * there are fewer than 10 steps, no model call after the last step,
 * `denoise_to_zero`, a noise-prediction query; it reproduces the reference
 * to ~1e-10 in float64. {@linkcode sampleDpmpp2m} is k-diffusion's
 * `sample_dpmpp_2m`, the same multistep DPM-Solver++(2M) on k-diffusion's
 * σ grid ending at 0 (first step and the step to σ = 0 of order 1, no other
 * lowering, the data prediction queried directly), reproducing k-diffusion.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import { SdenoTypeError } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import { timeGrid, type TimeGridKind } from "./time_grids.ts";
import { DpmForm, singlestepStages, singlestepTerms } from "./_dpm_singlestep.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode dpmSolver}. */
export interface DpmSolverOptions extends SamplerOptions {
  /** `dpmsolver++` (data prediction, default, as the reference) or `dpmsolver` (noise prediction). */
  algorithm?: "dpmsolver" | "dpmsolver++";
  /** `multistep` (default, as the reference's `sample`) or `singlestep`. */
  method?: "multistep" | "singlestep";
  /**
   * Order 1–3 (default 2 for multistep, as the reference; 3 for singlestep).
   * Singlestep uses it for every step unless `orders` is given.
   */
  order?: number;
  /** Singlestep only: the order of each step (length `grid.length − 1`), e.g. from {@linkcode dpmSolverPlan}. */
  orders?: readonly number[];
  /**
   * Singlestep only: how the intermediate points of a step s → t are placed.
   * `logSNR` (default) gives r₁ = ½ (order 2) and r₁ = ⅓, r₂ = ⅔ (order 3); any
   * other grid kind places them like the reference does, on the grid of that
   * kind from s to t with `order` intervals (for `uniform`, time midpoints
   * and thirds, so r₁ ≠ ½).
   */
  intermediate?: TimeGridKind;
  /**
   * Multistep only: lower the order on the last steps (default true). The
   * reference does this only when there are fewer than `lowerOrderFinalBelow`
   * steps.
   */
  lowerOrderFinal?: boolean;
  /**
   * Multistep only: `lowerOrderFinal` applies when the number of steps is
   * below this (default 10, the reference's code; its docstring says 15 and
   * diffusers uses 15; `Infinity` makes it unconditional).
   */
  lowerOrderFinalBelow?: number;
  /**
   * After the last step, replace x by the data prediction at the last time
   * (one more model call; default false).
   */
  denoiseToZero?: boolean;
}

const DPM_OPTIONS = [
  "algorithm",
  "method",
  "order",
  "orders",
  "intermediate",
  "lowerOrderFinal",
  "lowerOrderFinalBelow",
  "denoiseToZero",
] as const;

/** The conventions {@linkcode dpmSolverSteps} is run with. */
interface DpmSettings {
  data: boolean;
  method: "multistep" | "singlestep";
  order: number;
  orders: readonly number[] | undefined;
  intermediate: TimeGridKind;
  lowerOrderFinal: boolean;
  denoiseToZero: boolean;
  /**
   * Multistep: form the differences of model values in their own pass before combining
   * (DPM-Solver's convention here, accurate in float32 when r is small), or fold them into the
   * update's one pass (k-diffusion's arithmetic, one pass fewer per step).
   */
  differencesFirst: boolean;
}

/**
 * Samples with DPM-Solver / DPM-Solver++ along `grid` (decreasing times of
 * the denoiser's schedule inside its range, `grid[0]` the time of `x`).
 *
 * Multistep (NFE = grid.length − 1): model at grid[0]; steps 1 … order−1 use
 * order = step index (warm-up); then order p = min(order, N + 1 − i) when
 * `lowerOrderFinal` and N < `lowerOrderFinalBelow`, else `order`; the model
 * is not called after the last step.
 *
 * Singlestep: each step s → t of order o calls the model o times (at s and
 * at the intermediate points `t(λ_s + rᵢ h)`).
 *
 * @param denoiser the model (its schedule gives α, σ, λ)
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options algorithm, method, order, conventions and the common options
 * @returns the final batch, NFE and the model-call times
 * @throws {SdenoRangeError} for a grid that is not decreasing or leaves the
 * schedule's range, or an unsupported order
 * @throws {SdenoTypeError} when x does not fit the denoiser's dimension
 * @throws {NumericalError} when NaN/Inf appears (naming step, time, index)
 *
 * @example DPM-Solver++(2M) follows the exact flow of a Gaussian
 * ```ts
 * import { dpmSolver } from "./dpm_solver.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const out = await dpmSolver(gm, b.upload([1]), grid, { order: 2 });
 * // the flow of N(0, v) scales x by sqrt(α²v + σ²) / sqrt(α_T²v + σ_T²)
 * const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * 0.25 + s.sigma(t) ** 2);
 * assert.ok(Math.abs((await b.download(out.x))[0]! - sd(grid[20]!) / sd(grid[0]!)) < 2e-2);
 * assert.equal(out.nfe, 20);
 * ```
 */
export async function dpmSolver(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DpmSolverOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("DPM-Solver", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: DPM_OPTIONS,
  });
  const algorithm = run.choice(
    "algorithm",
    options.algorithm ?? "dpmsolver++",
    [
      "dpmsolver",
      "dpmsolver++",
    ] as const,
  );
  const method = run.choice(
    "method",
    options.method ?? "multistep",
    [
      "multistep",
      "singlestep",
    ] as const,
  );
  const order = run.choice("order", options.order ?? (method === "multistep" ? 2 : 3), [1, 2, 3]);
  const steps = run.times.length - 1;
  let lowerOrderFinal = false;
  if (method === "multistep") {
    if (options.orders !== undefined || options.intermediate !== undefined) {
      throw new SdenoTypeError(`${run.what}: orders and intermediate apply to method "singlestep"`);
    }
    run.needSteps(order, `multistep order ${order}`);
    const below = run.nonNegative("lowerOrderFinalBelow", options.lowerOrderFinalBelow ?? 10, true);
    lowerOrderFinal = (options.lowerOrderFinal ?? true) && steps < below;
  } else {
    if (options.lowerOrderFinal !== undefined || options.lowerOrderFinalBelow !== undefined) {
      throw new SdenoTypeError(`${run.what}: lowerOrderFinal applies to method "multistep"`);
    }
    if (options.orders !== undefined) {
      if (!Array.isArray(options.orders) || options.orders.length !== steps) {
        throw new SdenoTypeError(
          `${run.what}: orders must have one entry per step (${steps}), got ${
            Array.isArray(options.orders) ? options.orders.length : typeof options.orders
          }`,
        );
      }
      options.orders.forEach((o, k) => run.choice(`orders[${k}]`, o, [1, 2, 3]));
    }
  }
  return dpmSolverSteps(run, x, {
    data: algorithm === "dpmsolver++",
    method,
    order,
    orders: options.orders,
    intermediate: options.intermediate ?? "logSNR",
    lowerOrderFinal,
    denoiseToZero: options.denoiseToZero === true,
    differencesFirst: true,
  });
}

/**
 * k-diffusion's `sample_dpmpp_2m`: DPM-Solver++(2M) ({@linkcode dpmSolver},
 * multistep, data form, order 2) with k-diffusion's conventions — a σ grid
 * (usually ending at σ = 0, {@linkcode karrasSigmas}), the data prediction
 * queried directly, order 1 on the first step and on a step to σ = 0
 * (there `x = D`), and no other lowering. With `h = tᵢ₊₁ − tᵢ`, `t = −ln σ`,
 * `r = hᵢ₋₁/h`: `x ← (σᵢ₊₁/σᵢ)x − expm1(−h)((1 + 1/(2r))Dᵢ − Dᵢ₋₁/(2r))`.
 * NFE = steps.
 *
 * @param denoiser the model; the grid is in its schedule's time (σ for EDM)
 * @param x the initial batch at `grid[0]`; not modified
 * @param grid decreasing times, usually ending in σ = 0
 * @param options the common options
 * @returns the samples, NFE, the model-call times and the noise calls
 * @throws {SdenoTypeError} for a wrong shape or a grid with < 2 points
 * @throws {SdenoRangeError} for a non-decreasing grid
 * @throws {NumericalError} when x becomes NaN or Inf
 *
 * @example NFE = steps on a Gaussian target
 * ```ts
 * import { sampleDpmpp2m } from "./dpm_solver.ts";
 * import { karrasSigmas } from "./k_sigmas.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const model = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, edmSchedule());
 * const r = await sampleDpmpp2m(model, b.upload([80]), karrasSigmas(10));
 * assert.equal(r.nfe, 10);
 * // σ from 80 in ~10 steps: within 0.25 of the exact 0.9999 (the first step dominates)
 * assert.ok(Math.abs((await b.download(r.x))[0]! - 80 / Math.sqrt(6401)) < 0.25);
 * ```
 */
export async function sampleDpmpp2m(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: SamplerOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("dpmpp_2m", denoiser, x, grid, options, {
    grid: "sigma",
    query: "x0",
    options: [],
  });
  return dpmSolverSteps(run, x, {
    data: true,
    method: "multistep",
    order: 2,
    orders: undefined,
    intermediate: "logSNR",
    lowerOrderFinal: false,
    denoiseToZero: false,
    differencesFirst: false,
  });
}

/** The one DPM-Solver loop, on the run's points (either convention). */
function dpmSolverSteps(run: SampleRun, x: DeviceArray, st: DpmSettings): Promise<SampleResult> {
  const form = new DpmForm(st.data);
  const pts = run.points;
  const steps = pts.length - 1;
  return run.use(async () => {
    const cur = await run.start(x);
    if (st.method === "multistep") {
      // history: hist[k] holds the model at hp[k]; the newest is last
      const hist: DeviceArray[] = [run.alloc()];
      const hp: GridPoint[] = [pts[0]!];
      // the difference buffers, when the update forms differences in their own pass
      // (order 3 always forms them: only its 2M update has a one-pass form)
      const diff01 = st.differencesFirst || st.order === 3 ? run.alloc() : cur;
      const diff12 = st.order === 3 ? run.alloc() : diff01;
      await run.model(cur, pts[0]!, hist[0]!, form.target);
      for (let i = 1; i <= steps; i++) {
        const t = pts[i]!;
        let p = i < st.order
          ? i
          : st.lowerOrderFinal
          ? Math.min(st.order, steps + 1 - i)
          : st.order;
        if (t.sigma === 0) p = 1; // a step to σ = 0 is first order: x = x̂₀
        const terms = await multistepTerms(run, form, cur, hist, hp, t, p, [diff01, diff12], st);
        await run.lc(cur, terms);
        await run.endStep(i - 1, cur, st.data ? hist[hist.length - 1] : undefined);
        if (i < steps) {
          // shift the history (keep at most `order` values)
          let slot: DeviceArray;
          if (hist.length < st.order) slot = run.alloc();
          else {
            slot = hist.shift()!;
            hp.shift();
          }
          hist.push(slot);
          hp.push(t);
          await run.model(cur, t, slot, form.target);
        }
      }
    } else {
      const orders = st.orders ?? Array.from({ length: steps }, () => st.order);
      const m0 = run.alloc(), m1 = run.alloc(), m2 = run.alloc(), u = run.alloc();
      for (let i = 0; i < steps; i++) {
        const o = orders[i]!;
        const s = pts[i]!, t = pts[i + 1]!;
        let r1 = o === 2 ? 0.5 : 1 / 3, r2 = 2 / 3;
        if (st.intermediate !== "logSNR" && o > 1) {
          const inner = timeGrid(run.schedule, o, {
            kind: st.intermediate,
            tStart: s.t,
            tEnd: t.t,
          });
          const li = inner.map((v) => run.pointAt(v).lam);
          const hi = li[o]! - li[0]!;
          r1 = (li[1]! - li[0]!) / hi;
          if (o === 3) r2 = (li[2]! - li[0]!) / hi;
        }
        const h = t.lam - s.lam;
        await run.model(cur, s, m0, form.target);
        const stages = o === 3 ? { r1, r2, m0, d1: m1, d2: m2 } : { r1, m0, d1: m1 };
        if (o > 1) await singlestepStages(run, form, cur, s, h, stages, u);
        await run.lc(cur, singlestepTerms(form, cur, s, t, o, stages));
        await run.endStep(i, cur, st.data ? m0 : undefined);
      }
    }
    if (st.denoiseToZero) {
      const end = pts[steps]!;
      const d = run.alloc();
      await run.model(cur, end, d, "x0");
      await run.lc(cur, [[1, d]]);
      await run.endStep(steps, cur, d, { t: end.t, tNext: 0 });
    }
    return run.finish(cur, pts[steps]!.t);
  });
}

/**
 * The terms of a multistep update of order p to t (DPM-Solver++ Alg. 2 and
 * the reference's `multistep_dpm_solver_{second,third}_update`).
 */
async function multistepTerms(
  run: SampleRun,
  form: DpmForm,
  xs: DeviceArray,
  hist: readonly DeviceArray[],
  hp: readonly GridPoint[],
  t: GridPoint,
  p: number,
  [d01, d12]: [DeviceArray, DeviceArray],
  st: DpmSettings,
): Promise<Term[]> {
  const k = hist.length;
  const p0 = hp[k - 1]!, M0 = hist[k - 1]!;
  const h = t.lam - p0.lam;
  const A = form.ac(t), f1 = form.phi1(h);
  const cx = form.xc(p0, t);
  if (p === 1) return [[cx, xs], [-A * f1, M0]];
  const p1 = hp[k - 2]!, M1 = hist[k - 2]!;
  const r0 = (p0.lam - p1.lam) / h;
  if (p === 2 && !st.differencesFirst) {
    // k-diffusion's D' = (1 + 1/(2r))M0 − M1/(2r) in the update's one pass
    const c = 0.5 * A * f1 / r0;
    return [[cx, xs], [-A * f1 - c, M0], [c, M1]];
  }
  // differences first (d01 = M0 − M1, d12 = M1 − M2): accurate in float32
  await run.lc(d01, [[1, M0], [-1, M1]]);
  if (p === 2) {
    // − ½ A φ1 (M0 − M1)/r0
    return [[cx, xs], [-A * f1, M0], [-0.5 * A * f1 / r0, d01]];
  }
  const p2 = hp[k - 3]!, M2 = hist[k - 3]!;
  const r1 = (p1.lam - p2.lam) / h;
  await run.lc(d12, [[1, M1], [-1, M2]]);
  // D1_0 = d01/r0, D1_1 = d12/r1, D1 = D1_0 + r0/(r0+r1)(D1_0 − D1_1), D2 = (D1_0 − D1_1)/(r0+r1)
  const a0 = 1 / r0, a1 = 1 / r1, w = r0 / (r0 + r1), v = 1 / (r0 + r1);
  const D1 = [a0 + w * a0, -w * a1], D2 = [v * a0, -v * a1];
  const f2 = form.data ? f1 / h + 1 : f1 / h - 1;
  const f3 = f2 / h - 0.5;
  // data: x' − Aφ1 M0 + Aφ2 D1 − Aφ3 D2; noise: x' − Aφ1 M0 − Aφ2 D1 − Aφ3 D2
  const sg = form.data ? 1 : -1;
  const c = [0, 1].map((j) => sg * A * f2 * D1[j]! - A * f3 * D2[j]!);
  return [[cx, xs], [-A * f1, M0], [c[0]!, d01], [c[1]!, d12]];
}

/**
 * The method object of {@linkcode dpmSolver} (DPM-Solver's conventions on a
 * schedule-time grid). NFE: multistep, one per step; singlestep, the sum of
 * the step orders; +1 with `denoiseToZero`.
 *
 * @example
 * ```ts
 * import { dpmSolverMethod } from "./dpm_solver.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmSolverMethod.info.nfe({ points: 5, endsAtZero: false }, { method: "singlestep" }), 12);
 * ```
 */
export const dpmSolverMethod: DiffusionMethod<DpmSolverOptions> = diffusionMethod({
  family: "diffusion",
  name: "dpm_solver",
  aliases: ["dpmsolver", "dpmsolver++", "dpm_solver_multistep", "dpmsolver_multistep"],
  summary: "DPM-Solver / DPM-Solver++ 1-3, multistep or singlestep (Lu et al. 2022)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: DPM_OPTIONS,
  nfe(g, o) {
    const steps = g.points - 1, extra = o.denoiseToZero === true ? 1 : 0;
    if (o.method !== "singlestep") return steps + extra;
    const orders = (o.orders as readonly number[] | undefined) ??
      Array.from({ length: steps }, () => (o.order as number | undefined) ?? 3);
    return orders.reduce((a, b) => a + b, 0) + extra;
  },
}, dpmSolver);

/**
 * The method object of {@linkcode sampleDpmpp2m} (k-diffusion's conventions,
 * NFE = steps).
 *
 * @example
 * ```ts
 * import { dpmpp2mMethod } from "./dpm_solver.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmpp2mMethod.info.nfe({ points: 11, endsAtZero: true }, {}), 10);
 * ```
 */
export const dpmpp2mMethod: DiffusionMethod = diffusionMethod({
  family: "diffusion",
  name: "dpmpp_2m",
  aliases: ["sample_dpmpp_2m"],
  summary: "DPM-Solver++(2M) on a σ grid, k-diffusion's sample_dpmpp_2m",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "sigma",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: [],
  nfe: (g) => g.points - 1,
}, sampleDpmpp2m);
