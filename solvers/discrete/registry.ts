/**
 * The discrete-diffusion reverse samplers as declared methods, in one
 * {@linkcode MethodRegistry}: `euler`, `tauleap`, `tauleap_fd`, `mdlm`,
 * `sedd_analytic` and `remdm`. Scripts and tests list them from
 * {@linkcode DISCRETE_METHODS}; adding one is its file plus one line here.
 *
 * @module
 */

import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { methodInfoProblems, MethodRegistry } from "../method_registry.ts";
import type { DiscreteMethod } from "./discrete_method.ts";
import { eulerDiscrete } from "./euler.ts";
import { tauLeapingDiscrete } from "./tau_leaping.ts";
import { tauLeapingFinalDenoiseDiscrete } from "./tau_leaping_final_denoise.ts";
import { mdlmDiscrete } from "./mdlm.ts";
import { seddAnalyticDiscrete } from "./sedd_analytic.ts";
import { remdmDiscrete } from "./remdm.ts";

/**
 * The problems with a discrete method's declaration (empty when it is well
 * declared): those of {@linkcode methodInfoProblems}, plus processes that are
 * not "uniform"/"masked", `needs` that is not "ratios"/"x0", a non-boolean
 * `finalDenoise`, a purpose other than `PHILOX_PURPOSES.discreteStep`, and a
 * missing rule.
 *
 * @param m the method
 * @returns one message per problem
 *
 * @example
 * ```ts
 * import { discreteMethodProblems, DISCRETE_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * const euler = DISCRETE_METHODS.get("euler");
 * assert.deepEqual(discreteMethodProblems(euler), []);
 * const bad = { ...euler, info: { ...euler.info, needs: "eps" as never } };
 * assert.match(discreteMethodProblems(bad)[0]!, /needs/);
 * ```
 */
export function discreteMethodProblems(m: DiscreteMethod): string[] {
  if (m === null || typeof m !== "object") return [`a method must be an object, got ${quote(m)}`];
  const info = m.info;
  const p = methodInfoProblems(info, "discrete");
  if (info === null || typeof info !== "object") return p;
  const label = typeof info.name === "string" ? info.name : quote(info.name);
  if (
    !Array.isArray(info.processes) || info.processes.length === 0 ||
    info.processes.some((k) => k !== "uniform" && k !== "masked")
  ) {
    p.push(`${label}: processes must list "uniform" and/or "masked", got ${quote(info.processes)}`);
  }
  if (info.needs !== "ratios" && info.needs !== "x0") {
    p.push(`${label}: needs must be "ratios" or "x0", got ${quote(info.needs)}`);
  }
  if (typeof info.finalDenoise !== "boolean") p.push(`${label}: finalDenoise must be a boolean`);
  if (info.purpose !== PHILOX_PURPOSES.discreteStep) {
    p.push(`${label}: purpose must be PHILOX_PURPOSES.discreteStep, got ${quote(info.purpose)}`);
  }
  if (typeof m.rule !== "function") p.push(`${label}: rule must be a function`);
  return p;
}

/**
 * A registry of discrete methods, checked (see {@linkcode discreteMethodProblems}).
 *
 * @param methods the methods
 * @returns the registry
 * @throws {SdenoTypeError} naming each method declared wrongly and why
 *
 * @example
 * ```ts
 * import { discreteRegistry, DISCRETE_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * const euler = DISCRETE_METHODS.get("euler");
 * const fake = { ...euler, info: { ...euler.info, name: "fake", aliases: [], finalDenoise: 1 } };
 * assert.throws(() => discreteRegistry([euler, fake as never]), /fake: finalDenoise/);
 * ```
 */
export function discreteRegistry(
  methods: readonly DiscreteMethod[],
): MethodRegistry<DiscreteMethod> {
  const problems = Array.isArray(methods)
    ? methods.flatMap((m) => discreteMethodProblems(m))
    : [`methods must be an array, got ${quote(methods)}`];
  if (problems.length > 0) {
    throw new SdenoTypeError(`Cannot register the discrete methods: ${problems.join("; ")}`);
  }
  return new MethodRegistry<DiscreteMethod>("discrete", methods);
}

/**
 * Every discrete-diffusion sampler, by name or alias.
 *
 * @example
 * ```ts
 * import { DISCRETE_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(DISCRETE_METHODS.names(), [
 *   "euler", "tauleap", "tauleap_fd", "mdlm", "sedd_analytic", "remdm",
 * ]);
 * ```
 */
export const DISCRETE_METHODS: MethodRegistry<DiscreteMethod> = discreteRegistry([
  eulerDiscrete,
  tauLeapingDiscrete,
  tauLeapingFinalDenoiseDiscrete,
  mdlmDiscrete,
  seddAnalyticDiscrete,
  remdmDiscrete,
]);
