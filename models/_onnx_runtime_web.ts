// The one adapter file for npm:onnxruntime-web (WebAssembly; no FFI). In Deno it reads its
// .wasm from Deno's npm cache (--allow-read on that file) unless the caller hands the bytes in.
import type { _OrtModule } from "./_onnx_denoiser.ts";

/** The version pinned here, which also names the .wasm's place in Deno's npm cache. */
export const _WEB_VERSION = "1.31.1";

let loaded: Promise<_OrtModule> | undefined;

/**
 * onnxruntime-web, loaded once, on one thread (Deno pages are not cross-origin isolated); the
 * WebAssembly binary is `wasmBinary` when given, else the package's own file.
 */
export function _webRuntime(wasmBinary?: Uint8Array | ArrayBuffer): Promise<_OrtModule> {
  loaded ??= import("npm:onnxruntime-web@1.31.1").then((ort) => {
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = "error";
    return ort as unknown as _OrtModule;
  });
  return loaded.then((ort) => {
    const env = (ort as unknown as { env: { wasm: { wasmBinary?: unknown } } }).env;
    if (wasmBinary !== undefined) env.wasm.wasmBinary = wasmBinary;
    return ort;
  });
}
