/**
 * The registry of the SDE solvers: every solver sdeno has, found by its name
 * or the aliases users know from diffrax and DifferentialEquations.jl.
 * Scripts (`--solver`, `--help`), tests and benchmarks take solvers from
 * here; a new solver is one file and one line below.
 *
 * @module
 */

import { SdenoTypeError } from "../../kernels/errors.ts";
import { MethodRegistry } from "../method_registry.ts";
import { type SdeSolver, sdeSolverProblems } from "./solver_info.ts";
import { eulerMaruyama } from "./euler_maruyama.ts";
import { milstein } from "./milstein.ts";
import { heun } from "./heun.ts";
import { eulerHeun } from "./euler_heun.ts";
import { sra1 } from "./sra1.ts";
import { sriw1 } from "./sriw1.ts";
import { reversibleHeun } from "./reversible_heun.ts";

/**
 * A registry of SDE solvers: the shared {@linkcode MethodRegistry} checks
 * names, aliases and the shared metadata; this also checks each solver's SDE
 * declaration with {@linkcode sdeSolverProblems}.
 *
 * @param solvers the solvers
 * @returns the registry
 * @throws {SdenoTypeError} listing every problem
 *
 * @example A solver with a wrong declaration is refused
 * ```ts
 * import { sdeSolverRegistry } from "./registry.ts";
 * import { heun } from "./heun.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sdeSolverRegistry([heun]).get("stochastic-heun"), heun);
 * const wrong = { ...heun, info: { ...heun.info, adaptive: false, errorOrder: undefined } };
 * assert.throws(() => sdeSolverRegistry([wrong]), /adaptive must be true/);
 * ```
 */
export function sdeSolverRegistry(solvers: readonly SdeSolver[]): MethodRegistry<SdeSolver> {
  const problems = solvers.flatMap((s) => sdeSolverProblems(s));
  if (problems.length > 0) {
    throw new SdenoTypeError(`Cannot register the sde methods: ${problems.join("; ")}`);
  }
  return new MethodRegistry("sde", solvers);
}

/**
 * Every SDE solver of sdeno.
 *
 * @example By name or alias; `describeNames()` is the `--help` listing
 * ```ts
 * import { sdeSolvers } from "./registry.ts";
 * import { eulerMaruyama } from "./euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sdeSolvers.get("em"), eulerMaruyama);
 * assert.match(sdeSolvers.describeNames(), /^euler-maruyama \(em, euler\), milstein/);
 * assert.throws(() => sdeSolvers.get("rk4"), /Unknown sde method "rk4"/);
 * ```
 */
export const sdeSolvers: MethodRegistry<SdeSolver> = sdeSolverRegistry([
  eulerMaruyama,
  milstein,
  heun,
  eulerHeun,
  sra1,
  sriw1,
  reversibleHeun,
]);
