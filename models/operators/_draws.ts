// Where the measurement operators' keyed draws sit in the Philox counter space (private). All use
// the purpose `measurement` (no guidance method draws with it), each consumer at its own step
// word, so the three never share a draw with each other or with a guidance run on the same key.
import { PHILOX_PURPOSES } from "../../kernels/purposes.ts";

/** The purpose word of every draw here. */
export const OPERATOR_PURPOSE: number = PHILOX_PURPOSES.measurement;
/** randomPixelMask: one uniform per pixel, element = pixel index. */
export const MASK_STEP = 0xfffffff0;
/** gaussianProjection: one normal per entry, element = i·inDim + j. */
export const PROJECTION_STEP = 0xfffffff1;
/** sampleMeasurement: element = (pathOffset + row)·d_y + j (Poisson: c0 = element, c1 = draw). */
export const MEASUREMENT_STEP = 0xfffffff2;
