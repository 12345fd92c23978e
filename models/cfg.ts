/**
 * Classifier-free guidance (Ho & Salimans 2022) as a {@linkcode Denoiser}
 * wrapping a class-conditional denoiser, with CFG-rescale (Lin et al. 2023)
 * and a guidance interval (Kynkäänniemi et al. 2024). Samplers see an
 * ordinary denoiser, so guidance works with every sampler.
 *
 * @module
 */

import type { DeviceArray } from "../kernels/backend.ts";
import { CpuArray } from "../kernels/cpu_backend.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import {
  type Conditioning,
  type Denoiser,
  denoiserFromNative,
  PREDICTION_KINDS,
  predictionCoefficients,
  type PredictionKind,
} from "./denoiser.ts";

/** Options of {@linkcode cfg}. */
export interface CfgOptions {
  /**
   * Guidance scale w in `ε̃ = ε_u + w(ε_c − ε_u)`: 1 is the conditional model,
   * 0 the unconditional one, w > 1 guides (Ho & Salimans' own w is this w − 1).
   */
  scale: number;
  /** The label the model reads as "no class" (the unconditional branch). */
  nullLabel: number;
  /** Labels must be integers in [0, classes) (default: any non-negative integer but `nullLabel`). */
  classes?: number;
  /**
   * CFG-rescale φ in [0, 1] (default 0, off): Lin et al. 2023, eq. 15–16,
   * `x_rescaled = x_cfg · std(x_pos)/std(x_cfg)`, `x = φ x_rescaled + (1 − φ) x_cfg`,
   * standard deviations over the d numbers of each point.
   */
  rescale?: number;
  /**
   * The kind whose per-point spread the rescale matches (default "x0", the
   * paper's x̂₀; diffusers' `rescale_noise_cfg` uses its ε or v output).
   */
  rescaleKind?: PredictionKind;
  /**
   * Guide only while the noise level σ/α lies in `[lo, hi]` (Kynkäänniemi et
   * al. 2024, "Applying guidance in a limited interval"); elsewhere the
   * conditional model alone runs (one branch, n rows). Default: always.
   */
  interval?: readonly [number, number];
}

/**
 * Wraps a conditional denoiser with classifier-free guidance. Each call
 * evaluates the conditional and unconditional branches in ONE batched model
 * call of 2n rows (`x` twice; labels then n copies of `nullLabel`; each
 * conditioning tensor's rows twice) and combines them in the model's native
 * kind — the guided prediction is the same in every kind, since kinds are
 * affine in the prediction (`predictionCoefficients`). w = 1 and w = 0 run
 * one branch (n rows), so they equal the conditional and unconditional
 * models exactly. The wrapped denoiser needs `conditioning.labels` (one per
 * point, or one for the batch) on every call.
 *
 * @param model the conditional denoiser (it reads `conditioning.labels`)
 * @param options scale, null label, classes, rescale φ and kind, guidance interval
 * @returns the guided denoiser (native kind as `model`'s; no vjp)
 * @throws {SdenoTypeError} when model is not a denoiser
 * @throws {SdenoRangeError} for a non-finite scale, φ outside [0, 1], a bad interval or null label
 *
 * @example w = 3 on two one-point "classes": ε̃ = ε_u + 3(ε_c − ε_u)
 * ```ts
 * import { cfg } from "./cfg.ts";
 * import { denoiserFromNative, predictAs } from "./denoiser.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * // x₀ = the label's value (label 2 = "no class" → 0.5)
 * const model = denoiserFromNative({
 *   dim: 1, schedule: edmSchedule(), kind: "x0",
 *   async predict(x, _t, out, c) {
 *     const l = Array.from(c!.labels!);
 *     await x.backend.write(out, Array.from({ length: x.length }, (_, i) => [0, 1, 0.5][l[i]!]!));
 *   },
 * });
 * const guided = cfg(model, { scale: 3, nullLabel: 2, classes: 2 });
 * const b = await createBackend("cpu");
 * const out = b.zeros(2);
 * await predictAs(guided, b.upload([0, 0]), { t: 1, kind: "x0", out, conditioning: { labels: [0, 1] } });
 * assert.deepEqual([...await b.download(out)], [0.5 + 3 * (0 - 0.5), 0.5 + 3 * (1 - 0.5)]);
 * ```
 */
export function cfg(model: Denoiser, options: CfgOptions): Denoiser {
  const what = "Cannot make the classifier-free guidance wrapper";
  if (model === null || typeof model !== "object" || typeof model.predict !== "function") {
    throw new SdenoTypeError(`${what}: model must be a denoiser, got ${quote(model)}`);
  }
  const { scale, nullLabel } = options ?? ({} as CfgOptions);
  if (!Number.isFinite(scale)) {
    throw new SdenoRangeError(`${what}: scale must be finite, got ${quote(scale)}`);
  }
  const classes = options.classes ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new SdenoRangeError(`${what}: classes must be a positive integer, got ${quote(classes)}`);
  }
  if (!Number.isInteger(nullLabel) || nullLabel < 0 || (options.classes && nullLabel < classes)) {
    throw new SdenoRangeError(
      `${what}: nullLabel must be a non-negative integer outside the classes [0, ${classes}), ` +
        `got ${quote(nullLabel)}`,
    );
  }
  const phi = options.rescale ?? 0;
  if (!(phi >= 0 && phi <= 1)) {
    throw new SdenoRangeError(`${what}: rescale must be in [0, 1], got ${quote(phi)}`);
  }
  const rescaleKind = options.rescaleKind ?? "x0";
  if (!PREDICTION_KINDS.includes(rescaleKind)) {
    throw new SdenoRangeError(
      `${what}: rescaleKind must be one of ${PREDICTION_KINDS.join(", ")}, got ${
        quote(rescaleKind)
      }`,
    );
  }
  const interval = options.interval;
  if (
    interval !== undefined &&
    (!Array.isArray(interval) || interval.length !== 2 || !(interval[0] >= 0) ||
      !(interval[1] >= interval[0]))
  ) {
    throw new SdenoRangeError(
      `${what}: interval must be [lo, hi] with 0 <= lo <= hi, got ${quote(interval)}`,
    );
  }
  const kind = model.nativeKind, d = model.dim, schedule = model.schedule;

  async function predict(
    x: DeviceArray,
    t: number,
    out: DeviceArray,
    conditioning: Conditioning | undefined,
  ): Promise<void> {
    const call = "Cannot evaluate the guided model";
    const n = x.length / d;
    const labels = checkLabels(call, conditioning, n, classes, nullLabel);
    const level = schedule.sigma(t) / schedule.alpha(t);
    const inside = interval === undefined || (level >= interval[0] && level <= interval[1]);
    const w = inside ? scale : 1;
    if (w === 1 || w === 0) {
      // one branch: exactly the conditional (w = 1) or unconditional (w = 0) model
      const branch = w === 1 ? labels : new Int32Array(n).fill(nullLabel);
      await model.predict(x, t, out, { kind, conditioning: { ...conditioning, labels: branch } });
      return;
    }
    const backend = x.backend;
    const xs = x instanceof CpuArray ? x.data : await backend.download(x);
    const both = new Float64Array(2 * x.length);
    both.set(xs);
    both.set(xs, x.length);
    const x2 = backend.upload(both);
    const out2 = backend.zeros(2 * x.length);
    try {
      const labels2 = new Int32Array(2 * n).fill(nullLabel);
      labels2.set(labels);
      await model.predict(x2, t, out2, {
        kind,
        conditioning: { ...conditioning, labels: labels2, ...twice(conditioning, n) },
      });
      const p = out2 instanceof CpuArray ? out2.data : await backend.download(out2);
      const result = new Float64Array(x.length);
      // Ho & Salimans 2022, eq. 6 (with their w + 1 as our w): ε̃ = ε_u + w(ε_c − ε_u)
      for (let i = 0; i < x.length; i++) {
        const c = p[i]!, u = p[x.length + i]!;
        result[i] = u + w * (c - u);
      }
      if (phi > 0) rescaleRows(result, p, xs, { d, phi, kind, rescaleKind, schedule, t });
      if (out instanceof CpuArray) out.data.set(result);
      else await backend.write(out, result);
    } finally {
      backend.release(x2);
      backend.release(out2);
    }
  }

  return denoiserFromNative({ dim: d, schedule, kind, predict });
}

function checkLabels(
  what: string,
  c: Conditioning | undefined,
  n: number,
  classes: number,
  nullLabel: number,
): Int32Array {
  const given = c?.labels;
  if (given === undefined) {
    throw new SdenoTypeError(
      `${what}: guidance needs conditioning.labels (one per point, or one for the batch)`,
    );
  }
  if (given.length !== n && given.length !== 1) {
    throw new SdenoTypeError(
      `${what}: conditioning.labels has ${given.length} entries; expected 1 or ${n}`,
    );
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = given.length === 1 ? given[0]! : given[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes || l === nullLabel) {
      throw new SdenoRangeError(
        `${what}: conditioning.labels[${given.length === 1 ? 0 : i}] must be a class in [0, ${
          classes === Number.MAX_SAFE_INTEGER ? "∞" : classes
        }) other than the null label ${nullLabel}, got ${quote(l)}`,
      );
    }
    labels[i] = l;
  }
  return labels;
}

/** Each per-point conditioning tensor with its rows twice (shared ones stay as they are). */
function twice(c: Conditioning | undefined, n: number): Pick<Conditioning, "tensors"> {
  if (!c?.tensors) return {};
  const tensors: Record<string, { data: Float64Array | Float32Array; shape: number[] }> = {};
  for (const [name, t] of Object.entries(c.tensors)) {
    if (t.shape[0] !== n || n === 1) {
      tensors[name] = { data: t.data, shape: [...t.shape] };
      continue;
    }
    const data = new (t.data.constructor as Float64ArrayConstructor)(2 * t.data.length);
    data.set(t.data);
    data.set(t.data, t.data.length);
    tensors[name] = { data, shape: [2 * n, ...t.shape.slice(1)] };
  }
  return { tensors };
}

/**
 * CFG-rescale (Lin et al. 2023, eq. 15–16), per point, in the kind `rescaleKind`:
 * g ← g·(φ·std(c)/std(g) + 1 − φ), with c the conditional branch.
 */
function rescaleRows(
  g: Float64Array,
  p: ArrayLike<number>,
  x: ArrayLike<number>,
  o: {
    d: number;
    phi: number;
    kind: PredictionKind;
    rescaleKind: PredictionKind;
    schedule: Denoiser["schedule"];
    t: number;
  },
): void {
  const { d, phi } = o;
  // to = cx·x + cp·from, and back
  const [cx, cp] = predictionCoefficients(o.schedule, { from: o.kind, to: o.rescaleKind, t: o.t });
  const a = new Float64Array(d), c = new Float64Array(d);
  for (let row = 0; row < g.length; row += d) {
    for (let j = 0; j < d; j++) {
      a[j] = cx * x[row + j]! + cp * g[row + j]!;
      c[j] = cx * x[row + j]! + cp * p[row + j]!;
    }
    const sa = std(a), sc = std(c);
    const factor = sa > 0 ? phi * (sc / sa) + (1 - phi) : 1;
    for (let j = 0; j < d; j++) g[row + j] = (a[j]! * factor - cx * x[row + j]!) / cp;
  }
}

function std(v: Float64Array): number {
  let m = 0;
  for (const e of v) m += e;
  m /= v.length;
  let s = 0;
  for (const e of v) s += (e - m) * (e - m);
  return Math.sqrt(s / v.length);
}
