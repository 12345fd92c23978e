// The gmm_denoise WGSL kernel against its float64 twin, and the GPU path of gaussianMixture().
import assert from "node:assert/strict";
import { createBackend, fillNormal, makeKey, WebGpuBackend } from "../../kernels/mod.ts";
import {
  GMM_STORE_MAX,
  gmmDenoiseCpu,
  gmmDenoiseSource,
  packGmm,
} from "../../kernels/gmm_denoise.ts";
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
  for (const k of [0, 2.5, -1, NaN]) {
    assert.throws(() => gmmDenoiseSource(k), { name: "SdenoRangeError", message: /k must be/ });
  }
});

/** The unit in the last place of an f32 in the binade of `v` (a float64). */
function ulp32(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

// The kernel computes in double-f32 from its inputs to the output and rounds once (see
// gmm_denoise.wgsl), so each output is the correctly rounded exact value: within half an ulp of
// the float64 twin on the same inputs (x and the mixture rounded to f32; α, σ and the basis in
// float64, which the kernel gets as f32 hi + lo: a kernel that rounds them to f32 is off by up to
// ~1 ulp and fails here). The slack: 2⁻⁸ of that half ulp for the twin's own rounding near a tie, and 2⁻³⁶ of the basis scale
// for an output much smaller than the terms it is made of. The kernel of 0ccb2ae (plain f32 with
// the reference-component form) was off by up to 1.6e5 ulp here, even against a twin given its
// f32 α, σ and basis (2.1e-5 of the scale at d = 16);
// the one of 87f4a87 (f32 logits) by more. Grid: both schedules from the largest σ (EDM 80, VP
// α = 0.006) to the smallest, every kind, K = 8, d = 2, 3 and 16, unequal variances (so the log
// of the variance ratio is exercised). d = 3 does not divide the backend's chunk, so it also checks
// that predict runs the kernel on a batch of one chunk: it used to fall back to the host's float64
// evaluation with the unrounded mixture, off from this twin by up to 3.7e4 ulp.
Deno.test(
  {
    name: "gmm_denoise kernel is correctly rounded against its float64 twin (K = 8, d = 2, 3, 16)",
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    let checked = 0, exact = 0;
    for (const d of [2, 3, 16]) {
      for (const schedule of [edmSchedule(), vpLinearSchedule()]) {
        const gm = gaussianMixture(mixture(d), schedule);
        const times = schedule.name === "edm" ? [80, 20, 2, 0.3, 0.002] : [1, 0.5, 0.1, 1e-3];
        const gmm = packGmm(gm.weights, gm.means, gm.variances).map(f32);
        for (const t of times) {
          const n = d === 16 ? 128 : 512;
          const x = points(n, d, schedule.alpha(t) * 2 + schedule.sigma(t), 7 + d).map(f32);
          const xg = gpu.upload(x);
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
              alpha: schedule.alpha(t),
              sigma: schedule.sigma(t),
              ca: a,
              cb: b,
            });
            const scale = Math.max(1, Math.abs(a), Math.abs(b));
            for (let i = 0; i < ref.length; i++) {
              const err = Math.abs(got[i]! - ref[i]!);
              const bound = 0.5 * ulp32(ref[i]!) * (1 + 2 ** -8) + 2 ** -36 * scale;
              assert.ok(
                err <= bound,
                `${schedule.name} d=${d} t=${t} ${kind} [${i}]: ${got[i]} vs ${ref[i]} ` +
                  `(${err / ulp32(ref[i]!)} ulp)`,
              );
              checked++;
              if (got[i] === f32(ref[i]!)) exact++;
            }
            gpu.release(og);
          }
          gpu.release(xg);
        }
      }
    }
    // seen: every output equal to the twin rounded to f32
    assert.ok(exact >= checked - 10, `${checked - exact} of ${checked} not the rounded twin`);
  },
);

// Mesa's shader compiler (NIR, under llvmpipe and other Mesa drivers) folds (a + b) − a to b,
// which zeroes Knuth's two-sum error term; the kernel fences every intermediate of its
// error-free transforms through an OR with the uniform p.zero. This runs the kernel's own
// two_sum and two_prod (Dekker's split product: WGSL's fma is not fused on llvmpipe) on the
// device and asks for the exact rounding errors, computed here in float64.
const EFT_PROBE = `
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.rows) { return; }
  let a = x[2u * i];
  let b = x[2u * i + 1u];
  let s = two_sum(a, b);
  let q = two_prod(a, b);
  out[4u * i] = s.x;
  out[4u * i + 1u] = s.y;
  out[4u * i + 2u] = q.x;
  out[4u * i + 3u] = q.y;
}`;

Deno.test(
  { name: "gmm_denoise's error-free transforms survive the shader compiler", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const ctx = gpu.ctx;
    // the kernel's source up to its entry point, then the probe's
    const full = gmmDenoiseSource(1);
    const entry = full.indexOf("@compute");
    assert.ok(entry > 0 && full.indexOf("@compute", entry + 1) < 0);
    const source = full.slice(0, entry);
    const pipeline = await ctx.pipeline("test:gmm_eft", source + EFT_PROBE, [
      "storage",
      "read",
      "read",
      "uniform",
    ]);
    const n = 4096;
    const z = new Float64Array(2 * n);
    fillNormal(z, makeKey(3, 1));
    // a of size ~1, b from ~1 down to ~1e-6 of it: sums and products with nonzero errors
    const x = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = z[2 * i]!;
      x[2 * i + 1] = z[2 * i + 1]! * 2 ** -(i % 20);
    }
    const xb = ctx.acquire(x.byteLength), ob = ctx.acquire(16 * n), gb = ctx.acquire(16);
    ctx.write(xb, 0, x);
    const raw = new ArrayBuffer(48);
    new Uint32Array(raw).set([n, 1, 1, 0]);
    ctx.dispatch(pipeline, [ob, xb, gb], raw, Math.ceil(n / 256));
    const o = new Float32Array(await ctx.read(ob, 0, 16 * n));
    let nonzero = 0;
    for (let i = 0; i < n; i++) {
      const a = x[2 * i]!, b = x[2 * i + 1]!;
      // a + b and a·b of two f32 are exact in float64 (25 and 48 bits)
      assert.equal(o[4 * i], f32(a + b));
      assert.equal(o[4 * i + 1], a + b - f32(a + b), `two_sum(${a}, ${b})`);
      assert.equal(o[4 * i + 2], f32(a * b));
      assert.equal(o[4 * i + 3], a * b - f32(a * b), `two_prod(${a}, ${b})`);
      if (o[4 * i + 1] !== 0) nonzero++;
    }
    assert.ok(nonzero > n / 2, `${nonzero}`);
    ctx.recycle(xb);
    ctx.recycle(ob);
    ctx.recycle(gb);
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

// Above GMM_STORE_MAX components the kernel recomputes each weight where it is used instead of
// keeping K of them in a private array (llvmpipe took 76 s to compile that array at K = 1024):
// the same operations, so the outputs are still the correctly rounded twin's. At d = 2, the
// dimension of the reference runs, and d = 5.
Deno.test(
  {
    name: `gmm_denoise kernel with more than ${GMM_STORE_MAX} components is correctly rounded too`,
    ...GPU_TEST,
  },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const K = GMM_STORE_MAX + 16;
    let checked = 0;
    for (const d of [2, 5]) {
      const wsum = (n: number) =>
        Array.from({ length: n }, (_, k) => 1 + (k % 7)).reduce((a, b) => a + b);
      const spec: GaussianMixtureSpec = {
        // 1 + (k mod 7), normalised: Σ = 314 for K = 80
        weights: Array.from({ length: K }, (_, k) => (1 + (k % 7)) / wsum(K)),
        means: Array.from(
          { length: K },
          (_, k) => Array.from({ length: d }, (_, j) => Math.sin(k + 5 * j)),
        ),
        variances: Array.from(
          { length: K },
          (_, k) => Array.from({ length: d }, (_, j) => 0.02 + 0.01 * ((k + j) % 3)),
        ),
      };
      const schedule = vpLinearSchedule();
      const gm = gaussianMixture(spec, schedule);
      const gmm = packGmm(gm.weights, gm.means, gm.variances).map(f32);
      for (const t of [0.9, 0.3, 0.05]) {
        const x = points(256, d, schedule.alpha(t) + schedule.sigma(t), 3).map(f32);
        const og = gpu.zeros(x.length);
        await gm.predict(gpu.upload(x), t, og, { kind: "x0" });
        const got = await gpu.download(og);
        const ref = new Float64Array(x.length);
        gmmDenoiseCpu(ref, x, gmm, {
          k: K,
          d,
          alpha: schedule.alpha(t),
          sigma: schedule.sigma(t),
          ca: 1,
          cb: 0,
        });
        for (let i = 0; i < ref.length; i++) {
          const err = Math.abs(got[i]! - ref[i]!);
          assert.ok(
            err <= 0.5 * ulp32(ref[i]!) * (1 + 2 ** -8) + 2 ** -36,
            `d=${d} t=${t} [${i}]: ${got[i]} vs ${ref[i]}`,
          );
          checked++;
        }
      }
    }
    assert.equal(checked, 3 * 256 * (2 + 5));
    assert.ok(gmmDenoiseSource(K).includes("const GMM_STORE: bool = false;"));
    assert.ok(gmmDenoiseSource(GMM_STORE_MAX).includes("const GMM_STORE: bool = true;"));
  },
);
