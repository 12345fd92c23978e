/**
 * The one method protocol shared by the three method families (diffusion
 * samplers, SDE solvers, SSA methods): every method is an object with
 * declared metadata ({@linkcode MethodInfo}, extended per family) and its
 * step, and each family lists its methods in one {@linkcode MethodRegistry}.
 * Scripts, tests and benchmarks take the methods from the registry; nothing
 * keeps a second name→method table (diffrax's "driver + declared solver").
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** The method families. */
export type MethodFamily = "diffusion" | "sde" | "ssa" | "guidance" | "discrete";

/** Where a method can run. */
export type MethodBackend = "cpu" | "webgpu";

/** What every method declares, whatever its family. */
export interface MethodInfo {
  /** The family it belongs to. */
  readonly family: MethodFamily;
  /** The canonical name (lower case; the spelling users know, e.g. k-diffusion's `dpmpp_2m`). */
  readonly name: string;
  /** Other names users know it by (ComfyUI's, diffusers', the paper's). */
  readonly aliases: readonly string[];
  /** One line for `--help` listings: what it is and where it comes from. */
  readonly summary: string;
  /** Whether it draws random numbers (its results depend on the key). */
  readonly stochastic: boolean;
  /** The backends it runs on. */
  readonly backends: readonly MethodBackend[];
}

/** A method: its metadata, plus whatever its family's driver needs. */
export interface Method<I extends MethodInfo = MethodInfo> {
  /** Declared metadata. */
  readonly info: I;
}

const NAME = /^[a-z][a-z0-9]*(?:[_+-][a-z0-9]+)*\+{0,2}$/;

/**
 * The problems with a method's declared metadata, as messages (empty when it
 * is well declared): a name that is not lower-case, an empty summary, a
 * family or backend that does not exist.
 *
 * @param info the metadata to check
 * @param family the family the method is registered in
 * @returns one message per problem
 *
 * @example
 * ```ts
 * import { methodInfoProblems } from "./method_registry.ts";
 * import assert from "node:assert/strict";
 * const ok = {
 *   family: "sde" as const, name: "euler", aliases: [], summary: "Euler–Maruyama",
 *   stochastic: true, backends: ["cpu" as const],
 * };
 * assert.deepEqual(methodInfoProblems(ok, "sde"), []);
 * assert.equal(methodInfoProblems({ ...ok, name: "Euler" }, "sde").length, 1);
 * ```
 */
export function methodInfoProblems(info: MethodInfo, family: MethodFamily): string[] {
  const p: string[] = [];
  if (info === null || typeof info !== "object") {
    return [`info must be an object, got ${quote(info)}`];
  }
  const label = typeof info.name === "string" ? info.name : quote(info.name);
  if (info.family !== family) {
    p.push(`${label}: family must be ${quote(family)}, got ${quote(info.family)}`);
  }
  for (const n of [info.name, ...(Array.isArray(info.aliases) ? info.aliases : [])]) {
    if (typeof n !== "string" || !NAME.test(n)) {
      p.push(`${label}: names must be lower case words joined by _ + or -, got ${quote(n)}`);
    }
  }
  if (!Array.isArray(info.aliases)) p.push(`${label}: aliases must be an array`);
  if (typeof info.summary !== "string" || info.summary.trim() === "") {
    p.push(`${label}: summary must be a non-empty line`);
  }
  if (typeof info.stochastic !== "boolean") p.push(`${label}: stochastic must be a boolean`);
  if (
    !Array.isArray(info.backends) || info.backends.length === 0 ||
    info.backends.some((b) => b !== "cpu" && b !== "webgpu")
  ) {
    p.push(`${label}: backends must list "cpu" and/or "webgpu", got ${quote(info.backends)}`);
  }
  return p;
}

/**
 * The methods of one family, found by name or alias.
 *
 * @typeParam M the family's method type
 *
 * @example Look up by alias; an unknown name lists the known ones
 * ```ts
 * import { MethodRegistry } from "./method_registry.ts";
 * import assert from "node:assert/strict";
 * const euler = {
 *   info: {
 *     family: "sde" as const, name: "euler-maruyama", aliases: ["em", "euler"],
 *     summary: "Euler–Maruyama", stochastic: true, backends: ["cpu" as const],
 *   },
 * };
 * const registry = new MethodRegistry("sde", [euler]);
 * assert.equal(registry.get("em"), euler);
 * assert.throws(() => registry.get("rk4"), /known: euler-maruyama \(em, euler\)/);
 * ```
 */
export class MethodRegistry<M extends Method> {
  /** The family. */
  readonly family: MethodFamily;
  /** The methods, in registration order. */
  readonly methods: readonly M[];
  readonly #byName = new Map<string, M>();

  /**
   * Checks every method's metadata and that no name or alias is used twice.
   *
   * @param family the family
   * @param methods its methods
   * @throws {SdenoTypeError} naming the method and the problem
   */
  constructor(family: MethodFamily, methods: readonly M[]) {
    this.family = family;
    const problems: string[] = [];
    for (const m of methods) {
      const info = m?.info;
      const own = methodInfoProblems(info, family);
      problems.push(...own);
      if (own.length > 0) continue;
      for (const n of [info.name, ...info.aliases]) {
        const other = this.#byName.get(n);
        if (other && other !== m) {
          problems.push(`${quote(n)} names both ${other.info.name} and ${info.name}`);
        } else this.#byName.set(n, m);
      }
    }
    if (problems.length > 0) {
      throw new SdenoTypeError(
        `Cannot register the ${family} methods: ${problems.join("; ")}`,
      );
    }
    this.methods = Object.freeze([...methods]);
  }

  /**
   * The method of a name or alias.
   *
   * @param name the name
   * @returns the method
   * @throws {SdenoRangeError} for an unknown name, listing the known ones
   */
  get(name: string): M {
    const m = this.find(name);
    if (!m) {
      throw new SdenoRangeError(
        `Unknown ${this.family} method ${quote(name)}; known: ${this.describeNames()}`,
      );
    }
    return m;
  }

  /**
   * The method of a name or alias, or undefined.
   *
   * @param name the name
   * @returns the method or undefined
   */
  find(name: string): M | undefined {
    return typeof name === "string" ? this.#byName.get(name) : undefined;
  }

  /**
   * The canonical names, in registration order.
   *
   * @returns the names
   */
  names(): string[] {
    return this.methods.map((m) => m.info.name);
  }

  /**
   * Every name with its aliases, for error messages and `--help`:
   * `a (alias1, alias2), b, …`.
   *
   * @returns the listing
   */
  describeNames(): string {
    return this.methods.map((m) =>
      m.info.aliases.length > 0 ? `${m.info.name} (${m.info.aliases.join(", ")})` : m.info.name
    ).join(", ");
  }
}
