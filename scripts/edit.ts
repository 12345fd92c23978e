/**
 * Edits samples of a source Gaussian mixture by inversion: each point is
 * mapped to a sampler's latent under the source model (edit-friendly DDPM
 * noise, CycleDiffusion's DPM-Encoder, or DDIM inversion), then sampled
 * again from that latent under the target model. Reports how exactly the
 * source model reconstructs the points (≈ 1e-12 for the two noise
 * inversions, O(h) for DDIM) and how far the edit moved them, and plots
 * source and edited points.
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/edit.ts --method edit-friendly --out out/edit
 * deno run --allow-read=out,specs --allow-write=out scripts/edit.ts --source specs/a.json --target specs/b.json
 * ```
 *
 * Permissions: write access to `--out`, read access to it and to the
 * `--source` / `--target` spec files (JSON as tests/fixtures/diffusion/gmm_spec.json).
 * With `--png`, also `--allow-read` on Deno's npm cache (resvg's `.wasm`;
 * `deno info` prints the folder) and on `/usr/share/fonts` (the font).
 * Without spec files the source is a ring of 8 Gaussians (radius 2, sd 0.2,
 * equal weights) and the target the same ring turned by 22.5°.
 * Outputs, in `--out`: `source.npy`, `edited.npy`, `reconstructed.npy`
 * (n × d), `results.json`, `edit.svg`, and `edit.png` with `--png`.
 *
 * @module
 */

import {
  createBackend,
  fillNormal,
  fillUniform,
  PHILOX_PURPOSES,
  SdenoRangeError,
} from "../kernels/mod.ts";
import { gaussianMixture, type GaussianMixtureSpec } from "../models/gaussian_mixture.ts";
import { parseGaussianMixtureSpec } from "../models/parse_gaussian_mixture_spec.ts";
import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
import { ddim } from "../solvers/diffusion/ddim.ts";
import {
  ddimInversion,
  dpmEncoder,
  editFriendlyInversion,
  skipSteps,
} from "../solvers/diffusion/inversion.ts";
import { timeGrid } from "../solvers/diffusion/time_grids.ts";
import {
  checkOutDir,
  checkPng,
  CliUsageError,
  encodeNpy,
  Progress,
  runScript,
  scatterPlot,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";

const SPEC = {
  name: "scripts/edit.ts",
  description:
    "Invert samples of a source mixture into a sampler's latent and sample them again under a target mixture.",
  flags: {
    n: { type: "integer", default: 400, min: 1, description: "number of points" },
    method: {
      type: "choice",
      choices: ["edit-friendly", "dpm-encoder", "ddim"],
      default: "edit-friendly",
      description: "inversion",
    },
    steps: { type: "integer", default: 50, min: 1, description: "sampler steps" },
    skip: {
      type: "integer",
      default: 0,
      min: 0,
      description: "start the edit this many steps late (T_skip; noise inversions only)",
    },
    eta: {
      type: "number",
      default: 1,
      description: "DDIM stochasticity of the noise inversions, in (0, 1]",
    },
    grid: {
      type: "choice",
      choices: ["logSNR", "uniform", "quadratic"],
      default: "logSNR",
      description: "time grid spacing",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    source: { type: "string", description: "source mixture spec (JSON; default: ring of 8)" },
    target: {
      type: "string",
      description: "target mixture spec (JSON; default: the ring turned by 22.5°)",
    },
    out: { type: "string", default: "out/edit", description: "output folder" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
  },
} as const;

const OUTPUTS = ["source.npy", "edited.npy", "reconstructed.npy", "results.json", "edit.svg"];

/** The ring of 8 equal Gaussians (radius 2, sd 0.2), turned by `angle`. */
function ring(angle: number): GaussianMixtureSpec {
  const means = Array.from({ length: 8 }, (_, k) => {
    const a = angle + k * Math.PI / 4;
    return [2 * Math.cos(a), 2 * Math.sin(a)];
  });
  return { weights: new Array(8).fill(1 / 8), means, variances: means.map(() => [0.04, 0.04]) };
}

/** n exact draws of a mixture: component by a Philox uniform, then its Gaussian. */
function drawMixture(spec: GaussianMixtureSpec, n: number, seed: number): Float64Array {
  const d = spec.means[0]!.length;
  const u = new Float64Array(n), z = new Float64Array(n * d);
  const purpose = PHILOX_PURPOSES.datasetPoints;
  fillUniform(u, { seed, stream: 0 }, { purpose });
  fillNormal(z, { seed, stream: 1 }, { purpose });
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let k = 0, acc = spec.weights[0]!;
    while (u[i]! > acc && k < spec.weights.length - 1) acc += spec.weights[++k]!;
    for (let j = 0; j < d; j++) {
      out[i * d + j] = spec.means[k]![j]! + Math.sqrt(spec.variances[k]![j]!) * z[i * d + j]!;
    }
  }
  return out;
}

async function readSpec(path: string | undefined, fallback: GaussianMixtureSpec) {
  return path === undefined ? fallback : parseGaussianMixtureSpec(await Deno.readTextFile(path));
}

async function main({ values }: { values: Record<string, unknown> }) {
  const n = values.n as number, steps = values.steps as number, seed = values.seed as number;
  const method = values.method as "edit-friendly" | "dpm-encoder" | "ddim";
  const eta = values.eta as number;
  const outDir = values.out as string;
  if (method !== "ddim" && !(eta > 0 && eta <= 1)) {
    throw new CliUsageError(`--eta must be in (0, 1] for ${method}, got "${eta}"`, {
      flag: "--eta",
    });
  }
  const skip = values.skip as number;
  if (skip > 0 && (method === "ddim" || skip >= steps)) {
    throw new CliUsageError(
      `--skip needs a noise inversion and fewer than --steps (${steps}) steps, got "${skip}"`,
      { flag: "--skip" },
    );
  }
  await checkOutDir(outDir, { outputs: withPngTwins(OUTPUTS) });
  const png = values.png as boolean;
  if (png) await checkPng();
  const sourceSpec = await readSpec(values.source as string | undefined, ring(0));
  const targetSpec = await readSpec(values.target as string | undefined, ring(Math.PI / 8));
  const d = sourceSpec.means[0]!.length;
  if (d < 2) throw new SdenoRangeError(`the plot needs mixtures of dimension ≥ 2, got ${d}`);
  if (targetSpec.means[0]!.length !== d) {
    throw new SdenoRangeError(
      `the target mixture has dimension ${targetSpec.means[0]!.length}, the source ${d}`,
    );
  }
  const schedule = vpLinearSchedule();
  const source = gaussianMixture(sourceSpec, schedule);
  const target = gaussianMixture(targetSpec, schedule);
  const grid = timeGrid(schedule, steps, { kind: values.grid as "logSNR" });
  const cpu = await createBackend("cpu");
  const x0 = drawMixture(sourceSpec, n, seed);
  const progress = new Progress(3, { label: `${method} on ${n} points` });
  let recon: Float64Array, edited: Float64Array;
  const key = { seed, stream: 2 };
  if (method === "ddim") {
    const inv = await ddimInversion(source, cpu.upload(x0), grid);
    progress.tick(1);
    recon = Float64Array.from(await cpu.download((await ddim(source, inv.x, grid)).x));
    progress.tick(1);
    edited = Float64Array.from(await cpu.download((await ddim(target, inv.x, grid)).x));
  } else {
    const invert = method === "edit-friendly" ? editFriendlyInversion : dpmEncoder;
    const inv = await invert(source, cpu.upload(x0), grid, { eta, key });
    progress.tick(1);
    const late = skipSteps(inv, grid, skip);
    const run = (model: typeof source) =>
      ddim(model, cpu.upload(late.x), late.grid, { eta, noise: late.noise });
    recon = Float64Array.from(await cpu.download((await run(source)).x));
    progress.tick(1);
    edited = Float64Array.from(await cpu.download((await run(target)).x));
  }
  progress.tick(1);
  progress.finish();
  let reconErr = 0, shift = 0;
  for (let i = 0; i < n * d; i++) reconErr = Math.max(reconErr, Math.abs(recon[i]! - x0[i]!));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (edited[i * d + j]! - x0[i * d + j]!) ** 2;
    shift += Math.sqrt(s) / n;
  }
  console.log(
    `${method}, ${steps} ${values.grid} steps${
      method === "ddim" ? "" : `, eta ${eta}, skip ${skip}`
    }`,
  );
  console.log(`reconstruction under the source model: max |error| ${reconErr.toExponential(2)}`);
  console.log(`edit under the target model: mean |moved| ${shift.toFixed(4)}`);
  const svg = scatterPlot([
    { points: x0, dim: d, label: "source samples" },
    { points: edited, dim: d, label: "edited" },
    { points: targetSpec.means.flat(), dim: d, label: "target means", radius: 4 },
  ], { title: `Editing by ${method} inversion (${steps} steps)`, xLabel: "x₁", yLabel: "x₂" });
  const results = {
    method,
    steps,
    grid: values.grid,
    eta: method === "ddim" ? 0 : eta,
    skip,
    n,
    seed,
    reconstructionMaxError: reconErr,
    meanEditDistance: shift,
  };
  await writeOutputs(outDir, [
    ["source.npy", encodeNpy({ data: x0, shape: [n, d] })],
    ["edited.npy", encodeNpy({ data: edited, shape: [n, d] })],
    ["reconstructed.npy", encodeNpy({ data: recon, shape: [n, d] })],
    ["results.json", JSON.stringify(results, null, 2) + "\n"],
    ["edit.svg", svg],
  ], { outputs: OUTPUTS, png });
  const written = png ? [...OUTPUTS, "edit.png"] : OUTPUTS;
  console.log(`wrote ${written.map((f) => `${outDir}/${f}`).join(", ")}`);
}

if (import.meta.main) await runScript(main, SPEC);
