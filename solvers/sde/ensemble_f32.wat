;; The float32 Euler–Maruyama ensemble step of simulateEnsemble (precision
;; "f32"), in WebAssembly SIMD: Philox, Box–Muller and the update fused per
;; tile of paths, so that no noise array goes through memory.
;;
;; This is the source of solvers/sde/ensemble_f32.wasm and of its base64 copy
;; in solvers/sde/_ensemble_f32_wasm_bytes.ts: `deno task build:wasm`
;; (scripts/build_wasm.ts) compiles it with the pinned npm:wabt, and CI checks
;; the committed bytes. The host is solvers/sde/_ensemble_f32.ts.
;;
;; The noise. The module imports the memory and the `fill` export (Philox
;; words) of an instance of kernels/philox.wasm of its own: each step of a tile
;; of T ≤ 256 paths draws the words of its T·m normals (m = d, diagonal noise;
;; the grid convention of kernels/sde_ensemble.ts: element e = p·m + c of step
;; j is lane e mod 4 of the block (⌊e/4⌋, j, purpose, 0), Philox4x32-10,
;; Salmon et al., SC'11) into a 2 KiB scratch that stays in L1, and turns them
;; into normals by Box–Muller (Box & Muller 1958) in f32x4, four pairs at a
;; time, from the same words as `fillNormal`: radius word a, angle word b of
;; each pair, u = (a + ½)·2⁻³², v = (b >> 8)·2⁻²⁴, r = √(−2 log u), and the
;; pair (r cos 2πv, r sin 2πv). In f32 the log is Cephes' logf
;; (frexp to [√½, √2), a degree-8 polynomial, evaluated by Estrin's scheme), the sine and cosine Cephes'
;; sinf/cosf polynomials on [0, π/4] after an exact reduction by octants of
;; the 24-bit v. The normals are those of the float64 path to within a few
;; f32 ulps of their size (tests/solvers/sde/ensemble_f32_test.ts bounds it);
;; the update consumes them at once. The states of the tile stay in the same
;; few KiB for all its steps.
;;
;; The model. Drift and diffusion are sums of declared terms (the host
;; generates them from the model's declared form, solvers/sde/_ensemble_f32.ts):
;; a term adds c·a·b·e to component r of the drift (or of the diagonal
;; diffusion), a, b and e each one of: the component x_k, √max(x_k, 0), or 1.
;; The host writes each term as (c, target address, three factor addresses),
;; the factor addresses pointing into the state rows, the √ rows or the row
;; of ones; the kernel runs one pass over the tile per term.
;;
;; The update (Euler–Maruyama, Kloeden & Platen 1992, eq. 9.1.2), in f32 with
;; this order of operations, lane by lane (no fused multiply–adds):
;;
;;   f = Σ drift terms, g = Σ diffusion terms (each ((c·a)·b)·e, added in order
;;   onto the first)
;;   x ← (x + f·dt) + g·(√dt·z)
;;
;; Memory layout (byte addresses, in the philox instance's memory, above its
;; tables, scratch and output area; T paths, rows of 256 f32):
;;
;;   126976  W: the Philox words of a step, four per block (+ overrun)
;;   131072  Z: the normals of a step, T·m f32 in path-major order
;;   135168  ZS: the same in component rows (d = 2: de-interleaved)
;;   137216  X: the states, d rows of T f32
;;   139264  Q: √max(x, 0) of the rows that need it
;;   141312  F: drift accumulators, d rows
;;   143360  G: diffusion accumulators, d rows
;;   145408  ONES: a row of 1.0
;;   146432  TERMS: drift terms, then diffusion terms, 24 bytes each
;;            (f32 c, i32 target, i32 a, i32 b, i32 e, i32 number of factors
;;            + 256 for the first term of its row); every row has a first term

(module
  (import "p" "memory" (memory 3))
  (import "p" "fill"
    (func $fill (param i32 i32 i32 i32 i32 i32 i32 i32)))

  (global (export "zAt") i32 (i32.const 131072))
  (global (export "xAt") i32 (i32.const 137216))
  (global (export "sqrtAt") i32 (i32.const 139264))
  (global (export "driftAt") i32 (i32.const 141312))
  (global (export "diffusionAt") i32 (i32.const 143360))
  (global (export "onesAt") i32 (i32.const 145408))
  (global (export "termsAt") i32 (i32.const 146432))

  ;; Box–Muller in f32x4 on the words of `blocks` blocks at W (an even number), into Z:
  ;; two blocks (w0 w1 w2 w3 | w0' w1' w2' w3') give the pairs (w0, w1), (w2, w3),
  ;; (w0', w1'), (w2', w3'), radius word first, and their eight normals in order.
  (func $box_muller (param $blocks i32)
    (local $i i32) (local $end i32) (local $p v128) (local $q v128) (local $a v128)
    (local $b v128) (local $u v128) (local $e v128) (local $x v128) (local $z v128)
    (local $y v128) (local $small v128) (local $r v128) (local $k v128) (local $rem v128)
    (local $odd v128) (local $sn v128) (local $cs v128) (local $swap v128)
    (local $cos v128) (local $sin v128)
    ;; the constants in locals: V8 builds a v128.const in the loop anew at each use
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128) (local $c8 v128) (local $c9 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128) (local $c14 v128) (local $c15 v128) (local $c16 v128) (local $c17 v128) (local $c18 v128) (local $c19 v128) (local $c20 v128) (local $c21 v128) (local $c22 v128) (local $c23 v128) (local $c24 v128) (local $c25 v128) (local $c26 v128) (local $c27 v128) (local $c28 v128) (local $c29 v128) (local $c30 v128)
    (local.set $c0 (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $c1 (v128.const f32x4 0x1p-32 0x1p-32 0x1p-32 0x1p-32))
    (local.set $c2 (v128.const i32x4 126 126 126 126))
    (local.set $c3 (v128.const i32x4 0x007fffff 0x007fffff 0x007fffff 0x007fffff))
    (local.set $c4 (v128.const i32x4 0x3f000000 0x3f000000 0x3f000000 0x3f000000))
    (local.set $c5 (v128.const f32x4 0x1.6a09e6p-1 0x1.6a09e6p-1 0x1.6a09e6p-1 0x1.6a09e6p-1))
    (local.set $c6 (v128.const f32x4 1 1 1 1))
    (local.set $c7 (v128.const f32x4 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1 3.3333331174e-1))
    (local.set $c8 (v128.const f32x4 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1 -2.4999993993e-1))
    (local.set $c9 (v128.const f32x4 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1 2.0000714765e-1))
    (local.set $c10 (v128.const f32x4 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1 -1.6668057665e-1))
    (local.set $c11 (v128.const f32x4 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1 1.4249322787e-1))
    (local.set $c12 (v128.const f32x4 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1 -1.2420140846e-1))
    (local.set $c13 (v128.const f32x4 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1 1.1676998740e-1))
    (local.set $c14 (v128.const f32x4 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1 -1.1514610310e-1))
    (local.set $c15 (v128.const f32x4 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2 7.0376836292e-2))
    (local.set $c16 (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
    (local.set $c17 (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $c18 (v128.const f32x4 -2 -2 -2 -2))
    (local.set $c19 (v128.const i32x4 0x1fffff 0x1fffff 0x1fffff 0x1fffff))
    (local.set $c20 (v128.const i32x4 0 0 0 0))
    (local.set $c21 (v128.const i32x4 1 1 1 1))
    (local.set $c22 (v128.const i32x4 0x200000 0x200000 0x200000 0x200000))
    (local.set $c23 (v128.const f32x4 0x1.921fb6p-22 0x1.921fb6p-22 0x1.921fb6p-22 0x1.921fb6p-22))
    (local.set $c24 (v128.const f32x4 -1.9515295891e-4 -1.9515295891e-4 -1.9515295891e-4 -1.9515295891e-4))
    (local.set $c25 (v128.const f32x4 8.3321608736e-3 8.3321608736e-3 8.3321608736e-3 8.3321608736e-3))
    (local.set $c26 (v128.const f32x4 -1.6666654611e-1 -1.6666654611e-1 -1.6666654611e-1 -1.6666654611e-1))
    (local.set $c27 (v128.const f32x4 2.443315711809948e-5 2.443315711809948e-5 2.443315711809948e-5 2.443315711809948e-5))
    (local.set $c28 (v128.const f32x4 -1.388731625493765e-3 -1.388731625493765e-3 -1.388731625493765e-3 -1.388731625493765e-3))
    (local.set $c29 (v128.const f32x4 4.166664568298827e-2 4.166664568298827e-2 4.166664568298827e-2 4.166664568298827e-2))
    (local.set $c30 (v128.const i32x4 2 2 2 2))
    (local.set $i (i32.const 0))
    (local.set $end (i32.shl (local.get $blocks) (i32.const 4)))
    (loop $pairs
      (local.set $p (v128.load (i32.add (i32.const 126976) (local.get $i))))
      (local.set $q (v128.load offset=16 (i32.add (i32.const 126976) (local.get $i))))
      (local.set $a (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
        (local.get $p) (local.get $q)))
      (local.set $b (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
        (local.get $p) (local.get $q)))
      ;; u = (a + ½)·2⁻³² in (0, 1]; frexp: u = m·2^e, m in [½, 1)
      (local.set $u (f32x4.mul
        (f32x4.add (f32x4.convert_i32x4_u (local.get $a)) (local.get $c0))
        (local.get $c1)))
      (local.set $e (i32x4.sub
        (i32x4.shr_u (local.get $u) (i32.const 23))
        (local.get $c2)))
      (local.set $x (v128.or
        (v128.and (local.get $u) (local.get $c3))
        (local.get $c4)))
      ;; Cephes logf: m < √½ → e − 1, x = 2m − 1; else x = m − 1
      (local.set $small (f32x4.lt (local.get $x)
        (local.get $c5)))
      (local.set $e (i32x4.add (local.get $e) (local.get $small)))
      (local.set $x (f32x4.sub
        (f32x4.add (local.get $x) (v128.and (local.get $x) (local.get $small)))
        (local.get $c6)))
      (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
      ;; P(x) by Estrin's scheme (short dependency chains): (p0 + p1x) + (p2 + p3x)x² +
      ;; ((p4 + p5x) + (p6 + p7x)x²)x⁴ + p8x⁸, Cephes' coefficients
      (local.set $y (f32x4.mul (local.get $z) (local.get $z)))
      (local.set $y (f32x4.add
        (f32x4.add (f32x4.add (local.get $c7) (f32x4.mul (local.get $c8) (local.get $x))) (f32x4.mul (f32x4.add (local.get $c9) (f32x4.mul (local.get $c10) (local.get $x))) (local.get $z)))
        (f32x4.mul (local.get $y)
          (f32x4.add
            (f32x4.add (f32x4.add (local.get $c11) (f32x4.mul (local.get $c12) (local.get $x))) (f32x4.mul (f32x4.add (local.get $c13) (f32x4.mul (local.get $c14) (local.get $x))) (local.get $z)))
            (f32x4.mul (local.get $c15) (local.get $y))))))
      (local.set $y (f32x4.mul (f32x4.mul (local.get $y) (local.get $x)) (local.get $z)))
      (local.set $r (f32x4.convert_i32x4_s (local.get $e)))
      (local.set $y (f32x4.add (local.get $y) (f32x4.mul (local.get $r)
        (local.get $c16))))
      (local.set $y (f32x4.sub (local.get $y)
        (f32x4.mul (local.get $z) (local.get $c0))))
      (local.set $x (f32x4.add (local.get $x) (local.get $y)))
      (local.set $x (f32x4.add (local.get $x) (f32x4.mul (local.get $r)
        (local.get $c17))))
      ;; r = √(−2 log u)
      (local.set $r (f32x4.sqrt (f32x4.mul (local.get $x) (local.get $c18))))
      ;; the angle 2πv, v = (b >> 8)·2⁻²⁴: octant k = top 3 bits, 21-bit remainder,
      ;; reflected in odd octants (2²¹ − rem): δ in [0, π/4]
      (local.set $b (i32x4.shr_u (local.get $b) (i32.const 8)))
      (local.set $k (i32x4.shr_u (local.get $b) (i32.const 21)))
      (local.set $rem (v128.and (local.get $b)
        (local.get $c19)))
      (local.set $odd (i32x4.sub (local.get $c20)
        (v128.and (local.get $k) (local.get $c21))))
      (local.set $rem (v128.bitselect
        (i32x4.sub (local.get $c22) (local.get $rem))
        (local.get $rem) (local.get $odd)))
      (local.set $x (f32x4.mul (f32x4.convert_i32x4_s (local.get $rem))
        (local.get $c23)))
      (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
      ;; Cephes sinf, cosf on [0, π/4]
      (local.set $sn (f32x4.add (local.get $x) (f32x4.mul (f32x4.mul (local.get $x) (local.get $z))
        (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (local.get $z)
          (local.get $c24))
          (local.get $c25))
          (local.get $z))
          (local.get $c26)))))
      (local.set $cs (f32x4.add
        (f32x4.sub (local.get $c6)
          (f32x4.mul (local.get $z) (local.get $c0)))
        (f32x4.mul (f32x4.mul (local.get $z) (local.get $z))
          (f32x4.add (f32x4.mul (f32x4.add (f32x4.mul (local.get $z)
            (local.get $c27))
            (local.get $c28))
            (local.get $z))
            (local.get $c29)))))
      ;; octants 1, 2, 5, 6 swap sine and cosine; cos 2πv is negative in octants 2 … 5,
      ;; sin 2πv in 4 … 7
      (local.set $swap (i32x4.sub (local.get $c20) (v128.and
        (i32x4.shr_u (i32x4.add (local.get $k) (local.get $c21)) (i32.const 1))
        (local.get $c21))))
      (local.set $cos (v128.xor
        (v128.bitselect (local.get $sn) (local.get $cs) (local.get $swap))
        (i32x4.shl (v128.and
          (i32x4.shr_u (i32x4.add (local.get $k) (local.get $c30)) (i32.const 2))
          (local.get $c21)) (i32.const 31))))
      (local.set $sin (v128.xor
        (v128.bitselect (local.get $cs) (local.get $sn) (local.get $swap))
        (i32x4.shl (v128.and (i32x4.shr_u (local.get $k) (i32.const 2))
          (local.get $c21)) (i32.const 31))))
      (local.set $cos (f32x4.mul (local.get $r) (local.get $cos)))
      (local.set $sin (f32x4.mul (local.get $r) (local.get $sin)))
      (v128.store (i32.add (i32.const 131072) (local.get $i))
        (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $cos) (local.get $sin)))
      (v128.store offset=16 (i32.add (i32.const 131072) (local.get $i))
        (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $cos) (local.get $sin)))
      (br_if $pairs (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 32)))
        (local.get $end)))))

  ;; (b0, b1, j, purpose, k0, k1, blocks): the normals of `blocks` blocks (an even number)
  ;; from block b1·2³² + b0 at step j, into Z, f32; for the tests.
  (func $draw (export "draw")
    (param $b0 i32) (param $b1 i32) (param $j i32) (param $purpose i32)
    (param $k0 i32) (param $k1 i32) (param $blocks i32)
    (call $fill (local.get $b0) (local.get $j) (local.get $purpose) (local.get $b1)
      (local.get $k0) (local.get $k1) (local.get $blocks) (i32.const 126976))
    (call $box_muller (local.get $blocks)))

  ;; acc[i] += ((c·a[i])·b[i])·e[i] for the T lanes of one term, with as many factors as it
  ;; has (a missing factor is 1, and a product with 1 is exact, so this is the full product);
  ;; the first term of a row (flag 256 in its count) stores instead of adding, so no row is
  ;; zeroed first.
  (func $term (param $t i32) (param $bytes i32)
    (local $c v128) (local $acc i32) (local $a i32) (local $b i32) (local $e i32)
    (local $i i32) (local $n i32)
    (local.set $c (v128.load32_splat (local.get $t)))
    (local.set $acc (i32.load offset=4 (local.get $t)))
    (local.set $a (i32.load offset=8 (local.get $t)))
    (local.set $b (i32.load offset=12 (local.get $t)))
    (local.set $e (i32.load offset=16 (local.get $t)))
    (local.set $n (i32.load offset=20 (local.get $t)))
    (local.set $i (i32.const 0))
    (if (i32.eq (local.get $n) (i32.const 256))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (local.get $c))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 257))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i)))))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 258))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.mul (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i)))) (v128.load (i32.add (local.get $b) (local.get $i)))))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 259))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.mul (f32x4.mul (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i)))) (v128.load (i32.add (local.get $b) (local.get $i)))) (v128.load (i32.add (local.get $e) (local.get $i)))))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 0))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $i))) (local.get $c)))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 1))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $i))) (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i))))))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 2))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $i))) (f32x4.mul (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i)))) (v128.load (i32.add (local.get $b) (local.get $i))))))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (if (i32.eq (local.get $n) (i32.const 3))
      (then
        (loop $lanes
          (v128.store (i32.add (local.get $acc) (local.get $i)) (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $i))) (f32x4.mul (f32x4.mul (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i)))) (v128.load (i32.add (local.get $b) (local.get $i)))) (v128.load (i32.add (local.get $e) (local.get $i))))))
          (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))
        (return)))
    (unreachable))

  ;; One Euler–Maruyama step of the tile at grid step j.
  (func $step
    (param $b0 i32) (param $b1 i32) (param $j i32) (param $purpose i32)
    (param $k0 i32) (param $k1 i32) (param $paths i32) (param $d i32)
    (param $drift_terms i32) (param $diffusion_terms i32) (param $sqrt_mask i32)
    (param $dt v128) (param $sqdt v128)
    (local $bytes i32) (local $i i32) (local $r i32) (local $t i32) (local $end i32)
    (local $row i32) (local $z i32) (local $v0 v128) (local $v1 v128)
    (local.set $bytes (i32.shl (local.get $paths) (i32.const 2)))
    ;; the step's normals: T·d of them, (T·d)/4 blocks from block (b0, b1)
    (call $draw (local.get $b0) (local.get $b1) (local.get $j) (local.get $purpose)
      (local.get $k0) (local.get $k1) (i32.shr_u (i32.mul (local.get $paths) (local.get $d))
        (i32.const 2)))
    (local.set $z (i32.const 131072))
    (if (i32.eq (local.get $d) (i32.const 2))
      (then
        ;; path-major (p0c0 p0c1 p1c0 p1c1 | p2c0 …) into rows c0 and c1
        (local.set $z (i32.const 135168))
        (local.set $i (i32.const 0))
        (loop $pairs
          (local.set $v0 (v128.load (i32.add (i32.const 131072) (i32.shl (local.get $i) (i32.const 1)))))
          (local.set $v1 (v128.load offset=16
            (i32.add (i32.const 131072) (i32.shl (local.get $i) (i32.const 1)))))
          (v128.store (i32.add (i32.const 135168) (local.get $i))
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1)))
          (v128.store (i32.add (i32.add (i32.const 135168) (local.get $bytes)) (local.get $i))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1)))
          (br_if $pairs (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
            (local.get $bytes))))))
    ;; √max(x, 0) of the rows that need it
    (local.set $r (i32.const 0))
    (loop $rows
      (if (i32.and (local.get $sqrt_mask) (i32.shl (i32.const 1) (local.get $r)))
        (then
          (local.set $row (i32.mul (local.get $r) (i32.const 1024)))
          (local.set $i (i32.const 0))
          (loop $lanes
            (v128.store (i32.add (i32.add (i32.const 139264) (local.get $row)) (local.get $i))
              (f32x4.sqrt (f32x4.max
                (v128.load (i32.add (i32.add (i32.const 137216) (local.get $row)) (local.get $i)))
                (v128.const f32x4 0 0 0 0))))
            (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
              (local.get $bytes))))))
      (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $d))))
    ;; f and g: every term, in order
    (local.set $t (i32.const 146432))
    (local.set $end (i32.add (i32.const 146432)
      (i32.mul (i32.add (local.get $drift_terms) (local.get $diffusion_terms)) (i32.const 24))))
    (block $done
      (loop $terms
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (call $term (local.get $t) (local.get $bytes))
        (local.set $t (i32.add (local.get $t) (i32.const 24)))
        (br $terms)))
    ;; x ← (x + f·dt) + g·(√dt·z), row by row
    (local.set $r (i32.const 0))
    (loop $rows
      (local.set $row (i32.mul (local.get $r) (i32.const 1024)))
      (local.set $i (i32.const 0))
      (loop $lanes
        (v128.store (i32.add (i32.add (i32.const 137216) (local.get $row)) (local.get $i))
          (f32x4.add
            (f32x4.add
              (v128.load (i32.add (i32.add (i32.const 137216) (local.get $row)) (local.get $i)))
              (f32x4.mul
                (v128.load (i32.add (i32.add (i32.const 141312) (local.get $row)) (local.get $i)))
                (local.get $dt)))
            (f32x4.mul
              (v128.load (i32.add (i32.add (i32.const 143360) (local.get $row)) (local.get $i)))
              (f32x4.mul (local.get $sqdt)
                (v128.load (i32.add (i32.add (local.get $z)
                  (i32.mul (local.get $r) (local.get $bytes))) (local.get $i)))))))
        (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
          (local.get $bytes))))
      (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $d)))))

  ;; (b0, b1, j0, j1, purpose, k0, k1, paths, d, driftTerms, diffusionTerms, sqrtMask, dt, sqdt):
  ;; grid steps j0 … j1−1 of the tile whose first Philox block is b1·2³² + b0; paths a
  ;; multiple of 8, at most 256; d 1 or 2.
  (func (export "run")
    (param $b0 i32) (param $b1 i32) (param $j0 i32) (param $j1 i32) (param $purpose i32)
    (param $k0 i32) (param $k1 i32) (param $paths i32) (param $d i32)
    (param $drift_terms i32) (param $diffusion_terms i32) (param $sqrt_mask i32)
    (param $dt f32) (param $sqdt f32)
    (local $dtv v128) (local $sqv v128) (local $j i32)
    (local.set $dtv (f32x4.splat (local.get $dt)))
    (local.set $sqv (f32x4.splat (local.get $sqdt)))
    (local.set $j (local.get $j0))
    (block $done
      (loop $steps
        (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
        (call $step (local.get $b0) (local.get $b1) (local.get $j) (local.get $purpose)
          (local.get $k0) (local.get $k1) (local.get $paths) (local.get $d)
          (local.get $drift_terms) (local.get $diffusion_terms) (local.get $sqrt_mask)
          (local.get $dtv) (local.get $sqv))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $steps)))))
