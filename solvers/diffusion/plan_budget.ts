/**
 * From a registered sampler and a budget of model calls to its grid and
 * options: what scripts and benchmarks need to compare samplers at equal NFE
 * without keeping their own tables. The sampler's declared NFE rule decides:
 * a sampler on a σ grid gets the longest Karras grid ending at σ = 0 whose
 * declared NFE fits the budget, one on a time grid the longest Karras grid
 * ending at σ_min; `nfe-option` samplers (DPM-Solver's "fast" pattern) take
 * the budget as their `nfe` option and adaptive ones spend what they need.
 *
 * @module
 */

import { quote, SdenoRangeError } from "../../kernels/errors.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import type { DiffusionMethod } from "./diffusion_method.ts";
import { karrasSigmas } from "./k_sigmas.ts";
import { diffusionMethods } from "./registry.ts";

/** A registered sampler with options, as a user names it: `name[:key=value…]`. */
export interface SamplerSpec {
  /** The text it was parsed from. */
  label: string;
  /** The registered method. */
  method: DiffusionMethod;
  /** Its options (numbers, booleans or words). */
  options: Record<string, unknown>;
}

/**
 * Parses `name` or `name:key=value:…` against the registry: the name may be
 * any registered name or alias, the keys must be options the method declares.
 *
 * @param entry the text, e.g. `"unipc:variant=bh2:order=3"`
 * @returns the method and its options
 * @throws {SdenoRangeError} for an unknown name (listing the known ones) or key
 *
 * @example
 * ```ts
 * import { parseSamplerSpec } from "./plan_budget.ts";
 * import assert from "node:assert/strict";
 * const s = parseSamplerSpec("dpm_solver:order=3");
 * assert.equal(s.method.info.name, "dpm_solver");
 * assert.deepEqual(s.options, { order: 3 });
 * assert.throws(() => parseSamplerSpec("nope"), /known: /);
 * ```
 */
export function parseSamplerSpec(entry: string): SamplerSpec {
  const [name, ...pairs] = String(entry).split(":");
  const method = diffusionMethods.get(name!);
  const options: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq), text = pair.slice(eq + 1);
    if (eq < 1 || !method.info.options.includes(key)) {
      throw new SdenoRangeError(
        `Cannot parse the sampler ${quote(entry)}: ${
          quote(pair)
        } is not key=value with a key of ${method.info.name} (${
          method.info.options.join(", ") || "none"
        })`,
      );
    }
    const num = Number(text);
    options[key] = text === "true"
      ? true
      : text === "false"
      ? false
      : text !== "" && Number.isFinite(num)
      ? num
      : text;
  }
  return { label: entry, method, options };
}

/**
 * The schedule's times of a σ̃ = σ/α grid (a final σ = 0 stays 0; on the EDM
 * schedule t = σ).
 *
 * @param schedule the model's schedule
 * @param sigmas decreasing σ/α values
 * @returns the times
 *
 * @example
 * ```ts
 * import { timesOfSigmas } from "./plan_budget.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(timesOfSigmas(edmSchedule(), [80, 1, 0]), [80, 1, 0]);
 * ```
 */
export function timesOfSigmas(schedule: NoiseSchedule, sigmas: readonly number[]): number[] {
  if (schedule.name === "edm") return [...sigmas];
  return sigmas.map((s) => s === 0 ? 0 : schedule.tOfLogSnr(-Math.log(s)));
}

/** Options of {@linkcode planBudget}. */
export interface PlanBudgetOptions {
  /** The model's schedule. */
  schedule: NoiseSchedule;
  /** Most model calls to spend. */
  budget: number;
  /** Largest σ/α (default 80). */
  sigmaMax?: number;
  /** Smallest positive σ/α (default 0.002). */
  sigmaMin?: number;
}

/**
 * The grid (in the schedule's time) and options with which a sampler spends
 * at most `budget` model calls, from its declared NFE rule.
 *
 * @param spec the sampler and its options
 * @param options schedule, budget and the σ range
 * @returns the grid and the options to call the sampler with
 * @throws {SdenoRangeError} for a budget that is not a positive integer
 *
 * @example Heun spends two calls per step but one on the last
 * ```ts
 * import { parseSamplerSpec, planBudget } from "./plan_budget.ts";
 * import { edmSchedule } from "../../processes/edm_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = planBudget(parseSamplerSpec("heun"), { schedule: edmSchedule(), budget: 9 });
 * assert.equal(p.grid.length, 6); // 5 steps: 2·5 − 1 = 9 calls
 * assert.equal(p.grid[5], 0);
 * ```
 */
export function planBudget(
  spec: SamplerSpec,
  options: PlanBudgetOptions,
): { grid: number[]; options: Record<string, unknown> } {
  const { method } = spec;
  const { schedule, budget } = options;
  if (!Number.isInteger(budget) || budget < 1) {
    throw new SdenoRangeError(
      `Cannot plan a sampler run: budget must be a positive integer, got ${quote(budget)}`,
    );
  }
  const sigmaMax = options.sigmaMax ?? 80, sigmaMin = options.sigmaMin ?? 0.002;
  const interval = timesOfSigmas(schedule, [sigmaMax, sigmaMin]);
  if (method.info.budget === "nfe-option") {
    return { grid: interval, options: { ...spec.options, nfe: budget } };
  }
  if (method.info.budget === "adaptive") return { grid: interval, options: { ...spec.options } };
  const sigma = method.info.grid === "sigma";
  // n Karras σ's: n + 1 points with the final 0 on a σ grid, n points on a time grid
  const shape = (n: number) => ({ points: sigma ? n + 1 : n, endsAtZero: sigma });
  let n = sigma ? 1 : 2;
  while (n < budget + 2 && method.info.nfe(shape(n + 1), spec.options)! <= budget) n++;
  const sigmas = karrasSigmas(n, { sigmaMin, sigmaMax, appendZero: sigma });
  return { grid: timesOfSigmas(schedule, sigmas), options: { ...spec.options } };
}
