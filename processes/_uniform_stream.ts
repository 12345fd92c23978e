// A per-path stream of Philox uniforms for the CTMC samplers (private).
// Uniform k of path i under key (seed, stream) is lane k & 3 of the Philox
// block with counter (i, k >> 2, purpose, 0), mapped to (w + 0.5)·2⁻³²: a pure
// function of (seed, stream, i, k, purpose), so a path is the same whatever
// the batch it runs in.
//
// The words are drawn in batches through the WebAssembly Philox (`fillSteps`:
// consecutive steps, counter word 1, of one block), with the scalar
// `philoxBlock` as the fallback; both give the same words. Batches start
// small and double, so short paths draw few blocks they do not use.
import type { Key } from "../kernels/philox.ts";
import { philoxBlock } from "../kernels/_philox_block.ts";
import { _philoxWasm } from "../kernels/_wasm_philox.ts";
import { expUniformBlock } from "../kernels/_exp_uniform.ts";

const INV_2_32 = 1 / 4294967296;
/** First and largest batch, in blocks. */
const FIRST_BATCH = 2;
const MAX_BATCH = 512;

/**
 * Writes the Philox blocks of the counters `(path, step + i mod 2³², purpose, 0)`,
 * `i < nblocks`, into `out[0 .. 4·nblocks)`.
 */
export function _pathBlocks(
  key: Key,
  path: number,
  step: number,
  purpose: number,
  out: Uint32Array,
  nblocks: number,
): void {
  const wasm = _philoxWasm();
  if (wasm !== undefined) {
    const words = wasm.stepBlocks(path, step >>> 0, purpose, 0, key.seed, key.stream, nblocks);
    out.set(words.subarray(0, 4 * nblocks));
    return;
  }
  const w = new Uint32Array(4);
  for (let i = 0; i < nblocks; i++) {
    philoxBlock(path, (step + i) >>> 0, purpose, 0, key.seed, key.stream, w);
    out[4 * i] = w[0]!;
    out[4 * i + 1] = w[1]!;
    out[4 * i + 2] = w[2]!;
    out[4 * i + 3] = w[3]!;
  }
}

/**
 * The batch schedule of one path's Philox blocks `(path, step, purpose, 0)`:
 * 2 blocks first, doubling up to 512, so short paths draw few blocks they do
 * not use.
 */
class _PathBatches {
  protected readonly key: Key;
  protected readonly purpose: number;
  protected path = 0;
  #batch = FIRST_BATCH;

  constructor(key: Key, purpose: number) {
    this.key = key;
    this.purpose = purpose >>> 0;
  }

  /** Starts a new path: the next batch is small again. */
  reset(path: number): void {
    this.path = path >>> 0;
    this.#batch = FIRST_BATCH;
  }

  /** The size in blocks of the next batch (at most `maxBlocks`, at least 1). */
  protected nextBatch(maxBlocks: number): number {
    const n = Math.max(1, Math.min(this.#batch, maxBlocks));
    if (this.#batch < MAX_BATCH) this.#batch *= 2;
    return n;
  }
}

/** A reusable buffer of one path's Philox blocks, refilled in batches. */
class _PathBlocks extends _PathBatches {
  /** The words of the last batch, four per block. */
  readonly words: Uint32Array = new Uint32Array(4 * MAX_BATCH);

  /**
   * Fills `words` with the blocks of steps `step, step + 1, …` (at most
   * `maxBlocks` of them) and returns how many words it wrote.
   */
  refill(step: number, maxBlocks = MAX_BATCH): number {
    const n = this.nextBatch(maxBlocks);
    _pathBlocks(this.key, this.path, step, this.purpose, this.words, n);
    return 4 * n;
  }
}

/**
 * The draws of the SSA direct method for one path, two firings per block:
 * block `(path, step, purpose, 0)` gives `[E₀, U₀, E₁, U₁]`, `E = −log u` a
 * standard exponential and `U` a uniform (see `philoxExpUniformStepsWasm`),
 * refilled in batches. The log is computed with the words in WebAssembly,
 * away from the firing loop.
 */
export class _PathExpUniforms extends _PathBatches {
  /** The pairs of the last batch, four values per block. */
  readonly pairs: Float64Array = new Float64Array(4 * MAX_BATCH);
  #words = new Uint32Array(4);

  /**
   * Fills `pairs` with the draws of steps `step, step + 1, …` (at most
   * `maxBlocks` blocks) and returns how many values it wrote.
   */
  refill(step: number, maxBlocks = MAX_BATCH): number {
    const n = this.nextBatch(maxBlocks);
    const { key, path, purpose } = this;
    const wasm = _philoxWasm();
    if (wasm !== undefined) {
      const v = wasm.expUniformSteps(path, step >>> 0, purpose, 0, key.seed, key.stream, n);
      this.pairs.set(v.subarray(0, 4 * n));
    } else {
      for (let i = 0; i < n; i++) {
        philoxBlock(path, (step + i) >>> 0, purpose, 0, key.seed, key.stream, this.#words);
        expUniformBlock(this.#words, this.pairs, 4 * i);
      }
    }
    return 4 * n;
  }
}

/** Sequential uniforms of one path. */
export class _UniformStream {
  #blocks: _PathBlocks;
  #words: Uint32Array;
  #step = 0;
  #pos = 0;
  #len = 0;

  constructor(key: Key, path: number, purpose: number) {
    this.#blocks = new _PathBlocks(key, purpose);
    this.#blocks.reset(path);
    this.#words = this.#blocks.words;
  }

  /** Starts over on another path (same key and purpose), keeping the buffer. */
  reset(path: number): void {
    this.#blocks.reset(path);
    this.#step = this.#pos = this.#len = 0;
  }

  /** The next uniform in (0, 1). */
  next(): number {
    if (this.#pos === this.#len) {
      this.#len = this.#blocks.refill(this.#step);
      this.#step += this.#len >>> 2;
      this.#pos = 0;
    }
    return (this.#words[this.#pos++]! + 0.5) * INV_2_32;
  }
}
