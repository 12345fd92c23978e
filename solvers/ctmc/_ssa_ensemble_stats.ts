// The kernel side of ssaEnsemble and the statistics every backend returns:
// the network as kernel data, and the finish from raw integer sums (per batch
// of paths) to means, variances, standard errors and the histogram. Private:
// no mod.ts re-exports this file; tests use it to finish the kernel's twin.

import { quote, SdenoTypeError } from "../../kernels/errors.ts";
import { factorial } from "../../kernels/factorial.ts";
import {
  SSA_BATCHES,
  type SsaEnsemblePlan,
  type SsaKernelNetwork,
} from "../../kernels/ssa_ensemble.ts";
import type { ReactionNetwork } from "../../processes/reaction_network.ts";
import type { SsaEnsembleResult } from "./ssa_ensemble.ts";

/** Raw sums of any backend (the kernel's, or the float64 cpu ensemble's). */
export interface EnsembleSums {
  paths: number;
  cells: number;
  sum: Float64Array;
  sumSq: Float64Array;
  batchPaths: Float64Array;
  steps: number;
  stepsSq: number;
  absorbed: number;
  histogram: Float64Array | undefined;
  counts: ArrayLike<number> | undefined;
}

/** The network as kernel data, and its falling-factorial constants. */
export function kernelNetwork(
  net: ReactionNetwork,
  gpu: boolean,
  what: string,
): { kernel: SsaKernelNetwork; constants: Float64Array } {
  const deps = net.dependencyGraph();
  const constants = new Float64Array(net.reactions.length);
  const reactions = net.reactions.map((r, j) => {
    let custom: { wgsl: string; cpu: (x: Float64Array) => number } | undefined;
    if (r.custom) {
      if (gpu && typeof r.custom.wgsl !== "string") {
        throw new SdenoTypeError(
          `${what}: reaction ${
            quote(r.name)
          } has a custom propensity without a wgsl snippet, so it cannot run on webgpu`,
        );
      }
      custom = { wgsl: r.custom.wgsl ?? "", cpu: r.custom.cpu };
    } else {
      let f = 1;
      for (const [, o] of r.reactants) f *= Number(factorial(o));
      constants[j] = r.constant / f;
    }
    return {
      name: r.name,
      reactants: r.reactants,
      change: r.change,
      dependents: deps[j]!,
      ...(custom ? { custom } : {}),
    };
  });
  return { kernel: { species: net.speciesCount, reactions }, constants };
}

/** n·S2 − S1² exactly, over n(n − 1): the unbiased variance from integer sums. */
export function unbiasedVariance(n: number, s1: number, s2: number): number {
  if (n < 2) return NaN;
  const num = BigInt(n) * BigInt(s2) - BigInt(s1) * BigInt(s1);
  return Number(num) / (n * (n - 1));
}

/** Means, variances, standard errors and the histogram from raw sums. */
export function finishEnsemble(
  network: ReactionNetwork,
  saveTimes: Float64Array,
  raw: EnsembleSums,
  backend: "cpu" | "webgpu",
  h: SsaEnsemblePlan["histogram"],
  ns: number,
  nSave: number,
): SsaEnsembleResult {
  const cells = ns * nSave, n = raw.paths;
  const sum = new Float64Array(cells), sumSq = new Float64Array(cells);
  for (let b = 0; b < SSA_BATCHES; b++) {
    for (let c = 0; c < cells; c++) {
      sum[c]! += raw.sum[b * cells + c]!;
      sumSq[c]! += raw.sumSq[b * cells + c]!;
    }
  }
  const mean = new Float64Array(cells), variance = new Float64Array(cells);
  const meanSe = new Float64Array(cells), varianceSe = new Float64Array(cells);
  const used = [...raw.batchPaths.keys()].filter((b) => raw.batchPaths[b]! >= 2);
  for (let c = 0; c < cells; c++) {
    mean[c] = sum[c]! / n;
    variance[c] = unbiasedVariance(n, sum[c]!, sumSq[c]!);
    meanSe[c] = Math.sqrt(variance[c]! / n);
    if (used.length < 2) {
      varianceSe[c] = NaN;
      continue;
    }
    // non-overlapping batch means: Var(v̂) ≈ B/(B − 1) · Σ_b (n_b/n)² (v_b − v̂)²
    let acc = 0;
    for (const b of used) {
      const nb = raw.batchPaths[b]!;
      const vb = unbiasedVariance(nb, raw.sum[b * cells + c]!, raw.sumSq[b * cells + c]!);
      acc += (nb / n) ** 2 * (vb - variance[c]!) ** 2;
    }
    varianceSe[c] = Math.sqrt(acc * used.length / (used.length - 1));
  }
  const out: SsaEnsembleResult = {
    workers: 0,
    species: network.species,
    saveTimes,
    paths: n,
    backend,
    mean,
    variance,
    meanSe,
    varianceSe,
    sum,
    sumSq,
    firings: raw.steps,
    meanFirings: raw.steps / n,
    meanFiringsSe: Math.sqrt(unbiasedVariance(n, raw.steps, raw.stepsSq) / n),
    absorbed: raw.absorbed,
  };
  if (h && raw.histogram) {
    const counts = new Float64Array(nSave * h.bins);
    const underflow = new Float64Array(nSave), overflow = new Float64Array(nSave);
    for (let s = 0; s < nSave; s++) {
      const row = raw.histogram.subarray(s * (h.bins + 2), (s + 1) * (h.bins + 2));
      underflow[s] = row[0]!;
      overflow[s] = row[h.bins + 1]!;
      counts.set(row.subarray(1, h.bins + 1), s * h.bins);
    }
    out.histogram = {
      species: network.species[h.species]!,
      edges: Float64Array.from({ length: h.bins + 1 }, (_, b) => h.lo + b * h.width),
      counts,
      underflow,
      overflow,
    };
  }
  if (raw.counts) out.counts = Float64Array.from(raw.counts);
  return out;
}
