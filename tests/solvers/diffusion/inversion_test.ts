import assert from "node:assert/strict";
import { createBackend, type DeviceArray } from "../../../kernels/mod.ts";
import type { Denoiser, PredictRequest } from "../../../models/denoiser.ts";
import { gaussianMixture } from "../../../models/gaussian_mixture.ts";
import { ddim } from "../../../solvers/diffusion/ddim.ts";
import { ddpm } from "../../../solvers/diffusion/ddpm.ts";
import {
  ddimInversion,
  dpmEncoder,
  editFriendlyInversion,
  replayNoise,
  skipSteps,
} from "../../../solvers/diffusion/inversion.ts";
import { timeGrid } from "../../../solvers/diffusion/time_grids.ts";
import { LINEAR, NOISE, SPEC } from "./_fixture.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
};

// 32 points of the 2-D ring mixture (refs §3.2): DDIM from the fixture's first 32 noise rows on a
// fine logSNR grid, so the points lie on the data manifold (inverting points far off it is
// ill-conditioned: the ODE contracts them onto the modes).
const cpu = await createBackend("cpu");
const RING = gaussianMixture(SPEC, LINEAR);
const DATA = await cpu.download(
  (await ddim(RING, cpu.upload(NOISE.subarray(0, 64)), timeGrid(LINEAR, 500, { kind: "logSNR" })))
    .x,
);

Deno.test("editFriendlyInversion() and dpmEncoder(): the sampler replaying the noise reproduces x0 to 1e-10", async () => {
  const cases = [
    { steps: 10, kind: "uniform", eta: 1 },
    { steps: 50, kind: "logSNR", eta: 1 },
    { steps: 25, kind: "quadratic", eta: 0.4 },
  ] as const;
  for (const invert of [editFriendlyInversion, dpmEncoder]) {
    for (const c of cases) {
      const grid = timeGrid(LINEAR, c.steps, { kind: c.kind });
      const inv = await invert(RING, cpu.upload(DATA), grid, {
        eta: c.eta,
        key: { seed: 7, stream: 1 },
      });
      assert.equal(inv.noiseMaps.length, c.steps);
      assert.equal(inv.nfe, c.steps);
      const back = await ddim(RING, inv.xT, grid, { eta: c.eta, noise: inv.noise });
      const err = maxAbs(await cpu.download(back.x), DATA);
      assert.ok(err < 1e-10, `${invert.name} ${JSON.stringify(c)}: ${err}`);
      if (c.eta === 1) { // ancestral DDPM (posterior variance) is DDIM with η = 1
        const d = await ddpm(RING, inv.xT, grid, { noise: inv.noise });
        assert.ok(maxAbs(await cpu.download(d.x), DATA) < 1e-10);
      }
    }
  }
});

Deno.test("editFriendlyInversion() noises independently, dpmEncoder() along the posterior chain", async () => {
  // Edit-friendly: x_T = α_T x0 + σ_T ε̃_0 for both; with ε̃ and ξ the same keyed draws the two
  // start points agree, and their noise maps differ (different chains).
  const grid = timeGrid(LINEAR, 8);
  const key = { seed: 3, stream: 0 };
  const a = await editFriendlyInversion(RING, cpu.upload(DATA), grid, { key });
  const b = await dpmEncoder(RING, cpu.upload(DATA), grid, { key });
  assert.deepEqual(await cpu.download(a.xT), await cpu.download(b.xT));
  assert.ok(maxAbs(a.noiseMaps[3]!, b.noiseMaps[3]!) > 0.1);
});

Deno.test("editFriendlyInversion(): a shard (pathOffset) gets the whole run's maps for its rows", async () => {
  const grid = timeGrid(LINEAR, 6);
  const key = { seed: 9, stream: 2 };
  const whole = await editFriendlyInversion(RING, cpu.upload(DATA), grid, { key });
  const part = await editFriendlyInversion(RING, cpu.upload(DATA.subarray(20, 64)), grid, {
    key,
    pathOffset: 10,
  });
  for (let i = 0; i < 6; i++) {
    assert.deepEqual(part.noiseMaps[i], whole.noiseMaps[i]!.subarray(20));
  }
  const back = await ddim(RING, part.xT, grid, { eta: 1, noise: part.noise, pathOffset: 10 });
  assert.ok(maxAbs(await cpu.download(back.x), DATA.subarray(20)) < 1e-10);
});

Deno.test("ddimInversion(): the round-trip error falls at order 1 in the steps", async () => {
  // Both passes are DDIM (first-order exponential Euler in λ); the round trip x0 → x_T → x0 is
  // exact only in the limit, with error O(h). A soft 2-D mixture (std 0.5): on the ring (std 0.2)
  // points near a boundary between modes reach the asymptotic regime only beyond ~600 steps.
  const soft = gaussianMixture({
    weights: [0.3, 0.7],
    means: [[-1, 0], [1, 0.5]],
    variances: [[0.25, 0.25], [0.25, 0.25]],
  }, LINEAR);
  const x0 = await cpu.download(
    (await ddim(soft, cpu.upload(NOISE.subarray(0, 64)), timeGrid(LINEAR, 500))).x,
  );
  const steps = [20, 40, 80, 160];
  const errs: number[] = [];
  for (const n of steps) {
    const grid = timeGrid(LINEAR, n, { kind: "logSNR" });
    const inv = await ddimInversion(soft, cpu.upload(x0), grid);
    assert.equal(inv.nfe, n);
    const back = await ddim(soft, inv.x, grid);
    errs.push(maxAbs(await cpu.download(back.x), x0));
  }
  const lx = steps.map(Math.log), ly = errs.map(Math.log);
  const mx = lx.reduce((a, b) => a + b) / lx.length, my = ly.reduce((a, b) => a + b) / ly.length;
  let num = 0, den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  const order = -num / den;
  assert.ok(Math.abs(order - 1) < 0.2, `fitted order ${order}, errors ${errs}`);
});

/** Two classes, each one Gaussian N(μ_c, v I) in 2-D: the model reads the batch's label. */
function twoClassModel(mu: readonly number[][], v: number): Denoiser {
  const models = mu.map((m) =>
    gaussianMixture({ weights: [1], means: [m], variances: [[v, v]] }, LINEAR)
  );
  const first = models[0]!;
  return {
    dim: 2,
    nativeKind: first.nativeKind,
    kinds: first.kinds,
    schedule: LINEAR,
    predict(x: DeviceArray, t: number, out: DeviceArray, request: PredictRequest) {
      const label = request.conditioning?.labels?.[0] ?? 0;
      return models[label]!.predict(x, t, out, request);
    },
  };
}

Deno.test("editing: edit-friendly noise re-run under another class moves x0 by (α_end − α_T G)·Δ exactly", async () => {
  // For one-Gaussian classes N(μ_c, vI), x̂0 is translation-equivariant: x̂0_1(x + α Δ) =
  // x̂0_0(x) + Δ with Δ = μ_1 − μ_0. A DDIM(η) step with the same z then maps the class-0 path
  // shifted by α_s Δ onto one shifted by α_t Δ (c_x α_s + c_0 = α_t). Starting class 1 from the
  // unshifted x_T leaves the gap −α_T Δ, which each step multiplies by c_x + c_0 α_s v/(α_s² v +
  // σ_s²) (the linear model's Jacobian): edited − x0 = Δ (α_end − α_T G), G the product, the same
  // for every point.
  const mu = [[-1, 0.5], [2, -1]], v = 0.3;
  const model = twoClassModel(mu, v);
  const grid = timeGrid(LINEAR, 20);
  const x0 = Float64Array.from(DATA.subarray(0, 32), (q, i) => q * 0.5 + mu[0]![i % 2]!);
  const eta = 0.7;
  const inv = await editFriendlyInversion(model, cpu.upload(x0), grid, {
    eta,
    conditioning: { labels: [0] },
  });
  const same = await ddim(model, inv.xT, grid, {
    eta,
    noise: inv.noise,
    conditioning: { labels: [0] },
  });
  assert.ok(maxAbs(await cpu.download(same.x), x0) < 1e-10);
  const edit = await ddim(model, inv.xT, grid, {
    eta,
    noise: inv.noise,
    conditioning: { labels: [1] },
  });
  /** α_end − α_{t_k} G_k, G_k the product of the gap factors over steps k … N−1. */
  const shrinkFrom = (k: number) => {
    let g = 1;
    for (let i = k; i + 1 < grid.length; i++) {
      const s = grid[i]!, t = grid[i + 1]!;
      const h = LINEAR.logSnr(t) - LINEAR.logSnr(s), q = -Math.expm1(-2 * h);
      const cx = LINEAR.sigma(t) * Math.sqrt(1 - eta * eta * q) / LINEAR.sigma(s);
      const c0 = LINEAR.alpha(t) - cx * LINEAR.alpha(s);
      const as = LINEAR.alpha(s), ss = LINEAR.sigma(s);
      g *= cx + c0 * as * v / (as * as * v + ss * ss);
    }
    return LINEAR.alpha(grid[20]!) - LINEAR.alpha(grid[k]!) * g;
  };
  const check = (xe: ArrayLike<number>, shrink: number, label: string) => {
    for (let i = 0; i < x0.length; i++) {
      const delta = mu[1]![i % 2]! - mu[0]![i % 2]!;
      const got = xe[i]! - x0[i]!;
      assert.ok(Math.abs(got - delta * shrink) < 1e-10, `${label} row ${i >> 1}: ${got}`);
    }
  };
  check(await cpu.download(edit.x), shrinkFrom(0), "from x_T");
  // T_skip (Huberman-Spiegelglas et al. §4): resumed at x_{t_k}, the source model still
  // reconstructs exactly and the edit keeps more of the input: the gap −α_{t_k} Δ is larger
  for (const k of [5, 12]) {
    const late = skipSteps(inv, grid, k);
    const back = await ddim(model, cpu.upload(late.x), late.grid, {
      eta,
      noise: late.noise,
      conditioning: { labels: [0] },
    });
    assert.ok(maxAbs(await cpu.download(back.x), x0) < 1e-10);
    const e = await ddim(model, cpu.upload(late.x), late.grid, {
      eta,
      noise: late.noise,
      conditioning: { labels: [1] },
    });
    check(await cpu.download(e.x), shrinkFrom(k), `skip ${k}`);
  }
  assert.throws(() => skipSteps(inv, grid, 20), { name: "SdenoRangeError" });
  assert.throws(() => skipSteps(inv, grid.slice(1), 2), { name: "SdenoRangeError" });
});

Deno.test("inversions reject η outside (0, 1], bad grids, and replay with a longer grid", async () => {
  const x = cpu.upload(DATA.subarray(0, 4));
  const grid = timeGrid(LINEAR, 4);
  for (const eta of [0, -0.5, 1.5, Number.NaN]) {
    await assert.rejects(() => editFriendlyInversion(RING, x, grid, { eta }), {
      name: "SdenoRangeError",
      message: /eta must be in \(0, 1\]/,
    });
    await assert.rejects(() => dpmEncoder(RING, x, grid, { eta }), { name: "SdenoRangeError" });
  }
  await assert.rejects(() => ddimInversion(RING, x, [0.1, 0.5]), { name: "SdenoRangeError" });
  await assert.rejects(() => ddimInversion(RING, x, grid, { bogus: 1 } as never), {
    name: "SdenoTypeError",
  });
  const inv = await editFriendlyInversion(RING, x, grid);
  await assert.rejects(
    () => ddim(RING, inv.xT, timeGrid(LINEAR, 5), { eta: 1, noise: inv.noise }),
    {
      name: "SdenoRangeError",
      message: /draw 4, but 4 maps/,
    },
  );
  assert.throws(() => replayNoise([]), { name: "SdenoTypeError" });
  assert.throws(() => replayNoise([[1, 2], [1]]), { name: "SdenoTypeError" });
});

Deno.test({
  name: "editFriendlyInversion() on webgpu (f32 model): replay reconstructs x0 to f32 rounding",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const grid = timeGrid(LINEAR, 20, { kind: "logSNR" });
    const key = { seed: 7, stream: 1 };
    for (const invert of [editFriendlyInversion, dpmEncoder]) {
      const inv = await invert(RING, gpu.upload(DATA), grid, { key });
      const back = await ddim(RING, inv.xT, grid, { eta: 1, noise: inv.noise });
      const err = maxAbs(await gpu.download(back.x), DATA);
      assert.ok(err < 1e-5, `${invert.name} webgpu: ${err}`); // measured 1.2e-6, 5.7e-7
      // the same keyed draws as on the cpu: the start points agree to f32 rounding
      const ref = await invert(RING, cpu.upload(DATA), grid, { key });
      assert.ok(maxAbs(await gpu.download(inv.xT), await cpu.download(ref.xT)) < 1e-5);
    }
  },
});
