// Philox4x32-10 block throughput on the cpu: the scalar JavaScript
// `philoxBlock` (32×32→64 products split into 16-bit halves) versus the
// WebAssembly module (i64.mul, SIMD), for consecutive counters, consecutive
// steps and arbitrary counters; the SSA draws in large and in small batches
// (a short path's first refills are 2, 4, 8 … blocks); and fillBits /
// fillNormal with and without WebAssembly.
import { fillBits, fillNormal, makeKey } from "../kernels/philox.ts";
import { philoxBlock } from "../kernels/_philox_block.ts";
import {
  isPhiloxWasmAvailable,
  philoxBlocksWasm,
  philoxCountersWasm,
  philoxExpUniformStepsWasm,
  philoxStepsWasm,
} from "../kernels/philox_wasm.ts";
import { _philoxWasm, _setPhiloxWasmDisabled } from "../kernels/_wasm_philox.ts";
import { type BenchRow, table, timeIt } from "./_peer.ts";

/** Runs `f` with the WebAssembly path of philox.ts off. */
async function withoutWasm<T>(f: () => Promise<T>): Promise<T> {
  const before = _setPhiloxWasmDisabled(true);
  try {
    return await f();
  } finally {
    _setPhiloxWasmDisabled(before);
  }
}

/**
 * Runs the Philox benchmark and returns two markdown tables: blocks/s of the
 * generators, and words/s and normals/s of the fill functions.
 */
export async function benchPhiloxWasm(blocks = 1 << 22, repeats = 5): Promise<string> {
  const key = makeKey(1, 0);
  const out = new Uint32Array(4 * blocks);
  const w = new Uint32Array(4);
  let step = 0;
  const rows: BenchRow[] = [];
  rows.push({
    name: "js philoxBlock",
    rate: blocks / await timeIt(() => {
      const s = step++;
      for (let b = 0; b < blocks; b++) {
        philoxBlock(b, s, 0, 0, key.seed, key.stream, w);
        out.set(w, 4 * b);
      }
    }, repeats),
  });
  rows.push({
    name: "wasm philoxBlocksWasm",
    rate: blocks / await timeIt(() => philoxBlocksWasm(out, key, { step: step++ }), repeats),
  });
  const counters = new Uint32Array(4 * blocks);
  for (let i = 0; i < counters.length; i++) counters[i] = Math.imul(i, 2654435761) >>> 0;
  rows.push({
    name: "wasm philoxCountersWasm",
    rate: blocks / await timeIt(() => void philoxCountersWasm(counters, key, { out }), repeats),
  });
  rows.push({
    name: "wasm philoxStepsWasm",
    rate: blocks / await timeIt(() => philoxStepsWasm(out, key, { block: step++ }), repeats),
  });
  const pairs = new Float64Array(4 * blocks);
  rows.push({
    name: "wasm philoxExpUniformStepsWasm",
    rate: blocks /
      await timeIt(() => philoxExpUniformStepsWasm(pairs, key, { block: step++ }), repeats),
  });
  // the SSA refill schedule of short paths: batches of 2, 4, …, 64 blocks, one path after another
  const wasm = _philoxWasm();
  if (wasm !== undefined) {
    const paths = blocks >> 7; // 126 blocks a path
    rows.push({
      name: "wasm expUniformSteps, batches 2…64",
      rate: 126 * paths / await timeIt(() => {
        for (let p = 0; p < paths; p++) {
          for (let n = 2, s = 0; n <= 64; s += n, n *= 2) {
            wasm.expUniformSteps(p, s, 9, 0, key.seed, key.stream, n);
          }
        }
      }, repeats),
    });
  }

  const n = 4 * blocks;
  const z = new Float64Array(n);
  const z32 = new Float32Array(n);
  const fills: Array<[string, string, () => void]> = [
    ["fillBits", "words/s", () => fillBits(out, key, { step: step++ })],
    ["fillNormal (f64)", "normals/s", () => fillNormal(z, key, { step: step++ })],
    ["fillNormal (f32)", "normals/s", () => fillNormal(z32, key, { step: step++ })],
  ];
  const lines = [
    `### Philox fill functions, n = ${n}, median of ${repeats}`,
    "",
    "| function | unit | js | wasm | wasm / js |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const [name, unit, f] of fills) {
    const js = n / await withoutWasm(() => timeIt(f, repeats));
    const wasm = n / await timeIt(f, repeats);
    lines.push(
      `| ${name} | ${unit} | ${js.toExponential(3)} | ${wasm.toExponential(3)} | ${
        (wasm / js).toFixed(2)
      } |`,
    );
  }
  const note = isPhiloxWasmAvailable()
    ? ""
    : "\n\nWebAssembly unavailable: the wasm rows ran the JavaScript fallback";
  return table(
    `Philox4x32-10 blocks, ${blocks} per run, median of ${repeats}`,
    "blocks/s",
    rows,
    "js philoxBlock",
  ) + "\n\n" + lines.join("\n") + note;
}

if (import.meta.main) console.log(await benchPhiloxWasm());
