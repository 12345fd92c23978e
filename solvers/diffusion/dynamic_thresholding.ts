/**
 * Dynamic thresholding of data predictions (Saharia et al. 2022, "Imagen",
 * §2.3), as DPM-Solver's `correcting_x0_fn="dynamic_thresholding"`.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/mod.ts";
import { CpuArray, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import type { X0Corrector } from "./types.ts";

/** Options of {@linkcode dynamicThresholding}. */
export interface DynamicThresholdingOptions {
  /** The quantile p of |x̂₀| per sample, in (0, 1] (default 0.995, as Imagen and DPM-Solver). */
  ratio?: number;
  /** The floor of the threshold s, > 0 (default 1: data scaled to [−1, 1]). */
  maxVal?: number;
}

/**
 * An {@linkcode X0Corrector} that, per sample (row of `dim` numbers), sets
 * `s = max(quantile(|x̂₀|, ratio), maxVal)` and replaces x̂₀ by
 * `clamp(x̂₀, −s, s)/s`. The quantile is torch's (`torch.quantile`, linear
 * interpolation between order statistics at position `ratio·(dim − 1)`).
 * Pass it as `correctX0` to `dpmSolver` (with `algorithm: "dpmsolver++"`;
 * the noise form never forms x̂₀), `ddim` or `uniPc`. On webgpu the rows are
 * read back, corrected on the host and written again (a sort per row has no
 * kernel here), so each model call costs one host round trip.
 *
 * @param options `ratio` (0.995) and `maxVal` (1)
 * @returns the corrector
 * @throws {SdenoRangeError} when ratio is outside (0, 1] or maxVal is not positive
 *
 * @example One row of 5: s = quantile(|x|, 0.995) = 3 + 0.98·(4 − 3) = 3.98
 * ```ts
 * import { dynamicThresholding } from "./dynamic_thresholding.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const x0 = b.upload([3, -1, 0.5, -4, 2]);
 * await dynamicThresholding()(x0, { t: 0.5, dim: 5 });
 * const got = await b.download(x0);
 * assert.ok(Math.abs(got[3]! + 1) < 1e-15); // −4 is clamped to −3.98, then divided by 3.98
 * assert.ok(Math.abs(got[0]! - 3 / 3.98) < 1e-15);
 * ```
 */
export function dynamicThresholding(options: DynamicThresholdingOptions = {}): X0Corrector {
  const what = "Cannot make the dynamic thresholding";
  const ratio = options.ratio ?? 0.995, maxVal = options.maxVal ?? 1;
  if (typeof ratio !== "number" || !(ratio > 0 && ratio <= 1)) {
    throw new SdenoRangeError(`${what}: ratio must be in (0, 1], got ${quote(ratio)}`);
  }
  if (typeof maxVal !== "number" || !(maxVal > 0) || !Number.isFinite(maxVal)) {
    throw new SdenoRangeError(`${what}: maxVal must be positive and finite, got ${quote(maxVal)}`);
  }
  return async (x0: DeviceArray, info: { t: number; dim: number }) => {
    const backend = x0.backend;
    const d = info.dim;
    if (!Number.isInteger(d) || d < 1 || x0.length % d !== 0) {
      throw new SdenoTypeError(
        `Cannot threshold x̂₀: ${x0.length} elements are not rows of dim ${quote(d)}`,
      );
    }
    const onHost = x0 instanceof CpuArray;
    const data = onHost ? x0.data : Float64Array.from(await backend.download(x0));
    const abs = new Float64Array(d);
    const pos = ratio * (d - 1), lo = Math.floor(pos), frac = pos - lo;
    for (let row = 0; row < data.length; row += d) {
      for (let j = 0; j < d; j++) abs[j] = Math.abs(data[row + j]!);
      abs.sort();
      const q = lo + 1 < d ? abs[lo]! + frac * (abs[lo + 1]! - abs[lo]!) : abs[lo]!;
      const s = Math.max(q, maxVal);
      for (let j = 0; j < d; j++) data[row + j] = Math.min(Math.max(data[row + j]!, -s), s) / s;
    }
    if (!onHost) await backend.write(x0, data);
  };
}
