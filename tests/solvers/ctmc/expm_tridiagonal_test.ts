// expm of tridiagonal matrices, where the last squarings compute one triangle and derive the
// other from the symmetrizer Π (Π·A symmetric), against exact references
// (tests/fixtures/ctmc/expm_tridiagonal.json: mpmath at 120 digits, made by
// make_expm_tridiagonal.py beside it).
// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { expmInfo } from "../../../solvers/ctmc/expm.ts";
import { fixture } from "./_fixtures.ts";

const F = fixture("expm_tridiagonal.json");
const U = 2 ** -53;

function dense(c: any, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = c.diag[i];
    if (i + 1 < n) {
      a[i * n + i + 1] = c.upper[i];
      a[(i + 1) * n + i] = c.lower[i];
    }
  }
  return a;
}

// how many squarings each case mirrors: all of them (up to 4), the last 4 of many, or none
// (π too steep both ways, a zero or negative off-diagonal product)
const MIRRORED: Record<string, (s: number) => number> = {
  mm1_down: (s) => Math.min(s, 4),
  mm1_up: (s) => Math.min(s, 4),
  alternating: (s) => Math.min(s, 4),
  indefinite: (s) => Math.min(s, 4),
  mm1_long: () => 4,
  steep: () => 0,
  unbalanced: () => 0,
};

Deno.test("expm() of tridiagonal matrices: mirrored squarings meet the exact references", () => {
  const n: number = F.n;
  const gamma = (n * U) / (1 - n * U);
  for (const [name, c] of Object.entries<any>(F.cases)) {
    const ref: number[] = c.expm;
    const max = Math.max(...ref.map(Math.abs));
    const nonNegative = ref.every((v) => v >= 0) && c.upper.every((v: number) => v >= 0);
    for (const wasm of [true, false]) {
      const r = expmInfo(dense(c, n), { n, wasm });
      const what = `${name} (${wasm ? "wasm" : "js"}, s = ${r.squarings})`;
      assert.equal(r.mirrored, MIRRORED[name]!(r.squarings), `${what}: mirrored`);
      if (name === "mm1_long") assert.ok(r.squarings > 4, what);
      if (r.mirrored > 0) assert.ok(r.squarings > 0, what);
      // Each squaring of a non-negative matrix has componentwise relative error ≤ γ_n (Higham,
      // Accuracy and Stability of Numerical Algorithms, 2002, §3.5) and a mirrored one ≤ 2u more;
      // the error carried in doubles at each squaring. With the approximant's error also ≤ 2γ_n,
      // every entry is within 2^(s+2)·γ_n of its value (entries above 1e-100 of the largest);
      // a matrix with negative entries gets that bound normwise.
      const bound = 2 ** (r.squarings + 2) * gamma;
      for (let k = 0; k < n * n; k++) {
        const e = Math.abs(r.value[k]! - ref[k]!);
        if (nonNegative) {
          if (Math.abs(ref[k]!) > 1e-100 * max) {
            assert.ok(e <= bound * Math.abs(ref[k]!), `${what} [${k}]: ${r.value[k]} vs ${ref[k]}`);
          }
        } else assert.ok(e <= bound * max, `${what} [${k}]: ${r.value[k]} vs ${ref[k]}`);
      }
    }
  }
});

Deno.test("expm() mirrors by detailed balance: π_i·x_ij = π_j·x_ji to a few ulp", () => {
  const n: number = F.n;
  for (const name of ["mm1_down", "mm1_up", "alternating", "indefinite", "mm1_long"]) {
    const c = F.cases[name];
    const r = expmInfo(dense(c, n), { n });
    assert.ok(r.mirrored > 0, name);
    // π_{k+1} = π_k·a_{k,k+1}/a_{k+1,k}, each π_k within 2k ulp here
    const pi = [1];
    for (let k = 0; k + 1 < n; k++) pi.push(pi[k]! * c.upper[k] / c.lower[k]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const a = pi[i]! * r.value[i * n + j]!, b = pi[j]! * r.value[j * n + i]!;
        // 2(i + j) ulp from π, 2 from r_ij (1.5) and the product, 2 from the two products here
        const tol = (2 * (i + j) + 4) * U * Math.abs(a);
        assert.ok(Math.abs(a - b) <= tol, `${name} (${i}, ${j}): ${a} vs ${b}`);
      }
    }
  }
});
