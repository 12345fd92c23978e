/**
 * Reversible generators as a parameterised family, for maximum likelihood
 * under detailed balance (`mleMjp`, `estimateMsmLagged`).
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import type { GeneratorModel, GeneratorWithDerivatives } from "./generator_models.ts";

/**
 * Reversible generators on given edges in log scale: `q_ij = s_ij φ_i` with
 * `θ = (log s_e for each edge e = {i, j}, then log φ_i for i = 1 … n−1)`,
 * `s_ij = s_ji` and φ_0 = 1. Every such Q satisfies detailed balance with
 * `π_i ∝ 1/φ_i`, and every reversible Q on these edges (irreducible) has
 * exactly one θ (Kelly, "Reversibility and Stochastic Networks", 1979,
 * §1.5: `π_i q_ij` is symmetric). `∂q_ij/∂log s_e = q_ij` for both
 * directions of e, and `∂q_ij/∂log φ_i = q_ij` for every j.
 *
 * @param n the number of states
 * @param edges the unordered pairs `[i, j]`, i ≠ j, each once (default all pairs)
 * @returns the model, parameters `"log s[i][j]"` then `"log phi[i]"`
 * @throws {SdenoRangeError} for a pair out of range, on the diagonal or repeated
 *
 * @example θ = 0 is the symmetric chain with unit rates
 * ```ts
 * import { reversibleRateModel } from "./msm_reversible_model.ts";
 * import assert from "node:assert/strict";
 * const m = reversibleRateModel(2);
 * assert.deepEqual(m.parameterNames, ["log s[0][1]", "log phi[1]"]);
 * const { q } = m.generator(new Float64Array([0, Math.log(3)]));
 * assert.deepEqual([...q].map((v) => Math.round(v * 1e12) / 1e12), [-1, 1, 3, -3]);
 * ```
 */
export function reversibleRateModel(
  n: number,
  edges?: readonly (readonly [number, number])[],
): GeneratorModel {
  const what = "Cannot build the reversible rate model";
  checkInteger(what, "n", n, 1);
  const list: [number, number][] = [];
  if (edges === undefined) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) list.push([i, j]);
  } else {
    if (!Array.isArray(edges)) {
      throw new SdenoTypeError(`${what}: edges must be an array, got ${quote(edges)}`);
    }
    const seen = new Set<number>();
    edges.forEach((p, k) => {
      const a = checkInteger(what, `edges[${k}][0]`, p?.[0], 0, n - 1);
      const b = checkInteger(what, `edges[${k}][1]`, p?.[1], 0, n - 1);
      if (a === b) {
        throw new SdenoRangeError(`${what}: edges[${k}] is on the diagonal (${a}, ${b})`);
      }
      const [i, j] = a < b ? [a, b] : [b, a];
      if (seen.has(i * n + j)) {
        throw new SdenoRangeError(`${what}: edges[${k}] = (${a}, ${b}) is repeated`);
      }
      seen.add(i * n + j);
      list.push([i, j]);
    });
  }
  const ne = list.length;
  const names = [
    ...list.map(([i, j]) => `log s[${i}][${j}]`),
    ...Array.from({ length: n - 1 }, (_, i) => `log phi[${i + 1}]`),
  ];
  return {
    n,
    parameterNames: names,
    generator(theta: Float64Array): GeneratorWithDerivatives {
      if (!(theta instanceof Float64Array) || theta.length !== names.length) {
        throw new SdenoTypeError(
          `${what}: theta must be a Float64Array of ${names.length} parameters, got ${
            quote(theta)
          }`,
        );
      }
      const phi = new Float64Array(n);
      phi[0] = 1;
      for (let i = 1; i < n; i++) phi[i] = Math.exp(theta[ne + i - 1]!);
      const q = new Float64Array(n * n);
      const dq = names.map(() => new Float64Array(n * n));
      list.forEach(([i, j], e) => {
        const s = Math.exp(theta[e]!);
        for (const [a, b] of [[i, j], [j, i]] as const) {
          const v = s * phi[a]!;
          q[a * n + b] = v;
          q[a * n + a] = q[a * n + a]! - v;
          dq[e]![a * n + b] = v;
          dq[e]![a * n + a] = dq[e]![a * n + a]! - v;
          if (a > 0) {
            const d = dq[ne + a - 1]!;
            d[a * n + b] = v;
            d[a * n + a] = d[a * n + a]! - v;
          }
        }
      });
      return { q, dq };
    },
  };
}
