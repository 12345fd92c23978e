import assert from "node:assert/strict";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillNormal } from "../../kernels/philox.ts";
import { kolmogorovSurvival, ksTest } from "../../stats/kolmogorov_smirnov.ts";
import { normalCdf } from "../../stats/normal_cdf.ts";

const uniformCdf = (v: number) => Math.min(1, Math.max(0, v));

Deno.test("kolmogorovSurvival() matches scipy.stats.kstwobign.sf on both series", () => {
  // python3 -c "import scipy.stats as st; print([repr(v) for v in st.kstwobign.sf([0.3,0.5,...])])"
  const ref: [number, number][] = [
    [0.3, 0.9999906941986655],
    [0.5, 0.9639452436648751],
    [0.8, 0.5441424115741981],
    [1.0, 0.26999967167735456],
    [1.2, 0.11224966667072497],
    [1.3581015157, 0.04999921876104001],
    [1.6, 0.011952043239196616],
    [2.0, 0.0006709252557796953],
    [3.0, 3.045995948942526e-8],
  ];
  for (const [t, p] of ref) {
    const got = kolmogorovSurvival(t);
    assert.ok(Math.abs(got / p - 1) < 1e-14, `sf(${t}) = ${got}, scipy ${p}`);
  }
  assert.equal(kolmogorovSurvival(0), 1);
  assert.equal(kolmogorovSurvival(Infinity), 0);
});

Deno.test("ksTest() matches scipy.stats.kstest(method='asymp')", () => {
  // i = numpy.arange(100); x = 3*numpy.sin(1.7*i); scipy.stats.kstest(x, 'norm', method='asymp')
  const x1 = Array.from({ length: 100 }, (_, i) => 3 * Math.sin(1.7 * i));
  const r1 = ksTest(x1, normalCdf);
  assert.ok(Math.abs(r1.statistic - 0.27534124244544733) < 1e-13);
  assert.ok(Math.abs(r1.pValue / 5.200126089310561e-7 - 1) < 1e-10);
  // x = numpy.sin(i)*0.5 + 0.5; kstest(x, 'uniform', method='asymp')
  const x2 = Array.from({ length: 100 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
  const r2 = ksTest(x2, uniformCdf);
  assert.ok(Math.abs(r2.statistic - 0.12341433974505167) < 1e-13);
  assert.ok(Math.abs(r2.pValue - 0.0950663597676858) < 1e-12);
  // x = numpy.arange(1000)*0.001*4 - 2 + 0.3; kstest(x, 'norm', method='asymp')
  const x4 = Array.from({ length: 1000 }, (_, i) => i * 0.001 * 4 - 2 + 0.3);
  const r4 = ksTest(x4, normalCdf);
  assert.equal(r4.n, 1000);
  assert.ok(Math.abs(r4.statistic - 0.1664778151498295) < 1e-13);
  assert.ok(Math.abs(r4.pValue / 1.6912426224327916e-24 - 1) < 1e-10);
});

Deno.test("ksTest() rejects about 10% of true-null normal samples at level 0.1", () => {
  // 400 samples of n = 200 normals: the count with p < 0.1 is Binomial(400, ≈0.1)
  // (the asymptotic p-value is slightly conservative at n = 200: ≈0.095)
  const R = 400;
  const x = new Float64Array(200);
  let small = 0;
  for (let r = 0; r < R; r++) {
    fillNormal(x, { seed: 21, stream: r });
    if (ksTest(x, normalCdf).pValue < 0.1) small++;
  }
  const se = Math.sqrt(R * 0.1 * 0.9);
  assert.ok(Math.abs(small - R * 0.1) / se < 4, `${small} of ${R} below 0.1`);
});

Deno.test("ksTest() rejects empty samples, bad cdf values and a non-function", () => {
  assert.throws(
    () => ksTest([], normalCdf),
    (e: unknown) =>
      e instanceof SdenoRangeError && e.message.includes("sample must have at least 1 element"),
  );
  assert.throws(
    () => ksTest([0.5], () => 2),
    (e: unknown) =>
      e instanceof SdenoRangeError &&
      e.message.includes('cdf must return a probability in [0, 1], got "2"'),
  );
  assert.throws(
    () => ksTest([0.5], "normal" as unknown as (x: number) => number),
    (e: unknown) => e instanceof SdenoTypeError && e.message.includes("cdf must be a function"),
  );
});
