import assert from "node:assert/strict";
import { brownianGrid, virtualBrownianTree } from "../../../solvers/sde/mod.ts";

const key = { seed: 2024, stream: 3 };

Deno.test("virtualBrownianTree() increments over any partition sum to the same W(t)", () => {
  const bm = virtualBrownianTree(key, { noiseDim: 2, t1: 2 });
  const n = 5;
  const sum = (ts: number[]) => {
    const acc = new Float64Array(n * 2);
    const out = { dW: new Float64Array(n * 2), dZ: new Float64Array(n * 2) };
    for (let i = 0; i + 1 < ts.length; i++) {
      bm.increment(ts[i]!, ts[i + 1]!, out, n);
      for (let e = 0; e < n * 2; e++) acc[e] = acc[e]! + out.dW[e]!;
    }
    return acc;
  };
  const a = sum([0, 2]);
  const b = sum([0, 0.1, 0.37, 1.001, 1.5, 2]);
  const c = sum([0, 1.9999, 2]);
  for (let e = 0; e < n * 2; e++) {
    assert.ok(Math.abs(a[e]! - b[e]!) < 1e-12);
    assert.ok(Math.abs(a[e]! - c[e]!) < 1e-12);
  }
  // any query order gives the same answer
  const x = { dW: new Float64Array(n * 2) }, y = { dW: new Float64Array(n * 2) };
  bm.increment(0.5, 0.9, x, n);
  bm.increment(1.2, 1.3, y, n);
  bm.increment(0.5, 0.9, y, n);
  assert.deepEqual(x.dW, y.dW);
});

Deno.test("virtualBrownianTree() W(t) − W(s) has variance t − s and ΔZ variance (t − s)³/3", () => {
  const n = 20000;
  const bm = virtualBrownianTree(key, { noiseDim: 1, t1: 1, depth: 20 });
  for (const [s, t] of [[0.3, 0.71], [0, 1], [0.5, 0.5625]] as const) {
    const out = { dW: new Float64Array(n), dZ: new Float64Array(n) };
    bm.increment(s, t, out, n);
    const h = t - s;
    for (const [v, expect] of [[out.dW, h], [out.dZ, h ** 3 / 3]] as const) {
      const m2 = v.reduce((a, b) => a + b * b, 0) / n;
      const m4 = v.reduce((a, b) => a + b ** 4, 0) / n;
      const se = Math.sqrt((m4 - m2 * m2) / n);
      assert.ok(
        Math.abs(m2 - expect) / se < 4,
        `[${s}, ${t}] second moment ${m2} vs ${expect} (se ${se})`,
      );
    }
    // Cov(ΔW, ΔZ) = h²/2
    const c = out.dW.reduce((a, w, i) => a + w * out.dZ[i]!, 0) / n;
    const c2 = out.dW.reduce((a, w, i) => a + (w * out.dZ[i]!) ** 2, 0) / n;
    assert.ok(Math.abs(c - h * h / 2) / Math.sqrt((c2 - c * c) / n) < 4);
  }
});

Deno.test("virtualBrownianTree() does not depend on the batch or the path offset", () => {
  const bm = virtualBrownianTree(key, { noiseDim: 1, t1: 1 });
  const all = { dW: new Float64Array(10) }, tail = { dW: new Float64Array(4) };
  bm.increment(0.2, 0.7, all, 10);
  bm.increment(0.2, 0.7, tail, 4, 6);
  assert.deepEqual(tail.dW, all.dW.subarray(6));
});

Deno.test("brownianGrid() coarse increments are sums of fine ones and have variance h", () => {
  const n = 20000;
  const bm = brownianGrid(key, { noiseDim: 1, dt: 1 / 64 });
  const coarse = { dW: new Float64Array(n), dZ: new Float64Array(n) };
  bm.increment(0, 0.5, coarse, n);
  const acc = new Float64Array(n), z = new Float64Array(n);
  const fine = { dW: new Float64Array(n), dZ: new Float64Array(n) };
  for (let j = 0; j < 32; j++) {
    bm.increment(j / 64, (j + 1) / 64, fine, n);
    for (let i = 0; i < n; i++) {
      z[i] = z[i]! + fine.dZ[i]! + acc[i]! / 64;
      acc[i] = acc[i]! + fine.dW[i]!;
    }
  }
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(acc[i]! - coarse.dW[i]!) < 1e-12);
    assert.ok(Math.abs(z[i]! - coarse.dZ[i]!) < 1e-12);
  }
  const m2 = coarse.dW.reduce((a, b) => a + b * b, 0) / n;
  assert.ok(Math.abs(m2 - 0.5) / (0.5 * Math.sqrt(2 / n)) < 4);
  assert.throws(() => bm.increment(0, 0.3, coarse, 1), /must lie on the grid/);
});
