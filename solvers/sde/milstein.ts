/**
 * The Milstein method, Itô and Stratonovich.
 *
 * @module
 */

import type { EnsembleModel, EnsembleStep } from "../../kernels/sde_ensemble.ts";
import { diffusionWidth, type Sde } from "../../processes/sde.ts";
import { defineSdeSolver } from "./define_sde_solver.ts";
import type { SdeSolver, SdeStepper } from "./solver_info.ts";
import { _addNoise } from "./_noise.ts";
import { stepperTwin } from "./_stepper_twin.ts";

/**
 * Milstein for commutative noise (Kloeden & Platen 1992, §10.3, eq. 3.3):
 * `X'ᵢ = Xᵢ + fᵢh + (g·ΔW)ᵢ + ½(L¹g)ᵢ(ΔWₖ₍ᵢ₎² − h)` in Itô form and without the
 * `− h` in Stratonovich form (it reads `sde.calculus`), where
 * `(L¹g)ᵢ = Σⱼ gⱼ ∂gᵢ/∂xⱼ` comes from `sde.diffusionDerivative` or, without it,
 * a central finite difference of g along g; k(i) = i for diagonal noise and 0
 * for scalar noise. Strong order 1, weak order 1; additive noise reduces it
 * to Euler–Maruyama (order 1 too).
 *
 * Not a tableau: it declares its own step, used by `solveSde` and, fed with
 * the grid noise, as the ensemble twin; its WGSL step calls the model's
 * `sde_milstein` snippet (`wgsl.diffusionDerivative`) for diagonal and
 * scalar noise.
 *
 * @example
 * ```ts
 * import { milstein } from "./milstein.ts";
 * import assert from "node:assert/strict";
 * assert.equal(milstein.info.calculus, "both");
 * assert.equal(milstein.info.strongOrder.commutative, 1);
 * assert.deepEqual(milstein.info.backends, ["cpu", "webgpu"]);
 * ```
 */
export const milstein: SdeSolver = defineSdeSolver({
  info: {
    name: "milstein",
    aliases: ["rkmil", "ito-milstein", "stratonovich-milstein"],
    summary: "Milstein, Itô or Stratonovich, commutative noise (Kloeden & Platen 1992, §10.3)",
    calculus: "both",
    noise: ["diagonal", "scalar", "additive"],
    strongOrder: { commutative: 1, additive: 1 },
    weakOrder: 1,
    adaptive: false,
    errorOrder: undefined,
    levyArea: false,
  },
  makeStepper: (sde, { paths }) => milsteinStepper(sde, paths),
  ensembleStep: milsteinEnsembleStep,
});

function milsteinStepper(sde: Sde, paths: number): SdeStepper {
  const { dim: d, noiseDim: m, noise } = sde;
  const w = diffusionWidth(sde);
  const f = new Float64Array(paths * d), g = new Float64Array(paths * w);
  const lg = new Float64Array(paths * d);
  const xp = new Float64Array(paths * d);
  const gp = new Float64Array(paths * w), gm = new Float64Array(paths * w);
  const epsOf = new Float64Array(paths);
  const ito = sde.calculus === "ito";
  return ({ t, h, n, x, out, inc }) => {
    sde.drift(t, x, f, n);
    sde.diffusion(t, x, g, n);
    for (let e = 0; e < n * d; e++) out[e] = x[e]! + h * f[e]!;
    _addNoise(noise, d, m, g, inc.dW, 1, out, n);
    if (noise === "additive") return;
    if (sde.diffusionDerivative) {
      sde.diffusionDerivative(t, x, lg, n);
    } else {
      // central difference of g along g: (g(x + εg) − g(x − εg))/(2ε) ≈ (g·∇)g
      for (let i = 0; i < n; i++) {
        let gmax = 0, xmax = 1;
        for (let r = 0; r < d; r++) {
          gmax = Math.max(gmax, Math.abs(g[i * d + r]!));
          xmax = Math.max(xmax, Math.abs(x[i * d + r]!));
        }
        epsOf[i] = gmax > 0 ? (6e-6 * xmax) / gmax : 0;
      }
      for (const [sign, dst] of [[1, gp], [-1, gm]] as const) {
        for (let k = 0; k < n * d; k++) {
          xp[k] = x[k]! + sign * epsOf[Math.floor(k / d)]! * g[k]!;
        }
        sde.diffusion(t, xp, dst, n);
      }
      for (let k = 0; k < n * d; k++) {
        const eps = epsOf[Math.floor(k / d)]!;
        lg[k] = eps > 0 ? (gp[k]! - gm[k]!) / (2 * eps) : 0;
      }
    }
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < d; r++) {
        const k = i * d + r;
        const dw = noise === "diagonal" ? inc.dW[k]! : inc.dW[i]!;
        out[k] = out[k]! + 0.5 * lg[k]! * (dw * dw - (ito ? h : 0));
      }
    }
  };
}

/** The ensemble step: the stepper above as the twin, and its WGSL form. */
function milsteinEnsembleStep(model: EnsembleModel): EnsembleStep {
  const commutative = model.noise === "diagonal" || model.noise === "scalar";
  // (L¹g)ᵢ(ΔWₖ₍ᵢ₎² − h): k(i) = i for diagonal noise, 0 for scalar noise
  const correction = commutative
    ? `
  var lg = sde_milstein(t, x);
  var dv = dw;
  for (var i = 0u; i < SD_D; i = i + 1u) {
    let w = dv[${model.noise === "diagonal" ? "min(i, SD_M - 1u)" : "0u"}];
    o[i] = o[i] + 0.5 * lg[i] * (w * w${model.calculus === "ito" ? " - h" : ""});
  }`
    : "";
  return {
    name: "milstein",
    streams: 1,
    usesDiffusionDerivative: commutative,
    wgsl: `fn sd_step(t: f32, h: f32, x: SdState, dw: SdNoise, dz: SdNoise) -> SdState {
  // Milstein (Kloeden & Platen 1992, 10.3): x + h f + g dW + 1/2 (L1 g)_i (dW_k(i)^2 - h [Ito])
  var o: SdState;
  var f = sde_drift(t, x);
  var g = sde_diffusion(t, x, dw);
  var xv = x;
  for (var i = 0u; i < SD_D; i = i + 1u) {
    o[i] = xv[i] + h * f[i] + g[i];
  }${correction}
  return o;
}`,
    twin: stepperTwin((sde, { paths }) => milsteinStepper(sde, paths), { model, streams: 1 }),
  };
}
