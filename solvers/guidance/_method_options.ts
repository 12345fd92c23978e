// Checks of guidance-method options (RED-diff, RePaint, MCG, DDS, ADMM-TV):
// an options object with known keys only, numbers in range, integers, and a
// choice from a list. Each throws a typed error naming the option, the value
// and what was expected, before any work. Also the row-batch loop those
// methods share: batches of rows each in its own run context, the
// measurement tiled over a batch's rows, and the onStep report.

import type { Backend, DeviceArray } from "../../kernels/backend.ts";
import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { RunContext } from "../run_context.ts";
import type { GuidanceRequest } from "./method.ts";

/**
 * The options object (or `{}`), with every key among `known`.
 *
 * @param what the error prefix
 * @param options the request's options
 * @param known the option names the method takes
 * @returns the options as a record
 */
export function optionsRecord(
  what: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new SdenoTypeError(
        `${what}: unknown option ${quote(k)} (known: ${known.join(", ")})`,
      );
    }
  }
  return options as Record<string, unknown>;
}

/** Bounds of a numeric option. */
export interface NumberBounds {
  /** Smallest allowed value. */
  min?: number;
  /** Whether `min` itself is excluded. */
  minExclusive?: boolean;
  /** Largest allowed value. */
  max?: number;
  /** Whether `max` itself is excluded. */
  maxExclusive?: boolean;
  /** Require an integer. */
  integer?: boolean;
}

/**
 * A numeric option with its default, checked against bounds.
 *
 * @param what the error prefix
 * @param o the options record
 * @param name the option
 * @param fallback the default
 * @param bounds the allowed range
 * @returns the value
 */
export function numberOption(
  what: string,
  o: Record<string, unknown>,
  name: string,
  fallback: number,
  bounds: NumberBounds = {},
): number {
  const v = o[name] === undefined ? fallback : o[name];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new SdenoTypeError(`${what}: option ${name} must be a finite number, got ${quote(v)}`);
  }
  const { min, max, minExclusive, maxExclusive, integer } = bounds;
  const lo = min === undefined ? "" : `${minExclusive ? ">" : "≥"} ${min}`;
  const hi = max === undefined ? "" : `${maxExclusive ? "<" : "≤"} ${max}`;
  const range = [lo, hi].filter((s) => s !== "").join(" and ");
  const kind = integer ? "an integer" : "a number";
  if (
    (integer && !Number.isInteger(v)) ||
    (min !== undefined && (minExclusive ? v <= min : v < min)) ||
    (max !== undefined && (maxExclusive ? v >= max : v > max))
  ) {
    throw new SdenoRangeError(
      `${what}: option ${name} must be ${kind}${range === "" ? "" : ` ${range}`}, got ${quote(v)}`,
    );
  }
  return v;
}

/**
 * A choice among names, with its default.
 *
 * @param what the error prefix
 * @param o the options record
 * @param name the option
 * @param choices the allowed values (the first is not implied: pass the default)
 * @param fallback the default
 * @returns the value
 */
export function choiceOption<T extends string>(
  what: string,
  o: Record<string, unknown>,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const v = o[name] === undefined ? fallback : o[name];
  if (typeof v !== "string" || !choices.includes(v as T)) {
    throw new SdenoRangeError(
      `${what}: option ${name} must be one of ${choices.join(", ")}, got ${quote(v)}`,
    );
  }
  return v as T;
}

/**
 * The rows of a run in batches: `[first row, row count]` pairs.
 *
 * @param samples the number of rows
 * @param batch rows per batch (default all)
 * @returns the batches
 */
export function batches(samples: number, batch?: number): [number, number][] {
  const size = batch ?? samples;
  const out: [number, number][] = [];
  for (let r = 0; r < samples; r += size) out.push([r, Math.min(size, samples - r)]);
  return out;
}

/**
 * Runs the rows of a request batch by batch, each batch in its own run
 * context, and joins the rows.
 *
 * @param what the error prefix
 * @param request the request (samples, batch, backend, key, pathOffset)
 * @param d the row width
 * @param body runs one batch (`row` its first row, `n` its rows) and
 *   returns its final state, n × d on the device
 * @returns the samples, samples × d
 */
export async function runRowBatches(
  what: string,
  request: GuidanceRequest<unknown>,
  d: number,
  body: (run: RunContext, row: number, n: number) => Promise<DeviceArray>,
): Promise<Float64Array> {
  const b = request.backend;
  const out = new Float64Array(request.samples * d);
  for (const [row, n] of batches(request.samples, request.batch)) {
    const ctx = new RunContext(what, b, { key: request.key, pathOffset: request.pathOffset ?? 0 });
    await ctx.use(async (run) => {
      const x = await body(run, row, n);
      out.set(await b.download(x), row * d);
    });
  }
  return out;
}

/** `v` repeated over n rows. */
export function tileRows(v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * v.length);
  for (let r = 0; r < n; r++) out.set(v, r * v.length);
  return out;
}

/** Calls the request's onStep, if any, with the batch's state x downloaded. */
export async function reportStep(
  request: GuidanceRequest<unknown>,
  backend: Backend,
  x: DeviceArray,
  at: { step: number; t: number; tNext: number; row: number },
): Promise<void> {
  if (!request.onStep) return;
  await request.onStep({
    step: at.step,
    t: at.t,
    tNext: at.tNext,
    x: Float64Array.from(await backend.download(x)),
    row: at.row,
  });
}
