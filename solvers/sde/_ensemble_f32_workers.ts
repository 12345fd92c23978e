// Private to simulateEnsemble (precision "f32", workers > 1): a pool of Web Workers running the
// fused float32 kernel on shards of paths (see _ensemble_f32_worker.ts for the worker's side).
// Every draw is keyed by the global path index and the host adds the shards' states in path
// order, so the result is that of one thread bit for bit.

import {
  ensembleAccumulator,
  type EnsemblePlan,
  type EnsembleSums,
} from "../../kernels/sde_ensemble.ts";
import type { F32Form, F32Plan } from "./_ensemble_f32.ts";
import { runShardsInOrder } from "../_shards_in_order.ts";

/** How long a pooled worker may sit idle before it is terminated, in ms. */
const IDLE_MS = 1000;

interface Pooled {
  worker: Worker;
  busy: boolean;
}

const pool: Pooled[] = [];

function discard(p: Pooled): void {
  p.worker.terminate();
  const i = pool.indexOf(p);
  if (i >= 0) pool.splice(i, 1);
}

function park(p: Pooled): void {
  p.busy = false;
  p.worker.onmessage = (e) => {
    if (!p.busy && e.data?.type === "idle") discard(p);
  };
  p.worker.onerror = (e) => {
    e.preventDefault();
    if (!p.busy) discard(p);
  };
}

function lease(count: number): Pooled[] {
  const out = pool.filter((p) => !p.busy).slice(0, count);
  const url = new URL("./_ensemble_f32_worker.ts", import.meta.url).href;
  while (out.length < count) {
    const p = { worker: new Worker(url, { type: "module" }), busy: true };
    pool.push(p);
    out.push(p);
  }
  for (const p of out) p.busy = true;
  return out;
}

/** Terminates the idle workers of the f32 pool (busy ones end with their call). */
export function closeF32Workers(): void {
  for (const p of [...pool]) if (!p.busy) discard(p);
}

/**
 * The fused f32 ensemble on `count` workers: shards of whole 256-path tiles (about 8 per worker,
 * at least 1024 paths), handed out as workers become free and merged in path order.
 */
export async function ensembleF32OnWorkers(
  form: F32Form,
  plan: EnsemblePlan,
  count: number,
): Promise<EnsembleSums> {
  const what = "Cannot simulate the ensemble on workers";
  const d = form.dim, n = plan.paths, S = plan.saveSteps.length, offset = plan.pathOffset ?? 0;
  const C = Math.max(1024, 256 * Math.ceil(n / (8 * count * 256)));
  const shards = Math.ceil(n / C), used = Math.min(count, shards);
  const perPath = plan.x0.length !== d;
  const acc = ensembleAccumulator(d, plan);
  const leased = lease(used);
  const message = (id: number) => {
    const first = id * C, nc = Math.min(C, n - first);
    const shard: F32Plan = {
      x0: perPath
        ? Float64Array.prototype.slice.call(plan.x0, first * d, (first + nc) * d)
        : Array.from(plan.x0),
      paths: nc,
      pathOffset: offset + first,
      t0: plan.t0,
      dt: plan.dt,
      saveSteps: plan.saveSteps,
      key: { seed: plan.key.seed, stream: plan.key.stream },
    };
    return { id, form, plan: shard, idleMs: IDLE_MS };
  };
  let ok = false;
  try {
    await runShardsInOrder(leased.map((p) => p.worker), {
      what,
      shards,
      message,
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
    for (const p of leased) ok ? park(p) : discard(p);
  }
}
