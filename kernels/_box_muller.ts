// Box–Muller on Philox words (Box & Muller 1958), the one CPU implementation every caller shares:
// fillNormal's JavaScript path, the SDE virtual tree's normals and the bit-identical twins of the
// WebAssembly module (kernels/philox.wat repeats these operations one for one). Private: no mod.ts
// re-exports this file.

import { _log } from "./_log.ts";
import { _COS_TABLE as COS_TABLE, _SIN_TABLE as SIN_TABLE } from "./_sincos.ts";

const INV_2_32 = 1 / 4294967296;
const INV_2_24 = 1 / 16777216;
const TWO_PI = 2 * Math.PI;
const INV_720 = 1 / 720;
const INV_120 = 1 / 120;

/**
 * The radius uniform of Box–Muller, as the GPU computes it: `(w + 0.5)·2⁻³²`
 * rounded once to f32. In (0, 1].
 *
 * @internal
 */
export function radiusUniform(w: number): number {
  return Math.fround((w + 0.5) * INV_2_32);
}

/**
 * Box–Muller on a Philox block: four normals from four words.
 *
 * The angle θ = 2π(v − ½), v = (w >> 8)·2⁻²⁴, so cos θ = −cos 2πv and
 * sin θ = −sin 2πv. The 24-bit v splits into a table index (top 12 bits) and
 * a remainder b = 2π·(low 12 bits)·2⁻²⁴ < 1.6e-3, whose cosine and sine
 * need only three Taylor terms; the angle-addition formulas join them. The
 * result is within 1e-15 of `Math.cos`/`Math.sin` and about 15× faster.
 *
 * @internal
 */
export function boxMuller(w: Uint32Array, z: Float64Array): void {
  boxMullerInto(w, 0, z, 0);
}

/** {@linkcode boxMuller} on the words `w[wi … wi+4)` into `z[zi … zi+4)`. */
export function boxMullerInto(
  w: Uint32Array,
  wi: number,
  z: Float64Array | Float32Array,
  zi: number,
): void {
  boxMullerPair(w[wi]!, w[wi + 1]!, z, zi);
  boxMullerPair(w[wi + 2]!, w[wi + 3]!, z, zi + 2);
}

/**
 * Box–Muller on one word pair: radius word `a`, angle word `b`, the two
 * normals into `z[zi]`, `z[zi + 1]` — the single CPU implementation every
 * caller shares (see {@linkcode boxMuller}); `normals` in `_wasm_philox.ts`
 * repeats its operations one for one. The log is `_log`, not `Math.log`.
 *
 * @internal
 */
export function boxMullerPair(
  a: number,
  b: number,
  z: Float64Array | Float32Array,
  zi: number,
): void {
  const r = Math.sqrt(-2 * _log(radiusUniform(a)));
  const v = b >>> 8;
  const hi = v >>> 12;
  const t = (TWO_PI * (v & 4095)) * INV_2_24;
  const t2 = t * t;
  const ct = 1 - t2 * (0.5 - t2 * (1 / 24 - t2 * INV_720));
  const st = t * (1 - t2 * (1 / 6 - t2 * INV_120));
  const ca = COS_TABLE[hi]!, sa = SIN_TABLE[hi]!;
  z[zi] = r * (ca * ct - sa * st);
  z[zi + 1] = r * (sa * ct + ca * st);
}
