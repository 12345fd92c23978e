/**
 * Runs the discrete-diffusion reverse samplers on a small data law known by
 * enumeration (default: the tiny exact benchmark, L = 4 over V = 3 symbols,
 * `p_0 = softmax(E)` with `E(x) = #{i : x_i = x_{i+1}} + 0.5·[x_0 = 0] − 0.25·Σ x_i`)
 * with the exact model, and prints for each sampler and step count the exact
 * total variation of its output law to p_0 (from its exact kernels), the TV
 * of `--n` sampled sequences to p_0, and the TV of the samples to the exact
 * output law with its bound (P(exceeded) ≤ 1e-4) and the chi-square p-value.
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/discrete_diffusion.ts --process masked --start exact
 * deno run --allow-read=law.json,out --allow-write=out scripts/discrete_diffusion.ts --data law.json --process uniform --methods euler,sedd_analytic --steps 8,32
 * ```
 *
 * Permissions: `--allow-write=<out>` and `--allow-read=<out>` (the atomic
 * writes), plus `--allow-read=<file>` when `--data` names a JSON file
 * `{ "length": L, "vocabSize": V, "p0": [V^L probabilities, lexicographic] }`
 * (at most 2^20 noisy sequences). With `--png`, also `--allow-read` on
 * Deno's npm cache (resvg's `.wasm`; `deno info` prints the folder) and on
 * `/usr/share/fonts` (the font).
 *
 * `--start prior` (default) starts every sampler where a sampler without
 * p_0 would (all MASK, or uniform symbols); `--start exact` starts from the
 * exact marginal at t = 1, as the benchmark's stored TVs do (its draws use
 * the counter `(sequence, 1, PHILOX_PURPOSES.discreteInit)`). Methods are
 * those of `DISCRETE_METHODS` (solvers/discrete/registry.ts) that apply to
 * the process; `--help` lists them. Progress goes to stderr, a line per run.
 *
 * Outputs in `--out`, written as one unit: `tv.svg` (exact TV to p_0 against
 * the number of steps, log–log, one line per sampler, sampled TVs as dots),
 * `tv.npy` (shape [methods, steps, 3]: exact TV to p_0, sampled TV to p_0,
 * sampled TV to the exact output law), `samples.npy` (int32, shape
 * [methods, steps, n, L]; MASK = V), `summary.json` with `--json`, and
 * `tv.png` with `--png`.
 * A bad flag or data file exits with 2 and the usage.
 *
 * Shards: with `--shard i/N` (or the job-array variables: Slurm
 * `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, Kubernetes
 * `JOB_COMPLETION_INDEX` with `--shard-count` or `SDENO_SHARD_COUNT`; they
 * need `--allow-env` for their names) the run samples only the sequences of
 * shard i's whole blocks of `--block-paths`, with the whole run's draws
 * (`pathOffset`, and the start draws' offset), computes the exact output
 * laws as every shard does, and writes `partial-i-of-N.json`;
 * `scripts/merge.ts` writes the outputs above from the N partials, the same
 * bytes as one run. The empirical laws are histograms of the merged
 * sequences (integer counts: exact in any order); a run's NFE counts the
 * final denoise when any shard took it.
 *
 * @module
 */

import { fillUniform, makeKey } from "../kernels/philox.ts";
import { PHILOX_PURPOSES } from "../kernels/purposes.ts";
import { logLinearSchedule } from "../solvers/discrete/discrete_schedule.ts";
import {
  type DiscreteProcess,
  maskedProcess,
  uniformProcess,
} from "../solvers/discrete/discrete_process.ts";
import { exactDiscreteModel } from "../solvers/discrete/exact_discrete_model.ts";
import {
  exactOutputDistribution,
  unmaskedPart,
} from "../solvers/discrete/exact_output_distribution.ts";
import { sampleDiscrete } from "../solvers/discrete/sample_discrete.ts";
import { DISCRETE_METHODS } from "../solvers/discrete/registry.ts";
import type { DiscreteMethod } from "../solvers/discrete/discrete_method.ts";
import { sequenceCount } from "../solvers/discrete/sequence_space.ts";
import {
  checkInputFile,
  checkOutDir,
  checkPng,
  CliUsageError,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";
import { SdenoError } from "../kernels/errors.ts";
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
  DISCRETE_OUTPUTS,
  discreteOutputs,
  type DiscreteRunShared,
  discreteSampleKey,
  type DiscreteShared,
  halfL1,
} from "./_discrete_outputs.ts";

const METHOD_LINES = DISCRETE_METHODS.methods.map((m) => {
  const i = m.info;
  const names = i.aliases.length > 0 ? `${i.name} (${i.aliases.join(", ")})` : i.name;
  return `  ${names}: ${i.summary} [${i.processes.join(", ")}; reads ${i.needs}]`;
}).join("\n");

const SPEC = {
  name: "scripts/discrete_diffusion.ts",
  description: "Run discrete-diffusion samplers with the exact model of a small data law and " +
    "compare their exact and sampled output laws with p_0.\n\n" +
    `Methods (--methods, by name or alias):\n${METHOD_LINES}`,
  flags: {
    data: {
      type: "string",
      default: "benchmark",
      description: '"benchmark" or a JSON file { length, vocabSize, p0 }',
    },
    process: {
      type: "choice",
      choices: ["masked", "uniform"],
      default: "masked",
      description: "forward process",
    },
    methods: {
      type: "string",
      description: "comma-separated methods (default: all that apply to the process)",
    },
    steps: { type: "string", default: "4,16,64,256", description: "comma-separated step counts" },
    n: { type: "integer", default: 10000, min: 1, max: 1 << 22, description: "samples per run" },
    eps: { type: "number", default: 1e-3, description: "log-linear schedule's α(1), in (0, 1)" },
    start: {
      type: "choice",
      choices: ["prior", "exact"],
      default: "prior",
      description: "start law at t = 1",
    },
    remaskSchedule: {
      type: "choice",
      choices: ["cap", "rescale"],
      default: "cap",
      description: "ReMDM σ_t schedule",
    },
    remaskEta: { type: "number", default: 0.008, min: 0, max: 1, description: "ReMDM η" },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    out: { type: "string", default: "out/discrete", description: "output folder" },
    json: { type: "boolean", description: "also write summary.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
    blockPaths: {
      type: "integer",
      default: 4096,
      min: 1,
      max: 0xffffffff,
      description: "sequences per block: a shard runs whole blocks (part of the run)",
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

const OUTPUTS = DISCRETE_OUTPUTS;

function benchmarkLaw(): { length: number; vocabSize: number; p0: Float64Array } {
  const w = new Float64Array(81);
  for (let j = 0; j < 81; j++) {
    const x = [Math.floor(j / 27), Math.floor(j / 9) % 3, Math.floor(j / 3) % 3, j % 3];
    let e = x[0] === 0 ? 0.5 : 0;
    for (let i = 0; i < 3; i++) if (x[i] === x[i + 1]) e += 1;
    e -= 0.25 * (x[0]! + x[1]! + x[2]! + x[3]!);
    w[j] = Math.exp(e);
  }
  const s = w.reduce((a, b) => a + b, 0);
  return { length: 4, vocabSize: 3, p0: w.map((v) => v / s) };
}

async function loadLaw(
  path: string,
): Promise<{ length: number; vocabSize: number; p0: Float64Array }> {
  if (path === "benchmark") return benchmarkLaw();
  await checkInputFile("--data", path);
  const bad = (why: string) =>
    new CliUsageError(`--data ${JSON.stringify(path)}: ${why}`, { flag: "--data" });
  let json: { length?: unknown; vocabSize?: unknown; p0?: unknown };
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw bad(`not JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const { length, vocabSize, p0 } = json ?? {};
  if (!Number.isInteger(length) || (length as number) < 1) {
    throw bad(`length must be an integer >= 1, got ${JSON.stringify(length)}`);
  }
  if (!Number.isInteger(vocabSize) || (vocabSize as number) < 2) {
    throw bad(`vocabSize must be an integer >= 2, got ${JSON.stringify(vocabSize)}`);
  }
  if (!Array.isArray(p0) || p0.some((v) => typeof v !== "number")) {
    throw bad("p0 must be an array of numbers");
  }
  return { length: length as number, vocabSize: vocabSize as number, p0: Float64Array.from(p0) };
}

function parseSteps(text: string): number[] {
  const steps = text.split(",").map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((s) => !Number.isInteger(s) || s < 1 || s > 1e5)) {
    throw new CliUsageError(
      `--steps must be comma-separated integers in [1, 100000], got ${JSON.stringify(text)}`,
      { flag: "--steps" },
    );
  }
  return steps;
}

function pickMethods(text: string | undefined, process: DiscreteProcess): DiscreteMethod[] {
  if (text === undefined) {
    return DISCRETE_METHODS.methods.filter((m) => m.info.processes.includes(process.kind));
  }
  return text.split(",").map((name) => {
    const m = DISCRETE_METHODS.find(name.trim());
    if (!m) {
      throw new CliUsageError(
        `--methods: unknown method ${
          JSON.stringify(name.trim())
        }; known: ${DISCRETE_METHODS.describeNames()}`,
        { flag: "--methods" },
      );
    }
    if (!m.info.processes.includes(process.kind)) {
      throw new CliUsageError(
        `--methods: ${m.info.name} applies to the ${
          m.info.processes.join(" and ")
        } process, not ${process.kind}`,
        { flag: "--methods" },
      );
    }
    return m;
  });
}

/**
 * Sequences `first` to `first + count − 1` of a run's draws from a law over all S^L sequences
 * (sequence j's uniform at counter (j, 1, discreteInit)), so a shard draws its rows' starts.
 */
function drawFromLaw(
  law: Float64Array,
  first: number,
  count: number,
  length: number,
  states: number,
  seed: number,
) {
  const u = new Float64Array(count);
  fillUniform(u, makeKey(seed, 0), {
    step: 1,
    purpose: PHILOX_PURPOSES.discreteInit,
    offset: first,
  });
  const cdf = new Float64Array(law.length);
  let c = 0;
  law.forEach((p, j) => cdf[j] = c += p);
  const x = new Int32Array(count * length);
  for (let r = 0; r < count; r++) {
    let lo = 0, hi = law.length - 1;
    const target = u[r]! * c;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    for (let k = length - 1, j = lo; k >= 0; k--, j = Math.floor(j / states)) {
      x[r * length + k] = j % states;
    }
  }
  return x;
}

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  const eps = values.eps as number;
  if (!(eps > 0 && eps < 1)) {
    throw new CliUsageError(`--eps must be in (0, 1), got "${eps}"`, { flag: "--eps" });
  }
  const steps = parseSteps(values.steps as string);
  const law = await loadLaw(values.data as string);
  const schedule = logLinearSchedule({ eps });
  const process = values.process === "uniform"
    ? uniformProcess(law.vocabSize, schedule)
    : maskedProcess(law.vocabSize, schedule);
  const methods = pickMethods(values.methods as string | undefined, process);
  const n = values.n as number, seed = values.seed as number;
  const L = law.length, S = process.states;
  let models;
  try {
    sequenceCount(S, L);
    models = {
      ratios: exactDiscreteModel(process, law.p0, L, { output: "ratios" }),
      x0: exactDiscreteModel(process, law.p0, L, { output: "x0" }),
    };
  } catch (err) {
    if (err instanceof SdenoError) {
      throw new CliUsageError(`--data: ${(err as Error).message}`, { flag: "--data" });
    }
    throw err;
  }
  const shard = shardFromFlags(values);
  await checkOutDir(outDir, { outputs: shard ? [partialFileName(shard)] : withPngTwins(OUTPUTS) });
  const png = values.png as boolean;
  if (png) await checkPng();
  const t0 = performance.now();
  const remask = {
    schedule: values.remaskSchedule as "cap" | "rescale",
    eta: values.remaskEta as number,
  };
  // this run's sequences: all of them, or the shard's whole blocks
  const blockSize = values.blockPaths as number;
  const own = shardBlocks(shard ?? { index: 0, count: 1 }, blockCountOf(n, blockSize));
  const first = own.start * blockSize;
  const count = Math.max(0, Math.min(n, own.end * blockSize) - first);
  const startLaw = values.start === "exact" ? models.ratios.marginal(schedule.tMax) : undefined;
  const init = startLaw && count > 0 ? drawFromLaw(startLaw, first, count, L, S, seed) : undefined;
  const key = makeKey(seed, 0);

  const runs: DiscreteRunShared[] = [];
  const samples: Record<string, PartialSamples> = {};
  const indices = Array.from({ length: count }, (_, i) => first + i);
  // per run: 1 when this shard's sequences still held a MASK and took the final denoise step
  const finalDenoise = new Float64Array(methods.length * steps.length);
  for (const method of methods) {
    const model = models[method.info.needs];
    for (const st of steps) {
      const k = runs.length;
      const t = performance.now();
      const exact = await exactOutputDistribution(method, model, {
        steps: st,
        remask,
        ...(startLaw ? { start: startLaw } : {}),
      });
      const ex = unmaskedPart(process, L, exact.distribution);
      runs.push({
        method: method.info.name,
        steps: st,
        tvExact: halfL1(ex.data, law.p0, ex.masked),
        exact: exact.distribution,
      });
      let rows = new Float64Array(0);
      if (count > 0) {
        const r = await sampleDiscrete(method, model, {
          steps: st,
          key,
          remask,
          pathOffset: first,
          ...(init ? { init } : { n: count }),
        });
        const extra = r.nfe - st;
        if (extra !== 0 && extra !== 1) {
          throw new SdenoError(
            `${method.info.name} at ${st} steps made ${r.nfe} model evaluations, expected ` +
              `${st} or ${st + 1} (one per step and a final denoise)`,
          );
        }
        finalDenoise[k] = extra;
        rows = Float64Array.from(r.x);
      }
      samples[discreteSampleKey(k)] = { rowLength: L, total: n, indices, data: rows };
      Deno.stderr.writeSync(
        new TextEncoder().encode(
          `${method.info.name} at ${st} steps: ${((performance.now() - t) / 1000).toFixed(2)} s\n`,
        ),
      );
    }
  }
  const shared: DiscreteShared = {
    process: process.kind,
    data: values.data as string,
    length: L,
    vocabSize: law.vocabSize,
    eps,
    start: values.start as string,
    seed,
    remask,
    p0: law.p0,
    methods: methods.map((m) => m.info.name),
    steps,
    runs,
  };
  const partial = await makePartial(
    {
      script: "discrete_diffusion",
      paths: n,
      blockSize,
      config: {
        data: values.data as string,
        ...(values.data !== "benchmark"
          ? { dataSha256: await sha256Hex(await Deno.readTextFile(values.data as string)) }
          : {}),
        process: process.kind,
        methods: methods.map((m) => m.info.name),
        steps,
        eps,
        start: values.start as string,
        remask,
        seed,
      },
    },
    shard ?? { index: 0, count: 1 },
    {
      samples,
      shared,
      // the final-denoise flags ride on the shard's first block, so the merge adds them up
      block: (b) => ({ moments: {}, sums: b === own.start ? { finalDenoise } : {} }),
      seconds: (performance.now() - t0) / 1000,
    },
  );
  if (shard) {
    const lines = await writeShardPartial(outDir, partial, {
      what: "discrete_diffusion",
      unit: "sequences",
      blockSize,
    });
    for (const line of lines) console.log(line);
    return;
  }
  const merged = mergePartials([{ name: "this run", partial }]);
  const { lines, files } = discreteOutputs(merged, { json: values.json as boolean });
  for (const line of lines) console.log(line);
  await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
  console.log(
    `\nwrote ${files.map(([name]) => `${outDir}/${name}`).join(", ")}${
      png ? ` and ${outDir}/tv.png` : ""
    }`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
