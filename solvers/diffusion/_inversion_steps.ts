// Private helpers of inversion.ts: DDIM's step coefficients (Song, Meng & Ermon 2021, eq. 12/16;
// the same formula as ddim.ts, so a replayed noise map reproduces its arithmetic) and the option
// checks the inversion functions share.
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { quote, SdenoRangeError } from "../../kernels/errors.ts";

/** A DDIM step s → t: `x_t = cx·x_s + c0·x̂₀ + std·z`. */
export interface DdimCoefficients {
  /** Coefficient of x_s. */
  cx: number;
  /** Coefficient of x̂₀. */
  c0: number;
  /** Noise scale σ̃ = η σ_t sqrt(1 − e^{−2h}). */
  std: number;
}

/** DDIM's coefficients of the step s → t with stochasticity η (as `ddim.ts` computes them). */
export function ddimCoefficients(
  s: NoiseSchedule,
  ts: number,
  tt: number,
  eta: number,
): DdimCoefficients {
  const h = s.logSnr(tt) - s.logSnr(ts);
  const q = -Math.expm1(-2 * h); // 1 − e^{−2h}
  const sigT = s.sigma(tt);
  const rest = sigT * Math.sqrt(Math.max(0, 1 - eta * eta * q)); // sqrt(σ_t² − σ̃²)
  const cx = rest / s.sigma(ts);
  return { cx, c0: s.alpha(tt) - cx * s.alpha(ts), std: eta * sigT * Math.sqrt(q) };
}

/** η of a stochastic inversion: in (0, 1] (η = 0 draws no noise, so nothing can be encoded). */
export function checkEta(what: string, eta: unknown): number {
  if (typeof eta !== "number" || !(eta > 0 && eta <= 1)) {
    throw new SdenoRangeError(
      `${what}: eta must be in (0, 1] (a stochastic sampler), got ${quote(eta)}`,
    );
  }
  return eta;
}
