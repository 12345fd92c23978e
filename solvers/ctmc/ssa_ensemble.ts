/**
 * Large ensembles of exact stochastic simulations with streaming moments and
 * histograms, on the cpu or webgpu backend.
 *
 * @module
 */

import type { Backend } from "../../kernels/backend.ts";
import { WebGpuBackend } from "../../kernels/webgpu_backend.ts";
import {
  checkInteger,
  DeviceLostError,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import {
  launchSsaEnsemble,
  SSA_BATCHES,
  ssaEnsembleCpu,
  type SsaEnsemblePlan,
  type SsaEnsembleSums,
  type SsaKernelNetwork,
} from "../../kernels/ssa_ensemble.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import { _setup, type SsaOptions } from "./_ssa_common.ts";
import { factorial } from "../../kernels/factorial.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { SsaEnsembleMethod } from "./registry.ts";

/** Options of {@linkcode ssaEnsemble}. */
export interface SsaEnsembleOptions extends Omit<SsaOptions, "trajectory"> {
  /** Where to run: the cpu twin or a webgpu backend. */
  backend: Backend;
  /**
   * Histogram of one species at every save time, with integer bins
   * `[min + b·width, min + (b+1)·width)`, b < bins (defaults: min 0, width 1,
   * bins 256), plus under- and overflow.
   */
  histogram?: { species: string; min?: number; width?: number; bins?: number };
  /** Also return every path's counts at the save times (needs paths × saves × species host memory). */
  counts?: boolean;
  /** Paths per GPU dispatch, a multiple of 64 (default 65536); results do not depend on it. */
  chunkPaths?: number;
}

/** A histogram of one species at each save time. */
export interface SsaEnsembleHistogram {
  /** The species. */
  species: string;
  /** Bin edges (bins + 1). */
  edges: Float64Array;
  /** Paths per bin, saves × bins. */
  counts: Float64Array;
  /** Paths below the first edge, per save time. */
  underflow: Float64Array;
  /** Paths at or above the last edge, per save time. */
  overflow: Float64Array;
}

/** What {@linkcode ssaEnsemble} returns; per-cell arrays are saves × species, row-major. */
export interface SsaEnsembleResult {
  /** Species names. */
  species: readonly string[];
  /** Save times. */
  saveTimes: Float64Array;
  /** Number of paths. */
  paths: number;
  /** The backend that ran the paths. */
  backend: "cpu" | "webgpu";
  /** Sample means. */
  mean: Float64Array;
  /** Unbiased sample variances. */
  variance: Float64Array;
  /** Standard errors of the means, `√(variance / paths)`. */
  meanSe: Float64Array;
  /**
   * Standard errors of the variances by batch means over the 64 batches of
   * paths ((path ÷ 64) mod 64); NaN with fewer than two batches (< 65 paths).
   */
  varianceSe: Float64Array;
  /** Σ x (exact integers). */
  sum: Float64Array;
  /** Σ x² (exact integers below 2⁵³). */
  sumSq: Float64Array;
  /** Total reaction firings over all paths. */
  firings: number;
  /** Mean firings per path on [0, tEnd]. */
  meanFirings: number;
  /** Standard error of `meanFirings`. */
  meanFiringsSe: number;
  /** Paths that reached a state where no reaction can fire. */
  absorbed: number;
  /** The histogram, when asked for. */
  histogram?: SsaEnsembleHistogram;
  /** Counts, paths × saves × species, when `counts` was set. */
  counts?: Float64Array;
}

/** The network as kernel data, and its falling-factorial constants. */
function _kernelNetwork(
  net: ReactionNetwork,
  gpu: boolean,
  what: string,
): { kernel: SsaKernelNetwork; constants: Float64Array } {
  const deps = net.dependencyGraph();
  const constants = new Float64Array(net.reactions.length);
  const reactions = net.reactions.map((r, j) => {
    let custom: { wgsl: string; cpu: (x: Float64Array) => number } | undefined;
    if (r.custom) {
      if (gpu && typeof r.custom.wgsl !== "string") {
        throw new SdenoTypeError(
          `${what}: reaction ${
            quote(r.name)
          } has a custom propensity without a wgsl snippet, so it cannot run on webgpu`,
        );
      }
      custom = { wgsl: r.custom.wgsl ?? "", cpu: r.custom.cpu };
    } else {
      let f = 1;
      for (const [, o] of r.reactants) f *= Number(factorial(o));
      constants[j] = r.constant / f;
    }
    return {
      name: r.name,
      reactants: r.reactants,
      change: r.change,
      dependents: deps[j]!,
      ...(custom ? { custom } : {}),
    };
  });
  return { kernel: { species: net.speciesCount, reactions }, constants };
}

/** n·S2 − S1² exactly, over n(n − 1): the unbiased variance from integer sums. */
function _variance(n: number, s1: number, s2: number): number {
  if (n < 2) return NaN;
  const num = BigInt(n) * BigInt(s2) - BigInt(s1) * BigInt(s1);
  return Number(num) / (n * (n - 1));
}

/**
 * Runs many independent paths of Gillespie's direct method (J. Phys. Chem.
 * 81, 2340, 1977) and keeps only what is needed: exact integer sums of the
 * counts and their squares at the save times (so means and variances come
 * with standard errors), a histogram of one species at the save times, the
 * total number of firings, and, only if asked, the counts. On webgpu the
 * network is compiled into a WGSL kernel (mass action from its orders and
 * convention; custom propensities through their `wgsl` snippet), one path
 * per invocation, so millions of paths need no host memory.
 *
 * Path p uses the same Philox draws as {@linkcode ssaDirect} (counter
 * `(pathOffset + p, ⌊m/2⌋, PHILOX_PURPOSES.ssaDirect, 0)` for step m; Salmon et
 * al., SC'11), but the arithmetic is f32 on both backends: the cpu backend
 * runs the kernel's CPU twin, which emulates the kernel's f32 operations,
 * and gives the same integer counts as the GPU for mass-action networks
 * (custom propensities agree in distribution). Times are rounded to f32.
 *
 * @param network the reaction network
 * @param options backend, end time, save times, paths, key, histogram, …
 * @returns means, variances and their standard errors, sums, firings, histogram
 * @throws {SdenoRangeError} for tEnd ≤ 0, bad save times, counts or histogram options
 * @throws {SdenoTypeError} for a custom propensity without wgsl on webgpu
 * @throws {SdenoParseError} when a WGSL propensity snippet does not compile
 * @throws {NumericalError} when a path exceeds maxSteps or meets a bad propensity
 *
 * @example Birth–death on the cpu backend: the mean at t = 10 is near 63.2
 * ```ts
 * import { ssaEnsemble } from "./ssa_ensemble.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { builtinReactionNetwork } from "../../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * const r = await ssaEnsemble(builtinReactionNetwork("birth_death"), {
 *   backend: new CpuBackend(),
 *   tEnd: 10,
 *   paths: 1000,
 * });
 * const z = (r.mean[0]! - 63.212055882855765) / r.meanSe[0]!;
 * assert.ok(Math.abs(z) < 4);
 * ```
 */
export async function ssaEnsemble(
  network: ReactionNetwork,
  options: SsaEnsembleOptions,
): Promise<SsaEnsembleResult> {
  const what = "Cannot run the SSA ensemble";
  const s = _setup(what, network, { ...options, trajectory: false } as SsaOptions);
  const backend = options.backend;
  if (
    backend === null || typeof backend !== "object" ||
    (backend.name !== "cpu" && backend.name !== "webgpu")
  ) {
    throw new SdenoTypeError(
      `${what}: backend must be a cpu or webgpu Backend, got ${quote(backend)}`,
    );
  }
  if (backend.name === "webgpu" && !(backend instanceof WebGpuBackend)) {
    throw new SdenoTypeError(`${what}: a webgpu backend must be a WebGpuBackend`);
  }
  s.x0.forEach((v, i) => {
    if (v > 0x7fffffff) {
      throw new SdenoRangeError(
        `${what}: initial count of ${quote(network.species[i])} must be below 2³¹, got ${quote(v)}`,
      );
    }
  });
  const maxSteps = checkInteger(what, "maxSteps", options.maxSteps ?? 0xffffffff, 1, 0xffffffff);
  const ns = network.speciesCount, nSave = s.saveTimes.length;
  let histogram: SsaEnsemblePlan["histogram"];
  if (options.histogram !== undefined) {
    const h = options.histogram;
    if (h === null || typeof h !== "object" || typeof h.species !== "string") {
      throw new SdenoTypeError(
        `${what}: histogram must be { species, min?, width?, bins? }, got ${quote(h)}`,
      );
    }
    const species = network.speciesIndex(h.species);
    const lo = checkInteger(what, "histogram.min", h.min ?? 0, -0x80000000, 0x7fffffff);
    const width = checkInteger(what, "histogram.width", h.width ?? 1, 1, 0x7fffffff);
    const bins = checkInteger(what, "histogram.bins", h.bins ?? 256, 1, 1 << 24);
    histogram = { species, lo, width, bins };
  }
  const chunkPaths = options.chunkPaths ?? 65536;
  if (!Number.isInteger(chunkPaths) || chunkPaths < 64 || chunkPaths % 64 !== 0) {
    throw new SdenoRangeError(
      `${what}: chunkPaths must be a positive multiple of 64, got ${quote(chunkPaths)}`,
    );
  }
  const gpu = backend.name === "webgpu";
  const { kernel, constants } = _kernelNetwork(network, gpu, what);
  const plan: SsaEnsemblePlan = {
    constants,
    x0: s.x0,
    saveTimes: s.saveTimes,
    tEnd: s.tEnd,
    paths: s.paths,
    pathOffset: s.pathOffset,
    key: s.key,
    purpose: PHILOX_PURPOSES.ssaDirect,
    maxSteps,
    record: options.counts ?? false,
    chunkPaths,
    ...(histogram ? { histogram } : {}),
  };
  let raw: SsaEnsembleSums;
  let ran: "cpu" | "webgpu" = backend.name;
  if (gpu) {
    try {
      raw = await launchSsaEnsemble((backend as WebGpuBackend).ctx, kernel, plan);
    } catch (err) {
      if (!(err instanceof DeviceLostError)) throw err;
      console.warn(`${what}: ${err.message}; rerunning on cpu`);
      raw = ssaEnsembleCpu(kernel, plan);
      ran = "cpu";
    }
  } else {
    raw = ssaEnsembleCpu(kernel, plan);
  }
  if (raw.overSteps > 0 || raw.badPropensity > 0 || raw.stalled > 0) {
    const why = raw.overSteps > 0
      ? `${raw.overSteps} path(s) exceeded maxSteps = ${maxSteps}`
      : raw.badPropensity > 0
      ? `${raw.badPropensity} path(s) met a negative or non-finite propensity, or a count past 2^31 − 1`
      : `time stopped advancing on ${raw.stalled} path(s): the mean waiting time 1/a₀ fell below ` +
        `the resolution of the float32 clock (an explosive network, or rates too large for tEnd)`;
    throw new NumericalError(`${what}: ${why}; the first is path ${raw.firstBadPath}`, {
      index: raw.firstBadPath,
    });
  }
  return _finish(network, s.saveTimes, raw, ran, histogram, ns, nSave);
}

function _finish(
  network: ReactionNetwork,
  saveTimes: Float64Array,
  raw: SsaEnsembleSums,
  backend: "cpu" | "webgpu",
  h: SsaEnsemblePlan["histogram"],
  ns: number,
  nSave: number,
): SsaEnsembleResult {
  const cells = ns * nSave, n = raw.paths;
  const sum = new Float64Array(cells), sumSq = new Float64Array(cells);
  for (let b = 0; b < SSA_BATCHES; b++) {
    for (let c = 0; c < cells; c++) {
      sum[c]! += raw.sum[b * cells + c]!;
      sumSq[c]! += raw.sumSq[b * cells + c]!;
    }
  }
  const mean = new Float64Array(cells), variance = new Float64Array(cells);
  const meanSe = new Float64Array(cells), varianceSe = new Float64Array(cells);
  const used = [...raw.batchPaths.keys()].filter((b) => raw.batchPaths[b]! >= 2);
  for (let c = 0; c < cells; c++) {
    mean[c] = sum[c]! / n;
    variance[c] = _variance(n, sum[c]!, sumSq[c]!);
    meanSe[c] = Math.sqrt(variance[c]! / n);
    if (used.length < 2) {
      varianceSe[c] = NaN;
      continue;
    }
    // non-overlapping batch means: Var(v̂) ≈ B/(B − 1) · Σ_b (n_b/n)² (v_b − v̂)²
    let acc = 0;
    for (const b of used) {
      const nb = raw.batchPaths[b]!;
      const vb = _variance(nb, raw.sum[b * cells + c]!, raw.sumSq[b * cells + c]!);
      acc += (nb / n) ** 2 * (vb - variance[c]!) ** 2;
    }
    varianceSe[c] = Math.sqrt(acc * used.length / (used.length - 1));
  }
  const out: SsaEnsembleResult = {
    species: network.species,
    saveTimes,
    paths: n,
    backend,
    mean,
    variance,
    meanSe,
    varianceSe,
    sum,
    sumSq,
    firings: raw.steps,
    meanFirings: raw.steps / n,
    meanFiringsSe: Math.sqrt(_variance(n, raw.steps, raw.stepsSq) / n),
    absorbed: raw.absorbed,
  };
  if (h && raw.histogram) {
    const counts = new Float64Array(nSave * h.bins);
    const underflow = new Float64Array(nSave), overflow = new Float64Array(nSave);
    for (let s = 0; s < nSave; s++) {
      const row = raw.histogram.subarray(s * (h.bins + 2), (s + 1) * (h.bins + 2));
      underflow[s] = row[0]!;
      overflow[s] = row[h.bins + 1]!;
      counts.set(row.subarray(1, h.bins + 1), s * h.bins);
    }
    out.histogram = {
      species: network.species[h.species]!,
      edges: Float64Array.from({ length: h.bins + 1 }, (_, b) => h.lo + b * h.width),
      counts,
      underflow,
      overflow,
    };
  }
  if (raw.counts) out.counts = Float64Array.from(raw.counts);
  return out;
}

/**
 * {@linkcode ssaEnsemble} as a declared method of {@linkcode SSA_METHODS}:
 * `ensemble`, also known as `ssa-ensemble`.
 *
 * @example
 * ```ts
 * import { ssaEnsembleMethod } from "./ssa_ensemble.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ssaEnsembleMethod.info.output, "moments");
 * assert.deepEqual(ssaEnsembleMethod.info.backends, ["cpu", "webgpu"]);
 * ```
 */
export const ssaEnsembleMethod: SsaEnsembleMethod = Object.freeze({
  info: Object.freeze(
    {
      family: "ssa",
      name: "ensemble",
      aliases: ["ssa-ensemble"],
      summary:
        "Many direct-method paths with streaming moments and histograms: float32 on cpu (the kernel's twin) and webgpu",
      stochastic: true,
      exact: true,
      output: "moments",
      backends: ["cpu", "webgpu"],
      precision: { cpu: "f32", webgpu: "f32" },
      purpose: PHILOX_PURPOSES.ssaDirect,
    } as const,
  ),
  run: ssaEnsemble,
});
