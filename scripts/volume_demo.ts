/**
 * 3-D from a 2-D prior: DDS with the DiffusionMBIR / DDS ADMM-TV step along
 * z against slice-independent DDS, on a small synthetic volume. Each slice is
 * an 8×8 image of the refs' Gaussian prior (../shared/refs/inverse §3:
 * squared-exponential kernel of length 2 px plus a 0.01 nugget, a cosine
 * mean profile), and the volume is smooth and periodic along z:
 * slice k = μ + √(1 − ε²) a + ε(cos θ_k b + sin θ_k c), θ_k = 2πk/S, with
 * a, b, c ~ N(0, Σ) (every slice is exactly a prior draw). Every slice is
 * measured without noise by 2× average pooling (16 numbers per slice). The
 * 2-D exact Gaussian denoiser is the prior, applied slice by slice.
 *
 * Prints the total variation along z (truth, independent, ADMM-TV), the RMSE
 * against the true volume with its standard error over the sampled
 * volumes, the data misfit and the time; writes a picture.
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/volume_demo.ts --out out/volume_demo
 * ```
 *
 * Permissions: `--allow-read` and `--allow-write` on `--out`; with `--png`,
 * also `--allow-read` on Deno's npm cache (resvg's `.wasm`; `deno info`
 * prints the folder) and on `/usr/share/fonts` (the font).
 *
 * DDS's λ = 0.04, ρ = 10 are set for CT sinograms, whose AᵀA is large; with
 * 2×2 average pooling ‖AᵀA‖ = 1/4, and the defaults here are ρ = 0.1
 * (0.4‖AᵀA‖) and λ = 0.01 (`--rho`, `--lambda` to change them).
 *
 * Outputs in `--out`: `volume.svg` (rows: the true slices, the pooled
 * measurement, then the first sample and the mean of each method),
 * `truth.npy` [S, 8, 8], `independent.npy` and `admm_tv.npy`
 * [samples, S, 8, 8], `results.json` (the table and the settings), and
 * `volume.png` with `--png`. A bad
 * flag exits with 2 and the usage; outputs are written as one unit.
 *
 * @module
 */

import { type BackendName, fillNormal, makeKey, withBackend } from "../kernels/mod.ts";
import { gaussian } from "../models/gaussian.ts";
import { avgPoolOperator } from "../models/operators/avgpool.ts";
import { gaussianNoise } from "../models/operators/noise.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../processes/vp_discrete_schedule.ts";
import {
  sliceStackModel,
  sliceStackOperator,
  zTotalVariation,
} from "../solvers/guidance/admm_tv.ts";
import { dds } from "../solvers/guidance/dds.ts";
import { quadraticGrid } from "../solvers/guidance/vp.ts";
import {
  checkOutDir,
  checkPng,
  encodeNpy,
  imageGrid,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";

const SPEC = {
  name: "scripts/volume_demo.ts",
  description:
    "DDS with ADMM-TV along z vs slice-independent DDS on a smooth synthetic volume of 8×8 Gaussian-prior slices, each measured by 2× average pooling.",
  flags: {
    slices: { type: "integer", default: 8, min: 2, max: 64, description: "slices S" },
    samples: { type: "integer", default: 12, min: 2, max: 1024, description: "volumes sampled" },
    steps: {
      type: "integer",
      default: 50,
      min: 2,
      max: 1000,
      description: "K of the quadratic grid",
    },
    rho: { type: "number", default: 0.1, min: 1e-12, description: "ADMM ρ > 0" },
    lambda: { type: "number", default: 0.01, min: 0, description: "TV weight λ ≥ 0" },
    eps: {
      type: "number",
      default: 0.3,
      min: 0,
      max: 1,
      description: "share of each slice that varies along z",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    backend: {
      type: "choice",
      choices: ["auto", "cpu", "webgpu"],
      default: "cpu",
      description: "where to run",
    },
    out: { type: "string", default: "out/volume_demo", description: "output folder" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
  },
} as const;

const H = 8, W = 8, D = H * W;
const OUTPUTS = ["volume.svg", "truth.npy", "independent.npy", "admm_tv.npy", "results.json"];

/** The refs' 8×8 Gaussian prior (§3): mean and covariance. */
function imagePrior(): { mean: number[]; covariance: number[][] } {
  const mean = Array.from(
    { length: D },
    (_, p) => 0.5 * Math.cos(Math.PI * ((p % W) - (W - 1) / 2) / W),
  );
  const covariance = Array.from({ length: D }, (_, p) =>
    Array.from({ length: D }, (_, q) => {
      const dr = Math.floor(p / W) - Math.floor(q / W), dc = (p % W) - (q % W);
      return Math.exp(-(dr * dr + dc * dc) / 8) + (p === q ? 0.01 : 0);
    }));
  return { mean, covariance };
}

/** The smooth volume of the module doc, from the Cholesky factor of Σ and keyed normals. */
function syntheticVolume(
  prior: { mean: number[]; covariance: number[][] },
  slices: number,
  eps: number,
  seed: number,
): Float64Array {
  const l = new Float64Array(D * D), s = prior.covariance;
  for (let j = 0; j < D; j++) {
    let v = s[j]![j]!;
    for (let k = 0; k < j; k++) v -= l[j * D + k]! ** 2;
    l[j * D + j] = Math.sqrt(v);
    for (let i = j + 1; i < D; i++) {
      let t = s[i]![j]!;
      for (let k = 0; k < j; k++) t -= l[i * D + k]! * l[j * D + k]!;
      l[i * D + j] = t / l[j * D + j]!;
    }
  }
  const z = new Float64Array(3 * D);
  fillNormal(z, makeKey(seed, 1));
  const parts = [0, 1, 2].map((m) =>
    Float64Array.from({ length: D }, (_, i) => {
      let acc = 0;
      for (let k = 0; k <= i; k++) acc += l[i * D + k]! * z[m * D + k]!;
      return acc;
    })
  );
  const [a, b, c] = parts as [Float64Array, Float64Array, Float64Array];
  const vol = new Float64Array(slices * D), common = Math.sqrt(1 - eps * eps);
  for (let k = 0; k < slices; k++) {
    const th = (2 * Math.PI * k) / slices;
    for (let i = 0; i < D; i++) {
      vol[k * D + i] = prior.mean[i]! + common * a[i]! +
        eps * (Math.cos(th) * b[i]! + Math.sin(th) * c[i]!);
    }
  }
  return vol;
}

function meanAndSe(v: Float64Array): [number, number] {
  const n = v.length, m = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  return [m, sd / Math.sqrt(n)];
}

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  await checkOutDir(outDir, { outputs: withPngTwins(OUTPUTS) });
  const png = values.png as boolean;
  if (png) await checkPng();
  const slices = values.slices as number, samples = values.samples as number;
  const seed = values.seed as number;
  const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
  const prior = imagePrior();
  const truth = syntheticVolume(prior, slices, values.eps as number, seed);
  const model = sliceStackModel(gaussian(prior, schedule), slices);
  const pool = avgPoolOperator(H, W, 2);
  const operator = sliceStackOperator(pool, slices);
  const shape = { volumes: samples, slices, dim: D };
  const rows: Array<Record<string, number | string>> = [];
  const files: Array<[string, Uint8Array | string]> = [];
  let y = new Float64Array(0);
  const results: Record<string, Float64Array> = {};
  await withBackend(values.backend as BackendName, async (backend) => {
    const yDev = backend.zeros(operator.outDim);
    await operator.apply(backend.upload(truth), yDev);
    y = Float64Array.from(await backend.download(yDev));
    const request = {
      model,
      problem: { operator, y, noise: gaussianNoise(0) },
      grid: quadraticGrid(values.steps as number),
      samples,
      key: makeKey(seed, 0),
      backend,
    };
    console.log(
      `${slices} slices of ${H}×${W}, 2× average pooling per slice (noiseless), ${samples} volumes per method on ${backend.name}`,
    );
    const truthTv = zTotalVariation(truth, { volumes: 1, slices, dim: D })[0]!;
    console.log(`truth: z-TV ${truthTv.toFixed(2)}`);
    console.log("method          z-TV (± se)        RMSE (± se)      max |Ax−y|   time");
    for (
      const [name, options] of [
        ["independent", {}],
        ["admm_tv", { slices, rho: values.rho as number, tvLambda: values.lambda as number }],
      ] as const
    ) {
      const t0 = performance.now();
      const { samples: x } = await dds.run({ ...request, options });
      const seconds = (performance.now() - t0) / 1000;
      results[name] = x;
      const [tv, tvSe] = meanAndSe(zTotalVariation(x, shape));
      const err = Float64Array.from({ length: samples }, (_, r) => {
        let e = 0;
        for (let i = 0; i < slices * D; i++) e += (x[r * slices * D + i]! - truth[i]!) ** 2;
        return Math.sqrt(e / (slices * D));
      });
      const [rmse, rmseSe] = meanAndSe(err);
      const ax = backend.zeros(samples * operator.outDim);
      await operator.apply(backend.upload(x), ax);
      const axh = await backend.download(ax);
      let misfit = 0;
      for (let i = 0; i < axh.length; i++) {
        misfit = Math.max(misfit, Math.abs(axh[i]! - y[i % y.length]!));
      }
      backend.release(ax);
      rows.push({ method: name, zTv: tv, zTvSe: tvSe, rmse, rmseSe, misfit, seconds });
      console.log(
        `${name.padEnd(12)} ${tv.toFixed(2).padStart(8)} ± ${tvSe.toFixed(2).padEnd(6)} ${
          rmse.toFixed(4).padStart(9)
        } ± ${rmseSe.toFixed(4)} ${misfit.toExponential(1).padStart(10)} ${
          seconds.toFixed(2).padStart(6)
        } s`,
      );
      files.push([`${name}.npy`, encodeNpy({ data: x, shape: [samples, slices, H, W] })]);
    }
    rows.unshift({ method: "truth", zTv: truthTv });
  });
  // The picture: true slices; the pooled measurement upsampled; each method's first sample and mean.
  const images: number[] = [...truth];
  const captions: string[] = Array.from({ length: slices }, (_, k) => `truth ${k}`);
  for (let k = 0; k < slices; k++) {
    for (let p = 0; p < D; p++) {
      const r = Math.floor(Math.floor(p / W) / 2), c = Math.floor((p % W) / 2);
      images.push(y[k * 16 + r * 4 + c]!);
    }
    captions.push(`pooled ${k}`);
  }
  for (const [name, short] of [["independent", "indep."], ["admm_tv", "TV"]] as const) {
    const x = results[name]!;
    images.push(...x.subarray(0, slices * D));
    for (let k = 0; k < slices; k++) captions.push(`${short} #1 ${k}`);
    const mean = new Float64Array(slices * D);
    for (let r = 0; r < samples; r++) {
      for (let i = 0; i < slices * D; i++) mean[i] = mean[i]! + x[r * slices * D + i]! / samples;
    }
    images.push(...mean);
    for (let k = 0; k < slices; k++) captions.push(`${short} mean ${k}`);
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of truth) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const svg = imageGrid(
    { data: Float64Array.from(images), shape: [captions.length, 1, H, W] },
    {
      cols: slices,
      range: [lo, hi],
      title:
        "slices along z; rows: truth, pooled y, independent DDS (sample, mean), ADMM-TV DDS (sample, mean)",
      captions,
    },
  );
  files.push(["volume.svg", svg]);
  files.push(["truth.npy", encodeNpy({ data: truth, shape: [slices, H, W] })]);
  files.push([
    "results.json",
    JSON.stringify(
      {
        slices,
        samples,
        steps: values.steps,
        rho: values.rho,
        lambda: values.lambda,
        eps: values.eps,
        seed,
        results: rows,
      },
      null,
      2,
    ) + "\n",
  ]);
  await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
  console.log(
    `\nwrote ${outDir}/volume.svg${png ? ", volume.png" : ""}, results.json and the volumes (.npy)`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
