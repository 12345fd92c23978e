;; The float32 Euler–Maruyama ensemble step of simulateEnsemble (precision
;; "f32"), in WebAssembly SIMD: Philox, Box–Muller and the update fused per
;; tile of paths, so that no noise array goes through memory.
;;
;; This is the source of solvers/sde/ensemble_f32.wasm and of its base64 copy
;; in solvers/sde/_ensemble_f32_wasm_bytes.ts: `deno task build:wasm`
;; (scripts/build_wasm.ts) compiles it with the pinned npm:wabt, and CI checks
;; the committed bytes. The host is solvers/sde/_ensemble_f32.ts.
;;
;; The noise. The module imports the memory and the `normals32` export of an
;; instance of kernels/philox.wasm of its own: each step of a tile of T ≤ 256
;; paths draws its T·m normals (m = d, diagonal noise) into a 2 KiB scratch
;; that stays in L1 — exactly the float64 Box–Muller normals of `fillNormal`
;; rounded to f32 (Philox4x32-10, Salmon et al., SC'11; the grid convention
;; of kernels/sde_ensemble.ts: element e = p·m + c of step j is lane e mod 4
;; of the block (⌊e/4⌋, j, purpose, 0)) — and the update consumes them at
;; once. The states of the tile stay in the same few KiB for all its steps.
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
;;   f = Σ drift terms, g = Σ diffusion terms (each ((c·a)·b)·e, added in order)
;;   x ← (x + f·dt) + g·(√dt·z)
;;
;; Memory layout (byte addresses, in the philox instance's memory, above its
;; tables, scratch and output area; T paths, rows of 256 f32):
;;
;;   131072  Z: the normals of a step, T·m f32 in path-major order (+ overrun)
;;   135168  ZS: the same in component rows (d = 2: de-interleaved)
;;   137216  X: the states, d rows of T f32
;;   139264  Q: √max(x, 0) of the rows that need it
;;   141312  F: drift accumulators, d rows
;;   143360  G: diffusion accumulators, d rows
;;   145408  ONES: a row of 1.0
;;   146432  TERMS: drift terms, then diffusion terms, 24 bytes each
;;            (f32 c, i32 target, i32 a, i32 b, i32 e, pad)

(module
  (import "p" "memory" (memory 3))
  (import "p" "normals32"
    (func $normals32 (param i32 i32 i32 i32 i32 i32 i32 i32)))

  (global (export "zAt") i32 (i32.const 131072))
  (global (export "xAt") i32 (i32.const 137216))
  (global (export "sqrtAt") i32 (i32.const 139264))
  (global (export "driftAt") i32 (i32.const 141312))
  (global (export "diffusionAt") i32 (i32.const 143360))
  (global (export "onesAt") i32 (i32.const 145408))
  (global (export "termsAt") i32 (i32.const 146432))

  ;; acc[i] += ((c·a[i])·b[i])·e[i] for the T lanes of one term.
  (func $term (param $t i32) (param $bytes i32)
    (local $c v128) (local $acc i32) (local $a i32) (local $b i32) (local $e i32)
    (local $i i32)
    (local.set $c (v128.load32_splat (local.get $t)))
    (local.set $acc (i32.load offset=4 (local.get $t)))
    (local.set $a (i32.load offset=8 (local.get $t)))
    (local.set $b (i32.load offset=12 (local.get $t)))
    (local.set $e (i32.load offset=16 (local.get $t)))
    (local.set $i (i32.const 0))
    (loop $lanes
      (v128.store (i32.add (local.get $acc) (local.get $i))
        (f32x4.add
          (v128.load (i32.add (local.get $acc) (local.get $i)))
          (f32x4.mul
            (f32x4.mul
              (f32x4.mul (local.get $c) (v128.load (i32.add (local.get $a) (local.get $i))))
              (v128.load (i32.add (local.get $b) (local.get $i))))
            (v128.load (i32.add (local.get $e) (local.get $i))))))
      (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
        (local.get $bytes)))))

  ;; Zeroes `bytes` bytes from `ptr` (a multiple of 16).
  (func $zero (param $ptr i32) (param $bytes i32)
    (local $i i32)
    (local.set $i (i32.const 0))
    (loop $lanes
      (v128.store (i32.add (local.get $ptr) (local.get $i)) (v128.const i32x4 0 0 0 0))
      (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16)))
        (local.get $bytes)))))

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
    (call $normals32 (local.get $b0) (local.get $j) (local.get $purpose) (local.get $b1)
      (local.get $k0) (local.get $k1) (i32.shr_u (i32.mul (local.get $paths) (local.get $d))
        (i32.const 2))
      (i32.const 131072))
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
    (call $zero (i32.const 141312) (i32.const 4096))
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
  ;; multiple of 4 (of 2 blocks' worth when d = 2), at most 256; d 1 or 2.
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
