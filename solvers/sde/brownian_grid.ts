/**
 * Brownian increments on a fixed grid `t₀ + j·dt`: the fast noise source of
 * fixed-step solvers and of the GPU ensemble kernel.
 *
 * @module
 */

import { checkFinite, checkInteger, quote, SdenoRangeError } from "../../kernels/errors.ts";
import { checkKey, fillNormal, type Key } from "../../kernels/philox.ts";
import type { BrownianIncrement, BrownianPath } from "./brownian_path.ts";
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** Options of {@linkcode brownianGrid}. */
export interface BrownianGridOptions {
  /** Brownian dimension m. */
  noiseDim: number;
  /** Grid spacing (> 0). */
  dt: number;
  /** Start time, default 0. */
  t0?: number;
}

/**
 * A Brownian path defined on the grid `t₀ + j·dt`. On grid step j, path i,
 * component k: `ΔWₖ = √dt·ξₖ` and `ΔZₖ = dt^{3/2}(ξₖ/2 + ηₖ/(2√3))`, the exact
 * joint law of the increment and its time integral (Kloeden & Platen 1992,
 * §10.4, eq. 4.3). ξₖ and ηₖ are the {@linkcode fillNormal} normals of flat
 * element i·m + k at step j, purposes 0x5de0 and 0x5de2 (the numbering of
 * every batch in sdeno): the draw is a pure function of (key, path, step,
 * component), and a batch of paths is one contiguous run of elements.
 *
 * `increment(s, t)` accepts any s < t on the grid (a coarse step is the exact
 * sum of fine ones, so several step sizes see one path); off-grid times are a
 * RangeError (use {@linkcode virtualBrownianTree}).
 *
 * @param key the Philox key
 * @param options noise dimension, spacing and start
 * @returns the path
 * @throws {SdenoRangeError} for a non-positive dt
 *
 * @example A coarse increment is the sum of the fine ones
 * ```ts
 * import { brownianGrid } from "./brownian_grid.ts";
 * import assert from "node:assert/strict";
 * const bm = brownianGrid({ seed: 1, stream: 0 }, { noiseDim: 1, dt: 0.25 });
 * const a = { dW: new Float64Array(1) }, b = { dW: new Float64Array(1) };
 * const c = { dW: new Float64Array(1) };
 * bm.increment(0, 0.25, a, 1);
 * bm.increment(0.25, 0.5, b, 1);
 * bm.increment(0, 0.5, c, 1);
 * assert.ok(Math.abs(a.dW[0]! + b.dW[0]! - c.dW[0]!) < 1e-15);
 * ```
 */
export function brownianGrid(key: Key, options: BrownianGridOptions): BrownianPath {
  const what = "Cannot build a Brownian grid";
  checkKey(what, key);
  const m = checkInteger(what, "noiseDim", options.noiseDim, 1);
  const dt = checkFinite(what, "dt", options.dt);
  if (!(dt > 0)) throw new SdenoRangeError(`${what}: dt must be positive, got ${quote(dt)}`);
  const t0 = checkFinite(what, "t0", options.t0 ?? 0);
  let xi = new Float64Array(0), eta = new Float64Array(0);
  const sqrtDt = Math.sqrt(dt);
  const zScale = dt * sqrtDt;
  const inv2sqrt3 = 1 / (2 * Math.sqrt(3));
  const gridIndex = (s: number, name: string): number => {
    const j = Math.round((s - t0) / dt);
    if (j < 0 || Math.abs(t0 + j * dt - s) > 1e-9 * Math.max(1, Math.abs(s))) {
      throw new SdenoRangeError(
        `Cannot draw Brownian increments: ${name} must lie on the grid ${t0} + j·${dt}, got ${
          quote(s)
        } (use a virtual Brownian tree for arbitrary times)`,
      );
    }
    return j;
  };
  return {
    kind: "grid",
    noiseDim: m,
    t0,
    t1: Infinity,
    dt,
    increment(s: number, t: number, out: BrownianIncrement, n: number, offset = 0): void {
      const a = gridIndex(s, "s");
      const b = gridIndex(t, "t");
      const { dW, dZ } = out;
      dW.fill(0, 0, n * m);
      if (dZ) dZ.fill(0, 0, n * m);
      if (xi.length < n * m) {
        xi = new Float64Array(n * m);
        eta = new Float64Array(n * m);
      }
      const x = xi.subarray(0, n * m), y = eta.subarray(0, n * m);
      for (let j = a; j < b; j++) {
        fillNormal(x, key, { step: j, purpose: PHILOX_PURPOSES.sdeGridXi, offset: offset * m });
        if (dZ) {
          fillNormal(y, key, { step: j, purpose: PHILOX_PURPOSES.sdeGridEta, offset: offset * m });
          // ΔZ over [s, t] gathers each fine step's own ΔZ plus dt times the increments before it
          for (let e = 0; e < n * m; e++) {
            dZ[e] = dZ[e]! + dt * dW[e]! + zScale * (0.5 * x[e]! + inv2sqrt3 * y[e]!);
          }
        }
        for (let e = 0; e < n * m; e++) dW[e] = dW[e]! + sqrtDt * x[e]!;
      }
    },
  };
}
