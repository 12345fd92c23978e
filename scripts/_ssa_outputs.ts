// The outputs of scripts/ssa.ts from its statistics, shared by its runs and scripts/merge.ts, so
// an unsharded ensemble and the merge of its shards write the same bytes: the printed table,
// paths.svg, histograms.svg, moments.npy, counts.npy (per-path methods) and moments.json.

import type { MergedPartial, SharedValue } from "../io/partial.ts";
import { encodeNpy, linePlot, panelGrid } from "../io/mod.ts";

/** The files a run of scripts/ssa.ts may write into --out. */
export const SSA_OUTPUTS = [
  "paths.svg",
  "histograms.svg",
  "moments.npy",
  "counts.npy",
  "moments.json",
];

/** Statistics of a run, per cell (saves × species, row-major). */
export interface SsaSummary {
  mean: Float64Array;
  variance: Float64Array;
  meanSe: Float64Array;
  varianceSe: Float64Array;
  firings: number;
  hist: Array<{ counts: Float64Array; edges: Float64Array }>;
  counts?: Float64Array;
  backend: string;
}

/** A run's settings for its report, alike in every shard. */
export interface SsaShared {
  [key: string]: SharedValue;
  /** The network as named on the command line (`--network`, or the `--sbml` file). */
  network: string;
  /** The network's own name (may be empty). */
  title: string;
  species: string[];
  method: string;
  backend: string;
  seed: number;
  tEnd: number;
  saveTimes: number[];
  /** The histogrammed species. */
  histSpecies: string;
  /** Histogram edges (bins + 1), and the bins' width. */
  edges: Float64Array;
  /** Up to 5 sample paths by the direct method, as plot series (a step function each). */
  pathSeries: Array<{ x: Float64Array; y: Float64Array; label: string | null }>;
}

/** n·S2 − S1² exactly (BigInt), over n(n − 1): the unbiased variance of integer sums. */
function exactVariance(n: number, s1: number, s2: number): number {
  return Number(BigInt(n) * BigInt(s2) - BigInt(s1) ** 2n) / (n * (n - 1));
}

/** The statistics of an ensemble run from its merged blocks' exact integer sums. */
export function ssaSummaryFromMerged(merged: MergedPartial): SsaSummary {
  const sh = merged.shared as SsaShared;
  const paths = merged.run.paths;
  const sum = merged.sums.sum!, sumSq = merged.sums.sumSq!;
  const mean = sum.map((v) => v / paths);
  const variance = sumSq.map((v, c) => exactVariance(paths, sum[c]!, v));
  const bins = sh.edges.length - 1;
  const h = merged.sums.histogram!;
  return {
    mean,
    variance,
    meanSe: variance.map((v) => Math.sqrt(v / paths)),
    // each block's batch-means SE_b gives n_b·SE_b² ≈ Var(x²-ish) per path; pooled over the
    // blocks that have one (Σ n_b²·SE_b² / Σ n_b), the SE of the whole run is √(pooled / n)
    varianceSe: merged.sums.varianceSeSq!.map((q, c) =>
      Math.sqrt(q / merged.sums.varianceSePaths![c]! / paths)
    ),
    firings: merged.sums.firings![0]!,
    hist: sh.saveTimes.map((_, s) => ({
      counts: h.slice(s * bins, (s + 1) * bins),
      edges: sh.edges,
    })),
    backend: sh.backend,
  };
}

/** The printed report and the files of a run. */
export function ssaReport(
  summary: SsaSummary,
  sh: SsaShared,
  options: { json: boolean; seconds: number; paths: number; runSha256?: string },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  const { paths, seconds } = options;
  const ns = sh.species.length, saveTimes = sh.saveTimes;
  const lines: string[] = [];
  lines.push(
    `${
      sh.title || sh.network
    }: ${paths} paths by ${sh.method} on ${summary.backend}, seed ${sh.seed}`,
  );
  lines.push(
    `time ${seconds.toFixed(3)} s, ${summary.firings} firings (${
      (summary.firings / seconds).toExponential(3)
    } firings/s)\n`,
  );
  lines.push("time        species          mean    std.err      variance    std.err");
  const rows = [];
  for (let s = 0; s < saveTimes.length; s++) {
    for (let i = 0; i < ns; i++) {
      const c = s * ns + i;
      const row = {
        time: saveTimes[s]!,
        species: sh.species[i]!,
        mean: summary.mean[c]!,
        meanSe: summary.meanSe[c]!,
        variance: summary.variance[c]!,
        varianceSe: summary.varianceSe[c]!,
      };
      rows.push(row);
      lines.push(
        `${String(row.time).padEnd(11)} ${row.species.padEnd(12)} ${
          row.mean.toFixed(4).padStart(10)
        } ${row.meanSe.toExponential(2).padStart(10)} ${row.variance.toFixed(4).padStart(13)} ${
          row.varianceSe.toExponential(2).padStart(10)
        }`,
      );
    }
  }
  const shown = Math.min(5, paths);
  const files: Array<[string, Uint8Array | string]> = [
    [
      "paths.svg",
      linePlot(
        sh.pathSeries.map((p) => ({
          x: p.x,
          y: p.y,
          ...(p.label === null ? {} : { label: p.label }),
          width: 1,
        })),
        { title: `${shown} sample paths (direct method)`, xLabel: "t", yLabel: "count" },
      ),
    ],
    [
      "histograms.svg",
      panelGrid(
        summary.hist.map((h, s) => ({
          title: `${sh.histSpecies} at t = ${saveTimes[s]}`,
          plot: { kind: "histogram" as const, histogram: { counts: h.counts, edges: h.edges } },
        })),
        { title: `${sh.histSpecies}: ${paths} paths by ${sh.method}` },
      ),
    ],
  ];
  const moms = new Float64Array(2 * saveTimes.length * ns);
  moms.set(summary.mean, 0);
  moms.set(summary.variance, saveTimes.length * ns);
  files.push(["moments.npy", encodeNpy({ data: moms, shape: [2, saveTimes.length, ns] })]);
  if (summary.counts) {
    files.push([
      "counts.npy",
      encodeNpy({ data: summary.counts, shape: [paths, saveTimes.length, ns] }),
    ]);
  }
  if (options.json) {
    const json = {
      network: sh.network,
      method: sh.method,
      backend: summary.backend,
      paths,
      seed: sh.seed,
      tEnd: sh.tEnd,
      ...(options.runSha256 === undefined ? {} : { runSha256: options.runSha256 }),
      seconds,
      firings: summary.firings,
      moments: rows,
    };
    files.push(["moments.json", JSON.stringify(json, null, 2) + "\n"]);
  }
  return { lines, files };
}

/** The report and files of a merged ensemble run (scripts/merge.ts, and ssa.ts unsharded). */
export function ssaOutputs(
  merged: MergedPartial,
  options: { json: boolean; seconds: number },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  return ssaReport(ssaSummaryFromMerged(merged), merged.shared as SsaShared, {
    ...options,
    paths: merged.run.paths,
    runSha256: merged.runHash,
  });
}
