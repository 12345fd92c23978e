/**
 * The multistep DPM-Solver++ with a chosen order at every step: the solver
 * that solver-schedule search ({@linkcode searchSchedule}) tunes, in the
 * spirit of the unified sampling framework (USF: Liu et al., "A Unified
 * Sampling Framework for Solver Searching of Diffusion Probabilistic Models",
 * ICLR 2024, arXiv 2312.07243, §3–4), which searches the time steps and the
 * order of each step of an exponential-integrator multistep solver.
 *
 * Step i (s → t, h = λ_t − λ_s) of order p ≤ min(3, i) uses the p newest data
 * predictions M₀, M₋₁, M₋₂ and the DPM-Solver++ multistep formulas (Lu et al.
 * 2022, arXiv 2211.01095, Alg. 2 and its third-order extension; the
 * reference's `multistep_dpm_solver_second_update` / `_third_update`):
 *
 * - p = 1: x_t = (σ_t/σ_s) x − α_t φ₁ M₀, φ₁ = expm1(−h)
 * - p = 2: … − ½ α_t φ₁ (M₀ − M₋₁)/r₀, r₀ = h₀/h
 * - p = 3: x_t = (σ_t/σ_s) x − α_t φ₁ M₀ + α_t φ₂ D₁ − α_t φ₃ D₂ with
 *   φ₂ = φ₁/h + 1, φ₃ = φ₂/h − ½ and D₁, D₂ from the three newest values.
 *
 * With orders (1, 2, 3, …, 3) and the reference's lowering on the last steps
 * this is DPM-Solver++(3M) exactly.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode multistepWithOrders}. */
export interface MultistepWithOrdersOptions extends SamplerOptions {
  /**
   * The order of each step (length grid.length − 1, step i at most
   * min(3, i)). Default: DPM-Solver++(3M)'s — min(3, i), lowered to
   * min(3, N + 1 − i) on the last steps when N < 10.
   */
  orders?: readonly number[];
}

/**
 * The orders of DPM-Solver++(pM) on N steps as the reference runs it
 * (`lower_order_final` below 10 steps).
 *
 * @param steps number of steps N
 * @param order the solver's order p (1–3)
 * @returns the order of each step
 *
 * @example
 * ```ts
 * import { multistepOrders } from "./schedule_search_multistep.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(multistepOrders(5, 3), [1, 2, 3, 2, 1]);
 * assert.deepEqual(multistepOrders(10, 3), [1, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
 * ```
 */
export function multistepOrders(steps: number, order = 3): number[] {
  return Array.from({ length: steps }, (_, k) => {
    const i = k + 1;
    const p = Math.min(order, i);
    return steps < 10 ? Math.min(p, steps + 1 - i) : p;
  });
}

/**
 * Checks a per-step order list for a run of `steps` steps.
 *
 * @param what the failing action, for messages
 * @param orders the orders
 * @param steps the number of steps
 * @throws {SdenoTypeError} for a list of the wrong length
 * @throws {SdenoRangeError} for an order outside 1 … min(3, step index)
 *
 * @example
 * ```ts
 * import { checkOrders } from "./schedule_search_multistep.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => checkOrders("Cannot sample", [1, 3], 2), /step 2 has order "3"/);
 * ```
 */
export function checkOrders(what: string, orders: readonly number[], steps: number): void {
  if (!Array.isArray(orders) || orders.length !== steps) {
    throw new SdenoTypeError(
      `${what}: orders must list one order per step (${steps}), got ${quote(orders)}`,
    );
  }
  orders.forEach((p, k) => {
    if (!Number.isInteger(p) || p < 1 || p > Math.min(3, k + 1)) {
      throw new SdenoRangeError(
        `${what}: step ${k + 1} has order ${quote(p)}; step i takes an order from 1 to min(3, i)`,
      );
    }
  });
}

/**
 * Samples with multistep DPM-Solver++ and a given order per step along
 * `grid` (decreasing times; NFE = grid.length − 1).
 *
 * @param denoiser the model
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options the order of each step
 * @returns the final batch, NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid or orders
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Third order on the Gaussian flow
 * ```ts
 * import { multistepWithOrders } from "./schedule_search_multistep.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const out = await multistepWithOrders(gm, b.upload([1]), grid);
 * const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * 0.25 + s.sigma(t) ** 2);
 * assert.ok(Math.abs((await b.download(out.x))[0]! - sd(grid[20]!) / sd(grid[0]!)) < 1e-2);
 * ```
 */
export async function multistepWithOrders(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: MultistepWithOrdersOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("multistep DPM-Solver++", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: ["orders"],
  });
  const steps = run.times.length - 1;
  const orders = options.orders ?? multistepOrders(steps, 3);
  checkOrders(run.what, orders, steps);
  const pts = run.points;
  return run.use(async () => {
    const cur = await run.start(x);
    const hist: DeviceArray[] = [];
    const hp: GridPoint[] = [];
    let spare: DeviceArray | undefined;
    for (let i = 1; i <= steps; i++) {
      const s = pts[i - 1]!, t = pts[i]!;
      const m = spare ?? run.alloc();
      spare = undefined;
      await run.model(cur, s, m, "x0");
      hist.push(m), hp.push(s);
      if (hist.length > 3) spare = hist.shift(), hp.shift();
      const p = orders[i - 1]!;
      const k = hist.length;
      const h = t.lam - s.lam;
      const phi1 = Math.expm1(-h);
      const cx = t.sigma / s.sigma;
      const m0 = hist[k - 1]!;
      if (p === 1) {
        await run.lc(cur, [[cx, cur], [-t.alpha * phi1, m0]]);
      } else if (p === 2) {
        const r0 = (s.lam - hp[k - 2]!.lam) / h;
        const c = -0.5 * t.alpha * phi1 / r0;
        await run.lc(cur, [[cx, cur], [-t.alpha * phi1 + c, m0], [-c, hist[k - 2]!]]);
      } else {
        const h0 = s.lam - hp[k - 2]!.lam, h1 = hp[k - 2]!.lam - hp[k - 3]!.lam;
        const r0 = h0 / h, r1 = h1 / h;
        const phi2 = phi1 / h + 1, phi3 = phi2 / h - 0.5;
        // D1_0 = (M0 − M1)/r0, D1_1 = (M1 − M2)/r1,
        // D1 = D1_0 + r0/(r0 + r1) (D1_0 − D1_1), D2 = (D1_0 − D1_1)/(r0 + r1)
        const a = 1 / r0, b = 1 / r1, w = r0 / (r0 + r1), v = 1 / (r0 + r1);
        // coefficients of M0, M1, M2 in D1 and D2
        const d1 = [a + w * a, -a - w * (a + b), w * b];
        const d2 = [v * a, -v * (a + b), v * b];
        const c = d1.map((_, j) => t.alpha * phi2 * d1[j]! - t.alpha * phi3 * d2[j]!);
        await run.lc(cur, [
          [cx, cur],
          [-t.alpha * phi1 + c[0]!, m0],
          [c[1]!, hist[k - 2]!],
          [c[2]!, hist[k - 3]!],
        ]);
      }
      await run.endStep(i - 1, cur, m0, { t: s.t, tNext: t.t });
    }
    return run.finish(cur, pts[steps]!.t);
  });
}

/**
 * The method object of {@linkcode multistepWithOrders}: NFE = steps.
 *
 * @example
 * ```ts
 * import { multistepWithOrdersMethod } from "./schedule_search_multistep.ts";
 * import assert from "node:assert/strict";
 * assert.equal(multistepWithOrdersMethod.info.nfe({ points: 6, endsAtZero: false }, {}), 5);
 * ```
 */
export const multistepWithOrdersMethod: DiffusionMethod<MultistepWithOrdersOptions> =
  diffusionMethod({
    family: "diffusion",
    name: "dpmpp_multistep_orders",
    aliases: ["usf_multistep"],
    summary:
      "multistep DPM-Solver++ with a chosen order per step (the solver of schedule search, USF: Liu et al., ICLR 2024)",
    stochastic: false,
    backends: ["cpu", "webgpu"],
    order: 3,
    grid: "time",
    budget: "grid",
    noise: "iid",
    rowsIndependent: true,
    options: ["orders"],
    nfe: (g) => g.points - 1,
  }, multistepWithOrders);
