// CTMC benchmarks, with their Python peers in the same run:
// - one long path (birth–death, Schlögl): firings/s of every exact path
//   method of SSA_METHODS (cpu, f64) vs a straightforward pure-Python
//   direct-method loop and the same loop on numpy vectors
//   (bench/peers/ctmc_ssa.py);
// - an ensemble: every ensemble method of SSA_METHODS on each backend it
//   declares (webgpu timed to the read-back of the sums) vs a numpy lock-step
//   ensemble;
// - expm of the 100-state M/M/1 generator (×10) vs scipy.linalg.expm, both
//   warmed up, with the largest difference between the two results.
import { CpuBackend, makeKey, WebGpuBackend } from "../kernels/mod.ts";
import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
import { isSsaPathMethod, SSA_METHODS, type SsaEnsembleMethod } from "../solvers/ctmc/registry.ts";
import { expm } from "../solvers/ctmc/expm.ts";
import { type BenchRow, peerNotes, peerRows, runPeer, table, timeIt } from "./_peer.ts";

const SINGLE = { birth_death: 1e5, schlogl: 1000 } as const; // tEnd of the long path
const ENSEMBLE_T = { birth_death: 50, schlogl: 0.5 } as const;
const CPU_ENSEMBLE_PATHS = 2048;

/** Runs the CTMC benchmarks and returns a markdown section. */
export async function benchCtmc(repeats = 3): Promise<string> {
  const sections: string[] = [];
  // numba's direct method (one path; prange over 1e4 paths on 1 and every thread) runs to the
  // same tEnd as the sdeno rows
  const tEnds = (o: Record<string, number>) =>
    Object.entries(o).map(([k, v]) => `${k}=${v}`).join(",");
  const peer = await runPeer("ctmc_ssa.py", [
    "200000",
    "20000",
    ...["--numba-paths", "10000", "--t-single", tEnds(SINGLE), "--t-ensemble", tEnds(ENSEMBLE_T)],
  ], { threads: navigator.hardwareConcurrency });
  const gpu = await WebGpuBackend.create();
  if (!gpu) console.error("no WebGPU adapter: webgpu rows skipped");
  const cpu = new CpuBackend();
  for (const model of ["birth_death", "schlogl"] as const) {
    const net = builtinReactionNetwork(model);
    const rows: BenchRow[] = [];
    for (const m of SSA_METHODS.methods.filter(isSsaPathMethod)) {
      if (!m.info.exact) continue; // tau-leaping's steps are not firings
      let fired = 0;
      const s = await timeIt(() => {
        const r = m.run(net, { tEnd: SINGLE[model], key: makeKey(1) });
        fired = r.steps[0]!;
      }, repeats);
      rows.push({ name: `sdeno ${m.info.name}`, rate: fired / s });
    }
    if (peer) {
      rows.push({ name: "python loop", rate: Number(peer[`python_${model}`]) });
      rows.push({ name: "numpy loop", rate: Number(peer[`numpy_${model}`]) });
    }
    rows.push(...peerRows([peer], `${model}:single`));
    sections.push(
      table(
        `One path of ${model} (tEnd ${SINGLE[model]}), median of ${repeats}`,
        "firings/s",
        rows,
        "python loop",
      ),
    );
    const ens: BenchRow[] = [];
    const opts = { tEnd: ENSEMBLE_T[model], key: makeKey(2) };
    for (const m of SSA_METHODS.methods) {
      if (isSsaPathMethod(m)) continue;
      const run = (m as SsaEnsembleMethod).run;
      for (const b of m.info.backends) {
        const backend = b === "cpu" ? cpu : gpu;
        if (!backend) continue;
        let fired = 0;
        const paths = b === "cpu" ? CPU_ENSEMBLE_PATHS : 1 << 16;
        const s = await timeIt(async () => {
          fired = (await run(net, { ...opts, backend, paths })).firings;
        }, b === "cpu" ? 1 : repeats);
        ens.push({ name: `sdeno ${m.info.name} ${b} (${m.info.precision[b]})`, rate: fired / s });
      }
    }
    if (peer) ens.push({ name: "numpy lock-step", rate: Number(peer[`numpy_ensemble_${model}`]) });
    ens.push(...peerRows([peer], `${model}:ensemble`));
    sections.push(
      table(
        `Ensemble of ${model} (tEnd ${ENSEMBLE_T[model]}; numpy 20000 paths)`,
        "firings/s",
        ens,
        "numpy lock-step",
      ),
    );
  }
  sections.push(peerNotes([peer]));
  gpu?.destroy();
  // expm of the M/M/1 generator at t = 10
  const n = 100, t = 10;
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) q[i * n + i + 1] = 1.0 * t;
    if (i > 0) q[i * n + i - 1] = 1.2 * t;
    q[i * n + i] = -((i + 1 < n ? 1.0 : 0) + (i > 0 ? 1.2 : 0)) * t;
  }
  let p: Float64Array = new Float64Array(0);
  const se = await timeIt(() => {
    p = expm(q, { n });
  }, 20);
  const rows: BenchRow[] = [{ name: "sdeno expm", rate: 1 / se }];
  const ex = await runPeer("ctmc_expm.py", [String(t), "20"]);
  let note = "";
  if (ex) {
    rows.push({ name: "scipy.linalg.expm", rate: 1 / Number(ex.scipy_expm) });
    const ref = ex.P as unknown as number[];
    let err = 0;
    for (let k = 0; k < n * n; k++) err = Math.max(err, Math.abs(p[k]! - ref[k]!));
    note = `\n\nmax |sdeno − scipy| = ${err.toExponential(2)}; numpy ${
      peer?.numpy_version ?? "?"
    }, scipy ${ex.scipy_version}`;
  }
  sections.push(
    table(
      "expm of the 100-state M/M/1 generator × 10, median of 20",
      "calls/s",
      rows,
      "scipy.linalg.expm",
    ) + note,
  );
  return sections.join("\n\n");
}

if (import.meta.main) console.log(await benchCtmc());
