// The loop DDIM and DDPM share (private): per step s → t, x ← cx·x + c0·x̂₀(x, s) + std·z with the
// coefficients of the forward process's posterior (Song et al. 2021, eq. 12/16; Ho et al. 2020,
// Alg. 2). Noise draw i belongs to step i, from grid[i] to grid[i+1] (schedule time).
import type { DeviceArray } from "../../kernels/mod.ts";
import type { SampleRun } from "./sample_run.ts";
import type { SampleResult } from "./types.ts";

/** The coefficients of one step from s to t (step index i). */
export type PosteriorCoefficients = (
  s: number,
  t: number,
  i: number,
) => { cx: number; c0: number; std: number };

/** Runs the steps; with `denoiseToZero`, x becomes x̂₀ at the last time (one more call). */
export function posteriorSteps(
  run: SampleRun,
  x: DeviceArray,
  coef: PosteriorCoefficients,
  denoiseToZero: boolean,
): Promise<SampleResult> {
  const pts = run.points, steps = pts.length - 1;
  return run.use(async () => {
    const cur = await run.start(x);
    const x0 = run.alloc();
    for (let i = 0; i < steps; i++) {
      const s = pts[i]!, t = pts[i + 1]!;
      await run.denoise(cur, s, x0);
      const { cx, c0, std } = coef(s.t, t.t, i);
      if (std > 0) await run.lcNoise(cur, [[cx, cur], [c0, x0]], std, { from: s.t, to: t.t });
      else await run.lc(cur, [[cx, cur], [c0, x0]]);
      await run.endStep(i, cur, x0);
    }
    if (denoiseToZero) {
      const end = pts[steps]!;
      await run.denoise(cur, end, x0);
      await run.lc(cur, [[1, x0]]);
      await run.endStep(steps, cur, x0, { t: end.t, tNext: 0 });
    }
    return run.finish(cur, pts[steps]!.t);
  });
}
