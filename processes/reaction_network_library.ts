/**
 * Built-in reaction networks (the models of `refs/ctmc/crn_models.json`).
 *
 * @module
 */

import { quote, SdenoRangeError } from "../kernels/errors.ts";
import type { ReactionNetwork } from "./reaction_network.ts";
import { parseReactionNetwork } from "./reaction_network_parse.ts";

const MODELS: Record<string, string> = {
  // immigration–death; X(t) ~ Poisson((kb/kd)(1 − e^{−kd t})) from 0
  birth_death: `species X = 0
birth: 0 -> X @ 10
death: X -> 0 @ 0.1`,
  // Wilkinson, "Stochastic Modelling for Systems Biology", Dimer model
  dimerization_wilkinson: `species P = 301, P2 = 0
dimerisation: 2 P -> P2 @ 0.00166
dissociation: P2 -> 2 P @ 0.2`,
  dimerization_small: `species A = 10, B = 0
dimerisation: 2 A -> B @ 1
dissociation: B -> 2 A @ 1`,
  // Schlögl 1972 with buffered A = 1e5, B = 2e5 folded into the rates
  schlogl: `species X = 250
r1_2X_to_3X: 2 X -> 3 X @ 0.03
r2_3X_to_2X: 3 X -> 2 X @ 0.0001
r3_0_to_X: 0 -> X @ 200
r4_X_to_0: X -> 0 @ 3.5`,
  // Gillespie, J. Phys. Chem. 81, 2340 (1977), Lotka reactions (29)
  lotka_volterra_gillespie1977: `species Y1 = 1000, Y2 = 1000
prey_birth: Y1 -> 2 Y1 @ 10
predation: Y1 + Y2 -> 2 Y2 @ 0.01
predator_death: Y2 -> 0 @ 10`,
  lotka_volterra_small: `species X = 60, Y = 40
prey_birth: X -> 2 X @ 1
predation: X + Y -> 2 Y @ 0.02
predator_death: Y -> 0 @ 1`,
  // Wilkinson, SMfSB, MM model
  michaelis_menten_wilkinson: `species S = 301, E = 120, SE = 0, P = 0
binding: S + E -> SE @ 0.00166
unbinding: SE -> S + E @ 0.0001
catalysis: SE -> P + E @ 0.1`,
};

/** Names accepted by {@linkcode builtinReactionNetwork}. */
export const BUILTIN_REACTION_NETWORKS: readonly string[] = Object.freeze(Object.keys(MODELS));

/**
 * A built-in network by name: `birth_death`, `dimerization_wilkinson`,
 * `dimerization_small`, `schlogl`, `lotka_volterra_gillespie1977`,
 * `lotka_volterra_small`, `michaelis_menten_wilkinson` (combinatorial
 * mass action; the same models as `crn_models.json`).
 *
 * @param name the model's name
 * @returns the network
 * @throws {SdenoRangeError} for an unknown name
 *
 * @example
 * ```ts
 * import { builtinReactionNetwork } from "./reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(builtinReactionNetwork("schlogl").species, ["X"]);
 * assert.throws(() => builtinReactionNetwork("brusselator"), RangeError);
 * ```
 */
export function builtinReactionNetwork(name: string): ReactionNetwork {
  const text = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (text === undefined) {
    throw new SdenoRangeError(
      `Cannot find the built-in network ${quote(name)}: choose from ${
        BUILTIN_REACTION_NETWORKS.join(", ")
      }`,
    );
  }
  return parseReactionNetwork(text, { name });
}

/**
 * The text form of a built-in network (see {@linkcode builtinReactionNetwork}).
 *
 * @param name the model's name
 * @returns its text, for {@linkcode parseReactionNetwork}
 * @throws {SdenoRangeError} for an unknown name
 *
 * @example
 * ```ts
 * import { builtinReactionNetworkText } from "./reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * assert.match(builtinReactionNetworkText("birth_death"), /0 -> X @ 10/);
 * ```
 */
export function builtinReactionNetworkText(name: string): string {
  builtinReactionNetwork(name);
  return MODELS[name]!;
}
