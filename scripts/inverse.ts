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
 * deno run --allow-read --allow-write=out scripts/inverse.ts --operator inpaint-box --methods ddrm,pigdm,ddnm+,diffpir,dps --out out/inverse
 * ```
 *
 * Permissions: `--allow-read` on the model card and weights (default
 * models/shipped/digits.json and .npy), on data/digits/heldout_*.npy and on
 * `--out`; `--allow-write` on `--out`. No network, no FFI: the network runs
 * as sdeno's own MLP on cpu or webgpu. With `--png`, also `--allow-read` on
 * Deno's npm cache (resvg's `.wasm`; `deno info` prints the folder) and on
 * `/usr/share/fonts` (the font).
 *
 * The network was trained on EDM's σ-time (models/shipped/README.md); the
 * methods work in VP notation on the DDPM schedule (β from 1e-4 to 0.02 over
 * 1000 steps), so the model is called through `rescheduled` at equal
 * log-SNR, and the grid (the reference quadratic grid of `--steps`) starts
 * at the noisiest VP time the network covers (σ/α ≤ 80).
 *
 * Outputs in `--out`: `inverse.svg` (the image grid), `samples_<method>.npy`
 * ([samples, 1, 8, 8] in pixel units [0, 1]), `results.json` (the table,
 * the truth, y and the settings), and `inverse.png` with `--png`. A bad flag exits with 2 and the usage;
 * outputs are written as one unit. The SMC methods (mcgdiff, tds, fps-smc)
 * run `--samples / --particles` independent particle systems.
 *
 * Shards: with `--shard i/N` (or the job-array variables: Slurm
 * `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, Kubernetes
 * `JOB_COMPLETION_INDEX` with `--shard-count` or `SDENO_SHARD_COUNT`; they
 * need `--allow-env` for their names) the run draws only the samples of
 * shard i's whole blocks of `--block-paths` samples, each method's request
 * starting at the block's global index (`pathOffset`), so every sample has
 * the bits it has in one run, and writes `partial-i-of-N.json`;
 * `scripts/merge.ts` writes the outputs above from the N partials, the same
 * bytes as one run (the table recomputed on all samples; the times added
 * over the shards). The SMC methods shard by whole particle systems: the
 * blocks default to the system size, and a split that would cut a system
 * (blocks that are not a multiple of it) is refused, naming the cut.
 *
 * @module
 */

import { type BackendName, makeKey, withBackend } from "../kernels/mod.ts";
import { Mlp } from "../models/mlp.ts";
import { rescheduled } from "../models/rescheduled.ts";
import type { LinearOperator } from "../models/operators/operator.ts";
import { gaussianNoise, sampleMeasurement } from "../models/operators/noise.ts";
import { ddpmLinearBetas, vpDiscreteSchedule } from "../processes/vp_discrete_schedule.ts";
import { quadraticGrid } from "../solvers/guidance/vp.ts";
import { guidanceMethods } from "../solvers/guidance/registry.ts";
import { smcDefaultParticles } from "../solvers/guidance/resampling.ts";
import { checkGuidanceRequest, type GuidanceMethod } from "../solvers/guidance/method.ts";
import {
  checkInputFile,
  checkOutDir,
  checkPng,
  CliUsageError,
  readNpy,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";
import { shardBlocks, shardFromFlags } from "../io/shard.ts";
import {
  blockCountOf,
  makePartial,
  mergePartials,
  partialFileName,
  type PartialSamples,
  sha256Hex,
  writeShardPartial,
} from "../io/partial.ts";
import {
  INVERSE_OPERATORS,
  type InverseOperatorName,
  inverseOutputFiles,
  inverseOutputs,
  inverseSampleKey,
  type InverseShared,
  makeOperator,
  toModel,
  toPixel,
} from "./_inverse_outputs.ts";

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
      choices: INVERSE_OPERATORS,
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
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
    particles: {
      type: "integer",
      min: 1,
      max: 4096,
      description: "particles per system of the SMC methods (mcgdiff, tds, fps-smc; default: " +
        "all samples up to 1000, else the largest divisor of --samples in [100, 1000])",
    },
    blockPaths: {
      type: "integer",
      min: 1,
      max: 4096,
      description: "samples per block: a shard runs whole blocks (default: the SMC methods' " +
        "system size, else 1000; part of the run)",
    },
    shard: {
      type: "string",
      description: "run shard i of N (whole blocks) and write partial-i-of-N.json " +
        "(default: SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX when set)",
    },
    shardCount: {
      type: "integer",
      min: 1,
      description: "the shard count with JOB_COMPLETION_INDEX (or SDENO_SHARD_COUNT)",
    },
  },
} as const;

/** The SMC methods (particle systems): the asymptotically exact ones of the registry. */
const isSmc = (m: GuidanceMethod) => m.info.asymptoticallyExact;

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
  const samples = values.samples as number;
  const smc = methods.filter(isSmc).map((m) => m.info.name);
  if (values.particles !== undefined && smc.length === 0) {
    throw new CliUsageError(
      `--particles sets the particle systems of the SMC methods (${
        guidanceMethods.methods.filter(isSmc).map((m) => m.info.name).join(", ")
      }); none is among --methods`,
      { flag: "--particles" },
    );
  }
  const particles = smc.length > 0
    ? (values.particles as number | undefined) ?? smcDefaultParticles(samples)
    : undefined;
  if (particles !== undefined && samples % particles !== 0) {
    throw new CliUsageError(
      `--samples ${samples} is not a whole number of particle systems of ${particles} ` +
        `(${smc.join(", ")}): give --particles a divisor of --samples`,
      { flag: "--particles" },
    );
  }
  const shard = shardFromFlags(values);
  // rows per block: whole particle systems when an SMC method runs
  const blockSize = (values.blockPaths as number | undefined) ?? particles ?? 1000;
  const blockCount = blockCountOf(samples, blockSize);
  if (shard && particles !== undefined) {
    // every shard refuses a split that cuts a particle system, naming the first cut
    for (let i = 1; i < shard.count; i++) {
      const row = shardBlocks({ index: i, count: shard.count }, blockCount).start * blockSize;
      if (row % particles === 0) continue;
      const system = Math.floor(row / particles);
      throw new CliUsageError(
        `--shard ${shard.index}/${shard.count}: ${smc.join(", ")} run${
          smc.length > 1 ? "" : "s"
        } particle systems of ${particles} samples, and shard ${i} of ${shard.count} would start ` +
          `at sample ${row}, inside system ${system} (samples ${system * particles} to ${
            (system + 1) * particles - 1
          }); a shard holds whole systems: leave --block-paths out (it is then the system size) ` +
          `or make it a multiple of ${particles}`,
        { flag: "--shard" },
      );
    }
  }
  const cardPath = values.model as string;
  await checkInputFile("--model", cardPath);
  const weightsPath = cardPath.replace(/\.json$/, ".npy");
  await checkInputFile("--model (weights)", weightsPath);
  const outputs = inverseOutputFiles(methods.map((m) => m.info.name));
  await checkOutDir(outDir, { outputs: shard ? [partialFileName(shard)] : withPngTwins(outputs) });
  const png = values.png as boolean;
  if (png) await checkPng();
  const t0 = performance.now();

  const cardText = await Deno.readTextFile(cardPath);
  const weightsBytes = await Deno.readFile(weightsPath);
  const mlp = Mlp.fromCard(JSON.parse(cardText), (await readNpy(weightsPath)).data as Float32Array);
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
  const operatorName = values.operator as InverseOperatorName;
  const seed = values.seed as number;
  const operator = makeOperator(operatorName, seed);
  const sigmaY = values["sigma-y"] as number;
  const label = values.label as number;
  const conditioning = { labels: [label < 0 ? mlp.nullLabel : label] };

  // this run's rows: all of them, or the shard's whole blocks
  const own = shardBlocks(shard ?? { index: 0, count: 1 }, blockCount);
  const first = own.start * blockSize;
  const count = Math.max(0, Math.min(samples, own.end * blockSize) - first);
  const indices = Array.from({ length: count }, (_, i) => first + i);
  const partialSamples: Record<string, PartialSamples> = {};
  const seconds = new Float64Array(methods.length);
  let y = new Float64Array(0), backProjected = new Float64Array(0), baselinePsnr = NaN;
  let backendName = "";
  await withBackend(values.backend as BackendName, async (backend) => {
    backendName = backend.name;
    // y = A x* + σ_y n, with n keyed by the seed.
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
    const problem = { operator, y, noise: gaussianNoise(sigmaY) };
    for (const [k, m] of methods.entries()) {
      const request = {
        model,
        problem,
        grid,
        samples: count,
        // sample r of the run is row first + r: it draws what it draws in the whole run
        pathOffset: first,
        key: makeKey(seed, 0),
        backend,
        conditioning,
        ...(isSmc(m) ? { options: { particles } } : {}),
      };
      const t = performance.now();
      let x: Float64Array = new Float64Array(0);
      // a shard without rows still refuses what the method cannot serve
      if (count === 0) checkGuidanceRequest(m.info, { ...request, samples: 1 });
      else x = (await m.run(request)).samples;
      seconds[k] = (performance.now() - t) / 1000;
      partialSamples[inverseSampleKey(m.info.name)] = {
        rowLength: 64,
        total: samples,
        indices,
        data: x,
      };
      Deno.stderr.writeSync(
        new TextEncoder().encode(`${m.info.name}: ${seconds[k]!.toFixed(2)} s\n`),
      );
    }
  });
  const shared: InverseShared = {
    image: index,
    operator: operatorName,
    sigmaY,
    steps: values.steps as number,
    seed,
    backend: backendName,
    gridSteps: grid.length - 1,
    gridStart: grid[0]!,
    truth: truthPixels,
    y,
    backProjected,
    baselinePsnr,
    methods: methods.map((m) => m.info.name),
  };
  const partial = await makePartial(
    {
      script: "inverse",
      paths: samples,
      blockSize,
      config: {
        model: cardPath,
        modelSha256: await sha256Hex(cardText),
        weightsSha256: await sha256Hex(weightsBytes),
        operator: operatorName,
        sigmaY,
        methods: methods.map((m) => m.info.name),
        particles: particles ?? null,
        steps: values.steps as number,
        image: index,
        label,
        seed,
        backend: backendName,
      },
    },
    shard ?? { index: 0, count: 1 },
    {
      samples: partialSamples,
      shared,
      // the methods' seconds ride on the shard's first block, so the merge adds them up
      block: (b) => ({ moments: {}, sums: b === own.start ? { methodSeconds: seconds } : {} }),
      seconds: (performance.now() - t0) / 1000,
    },
  );
  if (shard) {
    const lines = await writeShardPartial(outDir, partial, {
      what: "inverse",
      unit: "samples",
      blockSize,
    });
    for (const line of lines) console.log(line);
    return;
  }
  const merged = mergePartials([{ name: "this run", partial }]);
  const { lines, files } = await inverseOutputs(merged, {
    json: true,
    seconds: partial.seconds,
  });
  for (const line of lines) console.log(line);
  await writeOutputs(outDir, files, { outputs, png });
  console.log(
    `\nwrote ${outDir}/inverse.svg${png ? ", inverse.png" : ""}, results.json and ` +
      `${methods.length} sample files`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
