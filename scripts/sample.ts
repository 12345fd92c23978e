/**
 * Samples a Gaussian mixture with several diffusion samplers at a fixed
 * number of model evaluations, against the exact target and a fine ODE
 * reference; prints a metrics table and writes a scatter-plot grid (SVG) and
 * the samples (.npy).
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/sample.ts
 * deno run --allow-read=out,ring.json,z.npy --allow-write=out scripts/sample.ts \
 *   --model ring.json --noise z.npy --solver heun,dpmpp_2m,dpm_solver:order=3 --steps 20 --json
 * deno run --allow-read=out --allow-write=out scripts/sample.ts --sampler dpmpp_2m_sde --scheduler karras
 * ```
 *
 * Permissions: write access to the output folder (`--out`, default `out/sample`)
 * and read access to it; read access to `--model` and `--noise` files when given.
 * With `--png`, also `--allow-read` on Deno's npm cache (resvg's `.wasm`;
 * `deno info` prints the folder) and on `/usr/share/fonts` (the font).
 *
 * Defaults: the embedded 2-D ring of 8 Gaussians (tests/fixtures/diffusion/gmm_spec.json), the
 * EDM schedule (σ from 80 to 0.002 on the Karras ρ = 7 grid), n = 4096 points, NFE 10. The
 * samplers are those of the diffusion registry (`solvers/diffusion/registry.ts`), by name or alias;
 * `name:key=value:…` sets options (`dpm_solver:order=3`, `unipc:variant=bh2:order=3`). Each spends
 * at most `--steps` model calls, by its declared rule: a sampler on a σ grid gets the longest
 * Karras grid ending at σ = 0 whose declared NFE fits, one on a time grid the longest Karras grid
 * without σ = 0 (as schedule times); dpm_fast gets `nfe = --steps` on [80, 0.002]; the adaptive
 * samplers run on [80, 0.002] and spend what their tolerances need.
 * `--sampler` is `--solver` under ComfyUI's name (it also takes ComfyUI's KSampler names:
 * `dpmpp_2m_sde_gpu`, `uni_pc_bh2`, …, through solvers/diffusion/sampler_names.ts);
 * `--scheduler` replaces the Karras grid by a named σ schedule (ComfyUI's KSampler list —
 * simple, sgm_uniform, karras, exponential, ddim_uniform, beta, normal, linear_quadratic,
 * kl_optimal — or polyexponential, ays_sd15, ays_sdxl, ays_svd) with the same number of steps;
 * the range-based ones span [0.002, 80], the model-based ones (simple, sgm_uniform, normal,
 * ddim_uniform, beta) read Stable Diffusion's trained σ's (0.0292 … 14.61), and the Align Your
 * Steps lists are their own, so the run, its noise and the fine reference start at the
 * schedule's first σ.
 * The fine reference is heun with 250 σ's (NFE 499) from the same noise: the
 * "ODE err" column is the RMS distance to it (meaningless for runs that drew noise,
 * shown as "-"). SW2 is the sliced W2 (64 directions) to the exact target, with
 * the target's projected quantiles computed exactly (Newton on the mixture CDF).
 *
 * Outputs in `--out`: `samples.svg` (data vs each solver), `<solver>.npy` (n × d),
 * `reference.npy`, `metrics.json` with `--json`, and `samples.png` with `--png`.
 *
 * Shards: with `--shard i/N` (or the job-array variables: Slurm
 * `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`, Kubernetes
 * `JOB_COMPLETION_INDEX` with `--shard-count` or `SDENO_SHARD_COUNT`; they
 * need `--allow-env` for their names) the run makes only the samples of
 * shard i's whole blocks of 1024 rows — the whole run's noise (Philox
 * offsets, the samplers' `pathOffset`), so each row has the bits it has in
 * one run — and writes `partial-i-of-N.json`; `scripts/merge.ts` writes the
 * outputs above from the N partials, the same bytes as one run (metrics
 * recomputed on all samples). Samplers whose steps depend on the whole batch
 * (the adaptive ones, the predictor–corrector) are refused with `--shard`.
 *
 * @module
 */

import {
  type Backend,
  type BackendName,
  CpuBackend,
  type DeviceArray,
  fillNormal,
  makeKey,
  SdenoError,
  withBackend,
} from "../kernels/mod.ts";
import { gaussianMixture, type GaussianMixtureSpec } from "../models/gaussian_mixture.ts";
import type { Denoiser } from "../models/denoiser.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { shardBlocks, shardFromFlags } from "../io/shard.ts";
import {
  blockCountOf,
  encodePartial,
  makePartial,
  partialFileName,
  type PartialSamples,
  sha256Hex,
} from "../io/partial.ts";
import {
  fileName,
  SAMPLE_OUTPUTS,
  sampleReport,
  type SampleShared,
  type SampleSolverRun,
} from "./_sample_outputs.ts";
import {
  checkInputFile,
  checkOutDir,
  checkPng,
  CliUsageError,
  Progress,
  readNpy,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";
import {
  COMFYUI_SAMPLERS,
  resolveSamplerName,
  SIGMA_SCHEDULES,
  sigmaSchedule,
} from "../solvers/diffusion/sampler_names.ts";
import {
  diffusionMethods,
  karrasSigmas,
  parseSamplerSpec,
  planBudget,
  type SampleResult,
  type SamplerOptions,
  type SamplerSpec,
  timesOfSigmas,
} from "../solvers/diffusion/mod.ts";

const RING: GaussianMixtureSpec = {
  weights: Array.from({ length: 8 }, (_, k) => (k + 1) / 36),
  means: Array.from(
    { length: 8 },
    (_, k) => [2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8)],
  ),
  variances: Array.from({ length: 8 }, () => [0.04, 0.04]),
};

const SIGMA_MAX = 80, SIGMA_MIN = 0.002;

/**
 * One `--solver` / `--sampler` entry `name[:key=value…]`: the name may be an sdeno method or
 * alias or a ComfyUI KSampler name (its implied options first, the entry's own override them);
 * an unknown name or key is a usage error listing the known ones.
 */
function parseSolver(entry: string, flag: string): SamplerSpec {
  try {
    const [name, ...rest] = entry.split(":");
    const r = resolveSamplerName(name!);
    const spec = parseSamplerSpec([r.method.info.name, ...rest].join(":"));
    return { label: entry, method: spec.method, options: { ...r.options, ...spec.options } };
  } catch (err) {
    if (err instanceof SdenoError) throw new CliUsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

/** The σ schedule of `--scheduler`, or undefined for the default Karras grid. */
function parseScheduler(name: string | undefined) {
  if (name === undefined) return undefined;
  try {
    return sigmaSchedule(name);
  } catch (err) {
    if (err instanceof SdenoError) {
      throw new CliUsageError(`--scheduler: ${err.message}`, { flag: "--scheduler" });
    }
    throw err;
  }
}

type Schedule = ReturnType<typeof sigmaSchedule>;

/**
 * The grid and options with which a method spends at most `budget` model calls; with a σ
 * schedule, its list of as many σ's replaces the Karras one (a time grid drops the final 0).
 */
function plan(s: SamplerSpec, schedule: NoiseSchedule, budget: number, sched?: Schedule) {
  const p = planBudget(s, { schedule, budget, sigmaMin: SIGMA_MIN, sigmaMax: SIGMA_MAX });
  if (!sched) return p;
  const sigma = s.method.info.grid === "sigma";
  const ref = sched(2, { sigmaMin: SIGMA_MIN, sigmaMax: SIGMA_MAX });
  if (s.method.info.budget !== "grid") {
    return { ...p, grid: times(schedule, [ref[0]!, ref[ref.length - 2]!]) };
  }
  // σ grid: n σ's and the 0; time grid: n + 1 times (the schedule's 0 dropped)
  const n = p.grid.length - 1;
  const list = sched(n, { sigmaMin: SIGMA_MIN, sigmaMax: SIGMA_MAX });
  return { ...p, grid: times(schedule, sigma ? list : list.slice(0, -1)) };
}

const times = timesOfSigmas;

const DEFAULT_SOLVERS =
  "euler,heun,dpmpp_2m,dpm_solver:order=3,unipc:variant=bh2:order=3,dpm_fast,euler_ancestral," +
  "dpmpp_2m_sde";

const SPEC = {
  name: "scripts/sample.ts",
  description:
    "Sample a Gaussian mixture with diffusion samplers at a fixed NFE; compare them with the exact " +
    "target and a fine ODE reference. Samplers (name (aliases)), each optionally followed by " +
    `:key=value options: ${diffusionMethods.describeNames()}. ComfyUI KSampler names: ${
      Object.keys(COMFYUI_SAMPLERS).join(", ")
    }. Schedulers: ${Object.keys(SIGMA_SCHEDULES).join(", ")}.`,
  flags: {
    model: {
      type: "string",
      default: "ring",
      description: '"ring" (the built-in 2-D ring of 8) or a JSON file {weights, means, variances}',
    },
    schedule: {
      type: "choice",
      choices: ["edm", "vp"],
      default: "edm",
      description: "the model's noise schedule (vp: VP-linear, run in its σ/α view)",
    },
    solver: {
      type: "string",
      description: `comma-separated samplers, each name[:key=value…] (default ${DEFAULT_SOLVERS})`,
    },
    sampler: {
      type: "string",
      description: "the same as --solver (ComfyUI's word); give one of the two",
    },
    scheduler: {
      type: "string",
      description: "a named σ schedule instead of the Karras grid (see the list above)",
    },
    steps: {
      type: "integer",
      default: 10,
      min: 1,
      max: 10000,
      description: "NFE budget per solver",
    },
    n: {
      type: "integer",
      min: 2,
      description: "number of samples (default 4096; with --noise, its row count)",
    },
    backend: {
      type: "choice",
      choices: ["auto", "cpu", "webgpu"],
      default: "cpu",
      description: "where the samplers run",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    noise: { type: "string", description: "initial noise z (n × d .npy) instead of drawing it" },
    out: { type: "string", default: "out/sample", description: "output folder" },
    json: { type: "boolean", description: "also write metrics.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
    shard: {
      type: "string",
      description: "run the samples of shard i of N (whole blocks of 1024) and write " +
        "partial-i-of-N.json (default: SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX when set)",
    },
    shardCount: {
      type: "integer",
      min: 1,
      description: "the shard count with JOB_COMPLETION_INDEX (or SDENO_SHARD_COUNT)",
    },
  },
} as const;

async function loadSpec(model: string): Promise<GaussianMixtureSpec> {
  if (model === "ring") return RING;
  await checkInputFile("--model", model);
  let text: string;
  try {
    text = await Deno.readTextFile(model);
  } catch (e) {
    throw new CliUsageError(
      `--model: cannot read ${JSON.stringify(model)}: ${(e as Error).message}`,
    );
  }
  try {
    const j = JSON.parse(text);
    return { weights: j.weights, means: j.means, variances: j.variances };
  } catch (e) {
    throw new CliUsageError(
      `--model: ${JSON.stringify(model)} is not JSON: ${(e as Error).message}`,
    );
  }
}

/** Beyond this many bytes of samples and noise (about 5 copies of n × d float64), refuse. */
const MAX_SAMPLE_BYTES = 2 ** 32;

/**
 * Checks, before any work, that every solver can run with the planned grid:
 * each takes one tiny run (2 samples, cpu) and a refusal (too few steps for
 * its order, a grid too short for its Brownian path, …) becomes a usage
 * error naming the solver and `--steps`.
 */
async function checkSolversRun(
  solvers: readonly SamplerSpec[],
  model: Denoiser,
  schedule: NoiseSchedule,
  nfe: number,
  z: Float64Array,
  sched: Schedule | undefined,
): Promise<void> {
  const cpu = new CpuBackend();
  for (const solver of solvers) {
    const p = plan(solver, schedule, nfe, sched);
    const x = cpu.upload(startOf(z, schedule, p.grid));
    try {
      const res = await solver.method.sample(
        model,
        x,
        p.grid,
        { ...p.options, key: makeKey(0, 1) } as SamplerOptions,
      );
      cpu.release(res.x);
    } catch (err) {
      if (!(err instanceof SdenoError)) throw err;
      throw new CliUsageError(
        `--solver ${solver.label} cannot run with --steps ${nfe}: ${err.message}`,
        { flag: "--steps" },
      );
    } finally {
      cpu.release(x);
    }
  }
}

/**
 * Reads `--noise` and checks it before any work: a float .npy of shape
 * (n, d) with n ≥ 2 (and n equal to `--n` when that is given), every entry
 * finite (the first bad one is named by row and column).
 */
async function loadNoise(
  path: string,
  d: number,
  nGiven: boolean,
  nFlag: number,
): Promise<{ z: Float64Array; n: number }> {
  const name = `--noise ${JSON.stringify(path)}`;
  await checkInputFile("--noise", path);
  const npy = await readNpy(path).catch((e) => {
    throw new CliUsageError(`${name}: ${(e as Error).message.split("\n")[0]}`, { flag: "--noise" });
  });
  if (!(npy.data instanceof Float64Array || npy.data instanceof Float32Array)) {
    throw new CliUsageError(
      `${name}: dtype ${npy.dtype} is not a float type; expected float64 (<f8) or float32 (<f4)`,
      { flag: "--noise" },
    );
  }
  if (npy.shape.length !== 2 || npy.shape[1] !== d) {
    throw new CliUsageError(
      `${name}: expected shape (n, ${d}), got (${npy.shape.join(", ")})`,
      { flag: "--noise" },
    );
  }
  const n = npy.shape[0]!;
  if (n < 2) {
    throw new CliUsageError(
      `${name}: has ${n} row(s); at least 2 are needed (one row per sample, rows are not reused)`,
      { flag: "--noise" },
    );
  }
  if (nGiven && nFlag !== n) {
    throw new CliUsageError(
      `--n ${nFlag} disagrees with ${name}, which has ${n} rows (one per sample); ` +
        `leave --n out or give ${n}`,
      { flag: "--n" },
    );
  }
  const z = Float64Array.from(npy.data);
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i]!)) {
      throw new CliUsageError(
        `${name}: entry (row ${Math.floor(i / d)}, column ${i % d}) is ${z[i]}; ` +
          `the noise must be finite`,
        { flag: "--noise" },
      );
    }
  }
  return { z, n };
}

/** The files every run may write into --out (besides one .npy per solver). */
const OUTPUTS = SAMPLE_OUTPUTS;
/** Rows per block: shard i of N runs the rows of whole blocks (the rows do not depend on it). */
const SAMPLE_BLOCK = 1024;

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  const nfe = values.steps as number, seed = values.seed as number;
  if (values.solver !== undefined && values.sampler !== undefined) {
    throw new CliUsageError("--solver and --sampler are the same flag; give one", {
      flag: "--sampler",
    });
  }
  const flag = values.sampler !== undefined ? "--sampler" : "--solver";
  const list = (values.sampler ?? values.solver ?? DEFAULT_SOLVERS) as string;
  const solvers = list.split(",").map((s) => s.trim()).filter(Boolean)
    .map((s) => parseSolver(s, flag));
  if (solvers.length === 0) throw new CliUsageError(`${flag}: give at least one sampler`);
  const sched = parseScheduler(values.scheduler as string | undefined);
  // the fine reference spans the schedule's σ's at --steps steps (80 … 0.002 for Karras); each
  // run starts from z scaled to its own grid's first σ
  const span = sched ? sched(nfe, { sigmaMin: SIGMA_MIN, sigmaMax: SIGMA_MAX }) : undefined;
  const sigmaStart = span ? span[0]! : SIGMA_MAX;
  const sigmaEnd = span ? span.at(-2)! : SIGMA_MIN;
  await checkOutDir(outDir, {
    outputs: withPngTwins([...OUTPUTS, ...solvers.map((s) => `${fileName(s.label)}.npy`)]),
  });
  const png = values.png as boolean;
  if (png) await checkPng();
  const spec = await loadSpec(values.model as string);
  const schedule = values.schedule === "vp" ? vpLinearSchedule() : edmSchedule();
  const model = gaussianMixture(spec, schedule);
  const d = model.dim;
  let n = (values.n as number | undefined) ?? 4096;
  let zAll: Float64Array | undefined;
  if (values.noise !== undefined) {
    const loaded = await loadNoise(values.noise as string, d, values.n !== undefined, n);
    zAll = loaded.z;
    n = loaded.n;
  } else {
    const bytes = 5 * n * d * 8 + solvers.length * n * d * 8;
    if (bytes > MAX_SAMPLE_BYTES) {
      throw new CliUsageError(
        `--n ${n}: ${n} samples of dimension ${d} need about ${
          (bytes / 2 ** 30).toFixed(1)
        } GiB for the noise, the reference and ${solvers.length} solver outputs (the limit is ${
          MAX_SAMPLE_BYTES / 2 ** 30
        } GiB); give a smaller --n`,
        { flag: "--n" },
      );
    }
  }
  const shard = shardFromFlags(values);
  if (shard) {
    const batchWide = solvers.filter((s) => !s.method.info.rowsIndependent);
    if (batchWide.length > 0) {
      throw new CliUsageError(
        `--shard ${shard.index}/${shard.count}: ${
          batchWide.map((s) => s.label).join(", ")
        } size their steps from the whole batch, so a shard's rows differ from the whole run's; ` +
          `shard the others`,
        { flag: "--shard" },
      );
    }
  }
  // this run's rows: all of them, or the shard's whole blocks of SAMPLE_BLOCK rows
  const own = shardBlocks(shard ?? { index: 0, count: 1 }, blockCountOf(n, SAMPLE_BLOCK));
  const first = own.start * SAMPLE_BLOCK;
  const count = Math.max(0, Math.min(n, own.end * SAMPLE_BLOCK) - first);
  // z of rows [first, first + count): the whole run's draws (Philox offset), or the file's rows
  let z: Float64Array;
  if (zAll !== undefined) z = zAll.slice(first * d, (first + count) * d);
  else {
    z = new Float64Array(count * d);
    fillNormal(z, makeKey(seed, 0), { offset: first * d });
  }
  await checkSolversRun(
    solvers,
    model,
    schedule,
    nfe,
    count > 0 ? z.slice(0, 2 * d) : new Float64Array(2 * d),
    sched,
  );

  const samples: Record<string, Float64Array> = {};
  const runs: SampleSolverRun[] = [];
  const seconds: number[] = [];
  let backendName = "", description = "";
  const t0 = performance.now();
  const ref = await withBackend(values.backend as BackendName, async (backend: Backend) => {
    backendName = backend.name;
    description = backend.description;
    const progress = new Progress(solvers.length + 1, { label: "solvers" });
    const run = async (
      grid: number[],
      r: (model: Denoiser, x: DeviceArray) => Promise<SampleResult>,
    ) => {
      const x = backend.upload(startOf(count > 0 ? z : new Float64Array(d), schedule, grid));
      const t = performance.now();
      const res = await r(model, x);
      const out = count > 0 ? Float64Array.from(await backend.download(res.x)) : new Float64Array();
      const seconds = (performance.now() - t) / 1000;
      backend.release(x);
      backend.release(res.x);
      return { res, out, seconds };
    };
    const heun = diffusionMethods.get("heun");
    const fineSigmas = karrasSigmas(250, { sigmaMin: sigmaEnd, sigmaMax: sigmaStart });
    fineSigmas[0] = sigmaStart; // (σ^{1/ρ})^ρ may be off by an ulp
    const fineGrid = times(schedule, fineSigmas);
    const fine = await run(fineGrid, (m, x) => heun.sample(m, x, fineGrid, { pathOffset: first }));
    progress.tick();
    for (const solver of solvers) {
      const p = plan(solver, schedule, nfe, sched);
      // a shard without rows learns the run's facts (NFE, noise drawn) from one dummy row
      const { res, out, seconds: sec } = await run(p.grid, (m, x) =>
        solver.method.sample(
          m,
          x,
          p.grid,
          { ...p.options, key: makeKey(seed, 1), pathOffset: first } as SamplerOptions,
        ));
      runs.push({
        solver: solver.label,
        nfe: res.nfe,
        // a run that drew noise, or started elsewhere (ddim_uniform's first σ depends on n), is
        // not the reference's ODE solution
        ode: !(res.noiseCalls.length > 0 || p.grid[0] !== fineGrid[0]),
      });
      seconds.push(sec);
      samples[solver.label] = out;
      progress.tick();
    }
    progress.finish();
    return fine.out;
  });
  const shared: SampleShared = {
    spec: {
      weights: [...spec.weights],
      means: spec.means.map((m) => [...m]),
      variances: spec.variances.map((v) => [...v]),
    },
    d,
    nfe,
    seed,
    schedule: schedule.name,
    scheduler: (values.scheduler as string | undefined) ?? null,
    backend: backendName,
    description,
    runs,
  };

  if (!shard) {
    const { lines, files } = sampleReport(shared, {
      n,
      samples,
      ref,
      seconds,
      json: values.json as boolean,
    });
    for (const line of lines) console.log(line);
    // one unit: staged, renamed in together; an earlier run's metrics.json goes if not written
    await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
    console.log(
      `\nwrote ${outDir}/samples.svg${png ? ", samples.png" : ""}, ${runs.length + 1} .npy files${
        values.json ? ", metrics.json" : ""
      }`,
    );
    return;
  }
  // a shard: its rows with their global indices, and the run that identifies it
  const indices = Array.from({ length: count }, (_, i) => first + i);
  const rowsOf = (data: Float64Array) => ({ rowLength: d, total: n, indices, data });
  const partialSamples: Record<string, PartialSamples> = { reference: rowsOf(ref) };
  for (const r of runs) partialSamples[`solver:${r.solver}`] = rowsOf(samples[r.solver]!);
  const partial = await makePartial(
    {
      script: "sample",
      paths: n,
      blockSize: SAMPLE_BLOCK,
      config: {
        model: values.model as string,
        ...(values.model !== "ring"
          ? { modelSha256: await sha256Hex(await Deno.readTextFile(values.model as string)) }
          : {}),
        noise: (values.noise as string | undefined) ?? null,
        ...(zAll !== undefined
          ? {
            noiseSha256: await sha256Hex(
              Array.from(new Uint8Array(zAll.buffer), (b) => String.fromCharCode(b)).join(""),
            ),
          }
          : {}),
        schedule: schedule.name,
        scheduler: (values.scheduler as string | undefined) ?? null,
        solvers: solvers.map((s) => s.label),
        steps: nfe,
        seed,
        backend: backendName,
      },
    },
    shard,
    {
      samples: partialSamples,
      shared,
      // the solvers' seconds ride on the shard's first block, so the merge adds them up
      block: (b) => ({
        moments: {},
        sums: b === own.start ? { solverSeconds: Float64Array.from(seconds) } : {},
      }),
      seconds: (performance.now() - t0) / 1000,
    },
  );
  const file = partialFileName(shard);
  await writeOutputs(outDir, [[file, encodePartial(partial)]]);
  console.log(
    `shard ${shard.index}/${shard.count}: ${
      count > 0 ? `samples ${first} to ${first + count - 1}` : "no samples"
    } of ${n} (blocks of ${SAMPLE_BLOCK}) in ${partial.seconds.toFixed(3)} s`,
  );
  console.log(`wrote ${outDir}/${file}; merge the shards with scripts/merge.ts`);
}

/** The initial batch of a run on `grid`: x = σ(grid[0])·z (α·σ̃·z in the σ/α view). */
function startOf(z: Float64Array, schedule: NoiseSchedule, grid: readonly number[]): Float64Array {
  const s = schedule.sigma(grid[0]!);
  return z.map((v) => v * s);
}

if (import.meta.main) await runScript(main, SPEC);
