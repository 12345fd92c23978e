/**
 * The shared WGSL pieces as text imports (they travel with the module when it
 * is imported by URL, and need no permission).
 *
 * @module
 */

import COMMON from "./common.wgsl" with { type: "text" };
import PHILOX from "./philox.wgsl" with { type: "text" };

/** `sd_thread`: the flat thread index of a 256-wide, possibly 2-D, grid. */
export const COMMON_WGSL: string = COMMON;
/** `sd_philox`, `sd_block_counter`, `sd_uniform`, `sd_box_muller`, `sd_normal4`. */
export const PHILOX_WGSL: string = PHILOX;
