// Private helpers of the SDE driver: g·v for each noise type, and the noise
// quantities of one step.
import type { NoiseType } from "../../processes/sde.ts";
import type { NoiseWeight } from "./srk_tableau.ts";

/** acc += c · (g·v) for n points; g as written by `diffusion`, v n×m. */
export function _addNoise(
  noise: NoiseType,
  d: number,
  m: number,
  g: Float64Array,
  v: Float64Array,
  c: number,
  acc: Float64Array,
  n: number,
): void {
  if (noise === "diagonal") {
    for (let e = 0; e < n * d; e++) acc[e] = acc[e]! + c * g[e]! * v[e]!;
  } else if (noise === "scalar") {
    for (let i = 0; i < n; i++) {
      const vi = c * v[i]!;
      for (let r = 0; r < d; r++) acc[i * d + r] = acc[i * d + r]! + g[i * d + r]! * vi;
    }
  } else {
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < d; r++) {
        let s = 0;
        const row = (i * d + r) * m;
        for (let k = 0; k < m; k++) s += g[row + k]! * v[i * m + k]!;
        acc[i * d + r] = acc[i * d + r]! + c * s;
      }
    }
  }
}

/** Fills `out` (n×m) with a noise quantity of one step. */
export function _noiseWeight(
  kind: NoiseWeight,
  h: number,
  dW: Float64Array,
  dZ: Float64Array | undefined,
  out: Float64Array,
  len: number,
): void {
  const sq = Math.sqrt(h);
  for (let e = 0; e < len; e++) {
    const w = dW[e]!;
    switch (kind) {
      case "dW":
        out[e] = w;
        break;
      case "dZ/h":
        out[e] = dZ![e]! / h;
        break;
      case "sqrtH":
        out[e] = sq;
        break;
      case "I11/sqrtH":
        out[e] = (w * w - h) / (2 * sq);
        break;
      case "I111/h":
        out[e] = (w * w * w - 3 * h * w) / (6 * h);
        break;
    }
  }
}
