// Test helper: the Deno run the page is compared with, written out from the
// library modules (not through web/sample_shipped.ts): the shipped ring
// model from its card, scripts/sample.ts's conventions — z the float64
// Philox normals of (seed, stream 0) scaled by the grid's first σ, the
// sampler's noise keyed by (seed, stream 1), the Karras grid on
// [0.002, 80] that planBudget fits to the NFE budget.
import { decodeNpy } from "../../io/npy.ts";
import { fillNormal, makeKey } from "../../kernels/philox.ts";
import { CpuBackend } from "../../kernels/cpu_backend.ts";
import { Mlp } from "../../models/mlp.ts";
import { parseSamplerSpec, planBudget } from "../../solvers/diffusion/plan_budget.ts";
import { ROOT } from "./_chromium.ts";

/** The shipped ring model, read from its card and weights. */
export async function ringModel(): Promise<Mlp> {
  const card = JSON.parse(await Deno.readTextFile(`${ROOT}models/shipped/ring.json`));
  const weights = decodeNpy(await Deno.readFile(`${ROOT}models/shipped/ring.npy`));
  return Mlp.fromCard(card, weights.data as Float32Array);
}

/** n points of the ring model by `sampler` at `steps` model calls, keyed by `seed`, on cpu. */
export async function denoRun(sampler: string, steps: number, n: number, seed: number) {
  const mlp = await ringModel();
  const spec = parseSamplerSpec(sampler);
  const plan = planBudget(spec, {
    schedule: mlp.schedule,
    budget: steps,
    sigmaMin: 0.002,
    sigmaMax: 80,
  });
  const z = new Float64Array(n * 2);
  fillNormal(z, makeKey(seed, 0));
  const s0 = mlp.schedule.sigma(plan.grid[0]!);
  const b = new CpuBackend();
  const r = await spec.method.sample(mlp.denoiser(), b.upload(z.map((v) => v * s0)), plan.grid, {
    ...plan.options,
    key: makeKey(seed, 1),
  });
  return { nfe: r.nfe, samples: Array.from(await b.download(r.x)) };
}
