// Normal-generation throughput: sdeno cpu (float64) and webgpu (f32, into
// device memory, timed to queue completion; and with the download) versus
// numpy's standard_normal (float64 and float32), in one run.
import { CpuBackend, fillNormal, makeKey, WebGpuBackend } from "../kernels/mod.ts";
import { type BenchRow, runPeer, table, timeIt } from "./_peer.ts";

/** Runs the normal-generation benchmark and returns a markdown section. */
export async function benchNormals(n = 1 << 24, repeats = 5): Promise<string> {
  const rows: BenchRow[] = [];
  const key = makeKey(1, 0);
  const host = new Float64Array(n);
  let step = 0;
  rows.push({
    name: "sdeno cpu (f64)",
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
  const peer = await runPeer("normals.py", [String(n), String(repeats)]);
  if (peer) {
    rows.push({ name: "numpy f64", rate: n / Number(peer.numpy_f64) });
    rows.push({ name: "numpy f32", rate: n / Number(peer.numpy_f32) });
  }
  new CpuBackend().destroy();
  return table(`Standard normals, n = ${n}, median of ${repeats}`, "normals/s", rows, "numpy f64") +
    (peer ? `\n\nnumpy ${peer.numpy_version}` : "");
}
