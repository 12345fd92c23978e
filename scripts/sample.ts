/**
 * Samples a Gaussian mixture with several diffusion samplers at a fixed
 * number of model evaluations, against the exact target and a fine ODE
 * reference; prints a metrics table and writes a scatter-plot grid (SVG) and
 * the samples (.npy).
 *
 * ```sh
 * deno run --allow-read=out --allow-write=out scripts/sample.ts
 * deno run --allow-read=out,ring.json,z.npy --allow-write=out scripts/sample.ts \
 *   --model ring.json --noise z.npy --solver heun,dpmpp_2m --steps 20 --backend cpu --json
 * ```
 *
 * Permissions: write access to the output folder (`--out`, default `out/sample`)
 * and read access to it; read access to `--model` and `--noise` files when given.
 *
 * Defaults: the embedded 2-D ring of 8 Gaussians (tests/fixtures/diffusion/gmm_spec.json), the
 * EDM schedule (σ from 80 to 0.002, Karras ρ = 7 grid, then σ = 0), n = 4096 points,
 * NFE 10. Each solver spends (at most) `--steps` model calls: one per grid point
 * for euler, lms, dpmpp_2m, the SDE multistep samplers and euler_ancestral; two per
 * step for heun, dpm_2, the 2-stage ancestral samplers and dpmpp_sde (k-diffusion's
 * 2n − 1); exactly `--steps` for dpm_fast; pc uses one corrector step per level.
 * DPM-Solver++ (dpmsolver_2m, dpmsolver_3m), UniPC-bh2 (unipc_bh2_2, unipc_bh2_3) and
 * SDE-DPM-Solver++ (sde_dpmsolver_1, sde_dpmsolver_2m) take `--steps` steps on the Karras σ's from
 * 80 to 0.002 (no σ = 0 step), one model call each; the adaptive solvers (dpm_adaptive: k-diffusion's
 * DPM-Solver-23 with its batch error norm; dpmsolver_adaptive: DPM-Solver's max-over-samples norm)
 * ignore `--steps` and spend what their default tolerances (atol 0.0078, rtol 0.05) need.
 * The fine reference is heun with 250 σ's (NFE 499) from the same noise: the
 * "ODE err" column is the RMS distance to it (meaningless for stochastic solvers,
 * shown as "-"). SW2 is the sliced W2 (64 directions) to the exact target, with
 * the target's projected quantiles computed exactly (Newton on the mixture CDF).
 *
 * Outputs in `--out`: `samples.svg` (data vs each solver), `<solver>.npy` (n × d),
 * `reference.npy`, and `metrics.json` with `--json`.
 *
 * @module
 */

import {
  type Backend,
  type BackendName,
  type DeviceArray,
  fillNormal,
  fillUniform,
  makeKey,
  SdenoTypeError,
  withBackend,
} from "../kernels/mod.ts";
import { gaussianMixture, type GaussianMixtureSpec } from "../models/gaussian_mixture.ts";
import type { Denoiser } from "../models/denoiser.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import { vpLinearSchedule } from "../processes/vp_linear_schedule.ts";
import type { NoiseSchedule } from "../processes/noise_schedule.ts";
import { normalCdf, slicedWassersteinToQuantiles } from "../stats/mod.ts";
import {
  CliUsageError,
  panelGrid,
  Progress,
  readNpy,
  runScript,
  writeFileAtomic,
  writeNpy,
} from "../io/mod.ts";
import * as diffusion from "../solvers/diffusion/mod.ts";
import type { SampleResult } from "../solvers/diffusion/types.ts";

const RING: GaussianMixtureSpec = {
  weights: Array.from({ length: 8 }, (_, k) => (k + 1) / 36),
  means: Array.from(
    { length: 8 },
    (_, k) => [2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8)],
  ),
  variances: Array.from({ length: 8 }, () => [0.04, 0.04]),
};

const SIGMA_MAX = 80, SIGMA_MIN = 0.002;

type Run = (model: Denoiser, x: DeviceArray, nfe: number, seed: number) => Promise<SampleResult>;

/** σ̃ grid → times of the model's schedule (σ̃ = σ/α; 0 stays the σ = 0 end). */
function times(schedule: NoiseSchedule, sigmas: number[]): number[] {
  if (schedule.name === "edm") return sigmas;
  return sigmas.map((s) => s === 0 ? 0 : schedule.tOfLogSnr(-Math.log(s)));
}

const k = (n: number, appendZero = true) =>
  diffusion.karrasSigmas(Math.max(1, n), { sigmaMin: SIGMA_MIN, sigmaMax: SIGMA_MAX, appendZero });
const key = (seed: number) => makeKey(seed, 1);

/** Every selectable solver, and how it spends an NFE budget. */
const SOLVERS: Record<string, { stochastic: boolean; run: Run }> = {
  euler: {
    stochastic: false,
    run: (m, x, n) => diffusion.sampleEuler(m, x, times(m.schedule, k(n))),
  },
  heun: {
    stochastic: false,
    run: (m, x, n) => diffusion.sampleHeun(m, x, times(m.schedule, k((n + 1) >> 1))),
  },
  dpm_2: {
    stochastic: false,
    run: (m, x, n) => diffusion.sampleDpm2(m, x, times(m.schedule, k((n + 1) >> 1))),
  },
  lms: { stochastic: false, run: (m, x, n) => diffusion.sampleLms(m, x, times(m.schedule, k(n))) },
  dpmpp_2m: {
    stochastic: false,
    run: (m, x, n) => diffusion.sampleDpmpp2m(m, x, times(m.schedule, k(n))),
  },
  dpm_fast: {
    stochastic: false,
    run: (m, x, n) =>
      diffusion.sampleDpmFast(m, x, times(m.schedule, [SIGMA_MAX, SIGMA_MIN]), { nfe: n }),
  },
  euler_ancestral: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.sampleEulerAncestral(m, x, times(m.schedule, k(n)), { key: key(s) }),
  },
  dpm_2_ancestral: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.sampleDpm2Ancestral(m, x, times(m.schedule, k((n + 1) >> 1)), { key: key(s) }),
  },
  dpmpp_2s_ancestral: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.sampleDpmpp2sAncestral(m, x, times(m.schedule, k((n + 1) >> 1)), { key: key(s) }),
  },
  dpmpp_sde: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.sampleDpmppSde(m, x, times(m.schedule, k((n + 1) >> 1)), { key: key(s) }),
  },
  dpmpp_2m_sde: {
    stochastic: true,
    run: (m, x, n, s) => diffusion.sampleDpmpp2mSde(m, x, times(m.schedule, k(n)), { key: key(s) }),
  },
  dpmpp_3m_sde: {
    stochastic: true,
    run: (m, x, n, s) => diffusion.sampleDpmpp3mSde(m, x, times(m.schedule, k(n)), { key: key(s) }),
  },
  dpmsolver_2m: {
    stochastic: false,
    run: (m, x, n) => diffusion.dpmSolver(m, x, times(m.schedule, k(n + 1, false)), { order: 2 }),
  },
  dpmsolver_3m: {
    stochastic: false,
    run: (m, x, n) =>
      diffusion.dpmSolver(m, x, times(m.schedule, k(Math.max(n, 3) + 1, false)), { order: 3 }),
  },
  unipc_bh2_2: {
    stochastic: false,
    run: (m, x, n) =>
      diffusion.uniPc(m, x, times(m.schedule, k(Math.max(n, 2) + 1, false)), {
        order: 2,
        variant: "bh2",
      }),
  },
  unipc_bh2_3: {
    stochastic: false,
    run: (m, x, n) =>
      diffusion.uniPc(m, x, times(m.schedule, k(Math.max(n, 3) + 1, false)), {
        order: 3,
        variant: "bh2",
      }),
  },
  sde_dpmsolver_1: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.sdeDpmSolver(m, x, times(m.schedule, k(n + 1, false)), { order: 1, key: key(s) }),
  },
  sde_dpmsolver_2m: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.sdeDpmSolver(m, x, times(m.schedule, k(n + 1, false)), { order: 2, key: key(s) }),
  },
  dpm_adaptive: {
    stochastic: false,
    run: (m, x) => diffusion.sampleDpmAdaptive(m, x, times(m.schedule, [SIGMA_MAX, SIGMA_MIN])),
  },
  dpmsolver_adaptive: {
    stochastic: false,
    run: (m, x) => diffusion.dpmSolverAdaptive(m, x, times(m.schedule, [SIGMA_MAX, SIGMA_MIN])),
  },
  pc: {
    stochastic: true,
    run: (m, x, n, s) =>
      diffusion.samplePredictorCorrector(m, x, times(m.schedule, k(Math.max(1, n >> 1))), {
        key: key(s),
      }),
  },
};

const DEFAULT_SOLVERS =
  "euler,heun,dpmpp_2m,dpmsolver_3m,unipc_bh2_3,dpm_fast,euler_ancestral,dpmpp_2m_sde";

const SPEC = {
  name: "scripts/sample.ts",
  description:
    "Sample a Gaussian mixture with diffusion samplers at a fixed NFE; compare them with the exact " +
    `target and a fine ODE reference. Solvers: ${Object.keys(SOLVERS).join(", ")}.`,
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
    solver: { type: "string", default: DEFAULT_SOLVERS, description: "comma-separated solvers" },
    steps: {
      type: "integer",
      default: 10,
      min: 1,
      max: 10000,
      description: "NFE budget per solver",
    },
    n: { type: "integer", default: 4096, min: 2, description: "number of samples" },
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
  },
} as const;

/** Exact quantiles of ⟨θ, X⟩ for the mixture at levels (j + 0.5)/q (Newton, warm-started). */
function projectedQuantiles(spec: GaussianMixtureSpec, dirs: Float64Array, d: number, q: number) {
  const L = dirs.length / d, K = spec.weights.length;
  const out = new Float64Array(L * q);
  const m = new Float64Array(K), s = new Float64Array(K);
  for (let l = 0; l < L; l++) {
    for (let c = 0; c < K; c++) {
      let mu = 0, v = 0;
      for (let j = 0; j < d; j++) {
        const th = dirs[l * d + j]!;
        mu += th * spec.means[c]![j]!;
        v += th * th * spec.variances[c]![j]!;
      }
      m[c] = mu;
      s[c] = Math.sqrt(v);
    }
    const spread = 10 * Math.max(...s);
    let x = Math.min(...m) - spread;
    const top = Math.max(...m) + spread;
    for (let j = 0; j < q; j++) {
      const u = (j + 0.5) / q;
      // safeguarded Newton on F(x) = u inside the bracket [lo, hi]
      let lo = x, hi = top;
      for (let it = 0; it < 200; it++) {
        let F = 0, f = 0;
        for (let c = 0; c < K; c++) {
          const z = (x - m[c]!) / s[c]!;
          F += spec.weights[c]! * normalCdf(z);
          f += spec.weights[c]! * Math.exp(-0.5 * z * z) / (s[c]! * Math.sqrt(2 * Math.PI));
        }
        if (F < u) lo = x;
        else hi = x;
        let next = x - (F - u) / f;
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        const done = Math.abs(next - x) < 1e-12 * (1 + Math.abs(x));
        x = next;
        if (done) break;
      }
      out[l * q + j] = x;
    }
  }
  return out;
}

/** n exact draws of the mixture (component by inverse CDF of a uniform, then a normal). */
function sampleMixture(spec: GaussianMixtureSpec, n: number, seed: number): Float64Array {
  const d = spec.means[0]!.length;
  const u = new Float64Array(n), z = new Float64Array(n * d), x = new Float64Array(n * d);
  fillUniform(u, makeKey(seed, 2));
  fillNormal(z, makeKey(seed, 3));
  for (let i = 0; i < n; i++) {
    let c = 0, acc = spec.weights[0]!;
    while (u[i]! > acc && c < spec.weights.length - 1) acc += spec.weights[++c]!;
    for (let j = 0; j < d; j++) {
      x[i * d + j] = spec.means[c]![j]! + Math.sqrt(spec.variances[c]![j]!) * z[i * d + j]!;
    }
  }
  return x;
}

async function loadSpec(model: string): Promise<GaussianMixtureSpec> {
  if (model === "ring") return RING;
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

async function main({ values }: { values: Record<string, unknown> }) {
  const outDir = values.out as string;
  const nfe = values.steps as number, seed = values.seed as number;
  const names = (values.solver as string).split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(name in SOLVERS)) {
      throw new CliUsageError(
        `--solver: unknown solver ${JSON.stringify(name)}; choose from ${
          Object.keys(SOLVERS).join(", ")
        }`,
      );
    }
  }
  if (names.length === 0) throw new CliUsageError("--solver: give at least one solver");
  const spec = await loadSpec(values.model as string);
  const schedule = values.schedule === "vp" ? vpLinearSchedule() : edmSchedule();
  const model = gaussianMixture(spec, schedule);
  const d = model.dim;
  let z: Float64Array;
  let n = values.n as number;
  if (values.noise !== undefined) {
    const npy = await readNpy(values.noise as string).catch((e) => {
      throw new CliUsageError(`--noise: ${(e as Error).message}`);
    });
    if (npy.shape.length !== 2 || npy.shape[1] !== d) {
      throw new SdenoTypeError(
        `Cannot use the noise file: expected shape (n, ${d}), got (${npy.shape.join(", ")})`,
      );
    }
    z = Float64Array.from(npy.data as ArrayLike<number>);
    n = npy.shape[0]!;
  } else {
    z = new Float64Array(n * d);
    fillNormal(z, makeKey(seed, 0));
  }
  const t0 = times(schedule, [SIGMA_MAX])[0]!;
  const a0 = schedule.alpha(t0);
  const x0 = z.map((v) => v * SIGMA_MAX * a0);
  await Deno.mkdir(outDir, { recursive: true });

  // the exact target: 64 directions (Philox seed 0) and exact projected quantiles
  const dirs = new Float64Array(64 * d);
  fillNormal(dirs, makeKey(1234, 0));
  for (let l = 0; l < 64; l++) {
    let nn = 0;
    for (let j = 0; j < d; j++) nn += dirs[l * d + j]! ** 2;
    for (let j = 0; j < d; j++) dirs[l * d + j]! /= Math.sqrt(nn);
  }
  const quantiles = projectedQuantiles(spec, dirs, d, n);
  const sw2 = (x: ArrayLike<number>) =>
    slicedWassersteinToQuantiles(x, { d, directions: dirs, quantiles });

  const rows: {
    solver: string;
    nfe: number;
    sw2: number;
    odeRmse: number | null;
    seconds: number;
  }[] = [];
  const samples: Record<string, Float64Array> = {};
  let backendName = "", description = "";
  const ref = await withBackend(values.backend as BackendName, async (backend: Backend) => {
    backendName = backend.name;
    description = backend.description;
    const progress = new Progress(names.length + 1, { label: "solvers" });
    const run = async (r: Run) => {
      const x = backend.upload(x0);
      const t = performance.now();
      const res = await r(model, x, nfe, seed);
      const out = Float64Array.from(await backend.download(res.x));
      const seconds = (performance.now() - t) / 1000;
      backend.release(x);
      backend.release(res.x);
      return { res, out, seconds };
    };
    const fine = await run((m, x) => diffusion.sampleHeun(m, x, times(m.schedule, k(250))));
    progress.tick();
    for (const name of names) {
      const { res, out, seconds } = await run(SOLVERS[name]!.run);
      let se = 0;
      for (let i = 0; i < out.length; i++) se += (out[i]! - fine.out[i]!) ** 2;
      rows.push({
        solver: name,
        nfe: res.nfe,
        sw2: sw2(out),
        odeRmse: SOLVERS[name]!.stochastic ? null : Math.sqrt(se / out.length),
        seconds,
      });
      samples[name] = out;
      progress.tick();
    }
    progress.finish();
    return fine.out;
  });

  const exact = sampleMixture(spec, n, seed);
  console.log(
    `${n} samples of a ${d}-D mixture (${spec.weights.length} components), ${schedule.name} ` +
      `schedule, NFE ${nfe}, on ${backendName} (${description})`,
  );
  console.log(
    `SW2 floor: i.i.d. exact samples ${sw2(exact).toFixed(4)}, fine ODE reference ${
      sw2(ref).toFixed(4)
    }\n`,
  );
  console.log("solver               NFE      SW2   ODE err   time (s)");
  for (const r of rows) {
    console.log(
      `${r.solver.padEnd(18)} ${String(r.nfe).padStart(5)} ${r.sw2.toFixed(4).padStart(8)} ${
        (r.odeRmse === null ? "-" : r.odeRmse.toExponential(2)).padStart(9)
      } ${r.seconds.toFixed(3).padStart(10)}`,
    );
  }

  const cloud = (points: Float64Array, label: string) => ({
    title: label,
    plot: { kind: "scatter" as const, series: { points, dim: d, label } },
  });
  const svg = panelGrid(
    [
      cloud(exact, "exact data"),
      ...rows.map((r) => cloud(samples[r.solver]!, `${r.solver} (NFE ${r.nfe})`)),
    ],
    { title: `Samples at NFE ${nfe}`, shareAxes: true, cols: 3 },
  );
  await writeFileAtomic(`${outDir}/samples.svg`, svg);
  for (const r of rows) {
    await writeNpy(`${outDir}/${r.solver}.npy`, { data: samples[r.solver]!, shape: [n, d] });
  }
  await writeNpy(`${outDir}/reference.npy`, { data: ref, shape: [n, d] });
  if (values.json) {
    const json = { n, d, nfe, seed, schedule: schedule.name, backend: backendName, rows };
    await writeFileAtomic(`${outDir}/metrics.json`, JSON.stringify(json, null, 2) + "\n");
  }
  console.log(
    `\nwrote ${outDir}/samples.svg, ${rows.length + 1} .npy files${
      values.json ? ", metrics.json" : ""
    }`,
  );
}

if (import.meta.main) await runScript(main, SPEC);
