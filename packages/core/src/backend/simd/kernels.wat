;; SIMD kernels of @caption/core for the wasm backend. They run in their own tiny module that imports
;; tfjs-backend-wasm's memory, so they read and write tensors in place (all pointers are byte offsets).
;; Build: packages/core/scripts/build-simd.sh (wat2wasm from wabt 1.0.32), which regenerates
;; kernels-wasm.ts; CI needs no wabt.
(module
  (import "env" "memory" (memory 1 65536))

;; Adam / AdamW (PyTorch's formulas) over n floats, one float32 rounding per operation in the order
  ;; of @caption/core's Adam (so the results are bit-identical to it):
  ;;   g' = g + p·l2;  m' = m·β₁ + g'·c₁;  v' = v·β₂ + (g'·g')·c₂
  ;;   out_p = p·keep − (m' / (√v' / bias2Sqrt + ε))·stepSize
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32)
    (param $op i32) (param $om i32) (param $ov i32) (param $n i32)
    (param $stepSize f32) (param $bias2Sqrt f32) (param $eps f32)
    (param $beta1 f32) (param $c1 f32) (param $beta2 f32) (param $c2 f32)
    (param $keep f32) (param $l2 f32)
    (local $i i32) (local $off i32) (local $end4 i32)
    (local $vp v128) (local $vg v128) (local $vm v128) (local $vv v128)
    (local $sStep v128) (local $sBias v128) (local $sEps v128) (local $sB1 v128) (local $sC1 v128)
    (local $sB2 v128) (local $sC2 v128) (local $sKeep v128) (local $sL2 v128)
    (local $sp f32) (local $sg f32) (local $sm f32) (local $sv f32)
    (local.set $sStep (f32x4.splat (local.get $stepSize)))
    (local.set $sBias (f32x4.splat (local.get $bias2Sqrt)))
    (local.set $sEps (f32x4.splat (local.get $eps)))
    (local.set $sB1 (f32x4.splat (local.get $beta1)))
    (local.set $sC1 (f32x4.splat (local.get $c1)))
    (local.set $sB2 (f32x4.splat (local.get $beta2)))
    (local.set $sC2 (f32x4.splat (local.get $c2)))
    (local.set $sKeep (f32x4.splat (local.get $keep)))
    (local.set $sL2 (f32x4.splat (local.get $l2)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $vp (v128.load align=4 (i32.add (local.get $p) (local.get $off))))
        (local.set $vg (f32x4.add
          (v128.load align=4 (i32.add (local.get $g) (local.get $off)))
          (f32x4.mul (local.get $vp) (local.get $sL2))))
        (local.set $vm (f32x4.add
          (f32x4.mul (v128.load align=4 (i32.add (local.get $m) (local.get $off))) (local.get $sB1))
          (f32x4.mul (local.get $vg) (local.get $sC1))))
        (local.set $vv (f32x4.add
          (f32x4.mul (v128.load align=4 (i32.add (local.get $v) (local.get $off))) (local.get $sB2))
          (f32x4.mul (f32x4.mul (local.get $vg) (local.get $vg)) (local.get $sC2))))
        (v128.store align=4 (i32.add (local.get $om) (local.get $off)) (local.get $vm))
        (v128.store align=4 (i32.add (local.get $ov) (local.get $off)) (local.get $vv))
        (v128.store align=4 (i32.add (local.get $op) (local.get $off))
          (f32x4.sub
            (f32x4.mul (local.get $vp) (local.get $sKeep))
            (f32x4.mul
              (f32x4.div
                (local.get $vm)
                (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (local.get $sBias)) (local.get $sEps)))
              (local.get $sStep))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vec)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $off (i32.shl (local.get $i) (i32.const 2)))
        (local.set $sp (f32.load align=4 (i32.add (local.get $p) (local.get $off))))
        (local.set $sg (f32.add
          (f32.load align=4 (i32.add (local.get $g) (local.get $off)))
          (f32.mul (local.get $sp) (local.get $l2))))
        (local.set $sm (f32.add
          (f32.mul (f32.load align=4 (i32.add (local.get $m) (local.get $off))) (local.get $beta1))
          (f32.mul (local.get $sg) (local.get $c1))))
        (local.set $sv (f32.add
          (f32.mul (f32.load align=4 (i32.add (local.get $v) (local.get $off))) (local.get $beta2))
          (f32.mul (f32.mul (local.get $sg) (local.get $sg)) (local.get $c2))))
        (f32.store align=4 (i32.add (local.get $om) (local.get $off)) (local.get $sm))
        (f32.store align=4 (i32.add (local.get $ov) (local.get $off)) (local.get $sv))
        (f32.store align=4 (i32.add (local.get $op) (local.get $off))
          (f32.sub
            (f32.mul (local.get $sp) (local.get $keep))
            (f32.mul
              (f32.div
                (local.get $sm)
                (f32.add (f32.div (f32.sqrt (local.get $sv)) (local.get $bias2Sqrt)) (local.get $eps)))
              (local.get $stepSize))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
  )

  ;; dst[cols, rows] = transpose(src[rows, cols]) (float32, row-major), in 32×32 tiles of 4×4 SIMD
  ;; blocks (four loads, eight shuffles, four stores); the rows and columns beyond a multiple of 4 are
  ;; copied one by one.
  (func (export "transpose") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r4 i32) (local $c4 i32) (local $ti i32) (local $tj i32) (local $tiEnd i32) (local $tjEnd i32)
    (local $i i32) (local $j i32) (local $s i32) (local $d i32) (local $srcRow i32) (local $dstRow i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $srcRow (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $dstRow (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $ti (i32.const 0))
    (block $tiDone (loop $tiLoop
      (br_if $tiDone (i32.ge_u (local.get $ti) (local.get $r4)))
      (local.set $tiEnd (select (i32.add (local.get $ti) (i32.const 32)) (local.get $r4)
        (i32.lt_u (i32.add (local.get $ti) (i32.const 32)) (local.get $r4))))
      (local.set $tj (i32.const 0))
      (block $tjDone (loop $tjLoop
        (br_if $tjDone (i32.ge_u (local.get $tj) (local.get $c4)))
        (local.set $tjEnd (select (i32.add (local.get $tj) (i32.const 32)) (local.get $c4)
          (i32.lt_u (i32.add (local.get $tj) (i32.const 32)) (local.get $c4))))
        (local.set $i (local.get $ti))
        (block $iDone (loop $iLoop
          (br_if $iDone (i32.ge_u (local.get $i) (local.get $tiEnd)))
          (local.set $j (local.get $tj))
          (block $jDone (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $tjEnd)))
            (local.set $s (i32.add (local.get $src)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
            (local.set $r0 (v128.load align=4 (local.get $s)))
            (local.set $r1 (v128.load align=4 (i32.add (local.get $s) (local.get $srcRow))))
            (local.set $r2 (v128.load align=4 (i32.add (local.get $s) (i32.shl (local.get $srcRow) (i32.const 1)))))
            (local.set $r3 (v128.load align=4 (i32.add (local.get $s) (i32.mul (local.get $srcRow) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $d (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
            (v128.store align=4 (local.get $d)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $d) (local.get $dstRow))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $d) (i32.shl (local.get $dstRow) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $d) (i32.mul (local.get $dstRow) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $jLoop)))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $iLoop)))
        (local.set $tj (local.get $tjEnd))
        (br $tjLoop)))
      (local.set $ti (local.get $tiEnd))
      (br $tiLoop)))
    ;; leftover rows (all columns), then leftover columns of the first r4 rows
    (local.set $i (local.get $r4))
    (block $erDone (loop $erLoop
      (br_if $erDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $ecDone (loop $ecLoop
        (br_if $ecDone (i32.ge_u (local.get $j) (local.get $cols)))
        (f32.store align=4
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
          (f32.load align=4
            (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ecLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $erLoop)))
    (local.set $i (i32.const 0))
    (block $fDone (loop $fLoop
      (br_if $fDone (i32.ge_u (local.get $i) (local.get $r4)))
      (local.set $j (local.get $c4))
      (block $gDone (loop $gLoop
        (br_if $gDone (i32.ge_u (local.get $j) (local.get $cols)))
        (f32.store align=4
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2)))
          (f32.load align=4
            (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $gLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fLoop)))
  )

  ;; Small batched products out[b] (m×n) = A[b]·B[b], float32, batches contiguous, for the attention of one
  ;; query over a few dozen regions (m = 1). A's element (i, p) is at A[b] + i·aRow + p·aCol (elements), so
  ;; a transposed A needs no copy. B is k×n row-major ("axpy" form: each output row accumulates
  ;; a(i, p)·B[p, :] four columns at a time).
  (func (export "bmm_nn")
    (param $a i32) (param $b i32) (param $out i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $aRow i32) (param $aCol i32)
    (local $bi i32) (local $i i32) (local $p i32) (local $j i32) (local $n4 i32)
    (local $aBase i32) (local $bBase i32) (local $oBase i32) (local $oRow i32) (local $bRow i32)
    (local $s f32) (local $sv v128) (local $addr i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $bi) (local.get $batch)))
      (local.set $aBase (i32.add (local.get $a) (i32.shl (i32.mul (local.get $bi) (i32.mul (local.get $m) (local.get $k))) (i32.const 2))))
      (local.set $bBase (i32.add (local.get $b) (i32.shl (i32.mul (local.get $bi) (i32.mul (local.get $k) (local.get $n))) (i32.const 2))))
      (local.set $oBase (i32.add (local.get $out) (i32.shl (i32.mul (local.get $bi) (i32.mul (local.get $m) (local.get $n))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $oRow (i32.add (local.get $oBase) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2))))
        (memory.fill (local.get $oRow) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
        (local.set $p (i32.const 0))
        (block $pDone (loop $pLoop
          (br_if $pDone (i32.ge_u (local.get $p) (local.get $k)))
          (local.set $s (f32.load align=4 (i32.add (local.get $aBase)
            (i32.shl (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $p) (local.get $aCol))) (i32.const 2)))))
          (local.set $sv (f32x4.splat (local.get $s)))
          (local.set $bRow (i32.add (local.get $bBase) (i32.shl (i32.mul (local.get $p) (local.get $n)) (i32.const 2))))
          (local.set $j (i32.const 0))
          (block $jDone (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $n4)))
            (local.set $addr (i32.add (local.get $oRow) (i32.shl (local.get $j) (i32.const 2))))
            (v128.store align=4 (local.get $addr)
              (f32x4.add (v128.load align=4 (local.get $addr))
                (f32x4.mul (local.get $sv) (v128.load align=4 (i32.add (local.get $bRow) (i32.shl (local.get $j) (i32.const 2)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $jLoop)))
          (block $tDone (loop $tLoop
            (br_if $tDone (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $addr (i32.add (local.get $oRow) (i32.shl (local.get $j) (i32.const 2))))
            (f32.store align=4 (local.get $addr)
              (f32.add (f32.load align=4 (local.get $addr))
                (f32.mul (local.get $s) (f32.load align=4 (i32.add (local.get $bRow) (i32.shl (local.get $j) (i32.const 2)))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tLoop)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $pLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $bLoop)))
  )

  ;; Small batched products out[b] (m×n) = A[b]·B[b]ᵀ, float32, batches contiguous: A is m×k and B is n×k,
  ;; both row-major, so each output is a dot product of two contiguous rows (four lanes, then a horizontal
  ;; sum).
  (func (export "bmm_nt")
    (param $a i32) (param $b i32) (param $out i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (local $bi i32) (local $i i32) (local $p i32) (local $j i32) (local $k4 i32)
    (local $aBase i32) (local $bBase i32) (local $oBase i32) (local $aRowAddr i32) (local $bRowAddr i32)
    (local $acc v128) (local $sum f32)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $bi) (local.get $batch)))
      (local.set $aBase (i32.add (local.get $a) (i32.shl (i32.mul (local.get $bi) (i32.mul (local.get $m) (local.get $k))) (i32.const 2))))
      (local.set $bBase (i32.add (local.get $b) (i32.shl (i32.mul (local.get $bi) (i32.mul (local.get $n) (local.get $k))) (i32.const 2))))
      (local.set $oBase (i32.add (local.get $out) (i32.shl (i32.mul (local.get $bi) (i32.mul (local.get $m) (local.get $n))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $aRowAddr (i32.add (local.get $aBase) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $jDone (loop $jLoop
          (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $bRowAddr (i32.add (local.get $bBase) (i32.shl (i32.mul (local.get $j) (local.get $k)) (i32.const 2))))
          (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $p (i32.const 0))
          (block $pDone (loop $pLoop
            (br_if $pDone (i32.ge_u (local.get $p) (local.get $k4)))
            (local.set $acc (f32x4.add (local.get $acc)
              (f32x4.mul
                (v128.load align=4 (i32.add (local.get $aRowAddr) (i32.shl (local.get $p) (i32.const 2))))
                (v128.load align=4 (i32.add (local.get $bRowAddr) (i32.shl (local.get $p) (i32.const 2)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $pLoop)))
          (local.set $sum (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
          (block $tDone (loop $tLoop
            (br_if $tDone (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $sum (f32.add (local.get $sum)
              (f32.mul
                (f32.load align=4 (i32.add (local.get $aRowAddr) (i32.shl (local.get $p) (i32.const 2))))
                (f32.load align=4 (i32.add (local.get $bRowAddr) (i32.shl (local.get $p) (i32.const 2)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $tLoop)))
          (f32.store align=4
            (i32.add (local.get $oBase) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
            (local.get $sum))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iLoop)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $bLoop)))
  )

  ;; Strided 2-D copy: `rows` rows of `width` bytes from src (row stride srcStride bytes) to dst (dstStride).
  (func (export "copy2d") (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32) (param $rows i32) (param $width i32)
    (local $r i32)
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (memory.copy
        (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstStride)))
        (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $srcStride)))
        (local.get $width))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $loop)))
  )

  ;; dst[i] += src[i] for n floats.
  (func (export "add_into") (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $off i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (v128.store align=4 (i32.add (local.get $dst) (local.get $off))
        (f32x4.add (v128.load align=4 (i32.add (local.get $dst) (local.get $off))) (v128.load align=4 (i32.add (local.get $src) (local.get $off)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $loop)))
    (block $tDone (loop $tLoop
      (br_if $tDone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $off (i32.shl (local.get $i) (i32.const 2)))
      (f32.store align=4 (i32.add (local.get $dst) (local.get $off))
        (f32.add (f32.load align=4 (i32.add (local.get $dst) (local.get $off))) (f32.load align=4 (i32.add (local.get $src) (local.get $off)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $tLoop)))
  )

  ;; out[o, i] = scale · Σ_r x[o, r, i] for x viewed as [outer, reduce, inner] (float32 in and out), summed in
  ;; float64 in `acc` (inner doubles of scratch) as the JS version does: four columns per step, widened in
  ;; pairs.
  (func (export "sum_middle")
    (param $x i32) (param $out i32) (param $acc i32) (param $outer i32) (param $reduce i32) (param $inner i32) (param $scale f64)
    (local $o i32) (local $r i32) (local $i i32) (local $i4 i32) (local $row i32) (local $v v128) (local $a i32)
    (local.set $i4 (i32.and (local.get $inner) (i32.const -4)))
    (block $oDone (loop $oLoop
      (br_if $oDone (i32.ge_u (local.get $o) (local.get $outer)))
      (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $inner) (i32.const 3)))
      (local.set $r (i32.const 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $reduce)))
        (local.set $row (i32.add (local.get $x)
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $o) (local.get $reduce)) (local.get $r)) (local.get $inner)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $iDone (loop $iLoop
          (br_if $iDone (i32.ge_u (local.get $i) (local.get $i4)))
          (local.set $v (v128.load align=4 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
          (v128.store align=8 (local.get $a)
            (f64x2.add (v128.load align=8 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $v))))
          (v128.store align=8 (i32.add (local.get $a) (i32.const 16))
            (f64x2.add (v128.load align=8 (i32.add (local.get $a) (i32.const 16)))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $iLoop)))
        (block $tDone (loop $tLoop
          (br_if $tDone (i32.ge_u (local.get $i) (local.get $inner)))
          (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3))))
          (f64.store align=8 (local.get $a)
            (f64.add (f64.load align=8 (local.get $a))
              (f64.promote_f32 (f32.load align=4 (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $tLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop)))
      (local.set $i (i32.const 0))
      (block $wDone (loop $wLoop
        (br_if $wDone (i32.ge_u (local.get $i) (local.get $inner)))
        (f32.store align=4
          (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $inner)) (local.get $i)) (i32.const 2)))
          (f32.demote_f64 (f64.mul (f64.load align=8 (i32.add (local.get $acc) (i32.shl (local.get $i) (i32.const 3)))) (local.get $scale))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $wLoop)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $oLoop)))
  )

  ;; Per row of x [rows, cols] (float32): sums[r] = Σ_j x[r, j] summed in float64 (four f64x2
  ;; accumulators, float64 out) and maxes[r] = max_j x[r, j] (float32; pmax, one instruction, NaNs not
  ;; propagated). The label-smoothed loss's scan, eight floats per step.
  (func (export "row_sum_max") (param $x i32) (param $rows i32) (param $cols i32) (param $sums i32) (param $maxes i32)
    (local $r i32) (local $j i32) (local $c8 i32) (local $row i32) (local $p i32) (local $v v128) (local $w v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $m0 v128) (local $m1 v128)
    (local $sum f64) (local $max f32) (local $e f32)
    (local.set $c8 (i32.and (local.get $cols) (i32.const -8)))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $s0 (f64x2.splat (f64.const 0)))
      (local.set $s1 (f64x2.splat (f64.const 0)))
      (local.set $s2 (f64x2.splat (f64.const 0)))
      (local.set $s3 (f64x2.splat (f64.const 0)))
      (local.set $m0 (f32x4.splat (f32.const -inf)))
      (local.set $m1 (f32x4.splat (f32.const -inf)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $c8)))
        (local.set $p (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $v (v128.load align=4 (local.get $p)))
        (local.set $w (v128.load offset=16 align=4 (local.get $p)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $s1 (f64x2.add (local.get $s1)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (local.get $w))))
        (local.set $s3 (f64x2.add (local.get $s3)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $w) (local.get $w)))))
        (local.set $m0 (f32x4.pmax (local.get $m0) (local.get $v)))
        (local.set $m1 (f32x4.pmax (local.get $m1) (local.get $w)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $jLoop)))
      (local.set $s0 (f64x2.add (f64x2.add (local.get $s0) (local.get $s1)) (f64x2.add (local.get $s2) (local.get $s3))))
      (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
      (local.set $m0 (f32x4.pmax (local.get $m0) (local.get $m1)))
      (local.set $max (f32.max
        (f32.max (f32x4.extract_lane 0 (local.get $m0)) (f32x4.extract_lane 1 (local.get $m0)))
        (f32.max (f32x4.extract_lane 2 (local.get $m0)) (f32x4.extract_lane 3 (local.get $m0)))))
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $e (f32.load align=4 (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (local.get $e))))
        (local.set $max (f32.max (local.get $max) (local.get $e)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tLoop)))
      (f64.store align=8 (i32.add (local.get $sums) (i32.shl (local.get $r) (i32.const 3))) (local.get $sum))
      (f32.store align=4 (i32.add (local.get $maxes) (i32.shl (local.get $r) (i32.const 2))) (local.get $max))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop)))
  )

  ;; dst[r, j] = (src[r, j] − c) · scales[r] for src [rows, cols] and scales [rows] (float32, one rounding
  ;; per operation). The label-smoothed loss's gradient, dy · (softmax − ε/(V−1)).
  (func (export "sub_scale_rows") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32) (param $c f32) (param $scales i32)
    (local $r i32) (local $j i32) (local $c4 i32) (local $in i32) (local $out i32) (local $off i32)
    (local $s f32) (local $vs v128) (local $vc v128)
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $vc (f32x4.splat (local.get $c)))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $off (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2)))
      (local.set $in (i32.add (local.get $src) (local.get $off)))
      (local.set $out (i32.add (local.get $dst) (local.get $off)))
      (local.set $s (f32.load align=4 (i32.add (local.get $scales) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $vs (f32x4.splat (local.get $s)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $c4)))
        (local.set $off (i32.shl (local.get $j) (i32.const 2)))
        (v128.store align=4 (i32.add (local.get $out) (local.get $off))
          (f32x4.mul (f32x4.sub (v128.load align=4 (i32.add (local.get $in) (local.get $off))) (local.get $vc)) (local.get $vs)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jLoop)))
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $off (i32.shl (local.get $j) (i32.const 2)))
        (f32.store align=4 (i32.add (local.get $out) (local.get $off))
          (f32.mul (f32.sub (f32.load align=4 (i32.add (local.get $in) (local.get $off))) (local.get $c)) (local.get $s)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rLoop)))
  )
)
