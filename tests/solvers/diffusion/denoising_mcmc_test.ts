import assert from "node:assert/strict";
import { createBackend, fillNormal, fillUniform } from "../../../kernels/mod.ts";
import { denoiserFromNative } from "../../../models/denoiser.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { vpLinearSchedule } from "../../../processes/vp_linear_schedule.ts";
import {
  denoisingMcmc,
  denoisingMcmcSample,
  noiseLevelScore,
} from "../../../solvers/diffusion/denoising_mcmc.ts";
import { diffusionMethods } from "../../../solvers/diffusion/registry.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { ksTest } from "../../../stats/kolmogorov_smirnov.ts";
import { normalCdf } from "../../../stats/normal_cdf.ts";
import { NOISE, SPEC } from "./_fixture.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { wasserstein1d } from "../../../stats/wasserstein_1d.ts";

// A two-mode 1-D mixture: its noised marginal at σ̃ = σ/α is Σ w N(μ, v + σ̃²) in x̃ = x/α.
const S = vpLinearSchedule();
const W = [0.3, 0.7], MU = [-2, 1.5], V = [0.09, 0.25];
const GM = gaussianMixture({
  weights: W,
  means: MU.map((m) => [m]),
  variances: V.map((v) => [v]),
}, S);
const cpu = await createBackend("cpu");
const LEVELS = timeGrid(S, 31, { kind: "logSNR" });

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((p, q) => p + q, 0) / a.length;
const sd = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(Array.from(a).reduce((p, q) => p + (q - m) ** 2, 0) / (a.length - 1));
};

/** n exact draws of the data mixture (Philox, user purpose 0). */
function exactData(n: number, seed: number): Float64Array {
  const u = new Float64Array(n), z = new Float64Array(n);
  fillUniform(u, { seed, stream: 0 });
  fillNormal(z, { seed, stream: 1 });
  return u.map((ui, i) => {
    const c = ui < W[0]! ? 0 : 1;
    return MU[c]! + Math.sqrt(V[c]!) * z[i]!;
  });
}

Deno.test("noiseLevelScore() is d/du of the exact log density of the noised ring mixture", async () => {
  // log p̃_σ̃(x̃) = log Σ_k w_k N(x̃; μ_k, (v_k + σ̃²) I) in closed form; its derivative in
  // u = log σ̃ by a central difference (step 1e-4, error ~1e-8 relative) at fixed x̃.
  const ring = gaussianMixture(SPEC, S);
  const logP = (xt: readonly number[], st: number) => {
    let acc = 0;
    SPEC.weights.forEach((w, k) => {
      let l = Math.log(w);
      for (let j = 0; j < 2; j++) {
        const q = SPEC.variances[k]![j]! + st * st;
        l -= 0.5 * ((xt[j]! - SPEC.means[k]![j]!) ** 2 / q + Math.log(2 * Math.PI * q));
      }
      acc += Math.exp(l);
    });
    return Math.log(acc);
  };
  for (const t of [0.02, 0.1, 0.4, 0.9]) {
    const a = S.alpha(t), st = S.sigma(t) / a;
    const xt = Array.from(NOISE.subarray(0, 32), (v) => 2 * v);
    const g = await noiseLevelScore(ring, cpu.upload(xt.map((v) => a * v)), t);
    for (let i = 0; i < 16; i++) {
      const p = [xt[2 * i]!, xt[2 * i + 1]!], e = 1e-4;
      const fd = (logP(p, st * Math.exp(e)) - logP(p, st * Math.exp(-e))) / (2 * e);
      assert.ok(Math.abs(g[i]! - fd) < 1e-6 * Math.max(1, Math.abs(fd)), `t ${t} row ${i}`);
    }
  }
});

/** KS p-value of the PIT, |z| of the standardised first two moments, z of the level chi-square. */
function chainChecks(r: { x: Float64Array; level: Int32Array; times: number[] }) {
  const n = r.level.length;
  const pit = new Float64Array(n), std = new Float64Array(n);
  const counts = new Array<number>(LEVELS.length).fill(0);
  for (let i = 0; i < n; i++) {
    const k = r.level[i]!;
    counts[k]!++;
    const t = r.times[k]!, a = S.alpha(t), st = S.sigma(t) / a, xt = r.x[i]! / a;
    let f = 0, m1 = 0, m2 = 0;
    for (let c = 0; c < 2; c++) {
      const q = V[c]! + st * st;
      f += W[c]! * normalCdf((xt - MU[c]!) / Math.sqrt(q));
      m1 += W[c]! * MU[c]!;
      m2 += W[c]! * (q + MU[c]! ** 2);
    }
    pit[i] = f;
    std[i] = (xt - m1) / Math.sqrt(m2 - m1 * m1); // exact mean 0, variance 1 given the level
  }
  // F_t(x̃) is uniform when x̃ | t is right, whatever the level
  const ks = ksTest(pit, (v) => v);
  // standardised moments: mean 0, second moment 1, z with the sample's own SE
  const z1 = mean(std) / (sd(std) / Math.sqrt(n));
  const sq = std.map((v) => v * v);
  const z2 = (mean(sq) - 1) / (sd(sq) / Math.sqrt(n));
  // levels: uniform prior; chi-square standardised by its mean df and sd sqrt(2 df)
  const e = n / LEVELS.length, df = LEVELS.length - 1;
  const chi = counts.reduce((p, c) => p + (c - e) ** 2 / e, 0);
  return { p: ks.pValue, z1, z2, zChi: (chi - df) / Math.sqrt(2 * df) };
}

Deno.test("denoisingMcmc(): x̃ | t follows the exact noised marginal and t the prior (2000 chains)", async () => {
  // |z| < 4 throughout (KS: p > 6.3e-5, the two-sided normal tail at 4). Measured at seed 1:
  // p 0.33, z 1.3 / 0.6, chi-square z 0.9. The same checks reject chains stopped after 8 sweeps
  // (still coming down from the top level: p 5e-10, z₂ 9.7, chi-square z 173).
  const n = 2000;
  const opts = { chains: n, times: LEVELS, key: { seed: 1, stream: 0 } };
  const r = await denoisingMcmc(GM, cpu, { ...opts, sweeps: 50 });
  const c = chainChecks(r);
  assert.ok(c.p > 6.3e-5, `KS p ${c.p}`);
  assert.ok(Math.abs(c.z1) < 4 && Math.abs(c.z2) < 4, `z ${c.z1}, ${c.z2}`);
  assert.ok(Math.abs(c.zChi) < 4, `chi-square z ${c.zChi}`);
  assert.equal(r.vjps, 50 * 32);
  const early = chainChecks(await denoisingMcmc(GM, cpu, { ...opts, sweeps: 8 }));
  assert.ok(early.p < 6.3e-5 && early.z2 > 4 && early.zChi > 4, JSON.stringify(early));
});

Deno.test("denoisingMcmc(): a shard of the chains (pathOffset) reproduces its rows bit for bit", async () => {
  const opts = { sweeps: 4, times: LEVELS, key: { seed: 4, stream: 2 } };
  const whole = await denoisingMcmc(GM, cpu, { ...opts, chains: 40 });
  const seen: number[] = [];
  const part = await denoisingMcmc(GM, cpu, {
    ...opts,
    chains: 15,
    pathOffset: 25,
    onSweep: ({ sweep, level }) => {
      seen.push(sweep);
      assert.equal(level.length, 15);
    },
  });
  assert.deepEqual(part.x, whole.x.subarray(25));
  assert.deepEqual(part.level, whole.level.subarray(25));
  assert.deepEqual(seen, [0, 1, 2, 3]);
});

Deno.test("denoisingMcmcSample(): MCMC then DPM-Solver++ samples the data mixture (SW within the exact-vs-exact band, KS)", async () => {
  // Band: W2 (the 1-D sliced Wasserstein) between two independent exact samples of the same sizes,
  // 12 replicates; the pipeline's W2 to an exact sample must be below their mean + 4 sd (measured
  // 0.13 ± 0.045: W2 between two 2000-point samples of a two-mode mixture is dominated by the
  // few points in the gap between the modes, hence the wide band; the KS test below is sharper).
  const n = 2000;
  const r = await denoisingMcmcSample(GM, cpu, {
    chains: n,
    sweeps: 30,
    times: LEVELS,
    key: { seed: 2, stream: 0 },
    method: diffusionMethods.get("dpmsolver++"),
    steps: 20,
  });
  assert.ok(r.solverNfe > 0);
  const w = wasserstein1d(r.x, exactData(n, 100));
  const nulls = Array.from(
    { length: 12 },
    (_, i) => wasserstein1d(exactData(n, 200 + 2 * i), exactData(n, 201 + 2 * i)),
  );
  const band = mean(nulls) + 4 * sd(nulls);
  assert.ok(w < band, `W1 ${w} vs band ${band} (null mean ${mean(nulls)})`);
  // the exact marginal at tEnd (KS, p > 6.3e-5; measured p 0.47, W2 0.26 against a band of 0.31)
  const te = timeGrid(S, 1)[1]!, a = S.alpha(te), sg = S.sigma(te);
  const cdf = (x: number) =>
    W.reduce(
      (p, w, c) => p + w * normalCdf((x - a * MU[c]!) / Math.sqrt(a * a * V[c]! + sg * sg)),
      0,
    );
  const ks = ksTest(r.x, cdf);
  assert.ok(ks.pValue > 6.3e-5, `KS D ${ks.statistic}, p ${ks.pValue}`);
  // and the mode weights: the fraction below 0 is 0.3 (|z| < 4, binomial SE)
  const low = mean(Array.from(r.x, (v) => (v < 0 ? 1 : 0)));
  assert.ok(Math.abs(low - 0.3) / Math.sqrt(0.21 / n) < 4, `fraction ${low}`);
});

Deno.test("denoisingMcmc() rejects a model without vjp and bad options before any work", async () => {
  const noVjp = denoiserFromNative({
    dim: 1,
    schedule: S,
    kind: "eps",
    async predict(x, _t, out) {
      await x.backend.lincomb(out, [[0, x]]);
    },
  });
  await assert.rejects(() => denoisingMcmc(noVjp, cpu, { chains: 2 }), {
    name: "SdenoTypeError",
    message: /vjp/,
  });
  await assert.rejects(() => denoisingMcmc(GM, cpu, { chains: 0 }), { name: "SdenoRangeError" });
  await assert.rejects(() => denoisingMcmc(GM, cpu, { chains: 2, xStep: -1 }), {
    name: "SdenoRangeError",
    message: /xStep/,
  });
  await assert.rejects(() => denoisingMcmc(GM, cpu, { chains: 2, times: [0.1, 0.5] }), {
    name: "SdenoRangeError",
  });
  await assert.rejects(
    () => denoisingMcmc(GM, cpu, { chains: 2, times: [0.5, 0.1], levelWeights: [1] }),
    { name: "SdenoRangeError", message: /levelWeights must be 2/ },
  );
  await assert.rejects(
    () => denoisingMcmcSample(GM, cpu, { chains: 2, method: {} as never }),
    { name: "SdenoTypeError", message: /method/ },
  );
});

Deno.test({
  name: "noiseLevelScore() on webgpu (f32 model, host vjp) matches the cpu value",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const ring = gaussianMixture(SPEC, S);
    for (const t of [0.05, 0.5]) {
      const x = Array.from(NOISE.subarray(0, 64), (v) => 2 * v * S.alpha(t));
      const a = await noiseLevelScore(ring, cpu.upload(x), t);
      const b = await noiseLevelScore(ring, gpu.upload(x), t);
      for (let i = 0; i < 32; i++) {
        assert.ok(Math.abs(a[i]! - b[i]!) < 1e-4 * Math.max(1, Math.abs(a[i]!)), `t ${t} row ${i}`);
      }
    }
  },
});
