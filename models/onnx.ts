/**
 * ONNX models as sdeno denoisers, on `npm:onnxruntime-node` (native
 * onnxruntime through Node-API), plus the graph builder and the exact
 * Gaussian mixture as an ONNX graph. Its own entry point
 * (`@sdeno/sdeno/models/onnx`): the root `mod.ts` never pulls in onnxruntime.
 *
 * Permissions: `--allow-ffi` (onnxruntime-node is a native addon) and
 * `--allow-read` for the model file (or none for a model passed as bytes).
 * Where FFI is not allowed (a browser, a sandbox) use
 * `@sdeno/sdeno/models/onnx_web` instead: the same `onnxDenoiser` on
 * onnxruntime-web's WebAssembly build.
 *
 * @example Sample an ONNX model with any sdeno sampler
 * ```ts ignore
 * import { onnxDenoiser } from "./onnx.ts";
 * import { edmSchedule } from "../processes/edm_schedule.ts";
 * await using model = await onnxDenoiser("denoiser.onnx", {
 *   schedule: edmSchedule(), kind: "x0", time: "sigma",
 * });
 * ```
 *
 * @module
 */

import {
  _onnxDenoiser,
  type OnnxDenoiser,
  type OnnxDenoiserOptions,
  type OnnxModelSource,
} from "./_onnx_denoiser.ts";
import { _nodeRuntime } from "./_onnx_runtime_node.ts";

export type {
  OnnxDenoiser,
  OnnxDenoiserOptions,
  OnnxModelSource,
  OnnxTimeInput,
} from "./_onnx_denoiser.ts";
export * from "./onnx_graph.ts";
export * from "./gmm_onnx.ts";

/**
 * A {@linkcode Denoiser} evaluated by onnxruntime-node. The model computes
 * only its native prediction (`options.kind`); every other kind is converted
 * by `predictAs`. Per call: x (float64 on the cpu backend, f32 on webgpu) is
 * converted to the model's float type, the time to its time convention
 * (`options.time`) and dtype, conditioning labels to int64 (or what the
 * model declares) and conditioning tensors to its float type; batches
 * larger than `maxBatch` run in chunks; the output, checked to have x's
 * shape, is written back as float64. Close the session with `close()` (or
 * `await using`).
 *
 * @param model a path, a `file:`/`https:` URL, or the model's bytes
 * @param options schedule, prediction kind, time convention, names, shapes, batch size
 * @returns the denoiser, holding an open session
 * @throws {SdenoTypeError} for a missing or misnamed input or output (the message lists the
 *   model's names), a wrong rank or dtype, or bad options
 * @throws {SdenoParseError} when the bytes are not a model onnxruntime can load
 * @throws {SdenoRangeError} when the file does not exist
 *
 * @example The exact Gaussian mixture as an ONNX model
 * ```ts
 * import { gmmOnnx, onnxDenoiser } from "./onnx.ts";
 * import { predictAs } from "./denoiser.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const { bytes, schedule } = gmmOnnx(
 *   { weights: [1], means: [[1]], variances: [[1]] }, { schedule: { name: "edm" } },
 * );
 * await using model = await onnxDenoiser(bytes, { schedule, kind: "x0", output: "x0" });
 * const b = await createBackend("cpu");
 * const out = b.zeros(1);
 * await predictAs(model, b.upload([3]), { t: 1, kind: "x0", out }); // (1·3 + 1·1)/2
 * assert.ok(Math.abs((await b.download(out))[0]! - 2) < 1e-6);
 * ```
 */
export async function onnxDenoiser(
  model: OnnxModelSource,
  options: OnnxDenoiserOptions,
): Promise<OnnxDenoiser> {
  return _onnxDenoiser(await _nodeRuntime(), model, options);
}
