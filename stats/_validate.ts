/**
 * Input checks shared by the stats modules. Not part of the public surface
 * (`stats/mod.ts` does not re-export this file).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";

/** @internal true when `value` looks like an array of numbers (typed array or plain array) */
function _isArrayLike(value: unknown): value is ArrayLike<number> {
  if (ArrayBuffer.isView(value)) return !(value instanceof DataView);
  return Array.isArray(value);
}

/**
 * Checks that `x` is an array of numbers with at least `minLength` elements,
 * all finite unless `finite` is false, and returns its length.
 *
 * @internal
 */
export function _checkSample(
  what: string,
  name: string,
  x: unknown,
  minLength = 1,
  finite = true,
): number {
  if (!_isArrayLike(x)) {
    throw new SdenoTypeError(
      `${what}: ${name} must be a Float64Array, Float32Array or number array, got ${
        quote(typeof x === "object" && x !== null ? x.constructor?.name : x)
      }`,
    );
  }
  if (x.length < minLength) {
    throw new SdenoRangeError(
      `${what}: ${name} must have at least ${minLength} element${
        minLength === 1 ? "" : "s"
      }, got length ${quote(x.length)}`,
    );
  }
  if (finite) _checkFiniteValues(what, name, x);
  return x.length;
}

/**
 * Checks that every element of `x` is finite.
 *
 * @internal
 */
export function _checkFiniteValues(what: string, name: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) {
      throw new SdenoRangeError(`${what}: ${name}[${i}] must be finite, got ${quote(v)}`);
    }
  }
}

/**
 * Checks a point-major batch: `d` a positive integer, `x` an array of finite
 * numbers whose length is a multiple of `d`, with at least `minPoints` rows.
 * Returns the number of points `n = x.length / d`.
 *
 * @internal
 */
export function _checkBatch(
  what: string,
  name: string,
  x: unknown,
  d: number,
  minPoints = 1,
): number {
  _checkSample(what, name, x, 0);
  const arr = x as ArrayLike<number>;
  if (arr.length % d !== 0) {
    throw new SdenoTypeError(
      `${what}: ${name} has length ${arr.length}, which is not a multiple of d ${quote(d)}`,
    );
  }
  const n = arr.length / d;
  if (n < minPoints) {
    throw new SdenoRangeError(
      `${what}: ${name} must hold at least ${minPoints} point${
        minPoints === 1 ? "" : "s"
      } of dimension ${d}, got ${quote(n)}`,
    );
  }
  return n;
}

/**
 * Checks the dimension option `d`: a positive integer.
 *
 * @internal
 */
export function _checkDim(what: string, d: unknown): number {
  if (d === undefined) {
    throw new SdenoTypeError(`${what}: options.d (the dimension) is required, got undefined`);
  }
  return checkInteger(what, "d", d, 1);
}

/**
 * Checks that `options` is an object (or undefined, when allowed).
 *
 * @internal
 */
export function _checkOptions(what: string, options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new SdenoTypeError(`${what}: options must be an object, got ${quote(options)}`);
  }
}
