// Private to simulateEnsemble: its pool of Web Workers running the cpu twin
// on shards of paths (see _ensemble_worker.ts for the worker's side).
import { SdenoTypeError } from "../../kernels/errors.ts";
import {
  ensembleAccumulator,
  type EnsemblePlan,
  type EnsembleSums,
} from "../../kernels/sde_ensemble.ts";
import type { Sde } from "../../processes/sde.ts";
import type { SrkTableau } from "./srk_tableau.ts";
import { runShardsInOrder } from "../_shards_in_order.ts";

/** How a worker rebuilds an SDE: `(await import(module))[exportName](...args)`. */
export interface EnsembleWorkerModel {
  /** Module specifier or URL, e.g. `import.meta.resolve("./my_model.ts")`. */
  module: string | URL;
  /** Name of the exported factory function. */
  exportName: string;
  /** Its arguments (structured-cloneable), default none. */
  args?: readonly unknown[];
}

/**
 * Paths per worker shard, a multiple of 256 (any batching gives the same numbers): about 8
 * shards per worker, so that workers finish together even when one of them
 * is slowed down; at least ~2.6e5 path-steps, so that a shard outweighs its
 * message round trip, unless that would leave a worker idle; at most 64
 * batches and 16 MiB of states; and of near equal sizes.
 */
function shardPaths(n: number, workers: number, saves: number, d: number, steps: number): number {
  const batches = Math.ceil(n / 256);
  const byBalance = Math.ceil(batches / (8 * workers));
  const byWork = Math.ceil((1 << 18) / (256 * Math.max(1, steps)));
  const byMemory = Math.floor((1 << 21) / (256 * saves * d)); // 16 MiB of states
  const perWorker = Math.ceil(batches / workers);
  const per = Math.max(1, Math.min(64, byMemory, Math.max(byBalance, Math.min(byWork, perWorker))));
  return 256 * Math.ceil(batches / Math.ceil(batches / per));
}

/** How long a pooled worker may sit idle before it is terminated, in ms. */
const WORKER_IDLE_MS = 1000;

/** A worker of the pool: the key of the model it holds, and whether a call has it. */
interface PooledWorker {
  worker: Worker;
  /** JSON of the workerModel it last built (undefined: none or not reusable). */
  key: string | undefined;
  busy: boolean;
  /** closeEnsembleWorkers() came while it was busy: terminate it when released. */
  doomed: boolean;
}

const pool: PooledWorker[] = [];
let workersStarted = 0;

/** Terminates a pooled worker and drops it from the pool. */
function discardWorker(p: PooledWorker): void {
  p.worker.terminate();
  const i = pool.indexOf(p);
  if (i >= 0) pool.splice(i, 1);
}

/** Between calls: a worker idle for WORKER_IDLE_MS says so, and is terminated. */
function parkWorker(p: PooledWorker): void {
  p.busy = false;
  p.worker.onmessage = (e) => {
    if (!p.busy && e.data?.type === "idle") discardWorker(p);
  };
  p.worker.onerror = (e) => {
    e.preventDefault();
    if (!p.busy) discardWorker(p);
  };
}

/** Takes `count` idle workers, those holding model `key` first, starting new ones as needed. */
function leaseWorkers(count: number, key: string | undefined): PooledWorker[] {
  const out: PooledWorker[] = [];
  for (const pass of [0, 1]) {
    for (const p of pool) {
      if (out.length < count && !p.busy && (pass === 1 || (key !== undefined && p.key === key))) {
        p.busy = true;
        out.push(p);
      }
    }
  }
  const url = new URL("./_ensemble_worker.ts", import.meta.url).href;
  while (out.length < count) {
    const p: PooledWorker = {
      worker: new Worker(url, { type: "module" }),
      key: undefined,
      busy: true,
      doomed: false,
    };
    workersStarted++;
    pool.push(p);
    out.push(p);
  }
  return out;
}

/**
 * Terminates the Web Workers that {@linkcode simulateEnsemble} keeps between
 * calls with `workers > 1` (workers busy in a running call are terminated
 * when that call ends). Idle workers also terminate on their own after a
 * second, so a program ends without this call, only up to a second later;
 * call it when you are done, e.g. at the end of a script or test.
 *
 * @example At the end of a script
 * ```ts
 * import { closeEnsembleWorkers } from "./ensemble.ts";
 * closeEnsembleWorkers(); // safe to call at any time, also with no pool
 * ```
 */
export function closeEnsembleWorkers(): void {
  for (const p of [...pool]) {
    if (p.busy) p.doomed = true;
    else discardWorker(p);
  }
}

/**
 * The worker pool, for tests: how many workers it holds, how many were busy,
 * the model keys they hold, and how many workers were started in all.
 *
 * @returns a snapshot of the pool
 */
export function ensembleWorkerPool(): {
  size: number;
  busy: number;
  keys: Array<string | undefined>;
  started: number;
} {
  return {
    size: pool.length,
    busy: pool.filter((p) => p.busy).length,
    keys: pool.map((p) => p.key),
    started: workersStarted,
  };
}

/**
 * The pool key of a workerModel: JSON that tells apart every structured-
 * cloneable argument list it accepts (numbers like -0 and NaN, undefined,
 * bigints and typed arrays tagged), or undefined when an argument has no such
 * form (a Map, a Date, a class instance…), and the model is then rebuilt.
 */
function workerModelKey(spec: EnsembleWorkerModel): string | undefined {
  let faithful = true;
  const json = JSON.stringify(
    [String(spec.module), spec.exportName, spec.args ?? []],
    function (this: unknown, k: string, v: unknown) {
      // JSON.stringify calls toJSON before the replacer: look at the raw value
      const raw = k === "" ? v : (this as Record<string, unknown>)[k];
      if (raw === undefined) return { $u: 1 };
      if (typeof raw === "number") {
        return Number.isFinite(raw) && !Object.is(raw, -0) ? raw : { $n: String(raw) };
      }
      if (typeof raw === "bigint") return { $b: String(raw) };
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return v;
      if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) {
        return { $t: raw.constructor.name, v: Array.from(raw as unknown as ArrayLike<number>) };
      }
      const proto = Object.getPrototypeOf(raw);
      if (proto !== Object.prototype && proto !== null) faithful = false;
      return v;
    },
  );
  return faithful ? json : undefined;
}

/** How a worker rebuilds the solver's ensemble step: the registered name, or the tableau. */
export interface WorkerSolver {
  /** The solver's name. */
  name: string;
  /** Its tableau, when it is one (then any tableau solver runs, registered or not). */
  tableau: SrkTableau | undefined;
}

/**
 * The cpu twin on `count` Web Workers of the pool: shards of whole 256-path
 * batches, handed out as workers become free; their states at every save are
 * added in path order, so the sums, histograms, kept and final states are
 * those of `sdeEnsembleCpu` bit for bit, and so is the first error. Workers
 * go back to the pool after a successful call and are terminated after a
 * failed one.
 */
export async function ensembleOnWorkers(
  sde: Sde,
  o: { plan: EnsemblePlan; count: number; spec: EnsembleWorkerModel; solver: WorkerSolver },
): Promise<EnsembleSums> {
  const { plan, count, spec, solver } = o;
  const what = `Cannot simulate the ensemble of "${sde.name}" on workers`;
  const d = sde.dim, n = plan.paths, S = plan.saveSteps.length, offset = plan.pathOffset ?? 0;
  const x0 = plan.x0, perPath = x0.length !== d;
  const C = shardPaths(n, count, S, d, plan.saveSteps[S - 1]!);
  const shards = Math.ceil(n / C);
  const used = Math.min(count, shards);
  const acc = ensembleAccumulator(d, plan);
  const key = workerModelKey(spec);
  const leased = leaseWorkers(used, key);
  const workers = leased.map((p) => p.worker);
  let ok = false;
  try {
    // (re)build the model in each worker if needed, and check it against this one on a probe
    const probeX = Array.from(perPath ? Array.prototype.slice.call(x0, 0, 2 * d) : x0);
    const pn = probeX.length / d;
    const gw = sde.noise === "diagonal" || sde.noise === "scalar" ? d : d * sde.noiseDim;
    const f = new Float64Array(pn * d), g = new Float64Array(pn * gw);
    sde.drift(plan.t0, Float64Array.from(probeX), f, pn);
    sde.diffusion(plan.t0, Float64Array.from(probeX), g, pn);
    const ready = [];
    for (const worker of workers) {
      ready.push(
        new Promise<Record<string, unknown>>((resolve, reject) => {
          worker.onmessage = (e) => {
            if (e.data?.type !== "idle") resolve(e.data);
          };
          worker.onerror = (e) => {
            e.preventDefault();
            reject(new SdenoTypeError(`${what}: the worker failed to start: ${e.message}`));
          };
        }),
      );
      worker.postMessage({
        type: "init",
        key: key ?? null,
        module: String(spec.module),
        export: spec.exportName,
        args: spec.args ?? [],
        probeX,
        t: plan.t0,
        idleMs: WORKER_IDLE_MS,
        solver,
      });
    }
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      a.length === b.length &&
      Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));
    for (const r of await Promise.all(ready)) {
      if (r.type === "error") {
        throw new SdenoTypeError(`${what}: workerModel failed in the worker: ${r.message}`);
      }
      if (
        r.dim !== d || r.noiseDim !== sde.noiseDim || r.noise !== sde.noise ||
        r.calculus !== sde.calculus || !same(r.drift as Float64Array, f) ||
        !same(r.diffusion as Float64Array, g)
      ) {
        throw new SdenoTypeError(
          `${what}: workerModel rebuilds "${r.name}", which differs from the SDE "${sde.name}" (shape or coefficients at x0)`,
        );
      }
    }
    for (const p of leased) p.key = key;
    // hand out shards; merge in order
    await runShardsInOrder(workers.slice(0, used), {
      what,
      shards,
      message(id) {
        const first = id * C, nc = Math.min(C, n - first);
        return {
          type: "run",
          id,
          plan: {
            x0: perPath
              ? Float64Array.prototype.slice.call(x0, first * d, (first + nc) * d)
              : Array.from(x0),
            paths: nc,
            pathOffset: offset + first,
            t0: plan.t0,
            dt: plan.dt,
            saveSteps: plan.saveSteps,
            key: { seed: plan.key.seed, stream: plan.key.stream },
            shift: Array.from(plan.shift),
            bins: 0,
            keep: 0,
            final: false,
          } satisfies Omit<EnsemblePlan, "step">,
        };
      },
      merge(id, r) {
        const first = id * C, nc = Math.min(C, n - first);
        const states = r.states as Float64Array;
        for (let s = 0; s < S; s++) {
          acc.add(states.subarray(s * nc * d), { paths: nc, first, save: s });
        }
        plan.onProgress?.(first + nc);
      },
    });
    ok = true;
    return acc.result();
  } finally {
    // every shard was merged, so every worker is idle again; after a failure some may
    // still be running shards whose replies would reach the next call: terminate them
    for (const p of leased) {
      if (ok && !p.doomed) parkWorker(p);
      else discardWorker(p);
    }
  }
}
