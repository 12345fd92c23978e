/**
 * Training score networks: Adam on a Backend, and denoising score matching
 * of an `Mlp` with the eps, x0 (EDM), v and flow-velocity
 * objectives, with label dropout for classifier-free guidance.
 *
 * @module
 */

export * from "./adam.ts";
export * from "./denoising_batch.ts";
export * from "./train_mlp.ts";
