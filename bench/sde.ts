// SDE ensemble throughput (issue #4): Euler–Maruyama on OU (1-D) and stochastic
// Lotka–Volterra (2-D) in path-steps per second — sdeno webgpu (the ensemble
// kernel, f32, streaming moments at t1, timed to the host having the moments),
// sdeno cpu (the kernel's float64 twin, on this thread and split over
// navigator.hardwareConcurrency Web Workers, pooled and warm after the first run,
// bit-identical) and numpy float64 vectorised over paths (bench/peers/sde_em.py), in one
// run. Permissions: --allow-read=. --allow-run=python3.
import { CpuBackend, WebGpuBackend } from "../kernels/mod.ts";
import { ornsteinUhlenbeck } from "../processes/sde_models/ornstein_uhlenbeck.ts";
import { stochasticLotkaVolterra } from "../processes/sde_models/stochastic_lotka_volterra.ts";
import type { Sde } from "../processes/sde.ts";
import { closeEnsembleWorkers, eulerMaruyama, simulateEnsemble } from "../solvers/sde/mod.ts";
import type { SimulateEnsembleOptions } from "../solvers/sde/ensemble.ts";
import type { Backend } from "../kernels/backend.ts";
import { type BenchRow, runPeer, table } from "./_peer.ts";

const DT = 1e-3;

async function rate(
  sde: Sde,
  x0: number[],
  backend: Backend,
  paths: number,
  steps: number,
  extra: Partial<SimulateEnsembleOptions> = {},
) {
  const run = () =>
    simulateEnsemble(sde, {
      ...extra,
      backend,
      solver: eulerMaruyama,
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
    solver: eulerMaruyama,
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
  const big = [1_000_000, 1000] as const, small = [100_000, 100] as const;
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
  const peer = await runPeer("sde_em.py", [String(small[0]), String(small[1]), "3"]);
  const gpu = await WebGpuBackend.create();
  if (!gpu) console.error("no WebGPU adapter: webgpu rows skipped");
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
    if (peer) {
      rows.push({
        name: `numpy f64, ${small[0]} × ${small[1]}`,
        rate: (small[0] * small[1]) / Number(peer[tag]),
      });
    }
    sections.push(
      table(
        `Euler–Maruyama ensemble, ${title}, dt ${DT}; webgpu at 1e6 paths × 1000 steps, cpu and numpy at 1e5 paths × 100 steps`,
        "path-steps/s",
        rows,
        `numpy f64, ${small[0]} × ${small[1]}`,
      ),
    );
  }
  gpu?.destroy();
  closeEnsembleWorkers(); // the pooled workers would keep the process alive for a second
  return sections.join("\n\n") + (peer ? `\n\nnumpy ${peer.numpy_version}` : "");
}

if (import.meta.main) console.log(await benchSde());
