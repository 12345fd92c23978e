// One way to run an ensemble's shards on Web Workers, shared by the SDE ensembles (float64 twin
// and fused float32 kernel) and the SSA ensemble: shards are handed out in increasing order as
// workers become free, and replies are merged strictly in shard order, so the merged result and
// the first error (in path order) do not depend on the number of workers or on timing. Private:
// no mod.ts re-exports this file.

import { NumericalError, SdenoTypeError } from "../kernels/errors.ts";

/** What a worker sends back for a shard: `{ id, type, … }`; `type: "error"` carries the error. */
export type ShardReply = Record<string, unknown> & { id: number; type?: unknown };

/** What {@linkcode runShardsInOrder} needs. */
export interface ShardsInOrder {
  /** Error prefix, e.g. "Cannot simulate the ensemble on workers". */
  what: string;
  /** Number of shards, ids 0 … shards − 1. */
  shards: number;
  /** The message that makes a worker run shard `id`. */
  message(id: number): unknown;
  /** Merges the reply of shard `id`; called in increasing `id` order. */
  merge(id: number, reply: ShardReply): void;
}

/**
 * Runs every shard on `workers` and merges the replies in shard order. A
 * worker's message without a numeric `id` (an idle notice) is ignored; a
 * reply of type "error" becomes a `NumericalError` (with its `numerical`
 * step, time and index) or an `SdenoTypeError`, thrown when its turn to be
 * merged comes. A worker that replied with an error gets no further shard.
 *
 * @param workers the leased workers (their `onmessage` and `onerror` are set)
 * @param run the shards, their messages and the merge
 * @returns when every shard is merged
 */
export function runShardsInOrder(workers: readonly Worker[], run: ShardsInOrder): Promise<void> {
  const { what, shards } = run;
  return new Promise<void>((resolve, reject) => {
    if (shards === 0) return resolve();
    const results = new Map<number, ShardReply>();
    let next = 0, merged = 0, done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err === undefined) resolve();
      else reject(err);
    };
    const send = (w: Worker) => {
      if (next < shards) w.postMessage(run.message(next++));
    };
    for (const w of workers) {
      w.onmessage = (e: MessageEvent) => {
        const r = e.data as ShardReply | undefined;
        if (done || typeof r?.id !== "number") return;
        results.set(r.id, r);
        try {
          for (let m = results.get(merged); m !== undefined; m = results.get(merged)) {
            results.delete(merged);
            if (m.type === "error") throw replyError(what, m);
            run.merge(merged, m);
            merged++;
          }
        } catch (err) {
          return finish(err);
        }
        if (merged === shards) finish();
        else if (r.type !== "error") send(w);
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        finish(new SdenoTypeError(`${what}: a worker failed: ${e.message}`));
      };
      send(w);
    }
  });
}

function replyError(what: string, r: ShardReply): Error {
  const message = String(r.message);
  const num = r.numerical as { step: number; time: number; index: number } | undefined;
  if (num) return new NumericalError(message, num);
  // the SSA worker's messages already carry the caller's prefix
  return new SdenoTypeError(message.startsWith(what) ? message : `${what}: ${message}`);
}
