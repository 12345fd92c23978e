/**
 * RePaint: Lugmayr, Danelljan, Romero, Yu, Timofte & Van Gool, "RePaint:
 * Inpainting using Denoising Diffusion Probabilistic Models", CVPR 2022
 * (arXiv 2201.09865), Algorithm 1 with the resampling schedule of the
 * authors' `get_schedule_jump`; refs ../shared/refs/inverse §1.2. Each
 * reverse step from t to s:
 *
 * - known pixels come from the forward-noised observation,
 *   `x_s^known = √ᾱ_s y + √(1 − ᾱ_s) ε` (eq. (8));
 * - unknown pixels come from the ancestral step of the model (eq. (9));
 * - `x_s = m ⊙ x_s^known + (1 − m) ⊙ x_s^unknown` (eq. (10)).
 *
 * Resampling (§4.2): the grid's levels are m = K … 0 (m = 0 the clean end,
 * K = grid length − 1). On landing at a level m ≥ 1 with (m − 1) mod j = 0
 * and m + j ≤ K (the authors' jump points t = 0, j, 2j, … < T − j, their
 * t = m − 1), the sample jumps back up j levels with the forward kernel
 * `x_{t'} = √(ᾱ_{t'}/ᾱ_t) x_t + √(1 − ᾱ_{t'}/ᾱ_t) z` and redoes them; each jump
 * point does this r − 1 times. The authors go up one level at a time; the
 * composed forward kernel is the same Gaussian, drawn here in one go.
 * Defaults j = 10, r = 10 (the paper's).
 *
 * Masks only ({@linkcode isMaskOperator}). RePaint treats y as exact: with
 * σ_y > 0 the known pixels are pinned to the noisy y, and the output samples
 * the prior conditioned on x_known = y (not the noisy posterior).
 *
 * @module
 */

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { defineMap } from "../../kernels/map.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { predictAs } from "../../models/denoiser.ts";
import { isMaskOperator } from "../../models/operators/mask.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import { alphaBar, ddimCoefficients } from "./vp.ts";
import {
  numberOption,
  optionsRecord,
  reportStep,
  runRowBatches,
  tileRows,
} from "./_method_options.ts";

/** Options of {@linkcode repaint}. */
export interface RepaintOptions {
  /** j, the levels of one resampling jump (integer ≥ 1, default 10). */
  jumpLength?: number;
  /** r, the passes over each jump segment (integer ≥ 1, default 10; 1 = no resampling). */
  resamplings?: number;
  /** DDIM η of the reverse step in [0, 1] (default 1, ancestral as the paper). */
  eta?: number;
}

/** One event of a RePaint schedule: a reverse step down one level, or a jump up. */
export interface RepaintEvent {
  /** `"down"`: one reverse step; `"jump"`: forward noising back up. */
  kind: "down" | "jump";
  /** The level before the event (m = 0 is the clean end). */
  from: number;
  /** The level after it. */
  to: number;
}

/**
 * The RePaint schedule on K levels (see the module doc): the events from
 * level K down to 0.
 *
 * @param levels K ≥ 1 (the grid's length − 1)
 * @param jumpLength j ≥ 1
 * @param resamplings r ≥ 1
 * @returns the events in order
 * @throws {SdenoRangeError} for counts that are not integers ≥ 1
 *
 * @example Without resampling it is the plain reverse chain
 * ```ts
 * import { repaintSchedule } from "./repaint.ts";
 * import assert from "node:assert/strict";
 * assert.equal(repaintSchedule(5, 2, 1).length, 5);
 * const s = repaintSchedule(5, 2, 2);
 * assert.deepEqual(s.filter((e) => e.kind === "jump").map((e) => [e.from, e.to]), [[3, 5], [1, 3]]);
 * ```
 */
export function repaintSchedule(
  levels: number,
  jumpLength: number,
  resamplings: number,
): RepaintEvent[] {
  const what = "Cannot build the RePaint schedule";
  for (
    const [name, v] of [["levels", levels], ["jumpLength", jumpLength], [
      "resamplings",
      resamplings,
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < 1) {
      throw new SdenoRangeError(`${what}: ${name} must be an integer ≥ 1, got ${quote(v)}`);
    }
  }
  const left = new Map<number, number>();
  for (let m = 1; m + jumpLength <= levels; m += jumpLength) left.set(m, resamplings - 1);
  const events: RepaintEvent[] = [];
  let m = levels;
  while (m >= 1) {
    events.push({ kind: "down", from: m, to: m - 1 });
    m--;
    const n = left.get(m) ?? 0;
    if (n > 0) {
      left.set(m, n - 1);
      events.push({ kind: "jump", from: m, to: m + jumpLength });
      m += jumpLength;
    }
  }
  return events;
}

const INFO: GuidanceInfo = Object.freeze({
  family: "guidance",
  name: "repaint",
  aliases: Object.freeze([]),
  summary:
    "RePaint (Lugmayr et al. 2022): known pixels from the forward-noised y, unknown from the reverse step, with resampling jumps (masks only)",
  stochastic: true,
  backends: Object.freeze(["cpu", "webgpu"] as const),
  needsVjp: false,
  needsSvd: false,
  needsPseudoInverse: false,
  operators: "mask",
  noise: Object.freeze(["none", "gaussian"] as const),
  asymptoticallyExact: false,
  paper:
    "Lugmayr, Danelljan, Romero, Yu, Timofte, Van Gool, RePaint: Inpainting using Denoising Diffusion Probabilistic Models, arXiv 2201.09865 (CVPR 2022)",
}) as GuidanceInfo;

// m·known + (1 − m)·unknown
const MASK_SELECT = defineMap({
  name: "guidance_repaint_select",
  arity: 3,
  wgsl: "return select(x2, x1, x0 > 0.5);",
  cpu: (m, known, unknown) => (m > 0.5 ? known : unknown),
});

/**
 * RePaint ({@linkcode RepaintOptions}) on a mask operator. `x_T` of sample r
 * is the Philox normal at counter element `(pathOffset + r)·d + j`, purpose
 * `guidanceInit`; event c of the schedule draws the ancestral noise at step
 * c, purpose `guidanceStep`, and the known pixels' (or the jump's) noise at
 * step c, purpose `guidanceAux`. NFE = the number of reverse steps.
 *
 * @example Noiseless: the known pixels end equal to y
 * ```ts
 * import { repaint } from "./repaint.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { maskOperator } from "../../models/operators/mask.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0.9], [0.9, 1]] }, schedule);
 * const problem = { operator: maskOperator([1, 0]), y: [0.7], noise: gaussianNoise(0) };
 * const { samples } = await repaint.run({
 *   model, problem, grid: quadraticGrid(20), samples: 2, key: makeKey(1), backend: new CpuBackend(),
 *   options: { jumpLength: 5, resamplings: 2 },
 * });
 * assert.equal(samples[0], 0.7);
 * assert.equal(samples[2], 0.7);
 * ```
 */
export const repaint: GuidanceMethod<RepaintOptions> = Object.freeze({
  info: INFO,
  async run(request: GuidanceRequest<RepaintOptions>): Promise<GuidanceResult> {
    const what = `Cannot run ${INFO.name}`;
    const { grid, y } = checkGuidanceRequest(INFO, request);
    const op = request.problem.operator;
    if (!isMaskOperator(op)) {
      throw new SdenoTypeError(
        `${what}: it inpaints, and needs a mask operator (maskOperator, boxMask), got ${
          quote(op.name)
        }`,
      );
    }
    const o = optionsRecord(what, request.options, ["jumpLength", "resamplings", "eta"]);
    const jumpLength = numberOption(what, o, "jumpLength", 10, { min: 1, integer: true });
    const resamplings = numberOption(what, o, "resamplings", 10, { min: 1, integer: true });
    const eta = numberOption(what, o, "eta", 1, { min: 0, max: 1 });
    const { model, backend: b } = request;
    const d = model.dim;
    const levels = grid.length - 1;
    const time = (m: number) => grid[levels - m]!;
    const events = repaintSchedule(levels, jumpLength, resamplings);
    // Aᵀy: y scattered onto the observed pixels.
    const known = new Float64Array(d);
    op.observed.forEach((p, i) => (known[p] = y[i]!));
    const mask = Float64Array.from(op.mask);
    const pathOffset = request.pathOffset ?? 0;
    let nfe = 0;
    const samples = await runRowBatches(what, request, d, async (run, row, n) => {
      nfe = 0;
      const x = run.alloc(n * d), x0 = run.alloc(n * d), kn = run.alloc(n * d);
      const unk = run.alloc(n * d), yRows = run.alloc(n * d), m = run.alloc(n * d);
      await b.write(yRows, tileRows(known, n));
      await b.write(m, tileRows(mask, n));
      const offset = (pathOffset + row) * d;
      await b.fillNormal(x, request.key, { purpose: PHILOX_PURPOSES.guidanceInit, offset });
      for (let c = 0; c < events.length; c++) {
        const ev = events[c]!;
        const t = time(ev.from), s = time(ev.to);
        const abT = alphaBar(model.schedule, t), abS = alphaBar(model.schedule, s);
        if (ev.kind === "jump") {
          // forward kernel from t up to s > t
          const ratio = abS / abT;
          await b.lincomb(x, [[Math.sqrt(ratio), x]], {
            scale: Math.sqrt(1 - ratio),
            key: request.key,
            step: c,
            purpose: PHILOX_PURPOSES.guidanceAux,
            offset,
          });
          continue;
        }
        nfe++;
        await predictAs(model, x, { t, kind: "x0", out: x0, conditioning: request.conditioning });
        const co = ddimCoefficients(abT, abS, eta);
        const e = co.eps / Math.sqrt(1 - abT);
        await b.lincomb(unk, [[co.x0 - e * Math.sqrt(abT), x0], [e, x]], {
          scale: co.noise,
          key: request.key,
          step: c,
          purpose: PHILOX_PURPOSES.guidanceStep,
          offset,
        });
        await b.lincomb(kn, [[Math.sqrt(abS), yRows]], {
          scale: Math.sqrt(1 - abS),
          key: request.key,
          step: c,
          purpose: PHILOX_PURPOSES.guidanceAux,
          offset,
        });
        await b.map(MASK_SELECT, x, [m, kn, unk]);
        await run.checkFinite(x, { step: c, time: s, quantity: "x" });
        await reportStep(request, b, x, { step: c, t, tNext: s, row });
      }
      return x;
    });
    return { samples, nfe };
  },
});
