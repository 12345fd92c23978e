/**
 * sdeno: stochastic dynamics and diffusion-model sampling for Deno.
 *
 * This root module needs no permissions and downloads nothing heavy.
 *
 * @module
 */

export * from "./kernels/mod.ts";
