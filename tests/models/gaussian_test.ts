import assert from "node:assert/strict";
import { type Backend, createBackend, fillNormal, makeKey } from "../../kernels/mod.ts";
import { gaussian } from "../../models/gaussian.ts";
import { gaussianMixture } from "../../models/gaussian_mixture.ts";
import type { Denoiser, PredictionKind } from "../../models/denoiser.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";

const KINDS: PredictionKind[] = ["x0", "eps", "v", "score", "velocity"];
const cpu = await createBackend("cpu");

function normals(n: number, seed: number): Float64Array {
  const z = new Float64Array(n);
  fillNormal(z, makeKey(seed, 0));
  return z;
}

async function predict(b: Backend, m: Denoiser, x: Float64Array, t: number, kind: PredictionKind) {
  const out = b.zeros(x.length);
  await m.predict(b.upload(x), t, out, { kind });
  return Float64Array.from(await b.download(out));
}

/**
 * Checks vjp against central differences of v·pred(x) in every coordinate (step h; truncation
 * O(h²·|∂³p|), rounding O(u·|p|/h)): relative 1e-6 of the largest entry.
 */
async function checkVjp(m: Denoiser, x: Float64Array, t: number, kind: PredictionKind) {
  const v = normals(x.length, 99);
  const out = cpu.zeros(x.length);
  await m.vjp!(cpu.upload(x), t, cpu.upload(v), out, { kind });
  const got = await cpu.download(out);
  const d = m.dim, h = 1e-5;
  let worst = 0, scale = 0;
  for (let e = 0; e < x.length; e++) {
    const row = Math.floor(e / d) * d;
    const xp = x.slice(row, row + d), xm = x.slice(row, row + d);
    xp[e - row] = xp[e - row]! + h;
    xm[e - row] = xm[e - row]! - h;
    const pp = await predict(cpu, m, xp, t, kind), pm = await predict(cpu, m, xm, t, kind);
    let fd = 0;
    for (let j = 0; j < d; j++) fd += v[row + j]! * (pp[j]! - pm[j]!) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - got[e]!));
    scale = Math.max(scale, Math.abs(fd));
  }
  assert.ok(worst <= 1e-6 * scale, `${kind} t=${t}: ${worst} vs scale ${scale}`);
}

Deno.test("gaussian() equals gaussianMixture() with K = 1 for every kind", async () => {
  for (const schedule of [edmSchedule(), vpLinearSchedule()]) {
    const spec = { mean: [1, -2, 0.5], covariance: [[0.3, 0, 0], [0, 2, 0], [0, 0, 0.05]] };
    const g = gaussian(spec, schedule);
    const gm = gaussianMixture({
      weights: [1],
      means: [spec.mean],
      variances: [[0.3, 2, 0.05]],
    }, schedule);
    const x = normals(30, 1);
    for (const t of schedule.name === "edm" ? [80, 1, 0.002] : [1, 0.3, 1e-3]) {
      for (const kind of KINDS) {
        const a = await predict(cpu, g, x, t, kind), b = await predict(cpu, gm, x, t, kind);
        for (let i = 0; i < a.length; i++) {
          assert.ok(
            Math.abs(a[i]! - b[i]!) <= 1e-12 * Math.max(1, Math.abs(b[i]!)),
            `${schedule.name} t=${t} ${kind} ${i}: ${a[i]} vs ${b[i]}`,
          );
        }
      }
    }
  }
});

Deno.test("gaussian() with full covariance satisfies x = α x̂₀ + σ ε̂ and matches a hand solve", async () => {
  const s = vpLinearSchedule();
  const g = gaussian({ mean: [1, 2], covariance: [[2, 1], [1, 3]] }, s);
  const x = Float64Array.from([0.3, -0.7, 1.5, 0.2]);
  for (const t of [0.9, 0.2, 1e-3]) {
    const x0 = await predict(cpu, g, x, t, "x0"), eps = await predict(cpu, g, x, t, "eps");
    const a = s.alpha(t), sg = s.sigma(t);
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(a * x0[i]! + sg * eps[i]! - x[i]!) < 1e-13);
    }
    // x̂₀ = m + α C S⁻¹ (x − α m), S = α² C + σ² I, 2×2 inverse by hand
    const S = [a * a * 2 + sg * sg, a * a, a * a, a * a * 3 + sg * sg];
    const det = S[0]! * S[3]! - S[1]! * S[2]!;
    const r = [x[0]! - a, x[1]! - 2 * a];
    const y = [(S[3]! * r[0]! - S[1]! * r[1]!) / det, (S[0]! * r[1]! - S[2]! * r[0]!) / det];
    const want = [1 + a * (2 * y[0]! + y[1]!), 2 + a * (y[0]! + 3 * y[1]!)];
    assert.ok(Math.abs(x0[0]! - want[0]!) < 1e-12 && Math.abs(x0[1]! - want[1]!) < 1e-12);
  }
});

Deno.test("gaussian().vjp equals central finite differences to 1e-6 for every kind", async () => {
  const s = vpLinearSchedule();
  const g = gaussian({
    mean: [0.5, -1, 2],
    covariance: [[1, 0.4, -0.2], [0.4, 0.8, 0.1], [-0.2, 0.1, 0.5]],
  }, s);
  const x = normals(6, 5);
  for (const t of [0.8, 0.1]) for (const kind of KINDS) await checkVjp(g, x, t, kind);
});

Deno.test("gaussianMixture().vjp equals central finite differences to 1e-6 for every kind", async () => {
  const ring = {
    weights: Array.from({ length: 8 }, (_, k) => (k + 1) / 36),
    means: Array.from(
      { length: 8 },
      (_, k) => [2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8), 0.1 * k],
    ),
    variances: Array.from({ length: 8 }, (_, k) => [0.04, 0.09, 0.02 + 0.01 * k]),
  };
  for (const schedule of [edmSchedule(), vpLinearSchedule()]) {
    const gm = gaussianMixture(ring, schedule);
    // points between modes, where the responsibilities move fastest
    const x = normals(12, 3).map((z) => 1.2 * z);
    const times = schedule.name === "edm" ? [2, 0.5, 0.3] : [0.5, 0.2, 0.1];
    for (const t of times) for (const kind of KINDS) await checkVjp(gm, x, t, kind);
  }
});

Deno.test("gaussian() rejects bad shapes, asymmetric and indefinite covariances", async () => {
  const s = edmSchedule();
  assert.throws(() => gaussian({ mean: [], covariance: [] }, s), { name: "SdenoTypeError" });
  assert.throws(() => gaussian({ mean: [0, 0], covariance: [[1, 0]] }, s), {
    name: "SdenoTypeError",
    message: /covariance must have 2 rows/,
  });
  assert.throws(() => gaussian({ mean: [0, 0], covariance: [[1, 0.1], [0, 1]] }, s), {
    name: "SdenoRangeError",
    message: /symmetric/,
  });
  assert.throws(() => gaussian({ mean: [0, 0], covariance: [[1, 2], [2, 1]] }, s), {
    name: "SdenoRangeError",
    message: /positive definite/,
  });
  assert.throws(() => gaussian({ mean: [0, NaN], covariance: [[1, 0], [0, 1]] }, s), {
    name: "SdenoTypeError",
  });
  const g = gaussian({ mean: [0, 0], covariance: [[1, 0], [0, 1]] }, s);
  await assert.rejects(() => g.predict(cpu.upload([1, 2, 3]), 1, cpu.zeros(3), { kind: "x0" }), {
    name: "SdenoTypeError",
  });
  await assert.rejects(
    () => g.vjp(cpu.upload([1, 2]), 1, cpu.upload([1]), cpu.zeros(2), { kind: "x0" }),
    { name: "SdenoTypeError", message: /v has length 1/ },
  );
  await assert.rejects(
    () => g.predict(cpu.upload([1, 2]), 1, cpu.zeros(2), { kind: "logit" as "x0" }),
    { name: "SdenoTypeError", message: /kind must be one of eps, x0, v, score, velocity/ },
  );
});
