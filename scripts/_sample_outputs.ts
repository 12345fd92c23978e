// The outputs of scripts/sample.ts from its samples, shared by the unsharded run and
// scripts/merge.ts, so both write the same bytes: the metrics table (SW2 against the exact
// target, RMS distance to the fine ODE reference), samples.svg, one .npy per solver,
// reference.npy and metrics.json. The exact target's directions, projected quantiles and i.i.d.
// draws are recomputed here from the mixture and the seed.

import { fillNormal, fillUniform, makeKey } from "../kernels/mod.ts";
import type { GaussianMixtureSpec } from "../models/gaussian_mixture.ts";
import { normalCdf, slicedWassersteinToQuantiles } from "../stats/mod.ts";
import { encodeNpy, panelGrid } from "../io/mod.ts";
import type { MergedPartial, SharedValue } from "../io/partial.ts";

/** The files every run may write into --out (besides one .npy per solver). */
export const SAMPLE_OUTPUTS = ["samples.svg", "reference.npy", "metrics.json"];

/** A solver's run, alike in every shard. */
export interface SampleSolverRun {
  [key: string]: SharedValue;
  solver: string;
  nfe: number;
  /** Whether its RMS distance to the fine ODE reference means anything (no noise drawn, same start). */
  ode: boolean;
}

/** What a run of scripts/sample.ts reports, alike in every shard. */
export interface SampleShared {
  [key: string]: SharedValue;
  spec: { weights: number[]; means: number[][]; variances: number[][] };
  d: number;
  nfe: number;
  seed: number;
  schedule: string;
  scheduler: string | null;
  backend: string;
  description: string;
  runs: SampleSolverRun[];
}

/** A file name for a solver entry (`dpm_solver:order=3` → `dpm_solver_order_3`). */
export function fileName(label: string): string {
  return label.replace(/[^A-Za-z0-9_+.-]/g, "_");
}

/** Exact quantiles of ⟨θ, X⟩ for the mixture at levels (j + 0.5)/q (Newton, warm-started). */
export function projectedQuantiles(
  spec: GaussianMixtureSpec,
  dirs: Float64Array,
  d: number,
  q: number,
) {
  const L = dirs.length / d, K = spec.weights.length;
  const out = new Float64Array(L * q);
  const m = new Float64Array(K), s = new Float64Array(K);
  for (let l = 0; l < L; l++) {
    for (let c = 0; c < K; c++) {
      let mu = 0, v = 0;
      for (let j = 0; j < d; j++) {
        const th = dirs[l * d + j]!;
        mu += th * spec.means[c]![j]!;
        v += th * th * spec.variances[c]![j]!;
      }
      m[c] = mu;
      s[c] = Math.sqrt(v);
    }
    const spread = 10 * Math.max(...s);
    let x = Math.min(...m) - spread;
    const top = Math.max(...m) + spread;
    for (let j = 0; j < q; j++) {
      const u = (j + 0.5) / q;
      // safeguarded Newton on F(x) = u inside the bracket [lo, hi]
      let lo = x, hi = top;
      for (let it = 0; it < 200; it++) {
        let F = 0, f = 0;
        for (let c = 0; c < K; c++) {
          const z = (x - m[c]!) / s[c]!;
          F += spec.weights[c]! * normalCdf(z);
          f += spec.weights[c]! * Math.exp(-0.5 * z * z) / (s[c]! * Math.sqrt(2 * Math.PI));
        }
        if (F < u) lo = x;
        else hi = x;
        let next = x - (F - u) / f;
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        const done = Math.abs(next - x) < 1e-12 * (1 + Math.abs(x));
        x = next;
        if (done) break;
      }
      out[l * q + j] = x;
    }
  }
  return out;
}

/** n exact draws of the mixture (component by inverse CDF of a uniform, then a normal). */
export function sampleMixture(spec: GaussianMixtureSpec, n: number, seed: number): Float64Array {
  const d = spec.means[0]!.length;
  const u = new Float64Array(n), z = new Float64Array(n * d), x = new Float64Array(n * d);
  fillUniform(u, makeKey(seed, 2));
  fillNormal(z, makeKey(seed, 3));
  for (let i = 0; i < n; i++) {
    let c = 0, acc = spec.weights[0]!;
    while (u[i]! > acc && c < spec.weights.length - 1) acc += spec.weights[++c]!;
    for (let j = 0; j < d; j++) {
      x[i * d + j] = spec.means[c]![j]! + Math.sqrt(spec.variances[c]![j]!) * z[i * d + j]!;
    }
  }
  return x;
}

/** The printed report and the files of a run from all its samples. */
export function sampleReport(
  sh: SampleShared,
  data: {
    n: number;
    samples: Record<string, Float64Array>;
    ref: Float64Array;
    seconds: number[];
    json: boolean;
  },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  const { n, samples, ref } = data;
  const d = sh.d, spec = sh.spec;
  // the exact target: 64 directions (Philox seed 1234) and exact projected quantiles
  const dirs = new Float64Array(64 * d);
  fillNormal(dirs, makeKey(1234, 0));
  for (let l = 0; l < 64; l++) {
    let nn = 0;
    for (let j = 0; j < d; j++) nn += dirs[l * d + j]! ** 2;
    for (let j = 0; j < d; j++) dirs[l * d + j]! /= Math.sqrt(nn);
  }
  const quantiles = projectedQuantiles(spec, dirs, d, n);
  const sw2 = (x: ArrayLike<number>) =>
    slicedWassersteinToQuantiles(x, { d, directions: dirs, quantiles });
  const rows = sh.runs.map((r, k) => {
    const out = samples[r.solver]!;
    let se = 0;
    for (let i = 0; i < out.length; i++) se += (out[i]! - ref[i]!) ** 2;
    return {
      solver: r.solver,
      nfe: r.nfe,
      sw2: sw2(out),
      odeRmse: r.ode ? Math.sqrt(se / out.length) : null,
      seconds: data.seconds[k]!,
    };
  });
  const exact = sampleMixture(spec, n, sh.seed);
  const lines: string[] = [];
  lines.push(
    `${n} samples of a ${d}-D mixture (${spec.weights.length} components), ${sh.schedule} ` +
      `schedule, NFE ${sh.nfe}, on ${sh.backend} (${sh.description})` +
      (sh.scheduler !== null ? `, σ schedule ${sh.scheduler}` : ""),
  );
  lines.push(
    `SW2 floor: i.i.d. exact samples ${sw2(exact).toFixed(4)}, fine ODE reference ${
      sw2(ref).toFixed(4)
    }\n`,
  );
  const width = Math.max(18, ...rows.map((r) => r.solver.length));
  lines.push(`${"solver".padEnd(width)}    NFE      SW2   ODE err   time (s)`);
  for (const r of rows) {
    lines.push(
      `${r.solver.padEnd(width)} ${String(r.nfe).padStart(5)} ${r.sw2.toFixed(4).padStart(8)} ${
        (r.odeRmse === null ? "-" : r.odeRmse.toExponential(2)).padStart(9)
      } ${r.seconds.toFixed(3).padStart(10)}`,
    );
  }
  const cloud = (points: Float64Array, label: string) => ({
    title: label,
    plot: { kind: "scatter" as const, series: { points, dim: d, label } },
  });
  const svg = panelGrid(
    [
      cloud(exact, "exact data"),
      ...rows.map((r) => cloud(samples[r.solver]!, `${r.solver} (NFE ${r.nfe})`)),
    ],
    { title: `Samples at NFE ${sh.nfe}`, shareAxes: true, cols: 3 },
  );
  const files: Array<[string, Uint8Array | string]> = [["samples.svg", svg]];
  for (const r of rows) {
    files.push([
      `${fileName(r.solver)}.npy`,
      encodeNpy({ data: samples[r.solver]!, shape: [n, d] }),
    ]);
  }
  files.push(["reference.npy", encodeNpy({ data: ref, shape: [n, d] })]);
  if (data.json) {
    const json = {
      n,
      d,
      nfe: sh.nfe,
      seed: sh.seed,
      schedule: sh.schedule,
      backend: sh.backend,
      rows,
    };
    files.push(["metrics.json", JSON.stringify(json, null, 2) + "\n"]);
  }
  return { lines, files };
}

/** The report and files of a merged sharded run (scripts/merge.ts). */
export function sampleOutputs(
  merged: MergedPartial,
  options: { json: boolean; seconds: number },
): { lines: string[]; files: Array<[string, Uint8Array | string]> } {
  const sh = merged.shared as SampleShared;
  const samples: Record<string, Float64Array> = {};
  for (const r of sh.runs) samples[r.solver] = merged.samples[`solver:${r.solver}`]!.data;
  const seconds = merged.sums.solverSeconds;
  return sampleReport(sh, {
    n: merged.run.paths,
    samples,
    ref: merged.samples.reference!.data,
    seconds: sh.runs.map((_, k) => seconds?.[k] ?? 0),
    json: options.json,
  });
}
