// SDE ensemble throughput (issues #4, #12): Euler–Maruyama on OU (1-D) and stochastic
// Lotka–Volterra (2-D) in path-steps per second — sdeno webgpu (the ensemble kernel, f32,
// streaming moments at t1, timed to the host having the moments), sdeno cpu (the kernel's float64
// twin, on this thread and split over navigator.hardwareConcurrency Web Workers, pooled and warm
// after the first run, bit-identical; and the fused float32 kernel, precision "f32", likewise)
// beside numpy, PyTorch, JAX and numba (bench/peers/sde_em.py), in one run; then every solver of
// the registry that runs in the ensemble kernel, on both backends, relative to Euler–Maruyama.
// Permissions: --allow-read --allow-run=python3.
import { CpuBackend, WebGpuBackend } from "../kernels/mod.ts";
import { ornsteinUhlenbeck } from "../processes/sde_models/ornstein_uhlenbeck.ts";
import { stochasticLotkaVolterra } from "../processes/sde_models/stochastic_lotka_volterra.ts";
import type { NoiseType, Sde } from "../processes/sde.ts";
import { geometricBrownianMotion } from "../processes/sde_models/geometric_brownian_motion.ts";
import {
  closeEnsembleWorkers,
  type SdeSolver,
  sdeSolvers,
  simulateEnsemble,
} from "../solvers/sde/mod.ts";
import type { SimulateEnsembleOptions } from "../solvers/sde/ensemble.ts";
import type { Backend } from "../kernels/backend.ts";
import { type BenchRow, peerNotes, peerRows, runPeer, table } from "./_peer.ts";

const DT = 1e-3;
const EM = sdeSolvers.get("euler-maruyama");

async function rate(
  sde: Sde,
  x0: number[],
  backend: Backend,
  paths: number,
  steps: number,
  extra: Partial<SimulateEnsembleOptions> = {},
) {
  const solver = extra.solver ?? EM;
  const run = () =>
    simulateEnsemble(sde, {
      ...extra,
      backend,
      solver,
      x0,
      paths,
      t1: steps * DT,
      dt: DT,
      key: { seed: 1, stream: 0 },
      stepsPerDispatch: 1000,
    });
  // warm-up (compiles the kernel on webgpu), then timed runs: the median of three on cpu,
  // as the numpy peer takes the median of its repeats after a warm-up (the JIT needs a few
  // full-size runs); one on webgpu, where a run is long and steady
  await simulateEnsemble(sde, {
    backend,
    solver,
    x0,
    paths: 1024,
    t1: 10 * DT,
    dt: DT,
  });
  const times: number[] = [];
  let r = await run();
  for (let k = 0; k < (backend.name === "cpu" ? 3 : 1); k++) {
    const t = performance.now();
    r = await run();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  const s = times[times.length >> 1]!;
  return { rate: (paths * steps) / s, mean: r.mean[0]! };
}

/**
 * Runs the SDE ensemble benchmark and returns a markdown section.
 *
 * @returns the tables
 */
export async function benchSde(): Promise<string> {
  // the sizes of issue #12: 2^20 paths × 1000 steps on webgpu, 1e5 × 1000 on the cpu
  const big = [1_048_576, 1000] as const, small = [100_000, 1000] as const;
  const models: Array<[string, Sde, number[], string]> = [
    ["OU (1-D)", ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 }), [1], "ou"],
    ["stochastic Lotka–Volterra (2-D)", stochasticLotkaVolterra(), [1.2, 0.8], "slv"],
  ];
  // how the workers rebuild the two models
  const workerModels: Record<string, SimulateEnsembleOptions["workerModel"]> = {
    ou: {
      module: import.meta.resolve("../processes/sde_models/ornstein_uhlenbeck.ts"),
      exportName: "ornsteinUhlenbeck",
      args: [{ theta: 1, mu: 0.5, sigma: 1 }],
    },
    slv: {
      module: import.meta.resolve("../processes/sde_models/stochastic_lotka_volterra.ts"),
      exportName: "stochasticLotkaVolterra",
    },
  };
  const workers = Math.max(2, navigator.hardwareConcurrency);
  // Python peers (bench/peers/sde_em.py, each library only if importable): numpy, PyTorch,
  // JAX and numba on one thread, then PyTorch, JAX and numba prange on `workers` threads, at
  // the cpu size; JAX and PyTorch f32 on every core at the webgpu size
  const size = [String(small[0]), String(small[1]), "3"];
  const peer = await runPeer("sde_em.py", size, { threads: 1 });
  const peerWide = await runPeer("sde_em.py", [...size, "--peers", "torch,jax,numba"], {
    threads: workers,
  });
  const gpu = await WebGpuBackend.create();
  if (!gpu) console.error("no WebGPU adapter: webgpu rows skipped");
  const bigArgs = ["--peers", "jax,torch", "--dtypes", "f32", "--jax-forms", "batched"];
  const peerBig = gpu
    ? await runPeer("sde_em.py", [String(big[0]), String(big[1]), "1", ...bigArgs], {
      threads: navigator.hardwareConcurrency,
    })
    : undefined;
  const peers = [peer, peerWide, peerBig];
  const cpu = new CpuBackend();
  const sections: string[] = [];
  for (const [title, sde, x0, tag] of models) {
    const rows: BenchRow[] = [];
    if (gpu) {
      const g = await rate(sde, x0, gpu, big[0], big[1]);
      rows.push({ name: `sdeno webgpu (f32), ${big[0]} × ${big[1]}`, rate: g.rate });
    }
    const c = await rate(sde, x0, cpu, small[0], small[1]);
    rows.push({ name: `sdeno cpu (f64), ${small[0]} × ${small[1]}`, rate: c.rate });
    const w = await rate(sde, x0, cpu, small[0], small[1], {
      workers,
      workerModel: workerModels[tag]!,
    });
    if (w.mean !== c.mean) {
      throw new Error(`${title}: the worker run differs from the one-thread run`);
    }
    rows.push({
      name: `sdeno cpu (f64, ${workers} workers), ${small[0]} × ${small[1]}`,
      rate: w.rate,
    });
    // the fused float32 kernel in WebAssembly SIMD (precision "f32"), one thread and workers
    const c32 = await rate(sde, x0, cpu, small[0], small[1], { precision: "f32" });
    rows.push({ name: `sdeno cpu (f32 fused), ${small[0]} × ${small[1]}`, rate: c32.rate });
    const w32 = await rate(sde, x0, cpu, small[0], small[1], { precision: "f32", workers });
    if (w32.mean !== c32.mean) {
      throw new Error(`${title}: the f32 worker run differs from the one-thread run`);
    }
    rows.push({
      name: `sdeno cpu (f32 fused, ${workers} workers), ${small[0]} × ${small[1]}`,
      rate: w32.rate,
    });
    rows.push(...peerRows(peers, tag));
    sections.push(
      table(
        `Euler–Maruyama ensemble, ${title}, dt ${DT}; webgpu at ${big[0]} paths × ${
          big[1]
        } steps, cpu and the peers at ${small[0]} × ${small[1]}`,
        "path-steps/s",
        rows,
        `numpy f64, 1 thread, ${small[0]} × ${small[1]}`,
      ),
    );
  }
  sections.push(await everySolver(cpu, gpu));
  gpu?.destroy();
  closeEnsembleWorkers(); // the pooled workers would keep the process alive for a second
  return sections.join("\n\n") + `\n\n${peerNotes(peers)}`;
}

/**
 * Every registry solver with an ensemble step, on a 1-D problem it accepts
 * (Itô GBM, diagonal noise, where it integrates Itô SDEs; else OU, additive
 * noise, where the calculus does not matter), in path-steps/s and relative to
 * Euler–Maruyama on the same problem and backend: what each generated (or
 * declared) step costs.
 */
async function everySolver(cpu: CpuBackend, gpu: WebGpuBackend | undefined): Promise<string> {
  const ou = ornsteinUhlenbeck({ theta: 1, mu: 0.5, sigma: 1 });
  const problems: Array<[NoiseType, Sde]> = [
    ["diagonal", geometricBrownianMotion({ mu: 0.1, sigma: 0.3 })],
    ["additive", ou],
  ];
  const lines = [
    "### Every solver of the ensemble, 1-D, dt 0.001; webgpu at 1e6 × 100, cpu at 1e5 × 100",
    "",
    "| solver | problem | webgpu path-steps/s | / EM | cpu path-steps/s | / EM |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  const f = (v: number) => (Number.isNaN(v) ? "-" : v.toExponential(3));
  const r = (v: number, b: number) => (Number.isNaN(v) ? "-" : (v / b).toFixed(2));
  const measure = async (solver: SdeSolver, sde: Sde) => ({
    webgpu: gpu ? (await rate(sde, [1], gpu, 1_000_000, 100, { solver })).rate : NaN,
    cpu: (await rate(sde, [1], cpu, 100_000, 100, { solver })).rate,
  });
  // Euler–Maruyama on each problem first: the reference of the ratios
  const base = new Map<NoiseType, { webgpu: number; cpu: number }>();
  for (const [noise, sde] of problems) base.set(noise, await measure(EM, sde));
  for (const solver of sdeSolvers.methods.filter((s) => s.ensembleStep !== undefined)) {
    for (const [noise, sde] of problems) {
      const ito = solver.info.calculus !== "stratonovich" || noise === "additive";
      if (!solver.info.noise.includes(noise) || !ito) continue;
      const b = base.get(noise)!;
      const m = solver === EM ? b : await measure(solver, sde);
      lines.push(
        `| ${solver.info.name} | ${sde.name} (${noise}) | ${f(m.webgpu)} | ${
          r(m.webgpu, b.webgpu)
        } | ${f(m.cpu)} | ${r(m.cpu, b.cpu)} |`,
      );
      break;
    }
  }
  return lines.join("\n");
}

if (import.meta.main) console.log(await benchSde());
