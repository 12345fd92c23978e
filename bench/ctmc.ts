// CTMC benchmarks, with their Python peers in the same run:
// - one long path (birth–death, Schlögl): firings/s of every exact path
//   method of SSA_METHODS (cpu, f64) vs a straightforward pure-Python
//   direct-method loop and the same loop on numpy vectors
//   (bench/peers/ctmc_ssa.py);
// - an ensemble: every ensemble method of SSA_METHODS on each backend it
//   declares (webgpu timed to the read-back of the sums) vs a numpy lock-step
//   ensemble;
// - expm of the 100-state M/M/1 generator (×10) vs scipy.linalg.expm, and
//   expmMultiply on a 10⁴-state birth–death chain vs
//   scipy.sparse.linalg.expm_multiply (scipy on one BLAS thread), both
//   warmed up, each with its errors against an exact reference computed by
//   the peer (bench/peers/ctmc_expm.py).
import { CpuBackend, makeKey, WebGpuBackend } from "../kernels/mod.ts";
import { builtinReactionNetwork } from "../processes/reaction_network_library.ts";
import { isSsaPathMethod, SSA_METHODS, type SsaEnsembleMethod } from "../solvers/ctmc/registry.ts";
import { closeSsaEnsembleWorkers } from "../solvers/ctmc/ssa_ensemble.ts";
import { expm } from "../solvers/ctmc/expm.ts";
import { expmMultiply } from "../solvers/ctmc/expm_multiply.ts";
import { type BenchRow, peerNotes, peerRows, runPeer, table, timeIt } from "./_peer.ts";

const SINGLE = { birth_death: 1e5, schlogl: 1000 } as const; // tEnd of the long path
const ENSEMBLE_T = { birth_death: 50, schlogl: 0.5 } as const;
const CPU_ENSEMBLE_PATHS = 16384;

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
  closeSsaEnsembleWorkers();
  sections.push(await benchExpm());
  return sections.join("\n\n");
}

/** max |x − ref|, max relative error above 1e-10 and above 1e-100, ℓ1 error. */
function expmErrors(x: ArrayLike<number>, ref: number[]): Record<string, number> {
  let abs = 0, rel = 0, relSmall = 0, l1 = 0;
  for (let k = 0; k < ref.length; k++) {
    const e = Math.abs(x[k]! - ref[k]!), r = Math.abs(ref[k]!);
    abs = Math.max(abs, e);
    l1 += e;
    if (r > 1e-10) rel = Math.max(rel, e / r);
    if (r > 1e-100) relSmall = Math.max(relSmall, e / r);
  }
  return { max_abs: abs, "max_rel_above_1e-10": rel, "max_rel_above_1e-100": relSmall, l1 };
}

/** One markdown line comparing two error records. */
function errorLine(name: string, ours: Record<string, number>, theirs?: Record<string, number>) {
  const cells = Object.entries(ours).map(([k, v]) =>
    `${k} ${v.toExponential(2)}${theirs ? ` (scipy ${theirs[k]!.toExponential(2)})` : ""}`
  );
  return `- ${name}: ${cells.join(", ")}`;
}

/**
 * expm of the M/M/1 generator × 10 (100 states) and expmMultiply on the 10⁴-state chain (birth
 * 100, death 120, p(1) from state 0, i.e. exp(Qᵀ)·e₀), against scipy on one BLAS thread, with
 * the errors of both against the peer's exact references.
 */
async function benchExpm(): Promise<string> {
  const n = 100, t = 10;
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    if (i + 1 < n) q[i * n + i + 1] = 1.0 * t;
    if (i > 0) q[i * n + i - 1] = 1.2 * t;
    q[i * n + i] = -((i + 1 < n ? 1.0 : 0) + (i > 0 ? 1.2 : 0)) * t;
  }
  let p: Float64Array = new Float64Array(0);
  // warm-up beyond timeIt's one call: V8 tiers the JavaScript and the WebAssembly (Liftoff, then
  // TurboFan) up over the first calls, ~0.2 s here; scipy's compiled code needs none
  for (let k = 0; k < 200; k++) expm(q, { n });
  const se = await timeIt(() => {
    p = expm(q, { n });
  }, 200);
  const big = 10_000;
  const rowPtr = new Int32Array(big + 1), colIdx: number[] = [], values: number[] = [];
  for (let i = 0; i < big; i++) {
    // row i of Qᵀ: the rates into state i, from i − 1 (birth) and i + 1 (death)
    if (i > 0) colIdx.push(i - 1), values.push(100);
    colIdx.push(i), values.push(-((i + 1 < big ? 100 : 0) + (i > 0 ? 120 : 0)));
    if (i + 1 < big) colIdx.push(i + 1), values.push(120);
    rowPtr[i + 1] = colIdx.length;
  }
  const a = { n: big, rowPtr, colIdx: Int32Array.from(colIdx), values: Float64Array.from(values) };
  const b = new Float64Array(big);
  b[0] = 1;
  let v: Float64Array = new Float64Array(0);
  // likewise for the JavaScript of the norm estimates
  for (let k = 0; k < 2; k++) expmMultiply(a, b);
  const sv = await timeIt(() => {
    v = expmMultiply(a, b);
  }, 15);
  const ex = await runPeer("ctmc_expm.py", ["200", "15"], { threads: 1 });
  const expmRows: BenchRow[] = [{ name: "sdeno expm", rate: 1 / se }];
  const expmvRows: BenchRow[] = [{ name: "sdeno expmMultiply", rate: 1 / sv }];
  const notes: string[] = [];
  if (ex) {
    expmRows.push({ name: "scipy.linalg.expm (1 thread)", rate: 1 / Number(ex.scipy_expm) });
    expmvRows.push({
      name: "scipy.sparse.linalg.expm_multiply (1 thread)",
      rate: 1 / Number(ex.scipy_expmv),
    });
    const err = (key: string) => ex[key] as Record<string, number>;
    notes.push(
      "Errors against the exact references (bench/peers/ctmc_expm.py):",
      errorLine("expm", expmErrors(p, ex.expm_ref as number[]), err("scipy_expm_err")),
      errorLine("expmMultiply", expmErrors(v, ex.expmv_ref as number[]), err("scipy_expmv_err")),
      `Peer: \`${ex.command}\`, OPENBLAS_NUM_THREADS=${
        (ex.threads as Record<string, string>).OPENBLAS_NUM_THREADS
      }; ${Object.entries(ex.versions ?? {}).map(([k, x]) => `${k} ${x}`).join(", ")}` +
        ((ex.notes ?? []).length ? `; ${ex.notes!.join("; ")}` : ""),
    );
  }
  return [
    table(
      "expm of the 100-state M/M/1 generator × 10, median of 200",
      "calls/s",
      expmRows,
      "scipy.linalg.expm (1 thread)",
    ),
    table(
      "expmMultiply: p(1) of the 10⁴-state birth–death chain (birth 100, death 120), median of 15",
      "calls/s",
      expmvRows,
      "scipy.sparse.linalg.expm_multiply (1 thread)",
    ),
    notes.join("\n"),
  ].join("\n\n");
}

if (import.meta.main) {
  const only = Deno.args.includes("--expm");
  console.log(only ? await benchExpm() : await benchCtmc());
}
