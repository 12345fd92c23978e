import assert from "node:assert/strict";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
import { vpCosineSchedule } from "../../processes/vp_cosine_schedule.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../../processes/vp_discrete_schedule.ts";
import { veSchedule } from "../../processes/ve_schedule.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { subVpSchedule } from "../../processes/sub_vp_schedule.ts";
import { rectifiedFlowSchedule } from "../../processes/rectified_flow_schedule.ts";

const DDPM = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
const ALL: NoiseSchedule[] = [
  vpLinearSchedule(),
  vpCosineSchedule(),
  DDPM,
  veSchedule(),
  edmSchedule(),
  subVpSchedule(),
  rectifiedFlowSchedule(),
];

function times(s: NoiseSchedule): number[] {
  return Array.from({ length: 9 }, (_, i) => s.tMin + (s.tMax - s.tMin) * (0.01 + 0.98 * i / 8));
}

Deno.test("schedules: λ = log α − log σ, tOfLogSnr inverts logSnr, and λ decreases", () => {
  for (const s of ALL) {
    let prev = Infinity;
    for (const t of times(s)) {
      const lam = s.logSnr(t);
      assert.ok(Math.abs(lam - (Math.log(s.alpha(t)) - Math.log(s.sigma(t)))) < 1e-12, s.name);
      assert.ok(Math.abs(s.logAlpha(t) - Math.log(s.alpha(t))) < 1e-14, s.name);
      assert.ok(Math.abs(s.tOfLogSnr(lam) - t) < 1e-10 * Math.max(1, t), `${s.name} t=${t}`);
      assert.ok(lam < prev, s.name);
      prev = lam;
    }
  }
});

Deno.test("schedules: f and g² match the marginals (α' = f α, (σ²)' = 2 f σ² + g²)", () => {
  for (const s of ALL) {
    for (const t of times(s)) {
      const e = 1e-6 * Math.max(t, 1e-3);
      if (s === DDPM) {
        // piecewise linear: differentiate inside the segment holding t
        const k = Math.floor(t * 1000 + 1e-9);
        if (Math.abs(t * 1000 - k) < 0.01 || Math.abs(t * 1000 - k - 1) < 0.01) continue;
      }
      const da = (s.alpha(t + e) - s.alpha(t - e)) / (2 * e);
      const ds2 = (s.sigma(t + e) ** 2 - s.sigma(t - e) ** 2) / (2 * e);
      const a = s.alpha(t), sg = s.sigma(t), f = s.drift(t), g2 = s.diffusion2(t);
      assert.ok(Math.abs(da - f * a) < 1e-5 * Math.max(1, Math.abs(da)), `${s.name} f at ${t}`);
      assert.ok(
        Math.abs(ds2 - (2 * f * sg * sg + g2)) < 1e-5 * Math.max(1, Math.abs(ds2)),
        `${s.name} g² at ${t}`,
      );
    }
  }
});

Deno.test("vpDiscreteSchedule() matches the reference values and rejects t below 1/N", () => {
  assert.equal(DDPM.totalSteps, 1000);
  assert.ok(Math.abs(DDPM.logSnr(1) + 5.05884) < 1e-5);
  assert.ok(Math.abs(DDPM.logSnr(1e-3) - 4.60512) < 1e-5);
  assert.ok(Math.abs(DDPM.sigma(1e-3) - 0.01) < 6e-15);
  // knots: log α(tₙ) = ½ Σ log(1 − βₘ)
  const b = ddpmLinearBetas();
  let acc = 0;
  for (let n = 0; n < 10; n++) acc += Math.log(1 - b[n]!);
  assert.ok(Math.abs(DDPM.logAlpha(0.01) - 0.5 * acc) < 1e-15);
  // linear between knots, model label 1000 (t − 1/N)
  const mid = DDPM.logAlpha(0.0105);
  assert.ok(Math.abs(mid - 0.5 * (DDPM.logAlpha(0.01) + DDPM.logAlpha(0.011))) < 1e-15);
  assert.ok(Math.abs(DDPM.modelLabel(0.5) - 499) < 1e-12);
  assert.throws(() => DDPM.sigma(1e-4), {
    name: "SdenoRangeError",
    message: /t must be >= 1\/N = 0\.001.*got "0\.0001"/,
  });
  assert.throws(() => vpDiscreteSchedule({ betas: [0.1, 1.5] }), {
    name: "SdenoRangeError",
    message: /betas\[1\] must be in \(0, 1\), got "1.5"/,
  });
  assert.throws(() => vpDiscreteSchedule({}), { name: "SdenoTypeError" });
  // alphasCumprod gives the same schedule
  const cum: number[] = [];
  let p = 1;
  for (const v of b) cum.push(p *= 1 - v);
  const s2 = vpDiscreteSchedule({ alphasCumprod: cum });
  assert.ok(Math.abs(s2.logSnr(0.3) - DDPM.logSnr(0.3)) < 1e-12);
});

Deno.test("vpDiscreteSchedule() clipLogSnr drops the knots below the clip, as DPM-Solver's numerical_clip_alpha", () => {
  // cosine-like betas reaching very low SNR at the end
  const n = 1000;
  const ac: number[] = [];
  for (let i = 1; i <= n; i++) {
    const f = (u: number) => Math.cos((u + 0.008) / 1.008 * Math.PI / 2) ** 2;
    ac.push(Math.max(f(i / n) / f(0), 1e-12));
  }
  const s = vpDiscreteSchedule({ alphasCumprod: ac, clipLogSnr: -5.1 });
  assert.ok(s.totalSteps < n);
  assert.ok(s.logSnr(1) >= -5.1);
});

Deno.test("vpLinearSchedule() and the others match their reference values", () => {
  const s = vpLinearSchedule();
  assert.ok(Math.abs(s.logSnr(1e-3) - 4.55771) < 1e-5);
  assert.ok(Math.abs(s.logSnr(1e-4) - 5.75151) < 1e-5);
  assert.ok(Math.abs(s.sigma(1e-3) - 0.0104854) < 1e-7);
  const c = vpCosineSchedule();
  assert.equal(c.tMax, 0.9946);
  const sub = subVpSchedule();
  assert.ok(Math.abs(sub.alpha(0.4) - s.alpha(0.4)) < 1e-15);
  const rf = rectifiedFlowSchedule();
  assert.equal(rf.sigma(0.3), 0.3);
  assert.throws(() => veSchedule({ sigmaMin: 2, sigmaMax: 1 }), { name: "SdenoRangeError" });
  assert.throws(() => vpCosineSchedule({ tMax: 1.2 }), { name: "SdenoRangeError" });
});
