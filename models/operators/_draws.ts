// Where the measurement operators' keyed draws sit in the Philox counter space (private). All use
// the purpose guidanceAux with step words at the top of the 32-bit range, so a problem built with
// the same key as a guidance run (whose guidanceAux draws use the reverse-step index as the step
// word) never shares a draw with it, and the three consumers never share one with each other.
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** The purpose word of every draw here. */
export const OPERATOR_PURPOSE: number = PHILOX_PURPOSES.guidanceAux;
/** randomPixelMask: one uniform per pixel, element = pixel index. */
export const MASK_STEP = 0xfffffff0;
/** gaussianProjection: one normal per entry, element = i·inDim + j. */
export const PROJECTION_STEP = 0xfffffff1;
/** sampleMeasurement: element = (pathOffset + row)·d_y + j (Poisson: c0 = element, c1 = draw). */
export const MEASUREMENT_STEP = 0xfffffff2;
