/**
 * The one factorial of sdeno, exact in BigInt: Padé coefficients of `expm`
 * need 26! exactly, and the mass-action propensities need the small ones.
 *
 * @module
 */

import { checkInteger } from "./errors.ts";

/**
 * `k!` exactly.
 *
 * @param k a non-negative integer
 * @returns k! as a BigInt
 * @throws {SdenoRangeError} when k is not an integer in [0, 10000]
 *
 * @example
 * ```ts
 * import { factorial } from "./factorial.ts";
 * import assert from "node:assert/strict";
 * assert.equal(factorial(0), 1n);
 * assert.equal(factorial(26), 403291461126605635584000000n);
 * assert.equal(Number(factorial(5)), 120);
 * ```
 */
export function factorial(k: number): bigint {
  checkInteger("Cannot compute a factorial", "k", k, 0, 10000);
  let f = 1n;
  for (let i = 2n; i <= BigInt(k); i++) f *= i;
  return f;
}
