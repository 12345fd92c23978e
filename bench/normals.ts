// Normal-generation throughput: sdeno cpu (float64, one thread) and webgpu (f32, into
// device memory, timed to queue completion; and with the download) versus numpy's
// standard_normal (float64 and float32), PyTorch's normal_ (f32 and f64, on one thread and on
// every core) and JAX's jitted random.normal (f32 and f64, compile time apart), in one run
// (bench/peers/normals.py; torch and JAX only where importable).
import { CpuBackend, fillNormal, makeKey, WebGpuBackend } from "../kernels/mod.ts";
import { type BenchRow, peerNotes, peerRows, runPeer, table, timeIt } from "./_peer.ts";

/** Runs the normal-generation benchmark and returns a markdown section. */
export async function benchNormals(n = 1 << 24, repeats = 5): Promise<string> {
  const rows: BenchRow[] = [];
  const key = makeKey(1, 0);
  const host = new Float64Array(n);
  let step = 0;
  rows.push({
    name: "sdeno cpu (f64, 1 thread)",
    rate: n / await timeIt(() => fillNormal(host, key, { step: step++ }), repeats),
  });
  const gpu = await WebGpuBackend.create();
  if (gpu) {
    const z = gpu.zeros(n);
    rows.push({
      name: "sdeno webgpu (f32, on device)",
      rate: n / await timeIt(async () => {
        await gpu.fillNormal(z, key, { step: step++ });
        await gpu.finish();
      }, repeats),
    });
    rows.push({
      name: "sdeno webgpu (f32, + download)",
      rate: n / await timeIt(async () => {
        await gpu.fillNormal(z, key, { step: step++ });
        await gpu.download(z);
      }, repeats),
    });
    gpu.destroy();
  } else {
    console.error("no WebGPU adapter: webgpu rows skipped");
  }
  const threads = navigator.hardwareConcurrency;
  const peer = await runPeer("normals.py", [String(n), String(repeats)], { threads });
  rows.push(...peerRows([peer], "normals"));
  new CpuBackend().destroy();
  return table(
    `Standard normals, n = ${n}, median of ${repeats}`,
    "normals/s",
    rows,
    "numpy f64, 1 thread",
  ) + `\n\n${peerNotes([peer])}`;
}
