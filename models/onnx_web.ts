/**
 * ONNX models as sdeno denoisers on `npm:onnxruntime-web` (WebAssembly, one
 * thread): the same `onnxDenoiser` as `@sdeno/sdeno/models/onnx`, for places
 * where FFI is not allowed. Its own entry point
 * (`@sdeno/sdeno/models/onnx_web`).
 *
 * Permissions in Deno: no `--allow-ffi`. onnxruntime-web reads its
 * WebAssembly binary (`ort-wasm-simd-threaded.wasm`, ~12 MB) from the
 * package in Deno's npm cache, so grant `--allow-read` on that file (or
 * pass its bytes as `options.wasmBinary`) and on the model file (or pass the
 * model as bytes). In a browser the binary is fetched beside the module.
 *
 * @module
 */

import {
  _onnxDenoiser,
  type OnnxDenoiser,
  type OnnxDenoiserOptions,
  type OnnxModelSource,
} from "./_onnx_denoiser.ts";
import { _webRuntime } from "./_onnx_runtime_web.ts";

export type {
  OnnxDenoiser,
  OnnxDenoiserOptions,
  OnnxModelSource,
  OnnxTimeInput,
} from "./_onnx_denoiser.ts";
export * from "./onnx_graph.ts";
export * from "./gmm_onnx.ts";

/** Options of {@linkcode onnxDenoiser} on onnxruntime-web. */
export interface OnnxWebDenoiserOptions extends OnnxDenoiserOptions {
  /** onnxruntime-web's WebAssembly binary, when the caller loads it (else the package's file). */
  wasmBinary?: Uint8Array | ArrayBuffer;
}

/**
 * A {@linkcode Denoiser} evaluated by onnxruntime-web (WebAssembly): the same
 * conventions, conversions, batching and errors as models/onnx.ts's
 * `onnxDenoiser`, without native code.
 *
 * @param model a path, a `file:`/`https:` URL, or the model's bytes
 * @param options as for models/onnx.ts, plus `wasmBinary`
 * @returns the denoiser, holding an open session
 * @throws {SdenoTypeError} for a missing or misnamed input or output, a wrong rank or dtype
 * @throws {SdenoParseError} when the bytes are not a model onnxruntime can load
 *
 * @example
 * ```ts
 * import { gmmOnnx, onnxDenoiser } from "./onnx_web.ts";
 * import { predictAs } from "./denoiser.ts";
 * import { createBackend } from "../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const { bytes, schedule } = gmmOnnx(
 *   { weights: [1], means: [[1]], variances: [[1]] }, { schedule: { name: "edm" } },
 * );
 * await using model = await onnxDenoiser(bytes, { schedule, kind: "eps", output: "eps" });
 * const b = await createBackend("cpu");
 * const out = b.zeros(1);
 * await predictAs(model, b.upload([3]), { t: 1, kind: "eps", out }); // σ(x − μ)/(v + σ²) = 1
 * assert.ok(Math.abs((await b.download(out))[0]! - 1) < 1e-6);
 * ```
 */
export async function onnxDenoiser(
  model: OnnxModelSource,
  options: OnnxWebDenoiserOptions,
): Promise<OnnxDenoiser> {
  return _onnxDenoiser(await _webRuntime(options.wasmBinary), model, options);
}
