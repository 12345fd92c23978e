/**
 * Parameterised generators θ ↦ Q(θ) with their derivatives ∂Q/∂θ_k, for
 * maximum likelihood ({@linkcode mleMjp} in mle_mjp.ts): the discrete
 * flashing ratchet in (V, log r, log b), and free log-rates on a pattern.
 *
 * @module
 */

import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

/** Q(θ) and its partial derivatives. */
export interface GeneratorWithDerivatives {
  /** Q(θ), row-major n×n (rows summing to 0, off-diagonal ≥ 0). */
  q: Float64Array;
  /** ∂Q/∂θ_k, one row-major n×n array per parameter. */
  dq: Float64Array[];
}

/** A generator family θ ↦ Q(θ) on n states. */
export interface GeneratorModel {
  /** Number of states. */
  readonly n: number;
  /** One name per parameter (its length is the number of parameters). */
  readonly parameterNames: readonly string[];
  /** Q(θ) and ∂Q/∂θ. */
  generator(theta: Float64Array): GeneratorWithDerivatives;
}

/**
 * The discrete flashing ratchet (processes/flashing_ratchet.ts) in
 * θ = (V, log r, log b): `Q_ij = exp(−V(j − i)/2)` on the ring {0, 1, 2},
 * `b` on the ring {3, 4, 5}, `r` between i and i + 3, diagonal −row sum.
 * The log scale keeps r, b > 0 without constraints.
 *
 * @returns the model, parameters `["V", "log r", "log b"]`
 *
 * @example θ = (1, 0, 0) is the benchmark's ratchet
 * ```ts
 * import { flashingRatchetModel } from "./generator_models.ts";
 * import assert from "node:assert/strict";
 * const { q, dq } = flashingRatchetModel().generator(new Float64Array([1, 0, 0]));
 * assert.equal(q[1], Math.exp(-0.5));
 * assert.equal(dq[0]![1], -0.5 * Math.exp(-0.5));
 * ```
 */
export function flashingRatchetModel(): GeneratorModel {
  const n = 6;
  return {
    n,
    parameterNames: ["V", "log r", "log b"],
    generator(theta: Float64Array): GeneratorWithDerivatives {
      _checkTheta("flashing ratchet", theta, 3);
      const [V, lr, lb] = theta as unknown as [number, number, number];
      const r = Math.exp(lr), b = Math.exp(lb);
      const q = new Float64Array(n * n);
      const dq = [new Float64Array(n * n), new Float64Array(n * n), new Float64Array(n * n)];
      const set = (i: number, j: number, v: number, k: number, dv: number) => {
        q[i * n + j] = v;
        q[i * n + i] = q[i * n + i]! - v;
        dq[k]![i * n + j] = dv;
        dq[k]![i * n + i] = dq[k]![i * n + i]! - dv;
      };
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          if (i === j) continue;
          const v = Math.exp((-V * (j - i)) / 2);
          set(i, j, v, 0, (-(j - i) / 2) * v);
          set(i + 3, j + 3, b, 2, b);
        }
        set(i, i + 3, r, 1, r);
        set(i + 3, i, r, 1, r);
      }
      return { q, dq };
    },
  };
}

/**
 * Free rates on a pattern of allowed jumps, in log scale: θ_k = log q_{i_k j_k}
 * for the listed pairs (default: every off-diagonal pair, row by row).
 *
 * @param n the number of states
 * @param pairs the allowed jumps `[i, j]`, i ≠ j, each once
 * @returns the model, parameters named `"log q[i][j]"`
 * @throws {SdenoRangeError} for a pair out of range, on the diagonal or repeated
 *
 * @example Two states, two rates
 * ```ts
 * import { logRateModel } from "./generator_models.ts";
 * import assert from "node:assert/strict";
 * const m = logRateModel(2);
 * assert.deepEqual(m.parameterNames, ["log q[0][1]", "log q[1][0]"]);
 * const { q } = m.generator(new Float64Array([0, Math.log(2)]));
 * assert.deepEqual([...q], [-1, 1, 2, -2]);
 * ```
 */
export function logRateModel(
  n: number,
  pairs?: readonly (readonly [number, number])[],
): GeneratorModel {
  const what = "Cannot build the log-rate model";
  checkInteger(what, "n", n, 1);
  const list: [number, number][] = [];
  if (pairs === undefined) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) list.push([i, j]);
  } else {
    if (!Array.isArray(pairs)) {
      throw new SdenoTypeError(`${what}: pairs must be an array, got ${quote(pairs)}`);
    }
    const seen = new Set<number>();
    pairs.forEach((p, k) => {
      const i = checkInteger(what, `pairs[${k}][0]`, p?.[0], 0, n - 1);
      const j = checkInteger(what, `pairs[${k}][1]`, p?.[1], 0, n - 1);
      if (i === j) {
        throw new SdenoRangeError(`${what}: pairs[${k}] is on the diagonal (${i}, ${j})`);
      }
      if (seen.has(i * n + j)) {
        throw new SdenoRangeError(`${what}: pairs[${k}] = (${i}, ${j}) is repeated`);
      }
      seen.add(i * n + j);
      list.push([i, j]);
    });
  }
  return {
    n,
    parameterNames: list.map(([i, j]) => `log q[${i}][${j}]`),
    generator(theta: Float64Array): GeneratorWithDerivatives {
      _checkTheta("log-rate model", theta, list.length);
      const q = new Float64Array(n * n);
      const dq = list.map(([i, j], k) => {
        const v = Math.exp(theta[k]!);
        q[i * n + j] = v;
        q[i * n + i] = q[i * n + i]! - v;
        const d = new Float64Array(n * n);
        d[i * n + j] = v;
        d[i * n + i] = -v;
        return d;
      });
      return { q, dq };
    },
  };
}

function _checkTheta(name: string, theta: Float64Array, k: number): void {
  if (!(theta instanceof Float64Array) || theta.length !== k) {
    throw new SdenoTypeError(
      `Cannot evaluate the ${name}: theta must be a Float64Array of length ${k}, got ${
        quote(theta)
      }`,
    );
  }
  for (let i = 0; i < k; i++) {
    if (!Number.isFinite(theta[i])) {
      throw new SdenoTypeError(
        `Cannot evaluate the ${name}: theta[${i}] must be finite, got ${quote(theta[i])}`,
      );
    }
  }
}
