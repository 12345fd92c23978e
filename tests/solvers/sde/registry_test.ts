// One test per registered SDE solver and property, looping over the registry:
// its declaration is well formed and it is the one exported under its name;
// it runs on the problem of every noise type it accepts and rejects the
// others, bad steps, a wrong calculus and an unneeded controller; its fitted
// strong order (GBM, additive noise) and weak order match what it declares;
// it reproduces its recorded runs bit for bit; and where it runs in the
// ensemble kernel, the float64 twin follows solveSde's grid paths and the
// GPU follows the twin. Each check returns its problems as messages, so the
// last tests can show that the checks catch wrongly registered solvers.
import assert from "node:assert/strict";
import * as sdeMod from "../../../solvers/sde/mod.ts";
import {
  eulerMaruyama,
  heun,
  milstein,
  piController,
  type SdeSolver,
  sdeSolverProblems,
  sdeSolverRegistry,
  sdeSolvers,
  simulateEnsemble,
  solveSde,
  srkSolver,
  strongOrderFor,
} from "../../../solvers/sde/mod.ts";
import { geometricBrownianMotion } from "../../../processes/sde_models/geometric_brownian_motion.ts";
import { ornsteinUhlenbeck } from "../../../processes/sde_models/ornstein_uhlenbeck.ts";
import { type Calculus, defineSde, type NoiseType, type SdeModel } from "../../../processes/sde.ts";
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import { SdenoError, SdenoRangeError } from "../../../kernels/errors.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { errorLevels, fitOrder, stepMoments } from "./_convergence.ts";
import { calculusOf, NOISE_TYPES, problem } from "./_problems.ts";
import { adaptiveRun, ensembleRun, type RunRecord, solveRun } from "./_solver_runs.ts";

const FIXTURE: Record<"solve" | "adaptive" | "ensemble", Record<string, RunRecord>> = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/sde/solver_runs.json", import.meta.url)),
);
const cpu = new CpuBackend();
const key = { seed: 3, stream: 1 };

// ---- the checks: each returns its problems ----

/** The declaration, and that the registry and the module agree on the solver. */
function declarationProblems(solver: SdeSolver): string[] {
  const p = sdeSolverProblems(solver);
  const name = solver.info?.name;
  for (const n of [name, ...(solver.info?.aliases ?? [])]) {
    if (sdeSolvers.find(n) !== solver) p.push(`${n}: the registry does not give this solver`);
  }
  return p;
}

/** Runs on every accepted noise type; rejects the others and bad options with typed errors. */
function runProblems(solver: SdeSolver): string[] {
  const p: string[] = [];
  const info = solver.info;
  const rejects = (what: string, f: () => unknown, message: RegExp) => {
    try {
      f();
      p.push(`${what}: accepted`);
    } catch (e) {
      if (!(e instanceof SdenoError) || !message.test(e.message)) {
        p.push(`${what}: threw ${e instanceof Error ? e.message : e}, expected ${message}`);
      }
    }
  };
  for (const noise of NOISE_TYPES) {
    const { sde, x0 } = problem(noise, calculusOf(info.calculus));
    const run = { solver, x0, paths: 8, t1: 0.25, dt: 1 / 32, key };
    if (!info.noise.includes(noise)) {
      rejects(
        `${noise} noise`,
        () => solveSde(sde, run),
        new RegExp(`solver "${info.name}" supports .* noise, got "${noise}" noise`),
      );
      continue;
    }
    let r;
    try {
      r = solveSde(sde, run);
    } catch (e) {
      p.push(`${noise}: ${e instanceof Error ? e.message : e}`);
      continue;
    }
    if (r.steps !== 8 || r.x.length !== 8 * sde.dim || !r.x.every(Number.isFinite)) {
      p.push(
        `${noise}: ran ${r.steps} steps to ${r.x.length} values, finite: ${
          r.x.every(Number.isFinite)
        }`,
      );
    }
    for (const dt of [-0.1, 0, NaN, Infinity]) {
      rejects(`dt = ${dt}`, () => solveSde(sde, { ...run, dt }), /dt must be (positive|a finite)/);
    }
    if (!info.adaptive) {
      const controller = piController({ rtol: 1e-3, atol: 1e-3 });
      rejects("a controller", () => solveSde(sde, { ...run, controller }), /no error estimate/);
    }
    if (info.calculus !== "both" && (noise === "diagonal" || noise === "scalar")) {
      const other: Calculus = info.calculus === "ito" ? "stratonovich" : "ito";
      rejects(
        `a ${other} SDE`,
        () => solveSde(problem(noise, other).sde, { ...run, x0 }),
        new RegExp(`integrates ${info.calculus} SDEs`),
      );
    }
  }
  return p;
}

// dX = sin(X) dt + 2 dW: additive noise, nonlinear drift (no closed form; the
// reference is the same solver with 2⁹ steps on the same Brownian path)
const sineAdditive: SdeModel = {
  ...defineSde({
    name: "sine-additive",
    dim: 1,
    noiseDim: 1,
    noise: "additive",
    drift: (_t, x, o, n) => {
      for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!);
    },
    diffusion: (_t, _x, o, n) => void o.fill(2, 0, n),
  }),
  params: {},
};

const gbm = (mu: number, sigma: number, s: SdeSolver) =>
  geometricBrownianMotion({ mu, sigma, calculus: calculusOf(s.info.calculus) });

/**
 * The strong order fitted by least squares on log-log within 0.1 of the
 * declared one (diffrax allows 0.4): on GBM (diagonal noise, exact pathwise
 * solution) and on an additive problem (reference: 2⁹ steps).
 */
function strongOrderProblems(solver: SdeSolver, noise: "diagonal" | "additive"): string[] {
  const declared = strongOrderFor(solver.info, noise);
  if (declared === undefined) return [`declares no strong order for ${noise} noise`];
  const lv = noise === "diagonal"
    ? errorLevels(gbm(0.1, 0.5, solver), solver, {
      x0: 1,
      T: 1,
      ks: [3, 4, 5, 6, 7],
      paths: 2000,
      seed: 11,
    })
    : errorLevels(sineAdditive, solver, {
      x0: 0.5,
      T: 1,
      ks: [2, 3, 4, 5, 6],
      paths: 1000,
      seed: 13,
      referenceK: 9,
    });
  const fit = fitOrder(lv.map((l) => l.h), lv.map((l) => l.strong), lv.map((l) => l.strongSe));
  const p: string[] = [];
  if (!(fit.se < 0.03)) p.push(`the fit's SE is ${fit.se}`);
  if (!(Math.abs(fit.slope - declared) < 0.1)) {
    p.push(`strong order ${fit.slope.toFixed(3)} ± ${fit.se.toFixed(3)}, declared ${declared}`);
  }
  return p;
}

/**
 * Whether one step is a function of (x, ΔW, ΔZ) alone: the same step from
 * the same state with the same increments, taken twice, gives the same
 * result (reversible Heun carries Ŷ and does not).
 */
function oneStepMethod(solver: SdeSolver): boolean {
  const { sde } = problem("additive", "ito");
  const x = new Float64Array([0.5, -0.5]), a = new Float64Array(2), b = new Float64Array(2);
  const inc = { dW: new Float64Array([0.1, -0.2]), dZ: new Float64Array([0.01, 0.02]) };
  const step = solver.makeStepper(sde, { paths: 1, x0: x });
  const args = { t: 0, h: 0.1, n: 1, x, out: a, inc, err: undefined };
  step(args);
  step({ ...args, out: b });
  return a.every((v, i) => v === b[i]);
}

/**
 * The weak order on GBM: for a one-step method exactly, |X₀E[R]^N − X₀e^{μT}|
 * with E[R] by Gauss–Hermite quadrature (no Monte Carlo error); otherwise the
 * Monte Carlo weak error on common noise.
 */
function weakOrderProblems(solver: SdeSolver): string[] {
  const q = solver.info.weakOrder!;
  const model = gbm(1, 0.5, solver);
  let slope: number, se = 0;
  if (oneStepMethod(solver)) {
    const hs = [3, 4, 5, 6, 7].map((k) => 2 ** -k);
    const err = hs.map((h) => Math.abs(stepMoments(model, solver, h)[0] ** (1 / h) - Math.E));
    slope = fitOrder(hs, err, err.map((e) => e * 1e-3)).slope;
  } else {
    const lv = errorLevels(model, solver, {
      x0: 1,
      T: 1,
      ks: [3, 4, 5, 6, 7],
      paths: 2000,
      seed: 11,
    });
    const fit = fitOrder(lv.map((l) => l.h), lv.map((l) => l.weak), lv.map((l) => l.weakSe));
    slope = fit.slope;
    se = fit.se;
    if (!(se < 0.05)) return [`the weak fit's SE is ${se}`];
  }
  return Math.abs(slope - q) < 0.1
    ? []
    : [`weak order ${slope.toFixed(3)} ± ${se.toFixed(3)}, declared ${q}`];
}

const ouExact = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });

/**
 * The weak order on additive noise, exactly: on OU (θ = 1, σ = 1, X₀ = 1,
 * T = 1) a one-step method is X' = aX + ε, so E[X_N] = a^N and
 * E[X_N²] = a^{2N} + q(1 − a^{2N})/(1 − a²) with a = E[X'], q = E[X'²] − a²
 * from one step by Gauss–Hermite quadrature (exact: X' is a polynomial in the
 * step's normals); the error in the first two moments against the exact OU
 * moments must fall at least at the declared rate (a method can do better on
 * a linear problem: Heun's is 2 here).
 */
function additiveWeakOrderProblems(solver: SdeSolver): string[] {
  const q = solver.info.weakOrder!;
  const hs = [2, 3, 4, 5, 6].map((k) => 2 ** -k);
  const exact = [Math.exp(-1), Math.exp(-2) + 0.5 * (1 - Math.exp(-2))];
  const err = hs.map((h) => {
    const [m1, m2] = stepMoments(ouExact, solver, h);
    const N = Math.round(1 / h), a2N = m1 ** (2 * N);
    const second = a2N + (m2 - m1 * m1) * (1 - a2N) / (1 - m1 * m1);
    return Math.abs(m1 ** N - exact[0]!) + Math.abs(second - exact[1]!);
  });
  const slope = fitOrder(hs, err, err.map((e) => e * 1e-3)).slope;
  return slope > q - 0.1 ? [] : [`weak order ${slope.toFixed(3)} on OU, declared ${q}`];
}

/** The recorded runs of this solver's name, replayed bit for bit. */
async function fixtureProblems(solver: SdeSolver): Promise<string[]> {
  const p: string[] = [];
  const runs = [["solve", solveRun], ["adaptive", adaptiveRun], ["ensemble", ensembleRun]] as const;
  for (const [kind, run] of runs) {
    for (const [k, rec] of Object.entries(FIXTURE[kind])) {
      const [name, noise] = k.split("/") as [string, NoiseType];
      if (name !== solver.info.name) continue;
      const got = await run(solver, noise);
      if (got.sha256 !== rec.sha256) {
        p.push(`${kind} ${k}: digest differs (first values ${got.first} vs ${rec.first})`);
      }
    }
  }
  return p;
}

/** Relative differences beyond `tol` (scale max(1, |b|)), as one message or none. */
function farApart(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): string[] {
  if (a.length !== b.length) return [`${what}: ${a.length} vs ${b.length} values`];
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(err <= tol)) return [`${what}[${i}]: ${a[i]} vs ${b[i]} (relative ${err} > ${tol})`];
  }
  return [];
}

/**
 * Where the solver runs in the ensemble kernel: on every accepted noise type
 * the cpu twin follows solveSde on the same grid path (to float64 rounding)
 * and the GPU follows the twin (f32: 1e-4 relative after 32 steps). Where it
 * does not, simulateEnsemble refuses it naming it.
 */
async function ensembleProblems(solver: SdeSolver): Promise<string[]> {
  const p: string[] = [];
  const info = solver.info;
  const gpu = await gpuBackend();
  for (const noise of info.noise) {
    const { sde, x0 } = problem(noise, calculusOf(info.calculus));
    const run = { solver, x0, paths: 100, t1: 0.5, dt: 1 / 64, saveAt: [0.25, 0.5], key };
    if (!info.backends.includes("webgpu")) {
      try {
        await simulateEnsemble(sde, { ...run, backend: cpu });
        p.push(`${noise}: the ensemble ran a solver without an ensemble step`);
      } catch (e) {
        const ok = e instanceof SdenoRangeError &&
          e.message.includes(`solver "${info.name}" cannot run in the ensemble kernel`);
        if (!ok) p.push(`${noise}: threw ${e}`);
      }
      continue;
    }
    const twin = await simulateEnsemble(sde, { ...run, backend: cpu, returnFinal: true });
    const ref = solveSde(sde, run);
    p.push(...farApart(twin.final, ref.x.subarray(100 * sde.dim), 1e-10, `${noise} twin`));
    if (twin.method !== info.name) p.push(`${noise}: the result names ${twin.method}`);
    if (gpu) {
      const g = await simulateEnsemble(sde, { ...run, backend: gpu, returnFinal: true });
      if (g.backend !== "webgpu") p.push(`${noise}: ran on ${g.backend}`);
      p.push(...farApart(g.final, twin.final, 1e-4, `${noise} webgpu`));
    }
  }
  return p;
}

// ---- every registered solver ----

Deno.test("sdeSolvers lists every solver the module exports; every tableau runs on the GPU", () => {
  const exported = Object.values(sdeMod).filter((v): v is SdeSolver =>
    typeof v === "object" && v !== null && "info" in v && "makeStepper" in v
  );
  assert.deepEqual(exported.map((s) => s.info.name).sort(), sdeSolvers.names().sort());
  // the GPU-capable set follows from the declarations: every tableau, and declared steps
  for (const s of sdeSolvers.methods) {
    if (s.tableau) assert.ok(s.info.backends.includes("webgpu"), s.info.name);
    assert.equal(s.info.backends.includes("webgpu"), s.ensembleStep !== undefined, s.info.name);
  }
  // the three that ran there before the kernel took declared steps still do
  for (const name of ["euler-maruyama", "milstein", "sra1"]) {
    assert.ok(sdeSolvers.get(name).info.backends.includes("webgpu"), name);
  }
});

for (const solver of sdeSolvers.methods) {
  const { name, noise } = solver.info;
  Deno.test(`${name} is well declared and registered`, () => {
    assert.deepEqual(declarationProblems(solver), []);
  });
  Deno.test(`${name} runs on ${noise.join(", ")} noise and rejects bad options`, () => {
    assert.deepEqual(runProblems(solver), []);
  });
  for (const n of ["diagonal", "additive"] as const) {
    if (!noise.includes(n)) continue;
    Deno.test(`${name} has strong order ${strongOrderFor(solver.info, n)} on ${n} noise`, () => {
      assert.deepEqual(strongOrderProblems(solver, n), []);
    });
  }
  if (solver.info.weakOrder !== undefined && noise.includes("diagonal")) {
    Deno.test(`${name} has weak order ${solver.info.weakOrder} on GBM`, () => {
      assert.deepEqual(weakOrderProblems(solver), []);
    });
  }
  if (solver.info.weakOrder !== undefined && noise.includes("additive") && oneStepMethod(solver)) {
    Deno.test(`${name} has weak order ≥ ${solver.info.weakOrder} on additive noise (OU)`, () => {
      assert.deepEqual(additiveWeakOrderProblems(solver), []);
    });
  }
  Deno.test(`${name} reproduces its recorded runs bit for bit`, async () => {
    assert.deepEqual(await fixtureProblems(solver), []);
  });
  Deno.test({
    name: solver.info.backends.includes("webgpu")
      ? `${name} in the ensemble: the twin follows solveSde, webgpu follows the twin`
      : `${name} is refused by the ensemble, with the reason`,
    ...GPU_TEST,
  }, async () => {
    assert.deepEqual(await ensembleProblems(solver), []);
  });
}

// ---- the checks catch wrongly registered solvers ----

Deno.test("the checks report a solver registered with a wrong order, noise type or name", () => {
  // Euler–Maruyama declared strong order 1 on diagonal noise (it has 0.5)
  const tooGood: SdeSolver = {
    ...eulerMaruyama,
    info: { ...eulerMaruyama.info, strongOrder: { general: 1, additive: 1 } },
  };
  assert.match(
    strongOrderProblems(tooGood, "diagonal").join("; "),
    /strong order 0\.5\d*.*, declared 1/,
  );
  // Heun's weak order declared 2; Euler–Maruyama's 2 on additive noise
  const weak2: SdeSolver = { ...heun, info: { ...heun.info, weakOrder: 2 } };
  assert.match(weakOrderProblems(weak2).join("; "), /weak order 1\.\d+ .*, declared 2/);
  const emWeak2: SdeSolver = { ...eulerMaruyama, info: { ...eulerMaruyama.info, weakOrder: 2 } };
  assert.match(
    additiveWeakOrderProblems(emWeak2).join("; "),
    /weak order 1\.\d+ on OU, declared 2/,
  );
  // Milstein claiming general noise, with no order for it
  const general: SdeSolver = {
    ...milstein,
    info: { ...milstein.info, noise: [...milstein.info.noise, "general"] },
  };
  assert.match(
    declarationProblems(general).join("; "),
    /declares no strong order for general noise/,
  );
  // an upper-case name, a missing summary, webgpu without an ensemble step
  const bad: SdeSolver = {
    ...heun,
    info: { ...heun.info, name: "Heun", summary: "" },
    ensembleStep: undefined,
  };
  const p = declarationProblems(bad).join("; ");
  assert.match(p, /names must be lower case/);
  assert.match(p, /summary must be a non-empty line/);
  assert.match(p, /backends lists webgpu, but it has no ensemble step/);
  assert.match(p, /Heun: the registry does not give this solver/);
  assert.throws(() => sdeSolverRegistry([eulerMaruyama, bad]), /names must be lower case/);
  // two solvers under one alias
  const twin: SdeSolver = { ...heun, info: { ...heun.info, name: "heun2" } };
  assert.throws(
    () => sdeSolverRegistry([heun, twin]),
    /"stochastic-heun" names both heun and heun2/,
  );
});

Deno.test({
  name: "the checks report a solver whose step or ensemble step is not what its name promises",
  ...GPU_TEST,
}, async () => {
  // "euler-maruyama" stepping with Heun's step: its recorded runs differ
  const impostor: SdeSolver = { ...eulerMaruyama, makeStepper: heun.makeStepper };
  assert.match(
    (await fixtureProblems(impostor)).join("; "),
    /solve euler-maruyama\/diagonal: digest differs/,
  );
  // Heun whose ensemble step is Euler–Maruyama's: the twin leaves solveSde's paths
  const wrongKernel: SdeSolver = { ...heun, ensembleStep: eulerMaruyama.ensembleStep };
  assert.match((await ensembleProblems(wrongKernel)).join("; "), /diagonal twin\[\d+\]/);
  // a step that loses the state on general noise: the run stops, and the check says where
  const broken: SdeSolver = {
    ...eulerMaruyama,
    makeStepper: (sde, setup) => {
      const step = eulerMaruyama.makeStepper(sde, setup);
      return (args) => {
        step(args);
        if (sde.noise === "general") args.out[1] = NaN;
      };
    },
  };
  assert.match(
    runProblems(broken).join("; "),
    /^general: .*the state of path 0, component 1 \(solver "euler-maruyama"\) is NaN at step 0/,
  );
});

Deno.test({
  name: "a tableau solver defined outside sdeno runs in the ensemble on both backends, unedited",
  ...GPU_TEST,
}, async () => {
  // a three-stage tableau for additive noise (drift stages of a third-order Runge–Kutta
  // method, Rößler's form with ΔZ), declared strong order 1.5 and checked here
  const threeStage = srkSolver({
    name: "additive-three-stage",
    aliases: [],
    summary: "a three-stage SRK tableau for additive noise, defined in a test",
    calculus: "ito",
    noise: ["additive"],
    strongOrder: { additive: 1.5 },
    weakOrder: undefined,
    adaptive: false,
    errorOrder: undefined,
    levyArea: true,
  }, {
    stages: 3,
    c0: [0, 1, 0.5],
    c1: [1, 0, 0],
    a0: [[0, 0, 0], [1, 0, 0], [0.25, 0.25, 0]],
    a1: [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
    b0: [[0, 0, 0], [0, 0, 0], [1, 0.5, 0]],
    b1: [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
    noise0: "dZ/h",
    noise1: "dW",
    alpha: [1 / 6, 1 / 6, 2 / 3],
    beta: [["dW", [1, 0, 0]], ["dZ/h", [-1, 1, 0]]],
  });
  assert.deepEqual(threeStage.info.backends, ["cpu", "webgpu"]);
  assert.deepEqual(sdeSolverProblems(threeStage), []);
  assert.deepEqual(strongOrderProblems(threeStage, "additive"), []);
  assert.deepEqual(await ensembleProblems(threeStage), []);
});
