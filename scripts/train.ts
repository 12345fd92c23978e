/**
 * Trains an MLP score network by denoising score matching on a built-in 2-D
 * dataset or a user's `.npy`, with a progress bar and the loss on stderr;
 * writes the weights, a JSON card, the loss curve and an ONNX export.
 *
 * ```sh
 * deno run --allow-read --allow-write=out scripts/train.ts --data checkerboard --steps 4000 --out out/train
 * deno run --allow-read --allow-write=out scripts/train.ts --data points.npy --labels y.npy \
 *   --conditional --objective velocity --out out/train
 * ```
 *
 * Permissions: read access to `--data` / `--labels` files (and Deno's npm
 * cache for the ONNX writer), write access to the output folder (`--out`).
 * With `--png`, also read access to `/usr/share/fonts` (the font; resvg's
 * `.wasm` lies in Deno's npm cache too).
 *
 * Outputs in `--out`, named `<name>.*` (`--name`, default `model`), each
 * written atomically: `.npy` (the weights, float32, flat in the network's
 * layout), `.json` (the card: the network's spec, the data, schedule,
 * prediction kind, objective, steps, seed, final loss and the exact command),
 * `.onnx` (the network with its preconditioning, inputs `x` [n, d], `t` [1] =
 * σ/α and `labels` [n] for a conditional model; see `models/mlp_onnx.ts`),
 * `.loss.svg` (the loss curve), `.loss.png` with `--png` (removed without
 * it), and `.losses.npy`. Load the model with
 * `Mlp.fromCard(card, weights)`.
 *
 * Built-in data: `--n` points of `ring`, `moons`, `checkerboard` or
 * `swiss-roll` (see `processes/sample_dataset.ts`), keyed by `--seed`. A
 * `.npy` file holds n points of floats, shape [n, …] (an image batch
 * [n, C, H, W] trains on C·H·W numbers per point); labels are n integers in
 * `0 … C−1` (C = the largest label + 1, or `--classes`). With `--data-scale`
 * and `--data-shift` the model learns `scale·x + shift` (e.g. pixels in
 * [0, 1] mapped to [−1, 1]); the card records the transform.
 *
 * @module
 */

import { type BackendName, SdenoRangeError, SdenoTypeError } from "../kernels/mod.ts";
import { createBackend } from "../kernels/create_backend.ts";
import { Mlp, MLP_OBJECTIVES, type MlpObjective, type MlpScheduleName } from "../models/mlp.ts";
import { mlpToOnnx } from "../models/mlp_onnx.ts";
import { DATASET_NAMES, type DatasetName, sampleDataset } from "../processes/sample_dataset.ts";
import { trainMlp } from "../solvers/training/train_mlp.ts";
import {
  checkPng,
  CliUsageError,
  linePlot,
  pngFiles,
  Progress,
  readNpy,
  runScript,
  writeFileAtomic,
  writeNpy,
} from "../io/mod.ts";

const SPEC = {
  name: "scripts/train.ts",
  description:
    "Train an MLP score network by denoising score matching (Adam) on a built-in 2-D dataset or an .npy file; write the weights, a JSON card, the loss curve and ONNX.",
  flags: {
    data: {
      type: "string",
      default: "ring",
      description: `${DATASET_NAMES.join(", ")} or a path to an n×d .npy`,
    },
    labels: { type: "string", description: "class labels of an .npy dataset (n integers, .npy)" },
    dataScale: {
      type: "number",
      default: 1,
      description: "train on scale·x + shift (recorded in the card)",
    },
    dataShift: { type: "number", default: 0, description: "see --data-scale" },
    conditional: {
      type: "boolean",
      description: "train a class-conditional model (labels dropped for CFG)",
    },
    classes: {
      type: "integer",
      min: 1,
      description: "number of classes (default: from the labels)",
    },
    n: { type: "integer", default: 20000, min: 1, description: "points of a built-in dataset" },
    objective: {
      type: "choice",
      choices: MLP_OBJECTIVES,
      default: "x0",
      description: "what the network learns: eps, x0 (EDM), v, velocity (flow matching)",
    },
    schedule: {
      type: "choice",
      choices: ["edm", "vp-linear", "vp-cosine", "rectified-flow", "ve"],
      description:
        "noise schedule (default: edm for x0, vp-linear for eps and v, rectified-flow for velocity)",
    },
    hidden: {
      type: "string",
      default: "128,128,128",
      description: "hidden widths, comma-separated",
    },
    timeFeatures: {
      type: "integer",
      default: 16,
      min: 1,
      max: 4096,
      description: "Fourier frequencies of the noise level",
    },
    steps: { type: "integer", default: 4000, min: 1, description: "Adam steps" },
    batchSize: { type: "integer", default: 1024, min: 1, description: "rows per step" },
    lr: { type: "number", default: 2e-3, min: 0, description: "peak learning rate" },
    warmup: { type: "integer", min: 0, description: "warm-up steps (default min(200, steps/10))" },
    ema: {
      type: "number",
      default: 0.999,
      min: 0,
      max: 0.999999,
      description: "EMA decay of the weights (0: off)",
    },
    labelDropout: {
      type: "number",
      default: 0.1,
      min: 0,
      max: 1,
      description: "label dropout (CFG)",
    },
    noiseLevels: {
      type: "choice",
      choices: ["uniform", "lognormal"],
      description: "noise-level law (default: lognormal on edm/ve)",
    },
    pMean: { type: "number", default: -1.2, description: "mean of ln σ for lognormal levels" },
    pStd: { type: "number", default: 1.2, min: 0, description: "std of ln σ for lognormal levels" },
    sigmaData: { type: "number", min: 0, description: "data scale σ_d (default: the data's RMS)" },
    seed: {
      type: "integer",
      default: 0,
      min: 0,
      max: 0xffffffff,
      description: "seed of the data, weights and batches",
    },
    backend: {
      type: "choice",
      choices: ["cpu", "webgpu", "auto"],
      default: "cpu",
      description: "where to train (webgpu on a software adapter is slower than cpu)",
    },
    out: { type: "string", default: "out/train", description: "output folder" },
    name: {
      type: "string",
      default: "model",
      description: "base name of the outputs (<name>.json, <name>.npy, <name>.onnx, …)",
    },
    onnx: { type: "boolean", default: true, description: "also write <name>.onnx" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
  },
} as const;

const DEFAULT_SCHEDULE: Record<MlpObjective, MlpScheduleName> = {
  x0: "edm",
  eps: "vp-linear",
  v: "vp-linear",
  velocity: "rectified-flow",
};

/** Quotes one argument for a POSIX shell when it needs it. */
function shellQuote(a: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}

/** Reads an .npy input; a missing file is a usage problem, not a crash. */
async function readInput(path: string, flag: string) {
  try {
    return await readNpy(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SdenoRangeError(`Cannot train: ${flag} names no file, got "${path}"`);
    }
    throw e;
  }
}

async function loadData(
  source: string,
  labelsPath: string | undefined,
  n: number,
  seed: number,
): Promise<{ data: Float64Array; dim: number; labels: Int32Array | undefined; classes: number }> {
  if ((DATASET_NAMES as readonly string[]).includes(source)) {
    if (labelsPath !== undefined) {
      throw new CliUsageError(`--labels is only for .npy data, got --data ${source}`, {
        flag: "--labels",
      });
    }
    const d = sampleDataset(source as DatasetName, { n, key: { seed, stream: 0 } });
    return { data: d.data, dim: 2, labels: d.labels, classes: d.classes };
  }
  if (!source.endsWith(".npy")) {
    throw new CliUsageError(
      `--data must be one of ${DATASET_NAMES.join(", ")} or a .npy file, got "${source}"`,
      { flag: "--data" },
    );
  }
  const x = await readInput(source, "--data");
  if (!(x.data instanceof Float32Array || x.data instanceof Float64Array) || x.shape.length === 0) {
    throw new SdenoTypeError(
      `Cannot train: ${source} must hold floats of shape [n, …] (one point per row), got ${x.dtype} of shape [${x.shape}]`,
    );
  }
  // a point is everything after the first axis (an image [C, H, W] becomes C·H·W numbers)
  const dim = x.shape.slice(1).reduce((a, b) => a * b, 1);
  let labels: Int32Array | undefined;
  let classes = 0;
  if (labelsPath !== undefined) {
    const y = await readInput(labelsPath, "--labels");
    if (y.data instanceof Float32Array || y.data instanceof Float64Array || y.shape.length !== 1) {
      throw new SdenoTypeError(
        `Cannot train: ${labelsPath} must hold integers of shape [n], got ${y.dtype} of shape [${y.shape}]`,
      );
    }
    labels = Int32Array.from(y.data as ArrayLike<number | bigint>, (v) => Number(v));
    classes = labels.reduce((m, v) => Math.max(m, v + 1), 0);
  }
  return { data: Float64Array.from(x.data), dim, labels, classes };
}

async function main(values: Record<string, unknown>, args: readonly string[]): Promise<void> {
  const v = values as {
    data: string;
    labels?: string;
    conditional: boolean;
    classes?: number;
    n: number;
    dataScale: number;
    dataShift: number;
    objective: MlpObjective;
    schedule?: MlpScheduleName;
    hidden: string;
    timeFeatures: number;
    steps: number;
    batchSize: number;
    lr: number;
    warmup?: number;
    ema: number;
    labelDropout: number;
    noiseLevels?: "uniform" | "lognormal";
    pMean: number;
    pStd: number;
    sigmaData?: number;
    seed: number;
    backend: BackendName;
    out: string;
    name: string;
    onnx: boolean;
    png: boolean;
  };
  if (!/^[A-Za-z0-9_.-]+$/.test(v.name)) {
    throw new CliUsageError(`--name must be letters, digits, _, . or -, got "${v.name}"`, {
      flag: "--name",
    });
  }
  const hidden = v.hidden.split(",").map((s) => Number(s.trim()));
  if (hidden.length === 0 || !hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 65536)) {
    throw new CliUsageError(`--hidden must list positive integers, got "${v.hidden}"`, {
      flag: "--hidden",
    });
  }
  if (!(v.lr > 0)) {
    throw new CliUsageError(`--lr must be positive, got "${v.lr}"`, { flag: "--lr" });
  }
  if (v.labels !== undefined && !v.conditional) {
    throw new CliUsageError("--labels needs --conditional", { flag: "--labels" });
  }
  const d = await loadData(v.data, v.labels, v.n, v.seed);
  if (v.dataScale === 0) {
    throw new CliUsageError(`--data-scale must not be 0`, { flag: "--data-scale" });
  }
  if (v.dataScale !== 1 || v.dataShift !== 0) {
    for (let i = 0; i < d.data.length; i++) d.data[i] = v.dataScale * d.data[i]! + v.dataShift;
  }
  let classes = 0;
  if (v.conditional) {
    if (!d.labels) {
      throw new CliUsageError("--conditional on .npy data needs --labels", {
        flag: "--conditional",
      });
    }
    classes = v.classes ?? d.classes;
    const bad = d.labels.findIndex((y) => y < 0 || y >= classes);
    if (bad >= 0) {
      throw new SdenoRangeError(
        `Cannot train: label ${bad} must be in [0, ${classes - 1}], got "${d.labels[bad]}"`,
      );
    }
  }
  let ss = 0;
  for (const x of d.data) ss += x * x;
  const sigmaData = v.sigmaData ?? Math.sqrt(ss / d.data.length);
  if (!(sigmaData > 0)) {
    throw new SdenoRangeError(
      `Cannot train: the data's scale must be positive, got "${sigmaData}"`,
    );
  }
  const schedule = { name: v.schedule ?? DEFAULT_SCHEDULE[v.objective] };
  const mlp = Mlp.create({
    dim: d.dim,
    hidden,
    timeFeatures: v.timeFeatures,
    classes,
    objective: v.objective,
    schedule,
    sigmaData,
    key: { seed: v.seed, stream: 1 },
  });
  if (v.png) await checkPng();
  const backend = await createBackend(v.backend);
  await Deno.mkdir(v.out, { recursive: true });
  let loss = NaN;
  const enc = new TextEncoder();
  const progress = new Progress(v.steps, {
    label: `training on ${backend.name}`,
    unit: "steps",
    write: (s) => {
      const nl = s.endsWith("\n");
      const text = `${nl ? s.slice(0, -1) : s} loss ${loss.toPrecision(4)}${nl ? "\n" : ""}`;
      Deno.stderr.writeSync(enc.encode(text));
    },
  });
  const started = performance.now();
  let result;
  try {
    result = await trainMlp(mlp, { data: d.data, labels: classes > 0 ? d.labels : undefined }, {
      steps: v.steps,
      batchSize: v.batchSize,
      learningRate: v.lr,
      ...(v.warmup !== undefined ? { warmupSteps: v.warmup } : {}),
      emaDecay: v.ema,
      labelDropout: classes > 0 ? v.labelDropout : 0,
      ...(v.noiseLevels !== undefined ? { noiseLevels: v.noiseLevels } : {}),
      pMean: v.pMean,
      pStd: v.pStd,
      key: { seed: v.seed, stream: 2 },
      backend,
      onStep: ({ step, loss: l }) => {
        // shown: the running mean of the batch losses over ~1% of the steps
        const w = Math.min(step + 1, Math.max(1, Math.floor(v.steps / 100)));
        loss = step === 0 ? l : loss + (l - loss) / w;
        progress.tick();
      },
    });
  } finally {
    progress.finish();
    backend.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  // the shipped model is its float32 weights
  const weights = Float32Array.from(result.mlp.params);
  const model = result.mlp.withParams(weights);
  const command = [
    "deno",
    "run",
    "--allow-read",
    `--allow-write=${v.out}`,
    "scripts/train.ts",
    ...args,
  ]
    .map(shellQuote).join(" ");
  const card = {
    ...model.card(),
    weights: { file: `${v.name}.npy`, dtype: "float32", count: weights.length },
    predictionKind: model.spec.objective,
    objective: v.objective,
    data: {
      source: v.data,
      ...((DATASET_NAMES as readonly string[]).includes(v.data)
        ? { n: v.n, key: { seed: v.seed, stream: 0 } }
        : { n: d.data.length / d.dim, labels: v.labels ?? null }),
      dim: d.dim,
      classes,
      sigmaData,
      // the model's space: scale·(data) + shift
      transform: { scale: v.dataScale, shift: v.dataShift },
    },
    schedule: model.spec.schedule,
    training: {
      steps: v.steps,
      batchSize: v.batchSize,
      learningRate: v.lr,
      emaDecay: v.ema,
      labelDropout: classes > 0 ? v.labelDropout : 0,
      noiseLevels: v.noiseLevels ??
        (schedule.name === "edm" || schedule.name === "ve" ? "lognormal" : "uniform"),
      pMean: v.pMean,
      pStd: v.pStd,
      backend: backend.name,
      seconds: Math.round(seconds * 10) / 10,
    },
    seed: v.seed,
    finalLoss: result.finalLoss,
    command,
    ...(v.onnx
      ? {
        onnx: {
          file: `${v.name}.onnx`,
          inputs: ["x", "t", ...(classes > 0 ? ["labels"] : [])],
          time: "sigma",
        },
      }
      : {}),
  };
  const base = `${v.out.replace(/\/+$/, "")}/${v.name}`;
  await writeNpy(`${base}.npy`, { data: weights, shape: [weights.length] });
  await writeNpy(`${base}.losses.npy`, { data: result.losses, shape: [result.losses.length] });
  await writeFileAtomic(`${base}.json`, JSON.stringify(card, null, 2) + "\n");
  const lossSvg = linePlot(lossCurve(result.losses), {
    title: `training loss (${v.objective}, ${v.data})`,
    xLabel: "step",
    yLabel: "loss",
    yScale: "log",
  });
  await writeFileAtomic(`${base}.loss.svg`, lossSvg);
  // with --png its twin .loss.png; without, an earlier run's is removed
  const pngs = await pngFiles([[`${base}.loss.svg`, lossSvg]], v.png);
  for (const [path, bytes] of pngs) await writeFileAtomic(path, bytes);
  if (!v.png) await Deno.remove(`${base}.loss.png`).catch(() => {});
  if (v.onnx) await writeFileAtomic(`${base}.onnx`, mlpToOnnx(model));
  console.log(
    `trained ${model.parameterCount} weights for ${v.steps} steps in ${seconds.toFixed(1)} s; ` +
      `final loss ${result.finalLoss.toPrecision(4)}; wrote ${base}.json, .npy${
        v.onnx ? ", .onnx" : ""
      }, .loss.svg${v.png ? ", .loss.png" : ""}, .losses.npy`,
  );
}

/** The loss and its running mean over 1% of the steps, thinned to ≤ 2000 points. */
function lossCurve(losses: Float64Array) {
  const n = losses.length;
  const w = Math.max(1, Math.floor(n / 100));
  const every = Math.max(1, Math.ceil(n / 2000));
  const x: number[] = [], raw: number[] = [], mean: number[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += losses[i]!;
    if (i >= w) acc -= losses[i - w]!;
    if (i % every === 0 || i === n - 1) {
      x.push(i);
      raw.push(losses[i]!);
      mean.push(acc / Math.min(i + 1, w));
    }
  }
  return [
    { x, y: raw, label: "batch loss", color: "#bbbbbb" },
    { x, y: mean, label: `mean of ${w} steps` },
  ];
}

if (import.meta.main) {
  await runScript(({ values }) => main(values, Deno.args), SPEC);
}
