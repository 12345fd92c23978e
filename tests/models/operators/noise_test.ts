// Noise models: log-likelihoods against their closed forms, gradients against finite differences,
// keyed measurement sampling (moments within |z| < 4, batch independence, cpu vs webgpu), and
// bad input.
import assert from "node:assert/strict";
import {
  gaussianNoise,
  logLikelihood,
  logLikelihoodGrad,
  poissonNoise,
  sampleMeasurement,
} from "../../../models/operators/noise.ts";
import { logGamma } from "../../../kernels/incomplete_gamma.ts";
import { cpu, maxDiff } from "./_check.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/mod.ts";

const key = { seed: 2024, stream: 3 };

Deno.test("logLikelihood: Gaussian and Poisson closed forms; gradients by finite differences", async () => {
  const y = [0.3, -1.2, 2];
  const ax = [0.1, -1, 2.5, 1, 1, 1];
  const g = await logLikelihood(gaussianNoise(0.7), y, cpu.upload(ax));
  for (let r = 0; r < 2; r++) {
    let ss = 0;
    for (let j = 0; j < 3; j++) ss += (y[j]! - ax[r * 3 + j]!) ** 2;
    const want = -ss / (2 * 0.49) - 1.5 * Math.log(2 * Math.PI * 0.49);
    assert.ok(Math.abs(g[r]! - want) < 1e-14);
  }
  const yp = [0.5, 0, 1.25], rate = 4, lam = [0.3, 0.2, 1.5, 1, 1, 0];
  const p = await logLikelihood(poissonNoise(rate), yp, cpu.upload(lam));
  let want = 0;
  for (let j = 0; j < 3; j++) {
    const k = rate * yp[j]!, l = rate * lam[j]!;
    want += k * Math.log(l) - l - logGamma(k + 1);
  }
  assert.ok(Math.abs(p[0]! - want) < 1e-12);
  assert.equal(p[1], -Infinity); // λ = 0 with k > 0
  // gradients: central differences of the log-likelihood in each coordinate of A(x)
  for (
    const [noise, yy, a] of [[gaussianNoise(0.7), y, ax.slice(0, 3)], [
      poissonNoise(rate),
      yp,
      lam.slice(0, 3),
    ]] as const
  ) {
    const grad = cpu.zeros(3);
    await logLikelihoodGrad(noise, yy, cpu.upload(a), grad);
    const gh = await cpu.download(grad);
    for (let j = 0; j < 3; j++) {
      const h = 1e-6, up = a.slice(), dn = a.slice();
      up[j] = up[j]! + h;
      dn[j] = dn[j]! - h;
      const fd = ((await logLikelihood(noise, yy, cpu.upload(up)))[0]! -
        (await logLikelihood(noise, yy, cpu.upload(dn)))[0]!) / (2 * h);
      assert.ok(
        Math.abs(fd - gh[j]!) < 1e-6 * (1 + Math.abs(fd)),
        `${noise.kind} ${j}: ${fd} vs ${gh[j]}`,
      );
    }
  }
});

Deno.test("sampleMeasurement: Gaussian and Poisson moments within |z| < 4, batch independent", async () => {
  const n = 20000, dy = 2;
  const ax = new Float64Array(n * dy);
  for (let r = 0; r < n; r++) {
    ax[r * dy] = 0.5;
    ax[r * dy + 1] = 3;
  }
  const out = cpu.zeros(n * dy);
  await sampleMeasurement(gaussianNoise(0.2), cpu.upload(ax), out, { key, dy });
  const yg = await cpu.download(out);
  const rate = 10;
  const outp = cpu.zeros(n * dy);
  await sampleMeasurement(poissonNoise(rate), cpu.upload(ax), outp, { key, dy });
  const yp = await cpu.download(outp);
  for (let j = 0; j < dy; j++) {
    let s = 0, s2 = 0, ps = 0, ps2 = 0;
    for (let r = 0; r < n; r++) {
      const v = yg[r * dy + j]! - ax[j]!;
      s += v;
      s2 += v * v;
      const k = yp[r * dy + j]! * rate;
      assert.equal(k, Math.round(k));
      ps += k;
      ps2 += k * k;
    }
    assert.ok(Math.abs(s / n) / Math.sqrt(0.04 / n) < 4);
    assert.ok(Math.abs(s2 / n - 0.04) / Math.sqrt(2 * 0.04 ** 2 / n) < 4);
    const lam = rate * ax[j]!, mean = ps / n, variance = ps2 / n - mean * mean;
    assert.ok(Math.abs(mean - lam) / Math.sqrt(lam / n) < 4, `Poisson mean ${mean} vs ${lam}`);
    // Var of the sample variance of a Poisson(λ): (μ4 − σ⁴)/n with μ4 = λ(1 + 3λ)
    assert.ok(Math.abs(variance - lam) / Math.sqrt((lam * (1 + 3 * lam) - lam * lam) / n) < 4);
  }
  // rows 7…9 drawn alone equal rows 7…9 of the whole batch
  for (const [noise, whole] of [[gaussianNoise(0.2), yg], [poissonNoise(rate), yp]] as const) {
    const part = cpu.zeros(3 * dy);
    await sampleMeasurement(noise, cpu.upload(ax.subarray(14, 20)), part, {
      key,
      dy,
      pathOffset: 7,
    });
    assert.deepEqual([...await cpu.download(part)], [...whole.subarray(14, 20)]);
  }
});

Deno.test("noise: bad input gets typed errors", async () => {
  const a = cpu.upload([1, 2]);
  await assert.rejects(() => logLikelihood(gaussianNoise(0), [1, 2], a), SdenoRangeError);
  await assert.rejects(() => logLikelihood(gaussianNoise(1), [1, NaN], a), SdenoRangeError);
  await assert.rejects(() => logLikelihood(gaussianNoise(1), [1, 2, 3], a), SdenoRangeError);
  await assert.rejects(
    () => logLikelihood({ kind: "gaussian", sigma: -1 } as never, [1, 2], a),
    SdenoRangeError,
  );
  await assert.rejects(() => logLikelihood(poissonNoise(1), [-1, 2], a), SdenoRangeError);
  await assert.rejects(
    () => logLikelihoodGrad(gaussianNoise(1), [1, 2], a, cpu.zeros(3)),
    SdenoTypeError,
  );
  await assert.rejects(
    () => sampleMeasurement(poissonNoise(1), cpu.upload([-1, 1]), cpu.zeros(2), { key, dy: 2 }),
    SdenoRangeError,
  );
  await assert.rejects(
    () => sampleMeasurement(gaussianNoise(1), a, cpu.zeros(2), { key, dy: 3 }),
    SdenoRangeError,
  );
  await assert.rejects(
    () => sampleMeasurement(gaussianNoise(1), a, cpu.zeros(2), { key, dy: 2, pathOffset: -1 }),
    SdenoRangeError,
  );
});

Deno.test({
  name: "noise: webgpu samples and gradients match the cpu within f32",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const ax = Float64Array.from({ length: 12 }, (_, i) => 0.2 + 0.1 * i);
    const res = async (b: typeof cpu | typeof gpu) => {
      const s = b.zeros(12), gp = b.zeros(12), g = b.zeros(12);
      await sampleMeasurement(gaussianNoise(0.3), b.upload(ax), s, { key, dy: 3, pathOffset: 2 });
      await sampleMeasurement(poissonNoise(50), b.upload(ax), gp, { key, dy: 3 });
      await logLikelihoodGrad(gaussianNoise(0.3), [1, 0, 2], b.upload(ax), g);
      return [...await b.download(s), ...await b.download(gp), ...await b.download(g)];
    };
    assert.ok(maxDiff(await res(cpu), await res(gpu)) < 1e-4);
  },
});
