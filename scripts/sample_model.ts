/**
 * Samples an ONNX denoiser through onnxruntime with several diffusion
 * samplers at a few NFE budgets and a 1000-step DDPM reference; prints a
 * table (SW2 and MMD² to the data, wall time) and writes an SVG grid of the
 * samples (scatter plots for 2-D models, image grids for C×H×W models).
 *
 * ```sh
 * # the exact ring-of-8 mixture as an ONNX graph (models/gmm_onnx.ts), against the ring dataset
 * deno run --allow-ffi --allow-read --allow-write=out scripts/sample_model.ts
 * # a trained model: its schedule, prediction kind and time input, and the data it was fitted to
 * deno run --allow-ffi --allow-read --allow-write=out scripts/sample_model.ts \
 *   --model model.onnx --schedule edm --kind x0 --time sigma --input-t sigma --dataset moons
 * ```
 *
 * Permissions: `--allow-ffi` and `--allow-read` (onnxruntime-node reads the
 * model; `--runtime web` needs no FFI but read access to onnxruntime-web's
 * .wasm in Deno's npm cache), write access to `--out` (default
 * `out/sample_model`). With `--png`, also read access to `/usr/share/fonts`
 * (the font; resvg's `.wasm` lies in Deno's npm cache too).
 *
 * Grids: the Karras grid (ρ = 7) of σ/α between the schedule's ends (0.002
 * and 80 on EDM), mapped to the schedule's times; euler and dpmpp_2m spend
 * one model call per σ (NFE = n σ's, then σ = 0), heun two per step
 * (k-diffusion's 2n − 1). The reference is ancestral DDPM with
 * `--reference` steps on the same kind of grid (ending at the smallest σ).
 * Data: `--dataset` draws the built-in dataset (processes/sample_dataset.ts),
 * `--data` reads an n × d `.npy`; their i.i.d. floor (a second draw of the
 * same size) is printed with the table.
 *
 * Outputs in `--out`: `samples.svg`, `metrics.json` with `--json`, and
 * `samples.png` with `--png` (an earlier run's is removed without it); each
 * written atomically.
 *
 * @module
 */

import {
  type Backend,
  createBackend,
  type DeviceArray,
  makeKey,
  SdenoError,
  SdenoTypeError,
} from "../kernels/mod.ts";
import type { Denoiser, PredictionKind } from "../models/denoiser.ts";
import type { OnnxDenoiser, OnnxDenoiserOptions, OnnxTimeInput } from "../models/onnx.ts";
import { gmmOnnx, type GmmOnnxSchedule } from "../models/gmm_onnx.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { rectifiedFlowSchedule } from "../processes/rectified_flow_schedule.ts";
import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
import { DATASET_NAMES, type DatasetName, sampleDataset } from "../processes/sample_dataset.ts";
import { mmdRbf, slicedWasserstein } from "../stats/mod.ts";
import {
  checkPng,
  CliUsageError,
  imageGrid,
  panelGrid,
  pngFiles,
  Progress,
  readNpy,
  runScript,
  writeFileAtomic,
} from "../io/mod.ts";
import * as diffusion from "../solvers/diffusion/mod.ts";

/** The deterministic samplers offered, as named in k-diffusion, with the σ count for an NFE. */

const SPEC = {
  name: "scripts/sample_model.ts",
  description: "Sample an ONNX denoiser with several samplers and NFE budgets against a " +
    "1000-step DDPM reference; print SW2 / MMD² to the data and wall time; write an SVG grid. " +
    `Samplers (--solver name[:key=value…]): ${diffusion.diffusionMethods.describeNames()}.`,
  flags: {
    model: {
      type: "string",
      default: "gmm",
      description: '"gmm" (the exact ring-of-8 mixture as an ONNX graph) or an .onnx file',
    },
    schedule: {
      type: "choice",
      choices: ["edm", "vp-linear", "rectified-flow"],
      default: "edm",
      description: "the model's noise schedule",
    },
    kind: {
      type: "choice",
      choices: ["x0", "eps", "v", "velocity"],
      default: "x0",
      description: "what the model predicts",
    },
    time: {
      type: "choice",
      choices: ["t", "sigma", "cNoise", "ddpm"],
      default: "sigma",
      description: "the model's time input (σ/α, ln(σ/α)/4, t, or 1000(t − 1/N))",
    },
    "input-x": { type: "string", default: "x", description: "name of the model's x input" },
    "input-t": { type: "string", default: "t", description: "name of the model's time input" },
    output: { type: "string", description: "name of the output (default: its only one)" },
    dataset: {
      type: "choice",
      choices: [...DATASET_NAMES],
      default: "ring",
      description: "the data to compare with (built-in 2-D datasets)",
    },
    data: {
      type: "string",
      description: "data to compare with, an n × d .npy (overrides --dataset)",
    },
    solver: { type: "string", default: "euler,heun,dpmpp_2m", description: "comma-separated" },
    nfe: { type: "string", default: "5,10,20", description: "comma-separated NFE budgets" },
    reference: {
      type: "integer",
      default: 1000,
      min: 0,
      max: 100000,
      description: "DDPM reference steps (0: none)",
    },
    n: { type: "integer", default: 2000, min: 2, max: 1000000, description: "samples" },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    runtime: {
      type: "choice",
      choices: ["node", "web"],
      default: "node",
      description: "onnxruntime-node (FFI) or onnxruntime-web (WebAssembly)",
    },
    out: { type: "string", default: "out/sample_model", description: "output folder" },
    json: { type: "boolean", description: "also write metrics.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
  },
} as const;

/** The built-in ring dataset (processes/sample_dataset.ts) as an exact mixture. */
const RING = {
  weights: Array.from({ length: 8 }, () => 1 / 8),
  means: Array.from(
    { length: 8 },
    (_, k) => [2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8)],
  ),
  variances: Array.from({ length: 8 }, () => [0.04, 0.04]),
};

function scheduleOf(name: string): NoiseSchedule {
  if (name === "vp-linear") return vpLinearSchedule();
  if (name === "rectified-flow") return rectifiedFlowSchedule();
  return edmSchedule();
}

function list<T>(flag: string, text: string, parse: (s: string) => T | undefined): T[] {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new CliUsageError(`--${flag} must list at least one value`);
  return items.map((s) => {
    const v = parse(s);
    if (v === undefined) throw new CliUsageError(`--${flag}: unknown or bad value "${s}"`);
    return v;
  });
}

async function openModel(values: Record<string, unknown>): Promise<OnnxDenoiser> {
  const runtime = values.runtime === "web"
    ? await import("../models/onnx_web.ts")
    : await import("../models/onnx.ts");
  if (values.model === "gmm") {
    const sched: GmmOnnxSchedule = values.schedule === "vp-linear"
      ? { name: "vp-linear" }
      : values.schedule === "rectified-flow"
      ? { name: "rectified-flow" }
      : { name: "edm" };
    const g = gmmOnnx(RING, { schedule: sched });
    const kind = values.kind as "x0" | "eps";
    if (kind !== "x0" && kind !== "eps") {
      throw new CliUsageError(`--kind: the gmm model outputs x0 or eps, not "${kind}"`);
    }
    return await runtime.onnxDenoiser(g.bytes, {
      schedule: g.schedule,
      kind,
      output: kind,
      time: "t",
    });
  }
  const options: OnnxDenoiserOptions = {
    schedule: scheduleOf(values.schedule as string),
    kind: values.kind as PredictionKind,
    time: values.time as OnnxTimeInput,
    inputs: { x: values["input-x"] as string, t: values["input-t"] as string },
  };
  if (values.output !== undefined) options.output = values.output as string;
  return await runtime.onnxDenoiser(values.model as string, options);
}

async function main(
  { values }: { values: Record<string, unknown> },
): Promise<void> {
  const solvers = (values.solver as string).split(",").filter((e) => e !== "").map((e) => {
    try {
      return diffusion.parseSamplerSpec(e);
    } catch (err) {
      if (err instanceof SdenoError) throw new CliUsageError(`--solver: ${err.message}`);
      throw err;
    }
  });
  if (solvers.length === 0) throw new CliUsageError("--solver: give at least one sampler");
  const budgets = list("nfe", values.nfe as string, (s) => {
    const v = Number(s);
    return Number.isInteger(v) && v >= 1 && v <= 10000 ? v : undefined;
  });
  const n = values.n as number, seed = values.seed as number;
  const outDir = values.out as string;
  const png = values.png as boolean;
  if (png) await checkPng();
  let data: Float64Array, dataShape: number[] = [];
  let floor: Float64Array;
  if (values.data !== undefined) {
    const npy = await readNpy(values.data as string).catch((e) => {
      throw new CliUsageError(`--data: ${(e as Error).message}`);
    });
    if (npy.shape.length < 2) {
      throw new SdenoTypeError(`Cannot use --data: expected shape (n, ...), got (${npy.shape})`);
    }
    const all = Float64Array.from(npy.data as ArrayLike<number>);
    const rows = npy.shape[0]!, size = all.length / rows, half = Math.floor(rows / 2);
    data = all.subarray(0, half * size);
    floor = all.subarray(half * size, 2 * half * size);
    dataShape = [...npy.shape.slice(1)];
  } else {
    const name = values.dataset as DatasetName;
    data = sampleDataset(name, { n, key: makeKey(seed, 7) }).data;
    floor = sampleDataset(name, { n, key: makeKey(seed, 7), offset: n }).data;
    dataShape = [2];
  }

  await using model = await openModel(values);
  const d = model.dim;
  if (dataShape.reduce((a, b) => a * b, 1) !== d) {
    throw new SdenoTypeError(
      `Cannot compare: the data's points have shape [${dataShape}], the model's [${model.pointShape}]`,
    );
  }
  const s = model.schedule;
  const lo = s.sigma(s.tMin) / s.alpha(s.tMin), hi = s.sigma(s.tMax) / s.alpha(s.tMax);
  const sigmaMin = Math.max(lo, 0.002), sigmaMax = Math.min(hi, 80);
  const karras = (m: number, appendZero = true) =>
    diffusion.karrasSigmas(m, { sigmaMin, sigmaMax, appendZero });
  const backend: Backend = await createBackend("cpu");
  const z = backend.zeros(n * d);
  await backend.fillNormal(z, makeKey(seed, 1));
  const t0 = diffusion.timesOfSigmas(s, [sigmaMax])[0]!;
  const x = backend.zeros(n * d);
  await backend.lincomb(x, [[sigmaMax * s.alpha(t0), z]]);

  const metric = (xs: ArrayLike<number>) => ({
    sw2: slicedWasserstein(xs, data, { d, seed: 99 }),
    mmd2: mmdRbf(xs, data, { d }).mmd2,
  });
  type Row = { solver: string; nfe: number; sw2: number; mmd2: number; seconds: number };
  const rows: Row[] = [];
  const samples = new Map<string, Float64Array>();
  const runs = solvers.length * budgets.length + (values.reference ? 1 : 0);
  const progress = new Progress(runs, { label: "runs" });
  const timed = async (
    label: string,
    solver: string,
    go: () => Promise<{ x: DeviceArray; nfe: number }>,
  ) => {
    const start = performance.now();
    const r = await go();
    const seconds = (performance.now() - start) / 1000;
    const xs = Float64Array.from(await backend.download(r.x));
    backend.release(r.x);
    rows.push({ solver, nfe: r.nfe, ...metric(xs), seconds });
    samples.set(label, xs);
    progress.tick();
  };
  for (const spec of solvers) {
    for (const nfe of budgets) {
      const p = diffusion.planBudget(spec, { schedule: s, budget: nfe, sigmaMin, sigmaMax });
      await timed(
        `${spec.label} (NFE ${nfe})`,
        spec.label,
        () =>
          spec.method.sample(model as Denoiser, x, p.grid, { ...p.options, key: makeKey(seed, 3) }),
      );
    }
  }
  if (values.reference) {
    const steps = values.reference as number;
    const grid = diffusion.timesOfSigmas(s, karras(steps + 1, false));
    await timed(
      `ddpm (${steps} steps)`,
      "ddpm",
      () => diffusion.ddpm(model as Denoiser, x, grid, { key: makeKey(seed, 2) }),
    );
  }
  progress.finish();
  backend.release(x);
  backend.release(z);

  const iid = metric(floor);
  console.log(
    `${n} samples of ${
      values.model === "gmm" ? "the ring-of-8 mixture (ONNX graph)" : values.model
    }` +
      `, ${s.name} schedule, ${model.nativeKind} prediction, onnxruntime-${values.runtime}`,
  );
  console.log(
    `data: ${values.data ?? values.dataset}; i.i.d. floor SW2 ${iid.sw2.toFixed(4)}, MMD² ${
      iid.mmd2.toExponential(2)
    }\n`,
  );
  console.log("solver        NFE      SW2       MMD²   time (s)");
  for (const r of rows) {
    console.log(
      `${r.solver.padEnd(10)} ${String(r.nfe).padStart(6)} ${r.sw2.toFixed(4).padStart(8)} ${
        r.mmd2.toExponential(2).padStart(10)
      } ${r.seconds.toFixed(3).padStart(10)}`,
    );
  }

  await Deno.mkdir(outDir, { recursive: true });
  // 2-D panels share the data's box widened by half on each side, so one diverged run (far-flung
  // points at a small NFE) does not shrink every other panel to a dot; its title counts the
  // points outside the box
  const box = [0, 1].map((k) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = k; i < data.length; i += 2) {
      lo = Math.min(lo, data[i]!), hi = Math.max(hi, data[i]!);
    }
    const pad = 0.5 * (hi - lo);
    return [lo - pad, hi + pad] as const;
  });
  const outside = (xs: ArrayLike<number>) => {
    let c = 0;
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const x = xs[i]!, y = xs[i + 1]!;
      if (!(x >= box[0]![0] && x <= box[0]![1] && y >= box[1]![0] && y <= box[1]![1])) c++;
    }
    return c;
  };
  const panels = [["data", data] as const, ...samples].map(([title, xs]) => {
    if (d === 2) {
      const out = outside(xs);
      return {
        title: out > 0 ? `${title}, ${out} outside` : title,
        plot: {
          kind: "scatter" as const,
          series: { points: xs, dim: 2, label: title },
          options: { xDomain: box[0]!, yDomain: box[1]! },
        },
      };
    }
    const shown = Math.min(16, xs.length / d);
    return {
      title,
      plot: imageGrid({ data: xs.subarray(0, shown * d), shape: [shown, ...model.pointShape] }, {
        cols: 4,
      }),
    };
  });
  const svg = panelGrid(panels, { title: "ONNX model samples", cols: budgets.length });
  await writeFileAtomic(`${outDir}/samples.svg`, svg);
  // with --png its twin samples.png; without, an earlier run's is removed
  const pngs = await pngFiles([[`${outDir}/samples.svg`, svg]], png);
  for (const [path, bytes] of pngs) await writeFileAtomic(path, bytes);
  if (!png) await Deno.remove(`${outDir}/samples.png`).catch(() => {});
  if (values.json) {
    const json = { n, d, seed, model: values.model, schedule: s.name, floor: iid, rows };
    await writeFileAtomic(`${outDir}/metrics.json`, JSON.stringify(json, null, 2) + "\n");
  }
  console.log(
    `\nwrote ${outDir}/samples.svg${png ? ", samples.png" : ""}${
      values.json ? ", metrics.json" : ""
    }`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
