// Private to the SDE solvers: the shape probe of an SDE's coefficients,
// run before any work.
import { SdenoTypeError } from "../kernels/errors.ts";
import { type BatchedFunction, diffusionWidth, type Sde } from "./sde.ts";

const GUARD = 8;

function probe(
  what: string,
  name: string,
  fn: BatchedFunction,
  t: number,
  x: Float64Array,
  n: number,
  width: number,
  expected: string,
): void {
  const out = new Float64Array(n * width + GUARD).fill(NaN);
  fn(t, x.slice(0, x.length), out, n);
  let written = 0;
  for (let i = 0; i < n * width; i++) if (!Number.isNaN(out[i]!)) written++;
  let beyond = 0;
  for (let i = n * width; i < out.length; i++) if (!Number.isNaN(out[i]!)) beyond++;
  if (beyond > 0 || written < n * width) {
    const last = beyond > 0 ? `values past index ${n * width - 1}` : `${written} values`;
    throw new SdenoTypeError(
      `${what}: ${name} must write ${expected} = ${
        n * width
      } values for ${n} points, but wrote ${last}`,
    );
  }
}

/**
 * Evaluates the SDE's coefficients once on the first (up to) two points of
 * `x` and checks that each writes exactly the values its shape promises
 * (unwritten entries and writes past the end are detected with NaN
 * sentinels). Solvers call this before any work.
 *
 * @param sde the SDE
 * @param at the error prefix, the points (n×d) and the time
 * @throws {SdenoTypeError} naming the coefficient and the shape it must write
 */
export function probeSde(sde: Sde, at: { what: string; x: Float64Array; t: number }): void {
  const { what, x, t } = at;
  const d = sde.dim;
  const n = Math.min(2, Math.floor(x.length / d));
  if (n === 0) return;
  const xs = x.subarray(0, n * d);
  probe(what, `drift of "${sde.name}"`, sde.drift, t, xs, n, d, `n×dim = ${n}×${d}`);
  const width = diffusionWidth(sde);
  const shape = width === d
    ? `n×dim for ${sde.noise} noise = ${n}×${d}`
    : `n×dim×noiseDim for ${sde.noise} noise = ${n}×${d}×${sde.noiseDim}`;
  probe(what, `diffusion of "${sde.name}"`, sde.diffusion, t, xs, n, width, shape);
  if (sde.diffusionDerivative) {
    probe(
      what,
      `diffusionDerivative of "${sde.name}"`,
      sde.diffusionDerivative,
      t,
      xs,
      n,
      d,
      `n×dim = ${n}×${d}`,
    );
  }
}
