// The outputs of scripts/inverse.ts from all its posterior samples, shared by the unsharded run
// and scripts/merge.ts, so both write the same bytes: the printed table (PSNR of the posterior
// mean, data misfit, spread, time), inverse.svg, samples_<method>.npy and results.json. The
// truth, the measurement y and its back-projection, alike in every shard, ride in the partials'
// shared values; the misfit ‖y − A x̄‖ applies the operator (rebuilt from its name and the seed)
// on the cpu backend, whatever backend drew the samples.

import { CpuBackend, makeKey } from "../kernels/mod.ts";
import type { MeasurementOperator } from "../models/operators/operator.ts";
import { boxMask, randomPixelMask } from "../models/operators/mask.ts";
import { avgPoolOperator } from "../models/operators/avgpool.ts";
import { gaussianBlurOperator } from "../models/operators/blur.ts";
import { gaussianProjection } from "../models/operators/projection.ts";
import { encodeNpy, imageGrid } from "../io/mod.ts";
import type { MergedPartial, SharedValue } from "../io/partial.ts";

/** The measurements scripts/inverse.ts offers (`--operator`). */
export const INVERSE_OPERATORS = [
  "inpaint-box",
  "inpaint-random",
  "avgpool2",
  "blur",
  "projection",
] as const;

/** One of {@linkcode INVERSE_OPERATORS}. */
export type InverseOperatorName = (typeof INVERSE_OPERATORS)[number];

/** The operator of `--operator name` (the random ones keyed by the seed, stream 1). */
export function makeOperator(name: InverseOperatorName, seed: number): MeasurementOperator {
  switch (name) {
    case "inpaint-box":
      return boxMask(8, 8);
    case "inpaint-random":
      return randomPixelMask(8, 8, 0.3, makeKey(seed, 1));
    case "avgpool2":
      return avgPoolOperator(8, 8, 2);
    case "blur":
      return gaussianBlurOperator(8, 8, { sigma: 1 });
    case "projection":
      return gaussianProjection(64, 16, makeKey(seed, 1));
  }
}

/** Pixel p ∈ [0, 1] ↔ model x = 2p − 1 (the digits card's transform). */
export const toModel = (p: number): number => 2 * p - 1;
/** Model x → pixel (x + 1)/2. */
export const toPixel = (x: number): number => (x + 1) / 2;

/** What a run of scripts/inverse.ts reports, alike in every shard. */
export interface InverseShared {
  [key: string]: SharedValue;
  image: number;
  /** The `--operator` flag (rebuilds the operator with the seed). */
  operator: InverseOperatorName;
  sigmaY: number;
  steps: number;
  seed: number;
  backend: string;
  /** Steps of the grid actually run, and its first time. */
  gridSteps: number;
  gridStart: number;
  /** The truth in pixels (64). */
  truth: Float64Array;
  /** The measurement y (model units). */
  y: Float64Array;
  /** A⁺y (or Aᵀy) in model units (64). */
  backProjected: Float64Array;
  baselinePsnr: number;
  /** Method names, in the order they ran. */
  methods: string[];
}

/** The key of a method's rows in a partial result. */
export function inverseSampleKey(method: string): string {
  return `method:${method}`;
}

/** The files a run with these methods may write into --out. */
export function inverseOutputFiles(methods: readonly string[]): string[] {
  return ["inverse.svg", "results.json", ...methods.map((m) => `samples_${m}.npy`)];
}

/** The files of a merged run (scripts/merge.ts). */
export function inverseOutputNames(merged: MergedPartial): string[] {
  return inverseOutputFiles((merged.shared as InverseShared).methods);
}

/** The printed report and the files of a run from all its samples (model units, samples × 64). */
export async function inverseReport(
  sh: InverseShared,
  data: { n: number; samples: Record<string, Float64Array>; seconds: number[] },
): Promise<{ lines: string[]; files: Array<[string, Uint8Array | string]> }> {
  const { n } = data;
  const operator = makeOperator(sh.operator, sh.seed);
  const backend = new CpuBackend();
  const truthPixels = sh.truth, y = sh.y, sigmaY = sh.sigmaY;
  const rows: Array<Record<string, number | string>> = [];
  const files: Array<[string, Uint8Array | string]> = [];
  const gridImages: number[] = [...truthPixels, ...sh.backProjected.map(toPixel)];
  const captions: string[] = ["truth", "A⁺y"];
  // Each row of the figure is 6 images wide; a short row is padded with grey.
  const padRow = () => {
    while (captions.length % 6 !== 0) {
      gridImages.push(...new Array(64).fill(0.5));
      captions.push("");
    }
  };
  padRow();
  const lines = [
    `digit ${sh.image} (held out), ${operator.name}: d_y = ${operator.outDim}, σ_y = ${sigmaY}; ` +
    `${n} samples per method on ${sh.backend}, ${sh.gridSteps} steps from t = ${sh.gridStart}`,
    "method        PSNR(mean)  misfit  spread   time",
  ];
  for (const [k, name] of sh.methods.entries()) {
    const x = data.samples[name]!;
    const seconds = data.seconds[k]!;
    const mean = new Float64Array(64);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < 64; i++) mean[i] = mean[i]! + x[r * 64 + i]! / n;
    }
    let spread = 0;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < 64; i++) {
        spread += (toPixel(x[r * 64 + i]!) - toPixel(mean[i]!)) ** 2 / (n * 64);
      }
    }
    let mse = 0;
    for (let i = 0; i < 64; i++) mse += (toPixel(mean[i]!) - truthPixels[i]!) ** 2 / 64;
    const am = backend.zeros(operator.outDim);
    await operator.apply(backend.upload(mean), am);
    const amh = await backend.download(am);
    let misfit = 0;
    for (let i = 0; i < y.length; i++) misfit += (y[i]! - amh[i]!) ** 2;
    misfit = Math.sqrt(misfit) / (Math.max(sigmaY, 1e-12) * Math.sqrt(y.length));
    const psnr = -10 * Math.log10(mse);
    rows.push({ method: name, psnr, misfit, spread: Math.sqrt(spread), seconds });
    lines.push(
      `${name.padEnd(12)} ${psnr.toFixed(2).padStart(10)} ${misfit.toFixed(2).padStart(7)} ${
        Math.sqrt(spread).toFixed(3).padStart(7)
      } ${seconds.toFixed(2).padStart(6)} s`,
    );
    const pixels = x.map(toPixel);
    files.push([`samples_${name}.npy`, encodeNpy({ data: pixels, shape: [n, 1, 8, 8] })]);
    gridImages.push(...mean.map(toPixel));
    captions.push(`${name} mean`);
    const shown = Math.min(n, 5);
    gridImages.push(...pixels.subarray(0, shown * 64));
    for (let s = 0; s < shown; s++) captions.push(`${name} #${s + 1}`);
    padRow();
  }
  const svg = imageGrid(
    { data: Float64Array.from(gridImages), shape: [captions.length, 1, 8, 8] },
    {
      cols: 6,
      range: [0, 1],
      title: `digit ${sh.image}: ${operator.name}, σ_y = ${sigmaY}`,
      captions,
    },
  );
  files.push(["inverse.svg", svg]);
  files.push([
    "results.json",
    JSON.stringify(
      {
        image: sh.image,
        operator: operator.name,
        sigmaY,
        samples: n,
        steps: sh.steps,
        seed: sh.seed,
        truth: Array.from(truthPixels),
        y: Array.from(y),
        baselinePsnr: sh.baselinePsnr,
        results: rows,
      },
      null,
      2,
    ) + "\n",
  ]);
  return { lines, files };
}

/**
 * The report and files of a merged run (scripts/merge.ts, and the unsharded run, which merges
 * its one partial): each method's rows by global index, its seconds added over the shards.
 */
export function inverseOutputs(
  merged: MergedPartial,
  _options: { json: boolean; seconds: number },
): Promise<{ lines: string[]; files: Array<[string, Uint8Array | string]> }> {
  const sh = merged.shared as InverseShared;
  const samples: Record<string, Float64Array> = {};
  for (const m of sh.methods) samples[m] = merged.samples[inverseSampleKey(m)]!.data;
  const seconds = merged.sums.methodSeconds;
  return inverseReport(sh, {
    n: merged.run.paths,
    samples,
    seconds: sh.methods.map((_, k) => seconds?.[k] ?? 0),
  });
}
