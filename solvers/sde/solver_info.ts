/**
 * The method protocol of the SDE solvers: what every solver declares
 * ({@linkcode SolverInfo}, the shared {@linkcode MethodInfo} plus orders,
 * calculus, the noise types it accepts, whether it can step adaptively and
 * what noise it needs) and what it carries ({@linkcode SdeSolver}: its step,
 * either as a stochastic Runge–Kutta tableau run by the one tableau driver
 * or as its own step function, and optionally its step in the ensemble
 * kernel). {@linkcode sdeSolverProblems} checks a solver against its
 * declaration; the registry (`registry.ts`) refuses a solver with problems.
 *
 * @module
 */

import type { Calculus, NoiseType, Sde } from "../../processes/sde.ts";
import type { EnsembleModel, EnsembleStep } from "../../kernels/sde_ensemble.ts";
import { quote } from "../../kernels/errors.ts";
import { type Method, type MethodInfo, methodInfoProblems } from "../method_registry.ts";
import type { BrownianIncrement } from "./brownian_path.ts";
import type { NoiseWeight, SrkTableau } from "./srk_tableau.ts";

/** Strong orders by noise class: commutative covers diagonal and scalar noise. */
export interface StrongOrders {
  /** General (non-commutative) noise. */
  general?: number;
  /** Diagonal or scalar noise (commutative). */
  commutative?: number;
  /** Additive noise. */
  additive?: number;
}

/** What an SDE solver declares about itself: the shared method metadata plus its SDE facts. */
export interface SolverInfo extends MethodInfo {
  /** Always "sde". */
  readonly family: "sde";
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
  /** Whether it needs the time integral ΔZ = I₍₁,₀₎ of the Brownian motion. */
  readonly levyArea: boolean;
}

/** What a solver's author writes: {@linkcode SolverInfo} less the fields every SDE solver shares or that follow from its step. */
export type SolverDeclaration = Omit<SolverInfo, "family" | "stochastic" | "backends">;

/**
 * What a solver's step reads and writes. The driver owns one such object per
 * solve and updates it in place before each call.
 */
export interface SdeStepArgs {
  /** Time at the start of the step. */
  t: number;
  /** The step. */
  h: number;
  /**
   * How many paths this call advances: the first n of those the stepper was
   * built for (`solveSde` passes all of them; the ensemble twin passes
   * batches, so a stateless stepper serves as its twin).
   */
  n: number;
  /** The states at `t`, n×d (read only). */
  x: Float64Array;
  /** Where the states at `t + h` go, n×d. */
  out: Float64Array;
  /** The Brownian increments of the step (ΔW, and ΔZ when the solver declares `levyArea`). */
  inc: BrownianIncrement;
  /** Where the local error estimate goes, n×d, when the driver steps adaptively. */
  err: Float64Array | undefined;
}

/** One step of a solve, for all n paths at once. */
export type SdeStepper = (args: SdeStepArgs) => void;

/** What a solver's stepper is built for: the paths of one solve. */
export interface SdeStepperSetup {
  /** Number of paths n. */
  paths: number;
  /** The initial states, n×d (solvers with state beyond x start from it). */
  x0: Float64Array;
}

/**
 * An SDE solver: its declared metadata and its step. Build one with
 * `srkSolver` (a tableau) or `defineSdeSolver` (its own step).
 */
export interface SdeSolver extends Method<SolverInfo> {
  /** Metadata. */
  readonly info: SolverInfo;
  /** The tableau, for a stochastic Runge–Kutta method (run by the one tableau driver). */
  readonly tableau: SrkTableau | undefined;
  /**
   * Builds the stepper of one solve.
   *
   * @param sde the SDE (already checked against the solver's declaration)
   * @param setup the paths and initial states
   * @returns the stepper
   */
  makeStepper(sde: Sde, setup: SdeStepperSetup): SdeStepper;
  /**
   * Its step in the ensemble kernel for a model (the WGSL step and the
   * float64 twin), where the solver runs there; undefined otherwise.
   */
  readonly ensembleStep: ((model: EnsembleModel) => EnsembleStep) | undefined;
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
export function strongOrderFor(
  info: Pick<SolverInfo, "strongOrder">,
  noise: NoiseType,
): number | undefined {
  const o = info.strongOrder;
  if (noise === "additive") return o.additive ?? o.commutative ?? o.general;
  if (noise === "general") return o.general;
  return o.commutative ?? o.general;
}

const NOISE_TYPES: readonly NoiseType[] = ["diagonal", "scalar", "additive", "general"];
const WEIGHTS: readonly NoiseWeight[] = ["dW", "dZ/h", "sqrtH", "I11/sqrtH", "I111/h"];
/** Weights that are iterated integrals of one component: valid for diagonal and scalar noise only. */
const ONE_COMPONENT: readonly NoiseWeight[] = ["I11/sqrtH", "I111/h"];

/**
 * The problems with a tableau, as messages (empty when it is one the tableau
 * driver runs): stage counts and row lengths that do not fit, entries on or
 * above the diagonal (the driver is explicit), unknown noise quantities, an
 * embedded pair given by halves.
 *
 * @param tab the tableau
 * @returns one message per problem
 *
 * @example An implicit entry is reported
 * ```ts
 * import { srkTableauProblems } from "./solver_info.ts";
 * import { heun } from "./heun.ts";
 * import assert from "node:assert/strict";
 * const tab = heun.tableau!;
 * assert.deepEqual(srkTableauProblems(tab), []);
 * const implicit = { ...tab, a0: [[0.5, 0], [1, 0]] };
 * assert.match(srkTableauProblems(implicit)[0]!, /a0\[0\]\[0\] = 0.5 is on or above the diagonal/);
 * ```
 */
export function srkTableauProblems(tab: SrkTableau): string[] {
  const p: string[] = [];
  const s = tab?.stages;
  if (!Number.isInteger(s) || s < 1) return [`stages must be a positive integer, got ${quote(s)}`];
  const vec = (name: string, v: readonly number[] | undefined) => {
    if (!Array.isArray(v) || v.length !== s || v.some((c) => !Number.isFinite(c))) {
      p.push(`${name} must hold ${s} finite numbers, got ${quote(v)}`);
    }
  };
  vec("c0", tab.c0);
  vec("c1", tab.c1);
  for (const name of ["a0", "a1", "b0", "b1"] as const) {
    const a = tab[name];
    if (!Array.isArray(a) || a.length !== s) {
      p.push(`${name} must have ${s} rows, got ${quote(a)}`);
      continue;
    }
    a.forEach((row, i) => {
      vec(`${name}[${i}]`, row);
      row?.forEach((c: number, j: number) => {
        if (j >= i && c !== 0) {
          p.push(
            `${name}[${i}][${j}] = ${c} is on or above the diagonal (the driver is explicit)`,
          );
        }
      });
    });
  }
  for (const name of ["noise0", "noise1"] as const) {
    if (!WEIGHTS.includes(tab[name])) {
      p.push(`${name} must be one of ${WEIGHTS.join(", ")}, got ${quote(tab[name])}`);
    }
  }
  vec("alpha", tab.alpha);
  const pairs = (name: string, b: SrkTableau["beta"] | undefined) => {
    if (!Array.isArray(b) || b.length === 0) {
      p.push(`${name} must be a non-empty list of [quantity, weights], got ${quote(b)}`);
      return;
    }
    b.forEach((pair, q) => {
      if (!Array.isArray(pair) || !WEIGHTS.includes(pair[0])) {
        p.push(`${name}[${q}] must name one of ${WEIGHTS.join(", ")}, got ${quote(pair?.[0])}`);
      } else vec(`${name}[${q}] weights`, pair[1]);
    });
  };
  pairs("beta", tab.beta);
  if ((tab.alphaHat === undefined) !== (tab.betaHat === undefined)) {
    p.push("alphaHat and betaHat must be given together (the embedded pair)");
  } else if (tab.alphaHat !== undefined) {
    vec("alphaHat", tab.alphaHat);
    pairs("betaHat", tab.betaHat);
  }
  return p;
}

/**
 * The noise quantities a tableau uses (those with a nonzero weight somewhere).
 *
 * @param tab the tableau
 * @returns the quantities
 *
 * @example SRA1 uses ΔW and ΔZ/h
 * ```ts
 * import { tableauWeights } from "./solver_info.ts";
 * import { sra1 } from "./sra1.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...tableauWeights(sra1.tableau!)].sort(), ["dW", "dZ/h"]);
 * ```
 */
export function tableauWeights(tab: SrkTableau): Set<NoiseWeight> {
  const used = new Set<NoiseWeight>();
  const nz = (v: readonly (readonly number[])[]) => v.some((row) => row.some((c) => c !== 0));
  if (nz(tab.b0)) used.add(tab.noise0);
  if (nz(tab.b1)) used.add(tab.noise1);
  for (const [k, w] of [...tab.beta, ...(tab.betaHat ?? [])]) {
    if (w.some((c) => c !== 0)) used.add(k);
  }
  return used;
}

/**
 * The problems with an SDE solver, as messages (empty when it is well
 * declared): the shared metadata checks of {@linkcode methodInfoProblems},
 * then its SDE facts — known noise types and calculus, a positive strong
 * order for every noise type it accepts, an error order exactly when it is
 * adaptive, a step to run; for a tableau also the tableau's own problems,
 * an embedded pair exactly when adaptive, `levyArea` exactly when the
 * tableau uses ΔZ, one-component iterated integrals only with diagonal or
 * scalar noise; and `webgpu` among its backends exactly when it has an
 * ensemble step.
 *
 * @param solver the solver
 * @returns one message per problem
 *
 * @example A wrongly declared solver is reported
 * ```ts
 * import { sdeSolverProblems } from "./solver_info.ts";
 * import { sra1 } from "./sra1.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sdeSolverProblems(sra1), []);
 * const wrong = {
 *   ...sra1,
 *   info: { ...sra1.info, levyArea: false, noise: ["additive", "general"] as const },
 * };
 * const p = sdeSolverProblems(wrong);
 * assert.ok(p.some((m) => /declares no strong order for general noise/.test(m)));
 * assert.ok(p.some((m) => /levyArea must be true/.test(m)));
 * ```
 */
export function sdeSolverProblems(solver: SdeSolver): string[] {
  if (solver === null || typeof solver !== "object") {
    return [`a solver must be an object, got ${quote(solver)}`];
  }
  const info = solver.info;
  const p = methodInfoProblems(info, "sde");
  if (p.length > 0 && (info === null || typeof info !== "object")) return p;
  const label = typeof info.name === "string" ? info.name : quote(info.name);
  const bad = (m: string) => p.push(`${label}: ${m}`);
  if (info.stochastic !== true) bad("stochastic must be true (an SDE solver draws noise)");
  if (info.calculus !== "ito" && info.calculus !== "stratonovich" && info.calculus !== "both") {
    bad(`calculus must be "ito", "stratonovich" or "both", got ${quote(info.calculus)}`);
  }
  const noise = Array.isArray(info.noise) ? info.noise : [];
  if (noise.length === 0 || noise.some((t) => !NOISE_TYPES.includes(t))) {
    bad(`noise must list some of ${NOISE_TYPES.join(", ")}, got ${quote(info.noise)}`);
  }
  const so = info.strongOrder ?? {};
  for (const [k, v] of Object.entries(so)) {
    if (!["general", "commutative", "additive"].includes(k) || !(typeof v === "number" && v > 0)) {
      bad(`strongOrder.${k} must be a positive number of a noise class, got ${quote(v)}`);
    }
  }
  for (const t of noise) {
    if (strongOrderFor({ strongOrder: so }, t) === undefined) {
      bad(`declares no strong order for ${t} noise, which it accepts`);
    }
  }
  if (info.weakOrder !== undefined && !(info.weakOrder > 0)) {
    bad(`weakOrder must be positive or undefined, got ${quote(info.weakOrder)}`);
  }
  if (typeof info.adaptive !== "boolean" || typeof info.levyArea !== "boolean") {
    bad("adaptive and levyArea must be booleans");
  }
  if (info.adaptive !== (info.errorOrder !== undefined)) {
    bad(`errorOrder must be given exactly when adaptive, got ${quote(info.errorOrder)}`);
  } else if (info.errorOrder !== undefined && !(info.errorOrder > 0)) {
    bad(`errorOrder must be positive, got ${quote(info.errorOrder)}`);
  }
  if (typeof solver.makeStepper !== "function") bad("makeStepper must be a function");
  const tab = solver.tableau;
  if (tab !== undefined) {
    const tp = srkTableauProblems(tab);
    for (const m of tp) bad(`tableau: ${m}`);
    if (tp.length === 0) {
      if (info.adaptive !== (tab.alphaHat !== undefined)) {
        bad(
          `adaptive must be ${tab.alphaHat !== undefined}: the tableau ${
            tab.alphaHat !== undefined ? "has" : "has no"
          } embedded pair`,
        );
      }
      const used = tableauWeights(tab);
      if (info.levyArea !== used.has("dZ/h")) {
        bad(
          `levyArea must be ${used.has("dZ/h")}: the tableau ${
            used.has("dZ/h") ? "uses" : "does not use"
          } ΔZ`,
        );
      }
      const oneComp = ONE_COMPONENT.filter((w) => used.has(w));
      const multi = noise.filter((t) => t === "additive" || t === "general");
      if (oneComp.length > 0 && multi.length > 0) {
        bad(
          `accepts ${multi.join(", ")} noise, but the tableau uses ${
            oneComp.join(", ")
          } (iterated integrals of one component, valid for diagonal and scalar noise only)`,
        );
      }
    }
  }
  const gpu = Array.isArray(info.backends) && info.backends.includes("webgpu");
  const hasStep = typeof solver.ensembleStep === "function";
  if (gpu !== hasStep) {
    bad(
      `backends ${gpu ? "lists" : "omits"} webgpu, but it ${
        hasStep ? "has" : "has no"
      } ensemble step`,
    );
  }
  return p;
}
