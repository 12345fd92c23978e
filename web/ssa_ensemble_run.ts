/**
 * What the SSA page (`web/ssa.html`) computes, without the page: an ensemble
 * of exact stochastic simulations (Gillespie's direct method,
 * `solvers/ctmc/ssa_ensemble.ts`) of a built-in reaction network, with the
 * conventions of `scripts/ssa.ts` — paths keyed by (seed, stream 0), five
 * save times `tEnd·k/5`, k = 1 … 5. On cpu the paths run in float64 in the
 * calling thread (a page has no Deno permissions for the worker pool); on
 * webgpu they run in the f32 WGSL kernel. The sums of counts are exact
 * integers, so a run in Deno and one in a browser can be compared exactly.
 *
 * @module
 */

import type { Backend } from "../kernels/backend.ts";
import { checkFinite, checkInteger, SdenoRangeError } from "../kernels/errors.ts";
import { makeKey } from "../kernels/philox.ts";
import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
import { ssaEnsemble } from "../solvers/ctmc/ssa_ensemble.ts";

/** The run a page asks for. */
export interface SsaRunOptions {
  /** A built-in network (`processes/reaction_network_library.ts`; default `schlogl`). */
  network?: string;
  /** Number of paths (default 4096). */
  paths?: number;
  /** End time (default 5). */
  tEnd?: number;
  /** Philox seed (default 0). */
  seed?: number;
}

/** What a run gives: its settings, where it ran, and the ensemble's statistics. */
export interface SsaRunResult {
  /** The backend that ran the paths. */
  backend: "cpu" | "webgpu";
  /** The network's name. */
  network: string;
  /** Its species. */
  species: string[];
  /** The save times. */
  saveTimes: number[];
  /** Number of paths. */
  paths: number;
  /** The Philox seed. */
  seed: number;
  /** Σ x over the paths, saves × species (exact integers). */
  sum: number[];
  /** Σ x² over the paths, saves × species (exact integers below 2⁵³). */
  sumSq: number[];
  /** Sample means, saves × species. */
  mean: number[];
  /** Their standard errors. */
  meanSe: number[];
  /** Total reaction firings. */
  firings: number;
}

/**
 * Runs an SSA ensemble of a built-in network (see the module doc for the
 * key and save times). Checks every option before any work.
 *
 * @param backend where to run (cpu: float64 in this thread; webgpu: f32)
 * @param options network, paths, end time and seed
 * @returns the run's settings and statistics
 * @throws {SdenoRangeError} for an unknown network, or paths, end time or seed out of range
 *
 * @example Birth (rate 10) and death (0.1 each): the mean at t = 1 is 100·(1 − e^−0.1) ≈ 9.52, within 4 standard errors
 * ```ts
 * import { runSsaEnsemble } from "./ssa_ensemble_run.ts";
 * import { CpuBackend } from "../kernels/cpu_backend.ts";
 * import { builtinReactionNetworkText } from "../processes/reaction_network_library.ts";
 * import assert from "node:assert/strict";
 * assert.match(builtinReactionNetworkText("birth_death"), /0 -> X @ 10\n.*X -> 0 @ 0\.1/);
 * const r = await runSsaEnsemble(new CpuBackend(), { network: "birth_death", paths: 2000, tEnd: 1 });
 * assert.equal(r.saveTimes.at(-1), 1);
 * assert.ok(Math.abs(r.mean.at(-1)! - 100 * (1 - Math.exp(-0.1))) < 4 * r.meanSe.at(-1)!);
 * ```
 */
export async function runSsaEnsemble(
  backend: Backend,
  options: SsaRunOptions = {},
): Promise<SsaRunResult> {
  const what = "Cannot run the SSA ensemble";
  const name = options.network ?? "schlogl";
  const paths = checkInteger(what, "paths", options.paths ?? 4096, 1, 1 << 24);
  const tEnd = checkFinite(what, "tEnd", options.tEnd ?? 5);
  if (!(tEnd > 0)) {
    throw new SdenoRangeError(`${what}: tEnd must be positive, got ${tEnd}`);
  }
  const seed = checkInteger(what, "seed", options.seed ?? 0, 0, 0xffffffff);
  const network = builtinReactionNetwork(name);
  const saveTimes = Array.from({ length: 5 }, (_, k) => tEnd * (k + 1) / 5);
  const r = await ssaEnsemble(network, {
    backend,
    tEnd,
    saveTimes,
    paths,
    key: makeKey(seed, 0),
    workers: 1,
  });
  return {
    backend: r.backend,
    network: name,
    species: [...r.species],
    saveTimes: Array.from(r.saveTimes),
    paths,
    seed,
    sum: Array.from(r.sum),
    sumSq: Array.from(r.sumSq),
    mean: Array.from(r.mean),
    meanSe: Array.from(r.meanSe),
    firings: r.firings,
  };
}
