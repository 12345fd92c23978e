// The model side of the diffusion samplers: calls the denoiser, converts its output to the kind
// the update rule integrates (noise ε or data x₀), applies an x₀ corrector, records the call
// times, and checks for NaN/Inf.
import type { Backend, DeviceArray } from "../../kernels/mod.ts";
import {
  CpuArray,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import type { Denoiser, PredictionKind } from "../../models/denoiser.ts";
import { predictionCoefficients } from "../../models/denoiser.ts";
import type { SamplerOptions, X0Corrector, XtCorrector } from "./types.ts";

export type { X0Corrector, XtCorrector };

/** Resolves the backend of a sampler call and checks x against the denoiser. */
export function _setup(
  denoiser: Denoiser,
  x: DeviceArray,
  options: SamplerOptions,
  what: string,
): Backend {
  if (!denoiser || typeof denoiser.predict !== "function") {
    throw new SdenoTypeError(
      `${what}: denoiser must have a predict method, got ${quote(denoiser)}`,
    );
  }
  if (!x || typeof x.length !== "number") {
    throw new SdenoTypeError(`${what}: x must be a device array, got ${quote(x)}`);
  }
  const d = denoiser.dim;
  if (!Number.isInteger(d) || d < 1 || x.length % d !== 0 || x.length === 0) {
    throw new SdenoTypeError(
      `${what}: x has ${x.length} elements, which is not a positive multiple of the denoiser's dim ${
        quote(d)
      }`,
    );
  }
  const backend = options.backend ?? x.backend;
  if (x.backend !== backend) {
    throw new SdenoTypeError(`${what}: x lives on another backend than options.backend`);
  }
  return backend;
}

/** Throws a NumericalError naming step, time and flat index when `a` holds NaN or Inf. */
export async function _checkFiniteArray(
  backend: Backend,
  a: DeviceArray,
  what: string,
  where: { step: number; time: number; quantity: string },
): Promise<void> {
  let data: ArrayLike<number> | undefined;
  if (a instanceof CpuArray) data = a.data;
  else {
    const s = await backend.columnStats(a, 1);
    if (Number.isFinite(s.sum[0]!) && Number.isFinite(s.sumSq[0]!)) return;
    data = await backend.download(a);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new NumericalError(
        `${what}: ${where.quantity} is ${
          data[i]
        } at step ${where.step}, time ${where.time}, index ${i}`,
        { step: where.step, time: where.time, index: i },
      );
    }
  }
}

/** Options of the model caller. */
export interface _ModelOptions {
  /** What the update integrates: the noise ε or the data x₀. */
  target: "eps" | "x0";
  /** The kind requested from the denoiser (converted to `target`). */
  query: PredictionKind;
  /** Applied to x₀ predictions (only when target is x0, or in `data()`). */
  correctX0: X0Corrector | undefined;
  /** Check model outputs and states for NaN/Inf. */
  checkFinite: boolean;
}

/** Evaluates a denoiser as the update rule needs it, and keeps the call log. */
export class _ModelCaller {
  readonly times: number[] = [];
  readonly #denoiser: Denoiser;
  readonly #backend: Backend;
  readonly #options: _ModelOptions;
  readonly #what: string;
  step = 0;

  constructor(denoiser: Denoiser, backend: Backend, options: _ModelOptions, what: string) {
    this.#denoiser = denoiser;
    this.#backend = backend;
    this.#options = options;
    this.#what = what;
  }

  /** Writes the model value (ε or x₀, per `target`) at (x, t) into `out`. */
  eval(x: DeviceArray, t: number, out: DeviceArray): Promise<void> {
    return this.#call(x, t, out, this.#options.target);
  }

  /** Writes the data prediction x₀ (with the corrector) at (x, t) into `out`. */
  data(x: DeviceArray, t: number, out: DeviceArray): Promise<void> {
    return this.#call(x, t, out, "x0");
  }

  async #call(x: DeviceArray, t: number, out: DeviceArray, target: "eps" | "x0"): Promise<void> {
    const b = this.#backend, s = this.#denoiser.schedule, q = this.#options.query;
    this.times.push(t);
    await this.#denoiser.predict(b, x, t, q, out);
    if (q !== target) {
      if (target === "x0" && q === "eps") {
        // x₀ = (x − σ ε)/α, as DPM-Solver++ and UniPC convert a noise model
        const a = s.alpha(t), sg = s.sigma(t);
        await b.lincomb(out, [[1 / a, x], [-sg / a, out]]);
      } else {
        const [cx, cp] = predictionCoefficients(q, target, s, t);
        await b.lincomb(out, [[cx, x], [cp, out]]);
      }
    }
    if (target === "x0" && this.#options.correctX0) {
      await this.#options.correctX0(b, out, { t, dim: this.#denoiser.dim });
    }
    if (this.#options.checkFinite) {
      await _checkFiniteArray(b, out, this.#what, {
        step: this.step,
        time: t,
        quantity: `the model output (${target})`,
      });
    }
  }
}

/** Checks an integer option against a list of allowed values. */
export function _checkChoice<T>(what: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new SdenoRangeError(
      `${what}: ${name} must be one of ${allowed.map((a) => String(a)).join(", ")}, got ${
        quote(value)
      }`,
    );
  }
  return value;
}
