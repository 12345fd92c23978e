// The cpu backend of ssaEnsemble: the generated float64 direct method
// (_direct_loop.ts, the loop behind ssaDirect) per path, in this thread and
// over a pool of Web Workers, with the statistics the GPU kernel keeps
// (integer sums of x and x² per batch of paths, a histogram, firings, the
// counts if asked). Path p of a run draws with counter word pathOffset + p,
// as ssaDirect's path p, so its counts are ssaDirect's; results are merged in
// path order, so they do not depend on the number of workers or how paths
// were split among them. Private: no mod.ts re-exports this file.

import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import { SdenoRangeError } from "../../kernels/errors.ts";
import { SSA_BATCHES, type SsaHistogramPlan } from "../../kernels/ssa_ensemble.ts";
import { _compile } from "./_ssa_common.ts";
import { directPaths, type DirectPathsResult, type DirectPlan } from "./_direct_loop.ts";
import { WorkerPool, workersAllowed } from "./_worker_pool.ts";
import { runShardsInOrder } from "../_shards_in_order.ts";

/** A mass-action network as plain data a worker rebuilds it from. */
export interface WorkerNetwork {
  species: string[];
  initial: number[];
  convention: "combinatorial" | "gillespy2";
  reactions: Array<{
    name: string;
    reactants: Array<readonly [number, number]>;
    products: Array<readonly [number, number]>;
    rate: number;
  }>;
}

/** What the cpu ensemble needs (already checked). */
export interface CpuEnsemblePlan extends DirectPlan {
  paths: number;
  histogram: SsaHistogramPlan | undefined;
  record: boolean;
  /** Threads to use in all (1: this thread only). */
  workers: number;
  onProgress: ((done: number) => void) | undefined;
}

/** The cpu ensemble's sums, in the form of the kernel's. */
export interface CpuEnsembleSums {
  paths: number;
  cells: number;
  sum: Float64Array;
  sumSq: Float64Array;
  batchPaths: Float64Array;
  steps: number;
  stepsSq: number;
  absorbed: number;
  histogram: Float64Array | undefined;
  counts: Float64Array | undefined;
  /** Worker threads that ran paths (0: this thread only). */
  workers: number;
}

/** When the pool is used (tests shrink these to send small runs to workers). */
const tuning = {
  /** In-thread work before deciding on workers, ms. */
  pilotMs: 40,
  /** The same when started workers are parked in the pool, ms (at most pilotMs). */
  pilotWarmMs: 5,
  /**
   * Workers start only for at least this much work left, in s of one thread
   * (starting two costs about 80 ms here, their modules loaded).
   */
  minParallelS: 0.1,
  /** The same when started workers are parked in the pool, s (at most minParallelS). */
  minWarmS: 0.02,
  /** Work per shard sent to a worker, s. */
  shardS: 0.08,
};

/**
 * Sets the thresholds of the pool, for tests; returns the previous ones.
 *
 * @param t pilot time (ms), least work for workers (s), work per shard (s)
 * @returns the previous settings
 */
export function setCpuEnsembleTuning(t: Partial<typeof tuning>): typeof tuning {
  const before = { ...tuning };
  Object.assign(tuning, t);
  return before;
}

const pool = new WorkerPool(new URL("./_ssa_ensemble_worker.ts", import.meta.url).href);

/**
 * Terminates the pooled workers of the cpu ensemble now (busy ones when
 * their call ends).
 */
export function closeCpuEnsembleWorkers(): void {
  pool.close();
}

/** The pool's counters, for tests. */
export function cpuEnsembleWorkerStats(): { started: number; idle: number; busy: number } {
  return pool.stats;
}

/** Sums in path order. */
class Accumulator {
  readonly out: CpuEnsembleSums;
  readonly #ns: number;
  readonly #nSave: number;
  readonly #h: SsaHistogramPlan | undefined;
  next = 0;

  constructor(plan: CpuEnsemblePlan, ns: number, what: string) {
    const nSave = plan.saveTimes.length, cells = nSave * ns;
    let counts: Float64Array | undefined;
    if (plan.record) {
      try {
        counts = new Float64Array(plan.paths * cells);
      } catch {
        throw new SdenoRangeError(
          `${what}: counts needs ${plan.paths * cells * 8} bytes (paths × saves × species × 8), ` +
            `more than this machine gives; keep the moments and a histogram instead`,
        );
      }
    }
    const h = plan.histogram;
    this.out = {
      paths: plan.paths,
      cells,
      sum: new Float64Array(SSA_BATCHES * cells),
      sumSq: new Float64Array(SSA_BATCHES * cells),
      batchPaths: new Float64Array(SSA_BATCHES),
      steps: 0,
      stepsSq: 0,
      absorbed: 0,
      histogram: h ? new Float64Array(nSave * (h.bins + 2)) : undefined,
      counts,
      workers: 0,
    };
    this.#ns = ns;
    this.#nSave = nSave;
    this.#h = h;
  }

  /** Adds paths `start …` (which must be the next ones). */
  add(start: number, r: DirectPathsResult): void {
    if (start !== this.next) throw new Error(`paths merged out of order: ${start} ≠ ${this.next}`);
    const o = this.out, ns = this.#ns, nSave = this.#nSave, h = this.#h, cells = o.cells;
    const n = r.steps.length;
    for (let q = 0; q < n; q++) {
      const p = start + q;
      const batch = (p >>> 6) % SSA_BATCHES;
      o.batchPaths[batch]! += 1;
      const base = q * cells, cb = batch * cells;
      for (let c = 0; c < cells; c++) {
        const v = r.counts[base + c]!;
        o.sum[cb + c]! += v;
        o.sumSq[cb + c]! += v * v;
      }
      if (h && o.histogram) {
        for (let s = 0; s < nSave; s++) {
          const d = r.counts[base + s * ns + h.species]! - h.lo;
          const b = d < 0 ? 0 : Math.min(Math.floor(d / h.width), h.bins) + 1;
          o.histogram[s * (h.bins + 2) + b]! += 1;
        }
      }
      const m = r.steps[q]!;
      o.steps += m;
      o.stepsSq += m * m;
      o.absorbed += r.absorbed[q]!;
    }
    o.counts?.set(r.counts, start * cells);
    this.next = start + n;
  }
}

/** The network as plain data, or undefined when a propensity is code (it stays in this thread). */
function workerNetwork(net: ReactionNetwork): WorkerNetwork | undefined {
  if (net.reactions.some((r) => r.custom !== undefined)) return undefined;
  return {
    species: [...net.species],
    initial: [...net.initial],
    convention: net.convention,
    reactions: net.reactions.map((r) => ({
      name: r.name,
      reactants: r.reactants.map(([i, c]) => [i, c] as const),
      products: r.products.map(([i, c]) => [i, c] as const),
      rate: r.rate,
    })),
  };
}

/**
 * Runs the ensemble: a pilot in this thread, then, when enough work is left
 * and workers may start, the rest over the pool.
 *
 * @param net the network
 * @param plan times, key, paths, histogram, workers
 * @param what the prefix of errors
 * @returns the sums
 * @throws {NumericalError} at the first path (in path order) that fails
 */
export async function ssaEnsembleF64(
  net: ReactionNetwork,
  plan: CpuEnsemblePlan,
  what: string,
): Promise<CpuEnsembleSums> {
  const k = _compile(net);
  const acc = new Accumulator(plan, k.ns, what);
  const n = plan.paths;
  const here = (count: number) => {
    const start = acc.next;
    acc.add(start, directPaths(net, k, plan, { start, count }, what));
    plan.onProgress?.(acc.next);
  };
  // pilot: doubling shards in this thread; parked workers make a short one enough
  const warm = pool.stats.idle > 0;
  const pilotMs = warm ? Math.min(tuning.pilotWarmMs, tuning.pilotMs) : tuning.pilotMs;
  const minS = warm ? Math.min(tuning.minWarmS, tuning.minParallelS) : tuning.minParallelS;
  const t0 = performance.now();
  let size = 64;
  do {
    here(Math.min(size, n - acc.next));
    size *= 2;
  } while (acc.next < n && performance.now() - t0 < pilotMs);
  if (acc.next >= n) return acc.out;
  // s per path on one thread (at least a microsecond: a clock may be coarse)
  const perPath = Math.max(1e-6, (performance.now() - t0) / 1000 / acc.next);
  const left = n - acc.next;
  const spec = plan.workers > 1 ? workerNetwork(net) : undefined;
  const root = new URL("../../", import.meta.url);
  if (
    spec === undefined || left * perPath < minS ||
    !workersAllowed(root, ["kernels/", "processes/", "solvers/"])
  ) {
    const shard = Math.max(64, Math.round(0.1 / perPath));
    while (acc.next < n) here(Math.min(shard, n - acc.next));
    return acc.out;
  }
  await onWorkers(plan, spec, acc, perPath, what);
  return acc.out;
}

async function onWorkers(
  plan: CpuEnsemblePlan,
  spec: WorkerNetwork,
  acc: Accumulator,
  perPath: number,
  what: string,
): Promise<void> {
  const n = plan.paths;
  const first = acc.next, left = n - first;
  const shard = Math.max(
    64,
    Math.min(Math.round(tuning.shardS / perPath), Math.ceil(left / (4 * plan.workers))),
  );
  const shards = Math.ceil(left / shard);
  const used = Math.min(plan.workers, shards);
  const workers = pool.lease(used);
  acc.out.workers = used;
  const netKey = JSON.stringify(spec);
  const message = {
    type: "run",
    netKey,
    net: spec,
    plan: {
      tEnd: plan.tEnd,
      saveTimes: [...plan.saveTimes],
      key: plan.key,
      pathOffset: plan.pathOffset,
      x0: [...plan.x0],
      maxSteps: plan.maxSteps,
    },
    what,
  };
  let ok = false;
  try {
    await runShardsInOrder(workers, {
      what,
      shards,
      message(id) {
        const start = first + id * shard;
        return { ...message, id, start, count: Math.min(shard, n - start) };
      },
      merge(id, r) {
        const paths = r as unknown as DirectPathsResult;
        acc.add(first + id * shard, {
          counts: paths.counts,
          steps: paths.steps,
          absorbed: paths.absorbed,
        });
        plan.onProgress?.(acc.next);
      },
    });
    ok = true;
  } finally {
    pool.release(workers, ok);
  }
}
