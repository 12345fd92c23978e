/**
 * Bayesian inference of a Markov jump process from discrete, noisy
 * observations: Rao & Teh's uniformization Gibbs sampler with conjugate
 * Gamma priors on the rates.
 *
 * @module
 */

import {
  checkFinite,
  checkInteger,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { _DrawStream } from "./_gamma_sampler.ts";
import {
  _addPathStats,
  _initialPath,
  type _PathContext,
  type _PathState,
  type _PathStats,
  _resamplePath,
} from "./_ffbs.ts";
import { _checkAllowed, _checkGammaPrior } from "./_msm_checks.ts";
import type { GammaRatePrior } from "./msm_posterior.ts";
import {
  checkMjpObservations,
  emissionLikelihoods,
  type EmissionModel,
  exactEmission,
  type MjpObservations,
} from "./observations.ts";
import { type MjpDerivedQuantities, mjpDerivedQuantities } from "./mjp_derived_quantities.ts";

/** Options of {@linkcode gibbsMjp}. */
export interface GibbsMjpOptions {
  /** Philox seed; chain c draws under the key (seed, c). */
  seed: number;
  /** Kept samples per chain, ≥ 1. */
  samples: number;
  /** Iterations dropped before the first kept sample (default `samples`). */
  burnIn?: number;
  /** Keep every `thin`-th iteration after burn-in (default 1). */
  thin?: number;
  /** Number of chains (default 1); chain c is the same whatever the others. */
  chains?: number;
  /** Index of the first chain (default 0): a run can be split into pieces of chains. */
  firstChain?: number;
  /** The noise model (default exact labels). */
  emission?: EmissionModel;
  /** Gamma(shape, rate) prior of every free off-diagonal rate (default Gamma(1, 1)). */
  prior?: GammaRatePrior;
  /** Free off-diagonal rates, row-major n×n (default all); the others stay 0. */
  allowed?: ArrayLike<boolean | number>;
  /** A known law of the state at each path's start; when absent it is sampled under a Dirichlet prior. */
  initial?: ArrayLike<number>;
  /** Dirichlet concentration of the initial law's prior (default 1, uniform). */
  initialConcentration?: number;
  /** Ω = omegaFactor · max_i |q_ii| at each iteration (default 2, as Rao & Teh); must exceed 1. */
  omegaFactor?: number;
  /**
   * Start of every path's window, where the state has law π₀ (default each
   * path's first observation time); e.g. 0 when paths start at time 0 and
   * are first observed later.
   */
  startTime?: number;
  /** End of every path's window (default each path's last observation time). */
  endTime?: number;
  /** The chains' first generator (default the prior mean on the free rates). */
  start?: RateMatrix;
  /**
   * Compute the derived quantities of every kept sample with
   * `mjpDerivedQuantities` (stationary law, relaxation time, mean
   * first-passage times, entropy production; default true); pass the
   * chains to `summarizePosterior` for their credible intervals.
   */
  derived?: boolean;
}

/** One chain of {@linkcode gibbsMjp}. */
export interface GibbsMjpChain {
  /** The kept generators, in order. */
  generators: RateMatrix[];
  /** The kept initial laws (the known law repeated when it was given). */
  initialLaws: Float64Array[];
  /** Derived quantities of each kept generator (absent with `derived: false`). */
  derived?: MjpDerivedQuantities[];
}

/** Result of {@linkcode gibbsMjp}. */
export interface GibbsMjpResult {
  /** Number of states. */
  n: number;
  /** The chains. */
  chains: GibbsMjpChain[];
  /** Posterior mean of the generator over all kept samples, row-major n×n. */
  posteriorMean: Float64Array;
}

const WHAT = "Cannot run the MJP Gibbs sampler";

/**
 * Posterior samples of a generator Q (and of the initial law π₀) given
 * paths observed at discrete times through a known noise model, by the
 * uniformization Gibbs sampler of V. Rao & Y. W. Teh ("Fast MCMC sampling
 * for Markov jump processes and extensions", JMLR 14, 2013, §3–§5). Each
 * iteration, for every path:
 *
 * 1. with `Ω = omegaFactor · max_i |q_ii|`, add virtual jumps to the current
 *    path: on a stretch in state s, a Poisson process of rate `Ω + q_ss`;
 * 2. on the grid of real and virtual jump times the states form a discrete
 *    chain with transition matrix `B = I + Q/Ω`: resample them by forward
 *    filtering, backward sampling, with the emission likelihoods of the
 *    observations in each grid interval and π₀ at the start;
 * 3. drop the self-transitions;
 *
 * then draw `q_ij ~ Gamma(α + N_ij, β + T_i)` (shape, rate) from the jumps
 * N and dwell times T of all paths (Rao & Teh §5.1), and
 * `π₀ ~ Dirichlet(c + initial counts)` unless π₀ is known. Ω depends on Q
 * only, so the path update leaves the posterior invariant (their Thm 1).
 *
 * Randomness: path p at iteration k of chain c draws from the Philox
 * counters `(k, ·, purpose, p)` under the key (seed, c), with the purposes
 * `gibbsUniformization` (virtual jumps), `gibbsFfbs` (states) and
 * `gibbsRates` (rates and π₀, path word 0), so a chain's samples do not
 * depend on how many chains run or in which order.
 *
 * @param observations the paths' observation times and values
 * @param options `seed`, `samples`, `burnIn`, `thin`, `chains`, `firstChain`, `emission`,
 *   `prior`, `allowed`, `initial`, `initialConcentration`, `omegaFactor`,
 *   `startTime`, `endTime`, `start`, `derived`
 * @returns the kept samples per chain, their derived quantities and the posterior mean
 * @throws {SdenoRangeError} for a prior shape or rate ≤ 0, `omegaFactor ≤ 1`
 *   (Ω ≤ max|q_ii|), zero samples, or observations outside the window
 * @throws {SdenoTypeError} for malformed observations or options
 * @throws {NumericalError} when the observations have zero probability
 *   under a sampled generator (e.g. a required rate drawn as 0)
 *
 * @example A two-state chain seen exactly: the posterior mean is near the truth
 * ```ts
 * import { RateMatrix } from "../../processes/rate_matrix.ts";
 * import { exactEmission } from "./observations.ts";
 * import { simulateMjpObservations } from "./simulate_mjp_observations.ts";
 * import { gibbsMjp } from "./gibbs_mjp.ts";
 * import assert from "node:assert/strict";
 * const q = RateMatrix.fromDense([[-1, 1], [2, -2]]);
 * const { observations } = simulateMjpObservations(q, {
 *   paths: 40, observationsPerPath: 20, tEnd: 5, emission: exactEmission(2),
 *   key: { seed: 1, stream: 0 },
 * });
 * const fit = gibbsMjp(observations, { seed: 2, samples: 200, derived: false });
 * assert.ok(Math.abs(fit.posteriorMean[1]! - 1) < 0.3);
 * assert.ok(Math.abs(fit.posteriorMean[2]! - 2) < 0.6);
 * ```
 */
export function gibbsMjp(
  observations: MjpObservations,
  options: GibbsMjpOptions,
): GibbsMjpResult {
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${WHAT}: options must be an object, got ${quote(options)}`);
  }
  const emission = options.emission ?? exactEmission(observations?.n);
  checkMjpObservations(observations, emission);
  const n = observations.n;
  const seed = checkInteger(WHAT, "seed", options.seed, 0, 0xffffffff);
  const samples = checkInteger(WHAT, "samples", options.samples, 1);
  const burnIn = checkInteger(WHAT, "burnIn", options.burnIn ?? samples, 0);
  const thin = checkInteger(WHAT, "thin", options.thin ?? 1, 1);
  const chains = checkInteger(WHAT, "chains", options.chains ?? 1, 1, 0xffffffff);
  const firstChain = checkInteger(
    WHAT,
    "firstChain",
    options.firstChain ?? 0,
    0,
    0xffffffff - chains + 1,
  );
  const total = burnIn + samples * thin;
  if (total > 0xfffffffe) {
    throw new SdenoRangeError(`${WHAT}: burnIn + samples·thin must be below 2³² − 1, got ${total}`);
  }
  const { alpha, beta } = _checkGammaPrior(WHAT, options.prior);
  const omegaFactor = checkFinite(WHAT, "omegaFactor", options.omegaFactor ?? 2);
  if (!(omegaFactor > 1)) {
    throw new SdenoRangeError(
      `${WHAT}: omegaFactor must exceed 1 so that Ω = omegaFactor·max|q_ii| > max|q_ii|, got ${
        quote(omegaFactor)
      }`,
    );
  }
  const allowed = _checkAllowed(WHAT, options.allowed, n);
  const fixedInitial = options.initial === undefined
    ? undefined
    : _distribution("initial", options.initial, n);
  const conc = checkFinite(WHAT, "initialConcentration", options.initialConcentration ?? 1);
  if (!(conc > 0)) {
    throw new SdenoRangeError(`${WHAT}: initialConcentration must be positive, got ${quote(conc)}`);
  }
  const q0 = _startGenerator(options.start, n, allowed, alpha / beta);
  const windows = _windows(observations, options.startTime, options.endTime);
  const obsLik = observations.paths.map((p) => {
    const lik = new Float64Array(p.times.length * n);
    for (let l = 0; l < p.times.length; l++) {
      emissionLikelihoods(emission, p.values[l]!, lik.subarray(l * n, (l + 1) * n));
    }
    return lik;
  });
  const derived = options.derived ?? true;

  const out: GibbsMjpChain[] = [];
  const mean = new Float64Array(n * n);
  let kept = 0;
  for (let c = 0; c < chains; c++) {
    const key = { seed, stream: firstChain + c };
    const virtual = new _DrawStream(key, PHILOX_PURPOSES.gibbsUniformization);
    const ffbs = new _DrawStream(key, PHILOX_PURPOSES.gibbsFfbs);
    const rates = new _DrawStream(key, PHILOX_PURPOSES.gibbsRates);
    const q = Float64Array.from(q0);
    const pi0 = fixedInitial ? Float64Array.from(fixedInitial) : new Float64Array(n).fill(1 / n);
    const ctxs: _PathContext[] = observations.paths.map((p, i) => ({
      n,
      q,
      omega: _omega(q, n, omegaFactor),
      initial: pi0,
      start: windows.start[i]!,
      end: windows.end[i]!,
      obsTimes: p.times,
      obsLik: obsLik[i]!,
    }));
    let paths: _PathState[] = ctxs.map((ctx, i) => {
      ffbs.reset(0xffffffff, i);
      return _initialPath(ctx, ffbs, `${WHAT}: chain ${firstChain + c}, path ${i}, start`);
    });
    const chain: GibbsMjpChain = { generators: [], initialLaws: [] };
    if (derived) chain.derived = [];
    const stats: _PathStats = {
      jumps: new Float64Array(n * n),
      dwell: new Float64Array(n),
      initial: new Float64Array(n),
    };
    for (let k = 0; k < total; k++) {
      const omega = _omega(q, n, omegaFactor);
      stats.jumps.fill(0);
      stats.dwell.fill(0);
      stats.initial.fill(0);
      paths = paths.map((path, i) => {
        const ctx = ctxs[i]!;
        ctx.omega = omega;
        virtual.reset(k, i);
        ffbs.reset(k, i);
        const next = _resamplePath(
          ctx,
          path,
          virtual,
          ffbs,
          `${WHAT}: chain ${firstChain + c}, iteration ${k}, path ${i}`,
        );
        _addPathStats(next, ctx.end, n, stats);
        return next;
      });
      // conjugate updates (Rao & Teh §5.1): rates, then π₀
      rates.reset(k, 0);
      for (let i = 0; i < n; i++) {
        let exit = 0;
        for (let j = 0; j < n; j++) {
          if (i === j || !allowed[i * n + j]) continue;
          const v = rates.gamma(alpha + stats.jumps[i * n + j]!) / (beta + stats.dwell[i]!);
          q[i * n + j] = v;
          exit += v;
        }
        q[i * n + i] = -exit;
      }
      if (!fixedInitial) {
        const a = Float64Array.from(stats.initial, (v) => v + conc);
        rates.dirichlet(a, pi0);
      }
      if (k >= burnIn && (k - burnIn) % thin === thin - 1) {
        const g = RateMatrix.fromDense(q, { n });
        chain.generators.push(g);
        chain.initialLaws.push(Float64Array.from(pi0));
        chain.derived?.push(mjpDerivedQuantities(g));
        for (let e = 0; e < n * n; e++) mean[e]! += q[e]!;
        kept++;
      }
    }
    out.push(chain);
  }
  for (let e = 0; e < n * n; e++) mean[e] = mean[e]! / kept;
  return { n, chains: out, posteriorMean: mean };
}

function _omega(q: Float64Array, n: number, factor: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, -q[i * n + i]!);
  return m > 0 ? factor * m : 1;
}

function _distribution(name: string, p: ArrayLike<number>, n: number): Float64Array {
  if (p === null || typeof p !== "object" || p.length !== n) {
    throw new SdenoTypeError(`${WHAT}: ${name} must have n = ${n} entries, got ${quote(p)}`);
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = checkFinite(WHAT, `${name}[${i}]`, p[i]);
    if (v < 0) throw new SdenoRangeError(`${WHAT}: ${name}[${i}] must be ≥ 0, got ${quote(v)}`);
    total += v;
  }
  if (!(Math.abs(total - 1) <= 1e-9)) {
    throw new SdenoRangeError(`${WHAT}: ${name} must sum to 1, got ${quote(total)}`);
  }
  return Float64Array.from(p);
}

function _startGenerator(
  start: RateMatrix | undefined,
  n: number,
  allowed: Uint8Array,
  priorMean: number,
): Float64Array {
  if (start === undefined) {
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      let exit = 0;
      for (let j = 0; j < n; j++) {
        if (i !== j && allowed[i * n + j]) {
          q[i * n + j] = priorMean;
          exit += priorMean;
        }
      }
      q[i * n + i] = -exit;
    }
    return q;
  }
  if (!(start instanceof RateMatrix) || start.n !== n) {
    throw new SdenoTypeError(
      `${WHAT}: start must be a RateMatrix on ${n} states, got ${quote(start)}`,
    );
  }
  const q = start.toDense();
  for (let k = 0; k < n * n; k++) {
    if (k % (n + 1) !== 0 && q[k] !== 0 && !allowed[k]) {
      throw new SdenoRangeError(
        `${WHAT}: start has rate Q[${Math.floor(k / n)}][${k % n}] = ${q[k]} where allowed fixes 0`,
      );
    }
  }
  return q;
}

function _windows(
  obs: MjpObservations,
  startTime: number | undefined,
  endTime: number | undefined,
): { start: Float64Array; end: Float64Array } {
  const m = obs.paths.length;
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  if (startTime !== undefined) checkFinite(WHAT, "startTime", startTime);
  if (endTime !== undefined) checkFinite(WHAT, "endTime", endTime);
  obs.paths.forEach((p, i) => {
    const first = p.times[0]!, last = p.times[p.times.length - 1]!;
    const a = startTime ?? first;
    const b = endTime ?? last;
    if (a > first) {
      throw new SdenoRangeError(
        `${WHAT}: startTime ${a} is after the first observation ${first} of paths[${i}]`,
      );
    }
    if (b < last) {
      throw new SdenoRangeError(
        `${WHAT}: endTime ${b} is before the last observation ${last} of paths[${i}]`,
      );
    }
    start[i] = a;
    end[i] = b;
  });
  return { start, end };
}
