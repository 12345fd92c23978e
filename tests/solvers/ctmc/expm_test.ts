// deno-lint-ignore-file no-explicit-any
import assert from "node:assert/strict";
import { expm, expmInfo } from "../../../solvers/ctmc/expm.ts";
import { transitionMatrix } from "../../../solvers/ctmc/transition_matrix.ts";
import { uniformization } from "../../../solvers/ctmc/uniformization.ts";
import { RateMatrix } from "../../../processes/rate_matrix.ts";
import { fixture } from "./_fixtures.ts";

const REF = fixture("expm_reference_cut.json");

function mm1(): RateMatrix {
  const rates: [number, number, number][] = [];
  for (let i = 0; i < 100; i++) {
    if (i < 99) rates.push([i, i + 1, 1.0]);
    if (i > 0) rates.push([i, i - 1, 1.2]);
  }
  return RateMatrix.fromRates(100, rates);
}

function generator(name: string, c: any): RateMatrix {
  return name === "mm1_birth_death_100" ? mm1() : RateMatrix.fromDense(c.Q);
}

Deno.test("transitionMatrix() meets expm_reference.json: 1e-14 benign, 1e-11 stiff", () => {
  for (const [name, c] of Object.entries<any>(REF.cases)) {
    const q = generator(name, c);
    for (const [t, r] of Object.entries<any>(c.times)) {
      const n = q.n;
      const p = transitionMatrix(q, Number(t));
      const stiff = name === "two_state_stiff" && Number(t) >= 1000;
      const tol = stiff ? 1e-11 : name === "two_state_stiff" ? 2e-14 : 1e-14;
      const rows: number[] = r.rows ?? [...Array(n).keys()];
      const ref: number[][] = r.P_rows ?? r.P;
      rows.forEach((i, k) => {
        for (let j = 0; j < n; j++) {
          const e = Math.abs(p[i * n + j]! - ref[k]![j]!);
          assert.ok(e <= tol, `${name} t=${t} P[${i}][${j}] off by ${e}`);
        }
      });
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) {
          s += p[i * n + j]!;
          assert.ok(p[i * n + j]! >= -1e-15, `${name} t=${t} P[${i}][${j}] = ${p[i * n + j]}`);
        }
        assert.ok(
          Math.abs(s - 1) <= (stiff ? 1e-11 : 1e-13),
          `${name} t=${t} row ${i} sums to ${s}`,
        );
      }
    }
  }
});

Deno.test("expm() matches closed forms and rejects non-square input", () => {
  // rotation generator: exp([[0, -θ], [θ, 0]]) = [[cos θ, −sin θ], [sin θ, cos θ]]
  for (const th of [1e-3, 0.7, 5, 40]) {
    const e = expm([[0, -th], [th, 0]]);
    const want = [Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)];
    e.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-13 * Math.max(1, th), `θ=${th}`));
  }
  assert.equal(expmInfo([[0, 1e-5], [0, 0]]).degree, 3);
  assert.throws(() => expm([[1, 2], [3]]), TypeError);
  assert.throws(() => expm(new Float64Array(5)), TypeError);
  assert.throws(() => expm([[NaN]]), /finite/);
  assert.throws(() => transitionMatrix(mm1(), -1), RangeError);
});

Deno.test("uniformization() agrees with expm on the 100-state generator within its bound", () => {
  const q = mm1();
  const p0 = new Float64Array(100);
  p0[49] = 1;
  const r = uniformization(q, p0, { times: [1, 10, 100] });
  [1, 10, 100].forEach((t, k) => {
    const P = transitionMatrix(q, t);
    let l1 = 0;
    for (let j = 0; j < 100; j++) l1 += Math.abs(r.distributions[k]![j]! - P[49 * 100 + j]!);
    assert.ok(r.errorBounds[k]! <= 1e-12);
    assert.ok(l1 < 1e-12, `t=${t}: ‖Δ‖₁ = ${l1}`);
  });
  assert.throws(() => uniformization(q, [1, 0], { times: 1 }), TypeError);
  assert.throws(() => uniformization(q, p0, { times: [2, 1] }), RangeError);
});

Deno.test("expm() overflows to Infinity and underflows to 0 as scipy does, never NaN", () => {
  // diagonal: exp of each entry (scipy: inf / 0); these gave NaN through the Padé powers before
  assert.deepEqual([...expm([[1e6, 0], [0, 1]])], [Infinity, 0, 0, Math.E]);
  assert.deepEqual([...expm([[-1e300, 0], [0, -1]])], [0, 0, 0, Math.exp(-1)]);
  // triangular: Code Fragment 2.1 sets the diagonal and the first off-diagonal exactly
  const up = expm([[1e6, 1], [0, 1]]);
  assert.deepEqual([...up], [Infinity, Infinity, 0, Math.E]);
  const down = expm([[-1e300, 1], [0, -1]]); // scipy: NaN
  assert.equal(down[0], 0);
  assert.ok(Math.abs(down[1]! / (Math.exp(-1) / 1e300) - 1) < 1e-13, `${down[1]}`);
  assert.equal(down[3], Math.exp(-1));
  // full: every entry overflows (scipy: inf)
  assert.deepEqual([...expm([[1e3, 1], [2, 1]])], [Infinity, Infinity, Infinity, Infinity]);
  // a sweep of extreme matrices: finite input never gives NaN
  for (const big of [1e3, 1e30, 1e154, 1e200, 1e300]) {
    for (
      const m of [[[big, 1], [1, -big]], [[-big, big], [big, -big]], [[0, big], [-big, 0]], [
        [
          -big,
          1,
          0,
        ],
        [1, 1, big],
        [0, 2, -3],
      ]]
    ) {
      for (const v of [...expm(m), ...expm(m.map((r) => r.map((x) => -x)))]) {
        assert.ok(!Number.isNaN(v), `${JSON.stringify(m)}: ${v}`);
      }
    }
  }
});

Deno.test("expm() keeps small entries of a stochastic exp(Qt) and rows summing to 1", () => {
  // exp of a pure-birth generator (upper bidiagonal) has the closed form of a Poisson clock
  // with distinct rates: P_{0,1}(t) = a/(b − a)·(e^{−at} − e^{−bt}); the triangular path
  // (Code Fragment 2.1) gives it to full relative accuracy even where it is tiny
  for (const [a, b, t] of [[1, 2, 1], [3, 1e-3, 50], [50, 49.999, 2]] as const) {
    const p = expm([[-a * t, a * t], [0, -b * t]]);
    const want = a / (b - a) * (Math.exp(-a * t) - Math.exp(-b * t));
    assert.ok(Math.abs(p[1]! / want - 1) < 1e-12, `${a} ${b} ${t}: ${p[1]} vs ${want}`);
  }
  // rows of exp(Qt) sum to 1; each of the s squarings at most doubles a row-sum error, so
  // |Σ_j P_ij − 1| ≤ 2^s·(2u) plus the summation here (scipy at t = 100: 7.4e-14)
  const q = mm1().toDense();
  for (const t of [0.01, 1, 10, 100]) {
    const r = expmInfo(q.map((v) => v * t), { n: 100 });
    const bound = (2 ** (r.squarings + 1) + 100) * 2 ** -53;
    for (let i = 0; i < 100; i++) {
      let s = 0;
      for (let j = 0; j < 100; j++) s += r.value[i * 100 + j]!;
      assert.ok(Math.abs(s - 1) < bound, `t=${t} row ${i}: ${s} (bound ${bound})`);
    }
  }
});

Deno.test("expm() in WebAssembly and its JavaScript twin agree to rounding, banded and dense", () => {
  // the twin sums each entry in the same order; WebAssembly may fuse multiply-adds (relaxed SIMD),
  // so the two differ only by rounding: 1e-13 relative to the largest entry here
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  for (const n of [2, 3, 4, 5, 7, 8, 13, 37, 64]) {
    for (
      const [p, q, scale] of [[0, 0, 1], [1, 1, 5], [2, 0, 3], [0, 3, 3], [n, n, 0.5], [
        n,
        n,
        20,
      ]]
    ) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = Math.max(0, i - p!); j <= Math.min(n - 1, i + q!); j++) {
          a[i * n + j] = scale! * rnd();
        }
      }
      const w = expmInfo(a, { n }), js = expmInfo(a, { n, wasm: false });
      assert.equal(w.degree, js.degree);
      assert.equal(w.squarings, js.squarings);
      let big = 0;
      for (const v of js.value) big = Math.max(big, Math.abs(v));
      w.value.forEach((v, k) => {
        assert.ok(Math.abs(v - js.value[k]!) <= 1e-13 * big, `n=${n} band ${p},${q}: ${k}`);
      });
    }
  }
  assert.throws(() => expm([[1]], { wasm: "yes" as unknown as boolean }), TypeError);
});
