/**
 * The stochastic simulation algorithms as declared methods, in one
 * {@linkcode MethodRegistry}: each method is an object with its metadata
 * ({@linkcode SsaMethodInfo}: names users know from JumpProcesses.jl,
 * GillesPy2 and StochPy, exact or approximate, per-path counts or ensemble
 * statistics, backends and their arithmetic, the Philox purpose of its draws)
 * and its `run` function. Scripts, tests and benchmarks list the methods from
 * {@linkcode SSA_METHODS}; adding a method is its file plus one line here.
 *
 * @module
 */

import {
  type Method,
  type MethodBackend,
  type MethodInfo,
  methodInfoProblems,
  MethodRegistry,
} from "../method_registry.ts";
import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import type { SsaOptions, SsaResult } from "./_ssa_common.ts";
import { ssaDirectMethod } from "./ssa_direct.ts";
import { nextReactionMethod } from "./next_reaction.ts";
import { firstReactionMethod } from "./first_reaction.ts";
import { tauLeapingMethod } from "./tau_leaping.ts";
import {
  ssaEnsembleMethod,
  type SsaEnsembleOptions,
  type SsaEnsembleResult,
} from "./ssa_ensemble.ts";

/** What an SSA method declares, beyond every method's {@linkcode MethodInfo}. */
export interface SsaMethodInfo extends MethodInfo {
  /** Always `"ssa"`. */
  readonly family: "ssa";
  /**
   * Whether its paths follow the chemical master equation's law exactly
   * (Gillespie 1976, 1977) rather than approximately (tau-leaping).
   */
  readonly exact: boolean;
  /**
   * What a run returns: every path's counts at the save times (`paths`,
   * an {@linkcode SsaResult}), or streaming ensemble statistics (`moments`,
   * an {@linkcode SsaEnsembleResult}).
   */
  readonly output: "paths" | "moments";
  /** The floating-point arithmetic of each backend it runs on. */
  readonly precision: Readonly<Partial<Record<MethodBackend, "f64" | "f32">>>;
  /** The Philox purpose word of its draws (a value of `PHILOX_PURPOSES`). */
  readonly purpose: number;
}

/** A method returning every path's counts. */
export interface SsaPathMethod extends Method<SsaMethodInfo> {
  /**
   * Runs the method.
   *
   * @param network the reaction network
   * @param options end time, save times, paths, key, …
   * @returns counts at the save times, firings, steps, absorption times
   */
  run(network: ReactionNetwork, options: SsaOptions): SsaResult;
}

/** A method returning ensemble statistics. */
export interface SsaEnsembleMethod extends Method<SsaMethodInfo> {
  /**
   * Runs the method.
   *
   * @param network the reaction network
   * @param options backend, end time, save times, paths, key, histogram, …
   * @returns means, variances and their standard errors, histograms
   */
  run(network: ReactionNetwork, options: SsaEnsembleOptions): Promise<SsaEnsembleResult>;
}

/** Any SSA method. */
export type SsaMethod = SsaPathMethod | SsaEnsembleMethod;

/**
 * Whether a method returns per-path counts (its `run` gives an {@linkcode SsaResult}).
 *
 * @param m the method
 * @returns true for `output: "paths"`
 *
 * @example
 * ```ts
 * import { isSsaPathMethod, SSA_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isSsaPathMethod(SSA_METHODS.get("gillespie")));
 * assert.ok(!isSsaPathMethod(SSA_METHODS.get("ensemble")));
 * ```
 */
export function isSsaPathMethod(m: SsaMethod): m is SsaPathMethod {
  return m.info.output === "paths";
}

const PURPOSES = new Set<number>(Object.values(PHILOX_PURPOSES));

/**
 * The problems with an SSA method's declaration, as messages (empty when it
 * is well declared): those of {@linkcode methodInfoProblems}, plus a
 * non-boolean `exact`, an unknown `output`, a backend without its precision
 * (or a precision for a backend it does not run on), a purpose that is not
 * registered in `PHILOX_PURPOSES`, and a missing `run` function.
 *
 * @param m the method
 * @returns one message per problem
 *
 * @example A method without a declared precision for its backend
 * ```ts
 * import { ssaMethodProblems, SSA_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * const direct = SSA_METHODS.get("direct");
 * assert.deepEqual(ssaMethodProblems(direct), []);
 * const bad = { ...direct, info: { ...direct.info, precision: {} } };
 * assert.match(ssaMethodProblems(bad)[0]!, /precision/);
 * ```
 */
export function ssaMethodProblems(m: SsaMethod): string[] {
  if (m === null || typeof m !== "object") return [`a method must be an object, got ${quote(m)}`];
  const info = m.info;
  const p = methodInfoProblems(info, "ssa");
  if (info === null || typeof info !== "object") return p;
  const label = typeof info.name === "string" ? info.name : quote(info.name);
  if (typeof info.exact !== "boolean") p.push(`${label}: exact must be a boolean`);
  if (info.output !== "paths" && info.output !== "moments") {
    p.push(`${label}: output must be "paths" or "moments", got ${quote(info.output)}`);
  }
  const precision = info.precision;
  if (precision === null || typeof precision !== "object") {
    p.push(`${label}: precision must map each backend to "f64" or "f32"`);
  } else {
    const backends: readonly MethodBackend[] = Array.isArray(info.backends) ? info.backends : [];
    for (const b of backends) {
      const v = precision[b];
      if (v !== "f64" && v !== "f32") {
        p.push(`${label}: precision.${b} must be "f64" or "f32", got ${quote(v)}`);
      }
    }
    for (const b of Object.keys(precision)) {
      if (!backends.includes(b as MethodBackend)) {
        p.push(`${label}: precision names backend ${quote(b)}, which it does not run on`);
      }
    }
  }
  if (!PURPOSES.has(info.purpose)) {
    p.push(`${label}: purpose must be a value of PHILOX_PURPOSES, got ${quote(info.purpose)}`);
  }
  if (typeof m.run !== "function") p.push(`${label}: run must be a function`);
  return p;
}

/**
 * A registry of SSA methods, checked: every method's declaration (see
 * {@linkcode ssaMethodProblems}) and that no name or alias is used twice.
 *
 * @param methods the methods
 * @returns the registry
 * @throws {SdenoTypeError} naming each method registered wrongly and why
 *
 * @example A method declared wrongly is reported with its problem
 * ```ts
 * import { ssaRegistry, SSA_METHODS } from "./registry.ts";
 * import assert from "node:assert/strict";
 * const direct = SSA_METHODS.get("direct");
 * const fake = { ...direct, info: { ...direct.info, name: "fake", aliases: [], exact: "yes" } };
 * assert.throws(() => ssaRegistry([direct, fake as never]), /fake: exact must be a boolean/);
 * ```
 */
export function ssaRegistry(methods: readonly SsaMethod[]): MethodRegistry<SsaMethod> {
  const problems = Array.isArray(methods)
    ? methods.flatMap((m) => ssaMethodProblems(m))
    : [`methods must be an array, got ${quote(methods)}`];
  if (problems.length > 0) {
    throw new SdenoTypeError(`Cannot register the ssa methods: ${problems.join("; ")}`);
  }
  return new MethodRegistry<SsaMethod>("ssa", methods);
}

/**
 * Every SSA method, by name or alias: `direct` (Gillespie's direct method,
 * aliases `gillespie`, `ssa`, `ssa-direct`), `next-reaction` (`nrm`,
 * `gibson-bruck`), `first-reaction` (`frm`), `tau-leaping` (`tau-leap`,
 * `cao-tau-leaping`) and `ensemble` (`ssa-ensemble`).
 *
 * @example List the methods, find one by the name JumpProcesses.jl uses
 * ```ts
 * import { isSsaPathMethod, SSA_METHODS } from "./registry.ts";
 * import { parseReactionNetwork } from "../../processes/reaction_network_parse.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(SSA_METHODS.names(), [
 *   "direct", "next-reaction", "first-reaction", "tau-leaping", "ensemble",
 * ]);
 * const nrm = SSA_METHODS.get("nrm");
 * assert.equal(nrm.info.name, "next-reaction");
 * assert.ok(isSsaPathMethod(nrm));
 * const r = nrm.run(parseReactionNetwork("species X = 3\nX -> 0 @ 1"), { tEnd: 1e3 });
 * assert.equal(r.counts[0], 0);
 * ```
 */
export const SSA_METHODS: MethodRegistry<SsaMethod> = ssaRegistry([
  ssaDirectMethod,
  nextReactionMethod,
  firstReactionMethod,
  tauLeapingMethod,
  ssaEnsembleMethod,
]);
