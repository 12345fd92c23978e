// out = Σ cᵢ·xᵢ + scale·z, z the next draw of a noise source (fused into lincomb for Philox).
import type { Backend, DeviceArray, Term } from "../../kernels/mod.ts";
import type { NoiseSource } from "./types.ts";
import { _philoxOf } from "./noise.ts";

/** Adds the draws of one noise source, counting the calls. */
export class _NoisyLincomb {
  calls = 0;
  #buf: DeviceArray | undefined;
  constructor(readonly backend: Backend, readonly noise: NoiseSource) {}

  async apply(
    out: DeviceArray,
    terms: readonly Term[],
    scale: number,
    call: { from: number; to: number },
  ): Promise<void> {
    const index = this.calls++;
    const philox = _philoxOf(this.noise);
    if (philox) {
      await this.backend.lincomb(out, terms, {
        scale,
        key: philox.key,
        step: index,
        purpose: philox.purpose,
      });
      return;
    }
    this.#buf ??= this.backend.zeros(out.length);
    await this.noise.sample(this.backend, this.#buf, { index, ...call });
    await this.backend.lincomb(out, [...terms, [scale, this.#buf]]);
  }

  release(): void {
    if (this.#buf) this.backend.release(this.#buf);
  }
}
