/**
 * The chemical master equation of a reaction network on a truncated state
 * space, as a sparse generator.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { ReactionNetwork } from "./reaction_network.ts";
import { RateMatrix } from "./rate_matrix.ts";

/** Options of {@linkcode chemicalMasterEquation}. */
export interface ChemicalMasterEquationOptions {
  /**
   * Largest count kept per species (by name); a reaction that would exceed
   * it leads to the sink state instead. Species not listed are unbounded.
   */
  truncation?: Readonly<Record<string, number>>;
  /** Fail beyond this many states (default 1e6). */
  maxStates?: number;
}

/** The truncated CME from {@linkcode chemicalMasterEquation}. */
export interface ChemicalMasterEquation {
  /** The generator on the reachable states (plus the sink, if any). */
  generator: RateMatrix;
  /** Counts of each state, row-major states × species (the sink's row is −1). */
  states: Int32Array;
  /** Number of species. */
  species: number;
  /** Index of the initial state. */
  initial: number;
  /** Index of the absorbing sink collecting the mass that leaves the box, or −1 if none is needed. */
  sink: number;
  /** Index of a state given its counts, or −1 when it is not in the truncated space. */
  indexOf(x: ArrayLike<number>): number;
}

/**
 * The chemical master equation `dp/dt = p·Q` (Gillespie, Physica A 188,
 * 404, 1992; finite state projection of Munsky & Khammash, J. Chem. Phys.
 * 124, 044104, 2006): the states reachable from the initial counts by
 * breadth-first search, within the per-species bounds, with
 * `Q[x][x + ν_j] = a_j(x)`. Mass that would leave the bounds goes to one
 * absorbing sink, so `p_sink(t)` is the truncation error (the FSP bound).
 *
 * @param network the reaction network
 * @param options `truncation` per species, `maxStates`
 * @returns the generator, the state table, the initial and sink indices
 * @throws {SdenoRangeError} when the reachable set exceeds `maxStates`, or a bound is below the initial count
 *
 * @example The small dimerisation has 6 states
 * ```ts
 * import { parseReactionNetwork } from "./reaction_network_parse.ts";
 * import { chemicalMasterEquation } from "./reaction_network_cme.ts";
 * import assert from "node:assert/strict";
 * const net = parseReactionNetwork("species A = 10, B\n2 A -> B @ 1\nB -> 2 A @ 1");
 * const cme = chemicalMasterEquation(net);
 * assert.equal(cme.generator.n, 6);
 * assert.equal(cme.sink, -1);
 * assert.equal(cme.generator.get(cme.indexOf([10, 0]), cme.indexOf([8, 1])), 45);
 * ```
 */
export function chemicalMasterEquation(
  network: ReactionNetwork,
  options: ChemicalMasterEquationOptions = {},
): ChemicalMasterEquation {
  const what = "Cannot build the chemical master equation";
  const s = network.speciesCount;
  const maxStates = checkInteger(what, "maxStates", options.maxStates ?? 1e6, 1);
  const bound = new Float64Array(s).fill(Infinity);
  const trunc = options.truncation ?? {};
  if (trunc === null || typeof trunc !== "object") {
    throw new SdenoTypeError(`${what}: truncation must map species to counts, got ${quote(trunc)}`);
  }
  for (const [name, b] of Object.entries(trunc)) {
    const i = network.speciesIndex(name);
    checkInteger(what, `truncation.${name}`, b, 0);
    if (b < network.initial[i]!) {
      throw new SdenoRangeError(
        `${what}: truncation.${name} must be at least the initial count ${
          network.initial[i]
        }, got ${quote(b)}`,
      );
    }
    bound[i] = b;
  }
  const index = new Map<string, number>();
  const table: number[] = [];
  const keyOf = (x: ArrayLike<number>) => Array.prototype.join.call(x, ",");
  const add = (x: Float64Array): number => {
    const k = keyOf(x);
    let id = index.get(k);
    if (id === undefined) {
      id = index.size;
      if (id >= maxStates) {
        throw new SdenoRangeError(
          `${what}: more than maxStates = ${maxStates} reachable states; bound the counts with options.truncation`,
        );
      }
      index.set(k, id);
      for (let i = 0; i < s; i++) table.push(x[i]!);
    }
    return id;
  };
  const rates: [number, number, number][] = [];
  const sinkRates: [number, number][] = [];
  add(network.initial);
  const x = new Float64Array(s);
  const y = new Float64Array(s);
  for (let id = 0; id < index.size; id++) {
    for (let i = 0; i < s; i++) x[i] = table[id * s + i]!;
    network.reactions.forEach((r, j) => {
      const a = network.propensity(j, x);
      if (!(a > 0)) return;
      y.set(x);
      let outside = false;
      for (const [i, d] of r.change) {
        y[i] = y[i]! + d;
        if (y[i]! < 0) {
          throw new SdenoRangeError(
            `${what}: reaction ${quote(r.name)} has propensity ${a} in state (${
              keyOf(x)
            }) but would make a count negative`,
          );
        }
        if (y[i]! > bound[i]!) outside = true;
      }
      if (outside) sinkRates.push([id, a]);
      else rates.push([id, add(y), a]);
    });
  }
  const n0 = index.size;
  const sink = sinkRates.length > 0 ? n0 : -1;
  for (const [id, a] of sinkRates) rates.push([id, n0, a]);
  const n = n0 + (sink >= 0 ? 1 : 0);
  const states = new Int32Array(n * s);
  states.set(table);
  if (sink >= 0) states.fill(-1, n0 * s);
  return {
    generator: RateMatrix.fromRates(n, rates),
    states,
    species: s,
    initial: 0,
    sink,
    indexOf: (v) => index.get(keyOf(v)) ?? -1,
  };
}
