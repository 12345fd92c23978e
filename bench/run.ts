// deno task bench: every benchmark, side by side with its peers, in one run.
// Permissions: --allow-read (sources, and onnxruntime-web's .wasm in Deno's npm cache),
// --allow-ffi (onnxruntime-node) and --allow-run=python3 (the numpy, scipy, torch, JAX and
// numba peers). Results print as
// markdown; bench/RESULTS.md records them.
import { parseArgs } from "node:util";
import { benchNormals } from "./normals.ts";
import { benchPhiloxWasm } from "./philox_wasm.ts";
import { benchDiffusion } from "./diffusion.ts";
import { benchSde } from "./sde.ts";
import { benchCtmc } from "./ctmc.ts";
import { benchOnnx } from "./onnx.ts";
import { benchMlp } from "./mlp.ts";
import { benchInference } from "./inference.ts";
import { benchInverse } from "./inverse.ts";

const SECTIONS: Record<string, () => Promise<string>> = {
  normals: () => benchNormals(),
  philox: () => benchPhiloxWasm(),
  diffusion: () => benchDiffusion(),
  sde: () => benchSde(),
  ctmc: () => benchCtmc(),
  onnx: () => benchOnnx(),
  mlp: () => benchMlp(),
  inference: () => benchInference(),
  inverse: () => benchInverse(),
};

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" } },
  strict: true,
});
const names = values.only ? values.only.split(",") : Object.keys(SECTIONS);
for (const name of names) {
  const run = SECTIONS[name];
  if (!run) {
    console.error(`unknown section "${name}"; choose from ${Object.keys(SECTIONS).join(", ")}`);
    Deno.exit(2);
  }
  console.error(`running ${name} ...`);
  console.log((await run()) + "\n");
}
