/**
 * Exports an {@linkcode Mlp} as an ONNX graph (built with `OnnxGraph`), so a
 * network trained in sdeno runs in onnxruntime (node, web) or any other ONNX
 * runtime. The graph holds the whole model, preconditioning included:
 *
 * - inputs `x` float32 [n, d], `t` float32 [1] = the noise level σ/α (the
 *   `"sigma"` time input of `onnxDenoiser`), and `labels` int64 [n] for a
 *   class-conditional network (label C = the null class);
 * - output `out` float32 [n, d], the model's native prediction (its
 *   objective: eps, x0, v or velocity).
 *
 * α is recovered from σ̃ = σ/α by the schedule's family: 1 for EDM and VE,
 * `1/sqrt(1 + σ̃²)` for the variance-preserving schedules, `1/(1 + σ̃)` for
 * rectified flow.
 *
 * @module
 */

import { SdenoRangeError } from "../kernels/errors.ts";
import type { Mlp } from "./mlp.ts";
import { OnnxGraph } from "./onnx_graph.ts";

/** Options of {@linkcode mlpToOnnx}. */
export interface MlpToOnnxOptions {
  /** The graph's name (default "sdeno-mlp"). */
  name?: string;
}

/**
 * The `.onnx` bytes of the network with its preconditioning (see the module doc).
 *
 * @param mlp the network
 * @param options the graph's name
 * @returns the model bytes
 * @throws {SdenoRangeError} for a schedule whose α cannot be recovered from σ/α
 *
 * @example An exported network declares its inputs
 * ```ts
 * import { mlpToOnnx } from "./mlp_onnx.ts";
 * import { Mlp } from "./mlp.ts";
 * import assert from "node:assert/strict";
 * const bytes = mlpToOnnx(Mlp.create({ dim: 2, hidden: [8], classes: 3 }));
 * const text = new TextDecoder().decode(bytes);
 * assert.ok(text.includes("labels") && text.includes("Sigmoid"));
 * ```
 */
export function mlpToOnnx(mlp: Mlp, options: MlpToOnnxOptions = {}): Uint8Array {
  const { dim, hidden, timeFeatures: F, classes: C, objective, sigmaData, schedule } = mlp.spec;
  const family = schedule.name;
  if (!["edm", "ve", "vp-linear", "vp-cosine", "rectified-flow"].includes(family)) {
    throw new SdenoRangeError(`Cannot export the MLP to ONNX: schedule ${family} is not supported`);
  }
  const g = new OnnxGraph({
    name: options.name ?? "sdeno-mlp",
    doc: "sdeno MLP score network with its preconditioning (Karras et al. 2022, Table 1)",
    metadata: {
      "sdeno.kind": objective,
      "sdeno.time": "sigma",
      "sdeno.classes": String(C),
      "sdeno.schedule": JSON.stringify(schedule),
    },
  });
  const p = mlp.params;
  const H = hidden;
  // the layout of models/_mlp_engine.ts: W₀, W_c, b₀, (Wₗ, bₗ)…, W_out, b_out
  let at = 0;
  const take = (name: string, rows: number, cols: number) => {
    const shape = rows === 1 ? [cols] : [rows, cols];
    const v = g.initializer(name, p.subarray(at, at + rows * cols), { shape });
    at += rows * cols;
    return v;
  };
  const x = g.input("x", { type: "float32", shape: ["n", dim] });
  const t = g.input("t", { type: "float32", shape: [1] });
  const labels = C > 0 ? g.input("labels", { type: "int64", shape: ["n"] }) : undefined;
  const w0 = take("w0", dim, H[0]!);
  const wt = take("w_time", 2 * F, H[0]!);
  const emb = C > 0 ? take("w_class", C + 1, H[0]!) : undefined;
  const b0 = take("b0", 1, H[0]!);
  const layers: Array<[string, string]> = [];
  for (let l = 1; l < H.length; l++) {
    layers.push([take(`w${l}`, H[l - 1]!, H[l]!), take(`b${l}`, 1, H[l]!)]);
  }
  const wOut = take("w_out", H[H.length - 1]!, dim);
  const bOut = take("b_out", 1, dim);

  const op = (type: string, inputs: string[]) => g.op(type, inputs);
  const one = g.constant(1);
  const sd = g.constant(sigmaData);
  const sd2 = g.constant(sigmaData * sigmaData);
  // α from σ̃
  let alpha: string;
  if (family === "edm" || family === "ve") alpha = one;
  else if (family === "rectified-flow") alpha = op("Div", [one, op("Add", [one, t])]);
  else alpha = op("Div", [one, op("Sqrt", [op("Add", [one, op("Mul", [t, t])])])]);
  const r = op("Add", [op("Mul", [t, t]), sd2]); // σ̃² + σ_d²
  const sqrtR = op("Sqrt", [r]);
  // c_in = 1/(α sqrt(σ̃² + σ_d²)), c_noise = ln(σ̃)/4
  const cIn = op("Div", [one, op("Mul", [alpha, sqrtR])]);
  const cNoise = op("Div", [op("Log", [t]), g.constant(4)]);
  const omega = Array.from(
    { length: F },
    (_, j) =>
      F === 1 ? mlp.spec.frequencies[0] : mlp.spec.frequencies[0] *
        (mlp.spec.frequencies[1] / mlp.spec.frequencies[0]) ** (j / (F - 1)),
  );
  const arg = op("Mul", [cNoise, g.constant(omega)]); // [F]
  const feat = g.op("Concat", [op("Sin", [arg]), op("Cos", [arg])], { attributes: { axis: 0 } });
  const featRow = op("Reshape", [feat, g.constant([1, 2 * F], "int64")]);
  const shared = op("Add", [op("MatMul", [featRow, wt]), b0]); // [1, H₀]
  let z = op("Add", [op("MatMul", [op("Mul", [x, cIn]), w0]), shared]);
  if (labels && emb) z = op("Add", [z, g.op("Gather", [emb, labels], { attributes: { axis: 0 } })]);
  const silu = (v: string) => op("Mul", [v, op("Sigmoid", [v])]);
  let h = silu(z);
  for (const [w, b] of layers) h = silu(op("Add", [op("MatMul", [h, w]), b]));
  const f = op("Add", [op("MatMul", [h, wOut]), bOut]);
  let out = f;
  if (objective === "x0") {
    // D = c_skip x + c_out F, c_skip = σ_d²/(σ̃² + σ_d²)/α, c_out = σ̃ σ_d/sqrt(σ̃² + σ_d²)
    const cSkip = op("Div", [op("Div", [sd2, r]), alpha]);
    const cOut = op("Div", [op("Mul", [t, sd]), sqrtR]);
    out = op("Add", [op("Mul", [x, cSkip]), op("Mul", [f, cOut])]);
  }
  g.output(out, { name: "out", type: "float32", shape: ["n", dim] });
  return g.toBytes();
}
