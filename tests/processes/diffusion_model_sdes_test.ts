import assert from "node:assert/strict";
import { createBackend, makeKey } from "../../kernels/mod.ts";
import { diffusionModelSde } from "../../processes/sde_models/diffusion_model_sdes.ts";
import { simulateEnsemble, sra1 } from "../../solvers/sde/mod.ts";
import { zScore } from "../../stats/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

// SRA1 (strong order 1.5 for additive noise) at dt = 1/256 leaves a bias far below the Monte
// Carlo standard errors of 20 000 paths, so each exact moment must be within 4 SE.
const KINDS = [
  ["ve", {}],
  ["vp", {}],
  ["mean-reverting", { theta: 2, mu: 0.5, lambda: 0.7 }],
  ["ouve", { gamma: 1.5, mu: 0.3, sigmaMin: 0.05, sigmaMax: 0.5 }],
] as const;

Deno.test({
  name:
    "diffusionModelSde() exact moments hold for ve, vp, mean-reverting and ouve on cpu and webgpu",
  ...GPU_TEST,
}, async () => {
  const backends = [await createBackend("cpu")];
  const gpu = await gpuBackend();
  if (gpu) backends.push(gpu);
  for (const backend of backends) {
    for (const [kind, options] of KINDS) {
      const model = diffusionModelSde(kind, options);
      const x0 = [1.5];
      const r = await simulateEnsemble(model, {
        backend,
        solver: sra1,
        x0,
        paths: 20_000,
        t1: 1,
        dt: 1 / 256,
        saveAt: [0.25, 1],
        key: makeKey(2026, 11),
      });
      r.t.forEach((t, s) => {
        const exact = model.moments!(t, x0);
        const zm = zScore(r.mean[s]!, exact.mean[0]!, { standardError: r.meanSe[s]! });
        const zv = zScore(r.variance[s]!, exact.variance[0]!, { standardError: r.varianceSe[s]! });
        assert.ok(Math.abs(zm) < 4, `${backend.name} ${kind} mean at t=${t}: z = ${zm}`);
        assert.ok(Math.abs(zv) < 4, `${backend.name} ${kind} variance at t=${t}: z = ${zv}`);
      });
    }
  }
});

Deno.test("diffusionModelSde() rejects an unknown kind and bad OUVE constants", () => {
  assert.throws(() => diffusionModelSde("ouv" as "ouve"), {
    name: "SdenoRangeError",
    message: /kind must be one of ve, vp, mean-reverting, ouve, got "ouv"/,
  });
  assert.throws(() => diffusionModelSde("ouve", { sigmaMin: 1, sigmaMax: 0.5 }), {
    name: "SdenoRangeError",
    message: /ouve needs gamma > 0 and 0 < sigmaMin < sigmaMax/,
  });
});
