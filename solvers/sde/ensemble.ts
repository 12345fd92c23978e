/**
 * Large ensembles of SDE paths with streaming moments and quantiles, on the
 * cpu backend (the float64 twin) or on WebGPU (the `sde_ensemble.wgsl`
 * kernel with the model's WGSL snippets and the solver's step spliced in).
 *
 * Which solvers run here follows from what they declare: every stochastic
 * Runge–Kutta tableau solver (`srkSolver`: explicit tableaux whose noise
 * quantities are functions of one Brownian component — ΔW, ΔZ = I₍₁,₀₎, √h,
 * I₍₁,₁₎, I₍₁,₁,₁₎ — so no Lévy areas between components; the WGSL step and
 * the twin are generated from the tableau), and any solver that declares its
 * own ensemble step (Milstein). A solver that does neither (reversible Heun,
 * whose auxiliary state the kernel does not hold) is refused with the
 * reason. Steps are fixed (dt); an embedded pair is not used.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  DeviceLostError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import type { Key } from "../../kernels/philox.ts";
import type { Backend } from "../../kernels/backend.ts";
import { WebGpuBackend } from "../../kernels/webgpu_backend.ts";
import {
  type EnsemblePlan,
  ensembleStatCount,
  type EnsembleSums,
  launchSdeEnsemble,
  sdeEnsembleCpu,
} from "../../kernels/sde_ensemble.ts";
import type { Sde } from "../../processes/sde.ts";
import { probeSde } from "../../processes/_sde_probe.ts";
import { RunContext } from "../run_context.ts";
import type { SdeSolver } from "./solver_info.ts";
import { eulerMaruyama } from "./euler_maruyama.ts";
import { sdeSolvers } from "./registry.ts";
import {
  closeEnsembleWorkers as closeTwinWorkers,
  ensembleOnWorkers,
  type EnsembleWorkerModel,
} from "./_ensemble_workers.ts";
import { f32FormOf, sdeEnsembleF32 } from "./_ensemble_f32.ts";
import { closeF32Workers, ensembleF32OnWorkers } from "./_ensemble_f32_workers.ts";
import { attachLazyDisplay } from "../../io/_jupyter_display.ts";

/**
 * Terminates the Web Workers that {@linkcode simulateEnsemble} keeps between calls with
 * `workers > 1` (both pools: the float64 twin's and the fused f32 kernel's; workers busy in a
 * running call are terminated when it ends). Idle workers also terminate on their own after a
 * second, so a program ends without this call, only up to a second later.
 *
 * @example At the end of a script
 * ```ts
 * import { closeEnsembleWorkers } from "./ensemble.ts";
 * closeEnsembleWorkers(); // safe to call at any time, also with no pool
 * ```
 */
export function closeEnsembleWorkers(): void {
  closeTwinWorkers();
  closeF32Workers();
}
export type { EnsembleWorkerModel } from "./_ensemble_workers.ts";

/** Fixed histogram bins for quantiles: the same edges at every save, per component or shared. */
export interface EnsembleHistogram {
  /** Bins inside [lower, upper), default 256. */
  bins?: number;
  /** Lower edge: a number or d values. */
  lower: number | readonly number[];
  /** Upper edge: a number or d values. */
  upper: number | readonly number[];
}

/** Options of {@linkcode simulateEnsemble}. */
export interface SimulateEnsembleOptions {
  /** Where to run: a cpu backend (float64 twin) or a webgpu backend (f32 kernel). */
  backend: Backend;
  /** Any solver with an ensemble step (`solver.ensembleStep`, webgpu among its backends); default `eulerMaruyama`. */
  solver?: SdeSolver;
  /** Initial state: d values (every path starts there) or paths×d. */
  x0: ArrayLike<number>;
  /** Number of paths. */
  paths: number;
  /** Start time, default 0. */
  t0?: number;
  /** End time (> t0, on the grid t0 + j·dt). */
  t1: number;
  /** Step (> 0). */
  dt: number;
  /** Save times in [t0, t1], increasing, each on the grid; default [t1]. */
  saveAt?: readonly number[];
  /** Philox key, default seed 0, stream 0. */
  key?: Key;
  /** Probabilities in (0, 1) of the quantiles to estimate from histograms. */
  quantiles?: readonly number[];
  /** Fixed histogram bins; default 256 bins spanning a 1024-path pilot run, widened by half its range each side. */
  histogram?: EnsembleHistogram;
  /** Keep the states of the first `keepPaths` paths at every save (sample paths), default 0. */
  keepPaths?: number;
  /** Also return every path's final state, default false. */
  returnFinal?: boolean;
  /** Global index of the first path (for sharding), default 0. */
  pathOffset?: number;
  /** webgpu: steps per dispatch, default 256. */
  stepsPerDispatch?: number;
  /** webgpu: paths per chunk, default 2²⁰. */
  chunkPaths?: number;
  /** Called with the number of paths finished so far (after each batch of 1024 on cpu, each shard with workers, each chunk on webgpu). */
  onProgress?: (pathsDone: number) => void;
  /**
   * cpu: split the paths over this many Web Workers (default 1: this thread).
   * The results are bit-identical to one thread. Needs `workerModel`, and read
   * permission for the worker module and the model's module.
   *
   * The workers stay alive between calls in a pool, warm, holding the model
   * they built: a later call with the same `workerModel` (same module, export
   * and arguments) reuses them as they are, one with another model rebuilds
   * it in them; either way each worker's model is checked against `sde` on a
   * probe at every call. A worker that fails is terminated. A live worker
   * keeps a Deno program running, so idle workers terminate themselves after
   * one second: a script ends on its own, up to a second after its last call,
   * or at once after {@linkcode closeEnsembleWorkers}. Pooled workers do not
   * trip the test sanitizers.
   */
  workers?: number;
  /** cpu with workers: how a worker rebuilds the SDE (the function must return the same SDE). */
  workerModel?: EnsembleWorkerModel;
  /**
   * cpu: the arithmetic of the paths, default `"f64"` (the float64 twin). `"f32"` runs the fused
   * float32 Euler–Maruyama kernel in WebAssembly SIMD (`ensemble_f32.wat`): Philox, Box–Muller
   * and the update in one pass per tile of 256 paths, for the built-in models with a declared
   * form (Ornstein–Uhlenbeck with diagonal σ, Itô GBM, CIR, stochastic Lotka–Volterra, double
   * well; 1 or 2 components). Its normals come from the same Philox words as the float64
   * path's, keyed by the global path index as there (so the result does not depend on how the
   * paths are split), through an f32 Box–Muller: within 2e-6·max(1, |z|) of the float64
   * normals. The statistics are added in float64. Needs the solver `eulerMaruyama`. With `workers > 1` it
   * needs no `workerModel` (the form travels as data), and is bit-identical to one thread. On
   * webgpu the kernel always runs in f32 and this option is ignored.
   */
  precision?: "f64" | "f32";
}

/** What {@linkcode simulateEnsemble} returns (S saves, d components, P quantiles). */
export interface EnsembleResult {
  /** Save times, S values. */
  t: Float64Array;
  /** Number of paths. */
  paths: number;
  /** State dimension d. */
  dim: number;
  /** Where it ran. */
  backend: "cpu" | "webgpu";
  /** The arithmetic of the paths: f64 (the cpu twin) or f32 (webgpu, or cpu with `precision: "f32"`). */
  precision: "f64" | "f32";
  /** The solver's name. */
  method: string;
  /** Steps from t0 to the last save. */
  steps: number;
  /** Sample means, S×d. */
  mean: Float64Array;
  /** Standard errors of the means, S×d. */
  meanSe: Float64Array;
  /** Unbiased sample covariances, S×d×d. */
  covariance: Float64Array;
  /** Unbiased sample variances (the covariance diagonal), S×d. */
  variance: Float64Array;
  /** Standard errors of the variances, √((m₄ − m₂²)/n), S×d. */
  varianceSe: Float64Array;
  /** Quantiles, when asked for: probabilities, values S×d×P (NaN when outside the bins), bin widths S×d. */
  quantiles: { probs: Float64Array; values: Float64Array; binWidth: Float64Array } | undefined;
  /** Histograms, when quantiles were asked for: bins, edges S×d, counts S×d×(bins + 2). */
  histogram:
    | { bins: number; lower: Float64Array; upper: Float64Array; counts: Float64Array }
    | undefined;
  /** Kept sample paths, S×keepPaths×d. */
  samples: Float64Array;
  /** Final states, paths×d (Float32Array on webgpu), empty unless `returnFinal`. */
  final: Float64Array | Float32Array;
}

/**
 * Simulates `paths` paths of `sde` on the grid `t0 + j·dt` with a fixed-step
 * solver that runs in the ensemble kernel (see the module doc for which
 * do: every tableau solver, and Milstein), and returns
 * streaming statistics at the save times: means, covariances, variances
 * with standard errors, and quantiles from fixed-bin histograms. No
 * trajectory is stored (except `keepPaths` sample paths), so millions of
 * paths need only O(saves·d²) host memory.
 *
 * Noise: the Philox grid convention of {@linkcode brownianGrid} — the
 * paths equal `solveSde` with a grid Brownian path of the same key and `dt`
 * (to float64 rounding on cpu, to f32 on webgpu). On webgpu the model's
 * WGSL snippets are spliced into the kernel; a snippet that does not compile
 * is an `SdenoParseError` whose message shows the WGSL error and line. A lost
 * device falls back to cpu with a warning.
 *
 * Sums are shifted by the first initial state before squaring, so f32 sums
 * stay accurate when the mean is large against the spread. Quantiles have
 * the resolution of one bin (the result carries the bin widths).
 *
 * In a notebook (`deno jupyter`) the result displays itself: a table of the
 * moments and a plot (io/jupyter.ts, through a non-enumerable
 * `Symbol.for("Jupyter.display")`, invisible to JSON and `deepEqual`).
 *
 * @param sde the SDE
 * @param options backend, solver, initial state, paths, grid, saves, key, statistics
 * @returns the statistics
 * @throws {SdenoRangeError} for a non-positive dt, a reversed span, off-grid
 *   save times, a solver without an ensemble step (the message says why), a
 *   noise type the solver does not accept, bad quantile probabilities
 * @throws {SdenoTypeError} for wrongly shaped inputs, or webgpu without WGSL snippets
 * @throws {SdenoParseError} when the WGSL snippets do not compile
 * @throws {NumericalError} when a state becomes NaN or infinite, naming the path, the step
 *   (its index from 0) and the time at its end
 *
 * @example Ornstein–Uhlenbeck on the cpu backend
 * ```ts
 * import { simulateEnsemble } from "./ensemble.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { ornsteinUhlenbeck } from "../../processes/sde_models/ornstein_uhlenbeck.ts";
 * import assert from "node:assert/strict";
 * const ou = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });
 * const r = await simulateEnsemble(ou, {
 *   backend: new CpuBackend(), x0: [1], paths: 2000, t1: 1, dt: 0.01, saveAt: [0.5, 1],
 * });
 * const exact = ou.moments!(1, [1]);
 * assert.ok(Math.abs(r.mean[1]! - exact.mean[0]!) < 4 * r.meanSe[1]!);
 * await assert.rejects(
 *   simulateEnsemble(ou, { backend: new CpuBackend(), x0: [1], paths: 10, t1: 1, dt: -0.1 }),
 *   RangeError,
 * );
 * ```
 *
 * @example Float32, fused in WebAssembly SIMD: the same noise as f64, to f32 accuracy
 * ```ts
 * import { simulateEnsemble } from "./ensemble.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { stochasticLotkaVolterra } from "../../processes/sde_models/stochastic_lotka_volterra.ts";
 * import assert from "node:assert/strict";
 * const lv = stochasticLotkaVolterra();
 * const options = { backend: new CpuBackend(), x0: [1, 0.5], paths: 1000, t1: 1, dt: 0.01 };
 * const r64 = await simulateEnsemble(lv, options);
 * const r32 = await simulateEnsemble(lv, { ...options, precision: "f32" });
 * assert.equal(r32.precision, "f32");
 * for (let c = 0; c < 2; c++) assert.ok(Math.abs(r32.mean[c]! - r64.mean[c]!) < 1e-4);
 * ```
 *
 * @example On two pooled workers: bit-identical to one thread, warm at the second call
 * ```ts
 * import { closeEnsembleWorkers, simulateEnsemble } from "./ensemble.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { ornsteinUhlenbeck } from "../../processes/sde_models/ornstein_uhlenbeck.ts";
 * import assert from "node:assert/strict";
 * const args = [{ theta: 1, mu: 0, sigma: 1 }] as const;
 * const options = {
 *   backend: new CpuBackend(), x0: [1], paths: 4096, t1: 1, dt: 0.01,
 *   workers: 2,
 *   workerModel: {
 *     module: import.meta.resolve("../../processes/sde_models/ornstein_uhlenbeck.ts"),
 *     exportName: "ornsteinUhlenbeck",
 *     args,
 *   },
 * };
 * try {
 *   const ou = ornsteinUhlenbeck(...args);
 *   const a = await simulateEnsemble(ou, options); // starts 2 workers
 *   const b = await simulateEnsemble(ou, options); // reuses them, warm
 *   assert.deepEqual(a, b);
 *   assert.deepEqual(b, await simulateEnsemble(ou, { ...options, workers: 1 }));
 * } finally {
 *   closeEnsembleWorkers();
 * }
 * ```
 */
export async function simulateEnsemble(
  sde: Sde,
  options: SimulateEnsembleOptions,
): Promise<EnsembleResult> {
  const what = "Cannot simulate the ensemble";
  if (typeof options !== "object" || options === null) {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const backend = options.backend;
  if (!backend || (backend.name !== "cpu" && backend.name !== "webgpu")) {
    throw new SdenoTypeError(`${what}: backend must be a Backend, got ${quote(backend)}`);
  }
  const solver = options.solver ?? eulerMaruyama;
  if (!solver || typeof solver !== "object" || !solver.info) {
    throw new SdenoTypeError(`${what}: solver must be an SdeSolver, got ${quote(solver)}`);
  }
  const info = solver.info;
  if (typeof solver.ensembleStep !== "function") {
    const able = sdeSolvers.methods.filter((s) => s.ensembleStep).map((s) => s.info.name);
    throw new SdenoRangeError(
      `${what}: solver ${quote(info.name)} cannot run in the ensemble kernel: ${
        solver.tableau
          ? "its tableau is not one the kernel template runs"
          : "it is not a stochastic Runge–Kutta tableau and declares no ensemble step " +
            "(the kernel holds only the state X of each path)"
      }; solvers that do: ${able.join(", ")}`,
    );
  }
  if (!info.noise.includes(sde.noise)) {
    throw new SdenoRangeError(
      `${what}: solver "${info.name}" supports ${
        info.noise.join(", ")
      } noise, got "${sde.noise}" noise`,
    );
  }
  if (info.calculus !== "both" && info.calculus !== sde.calculus && sde.noise !== "additive") {
    throw new SdenoRangeError(
      `${what}: solver "${info.name}" integrates ${info.calculus} SDEs, got a ${sde.calculus} SDE "${sde.name}"`,
    );
  }
  const d = sde.dim;
  const n = checkInteger(what, "paths", options.paths, 1);
  const x0 = options.x0;
  if (!x0 || typeof x0.length !== "number" || (x0.length !== d && x0.length !== n * d)) {
    throw new SdenoTypeError(
      `${what}: x0 must hold dim = ${d} or paths×dim = ${n * d} values, got length ${
        quote(x0?.length)
      }`,
    );
  }
  for (let e = 0; e < x0.length; e++) {
    if (!Number.isFinite(x0[e])) {
      throw new SdenoTypeError(`${what}: x0 must be finite, got ${quote(x0[e])} at index ${e}`);
    }
  }
  const t0 = checkFinite(what, "t0", options.t0 ?? 0);
  const t1 = checkFinite(what, "t1", options.t1);
  const dt = checkFinite(what, "dt", options.dt);
  if (!(dt > 0)) throw new SdenoRangeError(`${what}: dt must be positive, got ${quote(dt)}`);
  if (!(t1 > t0)) {
    throw new SdenoRangeError(
      `${what}: t-span must be increasing, t1 must exceed t0 = ${t0}, got ${quote(t1)}`,
    );
  }
  const saveAt = options.saveAt ?? [t1];
  if (!Array.isArray(saveAt) || saveAt.length === 0) {
    throw new SdenoTypeError(`${what}: saveAt must be a non-empty array, got ${quote(saveAt)}`);
  }
  const gridStep = (s: number, name: string): number => {
    const j = Math.round((s - t0) / dt);
    if (j < 0 || Math.abs(t0 + j * dt - s) > 1e-9 * Math.max(1, Math.abs(s))) {
      throw new SdenoRangeError(
        `${what}: ${name} must lie on the grid ${t0} + j·${dt}, got ${quote(s)}`,
      );
    }
    return j;
  };
  const lastStep = gridStep(t1, "t1");
  const saveSteps: number[] = [];
  for (const s of saveAt) {
    if (typeof s !== "number" || !(s >= t0) || s > t1) {
      throw new SdenoRangeError(`${what}: saveAt must lie in [${t0}, ${t1}], got ${quote(s)}`);
    }
    const j = gridStep(s, "saveAt");
    if (saveSteps.length > 0 && j <= saveSteps[saveSteps.length - 1]!) {
      throw new SdenoRangeError(`${what}: saveAt must be increasing, got ${quote(s)}`);
    }
    saveSteps.push(j);
  }
  if (lastStep > 0xfffffffe) {
    throw new SdenoRangeError(`${what}: at most 2³² − 2 steps, got ${quote(lastStep)}`);
  }
  // the run context checks the key and the path offset
  const { key, pathOffset } = new RunContext(what, backend, {
    ...(options.key ? { key: options.key } : {}),
    pathOffset: options.pathOffset ?? 0,
  }).noise;
  const keep = checkInteger(what, "keepPaths", options.keepPaths ?? 0, 0, n);
  if (pathOffset + n - 1 > 0xffffffff) {
    throw new SdenoRangeError(
      `${what}: pathOffset + paths must be at most 2³², got ${quote(pathOffset + n)}`,
    );
  }
  const probs = Float64Array.from(options.quantiles ?? []);
  for (const p of probs) {
    if (!(p > 0 && p < 1)) {
      throw new SdenoRangeError(`${what}: quantiles must lie in (0, 1), got ${quote(p)}`);
    }
  }
  const x0arr = Float64Array.from(x0 as ArrayLike<number>);
  probeSde(sde, {
    what,
    x: x0arr.length === d ? x0arr : x0arr.subarray(0, Math.min(2, n) * d),
    t: t0,
  });
  const S = saveSteps.length;
  const plan: EnsemblePlan = {
    step: solver.ensembleStep(sde),
    x0: x0arr,
    paths: n,
    pathOffset,
    t0,
    dt,
    saveSteps,
    key,
    shift: x0arr.subarray(0, d),
    bins: 0,
    keep,
    final: options.returnFinal ?? false,
  };
  if (options.stepsPerDispatch !== undefined) {
    plan.stepsPerDispatch = checkInteger(what, "stepsPerDispatch", options.stepsPerDispatch, 1);
  }
  if (options.chunkPaths !== undefined) {
    plan.chunkPaths = checkInteger(what, "chunkPaths", options.chunkPaths, 64);
  }
  if (options.onProgress !== undefined) {
    if (typeof options.onProgress !== "function") {
      throw new SdenoTypeError(
        `${what}: onProgress must be a function, got ${quote(options.onProgress)}`,
      );
    }
    plan.onProgress = options.onProgress;
  }
  const precision = options.precision ?? "f64";
  if (precision !== "f64" && precision !== "f32") {
    throw new SdenoTypeError(`${what}: precision must be "f64" or "f32", got ${quote(precision)}`);
  }
  const f32Form = precision === "f32" && backend.name === "cpu" ? f32FormOf(sde) : undefined;
  if (f32Form !== undefined) {
    if (solver !== eulerMaruyama) {
      throw new SdenoRangeError(
        `${what}: precision "f32" runs Euler–Maruyama only, got the solver ${quote(info.name)}`,
      );
    }
    if (typeof f32Form === "string") {
      throw new SdenoRangeError(
        `${what}: precision "f32" needs a model with a declared form, and ${f32Form}`,
      );
    }
  }
  const workers = checkInteger(what, "workers", options.workers ?? 1, 1, 256);
  if (workers > 1 && backend.name === "cpu" && f32Form === undefined) {
    const wm = options.workerModel;
    if (
      typeof wm !== "object" || wm === null ||
      !(typeof wm.module === "string" || wm.module instanceof URL) ||
      typeof wm.exportName !== "string" || (wm.args !== undefined && !Array.isArray(wm.args))
    ) {
      throw new SdenoTypeError(
        `${what}: workers > 1 needs workerModel { module, exportName, args? }, got ${quote(wm)}`,
      );
    }
    if (!solver.tableau && sdeSolvers.find(info.name) !== solver) {
      throw new SdenoRangeError(
        `${what}: workers rebuild a solver that is not a tableau by its registered name, and ${
          quote(info.name)
        } is not the registered one; use workers: 1`,
      );
    }
  }
  // histogram bins for quantiles
  if (probs.length > 0) {
    const h = options.histogram;
    const bins = checkInteger(what, "histogram.bins", h?.bins ?? 256, 1, 2046);
    const lower = new Float64Array(S * d), upper = new Float64Array(S * d);
    if (h) {
      const edge = (v: number | readonly number[], name: string) =>
        typeof v === "number"
          ? new Float64Array(d).fill(checkFinite(what, name, v))
          : v.length === d
          ? Float64Array.from(v, (x, i) => checkFinite(what, `${name}[${i}]`, x))
          : (() => {
            throw new SdenoTypeError(`${what}: ${name} must have ${d} values, got ${v.length}`);
          })();
      const lo = edge(h.lower, "histogram.lower"), hi = edge(h.upper, "histogram.upper");
      for (let r = 0; r < d; r++) {
        if (!(hi[r]! > lo[r]!)) {
          throw new SdenoRangeError(
            `${what}: histogram.upper must exceed histogram.lower, got ${quote(hi[r])} ≤ ${
              quote(lo[r])
            } in component ${r}`,
          );
        }
      }
      for (let s = 0; s < S; s++) {
        lower.set(lo, s * d);
        upper.set(hi, s * d);
      }
    } else {
      const np = Math.min(n, 1024);
      const pilot = sdeEnsembleCpu(sde, {
        ...plan,
        paths: np,
        x0: x0arr.length === d ? x0arr : x0arr.subarray(0, np * d),
        keep: np,
        final: false,
        onProgress: undefined,
      });
      for (let s = 0; s < S; s++) {
        for (let r = 0; r < d; r++) {
          let mn = Infinity, mx = -Infinity;
          for (let i = 0; i < np; i++) {
            const v = pilot.kept[(s * np + i) * d + r]!;
            mn = Math.min(mn, v);
            mx = Math.max(mx, v);
          }
          const span = mx - mn > 0 ? mx - mn : Math.max(1, Math.abs(mx));
          lower[s * d + r] = mn - 0.5 * span;
          upper[s * d + r] = mx + 0.5 * span;
        }
      }
    }
    plan.bins = bins;
    plan.lower = lower;
    plan.upper = upper;
  }

  let raw: EnsembleSums;
  let ran: "cpu" | "webgpu" = backend.name;
  if (backend.name === "webgpu") {
    if (!(backend instanceof WebGpuBackend)) {
      throw new SdenoTypeError(`${what}: a webgpu backend must be a WebGpuBackend`);
    }
    try {
      raw = await launchSdeEnsemble(sde, { ...plan, ctx: backend.ctx });
    } catch (err) {
      if (!(err instanceof DeviceLostError)) throw err;
      console.warn(`${what}: ${err.message}; falling back to cpu`);
      raw = sdeEnsembleCpu(sde, plan);
      ran = "cpu";
    }
  } else if (f32Form !== undefined && typeof f32Form !== "string") {
    raw = workers > 1
      ? await ensembleF32OnWorkers(f32Form, plan, workers)
      : sdeEnsembleF32(f32Form, plan);
  } else if (workers > 1) {
    raw = await ensembleOnWorkers(sde, {
      plan,
      count: workers,
      spec: options.workerModel!,
      solver: { name: info.name, tableau: solver.tableau },
    });
  } else {
    raw = sdeEnsembleCpu(sde, plan);
  }
  // displays itself in Jupyter (io/jupyter.ts), through a non-enumerable method
  return attachLazyDisplay(finishStats(raw, {
    d,
    n,
    S,
    t: saveSteps.map((j) => t0 + j * dt),
    shift: plan.shift,
    probs,
    plan,
    backend: ran,
    precision: ran === "webgpu" || f32Form !== undefined ? "f32" : "f64",
    method: info.name,
    steps: saveSteps[S - 1]!,
    keep,
  }));
}

function finishStats(
  raw: EnsembleSums,
  o: {
    d: number;
    n: number;
    S: number;
    t: number[];
    shift: ArrayLike<number>;
    probs: Float64Array;
    plan: EnsemblePlan;
    backend: "cpu" | "webgpu";
    precision: "f64" | "f32";
    method: string;
    steps: number;
    keep: number;
  },
): EnsembleResult {
  const { d, n, S } = o;
  const NS = ensembleStatCount(d), np = (d * (d + 1)) / 2;
  const mean = new Float64Array(S * d), meanSe = new Float64Array(S * d);
  const cov = new Float64Array(S * d * d), variance = new Float64Array(S * d);
  const varianceSe = new Float64Array(S * d);
  for (let s = 0; s < S; s++) {
    const sum = raw.sums.subarray(s * NS, (s + 1) * NS);
    const mu = new Float64Array(d);
    for (let a = 0; a < d; a++) mu[a] = sum[a]! / n;
    let q = d;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        const c = (sum[q++]! - n * mu[a]! * mu[b]!) / (n - 1);
        cov[(s * d + a) * d + b] = c;
        cov[(s * d + b) * d + a] = c;
      }
    }
    for (let a = 0; a < d; a++) {
      const v = cov[(s * d + a) * d + a]!;
      mean[s * d + a] = mu[a]! + o.shift[a]!;
      variance[s * d + a] = v;
      meanSe[s * d + a] = Math.sqrt(v / n);
      // central moments about the sample mean from the raw moments of y
      const m1 = mu[a]!;
      const e2 = sum[d + pairIndex(d, a, a)]! / n;
      const e3 = sum[d + np + a]! / n, e4 = sum[2 * d + np + a]! / n;
      const m2 = e2 - m1 * m1;
      const m4 = e4 - 4 * m1 * e3 + 6 * m1 * m1 * e2 - 3 * m1 ** 4;
      varianceSe[s * d + a] = Math.sqrt(Math.max(0, m4 - m2 * m2) / n);
    }
  }
  const bins = o.plan.bins;
  let quantiles: EnsembleResult["quantiles"];
  let histogram: EnsembleResult["histogram"];
  if (bins > 0) {
    const P = o.probs.length, width = bins + 2;
    const values = new Float64Array(S * d * P), binWidth = new Float64Array(S * d);
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < d; a++) {
        const lo = o.plan.lower![s * d + a]!, hi = o.plan.upper![s * d + a]!;
        const h = (hi - lo) / bins;
        binWidth[s * d + a] = h;
        const c = raw.counts.subarray((s * d + a) * width, (s * d + a + 1) * width);
        for (let k = 0; k < P; k++) {
          const target = o.probs[k]! * n;
          let cum = c[0]!;
          let value = NaN;
          if (cum < target) {
            for (let b = 1; b <= bins; b++) {
              const next = cum + c[b]!;
              if (next >= target) {
                value = lo + (b - 1 + (target - cum) / c[b]!) * h;
                break;
              }
              cum = next;
            }
          }
          values[(s * d + a) * P + k] = value;
        }
      }
    }
    quantiles = { probs: o.probs, values, binWidth };
    histogram = {
      bins,
      lower: Float64Array.from(o.plan.lower!),
      upper: Float64Array.from(o.plan.upper!),
      counts: raw.counts,
    };
  }
  return {
    t: Float64Array.from(o.t),
    paths: n,
    dim: d,
    backend: o.backend,
    precision: o.precision,
    method: o.method,
    steps: o.steps,
    mean,
    meanSe,
    covariance: cov,
    variance,
    varianceSe,
    quantiles,
    histogram,
    samples: raw.kept,
    final: raw.final,
  };
}

function pairIndex(d: number, a: number, b: number): number {
  // rows a' < a hold d − a' entries each
  return a * d - (a * (a - 1)) / 2 + (b - a);
}
