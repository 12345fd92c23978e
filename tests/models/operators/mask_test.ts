// Inpainting masks: the stored dense A of img8_inpaint_box (tests/fixtures/inverse/images, from
// ../shared/refs/inverse §3), the exact SVD and pseudo-inverse, cpu vs webgpu, and bad input.
import assert from "node:assert/strict";
import {
  boxMask,
  isMaskOperator,
  maskOperator,
  randomPixelMask,
} from "../../../models/operators/mask.ts";
import { denseOperator } from "../../../models/operators/dense.ts";
import { checkLinearIdentities, cpu, maxDiff, readImageF64 } from "./_check.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/mod.ts";

Deno.test("boxMask(8, 8) reproduces the stored img8_inpaint_box A exactly", async () => {
  const op = boxMask(8, 8);
  assert.equal(op.outDim, 48);
  assert.equal(op.kind, "mask");
  assert.ok(isMaskOperator(op));
  const a = await checkLinearIdentities(op, 0);
  assert.equal(maxDiff(a, readImageF64("img8_inpaint_box_A.f64")), 0);
});

Deno.test("masks: identities for a random mask with channels and a custom box", async () => {
  const r = randomPixelMask(5, 6, 0.4, { seed: 7, stream: 1 }, { channels: 2 });
  assert.equal(r.outDim, 2 * 12);
  assert.deepEqual(r.shape, [2, 5, 6]);
  assert.deepEqual(r.mask.subarray(0, 30), r.mask.subarray(30));
  await checkLinearIdentities(r, 0);
  const b = boxMask(6, 7, { rows: [0, 3], cols: [2, 7] });
  assert.equal(b.outDim, 42 - 15);
  await checkLinearIdentities(b, 0);
  // a different key gives a different mask; the same key the same one
  const r2 = randomPixelMask(5, 6, 0.4, { seed: 8, stream: 1 });
  assert.notDeepEqual(r2.mask, randomPixelMask(5, 6, 0.4, { seed: 7, stream: 1 }).mask);
});

Deno.test("masks: isMaskOperator rejects other operators", () => {
  assert.ok(!isMaskOperator(denseOperator([[1, 0, 0]])));
});

Deno.test("masks: bad input gets typed errors", async () => {
  assert.throws(() => maskOperator([true, 2 as unknown as boolean]), SdenoTypeError);
  assert.throws(() => maskOperator([false, false]), SdenoRangeError);
  assert.throws(() => maskOperator([true, false], { shape: [3, 1] }), SdenoRangeError);
  assert.throws(() => maskOperator("11" as unknown as boolean[]), SdenoTypeError);
  assert.throws(() => boxMask(8, 8, { rows: [2, 9] }), SdenoRangeError);
  assert.throws(() => boxMask(0, 8), SdenoRangeError);
  assert.throws(() => boxMask(1, 1, { rows: [0, 1], cols: [0, 1] }), SdenoRangeError);
  assert.throws(() => randomPixelMask(4, 4, 0, { seed: 1, stream: 0 }), SdenoRangeError);
  assert.throws(() => randomPixelMask(4, 4, 0.01, { seed: 1, stream: 0 }), SdenoRangeError);
  const op = boxMask(4, 4);
  await assert.rejects(() => op.apply(cpu.zeros(15), cpu.zeros(12)), SdenoRangeError);
  await assert.rejects(() => op.apply(cpu.zeros(16), cpu.zeros(11)), SdenoRangeError);
});

Deno.test({
  name: "masks: webgpu gathers and scatters the same numbers as the cpu",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const op = randomPixelMask(8, 8, 0.3, { seed: 3, stream: 0 });
    const x = Float64Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i));
    const run = async (b: typeof cpu | typeof gpu, f: "apply" | "pinv" | "vt" | "v") => {
      const inp = f === "pinv" ? x.subarray(0, 3 * op.outDim) : x;
      const outLen = f === "apply" ? 3 * op.outDim : 3 * 64;
      const out = b.zeros(outLen), xin = b.upload(inp);
      if (f === "apply") await op.apply(xin, out);
      else if (f === "pinv") await op.pseudoInverse(xin, out);
      else if (f === "vt") await op.svd.applyVt(xin, out);
      else await op.svd.applyV(xin, out);
      const h = await b.download(out);
      b.release(out);
      b.release(xin);
      return h;
    };
    for (const f of ["apply", "pinv", "vt", "v"] as const) {
      assert.ok(maxDiff(await run(cpu, f), await run(gpu, f)) < 1e-6, f);
    }
    // in place: x and out the same array
    const same = gpu.upload(x.subarray(0, 64));
    await op.svd.applyVt(same, same);
    const c = cpu.upload(x.subarray(0, 64));
    await op.svd.applyVt(c, c);
    assert.ok(maxDiff(await gpu.download(same), await cpu.download(c)) < 1e-6);
    gpu.release(same);
  },
});
