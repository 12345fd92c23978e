import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { expm } from "../../../solvers/ctmc/expm.ts";
import { flashingRatchetModel, logRateModel } from "../../../solvers/inference/generator_models.ts";
import { mjpForwardBackward } from "../../../solvers/inference/mjp_forward_backward.ts";
import {
  mjpLogLikelihood,
  mjpLogLikelihoodGradient,
} from "../../../solvers/inference/mjp_log_likelihood.ts";
import {
  emissionLikelihoods,
  type EmissionModel,
  exactEmission,
  gaussianEmission,
  symmetricFlipEmission,
} from "../../../solvers/inference/observations.ts";

const q3 = RateMatrix.fromDense([[-1.5, 1, 0.5], [0.3, -0.8, 0.5], [2, 0.1, -2.1]]);
const pi0 = [0.2, 0.5, 0.3];
const path = {
  times: new Float64Array([0.1, 0.35, 1.2, 1.25, 3]),
  values: new Float64Array([0.2, 1.4, 2.1, 1.9, -0.3]),
};
const gauss = gaussianEmission(3, 0.7);

/** Sums over all hidden sequences: p(y), P(x_k = i, y), P(x_k = a, x_{k+1} = b, y). */
function bruteForce(
  q: RateMatrix,
  pi: number[],
  t: Float64Array,
  y: Float64Array,
  em: EmissionModel,
) {
  const n = q.n, L = t.length;
  const P = [...Array(L - 1).keys()].map((k) =>
    expm(q.toDense().map((x) => x * (t[k + 1]! - t[k]!)), { n })
  );
  const E = [...y].map((v) => emissionLikelihoods(em, v));
  let total = 0;
  const post = new Float64Array(L * n), pair = new Float64Array((L - 1) * n * n);
  const x = new Array<number>(L).fill(0);
  for (let code = 0; code < n ** L; code++) {
    let c = code;
    for (let k = 0; k < L; k++) {
      x[k] = c % n;
      c = Math.floor(c / n);
    }
    let p = pi[x[0]!]! * E[0]![x[0]!]!;
    for (let k = 1; k < L; k++) p *= P[k - 1]![x[k - 1]! * n + x[k]!]! * E[k]![x[k]!]!;
    total += p;
    for (let k = 0; k < L; k++) post[k * n + x[k]!] = post[k * n + x[k]!]! + p;
    for (let k = 0; k < L - 1; k++) {
      const e = k * n * n + x[k]! * n + x[k + 1]!;
      pair[e] = pair[e]! + p;
    }
  }
  return { total, post: post.map((v) => v / total), pair: pair.map((v) => v / total) };
}

Deno.test("mjpForwardBackward() equals enumeration over all hidden paths (Gaussian noise, 3 states, 5 observations)", () => {
  const r = mjpForwardBackward(q3, path, { initial: pi0, emission: gauss });
  const b = bruteForce(q3, pi0, path.times, path.values, gauss);
  assert.ok(Math.abs(r.logLikelihood - Math.log(b.total)) < 1e-13);
  r.posteriors.forEach((v, i) => assert.ok(Math.abs(v - b.post[i]!) < 1e-14, `γ ${i}`));
  r.pairwise.forEach((v, i) => assert.ok(Math.abs(v - b.pair[i]!) < 1e-14, `ξ ${i}`));
  // filtered law at the last time is the smoothed one
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(r.filtered[12 + i]! - r.posteriors[12 + i]!) < 1e-15);
  }
  // label flips and exact labels too
  const lab = { times: path.times, values: new Float64Array([0, 1, 2, 2, 0]) };
  for (const em of [symmetricFlipEmission(3, 0.2), exactEmission(3)]) {
    const s = mjpForwardBackward(q3, lab, { initial: pi0, emission: em });
    const t = bruteForce(q3, pi0, lab.times, lab.values, em);
    assert.ok(Math.abs(s.logLikelihood - Math.log(t.total)) < 1e-13);
    s.pairwise.forEach((v, i) => assert.ok(Math.abs(v - t.pair[i]!) < 1e-14));
  }
});

Deno.test("mjpLogLikelihood() sums paths; impossible data give −Infinity; bad input is refused", () => {
  const obs = {
    n: 3,
    paths: [path, { times: new Float64Array([0]), values: new Float64Array([1]) }],
  };
  const one = mjpForwardBackward(q3, path, { initial: pi0, emission: gauss }).logLikelihood;
  const ll = mjpLogLikelihood(q3, obs, { initial: pi0, emission: gauss });
  const single = Math.log(emissionLikelihoods(gauss, 1).reduce((s, e, i) => s + e * pi0[i]!, 0));
  assert.ok(Math.abs(ll - one - single) < 1e-12);
  const absorbing = RateMatrix.fromDense([[0, 0], [1, -1]]);
  const up = {
    n: 2,
    paths: [{ times: new Float64Array([0, 1]), values: new Float64Array([0, 1]) }],
  };
  assert.equal(
    mjpLogLikelihood(absorbing, up, { initial: [1, 0], emission: exactEmission(2) }),
    -Infinity,
  );
  const opts = { initial: pi0, emission: gauss };
  assert.throws(() => mjpLogLikelihood(q3, { n: 3, paths: [] }, opts), SdenoTypeError);
  assert.throws(
    () => mjpLogLikelihood(q3, obs, { initial: [0.5, 0.5], emission: gauss }),
    /initial/,
  );
  assert.throws(
    () => mjpLogLikelihood(q3, obs, { initial: [0.5, 0.6, -0.1], emission: gauss }),
    SdenoRangeError,
  );
  assert.throws(() => mjpLogLikelihood(q3, obs, { initial: pi0 } as never), /emission/);
  assert.throws(() => mjpLogLikelihood(absorbing, obs, opts), /2 states/);
  assert.throws(() => mjpLogLikelihood([[0]] as never, obs, opts), /RateMatrix/);
  assert.throws(
    () =>
      mjpLogLikelihood(q3, {
        n: 3,
        paths: [{ times: new Float64Array([1, 0.5]), values: new Float64Array([0, 1]) }],
      }, opts),
    /strictly increasing/,
  );
});

Deno.test("mjpLogLikelihoodGradient() matches central differences in every entry of Q and of π₀", () => {
  const obs = {
    n: 3,
    paths: [path, {
      times: new Float64Array([0, 0.2, 0.9]),
      values: new Float64Array([2.2, 0.1, 1]),
    }],
  };
  const opts = { initial: pi0, emission: gauss };
  const g = mjpLogLikelihoodGradient(q3, obs, opts);
  assert.ok(Math.abs(g.logLikelihood - mjpLogLikelihood(q3, obs, opts)) < 1e-12);
  const dense = q3.toDense();
  const h = 1e-6;
  // Q entries moved one at a time (RateMatrix needs zero row sums: move (i, j) and (i, i) together,
  // so the directional derivative is dQ[i][j] − dQ[i][i])
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (i === j) continue;
      const at = (s: number) => {
        const d = Float64Array.from(dense);
        d[i * 3 + j] = d[i * 3 + j]! + s;
        d[i * 3 + i] = d[i * 3 + i]! - s;
        return mjpLogLikelihood(RateMatrix.fromDense(d, { n: 3 }), obs, opts);
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      const an = g.dQ[i * 3 + j]! - g.dQ[i * 3 + i]!;
      assert.ok(
        Math.abs(fd - an) < 1e-7 * Math.max(1, Math.abs(an)),
        `(${i}, ${j}): ${an} vs ${fd}`,
      );
    }
  }
  for (let i = 0; i < 3; i++) {
    // π₀ moved along e_i − e_0 (stays a distribution to first order; the check accepts sums ≠ 1 within 1e-9)
    const at = (s: number) => {
      const p = [...pi0];
      p[i] = p[i]! + s;
      p[(i + 1) % 3] = p[(i + 1) % 3]! - s;
      return mjpLogLikelihood(q3, obs, { initial: p, emission: gauss });
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    const an = g.dInitial[i]! - g.dInitial[(i + 1) % 3]!;
    assert.ok(Math.abs(fd - an) < 1e-7, `π₀ ${i}`);
  }
});

Deno.test("generator models: ∂Q/∂θ matches central differences", () => {
  for (
    const [model, theta] of [
      [flashingRatchetModel(), [0.7, -0.2, 0.4]],
      [logRateModel(3, [[0, 1], [1, 2], [2, 0]]), [0.1, -1, 0.5]],
    ] as const
  ) {
    const t = new Float64Array(theta);
    const { dq } = model.generator(t);
    const h = 1e-6;
    for (let k = 0; k < t.length; k++) {
      const tp = Float64Array.from(t), tm = Float64Array.from(t);
      tp[k] = tp[k]! + h;
      tm[k] = tm[k]! - h;
      const qp = model.generator(tp).q, qm = model.generator(tm).q;
      qp.forEach((v, e) => assert.ok(Math.abs((v - qm[e]!) / (2 * h) - dq[k]![e]!) < 1e-8));
    }
  }
  assert.throws(() => flashingRatchetModel().generator(new Float64Array(2)), SdenoTypeError);
  assert.throws(() => logRateModel(3, [[0, 0]]), /diagonal/);
  assert.throws(() => logRateModel(3, [[0, 1], [0, 1]]), /repeated/);
  assert.throws(() => logRateModel(3, [[0, 3]]), RangeError);
});
