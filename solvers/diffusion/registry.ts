/**
 * The one registry of diffusion samplers: every sampler's method object, in
 * one list. Scripts, tests and benchmarks take the methods, their names and
 * aliases, their NFE rules and grid conventions from here; adding a sampler
 * is its file (with its method object) plus one line below.
 *
 * @module
 */

import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import { MethodRegistry } from "../method_registry.ts";
import { type DiffusionMethod, diffusionMethodProblems } from "./diffusion_method.ts";
import { eulerMethod } from "./sample_euler.ts";
import { heunMethod } from "./sample_heun.ts";
import { dpm2Method } from "./sample_dpm_2.ts";
import { lmsMethod } from "./sample_lms.ts";
import { dpmFastMethod } from "./sample_dpm_fast.ts";
import { eulerAncestralMethod } from "./sample_euler_ancestral.ts";
import { dpm2AncestralMethod } from "./sample_dpm_2_ancestral.ts";
import { dpmpp2sAncestralMethod } from "./sample_dpmpp_2s_ancestral.ts";
import { dpmppSdeMethod } from "./sample_dpmpp_sde.ts";
import { dpmpp3mSdeMethod } from "./sample_dpmpp_3m_sde.ts";
import { predictorCorrectorMethod } from "./sample_predictor_corrector.ts";
import { dpmpp2mMethod, dpmSolverMethod } from "./dpm_solver.ts";
import { dpmAdaptiveMethod, dpmSolverAdaptiveMethod } from "./dpm_solver_adaptive.ts";
import { dpmpp2mSdeHeunMethod, dpmpp2mSdeMethod, sdeDpmSolverMethod } from "./sde_dpm_solver.ts";
import { uniPcMethod } from "./unipc.ts";
import { ddimMethod } from "./ddim.ts";
import { ddpmMethod } from "./ddpm.ts";
import { deisMethod } from "./deis.ts";
import { ipndmMethod } from "./ipndm.ts";
import { restartMethod } from "./restart.ts";
import { lcmMethod } from "./lcm.ts";
import { flowEulerMethod, flowHeunMethod } from "./flow_match.ts";
import { saSolverMethod } from "./sa_solver.ts";
import { dpmSolverV3Method } from "./dpm_solver_v3.ts";
import { multistepWithOrdersMethod } from "./schedule_search_multistep.ts";
import { mrsOdeMethod, mrsSdeMethod } from "./mrs.ts";

/**
 * A registry of diffusion methods, each checked by
 * `diffusionMethodProblems` (the shared metadata checks of `MethodRegistry`
 * plus the family's: order, grid convention, budget, option names, NFE rule).
 *
 * @param methods the methods
 * @returns the registry
 * @throws {SdenoTypeError} naming every badly declared method and its problem
 *
 * @example A method declared with a bad NFE rule is refused
 * ```ts
 * import { diffusionRegistry } from "./registry.ts";
 * import { eulerMethod } from "./sample_euler.ts";
 * import assert from "node:assert/strict";
 * const bad = { ...eulerMethod, info: { ...eulerMethod.info, name: "bad", nfe: () => 0 } };
 * assert.throws(() => diffusionRegistry([eulerMethod, bad]), /bad: nfe of a 4-point grid/);
 * ```
 */
export function diffusionRegistry(
  methods: readonly DiffusionMethod[],
): MethodRegistry<DiffusionMethod> {
  const problems = methods.flatMap((m) => diffusionMethodProblems(m));
  if (problems.length > 0) {
    throw new SdenoTypeError(
      `Cannot register the diffusion methods: ${problems.map((p) => quote(p)).join("; ")}`,
    );
  }
  return new MethodRegistry("diffusion", methods);
}

/**
 * Every diffusion sampler of sdeno, by its k-diffusion / ComfyUI name and
 * the aliases users know.
 *
 * @example
 * ```ts
 * import { diffusionMethods } from "./registry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(diffusionMethods.get("sample_dpmpp_2m").info.name, "dpmpp_2m");
 * assert.equal(diffusionMethods.get("dpmsolver++").info.grid, "time");
 * ```
 */
export const diffusionMethods: MethodRegistry<DiffusionMethod> = diffusionRegistry([
  eulerMethod,
  eulerAncestralMethod,
  heunMethod,
  dpm2Method,
  dpm2AncestralMethod,
  lmsMethod,
  dpmFastMethod,
  dpmAdaptiveMethod,
  dpmpp2sAncestralMethod,
  dpmppSdeMethod,
  dpmpp2mMethod,
  dpmpp2mSdeMethod,
  dpmpp2mSdeHeunMethod,
  dpmpp3mSdeMethod,
  predictorCorrectorMethod,
  dpmSolverMethod,
  dpmSolverAdaptiveMethod,
  sdeDpmSolverMethod,
  uniPcMethod,
  ddimMethod,
  ddpmMethod,
  deisMethod,
  ipndmMethod,
  restartMethod,
  lcmMethod,
  flowEulerMethod,
  flowHeunMethod,
  saSolverMethod,
  dpmSolverV3Method,
  multistepWithOrdersMethod,
  mrsOdeMethod,
  mrsSdeMethod,
]);
