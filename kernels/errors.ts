/**
 * The sdeno error family.
 *
 * Every error sdeno throws on purpose is an instance of {@linkcode SdenoError}
 * (`err instanceof SdenoError`), and also of the built-in class that fits its
 * meaning, so callers can catch by meaning (`RangeError`, `TypeError`,
 * `SyntaxError`) or by origin (`SdenoError`):
 *
 * | class | built-in | for |
 * | --- | --- | --- |
 * | {@linkcode SdenoRangeError} | `RangeError` | a value outside what is allowed |
 * | {@linkcode SdenoTypeError} | `TypeError` | a wrong type, shape or length |
 * | {@linkcode SdenoParseError} | `SyntaxError` | text or bytes that do not parse |
 * | {@linkcode NumericalError} | `Error` | NaN / Inf met while computing, or a lost device |
 *
 * Messages say what failed and why, quote the value, and end without a period:
 * `Cannot draw normals: length must be a non-negative integer, got "-3"`.
 *
 * @module
 */

const BRAND: unique symbol = Symbol.for("sdeno.error");

/** What kind of mistake an {@linkcode SdenoError} reports. */
export type SdenoErrorKind = "range" | "type" | "parse" | "numerical";

/**
 * Base of the family. Not thrown itself; `instanceof SdenoError` is true for
 * every error sdeno throws on purpose, whatever built-in class it extends.
 *
 * @example Catch any sdeno error
 * ```ts
 * import { SdenoError, SdenoRangeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const err = new SdenoRangeError("Cannot step: dt must be positive, got \"-1\"");
 * assert.ok(err instanceof SdenoError);
 * assert.ok(err instanceof RangeError);
 * assert.equal(err.kind, "range");
 * ```
 */
export class SdenoError extends Error {
  /** What kind of mistake this is. */
  readonly kind: SdenoErrorKind = "numerical";
  /** Recognises every member of the family, whatever built-in it extends. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && BRAND in value;
  }
}

function brand(err: Error, kind: SdenoErrorKind): void {
  Object.defineProperty(err, BRAND, { value: true });
  Object.defineProperty(err, "kind", { value: kind, enumerable: true });
  err.name = err.constructor.name;
}

/**
 * A value outside its allowed range (a negative size, an unknown name).
 *
 * @example
 * ```ts
 * import { SdenoRangeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => { throw new SdenoRangeError("bad"); }, RangeError);
 * ```
 */
export class SdenoRangeError extends RangeError {
  /** Always "range". */
  declare readonly kind: "range";
  /**
   * Creates the error.
   *
   * @param message what failed, why, and the offending value
   * @param options the underlying cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, "range");
  }
}

/**
 * A wrong type, shape or length (mismatched array lengths, a non-integer size).
 *
 * @example
 * ```ts
 * import { SdenoTypeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.throws(() => { throw new SdenoTypeError("bad"); }, TypeError);
 * ```
 */
export class SdenoTypeError extends TypeError {
  /** Always "type". */
  declare readonly kind: "type";
  /**
   * Creates the error.
   *
   * @param message what failed, why, and the offending value
   * @param options the underlying cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, "type");
  }
}

/**
 * Text or bytes that do not parse (a malformed `.npy` header, a bad reaction
 * line). `line` and `column` are 1-based where they apply.
 *
 * @example
 * ```ts
 * import { SdenoParseError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const err = new SdenoParseError("Cannot parse: expected '->'", { line: 2, column: 5 });
 * assert.ok(err instanceof SyntaxError);
 * assert.equal(err.line, 2);
 * ```
 */
export class SdenoParseError extends SyntaxError {
  /** Always "parse". */
  declare readonly kind: "parse";
  /** 1-based line of the offending text, if known. */
  readonly line: number | undefined;
  /** 1-based column of the offending text, if known. */
  readonly column: number | undefined;
  /**
   * Creates the error.
   *
   * @param message what failed and what was expected
   * @param where the line and column, and the underlying cause
   */
  constructor(
    message: string,
    where: { line?: number; column?: number; cause?: unknown } = {},
  ) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.line = where.line;
    this.column = where.column;
    brand(this, "parse");
  }
}

/**
 * A computation met NaN or Inf, or lost its device. Carries where it happened
 * so the caller can tell the step, time and element.
 *
 * @example
 * ```ts
 * import { NumericalError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const err = new NumericalError("Cannot continue: NaN in x", { step: 3, time: 0.5, index: 7 });
 * assert.equal(err.step, 3);
 * assert.equal(err.kind, "numerical");
 * ```
 */
export class NumericalError extends Error {
  /** Always "numerical". */
  declare readonly kind: "numerical";
  /** Step at which the problem appeared, if known. */
  readonly step: number | undefined;
  /** Time at which the problem appeared, if known. */
  readonly time: number | undefined;
  /** Flat element index where the problem appeared, if known. */
  readonly index: number | undefined;
  /**
   * Creates the error.
   *
   * @param message what failed
   * @param where step, time and element index, and the underlying cause
   */
  constructor(
    message: string,
    where: { step?: number; time?: number; index?: number; cause?: unknown } = {},
  ) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.step = where.step;
    this.time = where.time;
    this.index = where.index;
    brand(this, "numerical");
  }
}

/**
 * The WebGPU device went away (lost or destroyed) while it held work. Results
 * from it are never returned; {@linkcode withBackend} reruns the job on cpu.
 *
 * @example
 * ```ts
 * import { DeviceLostError, NumericalError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.ok(new DeviceLostError("gone") instanceof NumericalError);
 * ```
 */
export class DeviceLostError extends NumericalError {}

/** Quotes a value for an error message: strings and numbers in double quotes. */
export function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return `"${String(value)}"`;
  }
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch {
    return String(value);
  }
}

/**
 * Checks that `value` is an integer in `[min, max]` and returns it.
 *
 * @param what the error's prefix, e.g. `Cannot draw normals`
 * @param name the argument's name
 * @param value the value to check
 * @param min smallest allowed value (default 0)
 * @param max largest allowed value (default 2^53 − 1)
 * @returns the value, as a number
 * @throws {SdenoTypeError} when the value is not an integer
 * @throws {SdenoRangeError} when it is outside `[min, max]`
 *
 * @example
 * ```ts
 * import { checkInteger } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkInteger("Cannot draw", "n", 5), 5);
 * assert.throws(() => checkInteger("Cannot draw", "n", 2.5), TypeError);
 * assert.throws(() => checkInteger("Cannot draw", "n", -1), RangeError);
 * ```
 */
export function checkInteger(
  what: string,
  name: string,
  value: unknown,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new SdenoTypeError(`${what}: ${name} must be an integer, got ${quote(value)}`);
  }
  if (value < min || value > max) {
    throw new SdenoRangeError(
      `${what}: ${name} must be an integer in [${min}, ${max}], got ${quote(value)}`,
    );
  }
  return value;
}

/**
 * Checks that `value` is a finite number and returns it.
 *
 * @param what the error's prefix
 * @param name the argument's name
 * @param value the value to check
 * @returns the value
 * @throws {SdenoTypeError} when it is not a finite number
 *
 * @example
 * ```ts
 * import { checkFinite } from "./errors.ts";
 * import assert from "node:assert/strict";
 * assert.equal(checkFinite("Cannot scale", "c", 2), 2);
 * assert.throws(() => checkFinite("Cannot scale", "c", NaN), TypeError);
 * ```
 */
export function checkFinite(what: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new SdenoTypeError(`${what}: ${name} must be a finite number, got ${quote(value)}`);
  }
  return value;
}
