/**
 * Web Worker of {@linkcode simulateEnsemble} on the cpu backend with
 * `workers > 1`: rebuilds the SDE from `workerModel` (a module, an export and
 * its arguments), then runs shards of paths with the float64 twin and posts
 * back their states at every save; the caller adds them up in path order.
 *
 * Messages in: `{ type: "init", module, export, args, probeX, t }`, then
 * `{ type: "run", id, plan }`. Messages out: `{ type: "ready", … probe }`,
 * `{ type: "states", id, states }` (transferred) or `{ type: "error", id?, … }`.
 *
 * @module
 */

import { _sdeEnsembleStates, type EnsembleModel } from "../../kernels/sde_ensemble.ts";
import { NumericalError } from "../../kernels/errors.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let model: EnsembleModel | undefined;

function errorMessage(err: unknown, id: number | undefined): Record<string, unknown> {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    type: "error",
    id,
    name: e.name,
    message: e.message,
    numerical: err instanceof NumericalError
      ? { step: err.step, time: err.time, index: err.index }
      : undefined,
  };
}

scope.onmessage = async (e: MessageEvent) => {
  const msg = e.data;
  if (msg.type === "init") {
    try {
      const mod = await import(String(msg.module));
      const factory = mod[msg.export];
      if (typeof factory !== "function") {
        throw new TypeError(`${msg.module} has no function export "${msg.export}"`);
      }
      const m = (await factory(...(msg.args ?? []))) as EnsembleModel;
      model = m;
      const x = Float64Array.from(msg.probeX as number[]);
      const n = x.length / m.dim;
      const gw = m.noise === "diagonal" || m.noise === "scalar" ? m.dim : m.dim * m.noiseDim;
      const f = new Float64Array(n * m.dim), g = new Float64Array(n * gw);
      m.drift(msg.t, x, f, n);
      m.diffusion(msg.t, x, g, n);
      scope.postMessage({
        type: "ready",
        name: m.name,
        dim: m.dim,
        noiseDim: m.noiseDim,
        noise: m.noise,
        calculus: m.calculus,
        drift: f,
        diffusion: g,
      });
    } catch (err) {
      scope.postMessage(errorMessage(err, undefined));
    }
  } else if (msg.type === "run") {
    try {
      const states = _sdeEnsembleStates(model!, msg.plan);
      scope.postMessage({ type: "states", id: msg.id, states }, [states.buffer as ArrayBuffer]);
    } catch (err) {
      scope.postMessage(errorMessage(err, msg.id));
    }
  }
};
