// Checks of guidance-method options (RED-diff, RePaint, MCG, DDS, ADMM-TV):
// an options object with known keys only, numbers in range, integers, and a
// choice from a list. Each throws a typed error naming the option, the value
// and what was expected, before any work.

import { quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

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
