// Grid validation shared by the diffusion samplers (through SampleRun) and timeGrid: one set of
// messages for every grid check.
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** Default end time: 1/totalSteps when the schedule has one (DPM-Solver's 1/total_N), else tMin. */
export function defaultTEnd(schedule: NoiseSchedule): number {
  const n = (schedule as { totalSteps?: unknown }).totalSteps;
  return typeof n === "number" && n > 0 ? 1 / n : schedule.tMin;
}

/**
 * Checks a grid and returns it as an array: numbers (TypeError otherwise), finite and strictly
 * decreasing (RangeError), at least 2 of them (exactly 2 for an interval). On a "time" grid every
 * time lies in `[tMin, tMax]` (relative slack 1e-10 for round-tripped end points), except a final
 * 0 when `allowZeroEnd`; a "sigma" grid's times are checked by the sampler run (σ/α > 0).
 */
export function checkGrid(
  what: string,
  schedule: NoiseSchedule,
  grid: ArrayLike<number>,
  rules: { convention: "time" | "sigma"; interval: boolean; allowZeroEnd: boolean },
): number[] {
  const list = grid !== null && typeof grid === "object" && typeof grid.length === "number"
    ? Array.from(grid)
    : undefined;
  if (!list || (rules.interval ? list.length !== 2 : list.length < 2)) {
    throw new SdenoTypeError(
      `${what}: grid must be ${rules.interval ? "[start, end]" : "at least 2 times"}, got ${
        quote(list ?? grid)
      }`,
    );
  }
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const t = list[i];
    if (typeof t !== "number") {
      throw new SdenoTypeError(`${what}: grid[${i}] must be a number, got ${quote(t)}`);
    }
    if (!Number.isFinite(t)) {
      throw new SdenoRangeError(`${what}: grid[${i}] must be finite, got ${quote(t)}`);
    }
    if (i > 0 && !(t < list[i - 1]!)) {
      throw new SdenoRangeError(
        `${what}: grid must be strictly decreasing, got ${quote(t)} after ${
          quote(list[i - 1])
        } at index ${i}`,
      );
    }
    if (rules.convention !== "time" || (rules.allowZeroEnd && i === n - 1 && t === 0)) continue;
    if (t < schedule.tMin * (1 - 1e-10) || !(t <= schedule.tMax * (1 + 1e-10))) {
      throw new SdenoRangeError(
        `${what}: grid[${i}] = ${t} is outside the ${schedule.name} schedule's valid range ` +
          `[${schedule.tMin}, ${schedule.tMax}]` + (t < schedule.tMin ? " (below tMin)" : ""),
      );
    }
  }
  return list as number[];
}
