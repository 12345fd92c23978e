// The ensemble twin of a solver that declares its own step: the solveSde
// stepper itself, fed with the grid noise of the ensemble batch (ΔW = √dt·ξ
// and, with two streams, ΔZ = dt^{3/2}(ξ/2 + η/(2√3)), as brownian_grid.ts),
// so the method is written once for both. Only for steppers without state
// across steps (each batch of the twin is its own run of steps).
import type { EnsembleBatch, EnsembleModel, EnsembleStep } from "../../kernels/sde_ensemble.ts";
import type { Sde } from "../../processes/sde.ts";
import type { SdeSolver, SdeStepArgs, SdeStepper } from "./solver_info.ts";

const INV_2SQRT3 = 1 / (2 * Math.sqrt(3));

/** The state of one run of the twin. */
interface Work {
  stepper: SdeStepper;
  args: SdeStepArgs;
  dW: Float64Array;
  dZ: Float64Array | undefined;
  d: number;
  m: number;
  zs: number;
  sqrtDt: number;
  hs: number;
}

/** The twin's step: one function for every run (the run's state is `batch.work`). */
function step(t: number, b: EnsembleBatch): boolean {
  const { stepper, args, dW, dZ, d, m, zs, sqrtDt, hs } = b.work as Work;
  const { z, zo, n } = b;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const xi = z[zo + i * zs + k]!;
      dW[i * m + k] = sqrtDt * xi;
      if (dZ) dZ[i * m + k] = hs * (0.5 * xi + INV_2SQRT3 * z[zo + i * zs + m + k]!);
    }
  }
  args.t = t;
  args.n = n;
  args.x = b.x;
  args.out = b.out;
  stepper(args);
  const out = b.out;
  let finite = true;
  for (let e = 0; e < n * d; e++) if (out[e]! - out[e]! !== 0) finite = false;
  return finite;
}

/** The twin of `makeStepper` for a model, one or two noise streams. */
export function stepperTwin(
  makeStepper: SdeSolver["makeStepper"],
  options: { model: EnsembleModel; streams: 1 | 2 },
): EnsembleStep["twin"] {
  const { model, streams } = options;
  return ({ batch, dt }) => {
    const d = model.dim, m = model.noiseDim;
    const stepper = makeStepper(model as unknown as Sde, {
      paths: batch,
      x0: new Float64Array(batch * d),
    });
    const dW = new Float64Array(batch * m);
    const dZ = streams === 2 ? new Float64Array(batch * m) : undefined;
    const args: SdeStepArgs = {
      t: 0,
      h: dt,
      n: batch,
      x: dW,
      out: dW,
      inc: { dW, dZ },
      err: undefined,
    };
    const sqrtDt = Math.sqrt(dt);
    const work: Work = { stepper, args, dW, dZ, d, m, zs: streams * m, sqrtDt, hs: dt * sqrtDt };
    return { step, work };
  };
}
