/**
 * The virtual Brownian tree (Gaines & Lyons 1997; Kidger, Foster, Li & Lyons,
 * "Efficient and accurate gradients for neural SDEs", NeurIPS 2021, §4): a
 * Brownian path on `[t₀, t₁]` that answers any interval in any order with
 * O(1) memory, by bisecting `[t₀, t₁]` and drawing each midpoint from its
 * conditional law with Philox noise keyed by the tree node.
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { checkKey, type Key } from "../../kernels/philox.ts";
import type { BrownianIncrement, BrownianPath } from "./brownian_path.ts";
import { _normals4 } from "./_normals4.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** Options of {@linkcode virtualBrownianTree}. */
export interface VirtualBrownianTreeOptions {
  /** Brownian dimension m. */
  noiseDim: number;
  /** Start time, default 0. */
  t0?: number;
  /** End time (> t0). */
  t1: number;
  /** Bisection depth (1…31), default 24: leaves are (t₁ − t₀)·2⁻ᵈᵉᵖᵗʰ long. */
  depth?: number;
}

/**
 * A virtual Brownian tree carrying, on each dyadic interval of length h, the
 * pair (ΔW, ΔZ = ∫(W − W_left) dr). The midpoint split of an interval with
 * (W, A) is Gaussian with (derived by conditioning the joint law of
 * `W(h/2), ∫₀^{h/2} W, W(h), ∫₀^h W`)
 *
 * `W(h/2) = −W/4 + 3A/(2h) + √(h/16)·ξ`,
 * `∫₀^{h/2} W = −hW/8 + A/2 + √(h³/192)·η`, with ξ, η independent N(0, 1),
 *
 * and the root is `W = √T ξ`, `A = T^{3/2}(ξ/2 + η/(2√3))`. ξ, η of node ν
 * (root 0, children of ν are 2ν, 2ν+1) for path i and component k are lanes
 * `2(k mod 2)`, `2(k mod 2)+1` of Philox((i, ν, 0x5de1, ⌊k/2⌋)). Inside a leaf
 * the path is the conditional mean given the leaf's (W, A), which is exact at
 * dyadic points and off by O(leaf length) in variance elsewhere.
 *
 * Values are defined pointwise (W(t) and F(t) = ∫_{t₀}^t W), so increments
 * over any partition telescope to the same W(t), whatever the step sizes
 * and whether steps were rejected.
 *
 * @param key the Philox key
 * @param options noise dimension, interval and depth
 * @returns the path
 * @throws {SdenoRangeError} when t1 ≤ t0 or the depth is outside 1…31
 *
 * @example Increments over two partitions agree
 * ```ts
 * import { virtualBrownianTree } from "./virtual_brownian_tree.ts";
 * import assert from "node:assert/strict";
 * const bm = virtualBrownianTree({ seed: 5, stream: 0 }, { noiseDim: 1, t1: 1 });
 * const part = (ts: number[]) => {
 *   let sum = 0;
 *   const out = { dW: new Float64Array(1) };
 *   for (let i = 0; i + 1 < ts.length; i++) { bm.increment(ts[i]!, ts[i + 1]!, out, 1); sum += out.dW[0]!; }
 *   return sum;
 * };
 * assert.ok(Math.abs(part([0, 0.3, 0.71, 1]) - part([0, 0.5, 1])) < 1e-12);
 * ```
 */
export function virtualBrownianTree(key: Key, options: VirtualBrownianTreeOptions): BrownianPath {
  const what = "Cannot build a virtual Brownian tree";
  checkKey(what, key);
  const m = checkInteger(what, "noiseDim", options.noiseDim, 1);
  const t0 = checkFinite(what, "t0", options.t0 ?? 0);
  const t1 = checkFinite(what, "t1", options.t1);
  if (!(t1 > t0)) {
    throw new SdenoRangeError(`${what}: t1 must exceed t0 = ${t0}, got ${quote(t1)}`);
  }
  const depth = checkInteger(what, "depth", options.depth ?? 24, 1, 31);
  const T = t1 - t0;
  const w = new Uint32Array(4);
  const z = new Float64Array(4);
  const inv2sqrt3 = 1 / (2 * Math.sqrt(3));
  const slack = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(t1));

  // W(t) − W(t₀) and F(t) = ∫_{t₀}^t (W − W(t₀)) dr for one path and component.
  const point = (t: number, path: number, k: number, res: Float64Array): void => {
    const c3 = k >> 1;
    const lane = 2 * (k & 1);
    _normals4(path, 0, PHILOX_PURPOSES.sdeTree, c3, key.seed, key.stream, w, z);
    let wab = Math.sqrt(T) * z[lane]!;
    let aab = T * Math.sqrt(T) * (0.5 * z[lane]! + inv2sqrt3 * z[lane + 1]!);
    let a = t0, h = T, wa = 0, fa = 0, node = 1;
    for (let level = 0; level < depth; level++) {
      if (t === a) break;
      if (t === a + h) {
        fa += h * wa + aab;
        wa += wab;
        a += h;
        wab = 0;
        aab = 0;
        break;
      }
      _normals4(path, node, PHILOX_PURPOSES.sdeTree, c3, key.seed, key.stream, w, z);
      const hh = 0.5 * h;
      const x = -0.25 * wab + (1.5 * aab) / h + Math.sqrt(h / 16) * z[lane]!;
      const l = -0.125 * h * wab + 0.5 * aab + Math.sqrt((h * h * h) / 192) * z[lane + 1]!;
      if (t < a + hh) {
        wab = x;
        aab = l;
        node = 2 * node;
      } else {
        fa += hh * wa + l;
        wa += x;
        wab -= x;
        aab = aab - l - hh * x;
        a += hh;
        node = 2 * node + 1;
      }
      h = hh;
    }
    // inside the leaf: the conditional mean given the leaf's (W, A)
    const u = h > 0 ? (t - a) / h : 0;
    const xw = wab * (3 * u * u - 2 * u) + (h > 0 ? (aab / h) * 6 * u * (1 - u) : 0);
    const xl = h * wab * (u * u * u - u * u) + aab * (3 * u * u - 2 * u * u * u);
    res[0] = wa + xw;
    res[1] = fa + (t - a) * wa + xl;
  };

  const clamp = (s: number, name: string): number => {
    if (!(s >= t0 - slack && s <= t1 + slack)) {
      throw new SdenoRangeError(
        `Cannot draw Brownian increments: ${name} must lie in [${t0}, ${t1}], got ${quote(s)}`,
      );
    }
    return Math.min(t1, Math.max(t0, s));
  };

  // cache of the last right end point, so a sequence of steps costs one descent per step
  let cacheT = NaN, cacheOffset = -1, cacheN = -1;
  let cacheW = new Float64Array(0), cacheF = new Float64Array(0);
  const res = new Float64Array(2);

  return {
    kind: "tree",
    noiseDim: m,
    t0,
    t1,
    dt: undefined,
    increment(s: number, t: number, out: BrownianIncrement, n: number, offset = 0): void {
      s = clamp(s, "s");
      t = clamp(t, "t");
      const useCache = s === cacheT && offset === cacheOffset && n === cacheN;
      if (cacheW.length < n * m) {
        cacheW = new Float64Array(n * m);
        cacheF = new Float64Array(n * m);
      }
      const { dW, dZ } = out;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < m; k++) {
          const e = i * m + k;
          let ws: number, fs: number;
          if (useCache) {
            ws = cacheW[e]!;
            fs = cacheF[e]!;
          } else {
            point(s, offset + i, k, res);
            ws = res[0]!;
            fs = res[1]!;
          }
          point(t, offset + i, k, res);
          dW[e] = res[0]! - ws;
          if (dZ) dZ[e] = res[1]! - fs - (t - s) * ws;
          cacheW[e] = res[0]!;
          cacheF[e] = res[1]!;
        }
      }
      cacheT = t;
      cacheOffset = offset;
      cacheN = n;
    },
  };
}
