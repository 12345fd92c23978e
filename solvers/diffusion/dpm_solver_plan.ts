/**
 * The time grid and per-step orders of DPM-Solver's `sample(steps, …)`
 * (Lu et al., NeurIPS 2022, §3.4 "DPM-Solver-fast"; LuChengTHU/dpm-solver
 * `get_orders_and_timesteps_for_singlestep_solver`).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import type { DpmSolverOptions } from "./dpm_solver.ts";
import { timeGrid, type TimeGridKind } from "./time_grids.ts";

/** Options of {@linkcode dpmSolverPlan}. */
export interface DpmSolverPlanOptions {
  /** `multistep` (default) or `singlestep` ("DPM-Solver-fast" order pattern). */
  method?: "multistep" | "singlestep" | "singlestep_fixed";
  /** Order 1–3 (default 2 for multistep, 3 for singlestep). */
  order?: number;
  /** Grid spacing (default `uniform`, the reference's `time_uniform`). */
  kind?: TimeGridKind;
  /** Start time (default the schedule's tMax). */
  tStart?: number;
  /** End time (default 1/totalSteps, else tMin). */
  tEnd?: number;
}

/** The grid and per-step orders of a DPM-Solver run. */
export interface DpmSolverPlan {
  /** Decreasing times (outer grid). */
  grid: number[];
  /** Order of each step (length grid.length − 1). */
  orders: number[];
  /** Options to pass on to {@linkcode dpmSolver} (method, order, orders, intermediate). */
  options: Pick<DpmSolverOptions, "method" | "order" | "orders" | "intermediate">;
}

/**
 * The time grid and step orders DPM-Solver's `sample(steps, …)` uses for a
 * budget of `steps` model calls:
 *
 * - multistep: `steps` intervals of the grid kind;
 * - singlestep ("DPM-Solver-fast", Lu et al. 2022, §3.4): order 3 →
 *   `K = ⌊steps/3⌋ + 1` steps of orders `[3]*(K−2)+[2,1]`, `[3]*(K−1)+[1]` or
 *   `[3]*(K−1)+[2]` for steps mod 3 = 0, 1, 2; order 2 → `[2]*(steps/2)` or
 *   `[2]*⌊steps/2⌋+[1]`; order 1 → `[1]*steps`. The outer grid is a
 *   K-interval logSNR grid for `logSNR`, else the `steps`-interval grid of
 *   the kind subsampled at the cumulative orders;
 * - singlestep_fixed: `⌊steps/order⌋` steps of `order` on a grid of that many intervals.
 *
 * @param schedule the noise schedule
 * @param steps the number of model calls
 * @param options method, order, grid kind, end points
 * @returns grid, orders and the matching sampler options
 *
 * @example DPM-Solver-fast with 10 calls
 * ```ts
 * import { dpmSolverPlan } from "./dpm_solver_plan.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = dpmSolverPlan(vpLinearSchedule(), 10, { method: "singlestep", order: 3, kind: "logSNR" });
 * assert.deepEqual(p.orders, [3, 3, 3, 1]);
 * assert.equal(p.grid.length, 5);
 * ```
 */
export function dpmSolverPlan(
  schedule: NoiseSchedule,
  steps: number,
  options: DpmSolverPlanOptions = {},
): DpmSolverPlan {
  const what = "Cannot plan DPM-Solver";
  const n = checkInteger(what, "steps", steps, 1);
  const method = choice(
    what,
    "method",
    options.method ?? "multistep",
    [
      "multistep",
      "singlestep",
      "singlestep_fixed",
    ] as const,
  );
  const order = choice(what, "order", options.order ?? (method === "multistep" ? 2 : 3), [1, 2, 3]);
  const kind = options.kind ?? "uniform";
  const g = {
    kind,
    ...(options.tStart !== undefined ? { tStart: options.tStart } : {}),
    ...(options.tEnd !== undefined ? { tEnd: options.tEnd } : {}),
  };
  if (method === "multistep") {
    if (n < order) {
      throw new SdenoRangeError(
        `${what}: multistep order ${order} needs steps >= ${order}, got ${quote(n)}`,
      );
    }
    return {
      grid: timeGrid(schedule, n, g),
      orders: Array.from({ length: n }, (_, i) => Math.min(order, i + 1)),
      options: { method: "multistep", order },
    };
  }
  if (method === "singlestep_fixed") {
    const k = Math.floor(n / order);
    if (k < 1) throw new SdenoRangeError(`${what}: steps ${n} < order ${order}`);
    const orders = Array.from({ length: k }, () => order);
    return {
      grid: timeGrid(schedule, k, g),
      orders,
      options: { method: "singlestep", order, orders, intermediate: kind },
    };
  }
  let orders: number[];
  if (order === 3) {
    const k = Math.floor(n / 3) + 1;
    if (n % 3 === 0) orders = [...Array(k - 2).fill(3), 2, 1];
    else if (n % 3 === 1) orders = [...Array(k - 1).fill(3), 1];
    else orders = [...Array(k - 1).fill(3), 2];
  } else if (order === 2) {
    orders = n % 2 === 0 ? Array(n / 2).fill(2) : [...Array((n - 1) / 2).fill(2), 1];
  } else orders = Array(n).fill(1);
  let grid: number[];
  if (kind === "logSNR") grid = timeGrid(schedule, orders.length, g);
  else {
    const fine = timeGrid(schedule, n, g);
    grid = [fine[0]!];
    let c = 0;
    for (const o of orders) grid.push(fine[c += o]!);
  }
  return { grid, orders, options: { method: "singlestep", order, orders, intermediate: kind } };
}

function choice<T>(what: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new SdenoRangeError(
      `${what}: ${name} must be one of ${allowed.map(String).join(", ")}, got ${quote(value)}`,
    );
  }
  return value;
}
