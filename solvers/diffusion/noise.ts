/**
 * The noise of the stochastic diffusion samplers (the {@linkcode NoiseSource}
 * protocol of `types.ts`), on one noise layer with the SDE solvers:
 *
 * - i.i.d. draws keyed by the call index: {@linkcode philoxNoise} (the
 *   library default, fused into `lincomb`) and {@linkcode splitMix64Noise}
 *   (the portable SplitMix64 normals of the diffusion reference set,
 *   `refs/diffusion/README.md` §3.3: stream = call index, k-diffusion's
 *   default `noise_sampler`);
 * - Brownian-path noise, for samplers whose noise queries overlap
 *   (`sample_dpmpp_sde`): {@linkcode brownianNoise} reads any sdeno
 *   `BrownianPath` of the SDE solvers as normalised increments
 *   `(W(to) − W(from))/sqrt(|to − from|)` — the `virtualBrownianTree` in its
 *   own time (any interval, like k-diffusion's `BrownianTreeNoiseSampler`),
 *   or a unit-grid path (`brownianGrid`, the default of dpmpp_sde) time
 *   changed onto the sampler's fixed σ grid ({@linkcode brownianSigmaGrid}).
 *   {@linkcode splitMix64BrownianPath} is one more unit-grid `BrownianPath`:
 *   the reference set's SplitMix64 increments, which, read on the same σ
 *   grid, replay the reference runs.
 *
 * Every source is a pure function of its seed, the call (index or interval)
 * and the flat element index (`call.offset` + position), so results do not
 * depend on batch size, chunking, shard or backend (beyond f32 rounding).
 *
 * @module
 */

import type { DeviceArray, Key } from "../../kernels/mod.ts";
import {
  checkInteger,
  CpuArray,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";
import type { BrownianIncrement, BrownianPath } from "../sde/brownian_path.ts";
import type { NoiseSource } from "./types.ts";
import { splitMix64, TWO_32 } from "./_split_mix64.ts";

/**
 * The default noise of every sampler: draw `c` (call index) fills element `e`
 * with the Philox normal of key `key` at counter `(offset + e, step c,
 * purpose)`. Samplers add it through `backend.lincomb`'s fused noise term
 * (its `philox` field says so), so no extra buffer or pass is needed.
 *
 * @param key the Philox key (default `{ seed: 0, stream: 0 }`)
 * @param options `purpose`, the Philox counter word 2 (default
 *   PHILOX_PURPOSES.diffusionNoise)
 * @returns the noise source
 * @throws {SdenoRangeError} when the seed, stream or purpose is not a u32
 *
 * @example Draws are keyed, so a repeated call repeats the numbers
 * ```ts
 * import { philoxNoise } from "./noise.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const noise = philoxNoise({ seed: 7, stream: 0 });
 * const a = b.zeros(4), c = b.zeros(4);
 * await noise.sample(a, { index: 3, from: 1, to: 0.5, offset: 0 });
 * await noise.sample(c, { index: 3, from: 2, to: 1, offset: 0 });
 * assert.deepEqual(await b.download(a), await b.download(c));
 * ```
 */
export function philoxNoise(
  key: Key = { seed: 0, stream: 0 },
  options: { purpose?: number } = {},
): NoiseSource {
  const what = "Cannot make the Philox noise source";
  if (typeof key !== "object" || key === null) {
    throw new SdenoTypeError(`${what}: key must be { seed, stream }, got ${quote(key)}`);
  }
  checkInteger(what, "key.seed", key.seed, 0, 0xffffffff);
  checkInteger(what, "key.stream", key.stream, 0, 0xffffffff);
  const purpose = checkInteger(
    what,
    "purpose",
    options.purpose ?? PHILOX_PURPOSES.diffusionNoise,
    0,
    0xffffffff,
  );
  const k = Object.freeze({ seed: key.seed, stream: key.stream });
  return Object.freeze({
    philox: Object.freeze({ key: k, purpose }),
    async sample(out: DeviceArray, call: { index: number; offset: number }): Promise<void> {
      checkInteger("Cannot draw Philox noise", "call index", call.index, 0, 0xffffffff);
      await out.backend.fillNormal(out, k, { step: call.index, purpose, offset: call.offset });
    },
  });
}

const TWO_M53 = 2 ** -53;

/** u(k) = ((splitmix64(k) >> 11) + 0.5)·2⁻⁵³ for k = base + j. */
function uniformAt(baseHi: number, j: number): number {
  const lo = j % TWO_32;
  const hi = (baseHi + Math.floor(j / TWO_32)) >>> 0;
  const [h, l] = splitMix64(hi, lo);
  return (h * 2097152 + (l >>> 11) + 0.5) * TWO_M53;
}

/** Options of {@linkcode splitMix64Normals}. */
export interface SplitMix64NormalsOptions {
  /** The seed (default 4242, the reference set's). */
  seed?: number;
  /** The stream (default 0). */
  stream?: number;
  /** Flat element index of `out[0]` (default 0). */
  offset?: number;
}

/**
 * Fills `out` with the portable SplitMix64 normals of the diffusion reference
 * set (§3.3): with `key(j) = seed·2⁴⁸ + stream·2³² + j` (mod 2⁶⁴) and
 * `u(k) = ((splitmix64(k) >> 11) + 0.5)·2⁻⁵³`, element `e` is
 * `sqrt(−2 ln u(key(2e)))·cos(2π u(key(2e + 1)))` (one Box–Muller output).
 * Slow next to Philox (about 10⁷ normals/s); meant for replaying runs made
 * with the reference's Python generator, not for production sampling.
 *
 * @param out the destination
 * @param options `seed` (default 4242), `stream` (default 0), `offset` (default 0)
 * @throws {SdenoRangeError} when a seed, stream or offset is negative or not an integer
 *
 * @example The first normal of seed 4242, stream 0
 * ```ts
 * import { splitMix64Normals } from "./noise.ts";
 * import assert from "node:assert/strict";
 * const z = new Float64Array(3);
 * splitMix64Normals(z, { seed: 4242, stream: 0 });
 * const tail = new Float64Array(2);
 * splitMix64Normals(tail, { seed: 4242, stream: 0, offset: 1 });
 * assert.deepEqual([...tail], [z[1], z[2]]);
 * assert.ok(z.every((v) => Number.isFinite(v) && Math.abs(v) < 6));
 * ```
 */
export function splitMix64Normals(
  out: Float64Array,
  options: SplitMix64NormalsOptions = {},
): void {
  const what = "Cannot draw SplitMix64 normals";
  const seed = checkInteger(what, "seed", options.seed ?? 4242);
  const stream = checkInteger(what, "stream", options.stream ?? 0);
  const offset = checkInteger(what, "offset", options.offset ?? 0);
  // seed·2⁴⁸ + stream·2³² mod 2⁶⁴: only the high word, mod 2³²
  const baseHi = ((seed % 65536) * 65536 + (stream % TWO_32)) % TWO_32;
  for (let i = 0; i < out.length; i++) {
    const e = offset + i;
    const u1 = uniformAt(baseHi, 2 * e), u2 = uniformAt(baseHi, 2 * e + 1);
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

async function writeHost(out: DeviceArray, z: Float64Array): Promise<void> {
  if (out instanceof CpuArray) out.data.set(z);
  else await out.backend.write(out, z);
}

/**
 * The reference set's `IIDNoise`: call `c` of the sampler returns the
 * SplitMix64 normals of stream `c` ({@linkcode splitMix64Normals}) for the
 * flat elements of `out`. With k-diffusion's ancestral and 2M/3M SDE
 * samplers this replays the reference runs exactly.
 *
 * @param options `seed` (default 4242)
 * @returns the noise source
 *
 * @example Call c is stream c
 * ```ts
 * import { splitMix64Noise, splitMix64Normals } from "./noise.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const out = b.zeros(4);
 * await splitMix64Noise().sample(out, { index: 2, from: 1, to: 0.5, offset: 0 });
 * const z = new Float64Array(4);
 * splitMix64Normals(z, { seed: 4242, stream: 2 });
 * assert.deepEqual(await b.download(out), z);
 * ```
 */
export function splitMix64Noise(options: { seed?: number } = {}): NoiseSource {
  const seed = checkInteger(
    "Cannot make the SplitMix64 noise source",
    "seed",
    options.seed ?? 4242,
  );
  return Object.freeze({
    async sample(out: DeviceArray, call: { index: number; offset: number }) {
      const z = new Float64Array(out.length);
      const stream = checkInteger("Cannot draw SplitMix64 noise", "index", call.index);
      splitMix64Normals(z, { seed, stream, offset: call.offset });
      await writeHost(out, z);
    },
  });
}

/** Options of {@linkcode brownianNoise}. */
export interface BrownianNoiseOptions {
  /**
   * A fixed increasing grid `p₀ < … < p_M` of the sampler's noise variable:
   * the path is then read on its unit grid (times `t₀ + k·dt`, k = 0…M), time
   * changed so that `W(p_j) = Σ_{k<j} sqrt(p_{k+1} − p_k)·ΔW_k/sqrt(dt)` — a
   * Brownian motion on the grid whose increment k is the path's increment k
   * — and queries must be grid points (within `snapTolerance`). Without a
   * grid, the path's own time is the noise variable and any query works.
   */
  grid?: ArrayLike<number>;
  /** Relative distance within which a query snaps to a grid point (default 1e-9). */
  snapTolerance?: number;
}

/**
 * The noise source of a Brownian path: a draw over `(from, to)` is
 * `(W(to) − W(from))/sqrt(|to − from|)` for every flat element of `out`
 * (element `e` is path `(offset + e)/m` component `(offset + e) mod m` of a
 * path with `m = path.noiseDim` components), so overlapping queries — the two
 * per step of `sample_dpmpp_sde` — come from one path, and reversed
 * intervals flip the sign (as k-diffusion's Brownian-tree noise sampler).
 * Any sdeno `BrownianPath` serves: the SDE solvers' `virtualBrownianTree`
 * (any interval, in its own time) or `brownianGrid`, and
 * {@linkcode splitMix64BrownianPath}, read on a fixed `grid` (see
 * {@linkcode BrownianNoiseOptions}). The increments are computed on the host
 * and written to `out`'s backend.
 *
 * @param path an sdeno Brownian path
 * @param options a fixed grid to read a unit-grid path on, and its snap tolerance
 * @returns the noise source
 * @throws {SdenoTypeError} for something that is not a Brownian path, or a draw whose
 *   length or offset is not a whole number of paths
 * @throws {SdenoRangeError} for a grid that is not increasing, or (at a draw) an empty
 *   interval or a time off the grid
 *
 * @example Increments over adjacent intervals add up like a path
 * ```ts
 * import { brownianNoise } from "./noise.ts";
 * import { virtualBrownianTree } from "../sde/virtual_brownian_tree.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const w = brownianNoise(virtualBrownianTree({ seed: 1, stream: 0 }, { noiseDim: 1, t1: 4 }));
 * const [ab, bc, ac] = [b.zeros(2), b.zeros(2), b.zeros(2)];
 * await w.sample(ab, { index: 0, from: 0, to: 1, offset: 0 });
 * await w.sample(bc, { index: 1, from: 1, to: 3, offset: 0 });
 * await w.sample(ac, { index: 2, from: 0, to: 3, offset: 0 });
 * const [x, y, z] = [await b.download(ab), await b.download(bc), await b.download(ac)];
 * for (let e = 0; e < 2; e++) {
 *   assert.ok(Math.abs(z[e]! * Math.sqrt(3) - (x[e]! + y[e]! * Math.sqrt(2))) < 1e-12);
 * }
 * ```
 */
export function brownianNoise(path: BrownianPath, options: BrownianNoiseOptions = {}): NoiseSource {
  const what = "Cannot draw Brownian noise";
  if (
    path === null || typeof path !== "object" || typeof path.increment !== "function" ||
    !Number.isInteger(path.noiseDim) || path.noiseDim < 1
  ) {
    throw new SdenoTypeError(
      `Cannot make the Brownian noise source: path must be a BrownianPath, got ${quote(path)}`,
    );
  }
  const m = path.noiseDim;
  const grid = options.grid === undefined ? undefined : checkIncreasing(options.grid);
  if (grid && !(path.dt !== undefined && path.dt > 0)) {
    throw new SdenoTypeError(
      `Cannot make the Brownian noise source: reading a path on a grid needs a unit-grid path ` +
        `(brownianGrid, splitMix64BrownianPath), got a ${path.kind}`,
    );
  }
  const tol = options.snapTolerance ?? 1e-9;
  const span = grid ? grid[grid.length - 1]! - grid[0]! : 0;
  const nearest = (v: number, name: string): number => {
    const p = grid!;
    let best = 0;
    for (let j = 1; j < p.length; j++) if (Math.abs(p[j]! - v) < Math.abs(p[best]! - v)) best = j;
    if (!(Math.abs(p[best]! - v) <= tol * Math.max(Math.abs(v), span))) {
      throw new SdenoRangeError(
        `${what}: ${name} ${quote(v)} is not a grid point (nearest ${quote(p[best])})`,
      );
    }
    return best;
  };
  return Object.freeze({
    async sample(out: DeviceArray, call: { from: number; to: number; offset: number }) {
      const n = out.length;
      if (n % m !== 0 || call.offset % m !== 0) {
        throw new SdenoTypeError(
          `${what}: ${n} elements at offset ${call.offset} are not whole paths of ${m} components`,
        );
      }
      const lo = Math.min(call.from, call.to), hi = Math.max(call.from, call.to);
      if (!(hi > lo)) {
        throw new SdenoRangeError(`${what}: the interval ${quote([call.from, call.to])} is empty`);
      }
      const paths = n / m, first = call.offset / m;
      const dW = new Float64Array(n);
      if (!grid) path.increment(lo, hi, { dW }, paths, first);
      else {
        // W(p_b) − W(p_a) = Σ_{a ≤ k < b} sqrt(Δp_k)·ΔW_k/sqrt(dt), ΔW_k the path's unit increment k
        const a = nearest(lo, "from"), b = nearest(hi, "to");
        const inc = { dW: new Float64Array(n) }, dt = path.dt!, t0 = path.t0;
        for (let k = a; k < b; k++) {
          path.increment(t0 + k * dt, t0 + (k + 1) * dt, inc, paths, first);
          const c = Math.sqrt((grid[k + 1]! - grid[k]!) / dt);
          for (let e = 0; e < n; e++) dW[e] = dW[e]! + c * inc.dW[e]!;
        }
      }
      const c = (call.to > call.from ? 1 : -1) / Math.sqrt(hi - lo);
      for (let e = 0; e < n; e++) dW[e] = dW[e]! * c;
      await writeHost(out, dW);
    },
  });
}

function checkIncreasing(grid: ArrayLike<number>): number[] {
  const what = "Cannot make the Brownian noise source";
  const p = Array.from(grid ?? []);
  if (p.length < 2) {
    throw new SdenoTypeError(`${what}: grid needs at least 2 points, got ${quote(p)}`);
  }
  for (let j = 0; j < p.length; j++) {
    if (!Number.isFinite(p[j]!) || (j > 0 && !(p[j]! > p[j - 1]!))) {
      throw new SdenoRangeError(
        `${what}: grid must be finite and increasing, got ${quote(p[j])} at index ${j}`,
      );
    }
  }
  return p;
}

/**
 * The Brownian-path grid of the reference set for a k-diffusion σ grid
 * (§3.3): the sorted unique set of `σᵢ, σᵢ₊₁` for every step with
 * `σᵢ₊₁ > 0`, and the log-midpoints `exp(−(tᵢ + ½(tᵢ₊₁ − tᵢ)))`,
 * `t = −ln σ` (where `sample_dpmpp_sde` evaluates its first stage; with
 * `r ≠ ½` the point is `exp(−(tᵢ + r(tᵢ₊₁ − tᵢ)))`).
 *
 * @param sigmas the decreasing σ grid (a final 0 allowed)
 * @param options `r`, the stage fraction of `sample_dpmpp_sde` (default ½)
 * @returns the increasing grid `p₀ < … < p_M`
 * @throws {SdenoRangeError} when the grid is not decreasing and non-negative, or r ∉ (0, 1)
 *
 * @example
 * ```ts
 * import { brownianSigmaGrid } from "./noise.ts";
 * import assert from "node:assert/strict";
 * const g = brownianSigmaGrid([4, 1, 0]);
 * assert.deepEqual(g, [1, Math.exp(-(-Math.log(4) + 0.5 * Math.log(4))), 4]);
 * ```
 */
export function brownianSigmaGrid(
  sigmas: ArrayLike<number>,
  options: { r?: number } = {},
): number[] {
  const what = "Cannot build the Brownian grid";
  const r = options.r ?? 0.5;
  if (!(r > 0 && r < 1)) {
    throw new SdenoRangeError(`${what}: r must be in (0, 1), got ${quote(r)}`);
  }
  const set = new Set<number>();
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const s = sigmas[i]!, sNext = sigmas[i + 1]!;
    if (!(s > sNext && sNext >= 0 && Number.isFinite(s))) {
      throw new SdenoRangeError(
        `${what}: sigmas must be finite, decreasing and non-negative, got ${
          quote([s, sNext])
        } at index ${i}`,
      );
    }
    if (sNext > 0) {
      const t = -Math.log(s), tNext = -Math.log(sNext);
      set.add(s).add(sNext).add(Math.exp(-(t + r * (tNext - t))));
    }
  }
  return [...set].sort((a, b) => a - b);
}

/**
 * The reference set's Brownian increments (`BrownianPathNoise`, §3.3) as an
 * sdeno `BrownianPath` on the unit grid (times 0, 1, 2, …; one component per
 * path): increment k, `W(k + 1) − W(k)`, is the SplitMix64 normals of stream
 * k ({@linkcode splitMix64Normals}, element = path index). Read through
 * {@linkcode brownianNoise} on the reference's σ grid
 * ({@linkcode brownianSigmaGrid}) it is the reference's path,
 * `W(p_{k+1}) = W(p_k) + sqrt(p_{k+1} − p_k)·z_k`, and replays its
 * `sample_dpmpp_sde` runs. It carries W only (no time integral ΔZ).
 *
 * @param options `seed` (default 4242, the reference set's)
 * @returns the path
 * @throws {SdenoRangeError} for a bad seed, or (at a query) times off the unit grid
 *
 * @example Increment k is stream k
 * ```ts
 * import { splitMix64BrownianPath, splitMix64Normals } from "./noise.ts";
 * import assert from "node:assert/strict";
 * const w = splitMix64BrownianPath();
 * const out = { dW: new Float64Array(3) };
 * w.increment(1, 3, out, 3); // z₁ + z₂
 * const z1 = new Float64Array(3), z2 = new Float64Array(3);
 * splitMix64Normals(z1, { seed: 4242, stream: 1 });
 * splitMix64Normals(z2, { seed: 4242, stream: 2 });
 * out.dW.forEach((v, e) => assert.ok(Math.abs(v - z1[e]! - z2[e]!) < 1e-15));
 * ```
 */
export function splitMix64BrownianPath(options: { seed?: number } = {}): BrownianPath {
  const what = "Cannot make the SplitMix64 Brownian path";
  const seed = checkInteger(what, "seed", options.seed ?? 4242);
  return Object.freeze({
    kind: "grid" as const,
    noiseDim: 1,
    t0: 0,
    t1: Infinity,
    dt: 1,
    increment(s: number, t: number, out: BrownianIncrement, n: number, offset = 0): void {
      if (out.dZ) {
        throw new SdenoTypeError(`${what}: this path carries W only, not the time integral ΔZ`);
      }
      if (!Number.isInteger(s) || !Number.isInteger(t) || !(0 <= s && s <= t)) {
        throw new SdenoRangeError(
          `Cannot query the SplitMix64 Brownian path: s and t must be grid integers 0 ≤ s ≤ t, ` +
            `got ${quote([s, t])}`,
        );
      }
      const z = new Float64Array(n);
      out.dW.fill(0, 0, n);
      for (let k = s; k < t; k++) {
        splitMix64Normals(z, { seed, stream: k, offset });
        for (let e = 0; e < n; e++) out.dW[e] = out.dW[e]! + z[e]!;
      }
    },
  });
}
