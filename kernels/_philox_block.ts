// The Philox4x32-10 block function in JavaScript (Salmon, Moraes, Dror & Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC'11), the scalar core behind every CPU draw and the twin of
// kernels/philox.wgsl and kernels/philox.wat. Private: no mod.ts re-exports this file; the public
// form is philox4x32() in philox.ts.

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;
const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;

/**
 * One Philox4x32-10 block into `out[0..4)`: ten rounds of the S-box
 * `(x0,x1,x2,x3) → (hi(M1·x2)⊕x1⊕k0, lo(M1·x2), hi(M0·x0)⊕x3⊕k1, lo(M0·x0))`
 * with the Weyl key schedule `k += (0x9E3779B9, 0xBB67AE85)` (SC'11, §4.2).
 * 32×32→64-bit products are split into 16-bit halves so every intermediate
 * is an exact double.
 */
export function philoxBlock(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  for (let round = 0; round < 10; round++) {
    // hi/lo of M0·c0
    const a0l = c0 & 0xffff, a0h = c0 >>> 16;
    const t0 = a0l * M0_LO;
    const mid0 = a0h * M0_LO + a0l * M0_HI + (t0 >>> 16);
    const hi0 = (a0h * M0_HI + ((mid0 / 65536) >>> 0)) >>> 0;
    const lo0 = Math.imul(c0, M0) >>> 0;
    // hi/lo of M1·c2
    const a2l = c2 & 0xffff, a2h = c2 >>> 16;
    const t2 = a2l * M1_LO;
    const mid2 = a2h * M1_LO + a2l * M1_HI + (t2 >>> 16);
    const hi1 = (a2h * M1_HI + ((mid2 / 65536) >>> 0)) >>> 0;
    const lo1 = Math.imul(c2, M1) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}
