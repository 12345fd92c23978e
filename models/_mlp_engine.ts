// The MLP's forward and backward passes on a Backend (private to models/mlp.ts and the
// training loop): every product is Backend.matmul, every activation a map kernel, so the same
// code runs in float64 on the cpu backend and in f32 on webgpu.
//
// Layer 0 takes the scaled point x (n×d) and the conditioning features c (time features and a
// one-hot class, Q per point): z₀ = x W₀ + c W_c + b₀. A feature vector shared by the whole
// batch is folded into the bias (b₀ + c W_c, one 1×Q by Q×H product), so sampling at one time
// with one label costs no per-point conditioning work; per-point features go through one more
// product. Hidden layers: hₗ = SiLU(zₗ), zₗ = hₗ₋₁ Wₗ + bₗ (Elfwing, Uchibe & Doya 2018;
// Hendrycks & Gimpel 2016); output F = h_{L−1} W_out + b_out.
//
// Backward (reverse-mode, per layer): dzₗ = dhₗ ⊙ SiLU'(zₗ), dWₗ = hₗ₋₁ᵀ dzₗ, dbₗ = 1ᵀ dzₗ,
// dhₗ₋₁ = dzₗ Wₗᵀ; for the conditioning, dW_c = sᵀ(1ᵀ dz₀) + Rᵀ dz₀ (s the shared row, R the
// per-point rows).

import type { Backend, DeviceArray } from "../kernels/backend.ts";
import { defineMap } from "../kernels/map.ts";

/** Where each tensor of the flat parameter vector starts. */
export interface _MlpLayout {
  /** Data dimension d. */
  dim: number;
  /** Hidden widths H₀ … H_{L−1}. */
  hidden: readonly number[];
  /** Conditioning features per point, Q. */
  cond: number;
  /** W₀ (d×H₀), W_c (Q×H₀), b₀ (H₀). */
  w0: number;
  wc: number;
  b0: number;
  /** Wₗ (H_{l−1}×Hₗ) and bₗ for l = 1 … L−1 (index 0 unused). */
  w: number[];
  b: number[];
  /** W_out (H_{L−1}×d), b_out (d). */
  wOut: number;
  bOut: number;
  /** Total parameter count. */
  size: number;
}

export function _mlpLayout(dim: number, hidden: readonly number[], cond: number): _MlpLayout {
  let at = 0;
  const take = (n: number) => {
    const start = at;
    at += n;
    return start;
  };
  const h0 = hidden[0]!;
  const w0 = take(dim * h0), wc = take(cond * h0), b0 = take(h0);
  const w = [0], b = [0];
  for (let l = 1; l < hidden.length; l++) {
    w.push(take(hidden[l - 1]! * hidden[l]!));
    b.push(take(hidden[l]!));
  }
  const last = hidden[hidden.length - 1]!;
  const wOut = take(last * dim), bOut = take(dim);
  return { dim, hidden, cond, w0, wc, b0, w, b, wOut, bOut, size: at };
}

/** SiLU(z) = z·σ(z), σ the logistic function. */
export const _SILU = defineMap({
  name: "mlp_silu",
  arity: 1,
  wgsl: "return x0 / (1.0 + exp(-x0));",
  cpu: (z) => z / (1 + Math.exp(-z)),
});

/** dz = dh·SiLU'(z), SiLU'(z) = σ(z)(1 + z(1 − σ(z))). */
export const _SILU_GRAD = defineMap({
  name: "mlp_silu_grad",
  arity: 2,
  wgsl: "let s = 1.0 / (1.0 + exp(-x1));\nreturn x0 * s * (1.0 + x1 * (1.0 - s));",
  cpu: (dh, z) => {
    const s = 1 / (1 + Math.exp(-z));
    return dh * s * (1 + z * (1 - s));
  },
});

/** Conditioning of one pass: a row shared by the batch, and optional per-point rows. */
export interface _MlpCond {
  /** Q features added to every point (host). */
  shared: ArrayLike<number>;
  /** Per-point features (n × `width`, host), multiplying rows `first … first+width−1` of W_c. */
  rows?: { data: ArrayLike<number>; first: number; width: number } | undefined;
}

interface Workspace {
  n: number;
  z: DeviceArray[];
  h: DeviceArray[];
  dz: DeviceArray[];
  dh: DeviceArray[];
  ones: DeviceArray;
  rows: Map<number, DeviceArray>;
}

/** Forward and backward passes of one network on one backend, with its workspace. */
export class _MlpEngine {
  readonly backend: Backend;
  readonly layout: _MlpLayout;
  /** The parameters on the backend (flat, in layout order). */
  readonly params: DeviceArray;
  #shared: DeviceArray;
  #bias0: DeviceArray;
  #db0: DeviceArray;
  #ws: Workspace | undefined;
  #rowsUsed: { array: DeviceArray; first: number; width: number } | undefined;
  #input: DeviceArray | undefined;
  #n = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(backend: Backend, layout: _MlpLayout, params: ArrayLike<number>) {
    this.backend = backend;
    this.layout = layout;
    this.params = backend.upload(params);
    this.#shared = backend.zeros(layout.cond);
    this.#bias0 = backend.zeros(layout.hidden[0]!);
    this.#db0 = backend.zeros(layout.hidden[0]!);
  }

  /** Runs `job` after every job queued before it (one pass at a time uses the workspace). */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #workspace(n: number): Workspace {
    if (this.#ws && this.#ws.n === n) return this.#ws;
    this.#releaseWorkspace();
    const b = this.backend;
    const make = () => this.layout.hidden.map((h) => b.zeros(n * h));
    const ones = b.upload(new Float64Array(n).fill(1));
    this.#ws = { n, z: make(), h: make(), dz: make(), dh: make(), ones, rows: new Map() };
    return this.#ws;
  }

  #releaseWorkspace(): void {
    const ws = this.#ws;
    if (!ws) return;
    const b = this.backend;
    for (const a of [...ws.z, ...ws.h, ...ws.dz, ...ws.dh, ws.ones, ...ws.rows.values()]) {
      b.release(a);
    }
    this.#ws = undefined;
  }

  /**
   * F = network(x, c) for n = x.length/d points into `out` (n×d); keeps the activations
   * for {@linkcode _MlpEngine.backward}.
   */
  async forward(x: DeviceArray, cond: _MlpCond, out: DeviceArray): Promise<void> {
    const b = this.backend, L = this.layout, H = L.hidden;
    const n = x.length / L.dim;
    const ws = this.#workspace(n);
    await b.write(this.#shared, cond.shared);
    // b₀ + s W_c, one row
    await b.matmul(this.#bias0, {
      a: this.#shared,
      b: this.params,
      bOffset: L.wc,
      m: 1,
      k: L.cond,
      n: H[0]!,
      bias: this.params,
      biasOffset: L.b0,
    });
    await b.matmul(ws.z[0]!, {
      a: x,
      b: this.params,
      bOffset: L.w0,
      m: n,
      k: L.dim,
      n: H[0]!,
      bias: this.#bias0,
    });
    this.#rowsUsed = undefined;
    if (cond.rows && cond.rows.width > 0) {
      const { data, first, width } = cond.rows;
      let arr = ws.rows.get(width);
      if (!arr) ws.rows.set(width, arr = b.zeros(n * width));
      await b.write(arr, data);
      await b.matmul(ws.z[0]!, {
        a: arr,
        b: this.params,
        bOffset: L.wc + first * H[0]!,
        m: n,
        k: width,
        n: H[0]!,
        accumulate: true,
      });
      this.#rowsUsed = { array: arr, first, width };
    }
    await b.map(_SILU, ws.h[0]!, [ws.z[0]!]);
    for (let l = 1; l < H.length; l++) {
      await b.matmul(ws.z[l]!, {
        a: ws.h[l - 1]!,
        b: this.params,
        bOffset: L.w[l]!,
        m: n,
        k: H[l - 1]!,
        n: H[l]!,
        bias: this.params,
        biasOffset: L.b[l]!,
      });
      await b.map(_SILU, ws.h[l]!, [ws.z[l]!]);
    }
    await b.matmul(out, {
      a: ws.h[H.length - 1]!,
      b: this.params,
      bOffset: L.wOut,
      m: n,
      k: H[H.length - 1]!,
      n: L.dim,
      bias: this.params,
      biasOffset: L.bOut,
    });
    this.#input = x;
    this.#n = n;
  }

  /**
   * Back-propagates `dOut` (n×d, the cotangent of F) through the last forward pass: the
   * parameter gradient into `grads` (overwritten), the input gradient into `dx`.
   */
  async backward(
    dOut: DeviceArray,
    targets: { grads?: DeviceArray | undefined; dx?: DeviceArray | undefined },
  ): Promise<void> {
    const b = this.backend, L = this.layout, H = L.hidden, n = this.#n;
    const ws = this.#ws!;
    const g = targets.grads;
    const last = H.length - 1;
    if (g) {
      await b.matmul(g, {
        a: ws.h[last]!,
        b: dOut,
        transA: true,
        m: H[last]!,
        k: n,
        n: L.dim,
        outOffset: L.wOut,
      });
      await b.matmul(g, {
        a: ws.ones,
        b: dOut,
        transA: true,
        m: 1,
        k: n,
        n: L.dim,
        outOffset: L.bOut,
      });
    }
    await b.matmul(ws.dh[last]!, {
      a: dOut,
      b: this.params,
      bOffset: L.wOut,
      transB: true,
      m: n,
      k: L.dim,
      n: H[last]!,
    });
    for (let l = last; l >= 0; l--) {
      await b.map(_SILU_GRAD, ws.dz[l]!, [ws.dh[l]!, ws.z[l]!]);
      const dz = ws.dz[l]!;
      if (g) {
        const input = l === 0 ? this.#input! : ws.h[l - 1]!;
        const kIn = l === 0 ? L.dim : H[l - 1]!;
        await b.matmul(g, {
          a: input,
          b: dz,
          transA: true,
          m: kIn,
          k: n,
          n: H[l]!,
          outOffset: l === 0 ? L.w0 : L.w[l]!,
        });
        await b.matmul(g, {
          a: ws.ones,
          b: dz,
          transA: true,
          m: 1,
          k: n,
          n: H[l]!,
          outOffset: l === 0 ? L.b0 : L.b[l]!,
        });
        if (l === 0) {
          // dW_c = sᵀ (1ᵀ dz₀) + Rᵀ dz₀
          await b.matmul(this.#db0, { a: ws.ones, b: dz, transA: true, m: 1, k: n, n: H[0]! });
          await b.matmul(g, {
            a: this.#shared,
            b: this.#db0,
            m: L.cond,
            k: 1,
            n: H[0]!,
            outOffset: L.wc,
          });
          const r = this.#rowsUsed;
          if (r) {
            await b.matmul(g, {
              a: r.array,
              b: dz,
              transA: true,
              m: r.width,
              k: n,
              n: H[0]!,
              outOffset: L.wc + r.first * H[0]!,
              accumulate: true,
            });
          }
        }
      }
      if (l > 0) {
        await b.matmul(ws.dh[l - 1]!, {
          a: dz,
          b: this.params,
          bOffset: L.w[l]!,
          transB: true,
          m: n,
          k: H[l]!,
          n: H[l - 1]!,
        });
      } else if (targets.dx) {
        await b.matmul(targets.dx, {
          a: dz,
          b: this.params,
          bOffset: L.w0,
          transB: true,
          m: n,
          k: H[0]!,
          n: L.dim,
        });
      }
    }
  }

  /** Returns every array this engine holds to the backend. */
  release(): void {
    this.#releaseWorkspace();
    for (const a of [this.params, this.#shared, this.#bias0, this.#db0]) this.backend.release(a);
  }
}
