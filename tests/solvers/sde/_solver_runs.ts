// The recorded runs of tests/fixtures/sde/solver_runs.json: each solver on
// the problem of each noise type it accepts, by solveSde with fixed steps,
// adaptively where it has an error estimate, and by simulateEnsemble on the
// cpu twin where it runs there. The registry test replays them and compares
// digests bit for bit.
//
// Record (only when a change of results is intended, and say why in the commit):
//   deno run --allow-read=. --allow-write=tests/fixtures/sde tests/solvers/sde/_solver_runs.ts
import { CpuBackend } from "../../../kernels/cpu_backend.ts";
import type { NoiseType } from "../../../processes/sde.ts";
import * as sde from "../../../solvers/sde/mod.ts";
import {
  ADAPTIVE_RUN,
  calculusOf,
  digest,
  ENSEMBLE_RUN,
  NOISE_TYPES,
  problem,
  SOLVE_RUN,
} from "./_problems.ts";

type Solver = sde.SdeSolver;

/** A digest and the first values, for a readable diff. */
export interface RunRecord {
  sha256: string;
  first: number[];
}

/** solveSde with fixed steps on the problem of `noise`. */
export async function solveRun(solver: Solver, noise: NoiseType): Promise<RunRecord> {
  const { sde: p, x0 } = problem(noise, calculusOf(solver.info.calculus));
  const r = sde.solveSde(p, { solver, x0, ...SOLVE_RUN, saveAt: [...SOLVE_RUN.saveAt] });
  return { sha256: await digest([r.x]), first: Array.from(r.x.subarray(0, 4)) };
}

/** solveSde with a PI controller on a virtual Brownian tree. */
export async function adaptiveRun(solver: Solver, noise: NoiseType): Promise<RunRecord> {
  const { sde: p, x0 } = problem(noise, calculusOf(solver.info.calculus));
  const { rtol, atol, ...rest } = ADAPTIVE_RUN;
  const r = sde.solveSde(p, { solver, x0, ...rest, controller: sde.piController({ rtol, atol }) });
  return {
    sha256: await digest([r.x, [r.steps, r.rejected]]),
    first: [r.steps, r.rejected, ...Array.from(r.x.subarray(0, 2))],
  };
}

/** simulateEnsemble on the cpu twin. */
export async function ensembleRun(solver: Solver, noise: NoiseType): Promise<RunRecord> {
  const { sde: p, x0 } = problem(noise, calculusOf(solver.info.calculus));
  const r = await sde.simulateEnsemble(p, {
    backend: new CpuBackend(),
    solver,
    x0,
    ...ENSEMBLE_RUN,
    saveAt: [...ENSEMBLE_RUN.saveAt],
    quantiles: [...ENSEMBLE_RUN.quantiles],
  });
  const arrays = [r.final, r.mean, r.meanSe, r.covariance, r.variance, r.varianceSe, r.samples];
  arrays.push(r.quantiles!.values, r.histogram!.counts, r.histogram!.lower, r.histogram!.upper);
  return { sha256: await digest(arrays), first: Array.from(r.final.subarray(0, 4)) };
}

async function record(): Promise<void> {
  // at the recording commit the ensemble ran these three; solveSde ran every exported solver
  const ensemble = ["euler-maruyama", "milstein", "sra1"];
  const solvers = Object.values(sde).filter((v): v is Solver =>
    typeof v === "object" && v !== null && "info" in v && typeof v.info?.name === "string" &&
    Array.isArray(v.info.noise)
  );
  const out: Record<string, Record<string, RunRecord>> = { solve: {}, adaptive: {}, ensemble: {} };
  for (const s of solvers) {
    for (const noise of NOISE_TYPES) {
      if (!s.info.noise.includes(noise)) continue;
      const k = `${s.info.name}/${noise}`;
      out.solve![k] = await solveRun(s, noise);
      if (s.info.adaptive) out.adaptive![k] = await adaptiveRun(s, noise);
      if (ensemble.includes(s.info.name)) out.ensemble![k] = await ensembleRun(s, noise);
    }
  }
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] }).output()).stdout,
  ).trim();
  const json = {
    source:
      `recorded by tests/solvers/sde/_solver_runs.ts at commit ${commit}, Deno ${Deno.version.deno}`,
    note:
      "SHA-256 of the float64 results (see _solver_runs.ts for what each run is); first: the first values",
    ...out,
  };
  const path = new URL("../../fixtures/sde/solver_runs.json", import.meta.url);
  await Deno.writeTextFile(path, JSON.stringify(json, null, 2) + "\n");
  console.log(`wrote ${path.pathname}`);
}

if (import.meta.main) await record();
