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
export const PHILOX_PURPOSES = Object.freeze(
  {
    /** Noise of the stochastic diffusion samplers: counter `(element, draw, ·)` ("df"). */
    diffusionNoise: 0x6466,
    /** Fixed-grid Brownian increments ξ of SDE solvers and the GPU ensemble. */
    sdeGridXi: 0x5de0,
    /** The virtual Brownian tree's node normals. */
    sdeTree: 0x5de1,
    /** The extra normals η of the time integral ΔZ on a fixed grid. */
    sdeGridEta: 0x5de2,
    /** CTMC path sampling ("CTMC"). */
    ctmcPath: 0x43544d43,
    /** SSA direct method, single path and ensemble ("SSAD"). */
    ssaDirect: 0x53534144,
    /** SSA first-reaction method ("SSAF"). */
    firstReaction: 0x53534146,
    /** SSA next-reaction method ("SSAN"). */
    nextReaction: 0x5353414e,
    /** Tau-leaping ("TAUL"). */
    tauLeaping: 0x5441554c,
    /** Initial weights of an MLP score network ("MLPI"). */
    mlpInit: 0x4d4c5049,
    /** Points of the built-in 2-D datasets ("DATA"). */
    datasetPoints: 0x44415441,
    /** Training: which data rows a step's batch takes ("TRNB"). */
    trainBatch: 0x54524e42,
    /** Training: the noise ε added to a step's batch ("TRNE"). */
    trainNoise: 0x54524e45,
    /** Training: the noise levels t of a step's batch ("TRNT"). */
    trainTime: 0x54524e54,
    /** Training: which labels a step drops to the null class ("TRNL"). */
    trainLabelDrop: 0x54524e4c,
  } as const,
);

/** The name of a registered purpose. */
export type PhiloxPurposeName = keyof typeof PHILOX_PURPOSES;
