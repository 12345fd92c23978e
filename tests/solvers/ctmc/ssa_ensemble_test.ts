import assert from "node:assert/strict";
import {
  closeSsaEnsembleWorkers,
  ssaEnsemble,
  type SsaEnsembleResult,
} from "../../../solvers/ctmc/ssa_ensemble.ts";
import { parseReactionNetwork } from "../../../processes/reaction_network_parse.ts";
import { builtinReactionNetwork } from "../../../processes/reaction_network_library.ts";
import { ReactionNetwork } from "../../../processes/reaction_network.ts";
import {
  CpuBackend,
  makeKey,
  NumericalError,
  SdenoParseError,
  SdenoRangeError,
  SdenoTypeError,
} from "../../../kernels/mod.ts";
import { logUnitF32 } from "../../../kernels/_ssa_f32.ts";
import { ssaEnsembleCpu } from "../../../kernels/ssa_ensemble.ts";
import { PHILOX_PURPOSES } from "../../../kernels/purposes.ts";
import { ssaDirect } from "../../../solvers/ctmc/ssa_direct.ts";
import { finishEnsemble, kernelNetwork } from "../../../solvers/ctmc/_ssa_ensemble_stats.ts";
import { setCpuEnsembleTuning } from "../../../solvers/ctmc/_ssa_ensemble_cpu.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";

const cpu = new CpuBackend();

function sameResults(g: SsaEnsembleResult, c: SsaEnsembleResult, label: string) {
  assert.equal(g.backend, "webgpu");
  assert.equal(c.backend, "cpu");
  assert.equal(g.firings, c.firings, `${label}: firings`);
  assert.equal(g.meanFiringsSe, c.meanFiringsSe, `${label}: firings SE`);
  assert.equal(g.absorbed, c.absorbed, `${label}: absorbed`);
  assert.deepEqual(g.sum, c.sum, `${label}: sums`);
  assert.deepEqual(g.sumSq, c.sumSq, `${label}: sums of squares`);
  assert.deepEqual(g.varianceSe, c.varianceSe, `${label}: batch SEs`);
  if (c.counts) assert.deepEqual(g.counts, c.counts, `${label}: counts`);
  if (c.histogram) assert.deepEqual(g.histogram, c.histogram, `${label}: histogram`);
}

Deno.test("logUnitF32() is within 3 f32 ulps of Math.log on (0, 1]", () => {
  // t = (m − 1)/(m + 1) is rounded once (½ ulp), the series and t·series add
  // about 1½, e·ln 2 and the last sum ½ each: 3 ulps at most
  const grid: number[] = [];
  for (let k = 1; k < 1 << 17; k++) grid.push(Math.fround(k / (1 << 17)));
  // down to 2^-120 (the kernel's uniforms are at least 2^-33; no subnormals)
  for (let k = 0; k <= 120 * 256; k++) grid.push(Math.fround(2 ** -(k / 256)));
  let worst = 0;
  for (const u of grid) {
    const ref = Math.log(u);
    if (ref === 0) continue;
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref))) - 23);
    worst = Math.max(worst, Math.abs(logUnitF32(u) - ref) / ulp);
  }
  assert.ok(worst <= 3, `worst ${worst} ulps`);
  assert.ok(worst > 1, `worst ${worst} ulps: the bound is not vacuous`);
  assert.equal(logUnitF32(1), 0);
});

/** The ensemble's statistics from the kernel's float32 cpu twin, as ssaEnsemble finishes them. */
function twinEnsemble(
  net: ReactionNetwork,
  o: {
    tEnd: number;
    saveTimes: number[];
    paths: number;
    key: { seed: number; stream: number };
    pathOffset: number;
    histogram: { species: string; min: number; width: number; bins: number };
  },
): SsaEnsembleResult {
  const { kernel, constants } = kernelNetwork(net, false, "twin");
  const h = {
    species: net.speciesIndex(o.histogram.species),
    lo: o.histogram.min,
    width: o.histogram.width,
    bins: o.histogram.bins,
  };
  const raw = ssaEnsembleCpu(kernel, {
    constants,
    x0: net.initial,
    saveTimes: o.saveTimes,
    tEnd: o.tEnd,
    paths: o.paths,
    pathOffset: o.pathOffset,
    key: o.key,
    purpose: PHILOX_PURPOSES.ssaDirect,
    maxSteps: 1e9,
    record: true,
    histogram: h,
  });
  const r = finishEnsemble(
    net,
    Float64Array.from(o.saveTimes),
    raw,
    "cpu",
    h,
    net.speciesCount,
    o.saveTimes.length,
  );
  return r;
}

Deno.test({
  name:
    "ssaEnsemble() on webgpu gives the kernel's cpu twin's counts, sums and histograms bit for bit",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  const cases: Array<[string, number[], string, number]> = [
    ["birth_death", [1, 10, 50], "X", 600],
    ["dimerization_wilkinson", [1, 10], "P2", 600],
    ["schlogl", [0.5, 2], "X", 300],
    // 4 species × 20 save times = 80 cells: the global-atomics path of the kernel
    ["michaelis_menten_wilkinson", Array.from({ length: 20 }, (_, k) => 2.5 * (k + 1)), "P", 300],
  ];
  for (const [model, saveTimes, species, paths] of cases) {
    const net = builtinReactionNetwork(model);
    const options = {
      tEnd: saveTimes[saveTimes.length - 1]!,
      saveTimes,
      paths,
      key: makeKey(77, 3),
      pathOffset: 1000,
      histogram: { species, min: 0, width: 4, bins: 100 },
    };
    const g = await ssaEnsemble(net, { ...options, counts: true, backend: gpu, chunkPaths: 128 });
    sameResults(g, twinEnsemble(net, options), model);
    assert.ok(g.firings > paths, model);
  }
});

Deno.test({
  name:
    "ssaEnsemble() on cpu runs ssaDirect's paths in float64: the same counts, whatever the workers, the split or the chunking",
  ...GPU_TEST,
}, async () => {
  const before = setCpuEnsembleTuning({ pilotMs: 0, minParallelS: 0, shardS: 0 });
  try {
    for (const model of ["dimerization_small", "schlogl"]) {
      const net = builtinReactionNetwork(model);
      const base = {
        tEnd: 0.5,
        saveTimes: [0.1, 0.5],
        key: makeKey(5),
        counts: true,
        histogram: { species: net.species[0]!, width: 3, bins: 200 },
      };
      const direct = ssaDirect(net, { ...base, paths: 700, pathOffset: 11 });
      const one = await ssaEnsemble(net, {
        ...base,
        backend: cpu,
        paths: 700,
        pathOffset: 11,
        workers: 1,
      });
      assert.equal(one.workers, 0);
      assert.deepEqual(one.counts, direct.counts, model);
      assert.equal(one.firings, direct.steps.reduce((a, b) => a + b, 0));
      for (const workers of [2, 3]) {
        const r = await ssaEnsemble(net, {
          ...base,
          backend: cpu,
          paths: 700,
          pathOffset: 11,
          workers,
        });
        assert.equal(r.workers, workers, `${model}: ${workers} workers ran`);
        assert.deepEqual(r, { ...one, workers }, `${model}, ${workers} workers`);
      }
      const tail = await ssaEnsemble(net, {
        ...base,
        backend: cpu,
        paths: 200,
        pathOffset: 511,
        workers: 2,
      });
      assert.deepEqual(tail.counts, one.counts!.subarray(500 * 2 * net.speciesCount));
    }
    // the first failing path, in path order, whichever worker ran it
    const net = builtinReactionNetwork("birth_death");
    const messages = new Set<string>();
    for (const workers of [1, 2, 3]) {
      await assert.rejects(
        () => ssaEnsemble(net, { backend: cpu, tEnd: 100, paths: 500, maxSteps: 150, workers }),
        (e) => {
          assert.ok(e instanceof NumericalError);
          messages.add((e as Error).message);
          return true;
        },
      );
    }
    assert.equal(messages.size, 1, [...messages].join(" | "));
    assert.match([...messages][0]!, /path \d+ exceeded maxSteps = 150/);
  } finally {
    setCpuEnsembleTuning(before);
    closeSsaEnsembleWorkers();
  }
  const gpu = await gpuBackend();
  if (!gpu) return;
  const net = builtinReactionNetwork("dimerization_small");
  const base = { tEnd: 1, saveTimes: [0.1, 1], key: makeKey(5), counts: true, paths: 256 };
  const g = await ssaEnsemble(net, { ...base, backend: gpu, chunkPaths: 64 });
  const g2 = await ssaEnsemble(net, { ...base, backend: gpu, chunkPaths: 128 });
  assert.deepEqual(g.counts, g2.counts);
});

// (the CME and exact-law checks of the ensemble are in registry_test.ts)

Deno.test({
  name:
    "ssaEnsemble() custom WGSL propensities on webgpu agree with the cpu backend in distribution",
  ...GPU_TEST,
}, async () => {
  const gpu = await gpuBackend();
  if (!gpu) return;
  // birth with negative feedback 20/(1 + X/10), death 0.1·X
  const net = new ReactionNetwork({
    species: [{ name: "X", initial: 0 }],
    reactions: [
      {
        name: "birth",
        products: { X: 1 },
        propensity: {
          cpu: (x) => 20 / (1 + x[0]! / 10),
          wgsl: "return 20.0 / (1.0 + x[0] / 10.0);",
          dependsOn: ["X"],
        },
      },
      { name: "death", reactants: { X: 1 }, rate: 0.1 },
    ],
  });
  const opts = { tEnd: 20, saveTimes: [5, 20], paths: 8192, histogram: { species: "X", bins: 80 } };
  const g = await ssaEnsemble(net, { ...opts, backend: gpu, key: makeKey(1) });
  const c = await ssaEnsemble(net, { ...opts, backend: cpu, key: makeKey(2) });
  for (let k = 0; k < 2; k++) {
    const z = (g.mean[k]! - c.mean[k]!) / Math.hypot(g.meanSe[k]!, c.meanSe[k]!);
    assert.ok(Math.abs(z) < 4, `save ${k}: mean z = ${z}`);
    const zv = (g.variance[k]! - c.variance[k]!) / Math.hypot(g.varianceSe[k]!, c.varianceSe[k]!);
    assert.ok(Math.abs(zv) < 4, `save ${k}: variance z = ${zv}`);
  }
  // two-sample chi-square on the histograms at t = 20 (bins with ≥ 10 in total)
  const a = g.histogram!.counts.subarray(80), b = c.histogram!.counts.subarray(80);
  let stat = 0, dof = -1;
  for (let i = 0; i < 80; i++) {
    const n = a[i]! + b[i]!;
    if (n < 10) continue;
    stat += (a[i]! - b[i]!) ** 2 / n;
    dof++;
  }
  // χ² with dof degrees of freedom: mean dof, sd √(2 dof); 6 sd is far in the tail
  assert.ok(stat < dof + 6 * Math.sqrt(2 * dof), `chi-square ${stat} with ${dof} dof`);
});

Deno.test({
  name: "ssaEnsemble() rejects bad input with typed errors before any work",
  ...GPU_TEST,
}, async () => {
  const net = builtinReactionNetwork("birth_death");
  await assert.rejects(() => ssaEnsemble(net, { backend: cpu, tEnd: 0 }), SdenoRangeError);
  await assert.rejects(() => ssaEnsemble(net, { backend: cpu, tEnd: -1 }), /tEnd must be positive/);
  await assert.rejects(
    () => ssaEnsemble(net, { backend: cpu, tEnd: 1, histogram: { species: "Y" } }),
    /species "Y"/,
  );
  await assert.rejects(
    () => ssaEnsemble(net, { backend: cpu, tEnd: 1, chunkPaths: 100 }),
    /chunkPaths must be a positive multiple of 64/,
  );
  await assert.rejects(
    () => ssaEnsemble(net, { backend: cpu, tEnd: 100, maxSteps: 10 }),
    (e) => e instanceof NumericalError && /path 0 exceeded maxSteps = 10/.test(e.message),
  );
  assert.throws(() => builtinReactionNetwork("brusselator"), /built-in network "brusselator"/);
  assert.throws(
    () => parseReactionNetwork("species X = 1\nX -> 0 @ 1\nX -> 0 @ fast"),
    (e) => e instanceof SdenoParseError && e.line === 3 && e.column === 10,
  );
  const negative = new ReactionNetwork({
    species: [{ name: "X", initial: 1 }],
    reactions: [{ products: { X: 1 }, propensity: { cpu: () => -1, dependsOn: [] } }],
  });
  await assert.rejects(
    () => ssaEnsemble(negative, { backend: cpu, tEnd: 1 }),
    /custom propensity of reaction 0 must be finite and non-negative, got "-1"/,
  );
  await assert.rejects(
    () => ssaEnsemble(net, { backend: cpu, tEnd: 1, workers: 0 }),
    (e) =>
      e instanceof SdenoRangeError && /workers must be an integer in \[1, 256\]/.test(e.message),
  );
  const gpu = await gpuBackend();
  if (!gpu) return;
  await assert.rejects(() => ssaEnsemble(negative, { backend: gpu, tEnd: 1 }), SdenoTypeError);
  const broken = new ReactionNetwork({
    species: [{ name: "X", initial: 1 }],
    reactions: [{
      name: "odd",
      products: { X: 1 },
      propensity: {
        cpu: () => 1,
        wgsl: "let k = 2.0;\nreturn k * y[0];",
        dependsOn: ["X"],
      },
    }],
  });
  await assert.rejects(
    () => ssaEnsemble(broken, { backend: gpu, tEnd: 1 }),
    (e) =>
      e instanceof SdenoParseError && e.line === 2 &&
      /propensity of reaction "odd" at line 2, column \d+ of its snippet/.test(e.message),
  );
});
