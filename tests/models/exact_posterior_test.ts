// Exact posteriors against the stored ones (tests/fixtures/inverse, copied from
// ../shared/refs/inverse §2–§3): the d = 8 mixture instances' posterior weights, means and shared
// covariance, and the 8×8 images' posterior mean and covariance, to 1e-9; the same with the
// structured operators in place of the stored dense A; keyed sampling (moments |z| < 4, batch
// independence); bad input.
import assert from "node:assert/strict";
import {
  exactGaussianPosterior,
  exactMixturePosterior,
  sampleGaussianPosterior,
  sampleMixturePosterior,
} from "../../models/exact_posterior.ts";
import { boxMask } from "../../models/operators/mask.ts";
import { avgPoolOperator } from "../../models/operators/avgpool.ts";
import { gaussianBlurOperator } from "../../models/operators/blur.ts";
import { nonlinearOperator } from "../../models/operators/nonlinear.ts";
import { NumericalError, SdenoRangeError, SdenoTypeError } from "../../kernels/mod.ts";
import type { LinearOperator } from "../../models/operators/operator.ts";

const FIX = new URL("../fixtures/inverse/", import.meta.url);

function readF64(name: string): Float64Array {
  const bytes = Deno.readFileSync(new URL(`images/${name}`, FIX));
  return new Float64Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// deno-lint-ignore no-explicit-any
const gmm: any = JSON.parse(Deno.readTextFileSync(new URL("gmm/instances.json", FIX)));

Deno.test("exactMixturePosterior matches the stored d = 8 posteriors to 1e-9", async () => {
  for (const inst of gmm.instances) {
    assert.equal(inst.prior_cov, "identity");
    const post = await exactMixturePosterior(
      { weights: inst.weights, means: inst.means, covariances: 1 },
      inst.A,
      inst.sigma_y,
      inst.y,
    );
    const p = inst.posterior;
    assert.ok(maxDiff(post.weights, p.weights) < 1e-9, `${inst.name} weights`);
    const finite = (v: number) => Number.isFinite(v) ? v : -1e300;
    assert.ok(
      maxDiff(post.logWeights.map(finite), p.log_weights.map(finite)) < 1e-9,
      `${inst.name} log weights`,
    );
    assert.ok(
      maxDiff(post.means.flatMap((m) => [...m]), p.means.flat()) < 1e-9,
      `${inst.name} means`,
    );
    for (const c of post.covariances) {
      assert.ok(maxDiff(c, p.cov.flat()) < 1e-9, `${inst.name} cov`);
    }
    // the same with diagonal covariances given per component
    const diag = await exactMixturePosterior(
      {
        weights: inst.weights,
        means: inst.means,
        covariances: inst.means.map(() => new Array(inst.d).fill(1)),
      },
      { data: inst.A.flat(), rows: inst.d_y, cols: inst.d },
      inst.sigma_y,
      inst.y,
    );
    assert.ok(maxDiff(diag.weights, p.weights) < 1e-9);
  }
});

const images: [string, () => LinearOperator][] = [
  ["img8_inpaint_box", () => boxMask(8, 8)],
  ["img8_sr2", () => avgPoolOperator(8, 8, 2)],
  ["img8_blur", () => gaussianBlurOperator(8, 8, { sigma: 1, radius: 2 })],
];

Deno.test("exactGaussianPosterior matches the stored 8×8 posteriors to 1e-9, dense A and operator", async () => {
  for (const [name, make] of images) {
    const mean = readF64(`${name}_prior_mean.f64`), cov = readF64(`${name}_prior_cov.f64`);
    const a = readF64(`${name}_A.f64`), y = readF64(`${name}_y.f64`);
    const prior = { mean, covariance: cov };
    const wantMean = readF64(`${name}_post_mean.f64`), wantCov = readF64(`${name}_post_cov.f64`);
    for (const op of [{ data: a, rows: y.length, cols: 64 }, make()]) {
      const post = await exactGaussianPosterior(prior, op, 0.05, y);
      const em = maxDiff(post.mean, wantMean), ec = maxDiff(post.covariance, wantCov);
      assert.ok(em < 1e-9 && ec < 1e-9, `${name}: mean ${em}, cov ${ec}`);
    }
  }
});

Deno.test("posterior samples: moments within |z| < 4, rows independent of batching", async () => {
  // a 2-D Gaussian observed through one noisy row: mean and variance of each coordinate
  const post = await exactGaussianPosterior(
    { mean: [1, -1], covariance: [[2, 0.5], [0.5, 1]] },
    [[1, 1]],
    0.5,
    [0.7],
  );
  const n = 20000, key = { seed: 77, stream: 0 };
  const x = sampleGaussianPosterior(post, n, key);
  for (let j = 0; j < 2; j++) {
    let s = 0, s2 = 0;
    for (let r = 0; r < n; r++) {
      s += x[r * 2 + j]!;
      s2 += x[r * 2 + j]! ** 2;
    }
    const m = s / n, v = s2 / n - m * m, want = post.covariance[j * 3]!;
    assert.ok(Math.abs(m - post.mean[j]!) / Math.sqrt(want / n) < 4, `mean ${j}`);
    assert.ok(Math.abs(v - want) / Math.sqrt(2 * want * want / n) < 4, `variance ${j}`);
  }
  assert.deepEqual(
    sampleGaussianPosterior(post, 5, key, { pathOffset: 100 }),
    x.subarray(200, 210),
  );
  // mixture: the fraction in each component within |z| < 4
  const inst = gmm.instances[1];
  const mix = await exactMixturePosterior(
    { weights: inst.weights, means: inst.means, covariances: 1 },
    inst.A,
    inst.sigma_y,
    inst.y,
  );
  const xs = sampleMixturePosterior(mix, n, key);
  const top = mix.weights.indexOf(Math.max(...mix.weights));
  let near = 0;
  for (let r = 0; r < n; r++) {
    let dist = 0;
    for (let j = 0; j < 8; j++) dist += (xs[r * 8 + j]! - mix.means[top]![j]!) ** 2;
    // components are 8·√(2·4) ≥ 22 apart (means on a grid of spacing 8 in 4 coordinates), cov ≤ I
    if (dist < 100) near++;
  }
  const pw = mix.weights[top]!;
  assert.ok(Math.abs(near / n - pw) / Math.sqrt(pw * (1 - pw) / n) < 4, `${near / n} vs ${pw}`);
  assert.deepEqual(
    sampleMixturePosterior(mix, 7, key, { pathOffset: 13 }),
    xs.subarray(13 * 8, 20 * 8),
  );
});

Deno.test("noiseless measurements: σ_y = 0 conditions exactly; the covariance is singular but samples work", async () => {
  const post = await exactGaussianPosterior(
    { mean: [0, 0], covariance: [[1, 0.3], [0.3, 1]] },
    [[1, 0]],
    0,
    [2],
  );
  assert.ok(Math.abs(post.mean[0]! - 2) < 1e-15);
  assert.ok(Math.abs(post.covariance[0]!) < 1e-15);
  const x = sampleGaussianPosterior(post, 50, { seed: 1, stream: 0 });
  for (let r = 0; r < 50; r++) assert.ok(Math.abs(x[r * 2]! - 2) < 1e-12);
});

Deno.test("exact posteriors: bad input gets typed errors", async () => {
  const prior = { mean: [0, 0], covariance: [[1, 0], [0, 1]] };
  // deno-lint-ignore no-explicit-any
  const rej = (p: Promise<unknown>, e: new (...args: any[]) => Error) => assert.rejects(() => p, e);
  await rej(exactGaussianPosterior(prior, [[1, 0, 0]], 0.1, [1]), SdenoRangeError); // A columns
  await rej(exactGaussianPosterior(prior, [[1, 0]], 0.1, [1, 2]), SdenoRangeError); // y length
  await rej(exactGaussianPosterior(prior, [[1, 0]], -0.1, [1]), SdenoRangeError); // σ_y < 0
  await rej(exactGaussianPosterior(prior, [[1, 0]], 0.1, [NaN]), SdenoRangeError); // NaN y
  await rej(
    exactGaussianPosterior({ mean: [0, 0], covariance: [[1, 2], [2, 1]] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  ); // not SPD
  await rej(
    exactGaussianPosterior({ mean: [0, 0], covariance: [[1, 0.5], [0, 1]] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  ); // not symmetric
  await rej(exactGaussianPosterior(prior, [[1, 0], [2, 0]], 0, [1, 2]), SdenoRangeError); // singular noiseless
  await rej(exactGaussianPosterior(prior, boxMask(3, 3), 0.1, [1]), SdenoRangeError); // operator dims
  const nl = nonlinearOperator({ inDim: 2, outDim: 1, apply: (x, o) => (o[0] = x[0]! ** 2) });
  await rej(
    exactGaussianPosterior(prior, nl as unknown as LinearOperator, 0.1, [1]),
    SdenoTypeError,
  );
  await rej(exactGaussianPosterior(null as never, [[1, 0]], 0.1, [1]), SdenoTypeError);
  const mix = { weights: [1, 1], means: [[0, 0], [1, 1]], covariances: 1 };
  await rej(
    exactMixturePosterior({ ...mix, weights: [1, -1] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  );
  await rej(
    exactMixturePosterior({ ...mix, weights: [0, 0] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  );
  await rej(
    exactMixturePosterior({ ...mix, means: [[0, 0]] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  );
  await rej(
    exactMixturePosterior({ ...mix, means: [[0, 0], [1]] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  );
  await rej(
    exactMixturePosterior({ ...mix, covariances: [[1, 1], [1, -1]] }, [[1, 0]], 0.1, [1]),
    SdenoRangeError,
  );
  await rej(exactMixturePosterior({ ...mix, covariances: 0 }, [[1, 0]], 0.1, [1]), SdenoRangeError);
  await rej(exactMixturePosterior(mix, [[1, 0]], 0.1, [Infinity]), SdenoRangeError);
  const post = await exactGaussianPosterior(prior, [[1, 0]], 0.1, [1]);
  assert.throws(() => sampleGaussianPosterior(post, -1, { seed: 1, stream: 0 }), SdenoRangeError);
  assert.throws(
    () => sampleGaussianPosterior(post, 2, { seed: 1, stream: 0 }, { pathOffset: 0.5 }),
    SdenoTypeError,
  );
  assert.throws(
    () =>
      sampleGaussianPosterior({ ...post, covariance: new Float64Array([-1, 0, 0, 1]) }, 2, {
        seed: 1,
        stream: 0,
      }),
    NumericalError,
  );
});
