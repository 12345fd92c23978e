import assert from "node:assert/strict";
import { type Backend, CpuBackend, SdenoRangeError, SdenoTypeError } from "../../../kernels/mod.ts";
import { Adam } from "../../../solvers/training/adam.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";

/** Algorithm 1 of Kingma & Ba (2015) as printed, with bias-corrected m̂ and v̂, one scalar at a time. */
function reference(
  theta0: number[],
  grads: number[][],
  o: { lr: number; b1: number; b2: number; eps: number; wd: number },
) {
  const theta = [...theta0], m = theta.map(() => 0), v = theta.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < theta.length; i++) {
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g[i]!;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g[i]! ** 2;
      const mh = m[i]! / (1 - o.b1 ** t), vh = v[i]! / (1 - o.b2 ** t);
      theta[i] = theta[i]! - o.lr * o.wd * theta[i]! - o.lr * mh / (Math.sqrt(vh) + o.eps);
    }
  });
  return theta;
}

const THETA = [0.5, -1, 2, 0, 3];
const GRADS = Array.from(
  { length: 12 },
  (_, s) => THETA.map((_, i) => Math.sin(1.3 * s + i) * (i + 1) * 0.1),
);

async function run(b: Backend, o: { lr: number; b1: number; b2: number; eps: number; wd: number }) {
  const theta = b.upload(THETA);
  const adam = new Adam(b, THETA.length, {
    learningRate: o.lr,
    beta1: o.b1,
    beta2: o.b2,
    epsilon: o.eps,
    weightDecay: o.wd,
  });
  for (const g of GRADS) {
    const ga = b.upload(g);
    await adam.step(theta, ga);
    b.release(ga);
  }
  const out = await b.download(theta);
  b.release(theta);
  adam.release();
  assert.equal(adam.t, GRADS.length);
  return out;
}

const SETTINGS = [
  { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0 },
  { lr: 0.05, b1: 0.5, b2: 0.9, eps: 1e-3, wd: 0 },
  { lr: 0.02, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0.1 },
];

Deno.test("Adam.step() equals Algorithm 1 of Kingma & Ba (2015) on cpu to 1e-13", async () => {
  for (const o of SETTINGS) {
    const got = await run(new CpuBackend(), o);
    const want = reference(THETA, GRADS, o);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-13, `${JSON.stringify(o)} [${i}]`));
  }
});

Deno.test(
  { name: "Adam.step() on webgpu agrees with cpu within f32 rounding", ...GPU_TEST },
  async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const live = gpu.liveArrays;
    for (const o of SETTINGS) {
      const want = reference(THETA, GRADS, o);
      const got = await run(gpu, o);
      // 12 steps of at most lr each, every one rounded in f32: well inside 1e-5
      got.forEach((v, i) =>
        assert.ok(Math.abs(v - want[i]!) < 1e-5, `${JSON.stringify(o)} [${i}]: ${v} vs ${want[i]}`)
      );
    }
    assert.equal(gpu.liveArrays, live);
  },
);

Deno.test("Adam minimises a quadratic", async () => {
  const b = new CpuBackend();
  const theta = b.upload([5, -3]);
  const adam = new Adam(b, 2, { learningRate: 0.1 });
  for (let s = 0; s < 500; s++) {
    const x = await b.download(theta);
    const g = b.upload([2 * (x[0]! - 1), 20 * (x[1]! + 2)]); // ∇ of (x−1)² + 10(y+2)²
    await adam.step(theta, g);
    b.release(g);
  }
  const x = await b.download(theta);
  assert.ok(Math.abs(x[0]! - 1) < 1e-2 && Math.abs(x[1]! + 2) < 1e-2, `${x}`);
});

Deno.test("Adam rejects bad options and arrays with typed errors", async () => {
  const b = new CpuBackend();
  assert.throws(
    () => new Adam(b, 3, { beta1: 1 }),
    (e: Error) =>
      e instanceof SdenoRangeError && /beta1 must be in \[0, 1\), got "1"/.test(e.message),
  );
  assert.throws(
    () => new Adam(b, 3, { learningRate: -1 }),
    /learningRate must be positive, got "-1"/,
  );
  assert.throws(() => new Adam(b, 0), SdenoRangeError);
  const adam = new Adam(b, 3);
  await assert.rejects(
    () => adam.step(b.zeros(2), b.zeros(3)),
    (e: Error) =>
      e instanceof SdenoTypeError && /params must be an array of 3 numbers/.test(e.message),
  );
  await assert.rejects(
    () => adam.step(b.zeros(3), new CpuBackend().zeros(3)),
    /grads must be an array of 3 numbers on the optimizer's backend/,
  );
});
