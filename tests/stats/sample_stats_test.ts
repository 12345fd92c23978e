import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { covarianceError } from "../../stats/covariance_error.ts";
import { meanError } from "../../stats/mean_error.ts";
import { sampleCovariance } from "../../stats/sample_covariance.ts";
import { sampleMean } from "../../stats/sample_mean.ts";

Deno.test("sampleCovariance() matches numpy.cov(ddof=1)", () => {
  // numpy.cov([[0,1],[2,-1],[3,3],[-1,0.5]], rowvar=False, ddof=1)
  //   = [[3.3333333333333335, 1.0], [1.0, 2.7291666666666665]]
  const x = [0, 1, 2, -1, 3, 3, -1, 0.5];
  const c = sampleCovariance(x, { d: 2 });
  const ref = [10 / 3, 1, 1, 2.7291666666666665];
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(c[k]! - ref[k]!) < 1e-15);
  assert.deepEqual(Array.from(sampleMean(x, { d: 2 })), [1, 0.875]);
  assert.deepEqual(Array.from(sampleMean(Float32Array.from(x), { d: 2 })), [1, 0.875]);
});

Deno.test("meanError() and covarianceError() are small for exact normal samples", () => {
  // x = L z with L = [[1, 0], [0.5, 2]]: mean 0, covariance L Lᵀ = [[1, 0.5], [0.5, 4.25]]
  const n = 20000;
  const z = new Float64Array(2 * n);
  fillNormal(z, { seed: 13, stream: 0 });
  const x = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = z[2 * i]!;
    x[2 * i + 1] = 0.5 * z[2 * i]! + 2 * z[2 * i + 1]!;
  }
  const cov = [1, 0.5, 0.5, 4.25];
  // ‖x̄‖² is a sum of squared normals with E = tr(C)/n: a 4-SE-style bound on its
  // size uses E[‖x̄‖²] + 4·sd, sd = sqrt(2 tr(C²))/n
  const trC = 1 + 4.25;
  const trC2 = 1 + 2 * 0.25 + 4.25 ** 2;
  const me = meanError(x, { d: 2, mean: [0, 0] });
  assert.ok(me * me < trC / n + (4 * Math.sqrt(2 * trC2)) / n, `mean error ${me}`);
  // each entry of Ĉ − C has SD sqrt((C_aa C_bb + C_ab²)/n) for normal data
  const ce = covarianceError(x, { d: 2, cov });
  const varSum = (1 * 1 + 1) + 2 * (1 * 4.25 + 0.25) + (4.25 * 4.25 + 4.25 ** 2);
  assert.ok(ce < 4 * Math.sqrt(varSum / n), `covariance error ${ce}`);
  // a wrong target is detected
  assert.ok(covarianceError(x, { d: 2, cov: [1, 0, 0, 1] }) > 3);
  assert.ok(Math.abs(meanError(x, { d: 2, mean: [3, 4] }) - 5) < 0.1);
});

Deno.test("meanError() and covarianceError() reject mismatched shapes", () => {
  assert.throws(
    () => meanError([1, 2, 3], { d: 2, mean: [0, 0] }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message.includes('x has length 3, which is not a multiple of d "2"'),
  );
  assert.throws(
    () => meanError([1, 2], { d: 2, mean: [0] }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message.includes("mean must have length d = 2, got length 1"),
  );
  assert.throws(
    () => covarianceError([1, 2, 3, 4], { d: 2, cov: [1, 0, 0] }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message.includes("cov must have length d·d = 4, got length 3"),
  );
  assert.throws(
    () => sampleCovariance([1, 2], { d: 2 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("x must hold at least 2 points"),
  );
  assert.throws(
    () => sampleMean([], { d: 1 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("x must hold at least 1 point"),
  );
  assert.throws(
    () => sampleMean([1, 2], {} as { d: number }),
    (e: unknown) =>
      e instanceof SdenoTypeError && e.message.includes("options.d (the dimension) is required"),
  );
});
