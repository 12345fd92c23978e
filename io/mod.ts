/**
 * What leaves or enters a process: `.npy` encoding (pure) and files, SVG
 * plots (pure), atomic file writes, progress on stderr, and command-line
 * flags for scripts.
 *
 * The pure parts (`encodeNpy`, `decodeNpy`, the plots, `parseCli`, `usage`)
 * need no permission; `readNpy`, `writeNpy` and `writeFileAtomic` need read
 * or write access to the paths they touch, and only when called.
 *
 * ```ts
 * import { decodeNpy, encodeNpy, linePlot } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const bytes = encodeNpy({ data: new Float64Array([1, 2]), shape: [2] });
 * assert.deepEqual([...decodeNpy(bytes).data], [1, 2]);
 * assert.match(linePlot({ y: [1, 4, 9] }), /class="line"/);
 * ```
 *
 * @module
 */

export * from "./npy.ts";
export * from "./npy_file.ts";
export * from "./atomic.ts";
export * from "./write_outputs.ts";
export * from "./progress.ts";
export * from "./cli.ts";
export * from "./run_script.ts";
export * from "./check_out_dir.ts";
export * from "./svg/mod.ts";
export * from "./sbml.ts";
export * from "./shard.ts";
export * from "./partial.ts";
