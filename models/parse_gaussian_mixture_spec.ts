/**
 * Reads a Gaussian mixture from JSON text in the format of the reference
 * data's `gmm_spec.json` (../shared/refs/diffusion; tests/fixtures/diffusion):
 * `{ "name"?, "D"?, "K"?, "weights": [K], "means": [K][D], "variances": [K][D] }`
 * with per-dimension variances (not standard deviations).
 *
 * @module
 */

import { quote, SdenoParseError, SdenoTypeError } from "../kernels/errors.ts";
import type { GaussianMixtureSpec } from "./gaussian_mixture.ts";
import { checkMixture } from "./_check_mixture.ts";

/** A parsed mixture spec with its optional name and description. */
export interface NamedGaussianMixtureSpec extends GaussianMixtureSpec {
  /** The `name` field, if any. */
  name?: string;
  /** The `description` field, if any. */
  description?: string;
}

/**
 * Parses and checks a mixture spec (weights summing to 1, positive
 * variances, `D` and `K` consistent with the arrays when given).
 *
 * @param text the JSON text
 * @returns the spec, ready for {@linkcode gaussianMixture}
 * @throws {SdenoParseError} when the text is not JSON
 * @throws {SdenoTypeError} when fields are missing or shapes disagree
 * @throws {SdenoRangeError} for bad weights or variances
 *
 * @example
 * ```ts
 * import { parseGaussianMixtureSpec } from "./parse_gaussian_mixture_spec.ts";
 * import assert from "node:assert/strict";
 * const spec = parseGaussianMixtureSpec(
 *   '{"name":"two","D":1,"K":2,"weights":[0.5,0.5],"means":[[-1],[1]],"variances":[[0.1],[0.1]]}',
 * );
 * assert.equal(spec.name, "two");
 * assert.deepEqual(spec.means, [[-1], [1]]);
 * assert.throws(() => parseGaussianMixtureSpec("{"), SyntaxError);
 * ```
 */
export function parseGaussianMixtureSpec(text: string): NamedGaussianMixtureSpec {
  const what = "Cannot read the Gaussian mixture";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SdenoParseError(`${what}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SdenoTypeError(`${what}: expected a JSON object, got ${quote(json)}`);
  }
  const o = json as Record<string, unknown>;
  const spec: NamedGaussianMixtureSpec = {
    weights: o.weights as number[],
    means: o.means as number[][],
    variances: o.variances as number[][],
  };
  const { k, d } = checkMixture(spec);
  if (o.K !== undefined && o.K !== k) {
    throw new SdenoTypeError(`${what}: K is ${quote(o.K)} but there are ${k} weights`);
  }
  if (o.D !== undefined && o.D !== d) {
    throw new SdenoTypeError(`${what}: D is ${quote(o.D)} but the means have ${d} entries`);
  }
  if (typeof o.name === "string") spec.name = o.name;
  if (typeof o.description === "string") spec.description = o.description;
  return spec;
}
