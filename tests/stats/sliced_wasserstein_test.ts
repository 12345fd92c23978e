import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { normalCdf } from "../../stats/normal_cdf.ts";
import { slicedWasserstein, slicedWassersteinToQuantiles } from "../../stats/sliced_wasserstein.ts";
import { wasserstein1d } from "../../stats/wasserstein_1d.ts";

const FIXTURE = new URL("../fixtures/sw2/", import.meta.url);

function readF64(name: string): Float64Array {
  const bytes = Deno.readFileSync(new URL(name, FIXTURE));
  // the fixture is little-endian float64; copy so the buffer is aligned
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

interface Sw2Fixture {
  gmm: { D: number; K: number; weights: number[]; means: number[][]; variances: number[][] };
  targets: Record<string, { alpha: number; sigma: number }>;
  floors: Record<string, number>;
  floor_targets: Record<string, string>;
}

const fixture: Sw2Fixture = JSON.parse(
  Deno.readTextFileSync(new URL("sw2.json", FIXTURE)),
);

/**
 * Exact quantiles at levels (j + 0.5)/q of ⟨θ, α x0 + σ ε⟩ for x0 from the
 * fixture's Gaussian mixture: a 1-D mixture Σ w_k N(α μ_k·θ, α² θᵀ V_k θ + σ²‖θ‖²).
 * Newton steps safeguarded by bisection on F(t) − u.
 */
function mixtureQuantiles(
  dirs: Float64Array,
  d: number,
  q: number,
  alpha: number,
  sigma: number,
): Float64Array {
  const { weights, means, variances } = fixture.gmm;
  const K = weights.length;
  const L = dirs.length / d;
  const out = new Float64Array(L * q);
  const m = new Float64Array(K);
  const s = new Float64Array(K);
  for (let l = 0; l < L; l++) {
    for (let k = 0; k < K; k++) {
      let mu = 0;
      let v = 0;
      let nn = 0;
      for (let c = 0; c < d; c++) {
        const t = dirs[l * d + c]!;
        mu += means[k]![c]! * t;
        v += variances[k]![c]! * t * t;
        nn += t * t;
      }
      m[k] = alpha * mu;
      s[k] = Math.sqrt(alpha * alpha * v + sigma * sigma * nn);
    }
    const sMax = Math.max(...s);
    const F = (t: number) => {
      let f = 0;
      for (let k = 0; k < K; k++) f += weights[k]! * normalCdf((t - m[k]!) / s[k]!);
      return f;
    };
    const pdf = (t: number) => {
      let f = 0;
      for (let k = 0; k < K; k++) {
        const z = (t - m[k]!) / s[k]!;
        f += (weights[k]! * Math.exp(-0.5 * z * z)) / (s[k]! * Math.sqrt(2 * Math.PI));
      }
      return f;
    };
    for (let j = 0; j < q; j++) {
      const u = (j + 0.5) / q;
      let lo = Math.min(...m) - 12 * sMax;
      let hi = Math.max(...m) + 12 * sMax;
      let t = j === 0 ? 0.5 * (lo + hi) : out[l * q + j - 1]!;
      for (let it = 0; it < 200; it++) {
        const g = F(t) - u;
        if (g < 0) lo = t;
        else hi = t;
        let next = t - g / pdf(t);
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        if (Math.abs(next - t) <= 1e-15 * Math.max(1, Math.abs(t)) || hi - lo <= 1e-15) {
          t = next;
          break;
        }
        t = next;
      }
      out[l * q + j] = t;
    }
  }
  return out;
}

Deno.test("slicedWassersteinToQuantiles() reproduces the vp_linear SW2 floor from the stored table", () => {
  const dirs = readF64("proj_gmm2d_ring8.bin");
  const quantiles = readF64("quant_gmm2d_ring8_vp_linear_t1e-3.bin");
  const x = readF64("ode_gmm2d_ring8_vp_linear.bin");
  assert.equal(dirs.length, 64 * 2);
  assert.equal(quantiles.length, 64 * 4096);
  assert.equal(x.length, 4096 * 2);
  const sw = slicedWassersteinToQuantiles(x, { d: 2, directions: dirs, quantiles });
  // floors.json: 0.03272912290700972 (numpy, pairwise summation); ours differs by rounding only
  assert.ok(
    Math.abs(sw / fixture.floors.vp_linear! - 1) < 1e-14,
    `SW2 ${sw} vs floor ${fixture.floors.vp_linear}`,
  );
});

Deno.test("slicedWassersteinToQuantiles() reproduces the ve_karras_s0 floor from recomputed data quantiles", () => {
  const dirs = readF64("proj_gmm2d_ring8.bin");
  const target = fixture.targets[fixture.floor_targets.ve_karras_s0!]!;
  const quantiles = mixtureQuantiles(dirs, 2, 4096, target.alpha, target.sigma);
  const x = readF64("ode_gmm2d_ring8_ve_karras_s0.bin");
  const sw = slicedWassersteinToQuantiles(x, { d: 2, directions: dirs, quantiles });
  assert.ok(
    Math.abs(sw / fixture.floors.ve_karras_s0! - 1) < 1e-12,
    `SW2 ${sw} vs floor ${fixture.floors.ve_karras_s0}`,
  );
});

Deno.test("mixture quantiles recomputed with normalCdf match the stored vp_linear_t1e-3 table", () => {
  const dirs = readF64("proj_gmm2d_ring8.bin");
  const stored = readF64("quant_gmm2d_ring8_vp_linear_t1e-3.bin");
  const t = fixture.targets["vp_linear_t1e-3"]!;
  // 8 of the 64 directions keep the test fast; every level of each
  const rows = [0, 9, 18, 27, 36, 45, 54, 63];
  const sub = new Float64Array(rows.length * 2);
  rows.forEach((r, i) => sub.set(dirs.subarray(2 * r, 2 * r + 2), 2 * i));
  const ours = mixtureQuantiles(sub, 2, 4096, t.alpha, t.sigma);
  let worst = 0;
  rows.forEach((r, i) => {
    for (let j = 0; j < 4096; j++) {
      const a = ours[i * 4096 + j]!;
      const b = stored[r * 4096 + j]!;
      worst = Math.max(worst, Math.abs(a - b));
    }
  });
  assert.ok(worst < 1e-12, `max |difference| ${worst}`);
});

Deno.test("slicedWassersteinToQuantiles() equals the pairwise formula when n equals q", () => {
  const d = 3;
  const n = 50;
  const x = new Float64Array(n * d);
  fillNormal(x, { seed: 11, stream: 0 });
  const dirs = new Float64Array([1, 0, 0, 0.6, 0.8, 0]);
  const quantiles = new Float64Array(2 * n);
  for (let j = 0; j < n; j++) {
    quantiles[j] = -2 + (4 * j) / n;
    quantiles[n + j] = -1 + (2 * j) / n;
  }
  let acc = 0;
  for (let l = 0; l < 2; l++) {
    const proj = Array.from(
      { length: n },
      (_, i) => x[i * d]! * dirs[l * d]! + x[i * d + 1]! * dirs[l * d + 1]!,
    ).sort((a, b) => a - b);
    for (let i = 0; i < n; i++) acc += (proj[i]! - quantiles[l * n + i]!) ** 2 / n;
  }
  const expected = Math.sqrt(acc / 2);
  const sw = slicedWassersteinToQuantiles(x, { d, directions: dirs, quantiles });
  assert.ok(Math.abs(sw - expected) < 1e-14 * expected);
});

Deno.test("slicedWassersteinToQuantiles() handles a table coarser than the sample exactly", () => {
  // sample {0, 1, 2, 3} vs a two-atom table {0.5, 2.5}: each atom of mass 1/2 is
  // matched to two sample points at distance 0.5, so W1 = 0.5 and W2 = 0.5
  const x = [0, 1, 2, 3];
  const opts = { d: 1, directions: [1], quantiles: [0.5, 2.5] };
  assert.equal(slicedWassersteinToQuantiles(x, { ...opts, p: 1 }), 0.5);
  assert.equal(slicedWassersteinToQuantiles(x, opts), 0.5);
});

Deno.test("slicedWasserstein() is zero between identical samples", () => {
  const x = new Float64Array(200 * 4);
  fillNormal(x, { seed: 1, stream: 0 });
  assert.equal(slicedWasserstein(x, x, { d: 4 }), 0);
  assert.equal(slicedWasserstein(x, Float32Array.from(x).map((v) => v), { d: 4 }) < 1e-6, true);
});

Deno.test("slicedWasserstein() between two point masses is the RMS of the projected gap", () => {
  const a = [1, -2, 0.5];
  const b = [-1, 3, 2];
  const x = new Float64Array(7 * 3).map((_, i) => a[i % 3]!);
  const y = new Float64Array(5 * 3).map((_, i) => b[i % 3]!);
  const dirs = new Float64Array(16 * 3);
  fillNormal(dirs, { seed: 5, stream: 0 });
  let s1 = 0;
  let s2 = 0;
  for (let l = 0; l < 16; l++) {
    let dot = 0;
    let nn = 0;
    for (let k = 0; k < 3; k++) {
      dot += dirs[l * 3 + k]! * (a[k]! - b[k]!);
      nn += dirs[l * 3 + k]! ** 2;
    }
    const proj = Math.abs(dot) / Math.sqrt(nn);
    s1 += proj / 16;
    s2 += (proj * proj) / 16;
  }
  const sw2 = slicedWasserstein(x, y, { d: 3, directions: dirs });
  const sw1 = slicedWasserstein(x, y, { d: 3, directions: dirs, p: 1 });
  assert.ok(Math.abs(sw2 - Math.sqrt(s2)) < 1e-14);
  assert.ok(Math.abs(sw1 - s1) < 1e-14);
});

Deno.test("slicedWasserstein() of a shifted sample equals the projected shift", () => {
  const n = 300;
  const x = new Float64Array(n * 2);
  fillNormal(x, { seed: 2, stream: 0 });
  const shift = [0.7, -1.9];
  const y = x.map((v, i) => v + shift[i % 2]!);
  // along a single direction the shift is exact: W_p = |⟨θ, δ⟩| for every p
  const theta = [3, 4]; // normalised to (0.6, 0.8)
  const expected = Math.abs(0.6 * 0.7 + 0.8 * -1.9);
  for (const p of [1, 2, 3]) {
    const sw = slicedWasserstein(x, y, { d: 2, directions: theta, p });
    assert.ok(Math.abs(sw - expected) < 1e-13, `p=${p}: ${sw} vs ${expected}`);
  }
  // with the default random directions, SW2² is the mean of ⟨θ_l, δ⟩²; for large
  // L it tends to ‖δ‖²/d (uniform directions on the circle)
  const sw = slicedWasserstein(x, y, { d: 2, numDirections: 4096, seed: 3 });
  const target = Math.hypot(0.7, 1.9) / Math.sqrt(2);
  // ⟨θ, δ⟩² = ‖δ‖² cos²φ has variance ‖δ‖⁴/8 for uniform φ; SE of the mean over L
  const se2 = (0.7 ** 2 + 1.9 ** 2) / Math.sqrt(8 * 4096);
  assert.ok(Math.abs(sw * sw - target * target) / se2 < 4);
});

Deno.test("slicedWasserstein() is symmetric and uses the seed deterministically", () => {
  const x = new Float64Array(40 * 2);
  const y = new Float64Array(25 * 2);
  fillNormal(x, { seed: 8, stream: 0 });
  fillNormal(y, { seed: 8, stream: 1 });
  const a = slicedWasserstein(x, y, { d: 2, seed: 4 });
  assert.ok(Math.abs(a - slicedWasserstein(y, x, { d: 2, seed: 4 })) < 1e-15);
  assert.equal(a, slicedWasserstein(x, y, { d: 2, seed: 4 }));
  assert.notEqual(a, slicedWasserstein(x, y, { d: 2, seed: 5 }));
});

Deno.test("wasserstein1d() handles unequal sizes through the quantile integral", () => {
  // F⁻¹ of {0, 1, 2}: 0 on (0,1/3], 1 on (1/3,2/3], 2 on (2/3,1]; G⁻¹ of {0, 3}: 0, then 3 after 1/2
  // |F⁻¹ − G⁻¹| = 0 on (0,1/3], 1 on (1/3,1/2], 2 on (1/2,2/3], 1 on (2/3,1]
  const w1 = 0 + 1 / 6 + 2 / 6 + 1 / 3;
  const w2sq = 0 + 1 / 6 + 4 / 6 + 1 / 3;
  assert.ok(Math.abs(wasserstein1d([2, 0, 1], [3, 0], { p: 1 }) - w1) < 1e-15);
  assert.ok(Math.abs(wasserstein1d([2, 0, 1], [3, 0]) - Math.sqrt(w2sq)) < 1e-15);
  // brute force: midpoint rule on a fine grid of u, exact for step functions on aligned cells
  const a = [0.3, -1.2, 2.5, 0.9, 4.1, -0.7, 1.1];
  const b = [0.1, 2.2, -3.0, 1.7, 0.0];
  const sa = [...a].sort((s, t) => s - t);
  const sb = [...b].sort((s, t) => s - t);
  const cells = 7 * 5 * 4;
  let acc = 0;
  for (let c = 0; c < cells; c++) {
    const u = (c + 0.5) / cells;
    acc += (sa[Math.floor(u * 7)]! - sb[Math.floor(u * 5)]!) ** 2 / cells;
  }
  assert.ok(Math.abs(wasserstein1d(a, b) - Math.sqrt(acc)) < 1e-14);
});

Deno.test("slicedWasserstein() rejects bad input with typed errors", () => {
  const x = new Float64Array(7);
  assert.throws(
    () => slicedWasserstein(x, new Float64Array(8), { d: 2 }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message.includes('x has length 7, which is not a multiple of d "2"'),
  );
  assert.throws(
    () => slicedWasserstein(new Float64Array(0), new Float64Array(4), { d: 2 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("x must hold at least 1 point"),
  );
  assert.throws(
    () => slicedWasserstein([0, 0], [1, 1], { d: 2, directions: [0, 0] }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("directions row 0 must be non-zero"),
  );
  assert.throws(
    () => slicedWasserstein([0, 0], [1, 1], { d: 2, p: 0.5 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('p must be at least 1, got "0.5"'),
  );
  assert.throws(
    () => slicedWasserstein([0, NaN], [1, 1], { d: 2 }),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes('x[1] must be finite, got "NaN"'),
  );
  assert.throws(
    () => slicedWasserstein([0, 0], [1, 1], { d: 2, numDirections: 0 }),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("numDirections"),
  );
  assert.throws(
    () => slicedWassersteinToQuantiles([0, 1], { d: 1, directions: [1, 1], quantiles: [0, 1, 2] }),
    (e: unknown) =>
      e instanceof SdenoTypeError &&
      e.message.includes(
        'quantiles has length 3, which is not a multiple of the number of directions "2"',
      ),
  );
  assert.throws(
    () => slicedWassersteinToQuantiles([0, 1], { d: 1, directions: [1], quantiles: [1, 0] }),
    (e: unknown) => e instanceof SdenoRangeError && e.message.includes("must be non-decreasing"),
  );
});
