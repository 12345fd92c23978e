/**
 * Web Worker of {@linkcode simulateEnsemble} on the cpu backend with
 * `workers > 1`: rebuilds the SDE from `workerModel` (a module, an export and
 * its arguments), then runs shards of paths with the float64 twin and posts
 * back their states at every save; the caller adds them up in path order.
 *
 * The worker lives in a pool and serves call after call: `init` rebuilds the
 * model only when its `key` (the JSON of the workerModel spec, or null when
 * the spec has no faithful JSON) differs from the model it holds, and
 * evaluates the probe every time. After each reply it arms a timer of
 * `idleMs`; when that fires with no new message it posts `{ type: "idle" }`,
 * and the host terminates it if it is still idle in the pool.
 *
 * The solver's ensemble step is rebuilt in the worker from `solver`: a
 * tableau's step is generated from the tableau (any tableau solver runs), a
 * solver with a declared step is looked up by name in the registry.
 *
 * Messages in: `{ type: "init", key, module, export, args, probeX, t, idleMs, solver }`,
 * then `{ type: "run", id, plan }`. Messages out: `{ type: "ready", … probe }`,
 * `{ type: "states", id, states }` (transferred), `{ type: "error", id?, … }`
 * or `{ type: "idle" }`.
 *
 * @module
 */

import {
  type EnsembleModel,
  type EnsembleStep,
  sdeEnsembleStates,
} from "../../kernels/sde_ensemble.ts";
import { NumericalError } from "../../kernels/errors.ts";
import { sdeSolvers } from "./registry.ts";
import { srkEnsembleStep } from "./_srk_ensemble.ts";
import type { WorkerSolver } from "./_ensemble_workers.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let model: EnsembleModel | undefined;
let modelKey: string | null = null;
let step: EnsembleStep | undefined;

/** The ensemble step of the solver described by the host, for the model. */
function stepOf(solver: WorkerSolver, m: EnsembleModel): EnsembleStep {
  if (solver.tableau) return srkEnsembleStep(solver.tableau, { name: solver.name, model: m });
  const make = sdeSolvers.get(solver.name).ensembleStep;
  if (!make) throw new TypeError(`solver "${solver.name}" has no ensemble step`);
  return make(m);
}
let idleMs = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Posts a reply and arms the idle timer. */
function reply(message: unknown, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
  if (idleMs > 0) idleTimer = setTimeout(() => scope.postMessage({ type: "idle" }), idleMs);
}

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
  clearTimeout(idleTimer);
  if (msg.type === "init") {
    idleMs = Number(msg.idleMs) || 0;
    try {
      if (!model || msg.key === null || msg.key !== modelKey) {
        model = undefined;
        modelKey = null;
        const mod = await import(String(msg.module));
        const factory = mod[msg.export];
        if (typeof factory !== "function") {
          throw new TypeError(`${msg.module} has no function export "${msg.export}"`);
        }
        model = (await factory(...(msg.args ?? []))) as EnsembleModel;
        modelKey = msg.key;
      }
      const m = model;
      step = stepOf(msg.solver as WorkerSolver, m);
      const x = Float64Array.from(msg.probeX as number[]);
      const n = x.length / m.dim;
      const gw = m.noise === "diagonal" || m.noise === "scalar" ? m.dim : m.dim * m.noiseDim;
      const f = new Float64Array(n * m.dim), g = new Float64Array(n * gw);
      m.drift(msg.t, x, f, n);
      m.diffusion(msg.t, x, g, n);
      reply({
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
      reply(errorMessage(err, undefined));
    }
  } else if (msg.type === "run") {
    try {
      const states = sdeEnsembleStates(model!, { ...msg.plan, step: step! });
      reply({ type: "states", id: msg.id, states }, [states.buffer as ArrayBuffer]);
    } catch (err) {
      reply(errorMessage(err, msg.id));
    }
  }
};
