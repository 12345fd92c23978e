// SplitMix64 in 32-bit halves (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014; the finaliser constants are
// Stafford's "Mix13"). All arithmetic is mod 2^64 on (hi, lo) u32 pairs.

export const TWO_32 = 4294967296;

/** 32 × 32 → 64-bit product as [hi, lo] (exact in doubles via 16-bit limbs). */
function mulWide(a: number, b: number): [number, number] {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33
  const lo = a0 * b0 + (mid % 65536) * 65536; // < 2^33
  const hi = a1 * b1 + Math.floor(mid / 65536) + Math.floor(lo / TWO_32);
  return [hi >>> 0, lo >>> 0];
}

/** (hi, lo) · (bh, bl) mod 2^64. */
function mul64(hi: number, lo: number, bh: number, bl: number): [number, number] {
  const [h, l] = mulWide(lo, bl);
  return [(h + Math.imul(hi, bl) + Math.imul(lo, bh)) >>> 0, l];
}

/** z ^= z >> s for 0 < s < 32. */
function xorShift(hi: number, lo: number, s: number): [number, number] {
  return [(hi ^ (hi >>> s)) >>> 0, (lo ^ ((lo >>> s) | (hi << (32 - s)))) >>> 0];
}

/** SplitMix64's output for a 64-bit counter `(hi, lo)`, as `[hi, lo]`. */
export function splitMix64(hi: number, lo: number): [number, number] {
  // z = k + 0x9E3779B97F4A7C15
  let l = lo + 0x7F4A7C15;
  let h = (hi + 0x9E3779B9 + (l >= TWO_32 ? 1 : 0)) >>> 0;
  l = l >>> 0;
  [h, l] = xorShift(h, l, 30);
  [h, l] = mul64(h, l, 0xBF58476D, 0x1CE4E5B9);
  [h, l] = xorShift(h, l, 27);
  [h, l] = mul64(h, l, 0x94D049BB, 0x133111EB);
  // z ^ (z >> 31)
  return xorShift(h, l, 31);
}
