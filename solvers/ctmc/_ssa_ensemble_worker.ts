// Web Worker of ssaEnsemble on the cpu backend: rebuilds a mass-action
// network from its plain description (kept between calls, keyed by its JSON)
// and runs ranges of paths of the generated float64 direct method
// (_direct_loop.ts), posting back their counts at the save times, firings and
// absorption flags; the caller merges them in path order, so the results do
// not depend on how many workers ran them. Private.
//
// In: { type: "run", id, netKey, net, plan, start, count, what }.
// Out: { type: "paths", id, counts, steps, absorbed } (buffers transferred)
// or { type: "error", id, name, message, numerical? }.

import { ReactionNetwork } from "../../processes/reaction_network.ts";
import { _compile, type _Compiled } from "./_ssa_common.ts";
import { directPaths, type DirectPlan } from "./_direct_loop.ts";
import { NumericalError } from "../../kernels/errors.ts";
import type { WorkerNetwork } from "./_ssa_ensemble_cpu.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let held: { key: string; net: ReactionNetwork; k: _Compiled } | undefined;

function build(d: WorkerNetwork): ReactionNetwork {
  const side = (list: ReadonlyArray<readonly [number, number]>) =>
    Object.fromEntries(list.map(([i, c]) => [d.species[i]!, c]));
  return new ReactionNetwork({
    species: d.species.map((name, i) => ({ name, initial: d.initial[i]! })),
    reactions: d.reactions.map((r) => ({
      name: r.name,
      reactants: side(r.reactants),
      products: side(r.products),
      rate: r.rate,
    })),
    convention: d.convention,
  });
}

scope.onmessage = (e: MessageEvent) => {
  const msg = e.data;
  if (msg?.type !== "run") return;
  try {
    let h = held;
    if (h === undefined || h.key !== msg.netKey) {
      const built = build(msg.net as WorkerNetwork);
      h = held = { key: msg.netKey, net: built, k: _compile(built) };
    }
    const { net, k } = h;
    const p = msg.plan;
    const plan: DirectPlan = {
      tEnd: p.tEnd,
      saveTimes: Float64Array.from(p.saveTimes),
      key: p.key,
      pathOffset: p.pathOffset,
      x0: Float64Array.from(p.x0),
      maxSteps: p.maxSteps,
    };
    const r = directPaths(net, k, plan, { start: msg.start, count: msg.count }, msg.what);
    scope.postMessage(
      { type: "paths", id: msg.id, counts: r.counts, steps: r.steps, absorbed: r.absorbed },
      [
        r.counts.buffer as ArrayBuffer,
        r.steps.buffer as ArrayBuffer,
        r.absorbed.buffer as ArrayBuffer,
      ],
    );
  } catch (err) {
    const x = err instanceof Error ? err : new Error(String(err));
    scope.postMessage({
      type: "error",
      id: msg.id,
      name: x.name,
      message: x.message,
      numerical: err instanceof NumericalError
        ? { step: err.step, time: err.time, index: err.index }
        : undefined,
    });
  }
};
