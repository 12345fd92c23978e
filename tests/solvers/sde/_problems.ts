// Test problems of the SDE solver tests, one per noise type and calculus,
// each with WGSL snippets so the GPU ensemble can run it too, and the
// recorded runs of tests/fixtures/sde/solver_runs.json (see
// _record_solver_runs.ts): what was run, on which problem, and a digest of
// the results.
import { type Calculus, defineSde, type NoiseType, type Sde } from "../../../processes/sde.ts";
import { geometricBrownianMotion } from "../../../processes/sde_models/geometric_brownian_motion.ts";
import { ornsteinUhlenbeck } from "../../../processes/sde_models/ornstein_uhlenbeck.ts";

/** A problem: the SDE and its initial state. */
export interface Problem {
  sde: Sde;
  x0: number[];
}

/**
 * 2-d linear SDE with scalar noise, dX = (AX) dt + (BX + c) dW:
 * f = (−x₀ + x₁/2, −x₁/2), g = (0.4x₀, 0.3x₁ + 0.1). The cpu model has no
 * diffusionDerivative (solvers take the finite difference); the WGSL one has
 * the exact L¹g = (0.16x₀, 0.3(0.3x₁ + 0.1)).
 */
function scalarLinear(calculus: Calculus): Sde {
  return defineSde({
    name: `scalar-linear-${calculus}`,
    dim: 2,
    noise: "scalar",
    calculus,
    drift: (_t, x, o, n) => {
      for (let i = 0; i < n; i++) {
        o[2 * i] = -x[2 * i]! + 0.5 * x[2 * i + 1]!;
        o[2 * i + 1] = -0.5 * x[2 * i + 1]!;
      }
    },
    diffusion: (_t, x, o, n) => {
      for (let i = 0; i < n; i++) {
        o[2 * i] = 0.4 * x[2 * i]!;
        o[2 * i + 1] = 0.3 * x[2 * i + 1]! + 0.1;
      }
    },
    wgsl: {
      drift: `fn sde_drift(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(-xv[0] + 0.5 * xv[1], -0.5 * xv[1]);
}`,
      diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
  var xv = x;
  var dv = dw;
  return SdState(0.4 * xv[0] * dv[0], (0.3 * xv[1] + 0.1) * dv[0]);
}`,
      diffusionDerivative: `fn sde_milstein(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(0.16 * xv[0], 0.3 * (0.3 * xv[1] + 0.1));
}`,
    },
  });
}

/**
 * 2-d SDE with general (non-commutative) noise, m = 2:
 * f = (1/2 − x₀, −x₁ + x₀/5), g = [[0.3x₀, 0.1], [0.2, 0.25x₁]].
 */
function generalNoise(calculus: Calculus): Sde {
  return defineSde({
    name: `general-${calculus}`,
    dim: 2,
    noiseDim: 2,
    noise: "general",
    calculus,
    drift: (_t, x, o, n) => {
      for (let i = 0; i < n; i++) {
        o[2 * i] = 0.5 - x[2 * i]!;
        o[2 * i + 1] = -x[2 * i + 1]! + 0.2 * x[2 * i]!;
      }
    },
    diffusion: (_t, x, o, n) => {
      for (let i = 0; i < n; i++) {
        o[4 * i] = 0.3 * x[2 * i]!;
        o[4 * i + 1] = 0.1;
        o[4 * i + 2] = 0.2;
        o[4 * i + 3] = 0.25 * x[2 * i + 1]!;
      }
    },
    wgsl: {
      drift: `fn sde_drift(t: f32, x: SdState) -> SdState {
  var xv = x;
  return SdState(0.5 - xv[0], -xv[1] + 0.2 * xv[0]);
}`,
      diffusion: `fn sde_diffusion(t: f32, x: SdState, dw: SdNoise) -> SdState {
  var xv = x;
  var dv = dw;
  return SdState(0.3 * xv[0] * dv[0] + 0.1 * dv[1], 0.2 * dv[0] + 0.25 * xv[1] * dv[1]);
}`,
    },
  });
}

/**
 * The problem of a noise type and calculus: GBM (diagonal, with the exact
 * Milstein correction), the scalar and general problems above, and a 2-d OU
 * process (additive; its calculus does not matter).
 *
 * @param noise the noise type
 * @param calculus the calculus
 * @returns the problem
 */
export function problem(noise: NoiseType, calculus: Calculus): Problem {
  switch (noise) {
    case "diagonal":
      return {
        sde: geometricBrownianMotion({ mu: 0.3, sigma: 0.5, dim: 2, calculus }),
        x0: [1, 2],
      };
    case "scalar":
      return { sde: scalarLinear(calculus), x0: [1, -0.5] };
    case "additive":
      return {
        sde: ornsteinUhlenbeck({ theta: [1, 3], mu: [0.5, -1], sigma: [0.8, 1.5] }),
        x0: [2, 0],
      };
    case "general":
      return { sde: generalNoise(calculus), x0: [0.5, 1] };
  }
}

/** The noise types, in fixture order. */
export const NOISE_TYPES: readonly NoiseType[] = ["diagonal", "scalar", "additive", "general"];

/** The calculus a solver of declared calculus integrates ("both": Itô). */
export function calculusOf(declared: Calculus | "both"): Calculus {
  return declared === "both" ? "ito" : declared;
}

/** The fixed-step solveSde run of the fixture. */
export const SOLVE_RUN = {
  paths: 300,
  t1: 0.5,
  dt: 1 / 64,
  saveAt: [0.25, 0.5],
  key: { seed: 7, stream: 1 },
} as const;

/** The adaptive solveSde run of the fixture (PI controller, virtual Brownian tree). */
export const ADAPTIVE_RUN = {
  paths: 100,
  t1: 0.5,
  dt: 1 / 16,
  rtol: 1e-3,
  atol: 1e-3,
  key: { seed: 7, stream: 1 },
} as const;

/** The ensemble run of the fixture: crosses the twin's 1024-path batches; quantiles from a pilot. */
export const ENSEMBLE_RUN = {
  paths: 1500,
  t1: 0.5,
  dt: 1 / 64,
  saveAt: [0.25, 0.5],
  key: { seed: 7, stream: 1 },
  pathOffset: 5,
  keepPaths: 3,
  quantiles: [0.1, 0.5, 0.9],
  returnFinal: true,
} as const;

/** SHA-256 of the bytes of float64 arrays, in order, as hex. */
export async function digest(arrays: ArrayLike<number>[]): Promise<string> {
  const total = arrays.reduce((a, x) => a + x.length, 0);
  const all = new Float64Array(total);
  let o = 0;
  for (const a of arrays) {
    all.set(a, o);
    o += a.length;
  }
  const h = await crypto.subtle.digest("SHA-256", all.buffer);
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}
