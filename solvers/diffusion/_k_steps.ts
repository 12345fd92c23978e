// Small pieces shared by the k-diffusion samplers (private): k-diffusion's t_fn / sigma_fn, the
// ancestral split, torch.lerp at ½, and the Karras churn with its option checks.
import type { DeviceArray } from "../../kernels/mod.ts";
import { quote, SdenoRangeError } from "../../kernels/mod.ts";
import type { ChurnOptions } from "./churn_options.ts";
import type { SampleRun } from "./sample_run.ts";

/** The option names of the churn. */
export const CHURN_OPTIONS: readonly string[] = ["sChurn", "sTmin", "sTmax", "sNoise"];

/** `-ln σ` (k-diffusion's `t_fn`). */
export function tFn(sigma: number): number {
  return -Math.log(sigma);
}

/** `exp(−t)` (k-diffusion's `sigma_fn`). */
export function sigmaFn(t: number): number {
  return Math.exp(-t);
}

/**
 * k-diffusion's `get_ancestral_step`: `[σ_down, σ_up]` with
 * `σ_up = min(σ_to, η·sqrt(σ_to²(σ_from² − σ_to²)/σ_from²))`,
 * `σ_down = sqrt(σ_to² − σ_up²)`; `[σ_to, 0]` when η = 0.
 */
export function ancestralStep(from: number, to: number, eta: number): [number, number] {
  if (!eta) return [to, 0];
  const up = Math.min(to, eta * Math.sqrt(to ** 2 * (from ** 2 - to ** 2) / from ** 2));
  return [Math.sqrt(to ** 2 - up ** 2), up];
}

/** torch.lerp(start, end, 0.5): `end − (end − start)·0.5`. */
export function lerpHalf(start: number, end: number): number {
  return end - (end - start) * 0.5;
}

/** Checks the churn options; returns them with k-diffusion's defaults. */
export function checkChurn(run: SampleRun, o: ChurnOptions): Required<ChurnOptions> {
  const sChurn = run.nonNegative("sChurn", o.sChurn ?? 0);
  const sTmin = run.nonNegative("sTmin", o.sTmin ?? 0);
  const sTmax = o.sTmax ?? Infinity;
  if (typeof sTmax !== "number" || !(sTmax >= sTmin)) {
    throw new SdenoRangeError(`${run.what}: sTmax must be ≥ sTmin, got ${quote(sTmax)}`);
  }
  const sNoise = run.nonNegative("sNoise", o.sNoise ?? 1);
  return { sChurn, sTmin, sTmax, sNoise };
}

/**
 * Karras et al. (2022) Algorithm 2, lines 4–6, as k-diffusion does it:
 * `γ = min(S_churn/N, √2 − 1)` when `S_tmin ≤ σᵢ ≤ S_tmax`, else 0;
 * `σ̂ = σᵢ(γ + 1)`; if γ > 0, `x += S_noise·sqrt(σ̂² − σᵢ²)·z`
 * (noise call `(σᵢ, σ̂)`). Returns σ̂.
 */
export async function churn(
  run: SampleRun,
  x: DeviceArray,
  i: number,
  c: Required<ChurnOptions>,
): Promise<number> {
  const sigma = run.sigmas[i]!;
  const steps = run.sigmas.length - 1;
  const gamma = c.sTmin <= sigma && sigma <= c.sTmax ? Math.min(c.sChurn / steps, 2 ** 0.5 - 1) : 0;
  const sigmaHat = sigma * (gamma + 1);
  if (gamma > 0) {
    await run.lcNoise(x, [[1, x]], c.sNoise * Math.sqrt(sigmaHat ** 2 - sigma ** 2), {
      from: sigma,
      to: sigmaHat,
    });
  }
  return sigmaHat;
}
