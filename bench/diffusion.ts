// Sampling cost: k-diffusion's dpmpp_2m (= DPM-Solver++(2M)) on 4096 points of a
// 16-D Gaussian mixture at NFE 10, cpu (float64) vs webgpu (f32). Three timings
// per backend: the whole run with the exact mixture denoiser; the model alone
// (NFE predict calls); and the sampler's own work per step, measured with a
// trivial on-device model (D = x/2, one lincomb) so that the model drops out.
import { type Backend, CpuBackend, WebGpuBackend } from "../kernels/mod.ts";
import { type Denoiser, denoiserFromNative } from "../models/denoiser.ts";
import { gaussianMixture } from "../models/gaussian_mixture.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import { fillNormal, makeKey } from "../kernels/mod.ts";
import { diffusionMethods, karrasSigmas } from "../solvers/diffusion/mod.ts";
import { timeIt } from "./_peer.ts";

const N = 4096, D = 16, K = 8, NFE = 10;

function mixture() {
  const means = Array.from(
    { length: K },
    (_, k) => Array.from({ length: D }, (_, j) => 2 * Math.sin(k + 3 * j)),
  );
  return {
    weights: Array.from({ length: K }, () => 1 / K),
    means,
    variances: Array.from(
      { length: K },
      (_, k) => Array.from({ length: D }, (_, j) => 0.05 + 0.01 * ((k + j) % 5)),
    ),
  };
}

function trivial(schedule = edmSchedule()): Denoiser {
  return denoiserFromNative({
    dim: D,
    kind: "x0",
    schedule,
    predict: (x, _t, out) => x.backend.lincomb(out, [[0.5, x]]),
  });
}

/** Runs the sampling benchmark and returns a markdown section. */
export async function benchDiffusion(repeats = 5): Promise<string> {
  const gm = gaussianMixture(mixture(), edmSchedule());
  const z = new Float64Array(N * D);
  fillNormal(z, makeKey(5, 0));
  const x0 = z.map((v) => 80 * v);
  const sampler = diffusionMethods.get("dpmpp_2m");
  const sigmas = karrasSigmas(NFE);
  if (sampler.info.nfe({ points: sigmas.length, endsAtZero: true }, {}) !== NFE) {
    throw new Error(`bench: ${sampler.info.name} on ${sigmas.length} σ's is not NFE ${NFE}`);
  }
  const backends: Backend[] = [new CpuBackend()];
  const gpu = await WebGpuBackend.create();
  if (gpu) backends.push(gpu);
  else console.error("no WebGPU adapter: webgpu rows skipped");
  const lines = [
    `### Sampling: dpmpp_2m, ${N} × ${D}-D mixture (K = ${K}), NFE ${NFE}, median of ${repeats}`,
    "",
    "| backend | whole run (ms) | model alone (ms) | sampler per step, trivial model (ms) | sampler per step, whole − model (ms) |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const b of backends) {
    const x = b.upload(x0), out = b.zeros(N * D);
    const whole = await timeIt(async () => {
      const r = await sampler.sample(gm, x, sigmas, { checkFinite: false });
      await b.download(r.x);
      b.release(r.x);
    }, repeats);
    const model = await timeIt(async () => {
      for (let i = 0; i < NFE; i++) await gm.predict(x, sigmas[i]!, out, { kind: "x0" });
      await b.finish();
    }, repeats);
    const triv = trivial();
    const steps = await timeIt(async () => {
      const r = await sampler.sample(triv, x, sigmas, { checkFinite: false });
      await b.download(r.x);
      b.release(r.x);
    }, repeats);
    lines.push(
      `| ${b.name} (${b.precision}) | ${(whole * 1e3).toFixed(1)} | ${(model * 1e3).toFixed(1)} | ${
        (steps / NFE * 1e3).toFixed(3)
      } | ${((whole - model) / NFE * 1e3).toFixed(3)} |`,
    );
    b.release(x);
    b.release(out);
  }
  gpu?.destroy();
  lines.push(
    "",
    "The trivial-model column includes one extra lincomb per step (the model) and one download " +
      "at the end; the checkFinite pass is off in all timings.",
  );
  return lines.join("\n");
}

if (import.meta.main) console.log(await benchDiffusion());
