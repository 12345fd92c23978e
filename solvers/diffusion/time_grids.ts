/**
 * Time grids for diffusion samplers: the decreasing lists of times a sampler
 * steps through, built on a {@linkcode NoiseSchedule} the way the reference
 * implementations build them (DPM-Solver's and UniPC's `get_time_steps`,
 * k-diffusion's `get_sigmas_*`), including their end-point effects.
 *
 * @module
 */

import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { _linspace } from "../../processes/_schedule_math.ts";
import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { checkGrid, defaultTEnd } from "./_grid.ts";

/**
 * How the grid is spaced:
 * - `uniform`: uniform in t (`time_uniform`, torch `linspace(t_T, t_0, N+1)`);
 * - `logSNR`: uniform in λ, `t(linspace(λ(t_T), λ(t_0), N+1))` — the end points
 *   are the round-tripped `t(λ(t_T))`, `t(λ(t_0))` (e.g. 0.9999999999999998),
 *   as in DPM-Solver (Lu et al. 2022, §3.3);
 * - `quadratic`: `linspace(√t_T, √t_0, N+1)²` (DDIM's quadratic spacing);
 * - `karras`: Karras et al. (NeurIPS 2022, eq. 5) with exponent ρ in the VE
 *   noise level `s = σ/α = e^{−λ}`: `(s_max^{1/ρ} + i/N (s_min^{1/ρ} − s_max^{1/ρ}))^ρ`;
 * - `exponential`: log-uniform in s (k-diffusion's `get_sigmas_exponential`).
 *
 * For `karras` and `exponential` the levels s are mapped to times with
 * `t = tOfLogSnr(−log s)`, except on the EDM schedule whose time is s itself
 * (so k-diffusion's σ lists come out exactly).
 */
export type TimeGridKind = "uniform" | "logSNR" | "quadratic" | "karras" | "exponential";

/** Options of {@linkcode timeGrid}. */
export interface TimeGridOptions {
  /** Spacing (default `uniform`, DPM-Solver's and UniPC's default `time_uniform`). */
  kind?: TimeGridKind;
  /** First time (default `schedule.tMax`, the references' `T`). */
  tStart?: number;
  /**
   * Last time. Default: `1/totalSteps` when the schedule has a nominal step
   * count (1e-3 for VP linear and DDPM-discrete, as in DPM-Solver and UniPC),
   * else `schedule.tMin`.
   */
  tEnd?: number;
  /** Karras exponent ρ (default 7). */
  rho?: number;
  /** Append a final 0 (k-diffusion's grids end with σ = 0; default false). */
  appendZero?: boolean;
}

/**
 * A decreasing time grid of `steps + 1` points (plus a 0 with `appendZero`),
 * or, when `steps` is a list, that list checked (explicit grid).
 *
 * @param schedule the noise schedule
 * @param steps number of intervals, or an explicit decreasing list of times
 * @param options spacing, end points, ρ
 * @returns the times, decreasing
 * @throws {SdenoRangeError} when the end points are outside the schedule's
 * range (e.g. `tEnd < 1/N` on a discrete schedule) or the list is not decreasing
 *
 * @example Uniform in log-SNR on VP linear
 * ```ts
 * import { timeGrid } from "./time_grids.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const g = timeGrid(s, 4, { kind: "logSNR" });
 * assert.equal(g.length, 5);
 * const h = s.logSnr(g[1]!) - s.logSnr(g[0]!);
 * assert.ok(Math.abs(s.logSnr(g[4]!) - s.logSnr(g[3]!) - h) < 1e-9);
 * assert.ok(Math.abs(g[4]! - 1e-3) < 1e-15);
 * ```
 */
export function timeGrid(
  schedule: NoiseSchedule,
  steps: number | ArrayLike<number>,
  options: TimeGridOptions = {},
): number[] {
  const what = "Cannot build the time grid";
  if (typeof steps !== "number") {
    return checkGrid(what, schedule, steps, {
      convention: "time",
      interval: false,
      allowZeroEnd: options.appendZero === true,
    });
  }
  const n = checkInteger(what, "steps", steps, 1);
  const kind = options.kind ?? "uniform";
  const tT = checkFinite(what, "tStart", options.tStart ?? schedule.tMax);
  const t0 = checkFinite(what, "tEnd", options.tEnd ?? defaultTEnd(schedule));
  if (!(tT > t0)) {
    throw new SdenoRangeError(`${what}: tStart must exceed tEnd, got ${quote([tT, t0])}`);
  }
  if (t0 < schedule.tMin * (1 - 1e-10)) {
    throw new SdenoRangeError(
      `${what}: tEnd ${
        quote(t0)
      } is below the ${schedule.name} schedule's valid range (tMin = ${schedule.tMin})`,
    );
  }
  if (!(tT <= schedule.tMax * (1 + 1e-10))) {
    throw new SdenoRangeError(
      `${what}: tStart ${
        quote(tT)
      } is above the ${schedule.name} schedule's valid range (tMax = ${schedule.tMax})`,
    );
  }
  let grid: number[];
  switch (kind) {
    case "uniform":
      grid = _linspace(tT, t0, n + 1);
      break;
    case "logSNR": {
      const lam = _linspace(schedule.logSnr(tT), schedule.logSnr(t0), n + 1);
      grid = lam.map((l) => schedule.tOfLogSnr(l));
      break;
    }
    case "quadratic":
      grid = _linspace(Math.sqrt(tT), Math.sqrt(t0), n + 1).map((r) => r * r);
      break;
    case "karras":
    case "exponential": {
      const sMax = Math.exp(-schedule.logSnr(tT)), sMin = Math.exp(-schedule.logSnr(t0));
      let levels: number[];
      if (kind === "karras") {
        const rho = checkFinite(what, "rho", options.rho ?? 7);
        if (!(rho > 0)) {
          throw new SdenoRangeError(`${what}: rho must be positive, got ${quote(rho)}`);
        }
        const a = sMax ** (1 / rho), b = sMin ** (1 / rho);
        levels = _linspace(0, 1, n + 1).map((r) => (a + r * (b - a)) ** rho);
      } else {
        levels = _linspace(Math.log(sMax), Math.log(sMin), n + 1).map(Math.exp);
      }
      grid = schedule.name === "edm" ? levels : levels.map((s) => schedule.tOfLogSnr(-Math.log(s)));
      if (schedule.name === "edm") {
        grid[0] = tT;
        grid[n] = t0;
      }
      break;
    }
    default:
      throw new SdenoRangeError(
        `${what}: kind must be uniform, logSNR, quadratic, karras or exponential, got ${
          quote(kind)
        }`,
      );
  }
  if (options.appendZero) grid.push(0);
  return grid;
}
