import assert from "node:assert/strict";
import { erf, erfc, erfcx } from "../../stats/erf.ts";
import { normalCdf } from "../../stats/normal_cdf.ts";

// Reference values: mpmath at 30 digits, rounded to float64, e.g.
// python3 -c "import mpmath as mp; mp.mp.dps=30; print(repr(float(mp.ncdf(-20))))"
const NCDF: [number, number][] = [
  [-37.5, 4.605353009581955e-308],
  [-20, 2.7536241186062337e-89],
  [-8.5, 9.479534822203318e-18],
  [-5, 2.866515718791939e-7],
  [-1.959963984540054, 0.025000000000000012],
  [-1, 0.15865525393145705],
  [-0.3, 0.3820885778110474],
  [0, 0.5],
  [0.3, 0.6179114221889527],
  [1, 0.8413447460685429],
  [2.5, 0.9937903346742238],
  [5, 0.9999997133484281],
  [8, 0.9999999999999993],
];

Deno.test("normalCdf() matches mpmath to 1e-15 relative across both tails", () => {
  for (const [x, ref] of NCDF) {
    const got = normalCdf(x);
    assert.ok(Math.abs(got / ref - 1) < 1.5e-15, `Φ(${x}) = ${got}, mpmath ${ref}`);
  }
});

Deno.test("normalCdf() is monotone, symmetric and handles infinities and NaN", () => {
  let prev = 0;
  for (let x = -10; x <= 10; x += 0.01) {
    const f = normalCdf(x);
    assert.ok(f >= prev, `not monotone at ${x}`);
    prev = f;
    assert.ok(Math.abs(f + normalCdf(-x) - 1) < 2e-16);
  }
  assert.equal(normalCdf(-Infinity), 0);
  assert.equal(normalCdf(Infinity), 1);
  assert.ok(Number.isNaN(normalCdf(NaN)));
});

// mpmath.erfc / mpmath.erf at 30 digits, rounded to float64
const ERFC: [number, number][] = [
  [-3, 1.9999779095030015],
  [-0.2, 1.2227025892104784],
  [0.1, 0.887537083981715],
  [0.46875, 0.507386526782062],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028513],
  [2, 0.004677734981047266],
  [3.9, 3.4792248597231765e-8],
  [4, 1.541725790028002e-8],
  [4.1, 6.700027654084918e-9],
  [10, 2.088487583762545e-45],
  [26, 5.663192408856143e-296],
];
const ERF: [number, number][] = [
  [-3, -0.9999779095030014],
  [-0.2, -0.22270258921047847],
  [0.1, 0.1124629160182849],
  [0.46875, 0.49261347321793797],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [2, 0.9953222650189527],
  [4, 0.9999999845827421],
  [10, 1],
];
const ERFCX: [number, number][] = [
  [-2, 108.94090438997797],
  [0.2, 0.8090195199015807],
  [1, 0.427583576155807],
  [3, 0.17900115118138996],
  [5, 0.11070463773306863],
  [30, 0.01879588886141675],
  [1e4, 5.641895807268084e-5],
];

Deno.test("erfc(), erf() and erfcx() match mpmath to 1e-15 relative in all three of Cody's intervals", () => {
  for (const [x, ref] of ERFC) {
    assert.ok(Math.abs(erfc(x) / ref - 1) < 1e-15, `erfc(${x}) = ${erfc(x)}, mpmath ${ref}`);
  }
  for (const [x, ref] of ERF) {
    assert.ok(Math.abs(erf(x) / ref - 1) < 1e-15, `erf(${x}) = ${erf(x)}, mpmath ${ref}`);
  }
  for (const [x, ref] of ERFCX) {
    assert.ok(Math.abs(erfcx(x) / ref - 1) < 1.5e-15, `erfcx(${x}) = ${erfcx(x)}, mpmath ${ref}`);
  }
  assert.equal(erfc(30), 0);
  assert.equal(erf(Infinity), 1);
  assert.ok(Number.isNaN(erfc(NaN)));
});
