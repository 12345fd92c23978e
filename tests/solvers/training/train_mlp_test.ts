import assert from "node:assert/strict";
import {
  type Backend,
  CpuBackend,
  fillNormal,
  NumericalError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/mod.ts";
import {
  Mlp,
  type MlpObjective,
  mlpPreconditioning,
  type MlpScheduleSpec,
} from "../../../models/mlp.ts";
import { predictAs, predictionBasis, predictionCoefficients } from "../../../models/denoiser.ts";
import { denoisingBatch, trainMlp } from "../../../solvers/training/mod.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";

const KEY = { seed: 11, stream: 4 };
const BATCH = { key: KEY, pMean: -0.5, pStd: 1.5, labelDropout: 0.25 } as const;

const CASES: Array<[MlpObjective, MlpScheduleSpec, "uniform" | "lognormal"]> = [
  ["eps", { name: "vp-linear" }, "uniform"],
  ["x0", { name: "edm" }, "lognormal"],
  ["x0", { name: "vp-cosine" }, "uniform"],
  ["v", { name: "vp-linear" }, "uniform"],
  ["velocity", { name: "rectified-flow" }, "lognormal"],
];

Deno.test("denoisingBatch(): a perfect network output reproduces the objective's kind exactly", () => {
  // c_skip·x + c_out·target must equal the kind's a·x₀ + b·ε for the drawn x₀, ε, t
  const data = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i));
  const labels = Int32Array.from({ length: 20 }, (_, i) => i % 3);
  for (const [objective, schedule, noiseLevels] of CASES) {
    const mlp = Mlp.create({
      dim: 2,
      hidden: [4],
      classes: 3,
      objective,
      schedule,
      sigmaData: 0.6,
    });
    const b = denoisingBatch(mlp, { data, labels }, {
      ...BATCH,
      step: 7,
      batchSize: 64,
      noiseLevels,
    });
    const s = mlp.schedule;
    for (let i = 0; i < 64; i++) {
      const t = b.times[i]!;
      assert.ok(t >= s.tMin && t <= s.tMax);
      const p = mlpPreconditioning(objective, s, t, 0.6);
      const [ka, kb] = predictionBasis(s, { kind: objective, t });
      for (let j = 0; j < 2; j++) {
        const k = 2 * i + j, x0 = data[2 * b.rows[i]! + j]!, e = b.eps[k]!;
        assert.ok(Math.abs(b.x[k]! - (s.alpha(t) * x0 + s.sigma(t) * e)) < 1e-12);
        assert.ok(Math.abs(b.xIn[k]! - p.cIn * b.x[k]!) < 1e-12);
        const pred = p.cSkip * b.x[k]! + p.cOut * b.target[k]!;
        assert.ok(Math.abs(pred - (ka * x0 + kb * e)) < 1e-9 * (1 + Math.abs(pred)), objective);
      }
      const y = b.labels![i]!;
      assert.ok(
        y === 3 || y === labels[b.rows[i]!],
        "a label is kept or dropped to the null class",
      );
    }
  }
});

Deno.test("denoisingBatch() draws rows, levels and dropout by their laws (|z| < 4)", () => {
  const mlp = Mlp.create({
    dim: 1,
    hidden: [2],
    classes: 2,
    objective: "x0",
    schedule: { name: "edm" },
  });
  const n = 20_000;
  const data = Float64Array.from({ length: 10 }, (_, i) => i);
  const b = denoisingBatch(mlp, { data, labels: new Int32Array(10) }, {
    ...BATCH,
    step: 0,
    batchSize: n,
    noiseLevels: "lognormal",
  });
  // rows uniform on 0..9: mean 4.5, variance 8.25
  const meanRow = b.rows.reduce((a, r) => a + r, 0) / n;
  assert.ok(Math.abs(meanRow - 4.5) / Math.sqrt(8.25 / n) < 4);
  // ln σ ~ N(−0.5, 1.5²) (clamping to [0.002, 80] moves < 1e-4 of the mass)
  const logs = Array.from(b.times, (t) => Math.log(t));
  const m = logs.reduce((a, v) => a + v, 0) / n;
  assert.ok(Math.abs(m + 0.5) / (1.5 / Math.sqrt(n)) < 4);
  // dropout: a fraction 0.25 of the labels become the null class 2
  const dropped = b.labels!.reduce((a, y) => a + (y === 2 ? 1 : 0), 0);
  assert.ok(Math.abs(dropped - 0.25 * n) / Math.sqrt(n * 0.25 * 0.75) < 4);
  // ε standard normal
  const e2 = b.eps.reduce((a, v) => a + v * v, 0) / n;
  assert.ok(Math.abs(e2 - 1) / Math.sqrt(2 / n) < 4);
});

Deno.test("trainMlp() reports the batch loss of the weights it is given, then lowers it", async () => {
  const mlp = Mlp.create({ dim: 2, hidden: [16, 16], objective: "x0", sigmaData: 0.8, key: KEY });
  const data = Float64Array.from({ length: 200 }, (_, i) => Math.cos(0.37 * i));
  const opts = { steps: 150, batchSize: 128, learningRate: 5e-3, key: KEY, emaDecay: 0 };
  const r = await trainMlp(mlp, { data }, opts);
  // step 0's loss is mean (F(x_in) − target)² on batch 0 with the initial weights
  const batch = denoisingBatch(mlp, { data }, {
    step: 0,
    batchSize: 128,
    key: KEY,
    noiseLevels: "lognormal",
    pMean: -1.2,
    pStd: 1.2,
    labelDropout: 0,
  });
  const b = new CpuBackend();
  const bind = mlp.bind(b);
  const out = b.zeros(256);
  await bind.forward(b.upload(batch.xIn), { t: batch.times }, out);
  const f = await b.download(out);
  bind.release();
  const loss0 = f.reduce((a, v, i) => a + (v - batch.target[i]!) ** 2, 0) / 256;
  assert.ok(Math.abs(r.losses[0]! - loss0) < 1e-12 * loss0);
  assert.ok(r.finalLoss < 0.8 * r.losses.slice(0, 10).reduce((a, v) => a + v, 0) / 10);
  // without EMA the returned weights are the last ones
  assert.deepEqual(r.mlp.params, r.last.params);
  // a second run with the same key gives the same losses
  const again = await trainMlp(mlp, { data }, opts);
  assert.deepEqual(again.losses, r.losses);
});

Deno.test("trainMlp() learns the exact denoiser of Gaussian data with every objective", async () => {
  // data N(μ, s²) in 1-D: E[x₀ | x_t] = μ + α s² (x − α μ)/(α² s² + σ²). After a short run
  // the network's own output must be within 0.1·s of the exact one, i.e. the x₀-prediction within
  // 0.1·s·|∂x₀/∂output| (ε-prediction at α ≪ σ amplifies by σ/α); a wrong target is off by O(s)
  const mu = 0.5, sd = 0.4;
  const data = new Float64Array(4096);
  fillNormal(data, { seed: 3, stream: 3 });
  for (let i = 0; i < data.length; i++) data[i] = mu + sd * data[i]!;
  for (const [objective, schedule, noiseLevels] of CASES) {
    const mlp = Mlp.create({
      dim: 1,
      hidden: [24, 24],
      objective,
      schedule,
      sigmaData: 0.6,
      key: KEY,
    });
    const r = await trainMlp(mlp, { data }, {
      steps: 1000,
      batchSize: 128,
      learningRate: 5e-3,
      key: KEY,
      noiseLevels,
      pMean: -0.5,
      pStd: 1.2,
    });
    const model = r.mlp.denoiser();
    const s = r.mlp.schedule;
    const b = new CpuBackend();
    for (const lambda of [2, 0, -1.5]) {
      const t = s.tOfLogSnr(lambda);
      const alpha = s.alpha(t), sigma = s.sigma(t);
      const xs = [-0.1, 0.3, 0.5, 0.7, 1.1].map((v) => alpha * v); // μ ± 1.5 s: where the data is
      const out = b.zeros(xs.length);
      await predictAs(model, b.upload(xs), { t, kind: "x0", out });
      const got = await b.download(out);
      const gain = Math.max(
        1,
        Math.abs(predictionCoefficients(s, { from: objective, to: "x0", t })[1]),
      );
      xs.forEach((x, i) => {
        const exact = mu +
          alpha * sd * sd * (x - alpha * mu) / (alpha * alpha * sd * sd + sigma * sigma);
        assert.ok(
          Math.abs(got[i]! - exact) < 0.1 * sd * gain,
          `${objective} λ=${lambda} x=${x}: ${got[i]} vs ${exact}`,
        );
      });
    }
  }
});

Deno.test("trainMlp() stops with a NumericalError naming the step where the loss stops being finite", async () => {
  const mlp = Mlp.create({
    dim: 1,
    hidden: [8, 8, 8],
    objective: "eps",
    schedule: { name: "vp-linear" },
  });
  const err = await trainMlp(mlp, { data: [1, -1, 0.5] }, {
    steps: 20,
    batchSize: 16,
    learningRate: 1e80,
    warmupSteps: 0,
  })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof NumericalError, String(err));
  assert.ok(err.step !== undefined && err.step > 0, `step ${err.step}`);
  assert.match(err.message, new RegExp(`the loss is (NaN|Infinity) at step ${err.step}`));
});

Deno.test("trainMlp() rejects bad data, labels and options before any work", async () => {
  const cond = Mlp.create({ dim: 2, hidden: [4], classes: 3 });
  const data = [0, 1, 2, 3];
  const cases: Array<[() => Promise<unknown>, new (m: string) => Error, RegExp]> = [
    [
      () => trainMlp(cond, { data }, { steps: 1 }),
      SdenoTypeError,
      /has 3 classes, so data.labels is required/,
    ],
    [
      () => trainMlp(cond, { data, labels: [0] }, { steps: 1 }),
      SdenoTypeError,
      /one label per row \(2\), got 1/,
    ],
    [
      () => trainMlp(cond, { data, labels: [0, 3] }, { steps: 1 }),
      SdenoRangeError,
      /labels\[1\] must be an integer in \[0, 2\], got "3"/,
    ],
    [
      () => trainMlp(cond, { data: [0, 1, 2], labels: [0] }, { steps: 1 }),
      SdenoTypeError,
      /n rows of 2 numbers .* got 3 numbers/,
    ],
    [
      () => trainMlp(cond, { data: [0, NaN], labels: [0] }, { steps: 1 }),
      SdenoRangeError,
      /data.data\[1\] must be finite/,
    ],
    [
      () => trainMlp(cond, { data, labels: [0, 1] }, { steps: 0 }),
      SdenoRangeError,
      /steps must be an integer in \[1/,
    ],
    [
      () => trainMlp(cond, { data, labels: [0, 1] }, { steps: 1, emaDecay: 1 }),
      SdenoRangeError,
      /emaDecay must be in \[0, 1\)/,
    ],
    [
      () => trainMlp(cond, { data, labels: [0, 1] }, { steps: 1, noiseLevels: "cosine" as never }),
      SdenoRangeError,
      /noiseLevels must be/,
    ],
  ];
  for (const [p, cls, re] of cases) {
    await assert.rejects(p, (e: Error) => e instanceof cls && re.test(e.message), String(re));
  }
});

Deno.test(
  { name: "trainMlp() on webgpu follows the cpu run within f32 rounding", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const live = gpu.liveArrays;
    const mlp = Mlp.create({ dim: 2, hidden: [32, 32], classes: 2, objective: "x0", key: KEY });
    const data = Float64Array.from({ length: 400 }, (_, i) => Math.sin(0.7 * i));
    const labels = Int32Array.from({ length: 200 }, (_, i) => i % 2);
    const run = (backend: Backend | undefined) =>
      trainMlp(mlp, { data, labels }, {
        steps: 8,
        batchSize: 256,
        learningRate: 1e-3,
        key: KEY,
        ...(backend ? { backend } : {}),
      });
    const [c, g] = [await run(undefined), await run(gpu)];
    for (let s = 0; s < 8; s++) {
      assert.ok(
        Math.abs(c.losses[s]! - g.losses[s]!) < 1e-4 * c.losses[s]!,
        `step ${s}: ${c.losses[s]} vs ${g.losses[s]}`,
      );
    }
    const maxDiff = Math.max(...c.mlp.params.map((v, i) => Math.abs(v - g.mlp.params[i]!)));
    assert.ok(maxDiff < 1e-4, `weights differ by ${maxDiff}`);
    assert.equal(gpu.liveArrays, live);
  },
);
