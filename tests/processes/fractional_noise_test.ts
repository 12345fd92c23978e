import assert from "node:assert/strict";
import { markovFractionalNoise } from "../../processes/fractional_noise.ts";
import { defineSde } from "../../processes/sde.ts";
import { geometricBrownianMotion } from "../../processes/sde_models/geometric_brownian_motion.ts";
import { eulerMaruyama, simulateEnsemble, solveSde, sra1 } from "../../solvers/sde/mod.ts";
import { CpuBackend, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

/** Sample covariance of two columns and its standard error (of the mean of centred products). */
function covWithSe(a: Float64Array, b: Float64Array) {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let c = 0, c2 = 0;
  for (let i = 0; i < n; i++) {
    const p = (a[i]! - ma) * (b[i]! - mb);
    c += p;
    c2 += p * p;
  }
  const cov = c / (n - 1);
  const se = Math.sqrt(Math.max(0, c2 / n - (c / n) ** 2) / n);
  return { cov, se };
}

Deno.test({
  name:
    "markovFractionalNoise() covariance matches type II fBM within Monte Carlo SE and the fit error",
  ...GPU_TEST,
}, async () => {
  // the ensemble runs on webgpu where there is an adapter (f32), else on cpu (slower)
  const backend = (await gpuBackend()) ?? new CpuBackend();
  // Riemann–Liouville (type II) fBM: Var B(t) = t^{2H}/(2H Γ(H+½)²); cross terms by quadrature.
  for (const hurst of [0.3, 0.7]) {
    const fbm = markovFractionalNoise({ hurst, terms: 12 });
    const K = fbm.gamma.length, n = 12000, saveAt = [0.25, 0.5, 1];
    const r = await simulateEnsemble(fbm.sde, {
      backend,
      solver: sra1,
      x0: new Float64Array(K),
      paths: n,
      t1: 1,
      dt: 1 / 512,
      saveAt,
      key: { seed: 3, stream: 1 },
      keepPaths: n,
    });
    const B = saveAt.map((_, s) =>
      Float64Array.from({ length: n }, (_, i) => fbm.readout(r.samples, (s * n + i) * K))
    );
    const pairs: Array<[number, number]> = [[0, 0], [1, 1], [2, 2], [1, 2], [0, 2]];
    for (const [p, q] of pairs) {
      const { cov, se } = covWithSe(B[p]!, B[q]!);
      const approx = fbm.covariance(saveAt[p]!, saveAt[q]!);
      const exact = fbm.exactCovariance(saveAt[p]!, saveAt[q]!);
      const fit = Math.abs(approx - exact);
      assert.ok(
        Math.abs(cov - approx) < 4 * se,
        `H ${hurst} (${saveAt[p]}, ${saveAt[q]}): MC ${cov} vs MA-fBM ${approx} (se ${se})`,
      );
      assert.ok(
        Math.abs(cov - exact) < 4 * se + fit,
        `H ${hurst}: MC ${cov} vs fBM ${exact} (se ${se}, fit ${fit})`,
      );
      // the fitted covariance is within 1 % (H = 0.3) / 0.1 % (H = 0.7) of the exact one
      assert.ok(fit / exact < (hurst < 0.5 ? 1e-2 : 1e-3), `fit ${fit / exact}`);
    }
    assert.ok(fbm.relativeError < (hurst < 0.5 ? 0.05 : 0.005), `L² error ${fbm.relativeError}`);
  }
});

Deno.test("markovFractionalNoise() exact type II variance and covariance formulas", () => {
  const fbm = markovFractionalNoise({ hurst: 0.5 });
  // H = ½ is Brownian motion: Cov = min(s, t)
  assert.ok(Math.abs(fbm.exactCovariance(0.3, 0.8) - 0.3) < 1e-12);
  assert.ok(Math.abs(fbm.exactCovariance(0.8, 0.8) - 0.8) < 1e-12);
  // H = 0.75 (a = 5/4): Cov(s, t) for s ≤ t against a fine midpoint rule of the definition
  const h = markovFractionalNoise({ hurst: 0.75 });
  const s = 0.4, t = 1, a = 1.25, gamma = 0.9064024770554771; // Γ(5/4)
  let sum = 0;
  const m = 200000;
  for (let k = 0; k < m; k++) {
    const u = ((k + 0.5) / m) * s;
    sum += ((t - u) ** (a - 1) * (s - u) ** (a - 1) * s) / m;
  }
  assert.ok(Math.abs(h.exactCovariance(s, t) - sum / gamma ** 2) < 1e-6);
});

Deno.test("markovFractionalNoise() rejects a Hurst index outside (0, 1)", () => {
  for (const hurst of [0, 1, -0.2, 1.5]) {
    assert.throws(
      () => markovFractionalNoise({ hurst }),
      (e: Error) => e instanceof SdenoRangeError && /hurst must lie in \(0, 1\)/.test(e.message),
    );
  }
  assert.throws(() => markovFractionalNoise({ hurst: NaN }), SdenoTypeError);
  assert.throws(() => markovFractionalNoise({ hurst: 0.3, horizon: -1 }), SdenoRangeError);
  assert.throws(() => markovFractionalNoise({ hurst: 0.3, gammaRange: [2, 1] }), SdenoRangeError);
});

Deno.test("markovFractionalNoise().drive() adds the fractional increments to X path by path", () => {
  const fbm = markovFractionalNoise({ hurst: 0.3, terms: 6 });
  // dX = 1·dB̂: X(t) − X(0) = B̂(t) = Σ ωₖYₖ(t) exactly, also after Euler–Maruyama
  const unit = defineSde({
    name: "unit",
    dim: 1,
    noise: "scalar",
    drift: (_t, _x, out, n) => out.fill(0, 0, n),
    diffusion: (_t, _x, out, n) => out.fill(1, 0, n),
  });
  const sde = fbm.drive(unit);
  assert.equal(sde.dim, 7);
  const n = 50;
  const sol = solveSde(sde, {
    solver: eulerMaruyama,
    x0: [2, 0, 0, 0, 0, 0, 0],
    paths: n,
    t1: 1,
    dt: 1 / 100,
    key: { seed: 9, stream: 0 },
  });
  for (let i = 0; i < n; i++) {
    const x = sol.x[i * 7]!;
    assert.ok(Math.abs(x - 2 - fbm.readout(sol.x, i * 7 + 1)) < 1e-12);
  }
  assert.throws(
    () => fbm.drive(geometricBrownianMotion({ mu: 0, sigma: 1, dim: 2 })),
    SdenoTypeError,
  );
});

Deno.test({
  name: "markovFractionalNoise().drive() builds WGSL that compiles and agrees with the cpu twin",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const fbm = markovFractionalNoise({ hurst: 0.7, terms: 6 });
  const sde = fbm.drive(geometricBrownianMotion({ mu: 0.1, sigma: 0.3 }));
  const opts = {
    x0: [1, 0, 0, 0, 0, 0, 0],
    paths: 256,
    t1: 1,
    dt: 1 / 128,
    key: { seed: 1, stream: 0 },
    returnFinal: true,
  };
  const g = await simulateEnsemble(sde, { ...opts, backend: gpu });
  const c = await simulateEnsemble(sde, { ...opts, backend: new CpuBackend() });
  for (let e = 0; e < c.final.length; e++) {
    assert.ok(Math.abs(g.final[e]! - c.final[e]!) <= 1e-4 * Math.max(1, Math.abs(c.final[e]!)));
  }
});
