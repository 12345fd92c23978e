/**
 * Builds an SDE solver from its declaration and its own step.
 *
 * @module
 */

import { SdenoTypeError } from "../../kernels/errors.ts";
import type { EnsembleModel, EnsembleStep } from "../../kernels/sde_ensemble.ts";
import type { Sde } from "../../processes/sde.ts";
import {
  type SdeSolver,
  sdeSolverProblems,
  type SdeStepper,
  type SdeStepperSetup,
  type SolverDeclaration,
  type SolverInfo,
} from "./solver_info.ts";
import type { SrkTableau } from "./srk_tableau.ts";
import type { MethodBackend } from "../method_registry.ts";

/** What {@linkcode defineSdeSolver} takes. */
export interface SdeSolverSpec {
  /** The declaration: name, aliases, summary, calculus, noise types, orders, adaptivity, ΔZ. */
  info: SolverDeclaration;
  /** Builds the stepper of one solve (the driver has checked the SDE against `info`). */
  makeStepper: (sde: Sde, setup: SdeStepperSetup) => SdeStepper;
  /** Its step in the ensemble kernel for a model, if it runs there (then it lists webgpu). */
  ensembleStep?: ((model: EnsembleModel) => EnsembleStep) | undefined;
  /** The tableau, when the method is a stochastic Runge–Kutta tableau (use `srkSolver`). */
  tableau?: SrkTableau | undefined;
}

/**
 * An SDE solver from its declaration and its step: fills in the fields every
 * SDE solver shares (family "sde", stochastic) and its backends (cpu, and
 * webgpu exactly when it has an ensemble step), checks the whole with
 * {@linkcode sdeSolverProblems}, and freezes it. A method that is not a
 * tableau (Milstein, reversible Heun) is one such call in its own file; the
 * driver `solveSde` needs no edit for it.
 *
 * @param spec the declaration, the stepper factory, the optional ensemble step
 * @returns the solver
 * @throws {SdenoTypeError} listing every problem of the declaration
 *
 * @example An Euler–Maruyama written as its own step, for scalar noise
 * ```ts
 * import { defineSdeSolver } from "./define_sde_solver.ts";
 * import { solveSde } from "./solve_sde.ts";
 * import { eulerMaruyama } from "./euler_maruyama.ts";
 * import { defineSde } from "../../processes/sde.ts";
 * import assert from "node:assert/strict";
 * const myEuler = defineSdeSolver({
 *   info: {
 *     name: "my-euler", aliases: [], summary: "Euler–Maruyama, by hand",
 *     calculus: "ito", noise: ["scalar"], strongOrder: { general: 0.5 }, weakOrder: 1,
 *     adaptive: false, errorOrder: undefined, levyArea: false,
 *   },
 *   makeStepper: (sde, { paths }) => {
 *     const f = new Float64Array(paths * sde.dim), g = new Float64Array(paths * sde.dim);
 *     return ({ t, h, x, out, inc }) => {
 *       sde.drift(t, x, f, paths);
 *       sde.diffusion(t, x, g, paths);
 *       for (let e = 0; e < paths * sde.dim; e++) {
 *         out[e] = x[e]! + h * f[e]! + g[e]! * inc.dW[Math.floor(e / sde.dim)]!;
 *       }
 *     };
 *   },
 * });
 * assert.deepEqual(myEuler.info.backends, ["cpu"]);
 * const sde = defineSde({
 *   dim: 1, noise: "scalar",
 *   drift: (_t, x, o, n) => { for (let i = 0; i < n; i++) o[i] = -x[i]!; },
 *   diffusion: (_t, _x, o, n) => void o.fill(0.5, 0, n),
 * });
 * const run = { x0: [1], paths: 8, t1: 1, dt: 0.125 };
 * const a = solveSde(sde, { ...run, solver: myEuler });
 * const b = solveSde(sde, { ...run, solver: eulerMaruyama });
 * for (let i = 0; i < 8; i++) assert.ok(Math.abs(a.x[i]! - b.x[i]!) < 1e-12);
 * assert.throws(() => defineSdeSolver({ ...myEuler, info: { ...myEuler.info, name: "My Euler" } }));
 * ```
 */
export function defineSdeSolver(spec: SdeSolverSpec): SdeSolver {
  const what = "Cannot define the SDE solver";
  if (spec === null || typeof spec !== "object" || spec.info === null) {
    throw new SdenoTypeError(`${what}: spec must be an object with info, got ${String(spec)}`);
  }
  const ensembleStep = spec.ensembleStep;
  const info: SolverInfo = Object.freeze({
    ...spec.info,
    family: "sde",
    stochastic: true,
    aliases: Object.freeze([...(spec.info.aliases ?? [])]),
    noise: Object.freeze([...(spec.info.noise ?? [])]),
    strongOrder: Object.freeze({ ...spec.info.strongOrder }),
    backends: Object.freeze<MethodBackend[]>(ensembleStep ? ["cpu", "webgpu"] : ["cpu"]),
  });
  const solver: SdeSolver = Object.freeze({
    info,
    tableau: spec.tableau,
    makeStepper: spec.makeStepper,
    ensembleStep,
  });
  const problems = sdeSolverProblems(solver);
  if (problems.length > 0) {
    throw new SdenoTypeError(`${what} ${JSON.stringify(info.name)}: ${problems.join("; ")}`);
  }
  return solver;
}
