/**
 * Simulates an ensemble of SDE paths (a built-in model, or an `Sde` from your
 * own module) on cpu or webgpu, prints the moments at the save times with
 * standard errors (and the exact values and z-scores where the model knows
 * them), and writes sample paths with a mean ± 2 sd band (SVG) and the
 * statistics (.npy).
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/simulate.ts --model gbm --paths 100000 --t1 1 --dt 0.001 --out out/simulate
 * deno run --allow-read=out,my_sde.ts --allow-write=out scripts/simulate.ts --module my_sde.ts --x0 0,1 --out out/simulate
 * ```
 *
 * Permissions: `--allow-read` and `--allow-write` on the output folder
 * (`--out`); with `--module`, also `--allow-read` on that module file (it is
 * loaded with a dynamic `import()`; an https URL needs `--allow-import`
 * instead). The module must export an `Sde` as `sde` or as its default export
 * (optionally with `moments(t, x0)` for exact values, like the built-ins).
 * With `--png`, also `--allow-read` on Deno's npm cache (resvg's `.wasm`;
 * `deno info` prints the folder) and on `/usr/share/fonts` (the font).
 *
 * Outputs, in `--out`: `paths.svg` (component `--plot-component`: sample
 * paths, the mean ± 2 sd band, the exact mean dashed where known), `t.npy`
 * [S], `mean.npy` [S, d], `covariance.npy` [S, d, d], `samples.npy`
 * [S, keep, d], `histograms.svg` (component `--plot-component` at each save
 * time), `histogram.npy` [S, d, bins + 2] (counts; the first and
 * last bins are below and above the range) with `histogram_edges.npy`
 * [d, bins + 1] (the range from the first 1024 paths, ± half their span),
 * `moments.json` with `--json`, and with `--png` `paths.png` and
 * `histograms.png` beside the SVGs. Fixed steps only: the
 * solvers of the registry that run in the ensemble kernel (`--solver`, by
 * name or alias; `--help` lists them) run on the grid t0 + j·dt with Philox
 * noise keyed by (path, step); there is no adaptive (tolerance-driven) mode.
 *
 * Blocks and shards: the paths run in fixed blocks of `--block-paths`
 * (default 4096); each block's moments (count, mean, M2) are folded in block
 * order by Chan, Golub & LeVeque's update, its histogram counts added. With
 * `--shard i/N`, or in a Slurm job array (`SLURM_ARRAY_TASK_ID`,
 * `SLURM_ARRAY_TASK_COUNT`, `SLURM_ARRAY_TASK_MIN`) or a Kubernetes Indexed
 * Job (`JOB_COMPLETION_INDEX` with `--shard-count N` or
 * `SDENO_SHARD_COUNT`), the run does only shard i's blocks and writes
 * `partial-i-of-N.json` in `--out`; `scripts/merge.ts` turns the N partials
 * into the outputs above, the same bytes as one unsharded run. Reading the
 * variables needs
 * `--allow-env=SLURM_ARRAY_TASK_ID,SLURM_ARRAY_TASK_COUNT,SLURM_ARRAY_TASK_MIN,SLURM_ARRAY_TASK_STEP,JOB_COMPLETION_INDEX,SDENO_SHARD_COUNT`
 * (without it they are not read, and only `--shard` shards). See
 * examples/shards/.
 *
 * @module
 */

import { type Backend, type BackendName, makeKey, withBackend } from "../kernels/mod.ts";
import type { Sde, SdeModel, SdeMoments } from "../processes/sde.ts";
import { ornsteinUhlenbeck } from "../processes/sde_models/ornstein_uhlenbeck.ts";
import { geometricBrownianMotion } from "../processes/sde_models/geometric_brownian_motion.ts";
import { coxIngersollRoss } from "../processes/sde_models/cox_ingersoll_ross.ts";
import { doubleWellLangevin } from "../processes/sde_models/double_well_langevin.ts";
import { stochasticLotkaVolterra } from "../processes/sde_models/stochastic_lotka_volterra.ts";
import { kloedenPlaten } from "../processes/sde_models/kloeden_platen.ts";
import { diffusionModelSde } from "../processes/sde_models/diffusion_model_sdes.ts";
import { sdeSolvers, simulateEnsemble } from "../solvers/sde/mod.ts";
import { shardBlocks, shardFromFlags } from "../io/shard.ts";
import {
  blockCountOf,
  blockPaths,
  makePartial,
  mergePartials,
  type PartialRun,
  sha256Hex,
  writeShardPartial,
} from "../io/partial.ts";
import { SIMULATE_OUTPUTS, simulateOutputs, type SimulateShared } from "./_simulate_outputs.ts";
import {
  checkInputFile,
  checkOutDir,
  checkPng,
  CliUsageError,
  Progress,
  runScript,
  withPngTwins,
  writeOutputs,
} from "../io/mod.ts";

/**
 * A built-in model: its constructor, default x0, and (where the state space is
 * restricted) the domain of x0 as a test and its statement.
 */
interface BuiltinModel {
  make: () => SdeModel;
  x0: number[];
  domain?: { ok: (x: number) => boolean; text: string };
}

const MODELS: Record<string, BuiltinModel> = {
  "ou": { make: () => ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 }), x0: [2] },
  "gbm": { make: () => geometricBrownianMotion({ mu: 0.1, sigma: 0.3 }), x0: [1] },
  // CIR lives on [0, ∞): √x in the diffusion, and its moments hold only there (Cox, Ingersoll &
  // Ross 1985, eq. 18-19)
  "cir": {
    make: () => coxIngersollRoss({ kappa: 2, theta: 1, sigma: 0.5 }),
    x0: [0.5],
    domain: { ok: (x) => x >= 0, text: "x0 ≥ 0" },
  },
  "double-well": { make: () => doubleWellLangevin({ barrier: 1, beta: 2 }), x0: [-1] },
  "lotka-volterra": { make: () => stochasticLotkaVolterra(), x0: [1.2, 0.8] },
  "kp-sinh": { make: () => kloedenPlaten("sinh"), x0: [0.5] },
  "kp-arctan": { make: () => kloedenPlaten("arctan"), x0: [0.5] },
  "kp-additive-decay": { make: () => kloedenPlaten("additive-decay"), x0: [0.5] },
  "vp": { make: () => diffusionModelSde("vp"), x0: [1] },
  "ve": { make: () => diffusionModelSde("ve"), x0: [1] },
  "mean-reverting": { make: () => diffusionModelSde("mean-reverting"), x0: [1] },
};
/** The solvers that run in the ensemble kernel, from the registry. */
const SOLVERS = sdeSolvers.methods.filter((s) => s.ensembleStep !== undefined);

const SPEC = {
  name: "scripts/simulate.ts",
  description:
    "Simulate an SDE ensemble on cpu or webgpu; print moments with standard errors; plot paths.",
  flags: {
    model: {
      type: "choice",
      choices: Object.keys(MODELS),
      default: "ou",
      description: "built-in model (ignored with --module)",
    },
    module: {
      type: "string",
      description: "path or URL of a module exporting an Sde as `sde` or default",
    },
    solver: {
      type: "choice",
      choices: SOLVERS.flatMap((s) => [s.info.name, ...s.info.aliases]),
      default: "euler-maruyama",
      description: `integrator, by name or alias: ${
        SOLVERS.map((s) => {
          const aka = s.info.aliases.length > 0 ? ` (${s.info.aliases.join(", ")})` : "";
          return `${s.info.name}${aka}: ${s.info.noise.join("/")} noise`;
        }).join("; ")
      }`,
    },
    x0: { type: "string", description: "initial state, comma-separated (default per model)" },
    paths: { type: "integer", default: 10_000, min: 2, description: "number of paths" },
    t0: { type: "number", default: 0, description: "start time" },
    t1: { type: "number", default: 1, description: "end time" },
    dt: {
      type: "number",
      default: 0.01,
      description: "step, a number > 0 (t1 − t0 a whole number of steps)",
    },
    saves: {
      type: "integer",
      default: 10,
      min: 1,
      description: "number of equally spaced save times in (t0, t1]",
    },
    saveAt: { type: "string", description: "explicit save times, comma-separated" },
    backend: {
      type: "choice",
      choices: ["auto", "cpu", "webgpu"],
      default: "auto",
      description: "where to run",
    },
    seed: { type: "integer", default: 0, min: 0, max: 0xffffffff, description: "Philox seed" },
    keep: { type: "integer", default: 20, min: 1, description: "sample paths to keep and plot" },
    plotComponent: { type: "integer", default: 0, min: 0, description: "component to plot" },
    out: { type: "string", default: "out/simulate", description: "output folder" },
    json: { type: "boolean", description: "also write moments.json" },
    png: {
      type: "boolean",
      description: "also write a PNG beside each SVG; needs --allow-read on Deno's npm cache " +
        "and /usr/share/fonts",
    },
    bins: {
      type: "integer",
      default: 64,
      min: 1,
      max: 2046,
      description: "histogram bins per component (range from the first 1024 paths)",
    },
    blockPaths: {
      type: "integer",
      default: 4096,
      min: 1,
      max: 0xffffffff,
      description: "paths per block: statistics are folded block by block in block order, " +
        "so shards merge to the same bits (part of the run)",
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

function numbers(flag: string, text: string): number[] {
  const xs = text.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x)) || text.trim() === "") {
    throw new CliUsageError(`${flag} must be comma-separated numbers, got "${text}"`, { flag });
  }
  return xs;
}

async function loadModule(spec: string): Promise<Sde & { moments?: SdeModel["moments"] }> {
  const isUrl = /^[a-z][a-z0-9+.-]+:/i.test(spec);
  if (!isUrl) await checkInputFile("--module", spec);
  const url = isUrl ? spec : new URL(spec, `file://${Deno.cwd()}/`).href;
  // deno-lint-ignore no-explicit-any
  let mod: any;
  try {
    mod = await import(url);
  } catch (err) {
    // a module that does not load (syntax, a missing import, an error at its top level)
    throw new CliUsageError(
      `--module ${JSON.stringify(spec)}: cannot load it: ${
        String((err as Error)?.message ?? err).split("\n")[0]
      }`,
      { flag: "--module" },
    );
  }
  const sde = mod.sde ?? mod.default;
  if (!sde || typeof sde.drift !== "function" || typeof sde.dim !== "number") {
    throw new CliUsageError(
      `--module must export an Sde as \`sde\` or default, got exports ${
        JSON.stringify(Object.keys(mod))
      }`,
      { flag: "--module" },
    );
  }
  return sde;
}

/** The files a run may write into --out. */
const OUTPUTS = SIMULATE_OUTPUTS;

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  const dt = values.dt as number;
  if (!(dt > 0)) throw new CliUsageError(`--dt must be positive, got "${dt}"`, { flag: "--dt" });
  const t0 = values.t0 as number, t1 = values.t1 as number;
  if (!(t1 > t0)) {
    throw new CliUsageError(`--t1 must exceed --t0 = ${t0}, got "${t1}"`, { flag: "--t1" });
  }
  const paths = values.paths as number;
  await checkOutDir(outDir, { outputs: withPngTwins(OUTPUTS) });
  const png = values.png as boolean;
  if (png) await checkPng();
  const moduleSpec = values.module as string | undefined;
  const sde = moduleSpec ? await loadModule(moduleSpec) : MODELS[values.model as string]!.make();
  const name = moduleSpec ?? (values.model as string);
  const x0 = values.x0 !== undefined
    ? numbers("--x0", values.x0 as string)
    : moduleSpec
    ? new Array(sde.dim).fill(0)
    : MODELS[values.model as string]!.x0;
  if (x0.length !== sde.dim && x0.length !== 1) {
    throw new CliUsageError(`--x0 must hold ${sde.dim} values, got ${x0.length}`, {
      flag: "--x0",
    });
  }
  const start = x0.length === sde.dim ? x0 : new Array(sde.dim).fill(x0[0]);
  const domain = moduleSpec ? undefined : MODELS[values.model as string]!.domain;
  const bad = domain ? start.findIndex((x) => !domain.ok(x)) : -1;
  if (domain && bad >= 0) {
    throw new CliUsageError(
      `--x0: ${start[bad]} (component ${bad}) is outside the ${name} model's domain; ` +
        `expected ${domain.text}`,
      { flag: "--x0" },
    );
  }
  const steps = Math.round((t1 - t0) / dt);
  const saveAt = values.saveAt !== undefined
    ? numbers("--save-at", values.saveAt as string)
    : Array.from({ length: values.saves as number }, (_, k) => {
      const j = Math.round((steps * (k + 1)) / (values.saves as number));
      return j === steps ? t1 : t0 + j * dt;
    }).filter((s, k, a) => k === 0 || s > a[k - 1]!);
  const d = sde.dim, keep = Math.min(values.keep as number, paths);
  const pc = values.plotComponent as number;
  if (pc >= d) {
    throw new CliUsageError(`--plot-component must be below dim = ${d}, got "${pc}"`, {
      flag: "--plot-component",
    });
  }
  // a user Sde without WGSL snippets runs on cpu only: --backend auto falls back with a note
  let backendName = values.backend as BackendName;
  if (moduleSpec && backendName === "auto" && sde.wgsl === undefined) {
    console.error(`note: ${moduleSpec} has no WGSL snippets (sde.wgsl); running on cpu`);
    backendName = "cpu";
  }

  const bins = values.bins as number;
  const blockSize = values.blockPaths as number;
  const shard = shardFromFlags(values);
  const moduleHash = moduleSpec && !/^[a-z][a-z0-9+.-]+:/i.test(moduleSpec)
    ? await sha256Hex(await Deno.readTextFile(moduleSpec))
    : null;
  const moments = (sde as { moments?: (t: number, x0: ArrayLike<number>) => SdeMoments }).moments;
  const saveTimes = [t0, ...saveAt.filter((s) => s > t0)];
  const solver = sdeSolvers.get(values.solver as string);
  const seed = values.seed as number;
  const key = makeKey(seed, 0);

  const t = performance.now();
  const partial = await withBackend(backendName, async (backend: Backend) => {
    const common = { backend, solver, x0: start, t0, t1, dt, saveAt: saveTimes, key };
    // the histogram range, alike in every shard: the first min(paths, 1024) paths, ± half their span
    const np = Math.min(paths, 1024);
    const pilot = await simulateEnsemble(sde, { ...common, paths: np, keepPaths: np });
    const lower = new Float64Array(d), upper = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let mn = Infinity, mx = -Infinity;
      for (let e = a; e < pilot.samples.length; e += d) {
        mn = Math.min(mn, pilot.samples[e]!);
        mx = Math.max(mx, pilot.samples[e]!);
      }
      const span = mx - mn > 0 ? mx - mn : Math.max(1, Math.abs(mx));
      lower[a] = mn - 0.5 * span;
      upper[a] = mx + 0.5 * span;
    }
    const S = pilot.t.length;
    const exact = moments ? saveTimes.map((ts) => moments(ts, start)) : undefined;
    const kept = { rowLength: S * d, total: keep, indices: [] as number[], rows: [] as number[] };
    const ran = new Set<string>();
    let method = "", steps = 0;
    const mine = shard ?? { index: 0, count: 1 };
    const own = shardBlocks(mine, blockCountOf(paths, blockSize));
    const ownFirst = blockPaths({ paths, blockSize }, own.start).offset;
    const ownPaths = own.end > own.start ? Math.min(paths, own.end * blockSize) - ownFirst : 0;
    const progress = new Progress(Math.max(1, ownPaths), {
      label: `${name} on ${backend.name}${shard ? ` (shard ${shard.index}/${shard.count})` : ""}`,
      unit: "paths",
    });
    const run: PartialRun = {
      script: "simulate",
      paths,
      blockSize,
      config: {
        model: moduleSpec ? { module: moduleSpec, sha256: moduleHash } : name,
        sde: sde.name,
        dim: d,
        solver: solver.info.name,
        x0: start,
        t0,
        t1,
        dt,
        saveAt: saveTimes,
        seed,
        keep,
        bins,
        plotComponent: pc,
        backend: backend.name,
      },
    };
    const samples = {
      paths: { rowLength: S * d, total: keep, indices: kept.indices, data: new Float64Array() },
    };
    const shared: SimulateShared = {
      name,
      method: "",
      dt,
      steps: 0,
      backend: "",
      seed,
      t: pilot.t,
      dim: d,
      keep,
      plotComponent: pc,
      exactMean: exact ? Float64Array.from(exact.flatMap((e) => [...e.mean])) : null,
      exactVariance: exact ? Float64Array.from(exact.flatMap((e) => [...e.variance])) : null,
      histLower: lower,
      histUpper: upper,
      bins,
    };
    const p = await makePartial(run, mine, {
      samples,
      shared,
      block: async (_b, offset, n) => {
        const keepHere = Math.max(0, Math.min(n, keep - offset));
        const r = await simulateEnsemble(sde, {
          ...common,
          paths: n,
          pathOffset: offset,
          keepPaths: keepHere,
          quantiles: [0.5],
          histogram: { bins, lower: [...lower], upper: [...upper] },
          onProgress: (done) => progress.update(offset - ownFirst + done),
        });
        ran.add(r.backend);
        method = r.method;
        steps = r.steps;
        for (let i = 0; i < keepHere; i++) {
          kept.indices.push(offset + i);
          for (let s = 0; s < S; s++) {
            for (let a = 0; a < d; a++) kept.rows.push(r.samples[(s * keepHere + i) * d + a]!);
          }
        }
        // one row is no spread: M2 = 0 (the ensemble's covariance is 0/0 there)
        const m2 = n > 1 ? r.covariance.map((c) => c * (n - 1)) : new Float64Array(S * d * d);
        return {
          moments: { state: { count: n, dim: d, mean: Float64Array.from(r.mean), m2 } },
          sums: {
            histogram: r.histogram!.counts,
            varianceExcess: r.varianceSe.map((se) => n * n * se * se),
          },
        };
      },
    });
    progress.finish();
    samples.paths.data = Float64Array.from(kept.rows);
    shared.method = method || solver.info.name;
    shared.steps = steps || Math.round((saveTimes[saveTimes.length - 1]! - t0) / dt);
    shared.backend = ran.size > 0 ? [...ran].join("+") : backend.name;
    p.seconds = (performance.now() - t) / 1000;
    return p;
  });

  if (shard) {
    const lines = await writeShardPartial(outDir, partial, {
      what: name,
      unit: "paths",
      blockSize,
    });
    for (const line of lines) console.log(line);
    return;
  }
  const merged = mergePartials([{ name: "this run", partial }]);
  const { lines, files } = simulateOutputs(merged, {
    json: values.json as boolean,
    seconds: partial.seconds,
  });
  for (const line of lines) console.log(line);
  // one unit: staged, renamed in together; an earlier run's moments.json goes if not written
  await writeOutputs(outDir, files, { outputs: OUTPUTS, png });
  console.log(
    `\nwrote ${outDir}/${files.map(([f]) => f).join(", ")}${png ? " and the SVGs' PNGs" : ""}`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
