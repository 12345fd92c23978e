/**
 * A denoiser seen through another noise schedule. Two schedules that reach
 * the same log-SNR λ = log(α/σ) describe the same noisy point up to scale:
 * x_a = α_a x₀ + σ_a ε and x_b = (α_b/α_a) x_a share x₀ and ε (Kingma et al.,
 * "Variational Diffusion Models", arXiv 2107.00630, §3: the model depends on
 * the schedule only through λ). So a model trained on EDM's σ-time can serve
 * a method written in VP notation (the guidance methods), and vice versa,
 * for the two kinds that do not depend on the schedule: x̂₀ and ε̂.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/backend.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { type Denoiser, predictAs, type PredictionKind, vjpAs } from "./denoiser.ts";

/**
 * `model` as a denoiser on `schedule`: at time t it calls the model at the
 * time s of equal log-SNR, on `x·α_model(s)/α(t)`. Declares the kinds x0 and
 * eps (invariant under the change); a vjp when the model has one.
 *
 * @param model the trained (or exact) denoiser
 * @param schedule the schedule the caller works in
 * @returns the rescheduled denoiser
 * @throws {SdenoRangeError} at a call whose log-SNR lies outside the model's schedule
 *
 * @example A VP view of an EDM-time model gives the same x̂₀ at equal log-SNR
 * ```ts
 * import { rescheduled } from "./rescheduled.ts";
 * import { gaussianMixture } from "./gaussian_mixture.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
 * import { CpuBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const spec = { weights: [0.5, 0.5], means: [[-1], [1]], variances: [[0.1], [0.1]] };
 * const vp = vpLinearSchedule();
 * const view = rescheduled(gaussianMixture(spec, edmSchedule()), vp);
 * const exact = gaussianMixture(spec, vp);
 * const b = new CpuBackend();
 * const x = b.upload([0.3]), a = b.zeros(1), e = b.zeros(1);
 * await view.predict(x, 0.5, a, { kind: "x0" });
 * await exact.predict(x, 0.5, e, { kind: "x0" });
 * const [va, ve] = [(await b.download(a))[0]!, (await b.download(e))[0]!];
 * assert.ok(Math.abs(va - ve) < 1e-12);
 * ```
 */
export function rescheduled(model: Denoiser, schedule: NoiseSchedule): Denoiser {
  if (model === null || typeof model !== "object" || typeof model.predict !== "function") {
    throw new SdenoTypeError(`rescheduled: model must be a Denoiser, got ${quote(model)}`);
  }
  const inner = model.schedule;
  const lambdaLo = inner.logSnr(inner.tMax), lambdaHi = inner.logSnr(inner.tMin);
  const mapTime = (t: number): { s: number; scale: number } => {
    const lambda = schedule.logSnr(t);
    if (!(lambda >= lambdaLo * (1 + 1e-12) - 1e-12 && lambda <= lambdaHi + 1e-12)) {
      throw new SdenoRangeError(
        `rescheduled: at t = ${t} the log-SNR ${lambda.toPrecision(6)} lies outside the model's [${
          lambdaLo.toPrecision(6)
        }, ${
          lambdaHi.toPrecision(6)
        }] (${inner.name} times ${inner.tMin}…${inner.tMax}); use a grid inside it`,
      );
    }
    const s = Math.min(inner.tMax, Math.max(inner.tMin, inner.tOfLogSnr(lambda)));
    return { s, scale: inner.alpha(s) / schedule.alpha(t) };
  };
  const kindOf = (kind: PredictionKind): "x0" | "eps" => {
    if (kind !== "x0" && kind !== "eps") {
      throw new SdenoTypeError(
        `rescheduled: only the x0 and eps kinds carry over between schedules, got ${quote(kind)}`,
      );
    }
    return kind;
  };
  const scaled = async (x: DeviceArray, scale: number): Promise<DeviceArray> => {
    const xs = x.backend.zeros(x.length);
    await x.backend.lincomb(xs, [[scale, x]]);
    return xs;
  };
  const nativeKind: "x0" | "eps" = model.nativeKind === "eps" ? "eps" : "x0";
  const view: Denoiser = {
    dim: model.dim,
    nativeKind,
    kinds: ["x0", "eps"],
    schedule,
    async predict(x, t, out, request) {
      const kind = kindOf(request.kind);
      const { s, scale } = mapTime(t);
      const xs = await scaled(x, scale);
      try {
        await predictAs(model, xs, { t: s, kind, out, conditioning: request.conditioning });
      } finally {
        x.backend.release(xs);
      }
    },
  };
  if (typeof model.vjp === "function") {
    return {
      ...view,
      async vjp(x, t, v, out, request) {
        const kind = kindOf(request.kind);
        const { s, scale } = mapTime(t);
        const xs = await scaled(x, scale);
        try {
          await vjpAs(model, xs, { t: s, kind, v, out, conditioning: request.conditioning });
          await x.backend.lincomb(out, [[scale, out]]);
        } finally {
          x.backend.release(xs);
        }
      },
    };
  }
  return view;
}
