import assert from "node:assert/strict";
import {
  eulerMaruyama,
  heun,
  milstein,
  piController,
  solveSde,
  sra1,
  sriw1,
  virtualBrownianTree,
} from "../../../solvers/sde/mod.ts";
import { defineSde } from "../../../processes/sde.ts";
import { geometricBrownianMotion } from "../../../processes/sde_models/geometric_brownian_motion.ts";
import { ornsteinUhlenbeck } from "../../../processes/sde_models/ornstein_uhlenbeck.ts";
import { NumericalError } from "../../../kernels/errors.ts";
import { stepMoments } from "./_convergence.ts";

const FIXTURE = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/sde/gbm_convergence.json", import.meta.url)),
);

/** z-scores of the sample mean and variance of column c at save s against exact values. */
function zMoments(
  x: Float64Array,
  s: number,
  n: number,
  d: number,
  c: number,
  mean: number,
  variance: number,
) {
  let m = 0;
  for (let i = 0; i < n; i++) m += x[(s * n + i) * d + c]!;
  m /= n;
  let m2 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const u = x[(s * n + i) * d + c]! - m;
    m2 += u * u;
    m4 += u ** 4;
  }
  m2 /= n;
  m4 /= n;
  const v = (m2 * n) / (n - 1);
  return {
    zMean: (m - mean) / Math.sqrt(v / n),
    zVar: (v - variance) / Math.sqrt((m4 - m2 * m2) / n),
  };
}

Deno.test("solveSde() OU means and variances match the exact values at several times (SRA1)", () => {
  const ou = ornsteinUhlenbeck({ theta: [1, 3], mu: [0.5, -1], sigma: [0.8, 1.5] });
  const n = 20000, saveAt = [0.25, 0.5, 1, 2];
  const sol = solveSde(ou, {
    solver: sra1,
    x0: [2, 0],
    paths: n,
    t1: 2,
    dt: 1 / 64,
    saveAt,
    key: { seed: 7, stream: 0 },
  });
  saveAt.forEach((t, s) => {
    const ex = ou.moments!(t, [2, 0]);
    for (let c = 0; c < 2; c++) {
      const z = zMoments(sol.x, s, n, 2, c, ex.mean[c]!, ex.variance[c]!);
      assert.ok(
        Math.abs(z.zMean) < 4 && Math.abs(z.zVar) < 4,
        `t=${t} c=${c} ${JSON.stringify(z)}`,
      );
    }
  });
});

Deno.test("solveSde() GBM means and variances match the exact values at several times (SRIW1)", () => {
  const gbm = geometricBrownianMotion({ mu: 0.5, sigma: 0.4 });
  const n = 20000, saveAt = [0.25, 0.5, 1];
  const sol = solveSde(gbm, {
    solver: sriw1,
    x0: [1],
    paths: n,
    t1: 1,
    dt: 1 / 64,
    saveAt,
    key: { seed: 8, stream: 0 },
  });
  saveAt.forEach((t, s) => {
    const ex = gbm.moments!(t, [1]);
    const z = zMoments(sol.x, s, n, 1, 0, ex.mean[0]!, ex.variance[0]!);
    assert.ok(Math.abs(z.zMean) < 4 && Math.abs(z.zVar) < 4, `t=${t} ${JSON.stringify(z)}`);
  });
});

Deno.test("eulerMaruyama and milstein reproduce the exact discrete GBM moments of gbm_convergence.json", () => {
  const { lam, mu } = FIXTURE.params;
  const gbm = geometricBrownianMotion({ mu: lam, sigma: mu });
  for (const level of FIXTURE.levels) {
    for (const [solver, name] of [[eulerMaruyama, "EM"], [milstein, "Milstein"]] as const) {
      const [r1, r2] = stepMoments(gbm, solver, level.h);
      const ref = level[name];
      assert.ok(Math.abs(r1 ** level.N / ref.analytic_mean - 1) < 1e-12, `${name} h=${level.h}`);
      assert.ok(
        Math.abs(r2 ** level.N / ref.analytic_second_moment - 1) < 1e-11,
        `${name} h=${level.h}`,
      );
    }
  }
  // and by Monte Carlo on the coarse levels
  const n = 20000;
  for (const level of FIXTURE.levels.slice(0, 3)) {
    for (const [solver, name] of [[eulerMaruyama, "EM"], [milstein, "Milstein"]] as const) {
      const sol = solveSde(gbm, {
        solver,
        x0: [1],
        paths: n,
        t1: 1,
        dt: level.h,
        key: { seed: 9, stream: 0 },
      });
      const ref = level[name];
      const z = zMoments(
        sol.x,
        0,
        n,
        1,
        0,
        ref.analytic_mean,
        ref.analytic_second_moment - ref.analytic_mean ** 2,
      );
      assert.ok(Math.abs(z.zMean) < 4, `${name} h=${level.h} z=${z.zMean}`);
    }
  }
});

Deno.test("solveSde() adaptive Heun matches fixed fine steps on the same virtual Brownian tree", () => {
  const gbm = geometricBrownianMotion({ mu: 0.5, sigma: 0.5, calculus: "stratonovich" });
  const key = { seed: 31, stream: 0 };
  const n = 1;
  for (let path = 0; path < 6; path++) {
    const bm = () => virtualBrownianTree(key, { noiseDim: 1, t1: 1 });
    const controller = piController({ rtol: 1e-4, atol: 1e-4 });
    const ad = solveSde(gbm, {
      solver: heun,
      x0: [1],
      paths: n,
      t1: 1,
      controller,
      brownian: bm(),
      pathOffset: path,
      saveAt: [0.5, 1],
    });
    const fx = solveSde(gbm, {
      solver: heun,
      x0: [1],
      paths: n,
      t1: 1,
      dt: 2 ** -14,
      brownian: bm(),
      pathOffset: path,
      saveAt: [0.5, 1],
    });
    for (let s = 0; s < 2; s++) {
      const rel = Math.abs(ad.x[s]! - fx.x[s]!) / Math.abs(fx.x[s]!);
      assert.ok(
        rel < 2e-3,
        `path ${path} save ${s}: adaptive ${ad.x[s]} vs fixed ${
          fx.x[s]
        } (${ad.steps} steps, ${ad.rejected} rejected)`,
      );
    }
    assert.ok(ad.steps < 2 ** 14 / 4, `adaptive took ${ad.steps} steps`);
  }
});

Deno.test("solveSde() saveAt, onStep and results independent of the batch", () => {
  const gbm = geometricBrownianMotion({ mu: 0.1, sigma: 0.3 });
  const seen: Array<[number, number, number, number]> = [];
  let lastX = 0;
  const all = solveSde(gbm, {
    solver: milstein,
    x0: [1],
    paths: 6,
    t1: 1,
    dt: 0.125,
    saveAt: [0.25, 1],
    onStep: ({ step, t, tNext, h, x }) => {
      seen.push([step, t, tNext, h]);
      lastX = x[5]!;
    },
  });
  // the shared StepInfo: step from 0, the step's start and end, x at tNext
  assert.deepEqual(seen, Array.from({ length: 8 }, (_, j) => [j, j / 8, (j + 1) / 8, 0.125]));
  assert.equal(lastX, all.x[11]);
  const part = solveSde(gbm, {
    solver: milstein,
    x0: [1],
    paths: 2,
    t1: 1,
    dt: 0.125,
    saveAt: [0.25, 1],
    pathOffset: 4,
  });
  assert.deepEqual(part.x.subarray(0, 2), all.x.subarray(4, 6));
  assert.deepEqual(part.x.subarray(2, 4), all.x.subarray(10, 12));
});

const f1 = (_t: number, x: Float64Array, out: Float64Array, n: number) => {
  for (let i = 0; i < n; i++) out[i] = -x[i]!;
};
const g1 = (_t: number, _x: Float64Array, out: Float64Array, n: number) => void out.fill(1, 0, n);

Deno.test("solveSde() rejects bad input before any work with typed errors", () => {
  const sde = defineSde({ dim: 1, noise: "diagonal", drift: f1, diffusion: g1 });
  const base = { solver: eulerMaruyama, x0: [0], t1: 1, dt: 0.1 };
  assert.throws(() => solveSde(sde, { ...base, dt: -0.1 }), {
    name: "SdenoRangeError",
    message: /dt must be positive, got "-0.1"/,
  });
  assert.throws(() => solveSde(sde, { ...base, t0: 1, t1: 0 }), {
    name: "SdenoRangeError",
    message: /t-span must be increasing/,
  });
  // drift writing two values per point for dim 1
  const wide = defineSde({
    dim: 1,
    noise: "diagonal",
    drift: (_t, x, out, n) => {
      for (let i = 0; i < 2 * n; i++) out[i] = x[0]!;
    },
    diffusion: g1,
  });
  assert.throws(() => solveSde(wide, base), {
    name: "SdenoTypeError",
    message: /drift of "sde" must write n×dim = 1×1 = 1 values/,
  });
  const short = defineSde({
    dim: 2,
    noise: "diagonal",
    drift: (_t, _x, out) => void (out[0] = 1),
    diffusion: g1,
  });
  assert.throws(() => solveSde(short, { ...base, x0: [0, 0] }), {
    name: "SdenoTypeError",
    message: /drift .* must write/,
  });
  // diagonal noise whose diffusion writes a d×m matrix
  const matrix = defineSde({
    dim: 2,
    noise: "diagonal",
    drift: (_t, _x, o, n) => void o.fill(0, 0, 2 * n),
    diffusion: (_t, _x, o, n) => void o.fill(1, 0, 4 * n),
  });
  assert.throws(() => solveSde(matrix, { ...base, x0: [0, 0] }), {
    name: "SdenoTypeError",
    message: /diffusion .* n×dim for diagonal noise/,
  });
  // noise types and dimensions that do not fit
  assert.throws(
    () => defineSde({ dim: 2, noiseDim: 3, noise: "diagonal", drift: f1, diffusion: g1 }),
    { name: "SdenoRangeError", message: /diagonal noise needs noiseDim = 2/ },
  );
  assert.throws(
    () => defineSde({ dim: 2, noiseDim: 2, noise: "scalar", drift: f1, diffusion: g1 }),
    RangeError,
  );
  assert.throws(() => defineSde({ dim: 2, noise: "general", drift: f1, diffusion: g1 }), {
    name: "SdenoTypeError",
    message: /noiseDim is required/,
  });
  assert.throws(() => solveSde(sde, { ...base, solver: sra1 }), {
    name: "SdenoRangeError",
    message: /supports additive noise, got "diagonal"/,
  });
  assert.throws(() => solveSde(sde, { ...base, solver: heun }), {
    name: "SdenoRangeError",
    message: /integrates stratonovich SDEs/,
  });
  assert.throws(() => solveSde(sde, { ...base, saveAt: [0.5, 0.3] }), {
    name: "SdenoRangeError",
    message: /saveAt must be increasing/,
  });
  assert.throws(() => solveSde(sde, { ...base, saveAt: [0.55] }), {
    name: "SdenoRangeError",
    message: /saveAt must land on the Brownian grid/,
  });
  assert.throws(
    () => solveSde(sde, { ...base, controller: piController({ rtol: 1e-3, atol: 1e-3 }) }),
    /has no error estimate/,
  );
});

Deno.test("solveSde() stops at NaN/Inf naming the path, time and component", () => {
  // dX = X² dt (second component) overflows within two steps from 1e100 on path 3
  const sde = defineSde({
    dim: 2,
    noise: "diagonal",
    drift: (_t, x, out, n) => {
      for (let e = 0; e < 2 * n; e++) out[e] = x[e]! * x[e]! * (e % 2);
    },
    diffusion: (_t, _x, out, n) => void out.fill(0, 0, 2 * n),
  });
  const x0 = [0, 1, 0, 1, 0, 1, 0, 1e100];
  assert.throws(
    () => solveSde(sde, { solver: eulerMaruyama, x0, t1: 1, dt: 0.125 }),
    (e: unknown) => {
      assert.ok(e instanceof NumericalError);
      assert.match(
        e.message,
        /the state of path 3, component 1 \(solver "euler-maruyama"\) is Infinity at step 1, time 0.25, index 7/,
      );
      assert.equal(e.index, 7);
      return true;
    },
  );
});
