/**
 * sdeno: stochastic dynamics and diffusion-model sampling for Deno.
 *
 * Re-exports the compute substrate (Philox, backends, kernels), the
 * processes (noise schedules, SDEs, rate matrices, reaction networks), the
 * models (exact denoisers) and the solvers (diffusion samplers, SDE solvers,
 * CTMC algorithms). `stats/` and `io/` have their own entry points
 * (`./stats`, `./io`). This root module needs no permissions and downloads
 * nothing heavy.
 *
 * @module
 */

export * from "./kernels/mod.ts";
export * from "./processes/mod.ts";
export * from "./models/mod.ts";
export * from "./solvers/diffusion/mod.ts";
export * from "./solvers/sde/mod.ts";
export * from "./solvers/ctmc/mod.ts";
export * from "./solvers/method_registry.ts";
export * from "./solvers/run_context.ts";
