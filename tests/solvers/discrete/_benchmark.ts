// The tiny exact benchmark of discrete diffusion (tests/fixtures/discrete/README.md).
import { logLinearSchedule } from "../../../solvers/discrete/discrete_schedule.ts";
import {
  type DiscreteProcess,
  maskedProcess,
  uniformProcess,
} from "../../../solvers/discrete/discrete_process.ts";

export const L = 4;
export const V = 3;

// deno-lint-ignore no-explicit-any
export const FIXTURE: any = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/discrete/exact_subset.json", import.meta.url)),
);

/** p_0 = softmax(E), E(x) = #{i: x_i = x_{i+1}} + 0.5·[x_0 = 0] − 0.25·Σ x_i, lexicographic. */
export function benchmarkP0(): Float64Array {
  const w = new Float64Array(V ** L);
  for (let j = 0; j < w.length; j++) {
    const x = [Math.floor(j / 27), Math.floor(j / 9) % 3, Math.floor(j / 3) % 3, j % 3];
    let e = 0;
    for (let i = 0; i < L - 1; i++) if (x[i] === x[i + 1]) e += 1;
    if (x[0] === 0) e += 0.5;
    e -= 0.25 * (x[0]! + x[1]! + x[2]! + x[3]!);
    w[j] = Math.exp(e);
  }
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

export function benchmarkProcess(kind: "uniform" | "masked"): DiscreteProcess {
  const schedule = logLinearSchedule({ eps: FIXTURE.eps });
  return kind === "uniform" ? uniformProcess(V, schedule) : maskedProcess(V, schedule);
}

/** max |a − b| over a flat array and a nested JSON array. */
export function maxAbsDiff(a: ArrayLike<number>, b: unknown): number {
  const flat = (b as unknown[]).flat(3) as number[];
  if (flat.length !== a.length) throw new Error(`length ${a.length} vs ${flat.length}`);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - flat[k]!));
  return m;
}
