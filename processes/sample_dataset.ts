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
      let best = Infinity, bestT = ROLL_T0;
      const steps = 4000;
      for (let s = 0; s <= steps; s++) {
        const t = ROLL_T0 + (ROLL_T1 - ROLL_T0) * s / steps;
        const dx = x - ROLL_SCALE * t * Math.cos(t), dy = y - ROLL_SCALE * t * Math.sin(t);
        const d = dx * dx + dy * dy;
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

/** Distance from (px, py) to the unit half circle about (cx, cy), upper or lower half. */
function arcDistance(px: number, py: number, cx: number, cy: number, upper: boolean): number {
  const dx = px - cx, dy = py - cy;
  if (upper ? dy >= 0 : dy <= 0) return Math.abs(Math.hypot(dx, dy) - 1);
  // beyond the arc's ends: the nearer endpoint (cx ± 1, cy)
  return Math.min(Math.hypot(dx - 1, dy), Math.hypot(dx + 1, dy));
}
