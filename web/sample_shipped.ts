/**
 * What the browser page computes, without the page: a shipped score network
 * (`models/shipped/<name>.json` + `.npy`, read by {@linkcode Mlp.fromCard})
 * sampled by a sampler of the diffusion registry, with the noise conventions
 * of `scripts/sample.ts` — the starting points are `σ_start·z`, z the
 * float64 Philox normals of (seed, stream 0), the sampler's own noise keyed
 * by (seed, stream 1), the grid the longest Karras grid on [0.002, 80] whose
 * declared NFE fits the budget (`planBudget`). Every draw is a pure function
 * of (seed, point, step), so a run in Deno and a run in a browser give the
 * same points on the cpu backend, bit for bit.
 *
 * The module touches no DOM and no file: `web/main.ts` runs it in the page,
 * the tests run it in Deno.
 *
 * @module
 */

import type { Backend } from "../kernels/backend.ts";
import {
  checkInteger,
  quote,
  SdenoParseError,
  SdenoRangeError,
  SdenoTypeError,
} from "../kernels/errors.ts";
import { fillNormal, makeKey } from "../kernels/philox.ts";
import { Mlp } from "../models/mlp.ts";
import { decodeNpy } from "../io/npy.ts";
import { parseSamplerSpec, planBudget } from "../solvers/diffusion/plan_budget.ts";

/** Smallest and largest σ of the sampling grids (those of `scripts/sample.ts`). */
export const SHIPPED_SIGMA_RANGE: Readonly<{ sigmaMin: number; sigmaMax: number }> = Object
  .freeze({ sigmaMin: 0.002, sigmaMax: 80 });

/** The run a page asks for. */
export interface ShippedSampleOptions {
  /** A sampler of the registry by name or alias, with `:key=value` options (default `dpmpp_2m`). */
  sampler?: string;
  /** Most model evaluations (default 10). */
  steps?: number;
  /** Number of points (default 256). */
  n?: number;
  /** Philox seed (default 0). */
  seed?: number;
}

/** What a run gives: its settings, where it ran, and the points. */
export interface ShippedSampleResult {
  /** The backend that ran it. */
  backend: "cpu" | "webgpu";
  /** The sampler's canonical name and options, as given. */
  sampler: string;
  /** The NFE budget. */
  steps: number;
  /** The model evaluations spent. */
  nfe: number;
  /** Number of points. */
  n: number;
  /** Dimension of a point. */
  dim: number;
  /** The Philox seed. */
  seed: number;
  /** The points, n × dim, row-major (float64 on cpu; f32 values on webgpu). */
  samples: number[];
}

/**
 * Reads a shipped model from its card and weights.
 *
 * @param cardText the card (`<name>.json`) as text
 * @param weights the weights file (`<name>.npy`) as bytes
 * @returns the network
 * @throws {SdenoParseError} for a card that is not JSON or weights that are not a `.npy`
 * @throws {SdenoTypeError} for a card that is not an MLP card or weights of the wrong size
 *
 * @example A card and its weights round-trip
 * ```ts
 * import { loadShippedModel } from "./sample_shipped.ts";
 * import { Mlp } from "../models/mlp.ts";
 * import { encodeNpy } from "../io/npy.ts";
 * import assert from "node:assert/strict";
 * const mlp = Mlp.create({ dim: 2, hidden: [4], timeFeatures: 2 });
 * const bytes = encodeNpy({ data: Float64Array.from(mlp.params), shape: [mlp.parameterCount] });
 * const back = loadShippedModel(JSON.stringify(mlp.card()), bytes);
 * assert.deepEqual(back.params, mlp.params);
 * ```
 */
export function loadShippedModel(cardText: string, weights: Uint8Array): Mlp {
  let card: unknown;
  try {
    card = JSON.parse(cardText);
  } catch (e) {
    throw new SdenoParseError(
      `Cannot load the model: the card is not JSON: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const npy = decodeNpy(weights);
  if (!(npy.data instanceof Float32Array || npy.data instanceof Float64Array)) {
    throw new SdenoTypeError(
      `Cannot load the model: the weights must be float32 or float64, got ${quote(npy.dtype)}`,
    );
  }
  return Mlp.fromCard(card, npy.data);
}

/**
 * Samples a network with one registered sampler (see the module doc for the
 * noise, the key streams and the grid). Checks every option before any work.
 *
 * @param mlp the network
 * @param backend where to run (cpu: float64; webgpu: f32)
 * @param options sampler, NFE budget, number of points and seed
 * @returns the run's settings and its points
 * @throws {SdenoRangeError} for an unknown sampler, a budget, count or seed out of range
 *
 * @example Two points of an untrained network, reproducibly
 * ```ts
 * import { sampleShipped } from "./sample_shipped.ts";
 * import { Mlp } from "../models/mlp.ts";
 * import { CpuBackend } from "../kernels/cpu_backend.ts";
 * import assert from "node:assert/strict";
 * const mlp = Mlp.create({ dim: 2, hidden: [4], timeFeatures: 2 });
 * const b = new CpuBackend();
 * const r = await sampleShipped(mlp, b, { sampler: "euler", steps: 3, n: 2, seed: 5 });
 * assert.equal(r.nfe, 3);
 * assert.deepEqual(r.samples, (await sampleShipped(mlp, b, { sampler: "euler", steps: 3, n: 2, seed: 5 })).samples);
 * ```
 */
export async function sampleShipped(
  mlp: Mlp,
  backend: Backend,
  options: ShippedSampleOptions = {},
): Promise<ShippedSampleResult> {
  const what = "Cannot sample the model";
  if (!(mlp instanceof Mlp)) {
    throw new SdenoTypeError(`${what}: mlp must be an Mlp, got ${quote(mlp)}`);
  }
  if (backend?.name !== "cpu" && backend?.name !== "webgpu") {
    throw new SdenoTypeError(`${what}: backend must be a cpu or webgpu Backend`);
  }
  const samplerText = options.sampler ?? "dpmpp_2m";
  const steps = options.steps ?? 10, n = options.n ?? 256, seed = options.seed ?? 0;
  checkInteger(what, "steps", steps, 1, 1000);
  checkInteger(what, "n", n, 1, 1 << 20);
  checkInteger(what, "seed", seed, 0, 0xffffffff);
  if (typeof samplerText !== "string") {
    throw new SdenoTypeError(`${what}: sampler must be a string, got ${quote(samplerText)}`);
  }
  const spec = parseSamplerSpec(samplerText);
  const plan = planBudget(spec, { schedule: mlp.schedule, budget: steps, ...SHIPPED_SIGMA_RANGE });
  if (plan.grid.length < 2) {
    throw new SdenoRangeError(`${what}: steps ${steps} gives no grid for ${quote(samplerText)}`);
  }
  const dim = mlp.spec.dim;
  const z = new Float64Array(n * dim);
  fillNormal(z, makeKey(seed, 0));
  const s0 = mlp.schedule.sigma(plan.grid[0]!);
  const x = backend.upload(z.map((v) => v * s0));
  try {
    const r = await spec.method.sample(mlp.denoiser(), x, plan.grid, {
      ...plan.options,
      key: makeKey(seed, 1),
    });
    const samples = Array.from(await backend.download(r.x));
    backend.release(r.x);
    return {
      backend: backend.name,
      sampler: samplerText,
      steps,
      nfe: r.nfe,
      n,
      dim,
      seed,
      samples,
    };
  } finally {
    backend.release(x);
  }
}
