/**
 * Noise sources for stochastic diffusion samplers (the {@linkcode NoiseSource}
 * protocol of `types.ts`): the library default, keyed Philox normals, and the
 * portable SplitMix64 generator of the diffusion reference set
 * (`refs/diffusion/README.md`, §3.3), with its two call protocols — i.i.d.
 * draws (stream = call index, k-diffusion's default `noise_sampler`) and a
 * Brownian path on a fixed grid (what `sample_dpmpp_sde` needs: its two
 * queries per step overlap, so they must come from one path, as k-diffusion's
 * `BrownianTreeNoiseSampler` guarantees).
 *
 * Every source is a pure function of its seed and of the call (index or
 * interval) and of the flat element index: results do not depend on batch
 * size, chunking or backend (beyond f32 rounding on webgpu).
 *
 * @module
 */

import type { Backend, DeviceArray, Key } from "../../kernels/mod.ts";
import {
  checkInteger,
  CpuArray,
  quote,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/mod.ts";
import type { NoiseSource, SamplerOptions } from "./types.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** A {@linkcode NoiseSource} whose draws are keyed Philox normals. */
export interface PhiloxNoise extends NoiseSource {
  /** The key. */
  readonly key: Key;
  /** The Philox purpose word. */
  readonly purpose: number;
}

/**
 * The default noise of every sampler: draw `c` (call index) fills element `e`
 * with the Philox normal of key `key` at counter `(e, step c, purpose)`.
 * Samplers add it through `backend.lincomb`'s fused noise term when they see
 * this source, so no extra buffer or pass is needed.
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
 * await noise.sample(b, a, { index: 3, from: 1, to: 0.5 });
 * await noise.sample(b, c, { index: 3, from: 2, to: 1 });
 * assert.deepEqual(await b.download(a), await b.download(c));
 * ```
 */
export function philoxNoise(
  key: Key = { seed: 0, stream: 0 },
  options: { purpose?: number } = {},
): PhiloxNoise {
  const what = "Cannot make the Philox noise source";
  checkInteger(what, "key.seed", key?.seed, 0, 0xffffffff);
  checkInteger(what, "key.stream", key?.stream, 0, 0xffffffff);
  const purpose = checkInteger(
    what,
    "purpose",
    options.purpose ?? PHILOX_PURPOSES.diffusionNoise,
    0,
    0xffffffff,
  );
  const k = { seed: key.seed, stream: key.stream };
  const source: PhiloxNoise = Object.freeze({
    key: k,
    purpose,
    async sample(backend: Backend, out: DeviceArray, call: { index: number }): Promise<void> {
      checkInteger("Cannot draw Philox noise", "call index", call.index, 0, 0xffffffff);
      await backend.fillNormal(out, k, { step: call.index, purpose });
    },
  });
  PHILOX_SOURCES.add(source);
  return source;
}

const PHILOX_SOURCES = new WeakSet<NoiseSource>();

/**
 * The source itself when {@linkcode philoxNoise} made it (samplers then fuse
 * the draw into `lincomb`), else undefined.
 *
 * @internal
 */
export function _philoxOf(source: NoiseSource): PhiloxNoise | undefined {
  return PHILOX_SOURCES.has(source) ? source as PhiloxNoise : undefined;
}

/**
 * The noise source a sampler uses: `options.noise`, else Philox keyed by
 * `options.key` (default seed 0, stream 0).
 *
 * @param options the sampler options
 * @returns the noise source
 *
 * @example
 * ```ts
 * import { _philoxOf, philoxNoise, resolveNoise } from "./noise.ts";
 * import assert from "node:assert/strict";
 * const n = philoxNoise({ seed: 1, stream: 2 });
 * assert.equal(resolveNoise({ noise: n }), n);
 * const d = _philoxOf(resolveNoise({ key: { seed: 5, stream: 0 } }));
 * assert.deepEqual(d?.key, { seed: 5, stream: 0 });
 * ```
 */
export function resolveNoise(options: SamplerOptions): NoiseSource {
  return options.noise ?? philoxNoise(options.key ?? { seed: 0, stream: 0 });
}

// ---------------------------------------------------------------------------
// SplitMix64 in 32-bit halves (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014; the finaliser constants are
// Stafford's "Mix13"). All arithmetic is mod 2^64 on (hi, lo) u32 pairs.

const TWO_32 = 4294967296;
const TWO_M53 = 2 ** -53;

/** 32 × 32 → 64-bit product as [hi, lo] (exact in doubles via 16-bit limbs). */
function mulWide(a: number, b: number): [number, number] {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33
  const lo = a0 * b0 + (mid % 65536) * 65536; // < 2^33
  const hi = a1 * b1 + Math.floor(mid / 65536) + Math.floor(lo / TWO_32);
  return [hi >>> 0, lo >>> 0];
}

/** (hi, lo) · (bh, bl) mod 2^64. */
function mul64(hi: number, lo: number, bh: number, bl: number): [number, number] {
  const [h, l] = mulWide(lo, bl);
  return [(h + Math.imul(hi, bl) + Math.imul(lo, bh)) >>> 0, l];
}

/** z ^= z >> s for 0 < s < 32. */
function xorShift(hi: number, lo: number, s: number): [number, number] {
  return [(hi ^ (hi >>> s)) >>> 0, (lo ^ ((lo >>> s) | (hi << (32 - s)))) >>> 0];
}

/**
 * SplitMix64's output for a 64-bit counter `(hi, lo)`, as `[hi, lo]`.
 *
 * @internal
 */
export function _splitMix64(hi: number, lo: number): [number, number] {
  // z = k + 0x9E3779B97F4A7C15
  let l = lo + 0x7F4A7C15;
  let h = (hi + 0x9E3779B9 + (l >= TWO_32 ? 1 : 0)) >>> 0;
  l = l >>> 0;
  [h, l] = xorShift(h, l, 30);
  [h, l] = mul64(h, l, 0xBF58476D, 0x1CE4E5B9);
  [h, l] = xorShift(h, l, 27);
  [h, l] = mul64(h, l, 0x94D049BB, 0x133111EB);
  // z ^ (z >> 31)
  return xorShift(h, l, 31);
}

/** u(k) = ((splitmix64(k) >> 11) + 0.5)·2⁻⁵³ for k = base + j. */
function uniformAt(baseHi: number, j: number): number {
  const lo = j % TWO_32;
  const hi = (baseHi + Math.floor(j / TWO_32)) >>> 0;
  const [h, l] = _splitMix64(hi, lo);
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

async function writeHost(backend: Backend, out: DeviceArray, z: Float64Array): Promise<void> {
  if (out instanceof CpuArray && out.backend === backend) out.data.set(z);
  else await backend.write(out, z);
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
 * await splitMix64Noise().sample(b, out, { index: 2, from: 1, to: 0.5 });
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
  return {
    async sample(backend, out, call) {
      const z = new Float64Array(out.length);
      splitMix64Normals(z, { seed, stream: checkInteger("Cannot draw", "index", call.index) });
      await writeHost(backend, out, z);
    },
  };
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

/** Options of {@linkcode brownianPathNoise}. */
export interface BrownianPathNoiseOptions {
  /**
   * Which normals drive the increments: `"philox"` (default; increment j is
   * the Philox draw of step j, added on the device) or `"splitmix64"` (the
   * reference set's: increment j is SplitMix64 stream j, built on the host).
   */
  normals?: "philox" | "splitmix64";
  /** Philox key (default `{ seed: 0, stream: 0 }`). */
  key?: Key;
  /** SplitMix64 seed (default 4242). */
  seed?: number;
  /** Relative distance within which a query snaps to a grid point (default 1e-9). */
  snapTolerance?: number;
}

/**
 * A Brownian path W on a fixed grid `p₀ < … < p_M` (the reference set's
 * `BrownianPathNoise`, §3.3): `W(p₀) = 0`, `W(p_{j+1}) = W(p_j) +
 * sqrt(p_{j+1} − p_j)·z_j` with `z_j` the normals of increment j. A query
 * `(from, to)` returns `(W(to) − W(from))/sqrt(|to − from|)`, with W taken at
 * the grid points nearest to `from` and `to` — so overlapping queries (those
 * of `sample_dpmpp_sde`) are consistent, as with k-diffusion's
 * `BrownianTreeNoiseSampler`, and a query away from the grid is an error.
 *
 * @param grid the increasing grid, e.g. {@linkcode brownianSigmaGrid} of the σ grid
 * @param options normals (`"philox"` or `"splitmix64"`), key or seed, snap tolerance
 * @returns the noise source
 * @throws {SdenoRangeError} when the grid is not increasing and finite, or a
 *   query is not at a grid point
 *
 * @example Increments over adjacent intervals add up like a path
 * ```ts
 * import { brownianPathNoise } from "./noise.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = await createBackend("cpu");
 * const w = brownianPathNoise([0, 1, 3], { normals: "splitmix64" });
 * const [ab, bc, ac] = [b.zeros(2), b.zeros(2), b.zeros(2)];
 * await w.sample(b, ab, { index: 0, from: 0, to: 1 });
 * await w.sample(b, bc, { index: 1, from: 1, to: 3 });
 * await w.sample(b, ac, { index: 2, from: 0, to: 3 });
 * const [x, y, z] = [await b.download(ab), await b.download(bc), await b.download(ac)];
 * for (let e = 0; e < 2; e++) {
 *   assert.ok(Math.abs(z[e]! * Math.sqrt(3) - (x[e]! + y[e]! * Math.sqrt(2))) < 1e-12);
 * }
 * ```
 */
export function brownianPathNoise(
  grid: ArrayLike<number>,
  options: BrownianPathNoiseOptions = {},
): NoiseSource {
  const what = "Cannot make the Brownian path noise";
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
  const normals = options.normals ?? "philox";
  if (normals !== "philox" && normals !== "splitmix64") {
    throw new SdenoRangeError(
      `${what}: normals must be "philox" or "splitmix64", got ${quote(normals)}`,
    );
  }
  const tol = options.snapTolerance ?? 1e-9;
  const source = normals === "philox" ? philoxNoise(options.key) : undefined;
  const seed = checkInteger(what, "seed", options.seed ?? 4242);
  const span = p[p.length - 1]! - p[0]!;

  function nearest(v: number, name: string): number {
    let best = 0;
    for (let j = 1; j < p.length; j++) {
      if (Math.abs(p[j]! - v) < Math.abs(p[best]! - v)) best = j;
    }
    if (!(Math.abs(p[best]! - v) <= tol * Math.max(Math.abs(v), span))) {
      throw new SdenoRangeError(
        `Cannot query the Brownian path: ${name} ${quote(v)} is not a grid point (nearest ${
          quote(p[best])
        })`,
      );
    }
    return best;
  }

  return {
    async sample(backend, out, call) {
      const a = nearest(call.from, "from"), b = nearest(call.to, "to");
      const scale = 1 / Math.sqrt(Math.abs(call.to - call.from));
      const sign = b >= a ? 1 : -1;
      const lo = Math.min(a, b), hi = Math.max(a, b);
      if (source) {
        // Σ_j sqrt(Δp_j)·z_j on the device, one fused noise term per increment
        await backend.lincomb(out, []);
        for (let j = lo; j < hi; j++) {
          await backend.lincomb(out, [[1, out]], {
            scale: sign * scale * Math.sqrt(p[j + 1]! - p[j]!),
            key: source.key,
            step: j,
            purpose: source.purpose,
          });
        }
        return;
      }
      // W(p_hi) − W(p_lo), accumulated as the reference does: W cumulative from p₀
      const n = out.length;
      const wLo = new Float64Array(n), wHi = new Float64Array(n), z = new Float64Array(n);
      for (let j = 0; j < hi; j++) {
        splitMix64Normals(z, { seed, stream: j });
        const c = Math.sqrt(p[j + 1]! - p[j]!);
        for (let e = 0; e < n; e++) wHi[e] = wHi[e]! + c * z[e]!;
        if (j + 1 === lo) wLo.set(wHi);
      }
      for (let e = 0; e < n; e++) z[e] = sign * (wHi[e]! - wLo[e]!) * scale;
      await writeHost(backend, out, z);
    },
  };
}
