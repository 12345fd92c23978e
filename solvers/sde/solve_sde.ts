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
import { checkKey, type Key } from "../../kernels/philox.ts";
import type { Sde } from "../../processes/sde.ts";
import { probeSde } from "../../processes/_sde_probe.ts";
import type { StepInfo } from "../run_context.ts";
import type { BrownianIncrement, BrownianPath } from "./brownian_path.ts";
import { brownianGrid } from "./brownian_grid.ts";
import { virtualBrownianTree } from "./virtual_brownian_tree.ts";
import type { StepSizeController } from "./pi_controller.ts";
import type { SdeSolver, SdeStepArgs } from "./solver_info.ts";

/**
 * What `onStep` sees after each accepted step: the shared
 * {@linkcode StepInfo} (`step` from 0, the step's `t` and `tNext`, the
 * state `x` at `tNext`, n×d, valid during the call only) and the step size.
 */
export interface SdeStepInfo extends StepInfo<Float64Array> {
  /** The step just taken, `tNext − t`. */
  h: number;
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
  /** Called after each accepted step (synchronously: a returned promise is not awaited). */
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

/**
 * Integrates `sde` from `x0` over `[t0, t1]` for n paths with `solver`.
 * Fixed steps of `dt` (clipped to land on each save time), or adaptive steps
 * when a `controller` is given: the batch shares one step, the error norm
 * is the largest over paths, and the Brownian path (a virtual tree by
 * default) gives rejected and accepted steps the same noise.
 *
 * The solver carries its step (`solver.makeStepper`): a tableau runs on the
 * one tableau driver, any other method on its own step function; this
 * driver knows neither. Before any work it checks the arguments, the solver
 * against the SDE (noise type, calculus), and the coefficients' output
 * shapes on x0. A non-finite state stops the solve with a
 * {@linkcode NumericalError} naming the step, time and flat index (and the
 * path and component).
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
  if (
    !solver || typeof solver !== "object" || !solver.info ||
    typeof solver.makeStepper !== "function"
  ) {
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
      `${what}: solver "${info.name}" has no error estimate; adaptive stepping needs a solver with adaptive: true`,
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
  if (options.onStep !== undefined && typeof options.onStep !== "function") {
    throw new SdenoTypeError(`${what}: onStep must be a function, got ${quote(options.onStep)}`);
  }
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
  checkKey(what, key);
  const offset = checkInteger(what, "pathOffset", options.pathOffset ?? 0, 0, 2 ** 32 - 1);
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
  probeSde(sde, { what, x, t: t0 });

  // the work
  const stepper = solver.makeStepper(sde, { paths: n, x0: x });
  const inc: BrownianIncrement = {
    dW: new Float64Array(n * m),
    dZ: info.levyArea ? new Float64Array(n * m) : undefined,
  };
  const out = new Float64Array(n * d);
  const err = controller ? new Float64Array(n * d) : undefined;
  const args: SdeStepArgs = { t: t0, h: dt, n, x, out, inc, err };
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
    args.t = t;
    args.h = hEff;
    stepper(args);
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
    // NaN / Inf stop: a predicted branch per value, then the message of
    // RunContext.checkFinite (which is async; this driver is not)
    let finite = true;
    for (let k = 0; k < n * d; k++) if (out[k]! - out[k]! !== 0) finite = false;
    if (!finite) {
      let k = 0;
      while (Number.isFinite(out[k]!)) k++;
      throw new NumericalError(
        `${what}: the state of path ${offset + Math.floor(k / d)}, component ${k % d} ` +
          `(solver "${info.name}") is ${out[k]} at step ${accepted}, time ${tNext}, index ${k}`,
        { step: accepted, time: tNext, index: k },
      );
    }
    x.set(out);
    const tStart = t;
    t = tNext;
    accepted++;
    if (t === target) xs.set(x, n * d * si++);
    options.onStep?.({ step: accepted - 1, t: tStart, tNext: t, h: hEff, x });
  }
  return {
    t: Float64Array.from(saveAt),
    x: xs,
    shape: [S, n, d],
    steps: accepted,
    rejected,
  };
}
