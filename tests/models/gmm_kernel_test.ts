// The gmm_denoise WGSL kernel against its float64 twin, and the GPU path of gaussianMixture().
import assert from "node:assert/strict";
import { createBackend, fillNormal, makeKey, WebGpuBackend } from "../../kernels/mod.ts";
import { gmmDenoiseCpu, packGmm } from "../../kernels/gmm_denoise.ts";
import { gaussianMixture, type GaussianMixtureSpec } from "../../models/gaussian_mixture.ts";
import { predictionBasis, type PredictionKind } from "../../models/denoiser.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
import { karrasSigmas, sampleDpmpp2m } from "../../solvers/diffusion/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

/** K = 8 components in d dimensions, unequal weights and per-dimension variances. */
function mixture(d: number): GaussianMixtureSpec {
  const K = 8;
  return {
    weights: Array.from({ length: K }, (_, k) => (k + 1) / 36),
    means: Array.from(
      { length: K },
      (_, k) => Array.from({ length: d }, (_, j) => 2 * Math.sin(k + 3 * j)),
    ),
    variances: Array.from(
      { length: K },
      (_, k) => Array.from({ length: d }, (_, j) => 0.04 + 0.01 * ((k + j) % 5)),
    ),
  };
}

/** n points of the noised mixture scale: α·(mean-ish) + noise, as a sampler meets them. */
function points(n: number, d: number, scale: number, seed: number): Float64Array {
  const z = new Float64Array(n * d);
  fillNormal(z, makeKey(seed, 0));
  return z.map((v) => scale * v);
}

const f32 = Math.fround;

const KINDS: PredictionKind[] = ["x0", "eps", "v", "score", "velocity"];

Deno.test("gmmDenoiseCpu() equals gaussianMixture().evaluate in float64 (K = 8, d = 2, 16)", () => {
  for (const d of [2, 16]) {
    const gm = gaussianMixture(mixture(d), vpLinearSchedule());
    const gmm = packGmm(gm.weights, gm.means, gm.variances);
    const x = points(50, d, 2, d);
    for (const [alpha, sigma] of [[0.9, 0.3], [0.05, 0.99]]) {
      const x0 = new Float64Array(x.length), eps = new Float64Array(x.length);
      gm.evaluate(x, alpha!, sigma!, { x0, eps });
      const a = new Float64Array(x.length), b = new Float64Array(x.length);
      gmmDenoiseCpu(a, x, gmm, { k: 8, d, alpha: alpha!, sigma: sigma!, ca: 1, cb: 0 });
      gmmDenoiseCpu(b, x, gmm, { k: 8, d, alpha: alpha!, sigma: sigma!, ca: 0, cb: 1 });
      for (let i = 0; i < x.length; i++) {
        assert.ok(Math.abs(a[i]! - x0[i]!) <= 1e-12 * (1 + Math.abs(x0[i]!)));
        assert.ok(Math.abs(b[i]! - eps[i]!) <= 1e-12 * (1 + Math.abs(eps[i]!)));
      }
    }
  }
});

Deno.test("gmmDenoiseCpu() and packGmm() reject bad shapes and aliasing", () => {
  const gmm = packGmm(new Float64Array([1]), new Float64Array([0, 0]), new Float64Array([1, 1]));
  const p = { k: 1, d: 2, alpha: 1, sigma: 1, ca: 1, cb: 0 };
  assert.throws(() => gmmDenoiseCpu(new Float64Array(3), new Float64Array(3), gmm, p), {
    name: "SdenoTypeError",
  });
  const x = new Float64Array(4);
  assert.throws(() => gmmDenoiseCpu(x, x, gmm, p), { name: "SdenoTypeError", message: /alias/ });
  assert.throws(
    () => packGmm(new Float64Array([1]), new Float64Array([0, 0]), new Float64Array([1])),
    { name: "SdenoTypeError" },
  );
});

// The f32 bound. The kernel never forms the logits l_k themselves: it measures each component
// against the component of largest logit, so the terms every component shares (Σ log q ≈ d·log σ²
// and x²/σ²) cancel analytically instead of in float32 (see gmm_denoise.wgsl). What is left is
// rounding in sums of d terms of the size of the logit differences, ~d·u relative to the output
// where those differences matter. The twin is given the kernel's float32 inputs (x, the mixture,
// α, σ and the basis rounded to f32), so input rounding is not counted. Stated bounds: 4e-6 (d = 2)
// and 6e-5 (d = 16) relative to max(1, |ref|, |a|, |b|) for a kind a x̂₀ + b ε̂ — 2-3x the largest
// error seen over both schedules, 4 times each, all 5 kinds and 512 points (1.2e-6 and 2.6e-5;
// the kernel that formed l_k had 2.0e-6 and 8.5e-5).
const F32_BOUND: Record<number, number> = { 2: 4e-6, 16: 6e-5 };

Deno.test(
  {
    name: "gmm_denoise kernel matches its float64 twin within the f32 bound (K = 8, d = 2, 16)",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    for (const d of [2, 16]) {
      for (const schedule of [edmSchedule(), vpLinearSchedule()]) {
        const gm = gaussianMixture(mixture(d), schedule);
        const times = schedule.name === "edm" ? [80, 2, 0.3, 0.002] : [1, 0.5, 0.1, 1e-3];
        for (const t of times) {
          // the twin sees the kernel's float32 inputs, so what remains is the kernel's own error
          const x = points(512, d, schedule.alpha(t) * 2 + schedule.sigma(t), 7 + d).map(f32);
          const xg = gpu.upload(x);
          const gmm = packGmm(gm.weights, gm.means, gm.variances).map(f32);
          for (const kind of KINDS) {
            const og = gpu.zeros(x.length);
            await gm.predict(xg, t, og, { kind });
            const got = await gpu.download(og);
            // the twin, with the kind's basis: out = a x̂₀ + b ε̂
            const [a, b] = predictionBasis(schedule, { kind, t });
            const ref = new Float64Array(x.length);
            gmmDenoiseCpu(ref, x, gmm, {
              k: 8,
              d,
              alpha: f32(schedule.alpha(t)),
              sigma: f32(schedule.sigma(t)),
              ca: f32(a),
              cb: f32(b),
            });
            // score = −ε/σ and velocity scale with 1/σ: compare relative to the basis scale
            const scale = Math.max(1, Math.abs(a), Math.abs(b));
            let worst = 0;
            for (let i = 0; i < ref.length; i++) {
              worst = Math.max(
                worst,
                Math.abs(got[i]! - ref[i]!) / Math.max(scale, Math.abs(ref[i]!)),
              );
            }
            if (Deno.env.get("GMM_KERNEL_VERBOSE")) console.log(schedule.name, d, t, kind, worst);
            assert.ok(worst < F32_BOUND[d]!, `${schedule.name} d=${d} t=${t} ${kind}: ${worst}`);
            gpu.release(og);
          }
          gpu.release(xg);
        }
      }
    }
  },
);

Deno.test(
  {
    name: "gmm_denoise kernel keeps its float32 accuracy at large σ (d = 16, EDM σ = 80 and 20)",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    // At σ = 80 every logit carries ~d·log σ² ≈ 140 and x²/σ² ≈ d, shared by all components; a
    // kernel that adds them up in float32 before the softmax loses the differences (x̂₀ off by
    // 1.7e-5 relative here). Measured against the component of largest logit, x̂₀ and v stay
    // within 2e-6 (seen: 6e-7).
    const d = 16, schedule = edmSchedule();
    const gm = gaussianMixture(mixture(d), schedule);
    const gmm = packGmm(gm.weights, gm.means, gm.variances).map(f32);
    for (const t of [80, 20]) {
      const x = points(512, d, schedule.alpha(t) * 2 + schedule.sigma(t), 5).map(f32);
      const xg = gpu.upload(x);
      for (const kind of ["x0", "v"] as const) {
        const og = gpu.zeros(x.length);
        await gm.predict(xg, t, og, { kind });
        const got = await gpu.download(og);
        const [a, b] = predictionBasis(schedule, { kind, t });
        const ref = new Float64Array(x.length);
        gmmDenoiseCpu(ref, x, gmm, {
          k: 8,
          d,
          alpha: f32(schedule.alpha(t)),
          sigma: f32(schedule.sigma(t)),
          ca: f32(a),
          cb: f32(b),
        });
        const scale = Math.max(1, Math.abs(a), Math.abs(b));
        let worst = 0;
        for (let i = 0; i < ref.length; i++) {
          worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / Math.max(scale, Math.abs(ref[i]!)));
        }
        assert.ok(worst < 2e-6, `σ = ${t} ${kind}: ${worst}`);
        gpu.release(og);
      }
      gpu.release(xg);
    }
  },
);

Deno.test(
  {
    name: "gaussianMixture() on webgpu: chunked arrays, in-place out, and the host fallback",
    ...GPU_TEST,
  },
  async () => {
    const probe = await gpuBackend();
    if (!probe) return;
    const d = 16, n = 100;
    const gm = gaussianMixture(mixture(d), edmSchedule());
    const x = points(n, d, 3, 3);
    const ref = new Float64Array(x.length);
    gm.evaluate(x, 1, 0.7, { x0: ref });
    // 64-element chunks (4 rows each): rows stay whole; 40-element chunks: host fallback
    for (const maxChunkBytes of [256, 160]) {
      const gpu = await gpuBackend({ maxChunkBytes });
      const xs = gpu!.upload(x);
      await gm.predict(xs, 0.7, xs, { kind: "x0" }); // in place
      const got = await gpu!.download(xs);
      for (let i = 0; i < x.length; i++) {
        assert.ok(Math.abs(got[i]! - ref[i]!) < 2e-5 * Math.max(1, Math.abs(ref[i]!)), `${i}`);
      }
      gpu!.release(xs);
    }
  },
);

Deno.test(
  { name: "gaussianMixture() sampling on webgpu reads nothing back until the end", ...GPU_TEST },
  async () => {
    const shared = await gpuBackend();
    if (!shared) return;
    const gpu = (await WebGpuBackend.create())!;
    try {
      const d = 16;
      const gm = gaussianMixture(mixture(d), edmSchedule());
      const z = points(1024, d, 80, 11);
      let reads = 0;
      const read = gpu.ctx.read.bind(gpu.ctx);
      gpu.ctx.read = (...args) => {
        reads++;
        return read(...args);
      };
      const sigmas = karrasSigmas(10);
      const r = await sampleDpmpp2m(gm, gpu.upload(z), sigmas, { checkFinite: false });
      assert.equal(reads, 0);
      assert.equal(r.nfe, 10);
      const got = await gpu.download(r.x);
      assert.equal(reads, 1);
      const cpu = await createBackend("cpu");
      const rc = await sampleDpmpp2m(gm, cpu.upload(z), sigmas);
      const ref = await cpu.download(rc.x);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) {
        worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
      }
      // trajectories that sit between modes amplify f32 rounding; 1e-3 is far below the spread
      assert.ok(worst < 1e-3, `${worst}`);
    } finally {
      gpu.destroy();
    }
  },
);
