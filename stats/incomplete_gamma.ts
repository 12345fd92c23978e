/**
 * The log-gamma and regularized incomplete gamma functions, for the χ² test
 * and other statistics. They live in `kernels/incomplete_gamma.ts`, where the
 * processes can use them too; this module re-exports them.
 *
 * @module
 */

export { logGamma, regularizedGammaP, regularizedGammaQ } from "../kernels/incomplete_gamma.ts";
