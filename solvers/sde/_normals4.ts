// Private to the Brownian paths: four normals of one Philox block.
import { philoxBlock } from "../../kernels/_philox_block.ts";
import { boxMuller } from "../../kernels/_box_muller.ts";

/**
 * The four Box–Muller normals of the Philox block at counter
 * `(c0, c1, c2, c3)` under `(seed, stream)`, written to `z[0..4)` by the
 * same Box–Muller as `fillNormal` (kernels/philox.ts `boxMuller`), so the
 * WGSL `sd_normal4` of the same counter matches to f32 rounding.
 */
export function _normals4(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  seed: number,
  stream: number,
  w: Uint32Array,
  z: Float64Array,
): void {
  philoxBlock(c0, c1, c2, c3, seed, stream, w);
  boxMuller(w, z);
}
