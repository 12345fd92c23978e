/**
 * DPM-Solver-v3 (Zheng, Lu, Bao, Zhu, "DPM-Solver-v3: Improved Diffusion ODE
 * Solver with Empirical Model Statistics", NeurIPS 2023, arXiv 2310.13268).
 *
 * The diffusion ODE dx/dλ = (α'/α) x − σ ε_θ is rewritten with three
 * per-dimension functions of λ, the empirical model statistics (EMS) l, s, b
 * (§3.1): with f = (σ ε_θ − l x)/α and
 * g = e^{−∫_{λs}^λ s} f − ∫_{λs}^λ e^{−∫_{λs}^r s} b_r dr, the exact solution
 * from s to t is (eq. 8, with L = ∫ l, S = ∫ s, B = ∫ e^{−S} b, I = ∫ e^{L+S},
 * C = ∫ e^{L+S} B from the grid's first λ)
 *
 * ```
 * x_t = (α_t/α_s) e^{L_s−L_t} x_s − α_t e^{−L_t−S_s} (I_t − I_s) g_s
 *       − α_t e^{−L_t} (C_t − C_s − B_s (I_t − I_s))
 *       − α_t e^{L_s−L_t} Σ_{k≥1} g^{(k)}_s ∫_{λs}^{λt} e^{(L+S)(λ)−(L+S)(λs)} (λ−λs)^k/k! dλ
 * ```
 *
 * where the derivatives g^{(k)} come from the history (multistep predictor,
 * §3.3; Vandermonde solve) and the "pseudo-order" corrector re-applies the
 * update with the model value at the predicted point (§3.4; divided
 * differences). l = 1, s = b = 0 ("degenerated") gives DPM-Solver++ with the
 * pseudo-order corrector.
 *
 * Conventions of the reference implementation (thu-ml/DPM-Solver-v3,
 * `dpm_solver_v3.py`, `sample`), reproduced to ~1e-10 in float64: the
 * requested times are snapped to the statistics grid (uniform in λ), the
 * integrals are trapezoid sums on that grid, warm-up steps use order = step
 * index, `lowerOrderFinal` lowers the order to `min(order, N + 1 − i)`, the
 * corrector of order (previous predictor order + 1) runs after every model
 * call but the first and replaces both x and the stored model value (keeping
 * σε − l x), and no corrector follows the last step. NFE = steps.
 *
 * Orders (measured on the exact 2-D mixture with computed statistics): the
 * predictor alone converges at order 3; the pseudo-order corrector (the
 * reference's default `c_pseudo=True`, for few steps) estimates g' by
 * divided differences, which lowers the asymptotic order to 2; the
 * full-order corrector (`correctorPseudo: false`, a Vandermonde solve on the
 * same points, as UniC) is an order above the predictor until a floor near
 * 1e-6. At NFE 5–10 both correctors beat the predictor alone.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { DeviceArray } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";
import {
  checkStatisticsFit,
  degeneratedStatistics,
  type EmpiricalModelStatistics,
} from "./dpm_solver_v3_statistics.ts";
import { emsIntegrals, highOrderCoefficient, roundHalfEven } from "./_ems_integrals.ts";

/** Options of {@linkcode dpmSolverV3}. */
export interface DpmSolverV3Options extends SamplerOptions {
  /**
   * The empirical model statistics (from `computeStatistics` or `loadStatistics`).
   * Default: the degenerated ones (l = 1, s = b = 0) on 1200 λ-intervals
   * between the grid's ends, as the reference's `degenerated=True`.
   */
  statistics?: EmpiricalModelStatistics;
  /** Predictor order 1–3 (default 3, the reference's). */
  order?: number;
  /** Derivatives of the predictor by divided differences (default false: Vandermonde solve). */
  predictorPseudo?: boolean;
  /** Apply the pseudo-order corrector (default true). */
  corrector?: boolean;
  /** Corrector of pseudo order (previous order + 1, divided differences; default true). */
  correctorPseudo?: boolean;
  /** Lower the order on the last steps (default true). */
  lowerOrderFinal?: boolean;
  /**
   * Apply the corrector only while the time of the new point's model call is
   * above 0.5 (the reference's `half`, for large guidance scales; default false).
   */
  half?: boolean;
}

const OPTIONS = [
  "statistics",
  "order",
  "predictorPseudo",
  "corrector",
  "correctorPseudo",
  "lowerOrderFinal",
  "half",
] as const;

/** One point of the history: state, model value (ε), point and statistics index. */
interface Entry {
  x: Float64Array;
  eps: Float64Array;
  p: GridPoint;
  idx: number;
}

/**
 * The grid snapped to the statistics grid as the reference does it:
 * index = round(N (λ − λ_first)/(λ_last − λ_first)), times recomputed from the
 * snapped λ.
 *
 * @param stats the statistics
 * @param lambdas λ of the requested grid points
 * @returns the statistics indexes
 * @throws {SdenoRangeError} for a λ outside the statistics' range
 *
 * @example Ten intervals: λ halfway lands on index 5
 * ```ts
 * import { snapToStatistics } from "./dpm_solver_v3.ts";
 * import { degeneratedStatistics } from "./dpm_solver_v3_statistics.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const st = degeneratedStatistics(vpLinearSchedule(), 1, { steps: 10 });
 * const mid = (st.lambdas[0]! + st.lambdas[10]!) / 2;
 * assert.deepEqual(snapToStatistics(st, [st.lambdas[0]!, mid + 0.01, st.lambdas[10]!]), [0, 5, 10]);
 * assert.throws(() => snapToStatistics(st, [st.lambdas[10]! + 1]), RangeError);
 * ```
 */
export function snapToStatistics(
  stats: EmpiricalModelStatistics,
  lambdas: readonly number[],
): number[] {
  const n = stats.lambdas.length - 1;
  const l0 = stats.lambdas[0]!, l1 = stats.lambdas[n]!;
  const span = l1 - l0, tol = 1e-9 * Math.max(1, Math.abs(span));
  return lambdas.map((lam, i) => {
    if (!(lam >= l0 - tol && lam <= l1 + tol)) {
      throw new SdenoRangeError(
        `Cannot sample with DPM-Solver-v3: grid point ${i} has λ = ${
          quote(lam)
        }, outside the statistics' λ range [${l0}, ${l1}]`,
      );
    }
    return roundHalfEven(n * (lam - l0) / span);
  });
}

/**
 * Samples with DPM-Solver-v3 along `grid` (decreasing times, snapped to the
 * statistics grid; NFE = grid.length − 1).
 *
 * @param denoiser the model (its schedule gives α, σ, λ)
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options statistics, order, corrector
 * @returns the final batch, NFE and model-call times (the snapped times)
 * @throws {SdenoRangeError} for a bad grid, a grid leaving the statistics' λ
 *   range or two grid times on one statistics point, an order outside 1–3 or
 *   above the number of steps
 * @throws {SdenoTypeError} when the statistics are for another schedule or
 *   dimension, or x does not fit the denoiser
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example Degenerated statistics and the exact flow of a Gaussian
 * ```ts
 * import { dpmSolverV3 } from "./dpm_solver_v3.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const out = await dpmSolverV3(gm, b.upload([1]), grid);
 * // the flow scales x by sqrt(α²v + σ²) / sqrt(α_T²v + σ_T²)
 * const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * 0.25 + s.sigma(t) ** 2);
 * assert.ok(Math.abs((await b.download(out.x))[0]! - sd(grid[20]!) / sd(grid[0]!)) < 1e-2);
 * assert.equal(out.nfe, 20);
 * ```
 */
export async function dpmSolverV3(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: DpmSolverV3Options = {},
): Promise<SampleResult> {
  const run = new SampleRun("DPM-Solver-v3", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: OPTIONS,
  });
  const order = run.choice("order", options.order ?? 3, [1, 2, 3]);
  run.needSteps(order, `order ${order}`);
  const flag = (name: keyof DpmSolverV3Options, fallback: boolean): boolean => {
    const v = options[name];
    if (v !== undefined && typeof v !== "boolean") {
      throw new SdenoTypeError(
        `Cannot sample with DPM-Solver-v3: ${name} must be a boolean, got ${quote(v)}`,
      );
    }
    return v ?? fallback;
  };
  const pPseudo = flag("predictorPseudo", false);
  const useCorrector = flag("corrector", true);
  const cPseudo = flag("correctorPseudo", true);
  const lof = flag("lowerOrderFinal", true);
  const half = flag("half", false);
  const dim = denoiser.dim;
  const stats = options.statistics ??
    degeneratedStatistics(denoiser.schedule, dim, {
      tStart: run.times[0]!,
      tEnd: run.times[run.times.length - 1]!,
    });
  checkStatisticsFit("Cannot sample with DPM-Solver-v3", stats, denoiser.schedule, dim);
  const idx = snapToStatistics(stats, run.points.map((p) => p.lam));
  for (let i = 1; i < idx.length; i++) {
    if (idx[i]! <= idx[i - 1]!) {
      throw new SdenoRangeError(
        `Cannot sample with DPM-Solver-v3: grid points ${
          i - 1
        } and ${i} fall on statistics points ${idx[i - 1]} and ${idx[i]}; the statistics grid (${
          stats.lambdas.length - 1
        } intervals) is too coarse for this grid`,
      );
    }
  }
  const lg = stats.lambdas, nStat = lg.length - 1;
  const pts = idx.map((k) => run.pointAtLambda(lg[0]! + (lg[nStat]! - lg[0]!) * k / nStat));
  const ems = emsIntegrals(lg, dim, stats.l, stats.s, stats.b);
  const coefCache = new Map<string, Float64Array>();
  const coef = (iS: number, iT: number, k: number) => {
    const key = `${iS},${iT},${k}`;
    let c = coefCache.get(key);
    if (!c) coefCache.set(key, c = highOrderCoefficient(lg, dim, ems, iS, iT, k));
    return c;
  };
  const steps = idx.length - 1;
  const backend = x.backend;

  /**
   * The update from hist[0] (= s) to the point (pT, iT), using hist[0..n] for the derivatives
   * (the reference's multistep_predictor_update / multistep_corrector_update).
   */
  const update = (
    hist: Entry[],
    pT: GridPoint,
    iT: number,
    pseudo: boolean,
  ): Float64Array => {
    const n = hist.length - 1;
    const s = hist[0]!, iS = s.idx;
    const len = s.x.length;
    const { L, S, I, B, C } = ems;
    // g_i = e^{S_s − S_i} f_i − e^{S_s} (B_i − B_s),  f_i = (σ_i ε_i − l_i x_i)/α_i
    const gs = hist.map((e) => {
      const g = new Float64Array(len);
      for (let r = 0; r < len; r++) {
        const j = r % dim;
        const f = (e.p.sigma * e.eps[r]! - stats.l[e.idx * dim + j]! * e.x[r]!) / e.p.alpha;
        g[r] = Math.exp(S[iS * dim + j]! - S[e.idx * dim + j]!) * f -
          Math.exp(S[iS * dim + j]!) * (B[e.idx * dim + j]! - B[iS * dim + j]!);
      }
      return g;
    });
    const out = new Float64Array(len);
    const at = pT.alpha, as = s.p.alpha;
    for (let r = 0; r < len; r++) {
      const j = r % dim, ks = iS * dim + j, kt = iT * dim + j;
      const dI = I[kt]! - I[ks]!;
      out[r] = at / as * Math.exp(L[ks]! - L[kt]!) * s.x[r]! -
        at * Math.exp(-L[kt]! - S[ks]!) * dI * gs[0]![r]! -
        at * Math.exp(-L[kt]!) * (C[kt]! - C[ks]! - B[ks]! * dI);
    }
    if (n === 0) return out;
    const lam = hist.map((e) => e.p.lam);
    const derivs = pseudo ? dividedDerivatives(lam, gs) : vandermondeDerivatives(lam, gs);
    for (let k = 1; k <= n; k++) {
      const c = coef(iS, iT, k), d = derivs[k - 1]!;
      for (let r = 0; r < len; r++) {
        const j = r % dim;
        out[r] = out[r]! -
          at * Math.exp(ems.L[iS * dim + j]! - ems.L[iT * dim + j]!) * c[j]! * d[r]!;
      }
    }
    return out;
  };

  return run.use(async () => {
    const cur = await run.start(x);
    const epsBuf = run.alloc();
    let xs: Float64Array = Float64Array.from(await backend.download(cur));
    const cached: Entry[] = [];
    let pOrder = 0;
    for (let step = 1; step <= steps; step++) {
      const p = pts[step - 1]!;
      await backend.write(cur, xs);
      await run.model(cur, p, epsBuf, "eps");
      cached.push({
        x: xs,
        eps: Float64Array.from(await backend.download(epsBuf)),
        p,
        idx: idx[step - 1]!,
      });
      if (useCorrector && (!half || p.t > 0.5)) {
        const cOrder = pOrder + (cPseudo ? 1 : 0);
        if (cOrder > 1) {
          // points (s, t, older …) = cached[-2], cached[-1], cached[-3], …
          const k = cached.length;
          const hist = [cached[k - 2]!, cached[k - 1]!];
          for (let i = 2; i < cOrder; i++) hist.push(cached[k - 1 - i]!);
          const last = cached[k - 1]!;
          const xNew = update(hist, last.p, last.idx, cPseudo);
          // keep N = σ ε − l x: ε_new = (σ ε_old − l x_old + l x_new)/σ
          const epsNew = new Float64Array(xNew.length);
          for (let r = 0; r < xNew.length; r++) {
            const l = stats.l[last.idx * dim + (r % dim)]!;
            epsNew[r] = (last.p.sigma * last.eps[r]! - l * last.x[r]! + l * xNew[r]!) /
              last.p.sigma;
          }
          cached[k - 1] = { ...last, x: xNew, eps: epsNew };
        }
      }
      pOrder = step < order ? step : order;
      if (lof) pOrder = Math.min(pOrder, steps + 1 - step);
      const k = cached.length;
      const hist: Entry[] = [];
      for (let i = 0; i < pOrder; i++) hist.push(cached[k - 1 - i]!);
      xs = update(hist, pts[step]!, idx[step]!, pPseudo);
      if (cached.length > order + 1) cached.shift();
      await backend.write(cur, xs);
      await run.endStep(step - 1, cur, undefined, { t: p.t, tNext: pts[step]!.t });
    }
    return run.finish(cur, pts[steps]!.t);
  });
}

/** g^{(1)}, …, g^{(n)} at λ₀ from g at λ₀ … λₙ by the Vandermonde solve (reference, pseudo=False). */
function vandermondeDerivatives(lam: number[], g: Float64Array[]): Float64Array[] {
  const n = lam.length - 1;
  const len = g[0]!.length;
  // R[j][i] = (λ_{j+1} − λ₀)^{i+1}; solution = R⁻¹ (g_{j+1} − g₀); g^{(i)} = i! solution_i
  const R = Array.from(
    { length: n },
    (_, j) => Array.from({ length: n }, (_, i) => (lam[j + 1]! - lam[0]!) ** (i + 1)),
  );
  const inv = invert(R);
  const out: Float64Array[] = [];
  let fact = 1;
  for (let i = 0; i < n; i++) {
    fact *= i + 1;
    const d = new Float64Array(len);
    for (let r = 0; r < len; r++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += inv[i]![j]! * (g[j + 1]![r]! - g[0]![r]!);
      d[r] = acc * fact;
    }
    out.push(d);
  }
  return out;
}

/** g^{(1)}, …, g^{(n)} at λ₀ by divided differences (reference, pseudo=True). */
function dividedDerivatives(lam: number[], g: Float64Array[]): Float64Array[] {
  const n = lam.length - 1;
  let D = g;
  const out: Float64Array[] = [];
  let fact = 1;
  for (let i = 1; i <= n; i++) {
    const next: Float64Array[] = [];
    for (let j = 0; j <= n - i; j++) {
      const a = D[j]!, b = D[j + 1]!, h = lam[j]! - lam[i + j]!;
      next.push(a.map((v, r) => (v - b[r]!) / h));
    }
    D = next;
    fact *= i;
    out.push(D[0]!.map((v) => v * fact));
  }
  return out;
}

/** The inverse of a small dense matrix by Gauss–Jordan elimination with partial pivoting. */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]!;
    for (let k = 0; k < 2 * n; k++) m[c]![k] = m[c]![k]! / piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let k = 0; k < 2 * n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  return m.map((row) => row.slice(n));
}

/**
 * The method object of {@linkcode dpmSolverV3}: NFE = steps.
 *
 * @example
 * ```ts
 * import { dpmSolverV3Method } from "./dpm_solver_v3.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dpmSolverV3Method.info.nfe({ points: 7, endsAtZero: false }, {}), 6);
 * ```
 */
export const dpmSolverV3Method: DiffusionMethod<DpmSolverV3Options> = diffusionMethod({
  family: "diffusion",
  name: "dpm_solver_v3",
  aliases: ["dpmsolver_v3", "dpm_v3"],
  summary:
    "DPM-Solver-v3 with empirical model statistics and the pseudo-order corrector (Zheng et al., NeurIPS 2023)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  // With the default pseudo-order corrector: 2 (divided differences estimate g' at the midpoint
  // of the last two points). The predictor alone (corrector: false) has order 3 and the
  // full-order corrector (correctorPseudo: false) raises it further (tests: fitted 2.99 and ~4).
  order: 2,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: OPTIONS,
  nfe: (g) => g.points - 1,
}, dpmSolverV3);
