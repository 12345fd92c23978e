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
