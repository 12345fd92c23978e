/**
 * Large ensembles of exact stochastic simulations with streaming moments and
 * histograms, on the cpu (float64, over Web Workers) or webgpu backend.
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
  type SsaEnsemblePlan,
  type SsaEnsembleSums,
  type SsaHistogramPlan,
} from "../../kernels/ssa_ensemble.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import { _setup, type SsaOptions } from "./_ssa_common.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { type EnsembleSums, finishEnsemble, kernelNetwork } from "./_ssa_ensemble_stats.ts";
import { closeCpuEnsembleWorkers, ssaEnsembleF64 } from "./_ssa_ensemble_cpu.ts";
import type { SsaEnsembleMethod } from "./registry.ts";
import { attachLazyDisplay } from "../../io/_jupyter_display.ts";

/** Options of {@linkcode ssaEnsemble}. */
export interface SsaEnsembleOptions extends Omit<SsaOptions, "trajectory"> {
  /** Where to run: cpu (float64, over workers) or webgpu (float32). */
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
  /**
   * cpu: threads to run paths on (default the host's hardware concurrency;
   * 1 keeps everything in this thread). Results do not depend on it.
   */
  workers?: number;
  /** Called with the number of paths finished so far, as they finish (in path order on cpu, per chunk on webgpu). */
  onProgress?: (done: number) => void;
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
  /** Worker threads that ran paths (0: the calling thread, or the GPU, ran them all). */
  workers: number;
}

/**
 * Runs many independent paths of Gillespie's direct method (J. Phys. Chem.
 * 81, 2340, 1977) and keeps only what is needed: exact integer sums of the
 * counts and their squares at the save times (so means and variances come
 * with standard errors), a histogram of one species at the save times, the
 * total number of firings, and, only if asked, the counts.
 *
 * - On the **cpu** backend each path runs the generated float64 direct
 *   method of {@linkcode ssaDirect} (path p draws with counter
 *   `(pathOffset + p, ⌊m/2⌋, PHILOX_PURPOSES.ssaDirect, 0)` at firing m, so
 *   its counts are ssaDirect's path p), in this thread and, when there is
 *   enough work, over a pool of `workers` Web Workers. Mass-action networks
 *   of up to 16 reactions and species run it compiled to WebAssembly, four
 *   paths interleaved in one loop, with the same numbers bit for bit. The paths are merged
 *   in path order, so the results do not depend on the worker count. Workers
 *   start for mass-action networks when the program may read this package's
 *   `kernels/`, `processes/` and `solvers/` folders (a worker loads its
 *   modules); otherwise, and for custom propensities, everything runs in this
 *   thread. Pooled workers stay warm between calls and leave after a second
 *   idle, or at once with {@linkcode closeSsaEnsembleWorkers}.
 * - On **webgpu** the network is compiled into a WGSL kernel (mass action
 *   from its orders and convention; custom propensities through their `wgsl`
 *   snippet), one path per invocation in float32 with the same draws, so
 *   millions of paths need no host memory. Its CPU twin in
 *   kernels/ssa_ensemble.ts (`ssaEnsembleCpu`) reproduces its counts bit for
 *   bit and is its test oracle. A lost device falls back to cpu, with a
 *   warning.
 *
 * In a notebook (`deno jupyter`) the result displays itself: a table of the
 * moments and a plot (io/jupyter.ts, through a non-enumerable
 * `Symbol.for("Jupyter.display")`, invisible to JSON and `deepEqual`).
 *
 * @param network the reaction network
 * @param options backend, end time, save times, paths, key, histogram, workers, …
 * @returns means, variances and their standard errors, sums, firings, histogram
 * @throws {SdenoRangeError} for tEnd ≤ 0, bad save times, counts or histogram options
 * @throws {SdenoTypeError} for a custom propensity without wgsl on webgpu
 * @throws {SdenoParseError} when a WGSL propensity snippet does not compile
 * @throws {NumericalError} when a path exceeds maxSteps, meets a bad
 *   propensity, a count past 2⁵³ − 1 (cpu) or 2³¹ − 1 (webgpu), or a clock
 *   that stopped advancing (an explosive network)
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
  const gpu = backend.name === "webgpu";
  if (gpu) {
    s.x0.forEach((v, i) => {
      if (v > 0x7fffffff) {
        throw new SdenoRangeError(
          `${what}: initial count of ${
            quote(network.species[i])
          } must be below 2³¹ on webgpu (its counts are i32), got ${quote(v)}`,
        );
      }
    });
  }
  const maxSteps = checkInteger(what, "maxSteps", options.maxSteps ?? 1e9, 1, 0xffffffff);
  const ns = network.speciesCount, nSave = s.saveTimes.length;
  let histogram: SsaHistogramPlan | undefined;
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
  const workers = checkInteger(what, "workers", options.workers ?? defaultWorkers(), 1, 256);
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new SdenoTypeError(`${what}: onProgress must be a function, got ${quote(onProgress)}`);
  }
  const record = options.counts ?? false;
  const { kernel, constants } = kernelNetwork(network, gpu, what);
  const cpuRun = () =>
    ssaEnsembleF64(network, {
      tEnd: s.tEnd,
      saveTimes: s.saveTimes,
      key: s.key,
      pathOffset: s.pathOffset,
      x0: s.x0,
      maxSteps,
      paths: s.paths,
      histogram,
      record,
      workers,
      onProgress,
    }, what);
  let raw: EnsembleSums;
  let ran: "cpu" | "webgpu" = backend.name;
  let threads = 0;
  if (gpu) {
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
      record,
      chunkPaths,
      ...(histogram ? { histogram } : {}),
      ...(onProgress ? { onProgress } : {}),
    };
    let sums: SsaEnsembleSums | undefined;
    try {
      sums = await launchSsaEnsemble((backend as WebGpuBackend).ctx, kernel, plan);
    } catch (err) {
      if (!(err instanceof DeviceLostError)) throw err;
      console.warn(`${what}: ${err.message}; rerunning on cpu`);
    }
    if (sums) {
      if (sums.overSteps > 0 || sums.badPropensity > 0 || sums.stalled > 0) {
        const why = sums.overSteps > 0
          ? `${sums.overSteps} path(s) exceeded maxSteps = ${maxSteps}`
          : sums.badPropensity > 0
          ? `${sums.badPropensity} path(s) met a negative or non-finite propensity, or a count past 2^31 − 1`
          : `time stopped advancing on ${sums.stalled} path(s): the mean waiting time 1/a₀ fell ` +
            `below the resolution of the float32 clock (an explosive network, or rates too large ` +
            `for tEnd)`;
        throw new NumericalError(`${what}: ${why}; the first is path ${sums.firstBadPath}`, {
          index: sums.firstBadPath,
        });
      }
      raw = sums;
    } else {
      const r = await cpuRun();
      raw = r;
      ran = "cpu";
      threads = r.workers;
    }
  } else {
    const r = await cpuRun();
    raw = r;
    threads = r.workers;
  }
  const out = finishEnsemble(network, s.saveTimes, raw, ran, histogram, ns, nSave);
  out.workers = threads;
  // displays itself in Jupyter (io/jupyter.ts), through a non-enumerable method
  return attachLazyDisplay(out);
}

/** Threads to use by default: the host's hardware concurrency (1 where unknown). */
function defaultWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? Math.min(n, 256) : 1;
}

/**
 * Terminates the Web Workers that {@linkcode ssaEnsemble} keeps warm between
 * calls on the cpu backend (workers busy in a running call are terminated
 * when it ends). Idle workers also leave on their own after a second, so a
 * program ends without this call, only up to a second later.
 *
 * @example At the end of a script or test
 * ```ts
 * import { closeSsaEnsembleWorkers } from "./ssa_ensemble.ts";
 * closeSsaEnsembleWorkers(); // safe at any time, also with no pool
 * ```
 */
export function closeSsaEnsembleWorkers(): void {
  closeCpuEnsembleWorkers();
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
      precision: { cpu: "f64", webgpu: "f32" },
      purpose: PHILOX_PURPOSES.ssaDirect,
    } as const,
  ),
  run: ssaEnsemble,
});
