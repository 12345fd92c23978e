/**
 * Ensembles of SDE paths with streaming statistics: `sde_ensemble.wgsl` runs
 * 4 / gcd(m, 4) consecutive paths per invocation (so that their normals use
 * every lane of each Philox block) with the states in registers across many
 * steps of one dispatch; {@linkcode sdeEnsembleCpu} is its float64 twin, on the same
 * Philox noise; {@linkcode launchSdeEnsemble} drives the GPU kernel.
 *
 * The integrator is not part of this module: a run carries an
 * {@linkcode EnsembleStep} — the WGSL `sd_step` spliced into the template
 * at `{{STEP}}` and the twin's batch step with the same semantics — which
 * the SDE solvers supply (generated from a stochastic Runge–Kutta tableau,
 * or written by hand, as Milstein's is). Nothing here names a method.
 *
 * Noise: path i at grid step j (time t₀ + j·dt) uses the normals
 * `ξₖ = lane (e mod 4) of Philox((⌊e/4⌋, j, 0x5de0, 0))`, e = i·m + k, and for a
 * step with two streams also `ηₖ` of purpose 0x5de2; `ΔWₖ = √dt·ξₖ` and
 * `ΔZₖ = dt^{3/2}(ξₖ/2 + ηₖ/(2√3))` — the counter convention of
 * `solvers/sde/brownian_grid.ts`, so `solveSde` on a grid path, the twin and
 * the kernel integrate the same Brownian path.
 *
 * Statistics at each save, with `y = x − shift` (the shift keeps the f32 sums
 * well conditioned): Σyₐ, Σyₐy_b (a ≤ b), Σyₐ³, Σyₐ⁴ — reduced per 64-path
 * workgroup in f32 on the GPU, added in float64 on the host — and per
 * component a histogram with fixed bins (slot 0 below `lower`, slots
 * 1…bins inside, slot bins+1 at or above `upper`).
 *
 * This module imports nothing outside `kernels/`: the model is described by
 * the structural {@linkcode EnsembleModel}, which every `Sde` satisfies.
 *
 * @module
 */

import ENSEMBLE from "./sde_ensemble.wgsl" with { type: "text" };
import { PHILOX_WGSL } from "./wgsl.ts";
import { type GpuContext, joinWgsl } from "./gpu_context.ts";
import { fillNormal, type Key } from "./philox.ts";
import { NumericalError, SdenoTypeError } from "./errors.ts";
import { fnv1a32Hex } from "./hash.ts";
import { PHILOX_PURPOSES } from "./purposes.ts";

/**
 * The kernel template, with its `{{…}}` placeholders.
 *
 * @example The placeholders the launcher fills
 * ```ts
 * import { SDE_ENSEMBLE_TEMPLATE } from "./sde_ensemble.ts";
 * import assert from "node:assert/strict";
 * for (const p of ["DIM", "NOISE_DIM", "STREAMS", "MODEL", "STEP"]) {
 *   assert.ok(SDE_ENSEMBLE_TEMPLATE.includes(`{{${p}}}`));
 * }
 * ```
 */
export const SDE_ENSEMBLE_TEMPLATE: string = ENSEMBLE;

/** A batched coefficient (see `processes/sde.ts`). */
export type EnsembleFunction = (t: number, x: Float64Array, out: Float64Array, n: number) => void;

/** What the ensemble kernel needs of an SDE; every `Sde` has these fields. */
export interface EnsembleModel {
  /** A short name. */
  readonly name: string;
  /** State dimension d. */
  readonly dim: number;
  /** Brownian dimension m. */
  readonly noiseDim: number;
  /** Noise type. */
  readonly noise: "diagonal" | "scalar" | "additive" | "general";
  /** Itô or Stratonovich. */
  readonly calculus: "ito" | "stratonovich";
  /** Drift, n×d. */
  readonly drift: EnsembleFunction;
  /** Diffusion, n×d (diagonal, scalar) or n×d×m (additive, general). */
  readonly diffusion: EnsembleFunction;
  /** Milstein correction Σⱼ gⱼ∂gᵢ/∂xⱼ, n×d, if known. */
  readonly diffusionDerivative: EnsembleFunction | undefined;
  /** WGSL snippets. */
  readonly wgsl:
    | {
      readonly drift: string;
      readonly diffusion: string;
      readonly diffusionDerivative?: string | undefined;
      readonly helpers?: string | undefined;
    }
    | undefined;
}

/**
 * The batch a twin step advances. `z` holds the step's normals: path i of
 * the batch, lane ℓ at `z[zo + i·streams·m + ℓ]`, lanes 0…m−1 the ξ
 * stream and m…2m−1 the η stream (two streams only).
 */
export interface EnsembleBatch {
  /** The states at t, n×d (read only). */
  x: Float64Array;
  /** Where the states at t + dt go, n×d. */
  out: Float64Array;
  /** The normals (layout above). */
  z: Float64Array;
  /** Offset of this step's normals in `z`. */
  zo: number;
  /** Number of paths in the batch. */
  n: number;
  /** The run's own state of the step: {@linkcode EnsembleTwin.work}. */
  work: unknown;
}

/**
 * One step of a batch of the twin: writes the new states into `batch.out`
 * and returns whether they are all finite.
 */
export type EnsembleTwinStep = (t: number, batch: EnsembleBatch) => boolean;

/**
 * The twin of a step for one run: a step function and the run's state
 * (constants and scratch buffers), which the twin hands to the step as
 * `batch.work`. The function should be the same object in every run of a
 * method (state lives in `work`, not in a closure): then the twin's loop
 * keeps calling one known function, which the JIT inlines; a fresh closure
 * per run made the Euler–Maruyama twin ~10% slower.
 */
export interface EnsembleTwin {
  /** The step. */
  step: EnsembleTwinStep;
  /** Its state in this run. */
  work: unknown;
}

/** What a twin step is built for. */
export interface EnsembleTwinOptions {
  /** The largest batch it will see. */
  batch: number;
  /** The grid step (every step is dt long). */
  dt: number;
}

/**
 * An integrator of the ensemble kernel, for one model: its WGSL step and its
 * float64 twin, with the same semantics (the twin in float64, the kernel in
 * f32), and what noise they take.
 */
export interface EnsembleStep {
  /** The method's name (messages and the pipeline cache key). */
  readonly name: string;
  /** Normal streams per Brownian component and step: 1 (ΔW) or 2 (ΔW and ΔZ). */
  readonly streams: 1 | 2;
  /** Whether the WGSL step calls the model's `sde_milstein` (which must then be given). */
  readonly usesDiffusionDerivative: boolean;
  /**
   * WGSL defining `fn sd_step(t: f32, h: f32, x: SdState, dw: SdNoise, dz: SdNoise) -> SdState`
   * (the state after one step; dz is zero with one stream), which may call
   * `sde_drift`, `sde_diffusion` and `sde_milstein`.
   */
  readonly wgsl: string;
  /**
   * Builds the twin's batch step for a run.
   *
   * @param options the batch size and the step
   * @returns the step and its state
   */
  twin(options: EnsembleTwinOptions): EnsembleTwin;
}

/** One ensemble run, as both the twin and the launcher take it (checked by the caller). */
export interface EnsemblePlan {
  /** The integrator. */
  step: EnsembleStep;
  /** Initial state: d values (all paths) or paths×d. */
  x0: ArrayLike<number>;
  /** Number of paths. */
  paths: number;
  /** Global index of the first path (for sharding), default 0. */
  pathOffset?: number;
  /** Grid start. */
  t0: number;
  /** Grid step (> 0). */
  dt: number;
  /** Grid indices of the save times, non-decreasing from 0. */
  saveSteps: readonly number[];
  /** Philox key. */
  key: Key;
  /** Shift of the sums, d values. */
  shift: ArrayLike<number>;
  /** Histogram bins per component (0: none). */
  bins: number;
  /** Histogram lower edges, saves×d. */
  lower?: ArrayLike<number>;
  /** Histogram upper edges, saves×d. */
  upper?: ArrayLike<number>;
  /** Keep the states of the first `keep` paths at every save. */
  keep: number;
  /** Return the final states of all paths. */
  final: boolean;
  /** GPU only: steps per dispatch (default 256). */
  stepsPerDispatch?: number;
  /**
   * GPU only: paths per chunk (default 2²⁰), rounded down to a multiple of 64 · 4/gcd(m, 4)
   * (whole workgroups), and at least that.
   */
  chunkPaths?: number;
  /** Called with the number of paths finished so far (after each batch or chunk). */
  onProgress?: ((pathsDone: number) => void) | undefined;
}

/** Raw streaming sums of a run. */
export interface EnsembleSums {
  /** Per save: the {@linkcode ensembleStatCount} sums in the order of the module doc, float64. */
  sums: Float64Array;
  /** Histogram counts, saves×d×(bins+2). */
  counts: Float64Array;
  /** Kept states, saves×keep×d. */
  kept: Float64Array;
  /** Final states, paths×d (empty unless asked for). */
  final: Float64Array | Float32Array;
}

/**
 * Number of sums per save for dimension d: d (Σy) + d(d+1)/2 (Σyₐy_b) + d
 * (Σy³) + d (Σy⁴).
 *
 * @param d the state dimension
 * @returns the count
 *
 * @example Two components: 2 sums, 3 products, 2 cubes, 2 fourth powers
 * ```ts
 * import { ensembleStatCount } from "./sde_ensemble.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ensembleStatCount(2), 9);
 * ```
 */
export function ensembleStatCount(d: number): number {
  return 3 * d + (d * (d + 1)) / 2;
}

const WG = 64;

/**
 * Paths per invocation of the kernel for m Brownian components: 4 / gcd(m, 4), the fewest
 * consecutive paths whose m normals each fill whole Philox blocks (4 normals a block).
 */
function pathsPerInvocation(m: number): number {
  return m % 2 === 1 ? 4 : m % 4 === 2 ? 2 : 1;
}
const MILSTEIN_STUB = "fn sde_milstein(t: f32, x: SdState) -> SdState { return SdState(); }";

/**
 * The unrolled per-group code of the template: G paths of m normals per stream, each path in its
 * own variable `x{g}`, each normal in its own value (element q = g·m + k of the group is lane
 * q mod 4 of the group's block ⌊q/4⌋: `n{stream}{block}.xyzw`, or `z{stream}_{q}` when the group
 * is not aligned to the blocks).
 */
function groupCode(G: number, m: number, streams: 1 | 2) {
  const gm = G * m, lanes = ["x", "y", "z", "w"];
  const paths = Array.from({ length: G }, (_, g) => g);
  const names = [["xi", "SD_XI"], ["eta", "SD_ETA"]].slice(0, streams);
  const aligned: string[] = [], unaligned: string[] = [];
  for (const [nm, purpose] of names) {
    for (let b = 0; b < gm / 4; b++) {
      aligned.push(
        `      let ${nm}b${b} = sd_normal4(sd_philox(vec4<u32>((e0 >> 2u) + ${b}u, j, ${purpose}, 0u), key));`,
      );
      for (let l = 0; l < 4; l++) {
        aligned.push(`      let ${nm}${4 * b + l} = ${nm}b${b}.${lanes[l]};`);
      }
    }
    for (let q = 0; q < gm; q++) {
      unaligned.push(`      let ${nm}${q} = sd_elem_normal(e0 + ${q}u, j, ${purpose}, key);`);
    }
  }
  const ks = Array.from({ length: m }, (_, k) => k);
  const stepLines = paths.map((g) => {
    const dw = ks.map((k) => `p.sqrt_dt * xi${g * m + k}`).join(", ");
    const dz = streams === 2
      ? ks.map((k) =>
        `h * p.sqrt_dt * (0.5 * xi${g * m + k} + 0.28867513459481287 * eta${g * m + k})`
      ).join(", ")
      : "";
    return [
      `      x${g} = sd_step(t, h, x${g}, SdNoise(${dw}), SdNoise(${dz}));`,
      `      step_bad = step_bad | select(0u, ${
        1 << g
      }u, !sd_all_finite(x${g}) && first + ${g}u < p.n);`,
    ].join("\n");
  });
  // the first non-finite step, without a branch out of the loop: a break makes llvmpipe run
  // the loop masked, ~12% slower (a path that went bad goes on with NaN, unread)
  const loop = (noise: string[]) =>
    [
      "    for (var j = p.step_begin; j < p.step_end; j = j + 1u) {",
      "      let h = p.dt;",
      "      let t = p.t0 + f32(j) * h;",
      ...noise,
      "      var step_bad = 0u;",
      ...stepLines,
      "      first_bad = select(first_bad, j, first_bad == 0xffffffffu && step_bad != 0u);",
      "      bad_paths = bad_paths | step_bad;",
      "    }",
    ].join("\n");
  return {
    LOOP: `    if (aligned) {\n${loop(aligned)}\n    } else {\n${loop(unaligned)}\n    }`,
    VARS: paths.map((g) => `  var x${g} = sd_load(first + ${g}u);`).join("\n"),
    STORE: paths.map((g) => `    sd_store(first + ${g}u, x${g});`).join("\n"),
    STATS: paths.map((g) => `  sd_stats_add(&st, x${g}, first + ${g}u < p.n);`).join("\n"),
    HIST: paths.map((g) => `  if (first + ${g}u < p.n) { sd_hist_add(x${g}); }`).join("\n"),
  };
}

/**
 * The full WGSL source of the ensemble kernel for a model and step: Philox,
 * then the template with the model's snippets at `{{MODEL}}` (a zero
 * `sde_milstein` where the step does not call it) and the step at
 * `{{STEP}}`.
 *
 * @param model the SDE (with `wgsl` snippets)
 * @param step the integrator
 * @returns the WGSL module source
 * @throws {SdenoTypeError} when the model has no WGSL snippets, or the step
 *   calls `sde_milstein` and `wgsl.diffusionDerivative` is missing
 *
 * @example The source of a Brownian motion for Euler–Maruyama
 * ```ts
 * import { sdeEnsembleSource } from "./sde_ensemble.ts";
 * import { eulerMaruyama } from "../solvers/sde/euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * const f = (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(0, 0, n);
 * const bm = {
 *   name: "bm", dim: 1, noiseDim: 1, noise: "diagonal", calculus: "ito",
 *   drift: f, diffusion: f, diffusionDerivative: undefined,
 *   wgsl: {
 *     drift: "fn sde_drift(t: f32, x: SdState) -> SdState { return SdState(0.0); }",
 *     diffusion: "fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState { return SdState(dw[0]); }",
 *   },
 * } as const;
 * const src = sdeEnsembleSource(bm, eulerMaruyama.ensembleStep!(bm));
 * assert.match(src, /const SD_D: u32 = 1u;/);
 * assert.match(src, /fn sd_step\(/);
 * ```
 */
export function sdeEnsembleSource(model: EnsembleModel, step: EnsembleStep): string {
  const what = `Cannot build the ensemble kernel for "${model.name}"`;
  const w = model.wgsl;
  if (!w) {
    throw new SdenoTypeError(
      `${what}: the SDE has no WGSL snippets (wgsl.drift, wgsl.diffusion), got undefined; use the cpu backend or add them`,
    );
  }
  if (step.usesDiffusionDerivative && w.diffusionDerivative === undefined) {
    throw new SdenoTypeError(
      `${what}: ${step.name} on webgpu needs wgsl.diffusionDerivative (fn sde_milstein), got undefined`,
    );
  }
  const milsteinFn = step.usesDiffusionDerivative ? w.diffusionDerivative! : MILSTEIN_STUB;
  const modelSrc = [w.helpers ?? "", w.drift, w.diffusion, milsteinFn].join("\n");
  const group = groupCode(pathsPerInvocation(model.noiseDim), model.noiseDim, step.streams);
  const body = ENSEMBLE
    .replace("{{DIM}}", String(model.dim))
    .replace("{{NOISE_DIM}}", String(model.noiseDim))
    .replace("{{STREAMS}}", String(step.streams))
    .replace("{{GROUP}}", String(pathsPerInvocation(model.noiseDim)))
    .replace(/\{\{GROUP_([A-Z]+)\}\}/g, (_, part: string) => group[part as keyof typeof group])
    .replace("{{MODEL}}", () => modelSrc)
    .replace("{{STEP}}", () => step.wgsl);
  return joinWgsl(PHILOX_WGSL, body);
}

/**
 * Paths per batch of the cpu twin: the model's callbacks, the noise draws and
 * the update each run over a whole batch (large enough that per-call costs
 * vanish, small enough that a batch's arrays stay in cache). Any batching
 * gives the same numbers.
 */
export const TWIN_BATCH_PATHS = 1024;

/** Normals per fillNormal call when drawing the noise of a batch. */
const NOISE_NORMALS = 16384;

/**
 * The normals of paths `first … first+nb−1` at grid steps `j … j+steps−1`
 * into `z`: normal `lane` of path `first + i` at step `j + k` goes to
 * `z[(k·nb + i)·zStride + lane]` (zStride = streams·m), lanes 0…m−1 from the
 * ξ stream and m…2m−1 from the η stream. Exactly the numbers of
 * `brownianGrid`: component c of path p at step j is the
 * {@linkcode fillNormal} normal of flat element p·m + c at that step and
 * purpose, so a batch of paths is one contiguous run of elements.
 */
function gridNormalsBatch(
  first: number,
  nb: number,
  j: number,
  steps: number,
  m: number,
  streams: 1 | 2,
  key: Key,
  scratch: Float64Array,
  z: Float64Array,
): void {
  if (streams === 1) {
    // one stream: each step's run of nb·m normals is z's layout already
    for (let k = 0; k < steps; k++) {
      const run = z.subarray(k * nb * m, (k + 1) * nb * m);
      fillNormal(run, key, { step: j + k, purpose: PHILOX_PURPOSES.sdeGridXi, offset: first * m });
    }
    return;
  }
  const zStride = 2 * m;
  const run = scratch.subarray(0, nb * m);
  for (let k = 0; k < steps; k++) {
    const zo = k * nb * zStride;
    for (let lane0 = 0; lane0 < 2 * m; lane0 += m) {
      const purpose = lane0 === 0 ? PHILOX_PURPOSES.sdeGridXi : PHILOX_PURPOSES.sdeGridEta;
      fillNormal(run, key, { step: j + k, purpose, offset: first * m });
      for (let i = 0; i < nb; i++) {
        const zi = zo + i * zStride + lane0, ri = i * m;
        for (let c = 0; c < m; c++) z[zi + c] = run[ri + c]!;
      }
    }
  }
}

/** Adds the statistics of n states (n×d) into sums, histogram counts. */
function accumulate(
  x: Float64Array,
  n: number,
  d: number,
  shift: ArrayLike<number>,
  sums: Float64Array,
  so: number,
  counts: Float64Array,
  co: number,
  bins: number,
  lower: ArrayLike<number> | undefined,
  upper: ArrayLike<number> | undefined,
  lo: number,
): void {
  const np = (d * (d + 1)) / 2;
  const y = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) y[a] = x[i * d + a]! - shift[a]!;
    let q = so + d;
    for (let a = 0; a < d; a++) {
      const ya = y[a]!;
      sums[so + a] = sums[so + a]! + ya;
      sums[so + d + np + a] = sums[so + d + np + a]! + ya * ya * ya;
      sums[so + 2 * d + np + a] = sums[so + 2 * d + np + a]! + ya * ya * ya * ya;
      for (let b = a; b < d; b++) sums[q] = sums[q++]! + ya * y[b]!;
    }
    if (bins > 0) {
      for (let a = 0; a < d; a++) {
        const l = lower![lo + a]!, h = upper![lo + a]!;
        const u = ((x[i * d + a]! - l) / (h - l)) * bins;
        const slot = u >= bins ? bins + 1 : u >= 0 ? Math.min(Math.floor(u), bins - 1) + 1 : 0;
        const c = co + a * (bins + 2) + slot;
        counts[c] = counts[c]! + 1;
      }
    }
  }
}

/**
 * CPU twin of the ensemble kernel, in float64: the same model (its
 * TypeScript coefficients, batched over 1024 paths), the same step (the
 * plan's {@linkcode EnsembleStep} twin), the same Philox noise and the same
 * statistics. A non-finite state stops the run with a
 * {@linkcode NumericalError} naming the path, time and component.
 *
 * @param model the SDE
 * @param plan the run (checked by the caller)
 * @returns the sums, histogram counts, kept and final states
 * @throws {NumericalError} when a state becomes NaN or infinite: step (the grid step's index,
 *   from 0), the time at its end, index = global path · d + component
 *
 * @example Brownian motion: Var W(1) = 1 within Monte Carlo error
 * ```ts
 * import { sdeEnsembleCpu } from "./sde_ensemble.ts";
 * import { eulerMaruyama } from "../solvers/sde/euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * const bm = {
 *   name: "bm", dim: 1, noiseDim: 1, noise: "diagonal", calculus: "ito",
 *   drift: (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(0, 0, n),
 *   diffusion: (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(1, 0, n),
 *   diffusionDerivative: undefined, wgsl: undefined,
 * } as const;
 * const r = sdeEnsembleCpu(bm, {
 *   step: eulerMaruyama.ensembleStep!(bm), x0: [0], paths: 4000, t0: 0, dt: 0.1,
 *   saveSteps: [10], key: { seed: 1, stream: 0 }, shift: [0], bins: 0, keep: 0, final: false,
 * });
 * assert.ok(Math.abs(r.sums[1]! / 4000 - 1) < 4 * Math.sqrt(2 / 4000));
 * ```
 */
export function sdeEnsembleCpu(model: EnsembleModel, plan: EnsemblePlan): EnsembleSums {
  const acc = ensembleAccumulator(model.dim, plan);
  runCpu(
    model,
    plan,
    (x, nb, start, s) => acc.add(x, { paths: nb, first: start, save: s }),
    plan.onProgress,
  );
  return acc.result();
}

/** Adds states to the statistics of a run, in path order; see {@linkcode ensembleAccumulator}. */
export interface EnsembleAccumulator {
  /**
   * Adds the states `x` (paths×d) of paths `first … first+paths−1` (plan-relative) at save
   * `save`.
   *
   * @param x the states
   * @param at how many paths, the plan-relative index of the first, the save index
   */
  add(x: Float64Array, at: { paths: number; first: number; save: number }): void;
  /**
   * The sums, counts, kept and final states so far.
   *
   * @returns them
   */
  result(): EnsembleSums;
}

/**
 * The statistics of {@linkcode sdeEnsembleCpu}, fed with states: adding
 * every path's states at every save in path order (any grouping) gives the
 * twin's sums bit for bit, since each sum is the same sequence of float64
 * additions. Used to merge worker shards.
 *
 * @param d the state dimension
 * @param plan the run
 * @returns the accumulator
 *
 * @example Two halves added in order equal the twin
 * ```ts
 * import { ensembleAccumulator, sdeEnsembleStates, sdeEnsembleCpu } from "./sde_ensemble.ts";
 * import { eulerMaruyama } from "../solvers/sde/euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * const model = {
 *   name: "bm", dim: 1, noiseDim: 1, noise: "diagonal", calculus: "ito",
 *   drift: (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(0, 0, n),
 *   diffusion: (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(1, 0, n),
 *   diffusionDerivative: undefined, wgsl: undefined,
 * } as const;
 * const plan = {
 *   step: eulerMaruyama.ensembleStep!(model), x0: [0], paths: 600, t0: 0, dt: 0.1,
 *   saveSteps: [10], key: { seed: 1, stream: 0 }, shift: [0], bins: 0, keep: 0, final: true,
 * };
 * const acc = ensembleAccumulator(1, plan);
 * for (const [first, paths] of [[0, 512], [512, 88]] as const) {
 *   const st = sdeEnsembleStates(model, { ...plan, paths, pathOffset: first });
 *   acc.add(st, { paths, first, save: 0 });
 * }
 * assert.deepEqual(acc.result(), sdeEnsembleCpu(model, plan));
 * ```
 */
export function ensembleAccumulator(d: number, plan: EnsemblePlan): EnsembleAccumulator {
  const n = plan.paths, S = plan.saveSteps.length, NS = ensembleStatCount(d), bins = plan.bins;
  const sums = new Float64Array(S * NS);
  const counts = new Float64Array(S * d * (bins + 2));
  const kept = new Float64Array(S * plan.keep * d);
  const final = new Float64Array(plan.final ? n * d : 0);
  return {
    add(x, { paths: nb, first: start, save: s }) {
      accumulate(
        x,
        nb,
        d,
        plan.shift,
        sums,
        s * NS,
        counts,
        s * d * (bins + 2),
        bins,
        plan.lower,
        plan.upper,
        s * d,
      );
      for (let i = 0; i < nb && start + i < plan.keep; i++) {
        for (let r = 0; r < d; r++) kept[(s * plan.keep + start + i) * d + r] = x[i * d + r]!;
      }
      if (plan.final && s === S - 1) final.set(x.subarray(0, nb * d), start * d);
    },
    result: () => ({ sums, counts, kept, final }),
  };
}

/**
 * The states of every path at every save of {@linkcode sdeEnsembleCpu}'s
 * run, S×paths×d (the paths of `plan`, from `pathOffset`): the work of one
 * shard when the paths are split over workers.
 *
 * @param model the SDE
 * @param plan the run (its statistics fields are ignored)
 * @returns the states, save-major
 * @throws {NumericalError} when a state becomes NaN or infinite (as the twin)
 *
 * @example The states at the last save are the twin's final states
 * ```ts
 * import { sdeEnsembleStates, sdeEnsembleCpu } from "./sde_ensemble.ts";
 * import { eulerMaruyama } from "../solvers/sde/euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * const model = {
 *   name: "bm", dim: 1, noiseDim: 1, noise: "diagonal", calculus: "ito",
 *   drift: (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(0, 0, n),
 *   diffusion: (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(1, 0, n),
 *   diffusionDerivative: undefined, wgsl: undefined,
 * } as const;
 * const plan = {
 *   step: eulerMaruyama.ensembleStep!(model), x0: [0], paths: 300, t0: 0, dt: 0.1,
 *   saveSteps: [5, 10], key: { seed: 1, stream: 0 }, shift: [0], bins: 0, keep: 0, final: true,
 * };
 * const st = sdeEnsembleStates(model, plan);
 * assert.deepEqual(st.subarray(300), sdeEnsembleCpu(model, plan).final);
 * ```
 */
export function sdeEnsembleStates(model: EnsembleModel, plan: EnsemblePlan): Float64Array {
  const d = model.dim, n = plan.paths;
  const states = new Float64Array(plan.saveSteps.length * n * d);
  runCpu(model, plan, (x, nb, start, s) => {
    states.set(x.subarray(0, nb * d), (s * n + start) * d);
  }, undefined);
  return states;
}

/**
 * The twin's integration loop, in batches of {@linkcode TWIN_BATCH_PATHS} paths: calls
 * `save(x, nb, start, s)` with the states of paths `start … start+nb−1`
 * (plan-relative) at each save `s`, and `onProgress` after each batch. The
 * step is a function of its own, called once per step of a batch, so the
 * JIT optimises it as an ordinary function; as the inner loop of one long
 * call it was compiled on stack and thrown away at every loop exit.
 */
function runCpu(
  model: EnsembleModel,
  plan: EnsemblePlan,
  save: (x: Float64Array, nb: number, start: number, s: number) => void,
  onProgress: ((pathsDone: number) => void) | undefined,
): void {
  const { dim: d, noiseDim: m } = model;
  const n = plan.paths, offset = plan.pathOffset ?? 0;
  const S = plan.saveSteps.length;
  const streams = plan.step.streams;
  const B = Math.min(TWIN_BATCH_PATHS, n);
  const zStride = streams * m;
  // the noise of up to kMax steps of a batch is drawn in one pass
  const kMax = Math.max(1, Math.floor(NOISE_NORMALS / (B * zStride)));
  const { step, work } = plan.step.twin({ batch: B, dt: plan.dt });
  const batch: EnsembleBatch = {
    x: new Float64Array(B * d),
    out: new Float64Array(B * d),
    z: new Float64Array(kMax * B * zStride),
    zo: 0,
    n: B,
    work,
  };
  const scratch = new Float64Array(B * m);
  const { key, t0, dt } = plan;
  const x0 = plan.x0, perPath = x0.length !== d;
  for (let start = 0; start < n; start += B) {
    const nb = Math.min(B, n - start);
    batch.n = nb;
    const x = batch.x;
    for (let e = 0; e < nb * d; e++) x[e] = perPath ? x0[start * d + e]! : x0[e % d]!;
    let j = 0;
    for (let s = 0; s < S; s++) {
      const end = plan.saveSteps[s]!;
      while (j < end) {
        const steps = Math.min(kMax, end - j);
        gridNormalsBatch(offset + start, nb, j, steps, m, streams, key, scratch, batch.z);
        for (let k = 0; k < steps; k++, j++) {
          batch.zo = k * nb * zStride;
          if (!step(t0 + j * dt, batch)) {
            checkFinite(batch.out, nb, d, {
              first: offset + start,
              t0,
              dt,
              j,
              name: plan.step.name,
            });
          }
          // the new states become the current ones
          const next = batch.out;
          batch.out = batch.x;
          batch.x = next;
        }
      }
      save(batch.x, nb, start, s);
    }
    onProgress?.(start + nb);
  }
}

/**
 * Throws a {@linkcode NumericalError} at the first non-finite value of `out` (n×d) after grid
 * step j: the error's step is j (the step's index, as `onStep` of `solveSde` counts), its time
 * the step's end, its index the flat index path·d + component with the global path index.
 */
function checkFinite(
  out: Float64Array,
  n: number,
  d: number,
  at: { first: number; t0: number; dt: number; j: number; name: string },
): void {
  const { first, t0, dt, j, name } = at;
  for (let e = 0; e < n * d; e++) {
    if (!Number.isFinite(out[e]!)) {
      const path = first + Math.floor(e / d);
      throw new NumericalError(
        `Cannot simulate the ensemble: the state became ${out[e]} at path ${path}, time ${
          t0 + (j + 1) * dt
        }, component ${e % d} (${name}, step ${j})`,
        { step: j, time: t0 + (j + 1) * dt, index: path * d + (e % d) },
      );
    }
  }
}

/** Options of {@linkcode launchSdeEnsemble}: the run and the GPU context. */
export interface LaunchSdeEnsembleOptions extends EnsemblePlan {
  /** The GPU context. */
  ctx: GpuContext;
}

/**
 * Runs the ensemble kernel on the GPU: paths in chunks, each save interval
 * in dispatches of at most `stepsPerDispatch` steps (the state stays on the
 * device between them), per-workgroup f32 partial sums added in float64 here.
 * The pipeline is compiled once per device and kernel source (model snippets and step).
 *
 * @param model the SDE with WGSL snippets
 * @param plan the run (checked by the caller) and the GPU context
 * @returns the sums, histogram counts, kept and final states (final in f32)
 * @throws {SdenoParseError} when the snippets do not compile (message with the WGSL line)
 * @throws {NumericalError} when a state becomes NaN or infinite: step (the grid step's index,
 *   from 0), the time at its end, index = path · d of the smallest such global path (f32)
 *
 * @example Brownian motion on the GPU (skipped quietly where no adapter exists)
 * ```ts
 * import { launchSdeEnsemble } from "./sde_ensemble.ts";
 * import { requestGpuContext } from "./gpu_context.ts";
 * import { eulerMaruyama } from "../solvers/sde/euler_maruyama.ts";
 * import assert from "node:assert/strict";
 * const ctx = await requestGpuContext();
 * if (ctx) {
 *   const f = (_t: number, _x: Float64Array, o: Float64Array, n: number) => o.fill(0, 0, n);
 *   const bm = {
 *     name: "bm", dim: 1, noiseDim: 1, noise: "diagonal", calculus: "ito",
 *     drift: f, diffusion: f, diffusionDerivative: undefined,
 *     wgsl: {
 *       drift: "fn sde_drift(t: f32, x: SdState) -> SdState { return SdState(0.0); }",
 *       diffusion: "fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState { return SdState(dw[0]); }",
 *     },
 *   } as const;
 *   const r = await launchSdeEnsemble(bm, {
 *     ctx, step: eulerMaruyama.ensembleStep!(bm), x0: [0], paths: 4096, t0: 0, dt: 0.1,
 *     saveSteps: [10], key: { seed: 1, stream: 0 }, shift: [0], bins: 0, keep: 0, final: false,
 *   });
 *   assert.ok(Math.abs(r.sums[1]! / 4096 - 1) < 4 * Math.sqrt(2 / 4096)); // Var W(1) = 1
 *   ctx.destroy();
 * }
 * ```
 */
export async function launchSdeEnsemble(
  model: EnsembleModel,
  plan: LaunchSdeEnsembleOptions,
): Promise<EnsembleSums> {
  const what = `Cannot simulate the ensemble of "${model.name}" on webgpu`;
  const d = model.dim;
  const ctx = plan.ctx;
  const source = sdeEnsembleSource(model, plan.step);
  const bins = plan.bins;
  const pipeline = await ctx.pipeline(
    `sde-ensemble:${plan.step.name}:${fnv1a32Hex(source)}`,
    source,
    ["storage", "storage", "storage", "read", "storage", "storage", "uniform"],
  );
  const n = plan.paths, offset = plan.pathOffset ?? 0;
  const S = plan.saveSteps.length, NS = ensembleStatCount(d);
  // paths per workgroup; chunks are whole workgroups (but for the last), so every invocation's
  // paths start at a multiple of its group size past the plan's offset
  const G = pathsPerInvocation(model.noiseDim), WGP = WG * G;
  const chunk = Math.max(
    WGP,
    Math.floor(
      Math.min(
        plan.chunkPaths ?? 1 << 20,
        WGP * 65535,
        Math.floor(ctx.maxBindingBytes / (4 * Math.max(d, S * NS / WGP))),
      ) / WGP,
    ) * WGP,
  );
  const spd = plan.stepsPerDispatch ?? 256;
  const sums = new Float64Array(S * NS);
  const keep = Math.min(plan.keep, n);
  const width = bins + 2;
  // aux: shift, then lower and upper per save
  const aux = new Float32Array(d + 2 * d * S);
  for (let r = 0; r < d; r++) aux[r] = plan.shift[r]!;
  if (bins > 0) {
    for (let s = 0; s < S; s++) {
      for (let r = 0; r < d; r++) {
        aux[d + s * 2 * d + r] = plan.lower![s * d + r]!;
        aux[d + s * 2 * d + d + r] = plan.upper![s * d + r]!;
      }
    }
  }
  const auxBuf = ctx.acquire(aux.byteLength);
  ctx.write(auxBuf, 0, aux);
  const histBuf = ctx.acquire(Math.max(4, S * d * width * 4));
  ctx.clear(histBuf);
  const keptBuf = ctx.acquire(Math.max(4, S * keep * d * 4));
  const badBuf = ctx.acquire(16);
  ctx.write(badBuf, 0, new Uint32Array([0xffffffff, 0xffffffff, 0, 0]));
  const final = new Float32Array(plan.final ? n * d : 0);
  const x0 = plan.x0, perPath = x0.length !== d;
  const stateBuf = ctx.acquire(Math.min(chunk, n) * d * 4);
  const groupsMax = Math.ceil(Math.min(chunk, n) / WGP);
  const partBuf = ctx.acquire(S * groupsMax * NS * 4);
  const raw = new ArrayBuffer(64);
  const u = new Uint32Array(raw), fl = new Float32Array(raw);
  try {
    for (let start = 0; start < n; start += chunk) {
      const nc = Math.min(chunk, n - start);
      const groups = Math.ceil(nc / WGP);
      const init = new Float32Array(nc * d);
      for (let e = 0; e < nc * d; e++) init[e] = perPath ? x0[start * d + e]! : x0[e % d]!;
      ctx.write(stateBuf, 0, init);
      let j = 0;
      for (let s = 0; s < S; s++) {
        const end = plan.saveSteps[s]!;
        do {
          const stop = Math.min(end, j + spd);
          u[0] = nc;
          u[1] = (offset + start) >>> 0;
          u[2] = j;
          u[3] = stop;
          u[4] = plan.key.seed;
          u[5] = plan.key.stream;
          u[6] = s;
          u[7] = bins;
          u[8] = start === 0 ? keep : 0;
          u[9] = stop === end ? 1 : 0;
          u[10] = groups;
          fl[12] = plan.t0;
          fl[13] = plan.dt;
          fl[14] = Math.sqrt(plan.dt);
          ctx.dispatch(
            pipeline,
            [stateBuf, partBuf, histBuf, auxBuf, badBuf, keptBuf],
            raw.slice(0),
            groups,
          );
          j = stop;
        } while (j < end);
        if (spd <= 64) ctx.flush();
      }
      const bad = new Uint32Array(await ctx.read(badBuf, 0, 8));
      if (bad[0] !== 0xffffffff) {
        const step = bad[1]!, time = plan.t0 + (step + 1) * plan.dt;
        throw new NumericalError(
          `${what}: a state became NaN or infinite, first at step ${step} (time ${time}), ` +
            `smallest such path ${bad[0]} (${plan.step.name}, f32)`,
          { step, time, index: bad[0]! * d },
        );
      }
      const part = new Float32Array(await ctx.read(partBuf, 0, S * groups * NS * 4));
      for (let s = 0; s < S; s++) {
        for (let g = 0; g < groups; g++) {
          const o = (s * groups + g) * NS;
          for (let k = 0; k < NS; k++) sums[s * NS + k] = sums[s * NS + k]! + part[o + k]!;
        }
      }
      if (plan.final) {
        final.set(new Float32Array(await ctx.read(stateBuf, 0, nc * d * 4)), start * d);
      }
      plan.onProgress?.(start + nc);
    }
    const counts = bins > 0
      ? Float64Array.from(new Uint32Array(await ctx.read(histBuf, 0, S * d * width * 4)))
      : new Float64Array(0);
    const kept = keep > 0
      ? Float64Array.from(new Float32Array(await ctx.read(keptBuf, 0, S * keep * d * 4)))
      : new Float64Array(0);
    return { sums, counts, kept, final };
  } finally {
    for (const b of [auxBuf, histBuf, keptBuf, badBuf, stateBuf, partBuf]) ctx.recycle(b);
  }
}
