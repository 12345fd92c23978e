// The outputs of scripts/simulate.ts from its merged statistics, shared by the unsharded run and
// scripts/merge.ts, so both write the same bytes: the printed table, paths.svg, t.npy, mean.npy,
// covariance.npy, samples.npy, histogram.npy, histogram_edges.npy and moments.json.

import type { MergedPartial, SharedValue } from "../io/partial.ts";
import { finishPartialMoments } from "../stats/partial_moments.ts";
import { encodeNpy, linePlot, type LineSeries, panelGrid } from "../io/mod.ts";

/** The files a run of scripts/simulate.ts may write into --out. */
export const SIMULATE_OUTPUTS = [
  "paths.svg",
  "histograms.svg",
  "t.npy",
  "mean.npy",
  "covariance.npy",
  "samples.npy",
  "histogram.npy",
  "histogram_edges.npy",
  "moments.json",
];

/** What every shard of scripts/simulate.ts computes alike. */
export interface SimulateShared {
  [key: string]: SharedValue;
  name: string;
  method: string;
  dt: number;
  steps: number;
  backend: string;
  seed: number;
  /** Save times, S. */
  t: Float64Array;
  dim: number;
  keep: number;
  plotComponent: number;
  /** Exact means and variances S×d, where the model knows them. */
  exactMean: Float64Array | null;
  exactVariance: Float64Array | null;
  /** Histogram range per component, d each, and the bins between. */
  histLower: Float64Array;
  histUpper: Float64Array;
  bins: number;
}

/** The printed report and the files of a simulate run from its merged statistics. */
export function simulateOutputs(
  merged: MergedPartial,
  options: { json: boolean; seconds: number; note?: string },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  const sh = merged.shared as SimulateShared;
  const d = sh.dim,
    S = sh.t.length,
    paths = merged.run.paths,
    keep = sh.keep,
    pc = sh.plotComponent;
  const m = finishPartialMoments(merged.moments.state!);
  const excess = merged.sums.varianceExcess!;
  // pooled per-block (m₄ − m₂²): SE of the variance √((m₄ − m₂²)/n) = √(Σ n_b(m₄,b − m₂,b²)) / n
  const varianceSe = excess.map((q) => Math.sqrt(q) / paths);
  const { mean, variance, meanSe, covariance } = m;
  const seconds = options.seconds;
  const lines: string[] = [];
  lines.push(
    `${sh.name}: ${paths} paths, ${sh.method}, dt ${sh.dt}, ${sh.steps} steps on ${sh.backend}, seed ${sh.seed}`,
  );
  if (options.note !== undefined) lines.push(options.note);
  lines.push(
    `time ${seconds.toFixed(3)} s (${
      (paths * sh.steps / seconds).toExponential(3)
    } path-steps/s)\n`,
  );
  lines.push(
    "t          comp        mean   std.err     exact       z    variance   std.err     exact       z",
  );
  const rows: Array<Record<string, number | null>> = [];
  const f = (v: number | null, w = 11) =>
    (v === null
      ? "-"
      : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(3)
      : v.toFixed(5)).padStart(w);
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < d; a++) {
      const k = s * d + a;
      const em = sh.exactMean ? sh.exactMean[k]! : null;
      const ev = sh.exactVariance ? sh.exactVariance[k]! : null;
      const zm = em !== null && meanSe[k]! > 0 ? (mean[k]! - em) / meanSe[k]! : null;
      const zv = ev !== null && varianceSe[k]! > 0 ? (variance[k]! - ev) / varianceSe[k]! : null;
      rows.push({
        t: sh.t[s]!,
        component: a,
        mean: mean[k]!,
        meanSe: meanSe[k]!,
        exactMean: em,
        zMean: zm,
        variance: variance[k]!,
        varianceSe: varianceSe[k]!,
        exactVariance: ev,
        zVariance: zv,
      });
      lines.push(
        `${sh.t[s]!.toFixed(4).padEnd(10)} ${String(a).padStart(4)} ${f(mean[k]!)} ${
          f(meanSe[k]!, 9)
        } ${f(em, 9)} ${f(zm, 7)} ${f(variance[k]!)} ${f(varianceSe[k]!, 9)} ${f(ev, 9)} ${
          f(zv, 7)
        }`,
      );
    }
  }

  // kept paths: rows of S·d values by global path index → S × keep × d
  const rowsKept = merged.samples.paths!;
  const samples = new Float64Array(S * keep * d);
  for (let i = 0; i < keep; i++) {
    for (let s = 0; s < S; s++) {
      for (let a = 0; a < d; a++) {
        samples[(s * keep + i) * d + a] = rowsKept.data[i * S * d + s * d + a]!;
      }
    }
  }
  const meanPc = Float64Array.from({ length: S }, (_, s) => mean[s * d + pc]!);
  const sd = Float64Array.from({ length: S }, (_, s) => Math.sqrt(variance[s * d + pc]!));
  const series: LineSeries[] = [];
  for (let i = 0; i < keep; i++) {
    series.push({
      x: sh.t,
      y: Float64Array.from({ length: S }, (_, s) => samples[(s * keep + i) * d + pc]!),
      color: "#9aa5b1",
      width: 1,
    });
  }
  series.push({
    x: sh.t,
    y: meanPc,
    label: "mean ± 2 sd",
    band: {
      lower: meanPc.map((v, s) => v - 2 * sd[s]!),
      upper: meanPc.map((v, s) => v + 2 * sd[s]!),
    },
  });
  if (sh.exactMean) {
    const em = sh.exactMean;
    series.push({
      x: sh.t,
      y: Float64Array.from({ length: S }, (_, s) => em[s * d + pc]!),
      label: "exact mean",
      dash: true,
    });
  }
  const svg = linePlot(series, {
    title: `${sh.name}: ${keep} of ${paths} paths (${sh.method}, ${sh.backend})`,
    xLabel: "t",
    yLabel: `x[${pc}]`,
  });
  const bins = sh.bins;
  const edges = new Float64Array(d * (bins + 1));
  for (let a = 0; a < d; a++) {
    const lo = sh.histLower[a]!, hi = sh.histUpper[a]!;
    for (let b = 0; b <= bins; b++) edges[a * (bins + 1) + b] = lo + (b * (hi - lo)) / bins;
  }
  // the histograms of component pc (paths outside the range are left out of the plot)
  const hist = merged.sums.histogram!;
  const pcEdges = edges.subarray(pc * (bins + 1), (pc + 1) * (bins + 1));
  const panels = [];
  for (let si = 0; si < S; si++) {
    // a save where every path is at one point (t0) is a spike, not a picture
    if (variance[si * d + pc] === 0 && S > 1) continue;
    const row = hist.subarray((si * d + pc) * (bins + 2), (si * d + pc + 1) * (bins + 2));
    panels.push({
      title: `x[${pc}] at t = ${Number(sh.t[si]!.toPrecision(6))}`,
      plot: {
        kind: "histogram" as const,
        histogram: { counts: Float64Array.from(row.subarray(1, bins + 1)), edges: pcEdges },
      },
    });
  }
  const histSvg = panelGrid(panels, {
    title: `${sh.name}: x[${pc}], ${paths} paths (${sh.method}, ${sh.backend})`,
  });
  const files: Array<[string, Uint8Array | string]> = [
    ["paths.svg", svg],
    ["histograms.svg", histSvg],
    ["t.npy", encodeNpy({ data: sh.t, shape: [S] })],
    ["mean.npy", encodeNpy({ data: mean, shape: [S, d] })],
    ["covariance.npy", encodeNpy({ data: covariance, shape: [S, d, d] })],
    ["samples.npy", encodeNpy({ data: samples, shape: [S, keep, d] })],
    ["histogram.npy", encodeNpy({ data: merged.sums.histogram!, shape: [S, d, bins + 2] })],
    ["histogram_edges.npy", encodeNpy({ data: edges, shape: [d, bins + 1] })],
  ];
  if (options.json) {
    const json = {
      model: sh.name,
      paths,
      solver: sh.method,
      dt: sh.dt,
      steps: sh.steps,
      backend: sh.backend,
      seed: sh.seed,
      blockPaths: merged.run.blockSize,
      runSha256: merged.runHash,
      seconds,
      moments: rows,
    };
    files.push(["moments.json", JSON.stringify(json, null, 2) + "\n"]);
  }
  return { lines, files };
}
