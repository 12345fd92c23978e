import assert from "node:assert/strict";
import {
  emptyPartialMoments,
  finishPartialMoments,
  mergePartialMoments,
  type PartialMoments,
  partialMoments,
} from "../../stats/partial_moments.ts";

/** A small deterministic integer generator (LCG), for data only. */
function integers(n: number, range: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % range;
  });
}

/**
 * Exact means and co-moments of integer rows by rational arithmetic:
 * mean = S_a / n, M2_ab = Σ x_a x_b − S_a S_b / n, returned as numbers (one rounding each).
 */
function exactMoments(data: number[], columns: number, dim: number) {
  const n = data.length / columns;
  const s = Array.from({ length: columns }, () => 0n);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < columns; j++) s[j]! += BigInt(data[r * columns + j]!);
  }
  const mean = s.map((v) => Number(v) / n);
  const m2: number[] = [];
  for (let g = 0; g < columns; g += dim) {
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        let sab = 0n;
        for (let r = 0; r < n; r++) {
          sab += BigInt(data[r * columns + g + a]!) * BigInt(data[r * columns + g + b]!);
        }
        // (n·Σab − Sa·Sb) / n, exactly in BigInt, then one division
        const num = BigInt(n) * sab - s[g + a]! * s[g + b]!;
        m2.push(Number(num) / n);
      }
    }
  }
  return { mean, m2 };
}

/** Folds the rows in blocks of `size`, left to right, by Chan's update. */
function foldBlocks(data: number[], columns: number, dim: number, size: number): PartialMoments {
  let acc = emptyPartialMoments(columns, dim);
  for (let r = 0; r < data.length / columns; r += size) {
    const block = data.slice(r * columns, (r + size) * columns);
    acc = mergePartialMoments(acc, partialMoments(block, { columns, dim }));
  }
  return acc;
}

Deno.test("mergePartialMoments() over any blocking equals the exact moments of integer data", () => {
  const columns = 6, dim = 3, n = 1000;
  const data = integers(n * columns, 1000, 7);
  const exact = exactMoments(data, columns, dim);
  for (const size of [1, 3, 64, 333, 1000]) {
    const p = foldBlocks(data, columns, dim, size);
    assert.equal(p.count, n);
    for (let j = 0; j < columns; j++) {
      assert.ok(Math.abs(p.mean[j]! - exact.mean[j]!) <= 1e-13 * exact.mean[j]!, `mean ${j}`);
    }
    const scale = Math.max(...exact.m2.map(Math.abs));
    for (let k = 0; k < exact.m2.length; k++) {
      assert.ok(
        Math.abs(p.m2[k]! - exact.m2[k]!) <= 1e-12 * scale,
        `size ${size}, m2[${k}]: ${p.m2[k]} vs ${exact.m2[k]}`,
      );
    }
  }
});

Deno.test("mergePartialMoments() stays accurate far from zero, where Σx² − (Σx)²/n cancels", () => {
  // 10⁹ + small integers: M2 is that of the small parts, exactly known
  const small = integers(4000, 17, 3);
  const data = small.map((v) => 1e9 + v);
  const exact = exactMoments(small, 1, 1);
  const p = foldBlocks(data, 1, 1, 100);
  // condition κ = |x̄|/s ≈ 2·10⁸: the updates lose about ε·κ ≈ 4·10⁻⁸ relative (Chan, Golub &
  // LeVeque 1983, §3), the textbook one-pass form ε·κ² ≈ 10
  const kappa = 1e9 / Math.sqrt(exact.m2[0]! / 4000);
  const err = Math.abs(p.m2[0]! - exact.m2[0]!) / exact.m2[0]!;
  assert.ok(err <= 10 * Number.EPSILON * kappa, `${p.m2[0]} vs ${exact.m2[0]}: ${err}`);
  let s1 = 0, s2 = 0;
  for (const x of data) {
    s1 += x;
    s2 += x * x;
  }
  const naive = s2 - (s1 * s1) / data.length;
  assert.ok(Math.abs(naive - exact.m2[0]!) > 1e3 * err * exact.m2[0]!, `naive ${naive}`);
});

Deno.test("mergePartialMoments() gives the same bits for the same blocks in the same order", () => {
  const data = integers(3 * 2 * 500, 100, 11).map((v) => v / 7 - 3.1);
  const blocks: PartialMoments[] = [];
  for (let r = 0; r < 500; r += 37) {
    blocks.push(partialMoments(data.slice(r * 6, (r + 37) * 6), { columns: 6, dim: 2 }));
  }
  const fold = () => blocks.reduce((a, b) => mergePartialMoments(a, b));
  const a = fold(), b = fold();
  assert.deepEqual(a, b);
  // the empty part is an identity, bit for bit, on either side
  const e = emptyPartialMoments(6, 2);
  assert.deepEqual(mergePartialMoments(e, a), a);
  assert.deepEqual(mergePartialMoments(a, e), a);
  // the inputs are not changed
  const before = structuredClone(blocks[0]!);
  mergePartialMoments(blocks[0]!, blocks[1]!);
  assert.deepEqual(blocks[0], before);
});

Deno.test("finishPartialMoments() gives unbiased (co)variances and standard errors", () => {
  // two columns in one group: (1, 2), (3, 2), (5, 8)
  const s = finishPartialMoments(partialMoments([1, 2, 3, 2, 5, 8], { columns: 2, dim: 2 }));
  assert.deepEqual([...s.mean], [3, 4]);
  assert.deepEqual([...s.variance], [4, 12]);
  assert.deepEqual([...s.covariance], [4, 6, 6, 12]);
  assert.deepEqual([...s.meanSe], [Math.sqrt(4 / 3), 2]);
  // one row has no spread estimate
  assert.ok(Number.isNaN(finishPartialMoments(partialMoments([1], { columns: 1 })).variance[0]));
});

Deno.test("partial moments refuse mismatched shapes with typed errors", () => {
  const a = partialMoments([1, 2, 3, 4], { columns: 2 });
  const b = partialMoments([1, 2, 3, 4], { columns: 2, dim: 2 });
  assert.throws(() => mergePartialMoments(a, b), TypeError);
  assert.throws(
    () => mergePartialMoments(a, partialMoments([1, 2, 3], { columns: 3 })),
    /the parts must have the same shape, got 2 columns in groups of 1 and 3 in groups of 1/,
  );
  assert.throws(() => partialMoments([1, 2, 3], { columns: 2 }), /whole rows of 2 columns/);
  assert.throws(() => emptyPartialMoments(3, 2), RangeError);
  assert.throws(() => emptyPartialMoments(2, 0), RangeError);
  assert.throws(
    () => mergePartialMoments({ ...a, count: -1 }, a),
    /a\.count must be a whole number, got "-1"/,
  );
  assert.throws(() => mergePartialMoments({ ...a, m2: new Float64Array(3) }, a), TypeError);
});

Deno.test("mergePartialMoments() is not associative in floating point: a shard-wise tree differs in bits", () => {
  // why sharded runs fold the blocks themselves in block order rather than merge shard totals
  const data = Float64Array.from({ length: 3 * 1000 }, (_, i) => Math.sin(i * 0.7) * 10 + i / 300);
  const blocks: PartialMoments[] = [];
  for (let r = 0; r < 1000; r += 64) {
    blocks.push(
      partialMoments(data.subarray(r * 3, Math.min(1000, r + 64) * 3), { columns: 3, dim: 3 }),
    );
  }
  const fold = (bs: PartialMoments[]) => bs.reduce((a, b) => mergePartialMoments(a, b));
  const inOrder = fold(blocks);
  const byShards = mergePartialMoments(fold(blocks.slice(0, 8)), fold(blocks.slice(8)));
  assert.notDeepEqual(byShards, inOrder);
  for (let j = 0; j < 3; j++) {
    assert.ok(Math.abs(byShards.mean[j]! - inOrder.mean[j]!) <= 1e-14 * Math.abs(inOrder.mean[j]!));
  }
});
