/**
 * Evaluates a trained 2-D MLP (a card written by `scripts/train.ts` on a
 * built-in dataset): samples it with DPM-Solver++(2M) at `--nfe` model calls
 * (on Karras σ's, or with `--grid exponential` on σ's uniform in log σ,
 * DPM-Solver++'s log-SNR spacing) and with the `--reference-steps`-step
 * ancestral DDPM sampler (Karras σ's), and prints the sliced Wasserstein-2
 * distance of each to the data beside the i.i.d. floor (SW2 between two
 * independent data samples of the same size). "To the data" is to the exact
 * distribution for the checkerboard (its exact projected quantiles,
 * `checkerboardQuantiles`), else to a fresh data sample of the same size. A
 * class-conditional model is sampled with its classes in equal shares (label
 * i mod C; the built-in datasets' classes are equally likely), or with its
 * null class under `--unconditional`; it also reports, per class, the
 * fraction of classifier-free-guided samples that fall in the class's region
 * (`datasetRegion`).
 *
 * ```sh
 * deno run --allow-read --allow-write=models/shipped scripts/evaluate_mlp.ts \
 *   --model models/shipped/checkerboard.json --grid exponential --write-reference
 * ```
 *
 * Permissions: read access to the card and its weights; write access to the
 * card's folder with `--write-reference` (which saves the DDPM samples as
 * `<name>.ddpm<steps>.npy` and the table as `<name>.eval.json`, for the
 * tests to check against).
 *
 * Noise: the starting points are `σ_max·z`, z the Philox normals of
 * (`--seed`, stream 11); DDPM's fresh noise is keyed by (`--seed`, stream
 * 12). The data samples are (`--seed`, streams 21 and 22) of the dataset,
 * independent of the training sample (stream 0). Every draw is keyed per
 * point, so the first k points of a run are those of a k-point run.
 *
 * @module
 */

import { CpuBackend, SdenoParseError, SdenoRangeError, SdenoTypeError } from "../kernels/mod.ts";
import { cfg } from "../models/cfg.ts";
import { Mlp } from "../models/mlp.ts";
import {
  checkerboardQuantiles,
  DATASET_NAMES,
  type DatasetName,
  datasetRegion,
  sampleDataset,
} from "../processes/sample_dataset.ts";
import {
  ddpm,
  exponentialSigmas,
  karrasSigmas,
  sampleDpmpp2m,
  timeGrid,
} from "../solvers/diffusion/mod.ts";
import { slicedWasserstein, slicedWassersteinToQuantiles } from "../stats/sliced_wasserstein.ts";
import { fillNormal } from "../kernels/philox.ts";
import { CliUsageError, readNpy, runScript, writeFileAtomic, writeNpy } from "../io/mod.ts";

const SPEC = {
  name: "scripts/evaluate_mlp.ts",
  description:
    "Sample a trained 2-D MLP with DPM-Solver++(2M) and the DDPM reference; print SW2 to the data beside the i.i.d. floor, and CFG class accuracy.",
  flags: {
    model: { type: "string", required: true, description: "the card (.json) written by train.ts" },
    n: { type: "integer", default: 4096, min: 2, description: "samples per run" },
    nfe: { type: "integer", default: 20, min: 2, description: "model calls of DPM-Solver++(2M)" },
    referenceSteps: { type: "integer", default: 1000, min: 0, description: "DDPM steps (0: skip)" },
    grid: {
      type: "choice",
      choices: ["karras", "exponential"],
      default: "karras",
      description: "σ grid of dpmpp_2m: Karras ρ = 7, or uniform in log σ (= in log-SNR)",
    },
    unconditional: {
      type: "boolean",
      description: "sample a conditional model's null class (default: labels i mod C)",
    },
    cfgScale: {
      type: "number",
      default: 3,
      min: 0,
      description: "guidance scale w of the class check",
    },
    cfgInterval: {
      type: "string",
      description:
        "guide only for σ/α in lo,hi (Kynkäänniemi et al. 2024), e.g. 0,1 (default: always)",
    },
    perClass: { type: "integer", default: 256, min: 1, description: "guided samples per class" },
    seed: {
      type: "integer",
      default: 0,
      min: 0,
      max: 0xffffffff,
      description: "seed of every draw",
    },
    directions: { type: "integer", default: 256, min: 1, description: "SW2 projection directions" },
    writeReference: {
      type: "boolean",
      description: "save the DDPM samples and the table beside the card",
    },
  },
} as const;

/** The card and weights of a model file. */
async function loadCard(path: string): Promise<{ mlp: Mlp; card: Record<string, unknown> }> {
  let card;
  try {
    card = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new SdenoRangeError(`Cannot evaluate: --model names no file, got "${path}"`);
    }
    if (e instanceof SyntaxError) {
      throw new SdenoParseError(`Cannot evaluate: ${path} is not JSON: ${e.message}`);
    }
    throw e;
  }
  const file = (card?.weights as { file?: string } | undefined)?.file;
  if (typeof file !== "string") {
    throw new SdenoTypeError(`Cannot load ${path}: the card names no weights file`);
  }
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const w = await readNpy(`${dir}${file}`);
  return { mlp: Mlp.fromCard(card, w.data as Float32Array), card };
}

async function main(v: {
  model: string;
  n: number;
  nfe: number;
  referenceSteps: number;
  grid: "karras" | "exponential";
  unconditional: boolean;
  cfgScale: number;
  cfgInterval?: string | undefined;
  perClass: number;
  seed: number;
  directions: number;
  writeReference: boolean;
}): Promise<void> {
  const { mlp, card } = await loadCard(v.model);
  const source = (card.data as { source?: string } | undefined)?.source;
  if (!(DATASET_NAMES as readonly string[]).includes(source ?? "") || mlp.spec.dim !== 2) {
    throw new SdenoRangeError(
      `Cannot evaluate ${v.model}: it must be a 2-D model of a built-in dataset, got data ${
        JSON.stringify(source)
      }`,
    );
  }
  const name = source as DatasetName;
  if (mlp.schedule.name !== "edm") {
    throw new SdenoRangeError(`Cannot evaluate ${v.model}: it must use the EDM schedule`);
  }
  const b = new CpuBackend();
  const model = mlp.denoiser();
  const s = mlp.schedule;
  const x = b.zeros(2 * v.n);
  await b.fillNormal(x, { seed: v.seed, stream: 11 });
  await b.lincomb(x, [[s.tMax, x]]);
  const sw = (a: ArrayLike<number>, c: ArrayLike<number>) =>
    slicedWasserstein(a, c, { d: 2, numDirections: v.directions, seed: v.seed });
  const data = sampleDataset(name, { n: v.n, key: { seed: v.seed, stream: 21 } }).data;
  const data2 = sampleDataset(name, { n: v.n, key: { seed: v.seed, stream: 22 } }).data;
  const toData = exactDistance(name, v.n, v.directions, v.seed) ?? ((a) => sw(a, data));
  const floor = sw(data2, data);
  const rows: Array<[string, number, number, number]> = [];
  let t = performance.now();
  // a conditional model samples the data's law with its classes in equal shares (label i mod C),
  // unless --unconditional asks for its null class
  const C = mlp.spec.classes;
  const conditioning = C > 0 && !v.unconditional
    ? { labels: Int32Array.from({ length: v.n }, (_, i) => i % C) }
    : undefined;
  const range = { sigmaMin: s.tMin, sigmaMax: s.tMax };
  const fastGrid = v.grid === "exponential"
    ? exponentialSigmas(v.nfe, range)
    : karrasSigmas(v.nfe, range);
  const fast = await sampleDpmpp2m(model, x, fastGrid, conditioning ? { conditioning } : {});
  const fastSamples = await b.download(fast.x);
  rows.push([
    `dpmpp_2m, NFE ${fast.nfe} (${v.grid} σ's)`,
    fast.nfe,
    toData(fastSamples),
    performance.now() - t,
  ]);
  let reference: Float64Array | undefined;
  if (v.referenceSteps > 0) {
    t = performance.now();
    const grid = timeGrid(s, v.referenceSteps, { kind: "karras" });
    const r = await ddpm(model, x, grid, {
      key: { seed: v.seed, stream: 12 },
      ...(conditioning ? { conditioning } : {}),
    });
    reference = await b.download(r.x);
    rows.push([
      `ddpm, ${v.referenceSteps} steps`,
      r.nfe,
      toData(reference),
      performance.now() - t,
    ]);
  }
  const exact = name === "checkerboard";
  console.log(
    `| sampler | NFE | SW2 to the ${
      exact ? "exact distribution" : "data"
    } | SW2 / floor | time (s) |`,
  );
  console.log(`| --- | ---: | ---: | ---: | ---: |`);
  for (const [label, nfe, d, ms] of rows) {
    console.log(
      `| ${label} | ${nfe} | ${d.toFixed(4)} | ${(d / floor).toFixed(2)} | ${
        (ms / 1000).toFixed(1)
      } |`,
    );
  }
  console.log(`| i.i.d. floor (two data samples of ${v.n}) | | ${floor.toFixed(4)} | 1.00 | |`);
  const classes = mlp.spec.classes;
  const perClass: number[] = [];
  let interval: [number, number] | undefined;
  if (classes > 0) {
    if (v.cfgInterval !== undefined) {
      const parts = v.cfgInterval.split(",").map(Number);
      if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! <= parts[1]!)) {
        throw new CliUsageError(
          `--cfg-interval must be lo,hi with lo ≤ hi, got "${v.cfgInterval}"`,
          {
            flag: "--cfg-interval",
          },
        );
      }
      interval = [parts[0]!, parts[1]!];
    }
    const guided = cfg(model, {
      scale: v.cfgScale,
      nullLabel: mlp.nullLabel,
      classes,
      ...(interval ? { interval } : {}),
    });
    const m = v.perClass;
    const labels = Int32Array.from({ length: classes * m }, (_, i) => Math.floor(i / m));
    const z = b.zeros(2 * classes * m);
    await b.fillNormal(z, { seed: v.seed, stream: 13 });
    await b.lincomb(z, [[s.tMax, z]]);
    const r = await sampleDpmpp2m(
      guided,
      z,
      karrasSigmas(v.nfe, { sigmaMin: s.tMin, sigmaMax: s.tMax }),
      {
        conditioning: { labels },
      },
    );
    const out = await b.download(r.x);
    for (let c = 0; c < classes; c++) {
      let hit = 0;
      for (let i = c * m; i < (c + 1) * m; i++) {
        if (datasetRegion(name, out[2 * i]!, out[2 * i + 1]!) === c) hit++;
      }
      perClass.push(hit / m);
    }
    const all = perClass.reduce((a, p) => a + p, 0) / classes;
    console.log(
      `\nCFG w = ${v.cfgScale}${
        interval ? ` for σ in [${interval}]` : ""
      }, dpmpp_2m NFE ${v.nfe}: ${(100 * all).toFixed(1)}% of ${
        classes * m
      } guided samples in their class's region (per class: ${
        perClass.map((p) => (100 * p).toFixed(1)).join(", ")
      })`,
    );
  }
  if (v.writeReference && reference) {
    const base = v.model.replace(/\.json$/, "");
    await writeNpy(`${base}.ddpm${v.referenceSteps}.npy`, { data: reference, shape: [v.n, 2] });
    const table = {
      model: v.model,
      n: v.n,
      seed: v.seed,
      directions: v.directions,
      floor,
      runs: rows.map(([label, nfe, d]) => ({ sampler: label, nfe, sw2: d })),
      ...(classes > 0
        ? {
          cfg: {
            scale: v.cfgScale,
            interval: interval ?? null,
            perClass: v.perClass,
            inRegion: perClass,
          },
        }
        : {}),
      command: `deno run --allow-read --allow-write=${
        base.slice(0, base.lastIndexOf("/") + 1) || "."
      } scripts/evaluate_mlp.ts ${Deno.args.join(" ")}`,
    };
    await writeFileAtomic(`${base}.eval.json`, JSON.stringify(table, null, 2) + "\n");
    console.log(`wrote ${base}.ddpm${v.referenceSteps}.npy and ${base}.eval.json`);
  }
}

/**
 * SW2 to the exact distribution where its projected quantiles are known (the
 * checkerboard), on `directions` normalised Philox-normal directions.
 */
function exactDistance(
  name: DatasetName,
  n: number,
  numDirections: number,
  seed: number,
): ((x: ArrayLike<number>) => number) | undefined {
  if (name !== "checkerboard") return undefined;
  const directions = new Float64Array(2 * numDirections);
  fillNormal(directions, { seed, stream: 23 });
  for (let l = 0; l < numDirections; l++) {
    const r = Math.hypot(directions[2 * l]!, directions[2 * l + 1]!);
    directions[2 * l]! /= r;
    directions[2 * l + 1]! /= r;
  }
  const quantiles = checkerboardQuantiles({ directions, levels: n });
  return (x) => slicedWassersteinToQuantiles(x, { d: 2, directions, quantiles });
}

if (import.meta.main) {
  await runScript(({ values }) => main(values), SPEC);
}
