/**
 * A small MLP score network: Fourier features of the noise level, SiLU
 * hidden layers, an optional class embedding with a null class for
 * classifier-free guidance, and hand-written forward and backward passes
 * whose products run through `Backend.matmul` (float64 on cpu, f32 on
 * webgpu). An {@linkcode Mlp} is trained by `solvers/training` and used as
 * a {@linkcode Denoiser} ({@linkcode Mlp.denoiser}).
 *
 * The network sees `F(c_in·x, c_noise, y)` and the model predicts
 * `c_skip·x + c_out·F`, with the noise level `σ̃ = σ/α` (Karras et al.,
 * "Elucidating the design space of diffusion-based generative models",
 * NeurIPS 2022, Table 1, applied to `x/α` for schedules with α ≠ 1):
 *
 * - `c_in = 1/sqrt(σ² + α²σ_d²)` (unit-variance inputs for data of scale σ_d),
 * - `c_noise = ln(σ̃)/4 = −λ/4`, fed through `[sin(ωⱼ c_noise), cos(ωⱼ c_noise)]`
 *   with frequencies ωⱼ geometric over `frequencies` (Tancik et al. 2020;
 *   Vaswani et al. 2017),
 * - objective `x0`: `c_skip = σ_d²/(σ̃² + σ_d²)/α`, `c_out = σ̃σ_d/sqrt(σ̃² + σ_d²)`
 *   (EDM's preconditioning); objectives `eps`, `v`, `velocity`: `c_skip = 0`,
 *   `c_out = 1` (the network predicts ε, v = αε − σx₀ or dx_t/dt itself).
 *
 * Class labels are `0 … classes−1`; label `classes` is the null class (no
 * label): training drops labels to it, and a call without labels uses it.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../kernels/backend.ts";
import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../kernels/errors.ts";
import { fillNormal, type Key } from "../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../kernels/purposes.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
import { vpCosineSchedule } from "../processes/vp_cosine_schedule.ts";
import { rectifiedFlowSchedule } from "../processes/rectified_flow_schedule.ts";
import { veSchedule } from "../processes/ve_schedule.ts";
import {
  type Conditioning,
  type Denoiser,
  denoiserFromNative,
  predictionBasis,
  type PredictionKind,
} from "./denoiser.ts";
import { _MlpEngine, type _MlpLayout, _mlpLayout } from "./_mlp_engine.ts";

/** What the network is trained to output (and the model's native prediction kind). */
export type MlpObjective = "eps" | "x0" | "v" | "velocity";

/** Every objective. */
export const MLP_OBJECTIVES: readonly MlpObjective[] = Object.freeze([
  "eps",
  "x0",
  "v",
  "velocity",
]);

/** Schedules an {@linkcode Mlp} can name in its spec (rebuilt from name and options). */
export type MlpScheduleName = "edm" | "vp-linear" | "vp-cosine" | "rectified-flow" | "ve";

/** A schedule by name with its numeric options, e.g. `{ name: "edm", options: { sigmaMax: 80 } }`. */
export interface MlpScheduleSpec {
  /** The schedule's name. */
  name: MlpScheduleName;
  /** Its options (those of `edmSchedule`, `vpLinearSchedule`, …). */
  options?: Readonly<Record<string, number>>;
}

/** Everything that defines an MLP besides its weights (JSON-serialisable). */
export interface MlpSpec {
  /** Data dimension d. */
  dim: number;
  /** Hidden widths, one per layer (at least one layer). */
  hidden: readonly number[];
  /** Number of Fourier frequencies F (2F time features). */
  timeFeatures: number;
  /** Smallest and largest angular frequency ω of the time features. */
  frequencies: readonly [number, number];
  /** Number of classes C (0: unconditional); label C is the null class. */
  classes: number;
  /** What the network outputs. */
  objective: MlpObjective;
  /** The noise schedule of the model's inputs. */
  schedule: MlpScheduleSpec;
  /** Data scale σ_d of the preconditioning. */
  sigmaData: number;
}

/** Options of {@linkcode Mlp.create}: a spec whose architecture fields have defaults. */
export interface MlpOptions {
  /** Data dimension d. */
  dim: number;
  /** Hidden widths (default `[128, 128, 128]`). */
  hidden?: readonly number[];
  /** Fourier frequencies F (default 16). */
  timeFeatures?: number;
  /** Range of angular frequencies (default `[0.25, 64]`). */
  frequencies?: readonly [number, number];
  /** Classes (default 0: unconditional). */
  classes?: number;
  /** Training objective (default `x0`, with EDM preconditioning). */
  objective?: MlpObjective;
  /** Schedule (default `{ name: "edm" }`). */
  schedule?: MlpScheduleSpec;
  /** Data scale σ_d (default 1). */
  sigmaData?: number;
  /** Key of the initial weights (default seed 0, stream 0). */
  key?: Key;
}

/** The scalings of one noise level. */
export interface MlpPreconditioning {
  /** Multiplies x before the network. */
  cIn: number;
  /** Multiplies x in the output. */
  cSkip: number;
  /** Multiplies the network's output. */
  cOut: number;
  /** The network's time input, `ln(σ/α)/4`. */
  cNoise: number;
}

/**
 * The preconditioning of an objective at time t (see the module doc).
 *
 * @param objective the objective
 * @param schedule the noise schedule
 * @param t the time
 * @param sigmaData the data scale σ_d
 * @returns c_in, c_skip, c_out and c_noise
 *
 * @example EDM's values at σ = σ_d = 1
 * ```ts
 * import { mlpPreconditioning } from "./mlp.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import assert from "node:assert/strict";
 * const p = mlpPreconditioning("x0", edmSchedule(), 1, 1);
 * assert.ok(Math.abs(p.cSkip - 0.5) < 1e-15 && Math.abs(p.cOut - Math.SQRT1_2) < 1e-15);
 * assert.equal(p.cNoise, 0);
 * ```
 */
export function mlpPreconditioning(
  objective: MlpObjective,
  schedule: NoiseSchedule,
  t: number,
  sigmaData: number,
): MlpPreconditioning {
  const alpha = schedule.alpha(t), sigma = schedule.sigma(t);
  const st = sigma / alpha, sd2 = sigmaData * sigmaData;
  const cIn = 1 / Math.sqrt(sigma * sigma + alpha * alpha * sd2);
  const cNoise = -schedule.logSnr(t) / 4;
  if (objective !== "x0") return { cIn, cSkip: 0, cOut: 1, cNoise };
  const r = st * st + sd2;
  return { cIn, cSkip: sd2 / r / alpha, cOut: st * sigmaData / Math.sqrt(r), cNoise };
}

/**
 * The network's regression target `a·x₀ + b·ε` at time t for the noised
 * point `x = α x₀ + σ ε`: `(basis − c_skip·(α, σ))/c_out` with the
 * objective's kind as `basis` (`predictionBasis`). Minimising
 * `‖F − target‖²` is denoising score matching with weight `1/c_out²` in the
 * kind's own units (EDM's λ(σ) for `x0`, Karras et al. 2022, eq. 8).
 *
 * @param objective the objective
 * @param schedule the noise schedule
 * @param t the time
 * @param sigmaData the data scale σ_d
 * @returns `[a, b]`
 *
 * @example The ε objective regresses on ε
 * ```ts
 * import { mlpTargetCoefficients } from "./mlp.ts";
 * import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(mlpTargetCoefficients("eps", vpLinearSchedule(), 0.5, 1), [0, 1]);
 * ```
 */
export function mlpTargetCoefficients(
  objective: MlpObjective,
  schedule: NoiseSchedule,
  t: number,
  sigmaData: number,
): [number, number] {
  const { cSkip, cOut } = mlpPreconditioning(objective, schedule, t, sigmaData);
  const [a, b] = predictionBasis(schedule, { kind: objective, t });
  return [(a - cSkip * schedule.alpha(t)) / cOut, (b - cSkip * schedule.sigma(t)) / cOut];
}

/**
 * The schedule a spec names.
 *
 * @param spec name and options
 * @returns the schedule
 * @throws {SdenoRangeError} for an unknown name
 *
 * @example
 * ```ts
 * import { mlpSchedule } from "./mlp.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mlpSchedule({ name: "edm", options: { sigmaMax: 10 } }).tMax, 10);
 * ```
 */
export function mlpSchedule(spec: MlpScheduleSpec): NoiseSchedule {
  const o = spec?.options ?? {};
  switch (spec?.name) {
    case "edm":
      return edmSchedule(o);
    case "vp-linear":
      return vpLinearSchedule(o);
    case "vp-cosine":
      return vpCosineSchedule(o);
    case "rectified-flow":
      return rectifiedFlowSchedule(o);
    case "ve":
      return veSchedule(o);
  }
  throw new SdenoRangeError(
    `Cannot make the MLP's schedule: name must be one of "edm", "vp-linear", "vp-cosine", "rectified-flow", "ve", got ${
      quote(spec?.name)
    }`,
  );
}

/** Host-side conditioning of a batch: one time or one per point, labels likewise. */
export interface MlpInputConditioning {
  /** One time for the batch, or one per point. */
  t: number | ArrayLike<number>;
  /**
   * One label for the batch or one per point, in `0 … classes` (`classes` =
   * null); absent: the null class. Ignored when the model has no classes.
   */
  labels?: ArrayLike<number> | undefined;
}

/**
 * An MLP bound to one backend: its parameters there, forward and backward
 * passes. Made by {@linkcode Mlp.bind}; release it when done.
 */
export interface MlpBinding {
  /** The backend. */
  readonly backend: Backend;
  /** The parameters on the backend, flat (length {@linkcode Mlp.parameterCount}). */
  readonly params: DeviceArray;
  /**
   * The network output F for the already scaled input `xIn` (n×d) into `out`
   * (n×d). Keeps the activations for {@linkcode MlpBinding.backward}.
   */
  forward(xIn: DeviceArray, cond: MlpInputConditioning, out: DeviceArray): Promise<void>;
  /**
   * Back-propagates the cotangent `dOut` of the last forward pass's F: the
   * gradient of `⟨dOut, F⟩` with respect to the parameters into `grads`
   * (overwritten) and with respect to `xIn` into `dx`.
   */
  backward(
    dOut: DeviceArray,
    targets: { grads?: DeviceArray | undefined; dx?: DeviceArray | undefined },
  ): Promise<void>;
  /** The current parameters, copied to the host. */
  download(): Promise<Float64Array>;
  /** Returns the binding's arrays to the backend. */
  release(): void;
}

const FORMAT = "sdeno-mlp";

/**
 * An MLP score network: its spec and its weights (host, float64).
 *
 * @example A tiny untrained ε-model as a denoiser
 * ```ts
 * import { Mlp } from "./mlp.ts";
 * import { CpuBackend } from "../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const mlp = Mlp.create({ dim: 2, hidden: [8], objective: "eps", key: { seed: 1, stream: 0 } });
 * const model = mlp.denoiser();
 * assert.equal(model.nativeKind, "eps");
 * const b = new CpuBackend();
 * const out = b.zeros(4);
 * await model.predict(b.upload([0.1, 0.2, 0.3, 0.4]), 1, out, { kind: "eps" });
 * assert.ok((await b.download(out)).every(Number.isFinite));
 * ```
 */
export class Mlp {
  /** The spec (architecture, objective, schedule, σ_d). */
  readonly spec: Readonly<MlpSpec>;
  /** The schedule the spec names. */
  readonly schedule: NoiseSchedule;
  /** The weights, flat. */
  readonly params: Float64Array;
  /** The null class label (`classes`), used for unconditional calls. */
  readonly nullLabel: number;
  readonly #layout: _MlpLayout;
  readonly #omega: Float64Array;
  #denoiser: Denoiser | undefined;
  readonly #bindings = new WeakMap<Backend, _Binding>();

  /**
   * Wraps a spec and weights; checks both.
   *
   * @param spec the spec
   * @param params the weights (length {@linkcode Mlp.parameterCount})
   * @throws {SdenoTypeError} for a malformed spec or weights of the wrong length
   * @throws {SdenoRangeError} for values out of range
   */
  constructor(spec: MlpSpec, params: ArrayLike<number>) {
    this.spec = Object.freeze(checkSpec(spec));
    this.schedule = mlpSchedule(this.spec.schedule);
    this.#layout = _mlpLayout(this.spec.dim, this.spec.hidden, condWidth(this.spec));
    if (params?.length !== this.#layout.size) {
      throw new SdenoTypeError(
        `Cannot make the MLP: params must hold ${this.#layout.size} numbers for this spec, got ${
          quote(params?.length)
        }`,
      );
    }
    this.params = Float64Array.from(params);
    for (let i = 0; i < this.params.length; i++) {
      if (!Number.isFinite(this.params[i]!)) {
        throw new SdenoRangeError(
          `Cannot make the MLP: params[${i}] must be finite, got ${quote(this.params[i])}`,
        );
      }
    }
    this.nullLabel = this.spec.classes;
    const [lo, hi] = this.spec.frequencies;
    const F = this.spec.timeFeatures;
    this.#omega = Float64Array.from(
      { length: F },
      (_, j) => F === 1 ? lo : lo * (hi / lo) ** (j / (F - 1)),
    );
  }

  /**
   * A new network with keyed random weights: each weight `N(0, 1/fan_in)`
   * (LeCun et al. 1998), the output layer's scaled by 0.1, biases 0.
   *
   * @param options the architecture, objective, schedule, σ_d and key
   * @returns the network
   * @throws {SdenoTypeError} / {SdenoRangeError} for a bad option
   */
  static create(options: MlpOptions): Mlp {
    const spec: MlpSpec = {
      dim: options?.dim,
      hidden: options.hidden ?? [128, 128, 128],
      timeFeatures: options.timeFeatures ?? 16,
      frequencies: options.frequencies ?? [0.25, 64],
      classes: options.classes ?? 0,
      objective: options.objective ?? "x0",
      schedule: options.schedule ?? { name: "edm" },
      sigmaData: options.sigmaData ?? 1,
    };
    checkSpec(spec);
    const layout = _mlpLayout(spec.dim, spec.hidden, condWidth(spec));
    const p = new Float64Array(layout.size);
    fillNormal(p, options.key ?? { seed: 0, stream: 0 }, { purpose: PHILOX_PURPOSES.mlpInit });
    const scale = (start: number, count: number, s: number) => {
      for (let i = start; i < start + count; i++) p[i] = p[i]! * s;
    };
    const H = spec.hidden;
    const fan0 = spec.dim + layout.cond;
    scale(layout.w0, spec.dim * H[0]!, 1 / Math.sqrt(fan0));
    scale(layout.wc, layout.cond * H[0]!, 1 / Math.sqrt(fan0));
    p.fill(0, layout.b0, layout.b0 + H[0]!);
    for (let l = 1; l < H.length; l++) {
      scale(layout.w[l]!, H[l - 1]! * H[l]!, 1 / Math.sqrt(H[l - 1]!));
      p.fill(0, layout.b[l]!, layout.b[l]! + H[l]!);
    }
    scale(layout.wOut, H[H.length - 1]! * spec.dim, 0.1 / Math.sqrt(H[H.length - 1]!));
    p.fill(0, layout.bOut, layout.bOut + spec.dim);
    return new Mlp(spec, p);
  }

  /**
   * An MLP from a saved card (`{ format: "sdeno-mlp", spec, … }` as written
   * by `scripts/train.ts`, or a bare spec) and its weights.
   *
   * @param card the parsed JSON card
   * @param params the weights
   * @returns the network
   * @throws {SdenoTypeError} when the card is not an MLP card
   */
  static fromCard(card: unknown, params: ArrayLike<number>): Mlp {
    const c = card as { format?: unknown; spec?: MlpSpec } | null;
    if (c === null || typeof c !== "object" || c.format !== FORMAT || typeof c.spec !== "object") {
      throw new SdenoTypeError(
        `Cannot load the MLP: the card must be an object with format ${
          quote(FORMAT)
        } and a spec, got ${quote(c === null || typeof c !== "object" ? c : c.format)}`,
      );
    }
    return new Mlp(c.spec, params);
  }

  /** Number of weights. */
  get parameterCount(): number {
    return this.#layout.size;
  }

  /**
   * The card's model part: `{ format, spec }`, JSON-serialisable.
   *
   * @returns the card fields that {@linkcode Mlp.fromCard} reads
   */
  card(): { format: string; spec: MlpSpec } {
    return { format: FORMAT, spec: structuredClone(this.spec) as MlpSpec };
  }

  /**
   * The same network with other weights.
   *
   * @param params the weights
   * @returns a new MLP
   */
  withParams(params: ArrayLike<number>): Mlp {
    return new Mlp(this.spec as MlpSpec, params);
  }

  /**
   * The conditioning features of points: `[sin ωⱼc, cos ωⱼc]` of
   * `c = c_noise(t)`, then a one-hot class (C + 1 columns) when the model has
   * classes. Writes `rows` points of `Q` features.
   *
   * @param cond times and labels
   * @param rows number of points
   * @returns the features, rows×Q, and Q
   */
  features(cond: MlpInputConditioning, rows: number): { data: Float64Array; width: number } {
    const what = "Cannot condition the MLP";
    const Q = this.#layout.cond, F = this.spec.timeFeatures, C = this.spec.classes;
    const ts = checkPerPoint(what, "t", cond.t, rows);
    const labels = C > 0 ? checkLabels(what, cond.labels, rows, C) : undefined;
    const out = new Float64Array(rows * Q);
    for (let i = 0; i < rows; i++) {
      const t = typeof ts === "number" ? ts : ts[i]!;
      const c = -this.schedule.logSnr(t) / 4;
      const row = i * Q;
      for (let j = 0; j < F; j++) {
        const w = this.#omega[j]! * c;
        out[row + j] = Math.sin(w);
        out[row + F + j] = Math.cos(w);
      }
      if (labels) out[row + 2 * F + (typeof labels === "number" ? labels : labels[i]!)] = 1;
    }
    return { data: out, width: Q };
  }

  /**
   * Binds the network to a backend: uploads the weights and returns the
   * forward and backward passes there.
   *
   * @param backend the backend
   * @returns the binding (release it when done)
   */
  bind(backend: Backend): MlpBinding {
    return new _Binding(this, backend, this.#layout);
  }

  /**
   * The network as a {@linkcode Denoiser} of its objective's kind (eps, x0,
   * v or velocity), with a vector-Jacobian product (the backward pass).
   * `conditioning.labels` picks the class (absent: the null class). Each
   * backend it meets gets one binding, kept while the backend lives.
   *
   * @returns the denoiser
   */
  denoiser(): Denoiser {
    if (this.#denoiser) return this.#denoiser;
    const kind: PredictionKind = this.spec.objective;
    const { dim, objective, sigmaData } = this.spec;
    const schedule = this.schedule;
    const what = "Cannot evaluate the MLP";
    const binding = (b: Backend) => {
      let e = this.#bindings.get(b);
      if (!e) this.#bindings.set(b, e = this.bind(b) as _Binding);
      return e;
    };
    const setup = (x: DeviceArray, t: number, out: DeviceArray, c: Conditioning | undefined) => {
      if (x?.backend === undefined || out?.backend !== x.backend) {
        throw new SdenoTypeError(`${what}: x and out must be arrays of one backend`);
      }
      if (x.length % dim !== 0 || out.length !== x.length || x.length === 0) {
        throw new SdenoTypeError(
          `${what}: x must hold n·${dim} numbers and out as many, got lengths ${
            quote([x.length, out.length])
          }`,
        );
      }
      checkFinite(what, "t", t);
      const n = x.length / dim;
      const labels = this.spec.classes > 0 ? c?.labels : undefined;
      if (labels !== undefined) checkLabels(what, labels, n, this.spec.classes);
      return { n, labels, p: mlpPreconditioning(objective, schedule, t, sigmaData) };
    };
    this.#denoiser = denoiserFromNative({
      dim,
      schedule,
      kind,
      predict: async (x, t, out, c) => {
        const { n, labels, p } = setup(x, t, out, c);
        const e = binding(x.backend);
        await e.engine.exclusive(async () => {
          const xIn = e.scratch(n * dim, 0);
          await x.backend.lincomb(xIn, [[p.cIn, x]]);
          const f = e.scratch(n * dim, 1);
          await e.forwardUnlocked(xIn, { t, labels }, f);
          await x.backend.lincomb(out, p.cSkip === 0 ? [[p.cOut, f]] : [[p.cSkip, x], [p.cOut, f]]);
        });
      },
      // D = c_skip x + c_out F(c_in x): vᵀ∂D/∂x = c_skip v + c_out c_in (vᵀ ∂F/∂x_in)
      vjp: async (x, t, v, out, c) => {
        const { n, labels, p } = setup(x, t, out, c);
        if (v?.backend !== x.backend || v.length !== x.length) {
          throw new SdenoTypeError(
            `${what}: v must be an array like x, got length ${quote(v?.length)}`,
          );
        }
        const e = binding(x.backend);
        await e.engine.exclusive(async () => {
          const xIn = e.scratch(n * dim, 0);
          await x.backend.lincomb(xIn, [[p.cIn, x]]);
          const f = e.scratch(n * dim, 1);
          await e.forwardUnlocked(xIn, { t, labels }, f);
          await e.engine.backward(v, { dx: f });
          await x.backend.lincomb(
            out,
            p.cSkip === 0 ? [[p.cOut * p.cIn, f]] : [[p.cSkip, v], [p.cOut * p.cIn, f]],
          );
        });
      },
    });
    return this.#denoiser;
  }
}

/** The binding class behind {@linkcode MlpBinding}. */
class _Binding implements MlpBinding {
  readonly engine: _MlpEngine;
  readonly #mlp: Mlp;
  readonly #scratch: (DeviceArray | undefined)[] = [];

  constructor(mlp: Mlp, backend: Backend, layout: _MlpLayout) {
    this.#mlp = mlp;
    this.engine = new _MlpEngine(backend, layout, mlp.params);
  }

  get backend(): Backend {
    return this.engine.backend;
  }

  get params(): DeviceArray {
    return this.engine.params;
  }

  scratch(length: number, slot: number): DeviceArray {
    const s = this.#scratch[slot];
    if (s && s.length === length) return s;
    if (s) this.backend.release(s);
    return this.#scratch[slot] = this.backend.zeros(length);
  }

  forward(xIn: DeviceArray, cond: MlpInputConditioning, out: DeviceArray): Promise<void> {
    return this.engine.exclusive(() => this.forwardUnlocked(xIn, cond, out));
  }

  async forwardUnlocked(
    xIn: DeviceArray,
    cond: MlpInputConditioning,
    out: DeviceArray,
  ): Promise<void> {
    const what = "Cannot run the MLP";
    const mlp = this.#mlp, dim = mlp.spec.dim;
    if (xIn?.backend !== this.backend || out?.backend !== this.backend) {
      throw new SdenoTypeError(`${what}: xIn and out must be arrays of the bound backend`);
    }
    if (xIn.length % dim !== 0 || xIn.length === 0 || out.length !== xIn.length) {
      throw new SdenoTypeError(
        `${what}: xIn must hold n·${dim} numbers and out as many, got lengths ${
          quote([xIn.length, out.length])
        }`,
      );
    }
    const n = xIn.length / dim;
    const F = mlp.spec.timeFeatures, C = mlp.spec.classes;
    const perPointT = typeof cond.t !== "number";
    const perPointLabels = C > 0 && cond.labels !== undefined && cond.labels.length !== 1;
    if (!perPointT && !perPointLabels) {
      const { data } = mlp.features(cond, 1);
      await this.engine.forward(xIn, { shared: data }, out);
    } else if (!perPointT) {
      // the time row is shared; the one-hot labels go per point
      const { data, width } = mlp.features({ t: cond.t }, 1);
      const labels = checkLabels(what, cond.labels, n, C) as ArrayLike<number>;
      const rows = new Float64Array(n * (C + 1));
      for (let i = 0; i < n; i++) rows[i * (C + 1) + labels[i]!] = 1;
      data.fill(0, 2 * F, width);
      await this.engine.forward(xIn, {
        shared: data,
        rows: { data: rows, first: 2 * F, width: C + 1 },
      }, out);
    } else {
      const { data, width } = mlp.features(cond, n);
      await this.engine.forward(xIn, {
        shared: new Float64Array(width),
        rows: { data, first: 0, width },
      }, out);
    }
  }

  backward(
    dOut: DeviceArray,
    targets: { grads?: DeviceArray | undefined; dx?: DeviceArray | undefined },
  ): Promise<void> {
    return this.engine.exclusive(() => this.engine.backward(dOut, targets));
  }

  async download(): Promise<Float64Array> {
    return Float64Array.from(await this.backend.download(this.engine.params));
  }

  release(): void {
    for (const s of this.#scratch) if (s) this.backend.release(s);
    this.#scratch.length = 0;
    this.engine.release();
  }
}

function condWidth(spec: MlpSpec): number {
  return 2 * spec.timeFeatures + (spec.classes > 0 ? spec.classes + 1 : 0);
}

function checkSpec(spec: MlpSpec): MlpSpec {
  const what = "Cannot make the MLP";
  if (spec === null || typeof spec !== "object") {
    throw new SdenoTypeError(`${what}: the spec must be an object, got ${quote(spec)}`);
  }
  checkInteger(what, "dim", spec.dim, 1, 1 << 20);
  if (!Array.isArray(spec.hidden) || spec.hidden.length === 0) {
    throw new SdenoTypeError(
      `${what}: hidden must list at least one width, got ${quote(spec.hidden)}`,
    );
  }
  spec.hidden.forEach((h, l) => checkInteger(what, `hidden[${l}]`, h, 1, 1 << 16));
  checkInteger(what, "timeFeatures", spec.timeFeatures, 1, 4096);
  checkInteger(what, "classes", spec.classes, 0, 1 << 16);
  const f = spec.frequencies;
  if (
    !Array.isArray(f) || f.length !== 2 || !(f[0]! > 0) || !(f[1]! >= f[0]!) ||
    !Number.isFinite(f[1])
  ) {
    throw new SdenoRangeError(
      `${what}: frequencies must be [lo, hi] with 0 < lo ≤ hi finite, got ${quote(f)}`,
    );
  }
  if (!MLP_OBJECTIVES.includes(spec.objective)) {
    throw new SdenoRangeError(
      `${what}: objective must be one of ${MLP_OBJECTIVES.join(", ")}, got ${
        quote(spec.objective)
      }`,
    );
  }
  checkFinite(what, "sigmaData", spec.sigmaData);
  if (!(spec.sigmaData > 0)) {
    throw new SdenoRangeError(`${what}: sigmaData must be positive, got ${quote(spec.sigmaData)}`);
  }
  mlpSchedule(spec.schedule);
  return {
    dim: spec.dim,
    hidden: Object.freeze([...spec.hidden]),
    timeFeatures: spec.timeFeatures,
    frequencies: Object.freeze([f[0]!, f[1]!]) as readonly [number, number],
    classes: spec.classes,
    objective: spec.objective,
    schedule: Object.freeze({
      name: spec.schedule.name,
      ...(spec.schedule.options ? { options: Object.freeze({ ...spec.schedule.options }) } : {}),
    }),
    sigmaData: spec.sigmaData,
  };
}

function checkPerPoint(
  what: string,
  name: string,
  v: number | ArrayLike<number>,
  rows: number,
): number | ArrayLike<number> {
  if (typeof v === "number") return checkFinite(what, name, v);
  if (v?.length === 1) return checkFinite(what, `${name}[0]`, v[0]);
  if (v?.length !== rows) {
    throw new SdenoTypeError(
      `${what}: ${name} must be one number or one per point (${rows}), got length ${
        quote(v?.length)
      }`,
    );
  }
  for (let i = 0; i < rows; i++) checkFinite(what, `${name}[${i}]`, v[i]);
  return v;
}

/** Labels as one number (shared) or one per point, each an integer in [0, classes]. */
function checkLabels(
  what: string,
  labels: ArrayLike<number> | undefined,
  rows: number,
  classes: number,
): number | ArrayLike<number> {
  if (labels === undefined) return classes;
  if (typeof labels !== "object" || labels === null || typeof labels.length !== "number") {
    throw new SdenoTypeError(`${what}: labels must be an array of integers, got ${quote(labels)}`);
  }
  if (labels.length !== 1 && labels.length !== rows) {
    throw new SdenoTypeError(
      `${what}: labels must hold one label or one per point (${rows}), got ${labels.length}`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y! < 0 || y! > classes) {
      throw new SdenoRangeError(
        `${what}: labels[${i}] must be an integer in [0, ${classes}] (${classes} = no class), got ${
          quote(y)
        }`,
      );
    }
  }
  return labels.length === 1 ? labels[0]! : labels;
}
