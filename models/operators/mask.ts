/**
 * Inpainting masks as measurement operators: `y = x[observed]`, the pixels a
 * mask keeps, in increasing index order (RePaint, Lugmayr et al. 2022,
 * arXiv:2201.09865; the `inpaint_box` operator of ../shared/refs/inverse §3).
 *
 * A mask is a selection matrix, so its SVD is exact and free: every singular
 * value is 1, `U = I`, and `V` is the permutation that lists the observed
 * pixels first and the unobserved ones after (both in increasing order), so
 * `Vᵀx = [x[observed]; x[unobserved]]`. The pseudo-inverse is the transpose,
 * a scatter that leaves unobserved pixels at zero.
 *
 * @module
 */

import type { DeviceArray } from "../../kernels/backend.ts";
import { checkInteger, quote, SdenoRangeError, SdenoTypeError } from "../../kernels/errors.ts";
import { fillUniform, type Key } from "../../kernels/philox.ts";
import { MASK_STEP, OPERATOR_PURPOSE } from "./_draws.ts";
import type { LinearOperator, MeasurementOperator, OperatorSvd } from "./operator.ts";
import { applySparse, type SparseRows, sparseTranspose } from "./_sparse.ts";

/** A mask operator: a {@linkcode LinearOperator} that observes the pixels where `mask` is 1. */
export interface MaskOperator extends LinearOperator {
  /** Always `"mask"`. */
  readonly kind: "mask";
  /** 1 where the pixel is observed, 0 where it is missing; length inDim. */
  readonly mask: Uint8Array;
  /** The observed pixel indices, increasing (length outDim). */
  readonly observed: Uint32Array;
  /** The image shape, when one was given (`[H, W]` or `[C, H, W]`). */
  readonly shape?: readonly number[];
  /** The exact SVD: s = 1, U = I, V the permutation to [observed; unobserved]. */
  readonly svd: OperatorSvd;
  /** The pseudo-inverse: scatter the observations, zero elsewhere. */
  pseudoInverse(y: DeviceArray, out: DeviceArray): Promise<void>;
}

/** Options of {@linkcode maskOperator}. */
export interface MaskOptions {
  /** The image shape (`[H, W]` or `[C, H, W]`), whose product must be the mask's length. */
  shape?: readonly number[];
  /** Name for messages (default `"mask <kept>/<total>"`). */
  name?: string;
}

/**
 * Whether an operator is a mask (narrows the type).
 *
 * @param op the operator
 * @returns true for a {@linkcode MaskOperator}
 *
 * @example
 * ```ts
 * import { isMaskOperator, maskOperator } from "./mask.ts";
 * import { denseOperator } from "./dense.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isMaskOperator(maskOperator([true, false])));
 * assert.ok(!isMaskOperator(denseOperator([[1, 0]])));
 * ```
 */
export function isMaskOperator(op: MeasurementOperator): op is MaskOperator {
  const m = op as Partial<MaskOperator>;
  return op.linear === true && m.kind === "mask" && m.mask instanceof Uint8Array;
}

/**
 * The operator that observes the pixels where `mask` is true (or 1).
 *
 * @param mask one flag per pixel (row-major `p = r·W + c`, channel-major for several channels)
 * @param options the image shape and a name
 * @returns the operator
 * @throws {SdenoTypeError} when the mask is not an array of booleans or 0/1 values
 * @throws {SdenoRangeError} when it keeps no pixel, or disagrees with `shape`
 *
 * @example Observe pixels 0 and 2 of three; the pseudo-inverse scatters back
 * ```ts
 * import { maskOperator } from "./mask.ts";
 * import { CpuBackend } from "../../kernels/mod.ts";
 * import assert from "node:assert/strict";
 * const b = new CpuBackend();
 * const a = maskOperator([true, false, true]);
 * const y = b.zeros(2), back = b.zeros(3);
 * await a.apply(b.upload([4, 5, 6]), y);
 * assert.deepEqual([...await b.download(y)], [4, 6]);
 * await a.pseudoInverse(y, back);
 * assert.deepEqual([...await b.download(back)], [4, 0, 6]);
 * ```
 */
export function maskOperator(
  mask: readonly boolean[] | readonly number[] | Uint8Array,
  options: MaskOptions = {},
): MaskOperator {
  const what = "maskOperator";
  if (!(mask instanceof Uint8Array) && !Array.isArray(mask)) {
    throw new SdenoTypeError(
      `${what}: mask must be an array of booleans or a Uint8Array, got ${quote(mask)}`,
    );
  }
  const flags = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    const v: unknown = mask[i];
    if (v === true || v === 1) flags[i] = 1;
    else if (v !== false && v !== 0) {
      throw new SdenoTypeError(`${what}: mask[${i}] must be true/false or 1/0, got ${quote(v)}`);
    }
  }
  const shape = options.shape;
  if (shape !== undefined) {
    if (
      !Array.isArray(shape) || shape.length < 2 || shape.length > 3 ||
      !shape.every((s) => Number.isInteger(s) && s > 0)
    ) {
      throw new SdenoTypeError(
        `${what}: shape must be [H, W] or [C, H, W] of positive integers, got ${quote(shape)}`,
      );
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== flags.length) {
      throw new SdenoRangeError(
        `${what}: shape ${quote(shape)} holds ${size} pixels but the mask has ${
          quote(flags.length)
        }`,
      );
    }
  }
  const observed: number[] = [], missing: number[] = [];
  flags.forEach((f, i) => (f ? observed : missing).push(i));
  if (observed.length === 0) {
    throw new SdenoRangeError(
      `${what}: the mask must keep at least one pixel, got none of ${quote(flags.length)}`,
    );
  }
  const d = flags.length, m = observed.length;
  const name = options.name ?? `mask ${m}/${d}`;
  const ones = (n: number) => new Float64Array(n).fill(1);
  const seq = (n: number) => Uint32Array.from({ length: n + 1 }, (_, i) => i);
  // A: y_i = x[observed_i]
  const gather: SparseRows = {
    inDim: d,
    outDim: m,
    ptr: seq(m),
    idx: Uint32Array.from(observed),
    val: ones(m),
  };
  const scatter = sparseTranspose(gather);
  // Vᵀ: c = [x[observed]; x[missing]]; V its transpose.
  const order = Uint32Array.from([...observed, ...missing]);
  const vt: SparseRows = { inDim: d, outDim: d, ptr: seq(d), idx: order, val: ones(d) };
  const v = sparseTranspose(vt);
  const identity: SparseRows = { inDim: m, outDim: m, ptr: seq(m), idx: seq(m - 1), val: ones(m) };
  const svd: OperatorSvd = {
    singularValues: ones(m),
    applyVt: (x, out) => applySparse(`${name}: Vᵀx`, vt, x, out),
    applyV: (c, out) => applySparse(`${name}: Vc`, v, c, out),
    applyUt: (y, out) => applySparse(`${name}: Uᵀy`, identity, y, out),
    applyU: (c, out) => applySparse(`${name}: Uc`, identity, c, out),
  };
  const op: MaskOperator = {
    name,
    kind: "mask",
    inDim: d,
    outDim: m,
    linear: true,
    mask: flags,
    observed: Uint32Array.from(observed),
    svd,
    apply: (x, out) => applySparse(`${name}: apply`, gather, x, out),
    vjp: (_x, w, out) => applySparse(`${name}: vjp`, scatter, w, out),
    applyTranspose: (w, out) => applySparse(`${name}: Aᵀv`, scatter, w, out),
    pseudoInverse: (y, out) => applySparse(`${name}: A⁺y`, scatter, y, out),
  };
  if (shape !== undefined) return { ...op, shape: Object.freeze([...shape]) };
  return op;
}

/** Options of {@linkcode boxMask}. */
export interface BoxMaskOptions {
  /** The missing rows `[from, to)` (default the refs' central box `[⌊H/4⌋, ⌊3H/4⌋)`). */
  rows?: readonly [number, number];
  /** The missing columns `[from, to)` (default `[⌊W/4⌋, ⌊3W/4⌋)`). */
  cols?: readonly [number, number];
  /** Channels C ≥ 1 (default 1): the same box is missing in each, layout `[C, H, W]`. */
  channels?: number;
}

/**
 * Box inpainting on an H × W image: every pixel is observed except the box
 * `rows × cols` (the refs' `inpaint_box`: the central box
 * `[H/4, 3H/4) × [W/4, 3W/4)`, 48 of 64 pixels kept at 8 × 8).
 *
 * @param height H
 * @param width W
 * @param options the missing box and the channels
 * @returns the mask operator
 * @throws {SdenoRangeError} when a size is not a positive integer or the box is outside the image or empty of kept pixels
 *
 * @example The refs' 8 × 8 box keeps 48 pixels
 * ```ts
 * import { boxMask } from "./mask.ts";
 * import assert from "node:assert/strict";
 * const a = boxMask(8, 8);
 * assert.equal(a.outDim, 48);
 * assert.equal(a.mask[2 * 8 + 2], 0);
 * assert.equal(a.mask[2 * 8 + 1], 1);
 * ```
 */
export function boxMask(height: number, width: number, options: BoxMaskOptions = {}): MaskOperator {
  const what = "boxMask";
  checkInteger(what, "height", height, 1);
  checkInteger(what, "width", width, 1);
  const channels = options.channels ?? 1;
  checkInteger(what, "channels", channels, 1);
  const rows = checkRange(what, "rows", options.rows, height);
  const cols = checkRange(what, "cols", options.cols, width);
  const hw = height * width;
  const mask = new Uint8Array(channels * hw).fill(1);
  for (let c = 0; c < channels; c++) {
    for (let r = rows[0]; r < rows[1]; r++) {
      for (let q = cols[0]; q < cols[1]; q++) mask[c * hw + r * width + q] = 0;
    }
  }
  const shape = channels === 1 ? [height, width] : [channels, height, width];
  return maskOperator(mask, { shape, name: `inpaint-box ${height}×${width}` });
}

function checkRange(
  what: string,
  name: string,
  range: readonly [number, number] | undefined,
  size: number,
): [number, number] {
  if (range === undefined) return [Math.floor(size / 4), Math.floor((3 * size) / 4)];
  if (
    !Array.isArray(range) || range.length !== 2 || !range.every(Number.isInteger) ||
    range[0] < 0 || range[1] > size || range[0] > range[1]
  ) {
    throw new SdenoRangeError(
      `${what}: ${name} must be [from, to) with 0 ≤ from ≤ to ≤ ${size}, got ${quote(range)}`,
    );
  }
  return [range[0], range[1]];
}

/**
 * A random-pixel mask on an H × W image that keeps exactly
 * `round(fraction·H·W)` pixels: those with the smallest keyed uniforms
 * (Philox, purpose `measurement`, step 2³² − 16, element = pixel index), so the
 * mask depends only on the key.
 *
 * @param height H
 * @param width W
 * @param fraction the fraction of pixels observed, in (0, 1]
 * @param key the Philox key
 * @param options the channels (the same pixels are kept in each)
 * @returns the mask operator
 * @throws {SdenoRangeError} when a size is not a positive integer or the fraction keeps no pixel
 *
 * @example Keep a quarter of a 4 × 4 image
 * ```ts
 * import { randomPixelMask } from "./mask.ts";
 * import assert from "node:assert/strict";
 * const a = randomPixelMask(4, 4, 0.25, { seed: 1, stream: 0 });
 * assert.equal(a.outDim, 4);
 * assert.deepEqual(a.mask, randomPixelMask(4, 4, 0.25, { seed: 1, stream: 0 }).mask);
 * ```
 */
export function randomPixelMask(
  height: number,
  width: number,
  fraction: number,
  key: Key,
  options: { channels?: number } = {},
): MaskOperator {
  const what = "randomPixelMask";
  checkInteger(what, "height", height, 1);
  checkInteger(what, "width", width, 1);
  const channels = options.channels ?? 1;
  checkInteger(what, "channels", channels, 1);
  const hw = height * width;
  if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) {
    throw new SdenoRangeError(`${what}: fraction must be in (0, 1], got ${quote(fraction)}`);
  }
  const keep = Math.round(fraction * hw);
  if (keep < 1) {
    throw new SdenoRangeError(
      `${what}: fraction ${quote(fraction)} of ${hw} pixels keeps none; expected at least one`,
    );
  }
  const u = new Float64Array(hw);
  fillUniform(u, key, { step: MASK_STEP, purpose: OPERATOR_PURPOSE });
  const order = Array.from({ length: hw }, (_, i) => i).sort((a, b) => u[a]! - u[b]! || a - b);
  const mask = new Uint8Array(channels * hw);
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < keep; k++) mask[c * hw + order[k]!] = 1;
  }
  const shape = channels === 1 ? [height, width] : [channels, height, width];
  return maskOperator(mask, { shape, name: `inpaint-random ${keep}/${hw}` });
}
