/**
 * The diffusion family of the method protocol (`solvers/method_registry.ts`):
 * a sampler is an object `{ info, sample }` whose metadata says what a
 * script, a test or a benchmark needs to know without reading its code —
 * its names, order, whether it draws noise, its grid convention, the option
 * names it accepts, and its number of model evaluations as a function of the
 * grid. Every sampler file declares its method object with
 * {@linkcode diffusionMethod}; `registry.ts` lists them all.
 *
 * @module
 */

import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import type { DeviceArray } from "../../kernels/backend.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import { type Method, type MethodInfo, methodInfoProblems } from "../method_registry.ts";
import type { GridConvention } from "./sample_run.ts";
import { COMMON_OPTIONS } from "./sample_run.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";

/**
 * How a run's cost is set: by the grid (`"grid"`: one step per interval,
 * `nfe` a function of the grid), by `options.nfe` on a `[start, end]` grid
 * (`"nfe-option"`, dpm_fast), or by tolerances on a `[start, end]` grid
 * (`"adaptive"`: the NFE is known only afterwards).
 */
export type DiffusionBudget = "grid" | "nfe-option" | "adaptive";

/** The shape of a grid, as far as the NFE depends on it. */
export interface GridShape {
  /** Number of grid times. */
  points: number;
  /** Whether the last time has σ = 0 (σ grids only). */
  endsAtZero: boolean;
}

/** What every diffusion sampler declares. */
export interface DiffusionMethodInfo extends MethodInfo {
  /** Always `"diffusion"`. */
  readonly family: "diffusion";
  /** Order of accuracy with the default options (of the ODE solution; weak order for SDE samplers). */
  readonly order: number;
  /**
   * The grid convention: `"sigma"` (k-diffusion: σ grid, usually ending at
   * σ = 0, run on x/α) or `"time"` (DPM-Solver: schedule times inside the
   * schedule's range).
   */
  readonly grid: GridConvention;
  /** How the number of model evaluations is set. */
  readonly budget: DiffusionBudget;
  /**
   * What its noise draws must be: `"iid"` when they cover disjoint intervals
   * (fresh normals per draw are a valid Brownian path), `"path"` when its
   * queries overlap and must come from one Brownian path (`brownianNoise`).
   */
  readonly noise: "iid" | "path";
  /**
   * Whether each point's result depends on that point alone (and its noise).
   * False for samplers whose step sizes use norms over the batch (the
   * adaptive ones, the predictor–corrector's Langevin step): a shard of such
   * a run (`pathOffset`) does not reproduce its rows of the whole run.
   */
  readonly rowsIndependent: boolean;
  /** The option names it accepts beyond the common ones (`COMMON_OPTIONS`). */
  readonly options: readonly string[];
  /**
   * The number of model evaluations of a run on a grid of this shape with
   * these options (undefined for adaptive methods). The registry test checks
   * it against the observed NFE of every method.
   */
  nfe(grid: GridShape, options: Readonly<Record<string, unknown>>): number | undefined;
}

/** A diffusion sampler: its metadata and its sampling function. */
export interface DiffusionMethod<O extends SamplerOptions = SamplerOptions>
  extends Method<DiffusionMethodInfo> {
  /**
   * Samples from `x` at `grid[0]` along `grid`.
   *
   * @param denoiser the model
   * @param x the initial batch
   * @param grid the grid, in the convention of `info.grid`
   * @param options the common options and the method's own
   * @returns the samples and the run's log
   */
  sample(
    denoiser: Denoiser,
    x: DeviceArray,
    grid: ArrayLike<number>,
    options?: O,
  ): Promise<SampleResult>;
}

const BUDGETS: readonly DiffusionBudget[] = ["grid", "nfe-option", "adaptive"];

/**
 * The problems of a diffusion method's declaration (empty when it is well
 * declared): the shared metadata checks, then an order that is not a
 * positive integer, an unknown grid convention or budget, option names that
 * are not strings or repeat the common ones, an `nfe` rule that does not
 * give a positive integer on a small grid (or gives one for an adaptive
 * method), a missing `sample`.
 *
 * @param method the method
 * @returns one message per problem
 *
 * @example A declared order of 0 is a problem
 * ```ts
 * import { diffusionMethodProblems } from "./diffusion_method.ts";
 * import { eulerMethod } from "./sample_euler.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(diffusionMethodProblems(eulerMethod), []);
 * const bad = { ...eulerMethod, info: { ...eulerMethod.info, order: 0 } };
 * assert.match(diffusionMethodProblems(bad)[0]!, /order must be a positive integer/);
 * ```
 */
export function diffusionMethodProblems(method: DiffusionMethod): string[] {
  const info = method?.info;
  const p = methodInfoProblems(info, "diffusion");
  if (p.length > 0 || info === null || typeof info !== "object") return p;
  const label = info.name;
  if (!Number.isInteger(info.order) || info.order < 1) {
    p.push(`${label}: order must be a positive integer, got ${quote(info.order)}`);
  }
  if (info.grid !== "sigma" && info.grid !== "time") {
    p.push(`${label}: grid must be "sigma" or "time", got ${quote(info.grid)}`);
  }
  if (typeof info.rowsIndependent !== "boolean") {
    p.push(`${label}: rowsIndependent must be a boolean, got ${quote(info.rowsIndependent)}`);
  }
  if (info.noise !== "iid" && info.noise !== "path") {
    p.push(`${label}: noise must be "iid" or "path", got ${quote(info.noise)}`);
  }
  if (!BUDGETS.includes(info.budget)) {
    p.push(`${label}: budget must be one of ${BUDGETS.join(", ")}, got ${quote(info.budget)}`);
  }
  if (
    !Array.isArray(info.options) ||
    info.options.some((o) => typeof o !== "string" || COMMON_OPTIONS.includes(o))
  ) {
    p.push(`${label}: options must list its own option names, got ${quote(info.options)}`);
  }
  if (typeof method.sample !== "function") p.push(`${label}: sample must be a function`);
  if (typeof info.nfe !== "function") {
    p.push(`${label}: nfe must be a function of the grid shape and options`);
    return p;
  }
  const shape = { points: 4, endsAtZero: info.grid === "sigma" };
  const n = info.nfe(shape, info.budget === "nfe-option" ? { nfe: 5 } : {});
  if (info.budget === "adaptive") {
    if (n !== undefined) p.push(`${label}: an adaptive method's nfe must be undefined, got ${n}`);
  } else if (!Number.isInteger(n) || n! < 1) {
    p.push(
      `${label}: nfe of a ${shape.points}-point grid must be a positive integer, got ${quote(n)}`,
    );
  }
  return p;
}

/**
 * A diffusion method object from its metadata and sampling function, checked
 * by {@linkcode diffusionMethodProblems}.
 *
 * @param info the metadata
 * @param sample the sampling function
 * @returns the frozen method
 * @throws {SdenoTypeError} listing the problems of a bad declaration
 *
 * @example
 * ```ts
 * import { diffusionMethod } from "./diffusion_method.ts";
 * import { sampleEuler } from "./sample_euler.ts";
 * import assert from "node:assert/strict";
 * const m = diffusionMethod({
 *   family: "diffusion", name: "my_euler", aliases: [], summary: "Euler, again",
 *   stochastic: false, backends: ["cpu", "webgpu"], order: 1, grid: "sigma",
 *   budget: "grid", noise: "iid", rowsIndependent: true, options: [],
 *   nfe: (g) => g.points - 1,
 * }, sampleEuler);
 * assert.equal(m.info.nfe({ points: 11, endsAtZero: true }, {}), 10);
 * assert.throws(() => diffusionMethod({ ...m.info, grid: "lambda" as "time" }, sampleEuler), TypeError);
 * ```
 */
export function diffusionMethod<O extends SamplerOptions>(
  info: DiffusionMethodInfo,
  sample: (
    denoiser: Denoiser,
    x: DeviceArray,
    grid: ArrayLike<number>,
    options?: O,
  ) => Promise<SampleResult>,
): DiffusionMethod<O> {
  const method: DiffusionMethod<O> = Object.freeze({
    info: Object.freeze({ ...info, aliases: Object.freeze([...info.aliases]) }),
    sample,
  });
  const p = diffusionMethodProblems(method as unknown as DiffusionMethod);
  if (p.length > 0) {
    throw new SdenoTypeError(`Cannot declare the diffusion method: ${p.join("; ")}`);
  }
  return method;
}
