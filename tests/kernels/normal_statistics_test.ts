// The normal generator's law, on 1e7 draws per backend: mean, variance,
// skewness and excess kurtosis each within 4 standard errors of N(0, 1)'s
// values, and the KS test against the exact normal CDF. The standard errors
// are the exact ones for N(0, 1) samples: sqrt(1/n), sqrt(2/n), sqrt(6/n),
// sqrt(24/n) (the delta-method values of moments() agree to O(1/n)).
import assert from "node:assert/strict";
import { fillNormal, fillUniform, makeKey } from "../../kernels/mod.ts";
import { ksTest, moments, normalCdf, zScore } from "../../stats/mod.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

const N = 10_000_000;
const KEY = makeKey(20261124, 9);

function checkNormalLaw(z: Float64Array | Float32Array, label: string): void {
  const m = moments(z);
  const n = z.length;
  const checks: Array<[string, number, number]> = [
    ["mean", m.mean, Math.sqrt(1 / n)],
    ["variance", m.variance - 1, Math.sqrt(2 / n)],
    ["skewness", m.skewness, Math.sqrt(6 / n)],
    ["excess kurtosis", m.excessKurtosis, Math.sqrt(24 / n)],
  ];
  for (const [name, estimate, se] of checks) {
    const z = zScore(estimate, 0, { standardError: se });
    assert.ok(Math.abs(z) < 4, `${label}: ${name} z = ${z.toFixed(2)}`);
  }
  // KS on the full sample: D ~ 1/sqrt(n) under the null; p < 1e-4 would be a 4-sigma failure
  const ks = ksTest(z, normalCdf);
  assert.ok(ks.pValue > 1e-4, `${label}: KS D = ${ks.statistic}, p = ${ks.pValue}`);
}

Deno.test("fillNormal() on cpu has the N(0, 1) law on 1e7 draws", () => {
  const z = new Float64Array(N);
  fillNormal(z, KEY, { step: 1 });
  checkNormalLaw(z, "cpu");
});

Deno.test(
  { name: "fillNormal() on webgpu has the N(0, 1) law on 1e7 draws", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const z = gpu.zeros(N);
    await gpu.fillNormal(z, KEY, { step: 1 });
    checkNormalLaw(await gpu.download(z), "webgpu");
    gpu.release(z);
  },
);

Deno.test({
  name: "fillUniform() is uniform on (0, 1) by KS on 1e6 draws, both backends",
  ...GPU_TEST,
}, async () => {
  const n = 1_000_000;
  const u = new Float64Array(n);
  fillUniform(u, KEY, { purpose: 4 });
  const cdf = (x: number) => Math.min(1, Math.max(0, x));
  assert.ok(ksTest(u, cdf).pValue > 1e-4);
  const gpu = await gpuBackend();
  if (!gpu) return;
  const g = gpu.zeros(n);
  await gpu.fillUniform(g, KEY, { purpose: 4 });
  assert.ok(ksTest(await gpu.download(g), cdf).pValue > 1e-4);
});
