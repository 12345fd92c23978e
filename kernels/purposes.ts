/**
 * The one registry of Philox purpose words. A Philox counter is
 * `(element or path, step, purpose, block)` (see `philox.ts`): the purpose
 * word keeps the draws of different consumers apart, so two of them keyed
 * by the same seed never reuse a random word. Every purpose sdeno uses is
 * listed here, and a test checks that no two are equal; a new consumer of
 * randomness adds its line here rather than picking a number in its own file.
 *
 * Purpose 0 stays free for users (`fillNormal`'s default).
 *
 * @module
 */

/** The purpose words by consumer (see {@linkcode PHILOX_PURPOSES}). */
export interface PhiloxPurposes {
  /** Noise of the stochastic diffusion samplers: counter `(element, draw, ·)` ("df"). */
  readonly diffusionNoise: number;
  /** Fixed-grid Brownian increments ξ of SDE solvers and the GPU ensemble. */
  readonly sdeGridXi: number;
  /** The virtual Brownian tree's node normals. */
  readonly sdeTree: number;
  /** The extra normals η of the time integral ΔZ on a fixed grid. */
  readonly sdeGridEta: number;
  /** CTMC path sampling ("CTMC"). */
  readonly ctmcPath: number;
  /** SSA direct method, single path and ensemble ("SSAD"). */
  readonly ssaDirect: number;
  /** SSA first-reaction method ("SSAF"). */
  readonly firstReaction: number;
  /** SSA next-reaction method ("SSAN"). */
  readonly nextReaction: number;
  /** Tau-leaping ("TAUL"). */
  readonly tauLeaping: number;
  /** Initial weights of an MLP score network ("MLPI"). */
  readonly mlpInit: number;
  /** Points of the built-in 2-D datasets ("DATA"). */
  readonly datasetPoints: number;
  /** Training: which data rows a step's batch takes ("TRNB"). */
  readonly trainBatch: number;
  /** Training: the noise ε added to a step's batch ("TRNE"). */
  readonly trainNoise: number;
  /** Training: the noise levels t of a step's batch ("TRNT"). */
  readonly trainTime: number;
  /** Training: which labels a step drops to the null class ("TRNL"). */
  readonly trainLabelDrop: number;
  /** Guidance (inverse problems): the starting draws x_T of each sample ("GINI"). */
  readonly guidanceInit: number;
  /** Guidance: the fresh noise z of each reverse step ("GSTP"). */
  readonly guidanceStep: number;
  /** Guidance: auxiliary noise (noised measurements, RED-diff's ε, re-noising jumps) ("GAUX"). */
  readonly guidanceAux: number;
  /** Guidance: SMC resampling uniforms ("GRES"). */
  readonly guidanceResample: number;
  /** Exact posterior sampling of linear-Gaussian problems ("POST"). */
  readonly posteriorSample: number;
  /** Discrete diffusion: the starting sequences ("DDIN"). */
  readonly discreteInit: number;
  /** Discrete diffusion: the draws of each reverse step ("DDST"). */
  readonly discreteStep: number;
  /** MJP inference: synthetic observation times and observation noise ("MJPO"). */
  readonly mjpObservation: number;
  /** MJP inference, Rao–Teh Gibbs: virtual jump times of uniformization ("GIBU"). */
  readonly gibbsUniformization: number;
  /** MJP inference, Rao–Teh Gibbs: forward-filter backward-sample draws ("GIBF"). */
  readonly gibbsFfbs: number;
  /** MJP inference, Rao–Teh Gibbs: the conjugate Gamma draws of the rates ("GIBR"). */
  readonly gibbsRates: number;
  /** Continuous-time Markov state models: Bayesian posterior draws ("MSMB"). */
  readonly msmBayes: number;
  /** Sharded runs: anything a shard draws to split or subsample work ("SHRD"). */
  readonly shard: number;
  /** Measurement operators and measurements: random masks, projections, noisy y ("MEAS"). */
  readonly measurement: number;
  /** Denoising MCMC: the chains' Langevin normals and level uniforms ("DMCC"). */
  readonly denoisingMcmc: number;
}

/**
 * Purpose words by consumer. Values are arbitrary but fixed forever: changing
 * one changes every result keyed through it.
 *
 * @example Every purpose is distinct and nonzero
 * ```ts
 * import { PHILOX_PURPOSES } from "./purposes.ts";
 * import assert from "node:assert/strict";
 * const values = Object.values(PHILOX_PURPOSES);
 * assert.equal(new Set(values).size, values.length);
 * assert.ok(values.every((v) => v > 0 && v <= 0xffffffff));
 * ```
 */
export const PHILOX_PURPOSES: PhiloxPurposes = Object.freeze({
  diffusionNoise: 0x6466,
  sdeGridXi: 0x5de0,
  sdeTree: 0x5de1,
  sdeGridEta: 0x5de2,
  ctmcPath: 0x43544d43,
  ssaDirect: 0x53534144,
  firstReaction: 0x53534146,
  nextReaction: 0x5353414e,
  tauLeaping: 0x5441554c,
  mlpInit: 0x4d4c5049,
  datasetPoints: 0x44415441,
  trainBatch: 0x54524e42,
  trainNoise: 0x54524e45,
  trainTime: 0x54524e54,
  trainLabelDrop: 0x54524e4c,
  guidanceInit: 0x47494e49,
  guidanceStep: 0x47535450,
  guidanceAux: 0x47415558,
  guidanceResample: 0x47524553,
  posteriorSample: 0x504f5354,
  discreteInit: 0x4444494e,
  discreteStep: 0x44445354,
  mjpObservation: 0x4d4a504f,
  gibbsUniformization: 0x47494255,
  gibbsFfbs: 0x47494246,
  gibbsRates: 0x47494252,
  msmBayes: 0x4d534d42,
  shard: 0x53485244,
  measurement: 0x4d454153,
  denoisingMcmc: 0x444d4343,
});

/** The name of a registered purpose. */
export type PhiloxPurposeName = keyof PhiloxPurposes;
