/**
 * FNV-1a, the one string hash of sdeno (Fowler, Noll & Vo; 32-bit offset
 * basis 0x811c9dc5, prime 0x01000193): pipeline-cache names of generated
 * kernels and deterministic SVG ids. Not cryptographic.
 *
 * @module
 */

/**
 * 32-bit FNV-1a of the UTF-16 code units of `text`, as an unsigned integer.
 *
 * @param text the text
 * @param basis the offset basis (default the standard 0x811c9dc5; another
 *   basis gives an independent second hash)
 * @returns the hash, in [0, 2³²)
 *
 * @example The standard test vector
 * ```ts
 * import { fnv1a32 } from "./hash.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fnv1a32("a"), 0xe40c292c);
 * assert.equal(fnv1a32(""), 0x811c9dc5);
 * ```
 */
export function fnv1a32(text: string, basis = 0x811c9dc5): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * {@linkcode fnv1a32} as eight hexadecimal digits.
 *
 * @param text the text
 * @param basis the offset basis (default 0x811c9dc5)
 * @returns the hash as hex, zero-padded
 *
 * @example
 * ```ts
 * import { fnv1a32Hex } from "./hash.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fnv1a32Hex("a"), "e40c292c");
 * ```
 */
export function fnv1a32Hex(text: string, basis = 0x811c9dc5): string {
  return fnv1a32(text, basis).toString(16).padStart(8, "0");
}
