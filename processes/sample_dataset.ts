/**
 * Built-in 2-D datasets for training and testing score models: a ring of
 * Gaussians, two moons, a checkerboard and a Swiss roll. Point i is a pure
 * function of (key, offset + i): it uses the four Philox uniforms of element
 * block `offset + i` (purpose `datasetPoints`), so the first n points of a
 * larger sample are the same n points, and two samples with different keys
 * or disjoint offsets are independent.
 *
 * Each point has a class label (the component, moon, square or quarter of
 * the roll it was drawn from) and {@linkcode datasetRegion} tells which
 * class's region a point lies in, for checking class-conditional models.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError } from "../kernels/errors.ts";
import { fillUniform, type Key } from "../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../kernels/purposes.ts";

/** Names of the built-in datasets. */
export type DatasetName = "ring" | "moons" | "checkerboard" | "swiss-roll";

/** Every built-in dataset. */
export const DATASET_NAMES: readonly DatasetName[] = Object.freeze([
  "ring",
  "moons",
  "checkerboard",
  "swiss-roll",
]);

/** Options of {@linkcode sampleDataset}. */
export interface SampleDatasetOptions {
  /** Number of points. */
  n: number;
  /** The Philox key (default seed 0, stream 0). */
  key?: Key;
  /** Index of the first point (default 0): disjoint ranges give independent samples. */
  offset?: number;
}

/** A sample of a dataset: points with their class labels. */
export interface Dataset {
  /** The dataset's name. */
  name: DatasetName;
  /** n×2 points, point-major. */
  data: Float64Array;
  /** `[n, 2]`. */
  shape: [number, number];
  /** The class of each point, in `0 … classes−1`. */
  labels: Int32Array;
  /** Number of classes. */
  classes: number;
}

const RING_K = 8, RING_RADIUS = 2, RING_STD = 0.2;
const MOON_NOISE = 0.1;
const ROLL_SCALE = 1 / 4.5, ROLL_NOISE = 0.1, ROLL_T0 = 1.5 * Math.PI, ROLL_T1 = 4.5 * Math.PI;
const CLASSES: Readonly<Record<DatasetName, number>> = {
  ring: RING_K,
  moons: 2,
  checkerboard: 8,
  "swiss-roll": 4,
};

/**
 * Draws n points of a built-in dataset:
 *
 * - `ring`: 8 equally weighted Gaussians (std 0.2) centred on the circle of
 *   radius 2 at angles 2πk/8; class k;
 * - `moons`: scikit-learn's two moons (upper arc `(cos θ, sin θ)`, lower arc
 *   `(1 − cos θ, ½ − sin θ)`, θ uniform on [0, π]), centred and scaled by 2,
 *   plus Gaussian noise of std 0.1; class = the moon;
 * - `checkerboard`: uniform on the 8 dark unit squares (column + row even) of
 *   a 4×4 board on [−2, 2]²; class = the square (row-major order);
 * - `swiss-roll`: `(t cos t, t sin t)/4.5` with t uniform on [1.5π, 4.5π],
 *   plus noise of std 0.1; class = the quarter of the t range.
 *
 * @param name the dataset
 * @param options n, key and offset
 * @returns the points and labels
 * @throws {SdenoRangeError} for an unknown name or a bad n / offset
 *
 * @example The first points do not depend on n
 * ```ts
 * import { sampleDataset } from "./sample_dataset.ts";
 * import assert from "node:assert/strict";
 * const a = sampleDataset("moons", { n: 10, key: { seed: 1, stream: 0 } });
 * const b = sampleDataset("moons", { n: 3, key: { seed: 1, stream: 0 } });
 * assert.deepEqual(b.data, a.data.slice(0, 6));
 * assert.equal(a.classes, 2);
 * ```
 */
export function sampleDataset(name: DatasetName, options: SampleDatasetOptions): Dataset {
  const what = "Cannot sample the dataset";
  if (!DATASET_NAMES.includes(name)) {
    throw new SdenoRangeError(
      `${what}: name must be one of ${DATASET_NAMES.join(", ")}, got ${quote(name)}`,
    );
  }
  const n = checkInteger(what, "n", options?.n);
  const offset = checkInteger(what, "offset", options.offset ?? 0, 0, 2 ** 40);
  const u = new Float64Array(4 * n);
  fillUniform(u, options.key ?? { seed: 0, stream: 0 }, {
    purpose: PHILOX_PURPOSES.datasetPoints,
    offset: 4 * offset,
  });
  const data = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u0 = u[4 * i]!, u1 = u[4 * i + 1]!, u2 = u[4 * i + 2]!, u3 = u[4 * i + 3]!;
    // Box–Muller on (u2, u3), both outputs (uniforms are never 0)
    const r = Math.sqrt(-2 * Math.log(u2)), a = 2 * Math.PI * u3;
    const z0 = r * Math.cos(a), z1 = r * Math.sin(a);
    let x: number, y: number, c: number;
    switch (name) {
      case "ring": {
        c = Math.min(RING_K - 1, Math.floor(RING_K * u0));
        const phi = 2 * Math.PI * c / RING_K;
        x = RING_RADIUS * Math.cos(phi) + RING_STD * z0;
        y = RING_RADIUS * Math.sin(phi) + RING_STD * z1;
        break;
      }
      case "moons": {
        c = u0 < 0.5 ? 0 : 1;
        const th = Math.PI * u1;
        const mx = c === 0 ? Math.cos(th) : 1 - Math.cos(th);
        const my = c === 0 ? Math.sin(th) : 0.5 - Math.sin(th);
        x = 2 * (mx - 0.5) + MOON_NOISE * z0;
        y = 2 * (my - 0.25) + MOON_NOISE * z1;
        break;
      }
      case "checkerboard": {
        c = Math.min(7, Math.floor(8 * u0));
        const row = c >> 1, col = 2 * (c & 1) + (row & 1);
        x = -2 + col + u1;
        y = -2 + row + u2;
        break;
      }
      case "swiss-roll": {
        c = Math.min(3, Math.floor(4 * u0));
        const t = ROLL_T0 + (ROLL_T1 - ROLL_T0) * u0;
        x = ROLL_SCALE * t * Math.cos(t) + ROLL_NOISE * z0;
        y = ROLL_SCALE * t * Math.sin(t) + ROLL_NOISE * z1;
        break;
      }
    }
    data[2 * i] = x;
    data[2 * i + 1] = y;
    labels[i] = c;
  }
  return { name, data, shape: [n, 2], labels, classes: CLASSES[name] };
}

/**
 * The class whose region holds the point (x, y), or −1 for none: for `ring`
 * the 45° sector around component k; for `moons` the nearer moon arc; for
 * `checkerboard` the dark square that contains the point (−1 on a light square
 * or off the board); for `swiss-roll` the quarter of the nearest point of the
 * roll's centre curve.
 *
 * @param name the dataset
 * @param x first coordinate
 * @param y second coordinate
 * @returns the class, or −1
 * @throws {SdenoRangeError} for an unknown name
 *
 * @example Every drawn checkerboard point lies in its own square
 * ```ts
 * import { datasetRegion, sampleDataset } from "./sample_dataset.ts";
 * import assert from "node:assert/strict";
 * const d = sampleDataset("checkerboard", { n: 100 });
 * for (let i = 0; i < 100; i++) {
 *   assert.equal(datasetRegion("checkerboard", d.data[2 * i]!, d.data[2 * i + 1]!), d.labels[i]);
 * }
 * ```
 */
export function datasetRegion(name: DatasetName, x: number, y: number): number {
  switch (name) {
    case "ring": {
      const k = Math.round(Math.atan2(y, x) / (2 * Math.PI / RING_K));
      return ((k % RING_K) + RING_K) % RING_K;
    }
    case "moons": {
      // back to scikit-learn's units, then the distance to each half circle
      const px = x / 2 + 0.5, py = y / 2 + 0.25;
      const d0 = arcDistance(px, py, 0, 0, true);
      const d1 = arcDistance(px, py, 1, 0.5, false);
      return d0 <= d1 ? 0 : 1;
    }
    case "checkerboard": {
      const col = Math.floor(x + 2), row = Math.floor(y + 2);
      if (col < 0 || col > 3 || row < 0 || row > 3 || (col + row) % 2 !== 0) return -1;
      return 2 * row + (col >> 1);
    }
    case "swiss-roll": {
      // nearest point of the curve: a coarse scan, then a fine one around its best cell
      const dist = (t: number) =>
        (x - ROLL_SCALE * t * Math.cos(t)) ** 2 + (y - ROLL_SCALE * t * Math.sin(t)) ** 2;
      const coarse = 600, h = (ROLL_T1 - ROLL_T0) / coarse;
      let bestT = ROLL_T0, best = Infinity;
      for (let k = 0; k <= coarse; k++) {
        const t = ROLL_T0 + k * h, d = dist(t);
        if (d < best) [best, bestT] = [d, t];
      }
      const from = Math.max(ROLL_T0, bestT - h), to = Math.min(ROLL_T1, bestT + h);
      for (let k = 0; k <= 64; k++) {
        const t = from + (to - from) * k / 64, d = dist(t);
        if (d < best) [best, bestT] = [d, t];
      }
      return Math.min(3, Math.floor(4 * (bestT - ROLL_T0) / (ROLL_T1 - ROLL_T0)));
    }
  }
  throw new SdenoRangeError(
    `Cannot find the dataset region: name must be one of ${DATASET_NAMES.join(", ")}, got ${
      quote(name)
    }`,
  );
}

/** Options of {@linkcode checkerboardQuantiles}. */
export interface CheckerboardQuantilesOptions {
  /** L×2 directions, point-major, used as given (not normalised). */
  directions: ArrayLike<number>;
  /** Number q of levels `(j + 0.5)/q`, j = 0 … q−1. */
  levels: number;
}

/**
 * The exact quantiles of the checkerboard's projections `⟨θ, X⟩`, for
 * `slicedWassersteinToQuantiles` (a distance to the dataset itself rather
 * than to a second sample). On each dark square the projection is the sum of
 * two independent uniforms of widths |θ₁| and |θ₂|, whose CDF is the
 * trapezoid law's: `t²/(2ab)` on [0, a], `(t − a/2)/b` on [a, b] and
 * `1 − (a + b − t)²/(2ab)` on [b, a + b] (a ≤ b the two widths). The mixture
 * CDF is quadratic between consecutive breakpoints, so each level is the root
 * of a quadratic there.
 *
 * @param options directions and the number of levels
 * @returns the L×q table, row l for direction l
 * @throws {SdenoRangeError} for a bad level count or a zero direction
 *
 * @example Along the first axis the projection is uniform on [−2, 2]
 * ```ts
 * import { checkerboardQuantiles } from "./sample_dataset.ts";
 * import assert from "node:assert/strict";
 * const q = checkerboardQuantiles({ directions: [1, 0], levels: 4 });
 * [-1.5, -0.5, 0.5, 1.5].forEach((v, j) => assert.ok(Math.abs(q[j]! - v) < 1e-12));
 * ```
 */
export function checkerboardQuantiles(options: CheckerboardQuantilesOptions): Float64Array {
  const what = "Cannot compute the checkerboard's quantiles";
  const q = checkInteger(what, "levels", options?.levels, 1);
  const dir = options.directions;
  if (dir?.length === undefined || dir.length % 2 !== 0) {
    throw new SdenoRangeError(`${what}: directions must be L×2 numbers, got ${quote(dir?.length)}`);
  }
  const L = dir.length / 2;
  const out = new Float64Array(L * q);
  for (let l = 0; l < L; l++) {
    const c = dir[2 * l]!, s = dir[2 * l + 1]!;
    if (!(Number.isFinite(c) && Number.isFinite(s)) || (c === 0 && s === 0)) {
      throw new SdenoRangeError(`${what}: direction ${l} must be finite and non-zero`);
    }
    const a = Math.min(Math.abs(c), Math.abs(s)), b = Math.max(Math.abs(c), Math.abs(s));
    const lows: number[] = [];
    for (let k = 0; k < 8; k++) {
      const row = k >> 1, col = 2 * (k & 1) + (row & 1);
      lows.push(c * (col - 2) + s * (row - 2) + Math.min(0, c) + Math.min(0, s));
    }
    const cdf = (v: number) => {
      let f = 0;
      for (const lo of lows) {
        const t = v - lo;
        if (t <= 0) continue;
        if (t >= a + b) f += 1;
        else if (a === 0) f += t / b;
        else if (t <= a) f += t * t / (2 * a * b);
        else if (t <= b) f += (t - a / 2) / b;
        else f += 1 - (a + b - t) ** 2 / (2 * a * b);
      }
      return f / 8;
    };
    const breaks = [...new Set(lows.flatMap((lo) => [lo, lo + a, lo + b, lo + a + b]))]
      .sort((x, y) => x - y);
    let seg = 0;
    for (let j = 0; j < q; j++) {
      const p = (j + 0.5) / q;
      while (seg + 2 < breaks.length && cdf(breaks[seg + 1]!) < p) seg++;
      const x0 = breaks[seg]!, x2 = breaks[seg + 1]!, x1 = (x0 + x2) / 2, h = x2 - x0;
      // the quadratic through (x0, F0), (x1, F1), (x2, F2) in u = (v − x0)/h
      const f0 = cdf(x0), f1 = cdf(x1), f2 = cdf(x2);
      const A = 2 * (f2 - 2 * f1 + f0), B = 4 * f1 - 3 * f0 - f2, C = f0 - p;
      let u: number;
      if (Math.abs(A) < 1e-14) u = -C / B;
      else {
        const disc = Math.max(0, B * B - 4 * A * C);
        // the root in [0, 1], in the cancellation-free form
        u = B >= 0 ? (2 * C) / (-B - Math.sqrt(disc)) : (-B + Math.sqrt(disc)) / (2 * A);
        if (!(u >= -1e-9 && u <= 1 + 1e-9)) u = (-B - Math.sign(A) * Math.sqrt(disc)) / (2 * A);
      }
      out[l * q + j] = x0 + h * Math.min(1, Math.max(0, u));
    }
  }
  return out;
}

/** Distance from (px, py) to the unit half circle about (cx, cy), upper or lower half. */
function arcDistance(px: number, py: number, cx: number, cy: number, upper: boolean): number {
  const dx = px - cx, dy = py - cy;
  if (upper ? dy >= 0 : dy <= 0) return Math.abs(Math.hypot(dx, dy) - 1);
  // beyond the arc's ends: the nearer endpoint (cx ± 1, cy)
  return Math.min(Math.hypot(dx - 1, dy), Math.hypot(dx + 1, dy));
}
