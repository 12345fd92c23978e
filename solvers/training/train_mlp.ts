/**
 * Trains an {@linkcode Mlp} by denoising score matching (Vincent 2011; Song &
 * Ermon 2019; Ho et al. 2020) with Adam: each step draws a batch of data
 * rows x₀, noise ε and noise levels t, forms `x = α(t)x₀ + σ(t)ε`, and
 * regresses the network output `F(c_in x, t, y)` on the objective's target
 * (`mlpTargetCoefficients`): ε ("eps", Ho et al.'s simple loss), x₀ with EDM's
 * preconditioning and weighting ("x0", Karras et al. 2022, eq. 8 and
 * Table 1), v = αε − σx₀ ("v", Salimans & Ho 2022) or the flow velocity
 * `dx/dt = α'x₀ + σ'ε` ("velocity"; on the rectified-flow schedule the
 * target ε − x₀ of flow matching, Lipman et al. 2023, and rectified flow,
 * Liu et al. 2023). Class labels are dropped to the null class with
 * probability `labelDropout`, so one network learns the conditional and the
 * unconditional model (classifier-free guidance, Ho & Salimans 2022).
 *
 * Every random draw is keyed: step s uses Philox counters at step s with
 * the purposes `trainBatch`, `trainNoise`, `trainTime`, `trainLabelDrop`, so a
 * run is reproducible and does not depend on the backend beyond rounding.
 *
 * @module
 */

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { CpuBackend } from "../../kernels/cpu_backend.ts";
import {
  checkFinite,
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import type { Key } from "../../kernels/philox.ts";
import { Mlp } from "../../models/mlp.ts";
import { Adam } from "./adam.ts";
import { denoisingBatch, type NoiseLevelSampling } from "./denoising_batch.ts";

/** Training data: n rows of d numbers (d = the network's dim), with labels for a conditional net. */
export interface TrainingData {
  /** n×d, point-major. */
  data: ArrayLike<number>;
  /** One label per row in `0 … classes−1` (required when the network has classes). */
  labels?: ArrayLike<number> | undefined;
}

/** What `onStep` sees after each step. */
export interface TrainStepInfo {
  /** Step index, from 0. */
  step: number;
  /** The batch's mean squared error in the network's output units. */
  loss: number;
  /** The step size used. */
  learningRate: number;
}

/** Options of {@linkcode trainMlp}. */
export interface TrainMlpOptions {
  /** Number of Adam steps. */
  steps: number;
  /** Rows per batch, drawn with replacement (default 1024). */
  batchSize?: number;
  /** Peak step size (default 1e-3). */
  learningRate?: number;
  /**
   * Steps of linear warm-up from 0 (default min(200, steps/10)); after it
   * the step size follows a cosine from the peak down to `learningRate·finalLearningRateRatio`.
   */
  warmupSteps?: number;
  /** Final step size as a fraction of the peak (default 0.1). */
  finalLearningRateRatio?: number;
  /** Adam's β₁ (default 0.9). */
  beta1?: number;
  /** Adam's β₂ (default 0.999). */
  beta2?: number;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /**
   * Decay β of the exponential moving average of the weights (default 0.999;
   * 0 turns it off); step s uses min(β, (1 + s)/(10 + s)). The returned
   * model uses the averaged weights.
   */
  emaDecay?: number;
  /** Probability of replacing a label by the null class (default 0.1 with classes, else 0). */
  labelDropout?: number;
  /**
   * Noise levels: `uniform` in t on [tMin, tMax], or `lognormal` in σ̃ = σ/α
   * (`ln σ̃ ~ N(pMean, pStd²)`, Karras et al. 2022 §5; logit-normal t on the
   * rectified-flow schedule). Default lognormal on the EDM and VE schedules,
   * uniform otherwise.
   */
  noiseLevels?: NoiseLevelSampling;
  /** Mean of ln σ̃ (default −1.2). */
  pMean?: number;
  /** Standard deviation of ln σ̃ (default 1.2). */
  pStd?: number;
  /** Key of every draw (default seed 0, stream 0). */
  key?: Key;
  /** Where to train (default a new cpu backend). */
  backend?: Backend;
  /** Called after every step. */
  onStep?: (info: TrainStepInfo) => void | Promise<void>;
}

/** What {@linkcode trainMlp} returns. */
export interface TrainMlpResult {
  /** The trained network (the averaged weights when `emaDecay` > 0). */
  mlp: Mlp;
  /** The network with the last step's weights. */
  last: Mlp;
  /** The loss of every step. */
  losses: Float64Array;
  /** Mean loss over the last 5% of the steps (at least one). */
  finalLoss: number;
}

/**
 * Trains `mlp` on `data` (see the module doc).
 *
 * @param mlp the network to start from (not modified)
 * @param data rows and labels
 * @param options steps, batch, Adam, EMA, label dropout, noise levels, key, backend, onStep
 * @returns the trained network, the losses and the final loss
 * @throws {SdenoTypeError} for data of the wrong shape or missing labels
 * @throws {SdenoRangeError} for a label out of range or an option out of range
 * @throws {NumericalError} when the loss becomes NaN or infinite (naming the step)
 *
 * @example A few steps lower the loss of a tiny model on two points
 * ```ts
 * import { trainMlp } from "./train_mlp.ts";
 * import { Mlp } from "../../models/mlp.ts";
 * import assert from "node:assert/strict";
 * const mlp = Mlp.create({ dim: 1, hidden: [16], objective: "x0" });
 * const r = await trainMlp(mlp, { data: [-1, 1] }, { steps: 200, batchSize: 64, learningRate: 1e-2 });
 * assert.equal(r.losses.length, 200);
 * assert.ok(r.finalLoss < r.losses[0]!);
 * ```
 */
export async function trainMlp(
  mlp: Mlp,
  data: TrainingData,
  options: TrainMlpOptions,
): Promise<TrainMlpResult> {
  const o = checkOptions(mlp, data, options);
  const { dim } = mlp.spec;
  const ownBackend = options.backend === undefined;
  const backend = options.backend ?? new CpuBackend();
  const nb = o.batchSize;
  const binding = mlp.bind(backend);
  const allocated: DeviceArray[] = [];
  const alloc = (n: number) => {
    const a = backend.zeros(n);
    allocated.push(a);
    return a;
  };
  const adam = new Adam(backend, mlp.parameterCount, {
    learningRate: o.learningRate,
    beta1: o.beta1,
    beta2: o.beta2,
    weightDecay: o.weightDecay,
  });
  try {
    const grads = alloc(mlp.parameterCount);
    const xIn = alloc(nb * dim), target = alloc(nb * dim), f = alloc(nb * dim);
    const ema = o.emaDecay > 0 ? alloc(mlp.parameterCount) : undefined;
    if (ema) await backend.lincomb(ema, [[1, binding.params]]);
    const losses = new Float64Array(o.steps);
    for (let step = 0; step < o.steps; step++) {
      const batch = denoisingBatch(mlp, data, { ...o, step });
      await backend.write(xIn, batch.xIn);
      await backend.write(target, batch.target);
      await binding.forward(xIn, { t: batch.times, labels: batch.labels }, f);
      // residual r = F − target into f; loss = mean r²; dL/dF = 2r/(n d)
      await backend.lincomb(f, [[1, f], [-1, target]]);
      const stats = await backend.columnStats(f, dim);
      let sq = 0;
      for (let j = 0; j < dim; j++) sq += stats.sumSq[j]!;
      const loss = sq / (nb * dim);
      if (!Number.isFinite(loss)) {
        throw new NumericalError(
          `Cannot train the MLP: the loss is ${loss} at step ${step} (try a smaller learningRate)`,
          { step },
        );
      }
      losses[step] = loss;
      await backend.lincomb(f, [[2 / (nb * dim), f]]);
      await binding.backward(f, { grads });
      const lr = learningRateAt(o, step);
      await adam.step(binding.params, grads, lr);
      if (ema) {
        // decay min(β, (1 + s)/(10 + s)): early weights fade fast (TensorFlow's
        // ExponentialMovingAverage with num_updates)
        const d = Math.min(o.emaDecay, (1 + step) / (10 + step));
        await backend.lincomb(ema, [[d, ema], [1 - d, binding.params]]);
      }
      if (options.onStep) await options.onStep({ step, loss, learningRate: lr });
    }
    const lastParams = await binding.download();
    const emaParams = ema ? Float64Array.from(await backend.download(ema)) : lastParams;
    const tail = Math.max(1, Math.floor(o.steps / 20));
    let finalLoss = 0;
    for (let s = o.steps - tail; s < o.steps; s++) finalLoss += losses[s]!;
    return {
      mlp: mlp.withParams(emaParams),
      last: mlp.withParams(lastParams),
      losses,
      finalLoss: finalLoss / tail,
    };
  } finally {
    for (const a of allocated) backend.release(a);
    adam.release();
    binding.release();
    if (ownBackend) backend.destroy();
  }
}

interface Checked {
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  finalLearningRateRatio: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  emaDecay: number;
  labelDropout: number;
  noiseLevels: NoiseLevelSampling;
  pMean: number;
  pStd: number;
  key: Key;
}

/** Linear warm-up, then a cosine from the peak to the final ratio. */
function learningRateAt(o: Checked, step: number): number {
  if (step < o.warmupSteps) return o.learningRate * (step + 1) / (o.warmupSteps + 1);
  const span = Math.max(1, o.steps - o.warmupSteps);
  const c = 0.5 * (1 + Math.cos(Math.PI * (step - o.warmupSteps) / span));
  return o.learningRate * (o.finalLearningRateRatio + (1 - o.finalLearningRateRatio) * c);
}

function checkOptions(mlp: Mlp, data: TrainingData, options: TrainMlpOptions): Checked {
  const what = "Cannot train the MLP";
  if (!(mlp instanceof Mlp)) {
    throw new SdenoTypeError(`${what}: mlp must be an Mlp, got ${quote(mlp)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const { dim, classes } = mlp.spec;
  const x = data?.data;
  if (x === undefined || x === null || typeof x.length !== "number") {
    throw new SdenoTypeError(`${what}: data.data must be an array of numbers, got ${quote(x)}`);
  }
  if (x.length === 0 || x.length % dim !== 0) {
    throw new SdenoTypeError(
      `${what}: data.data must hold n rows of ${dim} numbers (the network's dim), got ${x.length} numbers`,
    );
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new SdenoRangeError(`${what}: data.data[${i}] must be finite, got ${quote(x[i])}`);
    }
  }
  const rows = x.length / dim;
  if (classes > 0) {
    const y = data.labels;
    if (y === undefined || y === null || typeof y.length !== "number") {
      throw new SdenoTypeError(
        `${what}: the network has ${classes} classes, so data.labels is required`,
      );
    }
    if (y.length !== rows) {
      throw new SdenoTypeError(
        `${what}: data.labels must hold one label per row (${rows}), got ${y.length}`,
      );
    }
    for (let i = 0; i < rows; i++) {
      const l = y[i];
      if (!Number.isInteger(l) || l! < 0 || l! >= classes) {
        throw new SdenoRangeError(
          `${what}: data.labels[${i}] must be an integer in [0, ${classes - 1}], got ${quote(l)}`,
        );
      }
    }
  }
  const steps = checkInteger(what, "steps", options.steps, 1);
  const num = (name: string, v: number, lo: number, hi: number, open = false) => {
    checkFinite(what, name, v);
    if (v < lo || v > hi || (open && v === hi)) {
      throw new SdenoRangeError(
        `${what}: ${name} must be in [${lo}, ${hi}${open ? ")" : "]"}, got ${quote(v)}`,
      );
    }
    return v;
  };
  const learningRate = num("learningRate", options.learningRate ?? 1e-3, 0, Infinity);
  if (!(learningRate > 0)) {
    throw new SdenoRangeError(`${what}: learningRate must be positive, got ${quote(learningRate)}`);
  }
  const noiseLevels = options.noiseLevels ??
    (mlp.schedule.name === "edm" || mlp.schedule.name === "ve" ? "lognormal" : "uniform");
  if (noiseLevels !== "uniform" && noiseLevels !== "lognormal") {
    throw new SdenoRangeError(
      `${what}: noiseLevels must be "uniform" or "lognormal", got ${quote(noiseLevels)}`,
    );
  }
  return {
    steps,
    batchSize: checkInteger(what, "batchSize", options.batchSize ?? 1024, 1, 1 << 22),
    learningRate,
    warmupSteps: checkInteger(
      what,
      "warmupSteps",
      options.warmupSteps ?? Math.min(200, Math.floor(steps / 10)),
    ),
    finalLearningRateRatio: num(
      "finalLearningRateRatio",
      options.finalLearningRateRatio ?? 0.1,
      0,
      1,
    ),
    beta1: num("beta1", options.beta1 ?? 0.9, 0, 1, true),
    beta2: num("beta2", options.beta2 ?? 0.999, 0, 1, true),
    weightDecay: num("weightDecay", options.weightDecay ?? 0, 0, Infinity),
    emaDecay: num("emaDecay", options.emaDecay ?? 0.999, 0, 1, true),
    labelDropout: num("labelDropout", options.labelDropout ?? (classes > 0 ? 0.1 : 0), 0, 1),
    noiseLevels,
    pMean: num("pMean", options.pMean ?? -1.2, -Infinity, Infinity),
    pStd: num("pStd", options.pStd ?? 1.2, 0, Infinity),
    key: options.key ?? { seed: 0, stream: 0 },
  };
}
