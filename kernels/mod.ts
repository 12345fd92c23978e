/**
 * The compute substrate: the Philox generator, the {@linkcode Backend}
 * interface with its cpu and webgpu implementations, the WGSL kernels and
 * their CPU twins, and the error family.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./philox.ts";
export * from "./purposes.ts";
export * from "./hash.ts";
export * from "./factorial.ts";
export * from "./backend.ts";
export * from "./cpu_backend.ts";
export * from "./webgpu_backend.ts";
export * from "./create_backend.ts";
export * from "./gpu_context.ts";
export * from "./lincomb.ts";
export * from "./map.ts";
export * from "./random.ts";
export * from "./column_stats.ts";
export * from "./matmul.ts";
export * from "./wgsl.ts";
export * from "./sde_ensemble.ts";
export * from "./gmm_denoise.ts";
export * from "./ssa_ensemble.ts";
export * from "./philox_wasm.ts";
export * from "./incomplete_gamma.ts";
