// Measures the float32 webgpu mixture denoiser against the stored reference runs: runs every
// finite dpm_*, every unipc_* and every ported kd_* configuration of tests/fixtures/diffusion on
// webgpu and prints, as one JSON object, the relative error max |x − ref| / max(1, |ref|) of each
// run and the worst per family (issue 12, item 6). Not a test: run it by hand,
//   deno run --allow-read tests/models/gmm_f32_accuracy.ts [out.json]
// and compare two outputs (before and after a kernel change) run by run.
import { gpuBackend } from "../_gpu.ts";
import { reference, relErr, runConfig, RUNS } from "../solvers/diffusion/_fixture.ts";
import { expected, KD_RUNS, relError, replay } from "../solvers/diffusion/_k_fixture.ts";

const gpu = await gpuBackend();
if (!gpu) {
  console.error("no WebGPU adapter: nothing measured");
  Deno.exit(1);
}
const errors: Record<string, number> = {};
for (const run of RUNS) {
  if (!run.id.startsWith("dpm_") && !run.id.startsWith("unipc_")) continue;
  if (!run.metrics.finite) continue;
  const r = await runConfig(run, gpu);
  errors[run.id] = relErr(await gpu.download(r.x), reference(run));
  gpu.release(r.x);
}
for (const run of KD_RUNS) {
  if (run.call.function === "sample_dpm_adaptive") continue;
  const r = await replay(run, gpu);
  errors[run.id] = relError(await gpu.download(r.x), expected(run));
  gpu.release(r.x);
}
const worst: Record<string, { id: string; error: number; runs: number }> = {};
for (const [id, e] of Object.entries(errors)) {
  const family = id.split("_")[0]!;
  const w = worst[family] ??= { id, error: e, runs: 0 };
  w.runs++;
  if (e > w.error) Object.assign(w, { id, error: e });
}
const text = JSON.stringify({ worst, errors }, null, 1);
if (Deno.args[0]) Deno.writeTextFileSync(Deno.args[0], text);
console.log(JSON.stringify(worst, null, 1));
gpu.destroy();
