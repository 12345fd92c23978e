/**
 * Adam (Kingma & Ba, "Adam: a method for stochastic optimization", ICLR
 * 2015, Algorithm 1) on a Backend, for a flat parameter array, with
 * decoupled weight decay (Loshchilov & Hutter, "Decoupled weight decay
 * regularization", ICLR 2019) when asked.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { defineMap } from "../../kernels/map.ts";

/** Options of {@linkcode Adam}. */
export interface AdamOptions {
  /** Step size α (default 1e-3); {@linkcode Adam.step} may override it per step. */
  learningRate?: number;
  /** Decay of the first moment, β₁ in [0, 1) (default 0.9). */
  beta1?: number;
  /** Decay of the second moment, β₂ in [0, 1) (default 0.999). */
  beta2?: number;
  /** ε (default 1e-8). */
  epsilon?: number;
  /** Decoupled weight decay λ: θ ← θ − α λ θ each step (default 0). */
  weightDecay?: number;
}

// v ← β₂ v + (1 − β₂) g²
const SECOND_MOMENT = defineMap({
  name: "adam_second_moment",
  arity: 2,
  wgsl: "return params[0] * x0 + params[1] * x1 * x1;",
  cpu: (v, g, _a, _b, p) => p[0]! * v + p[1]! * g * g,
});

// m / (sqrt(v) + ε̂)
const DIRECTION = defineMap({
  name: "adam_direction",
  arity: 2,
  wgsl: "return x0 / (sqrt(x1) + params[0]);",
  cpu: (m, v, _a, _b, p) => m / (Math.sqrt(v) + p[0]!),
});

/**
 * Adam's state (moments m, v and the step count) for one parameter array on
 * one backend. Each {@linkcode Adam.step} is Algorithm 1 in the form of
 * Kingma & Ba's §2 closing remark: `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
 * `θ ← θ − α_t·m/(√v + ε̂)` with `α_t = α·√(1−β₂ᵗ)/(1−β₁ᵗ)` and
 * `ε̂ = ε·√(1−β₂ᵗ)`, which equals `θ − α·m̂/(√v̂ + ε)` exactly.
 *
 * @example One step moves each parameter by α against its gradient's sign
 * ```ts
 * import { Adam } from "./adam.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const theta = b.upload([1, 1]);
 * const adam = new Adam(b, 2, { learningRate: 0.1 });
 * await adam.step(theta, b.upload([3, -0.5]));
 * const after = await b.download(theta);
 * assert.ok(Math.abs(after[0]! - 0.9) < 1e-7 && Math.abs(after[1]! - 1.1) < 1e-7);
 * adam.release();
 * ```
 */
export class Adam {
  /** The backend holding the state. */
  readonly backend: Backend;
  /** Length of the parameter array. */
  readonly size: number;
  /** Steps taken. */
  t = 0;
  readonly #o: Required<AdamOptions>;
  #m: DeviceArray;
  #v: DeviceArray;
  #tmp: DeviceArray;

  /**
   * Zero moments for `size` parameters.
   *
   * @param backend where the parameters live
   * @param size number of parameters
   * @param options α, β₁, β₂, ε, weight decay
   * @throws {SdenoRangeError} for a value out of range
   */
  constructor(backend: Backend, size: number, options: AdamOptions = {}) {
    const what = "Cannot make the Adam optimizer";
    checkInteger(what, "size", size, 1);
    this.#o = {
      learningRate: checkPositive(what, "learningRate", options.learningRate ?? 1e-3),
      beta1: checkUnit(what, "beta1", options.beta1 ?? 0.9),
      beta2: checkUnit(what, "beta2", options.beta2 ?? 0.999),
      epsilon: checkPositive(what, "epsilon", options.epsilon ?? 1e-8),
      weightDecay: checkFinite(what, "weightDecay", options.weightDecay ?? 0),
    };
    if (this.#o.weightDecay < 0) {
      throw new SdenoRangeError(
        `${what}: weightDecay must be ≥ 0, got ${quote(options.weightDecay)}`,
      );
    }
    this.backend = backend;
    this.size = size;
    this.#m = backend.zeros(size);
    this.#v = backend.zeros(size);
    this.#tmp = backend.zeros(size);
  }

  /**
   * One Adam step: updates `params` in place from `grads`.
   *
   * @param params the parameters (length `size`, on the backend)
   * @param grads their gradient
   * @param learningRate this step's α (default the option)
   * @throws {SdenoTypeError} for arrays of the wrong length or backend
   */
  async step(params: DeviceArray, grads: DeviceArray, learningRate?: number): Promise<void> {
    const what = "Cannot take an Adam step";
    for (const [name, a] of [["params", params], ["grads", grads]] as const) {
      if (a?.backend !== this.backend || a.length !== this.size) {
        throw new SdenoTypeError(
          `${what}: ${name} must be an array of ${this.size} numbers on the optimizer's backend, got length ${
            quote(a?.length)
          }`,
        );
      }
    }
    const lr = checkPositive(what, "learningRate", learningRate ?? this.#o.learningRate);
    const { beta1, beta2, epsilon, weightDecay } = this.#o;
    const b = this.backend;
    this.t++;
    const c1 = 1 - beta1 ** this.t, c2 = Math.sqrt(1 - beta2 ** this.t);
    await b.lincomb(this.#m, [[beta1, this.#m], [1 - beta1, grads]]);
    await b.map(SECOND_MOMENT, this.#tmp, [this.#v, grads], [beta2, 1 - beta2]);
    [this.#v, this.#tmp] = [this.#tmp, this.#v];
    await b.map(DIRECTION, this.#tmp, [this.#m, this.#v], [epsilon * c2]);
    await b.lincomb(params, [[1 - lr * weightDecay, params], [-lr * c2 / c1, this.#tmp]]);
  }

  /** Returns the state's arrays to the backend. */
  release(): void {
    for (const a of [this.#m, this.#v, this.#tmp]) this.backend.release(a);
  }
}

function checkPositive(what: string, name: string, v: unknown): number {
  checkFinite(what, name, v);
  if (!((v as number) > 0)) {
    throw new SdenoRangeError(`${what}: ${name} must be positive, got ${quote(v)}`);
  }
  return v as number;
}

function checkUnit(what: string, name: string, v: unknown): number {
  checkFinite(what, name, v);
  if (!((v as number) >= 0 && (v as number) < 1)) {
    throw new SdenoRangeError(`${what}: ${name} must be in [0, 1), got ${quote(v)}`);
  }
  return v as number;
}
