// ADMM-TV along z (solvers/guidance/admm_tv.ts) and DDS on volumes of
// slices: D_z and D_zᵀ are adjoint; ADMM converges to known solutions (λ = 0:
// least squares; λ > 0 with A = I on two slices: the closed-form fused
// shrinkage; the proximal form: (I + γAᵀA)⁻¹(c + γAᵀy)); z and u persist
// across calls; and on a small synthetic volume (8 slices of 8×8 images,
// each slice from the Gaussian prior, smooth along z, every slice measured
// by 2×2 average pooling) DDS with ADMM-TV has lower z-TV and lower error
// against the true volume than slice-independent DDS.

import assert from "node:assert/strict";
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import type { Backend } from "../../../kernels/backend.ts";
import { fillNormal, makeKey } from "../../../kernels/philox.ts";
import { denseOperator } from "../../../models/operators/dense.ts";
import { gaussianNoise } from "../../../models/operators/noise.ts";
import {
  AdmmTvState,
  admmTvStep,
  sliceStackModel,
  sliceStackOperator,
  zDifference,
  zDifferenceTranspose,
  zTotalVariation,
} from "../../../solvers/guidance/admm_tv.ts";
import { dds } from "../../../solvers/guidance/dds.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import { inverseSpd, loadImageInstance } from "./_benchmark.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../../_gpu.ts";

const cpu = new CpuBackend();

function normals(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  fillNormal(a, makeKey(seed));
  return a;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

Deno.test("zDifference() and zDifferenceTranspose() are adjoint, periodic along the slices", async () => {
  for (const shape of [{ volumes: 3, slices: 5, dim: 4 }, { volumes: 1, slices: 1, dim: 3 }]) {
    const len = shape.volumes * shape.slices * shape.dim;
    const x = normals(len, 1), w = normals(len, 2);
    const dx = cpu.zeros(len), dtw = cpu.zeros(len);
    await zDifference(cpu.upload(x), dx, shape);
    await zDifferenceTranspose(cpu.upload(w), dtw, shape);
    const lhs = dot(await cpu.download(dx), w), rhs = dot(x, await cpu.download(dtw));
    assert.ok(Math.abs(lhs - rhs) < 1e-12 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
    // (D_z x)[v, k, p] = x[v, (k+1) mod S, p] − x[v, k, p]
    const got = await cpu.download(dx), { slices: s, dim } = shape;
    for (let v = 0; v < shape.volumes; v++) {
      for (let k = 0; k < s; k++) {
        for (let p = 0; p < dim; p++) {
          const want = x[(v * s + ((k + 1) % s)) * dim + p]! - x[(v * s + k) * dim + p]!;
          assert.equal(got[(v * s + k) * dim + p], want);
        }
      }
    }
  }
});

Deno.test("admmTvStep() with λ = 0 converges to the per-slice least-squares solution", async () => {
  const s = 4, dim = 8, dy = 12, volumes = 2;
  const a = normals(dy * dim, 3);
  const op = denseOperator({ data: a, rows: dy, cols: dim });
  const vol = sliceStackOperator(op, s);
  const y = normals(volumes * s * dy, 4);
  const aty = cpu.zeros(volumes * s * dim);
  await vol.applyTranspose(cpu.upload(y), aty);
  const state = new AdmmTvState(cpu, { volumes, slices: s, dim });
  const x = cpu.zeros(volumes * s * dim);
  // λ = 0: u stays 0 and x ← (AᵀA + ρL)⁻¹(Aᵀy + ρL x_prev), L = D_zᵀD_z, a
  // contraction with factor ≤ 4ρ/(σ_min(AᵀA) + 4ρ) ≈ 0.5 at ρ = 0.1.
  await admmTvStep(state, x, { operator: vol, aty }, {
    lambda: 0,
    rho: 0.1,
    cgIterations: 32,
    iterations: 80,
  });
  state.release();
  // (AᵀA)⁻¹Aᵀy per slice
  const ata = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      for (let k = 0; k < dy; k++) {
        ata[i * dim + j] = ata[i * dim + j]! + a[k * dim + i]! * a[k * dim + j]!;
      }
    }
  }
  const inv = inverseSpd(ata, dim), atyH = await cpu.download(aty), got = await cpu.download(x);
  for (let r = 0; r < volumes * s; r++) {
    for (let i = 0; i < dim; i++) {
      let want = 0;
      for (let j = 0; j < dim; j++) want += inv[i * dim + j]! * atyH[r * dim + j]!;
      assert.ok(
        Math.abs(got[r * dim + i]! - want) < 1e-9,
        `slice ${r}, ${i}: ${got[r * dim + i]} vs ${want}`,
      );
    }
  }
});

Deno.test("admmTvStep() with λ > 0, A = I on two slices converges to the fused shrinkage", async () => {
  // min ½‖y − x‖² + λ(|x₁ − x₀| + |x₀ − x₁|) per pixel (periodic D_z on two
  // slices counts the difference twice): with δ = y₁ − y₀, x₀ = x₁ = (y₀ + y₁)/2
  // when |δ| ≤ 4λ, else each moves 2λ towards the other.
  const lambda = 0.3, dim = 5;
  const y0 = [0, 1, -2, 0.5, 3], y1 = [0.5, 1, 2, -1, 3.2];
  const y = Float64Array.from([...y0, ...y1]);
  const vol = sliceStackOperator(
    denseOperator(
      Array.from(
        { length: dim },
        (_, i) => Array.from({ length: dim }, (_, j) => (i === j ? 1 : 0)),
      ),
    ),
    2,
  );
  const state = new AdmmTvState(cpu, { volumes: 1, slices: 2, dim });
  const x = cpu.zeros(2 * dim);
  await admmTvStep(state, x, { operator: vol, aty: cpu.upload(y) }, {
    lambda,
    rho: 1,
    cgIterations: 10,
    iterations: 300,
  });
  state.release();
  const got = await cpu.download(x);
  for (let p = 0; p < dim; p++) {
    const d = y1[p]! - y0[p]!;
    const [w0, w1] = Math.abs(d) <= 4 * lambda
      ? [(y0[p]! + y1[p]!) / 2, (y0[p]! + y1[p]!) / 2]
      : [y0[p]! + 2 * lambda * Math.sign(d), y1[p]! - 2 * lambda * Math.sign(d)];
    assert.ok(Math.abs(got[p]! - w0) < 1e-6, `pixel ${p} slice 0: ${got[p]} vs ${w0}`);
    assert.ok(Math.abs(got[dim + p]! - w1) < 1e-6, `pixel ${p} slice 1: ${got[dim + p]} vs ${w1}`);
  }
});

Deno.test("admmTvStep() proximal form with λ = 0 gives (I + γAᵀA)⁻¹(c + γAᵀy); z, u persist across calls", async () => {
  const s = 3, dim = 4, dy = 2, gamma = 2;
  const a = normals(dy * dim, 7);
  const vol = sliceStackOperator(denseOperator({ data: a, rows: dy, cols: dim }), s);
  const c = normals(s * dim, 8), y = normals(s * dy, 9);
  const aty = cpu.zeros(s * dim);
  await vol.applyTranspose(cpu.upload(y), aty);
  const shape = { volumes: 1, slices: s, dim };
  const data = { operator: vol, aty, gamma, center: cpu.upload(c) };
  const state = new AdmmTvState(cpu, shape);
  const x = cpu.upload(c);
  await admmTvStep(state, x, data, { lambda: 0, rho: 0.05, cgIterations: 12, iterations: 120 });
  const m = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      let v = i === j ? 1 : 0;
      for (let k = 0; k < dy; k++) v += gamma * a[k * dim + i]! * a[k * dim + j]!;
      m[i * dim + j] = v;
    }
  }
  const inv = inverseSpd(m, dim), atyH = await cpu.download(aty), got = await cpu.download(x);
  for (let r = 0; r < s; r++) {
    for (let i = 0; i < dim; i++) {
      let want = 0;
      for (let j = 0; j < dim; j++) {
        want += inv[i * dim + j]! * (c[r * dim + j]! + gamma * atyH[r * dim + j]!);
      }
      assert.ok(Math.abs(got[r * dim + i]! - want) < 1e-9, `${r},${i}`);
    }
  }
  state.release();
  // Two calls of one iteration = one call of two: z and u carry over.
  const one = new AdmmTvState(cpu, shape), two = new AdmmTvState(cpu, shape);
  const x1 = cpu.upload(c), x2 = cpu.upload(c);
  const opts = { lambda: 0.2, rho: 3, cgIterations: 3 };
  await admmTvStep(one, x1, data, opts);
  await admmTvStep(one, x1, data, opts);
  await admmTvStep(two, x2, data, { ...opts, iterations: 2 });
  assert.deepEqual([...await cpu.download(x1)], [...await cpu.download(x2)]);
  assert.deepEqual([...await cpu.download(one.u)], [...await cpu.download(two.u)]);
  one.release();
  two.release();
});

Deno.test("admmTvStep() refuses bad options and shapes with typed errors", async () => {
  const vol = sliceStackOperator(denseOperator([[1, 0], [0, 1]]), 2);
  const state = new AdmmTvState(cpu, { volumes: 1, slices: 2, dim: 2 });
  const x = cpu.zeros(4), data = { operator: vol, aty: cpu.zeros(4) };
  await assert.rejects(() => admmTvStep(state, x, data, { rho: 0 }), /rho must be > 0/);
  await assert.rejects(() => admmTvStep(state, x, data, { rho: -1 }), RangeError);
  await assert.rejects(() => admmTvStep(state, x, data, { lambda: -1 }), /lambda must be ≥ 0/);
  await assert.rejects(() => admmTvStep(state, x, data, { cgIterations: 0 }), /cgIterations/);
  await assert.rejects(() => admmTvStep(state, x, data, { iterations: 0 }), /iterations/);
  await assert.rejects(() => admmTvStep(state, cpu.zeros(5), data), /must hold 1 volumes/);
  await assert.rejects(
    () =>
      admmTvStep(state, x, {
        operator: sliceStackOperator(denseOperator([[1]]), 2),
        aty: cpu.zeros(4),
      }),
    /volumes of 2/,
  );
  await assert.rejects(() => admmTvStep(state, x, { ...data, gamma: 1 }), /needs data.center/);
  assert.throws(() => new AdmmTvState(cpu, { volumes: 1, slices: 0, dim: 2 }), RangeError);
  assert.throws(() => sliceStackOperator(denseOperator([[1]]), 0), RangeError);
  state.release();
});

// A smooth synthetic volume: slice k = μ + √(1 − ε²) a + ε(cos θ_k b + sin θ_k c)
// with a, b, c ~ N(0, Σ) and θ_k = 2πk/S, so every slice is exactly a draw
// of the prior N(μ, Σ), the slices share most of their structure (a), and the
// rest varies smoothly and periodically along z (neighbours differ by
// 2ε sin(π/S) ≈ 0.23 prior standard deviations at ε = 0.3, S = 8).
function syntheticVolume(
  mu: Float64Array,
  sigma: Float64Array,
  s: number,
  eps = 0.3,
): Float64Array {
  const d = mu.length, l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let v = sigma[j * d + j]!;
    for (let k = 0; k < j; k++) v -= l[j * d + k]! ** 2;
    l[j * d + j] = Math.sqrt(v);
    for (let i = j + 1; i < d; i++) {
      let t = sigma[i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / l[j * d + j]!;
    }
  }
  const z = normals(3 * d, 77);
  const a = new Float64Array(d), b = new Float64Array(d), c = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k <= i; k++) {
      a[i] = a[i]! + l[i * d + k]! * z[k]!;
      b[i] = b[i]! + l[i * d + k]! * z[d + k]!;
      c[i] = c[i]! + l[i * d + k]! * z[2 * d + k]!;
    }
  }
  const vol = new Float64Array(s * d), common = Math.sqrt(1 - eps * eps);
  for (let k = 0; k < s; k++) {
    const th = (2 * Math.PI * k) / s;
    for (let i = 0; i < d; i++) {
      vol[k * d + i] = mu[i]! + common * a[i]! +
        eps * (Math.cos(th) * b[i]! + Math.sin(th) * c[i]!);
    }
  }
  return vol;
}

async function volumeDemo(backend: Backend, samples: number, steps: number) {
  const inst = loadImageInstance("img8_sr2"); // its prior, and 2×2 average pooling
  const s = 8, d = inst.d;
  const truth = syntheticVolume(inst.priorMean, inst.priorCov, s);
  const model = sliceStackModel(inst.model, s), operator = sliceStackOperator(inst.operator, s);
  const yb = backend.zeros(s * inst.dy);
  await operator.apply(backend.upload(truth), yb);
  const y = Float64Array.from(await backend.download(yb));
  const request = {
    model,
    problem: { operator, y, noise: gaussianNoise(0) },
    grid: quadraticGrid(steps),
    samples,
    key: makeKey(61),
    backend,
  };
  const independent = await dds.run(request);
  // DDS's λ = 0.04, ρ = 10 are set for CT sinograms, whose AᵀA is large.
  // Here ‖AᵀA‖ = 1/4 (2×2 average pooling): ρ = 10 makes the z-coupling
  // outweigh the data term 160:1 and 5 CG steps leave the data unfit (measured
  // max |Ax − y| 0.32, RMSE 0.42 against 0.24 for independent slices). We
  // scale ρ to 0.4‖AᵀA‖ = 0.1 and λ to 0.01.
  const tv = await dds.run({ ...request, options: { slices: s, rho: 0.1, tvLambda: 0.01 } });
  const shape = { volumes: samples, slices: s, dim: d };
  const rmse = (x: Float64Array) =>
    Float64Array.from({ length: samples }, (_, r) => {
      let e = 0;
      for (let i = 0; i < s * d; i++) e += (x[r * s * d + i]! - truth[i]!) ** 2;
      return Math.sqrt(e / (s * d));
    });
  return {
    truth,
    y,
    independent: independent.samples,
    tv: tv.samples,
    truthTv: zTotalVariation(truth, { volumes: 1, slices: s, dim: d })[0]!,
    tvIndependent: zTotalVariation(independent.samples, shape),
    tvAdmm: zTotalVariation(tv.samples, shape),
    errIndependent: rmse(independent.samples),
    errAdmm: rmse(tv.samples),
  };
}

function meanSe(v: Float64Array): [number, number] {
  const n = v.length, m = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  return [m, sd / Math.sqrt(n)];
}

Deno.test("dds() with ADMM-TV on a smooth 8-slice volume: lower z-TV and lower error than slice-independent DDS", async () => {
  const r = await volumeDemo(cpu, 12, 50);
  const dTv = r.tvIndependent.map((v, i) => v - r.tvAdmm[i]!);
  const dErr = r.errIndependent.map((v, i) => v - r.errAdmm[i]!);
  const [tvI] = meanSe(r.tvIndependent), [tvA] = meanSe(r.tvAdmm);
  const [eI] = meanSe(r.errIndependent), [eA] = meanSe(r.errAdmm);
  const [mTv, seTv] = meanSe(dTv), [mErr, seErr] = meanSe(dErr);
  console.log(
    `z-TV: truth ${r.truthTv.toFixed(1)}, independent ${tvI.toFixed(1)}, ADMM-TV ${
      tvA.toFixed(1)
    } ` +
      `(paired difference ${mTv.toFixed(1)} ± ${seTv.toFixed(1)}); RMSE vs truth: independent ${
        eI.toFixed(4)
      }, ADMM-TV ${eA.toFixed(4)} (difference ${mErr.toFixed(4)} ± ${seErr.toFixed(4)})`,
  );
  // Paired over 12 volumes drawn with the same key: both improvements exceed
  // 4 standard errors of the mean paired difference.
  assert.ok(mTv > 4 * seTv, `z-TV difference ${mTv} ± ${seTv}`);
  assert.ok(mErr > 4 * seErr, `error difference ${mErr} ± ${seErr}`);
  // Slice-independent DDS fits every slice's noiseless measurement exactly;
  // ADMM-TV trades some data fit for smoothness along z (½‖y − Ax‖² + λ‖D_z x‖₁).
  const op = loadImageInstance("img8_sr2").operator.matrix;
  const misfit = (x: Float64Array) => {
    let worst = 0;
    for (let row = 0; row < 12 * 8; row++) {
      for (let i = 0; i < 16; i++) {
        let ax = 0;
        for (let j = 0; j < 64; j++) ax += op[i * 64 + j]! * x[row * 64 + j]!;
        worst = Math.max(worst, Math.abs(ax - r.y[(row % 8) * 16 + i]!));
      }
    }
    return worst;
  };
  console.log(
    `max |Ax − y|: independent ${misfit(r.independent).toExponential(1)}, ADMM-TV ${
      misfit(r.tv).toFixed(3)
    }`,
  );
  assert.ok(misfit(r.independent) < 1e-9);
});

Deno.test({
  name: "admmTvStep() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const s = 4, dim = 6, dy = 3, volumes = 3;
    const a = normals(dy * dim, 13);
    const vol = sliceStackOperator(denseOperator({ data: a, rows: dy, cols: dim }), s);
    const y = normals(volumes * s * dy, 14), x0 = normals(volumes * s * dim, 15);
    const out: Float64Array[] = [];
    for (const b of [cpu, gpu] as Backend[]) {
      const aty = b.zeros(x0.length);
      await vol.applyTranspose(b.upload(y), aty);
      const state = new AdmmTvState(b, { volumes, slices: s, dim });
      const x = b.upload(x0);
      for (let k = 0; k < 3; k++) {
        await admmTvStep(state, x, { operator: vol, aty }, { lambda: 0.1, rho: 2 });
      }
      out.push(Float64Array.from(await b.download(x)));
      state.release();
    }
    const diff = maxAbsDiff(out[0]!, out[1]!);
    assert.ok(diff < 1e-3, `max diff ${diff}`);
  },
});
