/**
 * Empirical model statistics (EMS) of DPM-Solver-v3 (Zheng et al., NeurIPS
 * 2023, arXiv 2310.13268, §3.2 and Appendix C): per-dimension functions
 * l_λ, s_λ, b_λ on a grid uniform in λ = log(α/σ), computed from any
 * denoiser and a sample of data, saved and loaded as JSON.
 *
 * With N_θ = σ ε_θ − l x and f = N_θ/α (eq. 9–10):
 *
 * - l_λ minimises E‖∇ₓ N_θ(x_λ, λ)‖²_F over per-dimension scalings, so
 *   l_λ,d = σ_λ E[∂ε_θ,d/∂x_d] (the expected Jacobian diagonal, by
 *   vector-Jacobian products with the unit vectors, or central differences
 *   when the model has no VJP);
 * - s_λ, b_λ minimise E‖f⁽¹⁾ − s_λ f − b_λ‖² per dimension, with f⁽¹⁾ = df/dλ
 *   the total derivative along the ODE: the least-squares line of f⁽¹⁾ on f,
 *   s = Cov(f⁽¹⁾, f)/Var(f), b = E f⁽¹⁾ − s E f.
 *
 * The expectations are over the model's marginal at λ, for an exact model the
 * forward marginal: x_λ = α x₀ + σ ε with x₀ from the data sample and ε keyed
 * Philox normals — the same (x₀, ε) at every λ (common random numbers), so
 * the statistics are smooth in λ. In y = x/α the ODE is
 * dy/dλ = −e^{−λ} ε_θ and f = e^{−λ} ε_θ − l y, so
 * f⁽¹⁾ = d(e^{−λ} ε_θ)/dλ − l' y + l e^{−λ} ε_θ; the first term is a central
 * difference of e^{−λ} ε_θ along the ODE tangent (second order in the step),
 * l' a central difference of l on the grid.
 *
 * @module
 */

import {
  checkInteger,
  quote,
  SdenoParseError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { createBackend } from "../../kernels/mod.ts";
import type { Key } from "../../kernels/philox.ts";
import { fillNormal, fillUniform } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { type Denoiser, predictAs, vjpAs } from "../../models/denoiser.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { torchLinspace } from "./_torch_linspace.ts";

/** DPM-Solver-v3's statistics on a grid uniform in λ. */
export interface EmpiricalModelStatistics {
  /** The name of the schedule they were computed for (`NoiseSchedule.name`). */
  readonly schedule: string;
  /** The first grid time (λ = lambdas[0], the noisiest point). */
  readonly tStart: number;
  /** The last grid time (λ = lambdas[N]). */
  readonly tEnd: number;
  /** The data dimension. */
  readonly dim: number;
  /** The λ grid, increasing and uniform, N + 1 points. */
  readonly lambdas: Float64Array;
  /** l, (N + 1) × dim row-major. */
  readonly l: Float64Array;
  /** s, (N + 1) × dim. */
  readonly s: Float64Array;
  /** b, (N + 1) × dim. */
  readonly b: Float64Array;
}

/** Where a statistics grid lies. */
export interface StatisticsGridOptions {
  /** First (noisiest) time (default `schedule.tMax`). */
  tStart?: number;
  /** Last time (default 1e-3 for VP schedules with a nominal 1000 steps, else `schedule.tMin`). */
  tEnd?: number;
  /** Number of λ intervals (default 1200, the reference's). */
  steps?: number;
}

function gridOf(
  what: string,
  schedule: NoiseSchedule,
  options: StatisticsGridOptions,
): { tStart: number; tEnd: number; lambdas: Float64Array } {
  const tStart = options.tStart ?? schedule.tMax;
  const tEnd = options.tEnd ?? Math.max(schedule.tMin, schedule.tMax === 1 ? 1e-3 : 0);
  const steps = options.steps ?? 1200;
  checkInteger(what, "steps", steps, 4);
  const l0 = schedule.logSnr(tStart), l1 = schedule.logSnr(tEnd);
  if (!(Number.isFinite(l0) && Number.isFinite(l1) && l1 > l0)) {
    throw new SdenoRangeError(
      `${what}: tStart ${quote(tStart)} and tEnd ${
        quote(tEnd)
      } must give finite λ with λ(tEnd) > λ(tStart), got ${l0} and ${l1}`,
    );
  }
  // λ of the reference's grid: inverse_lambda of a torch.linspace, back to λ
  const lambdas = Float64Array.from(
    torchLinspace(l0, l1, steps + 1),
    (lam) => schedule.logSnr(schedule.tOfLogSnr(lam)),
  );
  return { tStart, tEnd, lambdas };
}

/**
 * The degenerated statistics l = 1, s = b = 0 (DPM-Solver-v3 then is
 * DPM-Solver++ with the pseudo-order corrector; the reference's
 * `degenerated=True`).
 *
 * @param schedule the noise schedule
 * @param dim the data dimension
 * @param options the grid's ends and size
 * @returns the statistics
 *
 * @example
 * ```ts
 * import { degeneratedStatistics } from "./dpm_solver_v3_statistics.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const st = degeneratedStatistics(vpLinearSchedule(), 2, { steps: 10 });
 * assert.equal(st.l.length, 22);
 * assert.ok(st.l.every((v) => v === 1) && st.s.every((v) => v === 0));
 * ```
 */
export function degeneratedStatistics(
  schedule: NoiseSchedule,
  dim: number,
  options: StatisticsGridOptions = {},
): EmpiricalModelStatistics {
  const what = "Cannot build the degenerated statistics";
  checkInteger(what, "dim", dim, 1);
  const g = gridOf(what, schedule, options);
  const n = g.lambdas.length * dim;
  return {
    schedule: schedule.name,
    ...g,
    dim,
    l: new Float64Array(n).fill(1),
    s: new Float64Array(n),
    b: new Float64Array(n),
  };
}

/**
 * Checks that statistics belong to this schedule and dimension: the same
 * schedule name, λ at the grid's ends equal to the schedule's λ at
 * `tStart`/`tEnd` (1e-9), the same dimension.
 *
 * @param what the failing action, for messages
 * @param stats the statistics
 * @param schedule the schedule they are used with
 * @param dim the data dimension they are used with
 * @throws {SdenoTypeError} naming the mismatch
 *
 * @example A 2-D file refused for a 3-D model
 * ```ts
 * import { checkStatisticsFit, degeneratedStatistics } from "./dpm_solver_v3_statistics.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const st = degeneratedStatistics(s, 2, { steps: 10 });
 * assert.throws(() => checkStatisticsFit("Cannot sample", st, s, 3), /dimension 2, not 3/);
 * ```
 */
export function checkStatisticsFit(
  what: string,
  stats: EmpiricalModelStatistics,
  schedule: NoiseSchedule,
  dim: number,
): void {
  checkStatistics(what, stats);
  if (stats.schedule !== schedule.name) {
    throw new SdenoTypeError(
      `${what}: the statistics are for schedule ${quote(stats.schedule)}, not ${
        quote(schedule.name)
      }`,
    );
  }
  const n = stats.lambdas.length - 1;
  const ends = [schedule.logSnr(stats.tStart), schedule.logSnr(stats.tEnd)];
  const want = [stats.lambdas[0]!, stats.lambdas[n]!];
  if (ends.some((v, i) => !(Math.abs(v - want[i]!) <= 1e-9 * Math.max(1, Math.abs(v))))) {
    throw new SdenoTypeError(
      `${what}: the statistics' λ grid [${want[0]}, ${
        want[1]
      }] at t = ${stats.tStart}, ${stats.tEnd} does not match this ${
        quote(schedule.name)
      } schedule's λ [${ends[0]}, ${ends[1]}] (statistics of another schedule)`,
    );
  }
  if (stats.dim !== dim) {
    throw new SdenoTypeError(
      `${what}: the statistics are for dimension ${stats.dim}, not ${dim}`,
    );
  }
}

/** Shape, finiteness and uniform-grid checks of a statistics object. */
function checkStatistics(what: string, st: EmpiricalModelStatistics): void {
  if (st === null || typeof st !== "object") {
    throw new SdenoTypeError(`${what}: statistics must be an object, got ${quote(st)}`);
  }
  if (typeof st.schedule !== "string") {
    throw new SdenoTypeError(
      `${what}: statistics.schedule must be a string, got ${quote(st.schedule)}`,
    );
  }
  checkInteger(what, "statistics.dim", st.dim, 1);
  const lam = st.lambdas;
  if (!(lam instanceof Float64Array) || lam.length < 3) {
    throw new SdenoTypeError(
      `${what}: statistics.lambdas must be a Float64Array of at least 3 points, got ${quote(lam)}`,
    );
  }
  const n = lam.length - 1, h = (lam[n]! - lam[0]!) / n;
  for (let i = 0; i <= n; i++) {
    if (
      !(Math.abs(lam[i]! - (lam[0]! + h * i)) <= 1e-9 * Math.max(1, Math.abs(lam[i]!))) || !(h > 0)
    ) {
      throw new SdenoRangeError(
        `${what}: statistics.lambdas must be increasing and uniform, point ${i} is ${lam[i]}`,
      );
    }
  }
  for (const name of ["l", "s", "b"] as const) {
    const a = st[name];
    if (!(a instanceof Float64Array) || a.length !== lam.length * st.dim) {
      throw new SdenoTypeError(
        `${what}: statistics.${name} must be a Float64Array of ${lam.length} × ${st.dim} numbers, got ${
          a instanceof Float64Array ? a.length : quote(a)
        }`,
      );
    }
    const bad = a.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new SdenoRangeError(`${what}: statistics.${name}[${bad}] is ${a[bad]}`);
    }
  }
  for (const name of ["tStart", "tEnd"] as const) {
    if (!Number.isFinite(st[name])) {
      throw new SdenoTypeError(
        `${what}: statistics.${name} must be a finite number, got ${quote(st[name])}`,
      );
    }
  }
}

/** Options of {@linkcode computeStatistics}. */
export interface ComputeStatisticsOptions extends StatisticsGridOptions {
  /** Key of the forward-noise draws ε (default seed 0, stream 0). */
  key?: Key;
  /**
   * How the Jacobian diagonal for l is obtained: `"vjp"` (the model's
   * vector-Jacobian product with each unit vector; exact), `"fd"` (central
   * differences of ε_θ along each unit vector) or `"auto"` (default: vjp
   * when the model has one).
   */
  jacobian?: "auto" | "vjp" | "fd";
  /**
   * Estimate the Jacobian diagonal with this many Rademacher probes v per row
   * instead of the `dim` unit vectors (Hutchinson: E[v ⊙ (Jᵀv)] = diag J),
   * for large dimensions: `probes` VJPs (or central differences along v) per
   * grid point. The probes are keyed Philox signs, the same at every λ.
   */
  probes?: number;
  /** Step of the central differences in x (default 1e-4) and, over λ, of f⁽¹⁾ (default 1e-4). */
  fdStep?: { x?: number; lambda?: number };
  /** Called after each grid point with (done, total) (progress). */
  onPoint?: (done: number, total: number) => void;
}

/**
 * The Philox step word of the forward-noise draws of {@linkcode computeStatistics}
 * (purpose `diffusionNoise`; far above any sampler's draw index).
 *
 * @example
 * ```ts
 * import { EMS_NOISE_STEP, EMS_PROBE_STEP } from "./dpm_solver_v3_statistics.ts";
 * import assert from "node:assert/strict";
 * assert.ok(EMS_NOISE_STEP !== EMS_PROBE_STEP && EMS_NOISE_STEP > 2 ** 31);
 * ```
 */
export const EMS_NOISE_STEP: number = 0xffffffe0;

/**
 * The Philox step word of the Rademacher probes of {@linkcode computeStatistics} (`probes`).
 *
 * @example
 * ```ts
 * import { EMS_PROBE_STEP } from "./dpm_solver_v3_statistics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(EMS_PROBE_STEP, 0xffffffe1);
 * ```
 */
export const EMS_PROBE_STEP: number = 0xffffffe1;

/**
 * Computes DPM-Solver-v3's empirical model statistics l, s, b of `denoiser`
 * on a λ grid (module doc: eq. 9–10 of Zheng et al.), with the expectations
 * over x_λ = α x₀ + σ ε for the rows x₀ of `data` and keyed normals ε (the
 * same at every λ). Cost per grid point: 3 model calls plus `dim` VJPs (or
 * `2·dim` calls with `jacobian: "fd"`; `probes` in place of `dim` with
 * Hutchinson probes), on the batch of all rows.
 *
 * Where f does not vary over the sample (Var f = 0, e.g. a Gaussian with
 * diagonal covariance, for which l cancels the whole Jacobian), s is not
 * identified: it is set to 0 and b = E f⁽¹⁾.
 *
 * @param denoiser the model (any prediction kind; ε is asked through `predictAs`)
 * @param data data rows, n × dim flat (n ≥ 2)
 * @param options grid, key, Jacobian method
 * @returns the statistics
 * @throws {SdenoTypeError} for data that are not whole rows, or `jacobian: "vjp"` without a VJP
 * @throws {SdenoRangeError} for fewer than 2 rows, non-finite data, a bad grid
 *
 * @example The statistics of a Gaussian with diagonal covariance: l = 1/(1 + v e^{2λ})
 * ```ts
 * import { computeStatistics } from "./dpm_solver_v3_statistics.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0.5]], variances: [[0.25]] }, s);
 * const st = await computeStatistics(gm, Float64Array.from([0.1, 0.7, 0.4, 0.9]), { steps: 20 });
 * st.lambdas.forEach((lam, i) =>
 *   assert.ok(Math.abs(st.l[i]! - 1 / (1 + 0.25 * Math.exp(2 * lam))) < 1e-12)
 * );
 * ```
 */
export async function computeStatistics(
  denoiser: Denoiser,
  data: Float64Array,
  options: ComputeStatisticsOptions = {},
): Promise<EmpiricalModelStatistics> {
  const what = "Cannot compute the DPM-Solver-v3 statistics";
  if (denoiser === null || typeof denoiser !== "object" || typeof denoiser.predict !== "function") {
    throw new SdenoTypeError(
      `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
    );
  }
  const d = denoiser.dim;
  if (!(data instanceof Float64Array) || data.length % d !== 0) {
    throw new SdenoTypeError(
      `${what}: data must be a Float64Array of whole rows of ${d} numbers, got ${
        data instanceof Float64Array ? `length ${data.length}` : quote(data)
      }`,
    );
  }
  const n = data.length / d;
  if (n < 2) throw new SdenoRangeError(`${what}: data must have at least 2 rows, got ${n}`);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new SdenoRangeError(`${what}: data[${bad}] is ${data[bad]}`);
  const jac = options.jacobian ?? "auto";
  if (!["auto", "vjp", "fd"].includes(jac)) {
    throw new SdenoRangeError(`${what}: jacobian must be "auto", "vjp" or "fd", got ${quote(jac)}`);
  }
  const hasVjp = typeof denoiser.vjp === "function";
  if (jac === "vjp" && !hasVjp) {
    throw new SdenoTypeError(`${what}: jacobian "vjp" needs a model with a vjp, this one has none`);
  }
  const useVjp = jac === "vjp" || (jac === "auto" && hasVjp);
  const hx = options.fdStep?.x ?? 1e-4, hl = options.fdStep?.lambda ?? 1e-4;
  if (!(hx > 0) || !(hl > 0)) {
    throw new SdenoRangeError(`${what}: fdStep must be positive, got ${quote(options.fdStep)}`);
  }
  if (options.probes !== undefined) checkInteger(what, "probes", options.probes, 1);
  const schedule = denoiser.schedule;
  const g = gridOf(what, schedule, options);
  const lam = g.lambdas, N = lam.length - 1, len = n * d;
  // the directions of the diagonal estimate: unit vectors, or Rademacher probes
  const directions: Float64Array[] = [];
  if (options.probes === undefined) {
    for (let j = 0; j < d; j++) {
      const v = new Float64Array(len);
      for (let r = j; r < len; r += d) v[r] = 1;
      directions.push(v);
    }
  } else {
    const u = new Float64Array(options.probes * len);
    fillUniform(u, options.key ?? { seed: 0, stream: 0 }, {
      step: EMS_PROBE_STEP,
      purpose: PHILOX_PURPOSES.diffusionNoise,
    });
    for (let k = 0; k < options.probes; k++) {
      directions.push(
        Float64Array.from(u.subarray(k * len, (k + 1) * len), (w) => w < 0.5 ? -1 : 1),
      );
    }
  }
  const eps0 = new Float64Array(len);
  fillNormal(eps0, options.key ?? { seed: 0, stream: 0 }, {
    step: EMS_NOISE_STEP,
    purpose: PHILOX_PURPOSES.diffusionNoise,
  });
  const backend = await createBackend("cpu");
  const xa = backend.upload(new Float64Array(len)), out = backend.upload(new Float64Array(len));
  const va = backend.upload(new Float64Array(len));
  const eps = async (x: Float64Array, lm: number): Promise<Float64Array> => {
    const t = schedule.tOfLogSnr(lm);
    await backend.write(xa, x);
    await predictAs(denoiser, xa, { t, kind: "eps", out });
    return Float64Array.from(await backend.download(out));
  };
  // φ(λ) = e^{−λ} ε_θ(α y, λ): the y-space velocity is −φ
  const phiAt = async (y: Float64Array, lm: number): Promise<Float64Array> => {
    const a = schedule.alpha(schedule.tOfLogSnr(lm));
    const e = await eps(y.map((v) => a * v), lm);
    const c = Math.exp(-lm);
    return e.map((v) => c * v);
  };
  const l = new Float64Array((N + 1) * d);
  // per (i, j): means of f, y, A = dφ/dλ + l φ, the covariances ff, fy, Af, and mean φ²
  const M = Array.from({ length: 7 }, () => new Float64Array((N + 1) * d));
  const y = new Float64Array(len), x = new Float64Array(len);
  try {
    for (let i = 0; i <= N; i++) {
      const lm = lam[i]!, t = schedule.tOfLogSnr(lm);
      const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
      for (let r = 0; r < len; r++) {
        x[r] = alpha * data[r]! + sigma * eps0[r]!;
        y[r] = x[r]! / alpha;
      }
      const e = await eps(x, lm);
      // l_j = σ E[∂ε_j/∂x_j]: Σ_rows v ⊙ (Jᵀ v) over the directions v
      const diag = new Float64Array(d);
      for (const v of directions) {
        let jv: Float64Array;
        if (useVjp) {
          await backend.write(xa, x);
          await backend.write(va, v);
          await vjpAs(denoiser, xa, { t, kind: "eps", v: va, out });
          jv = Float64Array.from(await backend.download(out));
        } else {
          // J v by central differences (diag(J v ⊙ v) has the same mean as diag(Jᵀv ⊙ v))
          const h = hx * Math.max(1, alpha);
          const ep = await eps(x.map((w, r) => w + h * v[r]!), lm);
          const em = await eps(x.map((w, r) => w - h * v[r]!), lm);
          jv = ep.map((w, r) => (w - em[r]!) / (2 * h));
        }
        for (let r = 0; r < len; r++) diag[r % d] = diag[r % d]! + v[r]! * jv[r]!;
      }
      const per = n * (options.probes ?? 1);
      for (let j = 0; j < d; j++) l[i * d + j] = sigma * diag[j]! / per;
      // dφ/dλ along the ODE (dy/dλ = −φ): central, or one-sided second order at the grid ends
      const c = Math.exp(-lm);
      const phi = e.map((v) => c * v);
      const move = (k: number) => y.map((v, r) => v - k * hl * phi[r]!);
      let dphi: Float64Array;
      if (i === 0 || i === N) {
        const sgn = i === 0 ? 1 : -1;
        const p1 = await phiAt(move(sgn), lm + sgn * hl);
        const p2 = await phiAt(move(2 * sgn), lm + 2 * sgn * hl);
        dphi = phi.map((v, r) => sgn * (-3 * v + 4 * p1[r]! - p2[r]!) / (2 * hl));
      } else {
        const pp = await phiAt(move(1), lm + hl), pm = await phiAt(move(-1), lm - hl);
        dphi = pp.map((v, r) => (v - pm[r]!) / (2 * hl));
      }
      // per dimension, centred sums of f = φ − l y (formed per row: φ and l y nearly cancel at
      // low λ), A = dφ/dλ + l φ and y; f⁽¹⁾ = A − l' y once l' is known
      for (let j = 0; j < d; j++) {
        const lj = l[i * d + j]!;
        let sf = 0, sy = 0, sa = 0;
        for (let r = j; r < len; r += d) {
          sf += phi[r]! - lj * y[r]!, sy += y[r]!, sa += dphi[r]! + lj * phi[r]!;
        }
        const mf = sf / n, my = sy / n, ma = sa / n;
        let cff = 0, cfy = 0, caf = 0, pp = 0;
        for (let r = j; r < len; r += d) {
          pp += phi[r]! * phi[r]!;
          const f = phi[r]! - lj * y[r]! - mf;
          cff += f * f, cfy += f * (y[r]! - my), caf += f * (dphi[r]! + lj * phi[r]! - ma);
        }
        const k = i * d + j;
        [mf, my, ma, cff / n, cfy / n, caf / n, pp / n].forEach((v, m) => M[m]![k] = v);
      }
      options.onPoint?.(i + 1, N + 1);
    }
  } finally {
    backend.release(xa), backend.release(out), backend.release(va);
  }
  // l' on the grid, then s, b per point
  const h = (lam[N]! - lam[0]!) / N;
  const s = new Float64Array((N + 1) * d), b = new Float64Array((N + 1) * d);
  for (let i = 0; i <= N; i++) {
    for (let j = 0; j < d; j++) {
      const L = (m: number) => l[m * d + j]!;
      // five-point differences, O(h⁴): central inside, one-sided near the ends
      const lp = i >= 2 && i <= N - 2
        ? (-L(i + 2) + 8 * L(i + 1) - 8 * L(i - 1) + L(i - 2)) / (12 * h)
        : i === 0
        ? (-25 * L(0) + 48 * L(1) - 36 * L(2) + 16 * L(3) - 3 * L(4)) / (12 * h)
        : i === 1
        ? (-3 * L(0) - 10 * L(1) + 18 * L(2) - 6 * L(3) + L(4)) / (12 * h)
        : i === N - 1
        ? (3 * L(N) + 10 * L(N - 1) - 18 * L(N - 2) + 6 * L(N - 3) - L(N - 4)) / (12 * h)
        : (25 * L(N) - 48 * L(N - 1) + 36 * L(N - 2) - 16 * L(N - 3) + 3 * L(N - 4)) / (12 * h);
      const k = i * d + j;
      const [ef, my, ma, varF, cfy, caf, phi2] = M.map((a) => a[k]!) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      // f⁽¹⁾ = A − l' y: Cov(f⁽¹⁾, f) = Cov(A, f) − l' Cov(y, f), E f⁽¹⁾ = E A − l' E y
      const cov = caf - lp * cfy;
      const ef1 = ma - lp * my;
      // f constant up to rounding (its spread below 1e-10 of φ's size): s is not identified
      const sj = varF > 1e-20 * phi2 ? cov / varF : 0;
      s[k] = sj;
      b[k] = ef1 - sj * ef;
    }
  }
  return { schedule: schedule.name, ...g, dim: d, l, s, b };
}

/**
 * The statistics as JSON text: `{ format, schedule, tStart, tEnd, dim, lambdas, l, s, b }`
 * (arrays as plain number lists, (N + 1) × dim row-major).
 *
 * @param stats the statistics
 * @returns the JSON text
 *
 * @example A round trip
 * ```ts
 * import { degeneratedStatistics, statisticsFromJson, statisticsToJson } from "./dpm_solver_v3_statistics.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const st = degeneratedStatistics(vpLinearSchedule(), 2, { steps: 10 });
 * assert.deepEqual(statisticsFromJson(statisticsToJson(st)), st);
 * ```
 */
export function statisticsToJson(stats: EmpiricalModelStatistics): string {
  checkStatistics("Cannot write the statistics", stats);
  return JSON.stringify({
    format: FORMAT,
    schedule: stats.schedule,
    tStart: stats.tStart,
    tEnd: stats.tEnd,
    dim: stats.dim,
    lambdas: [...stats.lambdas],
    l: [...stats.l],
    s: [...stats.s],
    b: [...stats.b],
  });
}

const FORMAT = "sdeno-dpm-solver-v3-statistics/1";

/**
 * Statistics from the JSON text of {@linkcode statisticsToJson}, checked.
 *
 * @param text the JSON text
 * @returns the statistics
 * @throws {SdenoParseError} for text that is not JSON
 * @throws {SdenoTypeError} for a wrong format tag or shapes
 *
 * @example
 * ```ts
 * import { statisticsFromJson } from "./dpm_solver_v3_statistics.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => statisticsFromJson('{"format": "other"}'), TypeError);
 * ```
 */
export function statisticsFromJson(text: string): EmpiricalModelStatistics {
  const what = "Cannot read the DPM-Solver-v3 statistics";
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new SdenoParseError(`${what}: not JSON (${(e as Error).message})`);
  }
  if (o === null || typeof o !== "object" || o.format !== FORMAT) {
    throw new SdenoTypeError(
      `${what}: format must be ${quote(FORMAT)}, got ${quote(o?.format)}`,
    );
  }
  const arr = (name: string) => {
    const v = o[name];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) {
      throw new SdenoTypeError(`${what}: ${name} must be a list of numbers`);
    }
    return Float64Array.from(v as number[]);
  };
  const stats: EmpiricalModelStatistics = {
    schedule: o.schedule as string,
    tStart: o.tStart as number,
    tEnd: o.tEnd as number,
    dim: o.dim as number,
    lambdas: arr("lambdas"),
    l: arr("l"),
    s: arr("s"),
    b: arr("b"),
  };
  checkStatistics(what, stats);
  return stats;
}

/**
 * Writes the statistics to a JSON file (needs `--allow-write`).
 *
 * @param path the file
 * @param stats the statistics
 *
 * @example
 * ```ts
 * import { degeneratedStatistics, loadStatistics, saveStatistics } from "./dpm_solver_v3_statistics.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await saveStatistics(path, degeneratedStatistics(s, 2, { steps: 10 }));
 * assert.equal((await loadStatistics(path, { schedule: s, dim: 2 })).dim, 2);
 * await Deno.remove(path);
 * ```
 */
export async function saveStatistics(
  path: string | URL,
  stats: EmpiricalModelStatistics,
): Promise<void> {
  await Deno.writeTextFile(path, statisticsToJson(stats) + "\n");
}

/**
 * Reads statistics from a JSON file (needs `--allow-read`) and, when
 * `expect` is given, checks they are for that schedule and dimension.
 *
 * @param path the file
 * @param expect the schedule and dimension they will be used with
 * @returns the statistics
 * @throws {SdenoTypeError} for statistics of another schedule or dimension, or a bad file
 *
 * @example See {@linkcode saveStatistics}.
 * ```ts
 * import { loadStatistics } from "./dpm_solver_v3_statistics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof loadStatistics, "function");
 * ```
 */
export async function loadStatistics(
  path: string | URL,
  expect?: { schedule: NoiseSchedule; dim: number },
): Promise<EmpiricalModelStatistics> {
  const stats = statisticsFromJson(await Deno.readTextFile(path));
  if (expect) {
    checkStatisticsFit(
      `Cannot use the statistics of ${String(path)}`,
      stats,
      expect.schedule,
      expect.dim,
    );
  }
  return stats;
}
