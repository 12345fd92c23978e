/**
 * Stochastic Runge–Kutta solvers as data: a declaration and a tableau, run
 * by the one tableau driver on the CPU and, through the generated ensemble
 * step, in the GPU ensemble kernel and its float64 twin.
 *
 * @module
 */

import { diffusionWidth, type Sde } from "../../processes/sde.ts";
import { defineSdeSolver } from "./define_sde_solver.ts";
import type { SdeSolver, SdeStepper, SolverDeclaration } from "./solver_info.ts";
import type { SrkTableau } from "./srk_tableau.ts";
import { _addNoise, _noiseWeight } from "./_noise.ts";
import { srkEnsembleStep } from "./_srk_ensemble.ts";

/**
 * A stochastic Runge–Kutta solver from its declaration and its tableau
 * (Rößler's form, see {@linkcode SrkTableau}). The one tableau driver steps
 * it in `solveSde`; every such tableau also runs in the ensemble kernel
 * (`simulateEnsemble` on cpu and webgpu), its WGSL step and float64 twin
 * generated from the tableau, so the solver lists webgpu among its
 * backends. Adding a tableau method is one file with one `srkSolver` call
 * and a line in the registry.
 *
 * The class the ensemble kernel runs is exactly the class this driver runs:
 * explicit tableaux (strictly lower-triangular A⁰, A¹, B⁰, B¹) whose noise
 * quantities are functions of one Brownian component per step (ΔW, ΔZ =
 * I₍₁,₀₎, √h, I₍₁,₁₎, I₍₁,₁,₁₎) — no iterated integrals mixing components
 * (Lévy areas), and fixed steps there (an embedded pair is used by adaptive
 * `solveSde` only).
 *
 * @param info the declaration
 * @param tableau the tableau
 * @returns the solver
 * @throws {SdenoTypeError} when the declaration or the tableau has problems
 *   (see `sdeSolverProblems`), e.g. an implicit entry or a wrong `levyArea`
 *
 * @example Midpoint Euler–Heun-like tableau: runs in solveSde and lists webgpu
 * ```ts
 * import { srkSolver } from "./srk_solver.ts";
 * import { solveSde } from "./solve_sde.ts";
 * import { ornsteinUhlenbeck } from "../../processes/sde_models/ornstein_uhlenbeck.ts";
 * import assert from "node:assert/strict";
 * const midpoint = srkSolver({
 *   name: "additive-midpoint", aliases: [], summary: "drift at the midpoint, additive noise",
 *   calculus: "ito", noise: ["additive"], strongOrder: { additive: 1 }, weakOrder: 1,
 *   adaptive: false, errorOrder: undefined, levyArea: false,
 * }, {
 *   stages: 2, c0: [0, 0.5], c1: [0, 0],
 *   a0: [[0, 0], [0.5, 0]], a1: [[0, 0], [0, 0]], b0: [[0, 0], [0, 0]], b1: [[0, 0], [0, 0]],
 *   noise0: "dW", noise1: "dW", alpha: [0, 1], beta: [["dW", [1, 0]]],
 * });
 * assert.deepEqual(midpoint.info.backends, ["cpu", "webgpu"]);
 * const ou = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });
 * const r = solveSde(ou, { solver: midpoint, x0: [1], paths: 4, t1: 1, dt: 0.1 });
 * assert.equal(r.x.length, 4);
 * ```
 */
export function srkSolver(info: SolverDeclaration, tableau: SrkTableau): SdeSolver {
  return defineSdeSolver({
    info,
    tableau,
    makeStepper: (sde, { paths }) => srkStepper(sde, tableau, paths),
    ensembleStep: (model) => srkEnsembleStep(tableau, { name: info.name, model }),
  });
}

/**
 * The one tableau driver: Rößler's stages (SIAM J. Numer. Anal. 48(3), 2010,
 * eq. (5.1)/(6.1)) for n paths at once, skipping stages whose drift or
 * diffusion no weight uses, and the embedded estimate `X' − X̂'` when asked.
 */
function srkStepper(sde: Sde, tab: SrkTableau, paths: number): SdeStepper {
  const { dim: d, noiseDim: m, noise } = sde;
  let n = paths; // the paths of the current call
  const s = tab.stages;
  const w = diffusionWidth(sde);
  const nz = (v: number | undefined) => v !== undefined && v !== 0;
  const needF = Array.from({ length: s }, (_, j) =>
    nz(tab.alpha[j]) || nz(tab.alphaHat?.[j]) ||
    tab.a0.some((row) => nz(row[j])) || tab.a1.some((row) => nz(row[j])));
  const needG = Array.from(
    { length: s },
    (_, j) =>
      tab.beta.some(([, b]) => nz(b[j])) || (tab.betaHat?.some(([, b]) => nz(b[j])) ?? false) ||
      tab.b0.some((row) => nz(row[j])) || tab.b1.some((row) => nz(row[j])),
  );
  const F = Array.from({ length: s }, () => new Float64Array(paths * d));
  const G = Array.from({ length: s }, () => new Float64Array(paths * w));
  const H = new Float64Array(paths * d);
  const z0 = new Float64Array(paths * m), z1 = new Float64Array(paths * m);
  const v = new Float64Array(paths * m);
  const zq = tab.beta.map(() => new Float64Array(paths * m));
  const zh = (tab.betaHat ?? []).map(() => new Float64Array(paths * m));
  const hat = new Float64Array(paths * d);
  const stage = (
    x: Float64Array,
    i: number,
    h: number,
    a: readonly number[],
    b: readonly number[],
    z: Float64Array,
  ) => {
    H.set(x.subarray(0, n * d));
    for (let j = 0; j < i; j++) {
      const aj = a[j]!;
      if (aj !== 0) {
        const f = F[j]!;
        for (let e = 0; e < n * d; e++) H[e] = H[e]! + h * aj * f[e]!;
      }
      const bj = b[j]!;
      if (bj !== 0) _addNoise(noise, d, m, G[j]!, z, bj, H, n);
    }
  };
  const combine = (
    x: Float64Array,
    h: number,
    alpha: readonly number[],
    beta: ReadonlyArray<readonly [unknown, readonly number[]]>,
    zs: Float64Array[],
    out: Float64Array,
  ) => {
    out.set(x.subarray(0, n * d));
    for (let i = 0; i < s; i++) {
      const ai = alpha[i]!;
      if (ai !== 0) {
        const f = F[i]!;
        for (let e = 0; e < n * d; e++) out[e] = out[e]! + h * ai * f[e]!;
      }
      let any = false;
      v.fill(0, 0, n * m);
      for (let q = 0; q < beta.length; q++) {
        const bq = beta[q]![1][i]!;
        if (bq === 0) continue;
        any = true;
        const zz = zs[q]!;
        for (let e = 0; e < n * m; e++) v[e] = v[e]! + bq * zz[e]!;
      }
      if (any) _addNoise(noise, d, m, G[i]!, v, 1, out, n);
    }
  };
  return ({ t, h, n: calls, x, out, inc, err }) => {
    n = calls;
    const len = n * m;
    _noiseWeight(tab.noise0, h, inc.dW, inc.dZ, z0, len);
    _noiseWeight(tab.noise1, h, inc.dW, inc.dZ, z1, len);
    tab.beta.forEach(([k], q) => _noiseWeight(k, h, inc.dW, inc.dZ, zq[q]!, len));
    (tab.betaHat ?? []).forEach(([k], q) => _noiseWeight(k, h, inc.dW, inc.dZ, zh[q]!, len));
    for (let i = 0; i < s; i++) {
      if (needF[i]) {
        stage(x, i, h, tab.a0[i]!, tab.b0[i]!, z0);
        sde.drift(t + tab.c0[i]! * h, H, F[i]!, n);
      }
      if (needG[i]) {
        stage(x, i, h, tab.a1[i]!, tab.b1[i]!, z1);
        sde.diffusion(t + tab.c1[i]! * h, H, G[i]!, n);
      }
    }
    combine(x, h, tab.alpha, tab.beta, zq, out);
    if (err && tab.alphaHat && tab.betaHat) {
      combine(x, h, tab.alphaHat, tab.betaHat, zh, hat);
      for (let e = 0; e < n * d; e++) err[e] = out[e]! - hat[e]!;
    }
  };
}
