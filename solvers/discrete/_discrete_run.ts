/**
 * Private: what the sampler and the exact kernels share — the checked
 * inputs of a run, and the table of per-position step probabilities of a
 * batch (one model call, the conversion to what the method reads, the
 * method's rule, and a check that every row is a probability vector).
 */

import { NumericalError, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type {
  DiscreteMethod,
  DiscreteRunOptions,
  DiscreteStepContext,
  RemaskOptions,
} from "./discrete_method.ts";
import { type DiscreteModel, evaluateChecked } from "./discrete_model.ts";
import { ratiosFromX0, x0FromRatios } from "./convert_discrete_model.ts";
import { checkDiscreteGrid, uniformDiscreteGrid } from "./discrete_time_grid.ts";
import { DISCRETE_METHODS } from "./registry.ts";

/** A checked run. */
export interface DiscreteRun {
  readonly what: string;
  readonly method: DiscreteMethod;
  readonly model: DiscreteModel;
  readonly grid: Float64Array;
  readonly remask: Required<RemaskOptions>;
}

/** Checks the method, the model and the grid before any work. */
export function resolveRun(
  what: string,
  method: DiscreteMethod | string,
  model: DiscreteModel,
  options: DiscreteRunOptions,
): DiscreteRun {
  const m = typeof method === "string" ? DISCRETE_METHODS.get(method) : method;
  if (m === null || typeof m !== "object" || typeof m.rule !== "function" || !m.info) {
    throw new SdenoTypeError(
      `${what}: method must be a DiscreteMethod or a name, got ${quote(method)}`,
    );
  }
  if (
    model === null || typeof model !== "object" || typeof model.evaluate !== "function" ||
    model.process === null || typeof model.process !== "object" ||
    !Number.isInteger(model.length) || model.length < 1 ||
    (model.output !== "ratios" && model.output !== "x0")
  ) {
    throw new SdenoTypeError(
      `${what}: model must be a DiscreteModel { process, length, output, evaluate }, got ${
        quote(model)
      }`,
    );
  }
  const kind = model.process.kind;
  if (!m.info.processes.includes(kind)) {
    throw new SdenoRangeError(
      `${what}: ${m.info.name} applies to the ${m.info.processes.join(" and ")} process, not ${
        quote(kind)
      }`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  const tMax = model.process.schedule.tMax;
  let grid: Float64Array;
  if (options.grid !== undefined) {
    if (options.steps !== undefined) {
      throw new SdenoTypeError(`${what}: give steps or grid, not both`);
    }
    grid = checkDiscreteGrid(what, options.grid, tMax);
  } else if (options.steps !== undefined) {
    if (
      typeof options.steps !== "number" || !Number.isInteger(options.steps) || options.steps < 1
    ) {
      throw new SdenoRangeError(
        `${what}: steps must be an integer >= 1, got ${quote(options.steps)}`,
      );
    }
    grid = uniformDiscreteGrid(options.steps, tMax, 0);
  } else {
    throw new SdenoTypeError(`${what}: give steps (an integer >= 1) or grid`);
  }
  const schedule = options.remask?.schedule ?? "cap";
  const eta = options.remask?.eta ?? 0.008;
  if (schedule !== "cap" && schedule !== "rescale") {
    throw new SdenoRangeError(
      `${what}: remask.schedule must be "cap" or "rescale", got ${quote(schedule)}`,
    );
  }
  if (typeof eta !== "number" || !(eta >= 0 && eta <= 1)) {
    throw new SdenoRangeError(`${what}: remask.eta must be in [0, 1], got ${quote(eta)}`);
  }
  return { what, method: m, model, grid, remask: { schedule, eta } };
}

/** Checks a batch of sequences: an Int32Array of n·L states in [0, S). */
export function checkSequences(
  what: string,
  name: string,
  z: Int32Array,
  model: DiscreteModel,
): number {
  const L = model.length, S = model.process.states;
  if (!(z instanceof Int32Array) || z.length % L !== 0) {
    throw new SdenoTypeError(
      `${what}: ${name} must be an Int32Array of n·L states (L = ${L}), got ${
        z instanceof Int32Array ? `length ${z.length}` : quote(z)
      }`,
    );
  }
  for (let k = 0; k < z.length; k++) {
    const c = z[k]!;
    if (c < 0 || c >= S) {
      throw new SdenoRangeError(
        `${what}: ${name} has symbol ${c} at sequence ${Math.floor(k / L)}, position ${
          k % L
        }, outside the ${model.process.kind} alphabet [0, ${S})`,
      );
    }
  }
  return z.length / L;
}

/** The model's output for a batch, as the method reads it; x0 rows normalised. */
async function modelRows(
  run: DiscreteRun,
  z: Int32Array,
  t: number,
  step: number,
  needs: "ratios" | "x0",
): Promise<Float64Array> {
  const { model, what } = run;
  const raw = await evaluateChecked(model, z, t, { what, step });
  const p = model.process;
  let rows = raw;
  if (model.output !== needs) {
    rows = needs === "x0" ? x0FromRatios(p, z, raw, t) : ratiosFromX0(p, z, raw, t);
  }
  if (needs === "x0") {
    const V = p.vocabSize;
    for (let r = 0; r < z.length; r++) {
      if (p.kind === "masked" && z[r] !== p.mask) continue;
      let sum = 0;
      for (let b = 0; b < V; b++) sum += rows[r * V + b]!;
      if (!(sum > 0) || !Number.isFinite(sum)) {
        throw new NumericalError(
          `${what}: the x0 conditionals of sequence ${Math.floor(r / model.length)}, position ${
            r % model.length
          } sum to ${sum} (step ${step}, t = ${t}); expected a positive sum`,
          { step, time: t, index: r },
        );
      }
      if (sum !== 1) { for (let b = 0; b < V; b++) rows[r * V + b]! /= sum; }
    }
  }
  return rows;
}

/** The step context of step k (grid[k] → grid[k+1]). */
export function stepContext(run: DiscreteRun, k: number): DiscreteStepContext {
  const process = run.model.process, sc = process.schedule;
  const t = run.grid[k]!, s = run.grid[k + 1]!;
  return {
    process,
    t,
    s,
    h: t - s,
    sigma: sc.sigma(t),
    alphaT: sc.alpha(t),
    alphaS: s === 0 ? 1 : sc.alpha(s),
    remask: run.remask,
  };
}

/** Per-position probabilities of step k for the batch z: n·L·S. */
export async function stepTable(run: DiscreteRun, z: Int32Array, k: number): Promise<Float64Array> {
  const ctx = stepContext(run, k);
  const rows = await modelRows(run, z, ctx.t, k, run.method.info.needs);
  const S = run.model.process.states, V = run.model.process.vocabSize;
  const out = new Float64Array(z.length * S);
  for (let r = 0; r < z.length; r++) run.method.rule(out, r * S, z[r]!, rows, r * V, ctx);
  checkTable(run, out, z.length, k, ctx.t);
  return out;
}

/** The final denoise after the last step: MASKs drawn from x0 at the last left time. */
export async function finalDenoiseTable(run: DiscreteRun, z: Int32Array): Promise<Float64Array> {
  const steps = run.grid.length - 1;
  const t = run.grid[steps - 1]!;
  const p = run.model.process, S = p.states, V = p.vocabSize;
  const rows = await modelRows(run, z, t, steps, "x0");
  const out = new Float64Array(z.length * S);
  for (let r = 0; r < z.length; r++) {
    if (z[r] === p.mask) { for (let b = 0; b < V; b++) out[r * S + b] = rows[r * V + b]!; }
    else out[r * S + z[r]!] = 1;
  }
  checkTable(run, out, z.length, steps, t);
  return out;
}

function checkTable(
  run: DiscreteRun,
  out: Float64Array,
  rows: number,
  step: number,
  t: number,
): void {
  const S = run.model.process.states, L = run.model.length;
  for (let r = 0; r < rows; r++) {
    let sum = 0, ok = true;
    for (let c = 0; c < S; c++) {
      const v = out[r * S + c]!;
      if (!(v >= -1e-12) || !Number.isFinite(v)) ok = false;
      sum += v;
    }
    if (!ok || !(Math.abs(sum - 1) <= 1e-9)) {
      throw new NumericalError(
        `${run.what}: ${run.method.info.name}'s step probabilities at sequence ${
          Math.floor(r / L)
        }, position ${r % L} are not a probability vector (sum ${sum}; step ${step}, t = ${t}): ${
          quote([...out.subarray(r * S, r * S + S)])
        }`,
        { step, time: t, index: r },
      );
    }
  }
}
