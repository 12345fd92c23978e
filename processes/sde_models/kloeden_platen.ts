/**
 * Scalar test SDEs with explicit solutions, from the list in Kloeden &
 * Platen, "Numerical Solution of Stochastic Differential Equations", 1992,
 * §4.4 (solved by the Itô formula), used to measure strong errors.
 *
 * @module
 */

import { checkFinite, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { defineSde, type SdeModel } from "../sde.ts";
import { _f32 } from "./_wgsl.ts";

/** The problems {@linkcode kloedenPlaten} knows. */
export type KloedenPlatenName = "sinh" | "arctan" | "additive-decay";

/** Options of {@linkcode kloedenPlaten}. */
export interface KloedenPlatenOptions {
  /** Noise scale a (sinh, arctan) or α (additive-decay), default 1. */
  a?: number;
  /** β of additive-decay, default 1. */
  b?: number;
}

/**
 * One of three explicitly solvable scalar Itô SDEs (X₀ = x₀, W = W(t)):
 *
 * - `sinh`: `dX = ½a²X dt + a√(1 + X²) dW`, `X = sinh(aW + asinh x₀)`;
 * - `arctan`: `dX = −a² sin X cos³X dt + a cos²X dW`, `X = arctan(aW + tan x₀)`;
 * - `additive-decay` (additive noise, time dependent):
 *   `dX = (b/√(1+t) − X/(2(1+t)))dt + ab/√(1+t) dW`, `X = (x₀ + bt + abW)/√(1+t)`.
 *
 * Each follows from the Itô formula applied to the stated solution.
 *
 * @param name which problem
 * @param options its constants
 * @returns the model, with `solution(t, x0, w)`
 * @throws {SdenoRangeError} for an unknown name
 *
 * @example The sinh problem's solution at W = 0
 * ```ts
 * import { kloedenPlaten } from "./kloeden_platen.ts";
 * import assert from "node:assert/strict";
 * const p = kloedenPlaten("sinh", { a: 1 });
 * assert.ok(Math.abs(p.solution!(1, [0.5], [0])[0]! - 0.5) < 1e-15);
 * ```
 */
export function kloedenPlaten(
  name: KloedenPlatenName,
  options: KloedenPlatenOptions = {},
): SdeModel {
  const what = "Cannot build a Kloeden–Platen problem";
  const a = checkFinite(what, "a", options.a ?? 1);
  const b = checkFinite(what, "b", options.b ?? 1);
  const each =
    (f: (t: number, x: number) => number) =>
    (t: number, x: Float64Array, out: Float64Array, n: number) => {
      for (let i = 0; i < n; i++) out[i] = f(t, x[i]!);
    };
  const snippet = (fn: string, args: string, body: string) =>
    `fn ${fn}(${args}) -> SdState {\n  var xv = x;\n  let xi = xv[0];\n  ${
      args.includes("dw") ? "var dv = dw;\n  " : ""
    }return SdState(${body});\n}`;
  const A = _f32(a), B = _f32(b);
  if (name === "sinh") {
    const sde = defineSde({
      name: "kp-sinh",
      dim: 1,
      noise: "scalar",
      drift: each((_t, x) => 0.5 * a * a * x),
      diffusion: each((_t, x) => a * Math.sqrt(1 + x * x)),
      diffusionDerivative: each((_t, x) => a * a * x),
      wgsl: {
        drift: snippet("sde_drift", "t: f32, x: SdState", `${_f32(0.5 * a * a)} * xi`),
        diffusion: snippet(
          "sde_diffusion",
          "t: f32, x: SdState, dw: SdNoise",
          `${A} * sqrt(1.0 + xi * xi) * dv[0]`,
        ),
        diffusionDerivative: snippet("sde_milstein", "t: f32, x: SdState", `${_f32(a * a)} * xi`),
      },
    });
    return Object.freeze({
      ...sde,
      params: { a },
      solution: (_t: number, x0: ArrayLike<number>, w: ArrayLike<number>) =>
        Float64Array.of(Math.sinh(a * w[0]! + Math.asinh(x0[0]!))),
    });
  }
  if (name === "arctan") {
    const sde = defineSde({
      name: "kp-arctan",
      dim: 1,
      noise: "scalar",
      drift: each((_t, x) => -a * a * Math.sin(x) * Math.cos(x) ** 3),
      diffusion: each((_t, x) => a * Math.cos(x) ** 2),
      diffusionDerivative: each((_t, x) => -2 * a * a * Math.sin(x) * Math.cos(x) ** 3),
      wgsl: {
        drift: snippet(
          "sde_drift",
          "t: f32, x: SdState",
          `${_f32(-a * a)} * sin(xi) * pow(cos(xi), 3.0)`,
        ),
        diffusion: snippet(
          "sde_diffusion",
          "t: f32, x: SdState, dw: SdNoise",
          `${A} * cos(xi) * cos(xi) * dv[0]`,
        ),
        diffusionDerivative: snippet(
          "sde_milstein",
          "t: f32, x: SdState",
          `${_f32(-2 * a * a)} * sin(xi) * cos(xi) * cos(xi) * cos(xi)`,
        ),
      },
    });
    return Object.freeze({
      ...sde,
      params: { a },
      solution: (_t: number, x0: ArrayLike<number>, w: ArrayLike<number>) =>
        Float64Array.of(Math.atan(a * w[0]! + Math.tan(x0[0]!))),
    });
  }
  if (name === "additive-decay") {
    const sde = defineSde({
      name: "kp-additive-decay",
      dim: 1,
      noiseDim: 1,
      noise: "additive",
      drift: each((t, x) => b / Math.sqrt(1 + t) - x / (2 * (1 + t))),
      diffusion: each((t) => (a * b) / Math.sqrt(1 + t)),
      wgsl: {
        drift: snippet(
          "sde_drift",
          "t: f32, x: SdState",
          `${B} / sqrt(1.0 + t) - xi / (2.0 * (1.0 + t))`,
        ),
        diffusion: snippet(
          "sde_diffusion",
          "t: f32, x: SdState, dw: SdNoise",
          `${_f32(a * b)} / sqrt(1.0 + t) * dv[0]`,
        ),
      },
    });
    return Object.freeze({
      ...sde,
      params: { a, b },
      moments: (t: number, x0: ArrayLike<number>) => ({
        mean: Float64Array.of((x0[0]! + b * t) / Math.sqrt(1 + t)),
        variance: Float64Array.of((a * a * b * b * t) / (1 + t)),
      }),
      solution: (t: number, x0: ArrayLike<number>, w: ArrayLike<number>) =>
        Float64Array.of((x0[0]! + b * t + a * b * w[0]!) / Math.sqrt(1 + t)),
    });
  }
  throw new SdenoRangeError(
    `${what}: name must be one of sinh, arctan, additive-decay, got ${quote(name)}`,
  );
}
