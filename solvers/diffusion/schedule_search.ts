/**
 * Solver-schedule search: for a budget of NFE model evaluations, choose the
 * time steps and the order of every step of multistep DPM-Solver++
 * ({@linkcode multistepWithOrders}) that minimise the error against an
 * accurate solution of the probability-flow ODE on a small set of
 * validation draws — the search of the unified sampling framework (USF: Liu
 * et al., "A Unified Sampling Framework for Solver Searching of Diffusion
 * Probabilistic Models", ICLR 2024, arXiv 2312.07243, §4: the time steps and
 * per-step orders of a multistep exponential integrator, scored on a few
 * samples against a high-accuracy reference). USF searches with a
 * predictor of the result and evolutionary moves; here the
 * budget is small enough (NFE ≤ ~10, tens of draws) to evaluate candidates
 * directly by coordinate descent:
 *
 * - the grid is parametrised by its interior knots in λ (the end points are
 *   fixed), starting from standard grids (uniform in logSNR, in time,
 *   quadratic, Karras) with DPM-Solver++(3M)'s orders; the best end result
 *   on the validation draws is kept;
 * - each round moves every knot by ±δ (kept strictly between its
 *   neighbours) and keeps the best move, then tries every admissible order of
 *   every step; δ halves each round.
 *
 * The result is a {@linkcode SolverSchedule}: the times and orders, the
 * validation errors before and after, saved as JSON and reloaded by path or
 * by name from a small store (a folder of `<name>.json` files).
 *
 * @module
 */

import {
  checkInteger,
  quote,
  SdenoParseError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../kernels/errors.ts";
import { createBackend } from "../../kernels/mod.ts";
import type { Denoiser } from "../../models/denoiser.ts";
import type { NoiseSchedule } from "../../processes/noise_schedule.ts";
import { checkOrders, multistepOrders, multistepWithOrders } from "./schedule_search_multistep.ts";
import { timeGrid, type TimeGridKind } from "./time_grids.ts";
import type { SampleResult } from "./types.ts";

/** A searched solver schedule: where to step and with which order. */
export interface SolverSchedule {
  /** Its name in a store. */
  readonly name: string;
  /** The noise schedule it was searched for (`NoiseSchedule.name`). */
  readonly schedule: string;
  /** The solver: always `"dpmpp_multistep_orders"` ({@linkcode multistepWithOrders}). */
  readonly solver: "dpmpp_multistep_orders";
  /** The data dimension of the model it was searched on. */
  readonly dim: number;
  /** The number of model evaluations (steps). */
  readonly nfe: number;
  /** The decreasing times, nfe + 1. */
  readonly times: readonly number[];
  /** λ at those times. */
  readonly lambdas: readonly number[];
  /** The order of each step. */
  readonly orders: readonly number[];
  /** What the search measured: validation draws, RMSE of the start (logSNR, 3M) and of the result. */
  readonly search: {
    readonly draws: number;
    readonly evaluations: number;
    readonly startRmse: number;
    readonly rmse: number;
  };
}

/** Options of {@linkcode searchSchedule}. */
export interface SearchScheduleOptions {
  /** The NFE budget (number of steps). */
  nfe: number;
  /** The highest order tried (1–3, default 3); the budget must be at least this. */
  maxOrder?: number;
  /** First time (default `schedule.tMax`). */
  tStart?: number;
  /** Last time (default as `timeGrid`: 1e-3 on VP schedules with 1000 nominal steps). */
  tEnd?: number;
  /** Rounds of coordinate descent from each start (default 6). */
  rounds?: number;
  /**
   * The grids the descent starts from, each with DPM-Solver++(3M)'s orders;
   * the best result is kept (default logSNR, uniform, quadratic and karras).
   */
  starts?: readonly TimeGridKind[];
  /**
   * The accurate end points of the validation draws (n × dim), when known;
   * default: DPM-Solver++(3M) with `referenceSteps` logSNR steps.
   */
  reference?: Float64Array;
  /** Steps of the default reference solution (default 500). */
  referenceSteps?: number;
  /** The name of the result (default `"<schedule>-nfe<nfe>"`). */
  name?: string;
  /** Called after each round with the round and the current validation RMSE. */
  onRound?: (round: number, rmse: number) => void;
}

/**
 * Searches the time steps and per-step orders of multistep DPM-Solver++ for
 * an NFE budget (module doc), on validation draws x_T (rows of `draws`).
 *
 * @param denoiser the model
 * @param draws validation starting points at tStart, n × dim flat
 * @param options the budget and search settings
 * @returns the schedule with its validation errors
 * @throws {SdenoRangeError} for a budget below the highest order, bad rounds or end points
 * @throws {SdenoTypeError} for draws that are not whole rows or a reference of another length
 *
 * @example Five steps on a two-component mixture
 * ```ts
 * import { searchSchedule } from "./schedule_search.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import assert from "node:assert/strict";
 * const gm = gaussianMixture(
 *   { weights: [0.5, 0.5], means: [[-1], [1]], variances: [[0.05], [0.05]] },
 *   vpLinearSchedule(),
 * );
 * const draws = Float64Array.from({ length: 16 }, (_, i) => Math.sin(7 * i) * 1.5);
 * const s = await searchSchedule(gm, draws, { nfe: 5, rounds: 2, referenceSteps: 200 });
 * assert.equal(s.times.length, 6);
 * assert.ok(s.search.rmse <= s.search.startRmse);
 * ```
 */
export async function searchSchedule(
  denoiser: Denoiser,
  draws: Float64Array,
  options: SearchScheduleOptions,
): Promise<SolverSchedule> {
  const what = "Cannot search a solver schedule";
  const o = options ?? ({} as SearchScheduleOptions);
  const maxOrder = o.maxOrder ?? 3;
  checkInteger(what, "maxOrder", maxOrder, 1, 3);
  checkInteger(what, "nfe", o.nfe, 1);
  if (o.nfe < maxOrder) {
    throw new SdenoRangeError(
      `${what}: the NFE budget ${o.nfe} is below the order ${maxOrder}; give nfe ≥ ${maxOrder} or a lower maxOrder`,
    );
  }
  const rounds = o.rounds ?? 6;
  checkInteger(what, "rounds", rounds, 0);
  const starts = o.starts ?? ["logSNR", "uniform", "quadratic", "karras"];
  const kinds: readonly TimeGridKind[] = [
    "uniform",
    "logSNR",
    "quadratic",
    "karras",
    "exponential",
  ];
  if (!Array.isArray(starts) || starts.length === 0 || starts.some((k) => !kinds.includes(k))) {
    throw new SdenoRangeError(
      `${what}: starts must list grid kinds among ${kinds.join(", ")}, got ${quote(starts)}`,
    );
  }
  const d = denoiser?.dim;
  if (
    !(draws instanceof Float64Array) || !Number.isInteger(d) || draws.length % d !== 0 ||
    draws.length === 0
  ) {
    throw new SdenoTypeError(
      `${what}: draws must be a non-empty Float64Array of whole rows of ${d} numbers, got ${
        draws instanceof Float64Array ? `length ${draws.length}` : quote(draws)
      }`,
    );
  }
  if (
    o.reference !== undefined &&
    (!(o.reference instanceof Float64Array) || o.reference.length !== draws.length)
  ) {
    throw new SdenoTypeError(
      `${what}: reference must be a Float64Array of ${draws.length} numbers (one end point per draw), got ${
        o.reference instanceof Float64Array ? `length ${o.reference.length}` : quote(o.reference)
      }`,
    );
  }
  const refSteps = o.referenceSteps ?? 500;
  checkInteger(what, "referenceSteps", refSteps, 3);
  const schedule = denoiser.schedule;
  const nfe = o.nfe;
  const start = timeGrid(schedule, nfe, {
    kind: "logSNR",
    ...(o.tStart !== undefined ? { tStart: o.tStart } : {}),
    ...(o.tEnd !== undefined ? { tEnd: o.tEnd } : {}),
  });
  const tStart = start[0]!, tEnd = start[nfe]!;
  const backend = await createBackend("cpu");
  const run = async (grid: number[], orders: readonly number[]): Promise<Float64Array> => {
    const x = backend.upload(draws);
    let r: SampleResult | undefined;
    try {
      r = await multistepWithOrders(denoiser, x, grid, { orders, checkFinite: true });
      return Float64Array.from(await backend.download(r.x));
    } finally {
      backend.release(x);
      if (r) backend.release(r.x);
    }
  };
  const reference = o.reference ??
    await run(
      timeGrid(schedule, refSteps, { kind: "logSNR", tStart, tEnd }),
      multistepOrders(refSteps, 3),
    );
  let evaluations = 0;
  const loss = async (lams: number[], orders: readonly number[]): Promise<number> => {
    evaluations++;
    const grid = lams.map((l, i) => (i === 0 ? tStart : i === nfe ? tEnd : schedule.tOfLogSnr(l)));
    let out: Float64Array;
    try {
      out = await run(grid, orders);
    } catch {
      return Infinity; // a candidate that blows up is simply not taken
    }
    let acc = 0;
    for (let i = 0; i < out.length; i++) acc += (out[i]! - reference[i]!) ** 2;
    const v = Math.sqrt(acc / out.length);
    return Number.isFinite(v) ? v : Infinity;
  };
  /** Coordinate descent from one grid (module doc). */
  const descend = async (lams: number[], orders: number[]) => {
    let best = await loss(lams, orders);
    let delta = 0.25 * (lams[nfe]! - lams[0]!) / nfe;
    for (let round = 1; round <= rounds; round++) {
      for (let k = 1; k < nfe; k++) {
        let move = 0;
        for (const m of [-delta, delta]) {
          const v = lams[k]! + m;
          const lo = lams[k - 1]!, hi = lams[k + 1]!, margin = 1e-3 * (hi - lo);
          if (!(v > lo + margin && v < hi - margin)) continue;
          const cand = [...lams];
          cand[k] = v;
          const e = await loss(cand, orders);
          if (e < best) best = e, move = m;
        }
        lams[k] = lams[k]! + move;
      }
      for (let i = 0; i < nfe; i++) {
        const cur = orders[i]!;
        let pick = cur;
        for (let p = 1; p <= Math.min(maxOrder, i + 1); p++) {
          if (p === cur) continue;
          const cand = [...orders];
          cand[i] = p;
          const e = await loss(lams, cand);
          if (e < best) best = e, pick = p;
        }
        orders[i] = pick;
      }
      delta /= 2;
      o.onRound?.(round, best);
    }
    return { lams, orders, rmse: best };
  };
  const baseOrders = multistepOrders(nfe, maxOrder);
  const startRmse = await loss(start.map((t) => schedule.logSnr(t)), baseOrders);
  let lams: number[] = [], orders: number[] = [], best = Infinity;
  for (const kind of starts) {
    const from = kind === "logSNR" ? start : timeGrid(schedule, nfe, { kind, tStart, tEnd });
    const r = await descend(from.map((t) => schedule.logSnr(t)), [...baseOrders]);
    if (r.rmse < best) ({ lams, orders, rmse: best } = r);
  }
  const times = lams.map((l, i) => (i === 0 ? tStart : i === nfe ? tEnd : schedule.tOfLogSnr(l)));
  return {
    name: o.name ?? `${schedule.name}-nfe${nfe}`,
    schedule: schedule.name,
    solver: "dpmpp_multistep_orders",
    dim: d,
    nfe,
    times,
    lambdas: times.map((t) => schedule.logSnr(t)),
    orders: [...orders],
    search: { draws: draws.length / d, evaluations, startRmse, rmse: best },
  };
}

/**
 * Samples with a searched schedule: {@linkcode multistepWithOrders} on its
 * times with its orders, after checking it fits the model.
 *
 * @param denoiser the model
 * @param x the batch at the schedule's first time
 * @param plan the schedule
 * @returns the samples
 * @throws {SdenoTypeError} when the schedule is for another noise schedule or dimension
 *
 * @example
 * ```ts
 * import { sampleWithSchedule } from "./schedule_search.ts";
 * import { gaussianMixture } from "../../models/gaussian_mixture.ts";
 * import { vpLinearSchedule } from "../../processes/vp_linear_schedule.ts";
 * import { createBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const gm = gaussianMixture({ weights: [1], means: [[0]], variances: [[1]] }, vpLinearSchedule());
 * const b = await createBackend("cpu");
 * const plan = {
 *   name: "p", schedule: "vp-linear", solver: "dpmpp_multistep_orders" as const, dim: 1, nfe: 2,
 *   times: [1, 0.3, 0.001], lambdas: [], orders: [1, 2],
 *   search: { draws: 0, evaluations: 0, startRmse: 0, rmse: 0 },
 * };
 * const r = await sampleWithSchedule(gm, b.upload([0.5]), plan);
 * assert.equal(r.nfe, 2);
 * ```
 */
export async function sampleWithSchedule(
  denoiser: Denoiser,
  x: Parameters<typeof multistepWithOrders>[1],
  plan: SolverSchedule,
): Promise<SampleResult> {
  const what = `Cannot sample with the schedule ${quote(plan?.name)}`;
  checkScheduleFit(what, plan, denoiser.schedule, denoiser.dim);
  return multistepWithOrders(denoiser, x, plan.times, { orders: plan.orders });
}

function checkScheduleFit(
  what: string,
  plan: SolverSchedule,
  schedule: NoiseSchedule,
  dim: number,
): void {
  if (plan.schedule !== schedule.name) {
    throw new SdenoTypeError(
      `${what}: it was searched for schedule ${quote(plan.schedule)}, not ${quote(schedule.name)}`,
    );
  }
  if (plan.dim !== dim) {
    throw new SdenoTypeError(`${what}: it was searched for dimension ${plan.dim}, not ${dim}`);
  }
}

const FORMAT = "sdeno-solver-schedule/1";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A schedule as JSON text.
 *
 * @param plan the schedule
 * @returns the JSON text
 *
 * @example
 * ```ts
 * import { scheduleFromJson, scheduleToJson } from "./schedule_search.ts";
 * import assert from "node:assert/strict";
 * const plan = {
 *   name: "p", schedule: "vp-linear", solver: "dpmpp_multistep_orders" as const, dim: 1, nfe: 2,
 *   times: [1, 0.3, 0.001], lambdas: [-5, 0, 4.6], orders: [1, 2],
 *   search: { draws: 0, evaluations: 0, startRmse: 0, rmse: 0 },
 * };
 * assert.deepEqual(scheduleFromJson(scheduleToJson(plan)), plan);
 * ```
 */
export function scheduleToJson(plan: SolverSchedule): string {
  return JSON.stringify({ format: FORMAT, ...plan }, null, 1);
}

/**
 * A schedule from JSON text, checked (format, decreasing times, one admissible order per step).
 *
 * @param text the JSON text
 * @returns the schedule
 * @throws {SdenoParseError} for text that is not JSON
 * @throws {SdenoTypeError} / {SdenoRangeError} for a malformed schedule
 *
 * @example
 * ```ts
 * import { scheduleFromJson } from "./schedule_search.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => scheduleFromJson('{"format": "x"}'), TypeError);
 * ```
 */
export function scheduleFromJson(text: string): SolverSchedule {
  const what = "Cannot read the solver schedule";
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new SdenoParseError(`${what}: not JSON (${(e as Error).message})`);
  }
  if (o === null || typeof o !== "object" || o.format !== FORMAT) {
    throw new SdenoTypeError(`${what}: format must be ${quote(FORMAT)}, got ${quote(o?.format)}`);
  }
  const { format: _f, ...plan } = o;
  const p = plan as unknown as SolverSchedule;
  if (
    typeof p.name !== "string" || typeof p.schedule !== "string" ||
    p.solver !== "dpmpp_multistep_orders"
  ) {
    throw new SdenoTypeError(
      `${what}: name, schedule and solver "dpmpp_multistep_orders" are required`,
    );
  }
  checkInteger(what, "nfe", p.nfe, 1);
  checkInteger(what, "dim", p.dim, 1);
  if (
    !Array.isArray(p.times) || p.times.length !== p.nfe + 1 ||
    p.times.some((t, i) => !(typeof t === "number") || (i > 0 && !(t < p.times[i - 1]!)))
  ) {
    throw new SdenoRangeError(
      `${what}: times must be ${p.nfe + 1} decreasing numbers, got ${quote(p.times)}`,
    );
  }
  checkOrders(what, p.orders, p.nfe);
  return p;
}

/** Where schedules are stored: a folder of `<name>.json` files. */
export interface ScheduleStoreOptions {
  /** The folder (default `"schedules"`, relative to the working directory). */
  dir?: string;
}

/**
 * Saves a schedule as `<dir>/<name>.json` (needs `--allow-write`; the folder is created).
 *
 * @param plan the schedule
 * @param options the store folder
 * @returns the path written
 * @throws {SdenoRangeError} for a name that is not a plain file name
 *
 * @example See {@linkcode loadSchedule}.
 * ```ts
 * import { saveSchedule } from "./schedule_search.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof saveSchedule, "function");
 * ```
 */
export async function saveSchedule(
  plan: SolverSchedule,
  options: ScheduleStoreOptions = {},
): Promise<string> {
  if (typeof plan?.name !== "string" || !NAME.test(plan.name)) {
    throw new SdenoRangeError(
      `Cannot save the solver schedule: name must be letters, digits, ".", "_" or "-", got ${
        quote(plan?.name)
      }`,
    );
  }
  const dir = options.dir ?? "schedules";
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${plan.name}.json`;
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, scheduleToJson(plan) + "\n");
  await Deno.rename(tmp, path);
  return path;
}

/**
 * Loads a schedule by path (anything ending in `.json` or containing a `/`)
 * or by name from the store (`<dir>/<name>.json`; needs `--allow-read`).
 *
 * @param nameOrPath the name or the file
 * @param options the store folder
 * @returns the schedule
 * @throws {SdenoRangeError} when no schedule of that name is stored (the message lists the stored names)
 *
 * @example Save, then load by name
 * ```ts
 * import { loadSchedule, saveSchedule } from "./schedule_search.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const plan = {
 *   name: "ring-nfe2", schedule: "vp-linear", solver: "dpmpp_multistep_orders" as const, dim: 2,
 *   nfe: 2, times: [1, 0.3, 0.001], lambdas: [-5, 0, 4.6], orders: [1, 2],
 *   search: { draws: 0, evaluations: 0, startRmse: 0, rmse: 0 },
 * };
 * await saveSchedule(plan, { dir });
 * assert.deepEqual((await loadSchedule("ring-nfe2", { dir })).orders, [1, 2]);
 * await assert.rejects(() => loadSchedule("other", { dir }), /stored: ring-nfe2/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSchedule(
  nameOrPath: string,
  options: ScheduleStoreOptions = {},
): Promise<SolverSchedule> {
  const isPath = nameOrPath.endsWith(".json") || nameOrPath.includes("/");
  const dir = options.dir ?? "schedules";
  const path = isPath ? nameOrPath : `${dir}/${nameOrPath}.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound) || isPath) throw e;
    const names: string[] = [];
    try {
      for await (const f of Deno.readDir(dir)) {
        if (f.isFile && f.name.endsWith(".json")) names.push(f.name.slice(0, -5));
      }
    } catch { /* no store yet */ }
    throw new SdenoRangeError(
      `Cannot load the solver schedule ${quote(nameOrPath)}: not in the store ${
        quote(dir)
      } (stored: ${names.sort().join(", ") || "none"})`,
    );
  }
  return scheduleFromJson(text);
}
