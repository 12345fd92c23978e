import assert from "node:assert/strict";
import {
  type Backend,
  CpuBackend,
  fillNormal,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import {
  Mlp,
  type MlpInputConditioning,
  mlpPreconditioning,
  mlpTargetCoefficients,
} from "../../models/mlp.ts";
import { predictAs } from "../../models/denoiser.ts";
import { edmSchedule } from "../../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
import { rectifiedFlowSchedule } from "../../processes/rectified_flow_schedule.ts";
import { GPU_TEST, gpuBackend } from "../_gpu.ts";

const KEY = { seed: 2024, stream: 3 };

/** A small conditional network with every weight, biases included, away from zero. */
function smallMlp(classes = 3): Mlp {
  const base = Mlp.create({
    dim: 3,
    hidden: [5, 4],
    timeFeatures: 2,
    classes,
    objective: "x0",
    sigmaData: 0.7,
    key: KEY,
  });
  const p = new Float64Array(base.parameterCount);
  fillNormal(p, { seed: 5, stream: 1 });
  return base.withParams(p.map((v) => 0.6 * v));
}

function normals(n: number, seed: number): Float64Array {
  const z = new Float64Array(n);
  fillNormal(z, { seed, stream: 9 });
  return z;
}

/** ⟨w, F(x; θ)⟩ in float64 on the cpu backend. */
async function pairing(mlp: Mlp, x: Float64Array, cond: MlpInputConditioning, w: Float64Array) {
  const b = new CpuBackend();
  const bind = mlp.bind(b);
  const out = b.zeros(x.length);
  await bind.forward(b.upload(x), cond, out);
  const f = await b.download(out);
  bind.release();
  let s = 0;
  for (let i = 0; i < f.length; i++) s += w[i]! * f[i]!;
  return s;
}

/** Largest |a − b| / max(|a|, |b|, floor) over components. */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), floor));
  }
  return m;
}

const N = 6;
const CONDITIONS: Array<[string, MlpInputConditioning]> = [
  ["per-point times and labels", { t: [0.01, 0.3, 1, 2.5, 7, 40], labels: [0, 1, 2, 3, 1, 0] }],
  ["one time, per-point labels", { t: 0.8, labels: [2, 2, 0, 3, 1, 1] }],
  ["one time, one label", { t: 1.7, labels: [1] }],
  ["one time, no label (the null class)", { t: 0.05 }],
];

for (const [name, cond] of CONDITIONS) {
  Deno.test(`Mlp.bind().backward() matches central differences to 1e-4 (${name})`, async () => {
    const mlp = smallMlp();
    const x = normals(N * 3, 1), w = normals(N * 3, 2);
    const b = new CpuBackend();
    const bind = mlp.bind(b);
    const grads = b.zeros(mlp.parameterCount), dx = b.zeros(x.length), out = b.zeros(x.length);
    await bind.forward(b.upload(x), cond, out);
    await bind.backward(b.upload(w), { grads, dx });
    const g = await b.download(grads), gx = await b.download(dx);
    bind.release();
    // parameters: central differences with h = 1e-5 (truncation ~h², rounding ~1e-16/h)
    const h = 1e-5;
    const fd = new Float64Array(mlp.parameterCount);
    for (let i = 0; i < fd.length; i++) {
      const p = mlp.params.slice();
      p[i] = p[i]! + h;
      const up = await pairing(mlp.withParams(p), x, cond, w);
      p[i] = p[i]! - 2 * h;
      const down = await pairing(mlp.withParams(p), x, cond, w);
      fd[i] = (up - down) / (2 * h);
    }
    const scale = Math.max(...g.map(Math.abs));
    assert.ok(scale > 1e-3, "the gradient is not trivially zero");
    assert.ok(maxRelErr(fd, g, 1e-6 * scale) <= 1e-4, `params: ${maxRelErr(fd, g, 1e-6 * scale)}`);
    // every parameter block takes part (time features, one-hot rows, biases)
    const fdx = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice();
      xp[i] = xp[i]! + h;
      const up = await pairing(mlp, xp, cond, w);
      xp[i] = xp[i]! - 2 * h;
      fdx[i] = (up - await pairing(mlp, xp, cond, w)) / (2 * h);
    }
    assert.ok(maxRelErr(fdx, gx, 1e-6) <= 1e-4, `inputs: ${maxRelErr(fdx, gx, 1e-6)}`);
  });
}

Deno.test("Mlp.denoiser().vjp matches central differences of predict (x0 with c_skip ≠ 0)", async () => {
  const mlp = smallMlp();
  const model = mlp.denoiser();
  const b = new CpuBackend();
  const x = normals(N * 3, 3), v = normals(N * 3, 4);
  const t = 0.9, conditioning = { labels: [0, 1, 2, 0, 1, 2] };
  const out = b.zeros(x.length);
  await model.vjp!(b.upload(x), t, b.upload(v), out, { kind: "x0", conditioning });
  const got = await b.download(out);
  const h = 1e-5;
  const fd = new Float64Array(x.length);
  const at = async (xs: Float64Array) => {
    const o = b.zeros(xs.length);
    await model.predict(b.upload(xs), t, o, { kind: "x0", conditioning });
    const d = await b.download(o);
    return d.reduce((s, di, i) => s + di * v[i]!, 0);
  };
  for (let i = 0; i < x.length; i++) {
    const xp = x.slice();
    xp[i] = xp[i]! + h;
    const up = await at(xp);
    xp[i] = xp[i]! - 2 * h;
    fd[i] = (up - await at(xp)) / (2 * h);
  }
  assert.ok(maxRelErr(fd, got, 1e-6) <= 1e-4, `${maxRelErr(fd, got, 1e-6)}`);
});

Deno.test("mlpPreconditioning() gives EDM's c_skip, c_out, c_in on the EDM schedule", () => {
  const s = edmSchedule();
  for (const sigma of [0.002, 0.1, 1, 13, 80]) {
    const sd = 0.5;
    const p = mlpPreconditioning("x0", s, sigma, sd);
    const r = sigma * sigma + sd * sd;
    // Karras et al. 2022, Table 1
    assert.ok(Math.abs(p.cSkip - sd * sd / r) < 1e-15);
    assert.ok(Math.abs(p.cOut - sigma * sd / Math.sqrt(r)) < 1e-15);
    assert.ok(Math.abs(p.cIn - 1 / Math.sqrt(r)) < 1e-15);
    assert.ok(Math.abs(p.cNoise - Math.log(sigma) / 4) < 1e-15);
  }
});

Deno.test("mlpTargetCoefficients(): a perfect network output gives the exact prediction", () => {
  // For each objective, c_skip·x + c_out·(a x₀ + b ε) must equal the objective's kind
  const cases = [
    ["x0", edmSchedule(), 2.5, [1, 0]],
    ["x0", vpLinearSchedule(), 0.4, [1, 0]],
    ["eps", vpLinearSchedule(), 0.4, [0, 1]],
  ] as const;
  for (const [obj, s, t, [ka, kb]] of cases) {
    const p = mlpPreconditioning(obj, s, t, 0.8);
    const [a, b] = mlpTargetCoefficients(obj, s, t, 0.8);
    assert.ok(Math.abs(p.cSkip * s.alpha(t) + p.cOut * a - ka) < 1e-12, obj);
    assert.ok(Math.abs(p.cSkip * s.sigma(t) + p.cOut * b - kb) < 1e-12, obj);
  }
  const rf = rectifiedFlowSchedule();
  // rectified flow: x = (1−t)x₀ + tε, dx/dt = ε − x₀
  assert.deepEqual(
    mlpTargetCoefficients("velocity", rf, 0.3, 1).map((c) => Math.round(c * 1e12) / 1e12),
    [-1, 1],
  );
  // v = α ε − σ x₀
  const vp = vpLinearSchedule();
  const [va, vb] = mlpTargetCoefficients("v", vp, 0.6, 1);
  assert.ok(Math.abs(va + vp.sigma(0.6)) < 1e-15 && Math.abs(vb - vp.alpha(0.6)) < 1e-15);
});

Deno.test("Mlp.denoiser() serves every kind through predictAs", async () => {
  const mlp = smallMlp(0);
  const model = mlp.denoiser();
  const b = new CpuBackend();
  const x = b.upload(normals(N * 3, 7));
  const x0 = b.zeros(N * 3), eps = b.zeros(N * 3);
  await predictAs(model, x, { t: 2, kind: "x0", out: x0 });
  await predictAs(model, x, { t: 2, kind: "eps", out: eps });
  const [hx, he, hx0] = [await b.download(x), await b.download(eps), await b.download(x0)];
  // EDM: x = x₀ + σ ε
  for (let i = 0; i < hx.length; i++) assert.ok(Math.abs(hx0[i]! + 2 * he[i]! - hx[i]!) < 1e-12);
});

Deno.test(
  { name: "Mlp passes on webgpu agree with cpu within f32 rounding", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const live = gpu.liveArrays;
    const mlp = smallMlp();
    const x = normals(64 * 3, 11), w = normals(64 * 3, 12);
    const labels = Array.from({ length: 64 }, (_, i) => i % 4);
    const t = Array.from({ length: 64 }, (_, i) => 0.01 * 1.1 ** i);
    const run = async (b: Backend) => {
      const bind = mlp.bind(b);
      const out = b.zeros(x.length), grads = b.zeros(mlp.parameterCount), dx = b.zeros(x.length);
      const xs = b.upload(x), ws = b.upload(w);
      await bind.forward(xs, { t, labels }, out);
      await bind.backward(ws, { grads, dx });
      const r = [await b.download(out), await b.download(grads), await b.download(dx)];
      for (const a of [out, grads, dx, xs, ws]) b.release(a);
      bind.release();
      return r;
    };
    const cpu = await run(new CpuBackend());
    const gp = await run(gpu);
    for (let k = 0; k < 3; k++) {
      const scale = Math.max(...cpu[k]!.map(Math.abs));
      const err = Math.max(...cpu[k]!.map((v, i) => Math.abs(v - gp[k]![i]!)));
      // 64-term sums of O(1) terms in f32: well inside 1e-4 of the scale
      assert.ok(err <= 1e-4 * scale, `output ${k}: ${err} vs scale ${scale}`);
    }
    assert.equal(gpu.liveArrays, live, "the binding releases what it allocated");
  },
);

Deno.test("Mlp rejects bad labels, shapes and specs with typed errors", async () => {
  const mlp = smallMlp();
  const model = mlp.denoiser();
  const b = new CpuBackend();
  const x = b.upload(normals(N * 3, 1)), out = b.zeros(N * 3);
  await assert.rejects(
    () => model.predict(x, 1, out, { kind: "x0", conditioning: { labels: [0, 1, 4, 0, 0, 0] } }),
    (e: Error) =>
      e instanceof SdenoRangeError && /labels\[2\] must be an integer in \[0, 3\]/.test(e.message),
  );
  await assert.rejects(
    () => model.predict(x, 1, out, { kind: "x0", conditioning: { labels: [0, 1] } }),
    (e: Error) =>
      e instanceof SdenoTypeError && /one label or one per point \(6\), got 2/.test(e.message),
  );
  await assert.rejects(
    () => model.predict(b.upload([1, 2]), 1, b.zeros(2), { kind: "x0" }),
    (e: Error) => e instanceof SdenoTypeError && /x must hold n·3 numbers/.test(e.message),
  );
  await assert.rejects(
    () => model.predict(x, NaN, out, { kind: "x0" }),
    (e: Error) => e instanceof SdenoTypeError && /t must be a finite number/.test(e.message),
  );
  assert.throws(() => Mlp.create({ dim: 2, hidden: [] }), /hidden must list at least one width/);
  assert.throws(() => Mlp.create({ dim: 0 }), SdenoRangeError);
  assert.throws(
    () => Mlp.create({ dim: 2, objective: "score" as never }),
    /objective must be one of eps, x0, v, velocity, got "score"/,
  );
  assert.throws(() => new Mlp(mlp.spec, [1, 2, 3]), /params must hold \d+ numbers/);
  assert.throws(() => Mlp.fromCard({ format: "other" }, []), /format "sdeno-mlp"/);
  const back = Mlp.fromCard(JSON.parse(JSON.stringify(mlp.card())), mlp.params);
  assert.deepEqual(back.params, mlp.params);
});
