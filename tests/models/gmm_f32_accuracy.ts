// Measures the float32 webgpu mixture denoiser against the stored reference runs (issue 12, item
// 6). Not a test: run it by hand,
//   deno run --allow-read --allow-write tests/models/gmm_f32_accuracy.ts [out.json]
// and compare two outputs (before and after a kernel change) run by run. It prints, as one JSON
// object, the worst per family and writes every run's numbers:
//
// - `errors`: the relative error max |x − ref| / max(1, |ref|) of every finite dpm_*, every
//   unipc_* and every ported kd_* configuration of tests/fixtures/diffusion run on webgpu (the
//   sampler's arithmetic in f32 too), as before.
// - `control` (dpm_* and unipc_* runs): the same error with the sampler in float64 on the cpu
//   and the model evaluated four ways — `exact` (the float64 model: the fixture's agreement,
//   ~1e-11), `kernel` (the webgpu kernel on the f32-rounded points: the kernel's own error as the
//   sampler amplifies it), `rounded` (the exact model on f32-rounded points, its output rounded to
//   f32: what any f32 model could at best give) and `exactKernel` (the float64 twin on every f32
//   input of the kernel — points, α, σ, ca, cb and the mixture — its output rounded to f32); and,
//   per run, the kernel's error per evaluation against exactKernel on the same inputs,
//   |kernel − twin| / max(1, |twin|), its largest value (`evalMax`) and root mean square
//   (`evalRms`).
//
// The per-evaluation error is the honest measure of the kernel; the end-to-end error of the worst
// runs (dpm singlestep order 3 at NFE 5) is set by how much the run amplifies any f32 model error:
// there `rounded` alone is already ~5e-4 to 9e-4.
import { CpuArray, CpuBackend } from "../../kernels/mod.ts";
import { gmmDenoiseCpu, packGmm } from "../../kernels/gmm_denoise.ts";
import { type Denoiser, predictionBasis } from "../../models/denoiser.ts";
import { gpuBackend } from "../_gpu.ts";
import { reference, relErr, runConfig, RUNS, SPEC } from "../solvers/diffusion/_fixture.ts";
import { expected, KD_RUNS, relError, replay } from "../solvers/diffusion/_k_fixture.ts";

const gpu = await gpuBackend();
if (!gpu) {
  console.error("no WebGPU adapter: nothing measured");
  Deno.exit(1);
}
const cpu = new CpuBackend();
const f32 = Math.fround;
const wsum = SPEC.weights.reduce((a, b) => a + b, 0);
const packed = Float64Array.from(
  packGmm(
    Float64Array.from(SPEC.weights, (w) => w / wsum),
    Float64Array.from(SPEC.means.flat()),
    Float64Array.from(SPEC.variances.flat()),
  ),
  f32,
);
const K = SPEC.weights.length, D = SPEC.means[0]!.length;

/** The float64 twin on the kernel's f32 inputs (into `out`, not rounded). */
function twinOnF32Inputs(m: Denoiser, x: Float64Array, t: number, kind: string, out: Float64Array) {
  const s = m.schedule;
  const [ca, cb] = predictionBasis(s, { kind: kind as "eps", t });
  gmmDenoiseCpu(out, Float64Array.from(x, f32), packed, {
    k: K,
    d: D,
    alpha: f32(s.alpha(t)),
    sigma: f32(s.sigma(t)),
    ca: f32(ca),
    cb: f32(cb),
  });
}

const evals = { max: 0, sum: 0, n: 0 };
const viaKernel = (m: Denoiser): Denoiser => ({
  ...m,
  async predict(x, t, out, request) {
    const xs = (x as CpuArray).data;
    const xg = gpu.upload(xs), og = gpu.zeros(xs.length);
    await m.predict(xg, t, og, request);
    const g = await gpu.download(og);
    gpu.release(xg);
    gpu.release(og);
    (out as CpuArray).data.set(g);
    const e = new Float64Array(xs.length);
    twinOnF32Inputs(m, xs, t, request.kind, e);
    for (let i = 0; i < e.length; i++) {
      const r = Math.abs(g[i]! - e[i]!) / Math.max(1, Math.abs(e[i]!));
      evals.max = Math.max(evals.max, r);
      evals.sum += r * r;
      evals.n++;
    }
  },
});
const rounded = (m: Denoiser): Denoiser => ({
  ...m,
  async predict(x, t, out, request) {
    const xr = cpu.upload(Float64Array.from((x as CpuArray).data, f32));
    await m.predict(xr, t, out, request);
    const o = (out as CpuArray).data;
    for (let i = 0; i < o.length; i++) o[i] = f32(o[i]!);
    cpu.release(xr);
  },
});
const exactKernel = (m: Denoiser): Denoiser => ({
  ...m,
  predict(x, t, out, request) {
    const o = (out as CpuArray).data;
    twinOnF32Inputs(m, (x as CpuArray).data, t, request.kind, o);
    for (let i = 0; i < o.length; i++) o[i] = f32(o[i]!);
    return Promise.resolve();
  },
});
const WRAPS = { exact: (m: Denoiser) => m, kernel: viaKernel, rounded, exactKernel };

const errors: Record<string, number> = {};
const control: Record<string, Record<string, number>> = {};
for (const run of RUNS) {
  if (!run.id.startsWith("dpm_") && !run.id.startsWith("unipc_")) continue;
  if (!run.metrics.finite) continue;
  const ref = reference(run);
  const r = await runConfig(run, gpu);
  errors[run.id] = relErr(await gpu.download(r.x), ref);
  gpu.release(r.x);
  const row: Record<string, number> = {};
  Object.assign(evals, { max: 0, sum: 0, n: 0 });
  for (const [name, wrap] of Object.entries(WRAPS)) {
    const c = await runConfig(run, cpu, 64, wrap);
    row[name] = relErr((c.x as CpuArray).data, ref);
  }
  row.evalMax = evals.max;
  row.evalRms = Math.sqrt(evals.sum / evals.n);
  control[run.id] = row;
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
const worstControl: Record<string, Record<string, number>> = {};
for (const [id, row] of Object.entries(control)) {
  const w = worstControl[id.split("_")[0]!] ??= {};
  for (const [k, v] of Object.entries(row)) w[k] = Math.max(w[k] ?? 0, v);
}
const text = JSON.stringify({ worst, worstControl, errors, control }, null, 1);
if (Deno.args[0]) Deno.writeTextFileSync(Deno.args[0], text);
console.log(JSON.stringify({ worst, worstControl }, null, 1));
gpu.destroy();
