/**
 * One batch of denoising score matching: data rows, noise, noise levels and
 * labels drawn by key and step, turned into the network's scaled input and
 * regression target.
 *
 * @module
 */

import { fillNormal, fillUniform, type Key } from "../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { type Mlp, mlpPreconditioning, mlpTargetCoefficients } from "../../models/mlp.ts";

/** How the noise levels of a batch are drawn. */
export type NoiseLevelSampling = "uniform" | "lognormal";

/** Options of {@linkcode denoisingBatch}. */
export interface DenoisingBatchOptions {
  /** The step whose draws to use (Philox counter word 1). */
  step: number;
  /** Rows in the batch. */
  batchSize: number;
  /** The key of every draw. */
  key: Key;
  /** `uniform` in t, or `lognormal` in σ̃ = σ/α. */
  noiseLevels: NoiseLevelSampling;
  /** Mean of ln σ̃ for `lognormal`. */
  pMean: number;
  /** Standard deviation of ln σ̃ for `lognormal`. */
  pStd: number;
  /** Probability of replacing a label by the null class. */
  labelDropout: number;
}

/** A batch: the network's inputs and targets, with the draws behind them. */
export interface DenoisingBatch {
  /** Data rows used, one per batch row. */
  rows: Int32Array;
  /** Time of each batch row. */
  times: Float64Array;
  /** Label of each batch row (the null class where dropped); absent without classes. */
  labels: Int32Array | undefined;
  /** The noise ε, batch×d. */
  eps: Float64Array;
  /** The noised points `x = α x₀ + σ ε`, batch×d. */
  x: Float64Array;
  /** The network's input `c_in·x`, batch×d. */
  xIn: Float64Array;
  /** The regression target of the network output, batch×d. */
  target: Float64Array;
}

/**
 * Draws batch `step`: row r = ⌊u·n⌋ for a Philox uniform u (`trainBatch`),
 * ε standard normal (`trainNoise`), the time from a uniform or normal draw
 * (`trainTime`: `t = tMin + u(tMax − tMin)`, or `λ = −(pMean + pStd·z)`
 * mapped by `tOfLogSnr`, clamped to the schedule), and the label dropped to
 * the null class when a uniform (`trainLabelDrop`) falls below
 * `labelDropout`. The target is `a x₀ + b ε` with `[a, b]` from
 * `mlpTargetCoefficients`.
 *
 * @param mlp the network (its spec and schedule)
 * @param data n×d rows and, for a conditional network, n labels (checked by the caller)
 * @param options step, batch size, key, noise-level law and label dropout
 * @returns the batch
 *
 * @example The ε objective's target is the drawn noise
 * ```ts
 * import { denoisingBatch } from "./denoising_batch.ts";
 * import { Mlp } from "../../models/mlp.ts";
 * import assert from "node:assert/strict";
 * const mlp = Mlp.create({ dim: 1, hidden: [4], objective: "eps", schedule: { name: "vp-linear" } });
 * const b = denoisingBatch(mlp, { data: [0.5, -0.5] }, {
 *   step: 0, batchSize: 8, key: { seed: 1, stream: 0 },
 *   noiseLevels: "uniform", pMean: 0, pStd: 1, labelDropout: 0,
 * });
 * assert.deepEqual(b.target, b.eps);
 * ```
 */
export function denoisingBatch(
  mlp: Mlp,
  data: { data: ArrayLike<number>; labels?: ArrayLike<number> | undefined },
  options: DenoisingBatchOptions,
): DenoisingBatch {
  const { dim, classes, objective, sigmaData } = mlp.spec;
  const s = mlp.schedule;
  const nb = options.batchSize, n = data.data.length / dim;
  const draw = (purpose: number) => ({ step: options.step, purpose });
  const u = new Float64Array(nb), lv = new Float64Array(nb), drop = new Float64Array(nb);
  const eps = new Float64Array(nb * dim);
  fillUniform(u, options.key, draw(PHILOX_PURPOSES.trainBatch));
  fillNormal(eps, options.key, draw(PHILOX_PURPOSES.trainNoise));
  const logNormal = options.noiseLevels === "lognormal";
  if (logNormal) fillNormal(lv, options.key, draw(PHILOX_PURPOSES.trainTime));
  else fillUniform(lv, options.key, draw(PHILOX_PURPOSES.trainTime));
  if (classes > 0) fillUniform(drop, options.key, draw(PHILOX_PURPOSES.trainLabelDrop));
  const rows = new Int32Array(nb), times = new Float64Array(nb);
  const labels = classes > 0 ? new Int32Array(nb) : undefined;
  const x = new Float64Array(nb * dim), xIn = new Float64Array(nb * dim);
  const target = new Float64Array(nb * dim);
  for (let i = 0; i < nb; i++) {
    const r = Math.min(n - 1, Math.floor(u[i]! * n));
    rows[i] = r;
    // lognormal: ln σ̃ ~ N(pMean, pStd²) (Karras et al. 2022, §5), λ = −ln σ̃
    let t = logNormal
      ? s.tOfLogSnr(-(options.pMean + options.pStd * lv[i]!))
      : s.tMin + (s.tMax - s.tMin) * lv[i]!;
    t = Math.min(s.tMax, Math.max(s.tMin, t));
    times[i] = t;
    const alpha = s.alpha(t), sigma = s.sigma(t);
    const { cIn } = mlpPreconditioning(objective, s, t, sigmaData);
    const [a, b] = mlpTargetCoefficients(objective, s, t, sigmaData);
    for (let j = 0; j < dim; j++) {
      const k = i * dim + j;
      const x0 = data.data[r * dim + j]!, e = eps[k]!;
      x[k] = alpha * x0 + sigma * e;
      xIn[k] = cIn * x[k]!;
      target[k] = a * x0 + b * e;
    }
    if (labels) labels[i] = drop[i]! < options.labelDropout ? classes : data.labels![r]!;
  }
  return { rows, times, labels, eps, x, xIn, target };
}
