// The singlestep DPM-Solver / DPM-Solver++ update, shared by dpmSolver (fixed grids) and the
// adaptive DPM-Solver-12/23 (both conventions). With h = λ_t − λ_s (Lu et al., DPM-Solver,
// NeurIPS 2022, Alg. 1–2; DPM-Solver++(2S), arXiv:2211.01095, Alg. 1), the model is evaluated at s
// and at the intermediate points t_λ(λ_s + rᵢ h); the noise form integrates ε̂, the data form x̂₀.
// Points come from the sampler run, so the same code runs on the schedule's own α, σ (time grids)
// and on the variance-exploding view α = 1, σ̃ = σ/α (σ grids, k-diffusion's sample_dpm_*).
import type { DeviceArray, Term } from "../../kernels/mod.ts";
import type { GridPoint, SampleRun } from "./sample_run.ts";

/** The exponential-integrator coefficients of the noise form or the data form. */
export class DpmForm {
  /** Data form (DPM-Solver++) when true, noise form (DPM-Solver) otherwise. */
  readonly data: boolean;
  /** @param data whether the model value is x̂₀ (data form) or ε̂ */
  constructor(data: boolean) {
    this.data = data;
  }
  /** What the model is asked for. */
  get target(): "x0" | "eps" {
    return this.data ? "x0" : "eps";
  }
  /** Coefficient on x of a first-order step s → t. */
  xc(s: GridPoint, t: GridPoint): number {
    return this.data ? t.sigma / s.sigma : Math.exp(t.la - s.la);
  }
  /** The factor that multiplies the model at the end point: α_t (data) or σ_t (noise). */
  ac(t: GridPoint): number {
    return this.data ? t.alpha : t.sigma;
  }
  /** φ₁: expm1(−h) (data) or expm1(h) (noise). */
  phi1(h: number): number {
    return this.data ? Math.expm1(-h) : Math.expm1(h);
  }
}

/** The stages of one singlestep step: model values and differences. */
export interface Stages {
  r1: number;
  r2?: number;
  m0: DeviceArray;
  d1: DeviceArray;
  d2?: DeviceArray;
}

/**
 * Evaluates the intermediate stages of a singlestep step from s with log-SNR step h: given
 * m0 = M(x, s), writes d1 = M(u₁, s₁) − m0 at s₁ = t_λ(λ_s + r1 h) and, when r2 is given,
 * d2 = M(u₂, s₂) − m0 at s₂ = t_λ(λ_s + r2 h). Differences are formed before they are
 * combined, which keeps float32 from cancelling large terms. `u` is scratch.
 */
export async function singlestepStages(
  run: SampleRun,
  form: DpmForm,
  cur: DeviceArray,
  s: GridPoint,
  h: number,
  stages: Stages,
  u: DeviceArray,
): Promise<void> {
  const { r1, r2, m0, d1, d2 } = stages;
  const s1 = run.pointAtLambda(s.lam + r1 * h);
  await run.lc(u, [[form.xc(s, s1), cur], [-form.ac(s1) * form.phi1(r1 * h), m0]]);
  await run.model(u, s1, d1, form.target);
  await run.lc(d1, [[1, d1], [-1, m0]]);
  if (r2 === undefined || d2 === undefined) return;
  const s2 = run.pointAtLambda(s.lam + r2 * h);
  const e2 = form.phi1(r2 * h);
  // u2 = x_(s→s2) − A₂ e2 M_s ∓ (r2/r1) A₂ (e2/(r2 h) ± 1)(M1 − M_s)
  const g = form.data
    ? -(r2 / r1) * form.ac(s2) * (e2 / (r2 * h) + 1)
    : (r2 / r1) * form.ac(s2) * (e2 / (r2 * h) - 1);
  await run.lc(u, [[form.xc(s, s2), cur], [-form.ac(s2) * e2, m0], [-g, d1]]);
  await run.model(u, s2, d2, form.target);
  await run.lc(d2, [[1, d2], [-1, m0]]);
}

/**
 * The terms of the order-`order` update s → t (h = λ_t − λ_s) from the stages above:
 * order 1 `x' − A φ₁ M_s`; order 2 adds `− (1/(2 r1)) A φ₁ d1`; order 3 instead adds
 * `± (1/r2) A φ₂ d2` (+ in data form, − in noise form), φ₂ = φ₁/h ± 1.
 */
export function singlestepTerms(
  form: DpmForm,
  cur: DeviceArray,
  s: GridPoint,
  t: GridPoint,
  order: number,
  stages: { r1: number; r2?: number; m0: DeviceArray; d1?: DeviceArray; d2?: DeviceArray },
): Term[] {
  const h = t.lam - s.lam;
  const A = form.ac(t), p1 = form.phi1(h);
  const base: Term[] = [[form.xc(s, t), cur], [-A * p1, stages.m0]];
  if (order === 1) return base;
  if (order === 2) return [...base, [-(0.5 / stages.r1 * A * p1), stages.d1!]];
  const p2 = form.data ? p1 / h + 1 : p1 / h - 1;
  return [...base, [(form.data ? 1 : -1) / stages.r2! * A * p2, stages.d2!]];
}
