/**
 * MCG, manifold constrained gradients: Chung, Sim, Ryu & Ye, "Improving
 * Diffusion Models for Inverse Problems using Manifold Constraints", NeurIPS
 * 2022 (arXiv 2206.00941), Algorithm 1 and eq. (14)–(16); refs
 * ../shared/refs/inverse §1.2. Each step from t to s:
 *
 * 1. the ancestral (DDPM, η = 1) step `x'_s = √ᾱ_s x̂₀ + c2 ε̂ + c1 z`;
 * 2. the manifold-constraint gradient `x''_s = x'_s − α ∇_{x_t}‖y − A x̂₀(x_t)‖`
 *    (through the network's VJP). By default the gradient is that of the
 *    norm, as the public implementation (DPS2022's `condition_methods.py`,
 *    `ManifoldConstraintGradient`); `squared: true` takes the paper's
 *    `α ∇‖y − A x̂₀‖²` instead;
 * 3. the projection onto the noised measurement set,
 *    `x_s = x''_s − A⁺(A x''_s − y_s)` with `y_s = √ᾱ_s y + √(1 − ᾱ_s) A ε`
 *    (ε fresh), so that the step to the clean end lands on `A x = y`.
 *
 * MCG is for noiseless measurements: the projection pins A x to y exactly
 * (the authors note it is unstable with noise), so a request with σ_y > 0 is
 * refused with a typed error — use DPS or DDS there.
 *
 * @module
 */

import { defineMap } from "../../kernels/map.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { predictAs, vjpAs } from "../../models/denoiser.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";
import {
  checkGuidanceRequest,
  type GuidanceInfo,
  type GuidanceMethod,
  type GuidanceRequest,
  type GuidanceResult,
} from "./method.ts";
import { alphaBar, ddimCoefficients } from "./vp.ts";
import { RowOps } from "./_cg.ts";
import { applyPseudoInverse } from "./_pseudo_inverse.ts";
import {
  numberOption,
  optionsRecord,
  reportStep,
  runRowBatches,
  tileRows,
} from "./_method_options.ts";
import { quote, SdenoTypeError } from "../../kernels/errors.ts";

/** Options of {@linkcode mcg}. */
export interface McgOptions {
  /** α ≥ 0, the step on the manifold-constraint gradient (default 1). */
  alpha?: number;
  /** Take the paper's gradient of the squared residual (default false: of the norm, as the public code). */
  squared?: boolean;
  /** DDIM η of the step in [0, 1] (default 1, ancestral). */
  eta?: number;
}

const INFO: GuidanceInfo = Object.freeze({
  family: "guidance",
  name: "mcg",
  aliases: Object.freeze(["manifold-constrained-gradient"]),
  summary:
    "MCG (Chung et al. 2022): ancestral step, manifold-constraint gradient through the network, projection onto the noised measurement (noiseless)",
  stochastic: true,
  backends: Object.freeze(["cpu", "webgpu"] as const),
  needsVjp: true,
  needsSvd: false,
  needsPseudoInverse: true,
  operators: "linear",
  noise: Object.freeze(["none"] as const),
  asymptoticallyExact: false,
  paper:
    "Chung, Sim, Ryu, Ye, Improving Diffusion Models for Inverse Problems using Manifold Constraints, arXiv 2206.00941 (NeurIPS 2022)",
}) as GuidanceInfo;

// 1/√v where v > 0, else 0 (a row that already fits the data takes no step).
const INV_SQRT = defineMap({
  name: "guidance_mcg_inv_sqrt",
  arity: 1,
  wgsl: "return select(0.0, 1.0 / sqrt(x0), x0 > 0.0);",
  cpu: (v) => (v > 0 ? 1 / Math.sqrt(v) : 0),
});

const SCALE_ROWS = defineMap({
  name: "guidance_mcg_scale_rows",
  arity: 2,
  wgsl: "return x0 * x1;",
  cpu: (a, b) => a * b,
});

/**
 * MCG ({@linkcode McgOptions}) for noiseless linear problems. `x_T` of
 * sample r is the Philox normal at counter element `(pathOffset + r)·d + j`,
 * purpose `guidanceInit`; at step k the ancestral z uses purpose
 * `guidanceStep` and the measurement noise ε of y_s purpose `guidanceAux`.
 * NFE = 2 per step (one prediction, one VJP).
 *
 * @example The projection makes the output fit the data exactly
 * ```ts
 * import { mcg } from "./mcg.ts";
 * import { quadraticGrid } from "./vp.ts";
 * import { gaussian } from "../../models/gaussian.ts";
 * import { denseOperator } from "../../models/operators/dense.ts";
 * import { gaussianNoise } from "../../models/operators/noise.ts";
 * import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
 * import { CpuBackend } from "../../kernels/cpu_backend.ts";
 * import { makeKey } from "../../kernels/philox.ts";
 * import assert from "node:assert/strict";
 * const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
 * const model = gaussian({ mean: [0, 0], covariance: [[1, 0.5], [0.5, 1]] }, schedule);
 * const problem = { operator: denseOperator([[1, -1]]), y: [0.4], noise: gaussianNoise(0) };
 * const { samples } = await mcg.run({
 *   model, problem, grid: quadraticGrid(20), samples: 3, key: makeKey(1), backend: new CpuBackend(),
 * });
 * for (let r = 0; r < 3; r++) assert.ok(Math.abs(samples[2 * r]! - samples[2 * r + 1]! - 0.4) < 1e-12);
 * ```
 */
export const mcg: GuidanceMethod<McgOptions> = Object.freeze({
  info: INFO,
  async run(request: GuidanceRequest<McgOptions>): Promise<GuidanceResult> {
    const what = `Cannot run ${INFO.name}`;
    const { grid, y } = checkGuidanceRequest(INFO, request);
    const o = optionsRecord(what, request.options, ["alpha", "squared", "eta"]);
    const alpha = numberOption(what, o, "alpha", 1, { min: 0 });
    const eta = numberOption(what, o, "eta", 1, { min: 0, max: 1 });
    if (o.squared !== undefined && typeof o.squared !== "boolean") {
      throw new SdenoTypeError(
        `${what}: option squared must be a boolean, got ${quote(o.squared)}`,
      );
    }
    const squared = o.squared === true;
    const { model, problem, backend: b } = request;
    const op = problem.operator as LinearOperator;
    const d = model.dim, dy = op.outDim;
    const pathOffset = request.pathOffset ?? 0;
    const steps = grid.length - 1;
    const samples = await runRowBatches(what, request, d, async (run, row, n) => {
      const x = run.alloc(n * d), x0 = run.alloc(n * d), next = run.alloc(n * d);
      const g = run.alloc(n * d), v = run.alloc(n * d), noise = run.alloc(n * d);
      const yRows = run.alloc(n * dy), r = run.alloc(n * dy), ys = run.alloc(n * dy);
      const rr = run.alloc(n), inv = run.alloc(n), scale = run.alloc(n * d);
      await b.write(yRows, tileRows(y, n));
      const offset = (pathOffset + row) * d;
      await b.fillNormal(x, request.key, { purpose: PHILOX_PURPOSES.guidanceInit, offset });
      const rows = squared ? undefined : new RowOps(b, n, dy);
      const rowsD = squared ? undefined : new RowOps(b, n, d);
      try {
        for (let k = 0; k < steps; k++) {
          const t = grid[k]!, s = grid[k + 1]!;
          const abT = alphaBar(model.schedule, t), abS = alphaBar(model.schedule, s);
          const c = ddimCoefficients(abT, abS, eta);
          await predictAs(model, x, {
            t,
            kind: "x0",
            out: x0,
            conditioning: request.conditioning,
          });
          // 1. ancestral step; ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t) folded in
          const e = c.eps / Math.sqrt(1 - abT);
          await b.lincomb(next, [[c.x0 - e * Math.sqrt(abT), x0], [e, x]], {
            scale: c.noise,
            key: request.key,
            step: k,
            purpose: PHILOX_PURPOSES.guidanceStep,
            offset,
          });
          // 2. ∇_{x_t}‖y − A x̂₀‖² = −2 Jᵀ Aᵀ (y − A x̂₀)
          await op.apply(x0, r);
          await b.lincomb(r, [[1, yRows], [-1, r]]);
          await op.applyTranspose(r, v);
          await vjpAs(model, x, { t, kind: "x0", v, out: g, conditioning: request.conditioning });
          if (squared) await b.lincomb(next, [[1, next], [2 * alpha, g]]);
          else {
            // ∇‖r‖ = ∇‖r‖²/(2‖r‖) = −JᵀAᵀr/‖r‖
            await rows!.dot(r, r, rr);
            await b.map(INV_SQRT, inv, [rr]); // (maps never write what they read)
            await rowsD!.broadcast(inv, scale);
            await b.map(SCALE_ROWS, v, [g, scale]);
            await b.lincomb(next, [[1, next], [alpha, v]]);
          }
          // 3. projection onto A x = y_s, y_s = √ᾱ_s y + √(1 − ᾱ_s) A ε
          await b.fillNormal(noise, request.key, {
            step: k,
            purpose: PHILOX_PURPOSES.guidanceAux,
            offset,
          });
          await op.apply(noise, ys);
          await op.apply(next, r);
          await b.lincomb(r, [[1, r], [-Math.sqrt(abS), yRows], [-Math.sqrt(1 - abS), ys]]);
          await applyPseudoInverse(op, r, v);
          await b.lincomb(x, [[1, next], [-1, v]]);
          await run.checkFinite(x, { step: k, time: s, quantity: "x" });
          await reportStep(request, b, x, { step: k, t, tNext: s, row });
        }
      } finally {
        rows?.release();
        rowsD?.release();
      }
      return x;
    });
    return { samples, nfe: 2 * steps };
  },
});
