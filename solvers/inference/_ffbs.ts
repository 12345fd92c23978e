// One path update of Rao & Teh's uniformization Gibbs sampler (private):
// given the current path and the generator, add virtual jumps, resample the
// states on the resulting grid by forward filtering, backward sampling, and
// drop the self-transitions (V. Rao & Y. W. Teh, "Fast MCMC sampling for
// Markov jump processes and extensions", JMLR 14 (2013) 3295–3320, §3,
// Algorithm 1, and §4 for the observations).
import { NumericalError } from "../../kernels/errors.ts";
import type { _DrawStream } from "./_gamma_sampler.ts";

/** A path on [start, end]: `states[k]` holds from `times[k]` to the next time; `times[0] = start`. */
export interface _PathState {
  times: number[];
  states: number[];
}

/** The fixed data of one path and the current parameters. */
export interface _PathContext {
  n: number;
  /** The generator, dense row-major n×n. */
  q: Float64Array;
  /** The uniformization rate Ω > max_i |q_ii|. */
  omega: number;
  /** Law of the state at `start`. */
  initial: Float64Array;
  start: number;
  end: number;
  /** Observation times in [start, end], increasing. */
  obsTimes: Float64Array;
  /** Emission likelihoods `p(y_l | x = s)`, row-major L×n. */
  obsLik: Float64Array;
}

/** Sufficient statistics of a set of paths, accumulated in place. */
export interface _PathStats {
  /** Jumps i → j, row-major n×n. */
  jumps: Float64Array;
  /** Dwell time per state. */
  dwell: Float64Array;
  /** Initial state counts. */
  initial: Float64Array;
}

/** Adds a path's jumps, dwell times and initial state to `stats`. */
export function _addPathStats(path: _PathState, end: number, n: number, stats: _PathStats): void {
  const { times, states } = path;
  stats.initial[states[0]!]!++;
  for (let k = 0; k < states.length; k++) {
    const s = states[k]!;
    stats.dwell[s]! += (k + 1 < times.length ? times[k + 1]! : end) - times[k]!;
    if (k + 1 < states.length) stats.jumps[s * n + states[k + 1]!]!++;
  }
}

/**
 * Forward filter on the grid `grid[0 .. m)` (interval k = [grid[k], grid[k+1]),
 * the last one closed at `end`) with `B = I + Q/Ω` and the emissions of the
 * observations inside each interval, then backward sampling; returns the
 * new path without self-transitions. Throws NumericalError when the
 * observations have zero probability on this grid.
 */
export function _ffbsOnGrid(
  ctx: _PathContext,
  grid: Float64Array,
  m: number,
  ffbs: _DrawStream,
  where: string,
): _PathState {
  const { n, q, omega, initial, obsTimes, obsLik } = ctx;
  const alpha = new Float64Array(m * n);
  const L = obsTimes.length;
  let l = 0;
  for (let k = 0; k < m; k++) {
    const row = k * n;
    if (k === 0) {
      for (let s = 0; s < n; s++) alpha[s] = initial[s]!;
    } else {
      const prev = row - n;
      for (let s = 0; s < n; s++) {
        // Σ_r α(r) B(r, s), B = I + Q/Ω
        let acc = alpha[prev + s]!;
        for (let r = 0; r < n; r++) acc += alpha[prev + r]! * q[r * n + s]! / omega;
        alpha[row + s] = acc > 0 ? acc : 0; // B ≥ 0 exactly; clip rounding below 0
      }
    }
    const upper = k + 1 < m ? grid[k + 1]! : Infinity;
    while (l < L && obsTimes[l]! < upper) {
      for (let s = 0; s < n; s++) alpha[row + s] = alpha[row + s]! * obsLik[l * n + s]!;
      l++;
    }
    let total = 0;
    for (let s = 0; s < n; s++) total += alpha[row + s]!;
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new NumericalError(
        `${where}: the observations have zero probability under the current generator (forward filter at grid time ${
          grid[k]
        })`,
      );
    }
    for (let s = 0; s < n; s++) alpha[row + s] = alpha[row + s]! / total;
  }
  // backward sampling
  const v = new Int32Array(m);
  v[m - 1] = ffbs.categorical(alpha, n, 1, (m - 1) * n);
  const w = new Float64Array(n);
  for (let k = m - 2; k >= 0; k--) {
    const next = v[k + 1]!;
    let total = 0;
    for (let r = 0; r < n; r++) {
      const b = (r === next ? 1 : 0) + q[r * n + next]! / omega;
      const x = alpha[k * n + r]! * (b > 0 ? b : 0);
      w[r] = x;
      total += x;
    }
    v[k] = ffbs.categorical(w, n, total);
  }
  const times = [grid[0]!];
  const states = [v[0]!];
  for (let k = 1; k < m; k++) {
    if (v[k] !== v[k - 1]) {
      times.push(grid[k]!);
      states.push(v[k]!);
    }
  }
  return { times, states };
}

/**
 * Rao–Teh update of one path: virtual jumps on each segment in state s from
 * a Poisson process of rate `Ω − |q_ss|`, the union with the current jump
 * times as the grid, FFBS on it (uniformization: given the grid, the
 * states form a discrete chain with transition matrix B = I + Q/Ω).
 */
export function _resamplePath(
  ctx: _PathContext,
  path: _PathState,
  virtual: _DrawStream,
  ffbs: _DrawStream,
  where: string,
): _PathState {
  const { n, q, omega, end } = ctx;
  const grid: number[] = [];
  const seg: number[] = [];
  for (let k = 0; k < path.states.length; k++) {
    const a = path.times[k]!;
    const b = k + 1 < path.times.length ? path.times[k + 1]! : end;
    const s = path.states[k]!;
    grid.push(a);
    const rate = omega + q[s * n + s]!;
    const count = virtual.poisson(rate * (b - a));
    if (count === 0) continue;
    seg.length = 0;
    for (let c = 0; c < count; c++) seg.push(a + (b - a) * virtual.uniform());
    seg.sort((x, y) => x - y);
    for (const t of seg) if (t > a && t < b) grid.push(t);
  }
  const g = Float64Array.from(grid);
  return _ffbsOnGrid(ctx, g, g.length, ffbs, where);
}

/**
 * A first path for the sampler: FFBS on a fixed grid with n + 1 points in
 * each gap between observations (so any state reachable along the allowed
 * jumps can be reached between two observations), under the starting
 * generator with `Ω` as given.
 */
export function _initialPath(ctx: _PathContext, ffbs: _DrawStream, where: string): _PathState {
  const { n, start, end, obsTimes } = ctx;
  const knots = [start, ...obsTimes, end];
  const grid: number[] = [];
  for (let k = 0; k + 1 < knots.length; k++) {
    const a = knots[k]!, b = knots[k + 1]!;
    if (!(b > a)) continue;
    for (let j = 0; j <= n; j++) grid.push(a + (b - a) * j / (n + 1));
  }
  if (grid.length === 0) grid.push(start);
  const g = Float64Array.from(grid);
  return _ffbsOnGrid(ctx, g, g.length, ffbs, where);
}
