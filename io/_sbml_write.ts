// A ReactionNetwork as SBML Level 3 Version 2 core with mass-action laws.
// The rules are stated in io/sbml.ts (writeSbml).

import { quote, SdenoTypeError } from "../kernels/errors.ts";
import { factorial } from "../kernels/factorial.ts";
import { ReactionNetwork } from "../processes/reaction_network.ts";
import { MATHML_NS } from "./_mathml.ts";

const SID = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHAT = "Cannot write SBML";

/** Escapes text for an XML attribute value or element content. */
function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** A number as SBML writes it: the shortest text that reads back to the same double. */
function num(v: number): string {
  return String(v);
}

/**
 * Writes the document.
 *
 * @param network the network (mass action only)
 * @param id the model id, when given
 * @returns the SBML text
 */
export function writeSbmlText(network: ReactionNetwork, id?: string): string {
  if (!(network instanceof ReactionNetwork)) {
    throw new SdenoTypeError(`${WHAT}: network must be a ReactionNetwork, got ${quote(network)}`);
  }
  const custom = network.reactions.find((r) => r.custom);
  if (custom) {
    throw new SdenoTypeError(
      `${WHAT}: reaction ${
        quote(custom.name)
      } has a custom propensity, a function that has no MathML form; only mass-action networks can be written`,
    );
  }
  if (id !== undefined && !SID.test(id)) {
    throw new SdenoTypeError(
      `${WHAT}: id must be an SBML SId (a letter or _, then letters, digits or _), got ${
        quote(id)
      }`,
    );
  }
  const used = new Set(network.species);
  const unique = (base: string) => {
    let s = base;
    for (let n = 1; used.has(s); n++) s = `${base}_${n}`;
    used.add(s);
    return s;
  };
  const compartment = unique("cell");
  const modelId = id ??
    (SID.test(network.name) && !used.has(network.name) ? network.name : "model");
  used.add(modelId);
  const reactionIds = network.reactions.map((r, j) =>
    SID.test(r.name) && !used.has(r.name) ? unique(r.name) : unique(`r${j}`)
  );
  // local parameters shadow global ids inside their law: avoid species and the compartment
  const k = (() => {
    let s = "k";
    for (let n = 1; network.species.includes(s) || s === compartment; n++) s = `k_${n}`;
    return s;
  })();
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">`);
  out.push(
    `  <model id="${modelId}"${
      network.name && network.name !== modelId ? ` name="${esc(network.name)}"` : ""
    } substanceUnits="item" extentUnits="item" timeUnits="second">`,
  );
  out.push(`    <listOfCompartments>`);
  out.push(
    `      <compartment id="${compartment}" spatialDimensions="3" size="1" constant="true"/>`,
  );
  out.push(`    </listOfCompartments>`);
  out.push(`    <listOfSpecies>`);
  network.species.forEach((s, i) => {
    out.push(
      `      <species id="${s}" compartment="${compartment}" initialAmount="${
        num(network.initial[i]!)
      }" hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>`,
    );
  });
  out.push(`    </listOfSpecies>`);
  if (network.reactions.length > 0) out.push(`    <listOfReactions>`);
  network.reactions.forEach((r, j) => {
    const rid = reactionIds[j]!;
    out.push(
      `      <reaction id="${rid}"${
        rid !== r.name ? ` name="${esc(r.name)}"` : ""
      } reversible="false">`,
    );
    for (
      const [list, side] of [["listOfReactants", r.reactants], [
        "listOfProducts",
        r.products,
      ]] as const
    ) {
      if (side.length === 0) continue;
      out.push(`        <${list}>`);
      for (const [i, c] of side) {
        out.push(
          `          <speciesReference species="${
            network.species[i]
          }" stoichiometry="${c}" constant="true"/>`,
        );
      }
      out.push(`        </${list}>`);
    }
    // the deterministic law whose stochastic form is k·Π C(x_i, r_i): (k / Π r_i!)·Π x_i^{r_i}
    let divisor = 1;
    const factors = [`<ci> ${k} </ci>`];
    for (const [i, c] of r.reactants) {
      divisor *= Number(factorial(c));
      const x = `<ci> ${network.species[i]} </ci>`;
      factors.push(c === 1 ? x : `<apply><power/>${x}<cn type="integer"> ${c} </cn></apply>`);
    }
    let law = factors.length === 1 ? factors[0]! : `<apply><times/>${factors.join("")}</apply>`;
    if (divisor !== 1) law = `<apply><divide/>${law}<cn> ${num(divisor)} </cn></apply>`;
    out.push(`        <kineticLaw>`);
    out.push(`          <math xmlns="${MATHML_NS}">${law}</math>`);
    out.push(`          <listOfLocalParameters>`);
    out.push(`            <localParameter id="${k}" value="${num(r.constant)}"/>`);
    out.push(`          </listOfLocalParameters>`);
    out.push(`        </kineticLaw>`);
    out.push(`      </reaction>`);
  });
  if (network.reactions.length > 0) out.push(`    </listOfReactions>`);
  out.push(`  </model>`);
  out.push(`</sbml>`);
  return out.join("\n") + "\n";
}
