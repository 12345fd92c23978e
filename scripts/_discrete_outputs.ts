// The outputs of scripts/discrete_diffusion.ts from all its sampled sequences, shared by the
// unsharded run and scripts/merge.ts, so both write the same bytes: the printed table, tv.svg,
// tv.npy, samples.npy and summary.json. The empirical law of each sampler run is the histogram of
// its n sequences, counted here from the merged rows (integer counts, exact in any order); the
// exact output laws, alike in every shard, ride in the partials' shared values.

import { logLinearSchedule } from "../solvers/discrete/discrete_schedule.ts";
import {
  type DiscreteProcess,
  maskedProcess,
  uniformProcess,
} from "../solvers/discrete/discrete_process.ts";
import { unmaskedPart } from "../solvers/discrete/exact_output_distribution.ts";
import { sequenceIndex } from "../solvers/discrete/sequence_space.ts";
import { chiSquareTest } from "../stats/chi_square.ts";
import { encodeNpy, linePlot, PALETTE } from "../io/mod.ts";
import type { MergedPartial, SharedValue } from "../io/partial.ts";

/** The files a run of scripts/discrete_diffusion.ts may write into --out. */
export const DISCRETE_OUTPUTS = ["tv.svg", "tv.npy", "samples.npy", "summary.json"];

/** One sampler run (a method at a step count), alike in every shard. */
export interface DiscreteRunShared {
  [key: string]: SharedValue;
  method: string;
  steps: number;
  /** TV of the exact output law (unmasked part, masked mass counted) to p_0. */
  tvExact: number;
  /** The exact output law over all S^L noisy sequences. */
  exact: Float64Array;
}

/** What a run of scripts/discrete_diffusion.ts reports, alike in every shard. */
export interface DiscreteShared {
  [key: string]: SharedValue;
  process: "masked" | "uniform";
  data: string;
  length: number;
  vocabSize: number;
  eps: number;
  start: string;
  seed: number;
  remask: { schedule: string; eta: number };
  /** The data law over the V^L clean sequences. */
  p0: Float64Array;
  methods: string[];
  steps: number[];
  /** Method-major: run a·steps.length + b is methods[a] at steps[b]. */
  runs: DiscreteRunShared[];
}

/** The key of run k's rows in a partial result. */
export function discreteSampleKey(k: number): string {
  return `run:${k}`;
}

/** The forward process a run used (what `unmaskedPart` reads: its kind and vocabulary). */
export function discreteProcessOf(sh: DiscreteShared): DiscreteProcess {
  const schedule = logLinearSchedule({ eps: sh.eps });
  return sh.process === "uniform"
    ? uniformProcess(sh.vocabSize, schedule)
    : maskedProcess(sh.vocabSize, schedule);
}

/** Half the L1 distance of two laws, plus `extra` (mass outside `a`'s support). */
export function halfL1(a: ArrayLike<number>, b: ArrayLike<number>, extra = 0): number {
  let s = extra;
  for (let j = 0; j < a.length; j++) s += Math.abs(a[j]! - b[j]!);
  return s / 2;
}

/** The printed report and the files of a run from all its sequences. */
export function discreteReport(
  sh: DiscreteShared,
  data: {
    n: number;
    /** Run k's n sequences (n·L states, MASK = V), method-major as `sh.runs`. */
    samples: Int32Array[];
    /** Run k's model evaluations. */
    nfe: number[];
    json: boolean;
  },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  const { n } = data;
  const process = discreteProcessOf(sh);
  const L = sh.length, S = process.states;
  const M = sh.methods.length, B = sh.steps.length;
  const tv = new Float64Array(M * B * 3);
  const samples = new Int32Array(M * B * n * L);
  const rows: Array<Record<string, unknown>> = [];
  const lines: string[] = [
    `${sh.process} process, V = ${sh.vocabSize}, L = ${L}, ${sh.data}, start ${sh.start}, ` +
    `n = ${n}, seed ${sh.seed}\n`,
    "method          steps  TV(exact,p0)  TV(samples,p0)  TV(samples,exact)  bound    chi2 p    masks left",
  ];
  for (const [k, run] of sh.runs.entries()) {
    const x = data.samples[k]!;
    const counts = new Float64Array(S ** L);
    for (let r = 0; r < n; r++) counts[sequenceIndex(x, r * L, L, S)]! += 1;
    const freq = counts.map((c) => c / n);
    const em = unmaskedPart(process, L, freq);
    const tvSampled = halfL1(em.data, sh.p0, em.masked);
    const tvToExact = halfL1(freq, run.exact);
    let mean = 0;
    for (const p of run.exact) mean += Math.sqrt(p * (1 - p) / n) / 2;
    // E TV ≤ Σ √(p(1 − p)/n) / 2, and one sequence moves the TV by ≤ 1/n, so McDiarmid's
    // inequality gives P(TV(samples, exact) > bound) ≤ 1e-4
    const bound = mean + Math.sqrt(Math.log(1e4) / (2 * n));
    const chi = chiSquareTest(counts, run.exact, { minExpected: 5 });
    let masksLeft = 0;
    if (process.kind === "masked") { for (const c of x) if (c === process.mask) masksLeft++; }
    tv.set([run.tvExact, tvSampled, tvToExact], k * 3);
    samples.set(x, k * n * L);
    rows.push({
      method: run.method,
      steps: run.steps,
      tvExactToP0: run.tvExact,
      tvSampledToP0: tvSampled,
      tvSampledToExact: tvToExact,
      bound,
      chiSquareP: chi.pValue,
      masksLeft,
      nfe: data.nfe[k]!,
    });
    lines.push(
      `${run.method.padEnd(15)} ${String(run.steps).padStart(5)}  ${
        run.tvExact.toFixed(6).padStart(12)
      }  ${tvSampled.toFixed(6).padStart(14)}  ${tvToExact.toFixed(6).padStart(17)}  ${
        bound.toFixed(4)
      }  ${chi.pValue.toExponential(2).padStart(8)}  ${masksLeft}`,
    );
  }
  const xs = Float64Array.from(sh.steps);
  // one colour per method: the exact TV solid with dots, the sampled TV dashed and unlabelled
  const series = sh.methods.flatMap((name, a) => {
    const pick = (c: number) =>
      Float64Array.from(sh.steps, (_, b) => Math.max(tv[(a * B + b) * 3 + c]!, 1e-6));
    const color = PALETTE[a % PALETTE.length]!;
    return [
      { x: xs, y: pick(0), label: name, markers: true, color },
      { x: xs, y: pick(1), dash: true, width: 1, color },
    ];
  });
  // the TV of n exact draws to their own law is about this (the sampled lines' floor)
  let floor = 0;
  for (const p of sh.p0) floor += Math.sqrt(p * (1 - p) / n) / 2;
  const svg = linePlot(series, {
    title: `TV to p0, ${sh.process} process, start ${sh.start} (dashed: ${n} samples)`,
    xLabel: "steps",
    yLabel: "total variation",
    xScale: "log",
    yScale: "log",
    width: 640,
    height: 440,
    legend: "bottom-left",
    referenceLines: [{ y: floor, label: `≈ TV of ${n} draws from p0` }],
  });
  const files: Array<[string, Uint8Array | string]> = [
    ["tv.svg", svg],
    ["tv.npy", encodeNpy({ data: tv, shape: [M, B, 3] })],
    ["samples.npy", encodeNpy({ data: samples, shape: [M, B, n, L] })],
  ];
  if (data.json) {
    const summary = {
      process: sh.process,
      data: sh.data,
      length: L,
      vocabSize: sh.vocabSize,
      eps: sh.eps,
      start: sh.start,
      n,
      seed: sh.seed,
      remask: sh.remask,
      runs: rows,
    };
    files.push(["summary.json", JSON.stringify(summary, null, 2) + "\n"]);
  }
  return { lines, files };
}

/**
 * The report and files of a merged run (scripts/merge.ts, and the unsharded run, which merges
 * its one partial). Run k's model evaluations are its steps plus one when any shard ended with a
 * final denoise (the block sums `finalDenoise`: 0 or 1 per shard, added).
 */
export function discreteOutputs(
  merged: MergedPartial,
  options: { json: boolean },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  const sh = merged.shared as DiscreteShared;
  const final = merged.sums.finalDenoise;
  return discreteReport(sh, {
    n: merged.run.paths,
    samples: sh.runs.map((_, k) => Int32Array.from(merged.samples[discreteSampleKey(k)]!.data)),
    nfe: sh.runs.map((r, k) => r.steps + ((final?.[k] ?? 0) > 0 ? 1 : 0)),
    json: options.json,
  });
}
