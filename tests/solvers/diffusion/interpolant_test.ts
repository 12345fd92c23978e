// Interpolant samplers on the exact model between N(0, I) and a 2-D Gaussian mixture: ODE orders
// against a fine RK4 solution, SDE weak orders on coupled Brownian paths (paired differences with
// their standard errors), and the ODE and SDEs with different ε landing on the exact marginal
// moments (|z| < 4).
import assert from "node:assert/strict";
import { createBackend, PHILOX_PURPOSES } from "../../../kernels/mod.ts";
import { linearInterpolant, trigonometricInterpolant } from "../../../processes/interpolant.ts";
import { mixtureInterpolant } from "../../../models/mixture_interpolant.ts";
import { interpolantOde, interpolantSde } from "../../../solvers/diffusion/interpolant_samplers.ts";
import type { NoiseSource } from "../../../solvers/diffusion/types.ts";
import { NumericalError, SdenoRangeError, SdenoTypeError } from "../../../kernels/errors.ts";
import { GPU_TEST, gpuBackend, maxAbsDiff } from "../../_gpu.ts";

const cpu = await createBackend("cpu");
const get = async (a: Parameters<typeof cpu.download>[0]) =>
  Float64Array.from(await cpu.download(a));
const D = 2;
const GAUSS = { weights: [1], means: [[0, 0]], variances: [[1, 1]] };
const X1 = {
  weights: [0.2, 0.5, 0.3],
  means: [[2, 0], [-1, 1.5], [0.5, -2]],
  variances: [[0.1, 0.2], [0.15, 0.1], [0.2, 0.05]],
};
const uniform = (n: number, t0 = 0, t1 = 1) =>
  Array.from({ length: n + 1 }, (_, i) => t0 + (t1 - t0) * i / n);

async function normals(n: number, seed: number): Promise<Float64Array> {
  const z = cpu.zeros(n * D);
  await cpu.fillNormal(z, { seed, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  return await get(z);
}

function medianRowError(a: Float64Array, b: Float64Array): number {
  const e: number[] = [];
  for (let i = 0; i < a.length / D; i++) {
    e.push(Math.hypot(a[i * D]! - b[i * D]!, a[i * D + 1]! - b[i * D + 1]!));
  }
  e.sort((x, y) => x - y);
  return e[e.length >> 1]!;
}

function fittedOrder(ns: number[], errs: number[]): number {
  const xs = ns.map((n) => -Math.log(n)), ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

const X0 = await normals(64, 1);

for (
  const I of [linearInterpolant({ latentScale: 1 }), trigonometricInterpolant({ latentScale: 0.5 })]
) {
  const model = mixtureInterpolant(GAUSS, X1, I);
  const truth = await get((await interpolantOde(model, cpu.upload(X0), uniform(2048))).x);
  const cases = [["euler", 1, [32, 64, 128, 256]], ["heun", 2, [16, 32, 64, 128]], ["rk4", 4, [
    8,
    16,
    32,
    64,
  ]]] as const;
  for (const [method, order, ns] of cases) {
    Deno.test(`interpolantOde() ${method} has order ${order} on the ${I.name} interpolant (a = ${I.latentScale})`, async () => {
      const errs: number[] = [];
      for (const n of ns) {
        const r = await interpolantOde(model, cpu.upload(X0), uniform(n), { method });
        assert.equal(r.nfe, n * { euler: 1, heun: 2, rk4: 4 }[method]);
        errs.push(medianRowError(await get(r.x), truth));
      }
      const p = fittedOrder([...ns], errs);
      assert.ok(Math.abs(p - order) < 0.2, `fitted order ${p}, errors ${errs}`);
    });
  }
}

/**
 * Brownian increments on the finest uniform grid (fine step k: the Philox normals of step k); a
 * coarse step of m fine ones draws their normalised sum, so runs on nested grids share one path.
 */
function coupledNoise(m: number): NoiseSource {
  return {
    async sample(out, call) {
      const xi = cpu.zeros(out.length);
      await cpu.lincomb(out, []);
      for (let k = call.index * m; k < (call.index + 1) * m; k++) {
        await cpu.fillNormal(xi, { seed: 9, stream: 0 }, {
          step: k,
          purpose: PHILOX_PURPOSES.diffusionNoise,
        });
        await cpu.lincomb(out, [[1, out], [1 / Math.sqrt(m), xi]]);
      }
      cpu.release(xi);
    },
  };
}

// A mixture with overlapping components: paths do not switch modes, so paired differences of
// coupled runs have a small variance and resolve the weak error.
const X1_SMOOTH = {
  weights: [0.3, 0.5, 0.2],
  means: [[1, 0], [-0.5, 0.8], [0, -1]],
  variances: [[0.5, 0.4], [0.6, 0.5], [0.4, 0.6]],
};

/** Weak error of E φ(X_N) against the reference run on the same Brownian path, and its SE. */
async function pairedWeakError(
  run: (n: number) => Promise<Float64Array>,
  ref: Float64Array,
  n: number,
  phi: (x: Float64Array, i: number) => number,
): Promise<{ mean: number; se: number }> {
  const x = await run(n), rows = ref.length / D;
  let s = 0, s2 = 0;
  for (let i = 0; i < rows; i++) {
    const d = phi(x, i) - phi(ref, i);
    s += d;
    s2 += d * d;
  }
  const mean = s / rows;
  return { mean, se: Math.sqrt((s2 / rows - mean * mean) / rows) };
}

// On the mixture the weak error is resolved by Monte Carlo only while it is large: Euler–Maruyama
// at ε = 1 (N = 4…32) and Heun at ε = 3 (N = 4…16), where each method's leading term dominates
// (Euler–Maruyama at ε = 3 and Heun at ε ≤ 1 are still pre-asymptotic there, or below the SE).
// The asymptotic orders are checked without Monte Carlo error on Gaussian endpoints below.
for (
  const [method, order, eps, rows, nRef, ns] of [
    ["euler-maruyama", 1, 1, 16384, 256, [4, 8, 16, 32]],
    ["heun", 2, 3, 65536, 128, [4, 8, 16]],
  ] as const
) {
  Deno.test(`interpolantSde() ${method} has weak order ${order} on the mixture (ε = ${eps}, coupled paths, paired SE)`, async () => {
    const model = mixtureInterpolant(GAUSS, X1_SMOOTH, linearInterpolant({ latentScale: 1 }));
    const x0 = await normals(rows, 2);
    const run = async (n: number) => {
      const noise = coupledNoise(nRef / n);
      return await get(
        (await interpolantSde(model, cpu.upload(x0), uniform(n), { method, epsilon: eps, noise }))
          .x,
      );
    };
    const ref = await run(nRef);
    // φ(x) = x₁x₂
    const errs: number[] = [];
    for (const n of ns) {
      const { mean, se } = await pairedWeakError(run, ref, n, (x, i) => x[i * D]! * x[i * D + 1]!);
      assert.ok(Math.abs(mean) > 4 * se, `N = ${n}: weak error ${mean} is not resolved (SE ${se})`);
      errs.push(Math.abs(mean));
    }
    const p = fittedOrder([...ns], errs);
    assert.ok(Math.abs(p - order) < 0.2, `fitted weak order ${p}, errors ${errs}`);
  });
}

Deno.test("interpolantSde(): exact weak orders on Gaussian endpoints (the law of X_N in closed form)", async () => {
  // x₀ ~ N(0, 1), x₁ ~ N(1.5, 0.3): b + εs is affine in x, so X_N = r + P x₀ + Σᵢ Qᵢ ξᵢ. One run
  // gives r (row 0: x₀ = 0), P (row 1: x₀ = 1) and each Qᵢ (row 2 + i: ξᵢ = 1, the rest 0).
  const m1 = 1.5, v1 = 0.3;
  const oneD = { weights: [1], means: [[0]], variances: [[1]] };
  for (
    const I of [linearInterpolant({ latentScale: 1 }), trigonometricInterpolant({ latentScale: 2 })]
  ) {
    const model = mixtureInterpolant(oneD, { weights: [1], means: [[m1]], variances: [[v1]] }, I);
    for (const eps of [0.5, 2]) {
      for (const [method, order] of [["euler-maruyama", 1], ["heun", 2]] as const) {
        const ns = [16, 32, 64, 128], errs: number[] = [];
        for (const n of ns) {
          const impulses: NoiseSource = {
            async sample(out, call) {
              const z = new Float64Array(out.length);
              z[2 + call.index] = 1;
              await cpu.write(out, z);
            },
          };
          const x0 = new Float64Array(n + 2);
          x0[1] = 1;
          const x = await get(
            (await interpolantSde(model, cpu.upload(x0), uniform(n), {
              method,
              epsilon: eps,
              noise: impulses,
            })).x,
          );
          const r = x[0]!;
          let v = (x[1]! - r) ** 2;
          for (let i = 0; i < n; i++) v += (x[2 + i]! - r) ** 2;
          errs.push(Math.abs(r - m1) + Math.abs(v - v1));
        }
        const p = fittedOrder(ns, errs);
        assert.ok(
          Math.abs(p - order) < 0.2,
          `${I.name} ε ${eps} ${method}: order ${p}, errors ${errs}`,
        );
      }
    }
  }
});

/** |z| of the sample mean and second moment of coordinate j against the exact mixture marginal. */
function momentZ(
  x: Float64Array,
  marg: ReturnType<ReturnType<typeof mixtureInterpolant>["marginal"]>,
  j: number,
) {
  let m1 = 0, m2 = 0, m4 = 0;
  marg.weights.forEach((w, c) => {
    const mu = marg.means[c * D + j]!, v = marg.variances[c * D + j]!;
    m1 += w * mu;
    m2 += w * (mu * mu + v);
    m4 += w * (mu ** 4 + 6 * mu * mu * v + 3 * v * v);
  });
  const n = x.length / D;
  let s1 = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    s1 += x[i * D + j]!;
    s2 += x[i * D + j]! ** 2;
  }
  return [
    (s1 / n - m1) / Math.sqrt((m2 - m1 * m1) / n),
    (s2 / n - m2) / Math.sqrt((m4 - m2 * m2) / n),
  ];
}

Deno.test("interpolantOde()/interpolantSde(): the ODE and SDEs with ε = 0.5, 2, 4t(1 − t) reach the exact marginals at t = 0.5 and 1 (|z| < 4)", async () => {
  const model = mixtureInterpolant(GAUSS, X1, trigonometricInterpolant({ latentScale: 1 }));
  const n = 4000, x0 = await normals(n, 21);
  for (const tEnd of [0.5, 1]) {
    const grid = uniform(100, 0, tEnd);
    const runs: [string, Promise<{ x: Parameters<typeof cpu.download>[0] }>][] = [
      ["ode", interpolantOde(model, cpu.upload(x0), grid)],
      [
        "sde ε 0.5",
        interpolantSde(model, cpu.upload(x0), grid, { epsilon: 0.5, key: { seed: 4, stream: 0 } }),
      ],
      [
        "sde ε 2",
        interpolantSde(model, cpu.upload(x0), grid, { epsilon: 2, key: { seed: 4, stream: 1 } }),
      ],
      [
        "sde ε(t) = 4t(1 − t)",
        interpolantSde(model, cpu.upload(x0), grid, {
          epsilon: (t) => 4 * t * (1 - t),
          method: "euler-maruyama",
          key: { seed: 4, stream: 2 },
        }),
      ],
    ];
    for (const [name, r] of runs) {
      const x = await get((await r).x);
      for (let j = 0; j < D; j++) {
        const [z1, z2] = momentZ(x, model.marginal(tEnd), j);
        assert.ok(
          Math.abs(z1!) < 4 && Math.abs(z2!) < 4,
          `${name} t ${tEnd} dim ${j}: z ${z1}, ${z2}`,
        );
      }
    }
  }
});

Deno.test("interpolantSde(): the backward SDE (b − εs) from exact x₁ samples reaches the law of x₀ = N(0, I) (|z| < 4)", async () => {
  const model = mixtureInterpolant(GAUSS, X1, linearInterpolant({ latentScale: 1 }));
  // exact x₁ samples: a component by a keyed uniform, then its Gaussian
  const n = 4000, u = cpu.zeros(n);
  await cpu.fillUniform(u, { seed: 5, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  const uh = await get(u), z = await normals(n, 22), x1 = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    let k = 0, c = X1.weights[0]!;
    while (uh[i]! > c && k < X1.weights.length - 1) c += X1.weights[++k]!;
    for (let j = 0; j < D; j++) {
      x1[i * D + j] = X1.means[k]![j]! + Math.sqrt(X1.variances[k]![j]!) * z[i * D + j]!;
    }
  }
  const r = await interpolantSde(model, cpu.upload(x1), uniform(200).reverse(), {
    epsilon: 1,
    key: { seed: 6, stream: 0 },
  });
  const x = await get(r.x);
  for (let j = 0; j < D; j++) {
    const [z1, z2] = momentZ(x, model.marginal(0), j);
    assert.ok(Math.abs(z1!) < 4 && Math.abs(z2!) < 4, `dim ${j}: z ${z1}, ${z2}`);
  }
});

Deno.test("interpolantSde(): results do not depend on the batching (keyed noise, pathOffset)", async () => {
  const model = mixtureInterpolant(GAUSS, X1, linearInterpolant({ latentScale: 1 }));
  const x = X0.subarray(0, 8 * D), grid = uniform(10), key = { seed: 3, stream: 0 };
  const whole = await get((await interpolantSde(model, cpu.upload(x), grid, { key })).x);
  const tail = await get(
    (await interpolantSde(model, cpu.upload(x.subarray(5 * D)), grid, { key, pathOffset: 5 })).x,
  );
  assert.deepEqual(tail, whole.subarray(5 * D));
});

Deno.test("interpolantOde()/interpolantSde(): onStep, NFE and typed errors", async () => {
  const model = mixtureInterpolant(GAUSS, X1, linearInterpolant({ latentScale: 1 }));
  const x = cpu.upload(X0.subarray(0, 4));
  const seen: number[] = [];
  const r = await interpolantSde(model, x, [0, 0.5, 1], {
    method: "heun",
    onStep: (s) => void seen.push(s.tNext),
  });
  assert.deepEqual(seen, [0.5, 1]);
  assert.equal(r.nfe, 4);
  await assert.rejects(() => interpolantOde(model, x, [0, 0.5, 0.5]), SdenoRangeError);
  await assert.rejects(() => interpolantOde(model, x, [0, 1.5]), SdenoRangeError);
  await assert.rejects(() => interpolantOde(model, x, [0]), SdenoRangeError);
  await assert.rejects(
    () => interpolantOde(model, x, [0, 1], { method: "rk5" as "rk4" }),
    SdenoRangeError,
  );
  await assert.rejects(
    () => interpolantOde(model, x, [0, 1], { epsilon: 1 } as never),
    /unknown option "epsilon"/,
  );
  await assert.rejects(() => interpolantOde(model, cpu.upload([1, 2, 3]), [0, 1]), SdenoTypeError);
  await assert.rejects(() => interpolantSde(model, x, [0, 1], { epsilon: -1 }), SdenoRangeError);
  await assert.rejects(
    () => interpolantSde(model, x, [0, 1], { epsilon: () => NaN }),
    SdenoRangeError,
  );
  await assert.rejects(
    () =>
      interpolantSde({ dim: 2, interpolant: model.interpolant, velocity: model.velocity }, x, [
        0,
        1,
      ]),
    /has no score/,
  );
  const bad = {
    dim: 2,
    interpolant: model.interpolant,
    velocity: async (_x: unknown, _t: number, out: Parameters<typeof cpu.write>[0]) =>
      await cpu.write(out, [NaN, 0, 0, 0]),
  };
  await assert.rejects(() => interpolantOde(bad, x, [0, 1]), NumericalError);
});

Deno.test("interpolantOde()/interpolantSde(): from a mixture x₀ (not Gaussian) to the mixture x₁, exact marginal moments at t = 1 (|z| < 4)", async () => {
  const x0Spec = {
    weights: [0.6, 0.4],
    means: [[-0.5, 0], [1, 0.5]],
    variances: [[0.8, 1], [0.5, 0.7]],
  };
  const model = mixtureInterpolant(x0Spec, X1, linearInterpolant({ latentScale: 0.5 }));
  const n = 4000, u = cpu.zeros(n);
  await cpu.fillUniform(u, { seed: 7, stream: 0 }, { purpose: PHILOX_PURPOSES.datasetPoints });
  const uh = await get(u), z = await normals(n, 23), x0 = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const k = uh[i]! < 0.6 ? 0 : 1;
    for (let j = 0; j < D; j++) {
      x0[i * D + j] = x0Spec.means[k]![j]! + Math.sqrt(x0Spec.variances[k]![j]!) * z[i * D + j]!;
    }
  }
  for (
    const r of [
      await interpolantOde(model, cpu.upload(x0), uniform(50)),
      await interpolantSde(model, cpu.upload(x0), uniform(100), { epsilon: 1 }),
    ]
  ) {
    const x = await get(r.x);
    for (let j = 0; j < D; j++) {
      const [z1, z2] = momentZ(x, model.marginal(1), j);
      assert.ok(Math.abs(z1!) < 4 && Math.abs(z2!) < 4, `dim ${j}: z ${z1}, ${z2}`);
    }
  }
});

Deno.test({
  name: "interpolantOde()/interpolantSde() on webgpu match the cpu run",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const model = mixtureInterpolant(GAUSS, X1, trigonometricInterpolant({ latentScale: 1 }));
  const grid = uniform(10), key = { seed: 2, stream: 0 };
  const pairs = [
    [
      await interpolantOde(model, cpu.upload(X0), grid),
      await interpolantOde(model, gpu.upload(X0), grid),
    ],
    [
      await interpolantSde(model, cpu.upload(X0), grid, { key }),
      await interpolantSde(model, gpu.upload(X0), grid, { key }),
    ],
  ] as const;
  for (const [a, b] of pairs) {
    const d = maxAbsDiff(await get(a.x), await gpu.download(b.x));
    gpu.release(b.x);
    assert.ok(d < 1e-5, `cpu vs webgpu: ${d}`);
  }
});
