;; Philox4x32-10, its Box–Muller normals and the SSA draws, in WebAssembly SIMD.
;;
;; This is the source of kernels/philox.wasm and of its base64 copy in
;; kernels/_philox_wasm_bytes.ts, which the modules load: `deno task
;; build:wasm` (scripts/build_wasm.ts) compiles it with the pinned npm:wabt,
;; and CI checks that the committed bytes are the ones this text gives. The
;; host is kernels/_wasm_philox.ts. Every export gives the same bits as the
;; JavaScript it stands in for (`_philoxBlock`, `_boxMullerPair`,
;; `_expUniformBlock`, `_log`), which stays the fallback where WebAssembly
;; SIMD is missing; the tests compare them bit for bit.
;;
;; Philox4x32-10 (J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw,
;; "Parallel random numbers: as easy as 1, 2, 3", SC'11, §4.2 and Fig. 2):
;; a 128-bit counter (x0, x1, x2, x3) and a 64-bit key (k0, k1) go through ten
;; rounds of the S-box
;;
;;   (x0, x1, x2, x3) → (hi(M1·x2) ⊕ x1 ⊕ k0, lo(M1·x2), hi(M0·x0) ⊕ x3 ⊕ k1, lo(M0·x0))
;;
;; with M0 = 0xD2511F53, M1 = 0xCD9E8D57, hi and lo the halves of the 64-bit
;; product, and the key bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85)
;; mod 2³² between rounds. sdeno's counters: block b at step s for purpose p
;; is the counter (b mod 2³², s, p, ⌊b / 2³²⌋) under the key (seed, stream).
;;
;; SIMD layout. Four blocks are one "group", held in structure-of-arrays
;; (SoA) form: the v128 x0 holds word 0 of blocks b, b+1, b+2, b+3 in its
;; four i32 lanes, x1 their word 1, and so on. A round is then the scalar
;; round with every operation done for four blocks: the 32×32→64-bit
;; products by `i64x2.extmul_low_i32x4_u` (blocks b, b+1) and
;; `i64x2.extmul_high_i32x4_u` (blocks b+2, b+3), whose odd i32 lanes are the
;; high words (gathered by one `i8x16.shuffle`), the low words by
;; `i32x4.mul`. Two groups go through the rounds side by side: one group's
;; rounds are a chain of dependent multiplies, and the second keeps the
;; multipliers busy while the first waits. A 4×4 transpose of i32 lanes
;; turns a group into its four blocks in order, and back.
;;
;; The normals and the SSA draws are f64x2 work, two blocks at a time: i32
;; lanes 0–1 of a word vector (blocks b, b+1), then lanes 2–3 (b+2, b+3),
;; widened to f64. Each f64x2 operation is the IEEE operation of the
;; JavaScript lane by lane, in the same order and without fused
;; multiply–adds, so each lane has the bits of the scalar code. Table entries
;; are fetched with one `v128.load` per lane and regrouped by shuffles.
;;
;; The words go straight from the rounds to the output. The normals and
;; the SSA draws go in tiles of up to 64 blocks (16 groups) through stages,
;; each a plain loop over the tile: the Philox states into scratch; their
;; uniforms in a row ($split_stage); the logs of those ($log_stage, the one
;; SIMD log); the outputs. The iterations of a stage are independent, so the
;; processor overlaps them, and each stage is a function of its own, so V8
;; optimises it for the one job it does. (One loop doing all of it per group
;; ran 15–20% slower: V8 optimises a function once, inlining only the calls
;; that had run by then, and inlines nothing large into a small caller.)
;;
;; Counts that are not a multiple of 4 run a whole last group: an export
;; may write up to three blocks past the ones asked for (96 bytes of f64),
;; and `counters` and `logs` read as far; the host reserves the room and
;; reads only what it asked for.
;;
;; Memory layout (byte addresses). The host writes the tables after
;; instantiation from kernels/_log.ts and kernels/_sincos.ts, so JavaScript
;; and WebAssembly read the very same numbers. The code writes these
;; addresses as immediates (`offset=8192`, `(i32.const 73744)`); the
;; exported globals give the host the ones it needs.
;;
;;   0      log table: 129 entries of four f64 (c, 1/c, (log c)_hi, (log c)_lo)
;;   8192   Box–Muller angle table: 4097 (cos, sin) f64 pairs of 2πk/4096
;;   73744  scratch: the SoA Philox states of a tile (16 groups × 64 bytes)
;;   74768  scratch: a tile's uniforms, then their logs (64 items × 16 bytes)
;;   75792  scratch: a tile's second words of each pair (64 items × 16 bytes)
;;   76816  outputs (and the inputs of `counters` and `logs`)

(module
  ;; Math.log, for the inputs the table log does not take: 0, negatives,
  ;; subnormals, ±∞ and NaN.
  (import "m" "log" (func $math_log (param f64) (result f64)))

  (memory (export "memory") 3)
  (global (export "logTableAt") i32 (i32.const 0))
  (global (export "sinCosTableAt") i32 (i32.const 8192))
  (global (export "outputAt") i32 (i32.const 76816))

  ;; Constants in globals, which each function copies into locals before its
  ;; loop: V8 builds a `v128.const` in registers at each use, several
  ;; instructions inside the loops, and reads a v128 global through the
  ;; instance at each `global.get`, where a local is a register or one stack
  ;; load (measured: inline constants made the normals and the SSA draws
  ;; 15–20% slower, `global.get` in the loops 4–5%).
  (global $M0 v128 (v128.const i32x4 0xD2511F53 0xD2511F53 0xD2511F53 0xD2511F53))
  (global $M1 v128 (v128.const i32x4 0xCD9E8D57 0xCD9E8D57 0xCD9E8D57 0xCD9E8D57))
  (global $W0 v128 (v128.const i32x4 0x9E3779B9 0x9E3779B9 0x9E3779B9 0x9E3779B9))
  (global $W1 v128 (v128.const i32x4 0xBB67AE85 0xBB67AE85 0xBB67AE85 0xBB67AE85))
  (global $LANES v128 (v128.const i32x4 0 1 2 3))
  (global $FOURS v128 (v128.const i32x4 4 4 4 4))
  ;; (w + 0.5)·2⁻³²
  (global $HALF v128 (v128.const f64x2 0.5 0.5))
  (global $TWO_POW_M32 v128 (v128.const f64x2 0x1p-32 0x1p-32))
  ;; Box–Muller: the angle, the Taylor coefficients of cos and sin (1/24,
  ;; 1/720, 1/6, 1/120, rounded as JavaScript rounds the quotients)
  (global $MINUS_TWO v128 (v128.const f64x2 -2 -2))
  (global $ONE v128 (v128.const f64x2 1 1))
  (global $TWO_PI v128 (v128.const f64x2 0x1.921fb54442d18p+2 0x1.921fb54442d18p+2))
  (global $TWO_POW_M24 v128 (v128.const f64x2 0x1p-24 0x1p-24))
  (global $INV_24 v128 (v128.const f64x2 0x1.5555555555555p-5 0x1.5555555555555p-5))
  (global $INV_720 v128 (v128.const f64x2 0x1.6c16c16c16c17p-10 0x1.6c16c16c16c17p-10))
  (global $INV_6 v128 (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3))
  (global $INV_120 v128 (v128.const f64x2 0x1.1111111111111p-7 0x1.1111111111111p-7))
  (global $ANGLE_MASK v128 (v128.const i32x4 4095 4095 4095 4095))
  ;; the log (kernels/_log.ts): bits of 0.75, the mask of the exponent field
  ;; and up, the mask that clears 27 low bits, mantissa masks, ln 2 as hi + lo
  ;; (_LN2_HI, _LN2_LO) and the Taylor coefficients A0…A5 of
  ;; (log1p(r) − r)/r² (_LOG_POLY: −1/2, 1/3, −1/4, 1/5, −1/6, 1/7)
  (global $BITS_0_75 v128 (v128.const i64x2 0x3fe8000000000000 0x3fe8000000000000))
  (global $EXPONENT_AND_UP v128 (v128.const i64x2 -0x10000000000000 -0x10000000000000))
  (global $CLEAR_27 v128 (v128.const i64x2 -0x8000000 -0x8000000))
  (global $MANTISSA_HI v128 (v128.const i32x4 0xfffff 0xfffff 0xfffff 0xfffff))
  (global $ROUND_BIT v128 (v128.const i32x4 0x1000 0x1000 0x1000 0x1000))
  (global $LN2_HI v128 (v128.const f64x2 0x1.62e42fefa38p-1 0x1.62e42fefa38p-1))
  (global $LN2_LO v128 (v128.const f64x2 0x1.ef35793c7673p-45 0x1.ef35793c7673p-45))
  (global $A0 v128 (v128.const f64x2 -0x1p-1 -0x1p-1))
  (global $A1 v128 (v128.const f64x2 0x1.5555555555555p-2 0x1.5555555555555p-2))
  (global $A2 v128 (v128.const f64x2 -0x1p-2 -0x1p-2))
  (global $A3 v128 (v128.const f64x2 0x1.999999999999ap-3 0x1.999999999999ap-3))
  (global $A4 v128 (v128.const f64x2 -0x1.5555555555555p-3 -0x1.5555555555555p-3))
  (global $A5 v128 (v128.const f64x2 0x1.2492492492492p-3 0x1.2492492492492p-3))

  ;; ------------------------------------------------------------------------
  ;; Philox4x32-10

  ;; Philox4x32-10 of one group: the SoA counters x0…x3 of four blocks under
  ;; the key (k0, k1) to their states, ten rounds of
  ;; (x0, x1, x2, x3) → (hi(M1·x2) ⊕ x1 ⊕ k0, lo(M1·x2), hi(M0·x0) ⊕ x3 ⊕ k1, lo(M0·x0)).
  ;; M0·x0 is formed as u64 lanes: blocks b, b+1 in p (extmul_low), b+2,
  ;; b+3 in q (extmul_high), whose odd i32 lanes are the high words; the low
  ;; words are i32x4.mul. The key steps by the Weyl constants (W0, W1) after
  ;; each round. $philox_soa runs the same rounds on two groups at once,
  ;; written out; this loop is for a lone group, whose rounds are a chain of
  ;; dependent multiplies either way.
  (func $philox4x32_10
    (param $x0 v128) (param $x1 v128) (param $x2 v128) (param $x3 v128)
    (param $k0 i32) (param $k1 i32)
    (result v128 v128 v128 v128)
    (local $key0 v128) (local $key1 v128) (local $p v128) (local $q v128) (local $lo v128)
    (local $m0 v128) (local $m1 v128) (local $w0 v128) (local $w1 v128) (local $round i32)
    (local.set $m0 (global.get $M0))
    (local.set $m1 (global.get $M1))
    (local.set $w0 (global.get $W0))
    (local.set $w1 (global.get $W1))
    (local.set $key0 (i32x4.splat (local.get $k0)))
    (local.set $key1 (i32x4.splat (local.get $k1)))
    (local.set $round (i32.const 10))
    (loop $rounds
      (local.set $p (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
      (local.set $q (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
      (local.set $lo (i32x4.mul (local.get $x0) (local.get $m0)))
      ;; x0 ← hi(M1·x2) ⊕ x1 ⊕ k0; x1 ← lo(M1·x2)
      (local.set $x0
        (v128.xor
          (v128.xor (local.get $x1) (local.get $key0))
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
            (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
      (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
      ;; x2 ← hi(M0·x0) ⊕ x3 ⊕ k1; x3 ← lo(M0·x0)
      (local.set $x2
        (v128.xor
          (v128.xor (local.get $x3) (local.get $key1))
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $p) (local.get $q))))
      (local.set $x3 (local.get $lo))
      (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
      (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
      (br_if $rounds (local.tee $round (i32.sub (local.get $round) (i32.const 1)))))
    (local.get $x0) (local.get $x1) (local.get $x2) (local.get $x3))

  ;; The SoA states of $groups groups of four blocks under the key (k0, k1),
  ;; at $dst (64 bytes a group: x0, x1, x2, x3), or the words in block order
  ;; when $block_order; two groups an iteration, and a last odd one through
  ;; $philox4x32_10. The counters:
  ;;
  ;; $counting 0: block i has the counter (c0 + i, c1, c2, c3), the 64-bit
  ;;              block index (c3, c0) counting with carry;
  ;;           1: (c0, c1 + i mod 2³², c2, c3), consecutive steps of one
  ;;              block, a sampler's per-path stream;
  ;;           2: given, as SoA groups at $dst, which the states replace.
  ;;
  ;; Consecutive counters in SoA form: lane j of the counting word is
  ;; c + j mod 2³², and each group adds 4. When the block index counts, word
  ;; 3 takes the carry of the lanes of word 0 that wrapped (`i32x4.lt_u` is
  ;; −1 where true, so subtracting it adds one).
  ;;
  ;; The ten rounds of $philox4x32_10 are written out here for two groups,
  ;; identical but for the round number: one group's rounds are a chain of
  ;; dependent multiplies, and the second keeps the multipliers busy while
  ;; the first waits. V8 runs them about 10% slower as a loop (measured), and
  ;; does not inline a round function into so large a caller.
  (func $philox_soa
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $groups i32) (param $dst i32) (param $counting i32)
    (param $block_order i32)
    (local $lanes0 v128) (local $lanes1 v128) (local $fours0 v128) (local $fours1 v128)
    (local $cv0 v128) (local $cv1 v128) (local $cv2 v128) (local $cv3 v128)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $key0 v128) (local $key1 v128) (local $m0 v128) (local $m1 v128)
    (local $w0 v128) (local $w1 v128)
    (local $px v128) (local $qx v128) (local $lox v128)
    (local $py v128) (local $qy v128) (local $loy v128)
    (local $ab01 v128) (local $cd01 v128) (local $ab23 v128) (local $cd23 v128)
    (local.set $m0 (global.get $M0))
    (local.set $m1 (global.get $M1))
    (local.set $w0 (global.get $W0))
    (local.set $w1 (global.get $W1))
    ;; which counter word counts (the other vectors stay zero)
    (if (i32.eqz (local.get $counting))
      (then
        (local.set $lanes0 (global.get $LANES))
        (local.set $fours0 (global.get $FOURS)))
      (else
        (local.set $lanes1 (global.get $LANES))
        (local.set $fours1 (global.get $FOURS))))
    (local.set $cv0 (i32x4.add (i32x4.splat (local.get $c0)) (local.get $lanes0)))
    (local.set $cv1 (i32x4.add (i32x4.splat (local.get $c1)) (local.get $lanes1)))
    (local.set $cv2 (i32x4.splat (local.get $c2)))
    (local.set $cv3
      (i32x4.sub (i32x4.splat (local.get $c3))
        (i32x4.lt_u (local.get $cv0) (i32x4.splat (local.get $c0)))))
    (block $pairs_done
      (loop $pair
        (br_if $pairs_done (i32.lt_u (local.get $groups) (i32.const 2)))
        ;; the counters of groups x and y
        (if (i32.eq (local.get $counting) (i32.const 2))
          (then
            (local.set $x0 (v128.load offset=0 (local.get $dst)))
            (local.set $x1 (v128.load offset=16 (local.get $dst)))
            (local.set $x2 (v128.load offset=32 (local.get $dst)))
            (local.set $x3 (v128.load offset=48 (local.get $dst)))
            (local.set $y0 (v128.load offset=64 (local.get $dst)))
            (local.set $y1 (v128.load offset=80 (local.get $dst)))
            (local.set $y2 (v128.load offset=96 (local.get $dst)))
            (local.set $y3 (v128.load offset=112 (local.get $dst))))
          (else
            (local.set $x0 (local.get $cv0))
            (local.set $x1 (local.get $cv1))
            (local.set $x2 (local.get $cv2))
            (local.set $x3 (local.get $cv3))
            (local.set $y0 (i32x4.add (local.get $cv0) (local.get $fours0)))
            (local.set $y1 (i32x4.add (local.get $cv1) (local.get $fours1)))
            (local.set $y2 (local.get $cv2))
            (local.set $y3
              (i32x4.sub (local.get $cv3) (i32x4.lt_u (local.get $y0) (local.get $fours0))))
            (local.set $cv0 (i32x4.add (local.get $y0) (local.get $fours0)))
            (local.set $cv1 (i32x4.add (local.get $y1) (local.get $fours1)))
            (local.set $cv3
              (i32x4.sub (local.get $y3) (i32x4.lt_u (local.get $cv0) (local.get $fours0))))))
        ;; ten rounds on each group: M0·x0 as u64 lanes, blocks b, b+1 in p and
        ;; b+2, b+3 in q, whose odd i32 lanes are the high words; the low words
        ;; by i32x4.mul; x0 from M1·x2 alike. The key steps by (W0, W1) between
        ;; rounds.
        (local.set $key0 (i32x4.splat (local.get $k0)))
        (local.set $key1 (i32x4.splat (local.get $k1)))
        ;; round 1
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 2
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 3
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 4
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 5
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 6
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 7
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 8
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 9
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        (local.set $key0 (i32x4.add (local.get $key0) (local.get $w0)))
        (local.set $key1 (i32x4.add (local.get $key1) (local.get $w1)))
        ;; round 10
        (local.set $px (i64x2.extmul_low_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $qx (i64x2.extmul_high_i32x4_u (local.get $x0) (local.get $m0)))
        (local.set $lox (i32x4.mul (local.get $x0) (local.get $m0)))
        (local.set $x0
          (v128.xor
            (v128.xor (local.get $x1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $x2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $x2) (local.get $m1)))))
        (local.set $x1 (i32x4.mul (local.get $x2) (local.get $m1)))
        (local.set $x2
          (v128.xor
            (v128.xor (local.get $x3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $px) (local.get $qx))))
        (local.set $x3 (local.get $lox))
        (local.set $py (i64x2.extmul_low_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $qy (i64x2.extmul_high_i32x4_u (local.get $y0) (local.get $m0)))
        (local.set $loy (i32x4.mul (local.get $y0) (local.get $m0)))
        (local.set $y0
          (v128.xor
            (v128.xor (local.get $y1) (local.get $key0))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (i64x2.extmul_low_i32x4_u (local.get $y2) (local.get $m1))
              (i64x2.extmul_high_i32x4_u (local.get $y2) (local.get $m1)))))
        (local.set $y1 (i32x4.mul (local.get $y2) (local.get $m1)))
        (local.set $y2
          (v128.xor
            (v128.xor (local.get $y3) (local.get $key1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
              (local.get $py) (local.get $qy))))
        (local.set $y3 (local.get $loy))
        ;; each group in block order, when asked: the transpose of $transpose_groups
        (if (local.get $block_order)
          (then
            (local.set $ab01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
              (local.get $x0) (local.get $x1)))
            (local.set $cd01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
              (local.get $x2) (local.get $x3)))
            (local.set $ab23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $x0) (local.get $x1)))
            (local.set $cd23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $x2) (local.get $x3)))
            (local.set $x0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $ab01) (local.get $cd01)))
            (local.set $x1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $ab01) (local.get $cd01)))
            (local.set $x2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $ab23) (local.get $cd23)))
            (local.set $x3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $ab23) (local.get $cd23)))
            (local.set $ab01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
              (local.get $y0) (local.get $y1)))
            (local.set $cd01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
              (local.get $y2) (local.get $y3)))
            (local.set $ab23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $y0) (local.get $y1)))
            (local.set $cd23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
              (local.get $y2) (local.get $y3)))
            (local.set $y0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $ab01) (local.get $cd01)))
            (local.set $y1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $ab01) (local.get $cd01)))
            (local.set $y2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
              (local.get $ab23) (local.get $cd23)))
            (local.set $y3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $ab23) (local.get $cd23)))))
        (v128.store offset=0 (local.get $dst) (local.get $x0))
        (v128.store offset=16 (local.get $dst) (local.get $x1))
        (v128.store offset=32 (local.get $dst) (local.get $x2))
        (v128.store offset=48 (local.get $dst) (local.get $x3))
        (v128.store offset=64 (local.get $dst) (local.get $y0))
        (v128.store offset=80 (local.get $dst) (local.get $y1))
        (v128.store offset=96 (local.get $dst) (local.get $y2))
        (v128.store offset=112 (local.get $dst) (local.get $y3))
        (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
        (local.set $groups (i32.sub (local.get $groups) (i32.const 2)))
        (br $pair)))
    ;; a last lone group, through the same rounds as a loop
    (if (local.get $groups)
      (then
        (if (i32.eq (local.get $counting) (i32.const 2))
          (then
            (local.set $cv0 (v128.load offset=0 (local.get $dst)))
            (local.set $cv1 (v128.load offset=16 (local.get $dst)))
            (local.set $cv2 (v128.load offset=32 (local.get $dst)))
            (local.set $cv3 (v128.load offset=48 (local.get $dst)))))
        (call $philox4x32_10 (local.get $cv0) (local.get $cv1) (local.get $cv2) (local.get $cv3)
          (local.get $k0) (local.get $k1))
        (local.set $x3) (local.set $x2) (local.set $x1) (local.set $x0)
        (v128.store offset=0 (local.get $dst) (local.get $x0))
        (v128.store offset=16 (local.get $dst) (local.get $x1))
        (v128.store offset=32 (local.get $dst) (local.get $x2))
        (v128.store offset=48 (local.get $dst) (local.get $x3))
        (if (local.get $block_order)
          (then (call $transpose_groups (local.get $dst) (local.get $dst) (i32.const 1)))))))

  ;; The 4×4 transpose of i32 lanes of each of $groups groups, from $src to
  ;; $dst (64 bytes a group): word k of block j ↔ lane j of word k. It turns
  ;; SoA states into four blocks in order, and blocks into SoA counters.
  (func $transpose_groups (param $src i32) (param $dst i32) (param $groups i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $ab01 v128) (local $cd01 v128) (local $ab23 v128) (local $cd23 v128)
    (loop $group
      (local.set $a (v128.load offset=0 (local.get $src)))
      (local.set $b (v128.load offset=16 (local.get $src)))
      (local.set $c (v128.load offset=32 (local.get $src)))
      (local.set $d (v128.load offset=48 (local.get $src)))
      ;; a0 b0 a1 b1, c0 d0 c1 d1, a2 b2 a3 b3, c2 d2 c3 d3
      (local.set $ab01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
        (local.get $a) (local.get $b)))
      (local.set $cd01 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
        (local.get $c) (local.get $d)))
      (local.set $ab23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
        (local.get $a) (local.get $b)))
      (local.set $cd23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31
        (local.get $c) (local.get $d)))
      ;; a0 b0 c0 d0, a1 b1 c1 d1, a2 b2 c2 d2, a3 b3 c3 d3
      (v128.store offset=0 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (local.get $ab01) (local.get $cd01)))
      (v128.store offset=16 (local.get $dst)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
          (local.get $ab01) (local.get $cd01)))
      (v128.store offset=32 (local.get $dst)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (local.get $ab23) (local.get $cd23)))
      (v128.store offset=48 (local.get $dst)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
          (local.get $ab23) (local.get $cd23)))
      (local.set $src (i32.add (local.get $src) (i32.const 64)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
      (br_if $group (local.tee $groups (i32.sub (local.get $groups) (i32.const 1))))))

  ;; ------------------------------------------------------------------------
  ;; The log of kernels/_log.ts (P. T. P. Tang, "Table-driven implementation
  ;; of the logarithm function in IEEE floating-point arithmetic", ACM TOMS
  ;; 16(4), 1990): x = 2ᵉ·m with m ∈ [0.75, 1.5), c the table point nearest
  ;; m, r = (m − c)/c with its rounding error, and
  ;; log x = e·ln 2 + log c + log1p(r), log1p(r) − r = r²·P(r) (Estrin).
  ;; The steps are numbered as in _log.ts.

  ;; log of one f64, bit-identical to `_log`; Math.log where x is not a
  ;; positive normal finite double.
  (func $log (export "log") (param $x f64) (result f64)
    (local $bits i64) (local $tmp i64) (local $e i64) (local $j i32)
    (local $ke f64) (local $m f64) (local $c f64) (local $invc f64) (local $d f64)
    (local $r f64) (local $r1 f64) (local $rlo f64) (local $t1 f64) (local $hi f64) (local $s f64)
    ;; positive normal finite: bits − 2⁵² below 0x7fe0…0 (unsigned)
    (if (result f64)
      (i64.ge_u
        (i64.sub
          (local.tee $bits (i64.reinterpret_f64 (local.get $x)))
          (i64.const 0x10000000000000))
        (i64.const 0x7fe0000000000000))
      (then (call $math_log (local.get $x)))
      (else
        ;; 1. tmp = bits − bits(0.75), e = tmp >> 52, m = x·2⁻ᵉ (its bits: bits − e·2⁵²)
        (local.set $tmp (i64.sub (local.get $bits) (i64.const 0x3fe8000000000000)))
        (local.set $e (i64.shr_s (local.get $tmp) (i64.const 52)))
        (local.set $ke (f64.convert_i64_s (local.get $e)))
        (local.set $m (f64.reinterpret_i64
          (i64.sub (local.get $bits) (i64.shl (local.get $e) (i64.const 52)))))
        ;; 2. the table entry 32·k, k = ((hi(tmp) & 0xFFFFF) + 2¹²) >> 13
        (local.set $j
          (i32.shl
            (i32.shr_u
              (i32.add
                (i32.and
                  (i32.wrap_i64 (i64.shr_u (local.get $tmp) (i64.const 32)))
                  (i32.const 0xfffff))
                (i32.const 0x1000))
              (i32.const 13))
            (i32.const 5)))
        (local.set $c (f64.load offset=0 (local.get $j)))
        (local.set $invc (f64.load offset=8 (local.get $j)))
        ;; 3. d = m − c (exact), r = d·(1/c); r1 = r with its low 27 bits
        ;; cleared, so r1·c, (r − r1)·c and both subtractions below are exact
        ;; and rlo = (d − r·c)/c: the bits of _log's Veltkamp split
        (local.set $d (f64.sub (local.get $m) (local.get $c)))
        (local.set $r (f64.mul (local.get $d) (local.get $invc)))
        (local.set $r1 (f64.reinterpret_i64
          (i64.and (i64.reinterpret_f64 (local.get $r)) (i64.const -0x8000000))))
        (local.set $rlo
          (f64.mul
            (f64.sub
              (f64.sub (local.get $d) (f64.mul (local.get $r1) (local.get $c)))
              (f64.mul (f64.sub (local.get $r) (local.get $r1)) (local.get $c)))
            (local.get $invc)))
        ;; 4. t1 = e·ln2_hi + (log c)_hi (exact), hi = t1 + r, and
        ;; hi + (e·ln2_lo + (log c)_lo + rlo + (t1 − hi + r) + r²·P(r))
        (local.set $t1
          (f64.add
            (f64.mul (local.get $ke) (f64.const 0x1.62e42fefa38p-1))
            (f64.load offset=16 (local.get $j))))
        (local.set $hi (f64.add (local.get $t1) (local.get $r)))
        (local.set $s (f64.mul (local.get $r) (local.get $r)))
        (f64.add
          (local.get $hi)
          (f64.add
            (f64.add
              (f64.add
                (f64.add
                  (f64.mul (local.get $ke) (f64.const 0x1.ef35793c7673p-45))
                  (f64.load offset=24 (local.get $j)))
                (local.get $rlo))
              (f64.add (f64.sub (local.get $t1) (local.get $hi)) (local.get $r)))
            ;; r²·((A0 + r·A1) + r²·(A2 + r·A3) + r⁴·(A4 + r·A5))
            (f64.mul
              (local.get $s)
              (f64.add
                (f64.add
                  (f64.add (f64.const -0x1p-1)
                    (f64.mul (local.get $r) (f64.const 0x1.5555555555555p-2)))
                  (f64.mul (local.get $s)
                    (f64.add (f64.const -0x1p-2)
                      (f64.mul (local.get $r) (f64.const 0x1.999999999999ap-3)))))
                (f64.mul (f64.mul (local.get $s) (local.get $s))
                  (f64.add (f64.const -0x1.5555555555555p-3)
                    (f64.mul (local.get $r) (f64.const 0x1.2492492492492p-3)))))))))))

  ;; The logs of $count f64x2 at $ptr, in place: the operations of $log
  ;; lane by lane. Every lane must be positive normal finite (the uniforms
  ;; always are). The one SIMD log of the module: Box–Muller and the SSA
  ;; draws put their uniforms in a row and call it once a tile, so its loop
  ;; runs without calls and the processor overlaps its iterations.
  (func $log_stage (param $ptr i32) (param $count i32)
    (local $x v128)
    (local $tmp v128) (local $hw v128) (local $j v128) (local $ja i32) (local $jb i32)
    (local $ea v128) (local $eb v128) (local $fa v128) (local $fb v128)
    (local $ke v128) (local $m v128) (local $c v128) (local $invc v128)
    (local $log_c_hi v128) (local $log_c_lo v128)
    (local $d v128) (local $r v128) (local $r1 v128) (local $t1 v128) (local $hi v128) (local $s v128)
    (local $bits_0_75 v128) (local $mantissa_hi v128) (local $round_bit v128)
    (local $exponent_and_up v128) (local $clear_27 v128) (local $ln2_hi v128) (local $ln2_lo v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128)
    (local $a5 v128)
    ;; the constants, loaded once (see the globals)
    (local.set $bits_0_75 (global.get $BITS_0_75))
    (local.set $mantissa_hi (global.get $MANTISSA_HI))
    (local.set $round_bit (global.get $ROUND_BIT))
    (local.set $exponent_and_up (global.get $EXPONENT_AND_UP))
    (local.set $clear_27 (global.get $CLEAR_27))
    (local.set $ln2_hi (global.get $LN2_HI))
    (local.set $ln2_lo (global.get $LN2_LO))
    (local.set $a0 (global.get $A0))
    (local.set $a1 (global.get $A1))
    (local.set $a2 (global.get $A2))
    (local.set $a3 (global.get $A3))
    (local.set $a4 (global.get $A4))
    (local.set $a5 (global.get $A5))
    (loop $value
      (local.set $x (v128.load (local.get $ptr)))
      ;; 1. tmp = bits − bits(0.75); the high words of its lanes as i32 lanes 0, 1
      (local.set $tmp (i64x2.sub (local.get $x) (local.get $bits_0_75)))
      (local.set $hw (i8x16.shuffle 4 5 6 7 12 13 14 15 4 5 6 7 12 13 14 15
        (local.get $tmp) (local.get $tmp)))
      ;; 2. the byte offsets 32·k of the two table entries, and the entries:
      ;; (c, 1/c) at +0 and ((log c)_hi, (log c)_lo) at +16 of each
      (local.set $j
        (i32x4.shl
          (i32x4.shr_u
            (i32x4.add (v128.and (local.get $hw) (local.get $mantissa_hi)) (local.get $round_bit))
            (i32.const 13))
          (i32.const 5)))
      (local.set $ja (i32x4.extract_lane 0 (local.get $j)))
      (local.set $jb (i32x4.extract_lane 1 (local.get $j)))
      (local.set $ea (v128.load offset=0 (local.get $ja)))
      (local.set $eb (v128.load offset=0 (local.get $jb)))
      (local.set $fa (v128.load offset=16 (local.get $ja)))
      (local.set $fb (v128.load offset=16 (local.get $jb)))
      ;; e = hi(tmp) >> 20 as f64; m: bits − (tmp with its low 52 bits cleared) = bits − e·2⁵²
      (local.set $ke (f64x2.convert_low_i32x4_s (i32x4.shr_s (local.get $hw) (i32.const 20))))
      (local.set $m (i64x2.sub (local.get $x) (v128.and (local.get $tmp) (local.get $exponent_and_up))))
      ;; the fields of the two entries, regrouped: lane 0 from entry a, lane 1 from entry b
      (local.set $c (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (local.get $ea) (local.get $eb)))
      (local.set $invc (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
        (local.get $ea) (local.get $eb)))
      (local.set $log_c_hi (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (local.get $fa) (local.get $fb)))
      (local.set $log_c_lo (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
        (local.get $fa) (local.get $fb)))
      ;; 3. d = m − c; r = d·(1/c); r1 = r with its low 27 bits cleared
      (local.set $d (f64x2.sub (local.get $m) (local.get $c)))
      (local.set $r (f64x2.mul (local.get $d) (local.get $invc)))
      (local.set $r1 (v128.and (local.get $r) (local.get $clear_27)))
      ;; 4. t1 = e·ln2_hi + (log c)_hi; hi = t1 + r; s = r²
      (local.set $t1
        (f64x2.add (f64x2.mul (local.get $ke) (local.get $ln2_hi)) (local.get $log_c_hi)))
      (local.set $hi (f64x2.add (local.get $t1) (local.get $r)))
      (local.set $s (f64x2.mul (local.get $r) (local.get $r)))
      ;; hi + (e·ln2_lo + (log c)_lo + rlo + (t1 − hi + r) + r²·P(r)),
      ;; rlo = (d − r1·c − (r − r1)·c)·(1/c)
      (v128.store (local.get $ptr)
        (f64x2.add
          (local.get $hi)
          (f64x2.add
            (f64x2.add
              (f64x2.add
                (f64x2.add (f64x2.mul (local.get $ke) (local.get $ln2_lo)) (local.get $log_c_lo))
                (f64x2.mul
                  (f64x2.sub
                    (f64x2.sub (local.get $d) (f64x2.mul (local.get $r1) (local.get $c)))
                    (f64x2.mul (f64x2.sub (local.get $r) (local.get $r1)) (local.get $c)))
                  (local.get $invc)))
              (f64x2.add (f64x2.sub (local.get $t1) (local.get $hi)) (local.get $r)))
            (f64x2.mul
              (local.get $s)
              (f64x2.add
                (f64x2.add
                  (f64x2.add (local.get $a0) (f64x2.mul (local.get $r) (local.get $a1)))
                  (f64x2.mul (local.get $s)
                    (f64x2.add (local.get $a2) (f64x2.mul (local.get $r) (local.get $a3)))))
                (f64x2.mul (f64x2.mul (local.get $s) (local.get $s))
                  (f64x2.add (local.get $a4) (f64x2.mul (local.get $r) (local.get $a5)))))))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
      (br_if $value (local.tee $count (i32.sub (local.get $count) (i32.const 1))))))

  ;; The logs of $n f64 at $ptr, in place: two at a time through
  ;; $log_stage when both are positive normal finite, else each through $log
  ;; (and so Math.log). Runs ⌈n/2⌉ pairs.
  (func (export "logs") (param $ptr i32) (param $n i32)
    (local $x v128) (local $pairs i32)
    (local.set $pairs (i32.shr_u (i32.add (local.get $n) (i32.const 1)) (i32.const 1)))
    (block $done
      (loop $pair
        (br_if $done (i32.eqz (local.get $pairs)))
        (local.set $x (v128.load (local.get $ptr)))
        (if
          (i32.and
            (i64.lt_u
              (i64.sub (i64x2.extract_lane 0 (local.get $x)) (i64.const 0x10000000000000))
              (i64.const 0x7fe0000000000000))
            (i64.lt_u
              (i64.sub (i64x2.extract_lane 1 (local.get $x)) (i64.const 0x10000000000000))
              (i64.const 0x7fe0000000000000)))
          (then (call $log_stage (local.get $ptr) (i32.const 1)))
          (else
            (f64.store offset=0 (local.get $ptr) (call $log (f64.load offset=0 (local.get $ptr))))
            (f64.store offset=8 (local.get $ptr) (call $log (f64.load offset=8 (local.get $ptr))))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (local.set $pairs (i32.sub (local.get $pairs) (i32.const 1)))
        (br $pair))))

  ;; ------------------------------------------------------------------------
  ;; Uniforms, Box–Muller (G. E. P. Box, M. E. Muller, "A note on the
  ;; generation of random normal deviates", Ann. Math. Statist. 29, 1958)
  ;; and the draws of the SSA direct method (D. T. Gillespie, "Exact
  ;; stochastic simulation of coupled chemical reactions", J. Phys. Chem. 81,
  ;; 1977), as `_boxMullerPair` (kernels/philox.ts) and `_expUniformBlock`
  ;; (kernels/philox_wasm.ts) do them, operation for operation.
  ;;
  ;; Each block's words make two pairs: (w0, w1) and (w2, w3). A pair's
  ;; first word gives a uniform u whose log is taken (the Box–Muller radius,
  ;; the SSA waiting time), its second word the angle (Box–Muller) or a
  ;; second uniform (SSA). The stages work on "items": item i is pair
  ;; p = i mod 2 of the two blocks 2⌊i/2⌋ and 2⌊i/2⌋ + 1 of the tile, as
  ;; f64x2 lanes 0 and 1. $split_stage lays the items out in a row: the
  ;; uniforms of the first words at 74768 + 16i, the second words (in i32
  ;; lanes 0, 1) at 75792 + 16i; $log_stage takes the logs in place; a last
  ;; stage makes and stores the outputs.

  ;; (w + 0.5)·2⁻³² of the u32 words in i32 lanes 0, 1 of $w, as f64x2: in (0, 1).
  (func $uniform_f64x2 (param $w v128) (result v128)
    (f64x2.mul
      (f64x2.add (f64x2.convert_low_i32x4_u (local.get $w)) (global.get $HALF))
      (global.get $TWO_POW_M32)))

  ;; i32 lanes 2, 3 of $v as lanes 0, 1: the words of blocks b+2, b+3.
  (func $high_half (param $v v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))

  ;; The items of $groups groups of SoA states at $words: per group (blocks
  ;; b … b+3), items 4g … 4g+3 are pair 0 and pair 1 of blocks b, b+1 (i32
  ;; lanes 0, 1), then of blocks b+2, b+3 (lanes 2, 3). The uniforms are
  ;; rounded to f32 when $round_f32 (the Box–Muller radius, as on the GPU).
  (func $split_stage (param $words i32) (param $groups i32) (param $round_f32 i32)
    (local $items i32) (local $w0 v128) (local $w2 v128)
   
    ;; the constants, loaded once (see the globals)
    (local.set $items (i32.const 0))
    (loop $group
      (local.set $w0 (v128.load offset=0 (local.get $words)))
      (local.set $w2 (v128.load offset=32 (local.get $words)))
      (v128.store offset=74768 (local.get $items) (call $uniform (local.get $w0) (local.get $round_f32)))
      (v128.store offset=74784 (local.get $items) (call $uniform (local.get $w2) (local.get $round_f32)))
      (v128.store offset=74800 (local.get $items)
        (call $uniform (call $high_half (local.get $w0)) (local.get $round_f32)))
      (v128.store offset=74816 (local.get $items)
        (call $uniform (call $high_half (local.get $w2)) (local.get $round_f32)))
      (v128.store offset=75792 (local.get $items) (v128.load offset=16 (local.get $words)))
      (v128.store offset=75808 (local.get $items) (v128.load offset=48 (local.get $words)))
      (v128.store offset=75824 (local.get $items)
        (call $high_half (v128.load offset=16 (local.get $words))))
      (v128.store offset=75840 (local.get $items)
        (call $high_half (v128.load offset=48 (local.get $words))))
      (local.set $words (i32.add (local.get $words) (i32.const 64)))
      (local.set $items (i32.add (local.get $items) (i32.const 64)))
      (br_if $group (local.tee $groups (i32.sub (local.get $groups) (i32.const 1))))))

  ;; $uniform_f64x2 of $w, rounded to f32 and back when $round_f32.
  (func $uniform (param $w v128) (param $round_f32 i32) (result v128)
    (local $u v128)
    (local.set $u (call $uniform_f64x2 (local.get $w)))
    (select
      (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get $u)))
      (local.get $u)
      (local.get $round_f32)))

  ;; The normals of $items items: radius sqrt(−2·log u) from the logs at
  ;; 74768, angle 2π·(b >>> 8)·2⁻²⁴ from the words b at 75792, taken as the
  ;; table entry of its top 12 bits, 2π·(b >>> 20)/4096, turned by the Taylor
  ;; cos and sin of the rest, t = (2π·((b >>> 8) & 4095))·2⁻²⁴; then
  ;; z0 = rad·cos, z1 = rad·sin. Block j's four normals (z0, z1 of pair 0, of
  ;; pair 1) go to $dst + $block_bytes·j: f64 when $block_bytes is 32,
  ;; rounded to f32 when 16.
  (func $normals_stage (param $dst i32) (param $items i32) (param $block_bytes i32)
    (local $i i32) (local $at i32) (local $b v128) (local $rad v128)
    (local $idx v128) (local $cs0 v128) (local $cs1 v128) (local $ca v128) (local $sa v128)
    (local $t v128) (local $t2 v128) (local $ct v128) (local $st v128) (local $z0 v128) (local $z1 v128)
    (local $minus_two v128) (local $two_pi v128) (local $angle_mask v128) (local $two_pow_m24 v128)
    (local $one v128) (local $half v128) (local $inv_24 v128) (local $inv_720 v128)
    (local $inv_6 v128) (local $inv_120 v128)
    ;; the constants, loaded once (see the globals)
    (local.set $minus_two (global.get $MINUS_TWO))
    (local.set $two_pi (global.get $TWO_PI))
    (local.set $angle_mask (global.get $ANGLE_MASK))
    (local.set $two_pow_m24 (global.get $TWO_POW_M24))
    (local.set $one (global.get $ONE))
    (local.set $half (global.get $HALF))
    (local.set $inv_24 (global.get $INV_24))
    (local.set $inv_720 (global.get $INV_720))
    (local.set $inv_6 (global.get $INV_6))
    (local.set $inv_120 (global.get $INV_120))
    (local.set $i (i32.const 0))
    (loop $item
      (local.set $rad
        (f64x2.sqrt
          (f64x2.mul (local.get $minus_two) (v128.load offset=74768 (local.get $i)))))
      (local.set $b (v128.load offset=75792 (local.get $i)))
      ;; the (cos, sin) pair of each lane at 8192 + 16·(b >>> 20)
      (local.set $idx (i32x4.shl (i32x4.shr_u (local.get $b) (i32.const 20)) (i32.const 4)))
      (local.set $cs0 (v128.load offset=8192 (i32x4.extract_lane 0 (local.get $idx))))
      (local.set $cs1 (v128.load offset=8192 (i32x4.extract_lane 1 (local.get $idx))))
      (local.set $ca (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (local.get $cs0) (local.get $cs1)))
      (local.set $sa (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
        (local.get $cs0) (local.get $cs1)))
      ;; t = (2π·((b >>> 8) & 4095))·2⁻²⁴, t2 = t²
      (local.set $t
        (f64x2.mul
          (f64x2.mul
            (local.get $two_pi)
            (f64x2.convert_low_i32x4_s
              (v128.and (i32x4.shr_u (local.get $b) (i32.const 8)) (local.get $angle_mask))))
          (local.get $two_pow_m24)))
      (local.set $t2 (f64x2.mul (local.get $t) (local.get $t)))
      ;; ct = 1 − t2·(0.5 − t2·(1/24 − t2·(1/720))); st = t·(1 − t2·(1/6 − t2·(1/120)))
      (local.set $ct
        (f64x2.sub
          (local.get $one)
          (f64x2.mul
            (local.get $t2)
            (f64x2.sub
              (local.get $half)
              (f64x2.mul
                (local.get $t2)
                (f64x2.sub (local.get $inv_24) (f64x2.mul (local.get $t2) (local.get $inv_720))))))))
      (local.set $st
        (f64x2.mul
          (local.get $t)
          (f64x2.sub
            (local.get $one)
            (f64x2.mul
              (local.get $t2)
              (f64x2.sub (local.get $inv_6) (f64x2.mul (local.get $t2) (local.get $inv_120)))))))
      ;; z0 = rad·(ca·ct − sa·st); z1 = rad·(sa·ct + ca·st)
      (local.set $z0
        (f64x2.mul
          (local.get $rad)
          (f64x2.sub
            (f64x2.mul (local.get $ca) (local.get $ct))
            (f64x2.mul (local.get $sa) (local.get $st)))))
      (local.set $z1
        (f64x2.mul
          (local.get $rad)
          (f64x2.add
            (f64x2.mul (local.get $sa) (local.get $ct))
            (f64x2.mul (local.get $ca) (local.get $st)))))
      ;; item i: blocks 2⌊i/2⌋ and 2⌊i/2⌋ + 1, pair p = i mod 2, at half a pair's place
      (local.set $at
        (i32.add (local.get $dst)
          (i32.add
            (i32.mul (i32.shr_u (local.get $i) (i32.const 5)) (i32.shl (local.get $block_bytes) (i32.const 1)))
            (i32.mul (i32.and (i32.shr_u (local.get $i) (i32.const 4)) (i32.const 1))
              (i32.shr_u (local.get $block_bytes) (i32.const 1))))))
      (if (i32.eq (local.get $block_bytes) (i32.const 32))
        (then
          ;; (z0, z1) of the first block, then of the second, one block (32 bytes) apart
          (v128.store offset=0 (local.get $at)
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z0) (local.get $z1)))
          (v128.store offset=32 (local.get $at)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
              (local.get $z0) (local.get $z1))))
        (else
          ;; as f32: [z0, z1 of the first block, z0, z1 of the second], 8 bytes each, 16 apart
          (local.set $z0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $z0)) (f32x4.demote_f64x2_zero (local.get $z1))))
          (v128.store64_lane offset=0 0 (local.get $at) (local.get $z0))
          (v128.store64_lane offset=16 1 (local.get $at) (local.get $z0))))
      (br_if $item
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
          (i32.shl (local.get $items) (i32.const 4))))))

  ;; The SSA draws of $items items: E = −log u from the logs at 74768 and
  ;; U = u(w) of the words at 75792. Block j's (E₀, U₀, E₁, U₁) at $dst + 32j.
  (func $ssa_stage (param $dst i32) (param $items i32)
    (local $i i32) (local $at i32) (local $e v128) (local $u v128)
   
    ;; the constants, loaded once (see the globals)
    (local.set $i (i32.const 0))
    (loop $item
      (local.set $e (f64x2.neg (v128.load offset=74768 (local.get $i))))
      (local.set $u (call $uniform_f64x2 (v128.load offset=75792 (local.get $i))))
      ;; item i: blocks 2⌊i/2⌋ and 2⌊i/2⌋ + 1, pair p = i mod 2: (E, U) at 32·block + 16p
      (local.set $at
        (i32.add (local.get $dst)
          (i32.add
            (i32.shl (i32.shr_u (local.get $i) (i32.const 5)) (i32.const 6))
            (i32.and (local.get $i) (i32.const 16)))))
      (v128.store offset=0 (local.get $at)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $e) (local.get $u)))
      (v128.store offset=32 (local.get $at)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $e) (local.get $u)))
      (br_if $item
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
          (i32.shl (local.get $items) (i32.const 4))))))

  ;; ------------------------------------------------------------------------
  ;; The exports

  ;; The driver of the exports: the $n blocks of the counters $counting
  ;; names (see $philox_soa) under the key (k0, k1), and from $ptr on what
  ;; $output asks for:
  ;;
  ;;   0 — the words, 16 bytes a block (w0, w1, w2, w3);
  ;;   1 — the normals, 32 bytes a block (z0, z1, z2, z3), f64;
  ;;   2 — the normals rounded to f32, 16 bytes a block;
  ;;   3 — the SSA draws, 32 bytes a block (E₀, U₀, E₁, U₁), f64.
  ;;
  ;; The words go straight to $ptr (`fill` and `fillSteps` call
  ;; $philox_soa themselves: one call less for the short runs of a path's
  ;; first draws); with $counting 2 the counters are read from $ptr, four
  ;; u32 words a block, made SoA in place and replaced by the words. The
  ;; others go in tiles of up to 64 blocks through the stages, the states in
  ;; scratch.
  (func $run
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $n i32) (param $ptr i32)
    (param $counting i32) (param $output i32)
    (local $m i32) (local $groups i32) (local $block_bytes i32)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (if (i32.eqz (local.get $output))
      (then
        (local.set $groups (i32.shr_u (i32.add (local.get $n) (i32.const 3)) (i32.const 2)))
        (if (i32.eq (local.get $counting) (i32.const 2))
          (then (call $transpose_groups (local.get $ptr) (local.get $ptr) (local.get $groups))))
        (call $philox_soa (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
          (local.get $k0) (local.get $k1) (local.get $groups) (local.get $ptr)
          (local.get $counting) (i32.const 1))
        (return)))
    (local.set $block_bytes (select (i32.const 16) (i32.const 32) (i32.eq (local.get $output) (i32.const 2))))
    (loop $tile
      ;; m blocks in ⌈m/4⌉ groups, 4 items a group
      (local.set $m (select (local.get $n) (i32.const 64) (i32.lt_s (local.get $n) (i32.const 64))))
      (local.set $groups (i32.shr_u (i32.add (local.get $m) (i32.const 3)) (i32.const 2)))
      (call $philox_soa (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
        (local.get $k0) (local.get $k1) (local.get $groups) (i32.const 73744)
        (local.get $counting) (i32.const 0))
      ;; the uniforms (rounded to f32 for the Box–Muller radius), their logs, the outputs
      (call $split_stage (i32.const 73744) (local.get $groups)
        (i32.ne (local.get $output) (i32.const 3)))
      (call $log_stage (i32.const 74768) (i32.shl (local.get $groups) (i32.const 2)))
      (if (i32.eq (local.get $output) (i32.const 3))
        (then (call $ssa_stage (local.get $ptr) (i32.shl (local.get $groups) (i32.const 2))))
        (else
          (call $normals_stage
            (local.get $ptr) (i32.shl (local.get $groups) (i32.const 2)) (local.get $block_bytes))))
      ;; the next tile
      (local.set $ptr (i32.add (local.get $ptr) (i32.mul (local.get $m) (local.get $block_bytes))))
      (if (i32.eqz (local.get $counting))
        (then
          (local.set $c0 (i32.add (local.get $c0) (local.get $m)))
          (local.set $c3 (i32.add (local.get $c3) (i32.lt_u (local.get $c0) (local.get $m)))))
        (else (local.set $c1 (i32.add (local.get $c1) (local.get $m)))))
      (br_if $tile (i32.gt_s (local.tee $n (i32.sub (local.get $n) (local.get $m))) (i32.const 0)))))

  ;; (c0, c1, c2, c3, k0, k1, n, ptr): the outputs of n blocks from ptr.

  ;; Blocks (c0 + i, c1, c2, c3), the block index (c3, c0) carried: their words.
  (func (export "fill")
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $n i32) (param $ptr i32)
    (call $philox_soa (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
      (local.get $k0) (local.get $k1) (i32.shr_u (i32.add (local.get $n) (i32.const 3)) (i32.const 2))
      (local.get $ptr) (i32.const 0) (i32.const 1)))

  ;; Blocks (c0, c1 + i mod 2³², c2, c3): their words.
  (func (export "fillSteps")
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $n i32) (param $ptr i32)
    (call $philox_soa (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
      (local.get $k0) (local.get $k1) (i32.shr_u (i32.add (local.get $n) (i32.const 3)) (i32.const 2))
      (local.get $ptr) (i32.const 1) (i32.const 1)))

  ;; fill's blocks: their Box–Muller normals, f64.
  (func (export "normals")
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $n i32) (param $ptr i32)
    (call $run (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
      (local.get $k0) (local.get $k1) (local.get $n) (local.get $ptr) (i32.const 0) (i32.const 1)))

  ;; fill's blocks: their Box–Muller normals rounded to f32.
  (func (export "normals32")
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $n i32) (param $ptr i32)
    (call $run (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
      (local.get $k0) (local.get $k1) (local.get $n) (local.get $ptr) (i32.const 0) (i32.const 2)))

  ;; fillSteps' blocks: their SSA draws.
  (func (export "expUniformSteps")
    (param $c0 i32) (param $c1 i32) (param $c2 i32) (param $c3 i32)
    (param $k0 i32) (param $k1 i32) (param $n i32) (param $ptr i32)
    (call $run (local.get $c0) (local.get $c1) (local.get $c2) (local.get $c3)
      (local.get $k0) (local.get $k1) (local.get $n) (local.get $ptr) (i32.const 1) (i32.const 3)))

  ;; (ptr, k0, k1, n): the n counters at ptr (four u32 words each) replaced by their blocks.
  (func (export "counters") (param $ptr i32) (param $k0 i32) (param $k1 i32) (param $n i32)
    (call $run (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (local.get $k0) (local.get $k1) (local.get $n) (local.get $ptr) (i32.const 2) (i32.const 0))))
