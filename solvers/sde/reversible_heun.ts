/**
 * The reversible Heun method.
 *
 * @module
 */

import { diffusionWidth, type Sde } from "../../processes/sde.ts";
import { defineSdeSolver } from "./define_sde_solver.ts";
import type { SdeSolver, SdeStepper } from "./solver_info.ts";
import { _addNoise } from "./_noise.ts";

/**
 * Reversible Heun (Kidger, Foster, Li & Lyons, "Efficient and accurate
 * gradients for neural SDEs", NeurIPS 2021, Algorithm 1): carries an
 * auxiliary state Ŷ with its drift and diffusion,
 * `Ŷ' = 2X − Ŷ + f(Ŷ)h + g(Ŷ)·ΔW`,
 * `X' = X + ½(f(Ŷ) + f(Ŷ'))h + ½(g(Ŷ) + g(Ŷ'))·ΔW`, which is algebraically
 * reversible and costs one drift and one diffusion evaluation per step.
 * Stratonovich; strong order 0.5 in general and 1 for additive noise
 * (Kidger et al. 2021, §3); order 1 for scalar and diagonal (commutative)
 * noise is declared from our convergence test (fitted 0.94 on GBM), not
 * from a theorem; weak order 1. It declares its own step (not a tableau:
 * Ŷ is state carried across steps), and does not run in the ensemble
 * kernel, which holds only X per path.
 *
 * @example
 * ```ts
 * import { reversibleHeun } from "./reversible_heun.ts";
 * import assert from "node:assert/strict";
 * assert.equal(reversibleHeun.info.strongOrder.additive, 1);
 * ```
 */
export const reversibleHeun: SdeSolver = defineSdeSolver({
  info: {
    name: "reversible-heun",
    aliases: ["reversibleheun"],
    summary:
      "reversible Heun, Stratonovich, algebraically reversible (Kidger et al. 2021; diffrax ReversibleHeun)",
    calculus: "stratonovich",
    noise: ["diagonal", "scalar", "additive", "general"],
    strongOrder: { general: 0.5, commutative: 1, additive: 1 },
    weakOrder: 1,
    adaptive: false,
    errorOrder: undefined,
    levyArea: false,
  },
  makeStepper: (sde, { paths, x0 }) => reversibleHeunStepper(sde, paths, x0),
});

/**
 * The step, with the auxiliary state Ŷ (started at x0) and its drift and
 * diffusion carried from step to step; so it advances all paths each call
 * and has no ensemble twin.
 */
function reversibleHeunStepper(sde: Sde, n: number, x0: Float64Array): SdeStepper {
  const { dim: d, noiseDim: m, noise } = sde;
  const w = diffusionWidth(sde);
  const yhat = Float64Array.from(x0);
  let fhat = new Float64Array(n * d), ghat = new Float64Array(n * w);
  let fnew = new Float64Array(n * d), gnew = new Float64Array(n * w);
  let started = false;
  return ({ t, h, x, out, inc }) => {
    if (!started) {
      sde.drift(t, yhat, fhat, n);
      sde.diffusion(t, yhat, ghat, n);
      started = true;
    }
    // Ŷ' = 2X − Ŷ + f(Ŷ)h + g(Ŷ)·ΔW
    for (let e = 0; e < n * d; e++) yhat[e] = 2 * x[e]! - yhat[e]! + h * fhat[e]!;
    _addNoise(noise, d, m, ghat, inc.dW, 1, yhat, n);
    sde.drift(t + h, yhat, fnew, n);
    sde.diffusion(t + h, yhat, gnew, n);
    out.set(x);
    for (let e = 0; e < n * d; e++) out[e] = out[e]! + 0.5 * h * (fhat[e]! + fnew[e]!);
    _addNoise(noise, d, m, ghat, inc.dW, 0.5, out, n);
    _addNoise(noise, d, m, gnew, inc.dW, 0.5, out, n);
    [fhat, fnew] = [fnew, fhat];
    [ghat, gnew] = [gnew, ghat];
  };
}
