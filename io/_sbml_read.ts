// SBML Level 3 core to a ReactionNetwork: the model's elements, initial
// values, and each kinetic law as mass action or a compiled propensity.
// The rules it follows are stated in io/sbml.ts (parseSbml).

import { quote, SdenoParseError, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { factorial } from "../kernels/factorial.ts";
import {
  type CustomPropensity,
  ReactionNetwork,
  type ReactionSpec,
  type SpeciesSpec,
} from "../processes/reaction_network.ts";
import { parseXml, type XmlElement } from "./_xml_parser.ts";
import type { SbmlModel, SbmlReactionInfo } from "./sbml.ts";
import {
  AVOGADRO,
  type MathContext,
  type MathExpr,
  type MathFunction,
  parseLambda,
  parseMath,
  typeOf,
} from "./_mathml.ts";
import {
  compileCpu,
  evaluate,
  fold,
  isBool,
  isConstant,
  NotWgslError,
  speciesOf,
  toWgsl,
} from "./_mathml_compile.ts";

const WHAT = "Cannot read SBML";
const CORE = /^http:\/\/www\.sbml\.org\/sbml\/level3\/version([12])\/core$/;

interface SpeciesInfo {
  el: XmlElement;
  id: string;
  compartment: string;
  hasOnlySubstanceUnits: boolean;
  boundary: boolean;
  constant: boolean;
  /** index in the state, or -1 for a species the reactions do not change */
  index: number;
}

type SymbolKind = "compartment" | "species" | "parameter" | "reaction" | "function";

function bool(el: XmlElement, name: string, dflt: boolean): boolean {
  const v = el.attrs[name];
  if (v === undefined) return dflt;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new SdenoParseError(
    `${WHAT}: ${label(el)}: attribute ${name} must be true or false, got ${quote(v)}`,
    { line: el.line, column: el.column },
  );
}

function real(el: XmlElement, name: string): number | undefined {
  const v = el.attrs[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === "INF" || t === "-INF" || t === "NaN") {
    return t === "NaN" ? NaN : t[0] === "-" ? -Infinity : Infinity;
  }
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) {
    throw new SdenoParseError(
      `${WHAT}: ${label(el)}: attribute ${name} must be a number, got ${quote(v)}`,
      { line: el.line, column: el.column },
    );
  }
  return Number(t);
}

/** `<species id="A">` (line 12) for messages. */
function label(el: XmlElement): string {
  const id = el.attrs.id ?? el.attrs.variable ?? el.attrs.symbol ?? el.attrs.metaid;
  const key = el.attrs.id !== undefined
    ? "id"
    : el.attrs.variable !== undefined
    ? "variable"
    : el.attrs.symbol !== undefined
    ? "symbol"
    : "metaid";
  return `<${el.name}${id === undefined ? "" : ` ${key}="${id}"`}> (line ${el.line})`;
}

function refuse(el: XmlElement, why: string): never {
  throw new SdenoRangeError(`${WHAT}: ${label(el)} ${why}`);
}

/**
 * Reads an SBML Level 3 document into a network.
 *
 * @param text the document
 * @param name the network's name (default the model's id)
 * @returns the network and how each reaction was read
 */
export function readSbmlModel(text: string, name?: string): SbmlModel {
  const root = parseXml(text, WHAT);
  const core = CORE.exec(root.ns);
  if (root.name !== "sbml" || !core) {
    throw new SdenoRangeError(
      `${WHAT}: the root element must be <sbml> in the SBML Level 3 core namespace, got <${root.name}> in ${
        quote(root.ns)
      } (only Level 3 Version 1 and 2 are read)`,
    );
  }
  if (root.attrs.level !== "3" || root.attrs.version !== core[1]) {
    throw new SdenoRangeError(
      `${WHAT}: <sbml> must have level="3" version="${core[1]}" as its namespace says, got level ${
        quote(root.attrs.level)
      } version ${quote(root.attrs.version)}`,
    );
  }
  for (const [ns, local, value] of root.nsAttrs) {
    if (local === "required" && (value === "true" || value === "1")) {
      const prefix = Object.keys(root.attrs).find((k) =>
        k.endsWith(":required") && root.attrs[k] === value
      );
      throw new SdenoRangeError(
        `${WHAT}: <sbml> requires the package ${
          quote(prefix?.split(":")[0] ?? ns)
        } (${ns}), which changes the model's meaning and is not supported (only SBML core is)`,
      );
    }
  }
  const ns = root.ns;
  const models = root.children.filter((c) => c.ns === ns && c.name === "model");
  if (models.length !== 1) {
    throw new SdenoParseError(`${WHAT}: <sbml> must hold one <model>, got ${models.length}`);
  }
  const model = models[0]!;
  if (model.attrs.conversionFactor !== undefined) {
    refuse(model, "has a conversionFactor, which is not supported");
  }
  const lists = new Map<string, XmlElement[]>();
  const LISTS = [
    "listOfFunctionDefinitions",
    "listOfUnitDefinitions",
    "listOfCompartments",
    "listOfSpecies",
    "listOfParameters",
    "listOfInitialAssignments",
    "listOfRules",
    "listOfConstraints",
    "listOfReactions",
    "listOfEvents",
  ];
  for (const c of model.children) {
    if (c.ns !== ns || c.name === "notes" || c.name === "annotation") continue; // other packages: not required
    if (!LISTS.includes(c.name)) refuse(c, "is not an SBML Level 3 core element of <model>");
    if (lists.has(c.name)) refuse(c, "appears twice in <model>");
    lists.set(c.name, children(c, ns));
  }
  const list = (n: string) => lists.get(n) ?? [];
  const event = list("listOfEvents")[0];
  if (event) {
    refuse(
      event,
      "is an event, which is not supported: events change the state at times the SSA does not know",
    );
  }
  const constraint = list("listOfConstraints")[0];
  if (constraint) {
    refuse(constraint, "is a constraint, which is not supported: it would not be enforced");
  }

  // ------------------------------------------------------------ symbols
  const kinds = new Map<string, SymbolKind>();
  const elements = new Map<string, XmlElement>();
  const declare = (el: XmlElement, kind: SymbolKind) => {
    const id = el.attrs.id;
    if (id === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(id)) {
      throw new SdenoParseError(
        `${WHAT}: ${label(el)} needs an id that is an SBML SId, got ${quote(id)}`,
        {
          line: el.line,
          column: el.column,
        },
      );
    }
    if (kinds.has(id)) refuse(el, `reuses the id ${quote(id)} of a ${kinds.get(id)}`);
    kinds.set(id, kind);
    elements.set(id, el);
    return id;
  };
  const fnEls = new Map<string, XmlElement>();
  for (const f of list("listOfFunctionDefinitions")) fnEls.set(declare(f, "function"), f);
  const fns = new Map<string, MathFunction>();
  const fnStack: string[] = [];
  const functions = (id: string): MathFunction | undefined => {
    const done = fns.get(id);
    if (done) return done;
    const el = fnEls.get(id);
    if (!el) return undefined;
    if (fnStack.includes(id)) {
      refuse(el, `is recursive (${[...fnStack, id].join(" → ")}), which SBML forbids`);
    }
    fnStack.push(id);
    const fn = parseLambda(mathOf(el), ctx(`the function definition ${quote(id)}`));
    fnStack.pop();
    fns.set(id, fn);
    return fn;
  };
  const ctx = (where: string): MathContext => ({ what: WHAT, where, functions });
  for (const id of fnEls.keys()) functions(id);

  const units = substanceUnits(list("listOfUnitDefinitions"));
  const u = units(model, "substanceUnits");
  if (model.attrs.extentUnits !== undefined && units(model, "extentUnits") !== u) {
    refuse(model, "has extentUnits that differ from its substanceUnits, which is not supported");
  }

  const compartments = new Map<string, XmlElement>();
  for (const c of list("listOfCompartments")) compartments.set(declare(c, "compartment"), c);
  const species = new Map<string, SpeciesInfo>();
  for (const s of list("listOfSpecies")) {
    const id = declare(s, "species");
    const compartment = s.attrs.compartment ?? "";
    if (!compartments.has(compartment)) {
      refuse(s, `names the compartment ${quote(compartment)}, which is not declared`);
    }
    if (s.attrs.conversionFactor !== undefined) {
      refuse(s, "has a conversionFactor, which is not supported");
    }
    if (s.attrs.substanceUnits !== undefined && units(s, "substanceUnits") !== u) {
      refuse(s, "has substanceUnits that differ from the model's, which is not supported");
    }
    if (s.attrs.initialAmount !== undefined && s.attrs.initialConcentration !== undefined) {
      refuse(s, "gives both initialAmount and initialConcentration; SBML allows one");
    }
    species.set(id, {
      el: s,
      id,
      compartment,
      hasOnlySubstanceUnits: bool(s, "hasOnlySubstanceUnits", false),
      boundary: bool(s, "boundaryCondition", false),
      constant: bool(s, "constant", false),
      index: -1,
    });
  }
  const parameters = new Map<string, XmlElement>();
  for (const p of list("listOfParameters")) parameters.set(declare(p, "parameter"), p);
  const reactionEls = list("listOfReactions");
  for (const r of reactionEls) declare(r, "reaction");

  // ------------------------------------------------------------ rules
  const initialAssignments = new Map<string, MathExpr>();
  for (const a of list("listOfInitialAssignments")) {
    if (a.name !== "initialAssignment") refuse(a, "is not an initialAssignment");
    const target = a.attrs.symbol ?? "";
    const k = kinds.get(target);
    if (k !== "compartment" && k !== "species" && k !== "parameter") {
      refuse(a, `assigns ${quote(target)}, which is not a compartment, species or parameter`);
    }
    if (initialAssignments.has(target)) refuse(a, `assigns ${quote(target)} a second time`);
    initialAssignments.set(
      target,
      parseMath(mathOf(a), ctx(`the initial assignment to ${quote(target)}`)),
    );
  }
  const assignmentRules = new Map<string, MathExpr>();
  for (const r of list("listOfRules")) {
    if (r.name === "rateRule") {
      refuse(r, "is a rate rule, which is not supported: it makes the variable follow an ODE");
    }
    if (r.name === "algebraicRule") {
      refuse(r, "is an algebraic rule, which is not supported: it constrains the state");
    }
    if (r.name !== "assignmentRule") refuse(r, "is not an SBML Level 3 rule");
    const target = r.attrs.variable ?? "";
    const k = kinds.get(target);
    if (k !== "compartment" && k !== "species" && k !== "parameter") {
      refuse(r, `assigns ${quote(target)}, which is not a compartment, species or parameter`);
    }
    if (assignmentRules.has(target) || initialAssignments.has(target)) {
      refuse(
        r,
        `assigns ${quote(target)}, which already has an assignment rule or initial assignment`,
      );
    }
    assignmentRules.set(
      target,
      parseMath(mathOf(r), ctx(`the assignment rule for ${quote(target)}`)),
    );
  }
  for (const [id, e] of [...initialAssignments, ...assignmentRules]) {
    typeCheckNumber(
      e,
      `the ${assignmentRules.has(id) ? "assignment rule" : "initial assignment"} for ${quote(id)}`,
    );
  }

  // ------------------------------------------------------------ values at t = 0
  const values = new Map<string, number>();
  const stack: string[] = [];
  const unknown = (id: string, where: string): never => {
    const k = kinds.get(id);
    throw new SdenoRangeError(
      k === "reaction"
        ? `${WHAT}: ${where} names the reaction ${
          quote(id)
        }; a reaction's rate as a symbol is not supported`
        : k === "function"
        ? `${WHAT}: ${where} names the function ${quote(id)} without applying it`
        : `${WHAT}: ${where} names the unknown symbol ${quote(id)}`,
    );
  };
  /** The value `<ci>id</ci>` takes at t = 0 (a species: its concentration unless hasOnlySubstanceUnits). */
  const value0 = (id: string, where: string): number => {
    const got = values.get(id);
    if (got !== undefined) return got;
    const kind = kinds.get(id);
    if (kind !== "compartment" && kind !== "species" && kind !== "parameter") unknown(id, where);
    const el = elements.get(id)!;
    if (stack.includes(id)) {
      refuse(
        el,
        `has a cycle of initial assignments and assignment rules: ${
          [...stack.slice(stack.indexOf(id)), id].join(" → ")
        }`,
      );
    }
    stack.push(id);
    const rule = initialAssignments.get(id) ?? assignmentRules.get(id);
    const here = `the ${
      initialAssignments.has(id) ? "initial assignment" : "assignment rule"
    } for ${quote(id)}`;
    let v: number | undefined;
    if (rule) {
      v = evaluate(rule, (s) => value0(s, here), undefined, 0);
    } else if (kind === "compartment") {
      v = real(el, "size");
    } else if (kind === "parameter") {
      v = real(el, "value");
    } else {
      const sp = species.get(id)!;
      const amount = real(el, "initialAmount");
      const conc = real(el, "initialConcentration");
      const vol = () => size(sp.compartment, `the compartment of species ${quote(id)}`);
      if (amount !== undefined) v = sp.hasOnlySubstanceUnits ? amount : amount / vol();
      else if (conc !== undefined) v = sp.hasOnlySubstanceUnits ? conc * vol() : conc;
    }
    stack.pop();
    if (v === undefined) {
      refuse(
        el,
        `has no value: give ${
          kind === "compartment"
            ? "size"
            : kind === "parameter"
            ? "value"
            : "initialAmount or initialConcentration"
        }, an initial assignment or an assignment rule`,
      );
    }
    values.set(id, v);
    return v;
  };
  const size = (c: string, where: string): number => {
    const v = value0(c, where);
    const rule = assignmentRules.get(c);
    if (rule && !isConstant(bindRaw(rule, `the assignment rule for ${quote(c)}`))) {
      refuse(elements.get(c)!, "has a size that changes with the state, which is not supported");
    }
    if (!(v > 0) || !Number.isFinite(v)) {
      refuse(elements.get(c)!, `must have a positive finite size to hold species, got ${quote(v)}`);
    }
    return v;
  };

  // every initial value and rule resolves, in dependency order (a cycle or an unknown symbol is refused)
  for (const id of [...initialAssignments.keys(), ...assignmentRules.keys()]) {
    value0(id, `the assignment to ${quote(id)}`);
  }

  // ------------------------------------------------------------ state species
  const reactionSpecies = new Set<string>();
  const changed = new Set<string>();
  for (const r of reactionEls) {
    for (
      const ref of speciesRefs(r, ns, "listOfReactants").concat(
        speciesRefs(r, ns, "listOfProducts"),
      )
    ) {
      reactionSpecies.add(ref.attrs.species ?? "");
    }
  }
  const state: SpeciesInfo[] = [];
  for (const sp of species.values()) {
    const ruled = assignmentRules.has(sp.id);
    if (sp.boundary || sp.constant || ruled) {
      if (reactionSpecies.has(sp.id) && !sp.boundary) {
        refuse(
          sp.el,
          `is a reactant or product but is ${
            ruled ? "set by an assignment rule" : "constant"
          } and not a boundary species, which SBML forbids`,
        );
      }
      continue;
    }
    sp.index = state.length;
    state.push(sp);
    changed.add(sp.id);
  }
  const specs: SpeciesSpec[] = state.map((sp) => {
    const v0 = value0(sp.id, `species ${quote(sp.id)}`);
    const amount = sp.hasOnlySubstanceUnits
      ? v0
      : v0 * size(sp.compartment, `species ${quote(sp.id)}`);
    const count = amount * u;
    const near = Math.round(count);
    if (
      !Number.isFinite(count) || count < 0 || Math.abs(count - near) > 1e-9 * Math.max(1, near) ||
      near > Number.MAX_SAFE_INTEGER
    ) {
      refuse(
        sp.el,
        `has an initial amount of ${amount} substance units = ${count} molecules (${u} per unit), which is not a whole non-negative number of molecules below 2^53`,
      );
    }
    return { name: sp.id, initial: near };
  });

  // ------------------------------------------------------------ binding
  const bindStack: string[] = [];
  /** Binds symbols: state species become x[i]·scale, rules are inlined, the rest are numbers. */
  function bindRaw(e: MathExpr, where: string, local?: ReadonlyMap<string, number>): MathExpr {
    switch (e.kind) {
      case "symbol": {
        const id = e.name;
        const lv = local?.get(id);
        if (lv !== undefined) return { kind: "number", value: lv };
        const rule = assignmentRules.get(id);
        if (rule) {
          if (bindStack.includes(id)) {
            refuse(
              elements.get(id)!,
              `has a cycle of assignment rules: ${[...bindStack, id].join(" → ")}`,
            );
          }
          bindStack.push(id);
          const b = bindRaw(rule, `the assignment rule for ${quote(id)}`);
          bindStack.pop();
          return b;
        }
        const sp = species.get(id);
        if (sp && sp.index >= 0) {
          const scale = sp.hasOnlySubstanceUnits ? 1 / u : 1 / (u * size(sp.compartment, where));
          return { kind: "species", index: sp.index, scale };
        }
        return { kind: "number", value: value0(id, where) };
      }
      case "time":
        throw new SdenoRangeError(
          `${WHAT}: ${where} reads the time (csymbol time), which is not supported: the SSA needs propensities that depend on the state only`,
        );
      case "apply":
        return { kind: "apply", op: e.op, args: e.args.map((a) => bindRaw(a, where, local)) };
      case "piecewise":
        return {
          kind: "piecewise",
          pieces: e.pieces.map(([v, c]) => [bindRaw(v, where, local), bindRaw(c, where, local)]),
          otherwise: e.otherwise && bindRaw(e.otherwise, where, local),
        };
      default:
        return e;
    }
  }
  function typeCheckNumber(e: MathExpr, where: string): void {
    if (typeOf(e, WHAT, where) !== "number") {
      throw new SdenoTypeError(`${WHAT}: ${where} must be a number, got a boolean expression`);
    }
  }

  // ------------------------------------------------------------ reactions
  const reactions: ReactionSpec[] = [];
  const infos: SbmlReactionInfo[] = [];
  for (const r of reactionEls) {
    const id = r.attrs.id!;
    const where = `the kinetic law of reaction ${quote(id)}`;
    if (bool(r, "fast", false)) refuse(r, "is fast, which is not supported");
    const side = (listName: string) => {
      const out: Record<string, number> = {};
      for (const ref of speciesRefs(r, ns, listName)) {
        const sid = ref.attrs.species ?? "";
        if (!species.has(sid)) {
          refuse(
            ref,
            `in reaction ${quote(id)} names the species ${quote(sid)}, which is not declared`,
          );
        }
        if (
          ref.attrs.id !== undefined &&
          (initialAssignments.has(ref.attrs.id) || assignmentRules.has(ref.attrs.id))
        ) {
          refuse(
            ref,
            `in reaction ${quote(id)} has a stoichiometry set by a rule, which is not supported`,
          );
        }
        const st = real(ref, "stoichiometry");
        if (st === undefined || !Number.isInteger(st) || st < 0) {
          refuse(
            ref,
            `in reaction ${
              quote(id)
            } must have a whole non-negative stoichiometry for a stochastic simulation, got ${
              quote(ref.attrs.stoichiometry)
            }`,
          );
        }
        if (changed.has(sid) && st > 0) out[sid] = (out[sid] ?? 0) + st;
      }
      return out;
    };
    const reactants = side("listOfReactants"), products = side("listOfProducts");
    for (const m of speciesRefs(r, ns, "listOfModifiers")) {
      if (!species.has(m.attrs.species ?? "")) {
        refuse(
          m,
          `in reaction ${quote(id)} names the species ${
            quote(m.attrs.species)
          }, which is not declared`,
        );
      }
    }
    const lawEl = children(r, ns).find((c) => c.name === "kineticLaw");
    if (!lawEl) refuse(r, "has no kinetic law, so its rate is unknown");
    const local = new Map<string, number>();
    for (const lp of children(lawEl, ns)) {
      if (lp.name !== "listOfLocalParameters" && lp.name !== "listOfParameters") continue;
      for (const p of children(lp, ns)) {
        const pid = p.attrs.id ?? "";
        const v = real(p, "value");
        if (v === undefined) refuse(p, `in reaction ${quote(id)} has no value`);
        if (local.has(pid)) refuse(p, `in reaction ${quote(id)} is declared twice`);
        local.set(pid, v);
      }
    }
    const law = parseMath(mathOf(lawEl), ctx(where));
    typeCheckNumber(law, where);
    const reversible = bool(r, "reversible", false);
    const parts: [string, MathExpr, Record<string, number>, Record<string, number>][] = [];
    if (reversible) {
      if (law.kind !== "apply" || law.op !== "minus" || law.args.length !== 2) {
        refuse(
          r,
          "is reversible, and its kinetic law is not a difference forward − reverse, so it cannot be split into two reactions with non-negative propensities (write it as two irreversible reactions, or as <minus/> of the two rates)",
        );
      }
      parts.push([`${id}_fwd`, law.args[0]!, reactants, products]);
      parts.push([`${id}_rev`, law.args[1]!, products, reactants]);
    } else {
      parts.push([id, law, reactants, products]);
    }
    for (const [rname, expr, re, pr] of parts) {
      const mass = massAction(
        expr,
        Object.entries(re).map(([sid, n]) => [species.get(sid)!.index, n]),
        (e) => bindRaw(e, where, local),
      );
      if (mass !== undefined) {
        const rate = mass * u;
        if (!(rate >= 0) || !Number.isFinite(rate)) {
          refuse(
            r,
            `has a mass-action law whose rate constant is ${rate}, not a finite non-negative number`,
          );
        }
        reactions.push({ name: rname, reactants: re, products: pr, rate });
        infos.push({ name: rname, id, kind: "mass-action" });
        continue;
      }
      let bound = bindRaw(expr, where, local);
      if (u !== 1) {
        bound = { kind: "apply", op: "times", args: [{ kind: "number", value: u }, bound] };
      }
      const folded = fold(bound, isBool);
      const propensity: CustomPropensity = {
        cpu: compileCpu(folded),
        dependsOn: speciesOf(folded).map((i) => state[i]!.id),
      };
      try {
        propensity.wgsl = toWgsl(folded);
      } catch (e) {
        if (!(e instanceof NotWgslError)) throw e;
      }
      reactions.push({ name: rname, reactants: re, products: pr, propensity });
      infos.push({ name: rname, id, kind: "general" });
    }
  }
  const network = new ReactionNetwork({
    name: name ?? model.attrs.id ?? model.attrs.name ?? "",
    species: specs,
    reactions,
  });
  return { network, reactions: infos, itemsPerSubstance: u };
}

/** Element children in the SBML namespace (package elements are skipped). */
function children(el: XmlElement, ns: string): XmlElement[] {
  return el.children.filter((c) => c.ns === ns && c.name !== "notes" && c.name !== "annotation");
}

function speciesRefs(r: XmlElement, ns: string, listName: string): XmlElement[] {
  return children(r, ns).filter((c) => c.name === listName).flatMap((l) => children(l, ns));
}

function mathOf(el: XmlElement): XmlElement {
  const math = el.children.find((c) => c.name === "math");
  if (!math) {
    throw new SdenoParseError(`${WHAT}: ${label(el)} has no <math>`, {
      line: el.line,
      column: el.column,
    });
  }
  return math;
}

/**
 * Molecules per substance unit: item (or no unit declared) 1, mole
 * Avogadro's number, and unit definitions that scale one of them.
 */
function substanceUnits(defs: XmlElement[]): (el: XmlElement, attr: string) => number {
  const byId = new Map(defs.map((d) => [d.attrs.id ?? "", d]));
  return (el, attr) => {
    const ref = el.attrs[attr];
    if (ref === undefined || ref === "item" || ref === "dimensionless") return 1;
    if (ref === "mole") return AVOGADRO;
    const def = byId.get(ref);
    const unitList = def?.children.find((c) => c.name === "listOfUnits")?.children ?? [];
    const unit = unitList[0];
    const kind = unit?.attrs.kind;
    const exponent = unit ? real(unit, "exponent") ?? 1 : NaN;
    if (!def || unitList.length !== 1 || (kind !== "item" && kind !== "mole") || exponent !== 1) {
      refuse(
        el,
        `has ${attr} ${
          quote(ref)
        }, which is not item, mole or a unit definition that scales one of them`,
      );
    }
    const scale = real(unit!, "scale") ?? 0;
    const multiplier = real(unit!, "multiplier") ?? 1;
    return multiplier * 10 ** scale * (kind === "mole" ? AVOGADRO : 1);
  };
}

/**
 * The combinatorial mass-action constant of a law that is
 * `K · Π_i s_i^{r_i}` over exactly the reactants (with their
 * stoichiometries r_i), or undefined. K collects numbers, parameters and
 * compartment sizes; s_i = x_i·scale_i is the species' value in the law.
 * Replacing x^r by the falling factorial x(x−1)⋯(x−r+1) = r!·C(x, r) gives
 * the stochastic propensity `(Π r_i!)·K·Π scale_i^{r_i} · Π C(x_i, r_i)`.
 * The integers (r_i! and literal numbers) are multiplied first, so a law
 * written as `k·X³/6` gives back k exactly.
 */
function massAction(
  law: MathExpr,
  reactants: [number, number][],
  bind: (e: MathExpr) => MathExpr,
): number | undefined {
  let num = 1, den = 1;
  const others: [number, number][] = [];
  const powers = new Map<number, number>();
  const walk = (e: MathExpr, p: number): boolean => {
    if (e.kind === "number") {
      if (p > 0) num *= e.value ** p;
      else den *= e.value ** -p;
      return true;
    }
    if (e.kind === "apply" && e.op === "times") return e.args.every((a) => walk(a, p));
    if (e.kind === "apply" && e.op === "divide") return walk(e.args[0]!, p) && walk(e.args[1]!, -p);
    if (
      e.kind === "apply" && e.op === "power" && e.args[1]!.kind === "number" &&
      Number.isInteger(e.args[1]!.value)
    ) {
      return walk(e.args[0]!, p * e.args[1]!.value);
    }
    const b = bind(e);
    if (b.kind === "species") {
      powers.set(b.index, (powers.get(b.index) ?? 0) + p);
      others.push([b.scale, p]);
      return true;
    }
    if (!isConstant(b)) return false;
    others.push([evaluate(b, () => NaN), p]);
    return true;
  };
  if (!walk(law, 1)) return undefined;
  if (powers.size !== reactants.length) return undefined;
  for (const [i, r] of reactants) {
    if (powers.get(i) !== r) return undefined;
    num *= Number(factorial(r));
  }
  let k = num / den;
  for (const [v, p] of others) {
    for (let q = 0; q < p; q++) k *= v;
    for (let q = 0; q < -p; q++) k /= v;
  }
  return k;
}
