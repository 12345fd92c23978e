// Shared set-up of the stochastic simulation algorithms (private): option
// checks, the network flattened into typed arrays, recording at save times,
// and the result.
import {
  checkFinite,
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { checkKey, type Key } from "../../kernels/philox.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";

/** Options every stochastic simulation algorithm takes. */
export interface SsaOptions {
  /** End time, > 0. */
  tEnd: number;
  /** Times in [0, tEnd], non-decreasing, at which the state is recorded (default `[tEnd]`). */
  saveTimes?: readonly number[];
  /** Number of independent paths (default 1). */
  paths?: number;
  /** Philox key (default `{ seed: 0, stream: 0 }`). */
  key?: Key;
  /** Index of the first path in the counter space (default 0): path p uses counter word `pathOffset + p`. */
  pathOffset?: number;
  /** Initial counts, by species name (others keep the network's) or as a full array. */
  initial?: Readonly<Record<string, number>> | ArrayLike<number>;
  /** Stop a path after this many steps (default 1e9), with an error. */
  maxSteps?: number;
  /** Also record every jump of every path (default false). */
  trajectory?: boolean;
}

/** The jumps of one path: `states` row k (species counts) holds from `times[k]`. */
export interface SsaTrajectory {
  /** Jump times, starting with 0. */
  times: Float64Array;
  /** Counts after each jump, row-major jumps × species. */
  states: Float64Array;
}

/** What every stochastic simulation algorithm returns. */
export interface SsaResult {
  /** Species names (columns of `counts`). */
  species: readonly string[];
  /** Reaction names (columns of `firings`). */
  reactions: readonly string[];
  /** The save times. */
  saveTimes: Float64Array;
  /** Number of paths. */
  paths: number;
  /** Counts X(s) at each save time, row-major paths × saves × species. */
  counts: Float64Array;
  /** Firings of each reaction on [0, tEnd], paths × reactions. */
  firings: Float64Array;
  /** Steps taken per path (jumps for exact methods; leaps plus exact steps for tau-leaping). */
  steps: Float64Array;
  /** Time at which a path reached a state where no reaction can fire, or NaN. */
  absorptionTime: Float64Array;
  /** Every jump, when `trajectory` was set. */
  trajectories?: SsaTrajectory[];
}

/** A network flattened for the inner loops. */
export interface _Compiled {
  ns: number;
  nr: number;
  /** reactant ranges: rs[rStart[j] .. rStart[j+1]) with orders ro */
  rStart: Int32Array;
  rs: Int32Array;
  ro: Int32Array;
  /** net change ranges */
  cStart: Int32Array;
  cs: Int32Array;
  cd: Float64Array;
  /** combinatorial constants (NaN for custom) */
  c: Float64Array;
  custom: (((x: Float64Array) => number) | undefined)[];
  /** dependency graph ranges */
  dStart: Int32Array;
  dl: Int32Array;
  /**
   * Propensity form of each reaction, for {@linkcode _propensityFast}:
   * 0 `c`, 1 `c·x[s1]`, 2 `c·C(x[s1], 2)`, 3 `c·x[s1]·x[s2]`, 4 anything else
   * (custom, or higher orders: {@linkcode _propensity}).
   */
  kind: Int32Array;
  s1: Int32Array;
  s2: Int32Array;
}

const K_CONST = 0, K_ONE = 1, K_PAIR = 2, K_TWO = 3, K_OTHER = 4;

/** Flattens the network. */
export function _compile(net: ReactionNetwork): _Compiled {
  const nr = net.reactions.length;
  const rStart = new Int32Array(nr + 1);
  const cStart = new Int32Array(nr + 1);
  const rs: number[] = [], ro: number[] = [], cs: number[] = [], cd: number[] = [];
  const c = new Float64Array(nr);
  const custom: (((x: Float64Array) => number) | undefined)[] = [];
  net.reactions.forEach((r, j) => {
    for (const [i, o] of r.reactants) {
      rs.push(i);
      ro.push(o);
    }
    rStart[j + 1] = rs.length;
    for (const [i, d] of r.change) {
      cs.push(i);
      cd.push(d);
    }
    cStart[j + 1] = cs.length;
    c[j] = r.constant;
    custom.push(r.custom?.cpu);
  });
  const deps = net.dependencyGraph();
  const dStart = new Int32Array(nr + 1);
  const dl: number[] = [];
  deps.forEach((d, j) => {
    dl.push(...d);
    dStart[j + 1] = dl.length;
  });
  const kind = new Int32Array(nr), s1 = new Int32Array(nr), s2 = new Int32Array(nr);
  net.reactions.forEach((r, j) => {
    const re = r.reactants;
    if (r.custom !== undefined) kind[j] = K_OTHER;
    else if (re.length === 0) kind[j] = K_CONST;
    else if (re.length === 1 && re[0]![1] === 1) [kind[j], s1[j]] = [K_ONE, re[0]![0]];
    else if (re.length === 1 && re[0]![1] === 2) [kind[j], s1[j]] = [K_PAIR, re[0]![0]];
    else if (re.length === 2 && re[0]![1] === 1 && re[1]![1] === 1) {
      [kind[j], s1[j], s2[j]] = [K_TWO, re[0]![0], re[1]![0]];
    } else kind[j] = K_OTHER;
  });
  return {
    kind,
    s1,
    s2,
    ns: net.speciesCount,
    nr,
    rStart,
    rs: Int32Array.from(rs),
    ro: Int32Array.from(ro),
    cStart,
    cs: Int32Array.from(cs),
    cd: Float64Array.from(cd),
    c,
    custom,
    dStart,
    dl: Int32Array.from(dl),
  };
}

/** Propensity of reaction j at x (combinatorial mass action or custom). */
export function _propensity(k: _Compiled, j: number, x: Float64Array): number {
  const f = k.custom[j];
  if (f !== undefined) return _checkCustom(j, f(x), x);
  let a = k.c[j]!;
  for (let p = k.rStart[j]!; p < k.rStart[j + 1]!; p++) {
    const v = x[k.rs[p]!]!;
    const o = k.ro[p]!;
    if (o === 1) a *= v;
    else if (v < o) return 0;
    else if (o === 2) a *= (v * (v - 1)) * 0.5;
    else {
      let num = 1, den = 1;
      for (let m = 0; m < o; m++) {
        num *= v - m;
        den *= m + 1;
      }
      a *= num / den;
    }
  }
  return a;
}

/**
 * {@linkcode _propensity} with the common mass-action forms inlined: the same
 * arithmetic in the same order, so the same number.
 *
 * @param k the compiled network
 * @param j the reaction
 * @param x the counts
 * @returns a_j(x)
 */
export function _propensityFast(k: _Compiled, j: number, x: Float64Array): number {
  switch (k.kind[j]) {
    case K_CONST:
      return k.c[j]!;
    case K_ONE:
      return k.c[j]! * x[k.s1[j]!]!;
    case K_PAIR: {
      const v = x[k.s1[j]!]!;
      return v < 2 ? 0 : k.c[j]! * ((v * (v - 1)) * 0.5);
    }
    case K_TWO:
      return (k.c[j]! * x[k.s1[j]!]!) * x[k.s2[j]!]!;
    default:
      return _propensity(k, j, x);
  }
}

/**
 * JavaScript source of reaction j's propensity, the same arithmetic as
 * {@linkcode _propensity} (so the same number): `species(i)` is the source
 * of species i's count. A custom propensity becomes
 * `check(j, custom[j](x), x)`, so the state must then be in the array `x`.
 *
 * @param k the compiled network
 * @param j the reaction
 * @param species the source text of each species' count
 * @returns a JavaScript expression
 */
export function _propensitySource(
  k: _Compiled,
  j: number,
  species: (i: number) => string,
): string {
  if (k.custom[j] !== undefined) return `check(${j}, custom[${j}](x), x)`;
  let a = _literal(k.c[j]!);
  const guards: string[] = [];
  for (let p = k.rStart[j]!; p < k.rStart[j + 1]!; p++) {
    const v = species(k.rs[p]!);
    const o = k.ro[p]!;
    if (o === 1) {
      a = `(${a} * ${v})`;
      continue;
    }
    guards.push(`${v} < ${o}`);
    if (o === 2) a = `(${a} * ((${v} * (${v} - 1)) * 0.5))`;
    else {
      // num = Π (v − m) from 1·v, den = Π (m + 1): as _propensity forms them
      let num = v, den = 1;
      for (let m = 1; m < o; m++) num = `(${num} * (${v} - ${m}))`;
      for (let m = 0; m < o; m++) den *= m + 1;
      a = `(${a} * (${num} / ${_literal(den)}))`;
    }
  }
  return guards.length === 0 ? a : `((${guards.join(" || ")}) ? 0 : ${a})`;
}

/**
 * A number as a JavaScript literal that reads back as the same double.
 *
 * @param v the number
 * @returns its source text
 */
export function _literal(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${String(v)})` : String(v);
}

/**
 * Throws unless a custom propensity is finite and non-negative.
 *
 * @param j the reaction
 * @param a its propensity
 * @param x the counts, for the message
 * @returns a
 */
export function _checkCustom(j: number, a: number, x: Float64Array): number {
  if (!(a >= 0) || !Number.isFinite(a)) {
    throw new SdenoRangeError(
      `Cannot simulate: custom propensity of reaction ${j} must be finite and non-negative, got ${
        quote(a)
      } at state (${x.join(", ")})`,
    );
  }
  return a;
}

let codegenOff = false;

/**
 * Whether the samplers may compile a network into JavaScript with
 * `new Function` (true unless turned off by {@linkcode _setSsaCodegenDisabled}).
 *
 * @returns whether code generation is on
 */
export function _ssaCodegen(): boolean {
  return !codegenOff;
}

/**
 * Turns the generated inner loops off (the plain typed-array loops run
 * instead, with the same results) or back on, for tests.
 *
 * @param off true to turn code generation off
 * @returns whether it was off before
 */
export function _setSsaCodegenDisabled(off: boolean): boolean {
  const before = codegenOff;
  codegenOff = off;
  return before;
}

/** Checked options with defaults. */
export interface _Setup {
  tEnd: number;
  saveTimes: Float64Array;
  paths: number;
  key: Key;
  pathOffset: number;
  x0: Float64Array;
  maxSteps: number;
  trajectory: boolean;
}

/** Checks the common options before any work. */
export function _setup(what: string, net: ReactionNetwork, options: SsaOptions): _Setup {
  if (net === null || typeof net !== "object" || !Array.isArray(net.reactions)) {
    throw new SdenoTypeError(`${what}: network must be a ReactionNetwork, got ${quote(net)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object with tEnd, got ${quote(options)}`);
  }
  const tEnd = checkFinite(what, "tEnd", options.tEnd);
  if (!(tEnd > 0)) throw new SdenoRangeError(`${what}: tEnd must be positive, got ${quote(tEnd)}`);
  const saves = options.saveTimes ?? [tEnd];
  if (!saves || typeof saves.length !== "number") {
    throw new SdenoTypeError(`${what}: saveTimes must be an array of times, got ${quote(saves)}`);
  }
  const saveTimes = new Float64Array(saves.length);
  let prev = 0;
  for (let k = 0; k < saves.length; k++) {
    const s = checkFinite(what, `saveTimes[${k}]`, saves[k]);
    if (s < prev || s > tEnd) {
      throw new SdenoRangeError(
        `${what}: saveTimes must be non-decreasing in [0, tEnd = ${tEnd}], got saveTimes[${k}] = ${
          quote(s)
        }`,
      );
    }
    saveTimes[k] = prev = s;
  }
  const paths = checkInteger(what, "paths", options.paths ?? 1, 1, 0xffffffff);
  const key = options.key ?? { seed: 0, stream: 0 };
  checkKey(what, key);
  const pathOffset = checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0, 0xffffffff);
  if (pathOffset + paths - 1 > 0xffffffff) {
    throw new SdenoRangeError(
      `${what}: pathOffset + paths must stay below 2³², got ${pathOffset + paths}`,
    );
  }
  const maxSteps = checkInteger(what, "maxSteps", options.maxSteps ?? 1e9, 1);
  const ns = net.speciesCount;
  const x0 = Float64Array.from(net.initial);
  const init = options.initial;
  if (init !== undefined) {
    if (init === null || typeof init !== "object") {
      throw new SdenoTypeError(
        `${what}: initial must be counts by name or an array, got ${quote(init)}`,
      );
    }
    if (typeof (init as ArrayLike<number>).length === "number") {
      const arr = init as ArrayLike<number>;
      if (arr.length !== ns) {
        throw new SdenoTypeError(
          `${what}: initial must have one count per species (${
            net.species.join(", ")
          }), got ${arr.length}`,
        );
      }
      for (let i = 0; i < ns; i++) x0[i] = arr[i]!;
    } else {
      for (const [name, v] of Object.entries(init as Record<string, number>)) {
        if (!net.species.includes(name)) {
          throw new SdenoRangeError(
            `${what}: initial names species ${
              quote(name)
            }, which the network does not declare (declared: ${net.species.join(", ")})`,
          );
        }
        x0[net.speciesIndex(name)] = v;
      }
    }
    x0.forEach((v, i) => {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new SdenoRangeError(
          `${what}: initial count of ${quote(net.species[i])} must be a non-negative integer, got ${
            quote(v)
          }`,
        );
      }
    });
  }
  return {
    tEnd,
    saveTimes,
    paths,
    key,
    pathOffset,
    x0,
    maxSteps,
    trajectory: options.trajectory ?? false,
  };
}

/** Allocates the result. */
export function _result(net: ReactionNetwork, s: _Setup): SsaResult {
  const ns = net.speciesCount, nr = net.reactions.length;
  const r: SsaResult = {
    species: net.species,
    reactions: net.reactions.map((x) => x.name),
    saveTimes: s.saveTimes,
    paths: s.paths,
    counts: new Float64Array(s.paths * s.saveTimes.length * ns),
    firings: new Float64Array(s.paths * nr),
    steps: new Float64Array(s.paths),
    absorptionTime: new Float64Array(s.paths).fill(NaN),
  };
  if (s.trajectory) r.trajectories = [];
  return r;
}

/** Growable record of one path's jumps. */
export class _Recorder {
  times: number[] = [];
  states: number[] = [];
  push(t: number, x: Float64Array): void {
    this.times.push(t);
    for (let i = 0; i < x.length; i++) this.states.push(x[i]!);
  }
  done(): SsaTrajectory {
    return { times: Float64Array.from(this.times), states: Float64Array.from(this.states) };
  }
}

/** Copies x into the save slots whose time is < tNext; returns the next slot. */
export function _saveUntil(
  counts: Float64Array,
  base: number,
  saveTimes: Float64Array,
  si: number,
  tNext: number,
  x: Float64Array,
): number {
  const ns = x.length;
  while (si < saveTimes.length && saveTimes[si]! < tNext) {
    const o = base + si * ns;
    for (let i = 0; i < ns; i++) counts[o + i] = x[i]!;
    si++;
  }
  return si;
}

/** Applies reaction j's net change to x. */
export function _fire(k: _Compiled, j: number, x: Float64Array): void {
  for (let p = k.cStart[j]!; p < k.cStart[j + 1]!; p++) x[k.cs[p]!] = x[k.cs[p]!]! + k.cd[p]!;
}

/** The largest count float64 holds exactly with its neighbours: 2⁵³ − 1. */
export const COUNT_MAX = Number.MAX_SAFE_INTEGER;

/**
 * A method's run-time errors, for one network (its species names), as one
 * function so generated loops can call it: kind 0, a total propensity that
 * is negative, NaN or infinite (`v` = a₀); 1, maxSteps reached; 2, time
 * stopped advancing (`v` = a₀); 3, a count past 2⁵³ − 1 (`v` = the species).
 */
export type _Fail = (kind: number, pathId: number, m: number, t: number, v: number) => never;

/**
 * The {@linkcode _Fail} of a method on a network.
 *
 * @param what the error prefix
 * @param species the species names
 * @returns the function that throws the errors
 */
export function _failFor(what: string, species: readonly string[]): _Fail {
  return (kind, pathId, m, t, v) => {
    const where = { step: m, time: t, index: pathId };
    if (kind === 0) {
      throw new NumericalError(
        `${what}: total propensity is ${v} on path ${pathId} at t = ${t}`,
        where,
      );
    }
    if (kind === 2) {
      throw new NumericalError(
        `${what}: time stopped advancing at t = ${t} on path ${pathId}: the mean waiting time ` +
          `1/a₀ = ${1 / v} is below the clock's resolution (float64) at step ${m}; the network ` +
          `is explosive, or its rates are too large for this time scale`,
        where,
      );
    }
    if (kind === 3) {
      throw new NumericalError(
        `${what}: on path ${pathId} at step ${m}, t = ${t}, the count of ${
          JSON.stringify(species[v])
        } would pass 2^53 − 1 = ${COUNT_MAX}, beyond which float64 counts are not exact`,
        where,
      );
    }
    throw new NumericalError(`${what}: path ${pathId} exceeded maxSteps = ${m} at t = ${t}`, where);
  };
}

/**
 * Throws (kind 3) when reaction j's firing took a count past 2⁵³ − 1.
 *
 * @param k the compiled network
 * @param j the reaction that fired
 * @param x the counts after it fired
 * @param fail the errors
 * @param pathId the path, m the step and t the time, for the message
 */
export function _checkCounts(
  k: _Compiled,
  j: number,
  x: Float64Array,
  fail: _Fail,
  pathId: number,
  m: number,
  t: number,
): void {
  for (let q = k.cStart[j]!; q < k.cStart[j + 1]!; q++) {
    if (k.cd[q]! > 0 && x[k.cs[q]!]! > COUNT_MAX) fail(3, pathId, m, t, k.cs[q]!);
  }
}
