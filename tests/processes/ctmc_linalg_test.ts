import assert from "node:assert/strict";
import { _matmul } from "../../processes/_ctmc_linalg.ts";

/** The textbook triple loop: C[i][j] = Σₖ A[i][k]·B[k][j], k in order. */
function naive(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

Deno.test("_matmul() equals the textbook loop bit for bit, dense and sparse, any n", () => {
  for (const n of [1, 2, 3, 5, 7, 8, 13, 100, 101]) {
    const dense = Float64Array.from({ length: n * n }, (_, i) => Math.sin(1.3 * i + 0.2));
    const banded = Float64Array.from(
      { length: n * n },
      (_, i) => Math.abs(Math.floor(i / n) - (i % n)) <= 1 ? Math.cos(i) : 0,
    );
    const b = Float64Array.from({ length: n * n }, (_, i) => Math.cos(0.7 * i - 1));
    for (const a of [dense, banded]) assert.deepEqual(_matmul(a, b, n), naive(a, b, n), `n = ${n}`);
  }
});
