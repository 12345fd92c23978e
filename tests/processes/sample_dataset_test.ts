import assert from "node:assert/strict";
import {
  checkerboardQuantiles,
  DATASET_NAMES,
  datasetRegion,
  sampleDataset,
} from "../../processes/sample_dataset.ts";
import { SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";

const KEY = { seed: 77, stream: 2 };
const N = 20_000;

/** z-score of a sample mean of f against its exact expectation. */
function z(values: Float64Array, expected: number): number {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return (mean - expected) / Math.sqrt(v / n);
}

function column(d: Float64Array, j: number, f: (v: number) => number = (v) => v): Float64Array {
  return Float64Array.from({ length: d.length / 2 }, (_, i) => f(d[2 * i + j]!));
}

Deno.test("sampleDataset() matches each dataset's exact moments (|z| < 4)", () => {
  // ring: E x = E y = 0, E x² = E y² = R²/2 + s² = 2.04
  const ring = sampleDataset("ring", { n: N, key: KEY });
  assert.ok(Math.abs(z(column(ring.data, 0), 0)) < 4);
  assert.ok(Math.abs(z(column(ring.data, 1, (v) => v * v), 2.04)) < 4);
  // checkerboard: each coordinate uniform on [−2, 2]: E x² = 4/3
  const cb = sampleDataset("checkerboard", { n: N, key: KEY });
  assert.ok(Math.abs(z(column(cb.data, 0, (v) => v * v), 4 / 3)) < 4);
  assert.ok(Math.abs(z(column(cb.data, 1), 0)) < 4);
  // moons: upper arc E x = 2(E cos θ − ½) = −1, lower arc E x = 2(1 − E cos θ − ½) = 1: overall 0;
  // E y = 2(E sin θ/2 + (½ − E sin θ)/2 − ¼) = 0
  const moons = sampleDataset("moons", { n: N, key: KEY });
  assert.ok(Math.abs(z(column(moons.data, 0), 0)) < 4);
  assert.ok(Math.abs(z(column(moons.data, 1), 0)) < 4);
  // swiss roll: E |p|² = E t²/4.5² + 2·0.01 with t ~ U[1.5π, 4.5π]: E t² = (b³ − a³)/(3(b − a))
  const roll = sampleDataset("swiss-roll", { n: N, key: KEY });
  const a = 1.5 * Math.PI, b = 4.5 * Math.PI;
  const r2 = Float64Array.from(
    { length: N },
    (_, i) => roll.data[2 * i]! ** 2 + roll.data[2 * i + 1]! ** 2,
  );
  assert.ok(Math.abs(z(r2, (b ** 3 - a ** 3) / (3 * (b - a)) / 4.5 ** 2 + 0.02)) < 4);
});

Deno.test("sampleDataset() draws every class equally often (|z| < 4 per class)", () => {
  for (const name of DATASET_NAMES) {
    const d = sampleDataset(name, { n: N, key: KEY });
    for (let c = 0; c < d.classes; c++) {
      const p = 1 / d.classes;
      const count = d.labels.reduce((s, l) => s + (l === c ? 1 : 0), 0);
      assert.ok(Math.abs((count - N * p) / Math.sqrt(N * p * (1 - p))) < 4, `${name} class ${c}`);
    }
  }
});

Deno.test("datasetRegion() puts nearly every drawn point in its own class's region", () => {
  // misclassification needs noise beyond the region's border: 0 for the checkerboard; for the
  // ring a 22.5° excursion is > 3.8 std; moons and roll: nearest curve
  const floor: Record<string, number> = {
    checkerboard: 1,
    ring: 0.999,
    moons: 0.99,
    "swiss-roll": 0.97,
  };
  for (const name of DATASET_NAMES) {
    const d = sampleDataset(name, { n: 4000, key: KEY });
    let hits = 0;
    for (let i = 0; i < 4000; i++) {
      if (datasetRegion(name, d.data[2 * i]!, d.data[2 * i + 1]!) === d.labels[i]) hits++;
    }
    assert.ok(hits / 4000 >= floor[name]!, `${name}: ${hits / 4000}`);
  }
  assert.equal(datasetRegion("checkerboard", -1.5, -0.5), -1); // a light square
  assert.equal(datasetRegion("checkerboard", 5, 0), -1); // off the board
});

Deno.test("sampleDataset() is a pure function of (key, point index)", () => {
  const whole = sampleDataset("ring", { n: 100, key: KEY });
  const tail = sampleDataset("ring", { n: 40, key: KEY, offset: 60 });
  assert.deepEqual(tail.data, whole.data.slice(120));
  assert.deepEqual(tail.labels, whole.labels.slice(60));
  const other = sampleDataset("ring", { n: 100, key: { seed: 78, stream: 2 } });
  assert.notDeepEqual(other.data, whole.data);
});

Deno.test("sampleDataset() rejects unknown names and bad sizes", () => {
  assert.throws(
    () => sampleDataset("spiral" as never, { n: 3 }),
    (e: Error) => e instanceof SdenoRangeError && /got "spiral"/.test(e.message),
  );
  assert.throws(() => sampleDataset("ring", { n: -1 }), SdenoRangeError);
  assert.throws(() => sampleDataset("ring", { n: 1.5 }), SdenoTypeError);
});

Deno.test("checkerboardQuantiles() are the exact quantiles: each level's CDF mass matches a sample (|z| < 4)", () => {
  // For level p the fraction of n drawn points whose projection lies below the quantile is
  // Binomial(n, p)/n: z = (count − n p)/sqrt(n p (1 − p)).
  const n = 200_000;
  const d = sampleDataset("checkerboard", { n, key: { seed: 5, stream: 5 } }).data;
  const directions = [1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2, 0.6, -0.8, -0.28, 0.96];
  const q = 9;
  const table = checkerboardQuantiles({ directions, levels: q });
  for (let l = 0; l < directions.length / 2; l++) {
    const c = directions[2 * l]!, s = directions[2 * l + 1]!;
    const proj = Float64Array.from({ length: n }, (_, i) => c * d[2 * i]! + s * d[2 * i + 1]!);
    for (let j = 0; j < q; j++) {
      const p = (j + 0.5) / q, v = table[l * q + j]!;
      if (j > 0) assert.ok(v >= table[l * q + j - 1]!, "non-decreasing");
      const count = proj.reduce((a, u) => a + (u <= v ? 1 : 0), 0);
      const z = (count - n * p) / Math.sqrt(n * p * (1 - p));
      assert.ok(Math.abs(z) < 4, `direction ${l}, level ${p}: z = ${z}`);
    }
  }
});
