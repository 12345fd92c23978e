// The ONNX export of the MLP, run by onnxruntime-node, equals the TypeScript model (float64 with
// the same float32 weights) within float32 rounding. Needs --allow-ffi and --allow-read.
import assert from "node:assert/strict";
import { CpuBackend, fillNormal, SdenoRangeError } from "../../kernels/mod.ts";
import { Mlp, type MlpObjective, type MlpScheduleName } from "../../models/mlp.ts";
import { mlpToOnnx } from "../../models/mlp_onnx.ts";
import { onnxDenoiser } from "../../models/onnx.ts";

const CASES: Array<[MlpObjective, MlpScheduleName, number]> = [
  ["x0", "edm", 3],
  ["eps", "vp-linear", 0],
  ["v", "vp-cosine", 2],
  ["velocity", "rectified-flow", 0],
  ["x0", "ve", 0],
];

for (const [objective, scheduleName, classes] of CASES) {
  Deno.test(
    `mlpToOnnx(): onnxruntime equals Mlp.denoiser() (${objective}, ${scheduleName}, ${classes} classes)`,
    {
      sanitizeResources: false,
      sanitizeOps: false,
    },
    async () => {
      const base = Mlp.create({
        dim: 3,
        hidden: [24, 16],
        timeFeatures: 4,
        classes,
        objective,
        schedule: { name: scheduleName },
        sigmaData: 0.8,
        key: { seed: 4, stream: 4 },
      });
      // non-zero biases and a non-trivial output layer; weights rounded to f32 as when shipped
      const p = new Float64Array(base.parameterCount);
      fillNormal(p, { seed: 8, stream: 8 });
      const mlp = base.withParams(Float32Array.from(p, (v) => 0.4 * v));
      const model = mlp.denoiser();
      const onnx = await onnxDenoiser(mlpToOnnx(mlp), {
        schedule: mlp.schedule,
        kind: objective,
        time: "sigma",
        ...(classes > 0 ? { labelCount: classes + 1 } : {}),
      });
      try {
        const b = new CpuBackend();
        const n = 50;
        const x = new Float64Array(3 * n);
        fillNormal(x, { seed: 9, stream: 0 });
        const labels = classes > 0
          ? Array.from({ length: n }, (_, i) => i % (classes + 1))
          : undefined;
        const s = mlp.schedule;
        for (const lambda of [6, 2, 0, -2, -5]) {
          const t = Math.min(s.tMax, Math.max(s.tMin, s.tOfLogSnr(lambda)));
          const xs = b.upload(x.map((v) => v * Math.hypot(s.alpha(t), s.sigma(t))));
          const a = b.zeros(3 * n), o = b.zeros(3 * n);
          const request = {
            kind: objective,
            conditioning: labels ? { labels } : undefined,
          } as const;
          await model.predict(xs, t, a, request);
          await onnx.predict(xs, t, o, request);
          const want = await b.download(a), got = await b.download(o);
          const scale = Math.max(1, ...want.map(Math.abs));
          const err = Math.max(...want.map((v, i) => Math.abs(v - got[i]!)));
          // float32 through two dozen-term layers: a few hundred ulps of the scale
          assert.ok(err <= 2e-5 * scale, `λ=${lambda}: ${err} (scale ${scale})`);
        }
      } finally {
        await onnx.close();
      }
    },
  );
}

Deno.test("mlpToOnnx() refuses a schedule it cannot invert", () => {
  const mlp = Mlp.create({ dim: 2, hidden: [4] });
  const fake = Object.create(mlp, {
    spec: { value: { ...mlp.spec, schedule: { name: "sub-vp" } } },
  });
  assert.throws(() => mlpToOnnx(fake), SdenoRangeError);
});
