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
 *
 * Outputs, in `--out`: `paths.svg` (component `--plot-component`: sample
 * paths, the mean ± 2 sd band, the exact mean dashed where known), `t.npy`
 * [S], `mean.npy` [S, d], `covariance.npy` [S, d, d], `samples.npy`
 * [S, keep, d], and `moments.json` with `--json`. Fixed steps only: the
 * solvers of the registry that run in the ensemble kernel (`--solver`, by
 * name or alias; `--help` lists them) run on the grid t0 + j·dt with Philox
 * noise keyed by (path, step); there is no adaptive (tolerance-driven) mode.
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
import {
  checkInputFile,
  checkOutDir,
  CliUsageError,
  encodeNpy,
  linePlot,
  type LineSeries,
  Progress,
  runScript,
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
const OUTPUTS = ["paths.svg", "t.npy", "mean.npy", "covariance.npy", "samples.npy", "moments.json"];

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  const dt = values.dt as number;
  if (!(dt > 0)) throw new CliUsageError(`--dt must be positive, got "${dt}"`, { flag: "--dt" });
  const t0 = values.t0 as number, t1 = values.t1 as number;
  if (!(t1 > t0)) {
    throw new CliUsageError(`--t1 must exceed --t0 = ${t0}, got "${t1}"`, { flag: "--t1" });
  }
  const paths = values.paths as number;
  await checkOutDir(outDir, { outputs: OUTPUTS });
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

  let seconds = 0;
  const r = await withBackend(backendName, async (backend: Backend) => {
    const progress = new Progress(paths, { label: `${name} on ${backend.name}`, unit: "paths" });
    const t = performance.now();
    const r = await simulateEnsemble(sde, {
      backend,
      solver: sdeSolvers.get(values.solver as string),
      x0: start,
      paths,
      t0,
      t1,
      dt,
      saveAt: [t0, ...saveAt.filter((s) => s > t0)],
      key: makeKey(values.seed as number, 0),
      keepPaths: keep,
      onProgress: (done) => progress.update(done),
    });
    progress.finish();
    seconds = (performance.now() - t) / 1000;
    return r;
  });

  const moments = (sde as { moments?: (t: number, x0: ArrayLike<number>) => SdeMoments }).moments;
  console.log(
    `${name}: ${paths} paths, ${r.method}, dt ${dt}, ${r.steps} steps on ${r.backend}, seed ${values.seed}`,
  );
  console.log(
    `time ${seconds.toFixed(3)} s (${(paths * r.steps / seconds).toExponential(3)} path-steps/s)\n`,
  );
  console.log(
    "t          comp        mean   std.err     exact       z    variance   std.err     exact       z",
  );
  const rows: Array<Record<string, number | null>> = [];
  const f = (v: number | null, w = 11) =>
    (v === null
      ? "-"
      : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(3)
      : v.toFixed(5)).padStart(w);
  for (let s = 0; s < r.t.length; s++) {
    const ex = moments ? moments(r.t[s]!, start) : undefined;
    for (let a = 0; a < d; a++) {
      const k = s * d + a;
      const em = ex ? ex.mean[a]! : null, ev = ex ? ex.variance[a]! : null;
      const zm = em !== null && r.meanSe[k]! > 0 ? (r.mean[k]! - em) / r.meanSe[k]! : null;
      const zv = ev !== null && r.varianceSe[k]! > 0
        ? (r.variance[k]! - ev) / r.varianceSe[k]!
        : null;
      rows.push({
        t: r.t[s]!,
        component: a,
        mean: r.mean[k]!,
        meanSe: r.meanSe[k]!,
        exactMean: em,
        zMean: zm,
        variance: r.variance[k]!,
        varianceSe: r.varianceSe[k]!,
        exactVariance: ev,
        zVariance: zv,
      });
      console.log(
        `${r.t[s]!.toFixed(4).padEnd(10)} ${String(a).padStart(4)} ${f(r.mean[k]!)} ${
          f(r.meanSe[k]!, 9)
        } ${f(em, 9)} ${f(zm, 7)} ${f(r.variance[k]!)} ${f(r.varianceSe[k]!, 9)} ${f(ev, 9)} ${
          f(zv, 7)
        }`,
      );
    }
  }

  const S = r.t.length;
  const mean = Float64Array.from({ length: S }, (_, s) => r.mean[s * d + pc]!);
  const sd = Float64Array.from({ length: S }, (_, s) => Math.sqrt(r.variance[s * d + pc]!));
  const series: LineSeries[] = [];
  for (let i = 0; i < keep; i++) {
    series.push({
      x: r.t,
      y: Float64Array.from({ length: S }, (_, s) => r.samples[(s * keep + i) * d + pc]!),
      color: "#9aa5b1",
      width: 1,
    });
  }
  series.push({
    x: r.t,
    y: mean,
    label: "mean ± 2 sd",
    band: { lower: mean.map((m, s) => m - 2 * sd[s]!), upper: mean.map((m, s) => m + 2 * sd[s]!) },
  });
  if (moments) {
    series.push({
      x: r.t,
      y: Float64Array.from(r.t, (t) => moments(t, start).mean[pc]!),
      label: "exact mean",
      dash: true,
    });
  }
  const svg = linePlot(series, {
    title: `${name}: ${keep} of ${paths} paths (${r.method}, ${r.backend})`,
    xLabel: "t",
    yLabel: `x[${pc}]`,
  });
  const files: Array<[string, Uint8Array | string]> = [
    ["paths.svg", svg],
    ["t.npy", encodeNpy({ data: r.t, shape: [S] })],
    ["mean.npy", encodeNpy({ data: r.mean, shape: [S, d] })],
    ["covariance.npy", encodeNpy({ data: r.covariance, shape: [S, d, d] })],
    ["samples.npy", encodeNpy({ data: r.samples, shape: [S, keep, d] })],
  ];
  if (values.json) {
    const json = {
      model: name,
      paths,
      solver: r.method,
      dt,
      steps: r.steps,
      backend: r.backend,
      seed: values.seed,
      seconds,
      moments: rows,
    };
    files.push(["moments.json", JSON.stringify(json, null, 2) + "\n"]);
  }
  // one unit: staged, renamed in together; an earlier run's moments.json goes if not written
  await writeOutputs(outDir, files, { outputs: OUTPUTS });
  console.log(
    `\nwrote ${outDir}/paths.svg, t.npy, mean.npy, covariance.npy, samples.npy${
      values.json ? ", moments.json" : ""
    }`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
