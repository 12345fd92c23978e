// Keyed draws for the Bayesian MJP estimators (private): a sequential
// stream of Philox uniforms and normals, and Gamma, Dirichlet and Poisson
// variates built on it.
//
// Stream (c0, purpose, c3) under key (seed, stream): uniform k is lane k & 3
// of the Philox block with counter (c0, k >> 2, purpose, c3), mapped to
// (w + 0.5)·2⁻³² in (0, 1). The Gibbs samplers use key (seed, chain),
// c0 = iteration and c3 = path (or 0), so every draw is a pure function of
// (seed, chain, iteration, path, purpose, k) and does not depend on how
// chains or paths are batched. Normals are Box–Muller pairs on two
// consecutive uniforms, both outputs used.
import type { Key } from "../../kernels/philox.ts";
import { philoxBlock } from "../../kernels/_philox_block.ts";
import { _poisson } from "../ctmc/_poisson.ts";

const INV_2_32 = 1 / 4294967296;

/** Sequential uniforms, normals, Gamma and Poisson draws of one keyed stream. */
export class _DrawStream {
  readonly #key: Key;
  readonly #purpose: number;
  #c0 = 0;
  #c3 = 0;
  #step = 0;
  #lane = 4;
  #words = new Uint32Array(4);
  #spare = NaN;

  constructor(key: Key, purpose: number) {
    this.#key = key;
    this.#purpose = purpose >>> 0;
  }

  /** Starts the stream of counter words (c0, ·, purpose, c3) from its first draw. */
  reset(c0: number, c3 = 0): this {
    this.#c0 = c0 >>> 0;
    this.#c3 = c3 >>> 0;
    this.#step = 0;
    this.#lane = 4;
    this.#spare = NaN;
    return this;
  }

  /** The next uniform in (0, 1). */
  uniform(): number {
    if (this.#lane === 4) {
      philoxBlock(
        this.#c0,
        this.#step >>> 0,
        this.#purpose,
        this.#c3,
        this.#key.seed,
        this.#key.stream,
        this.#words,
      );
      this.#step++;
      this.#lane = 0;
    }
    return (this.#words[this.#lane++]! + 0.5) * INV_2_32;
  }

  /** The next standard normal (Box & Muller 1958; the pair's second value is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const z = this.#spare;
      this.#spare = NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * A Gamma(shape, 1) draw by Marsaglia & Tsang, "A simple method for
   * generating gamma variables", ACM TOMS 26 (2000) 363–372: for a ≥ 1,
   * d = a − 1/3, c = 1/√(9d), accept v = (1 + c z)³ when
   * ln u < z²/2 + d − d v + d ln v; for a < 1 the draw for a + 1 times
   * u^{1/a} (their §6). Divide by a rate β for Gamma(a, β).
   */
  gamma(shape: number): number {
    if (shape < 1) {
      const g = this.gamma(shape + 1);
      return g * Math.exp(Math.log(this.uniform()) / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let z: number, v: number;
      do {
        z = this.normal();
        v = 1 + c * z;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      const z2 = z * z;
      if (u < 1 - 0.0331 * z2 * z2) return d * v; // squeeze (their eq. 3)
      if (Math.log(u) < 0.5 * z2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A Dirichlet(alpha) draw: normalised independent Gamma(alpha_i, 1) draws. */
  dirichlet(alpha: ArrayLike<number>, out: Float64Array): Float64Array {
    let total = 0;
    for (let i = 0; i < alpha.length; i++) {
      const g = this.gamma(alpha[i]!);
      out[i] = g;
      total += g;
    }
    for (let i = 0; i < alpha.length; i++) out[i] = out[i]! / total;
    return out;
  }

  /** A Poisson(mean) draw (inversion below 10, PTRS above; see solvers/ctmc/_poisson.ts). */
  poisson(mean: number): number {
    return _poisson(mean, () => this.uniform());
  }

  /** An index drawn with probabilities proportional to `w[0 .. n)` (total `total` > 0). */
  categorical(w: ArrayLike<number>, n: number, total: number, offset = 0): number {
    const u = this.uniform() * total;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += w[offset + i]!;
      if (u < acc) return i;
    }
    // rounding: the last state with positive weight
    for (let i = n - 1; i >= 0; i--) if (w[offset + i]! > 0) return i;
    return n - 1;
  }
}
