// Grid validation shared by the diffusion samplers and timeGrid.
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** Default end time: 1/totalSteps when the schedule has one (DPM-Solver's 1/total_N), else tMin. */
export function _defaultTEnd(schedule: NoiseSchedule): number {
  const n = (schedule as { totalSteps?: unknown }).totalSteps;
  return typeof n === "number" && n > 0 ? 1 / n : schedule.tMin;
}

/**
 * Checks that `grid` is a finite, strictly decreasing list of at least two times inside
 * `[tMin, tMax]` (relative slack 1e-10 for round-tripped end points).
 */
export function _checkGrid(
  schedule: NoiseSchedule,
  grid: ArrayLike<number>,
  what: string,
  options: { allowZeroEnd?: boolean },
): void {
  if (!grid || typeof grid.length !== "number" || grid.length < 2) {
    throw new SdenoTypeError(`${what}: the time grid needs at least 2 times, got ${quote(grid)}`);
  }
  const n = grid.length;
  for (let i = 0; i < n; i++) {
    const t = grid[i];
    if (typeof t !== "number" || !Number.isFinite(t)) {
      throw new SdenoTypeError(`${what}: grid[${i}] must be a finite number, got ${quote(t)}`);
    }
    if (i > 0 && !(t < grid[i - 1]!)) {
      throw new SdenoRangeError(
        `${what}: the time grid must be strictly decreasing, but grid[${i}] = ${t} follows ${
          grid[i - 1]
        }`,
      );
    }
    if (options.allowZeroEnd && i === n - 1 && t === 0) continue;
    if (t < schedule.tMin * (1 - 1e-10) || !(t <= schedule.tMax * (1 + 1e-10))) {
      throw new SdenoRangeError(
        `${what}: grid[${i}] = ${t} is outside the ${schedule.name} schedule's valid range [${schedule.tMin}, ${schedule.tMax}]` +
          (t < schedule.tMin ? " (t_end is below the range)" : ""),
      );
    }
  }
}
