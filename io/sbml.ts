/**
 * SBML (Systems Biology Markup Language) Level 3 core in and out, for
 * stochastic simulation: {@linkcode parseSbml} / {@linkcode readSbml} turn a
 * model into a {@linkcode ReactionNetwork}, refusing with a typed error
 * whatever they cannot simulate exactly, and {@linkcode writeSbml} writes a
 * mass-action network as SBML Level 3 Version 2.
 *
 * @module
 */

import type { ReactionNetwork } from "../processes/reaction_network.ts";
import { readSbmlModel } from "./_sbml_read.ts";
import { writeSbmlText } from "./_sbml_write.ts";
import { quote, SdenoTypeError } from "../kernels/errors.ts";

/** How one reaction of an SBML model was taken. */
export interface SbmlReactionInfo {
  /** The reaction's name in the network (the SBML id; `<id>_fwd` / `<id>_rev` for a split reversible one). */
  name: string;
  /** The SBML reaction id it came from. */
  id: string;
  /** `mass-action`: the law is K·Π reactants^stoichiometry; `general`: a compiled propensity. */
  kind: "mass-action" | "general";
}

/** What {@linkcode parseSbmlModel} returns. */
export interface SbmlModel {
  /** The network. */
  network: ReactionNetwork;
  /** Per reaction of the network, in order. */
  reactions: SbmlReactionInfo[];
  /** Molecules per substance unit: 1 for item (or none declared), Avogadro's number for mole. */
  itemsPerSubstance: number;
}

/** Options of {@linkcode parseSbml}. */
export interface ParseSbmlOptions {
  /** The network's name (default the model's id). */
  name?: string;
}

/**
 * Reads an SBML Level 3 (Version 1 or 2) core model into a reaction network
 * and says how each reaction was taken.
 *
 * **What is read.** Compartments (size), species (initialAmount or
 * initialConcentration, hasOnlySubstanceUnits, boundaryCondition,
 * constant), global parameters and a kinetic law's local parameters,
 * function definitions (inlined where applied), initial assignments and
 * assignment rules (for compartments, species and parameters; resolved in
 * dependency order, a cycle refused), and reactions with integer
 * stoichiometries, modifiers and a kinetic law in MathML: `plus minus times
 * divide power exp ln log root abs floor ceiling piecewise/otherwise lt leq
 * gt geq eq neq and or xor not`, `ci`, `cn` (integer, real, e-notation,
 * rational), `true false pi exponentiale infinity notanumber`, csymbols
 * `time` (initial values only, at t = 0) and `avogadro`.
 *
 * **What is refused**, with an error that names the element and its id
 * (never dropped): events, rate rules, algebraic rules, constraints, the
 * csymbols delay and rateOf, any other MathML element, packages marked
 * `required="true"` (packages marked not required, such as layout, are
 * ignored, as SBML allows), conversion factors, fast reactions, a kinetic
 * law that reads the time, names an unknown symbol or a reaction, a
 * reversible reaction whose law is not `forward − reverse`, non-integer
 * stoichiometries, and initial amounts that are not whole molecule counts.
 * Malformed XML is an {@linkcode SdenoParseError} with its line and column.
 *
 * **State.** The state is every species that is not a boundary species, not
 * constant and not set by an assignment rule, in document order, named by
 * its id. Boundary and constant species keep their initial value and enter
 * laws as constants; species set by a rule enter laws through the rule.
 *
 * **Counts.** A species' amount is its initialAmount, or its
 * initialConcentration times its compartment's size (SBML L3V2 §4.6.3). The
 * count is the amount times the molecules per substance unit: 1 for `item`,
 * and also when the model declares no substance unit (as GillesPy2 and
 * COPASI's particle-number models take it), Avogadro's number
 * (6.02214076·10²³) for `mole`, and a unit definition scaling one of them
 * by its multiplier·10^scale. A count must be a whole number (to 1e-9
 * relative) and is rounded to it.
 *
 * **Propensities.** An SBML kinetic law is a deterministic rate in
 * substance per time, in which a species symbol stands for its
 * concentration `count/(u·V)`, or its amount `count/u` when
 * hasOnlySubstanceUnits (u molecules per unit, V its compartment's size).
 * - A law that is mass action in the reactants, `K·Π_i s_i^{r_i}` over
 *   exactly the reactant species with their stoichiometries r_i (K made of
 *   numbers, parameters, compartment sizes and constant species), becomes
 *   a mass-action reaction: replacing `x^r` by the falling factorial
 *   `x(x−1)⋯(x−r+1) = r!·C(x, r)` (Gillespie 1977; COPASI and GillesPy2
 *   do the same) gives the combinatorial constant
 *   `k = u·(Π r_i!)·K·Π scale_i^{r_i}`, so `2A → B` with law `k·A²/2`
 *   and amounts in items has propensity `k·A(A−1)/2`.
 * - Any other law is taken as the propensity itself, `a(x) = u·f(x)`, in
 *   firings per time unit, compiled to a closure on the CPU and to a WGSL
 *   function body (the same tree, f32) for the GPU ensemble; a constant
 *   that f32 cannot hold leaves the reaction without WGSL (it runs on cpu).
 * - A reversible reaction needs a law `forward − reverse`; it becomes two
 *   reactions `<id>_fwd` and `<id>_rev`, each taken as above.
 *
 * @param text the SBML document
 * @param options the network's name
 * @returns the network, how each reaction was taken, and the molecules per substance unit
 * @throws {SdenoParseError} for malformed XML or MathML, with line and column
 * @throws {SdenoRangeError} for a refused element (named with its id), an unknown symbol, a non-integer count
 * @throws {SdenoTypeError} for a boolean where a number belongs, or the reverse
 *
 * @example A general law is compiled; a mass-action one keeps its constant
 * ```ts
 * import { parseSbmlModel } from "./sbml.ts";
 * import assert from "node:assert/strict";
 * const m = `<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 *  <model id="feedback" substanceUnits="item">
 *   <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
 *   <listOfSpecies><species id="X" compartment="c" initialAmount="5" hasOnlySubstanceUnits="true"
 *     boundaryCondition="false" constant="false"/></listOfSpecies>
 *   <listOfParameters><parameter id="v" value="20" constant="true"/></listOfParameters>
 *   <listOfReactions>
 *    <reaction id="birth" reversible="false">
 *     <listOfProducts><speciesReference species="X" stoichiometry="1" constant="true"/></listOfProducts>
 *     <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
 *      <apply><divide/><ci>v</ci><apply><plus/><cn>1</cn><ci>X</ci></apply></apply></math></kineticLaw>
 *    </reaction>
 *    <reaction id="death" reversible="false">
 *     <listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/></listOfReactants>
 *     <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
 *      <apply><times/><cn>0.1</cn><ci>X</ci></apply></math></kineticLaw>
 *    </reaction>
 *   </listOfReactions>
 *  </model>
 * </sbml>`;
 * const { network, reactions } = parseSbmlModel(m);
 * assert.deepEqual(reactions.map((r) => r.kind), ["general", "mass-action"]);
 * assert.equal(network.propensity(0, new Float64Array([4])), 4); // 20 / (1 + 4)
 * assert.equal(network.reactions[1]!.rate, 0.1);
 * ```
 */
export function parseSbmlModel(text: string, options: ParseSbmlOptions = {}): SbmlModel {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`Cannot read SBML: options must be an object, got ${quote(options)}`);
  }
  return readSbmlModel(text, options.name);
}

/**
 * Reads an SBML Level 3 core model into a reaction network; the rules are
 * those of {@linkcode parseSbmlModel}.
 *
 * @param text the SBML document
 * @param options the network's name
 * @returns the network
 * @throws {SdenoParseError} for malformed XML or MathML, with line and column
 * @throws {SdenoRangeError} for a refused element (named with its id), an unknown symbol, a non-integer count
 * @throws {SdenoTypeError} for a boolean where a number belongs, or the reverse
 *
 * @example An event is refused, by name
 * ```ts
 * import { parseSbml } from "./sbml.ts";
 * import assert from "node:assert/strict";
 * const m = `<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 *  <model><listOfEvents><event id="kick"/></listOfEvents></model></sbml>`;
 * assert.throws(() => parseSbml(m), /<event id="kick">.*is an event, which is not supported/);
 * assert.throws(() => parseSbml("<sbml><model></sbml>"), SyntaxError);
 * ```
 */
export function parseSbml(text: string, options: ParseSbmlOptions = {}): ReactionNetwork {
  return parseSbmlModel(text, options).network;
}

/**
 * Reads an SBML file into a reaction network (see {@linkcode parseSbmlModel}
 * for the rules). Needs `--allow-read` for the path.
 *
 * @param path the file (string or `file:` URL)
 * @param options the network's name
 * @returns the network
 * @throws {SdenoParseError} for malformed XML or MathML; the message names the path
 * @throws {SdenoRangeError} for a refused element, an unknown symbol, a non-integer count
 *
 * @example Write a built-in network, read it back
 * ```ts
 * import { readSbml, writeSbml } from "./sbml.ts";
 * import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/bd.xml`, writeSbml(builtinReactionNetwork("birth_death")));
 * const net = await readSbml(`${dir}/bd.xml`);
 * assert.deepEqual(net.species, ["X"]);
 * assert.equal(net.reactions[0]!.rate, 10);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readSbml(
  path: string | URL,
  options: ParseSbmlOptions = {},
): Promise<ReactionNetwork> {
  const text = await Deno.readTextFile(path);
  try {
    return parseSbml(text, options);
  } catch (err) {
    if (err instanceof Error) {
      err.message = err.message.replace(
        /^Cannot read SBML:/,
        `Cannot read SBML ${quote(String(path))}:`,
      );
    }
    throw err;
  }
}

/** Options of {@linkcode writeSbml}. */
export interface WriteSbmlOptions {
  /** The model's id (an SBML SId; default the network's name when it is one, else `model`). */
  id?: string;
}

/**
 * Writes a mass-action reaction network as SBML Level 3 Version 2 core.
 *
 * The model has one compartment of size 1 (`cell`, renamed if a species
 * has that id), substance and extent units `item`, and time unit `second`;
 * every species has its initial count as `initialAmount` with
 * `hasOnlySubstanceUnits="true"`, so its symbol in a law is its count.
 * A reaction with combinatorial constant k (whatever convention the network
 * was built with) gets the law `k·Π x_i^{r_i} / Π r_i!`, with k as a local
 * parameter: the deterministic rate whose stochastic form (see
 * {@linkcode parseSbmlModel}) is `k·Π C(x_i, r_i)`, so reading the file back
 * gives the same propensities, constants bit for bit. Reaction ids are the
 * reaction names where these are SBML ids (otherwise `r<index>`, with the
 * name in `name`). Numbers are written as the shortest text that reads back
 * to the same double.
 *
 * @param network a network with mass-action reactions only
 * @param options the model's id
 * @returns the SBML text
 * @throws {SdenoTypeError} for a network with a custom propensity (it has no MathML form), or a bad id
 *
 * @example Dimerisation: the law divides by 2!
 * ```ts
 * import { parseSbml, writeSbml } from "./sbml.ts";
 * import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * const net = builtinReactionNetwork("dimerization_small");
 * const text = writeSbml(net);
 * assert.match(text, /<divide\/>/);
 * const back = parseSbml(text);
 * const x = new Float64Array([10, 3]);
 * assert.equal(back.propensity(0, x), net.propensity(0, x)); // 1·C(10, 2) = 45
 * ```
 */
export function writeSbml(network: ReactionNetwork, options: WriteSbmlOptions = {}): string {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`Cannot write SBML: options must be an object, got ${quote(options)}`);
  }
  return writeSbmlText(network, options.id);
}
