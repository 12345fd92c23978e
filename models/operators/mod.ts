/**
 * Measurement operators and noise models for inverse problems with a
 * diffusion prior (the protocol in `operator.ts`): dense matrices, inpainting
 * masks, average pooling, separable Gaussian blur, random Gaussian
 * projections and user-defined nonlinear operators, each applied row by row
 * on any backend with its transpose or vjp and, where the structure allows,
 * an implicit SVD and pseudo-inverse; Gaussian and Poisson noise with
 * log-likelihoods, gradients and keyed sampling.
 *
 * @example Blur an image and undo it with the pseudo-inverse
 * ```ts
 * import { gaussianBlurOperator } from "./mod.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const a = gaussianBlurOperator(4, 4);
 * const x = b.upload(Array.from({ length: 16 }, (_, i) => i % 3));
 * const y = b.zeros(16), back = b.zeros(16);
 * await a.apply(x, y);
 * await a.pseudoInverse(y, back);
 * const h = await b.download(back);
 * assert.ok(h.every((v, i) => Math.abs(v - (i % 3)) < 1e-9));
 * ```
 *
 * @module
 */

export * from "./operator.ts";
export * from "./dense.ts";
export type { DenseSvd } from "./_svd.ts";
export * from "./noise.ts";
export * from "./mask.ts";
export * from "./avgpool.ts";
export * from "./blur.ts";
export * from "./projection.ts";
export * from "./nonlinear.ts";
