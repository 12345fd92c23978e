// The checks of a Gaussian-mixture spec, shared by gaussianMixture and
// parseGaussianMixtureSpec (private: no mod.ts re-exports this file).
import { quote, SdenoRangeError, SdenoTypeError } from "../kernels/errors.ts";
import type { GaussianMixtureSpec } from "./gaussian_mixture.ts";

/** Checks a mixture spec and returns its flat parameters. */
export function checkMixture(spec: GaussianMixtureSpec): {
  k: number;
  d: number;
  w: Float64Array;
  mu: Float64Array;
  v: Float64Array;
} {
  const what = "Cannot build the Gaussian mixture";
  const { weights, means, variances } = spec ?? ({} as GaussianMixtureSpec);
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new SdenoTypeError(`${what}: weights must be a non-empty array, got ${quote(weights)}`);
  }
  const k = weights.length;
  if (
    !Array.isArray(means) || means.length !== k || !Array.isArray(variances) ||
    variances.length !== k
  ) {
    throw new SdenoTypeError(`${what}: means and variances must have ${k} rows, like weights`);
  }
  const d = means[0]?.length ?? 0;
  if (d === 0) throw new SdenoTypeError(`${what}: means[0] must be a non-empty array`);
  const w = new Float64Array(k), mu = new Float64Array(k * d), v = new Float64Array(k * d);
  let total = 0;
  for (let c = 0; c < k; c++) {
    const wc = weights[c]!;
    if (!(wc > 0) || !Number.isFinite(wc)) {
      throw new SdenoRangeError(`${what}: weights[${c}] must be positive, got ${quote(wc)}`);
    }
    w[c] = wc;
    total += wc;
    const m = means[c]!, s = variances[c]!;
    if (m?.length !== d || s?.length !== d) {
      throw new SdenoTypeError(`${what}: means[${c}] and variances[${c}] must have length ${d}`);
    }
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(m[j]!)) {
        throw new SdenoTypeError(`${what}: means[${c}][${j}] must be finite, got ${quote(m[j])}`);
      }
      if (!(s[j]! > 0) || !Number.isFinite(s[j]!)) {
        throw new SdenoRangeError(
          `${what}: variances[${c}][${j}] must be positive, got ${quote(s[j])}`,
        );
      }
      mu[c * d + j] = m[j]!;
      v[c * d + j] = s[j]!;
    }
  }
  if (Math.abs(total - 1) > 1e-9) {
    throw new SdenoRangeError(`${what}: weights must sum to 1, got sum ${quote(total)}`);
  }
  return { k, d, w, mu, v };
}
