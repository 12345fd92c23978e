/**
 * Web Worker of {@linkcode simulateEnsemble} with `precision: "f32"` and `workers > 1`: runs
 * shards of paths with the fused float32 kernel (solvers/sde/_ensemble_f32.ts) and posts back
 * their states at every save; the host adds them up in path order. The model travels as its
 * declared form (plain data), so no module is rebuilt here.
 *
 * Messages in: `{ type: "run", id, form, plan, idleMs }`. Messages out: `{ type: "states", id,
 * states }` (transferred), `{ type: "error", id, message, numerical? }`, or `{ type: "idle" }`
 * after `idleMs` without a message.
 *
 * @module
 */

import { NumericalError } from "../../kernels/errors.ts";
import { type F32Form, type F32Plan, sdeEnsembleF32States } from "./_ensemble_f32.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

scope.onmessage = (e: MessageEvent) => {
  clearTimeout(idleTimer);
  const { id, form, plan, idleMs } = e.data as {
    id: number;
    form: F32Form;
    plan: F32Plan;
    idleMs: number;
  };
  try {
    const states = sdeEnsembleF32States(form, plan);
    scope.postMessage({ type: "states", id, states }, [states.buffer as ArrayBuffer]);
  } catch (err) {
    scope.postMessage({
      type: "error",
      id,
      message: err instanceof Error ? err.message : String(err),
      numerical: err instanceof NumericalError
        ? { step: err.step, time: err.time, index: err.index }
        : undefined,
    });
  }
  idleTimer = setTimeout(() => scope.postMessage({ type: "idle" }), idleMs);
};
