/**
 * The one driver of every SDE solver: fixed or adaptive steps, a Brownian
 * path, output at chosen times, a per-step callback and a NaN/Inf stop.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  NumericalError,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { _checkKey, type Key } from "../../kernels/philox.ts";
import { _probeSde, diffusionWidth, type Sde } from "../../processes/sde.ts";
import type { BrownianIncrement, BrownianPath } from "./brownian_path.ts";
import { brownianGrid } from "./brownian_grid.ts";
import { virtualBrownianTree } from "./virtual_brownian_tree.ts";
import type { StepSizeController } from "./pi_controller.ts";
import type { SdeSolver } from "./solver_info.ts";
import type { SrkTableau } from "./srk_tableau.ts";
import { _addNoise, _noiseWeight } from "./_noise.ts";

/** What `onStep` sees after each accepted step. */
export interface SdeStepInfo {
  /** Accepted steps so far (1 after the first). */
  step: number;
  /** Time reached. */
  t: number;
  /** The step just taken. */
  h: number;
  /** The state at `t`, n×d (do not keep: it is overwritten by later steps). */
  x: Float64Array;
}

/** Options of {@linkcode solveSde}. */
export interface SolveSdeOptions {
  /** The method, e.g. `eulerMaruyama`. */
  solver: SdeSolver;
  /** Initial state: d values (every path starts there) or n×d. */
  x0: ArrayLike<number>;
  /** Number of paths n; default x0.length / d. */
  paths?: number;
  /** Start time, default 0. */
  t0?: number;
  /** End time (> t0). */
  t1: number;
  /** Fixed step, or the first step of an adaptive solve. */
  dt?: number;
  /** A step-size controller (adaptive stepping); needs a solver with an error estimate. */
  controller?: StepSizeController;
  /** Philox key of the driving noise when `brownian` is not given; default seed 0, stream 0. */
  key?: Key;
  /** The driving Brownian path; default a grid of `dt` (fixed steps) or a virtual tree (adaptive). */
  brownian?: BrownianPath;
  /** Index of the first path in the Brownian path (for sharding), default 0. */
  pathOffset?: number;
  /** Times to save, increasing, within (t0, t1]; default [t1]. */
  saveAt?: readonly number[];
  /** Called after each accepted step. */
  onStep?: (info: SdeStepInfo) => void;
  /** Largest number of steps (accepted and rejected), default 10⁷. */
  maxSteps?: number;
}

/** What {@linkcode solveSde} returns. */
export interface SdeSolution {
  /** The save times. */
  t: Float64Array;
  /** The states at the save times, shape [saves, n, d] flattened. */
  x: Float64Array;
  /** [saves, n, d]. */
  shape: [number, number, number];
  /** Accepted steps. */
  steps: number;
  /** Rejected steps. */
  rejected: number;
}

type Stepper = (
  t: number,
  h: number,
  x: Float64Array,
  out: Float64Array,
  inc: BrownianIncrement,
  err: Float64Array | undefined,
) => void;

/**
 * Integrates `sde` from `x0` over `[t0, t1]` for n paths with `solver`.
 * Fixed steps of `dt` (clipped to land on each save time), or adaptive steps
 * when a `controller` is given: the batch shares one step, the error norm
 * is the largest over paths, and the Brownian path (a virtual tree by
 * default) gives rejected and accepted steps the same noise.
 *
 * Before any work it checks the arguments, the solver against the SDE
 * (noise type, calculus), and the coefficients' output shapes on x0. A
 * non-finite state stops the solve with a {@linkcode NumericalError} naming
 * the path, time and component.
 *
 * @param sde the SDE
 * @param options solver, initial state, span, steps, noise, output
 * @returns the states at the save times
 * @throws {SdenoRangeError} for a bad span, step, save time or an unsupported noise type
 * @throws {SdenoTypeError} for wrongly shaped inputs or coefficients
 * @throws {NumericalError} when a state becomes NaN or infinite
 *
 * @example Euler–Maruyama on an OU process keeps its mean near 0
 * ```ts
 * import { solveSde } from "./solve_sde.ts";
 * import { eulerMaruyama } from "./euler_maruyama.ts";
 * import { ornsteinUhlenbeck } from "../../processes/sde_models/ornstein_uhlenbeck.ts";
 * import assert from "node:assert/strict";
 * const sde = ornsteinUhlenbeck({ theta: 1, mu: 0, sigma: 1 });
 * const sol = solveSde(sde, { solver: eulerMaruyama, x0: [0], paths: 1000, t1: 1, dt: 0.01 });
 * const mean = sol.x.reduce((a, b) => a + b, 0) / 1000;
 * assert.ok(Math.abs(mean) < 4 * Math.sqrt(0.5 / 1000));
 * assert.throws(() => solveSde(sde, { solver: eulerMaruyama, x0: [0], t1: 1, dt: -0.1 }), RangeError);
 * ```
 */
export function solveSde(sde: Sde, options: SolveSdeOptions): SdeSolution {
  const what = "Cannot solve the SDE";
  const { solver } = options;
  if (!solver || typeof solver !== "object" || !solver.info) {
    throw new SdenoTypeError(`${what}: solver must be an SdeSolver, got ${quote(solver)}`);
  }
  const info = solver.info;
  const d = sde.dim, m = sde.noiseDim;
  const t0 = checkFinite(what, "t0", options.t0 ?? 0);
  const t1 = checkFinite(what, "t1", options.t1);
  if (!(t1 > t0)) {
    throw new SdenoRangeError(
      `${what}: t-span must be increasing, t1 must exceed t0 = ${t0}, got ${quote(t1)}`,
    );
  }
  if (!info.noise.includes(sde.noise)) {
    throw new SdenoRangeError(
      `${what}: solver "${info.name}" supports ${
        info.noise.join(", ")
      } noise, got "${sde.noise}" noise`,
    );
  }
  if (info.calculus !== "both" && info.calculus !== sde.calculus && sde.noise !== "additive") {
    throw new SdenoRangeError(
      `${what}: solver "${info.name}" integrates ${info.calculus} SDEs, got a ${sde.calculus} SDE "${sde.name}"`,
    );
  }
  // initial state
  const x0 = options.x0;
  if (!x0 || typeof x0.length !== "number" || x0.length === 0 || x0.length % d !== 0) {
    throw new SdenoTypeError(
      `${what}: x0 must hold dim = ${d} values or n×dim values, got length ${quote(x0?.length)}`,
    );
  }
  const n = checkInteger(what, "paths", options.paths ?? x0.length / d, 1);
  if (x0.length !== d && x0.length !== n * d) {
    throw new SdenoTypeError(
      `${what}: x0 must hold dim = ${d} or paths×dim = ${n * d} values, got ${x0.length}`,
    );
  }
  const x = new Float64Array(n * d);
  for (let e = 0; e < n * d; e++) {
    const v = x0.length === d ? x0[e % d]! : x0[e]!;
    if (!Number.isFinite(v)) {
      throw new SdenoTypeError(`${what}: x0 must be finite, got ${quote(v)} at index ${e}`);
    }
    x[e] = v;
  }
  // steps and controller
  const controller = options.controller;
  if (controller && !info.adaptive) {
    throw new SdenoRangeError(
      `${what}: solver "${info.name}" has no error estimate; adaptive stepping needs one of heun, sra1, sriw1`,
    );
  }
  let dt: number;
  if (options.dt !== undefined) {
    dt = checkFinite(what, "dt", options.dt);
    if (!(dt > 0)) throw new SdenoRangeError(`${what}: dt must be positive, got ${quote(dt)}`);
  } else if (controller) {
    dt = (t1 - t0) / 100;
  } else {
    throw new SdenoTypeError(`${what}: dt is required for fixed steps, got undefined`);
  }
  const maxSteps = checkInteger(what, "maxSteps", options.maxSteps ?? 1e7, 1);
  const offset = checkInteger(what, "pathOffset", options.pathOffset ?? 0);
  // save times
  const saveAt = options.saveAt ?? [t1];
  if (!Array.isArray(saveAt) || saveAt.length === 0) {
    throw new SdenoTypeError(
      `${what}: saveAt must be a non-empty array of times, got ${quote(saveAt)}`,
    );
  }
  let last = t0;
  for (const s of saveAt) {
    if (
      typeof s !== "number" || !(s > last - 1e-15 * Math.abs(last)) || s > t1 ||
      (s === last && s !== t0)
    ) {
      throw new SdenoRangeError(
        `${what}: saveAt must be increasing times in [${t0}, ${t1}], got ${quote(s)} after ${last}`,
      );
    }
    last = s;
  }
  // noise
  const key = options.key ?? { seed: 0, stream: 0 };
  _checkKey(what, key);
  let brownian = options.brownian;
  if (brownian === undefined) {
    brownian = controller
      ? virtualBrownianTree(key, { noiseDim: m, t0, t1 })
      : brownianGrid(key, { noiseDim: m, dt, t0 });
  }
  if (brownian.noiseDim !== m) {
    throw new SdenoTypeError(
      `${what}: brownian.noiseDim must equal the SDE's noiseDim = ${m}, got ${
        quote(brownian.noiseDim)
      }`,
    );
  }
  if (brownian.kind === "grid") {
    const g = brownian.dt!;
    const onGrid = (s: number) => {
      const j = Math.round((s - brownian!.t0) / g);
      return j >= 0 && Math.abs(brownian!.t0 + j * g - s) <= 1e-9 * Math.max(1, Math.abs(s));
    };
    if (controller) {
      throw new SdenoRangeError(
        `${what}: adaptive steps need a virtual Brownian tree, got a grid path`,
      );
    }
    for (
      const [name, s] of [
        ["t0", t0],
        ["t1", t1],
        ["dt", t0 + dt],
        ...saveAt.map((s) => ["saveAt", s] as const),
      ] as const
    ) {
      if (!onGrid(s)) {
        throw new SdenoRangeError(
          `${what}: ${name} must land on the Brownian grid ${brownian.t0} + j·${g}, got ${
            quote(s)
          }`,
        );
      }
    }
  } else if (t0 < brownian.t0 || t1 > brownian.t1) {
    throw new SdenoRangeError(
      `${what}: [t0, t1] must lie inside the Brownian path's [${brownian.t0}, ${brownian.t1}], got [${t0}, ${t1}]`,
    );
  }
  _probeSde(what, sde, x, t0);

  // the work
  const stepper = makeStepper(sde, solver, n, x);
  const inc: BrownianIncrement = {
    dW: new Float64Array(n * m),
    dZ: info.levyArea ? new Float64Array(n * m) : undefined,
  };
  const out = new Float64Array(n * d);
  const err = controller ? new Float64Array(n * d) : undefined;
  const S = saveAt.length;
  const xs = new Float64Array(S * n * d);
  let si = 0;
  while (si < S && saveAt[si] === t0) xs.set(x, n * d * si++);
  let t = t0, h = dt, steps = 0, rejected = 0, accepted = 0;
  const span = t1 - t0;
  const dtMin = controller?.dtMin ?? 1e-12 * span;
  controller?.reset();
  while (si < S) {
    if (steps++ >= maxSteps) {
      throw new NumericalError(`${what}: maxSteps = ${maxSteps} reached at t = ${t}`, {
        step: steps,
        time: t,
      });
    }
    const target = saveAt[si]!;
    let tNext = t + h;
    if (tNext >= target - 1e-12 * span) tNext = target;
    const hEff = tNext - t;
    brownian.increment(t, tNext, inc, n, offset);
    stepper(t, hEff, x, out, inc, err);
    if (controller) {
      let e = 0;
      const { rtol, atol } = controller;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let r = 0; r < d; r++) {
          const k = i * d + r;
          const sc = atol + rtol * Math.max(Math.abs(x[k]!), Math.abs(out[k]!));
          const q = err![k]! / sc;
          s += q * q;
        }
        const ei = Math.sqrt(s / d);
        e = Number.isNaN(ei) ? Infinity : Math.max(e, ei);
      }
      const order = info.errorOrder ?? 1;
      const p = controller.propose(hEff, e, order);
      if (!p.accept && Number.isFinite(e)) {
        rejected++;
        if (p.h < dtMin) {
          throw new NumericalError(
            `${what}: step size ${p.h} fell below dtMin = ${dtMin} at t = ${t}`,
            { step: accepted, time: t },
          );
        }
        h = p.h;
        continue;
      }
      h = tNext === target ? Math.max(p.h, h) : p.h;
    }
    // NaN / Inf stop
    for (let k = 0; k < n * d; k++) {
      if (!Number.isFinite(out[k]!)) {
        const path = Math.floor(k / d), comp = k % d;
        throw new NumericalError(
          `${what}: the state became ${out[k]} at path ${
            offset + path
          }, time ${tNext}, component ${comp} (solver "${info.name}", step ${accepted + 1})`,
          { step: accepted + 1, time: tNext, index: k },
        );
      }
    }
    x.set(out);
    t = tNext;
    accepted++;
    if (t === target) xs.set(x, n * d * si++);
    options.onStep?.({ step: accepted, t, h: hEff, x });
  }
  return {
    t: Float64Array.from(saveAt),
    x: xs,
    shape: [S, n, d],
    steps: accepted,
    rejected,
  };
}

function makeStepper(sde: Sde, solver: SdeSolver, n: number, x0: Float64Array): Stepper {
  const method = solver.method;
  if (method.kind === "srk") return srkStepper(sde, method.tableau, n);
  if (method.kind === "milstein") return milsteinStepper(sde, n);
  return reversibleHeunStepper(sde, n, x0);
}

function srkStepper(sde: Sde, tab: SrkTableau, n: number): Stepper {
  const { dim: d, noiseDim: m, noise } = sde;
  const s = tab.stages;
  const w = diffusionWidth(sde);
  const nz = (v: number | undefined) => v !== undefined && v !== 0;
  const needF = Array.from({ length: s }, (_, j) =>
    nz(tab.alpha[j]) || nz(tab.alphaHat?.[j]) ||
    tab.a0.some((row) => nz(row[j])) || tab.a1.some((row) => nz(row[j])));
  const needG = Array.from(
    { length: s },
    (_, j) =>
      tab.beta.some(([, b]) => nz(b[j])) || (tab.betaHat?.some(([, b]) => nz(b[j])) ?? false) ||
      tab.b0.some((row) => nz(row[j])) || tab.b1.some((row) => nz(row[j])),
  );
  const F = Array.from({ length: s }, () => new Float64Array(n * d));
  const G = Array.from({ length: s }, () => new Float64Array(n * w));
  const H = new Float64Array(n * d);
  const z0 = new Float64Array(n * m), z1 = new Float64Array(n * m), v = new Float64Array(n * m);
  const zq = tab.beta.map(() => new Float64Array(n * m));
  const zh = (tab.betaHat ?? []).map(() => new Float64Array(n * m));
  const hat = new Float64Array(n * d);
  const stage = (
    x: Float64Array,
    i: number,
    h: number,
    a: readonly number[],
    b: readonly number[],
    z: Float64Array,
  ) => {
    H.set(x);
    for (let j = 0; j < i; j++) {
      const aj = a[j]!;
      if (aj !== 0) {
        const f = F[j]!;
        for (let e = 0; e < n * d; e++) H[e] = H[e]! + h * aj * f[e]!;
      }
      const bj = b[j]!;
      if (bj !== 0) _addNoise(noise, d, m, G[j]!, z, bj, H, n);
    }
  };
  const combine = (
    x: Float64Array,
    h: number,
    alpha: readonly number[],
    beta: ReadonlyArray<readonly [unknown, readonly number[]]>,
    zs: Float64Array[],
    out: Float64Array,
  ) => {
    out.set(x);
    for (let i = 0; i < s; i++) {
      const ai = alpha[i]!;
      if (ai !== 0) {
        const f = F[i]!;
        for (let e = 0; e < n * d; e++) out[e] = out[e]! + h * ai * f[e]!;
      }
      let any = false;
      v.fill(0);
      for (let q = 0; q < beta.length; q++) {
        const bq = beta[q]![1][i]!;
        if (bq === 0) continue;
        any = true;
        const zz = zs[q]!;
        for (let e = 0; e < n * m; e++) v[e] = v[e]! + bq * zz[e]!;
      }
      if (any) _addNoise(noise, d, m, G[i]!, v, 1, out, n);
    }
  };
  return (t, h, x, out, inc, err) => {
    const len = n * m;
    _noiseWeight(tab.noise0, h, inc.dW, inc.dZ, z0, len);
    _noiseWeight(tab.noise1, h, inc.dW, inc.dZ, z1, len);
    tab.beta.forEach(([k], q) => _noiseWeight(k, h, inc.dW, inc.dZ, zq[q]!, len));
    (tab.betaHat ?? []).forEach(([k], q) => _noiseWeight(k, h, inc.dW, inc.dZ, zh[q]!, len));
    for (let i = 0; i < s; i++) {
      if (needF[i]) {
        stage(x, i, h, tab.a0[i]!, tab.b0[i]!, z0);
        sde.drift(t + tab.c0[i]! * h, H, F[i]!, n);
      }
      if (needG[i]) {
        stage(x, i, h, tab.a1[i]!, tab.b1[i]!, z1);
        sde.diffusion(t + tab.c1[i]! * h, H, G[i]!, n);
      }
    }
    combine(x, h, tab.alpha, tab.beta, zq, out);
    if (err && tab.alphaHat && tab.betaHat) {
      combine(x, h, tab.alphaHat, tab.betaHat, zh, hat);
      for (let e = 0; e < n * d; e++) err[e] = out[e]! - hat[e]!;
    }
  };
}

function milsteinStepper(sde: Sde, n: number): Stepper {
  const { dim: d, noiseDim: m, noise } = sde;
  const w = diffusionWidth(sde);
  const f = new Float64Array(n * d), g = new Float64Array(n * w), lg = new Float64Array(n * d);
  const xp = new Float64Array(n * d), gp = new Float64Array(n * w), gm = new Float64Array(n * w);
  const epsOf = new Float64Array(n);
  const ito = sde.calculus === "ito";
  return (t, h, x, out, inc) => {
    sde.drift(t, x, f, n);
    sde.diffusion(t, x, g, n);
    out.set(x);
    for (let e = 0; e < n * d; e++) out[e] = out[e]! + h * f[e]!;
    _addNoise(noise, d, m, g, inc.dW, 1, out, n);
    if (noise === "additive") return;
    if (sde.diffusionDerivative) {
      sde.diffusionDerivative(t, x, lg, n);
    } else {
      // central difference of g along g: (g(x + εg) − g(x − εg))/(2ε) ≈ (g·∇)g
      for (let i = 0; i < n; i++) {
        let gmax = 0, xmax = 1;
        for (let r = 0; r < d; r++) {
          gmax = Math.max(gmax, Math.abs(g[i * d + r]!));
          xmax = Math.max(xmax, Math.abs(x[i * d + r]!));
        }
        epsOf[i] = gmax > 0 ? (6e-6 * xmax) / gmax : 0;
      }
      for (const [sign, dst] of [[1, gp], [-1, gm]] as const) {
        for (let k = 0; k < n * d; k++) {
          xp[k] = x[k]! + sign * epsOf[Math.floor(k / d)]! * g[k]!;
        }
        sde.diffusion(t, xp, dst, n);
      }
      for (let k = 0; k < n * d; k++) {
        const eps = epsOf[Math.floor(k / d)]!;
        lg[k] = eps > 0 ? (gp[k]! - gm[k]!) / (2 * eps) : 0;
      }
    }
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < d; r++) {
        const k = i * d + r;
        const dw = noise === "diagonal" ? inc.dW[k]! : inc.dW[i]!;
        out[k] = out[k]! + 0.5 * lg[k]! * (dw * dw - (ito ? h : 0));
      }
    }
  };
}

function reversibleHeunStepper(sde: Sde, n: number, x0: Float64Array): Stepper {
  const { dim: d, noiseDim: m, noise } = sde;
  const w = diffusionWidth(sde);
  const yhat = Float64Array.from(x0);
  let fhat = new Float64Array(n * d), ghat = new Float64Array(n * w);
  let fnew = new Float64Array(n * d), gnew = new Float64Array(n * w);
  let started = false;
  return (t, h, x, out, inc) => {
    if (!started) {
      sde.drift(t, yhat, fhat, n);
      sde.diffusion(t, yhat, ghat, n);
      started = true;
    }
    // Ŷ' = 2X − Ŷ + f(Ŷ)h + g(Ŷ)·ΔW
    for (let e = 0; e < n * d; e++) yhat[e] = 2 * x[e]! - yhat[e]! + h * fhat[e]!;
    _addNoise(noise, d, m, ghat, inc.dW, 1, yhat, n);
    sde.drift(t + h, yhat, fnew, n);
    sde.diffusion(t + h, yhat, gnew, n);
    out.set(x);
    for (let e = 0; e < n * d; e++) out[e] = out[e]! + 0.5 * h * (fhat[e]! + fnew[e]!);
    _addNoise(noise, d, m, ghat, inc.dW, 0.5, out, n);
    _addNoise(noise, d, m, gnew, inc.dW, 0.5, out, n);
    [fhat, fnew] = [fnew, fhat];
    [ghat, gnew] = [gnew, ghat];
  };
}
