/**
 * Solver metadata, declared by every SDE solver: orders, calculus, the noise
 * types it accepts, whether it can step adaptively, and what noise it needs.
 *
 * @module
 */

import type { Calculus, NoiseType } from "../../processes/sde.ts";
import type { SrkTableau } from "./srk_tableau.ts";

/** Strong orders by noise class: commutative covers diagonal and scalar noise. */
export interface StrongOrders {
  /** General (non-commutative) noise. */
  general?: number;
  /** Diagonal or scalar noise (commutative). */
  commutative?: number;
  /** Additive noise. */
  additive?: number;
}

/** What a solver declares about itself. */
export interface SolverInfo {
  /** Name, e.g. "euler-maruyama". */
  readonly name: string;
  /** The calculus it converges to; `both` reads `sde.calculus`. */
  readonly calculus: Calculus | "both";
  /** Noise types it accepts. */
  readonly noise: readonly NoiseType[];
  /** Strong orders per noise class (the most specific class present applies). */
  readonly strongOrder: Readonly<StrongOrders>;
  /** Weak order, where it is established. */
  readonly weakOrder: number | undefined;
  /** Whether it has an embedded error estimate for adaptive stepping. */
  readonly adaptive: boolean;
  /** The estimate's order: the local error estimate scales like h^errorOrder. */
  readonly errorOrder: number | undefined;
  /** Whether it needs the time integral ΔZ of the Brownian motion. */
  readonly levyArea: boolean;
}

/** A solver: its metadata and its method (a stochastic Runge–Kutta tableau or a special step). */
export interface SdeSolver {
  /** Metadata. */
  readonly info: SolverInfo;
  /** The method: `srk` tableaux share one driver; `milstein` and `reversible-heun` have their own steps. */
  readonly method:
    | { readonly kind: "srk"; readonly tableau: SrkTableau }
    | { readonly kind: "milstein" }
    | { readonly kind: "reversible-heun" };
}

/**
 * The strong order a solver attains for a noise type: the most specific
 * declared class (additive → commutative → general; diagonal and scalar →
 * commutative → general).
 *
 * @param info the solver's metadata
 * @param noise the noise type of the problem
 * @returns the order, or undefined when the solver does not declare one
 *
 * @example
 * ```ts
 * import { strongOrderFor } from "./solver_info.ts";
 * import { eulerMaruyama } from "./euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * assert.equal(strongOrderFor(eulerMaruyama.info, "scalar"), 0.5);
 * assert.equal(strongOrderFor(eulerMaruyama.info, "additive"), 1);
 * ```
 */
export function strongOrderFor(info: SolverInfo, noise: NoiseType): number | undefined {
  const o = info.strongOrder;
  if (noise === "additive") return o.additive ?? o.commutative ?? o.general;
  if (noise === "general") return o.general;
  return o.commutative ?? o.general;
}
