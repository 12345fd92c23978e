// User-defined nonlinear operators: row-wise evaluation on both backends, the finite-difference
// vjp check (a correct vjp passes at the O(h²) level, a wrong one fails), and bad input.
import assert from "node:assert/strict";
import { checkVjp, nonlinearOperator } from "../../../models/operators/nonlinear.ts";
import { cpu, maxDiff } from "./_check.ts";
import { GPU_TEST, gpuBackend } from "../../_gpu.ts";
import { SdenoRangeError, SdenoTypeError } from "../../../kernels/mod.ts";

// y = (|x₀ + i x₁|, tanh(x₂) x₀): a modulus (phase retrieval) and a saturating sensor
const op = (wrong = false) =>
  nonlinearOperator({
    name: "modulus-tanh",
    inDim: 3,
    outDim: 2,
    apply: (x, out) => {
      out[0] = Math.hypot(x[0]!, x[1]!);
      out[1] = Math.tanh(x[2]!) * x[0]!;
    },
    vjp: (x, v, out) => {
      const r = Math.hypot(x[0]!, x[1]!), t = Math.tanh(x[2]!);
      out[0] = v[0]! * x[0]! / r + v[1]! * t;
      out[1] = v[0]! * x[1]! / r;
      out[2] = v[1]! * x[0]! * (wrong ? 1 : 1 - t * t);
    },
  });

Deno.test("nonlinearOperator: rows evaluated independently, vjp checked by finite differences", async () => {
  const a = op();
  assert.equal(a.linear, false);
  const y = cpu.zeros(4);
  await a.apply(cpu.upload([3, 4, 0, 1, 0, 100]), y);
  const h = await cpu.download(y);
  assert.deepEqual([h[0], h[1], h[2]], [5, 0, 1]);
  assert.ok(Math.abs(h[3]! - 1) < 1e-15);
  const good = await checkVjp(a, [0.3, -0.7, 0.4]);
  const bad = await checkVjp(op(true), [0.3, -0.7, 0.4]);
  assert.ok(good < 1e-7, `correct vjp: ${good}`);
  assert.ok(bad > 1e-2, `wrong vjp: ${bad}`);
});

Deno.test("nonlinearOperator: bad input gets typed errors", async () => {
  assert.throws(() => nonlinearOperator({ inDim: 0, outDim: 1, apply: () => {} }), SdenoRangeError);
  assert.throws(
    () => nonlinearOperator({ inDim: 1, outDim: 1, apply: 3 as unknown as () => void }),
    SdenoTypeError,
  );
  const noVjp = nonlinearOperator({ inDim: 1, outDim: 1, apply: (x, o) => (o[0] = x[0]!) });
  assert.equal(noVjp.vjp, undefined);
  await assert.rejects(() => checkVjp(noVjp, [1]), SdenoTypeError);
  await assert.rejects(() => checkVjp(op(), [1, 2]), SdenoRangeError);
  await assert.rejects(() => checkVjp(op(), [1, NaN, 2]), SdenoRangeError);
  await assert.rejects(() => op().apply(cpu.zeros(5), cpu.zeros(4)), SdenoRangeError);
});

Deno.test({
  name: "nonlinearOperator: webgpu arrays give the cpu numbers within f32",
  ...GPU_TEST,
  fn: async () => {
    const gpu = await gpuBackend();
    if (!gpu) return;
    const x = [0.3, -0.7, 0.4, 1.5, 2, -1];
    const res = async (b: typeof cpu | typeof gpu) => {
      const y = b.zeros(4), g = b.zeros(6);
      await op().apply(b.upload(x), y);
      await op().vjp!(b.upload(x), b.upload([1, -2, 0.5, 3]), g);
      return [...await b.download(y), ...await b.download(g)];
    };
    assert.ok(maxDiff(await res(cpu), await res(gpu)) < 1e-6);
  },
});
