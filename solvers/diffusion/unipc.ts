/**
 * UniPC (Zhao et al., NeurIPS 2023): the unified predictor–corrector of
 * diffusion sampling. A multistep exponential-integrator predictor UniP-p
 * (Alg. 2 / eq. 9–10) is followed by the corrector UniC (Alg. 1 / eq. 8),
 * which reuses the model value at the predicted point — so the corrector
 * costs no extra model call: the value stored in the history for time t is
 * the model at the *predictor* point. Variants B(h) = h (`bh1`) and
 * B(h) = eʰ − 1 (`bh2`) (Zhao et al., §3.2 and Appendix).
 *
 * Conventions of the reference implementation (wl-zhao/UniPC, `uni_pc.py`,
 * `multistep_uni_pc_bh_update`), reproduced here to ~1e-10 in float64:
 * warm-up steps 1 … order−1 use order = step index (with the corrector);
 * `lower_order_final` lowers the order to `min(order, N + 1 − i)` on every
 * run (no `N < 10` condition, unlike DPM-Solver); the corrector is not
 * applied on the final step; the order-2 predictor uses ρ = ½ and the
 * order-1 corrector ρ = ½.
 *
 * @module
 */

import type { DeviceArray, Term } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { SampleResult, SamplerOptions } from "./types.ts";
import { type GridPoint, SampleRun } from "./sample_run.ts";
import { type DiffusionMethod, diffusionMethod } from "./diffusion_method.ts";

/** Options of {@linkcode uniPc}. */
export interface UniPcOptions extends SamplerOptions {
  /** Order 1–3 (default 2, as the reference's `sample`). */
  order?: number;
  /** `bh1` (B(h) = h, default as the reference) or `bh2` (B(h) = eʰ − 1). */
  variant?: "bh1" | "bh2";
  /** Integrate the data prediction (default, the reference's `data_prediction`) or the noise. */
  prediction?: "data" | "noise";
  /** Lower the order on the last steps (default true; applies at any step count). */
  lowerOrderFinal?: boolean;
  /**
   * Apply the corrector on the final step too (one more model call; default
   * false, as the reference).
   */
  finalCorrector?: boolean;
  /** After the last step, x = data prediction at the last time (one more call; default false). */
  denoiseToZero?: boolean;
}

const OPTIONS = [
  "order",
  "variant",
  "prediction",
  "lowerOrderFinal",
  "finalCorrector",
  "denoiseToZero",
] as const;

/** Solves the small dense system A x = b by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

/**
 * Samples with UniPC along `grid` (decreasing times; NFE = grid.length − 1,
 * plus one with `finalCorrector` or `denoiseToZero`).
 *
 * Update of order p from the history (t₋₍ₚ₋₁₎ … t₀, model values M) to t, data
 * form: `h = λ_t − λ₀`, `rᵢ = (λ₋ᵢ − λ₀)/h`, `D1ᵢ = (M₋ᵢ − M₀)/rᵢ`, `hh = −h`,
 * `B = hh` or `expm1(hh)`, `R[i−1, :] = r^{i−1}` (with r_p = 1) and `b` from
 * the φ recursion; `x̃ = (σ_t/σ₀) x − α_t expm1(hh) M₀`; predictor
 * `x_t = x̃ − α_t B Σ ρᵖᵢ D1ᵢ` (ρᵖ solves the leading (p−1)×(p−1) system);
 * corrector with `M_t = model(x_t, t)`:
 * `x_t = x̃ − α_t B (Σ_{i<p} ρᶜᵢ D1ᵢ + ρᶜ_p (M_t − M₀))`.
 *
 * @param denoiser the model (its schedule gives α, σ, λ)
 * @param x the batch at grid[0] (not modified)
 * @param grid decreasing times
 * @param options order, variant, conventions
 * @returns the final batch, NFE and model-call times
 * @throws {SdenoRangeError} for a bad grid or an order outside 1–3
 * @throws {SdenoTypeError} when x does not fit the denoiser
 * @throws {NumericalError} when NaN/Inf appears
 *
 * @example UniPC-2 and the exact flow of a Gaussian
 * ```ts
 * import { uniPc } from "./unipc.ts";
 * import { timeGrid } from "./time_grids.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const s = vpLinearSchedule();
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[0.25]] }, s);
 * const b = await createBackend("cpu");
 * const grid = timeGrid(s, 20, { kind: "logSNR" });
 * const out = await uniPc(gm, b.upload([1]), grid);
 * // the flow scales x by sqrt(α²v + σ²) / sqrt(α_T²v + σ_T²)
 * const sd = (t: number) => Math.sqrt(s.alpha(t) ** 2 * 0.25 + s.sigma(t) ** 2);
 * const exact = sd(grid[20]!) / sd(grid[0]!);
 * assert.ok(Math.abs((await b.download(out.x))[0]! - exact) < 2e-2);
 * assert.equal(out.nfe, 20);
 * ```
 */
export async function uniPc(
  denoiser: Denoiser,
  x: DeviceArray,
  grid: ArrayLike<number>,
  options: UniPcOptions = {},
): Promise<SampleResult> {
  const run = new SampleRun("UniPC", denoiser, x, grid, options, {
    grid: "time",
    query: "eps",
    options: OPTIONS,
  });
  const order = run.choice("order", options.order ?? 2, [1, 2, 3]);
  const variant = run.choice("variant", options.variant ?? "bh1", ["bh1", "bh2"] as const);
  const data =
    run.choice("prediction", options.prediction ?? "data", ["data", "noise"] as const) ===
      "data";
  run.needSteps(order, `order ${order}`);
  const steps = run.times.length - 1;
  const lof = options.lowerOrderFinal ?? true;
  const target = data ? "x0" : "eps";
  const pts = run.points;
  return run.use(async () => {
    const cur = await run.start(x);
    const buf = () => run.alloc();
    const hist: DeviceArray[] = [buf()];
    const hp: GridPoint[] = [pts[0]!];
    await run.model(cur, pts[0]!, hist[0]!, target);
    const pred = buf();
    let spare: DeviceArray | undefined = buf();
    for (let i = 1; i <= steps; i++) {
      const p = i < order ? i : lof ? Math.min(order, steps + 1 - i) : order;
      const useCorrector = i < order || i < steps || options.finalCorrector === true;
      const t = pts[i]!;
      const k = hist.length;
      const p0 = hp[k - 1]!;
      const h = t.lam - p0.lam;
      const rk: number[] = [];
      for (let j = 1; j < p; j++) rk.push((hp[k - 1 - j]!.lam - p0.lam) / h);
      rk.push(1);
      const hh = data ? -h : h;
      const hphi1 = Math.expm1(hh);
      const B = variant === "bh1" ? hh : Math.expm1(hh);
      const R: number[][] = [], bv: number[] = [];
      let g = hphi1 / hh - 1, fact = 1;
      for (let j = 1; j <= p; j++) {
        R.push(rk.map((r) => r ** (j - 1)));
        bv.push(g * fact / B);
        fact *= j + 1;
        g = g / hh - 1 / fact;
      }
      const cx = data ? t.sigma / p0.sigma : Math.exp(t.la - p0.la);
      const A = data ? t.alpha : t.sigma;
      // x̃ = cx x − A hphi1 M₀; D1ⱼ = (M₋ⱼ − M₀)/rⱼ
      const terms = (rho: readonly number[], last?: { coef: number; m: DeviceArray }): Term[] => {
        let c0 = -A * hphi1;
        const out: Term[] = [[cx, cur]];
        const rest: Term[] = [];
        rho.forEach((r, j) => {
          const c = A * B * r / rk[j]!;
          c0 += c;
          rest.push([-c, hist[k - 2 - j]!]);
        });
        if (last) {
          c0 += A * B * last.coef;
          rest.push([-A * B * last.coef, last.m]);
        }
        out.push([c0, hist[k - 1]!], ...rest);
        return out;
      };
      const rhoP = p === 1 ? [] : p === 2 ? [0.5] : solve(R.slice(0, p - 1), bv.slice(0, p - 1));
      let mt: DeviceArray | undefined;
      if (useCorrector) {
        await run.lc(pred, terms(rhoP));
        mt = spare ?? buf();
        spare = undefined;
        await run.model(pred, t, mt, target);
        const rhoC = p === 1 ? [0.5] : solve(R, bv);
        await run.lc(cur, terms(rhoC.slice(0, p - 1), { coef: rhoC[p - 1]!, m: mt }));
      } else {
        await run.lc(cur, terms(rhoP));
      }
      await run.endStep(i - 1, cur, data ? hist[k - 1] : undefined, { t: p0.t, tNext: t.t });
      if (i < steps) {
        if (!mt) {
          mt = spare ?? buf();
          spare = undefined;
          await run.model(cur, t, mt, target);
        }
        if (hist.length >= order) {
          spare = hist.shift();
          hp.shift();
        }
        hist.push(mt);
        hp.push(t);
      }
    }
    if (options.denoiseToZero) {
      const end = pts[steps]!;
      const d = buf();
      await run.model(cur, end, d, "x0");
      await run.lc(cur, [[1, d]]);
      await run.endStep(steps, cur, d, { t: end.t, tNext: 0 });
    }
    return run.finish(cur, pts[steps]!.t);
  });
}

/**
 * The method object of {@linkcode uniPc}: NFE = steps, plus one with
 * `finalCorrector` and one with `denoiseToZero`.
 *
 * @example
 * ```ts
 * import { uniPcMethod } from "./unipc.ts";
 * import assert from "node:assert/strict";
 * assert.equal(uniPcMethod.info.nfe({ points: 7, endsAtZero: false }, { finalCorrector: true }), 7);
 * ```
 */
export const uniPcMethod: DiffusionMethod<UniPcOptions> = diffusionMethod({
  family: "diffusion",
  name: "unipc",
  aliases: ["uni_pc", "unipc_multistep"],
  summary: "UniPC-p with the UniC corrector, bh1 or bh2 (Zhao et al., NeurIPS 2023)",
  stochastic: false,
  backends: ["cpu", "webgpu"],
  order: 2,
  grid: "time",
  budget: "grid",
  noise: "iid",
  rowsIndependent: true,
  options: OPTIONS,
  nfe: (g, o) =>
    g.points - 1 + (o.finalCorrector === true ? 1 : 0) + (o.denoiseToZero === true ? 1 : 0),
}, uniPc);
