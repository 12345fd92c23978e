/**
 * MCGdiff: Cardoso, Janati, Le Corff & Moulines, "Monte Carlo guided
 * Diffusion for Bayesian linear inverse problems", arXiv 2308.07983, ICLR
 * 2024 (code gabrielvc/mcg_diff), as specified in ../shared/refs/inverse
 * §1.4: sequential Monte Carlo over the reverse DDIM chain in the SVD
 * coordinates of `A = U diag(s) Vᵀ`.
 *
 * With `x̄ = Vᵀx` and `ȳ = Uᵀy`, observed coordinate j reads
 * `ȳ_j = s_j x̄_j + σ_y n_j`. At the time τ_j whose noise level matches the
 * data noise, `√ᾱ_τ σ_y/s_j = √(1 − ᾱ_τ)` (log-SNR `log(s_j/σ_y)`, solved on
 * the model's schedule and inserted into the grid), `ỹ_j = √ᾱ_τ ȳ_j/s_j` is
 * distributed like the forward coordinate `X_{τ_j, j}`. For t ≥ τ_j the
 * coordinate carries the pin potential
 * `g_{t,j}(u) = N(u; a_{t,j} ỹ_j, v_{t,j})`, `a = √(ᾱ_t/ᾱ_τ)`,
 * `v = 1 − (1 − κ) ᾱ_t/ᾱ_τ` (κ = 1e-4). Particles start exactly from
 * `N(0, I)·Π_j g_{T,j}`. A step t → s with DDIM mean m (in x̄) and std c1:
 * - log-weight `Σ_{j active at s} [log N(a_s ỹ_j; m_j, c1² + v_s) − log g_{t,j}(x̄_{t,j})]`;
 * - resampling (multinomial at every step by default, as the paper);
 * - active coordinates from the Kalman product `N(m, c1²)·g_s`:
 *   `K = c1²/(c1² + v_s)`, mean `K a_s ỹ + (1 − K) m`, variance `v_s K`;
 *   the others from `N(m, c1²)`.
 * A coordinate's pin cancels once it deactivates; the final particles are
 * equally weighted (no last likelihood reweighting). With σ_y = 0 (the
 * noiseless variant) every τ_j is the end of the grid and the pins hold to
 * the last step. η must be > 0: with c1 = 0 the Kalman step does nothing.
 *
 * Particles: `samples / particles` independent systems, all particles
 * output (the refs ran 10 × 1000); see `_smc.ts` for the keyed layout.
 *
 * @module
 */

import { quote, SdenoRangeError } from "../../kernels/errors.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import type { ResamplingScheme } from "./resampling.ts";
import { optionsRecord } from "./_method_options.ts";
import { alphaBar } from "./vp.ts";
import {
  ddimSteps,
  gatherRows,
  logNormal,
  measurementInU,
  runSmcBatches,
  smcLayout,
  SpectralState,
} from "./_smc.ts";

/** Options of {@linkcode mcgdiff}. */
export interface McgdiffOptions {
  /**
   * Particles per system (default: samples up to 1000, else the largest divisor of samples in
   * [100, 1000]); samples must be a multiple.
   */
  particles?: number;
  /** κ > 0, the variance left on a pinned coordinate (default 1e-4, the paper's `gaussian_var`). */
  kappa?: number;
  /** DDIM η in (0, 1] (default 1). */
  eta?: number;
  /** Resampling scheme (default `"multinomial"`, as the paper). */
  resampling?: ResamplingScheme;
  /** Resample when ESS < essThreshold·N (default 1: every step, as the paper). */
  essThreshold?: number;
}

const OPTION_KEYS = ["particles", "kappa", "eta", "resampling", "essThreshold"] as const;

const INFO: GuidanceInfo = Object.freeze(
  {
    family: "guidance",
    name: "mcgdiff",
    aliases: ["mcg-diff", "mcg_diff"],
    summary:
      "MCGdiff: SMC in SVD coordinates with pin potentials and Kalman proposals (Cardoso et al. 2023)",
    stochastic: true,
    backends: ["cpu", "webgpu"],
    needsVjp: false,
    needsSvd: true,
    needsPseudoInverse: false,
    operators: "linear",
    noise: ["gaussian", "none"],
    asymptoticallyExact: true,
    paper:
      "Cardoso, Janati, Le Corff, Moulines, Monte Carlo guided Diffusion for Bayesian linear inverse problems, arXiv 2308.07983 (ICLR 2024)",
  } as const,
);

/** One observed spectral coordinate: its τ, rescaled observation and ᾱ_τ. */
interface Pin {
  /** Index of the coordinate in x̄ = Vᵀx. */
  j: number;
  /** τ_j, a time of the merged grid. */
  tau: number;
  /** ᾱ at τ_j. */
  abTau: number;
  /** ỹ_j = √ᾱ_τ ȳ_j / s_j. */
  yt: number;
}

/**
 * The diffusion time τ with `√ᾱ_τ σ/s = √(1 − ᾱ_τ)`, i.e. log-SNR
 * `log(s/σ)`, clamped to [lo, hi].
 */
function matchTime(
  schedule: GuidanceRequest["model"]["schedule"],
  s: number,
  sigma: number,
  lo: number,
  hi: number,
): number {
  const lambda = Math.log(s / sigma);
  if (lambda >= schedule.logSnr(lo)) return lo;
  if (lambda <= schedule.logSnr(hi)) return hi;
  return Math.min(hi, Math.max(lo, schedule.tOfLogSnr(lambda)));
}

/** The request's grid with the τ's inserted (times within 1e-12 merged, the grid's kept). */
function mergeGrid(grid: Float64Array, taus: number[]): { grid: Float64Array; snapped: number[] } {
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a));
  const times = [...grid];
  const snapped = taus.map((tau) => {
    const hit = times.find((t) => same(t, tau));
    if (hit !== undefined) return hit;
    times.push(tau);
    return tau;
  });
  times.sort((a, b) => b - a);
  return { grid: Float64Array.from(times), snapped };
}

async function run(request: GuidanceRequest<McgdiffOptions>): Promise<GuidanceResult> {
  const what = "Cannot run mcgdiff";
  const { grid: requestGrid, y } = checkGuidanceRequest(INFO, request);
  const options = optionsRecord(what, request.options, OPTION_KEYS);
  if (options.eta === 0) {
    throw new SdenoRangeError(
      `${what}: options.eta must be > 0, got 0 (η = 0 gives c1 = 0, and the Kalman step toward the pinned coordinates does nothing)`,
    );
  }
  const layout = smcLayout(what, request, options, {
    resampling: "multinomial",
    essThreshold: 1,
  });
  const kappa = options.kappa ?? 1e-4;
  if (typeof kappa !== "number" || !(kappa > 0) || !Number.isFinite(kappa)) {
    throw new SdenoRangeError(
      `${what}: options.kappa must be a finite number > 0, got ${quote(kappa)}`,
    );
  }
  const { model, backend } = request;
  const op = request.problem.operator as LinearOperator;
  const svd = op.svd!;
  const noise = request.problem.noise;
  const sigma = noise.kind === "gaussian" ? noise.sigma : 0;
  const d = model.dim, sv = svd.singularValues;
  const schedule = model.schedule;

  // ȳ = Uᵀy, τ_j and ỹ_j (refs §1.4 step 1)
  const yb = await measurementInU(backend, svd, y);
  const end = requestGrid[requestGrid.length - 1]!;
  const lo = Math.max(end, schedule.tMin), hi = requestGrid[0]!;
  const taus = Array.from(sv, (s) => sigma === 0 ? end : matchTime(schedule, s, sigma, lo, hi));
  const { grid, snapped } = mergeGrid(requestGrid, taus);
  const pins: Pin[] = Array.from(sv, (s, j) => {
    const abTau = alphaBar(schedule, snapped[j]!);
    return { j, tau: snapped[j]!, abTau, yt: Math.sqrt(abTau) * yb[j]! / s };
  });
  const steps = grid.length - 1;
  const { ab, ddim } = ddimSteps(schedule, grid, layout.eta);
  // pin parameters at grid time k: a = √(ᾱ_t/ᾱ_τ), v = 1 − (1 − κ)ᾱ_t/ᾱ_τ, for t ≥ τ
  const pinA = (p: Pin, k: number) => Math.sqrt(ab[k]! / p.abTau);
  const pinV = (p: Pin, k: number) => 1 - (1 - kappa) * ab[k]! / p.abTau;
  const activeAt = (k: number) => pins.filter((p) => grid[k]! >= p.tau);

  return await runSmcBatches(what, request, layout, { d, grid, nfe: steps }, async (batch) => {
    const { rows, weights } = batch;
    const spectral = new SpectralState(batch, request, svd);

    // exact initialisation from N(0, I)·Π_j g_{T,j} (refs §1.4 step 3)
    const xb = batch.initNormals();
    for (const p of activeAt(0)) {
      const a = pinA(p, 0), v = pinV(p, 0);
      const mean = a * p.yt / (1 + v), sd = Math.sqrt(v / (1 + v));
      for (let r = 0; r < rows; r++) xb[r * d + p.j] = mean + sd * xb[r * d + p.j]!;
    }

    let state = xb;
    for (let k = 0; k < steps; k++) {
      const t = grid[k]!, s = grid[k + 1]!;
      const { a, b, c1 } = ddim[k]!;
      let mb = await spectral.ddimMean(state, k, t, a, b);

      // weights (refs §1.4 step 4), then resampling
      const active = activeAt(k + 1);
      const inc = new Float64Array(rows);
      for (const p of active) {
        const aS = pinA(p, k + 1), vS = pinV(p, k + 1), aT = pinA(p, k), vT = pinV(p, k);
        for (let r = 0; r < rows; r++) {
          inc[r] = inc[r]! + logNormal(aS * p.yt, mb[r * d + p.j]!, c1 * c1 + vS) -
            logNormal(state[r * d + p.j]!, aT * p.yt, vT);
        }
      }
      weights.add(inc, { what, step: k, time: t });
      const ancestors = weights.decide(k);
      if (ancestors !== undefined) mb = gatherRows(mb, d, ancestors);

      // propagation: Kalman product on the active coordinates, N(m, c1²) elsewhere
      const z = batch.stepNormals(k);
      const next = new Float64Array(rows * d);
      for (let i = 0; i < rows * d; i++) next[i] = mb[i]! + c1 * z[i]!;
      for (const p of active) {
        const aS = pinA(p, k + 1), vS = pinV(p, k + 1);
        const gain = c1 * c1 / (c1 * c1 + vS), sd = Math.sqrt(vS * gain);
        for (let r = 0; r < rows; r++) {
          const i = r * d + p.j;
          next[i] = gain * aS * p.yt + (1 - gain) * mb[i]! + sd * z[i]!;
        }
      }
      state = next;
      await spectral.report(state, k, t, s);
    }
    return await batch.finish(state, (xbFinal) => spectral.toX(xbFinal));
  });
}

/**
 * MCGdiff (Cardoso et al., arXiv 2308.07983): asymptotically exact SMC for
 * linear inverse problems with Gaussian or no noise, in the operator's SVD
 * coordinates (refs §1.4). Options: {@linkcode McgdiffOptions}. The grid
 * used is the request's grid with each observed coordinate's τ_j inserted;
 * `nfe` counts its steps. The result carries each system's ESS trace (one
 * entry per merged-grid point and the final decision) and resampling steps.
 *
 * @example A 1-D Gaussian posterior, recovered exactly
 * ```ts
 * import { mcgdiff } from "./mcgdiff.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * // prior N(0, 1), y = x + 0.5 n, y = 1: posterior N(0.8, 0.2)
 * const model = gaussian({ mean: [0], covariance: [[1]] }, vpDiscreteSchedule({ betas: ddpmLinearBetas() }));
 * const problem = { operator: denseOperator([[1]]), y: [1], noise: gaussianNoise(0.5) };
 * const { samples } = await mcgdiff.run({
 *   model, problem, grid: quadraticGrid(50), samples: 2000, key: makeKey(1),
 *   backend: new CpuBackend(), options: { particles: 500 },
 * });
 * const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
 * assert.ok(Math.abs(mean - 0.8) < 0.1);
 * ```
 */
export const mcgdiff: GuidanceMethod<McgdiffOptions> = Object.freeze({ info: INFO, run });
