// The JavaScript twin of the WebAssembly SSA draws for one Philox block (private: no mod.ts
// re-exports this file).

import { _log } from "./_log.ts";

const INV_2_32 = 1 / 4294967296;

/**
 * The JavaScript twin of the module's `expUniformSteps` for one block:
 * `[−log u(w₀), u(w₁), −log u(w₂), u(w₃)]` into `out[at … at+3]`, with
 * `u(w) = (w + 0.5)·2⁻³²` and the log `_log`.
 *
 * @internal
 */
export function expUniformBlock(w: Uint32Array, out: Float64Array, at: number): void {
  out[at] = -_log((w[0]! + 0.5) * INV_2_32);
  out[at + 1] = (w[1]! + 0.5) * INV_2_32;
  out[at + 2] = -_log((w[2]! + 0.5) * INV_2_32);
  out[at + 3] = (w[3]! + 0.5) * INV_2_32;
}
