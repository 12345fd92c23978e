import assert from "node:assert/strict";
import { createBackend } from "../../kernels/mod.ts";
import { gaussianMixture } from "../../models/gaussian_mixture.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../_gpu.ts";

// The 2-D ring of ../shared/refs/diffusion/gmm_spec.json (gmm2d_ring8): 8 components at radius 2,
// variance 0.04, weights (k+1)/36.
const RING = {
  weights: Array.from({ length: 8 }, (_, k) => (k + 1) / 36),
  means: Array.from(
    { length: 8 },
    (_, k) => [2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8)],
  ),
  variances: Array.from({ length: 8 }, () => [0.04, 0.04]),
};

/** log p_t(x) of the noised mixture, for a finite-difference score. */
function logDensity(x: number[], a: number, s: number): number {
  let p = 0;
  RING.weights.forEach((w, k) => {
    let e = 0, det = 1;
    for (let j = 0; j < 2; j++) {
      const q = a * a * RING.variances[k]![j]! + s * s;
      e += (x[j]! - a * RING.means[k]![j]!) ** 2 / q;
      det *= 2 * Math.PI * q;
    }
    p += w * Math.exp(-0.5 * e) / Math.sqrt(det);
  });
  return Math.log(p);
}

Deno.test("gaussianMixture() satisfies x = α x̂₀ + σ ε̂ and ε̂ = −σ ∇log p", async () => {
  const schedule = vpLinearSchedule();
  const gm = gaussianMixture(RING, schedule);
  const b = await createBackend("cpu");
  const pts = [[0.3, -1.2], [2.1, 0.4], [-3, 3], [0, 0]];
  for (const t of [0.01, 0.3, 0.9]) {
    const x = b.upload(pts.flat());
    const x0 = b.zeros(8), eps = b.zeros(8), score = b.zeros(8);
    await gm.predict(x, t, x0, { kind: "x0" });
    await gm.predict(x, t, eps, { kind: "eps" });
    await gm.predict(x, t, score, { kind: "score" });
    const [X0, E, S] = [await b.download(x0), await b.download(eps), await b.download(score)];
    const a = schedule.alpha(t), s = schedule.sigma(t);
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(a * X0[i]! + s * E[i]! - pts.flat()[i]!) < 1e-13);
      assert.ok(Math.abs(S[i]! + E[i]! / s) < 1e-12 * Math.max(1, Math.abs(S[i]!)));
    }
    // central differences of log p: O(h²) ≈ 1e-8 relative
    pts.forEach((p, i) => {
      for (let j = 0; j < 2; j++) {
        const h = 1e-5 * s;
        const up = [...p], dn = [...p];
        up[j]! += h;
        dn[j]! -= h;
        const fd = (logDensity(up, a, s) - logDensity(dn, a, s)) / (2 * h);
        assert.ok(Math.abs(fd - S[2 * i + j]!) < 1e-6 * Math.max(1, Math.abs(fd)), `t=${t}`);
      }
    });
  }
});

Deno.test(
  { name: "gaussianMixture() gives the same x̂₀ on cpu and webgpu", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const gm = gaussianMixture(RING, edmSchedule());
    const cpu = await createBackend("cpu");
    const pts = Float64Array.from({ length: 200 }, (_, i) => 3 * Math.sin(1.7 * i));
    const outC = cpu.zeros(200), outG = gpu.zeros(200);
    await gm.predict(cpu.upload(pts), 0.5, outC, { kind: "x0" });
    await gm.predict(gpu.upload(pts), 0.5, outG, { kind: "x0" });
    assert.ok(maxAbsDiff(await cpu.download(outC), await gpu.download(outG)) < 1e-5);
  },
);

Deno.test("gaussianMixture() rejects weights that do not sum to 1 and bad shapes", () => {
  assert.throws(
    () => gaussianMixture({ ...RING, weights: RING.weights.map((w) => 2 * w) }, edmSchedule()),
    {
      name: "SdenoRangeError",
      message: /weights must sum to 1/,
    },
  );
  assert.throws(
    () =>
      gaussianMixture(
        { ...RING, variances: [...RING.variances.slice(1), [0.04, -1]] },
        edmSchedule(),
      ),
    { name: "SdenoRangeError", message: /variances\[7\]\[1\] must be positive, got "-1"/ },
  );
  assert.throws(() => gaussianMixture({ ...RING, means: RING.means.slice(1) }, edmSchedule()), {
    name: "SdenoTypeError",
  });
});
