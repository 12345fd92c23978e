;; Dense float64 kernels of expm (solvers/ctmc/expm.ts): matrix products that skip the zero bands
;; of banded factors, LU with partial pivoting and the solve of many right-hand sides at once, the
;; 1-norm; and the sparse products of expmMultiply (expm_multiply.ts). Matrices are n×n, row-major,
;; at byte offsets into the exported memory; bands are (p, q): a_ij = 0 unless −p ≤ j − i ≤ q.
;; Each function computes every entry in the same order as its JavaScript twin (one multiply and
;; one add or subtract per term, sums in ascending index order); SIMD only computes two columns at
;; once. The dense kernels use relaxed SIMD's fused multiply-add (f64x2.relaxed_madd/nmadd), fused
;; where the hardware has one, so their last bits may differ from the twin's; the kernels of
;; expmMultiply use no fused operation and give the twin's bits.

(module
  (memory (export "memory") 1)

  ;; C = A·B (mode 0), C = C − A·B (mode 1) or C = C + A·B (mode 2). A has band (pa, qa), B has band (pb, qb); A·B
  ;; has band (pa + pb, qa + qb), and in mode 0 C gets zeros elsewhere. With 4 added to the mode
  ;; ("upper"), only the entries on and above the diagonal are guaranteed (whole 4×4 blocks on and
  ;; above the diagonal blocks are computed; the entries below them are left as they were), for a
  ;; product whose lower triangle the caller fills otherwise ("mirror"); with 8 added ("lower"),
  ;; likewise the entries on and below the diagonal. Entry c_ij is
  ;; Σ a_ik b_kj over k in ascending order, from +0 (or from c_ij, with ∓a_ik), over the k where both
  ;; factors may be nonzero (the terms skipped are exact zeros), each term one fused
  ;; multiply-add where the hardware has one (relaxed SIMD). Blocks of 4 rows × 4 columns
  ;; hold 8 f64x2 accumulators in registers; rows and columns past the last whole block take
  ;; one dot product each. w: scratch of 8·(n² + 8n) bytes (the packed panels). Requires
  ;; n ≥ 1 and non-overlapping c with a, b, w.
  (func (export "matmul") (param $a i32) (param $b i32) (param $c i32) (param $w i32)
    (param $n i32) (param $pa i32) (param $qa i32) (param $pb i32) (param $qb i32) (param $mode i32)
    (local $n8 i32) (local $n4 i32) (local $i i32) (local $j i32) (local $k i32)
    (local $src i32) (local $dst i32) (local $end i32) (local $wa i32)
    (local $klo i32) (local $khi i32) (local $lo i32) (local $hi i32) (local $jlo i32) (local $jhi i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $sgn f64)
    (local $full i32) (local $r i32) (local $upper i32) (local $lower i32) (local $jend i32)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $upper (i32.and (local.get $mode) (i32.const 4)))
    (local.set $lower (i32.and (local.get $mode) (i32.const 8)))
    (local.set $mode (i32.and (local.get $mode) (i32.const 3)))
    (local.set $sgn (select (f64.const -1) (f64.const 1) (i32.eq (local.get $mode) (i32.const 1))))
    ;; zeros outside the band of A·B (mode 0), unless every entry is computed below: the whole
    ;; matrix when n is small, else per block of 4 rows the columns outside its blocks (below)
    (local.set $full (i32.and
      (i32.ge_s (i32.add (local.get $pa) (local.get $pb)) (i32.sub (local.get $n) (i32.const 1)))
      (i32.ge_s (i32.add (local.get $qa) (local.get $qb)) (i32.sub (local.get $n) (i32.const 1)))))
    (if (i32.and (i32.eqz (local.get $mode)) (i32.and (i32.eqz (local.get $full))
        (i32.lt_u (local.get $n) (i32.const 16))))
      (then (memory.fill (local.get $c) (i32.const 0) (i32.mul (local.get $n8) (local.get $n)))))
    ;; B in panels of 4 columns: column block j (a multiple of 4) at w + 8·n·j, row k at +32k,
    ;; only the rows k where the panel may be nonzero, [j − qb, j + 3 + pb]
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $n4)))
      (local.set $lo (call $max0 (i32.sub (local.get $j) (local.get $qb))))
      (local.set $hi (call $min (local.get $n) (i32.add (i32.add (local.get $j) (i32.const 4)) (local.get $pb))))
      (local.set $src (i32.add (local.get $b)
        (i32.add (i32.mul (local.get $lo) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3)))))
      (local.set $dst (i32.add (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $n8)))
        (i32.shl (local.get $lo) (i32.const 5))))
      (local.set $end (i32.add (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $n8)))
        (i32.shl (local.get $hi) (i32.const 5))))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $n8)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $n2)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $next)))
    ;; the panel of 4 rows of A, row k at wa + 32k: after the B panels
    (local.set $wa (i32.add (local.get $w) (i32.mul (local.get $n4) (local.get $n8))))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
      ;; k where rows i..i+3 of A may be nonzero: [i − pa, i + 3 + qa]
      (local.set $klo (call $max0 (i32.sub (local.get $i) (local.get $pa))))
      (local.set $khi (call $min (local.get $n) (i32.add (i32.add (local.get $i) (i32.const 4)) (local.get $qa))))
      (local.set $k (local.get $klo))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $khi)))
        (local.set $src (i32.add (local.get $a)
          (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $dst (i32.add (local.get $wa) (i32.shl (local.get $k) (i32.const 6))))
        (v128.store (local.get $dst) (f64x2.splat (f64.mul (local.get $sgn) (f64.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (local.get $n8)))
        (v128.store offset=16 (local.get $dst) (f64x2.splat (f64.mul (local.get $sgn) (f64.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (local.get $n8)))
        (v128.store offset=32 (local.get $dst) (f64x2.splat (f64.mul (local.get $sgn) (f64.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (local.get $n8)))
        (v128.store offset=48 (local.get $dst) (f64x2.splat (f64.mul (local.get $sgn) (f64.load (local.get $src)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $n2)))
      ;; column blocks that meet C's band: j in [i − pa − pb, i + 3 + qa + qb], whole blocks
      (local.set $jlo (i32.and (call $max0 (i32.sub (i32.sub (local.get $i) (local.get $pa)) (local.get $pb)))
        (i32.const -4)))
      (local.set $jhi (call $min (local.get $n4) (i32.and
        (i32.add (i32.add (i32.add (local.get $i) (local.get $qa)) (local.get $qb)) (i32.const 7))
        (i32.const -4))))
      ;; mode 0, n ≥ 16, banded: zero the columns of rows i..i+3 outside [jlo, jhi) and below n4
      (if (i32.and (i32.eqz (local.get $mode)) (i32.and (i32.eqz (local.get $full))
          (i32.ge_u (local.get $n) (i32.const 16)))) (then
        (local.set $r (local.get $i))
        (block $d3 (loop $n3
          (br_if $d3 (i32.ge_u (local.get $r) (i32.add (local.get $i) (i32.const 4))))
          (local.set $dst (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $n8))))
          (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $jlo) (i32.const 3)))
          (memory.fill (i32.add (local.get $dst) (i32.shl (local.get $jhi) (i32.const 3))) (i32.const 0)
            (i32.shl (i32.sub (local.get $n4) (local.get $jhi)) (i32.const 3)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $n3)))))
      (local.set $j (select (call $max (local.get $jlo) (local.get $i)) (local.get $jlo) (local.get $upper)))
      (local.set $jend (select (call $min (local.get $jhi) (i32.add (local.get $i) (i32.const 4)))
        (local.get $jhi) (local.get $lower)))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $jend)))
        ;; k where columns j..j+3 of B may also be nonzero: [j − qb, j + 3 + pb]
        (local.set $lo (call $max (local.get $klo) (i32.sub (local.get $j) (local.get $qb))))
        (local.set $hi (call $min (local.get $khi) (i32.add (i32.add (local.get $j) (i32.const 4)) (local.get $pb))))
        (local.set $c00 (v128.const i64x2 0 0)) (local.set $c01 (v128.const i64x2 0 0))
        (local.set $c10 (v128.const i64x2 0 0)) (local.set $c11 (v128.const i64x2 0 0))
        (local.set $c20 (v128.const i64x2 0 0)) (local.set $c21 (v128.const i64x2 0 0))
        (local.set $c30 (v128.const i64x2 0 0)) (local.set $c31 (v128.const i64x2 0 0))
        (if (local.get $mode) (then
          (local.set $dst (i32.add (local.get $c)
            (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3)))))
          (local.set $c00 (v128.load (local.get $dst))) (local.set $c01 (v128.load offset=16 (local.get $dst)))
          (local.set $dst (i32.add (local.get $dst) (local.get $n8)))
          (local.set $c10 (v128.load (local.get $dst))) (local.set $c11 (v128.load offset=16 (local.get $dst)))
          (local.set $dst (i32.add (local.get $dst) (local.get $n8)))
          (local.set $c20 (v128.load (local.get $dst))) (local.set $c21 (v128.load offset=16 (local.get $dst)))
          (local.set $dst (i32.add (local.get $dst) (local.get $n8)))
          (local.set $c30 (v128.load (local.get $dst))) (local.set $c31 (v128.load offset=16 (local.get $dst)))))
        (if (i32.lt_s (local.get $lo) (local.get $hi)) (then
          (local.set $src (i32.add (local.get $wa) (i32.shl (local.get $lo) (i32.const 6))))
          (local.set $dst (i32.add (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $n8)))
            (i32.shl (local.get $lo) (i32.const 5))))
          ;; four k per pass, then one at a time
          (local.set $end (i32.add (local.get $wa) (i32.shl
            (i32.sub (local.get $hi) (i32.and (i32.sub (local.get $hi) (local.get $lo)) (i32.const 3)))
            (i32.const 6))))
          (block $d3 (loop $n3
            (br_if $d3 (i32.ge_u (local.get $src) (local.get $end)))
            (local.set $x0 (v128.load offset=0 (local.get $dst)))
            (local.set $x1 (v128.load offset=16 (local.get $dst)))
            (local.set $y (v128.load offset=0 (local.get $src)))
            (local.set $c00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c00)))
            (local.set $c01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c01)))
            (local.set $y (v128.load offset=16 (local.get $src)))
            (local.set $c10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c10)))
            (local.set $c11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c11)))
            (local.set $y (v128.load offset=32 (local.get $src)))
            (local.set $c20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c20)))
            (local.set $c21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c21)))
            (local.set $y (v128.load offset=48 (local.get $src)))
            (local.set $c30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c30)))
            (local.set $c31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c31)))
            (local.set $x0 (v128.load offset=32 (local.get $dst)))
            (local.set $x1 (v128.load offset=48 (local.get $dst)))
            (local.set $y (v128.load offset=64 (local.get $src)))
            (local.set $c00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c00)))
            (local.set $c01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c01)))
            (local.set $y (v128.load offset=80 (local.get $src)))
            (local.set $c10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c10)))
            (local.set $c11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c11)))
            (local.set $y (v128.load offset=96 (local.get $src)))
            (local.set $c20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c20)))
            (local.set $c21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c21)))
            (local.set $y (v128.load offset=112 (local.get $src)))
            (local.set $c30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c30)))
            (local.set $c31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c31)))
            (local.set $x0 (v128.load offset=64 (local.get $dst)))
            (local.set $x1 (v128.load offset=80 (local.get $dst)))
            (local.set $y (v128.load offset=128 (local.get $src)))
            (local.set $c00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c00)))
            (local.set $c01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c01)))
            (local.set $y (v128.load offset=144 (local.get $src)))
            (local.set $c10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c10)))
            (local.set $c11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c11)))
            (local.set $y (v128.load offset=160 (local.get $src)))
            (local.set $c20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c20)))
            (local.set $c21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c21)))
            (local.set $y (v128.load offset=176 (local.get $src)))
            (local.set $c30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c30)))
            (local.set $c31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c31)))
            (local.set $x0 (v128.load offset=96 (local.get $dst)))
            (local.set $x1 (v128.load offset=112 (local.get $dst)))
            (local.set $y (v128.load offset=192 (local.get $src)))
            (local.set $c00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c00)))
            (local.set $c01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c01)))
            (local.set $y (v128.load offset=208 (local.get $src)))
            (local.set $c10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c10)))
            (local.set $c11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c11)))
            (local.set $y (v128.load offset=224 (local.get $src)))
            (local.set $c20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c20)))
            (local.set $c21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c21)))
            (local.set $y (v128.load offset=240 (local.get $src)))
            (local.set $c30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c30)))
            (local.set $c31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c31)))
            (local.set $src (i32.add (local.get $src) (i32.const 256)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
            (br $n3)))
          (local.set $end (i32.add (local.get $wa) (i32.shl (local.get $hi) (i32.const 6))))
          (block $d3 (loop $n3
            (br_if $d3 (i32.ge_u (local.get $src) (local.get $end)))
            (local.set $x0 (v128.load offset=0 (local.get $dst)))
            (local.set $x1 (v128.load offset=16 (local.get $dst)))
            (local.set $y (v128.load offset=0 (local.get $src)))
            (local.set $c00 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c00)))
            (local.set $c01 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c01)))
            (local.set $y (v128.load offset=16 (local.get $src)))
            (local.set $c10 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c10)))
            (local.set $c11 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c11)))
            (local.set $y (v128.load offset=32 (local.get $src)))
            (local.set $c20 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c20)))
            (local.set $c21 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c21)))
            (local.set $y (v128.load offset=48 (local.get $src)))
            (local.set $c30 (f64x2.relaxed_madd (local.get $y) (local.get $x0) (local.get $c30)))
            (local.set $c31 (f64x2.relaxed_madd (local.get $y) (local.get $x1) (local.get $c31)))
            (local.set $src (i32.add (local.get $src) (i32.const 64)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br $n3)))))
        (local.set $dst (i32.add (local.get $c)
          (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3)))))
        (v128.store (local.get $dst) (local.get $c00))
        (v128.store offset=16 (local.get $dst) (local.get $c01))
        (local.set $dst (i32.add (local.get $dst) (local.get $n8)))
        (v128.store (local.get $dst) (local.get $c10))
        (v128.store offset=16 (local.get $dst) (local.get $c11))
        (local.set $dst (i32.add (local.get $dst) (local.get $n8)))
        (v128.store (local.get $dst) (local.get $c20))
        (v128.store offset=16 (local.get $dst) (local.get $c21))
        (local.set $dst (i32.add (local.get $dst) (local.get $n8)))
        (v128.store (local.get $dst) (local.get $c30))
        (v128.store offset=16 (local.get $dst) (local.get $c31))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $n2)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    ;; the rest: columns j ≥ n4 of the first n4 rows, and every column of the last rows
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (select (i32.const 0) (local.get $n4) (i32.ge_u (local.get $i) (local.get $n4))))
      (if (local.get $upper) (then (local.set $j (call $max (local.get $j) (local.get $i)))))
      (local.set $jend (select (call $min (local.get $n) (i32.add (local.get $i) (i32.const 1)))
        (local.get $n) (local.get $lower)))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $jend)))
        (call $dot (local.get $a) (local.get $b) (local.get $c) (local.get $n) (local.get $i) (local.get $j)
          (local.get $pa) (local.get $qa) (local.get $pb) (local.get $qb) (local.get $mode))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $n2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; c_ij = [c_ij ∓] Σ a_ik b_kj over k in [max(0, i − pa, j − qb), min(n, i + qa + 1, j + pb + 1)).
  (func $dot (param $a i32) (param $b i32) (param $c i32) (param $n i32) (param $i i32) (param $j i32)
    (param $pa i32) (param $qa i32) (param $pb i32) (param $qb i32) (param $mode i32)
    (local $k i32) (local $hi i32) (local $n8 i32) (local $s f64) (local $sgn f64)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (local.set $k (call $max (call $max0 (i32.sub (local.get $i) (local.get $pa)))
      (i32.sub (local.get $j) (local.get $qb))))
    (local.set $hi (call $min (call $min (local.get $n) (i32.add (i32.add (local.get $i) (local.get $qa)) (i32.const 1)))
      (i32.add (i32.add (local.get $j) (local.get $pb)) (i32.const 1))))
    (local.set $s (f64.const 0))
    (local.set $sgn (f64.const 1))
    (if (local.get $mode) (then
      (local.set $sgn (select (f64.const -1) (f64.const 1) (i32.eq (local.get $mode) (i32.const 1))))
      (local.set $s (f64.load (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3))))))))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $k) (local.get $hi)))
      (local.set $s (call $fma (f64.mul (local.get $sgn)
        (f64.load (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $k) (i32.const 3))))))
        (f64.load (i32.add (local.get $b) (i32.add (i32.mul (local.get $k) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3)))))
        (local.get $s)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (f64.store (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3))))
      (local.get $s)))

  ;; x[lo, hi) −= l · y[lo, hi) (f64 entries, byte offsets x and y of entry 0), two at a time.
  (func $axpy (param $x i32) (param $y i32) (param $l f64) (param $lo i32) (param $hi i32)
    (local $px i32) (local $py i32) (local $end i32) (local $lv v128)
    (local.set $px (i32.add (local.get $x) (i32.shl (local.get $lo) (i32.const 3))))
    (local.set $py (i32.add (local.get $y) (i32.shl (local.get $lo) (i32.const 3))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $hi) (i32.const 3))))
    (local.set $lv (f64x2.splat (local.get $l)))
    (block $done (loop $next
      (br_if $done (i32.gt_s (i32.add (local.get $px) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $px)
        (f64x2.relaxed_nmadd (local.get $lv) (v128.load (local.get $py)) (v128.load (local.get $px))))
      (local.set $px (i32.add (local.get $px) (i32.const 16)))
      (local.set $py (i32.add (local.get $py) (i32.const 16)))
      (br $next)))
    (if (i32.lt_s (local.get $px) (local.get $end)) (then
      (f64.store (local.get $px) (f64x2.extract_lane 0 (f64x2.relaxed_nmadd (local.get $lv)
        (v128.load64_zero (local.get $py)) (v128.load64_zero (local.get $px))))))))

  ;; LU factorisation with partial pivoting, P·Q = L·U (Golub & Van Loan, Algorithm 3.4.1), in
  ;; place: U on and above the diagonal, the multipliers of L below it, rows swapped whole; Q has
  ;; at most kl nonzero subdiagonals (kl = n − 1 for a dense Q), so only rows k..k + kl are
  ;; searched and eliminated at step k (partial pivoting keeps that bandwidth, as in LAPACK's
  ;; gbtrf);
  ;; piv (3n i32) gets the row swapped with row k at step k, the first row i ≥ k of largest |q_ik|,
  ;; then for each row the extent of its nonzero factor entries.
  ;; Row k updates the rows below it only up to its last nonzero column, and only where the
  ;; multiplier is nonzero. A zero pivot leaves its column (later divisions give ±Inf or NaN).
  (func (export "factor") (param $q i32) (param $piv i32) (param $n i32) (param $kl i32)
    (local $n8 i32) (local $k i32) (local $i i32) (local $p i32) (local $uk i32) (local $rk i32)
    (local $best f64) (local $v f64) (local $l f64) (local $d f64) (local $last i32)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $p (local.get $k))
      ;; below row k + kl column k is zero (partial pivoting keeps the lower bandwidth)
      (local.set $last (call $min (local.get $n) (i32.add (i32.add (local.get $k) (local.get $kl)) (i32.const 1))))
      (local.set $best (f64.abs (call $at (local.get $q) (local.get $n8) (local.get $k) (local.get $k))))
      (local.set $i (i32.add (local.get $k) (i32.const 1)))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $last)))
        (local.set $v (f64.abs (call $at (local.get $q) (local.get $n8) (local.get $i) (local.get $k))))
        (if (f64.gt (local.get $v) (local.get $best)) (then
          (local.set $best (local.get $v)) (local.set $p (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $n2)))
      (i32.store (i32.add (local.get $piv) (i32.shl (local.get $k) (i32.const 2))) (local.get $p))
      (if (i32.ne (local.get $p) (local.get $k)) (then
        (call $swap (i32.add (local.get $q) (i32.mul (local.get $k) (local.get $n8)))
          (i32.add (local.get $q) (i32.mul (local.get $p) (local.get $n8))) (local.get $n))))
      (local.set $d (call $at (local.get $q) (local.get $n8) (local.get $k) (local.get $k)))
      (local.set $rk (i32.add (local.get $q) (i32.mul (local.get $k) (local.get $n8))))
      ;; one past the last nonzero column of row k
      (local.set $uk (local.get $n))
      (block $d2 (loop $n2
        (br_if $d2 (i32.le_s (local.get $uk) (i32.add (local.get $k) (i32.const 1))))
        (br_if $d2 (f64.ne (f64.load (i32.add (local.get $rk) (i32.shl (i32.sub (local.get $uk) (i32.const 1)) (i32.const 3)))) (f64.const 0)))
        (local.set $uk (i32.sub (local.get $uk) (i32.const 1)))
        (br $n2)))
      (if (f64.ne (local.get $d) (f64.const 0)) (then
        (local.set $i (i32.add (local.get $k) (i32.const 1)))
        (block $d2 (loop $n2
          (br_if $d2 (i32.ge_u (local.get $i) (local.get $last)))
          (local.set $l (f64.div (call $at (local.get $q) (local.get $n8) (local.get $i) (local.get $k)) (local.get $d)))
          (f64.store (i32.add (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $n8))) (i32.shl (local.get $k) (i32.const 3)))
            (local.get $l))
          (if (f64.ne (local.get $l) (f64.const 0)) (then
            (call $axpy (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $n8))) (local.get $rk)
              (local.get $l) (i32.add (local.get $k) (i32.const 1)) (local.get $uk))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $n2)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    ;; the extent of each factor row: its first nonzero column (L part, below the diagonal) and
    ;; one past its last (U part), after piv at piv + 4n (2n i32)
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $rk (i32.add (local.get $q) (i32.mul (local.get $i) (local.get $n8))))
      (local.set $p (i32.const 0))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $p) (local.get $i)))
        (br_if $d2 (f64.ne (f64.load (i32.add (local.get $rk) (i32.shl (local.get $p) (i32.const 3)))) (f64.const 0)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $n2)))
      (local.set $uk (local.get $n))
      (block $d2 (loop $n2
        (br_if $d2 (i32.le_u (local.get $uk) (i32.add (local.get $i) (i32.const 1))))
        (br_if $d2 (f64.ne (f64.load (i32.add (local.get $rk) (i32.shl (i32.sub (local.get $uk) (i32.const 1)) (i32.const 3)))) (f64.const 0)))
        (local.set $uk (i32.sub (local.get $uk) (i32.const 1)))
        (br $n2)))
      (i32.store (i32.add (i32.add (local.get $piv) (i32.shl (local.get $n) (i32.const 2))) (i32.shl (local.get $i) (i32.const 3)))
        (local.get $p))
      (i32.store offset=4 (i32.add (i32.add (local.get $piv) (i32.shl (local.get $n) (i32.const 2))) (i32.shl (local.get $i) (i32.const 3)))
        (local.get $uk))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; Solves Q·X = P in place of P (n columns) from the factors of "factor" (Golub & Van Loan,
  ;; Algorithms 3.1.3–3.1.4): the row swaps, then L (forward), then U (back),
  ;;   row i −= Σ_{k<i} l_ik · row k;   row i = (row i − Σ_{k>i} u_ik · row k) / u_ii,
  ;; each entry updated in ascending k (the order of the right-looking elimination), row by row
  ;; with the row's entries held in registers across its k. Only nonzero factor entries and the
  ;; nonzero spans of the rows are visited: r (2n i32) holds, for each row, the span [lo, hi)
  ;; outside which it is zero; lst: 32n bytes of scratch (the nonzero entries of one factor row).
  (func (export "substitute") (param $q i32) (param $piv i32) (param $p i32) (param $r i32)
    (param $lst i32) (param $n i32)
    (local $n8 i32) (local $k i32) (local $i i32) (local $j i32) (local $pk i32) (local $ri i32)
    (local $d f64) (local $lo i32) (local $hi i32) (local $span i64) (local $ext i32) (local $dv v128)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (local.set $ext (i32.add (local.get $piv) (i32.shl (local.get $n) (i32.const 2))))
    ;; spans of the rows of P (empty: 0, 0)
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $ri (i32.add (local.get $p) (i32.mul (local.get $i) (local.get $n8))))
      (local.set $lo (i32.const 0))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $lo) (local.get $n)))
        (br_if $d2 (f64.ne (f64.load (i32.add (local.get $ri) (i32.shl (local.get $lo) (i32.const 3)))) (f64.const 0)))
        (local.set $lo (i32.add (local.get $lo) (i32.const 1)))
        (br $n2)))
      (local.set $hi (local.get $n))
      (block $d2 (loop $n2
        (br_if $d2 (i32.le_s (local.get $hi) (local.get $lo)))
        (br_if $d2 (f64.ne (f64.load (i32.add (local.get $ri) (i32.shl (i32.sub (local.get $hi) (i32.const 1)) (i32.const 3)))) (f64.const 0)))
        (local.set $hi (i32.sub (local.get $hi) (i32.const 1)))
        (br $n2)))
      (if (i32.ge_s (local.get $lo) (local.get $hi)) (then (local.set $lo (i32.const 0)) (local.set $hi (i32.const 0))))
      (i32.store (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3))) (local.get $lo))
      (i32.store offset=4 (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3))) (local.get $hi))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    ;; the row swaps, in order
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $pk (i32.load (i32.add (local.get $piv) (i32.shl (local.get $k) (i32.const 2)))))
      (if (i32.ne (local.get $pk) (local.get $k)) (then
        (call $swap (i32.add (local.get $p) (i32.mul (local.get $k) (local.get $n8)))
          (i32.add (local.get $p) (i32.mul (local.get $pk) (local.get $n8))) (local.get $n))
        (local.set $span (i64.load (i32.add (local.get $r) (i32.shl (local.get $k) (i32.const 3)))))
        (i64.store (i32.add (local.get $r) (i32.shl (local.get $k) (i32.const 3)))
          (i64.load (i32.add (local.get $r) (i32.shl (local.get $pk) (i32.const 3)))))
        (i64.store (i32.add (local.get $r) (i32.shl (local.get $pk) (i32.const 3))) (local.get $span))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    ;; forward: L has a unit diagonal
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $rowUpdate (local.get $q) (local.get $p) (local.get $r) (local.get $lst) (local.get $n8)
        (local.get $i) (i32.load (i32.add (local.get $ext) (i32.shl (local.get $i) (i32.const 3)))) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    ;; back substitution
    (local.set $i (local.get $n))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (call $rowUpdate (local.get $q) (local.get $p) (local.get $r) (local.get $lst) (local.get $n8)
        (local.get $i) (i32.add (local.get $i) (i32.const 1))
        (i32.load offset=4 (i32.add (local.get $ext) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $d (call $at (local.get $q) (local.get $n8) (local.get $i) (local.get $i)))
      (local.set $ri (i32.add (local.get $p) (i32.mul (local.get $i) (local.get $n8))))
      (local.set $j (i32.load (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $hi (i32.load offset=4 (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3)))))
      ;; two at a time (each lane correctly rounded, as one at a time), then the last one
      (local.set $dv (f64x2.splat (local.get $d)))
      (block $d2 (loop $n2
        (br_if $d2 (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $hi)))
        (v128.store (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))
          (f64x2.div (v128.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))) (local.get $dv)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $n2)))
      (if (i32.lt_s (local.get $j) (local.get $hi)) (then
        (f64.store (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))
          (f64.div (f64.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))) (local.get $d)))))
      (br $next))))

  ;; row i of P −= Σ q_ik · row k of P over k in [k0, k1) with q_ik ≠ 0 and row k not empty, in
  ;; ascending k; row i's span becomes the union of its own and theirs (or theirs, when its own is
  ;; empty). The factor entries are listed first (the address of row k, at lst + 32e, and q_ik
  ;; splatted, at +16), then the row is updated 16, then 2, then 1 entries at a time.
  (func $rowUpdate (param $q i32) (param $p i32) (param $r i32) (param $lst i32) (param $n8 i32)
    (param $i i32) (param $k0 i32) (param $k1 i32)
    (local $k i32) (local $cnt i32) (local $l f64) (local $lo i32) (local $hi i32) (local $klo i32)
    (local $khi i32) (local $e i32) (local $end i32) (local $ri i32) (local $j i32) (local $src i32)
    (local $off i32) (local $lv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $lo (i32.load (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3)))))
    (local.set $hi (i32.load offset=4 (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3)))))
    (local.set $k (local.get $k0))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $k) (local.get $k1)))
      (local.set $l (call $at (local.get $q) (local.get $n8) (local.get $i) (local.get $k)))
      (local.set $klo (i32.load (i32.add (local.get $r) (i32.shl (local.get $k) (i32.const 3)))))
      (local.set $khi (i32.load offset=4 (i32.add (local.get $r) (i32.shl (local.get $k) (i32.const 3)))))
      (if (i32.and (f64.ne (local.get $l) (f64.const 0)) (i32.lt_s (local.get $klo) (local.get $khi))) (then
        (local.set $e (i32.add (local.get $lst) (i32.shl (local.get $cnt) (i32.const 5))))
        (i32.store (local.get $e) (i32.add (local.get $p) (i32.mul (local.get $k) (local.get $n8))))
        (v128.store offset=16 (local.get $e) (f64x2.splat (local.get $l)))
        (local.set $cnt (i32.add (local.get $cnt) (i32.const 1)))
        (if (i32.ge_s (local.get $lo) (local.get $hi))
          (then (local.set $lo (local.get $klo)) (local.set $hi (local.get $khi)))
          (else
            (local.set $lo (call $min (local.get $lo) (local.get $klo)))
            (local.set $hi (call $max (local.get $hi) (local.get $khi)))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (if (i32.eqz (local.get $cnt)) (then (return)))
    (i32.store (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3))) (local.get $lo))
    (i32.store offset=4 (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 3))) (local.get $hi))
    (local.set $ri (i32.add (i32.mul (local.get $i) (local.get $n8)) (local.get $p)))
    (local.set $end (i32.add (local.get $lst) (i32.shl (local.get $cnt) (i32.const 5))))
    (local.set $j (local.get $lo))
    ;; 16 entries at a time, in registers across the k
    (block $done (loop $next
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 16)) (local.get $hi)))
      (local.set $off (i32.shl (local.get $j) (i32.const 3)))
      (local.set $src (i32.add (local.get $ri) (local.get $off)))
      (local.set $a0 (v128.load offset=0 (local.get $src)))
      (local.set $a1 (v128.load offset=16 (local.get $src)))
      (local.set $a2 (v128.load offset=32 (local.get $src)))
      (local.set $a3 (v128.load offset=48 (local.get $src)))
      (local.set $a4 (v128.load offset=64 (local.get $src)))
      (local.set $a5 (v128.load offset=80 (local.get $src)))
      (local.set $a6 (v128.load offset=96 (local.get $src)))
      (local.set $a7 (v128.load offset=112 (local.get $src)))
      (local.set $e (local.get $lst))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $e) (local.get $end)))
        (local.set $lv (v128.load offset=16 (local.get $e)))
        (local.set $src (i32.add (i32.load (local.get $e)) (local.get $off)))
        (local.set $a0 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=0 (local.get $src)) (local.get $a0)))
        (local.set $a1 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=16 (local.get $src)) (local.get $a1)))
        (local.set $a2 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=32 (local.get $src)) (local.get $a2)))
        (local.set $a3 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=48 (local.get $src)) (local.get $a3)))
        (local.set $a4 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=64 (local.get $src)) (local.get $a4)))
        (local.set $a5 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=80 (local.get $src)) (local.get $a5)))
        (local.set $a6 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=96 (local.get $src)) (local.get $a6)))
        (local.set $a7 (f64x2.relaxed_nmadd (local.get $lv) (v128.load offset=112 (local.get $src)) (local.get $a7)))
        (local.set $e (i32.add (local.get $e) (i32.const 32)))
        (br $n2)))
      (local.set $src (i32.add (local.get $ri) (local.get $off)))
      (v128.store offset=0 (local.get $src) (local.get $a0))
      (v128.store offset=16 (local.get $src) (local.get $a1))
      (v128.store offset=32 (local.get $src) (local.get $a2))
      (v128.store offset=48 (local.get $src) (local.get $a3))
      (v128.store offset=64 (local.get $src) (local.get $a4))
      (v128.store offset=80 (local.get $src) (local.get $a5))
      (v128.store offset=96 (local.get $src) (local.get $a6))
      (v128.store offset=112 (local.get $src) (local.get $a7))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next)))
    ;; then 2 at a time
    (block $done (loop $next
      (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $hi)))
      (local.set $off (i32.shl (local.get $j) (i32.const 3)))
      (local.set $a0 (v128.load (i32.add (local.get $ri) (local.get $off))))
      (local.set $e (local.get $lst))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $e) (local.get $end)))
        (local.set $a0 (f64x2.relaxed_nmadd (v128.load offset=16 (local.get $e))
          (v128.load (i32.add (i32.load (local.get $e)) (local.get $off))) (local.get $a0)))
        (local.set $e (i32.add (local.get $e) (i32.const 32)))
        (br $n2)))
      (v128.store (i32.add (local.get $ri) (local.get $off)) (local.get $a0))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $next)))
    ;; the last one, in lane 0
    (if (i32.lt_s (local.get $j) (local.get $hi)) (then
      (local.set $off (i32.shl (local.get $j) (i32.const 3)))
      (local.set $a0 (v128.load64_zero (i32.add (local.get $ri) (local.get $off))))
      (local.set $e (local.get $lst))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $e) (local.get $end)))
        (local.set $a0 (f64x2.relaxed_nmadd (v128.load offset=16 (local.get $e))
          (v128.load64_zero (i32.add (i32.load (local.get $e)) (local.get $off))) (local.get $a0)))
        (local.set $e (i32.add (local.get $e) (i32.const 32)))
        (br $n2)))
      (f64.store (i32.add (local.get $ri) (local.get $off)) (f64x2.extract_lane 0 (local.get $a0))))))

;; dst = c0·t0 + c1·t1 + c2·t2 + c3·t3 (the first `count` terms, summed left to right, each
  ;; product rounded and then added, no fused operation: the JavaScript twin's bits) over the band
  ;; (p, q) of each row, then + diag on the diagonal. zero ≠ 0: the rest of dst is zeroed first
  ;; (else dst is the first term, already zero there, and is updated in place).
  (func (export "combine") (param $dst i32) (param $t0 i32) (param $t1 i32) (param $t2 i32) (param $t3 i32)
    (param $c0 f64) (param $c1 f64) (param $c2 f64) (param $c3 f64) (param $count i32) (param $diag f64)
    (param $n i32) (param $p i32) (param $q i32) (param $zero i32)
    (local $n8 i32) (local $i i32) (local $o i32) (local $end i32) (local $v v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (if (local.get $zero) (then (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $n8) (local.get $n)))))
    (local.set $v0 (f64x2.splat (local.get $c0)))
    (local.set $v1 (f64x2.splat (local.get $c1)))
    (local.set $v2 (f64x2.splat (local.get $c2)))
    (local.set $v3 (f64x2.splat (local.get $c3)))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      ;; byte offsets of the row's band [max(0, i − p), min(n, i + q + 1))
      (local.set $o (i32.add (i32.mul (local.get $i) (local.get $n8))
        (i32.shl (call $max0 (i32.sub (local.get $i) (local.get $p))) (i32.const 3))))
      (local.set $end (i32.add (i32.mul (local.get $i) (local.get $n8))
        (i32.shl (call $min (local.get $n) (i32.add (i32.add (local.get $i) (local.get $q)) (i32.const 1))) (i32.const 3))))
      ;; two at a time, then the last one in lane 0
      (block $d2 (loop $n2
        (br_if $d2 (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $end)))
        (local.set $v (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $t0) (local.get $o)))))
        (if (i32.gt_u (local.get $count) (i32.const 1)) (then
          (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $v1) (v128.load (i32.add (local.get $t1) (local.get $o))))))))
        (if (i32.gt_u (local.get $count) (i32.const 2)) (then
          (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $v2) (v128.load (i32.add (local.get $t2) (local.get $o))))))))
        (if (i32.gt_u (local.get $count) (i32.const 3)) (then
          (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $v3) (v128.load (i32.add (local.get $t3) (local.get $o))))))))
        (v128.store (i32.add (local.get $dst) (local.get $o)) (local.get $v))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $n2)))
      (if (i32.lt_u (local.get $o) (local.get $end)) (then
        (local.set $v (f64x2.mul (local.get $v0) (v128.load64_zero (i32.add (local.get $t0) (local.get $o)))))
        (if (i32.gt_u (local.get $count) (i32.const 1)) (then
          (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $v1) (v128.load64_zero (i32.add (local.get $t1) (local.get $o))))))))
        (if (i32.gt_u (local.get $count) (i32.const 2)) (then
          (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $v2) (v128.load64_zero (i32.add (local.get $t2) (local.get $o))))))))
        (if (i32.gt_u (local.get $count) (i32.const 3)) (then
          (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $v3) (v128.load64_zero (i32.add (local.get $t3) (local.get $o))))))))
        (f64.store (i32.add (local.get $dst) (local.get $o)) (f64x2.extract_lane 0 (local.get $v)))))
      (if (f64.ne (local.get $diag) (f64.const 0)) (then
        (local.set $o (i32.add (i32.add (local.get $dst) (i32.mul (local.get $i) (local.get $n8))) (i32.shl (local.get $i) (i32.const 3))))
        (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (local.get $diag)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

    ;; x_ij = x_ji · r_ij for every i > j (fromUpper ≠ 0: the lower triangle from the upper one)
  ;; or every i < j (the upper from the lower), for a matrix X with Π·X = Xᵀ·Π, Π diagonal:
  ;; r_ij = π_j/π_i. Row by row, one rounded product each.
  (func (export "mirror") (param $x i32) (param $r i32) (param $n i32) (param $fromUpper i32)
    (local $n8 i32) (local $i i32) (local $j i32) (local $end i32) (local $row i32) (local $col i32)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $row (i32.mul (local.get $i) (local.get $n8)))
      ;; j over [0, i) or (i, n); x_ji down column i
      (local.set $j (select (i32.const 0) (i32.add (local.get $i) (i32.const 1)) (local.get $fromUpper)))
      (local.set $end (select (local.get $i) (local.get $n) (local.get $fromUpper)))
      (local.set $col (i32.add (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))
        (i32.mul (local.get $j) (local.get $n8))))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $end)))
        (f64.store (i32.add (i32.add (local.get $x) (local.get $row)) (i32.shl (local.get $j) (i32.const 3)))
          (f64.mul (f64.load (local.get $col))
            (f64.load (i32.add (i32.add (local.get $r) (local.get $row)) (i32.shl (local.get $j) (i32.const 3))))))
        (local.set $col (i32.add (local.get $col) (local.get $n8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $n2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; The 1-norm max_j Σ_i |a_ij| (column sums in ascending i, two columns at a time); s: n f64
  ;; of scratch.
  (func (export "norm1") (param $a i32) (param $s i32) (param $n i32) (result f64)
    (local $i i32) (local $j i32) (local $n8 i32) (local $ri i32) (local $m f64) (local $v f64)
    (local.set $n8 (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $s) (i32.const 0) (local.get $n8))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $ri (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $n8))))
      (local.set $j (i32.const 0))
      (block $d2 (loop $n2
        (br_if $d2 (i32.gt_s (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
        (v128.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3)))
          (f64x2.add (v128.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3))))
            (f64x2.abs (v128.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $n2)))
      (if (i32.lt_s (local.get $j) (local.get $n)) (then
        (f64.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3)))
          (f64.add (f64.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3))))
            (f64.abs (f64.load (i32.add (local.get $ri) (i32.shl (local.get $j) (i32.const 3)))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $m (f64.const 0))
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $v (f64.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 3)))))
      ;; NaN-propagating max: a NaN column sum gives NaN
      (if (i32.or (f64.gt (local.get $v) (local.get $m)) (f64.ne (local.get $v) (local.get $v)))
        (then (local.set $m (local.get $v))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $next)))
    (local.get $m))

;; One Taylor term of expmMultiply (expm_multiply.ts, Al-Mohy & Higham 2011, Algorithm 3.2
  ;; lines 9–10): y = (M·b)/div for M in CSR (rp: n + 1 i32, ci: i32, va: f64), each row summed in
  ;; stored order from +0, then f += y with the rounding error of each addition added to c
  ;; (TwoSum). Returns max|y|; max|f| (after the addition) goes to the global normF. No fused
  ;; operation, so the JavaScript twin in expm_multiply.ts gives the same bits.
  (global $normF (export "normF") (mut f64) (f64.const 0))
  (func (export "taylorTerm") (param $rp i32) (param $ci i32) (param $va i32) (param $b i32)
    (param $y i32) (param $f i32) (param $c i32) (param $n i32) (param $div f64) (result f64)
    (local $i i32) (local $k i32) (local $end i32) (local $o i32) (local $a0 f64) (local $a1 f64)
    (local $v v128) (local $fi v128) (local $s v128) (local $bb v128) (local $c2 v128)
    (local $nf v128) (local $dv v128)
    (local.set $dv (f64x2.splat (local.get $div)))
    (local.set $k (i32.load (local.get $rp)))
    ;; two rows at a time: the sums in scalar, the rest in the two lanes (the same IEEE
    ;; operations on each lane as one row alone); the last row, if n is odd, with a zero partner
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      ;; row i
      (local.set $end (i32.load offset=4 (i32.add (local.get $rp) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $a0 (f64.const 0))
      (block $d2 (loop $n2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $a0 (f64.add (local.get $a0)
          (f64.mul (f64.load (i32.add (local.get $va) (i32.shl (local.get $k) (i32.const 3))))
            (f64.load (i32.add (local.get $b)
              (i32.shl (i32.load (i32.add (local.get $ci) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $n2)))
      ;; row i + 1 (none past the end: a1 = 0, its lane stored nowhere)
      (local.set $a1 (f64.const 0))
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n)) (then
        (local.set $end (i32.load offset=8 (i32.add (local.get $rp) (i32.shl (local.get $i) (i32.const 2)))))
        (block $d2 (loop $n2
          (br_if $d2 (i32.ge_u (local.get $k) (local.get $end)))
          (local.set $a1 (f64.add (local.get $a1)
            (f64.mul (f64.load (i32.add (local.get $va) (i32.shl (local.get $k) (i32.const 3))))
              (f64.load (i32.add (local.get $b)
                (i32.shl (i32.load (i32.add (local.get $ci) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3)))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $n2)))))
      (local.set $v (f64x2.div
        (f64x2.replace_lane 1 (f64x2.splat (local.get $a0)) (local.get $a1)) (local.get $dv)))
      (local.set $o (i32.shl (local.get $i) (i32.const 3)))
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n))
        (then
          (local.set $fi (v128.load (i32.add (local.get $f) (local.get $o))))
          (local.set $s (f64x2.add (local.get $fi) (local.get $v)))
          (local.set $bb (f64x2.sub (local.get $s) (local.get $fi)))
          (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $v))
          (v128.store (i32.add (local.get $c) (local.get $o))
            (f64x2.add (v128.load (i32.add (local.get $c) (local.get $o)))
              (f64x2.add (f64x2.sub (local.get $fi) (f64x2.sub (local.get $s) (local.get $bb)))
                (f64x2.sub (local.get $v) (local.get $bb)))))
          (v128.store (i32.add (local.get $f) (local.get $o)) (local.get $s)))
        (else
          (local.set $fi (v128.load64_zero (i32.add (local.get $f) (local.get $o))))
          (local.set $s (f64x2.add (local.get $fi) (local.get $v)))
          (local.set $bb (f64x2.sub (local.get $s) (local.get $fi)))
          (f64.store (i32.add (local.get $y) (local.get $o)) (f64x2.extract_lane 0 (local.get $v)))
          (f64.store (i32.add (local.get $c) (local.get $o))
            (f64.add (f64.load (i32.add (local.get $c) (local.get $o)))
              (f64x2.extract_lane 0 (f64x2.add (f64x2.sub (local.get $fi) (f64x2.sub (local.get $s) (local.get $bb)))
                (f64x2.sub (local.get $v) (local.get $bb))))))
          (f64.store (i32.add (local.get $f) (local.get $o)) (f64x2.extract_lane 0 (local.get $s)))))
      (local.set $c2 (f64x2.max (local.get $c2) (f64x2.abs (local.get $v))))
      (local.set $nf (f64x2.max (local.get $nf) (f64x2.abs (local.get $s))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $next)))
    (global.set $normF (f64.max (f64x2.extract_lane 0 (local.get $nf)) (f64x2.extract_lane 1 (local.get $nf))))
    (f64.max (f64x2.extract_lane 0 (local.get $c2)) (f64x2.extract_lane 1 (local.get $c2))))

  ;; Σ_k va[k]·b[ci[k]] over row i's stored entries (from k to rp[i + 1]), from +0 in order.
  (func $rowSum (param $rp i32) (param $ci i32) (param $va i32) (param $b i32) (param $k i32)
    (param $i i32) (result f64)
    (local $end i32) (local $acc f64)
    (local.set $end (i32.load offset=4 (i32.add (local.get $rp) (i32.shl (local.get $i) (i32.const 2)))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
      (local.set $acc (f64.add (local.get $acc)
        (f64.mul (f64.load (i32.add (local.get $va) (i32.shl (local.get $k) (i32.const 3))))
          (f64.load (i32.add (local.get $b)
            (i32.shl (i32.load (i32.add (local.get $ci) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3)))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (local.get $acc))

  ;; y = M·x for M in CSR (rows summed in stored order from +0), for the norm estimates of
  ;; expmMultiply.
  (func (export "csrApply") (param $rp i32) (param $ci i32) (param $va i32) (param $x i32)
    (param $y i32) (param $n i32)
    (local $i i32) (local $k i32)
    (local.set $k (i32.load (local.get $rp)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3)))
        (call $rowSum (local.get $rp) (local.get $ci) (local.get $va) (local.get $x) (local.get $k) (local.get $i)))
      (local.set $k (i32.load offset=4 (i32.add (local.get $rp) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; y = Mᵀ·x for M in CSR: y is zeroed, then row i scatters x_i·m_ik into y (rows ascending,
  ;; entries in stored order; rows with x_i = 0 skipped).
  (func (export "csrApplyTransposed") (param $rp i32) (param $ci i32) (param $va i32) (param $x i32)
    (param $y i32) (param $n i32)
    (local $i i32) (local $k i32) (local $end i32) (local $xi f64) (local $at i32)
    (memory.fill (local.get $y) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $xi (f64.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $k (i32.load (i32.add (local.get $rp) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $end (i32.load offset=4 (i32.add (local.get $rp) (i32.shl (local.get $i) (i32.const 2)))))
      (if (f64.ne (local.get $xi) (f64.const 0)) (then
        (block $d2 (loop $n2
          (br_if $d2 (i32.ge_u (local.get $k) (local.get $end)))
          (local.set $at (i32.add (local.get $y)
            (i32.shl (i32.load (i32.add (local.get $ci) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3))))
          (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
            (f64.mul (f64.load (i32.add (local.get $va) (i32.shl (local.get $k) (i32.const 3)))) (local.get $xi))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $n2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  (func $at (param $a i32) (param $n8 i32) (param $i i32) (param $j i32) (result f64)
    (f64.load (i32.add (local.get $a) (i32.add (i32.mul (local.get $i) (local.get $n8)) (i32.shl (local.get $j) (i32.const 3))))))

  ;; swaps n f64 at x and y
  (func $swap (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $t v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.gt_s (i32.add (local.get $x) (i32.const 16)) (local.get $end)))
      (local.set $t (v128.load (local.get $x)))
      (v128.store (local.get $x) (v128.load (local.get $y)))
      (v128.store (local.get $y) (local.get $t))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $next)))
    (if (i32.lt_s (local.get $x) (local.get $end)) (then
      (local.set $t (v128.load64_zero (local.get $x)))
      (f64.store (local.get $x) (f64.load (local.get $y)))
      (v128.store64_lane 0 (local.get $y) (local.get $t)))))

  ;; a·b + c, fused where the hardware has a fused multiply-add (relaxed SIMD), in lane 0
  (func $fma (param $a f64) (param $b f64) (param $c f64) (result f64)
    (f64x2.extract_lane 0 (f64x2.relaxed_madd (f64x2.splat (local.get $a)) (f64x2.splat (local.get $b))
      (f64x2.splat (local.get $c)))))

  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))
  (func $max (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))
  (func $max0 (param $a i32) (result i32)
    (select (local.get $a) (i32.const 0) (i32.gt_s (local.get $a) (i32.const 0))))
)
