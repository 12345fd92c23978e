/**
 * Solves an image inverse problem with a diffusion prior: a held-out 8×8
 * digit is measured through an operator (box inpainting, a random 30 % of
 * the pixels, 2× average pooling, a Gaussian blur with σ_b = 1 px,
 * a random Gaussian projection to 16 numbers) with Gaussian
 * noise, and each guidance method of the registry draws posterior samples
 * with the shipped digits network as the prior. Prints, per method, the
 * PSNR of the posterior mean against the truth, the data misfit
 * ‖y − A x̄‖/(σ_y √d_y), the mean pixel spread and the time; writes an image
 * grid (truth, the back-projected measurement A⁺y, then each method's mean
 * and samples).
 *
 * ```sh
 * deno run --allow-read --allow-write=out scripts/inverse.ts --operator inpaint-box --methods ddrm,pigdm,ddnm,diffpir,dps --out out/inverse
 * ```
 *
 * Permissions: `--allow-read` on the model card and weights (default
 * models/shipped/digits.json and .npy), on data/digits/heldout_*.npy and on
 * `--out`; `--allow-write` on `--out`. No network, no FFI: the network runs
 * as sdeno's own MLP on cpu or webgpu.
 *
 * The network was trained on EDM's σ-time (models/shipped/README.md); the
 * methods work in VP notation on the DDPM schedule (β from 1e-4 to 0.02 over
 * 1000 steps), so the model is called through `rescheduled` at equal
 * log-SNR, and the grid (the reference quadratic grid of `--steps`) starts
 * at the noisiest VP time the network covers (σ/α ≤ 80).
 *
 * Outputs in `--out`: `inverse.svg` (the image grid), `samples_<method>.npy`
 * ([samples, 1, 8, 8] in pixel units [0, 1]), `results.json` (the table,
 * the truth, y and the settings). A bad flag exits with 2 and the usage;
 * outputs are written as one unit.
 *
 * @module
 */

import { type BackendName, makeKey, withBackend } from "../kernels/mod.ts";
import { Mlp } from "../models/mlp.ts";
import { rescheduled } from "../models/rescheduled.ts";
import type { LinearOperator, MeasurementOperator } from "../models/operators/operator.ts";
import { boxMask, randomPixelMask } from "../models/operators/mask.ts";
import { avgPoolOperator } from "../models/operators/avgpool.ts";
import { gaussianBlurOperator } from "../models/operators/blur.ts";
import { gaussianProjection } from "../models/operators/projection.ts";
import { gaussianNoise, sampleMeasurement } from "../models/operators/noise.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../processes/vp_discrete_schedule.ts";
import { quadraticGrid } from "../solvers/guidance/vp.ts";
import { guidanceMethods } from "../solvers/guidance/registry.ts";
import type { GuidanceMethod } from "../solvers/guidance/method.ts";
import {
  checkInputFile,
  checkOutDir,
  CliUsageError,
  encodeNpy,
  imageGrid,
  readNpy,
  runScript,
  writeOutputs,
} from "../io/mod.ts";

const OPERATORS = ["inpaint-box", "inpaint-random", "avgpool2", "blur", "projection"] as const;

const SPEC = {
  name: "scripts/inverse.ts",
  description:
    "Posterior samples of a held-out 8×8 digit from a noisy measurement, with the shipped digits network as the prior, for each guidance method.",
  flags: {
    model: {
      type: "string",
      default: "models/shipped/digits.json",
      description: "MLP card (its weights .npy beside it)",
    },
    operator: {
      type: "choice",
      choices: OPERATORS,
      default: "inpaint-box",
      description: "the measurement",
    },
    "sigma-y": { type: "number", default: 0.05, min: 0, description: "noise std in model units" },
    methods: {
      type: "string",
      default: "ddrm,pigdm,ddnm+,diffpir,dps,red-diff,mcgdiff",
      description: "comma-separated guidance methods (see the list below)",
    },
    samples: { type: "integer", default: 8, min: 1, max: 4096, description: "samples per method" },
    steps: {
      type: "integer",
      default: 100,
      min: 2,
      max: 1000,
      description: "K of the quadratic grid",
    },
    image: { type: "integer", default: 0, min: 0, max: 359, description: "held-out digit index" },
    label: {
      type: "integer",
      default: -1,
      min: -1,
      max: 9,
      description: "class label to condition on (-1: none, the null class)",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    backend: {
      type: "choice",
      choices: ["auto", "cpu", "webgpu"],
      default: "cpu",
      description: "where to run",
    },
    out: { type: "string", default: "out/inverse", description: "output folder" },
  },
} as const;

/** Pixel p ∈ [0, 1] ↔ model x = 2p − 1 (the digits card's transform). */
const toModel = (p: number) => 2 * p - 1;
const toPixel = (x: number) => (x + 1) / 2;

function makeOperator(name: (typeof OPERATORS)[number], seed: number): MeasurementOperator {
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

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  const names = (values.methods as string).split(",").map((s) => s.trim()).filter((s) => s);
  const methods: GuidanceMethod[] = [];
  for (const n of names) {
    const m = guidanceMethods.find(n);
    if (!m) {
      throw new CliUsageError(
        `--methods: unknown method ${JSON.stringify(n)}; known: ${
          guidanceMethods.names().join(", ")
        }`,
      );
    }
    methods.push(m as GuidanceMethod);
  }
  const cardPath = values.model as string;
  await checkInputFile("--model", cardPath);
  const weightsPath = cardPath.replace(/\.json$/, ".npy");
  await checkInputFile("--model (weights)", weightsPath);
  const outputs = [
    "inverse.svg",
    "results.json",
    ...methods.map((m) => `samples_${m.info.name}.npy`),
  ];
  await checkOutDir(outDir, { outputs });

  const card = JSON.parse(await Deno.readTextFile(cardPath));
  const mlp = Mlp.fromCard(card, (await readNpy(weightsPath)).data as Float32Array);
  const schedule = vpDiscreteSchedule({ betas: ddpmLinearBetas() });
  const model = rescheduled(mlp.denoiser(), schedule);
  const sigmaMax = mlp.denoiser().schedule.tMax;
  const grid = quadraticGrid(values.steps as number).filter((t) =>
    t === 0 || schedule.sigma(t) / schedule.alpha(t) <= sigmaMax
  );

  const images = await readNpy(new URL("../data/digits/heldout_images.npy", import.meta.url));
  const index = values.image as number;
  const truthPixels = Float64Array.from(
    (images.data as Float32Array).subarray(index * 64, index * 64 + 64),
  );
  const truth = truthPixels.map(toModel);
  const operator = makeOperator(
    values.operator as (typeof OPERATORS)[number],
    values.seed as number,
  );
  const sigmaY = values["sigma-y"] as number;
  // y = A x* + σ_y n, with n keyed by the seed.
  const seed = values.seed as number;
  const label = values.label as number;
  const conditioning = { labels: [label < 0 ? mlp.nullLabel : label] };
  const samples = values.samples as number;

  const rows: Array<Record<string, number | string>> = [];
  const files: Array<[string, Uint8Array | string]> = [];
  const gridImages: number[] = [];
  const captions: string[] = [];
  let y = new Float64Array(0), backProjected = new Float64Array(0), baselinePsnr = NaN;
  // Each row of the figure is 6 images wide; a short row is padded with grey.
  const padRow = () => {
    while (captions.length % 6 !== 0) {
      gridImages.push(...new Array(64).fill(0.5));
      captions.push("");
    }
  };
  await withBackend(values.backend as BackendName, async (backend) => {
    const xTrue = backend.upload(truth), yDev = backend.zeros(operator.outDim);
    await operator.apply(xTrue, yDev);
    await sampleMeasurement(gaussianNoise(sigmaY), yDev, yDev, {
      key: makeKey(seed, 2),
      dy: operator.outDim,
    });
    y = Float64Array.from(await backend.download(yDev));
    const lin = operator as LinearOperator;
    const bp = backend.zeros(64);
    if (typeof lin.pseudoInverse === "function") await lin.pseudoInverse(backend.upload(y), bp);
    else await lin.applyTranspose(backend.upload(y), bp);
    backProjected = Float64Array.from(await backend.download(bp));
    let bpMse = 0;
    for (let i = 0; i < 64; i++) bpMse += (toPixel(backProjected[i]!) - truthPixels[i]!) ** 2 / 64;
    baselinePsnr = -10 * Math.log10(bpMse);
    gridImages.push(...truthPixels, ...backProjected.map(toPixel));
    captions.push("truth", "A⁺y");
    padRow();
    const problem = { operator, y, noise: gaussianNoise(sigmaY) };
    console.log(
      `digit ${index} (held out), ${operator.name}: d_y = ${operator.outDim}, σ_y = ${sigmaY}; ` +
        `${samples} samples per method on ${backend.name}, ${grid.length - 1} steps from t = ${
          grid[0]
        }`,
    );
    console.log("method        PSNR(mean)  misfit  spread   time");
    for (const m of methods) {
      const t0 = performance.now();
      const result = await m.run({
        model,
        problem,
        grid,
        samples,
        key: makeKey(seed, 0),
        backend,
        conditioning,
      });
      const seconds = (performance.now() - t0) / 1000;
      const x = result.samples;
      const n = x.length / 64;
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
      rows.push({ method: m.info.name, psnr, misfit, spread: Math.sqrt(spread), seconds });
      console.log(
        `${m.info.name.padEnd(12)} ${psnr.toFixed(2).padStart(10)} ${
          misfit.toFixed(2).padStart(7)
        } ${Math.sqrt(spread).toFixed(3).padStart(7)} ${seconds.toFixed(2).padStart(6)} s`,
      );
      const pixels = x.map(toPixel);
      files.push([`samples_${m.info.name}.npy`, encodeNpy({ data: pixels, shape: [n, 1, 8, 8] })]);
      gridImages.push(...mean.map(toPixel));
      captions.push(`${m.info.name} mean`);
      const shown = Math.min(n, 5);
      gridImages.push(...pixels.subarray(0, shown * 64));
      for (let s = 0; s < shown; s++) captions.push(`${m.info.name} #${s + 1}`);
      padRow();
    }
  });
  const svg = imageGrid(
    { data: Float64Array.from(gridImages), shape: [captions.length, 1, 8, 8] },
    {
      cols: 6,
      range: [0, 1],
      title: `digit ${index}: ${operator.name}, σ_y = ${sigmaY}`,
      captions,
    },
  );
  files.push(["inverse.svg", svg]);
  files.push([
    "results.json",
    JSON.stringify(
      {
        image: index,
        operator: operator.name,
        sigmaY,
        samples,
        steps: values.steps,
        seed,
        truth: Array.from(truthPixels),
        y: Array.from(y),
        baselinePsnr,
        results: rows,
      },
      null,
      2,
    ) + "\n",
  ]);
  await writeOutputs(outDir, files, { outputs });
  console.log(`\nwrote ${outDir}/inverse.svg, results.json and ${methods.length} sample files`);
}

if (import.meta.main) await runScript(main, SPEC);
