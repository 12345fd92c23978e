// The error estimate of the adaptive DPM-Solvers: e = (x_high − x_low)/δ elementwise with
// δ = max(atol, rtol·max(|x_low|, |x_prev|)), reduced either over the whole batch (k-diffusion's
// dpm_adaptive: ‖e‖₂/√numel) or per sample (DPM-Solver's method='adaptive': max over rows of the
// row RMS). One map pass and one read-back per attempted step.
import type { DeviceArray } from "../../kernels/mod.ts";
import { CpuArray, defineMap } from "../../kernels/mod.ts";

const SCALED_ERROR = defineMap({
  name: "sd_adaptive_scaled_error",
  arity: 3,
  wgsl: "let e = (x1 - x0) / max(params[0], params[1] * max(abs(x0), abs(x2))); return e * e;",
  cpu: (xl, xh, xp, _x3, p) => {
    const e = (xh - xl) / Math.max(p[0]!, p[1]! * Math.max(Math.abs(xl), Math.abs(xp)));
    return e * e;
  },
});

/** The squared scaled errors into `out`, then the requested reduction. */
export async function adaptiveError(
  xs: { low: DeviceArray; high: DeviceArray; prev: DeviceArray; out: DeviceArray },
  tol: { atol: number; rtol: number },
  reduce: { kind: "batch" } | { kind: "rows"; dim: number },
): Promise<number> {
  const backend = xs.out.backend;
  await backend.map(SCALED_ERROR, xs.out, [xs.low, xs.high, xs.prev], [tol.atol, tol.rtol]);
  const n = xs.out.length;
  if (reduce.kind === "batch") {
    if (xs.out instanceof CpuArray) {
      let s = 0;
      for (let i = 0; i < n; i++) s += xs.out.data[i]!;
      return Math.sqrt(s / n);
    }
    const st = await backend.columnStats(xs.out, 1);
    return Math.sqrt(st.sum[0]! / n);
  }
  const data = xs.out instanceof CpuArray ? xs.out.data : await backend.download(xs.out);
  const d = reduce.dim;
  let worst = 0;
  for (let row = 0; row < n; row += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[row + j]!;
    worst = Math.max(worst, Math.sqrt(s / d));
  }
  return worst;
}
