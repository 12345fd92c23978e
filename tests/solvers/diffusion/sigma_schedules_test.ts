// The practitioner σ schedules against ComfyUI's formulas run in float64 and diffusers' own
// schedulers (float32) on the same inputs: tests/fixtures/practitioner/schedules.json, made by
// make_schedules.py beside it.
import assert from "node:assert/strict";
import {
  alignYourStepsSigmas,
  betaSigmas,
  ddimUniformSigmas,
  discreteModelSigmas,
  flowMatchSigmas,
  klOptimalSigmas,
  linearQuadraticSigmas,
  normalSigmas,
  polyexponentialSigmas,
  sgmUniformSigmas,
  simpleSigmas,
} from "../../../solvers/diffusion/sigma_schedules.ts";
import { exponentialSigmas, karrasSigmas } from "../../../solvers/diffusion/k_sigmas.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";

const REF = JSON.parse(
  await Deno.readTextFile(
    new URL("../../fixtures/practitioner/schedules.json", import.meta.url),
  ),
);

/** Largest relative difference (denominator max(1e-300, |b|)); lengths must agree. */
function maxRel(a: readonly number[], b: readonly number[], label: string): number {
  assert.equal(a.length, b.length, `${label}: length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    m = Math.max(m, b[i] === 0 ? d : d / Math.abs(b[i]!));
  }
  return m;
}

Deno.test("discreteModelSigmas() are Stable Diffusion's σ range", () => {
  const m = discreteModelSigmas();
  assert.ok(Math.abs(m.sigmaMin - REF.sdSigmaMin) <= 1e-15 * REF.sdSigmaMin);
  assert.ok(Math.abs(m.sigmaMax - REF.sdSigmaMax) <= 1e-14 * REF.sdSigmaMax);
});

Deno.test("every ComfyUI schedule equals ComfyUI's formula in float64 to 1e-12 relative", () => {
  const sd = discreteModelSigmas();
  const make: Record<string, (n: number) => number[]> = {
    simple: (n) => simpleSigmas(n),
    normal: (n) => normalSigmas(n),
    sgm_uniform: (n) => sgmUniformSigmas(n),
    ddim_uniform: (n) => ddimUniformSigmas(n),
    beta: (n) => betaSigmas(n),
    linear_quadratic: (n) => linearQuadraticSigmas(n),
    ays_sd15: (n) => alignYourStepsSigmas(n, { model: "sd15" }),
    ays_sdxl: (n) => alignYourStepsSigmas(n, { model: "sdxl" }),
    ays_svd: (n) => alignYourStepsSigmas(n, { model: "svd" }),
    polyexponential: (n) => polyexponentialSigmas(n, { rho: 2 }),
    kl_optimal: (n) => klOptimalSigmas(n, { sigmaMin: sd.sigmaMin, sigmaMax: sd.sigmaMax }),
  };
  let checked = 0;
  for (const [key, ref] of Object.entries(REF.comfy as Record<string, number[]>)) {
    const m = /^(.*)_(\d+)$/.exec(key)!;
    const f = make[m[1]!];
    if (!f) continue;
    const e = maxRel(f(Number(m[2])), ref, key);
    assert.ok(e <= 1e-12, `${key}: ${e}`);
    checked++;
  }
  assert.equal(checked, 54);
  const b = betaSigmas(12, { alpha: 0.3, beta: 0.9 });
  assert.ok(maxRel(b, REF.comfy["beta_a0.3_b0.9_12"], "beta 0.3/0.9") <= 1e-12);
  const lq = linearQuadraticSigmas(9, { thresholdNoise: 0.05, linearSteps: 3 });
  assert.ok(maxRel(lq, REF.comfy["linear_quadratic_thr0.05_lin3_9"], "lq") <= 1e-12);
});

Deno.test("karras, exponential and flow-shift grids equal diffusers' schedulers to float32 rounding (1e-6)", () => {
  for (const n of [5, 20]) {
    // diffusers' model σ's come from float32 β's (σ_min 1.3e-5 off the float64 one): take its ends
    const kRef: number[] = REF.diffusers[`euler_karras_${n}`],
      xRef = REF.diffusers[`euler_exponential_${n}`];
    const range = { sigmaMin: kRef[n - 1]!, sigmaMax: kRef[0]! };
    const k = maxRel(karrasSigmas(n, range), kRef, "karras");
    const x = maxRel(exponentialSigmas(n, range), xRef, "exp");
    assert.ok(k <= 1e-6 && x <= 1e-6, `n ${n}: karras ${k}, exponential ${x}`);
  }
  for (const shift of [1, 3]) {
    for (const n of [5, 28]) {
      const e = maxRel(
        flowMatchSigmas(n, { shift }),
        REF.diffusers[`flow_shift${shift}_${n}`],
        "f",
      );
      assert.ok(e <= 1e-6, `shift ${shift}, n ${n}: ${e}`);
    }
  }
});

Deno.test("the schedules refuse bad input before any work, naming the argument", () => {
  assert.throws(() => simpleSigmas(0), SdenoRangeError);
  assert.throws(() => normalSigmas(2.5), SdenoTypeError);
  assert.throws(() => klOptimalSigmas(1), /n/);
  assert.throws(() => klOptimalSigmas(5, { sigmaMin: 2, sigmaMax: 1 }), /sigmaMin < sigmaMax/);
  assert.throws(() => betaSigmas(5, { alpha: 0 }), /alpha and beta must be positive/);
  assert.throws(
    () => alignYourStepsSigmas(5, { model: "sd3" as "sd15" }),
    /model must be sd15, sdxl or svd, got "sd3"/,
  );
  assert.throws(() => linearQuadraticSigmas(5, { linearSteps: 5 }), /linearSteps must be below/);
  assert.throws(() => linearQuadraticSigmas(5, { thresholdNoise: 1 }), /thresholdNoise/);
  assert.throws(() => flowMatchSigmas(5, { shift: -1 }), /shift must be positive/);
  assert.throws(() => polyexponentialSigmas(5, { rho: 0 }), /rho must be positive/);
  assert.throws(() => discreteModelSigmas({ linearEnd: 1.5 }), /linearEnd must lie in \(0, 1\)/);
  assert.throws(
    () => simpleSigmas(4, { model: { sigmas: new Float64Array([1]), sigmaMin: 1, sigmaMax: 1 } }),
    /at least 2 positive/,
  );
});
