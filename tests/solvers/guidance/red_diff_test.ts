// RED-diff (solvers/guidance/red_diff.ts) against the refs' benchmarks
// (../shared/refs/inverse §2.2 item 5 and §3, copied into tests/fixtures/inverse):
// on the d = 8 mixtures its μ fits the data and stays bounded, and it lands on
// the stored numpy levels of the same method (SW1, modeTV); on the 8×8 image
// instances its Gaussian W2 and trace ratio land within ±15% of the stored
// reddiff(lam=.25,lr=.1) levels. Plus batch independence, cpu = webgpu, and
// typed errors for bad options.

import assert from "node:assert/strict";
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import { makeKey } from "../../../kernels/philox.ts";
import { redDiff, redDiffWeight } from "../../../solvers/guidance/red_diff.ts";
import { quadraticGrid } from "../../../solvers/guidance/vp.ts";
import {
  gaussianW2,
  type GmmInstance,
  loadGmmInstance,
  loadImageInstance,
  modeTv,
  sw1,
} from "./_benchmark.ts";
import { GPU_TEST, maxAbsDiff } from "../../_gpu.ts";
import { assertSplitInvariant, cpuAndGpuRuns } from "./_invariance.ts";

const SLOW = Deno.env.get("SDENO_SLOW") !== undefined;
const cpu = new CpuBackend();

// Mean over samples of ‖y − Aμ‖.
function meanResidual(inst: GmmInstance, mu: Float64Array): number {
  const a = inst.operator.matrix, y = inst.problem.y, d = inst.d, n = mu.length / d;
  let sum = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < inst.dy; i++) {
      let ax = 0;
      for (let j = 0; j < d; j++) ax += a[i * d + j]! * mu[r * d + j]!;
      s += (y[i]! - ax) ** 2;
    }
    sum += Math.sqrt(s);
  }
  return sum / n;
}

async function gmmCase(name: string, samples: number) {
  const inst = loadGmmInstance(name);
  const { samples: mu, nfe } = await redDiff.run({
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(100),
    samples,
    key: makeKey(1),
    backend: cpu,
  });
  assert.equal(nfe, quadraticGrid(100).length - 1);
  const resid = meanResidual(inst, mu), target = inst.sigma * Math.sqrt(inst.dy);
  const sw = sw1(inst, mu), tv = modeTv(inst, mu);
  const ref = inst.levels.runs.get("reddiff(lam=0.25,lr=0.1)")!;
  console.log(
    `${name} n=${samples}: mean ‖y − Aμ‖ ${resid.toFixed(4)} (σ_y√d_y ${target.toFixed(4)}), ` +
      `SW ${sw.toFixed(3)} (ref ${ref.sw.toFixed(3)}), modeTV ${tv.toFixed(3)} (ref ${
        ref.modeTv!.toFixed(3)
      })`,
  );
  // Does not diverge: finite (the run checks) and within the prior's reach,
  // ‖μ‖ ≤ 2 max_k ‖m_k‖ (the component means lie on a grid of spacing 8).
  const maxMean = 16 * Math.sqrt(inst.d);
  for (let r = 0; r < samples; r++) {
    let s = 0;
    for (let j = 0; j < inst.d; j++) s += mu[r * inst.d + j]! ** 2;
    assert.ok(Math.sqrt(s) <= 2 * maxMean, `${name}: ‖μ_${r}‖ = ${Math.sqrt(s)}`);
  }
  return { inst, resid, target, sw, tv, ref };
}

for (const name of ["gmm_d8_dy1", "gmm_d8_dy2", "gmm_d8_dy4"]) {
  Deno.test(`redDiff() on ${name}: μ fits the data, stays bounded, and lands on the stored level`, async () => {
    const { resid, target, sw, tv, ref } = await gmmCase(name, SLOW ? 10000 : 1500);
    if (name === "gmm_d8_dy1") {
      // dy1: s = 0.017 and σ_y = 0.0125, so the data term's gradient
      // (s·r/d_y ≈ 1e-3) is far below the regulariser's until the very last
      // steps, and Adam's second moment (β₂ = 0.99) still remembers the early
      // large gradients: μ leaves the A⁺y start by ≈ 2 along v₁. Measured
      // 0.038 = 3.0 σ_y (the prior's own residual is ≈ 0.2); the stored numpy
      // run of the same method lands on the same SW (5.13), and a separate
      // numpy run (10000 samples, same settings) gives a mean residual of
      // 0.0377, so this is the method, not the port. Bound: 4 σ_y √d_y.
      assert.ok(resid <= 4 * target, `residual ${resid}`);
    } else {
      assert.ok(resid <= target, `residual ${resid} > σ_y√d_y = ${target}`);
    }
    // The stored level of the same method (numpy, 10000 samples): ±15% in SW
    // (seed-to-seed spread of deterministic-in-distribution methods is 1–3%)
    // and ±0.05 in modeTV, as §2.2 item 3 of the refs.
    assert.ok(Math.abs(sw / ref.sw - 1) <= 0.15, `SW ${sw} vs ${ref.sw}`);
    assert.ok(Math.abs(tv - ref.modeTv!) <= 0.05, `modeTV ${tv} vs ${ref.modeTv}`);
  });
}

for (const name of ["img8_inpaint_box", "img8_sr2", "img8_blur"]) {
  Deno.test(`redDiff() on ${name}: Gaussian W2 and trace ratio within ±15% of the stored level`, async () => {
    const inst = loadImageInstance(name);
    const n = SLOW ? 4000 : 1200;
    const { samples } = await redDiff.run({
      model: inst.model,
      problem: inst.problem,
      grid: quadraticGrid(100),
      samples: n,
      key: makeKey(2),
      backend: cpu,
    });
    const { w2, trRatio } = gaussianW2(samples, inst.postMean, inst.postCov);
    const ref = inst.levels.runs.get("reddiff(lam=.25,lr=.1)")!;
    console.log(
      `${name} n=${n}: W2 ${w2.toFixed(3)} (ref ${ref.w2.toFixed(3)}), tr ${
        trRatio.toFixed(3)
      } (ref ${ref.tr.toFixed(3)})`,
    );
    // ±15% (refs §3). The stored runs use n = 4000; at n = 1200 the W2 of
    // exact samples rises from the 0.04–0.07 floor by ≈ √(4000/1200), i.e. by
    // ≤ 0.06 — about 10% of RED-diff's 0.53–0.88, inside the band.
    assert.ok(Math.abs(w2 / ref.w2 - 1) <= 0.15, `W2 ${w2} vs ${ref.w2}`);
    // The trace ratio of RED-diff's collapsed samples moves with the draws:
    // on img8_inpaint_box 0.511 (n = 1000), 0.521 (1200), 0.525 (1500), 0.550 (4000)
    // against the stored 0.571 — inside ±15%, with less room than W2.
    assert.ok(Math.abs(trRatio / ref.tr - 1) <= 0.15, `tr ${trRatio} vs ${ref.tr}`);
  });
}

Deno.test("redDiff() gives the same bits for any batch split", async () => {
  const inst = loadGmmInstance("gmm_d8_dy2");
  const base = {
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(20),
    key: makeKey(5),
    backend: cpu,
  };
  // A shard: rows 4… of the run, drawn as rows 4… of the whole.
  await assertSplitInvariant(redDiff, base, { samples: 10, batch: 3, shardFrom: 4 });
});

Deno.test("redDiff() weightings follow the reference's denoise_term_weight", () => {
  const s = 0.3;
  assert.equal(redDiffWeight("linear", s), s);
  assert.equal(redDiffWeight("sqrt", s), Math.sqrt(s));
  assert.equal(redDiffWeight("square", s), s * s);
  assert.equal(redDiffWeight("log", s), Math.log(1 + s));
  assert.equal(redDiffWeight("clip", 3), 1);
  assert.equal(redDiffWeight("const", s), 1);
  assert.ok(Math.abs(redDiffWeight("pow23", s) - s ** (2 / 3)) < 1e-15);
});

Deno.test("redDiff() refuses bad options with typed errors", async () => {
  const inst = loadGmmInstance("gmm_d8_dy1");
  const req = {
    model: inst.model,
    problem: inst.problem,
    grid: quadraticGrid(5),
    samples: 2,
    key: makeKey(1),
    backend: cpu,
  };
  await assert.rejects(() => redDiff.run({ ...req, options: { lr: 0 } }), RangeError);
  await assert.rejects(() => redDiff.run({ ...req, options: { lr: -1 } }), /lr must be/);
  await assert.rejects(() => redDiff.run({ ...req, options: { lambda: -0.1 } }), RangeError);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => redDiff.run({ ...req, options: { weighting: "cubic" as any } }),
    /weighting must be one of linear/,
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => redDiff.run({ ...req, options: { learningRate: 0.1 } as any }),
    /unknown option "learningRate"/,
  );
  await assert.rejects(() => redDiff.run({ ...req, options: { init: [1, 2] } }), /length 8/);
  // A nonlinear operator without a vjp: the data term cannot be differentiated.
  const op = {
    name: "square",
    inDim: 8,
    outDim: 1,
    linear: false,
    apply: () => Promise.resolve(),
  };
  await assert.rejects(
    () => redDiff.run({ ...req, problem: { ...inst.problem, operator: op } }),
    TypeError,
  );
});

Deno.test({
  name: "redDiff() on webgpu agrees with cpu within float32 tolerance",
  ...GPU_TEST,
  async fn() {
    const inst = loadImageInstance("img8_sr2");
    const runs = await cpuAndGpuRuns(redDiff, {
      model: inst.model,
      problem: inst.problem,
      grid: quadraticGrid(10),
      samples: 16,
      key: makeKey(3),
    });
    if (!runs) return;
    const { cpu: a, gpu: b } = runs;
    // Adam normalises each step to ≈ lr, so an f32 rounding of a near-zero
    // gradient can flip a step's sign: compare with 10 steps × lr 0.1 in mind
    // by the mean, and the bulk elementwise.
    const diff = maxAbsDiff(a.samples, b.samples);
    let mean = 0;
    for (let i = 0; i < a.samples.length; i++) {
      mean += Math.abs(a.samples[i]! - b.samples[i]!) / a.samples.length;
    }
    assert.ok(mean < 1e-3 && diff < 0.05, `max ${diff}, mean ${mean}`);
  },
});
