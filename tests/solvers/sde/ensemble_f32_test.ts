// simulateEnsemble with precision "f32": the fused WebAssembly kernel (solvers/sde/ensemble_f32.wat)
// against the float64 Philox normals, a scalar f32 reference of its update, the float64 twin on the
// same noise, and the exact Ornstein–Uhlenbeck moments.
import assert from "node:assert/strict";
import {
  closeEnsembleWorkers,
  eulerMaruyama,
  milstein,
  simulateEnsemble,
} from "../../../solvers/sde/mod.ts";
import { ornsteinUhlenbeck } from "../../../processes/sde_models/ornstein_uhlenbeck.ts";
import { geometricBrownianMotion } from "../../../processes/sde_models/geometric_brownian_motion.ts";
import { coxIngersollRoss } from "../../../processes/sde_models/cox_ingersoll_ross.ts";
import { doubleWellLangevin } from "../../../processes/sde_models/double_well_langevin.ts";
import { stochasticLotkaVolterra } from "../../../processes/sde_models/stochastic_lotka_volterra.ts";
import { kloedenPlaten } from "../../../processes/sde_models/kloeden_platen.ts";
import {
  CpuBackend,
  NumericalError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/mod.ts";
import { fillNormal } from "../../../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import {
  type F32Form,
  f32FormOf,
  f32Normals,
  sdeEnsembleF32,
} from "../../../solvers/sde/_ensemble_f32.ts";
import type { EnsemblePlan } from "../../../kernels/sde_ensemble.ts";
import type { Sde } from "../../../processes/sde.ts";

const cpu = new CpuBackend();
const key = { seed: 11, stream: 2 };
const f = Math.fround;

function planOf(sde: Sde, o: Partial<EnsemblePlan> & { x0: number[] }): EnsemblePlan {
  return {
    step: eulerMaruyama.ensembleStep!(sde),
    paths: 100,
    t0: 0,
    dt: 0.01,
    saveSteps: [10],
    key,
    shift: o.x0.slice(0, sde.dim),
    bins: 0,
    keep: 0,
    final: true,
    ...o,
  };
}

/** The kernel's normals of elements [first, first + n) at a step (any first and n). */
function kernelNormals(
  k: { seed: number; stream: number },
  step: number,
  first: number,
  n: number,
) {
  const b0 = Math.floor(first / 4), b1 = Math.ceil((first + n) / 4);
  const out = new Float32Array(n);
  for (let b = b0; b < b1; b += 256) {
    const z = f32Normals(k, {
      step,
      purpose: PHILOX_PURPOSES.sdeGridXi,
      firstBlock: b,
      count: 8 * Math.ceil(Math.min(256, b1 - b) / 2),
    });
    for (let q = 0; q < z.length; q++) {
      const e = 4 * b + q - first;
      if (e >= 0 && e < n) out[e] = z[q]!;
    }
  }
  return out;
}

/**
 * The kernel's update in scalar f32, one operation at a time: f = Σ ((c·a)·b)·e over the drift
 * terms of the row in order, onto the first (likewise g), x ← (x + f·dt) + g·(√dt·z), z the
 * kernel's normals.
 */
function referenceF32(form: F32Form, plan: EnsemblePlan): Float32Array {
  const d = form.dim, n = plan.paths, off = plan.pathOffset ?? 0;
  const x = Float32Array.from({ length: n * d }, (_, e) => plan.x0[e % d]!);
  const dt = f(plan.dt), sq = f(Math.sqrt(plan.dt));
  const factor = (
    xi: Float32Array,
    i: number,
    fa: F32Form["drift"][number]["factors"][number] | undefined,
  ) =>
    fa === undefined
      ? 1
      : "x" in fa
      ? xi[i * d + fa.x]!
      : f(Math.sqrt(Math.max(xi[i * d + fa.sqrt]!, 0)));
  const sum = (terms: F32Form["drift"], i: number, r: number) => {
    // the first term of a row is the start of its sum, the others are added in order
    let acc: number | undefined;
    for (const t of terms) {
      if (t.r !== r) continue;
      const v = f(
        f(f(f(t.c) * factor(x, i, t.factors[0])) * factor(x, i, t.factors[1])) *
          factor(x, i, t.factors[2]),
      );
      acc = acc === undefined ? v : f(acc + v);
    }
    return acc ?? 0;
  };
  const last = plan.saveSteps[plan.saveSteps.length - 1]!;
  const next = new Float32Array(n * d);
  for (let j = 0; j < last; j++) {
    const z = kernelNormals(plan.key, j, off * d, n * d);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < d; r++) {
        const fr = sum(form.drift, i, r), gr = sum(form.diffusion, i, r);
        next[i * d + r] = f(f(x[i * d + r]! + f(fr * dt)) + f(gr * f(sq * f(z[i * d + r]!))));
      }
    }
    x.set(next);
  }
  return x;
}

Deno.test("f32 ensemble: its normals are the float64 Philox normals to 2e-6·max(1, |z|)", () => {
  // the same Philox words as fillNormal, through an f32 Box–Muller (Cephes logf, sinf, cosf):
  // 2.5e5 normals over several keys and steps; the worst seen is 1.1e-6
  let worst = 0, s1 = 0, s2 = 0, n = 0;
  for (const k of [key, { seed: 0, stream: 0 }, { seed: 0xffffffff, stream: 77 }]) {
    for (let step = 0; step < 80; step++) {
      const z32 = kernelNormals(k, step, 1000 * step, 1024);
      const z64 = new Float64Array(1024);
      fillNormal(z64, k, { step, purpose: PHILOX_PURPOSES.sdeGridXi, offset: 1000 * step });
      for (let i = 0; i < 1024; i++) {
        worst = Math.max(worst, Math.abs(z32[i]! - z64[i]!) / Math.max(1, Math.abs(z64[i]!)));
        s1 += z32[i]!;
        s2 += z32[i]! ** 2;
        n++;
      }
    }
  }
  assert.ok(worst < 2e-6, `worst difference ${worst}`);
  assert.ok(Math.abs(s1 / n) < 4 / Math.sqrt(n) && Math.abs(s2 / n - 1) < 4 * Math.sqrt(2 / n));
});

Deno.test("f32 ensemble: a path adds the kernel's normals, keyed by its global index", async () => {
  for (
    const sde of [
      ornsteinUhlenbeck({ theta: 0, mu: 0, sigma: 1 }),
      ornsteinUhlenbeck({
        theta: [0, 0],
        mu: [0, 0],
        sigma: [1, 1],
      }),
    ]
  ) {
    const d = sde.dim;
    for (const pathOffset of [0, 5, 4093]) {
      const r = await simulateEnsemble(sde, {
        backend: cpu,
        x0: new Array(d).fill(0),
        paths: 37,
        pathOffset,
        t1: 3,
        dt: 1,
        saveAt: [1, 3],
        key,
        returnFinal: true,
        precision: "f32",
      });
      assert.equal(r.precision, "f32");
      // dt = 1: x = 0 + 1·(1·z) after one step; after three, x = (z₀ + z₁) + z₂ in f32
      const z = [0, 1, 2].map((step) => kernelNormals(key, step, pathOffset * d, 37 * d));
      for (let e = 0; e < 37 * d; e++) {
        assert.equal(r.final[e], f(f(z[0]![e]! + z[1]![e]!) + z[2]![e]!), `element ${e}`);
      }
    }
  }
});

Deno.test("f32 ensemble: bit for bit the scalar f32 reference of its declared form", () => {
  const cases: Array<[Sde, number[]]> = [
    [stochasticLotkaVolterra({ alpha: 1.1, beta: 0.7, delta: 0.4, gamma: 0.9 }), [1, 0.5]],
    [coxIngersollRoss({ kappa: 2, theta: 0.05, sigma: 0.6 }), [0.04]],
    [doubleWellLangevin({ barrier: 1, beta: 3 }), [0.3]],
    [geometricBrownianMotion({ mu: 0.1, sigma: 0.4 }), [1]],
    [ornsteinUhlenbeck({ theta: [1, 2], mu: [0.5, -1], sigma: [0.3, 0.8] }), [1, 2]],
  ];
  for (const [sde, x0] of cases) {
    const form = f32FormOf(sde);
    assert.ok(typeof form !== "string", String(form));
    const plan = planOf(sde, { x0, paths: 45, pathOffset: 3, saveSteps: [30] });
    const got = sdeEnsembleF32(form, plan).final;
    const want = referenceF32(form, plan);
    for (let e = 0; e < want.length; e++) assert.equal(got[e], want[e], `${sde.name} at ${e}`);
  }
});

Deno.test("f32 ensemble: independent of the tile size and of how the paths are split", () => {
  const sde = stochasticLotkaVolterra({});
  const form = f32FormOf(sde) as F32Form;
  const plan = planOf(sde, { x0: [1, 0.5], paths: 1003, saveSteps: [20, 50], keep: 7 });
  const whole = sdeEnsembleF32(form, plan);
  assert.deepEqual(sdeEnsembleF32(form, plan, 4), whole);
  assert.deepEqual(sdeEnsembleF32(form, plan, 68), whole);
  // shards at unaligned offsets give the same paths
  const cuts = [0, 333, 334, 801, 1003];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const part = sdeEnsembleF32(form, {
      ...plan,
      paths: cuts[k + 1]! - cuts[k]!,
      pathOffset: cuts[k]!,
    }, 64);
    assert.deepEqual(part.final, whole.final.subarray(2 * cuts[k]!, 2 * cuts[k + 1]!));
  }
});

Deno.test("f32 ensemble: each path within f32 rounding of the float64 twin on the same noise", async () => {
  const sde = stochasticLotkaVolterra({});
  const options = {
    backend: cpu,
    x0: [1, 0.5],
    paths: 512,
    t1: 2,
    dt: 0.01,
    key,
    returnFinal: true,
  };
  const r64 = await simulateEnsemble(sde, options);
  const r32 = await simulateEnsemble(sde, { ...options, precision: "f32" });
  assert.equal(r64.precision, "f64");
  let worst = 0;
  for (let e = 0; e < r64.final.length; e++) {
    worst = Math.max(worst, Math.abs(r32.final[e]! - r64.final[e]!) / Math.abs(r64.final[e]!));
  }
  // 200 steps of rounding at 2⁻²⁴ each, amplified by the dynamics: far below 1e-3, far above 0
  assert.ok(worst < 1e-4 && worst > 0, `worst relative difference ${worst}`);
});

Deno.test("f32 ensemble: Ornstein–Uhlenbeck moments and LV statistics within standard errors", async () => {
  const ou = ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 0.8 });
  const r = await simulateEnsemble(ou, {
    backend: cpu,
    x0: [2],
    paths: 20000,
    t1: 1,
    dt: 0.005,
    saveAt: [0.5, 1],
    key,
    precision: "f32",
  });
  for (const [s, t] of [[0, 0.5], [1, 1]] as const) {
    const exact = ou.moments!(t, [2]);
    const zMean = (r.mean[s]! - exact.mean[0]!) / r.meanSe[s]!;
    const zVar = (r.variance[s]! - exact.variance[0]!) / r.varianceSe[s]!;
    assert.ok(Math.abs(zMean) < 4 && Math.abs(zVar) < 4, `t = ${t}: z ${zMean}, ${zVar}`);
  }
  // LV: f32 and f64 means agree within the standard error of their difference
  const lv = stochasticLotkaVolterra({ sigmaPrey: 0.3, sigmaPredator: 0.3 });
  const o = {
    backend: cpu,
    x0: [1, 0.5],
    paths: 4000,
    t1: 1,
    dt: 0.01,
    key: { seed: 5, stream: 0 },
  };
  const a = await simulateEnsemble(lv, o);
  const b = await simulateEnsemble(lv, { ...o, precision: "f32" });
  for (let c = 0; c < 2; c++) {
    const z = (a.mean[c]! - b.mean[c]!) / Math.hypot(a.meanSe[c]!, b.meanSe[c]!);
    assert.ok(Math.abs(z) < 4, `component ${c}: z ${z}`);
  }
});

Deno.test("f32 ensemble: bad input and a blow-up are typed errors", async () => {
  const ou = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });
  const base = { backend: cpu, x0: [1], paths: 8, t1: 1, dt: 0.1 };
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    simulateEnsemble(ou, { ...base, precision: "f16" as any }),
    (e) =>
      e instanceof SdenoTypeError && /precision must be "f64" or "f32", got "f16"/.test(e.message),
  );
  await assert.rejects(
    simulateEnsemble(ou, { ...base, precision: "f32", solver: milstein }),
    (e) => e instanceof SdenoRangeError && /Euler–Maruyama only/.test(e.message),
  );
  await assert.rejects(
    simulateEnsemble(kloedenPlaten("sinh"), { ...base, precision: "f32" }),
    (e) => e instanceof SdenoRangeError && /declared form/.test(e.message),
  );
  await assert.rejects(
    simulateEnsemble(ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1, dim: 3 }), {
      ...base,
      x0: [1, 1, 1],
      precision: "f32",
    }),
    (e) => e instanceof SdenoRangeError && /3 components/.test(e.message),
  );
  // x = 51^k in f32 overflows at k = 23 (51²³ ≈ 1.9e39): the error names step 22 and the path
  const gbm = geometricBrownianMotion({ mu: 50, sigma: 0 });
  await assert.rejects(
    simulateEnsemble(gbm, { ...base, x0: [1], t1: 40, dt: 1, pathOffset: 6, precision: "f32" }),
    (e) =>
      e instanceof NumericalError && e.step === 22 && e.time === 23 && e.index === 6 &&
      /path 6/.test(e.message),
  );
});

Deno.test("f32 ensemble: on 1, 2 and 3 workers, with unaligned offsets, bit-identical", async () => {
  const lv = stochasticLotkaVolterra({});
  const options = {
    backend: cpu,
    x0: [1, 0.5],
    paths: 5003,
    pathOffset: 7,
    t1: 0.3,
    dt: 0.01,
    saveAt: [0.1, 0.3],
    key,
    quantiles: [0.5],
    keepPaths: 3,
    returnFinal: true,
    precision: "f32" as const,
  };
  try {
    const one = await simulateEnsemble(lv, options);
    for (const workers of [2, 3]) {
      assert.deepEqual(await simulateEnsemble(lv, { ...options, workers }), one);
    }
  } finally {
    closeEnsembleWorkers();
  }
});
