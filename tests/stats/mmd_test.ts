import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { mmdRbf } from "../../stats/mmd.ts";

/**
 * MMD² between N(0, I_d) and N(μ, I_d) with k(a, b) = exp(−‖a − b‖²/(2h²)):
 * E k(X, X') = E k(Y, Y') = (h²/(h² + 2))^{d/2} and
 * E k(X, Y) = (h²/(h² + 2))^{d/2} exp(−‖μ‖²/(2(h² + 2)))
 * (Gaussian integral of a Gaussian kernel; X − X' ~ N(0, 2I), X − Y ~ N(−μ, 2I)), so
 * MMD² = 2 (h²/(h² + 2))^{d/2} (1 − exp(−‖μ‖²/(2(h² + 2)))).
 */
function gaussianMmd2(d: number, mu2: number, h: number): number {
  const c = (h * h / (h * h + 2)) ** (d / 2);
  return 2 * c * (1 - Math.exp(-mu2 / (2 * (h * h + 2))));
}

function replicates(mu: number[], h: number, R: number, n: number, seed: number) {
  const d = mu.length;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n * d);
  const est: number[] = [];
  for (let r = 0; r < R; r++) {
    fillNormal(x, { seed, stream: 2 * r });
    fillNormal(y, { seed, stream: 2 * r + 1 });
    for (let i = 0; i < n * d; i++) y[i] = y[i]! + mu[i % d]!;
    est.push(mmdRbf(x, y, { d, bandwidth: h }).mmd2);
  }
  const mean = est.reduce((a, b) => a + b, 0) / R;
  const sd = Math.sqrt(est.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1));
  return { mean, se: sd / Math.sqrt(R) };
}

Deno.test("mmdRbf() is unbiased for the Gaussian closed form", () => {
  const mu = [0.5, -0.3];
  const h = 1.2;
  const exact = gaussianMmd2(2, 0.25 + 0.09, h);
  const { mean, se } = replicates(mu, h, 60, 150, 31);
  assert.ok(Math.abs(mean - exact) / se < 4, `mean ${mean} ± ${se} vs ${exact}`);
  assert.ok(exact > 10 * se); // the test has power
});

Deno.test("mmdRbf() has mean zero when both samples come from the same law", () => {
  const { mean, se } = replicates([0, 0], 1, 60, 150, 32);
  assert.ok(Math.abs(mean) / se < 4, `mean ${mean} ± ${se}`);
});

Deno.test("mmdRbf() is non-positive on identical samples and matches the direct sum", () => {
  const x = new Float64Array(30 * 2);
  fillNormal(x, { seed: 4, stream: 0 });
  const r = mmdRbf(x, x, { d: 2 });
  assert.ok(r.mmd2 <= 0);
  assert.ok(r.mmd2 > -0.1);
  // direct evaluation of eq. (3) on a tiny case
  const a = [0, 1, 3];
  const b = [0.5, 2];
  const k = (s: number, t: number) => Math.exp(-((s - t) ** 2) / 2);
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) xx += k(a[i]!, a[j]!);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) if (i !== j) yy += k(b[i]!, b[j]!);
  for (const s of a) for (const t of b) xy += k(s, t);
  const direct = xx / 6 + yy / 2 - (2 * xy) / 6;
  assert.ok(Math.abs(mmdRbf(a, b, { d: 1, bandwidth: 1 }).mmd2 - direct) < 1e-15);
});

Deno.test("mmdRbf() median heuristic is the median pairwise distance", () => {
  // pooled {0, 1, 3} ∪ {7}: distances 1, 3, 7, 2, 6, 4 → median (3 + 4)/2
  assert.equal(mmdRbf([0, 1], [3, 7], { d: 1 }).bandwidth, 3.5);
});

Deno.test("mmdRbf() rejects bad shapes and bandwidths", () => {
  assert.throws(
    () => mmdRbf(new Float64Array(7), new Float64Array(8), { d: 2 }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message === 'Cannot compute MMD: x has length 7, which is not a multiple of d "2"',
  );
  assert.throws(
    () => mmdRbf([1, 2], [3], { d: 1 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("y must hold at least 2 points"),
  );
  assert.throws(
    () => mmdRbf([1, 2], [3, 4], { d: 1, bandwidth: -1 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('bandwidth must be positive, got "-1"'),
  );
  assert.throws(
    () => mmdRbf([1, 1], [1, 1], { d: 1 }),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("median heuristic"),
  );
});
