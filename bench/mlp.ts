// MLP score networks: time per model evaluation at batch 4096 for each shipped 2-D model
// (models/shipped/*.json written by scripts/train.ts) on the cpu (float64) and webgpu (f32)
// backends, side by side with PyTorch on the same network (rebuilt from the card and weights by
// bench/peers/torch_sdeno_mlp.py, which also returns outputs on a fixed batch so the table says
// how closely both compute the same function); and the share of a dpmpp_2m NFE 20 run's time
// spent outside the model. Permissions: --allow-read (the models), --allow-run=python3 (the peer).
import {
  type Backend,
  CpuBackend,
  type DeviceArray,
  makeKey,
  WebGpuBackend,
} from "../kernels/mod.ts";
import type { Denoiser } from "../models/denoiser.ts";
import { Mlp } from "../models/mlp.ts";
import { decodeNpy } from "../io/npy.ts";
import { karrasSigmas, sampleDpmpp2m } from "../solvers/diffusion/mod.ts";
import { median, runPeer, timeIt } from "./_peer.ts";

const N = 4096, NFE = 20;

async function shippedModels(): Promise<Array<{ name: string; path: string; mlp: Mlp }>> {
  const dir = new URL("../models/shipped/", import.meta.url);
  const out: Array<{ name: string; path: string; mlp: Mlp }> = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".json") || e.name.includes(".eval.")) continue;
      const card = JSON.parse(await Deno.readTextFile(new URL(e.name, dir)));
      if (card?.format !== "sdeno-mlp" || card.spec?.dim !== 2) continue;
      const w = decodeNpy(await Deno.readFile(new URL(card.weights.file, dir)));
      out.push({
        name: e.name.replace(/\.json$/, ""),
        path: new URL(e.name, dir).pathname,
        mlp: Mlp.fromCard(card, w.data as Float32Array),
      });
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The peer's fixed batch: x[i, j] = sin(0.1 (d i + j) + 0.3), labels i mod (C + 1). */
function fixedBatch(mlp: Mlp): { x: Float64Array; labels: number[] | undefined } {
  const d = mlp.spec.dim, C = mlp.spec.classes;
  const x = Float64Array.from({ length: N * d }, (_, k) => Math.fround(Math.sin(0.1 * k + 0.3)));
  const labels = C > 0 ? Array.from({ length: N }, (_, i) => i % (C + 1)) : undefined;
  return { x, labels };
}

/** Median time of one predict call at batch N (including the wait for the device). */
async function perEval(b: Backend, model: Denoiser, mlp: Mlp, repeats: number) {
  const { x, labels } = fixedBatch(mlp);
  const xs = b.upload(x), out = b.zeros(x.length);
  const request = { kind: model.nativeKind, conditioning: labels ? { labels } : undefined };
  const s = await timeIt(async () => {
    await model.predict(xs, 1.5, out, request);
    await b.finish();
  }, repeats);
  const host = await b.download(out);
  b.release(xs);
  b.release(out);
  return { ms: s * 1e3, first: Array.from(host.subarray(0, 16)) };
}

/** A dpmpp_2m NFE 20 run: its median total time and the share outside predict. */
async function outsideShare(
  b: Backend,
  model: Denoiser,
  options: { repeats: number; checkFinite?: boolean },
): Promise<[number, number]> {
  const { repeats, checkFinite = true } = options;
  let inModel = 0;
  const timed: Denoiser = {
    ...model,
    predict: async (x: DeviceArray, t: number, out: DeviceArray, r) => {
      await b.finish();
      const start = performance.now();
      await model.predict(x, t, out, r);
      await b.finish();
      inModel += performance.now() - start;
    },
  };
  const x = b.zeros(N * 2);
  await b.fillNormal(x, makeKey(4));
  await b.lincomb(x, [[80, x]]);
  const grid = karrasSigmas(NFE);
  const totals: number[] = [], shares: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    inModel = 0;
    await b.finish();
    const start = performance.now();
    const res = await sampleDpmpp2m(timed, x, grid, { checkFinite });
    await b.finish();
    const total = performance.now() - start;
    b.release(res.x);
    if (r > 0) {
      totals.push(total);
      shares.push(1 - inModel / total);
    }
  }
  b.release(x);
  return [median(totals), median(shares)];
}

/** Runs the MLP benchmark and returns a markdown section. */
export async function benchMlp(repeats = 7): Promise<string> {
  const notes: string[] = [];
  const lines = [
    `### MLP score networks: time per model evaluation at batch ${N} (median of ${repeats})`,
    "",
    "| model (weights) | cpu, float64 (ms) | webgpu, f32 (ms) | PyTorch, float32 (ms) | cpu / PyTorch | max abs. difference, cpu vs PyTorch | dpmpp_2m NFE 20 on cpu (ms), share outside the model | on webgpu | on webgpu, checkFinite off |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const models = await shippedModels();
  if (models.length === 0) notes.push("no 2-D MLP in models/shipped/: nothing to time");
  const cpu = new CpuBackend();
  const gpu = await WebGpuBackend.create();
  if (!gpu) notes.push("no WebGPU adapter: webgpu columns skipped");
  for (const m of models) {
    const model = m.mlp.denoiser();
    const c = await perEval(cpu, model, m.mlp, repeats);
    const g = gpu ? await perEval(gpu, model, m.mlp, repeats) : undefined;
    const peer = await runPeer("torch_sdeno_mlp.py", [m.path, String(N), String(repeats)]);
    let torchMs: number | undefined, diff: number | undefined;
    if (peer) {
      torchMs = Number(peer.seconds) * 1e3;
      const check = peer.check as unknown as number[];
      diff = Math.max(...check.map((v, i) => Math.abs(v - c.first[i]!)));
      notes.push(`PyTorch ${peer.torch} on ${peer.threads} threads, torch.no_grad, float32`);
    }
    const [cpuTotal, cpuShare] = await outsideShare(cpu, model, { repeats: 3 });
    const gpuRun = gpu ? await outsideShare(gpu, model, { repeats: 3 }) : undefined;
    const gpuUnchecked = gpu
      ? await outsideShare(gpu, model, { repeats: 3, checkFinite: false })
      : undefined;
    const f = (v: number | undefined, digits = 2) => v === undefined ? "n/a" : v.toFixed(digits);
    const run = (r: [number, number] | undefined) =>
      r ? `${r[0].toFixed(0)}, ${(100 * r[1]).toFixed(1)}%` : "n/a";
    lines.push(
      `| ${m.name} (${m.mlp.parameterCount}, hidden ${m.mlp.spec.hidden.join("×")}) | ${
        f(c.ms)
      } | ${f(g?.ms)} | ${f(torchMs)} | ${
        c.ms && torchMs ? (c.ms / torchMs).toFixed(1) : "n/a"
      } | ${diff === undefined ? "n/a" : diff.toExponential(1)} | ${run([cpuTotal, cpuShare])} | ${
        run(gpuRun)
      } | ${run(gpuUnchecked)} |`,
    );
  }
  gpu?.destroy();
  lines.push(
    "",
    "Per evaluation: the preconditioning (two lincombs), the conditioning row, the layers " +
      "(Backend.matmul and the SiLU map kernel) and, on webgpu, the wait for the device. The " +
      "share outside the model is 1 − (time inside predict) / (whole run); on webgpu both sides " +
      "wait for the device, so queued work is counted where it runs. The samplers check x for " +
      "NaN/Inf after every step by default (`checkFinite`, one small reduction read back on " +
      "webgpu); the last column turns that off.",
  );
  if (notes.length) lines.push("", ...[...new Set(notes)].map((n) => `- ${n}`));
  return lines.join("\n");
}

if (import.meta.main) console.log(await benchMlp());
