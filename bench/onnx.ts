// ONNX models: time per model evaluation at batch 4096 on onnxruntime-node (cpu) and
// onnxruntime-web (WebAssembly, one thread), side by side with PyTorch on the same network where
// torch is installed; and the share of a sampling run's time spent outside the model. Networks:
// the 2-D EDM network exported by PyTorch (tests/fixtures/onnx/edm_mlp.onnx), the exact ring-of-8
// mixture as an ONNX graph, and every 2-D model shipped in models/shipped/ (inputs x and t).
// Permissions: --allow-ffi (onnxruntime-node), --allow-read (the models; onnxruntime-web's .wasm
// in Deno's npm cache, else its rows are skipped with a note), --allow-run=python3 (the peer).
import { createBackend, type DeviceArray, makeKey } from "../kernels/mod.ts";
import type { Denoiser } from "../models/denoiser.ts";
import { gmmOnnx, type OnnxDenoiser, onnxDenoiser as nodeDenoiser } from "../models/onnx.ts";
import { onnxDenoiser as webDenoiser } from "../models/onnx_web.ts";
import type { OnnxDenoiserOptions } from "../models/onnx.ts";
import { edmSchedule } from "../processes/edm_schedule.ts";
import { karrasSigmas, sampleDpmpp2m } from "../solvers/diffusion/mod.ts";
import { median, runPeer, timeIt } from "./_peer.ts";

const N = 4096, NFE = 20;

const RING = {
  weights: Array.from({ length: 8 }, () => 1 / 8),
  means: Array.from(
    { length: 8 },
    (_, k) => [2 * Math.cos(2 * Math.PI * k / 8), 2 * Math.sin(2 * Math.PI * k / 8)],
  ),
  variances: Array.from({ length: 8 }, () => [0.04, 0.04]),
};

interface Subject {
  name: string;
  model: Uint8Array | URL;
  options: OnnxDenoiserOptions;
  peer?: string;
}

async function subjects(): Promise<Subject[]> {
  const edm = edmSchedule();
  const list: Subject[] = [
    {
      name: "EDM MLP 2-D (PyTorch export, width 64)",
      model: new URL("../tests/fixtures/onnx/edm_mlp.onnx", import.meta.url),
      options: { schedule: edm, kind: "x0", time: "sigma", inputs: { t: "sigma" } },
      peer: "torch_edm_mlp.py",
    },
  ];
  const g = gmmOnnx(RING, { schedule: { name: "edm" } });
  list.push({
    name: "ring-of-8 mixture (ONNX graph)",
    model: g.bytes,
    options: { schedule: g.schedule, kind: "x0", output: "x0" },
  });
  const shipped = new URL("../models/shipped/", import.meta.url);
  try {
    for await (const e of Deno.readDir(shipped)) {
      if (!e.name.endsWith(".onnx")) continue;
      list.push({
        name: `shipped ${e.name}`,
        model: new URL(e.name, shipped),
        options: { schedule: edm, kind: "x0", maxBatch: N },
      });
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return list;
}

/** Times one evaluation at batch N; undefined (with a note) when the model cannot be opened. */
async function perEval(
  open: () => Promise<OnnxDenoiser>,
  notes: string[],
  label: string,
  repeats: number,
): Promise<{ ms: number; model: OnnxDenoiser } | undefined> {
  let model: OnnxDenoiser;
  try {
    model = await open();
  } catch (err) {
    notes.push(`${label}: skipped (${(err as Error).message.split("\n")[0]})`);
    return undefined;
  }
  if (model.dim !== 2) {
    notes.push(`${label}: skipped (not a 2-D model)`);
    await model.close();
    return undefined;
  }
  const b = await createBackend("cpu");
  const x = b.zeros(N * 2), out = b.zeros(N * 2);
  await b.fillNormal(x, makeKey(3));
  // a class-conditional model (a labels input) is timed on class 0
  const conditioning = model.inputNames.includes("labels") ? { labels: [0] } : undefined;
  const s = await timeIt(
    () => model.predict(x, 1.5, out, { kind: model.nativeKind, conditioning }),
    repeats,
  );
  b.release(x);
  b.release(out);
  return { ms: s * 1e3, model };
}

/** The sampler's share of a dpmpp_2m run at NFE 20 outside the model. */
async function outsideShare(model: Denoiser, repeats: number): Promise<[number, number]> {
  const b = await createBackend("cpu");
  let inModel = 0;
  const timed: Denoiser = {
    ...model,
    predict: async (x: DeviceArray, t: number, out: DeviceArray, r) => {
      const start = performance.now();
      await model.predict(x, t, out, r);
      inModel += performance.now() - start;
    },
  };
  const z = b.zeros(N * 2);
  await b.fillNormal(z, makeKey(4));
  const x = b.zeros(N * 2);
  await b.lincomb(x, [[80, z]]);
  const grid = karrasSigmas(NFE);
  const totals: number[] = [], shares: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    inModel = 0;
    const start = performance.now();
    const labels = (model as OnnxDenoiser).inputNames?.includes("labels") ? [0] : undefined;
    const res = await sampleDpmpp2m(timed, x, grid, labels ? { conditioning: { labels } } : {});
    const total = performance.now() - start;
    b.release(res.x);
    if (r > 0) {
      totals.push(total);
      shares.push(1 - inModel / total);
    }
  }
  b.release(x);
  b.release(z);
  return [median(totals), median(shares)];
}

/** Runs the ONNX benchmark and returns a markdown section. */
export async function benchOnnx(repeats = 7): Promise<string> {
  const notes: string[] = [];
  const lines = [
    `### ONNX models: time per model evaluation at batch ${N} (median of ${repeats})`,
    "",
    "| network | onnxruntime-node (ms) | onnxruntime-web, 1 thread (ms) | PyTorch (ms) | node / PyTorch | dpmpp_2m NFE 20 run (ms), share outside the model |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of await subjects()) {
    const node = await perEval(() => nodeDenoiser(s.model, s.options), notes, s.name, repeats);
    const web = await perEval(() => webDenoiser(s.model, s.options), notes, `${s.name} (web)`, 3);
    await web?.model.close();
    let torch: number | undefined;
    if (s.peer) {
      const r = await runPeer(s.peer, [String(N), String(repeats)]);
      if (r) {
        torch = Number(r.seconds) * 1e3;
        notes.push(
          `PyTorch ${r.torch} on ${r.threads} threads (the same architecture, torch.no_grad)`,
        );
      }
    }
    let run = "n/a";
    if (node) {
      const [total, share] = await outsideShare(node.model, 3);
      run = `${total.toFixed(1)}, ${(100 * share).toFixed(1)}%`;
      await node.model.close();
    }
    const f = (v: number | undefined) => v === undefined ? "n/a" : v.toFixed(3);
    lines.push(
      `| ${s.name} | ${f(node?.ms)} | ${f(web?.ms)} | ${f(torch)} | ${
        node && torch ? (node.ms / torch).toFixed(2) : "n/a"
      } | ${run} |`,
    );
  }
  lines.push(
    "",
    "Per evaluation: float64 → float32 conversion of x, the onnxruntime run, and the float32 → " +
      "float64 copy back. The share outside the model is 1 − (time inside predict) / (whole run).",
  );
  if (notes.length) lines.push("", ...notes.map((n) => `- ${n}`));
  return lines.join("\n");
}

if (import.meta.main) console.log(await benchOnnx());
