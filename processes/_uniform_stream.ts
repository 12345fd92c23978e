// A per-path stream of Philox uniforms for the CTMC samplers (private).
// Uniform k of path i under key (seed, stream) is lane k & 3 of the Philox
// block with counter (i, k >> 2, purpose, 0), mapped to (w + 0.5)·2⁻³²: a pure
// function of (seed, stream, i, k, purpose), so a path is the same whatever
// the batch it runs in.
import { _philoxBlock, type Key } from "../kernels/philox.ts";

const INV_2_32 = 1 / 4294967296;

/** Sequential uniforms of one path. */
export class _UniformStream {
  #words = new Uint32Array(4);
  #seed: number;
  #stream: number;
  #path: number;
  #purpose: number;
  #block = 0;
  #lane = 4;

  constructor(key: Key, path: number, purpose: number) {
    this.#seed = key.seed;
    this.#stream = key.stream;
    this.#path = path >>> 0;
    this.#purpose = purpose >>> 0;
  }

  /** The next uniform in (0, 1). */
  next(): number {
    if (this.#lane === 4) {
      _philoxBlock(
        this.#path,
        this.#block,
        this.#purpose,
        0,
        this.#seed,
        this.#stream,
        this.#words,
      );
      this.#block++;
      this.#lane = 0;
    }
    return (this.#words[this.#lane++]! + 0.5) * INV_2_32;
  }
}
