// The one adapter over npm:ndarray (strided views: crops with lo/hi, strides with step,
// transposes) and npm:ndarray-ops (elementwise work on views), pinned to exact versions. The
// image-shaped float64 work of the measurement operators (average pooling and its transpose, the
// 1-D passes of a separable blur and their transposes, crops and transposes of image batches)
// goes through here on the cpu backend; the webgpu backend runs the same maps as WGSL kernels
// (kernels/operators_sparse.wgsl). Neither package ships types, so the small part used is typed
// here. A mask's gather of arbitrary pixels is not a strided view and is done by index in
// models/operators/_sparse.ts.
import ndarrayUntyped from "npm:ndarray@1.1.1";
import opsUntyped from "npm:ndarray-ops@1.2.2";

/** A strided view over a Float64Array (the subset of npm:ndarray's API used here). */
export interface NdView {
  readonly data: Float64Array;
  readonly shape: number[];
  readonly stride: number[];
  readonly offset: number;
  /** The view starting at the given indices (null keeps an axis). */
  lo(...i: (number | null)[]): NdView;
  /** The view ending before the given indices (null keeps an axis). */
  hi(...i: (number | null)[]): NdView;
  /** Every k-th element along each axis (null keeps an axis). */
  step(...k: (number | null)[]): NdView;
  /** The axes permuted. */
  transpose(...axes: number[]): NdView;
  /** Element access. */
  get(...i: number[]): number;
}

interface NdOps {
  assign(out: NdView, a: NdView): void;
  assigns(out: NdView, s: number): void;
  addeq(out: NdView, a: NdView): void;
  muls(out: NdView, a: NdView, s: number): void;
  mulseq(out: NdView, s: number): void;
}

const ndarray = ndarrayUntyped as unknown as (
  data: Float64Array,
  shape: number[],
  stride?: number[],
  offset?: number,
) => NdView;
const ops = opsUntyped as unknown as NdOps;

/** A row-major view of `data` with the given shape (strides and offset optional). */
export function view(data: Float64Array, shape: number[], stride?: number[], offset = 0): NdView {
  return stride === undefined ? ndarray(data, shape) : ndarray(data, shape, stride, offset);
}

/** Copies `a` into `out` (same shape; either may be strided). */
export function assign(out: NdView, a: NdView): void {
  ops.assign(out, a);
}

/**
 * k × k average pooling of `planes` images of h × w (h, w multiples of k), row-major:
 * out[p, i, j] = (1/k²) Σ_{a,b < k} x[p, k i + a, k j + b] (the refs' avgpool, §3).
 */
export function avgPool(
  x: Float64Array,
  out: Float64Array,
  planes: number,
  h: number,
  w: number,
  k: number,
): void {
  const xv = view(x, [planes, h, w]);
  const yv = view(out, [planes, h / k, w / k]);
  ops.assigns(yv, 0);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) ops.addeq(yv, xv.lo(null, a, b).step(1, k, k));
  }
  ops.mulseq(yv, 1 / (k * k));
}

/**
 * The transpose of {@linkcode avgPool}: out[p, k i + a, k j + b] = scale · y[p, i, j], with
 * scale = 1/k² (scale = 1 gives the pseudo-inverse, nearest-neighbour upsampling).
 */
export function avgPoolTranspose(
  y: Float64Array,
  out: Float64Array,
  planes: number,
  h: number,
  w: number,
  k: number,
  scale: number = 1 / (k * k),
): void {
  const xv = view(out, [planes, h, w]);
  const yv = view(y, [planes, h / k, w / k]);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) ops.muls(xv.lo(null, a, b).step(1, k, k), yv, scale);
  }
}

/**
 * One pass of a 1-D correlation with zero padding along `axis` (1 or 2) of `planes × h × w`:
 * out[…, i, …] = Σ_t taps[t] · x[…, i + t − R, …] over the in-range terms, R = (taps − 1)/2,
 * summed in increasing t. `scratch` has the size of x; `out` must not alias `x`.
 */
export function correlate1d(
  x: Float64Array,
  out: Float64Array,
  scratch: Float64Array,
  shape: [number, number, number],
  axis: 1 | 2,
  taps: Float64Array,
): void {
  const xv = view(x, shape), ov = view(out, shape), sv = view(scratch, shape);
  ops.assigns(ov, 0);
  const n = shape[axis], r = (taps.length - 1) / 2;
  const cut = (v: NdView, from: number, to: number) =>
    axis === 1 ? v.lo(null, from, null).hi(null, to - from, null) : v.lo(null, null, from).hi(
      null,
      null,
      to - from,
    );
  for (let t = 0; t < taps.length; t++) {
    const shift = t - r;
    const lo = Math.max(0, -shift), hi = Math.min(n, n - shift);
    if (hi <= lo) continue;
    const part = cut(sv, lo, hi);
    ops.muls(part, cut(xv, lo + shift, hi + shift), taps[t]!);
    ops.addeq(cut(ov, lo, hi), part);
  }
}
