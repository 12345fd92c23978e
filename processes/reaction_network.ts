/**
 * Chemical reaction networks with mass-action or custom propensities.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { factorial } from "../kernels/factorial.ts";

/** A species and its initial copy number. */
export interface SpeciesSpec {
  /** Name: a letter or _ then letters, digits or _. */
  name: string;
  /** Initial count, a non-negative integer (default 0). */
  initial?: number;
}

/**
 * A propensity given as code, for kinetics other than mass action (Hill
 * functions, Michaelis–Menten rate laws, …).
 */
export interface CustomPropensity {
  /** `a(x)` on the CPU; `x[i]` is the count of species i (declaration order). */
  cpu: (x: Float64Array) => number;
  /**
   * The same function for GPU ensembles: the body of a WGSL function
   * `fn(x: array<f32, NS>) -> f32` (NS = number of species), e.g.
   * `return 10.0 / (1.0 + x[1] * x[1]);`. Without it the network cannot run
   * on webgpu.
   */
  wgsl?: string;
  /** Names of the species the propensity reads (for the dependency graph). */
  dependsOn: readonly string[];
}

/** A reaction: reactants → products, with a mass-action constant or a custom propensity. */
export interface ReactionSpec {
  /** Name (default `r<index>`). */
  name?: string;
  /** Species consumed, with their stoichiometric coefficients (positive integers). */
  reactants?: Readonly<Record<string, number>>;
  /** Species produced, with their coefficients. */
  products?: Readonly<Record<string, number>>;
  /** Mass-action rate constant k ≥ 0 (required unless `propensity` is given). */
  rate?: number;
  /** A custom propensity, used instead of mass action. */
  propensity?: CustomPropensity;
}

/**
 * How a mass-action constant k becomes a propensity:
 * `combinatorial` (default): `a(x) = k·Π_i C(x_i, r_i)`, so `2A → B` has
 * `k·A(A−1)/2` (Gillespie 1977, eq. 10; JumpProcesses.jl);
 * `gillespy2`: `a(x) = k·Π_i x_i!/(x_i − r_i)!`, so `2A → B` has `k·A(A−1)`
 * (GillesPy2, StochSS).
 */
export type MassActionConvention = "combinatorial" | "gillespy2";

/** What {@linkcode ReactionNetwork} is built from. */
export interface ReactionNetworkSpec {
  /** Species in state order. */
  species: readonly SpeciesSpec[];
  /** Reactions. */
  reactions: readonly ReactionSpec[];
  /** Mass-action convention (default `combinatorial`). */
  convention?: MassActionConvention;
  /** A name for messages and plots. */
  name?: string;
}

/** A validated reaction with species resolved to indices. */
export interface Reaction {
  /** Name. */
  readonly name: string;
  /** `[species index, coefficient]` of each reactant. */
  readonly reactants: ReadonlyArray<readonly [number, number]>;
  /** `[species index, coefficient]` of each product. */
  readonly products: ReadonlyArray<readonly [number, number]>;
  /** Net change `[species index, products − reactants]`, zero entries dropped. */
  readonly change: ReadonlyArray<readonly [number, number]>;
  /** The rate constant as given (NaN for custom propensities). */
  readonly rate: number;
  /** The constant c of the combinatorial form `a = c·Π C(x_i, r_i)` (NaN for custom). */
  readonly constant: number;
  /** The custom propensity, if any. */
  readonly custom: CustomPropensity | undefined;
  /** Species indices the propensity reads. */
  readonly dependsOn: readonly number[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHAT = "Cannot build the reaction network";

/**
 * The largest stoichiometric coefficient of a reactant. A mass-action
 * propensity has one factor per unit of its reactants' coefficients
 * (`C(x, r) = x (x − 1) ⋯ (x − r + 1) / r!`), written out term by term in the
 * generated direct-method loop and the GPU kernel; elementary reactions have
 * orders up to 3, and 64 leaves room for lumped ones (polymerisation,
 * cooperative binding).
 *
 * @example
 * ```ts
 * import { MAX_REACTANT_COEFFICIENT } from "./reaction_network.ts";
 * import { parseReactionNetwork } from "./reaction_network_parse.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseReactionNetwork("species X = 1\n65 X -> 0 @ 1"), /at most 64/);
 * assert.equal(MAX_REACTANT_COEFFICIENT, 64);
 * ```
 */
export const MAX_REACTANT_COEFFICIENT = 64;

/**
 * The largest stoichiometric coefficient of a product, 2³¹ − 1: a reaction's
 * net change is a 32-bit integer in the GPU kernel.
 *
 * @example
 * ```ts
 * import { MAX_PRODUCT_COEFFICIENT } from "./reaction_network.ts";
 * import assert from "node:assert/strict";
 * assert.equal(MAX_PRODUCT_COEFFICIENT, 2147483647);
 * ```
 */
export const MAX_PRODUCT_COEFFICIENT = 0x7fffffff;

/**
 * A reaction network: species with initial counts and reactions with
 * stoichiometry and mass-action constants (see
 * {@linkcode MassActionConvention}) or custom propensities. Everything is
 * checked when it is built: names (species and reactions each unique),
 * counts, coefficients (at most {@linkcode MAX_REACTANT_COEFFICIENT} for a
 * reactant, {@linkcode MAX_PRODUCT_COEFFICIENT} for a product), rates, and
 * that every species a reaction uses is declared. Any identifier names a
 * species, `toString` and `__proto__` included.
 *
 * @example The small dimerisation 2A ⇌ B
 * ```ts
 * import { ReactionNetwork } from "./reaction_network.ts";
 * import assert from "node:assert/strict";
 * const net = new ReactionNetwork({
 *   species: [{ name: "A", initial: 10 }, { name: "B" }],
 *   reactions: [
 *     { reactants: { A: 2 }, products: { B: 1 }, rate: 1 },
 *     { reactants: { B: 1 }, products: { A: 2 }, rate: 1 },
 *   ],
 * });
 * assert.equal(net.propensity(0, new Float64Array([10, 0])), 45); // 1·C(10, 2)
 * assert.throws(
 *   () => new ReactionNetwork({ species: [{ name: "A" }], reactions: [{ reactants: { C: 1 }, rate: 1 }] }),
 *   /species "C", which is not declared/,
 * );
 * ```
 */
export class ReactionNetwork {
  /** Name (may be empty). */
  readonly name: string;
  /** Species names in state order. */
  readonly species: readonly string[];
  /** Initial counts, in state order. */
  readonly initial: Float64Array;
  /** The reactions. */
  readonly reactions: readonly Reaction[];
  /** The mass-action convention the constants were given in. */
  readonly convention: MassActionConvention;
  #index: Map<string, number>;

  /**
   * Builds and checks a network.
   *
   * @param spec species, reactions, convention and name
   * @throws {SdenoTypeError} for a malformed spec
   * @throws {SdenoRangeError} for a negative rate or count, or an undeclared species
   */
  constructor(spec: ReactionNetworkSpec) {
    if (spec === null || typeof spec !== "object") {
      throw new SdenoTypeError(`${WHAT}: spec must be { species, reactions }, got ${quote(spec)}`);
    }
    const convention = spec.convention ?? "combinatorial";
    if (convention !== "combinatorial" && convention !== "gillespy2") {
      throw new SdenoRangeError(
        `${WHAT}: convention must be "combinatorial" or "gillespy2", got ${quote(convention)}`,
      );
    }
    this.convention = convention;
    this.name = spec.name ?? "";
    if (!Array.isArray(spec.species) || spec.species.length === 0) {
      throw new SdenoTypeError(
        `${WHAT}: species must be a non-empty array, got ${quote(spec.species)}`,
      );
    }
    if (!Array.isArray(spec.reactions)) {
      throw new SdenoTypeError(`${WHAT}: reactions must be an array, got ${quote(spec.reactions)}`);
    }
    this.#index = new Map();
    const names: string[] = [];
    const init: number[] = [];
    spec.species.forEach((s, i) => {
      const name = s?.name;
      if (typeof name !== "string" || !NAME.test(name)) {
        throw new SdenoTypeError(
          `${WHAT}: species[${i}].name must be an identifier (letters, digits, _), got ${
            quote(name)
          }`,
        );
      }
      if (this.#index.has(name)) {
        throw new SdenoRangeError(`${WHAT}: species ${quote(name)} is declared twice`);
      }
      const x0 = s.initial ?? 0;
      if (typeof x0 !== "number" || !Number.isSafeInteger(x0) || x0 < 0) {
        throw new SdenoRangeError(
          `${WHAT}: initial count of species ${quote(name)} must be a non-negative integer, got ${
            quote(x0)
          }`,
        );
      }
      this.#index.set(name, i);
      names.push(name);
      init.push(x0);
    });
    this.species = Object.freeze(names);
    this.initial = Float64Array.from(init);
    const reactions = spec.reactions.map((r, j) => this.#reaction(r, j));
    const seen = new Map<string, number>();
    reactions.forEach((r, j) => {
      const first = seen.get(r.name);
      if (first !== undefined) {
        throw new SdenoRangeError(
          `${WHAT}: reaction name ${
            quote(r.name)
          } is used twice (reactions ${first} and ${j}; unnamed reactions are called r<index>)`,
        );
      }
      seen.set(r.name, j);
    });
    this.reactions = Object.freeze(reactions);
  }

  #resolve(rname: string, where: string, name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) {
      throw new SdenoRangeError(
        `${WHAT}: reaction ${quote(rname)} ${where} species ${
          quote(name)
        }, which is not declared (declared: ${this.species.join(", ")})`,
      );
    }
    return i;
  }

  #side(rname: string, where: string, side: unknown): [number, number][] {
    if (side === undefined) return [];
    if (side === null || typeof side !== "object" || Array.isArray(side)) {
      throw new SdenoTypeError(
        `${WHAT}: reaction ${
          quote(rname)
        }: ${where} must be an object { species: coefficient }, got ${quote(side)}`,
      );
    }
    const out: [number, number][] = [];
    const max = where === "reactants" ? MAX_REACTANT_COEFFICIENT : MAX_PRODUCT_COEFFICIENT;
    for (const [name, coef] of Object.entries(side)) {
      const i = this.#resolve(rname, where === "reactants" ? "consumes" : "produces", name);
      if (typeof coef !== "number" || !Number.isInteger(coef) || coef < 0) {
        throw new SdenoRangeError(
          `${WHAT}: reaction ${quote(rname)}: coefficient of ${
            quote(name)
          } in ${where} must be a non-negative integer, got ${quote(coef)}`,
        );
      }
      if (coef > max) {
        throw new SdenoRangeError(
          `${WHAT}: reaction ${quote(rname)}: coefficient of ${
            quote(name)
          } in ${where} must be at most ${max}, got ${quote(coef)}`,
        );
      }
      if (coef > 0) out.push([i, coef]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  #reaction(r: ReactionSpec, j: number): Reaction {
    if (r === null || typeof r !== "object") {
      throw new SdenoTypeError(`${WHAT}: reactions[${j}] must be an object, got ${quote(r)}`);
    }
    const name = r.name ?? `r${j}`;
    if (typeof name !== "string") {
      throw new SdenoTypeError(
        `${WHAT}: reactions[${j}].name must be a string, got ${quote(name)}`,
      );
    }
    const reactants = this.#side(name, "reactants", r.reactants);
    const products = this.#side(name, "products", r.products);
    const delta = new Map<number, number>();
    for (const [i, c] of reactants) delta.set(i, (delta.get(i) ?? 0) - c);
    for (const [i, c] of products) delta.set(i, (delta.get(i) ?? 0) + c);
    const change = [...delta.entries()].filter(([, d]) => d !== 0).sort((a, b) => a[0] - b[0]);
    let rate = NaN;
    let constant = NaN;
    let dependsOn: number[];
    const custom = r.propensity;
    if (custom !== undefined) {
      if (custom === null || typeof custom !== "object" || typeof custom.cpu !== "function") {
        throw new SdenoTypeError(
          `${WHAT}: reaction ${quote(name)}: propensity must be { cpu, dependsOn, wgsl? }, got ${
            quote(custom)
          }`,
        );
      }
      if (custom.wgsl !== undefined && typeof custom.wgsl !== "string") {
        throw new SdenoTypeError(
          `${WHAT}: reaction ${quote(name)}: propensity.wgsl must be a string, got ${
            quote(custom.wgsl)
          }`,
        );
      }
      if (!Array.isArray(custom.dependsOn)) {
        throw new SdenoTypeError(
          `${WHAT}: reaction ${quote(name)}: propensity.dependsOn must list species names, got ${
            quote(custom.dependsOn)
          }`,
        );
      }
      dependsOn = [...new Set(custom.dependsOn.map((s) => this.#resolve(name, "reads", s)))].sort(
        (a, b) => a - b,
      );
      if (r.rate !== undefined) {
        throw new SdenoTypeError(
          `${WHAT}: reaction ${quote(name)} gives both rate and propensity; give one`,
        );
      }
    } else {
      rate = r.rate as number;
      if (typeof rate !== "number" || !Number.isFinite(rate)) {
        throw new SdenoTypeError(
          `${WHAT}: reaction ${quote(name)}: rate must be a finite number, got ${quote(r.rate)}`,
        );
      }
      if (rate < 0) {
        throw new SdenoRangeError(
          `${WHAT}: reaction ${quote(name)}: rate must be non-negative, got ${quote(rate)}`,
        );
      }
      let scale = 1;
      if (this.convention === "gillespy2") {
        for (const [, c] of reactants) scale *= Number(factorial(c));
      }
      constant = rate * scale;
      dependsOn = reactants.map(([i]) => i);
    }
    return Object.freeze({
      name,
      reactants: Object.freeze(reactants.map((p) => Object.freeze(p))),
      products: Object.freeze(products.map((p) => Object.freeze(p))),
      change: Object.freeze(change.map((p) => Object.freeze(p))),
      rate,
      constant,
      custom,
      dependsOn: Object.freeze(dependsOn),
    }) as Reaction;
  }

  /** Number of species. */
  get speciesCount(): number {
    return this.species.length;
  }

  /**
   * Index of a species in the state vector.
   *
   * @param name the species
   * @returns its index
   * @throws {SdenoRangeError} when it is not declared
   */
  speciesIndex(name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) {
      throw new SdenoRangeError(
        `Cannot find species ${quote(name)}: it is not declared (declared: ${
          this.species.join(", ")
        })`,
      );
    }
    return i;
  }

  /**
   * The propensity `a_j(x)` of reaction j in state x.
   *
   * @param j the reaction index
   * @param x counts in state order
   * @returns `c_j·Π_i C(x_i, r_ij)` for mass action, or the custom value
   */
  propensity(j: number, x: Float64Array): number {
    const r = this.reactions[j]!;
    if (r.custom) return r.custom.cpu(x);
    let a = r.constant;
    for (const [i, c] of r.reactants) a *= binomial(x[i]!, c);
    return a;
  }

  /**
   * The net stoichiometry matrix ν, reactions × species (row j is the
   * change of the state when reaction j fires).
   *
   * @returns a row-major Float64Array of `reactions × species`
   */
  stoichiometry(): Float64Array {
    const s = this.species.length;
    const nu = new Float64Array(this.reactions.length * s);
    this.reactions.forEach((r, j) => {
      for (const [i, d] of r.change) nu[j * s + i] = d;
    });
    return nu;
  }

  /**
   * The dependency graph of Gibson & Bruck (J. Phys. Chem. A 104, 1876,
   * 2000, §3.2): for each reaction j, the reactions whose propensity reads
   * a species that j changes (j itself included when it does).
   *
   * @returns one sorted list of reaction indices per reaction
   */
  dependencyGraph(): number[][] {
    return this.reactions.map((r) => {
      const changed = new Set(r.change.map(([i]) => i));
      const out: number[] = [];
      this.reactions.forEach((s, k) => {
        if (s.dependsOn.some((i) => changed.has(i))) out.push(k);
      });
      return out;
    });
  }
}

/** C(x, r) for an integer count x ≥ 0 (0 when x < r). */
function binomial(x: number, r: number): number {
  if (r === 1) return x;
  if (x < r) return 0;
  if (r === 2) return (x * (x - 1)) / 2;
  let num = 1;
  for (let m = 0; m < r; m++) num *= x - m;
  return num / Number(factorial(r));
}
