/**
 * The exact denoiser of a Gaussian mixture (models/gaussian_mixture.ts) as an
 * ONNX graph, so that the whole ONNX path — graph writing, onnxruntime,
 * dtype conversion, time conventions, batching — is checked end to end
 * against the closed form.
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { rectifiedFlowSchedule } from "../processes/rectified_flow_schedule.ts";
import { veSchedule } from "../processes/ve_schedule.ts";
import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
import { gaussianMixture, type GaussianMixtureSpec } from "./gaussian_mixture.ts";
import { type OnnxDataType, OnnxGraph } from "./onnx_graph.ts";

/**
 * A schedule the graph computes α(t), σ(t) of, from its time input:
 * EDM (α = 1, σ = t), VE (α = 1, σ = σ_min (σ_max/σ_min)^t), VP-linear
 * (log α = −(β₁ − β₀)t²/4 − β₀t/2, σ = √(1 − α²)) and rectified flow
 * (α = 1 − t, σ = t) — the formulas of processes/, with the same options.
 */
export type GmmOnnxSchedule =
  | { readonly name: "edm"; readonly sigmaMin?: number; readonly sigmaMax?: number }
  | { readonly name: "ve"; readonly sigmaMin?: number; readonly sigmaMax?: number }
  | { readonly name: "vp-linear"; readonly beta0?: number; readonly beta1?: number }
  | { readonly name: "rectified-flow" };

/** Options of {@linkcode gmmOnnx}. */
export interface GmmOnnxOptions {
  /** The schedule, computed inside the graph from t. */
  schedule: GmmOnnxSchedule;
  /**
   * Arithmetic of the mixture part (default float32, like a network; the
   * schedule's α and σ are always computed in float64, then cast). Inputs and
   * outputs are float32 either way.
   */
  precision?: "float32" | "float64";
}

/** The graph and the matching TypeScript schedule. */
export interface GmmOnnx {
  /** The `.onnx` bytes: inputs `x` [n, d] and `t` [n] (float32), outputs `x0` and `eps` [n, d]. */
  readonly bytes: Uint8Array;
  /** The same schedule as a {@linkcode NoiseSchedule}, to pass to the denoiser and samplers. */
  readonly schedule: NoiseSchedule;
  /** Dimension d. */
  readonly dim: number;
}

/**
 * The closed-form mixture denoiser (../shared/refs/diffusion §3.2) as an ONNX
 * graph. With `a = α(t)`, `s = σ(t)` per row,
 *
 * ```
 * q_kd = a² v_kd + s²,   res_kd = (x_d − a μ_kd)/q_kd
 * r_k  = softmax_k( log w_k − ½ Σ_d [ (x_d − a μ_kd) res_kd + log q_kd ] )
 * x̂₀_d = Σ_k r_k (μ_kd + a v_kd res_kd),   ε̂_d = Σ_k r_k s res_kd
 * ```
 *
 * Built from Cast, Unsqueeze, Mul, Add, Sub, Div, Exp, Log, Sqrt,
 * ReduceSum and Softmax (opset 17).
 *
 * @param spec weights, means and per-dimension variances of the mixture
 * @param options the schedule computed in the graph, and the arithmetic's precision
 * @returns the model bytes, the TypeScript schedule and d
 * @throws {SdenoTypeError} for a bad mixture or an unknown schedule name
 *
 * @example
 * ```ts
 * import { gmmOnnx } from "./gmm_onnx.ts";
 * import assert from "node:assert/strict";
 * const g = gmmOnnx({ weights: [0.5, 0.5], means: [[-1, 0], [1, 0]], variances: [[1, 1], [1, 1]] }, {
 *   schedule: { name: "vp-linear" },
 * });
 * assert.equal(g.dim, 2);
 * assert.equal(g.schedule.name, "vp-linear");
 * assert.ok(g.bytes.length > 100);
 * ```
 */
export function gmmOnnx(spec: GaussianMixtureSpec, options: GmmOnnxOptions): GmmOnnx {
  const what = "Cannot build the Gaussian mixture's ONNX graph";
  const sched = options?.schedule;
  const schedule = scheduleOf(what, sched);
  const precision = options.precision ?? "float32";
  if (precision !== "float32" && precision !== "float64") {
    throw new SdenoRangeError(
      `${what}: precision must be "float32" or "float64", got ${quote(precision)}`,
    );
  }
  const gm = gaussianMixture(spec, schedule);
  const k = gm.components, d = gm.dim;
  const C: OnnxDataType = precision;
  const TO = precision === "float32" ? 1 : 11; // ONNX TensorProto.DataType FLOAT / DOUBLE
  const g = new OnnxGraph({
    name: "gmm_denoiser",
    doc: `Exact denoiser of a ${k}-component Gaussian mixture in ${d} dimensions, ` +
      `schedule ${sched.name}; outputs x0 and eps (sdeno models/gmm_onnx.ts)`,
    metadata: { schedule: JSON.stringify(sched), precision },
  });
  const x = g.input("x", { type: "float32", shape: ["n", d] });
  const t = g.input("t", { type: "float32", shape: ["n"] });
  const i64 = (v: number[]) => g.constant(v, "int64");
  const f64 = (v: number) => g.constant(v, "float64");
  // the schedule in float64, per row: [n, 1]
  const tt = g.op("Unsqueeze", [g.op("Cast", [t], { attributes: { to: 11 } }), i64([1])]);
  let a: string, s: string;
  switch (sched.name) {
    case "edm":
      a = g.op("Add", [g.op("Mul", [tt, f64(0)]), f64(1)]);
      s = tt;
      break;
    case "ve": {
      const l0 = Math.log(sched.sigmaMin ?? 0.01);
      const span = Math.log((sched.sigmaMax ?? 50) / (sched.sigmaMin ?? 0.01));
      a = g.op("Add", [g.op("Mul", [tt, f64(0)]), f64(1)]);
      s = g.op("Exp", [g.op("Add", [g.op("Mul", [tt, f64(span)]), f64(l0)])]);
      break;
    }
    case "vp-linear": {
      const b0 = sched.beta0 ?? 0.1, db = (sched.beta1 ?? 20) - b0;
      // log α = −(β₁ − β₀) t²/4 − β₀ t/2 (Song et al. 2021, eq. 11 integrated)
      const la = g.op("Mul", [
        g.op("Add", [g.op("Mul", [tt, f64(db / 4)]), f64(b0 / 2)]),
        g.op("Mul", [tt, f64(-1)]),
      ]);
      a = g.op("Exp", [la]);
      s = g.op("Sqrt", [g.op("Sub", [f64(1), g.op("Exp", [g.op("Mul", [la, f64(2)])])])]);
      break;
    }
    case "rectified-flow":
      a = g.op("Sub", [f64(1), tt]);
      s = tt;
      break;
  }
  // [n, 1, 1] in the compute type
  const cast = (v: string) => g.op("Cast", [v], { attributes: { to: TO } });
  const aE = g.op("Unsqueeze", [cast(a), i64([2])]);
  const sE = g.op("Unsqueeze", [cast(s), i64([2])]);
  const mu = g.initializer("means", gm.means, { type: C, shape: [k, d] });
  const v = g.initializer("variances", gm.variances, { type: C, shape: [k, d] });
  const logW = g.initializer("log_weights", Array.from(gm.weights, Math.log), {
    type: C,
    shape: [k],
  });
  const xE = g.op("Unsqueeze", [precision === "float32" ? x : cast(x), i64([1])]); // [n, 1, d]
  const r = g.op("Sub", [xE, g.op("Mul", [aE, mu])]); // x − a μ: [n, K, d]
  const q = g.op("Add", [g.op("Mul", [g.op("Mul", [aE, aE]), v]), g.op("Mul", [sE, sE])]);
  const res = g.op("Div", [r, q]);
  const axis2 = i64([2]);
  const quad = g.op("ReduceSum", [g.op("Mul", [r, res]), axis2], { attributes: { keepdims: 0 } });
  const logQ = g.op("ReduceSum", [g.op("Log", [q]), axis2], { attributes: { keepdims: 0 } });
  const logits = g.op("Sub", [
    logW,
    g.op("Mul", [g.op("Add", [quad, logQ]), g.constant(0.5, C)]),
  ]);
  const resp = g.op("Unsqueeze", [g.op("Softmax", [logits], { attributes: { axis: 1 } }), axis2]);
  const axis1 = i64([1]);
  const mean = (perComponent: string) =>
    g.op("ReduceSum", [g.op("Mul", [resp, perComponent]), axis1], { attributes: { keepdims: 0 } });
  const x0 = mean(g.op("Add", [mu, g.op("Mul", [g.op("Mul", [aE, v]), res])]));
  const eps = mean(g.op("Mul", [sE, res]));
  const out = (value: string) =>
    precision === "float32" ? value : g.op("Cast", [value], { attributes: { to: 1 } });
  g.output(out(x0), { name: "x0", type: "float32", shape: ["n", d] });
  g.output(out(eps), { name: "eps", type: "float32", shape: ["n", d] });
  return Object.freeze({ bytes: g.toBytes(), schedule, dim: d });
}

function scheduleOf(what: string, s: GmmOnnxSchedule | undefined): NoiseSchedule {
  switch (s?.name) {
    case "edm":
      return edmSchedule(s);
    case "ve":
      return veSchedule(s);
    case "vp-linear":
      return vpLinearSchedule(s);
    case "rectified-flow":
      return rectifiedFlowSchedule();
    default:
      throw new SdenoTypeError(
        `${what}: options.schedule.name must be "edm", "ve", "vp-linear" or "rectified-flow", ` +
          `got ${quote((s as { name?: unknown } | undefined)?.name)}`,
      );
  }
}
