/**
 * Private: a distribution over sequences as a tensor with one axis per
 * position, and a per-token matrix applied along chosen axes.
 */

/**
 * Applies `M` (`rows × cols`, row-major) along axis k of a tensor whose axis
 * sizes are `dims` (first axis most significant): `out[…, b, …] = Σ_c in[…, c, …]·M[c, b]`.
 * Returns the new tensor; `dims[k]` becomes `cols`.
 */
export function applyAlongAxis(
  tensor: Float64Array,
  dims: number[],
  k: number,
  M: Float64Array,
  cols: number,
): Float64Array {
  const rows = dims[k]!;
  let inner = 1;
  for (let j = k + 1; j < dims.length; j++) inner *= dims[j]!;
  const outer = tensor.length / (rows * inner);
  const out = new Float64Array(outer * cols * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < rows; c++) {
      const src = (o * rows + c) * inner;
      for (let b = 0; b < cols; b++) {
        const w = M[c * cols + b]!;
        if (w === 0) continue;
        const dst = (o * cols + b) * inner;
        for (let r = 0; r < inner; r++) out[dst + r]! += w * tensor[src + r]!;
      }
    }
  }
  dims[k] = cols;
  return out;
}

/** The first `rows` rows of a `S × S` matrix (data symbols → all states). */
export function topRows(P: Float64Array, rows: number, S: number): Float64Array {
  return P.slice(0, rows * S);
}
