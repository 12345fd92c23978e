/**
 * Inverse problems `y = A(x) + noise` with a diffusion prior: one protocol
 * (`GuidanceMethod`, `GuidanceRequest`, `checkGuidanceRequest`) and one
 * registry (`guidanceMethods`) for DPS, ΠGDM, DDRM, DDNM and DDNM+,
 * DiffPIR, MPGD, RED-diff, RePaint, MCG, DDS (with the 3-D ADMM-TV step),
 * and the asymptotically exact SMC family — MCGdiff, the twisted diffusion
 * sampler and FPS-SMC — with keyed resampling. Every method runs with any
 * `Denoiser` on sdeno's time grids, on cpu and webgpu, and its samples do
 * not depend on batching. The operators and noise models live in
 * `models/operators/`, the exact posteriors in `models/exact_posterior.ts`.
 *
 * @example DDRM on a 1-D Gaussian prior observed directly with σ_y = 0.1
 * ```ts
 * import { ddrm, quadraticGrid } from "./mod.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator, gaussianNoise } from "../../models/operators/mod.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend, makeKey } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0], covariance: [[1]] }, schedule);
 * const problem = { operator: denseOperator([[1]]), y: [1], noise: gaussianNoise(0.1) };
 * const r = await ddrm.run({
 *   model, problem, grid: quadraticGrid(50), samples: 2000, key: makeKey(1), backend: new CpuBackend(),
 * });
 * const mean = r.samples.reduce((a, b) => a + b, 0) / 2000; // exact posterior mean 1/1.01
 * assert.ok(Math.abs(mean - 1 / 1.01) < 0.01);
 * ```
 *
 * @module
 */

export * from "./method.ts";
export * from "./vp.ts";
export * from "./registry.ts";
export * from "./resampling.ts";
export * from "./ddpm_unconditional.ts";
export * from "./dps.ts";
export * from "./pigdm.ts";
export * from "./ddrm.ts";
export * from "./ddnm.ts";
export * from "./diffpir.ts";
export * from "./mpgd.ts";
export * from "./red_diff.ts";
export * from "./repaint.ts";
export * from "./mcg.ts";
export * from "./dds.ts";
export * from "./admm_tv.ts";
export * from "./mcgdiff.ts";
export * from "./tds.ts";
export * from "./fps_smc.ts";
