/**
 * The coarse part of the Box–Muller angle, shared by the JavaScript
 * `boxMullerPair` (_box_muller.ts) and the WebAssembly `normals` of `philox.wat`
 * (`_wasm_philox.ts` copies the table into its memory): `cos` and `sin` of
 * `2πk/4096`, `k = 0 … 4096`, computed
 * once with `Math.cos` / `Math.sin`.
 *
 * This file imports nothing.
 *
 * @module
 */

/** Bits of the angle that index the table. */
export const _SINCOS_BITS = 12;

/** `cos(2πk/4096)`, `k = 0 … 4096`. */
export const _COS_TABLE: Float64Array = new Float64Array((1 << _SINCOS_BITS) + 1);
/** `sin(2πk/4096)`, `k = 0 … 4096`. */
export const _SIN_TABLE: Float64Array = new Float64Array((1 << _SINCOS_BITS) + 1);

for (let k = 0; k <= 1 << _SINCOS_BITS; k++) {
  _COS_TABLE[k] = Math.cos((2 * Math.PI * k) / (1 << _SINCOS_BITS));
  _SIN_TABLE[k] = Math.sin((2 * Math.PI * k) / (1 << _SINCOS_BITS));
}
