// The one adapter file for npm:onnxruntime-node (native, through Node-API: needs --allow-ffi).
// The package is imported dynamically so that importing models/onnx.ts needs no permission
// until a session is made.
import type { _OrtModule } from "./_onnx_denoiser.ts";

let loaded: Promise<_OrtModule> | undefined;

/** onnxruntime-node 1.31.1, loaded once; a missing --allow-ffi becomes a clear error. */
export function _nodeRuntime(): Promise<_OrtModule> {
  loaded ??= import("npm:onnxruntime-node@1.31.1").then(
    (ort) => ort as unknown as _OrtModule,
    (cause) => {
      loaded = undefined;
      const denied = cause instanceof Deno.errors.NotCapable ||
        /ffi|NotCapable|PermissionDenied/i.test(String(cause));
      const message = denied
        ? "Cannot load onnxruntime-node: it runs native code and needs --allow-ffi (and " +
          "--allow-read for the model file); without FFI use models/onnx_web.ts"
        : `Cannot load onnxruntime-node: ${String((cause as Error)?.message ?? cause)}`;
      throw denied ? new Deno.errors.NotCapable(message, { cause }) : new Error(message, { cause });
    },
  );
  return loaded;
}
