// Double-double arithmetic on plain doubles (a value is hi + lo, |lo| ≤ ½ ulp(hi), ~106 bits):
// Knuth's TwoSum (TAOCP vol. 2, §4.2.2), Dekker's product with Veltkamp's split (Dekker 1971),
// no fused multiply-add needed. Shared by expm.ts (the symmetrizer's π) and expm_multiply.ts
// (e^{x/s}). Private: no mod.ts re-exports this file.

/** Veltkamp's splitting constant 2²⁷ + 1. */
const SPLIT = 134217729;

/**
 * a + b = s + e exactly (Knuth's TwoSum).
 *
 * @example
 * ```ts
 * import { twoSum } from "./_double_double.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(twoSum(1, 2 ** -60), [1, 2 ** -60]);
 * ```
 */
export function twoSum(a: number, b: number): [number, number] {
  const s = a + b, bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}

/**
 * a·b = p + e exactly (Dekker's product; no overflow for |a|, |b| < 2^995).
 *
 * @example
 * ```ts
 * import { twoProd } from "./_double_double.ts";
 * import assert from "node:assert/strict";
 * const x = 1 + 2 ** -30;
 * assert.deepEqual(twoProd(x, x), [1 + 2 ** -29, 2 ** -60]);
 * ```
 */
export function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLIT * a, ah = ca - (ca - a), al = a - ah;
  const cb = SPLIT * b, bh = cb - (cb - b), bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

/**
 * (ah + al)·(bh + bl) as a double-double.
 *
 * @example
 * ```ts
 * import { ddMul } from "./_double_double.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ddMul(3, 0, 1 / 3, 0)[0], 1);
 * ```
 */
export function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e] = twoProd(ah, bh);
  return twoSum(p, e + (ah * bl + al * bh));
}

/**
 * (ah + al) + (bh + bl) as a double-double.
 *
 * @example
 * ```ts
 * import { ddAdd } from "./_double_double.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(ddAdd(1, 2 ** -60, 1, 2 ** -60), [2, 2 ** -59]);
 * ```
 */
export function ddAdd(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [s, e] = twoSum(ah, bh);
  return twoSum(s, e + al + bl);
}

/**
 * a/b as a double-double for doubles a and b: q = a/b rounded, then the remainder a − q·b,
 * exact by {@linkcode twoProd}, divided by b.
 *
 * @example
 * ```ts
 * import { ddQuotient } from "./_double_double.ts";
 * import assert from "node:assert/strict";
 * const [q, r] = ddQuotient(1, 3);
 * assert.equal(q, 1 / 3);
 * assert.ok(r !== 0 && Math.abs(r) < 2 ** -54);
 * ```
 */
export function ddQuotient(a: number, b: number): [number, number] {
  const q = a / b, [p, e] = twoProd(q, b);
  return [q, ((a - p) - e) / b];
}
