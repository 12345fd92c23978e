// The Moore–Penrose pseudo-inverse A⁺ of a linear operator, from the
// operator's own `pseudoInverse` or else from its SVD: A⁺ y = V diag(1/s) Uᵀ y
// on the rank's coordinates (Golub & Van Loan, "Matrix Computations", 4th
// ed., §5.5.2). Used by RED-diff's initialisation and MCG's projection.

import type { DeviceArray } from "../../kernels/backend.ts";
import type { LinearOperator, MeasurementOperator } from "../../models/operators/operator.ts";
import { isLinearOperator } from "../../models/operators/operator.ts";

/**
 * Whether `op` is linear and gives A⁺ (its own, or through its SVD).
 *
 * @param op the operator
 * @returns true when {@linkcode applyPseudoInverse} can serve it
 */
export function hasPseudoInverse(op: MeasurementOperator): boolean {
  return isLinearOperator(op) &&
    (typeof op.pseudoInverse === "function" || op.svd !== undefined);
}

/**
 * `out[r] = A⁺ y[r]` for each row (n × outDim → n × inDim). With a
 * `cutoff` > 0 and an SVD, singular values below `cutoff·s₁` are dropped
 * (numpy's `pinv(rcond)`: a truncated, regularised pseudo-inverse); else the
 * operator's own `pseudoInverse` serves when it has one.
 *
 * @param op a linear operator with `pseudoInverse` or `svd`
 * @param y n × outDim
 * @param out n × inDim
 * @param cutoff relative cutoff of the singular values (default 0: none)
 */
export async function applyPseudoInverse(
  op: LinearOperator,
  y: DeviceArray,
  out: DeviceArray,
  cutoff = 0,
): Promise<void> {
  if (typeof op.pseudoInverse === "function" && (cutoff === 0 || op.svd === undefined)) {
    return await op.pseudoInverse(y, out);
  }
  const svd = op.svd!;
  const b = y.backend, dy = op.outDim, dx = op.inDim, n = y.length / dy;
  const s = svd.singularValues;
  // E = [diag(1/s) 0; 0 0] (dy × dx): scales the rank's coordinates and pads to dx.
  const e = new Float64Array(dy * dx);
  for (let k = 0; k < s.length; k++) if (s[k]! >= cutoff * s[0]!) e[k * dx + k] = 1 / s[k]!;
  const ut = b.zeros(y.length), c = b.zeros(out.length), ed = b.upload(e);
  try {
    await svd.applyUt(y, ut);
    await b.matmul(c, { a: ut, b: ed, m: n, k: dy, n: dx });
    await svd.applyV(c, out);
  } finally {
    b.release(ut);
    b.release(c);
    b.release(ed);
  }
}
