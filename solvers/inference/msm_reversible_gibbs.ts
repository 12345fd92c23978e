/**
 * Bayesian continuous-time Markov state models under detailed balance: a
 * Gibbs sampler with conjugate Gamma conditionals, for fully observed
 * trajectories.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { CtmcPath } from "../../processes/ctmc_path.ts";
import { RateMatrix } from "../../processes/rate_matrix.ts";
import { _DrawStream } from "./_gamma_sampler.ts";
import { _checkCounts, _checkGammaPrior } from "./_msm_checks.ts";
import { type MsmCounts, msmCounts } from "./msm_counts.ts";
import type { GammaRatePrior } from "./msm_posterior.ts";

/** Options of {@linkcode sampleReversibleMsm}. */
export interface ReversibleMsmOptions {
  /** Philox seed; chain c draws under the key (seed, c) with purpose msmBayes. */
  seed: number;
  /** Kept samples per chain, ≥ 1. */
  samples: number;
  /** Iterations dropped first (default `samples`). */
  burnIn?: number;
  /** Keep every thin-th iteration after burn-in (default 1). */
  thin?: number;
  /** Number of chains (default 1). */
  chains?: number;
  /** Number of states (needed when `data` are paths). */
  n?: number;
  /** Gamma(shape, rate) prior of each symmetric edge weight `s_ij = s_ji` (default Gamma(1, 1)). */
  edgePrior?: GammaRatePrior;
  /** Gamma(shape, rate) prior of each `φ_i = π_0/π_i`, i ≥ 1 (default Gamma(1, 1)). */
  stationaryPrior?: GammaRatePrior;
  /**
   * The edges that may carry rates, row-major n×n, symmetric (default all
   * pairs); jumps along another pair are an error.
   */
  allowed?: ArrayLike<boolean | number>;
}

/** Result of {@linkcode sampleReversibleMsm}. */
export interface ReversibleMsmSamples {
  /** Number of states. */
  n: number;
  /** Kept generators per chain. */
  chains: RateMatrix[][];
  /** Stationary law of each kept generator, per chain (`π_i ∝ 1/φ_i`, φ_0 = 1). */
  stationary: Float64Array[][];
  /** Posterior mean of the generator over all kept samples, row-major n×n. */
  posteriorMean: Float64Array;
}

/**
 * Posterior samples of a reversible generator given fully observed paths.
 * A reversible generator is written `q_ij = s_ij φ_i` with symmetric edge
 * weights `s_ij = s_ji ≥ 0` and `φ_i = π_0/π_i` (φ_0 = 1 fixes the scale, so
 * the parameterisation is one-to-one; detailed balance `π_i q_ij = π_j q_ji`
 * holds by construction, as in the reversible estimators of Bacallado,
 * Chodera & Pande, J. Chem. Phys. 131, 045106, 2009, and Noé, J. Chem. Phys.
 * 128, 244103, 2008, for discrete time). With the jump counts N, dwell
 * times T, `C_ij = N_ij + N_ji` and `N_i = Σ_j N_ij`, the likelihood is
 * `Π_{i<j} s_ij^{C_ij} · Π_i φ_i^{N_i} · exp(−Σ_i T_i φ_i Σ_j s_ij)`, so under
 * independent priors `s_ij ~ Gamma(α, β)`, `φ_i ~ Gamma(a, b)` both full
 * conditionals are Gamma:
 *
 * - `s_ij | φ ~ Gamma(α + C_ij, β + T_i φ_i + T_j φ_j)`;
 * - `φ_i | s ~ Gamma(a + N_i, b + T_i Σ_j s_ij)` (i ≥ 1),
 *
 * and the sampler alternates them (a two-block Gibbs sampler, so every
 * iteration leaves the posterior invariant). Note the prior is not
 * symmetric in the states: q_0j = s_0j has the edge prior itself.
 *
 * Randomness: iteration k of chain c uses the counters `(k, ·, msmBayes, 1)`
 * under the key (seed, c).
 *
 * @param data paths (with `options.n`) or their {@linkcode msmCounts}
 * @param options `seed`, `samples`, `burnIn`, `thin`, `chains`, `n`,
 *   `edgePrior`, `stationaryPrior`, `allowed`
 * @returns the kept generators and stationary laws per chain, and the posterior mean
 * @throws {SdenoRangeError} for a prior shape or rate ≤ 0, zero samples, an
 *   asymmetric `allowed`, or a jump along a pair it forbids
 *
 * @example Posterior draws satisfy detailed balance
 * ```ts
 * import { sampleReversibleMsm } from "./msm_reversible_gibbs.ts";
 * import assert from "node:assert/strict";
 * const path = {
 *   times: new Float64Array([0, 1, 1.5, 3, 3.2]),
 *   states: new Int32Array([0, 1, 2, 0, 2]),
 *   tEnd: 4,
 * };
 * const post = sampleReversibleMsm([path], { n: 3, seed: 1, samples: 10 });
 * const q = post.chains[0]![9]!, pi = post.stationary[0]![9]!;
 * assert.ok(Math.abs(pi[0]! * q.get(0, 2) - pi[2]! * q.get(2, 0)) < 1e-14);
 * ```
 */
export function sampleReversibleMsm(
  data: readonly CtmcPath[] | MsmCounts,
  options: ReversibleMsmOptions,
): ReversibleMsmSamples {
  const what = "Cannot sample the reversible Markov state model";
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const counts = Array.isArray(data)
    ? msmCounts(data as readonly CtmcPath[], checkInteger(what, "options.n", options.n, 1))
    : _checkCounts(what, data as MsmCounts);
  const seed = checkInteger(what, "seed", options.seed, 0, 0xffffffff);
  const samples = checkInteger(what, "samples", options.samples, 1);
  const burnIn = checkInteger(what, "burnIn", options.burnIn ?? samples, 0);
  const thin = checkInteger(what, "thin", options.thin ?? 1, 1);
  const chains = checkInteger(what, "chains", options.chains ?? 1, 1, 0xffffffff);
  const total = burnIn + samples * thin;
  if (total > 0xffffffff) {
    throw new SdenoRangeError(`${what}: burnIn + samples·thin must be below 2³², got ${total}`);
  }
  const edge = _checkGammaPrior(what, options.edgePrior);
  const phi = _checkGammaPrior(what, options.stationaryPrior);
  const { n, jumps, dwell } = counts;
  const edges: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = _isAllowed(options.allowed, n, i, j, what);
      if (a !== _isAllowed(options.allowed, n, j, i, what)) {
        throw new SdenoRangeError(
          `${what}: allowed must be symmetric, but allows ${
            a ? `${i} → ${j}` : `${j} → ${i}`
          } only`,
        );
      }
      if (a) edges.push([i, j]);
      else if (jumps[i * n + j]! > 0 || jumps[j * n + i]! > 0) {
        throw new SdenoRangeError(
          `${what}: jumps between ${i} and ${j} were observed but allowed forbids them`,
        );
      }
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j !== i) out[i]! += jumps[i * n + j]!;

  const result: ReversibleMsmSamples = {
    n,
    chains: [],
    stationary: [],
    posteriorMean: new Float64Array(n * n),
  };
  let kept = 0;
  for (let c = 0; c < chains; c++) {
    const stream = new _DrawStream({ seed, stream: c }, PHILOX_PURPOSES.msmBayes);
    const s = new Float64Array(edges.length).fill(edge.alpha / edge.beta);
    const f = new Float64Array(n).fill(1);
    const sums = new Float64Array(n);
    const gens: RateMatrix[] = [];
    const pis: Float64Array[] = [];
    for (let k = 0; k < total; k++) {
      stream.reset(k, 1);
      edges.forEach(([i, j], e) => {
        const shape = edge.alpha + jumps[i * n + j]! + jumps[j * n + i]!;
        s[e] = stream.gamma(shape) / (edge.beta + dwell[i]! * f[i]! + dwell[j]! * f[j]!);
      });
      sums.fill(0);
      edges.forEach(([i, j], e) => {
        sums[i]! += s[e]!;
        sums[j]! += s[e]!;
      });
      for (let i = 1; i < n; i++) {
        f[i] = stream.gamma(phi.alpha + out[i]!) / (phi.beta + dwell[i]! * sums[i]!);
      }
      if (k >= burnIn && (k - burnIn) % thin === thin - 1) {
        const q = new Float64Array(n * n);
        edges.forEach(([i, j], e) => {
          q[i * n + j] = s[e]! * f[i]!;
          q[j * n + i] = s[e]! * f[j]!;
          q[i * n + i]! -= q[i * n + j]!;
          q[j * n + j]! -= q[j * n + i]!;
        });
        gens.push(RateMatrix.fromDense(q, { n }));
        let z = 0;
        for (let i = 0; i < n; i++) z += 1 / f[i]!;
        pis.push(Float64Array.from(f, (v) => 1 / v / z));
        for (let e = 0; e < n * n; e++) result.posteriorMean[e]! += q[e]!;
        kept++;
      }
    }
    result.chains.push(gens);
    result.stationary.push(pis);
  }
  for (let e = 0; e < n * n; e++) result.posteriorMean[e] = result.posteriorMean[e]! / kept;
  return result;
}

function _isAllowed(
  allowed: ArrayLike<boolean | number> | undefined,
  n: number,
  i: number,
  j: number,
  what: string,
): boolean {
  if (allowed === undefined) return true;
  if (allowed === null || typeof allowed !== "object" || allowed.length !== n * n) {
    throw new SdenoTypeError(
      `${what}: allowed must have n² = ${n * n} entries, got ${quote(allowed?.length)}`,
    );
  }
  return Boolean(allowed[i * n + j]);
}
