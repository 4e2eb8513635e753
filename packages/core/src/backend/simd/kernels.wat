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

;; `batch` stacked row-major rows × cols matrices at src, each transposed into the same place of dst.
  (func (export "transpose_batch") (param $src i32) (param $dst i32) (param $batch i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $bytes i32)
    (local.set $bytes (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2)))
    (block $done (loop $loop
      (br_if $done (i32.ge_u (local.get $b) (local.get $batch)))
      (call $transpose (local.get $src) (local.get $dst) (local.get $rows) (local.get $cols) (local.get $cols) (local.get $rows))
      (local.set $src (i32.add (local.get $src) (local.get $bytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $loop)))
  )

  ;; dst[cols, rows] = transpose(src[rows, cols]) (float32, row-major; row strides srcStride and dstStride
  ;; floats, so that a range of rows can be transposed on its own), in 32×32 tiles of 4×4 SIMD blocks (four
  ;; loads, eight shuffles, four stores); the rows and columns beyond a multiple of 4 are copied one by one.
  (func $transpose (export "transpose") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (param $srcStride i32) (param $dstStride i32)
    (local $r4 i32) (local $c4 i32) (local $ti i32) (local $tj i32) (local $tiEnd i32) (local $tjEnd i32)
    (local $i i32) (local $j i32) (local $s i32) (local $d i32) (local $srcRow i32) (local $dstRow i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $srcRow (i32.shl (local.get $srcStride) (i32.const 2)))
    (local.set $dstRow (i32.shl (local.get $dstStride) (i32.const 2)))
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
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $srcStride)) (local.get $j)) (i32.const 2))))
            (local.set $r0 (v128.load align=4 (local.get $s)))
            (local.set $r1 (v128.load align=4 (i32.add (local.get $s) (local.get $srcRow))))
            (local.set $r2 (v128.load align=4 (i32.add (local.get $s) (i32.shl (local.get $srcRow) (i32.const 1)))))
            (local.set $r3 (v128.load align=4 (i32.add (local.get $s) (i32.mul (local.get $srcRow) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $d (i32.add (local.get $dst)
              (i32.shl (i32.add (i32.mul (local.get $j) (local.get $dstStride)) (local.get $i)) (i32.const 2))))
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
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $dstStride)) (local.get $i)) (i32.const 2)))
          (f32.load align=4
            (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $srcStride)) (local.get $j)) (i32.const 2)))))
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
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $dstStride)) (local.get $i)) (i32.const 2)))
          (f32.load align=4
            (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $srcStride)) (local.get $j)) (i32.const 2)))))
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

  ;; ---- GEMM (threaded matmul of @caption/core's BatchMatMul) ----
  ;; C[i, j] = Σ_p A[i, p]·B[p, j], the sum taken in order p = 0, 1, …, k−1 from +0 with one float32 rounding
  ;; per multiply and per add: exactly what XNNPACK's f32 GEMM computes (its wasm SIMD "splat" kernels add
  ;; a·b into a zero bias in the same order), so a product gives the same bits whether XNNPACK or this
  ;; kernel computes it, and whichever thread computes each output element.
  ;;
  ;; Per column block of `nc` columns (its packed panels sized to stay in L2): B[:, block] is copied into
  ;; `pk` as 8-column panels of k × 8 contiguous floats (the last one zero-padded), then every 4 rows of A
  ;; run against every panel in a 4 × 8 register tile (8 accumulators; A's values splatted, B's panel
  ;; rows loaded as two vectors). Unpacked B rows at power-of-two strides alias in the caches (measured:
  ;; 3x slower at k = 2048). A, B and C are row-major with row strides lda, ldb and ldc (floats); pointers
  ;; are in bytes.
  ;; C[0:m, 0:n] = A[0:m, 0:k] · B[0:k, 0:n] for few rows of A (a decoding step), with B read in place (no
  ;; packing: for a few rows, packing B per call costs more than the product). Sums in order of p from +0,
  ;; as gemm (XNNPACK's bits). Per block of 512 columns, C's rows stay in L1 while B is streamed once,
  ;; four rows of B at a time: c = (((c + a₀b₀) + a₁b₁) + a₂b₂) + a₃b₃, four columns per step.
  (func (export "gemm_rows")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $lda i32) (param $ldb i32) (param $ldc i32)
    (local $ldbB i32) (local $jb i32) (local $w i32) (local $w4 i32) (local $i i32) (local $j i32) (local $p i32)
    (local $aRow i32) (local $cRow i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $off i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $acc v128) (local $t f32)
    (local.set $ldbB (i32.shl (local.get $ldb) (i32.const 2)))
    (block $jbDone (loop $jbLoop
      (br_if $jbDone (i32.ge_u (local.get $jb) (local.get $n)))
      (local.set $w (select (i32.sub (local.get $n) (local.get $jb)) (i32.const 512)
        (i32.gt_u (i32.add (local.get $jb) (i32.const 512)) (local.get $n))))
      (local.set $w4 (i32.and (local.get $w) (i32.const -4)))
      ;; C[:, jb:jb+w] = +0
      (local.set $i (i32.const 0))
      (block $zDone (loop $zLoop
        (br_if $zDone (i32.ge_u (local.get $i) (local.get $m)))
        (memory.fill (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $jb)) (i32.const 2)))
          (i32.const 0) (i32.shl (local.get $w) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $zLoop)))
      (local.set $p (i32.const 0))
      (block $pDone (loop $pLoop
        (br_if $pDone (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $b0 (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $ldb)) (local.get $jb)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (if (i32.le_u (i32.add (local.get $p) (i32.const 4)) (local.get $k))
          (then
            (local.set $b1 (i32.add (local.get $b0) (local.get $ldbB)))
            (local.set $b2 (i32.add (local.get $b1) (local.get $ldbB)))
            (local.set $b3 (i32.add (local.get $b2) (local.get $ldbB)))
            (block $iDone (loop $iLoop
              (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
              (local.set $aRow (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $lda)) (local.get $p)) (i32.const 2))))
              (local.set $s0 (f32.load align=4 (local.get $aRow)))
              (local.set $s1 (f32.load offset=4 align=4 (local.get $aRow)))
              (local.set $s2 (f32.load offset=8 align=4 (local.get $aRow)))
              (local.set $s3 (f32.load offset=12 align=4 (local.get $aRow)))
              (local.set $v0 (f32x4.splat (local.get $s0)))
              (local.set $v1 (f32x4.splat (local.get $s1)))
              (local.set $v2 (f32x4.splat (local.get $s2)))
              (local.set $v3 (f32x4.splat (local.get $s3)))
              (local.set $cRow (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $jb)) (i32.const 2))))
              (local.set $off (i32.const 0))
              (local.set $j (i32.const 0))
              (block $jDone (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $w4)))
                (local.set $acc (v128.load align=4 (i32.add (local.get $cRow) (local.get $off))))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v0) (v128.load align=4 (i32.add (local.get $b0) (local.get $off))))))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v1) (v128.load align=4 (i32.add (local.get $b1) (local.get $off))))))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v2) (v128.load align=4 (i32.add (local.get $b2) (local.get $off))))))
                (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v3) (v128.load align=4 (i32.add (local.get $b3) (local.get $off))))))
                (v128.store align=4 (i32.add (local.get $cRow) (local.get $off)) (local.get $acc))
                (local.set $off (i32.add (local.get $off) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $jLoop)))
              (block $tDone (loop $tLoop
                (br_if $tDone (i32.ge_u (local.get $j) (local.get $w)))
                (local.set $t (f32.load align=4 (i32.add (local.get $cRow) (local.get $off))))
                (local.set $t (f32.add (local.get $t) (f32.mul (local.get $s0) (f32.load align=4 (i32.add (local.get $b0) (local.get $off))))))
                (local.set $t (f32.add (local.get $t) (f32.mul (local.get $s1) (f32.load align=4 (i32.add (local.get $b1) (local.get $off))))))
                (local.set $t (f32.add (local.get $t) (f32.mul (local.get $s2) (f32.load align=4 (i32.add (local.get $b2) (local.get $off))))))
                (local.set $t (f32.add (local.get $t) (f32.mul (local.get $s3) (f32.load align=4 (i32.add (local.get $b3) (local.get $off))))))
                (f32.store align=4 (i32.add (local.get $cRow) (local.get $off)) (local.get $t))
                (local.set $off (i32.add (local.get $off) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tLoop)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop)))
            (local.set $p (i32.add (local.get $p) (i32.const 4))))
          (else
            ;; the last k mod 4 rows of B, one at a time
            (block $iDone1 (loop $iLoop1
              (br_if $iDone1 (i32.ge_u (local.get $i) (local.get $m)))
              (local.set $s0 (f32.load align=4 (i32.add (local.get $a)
                (i32.shl (i32.add (i32.mul (local.get $i) (local.get $lda)) (local.get $p)) (i32.const 2)))))
              (local.set $v0 (f32x4.splat (local.get $s0)))
              (local.set $cRow (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $jb)) (i32.const 2))))
              (local.set $off (i32.const 0))
              (local.set $j (i32.const 0))
              (block $jDone1 (loop $jLoop1
                (br_if $jDone1 (i32.ge_u (local.get $j) (local.get $w4)))
                (v128.store align=4 (i32.add (local.get $cRow) (local.get $off))
                  (f32x4.add (v128.load align=4 (i32.add (local.get $cRow) (local.get $off)))
                    (f32x4.mul (local.get $v0) (v128.load align=4 (i32.add (local.get $b0) (local.get $off))))))
                (local.set $off (i32.add (local.get $off) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $jLoop1)))
              (block $tDone1 (loop $tLoop1
                (br_if $tDone1 (i32.ge_u (local.get $j) (local.get $w)))
                (f32.store align=4 (i32.add (local.get $cRow) (local.get $off))
                  (f32.add (f32.load align=4 (i32.add (local.get $cRow) (local.get $off)))
                    (f32.mul (local.get $s0) (f32.load align=4 (i32.add (local.get $b0) (local.get $off))))))
                (local.set $off (i32.add (local.get $off) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $tLoop1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (br $pLoop)))
      (local.set $jb (i32.add (local.get $jb) (local.get $w)))
      (br $jbLoop)))
  )

  (func (export "gemm")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $lda i32) (param $ldb i32) (param $ldc i32) (param $nc i32) (param $pk i32)
    (local $ldaB i32) (local $ldcB i32) (local $jb i32) (local $w i32) (local $i i32) (local $j i32)
    (local $rows i32) (local $aRow i32) (local $cRow i32) (local $panel i32) (local $panelBytes i32)
    (local.set $ldaB (i32.shl (local.get $lda) (i32.const 2)))
    (local.set $ldcB (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $panelBytes (i32.shl (local.get $k) (i32.const 5)))
    (block $jbDone (loop $jbLoop
      (br_if $jbDone (i32.ge_u (local.get $jb) (local.get $n)))
      (local.set $w (select (i32.sub (local.get $n) (local.get $jb)) (local.get $nc)
        (i32.gt_u (i32.add (local.get $jb) (local.get $nc)) (local.get $n))))
      (call $gemm_pack (i32.add (local.get $b) (i32.shl (local.get $jb) (i32.const 2)))
        (i32.shl (local.get $ldb) (i32.const 2)) (local.get $k) (local.get $w) (local.get $pk))
      (local.set $i (i32.const 0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $rows (select (i32.const 4) (i32.sub (local.get $m) (local.get $i))
          (i32.ge_u (i32.sub (local.get $m) (local.get $i)) (i32.const 4))))
        (local.set $aRow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ldaB))))
        (local.set $cRow (i32.add (local.get $c)
          (i32.add (i32.mul (local.get $i) (local.get $ldcB)) (i32.shl (local.get $jb) (i32.const 2)))))
        (local.set $j (i32.const 0))
        (local.set $panel (local.get $pk))
        (block $jDone (loop $jLoop
          (br_if $jDone (i32.ge_u (local.get $j) (local.get $w)))
          (call $gemm_tile (local.get $aRow) (local.get $ldaB) (local.get $panel)
            (i32.add (local.get $cRow) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldcB) (local.get $k) (local.get $rows)
            (select (i32.const 8) (i32.sub (local.get $w) (local.get $j))
              (i32.ge_u (i32.sub (local.get $w) (local.get $j)) (i32.const 8))))
          (local.set $panel (i32.add (local.get $panel) (local.get $panelBytes)))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br $jLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $iLoop)))
      (local.set $jb (i32.add (local.get $jb) (local.get $w)))
      (br $jbLoop)))
  )

  ;; Copies B[0:k, 0:w] (row stride ldbB bytes) into 8-column panels of k × 8 floats at pk; the columns of
  ;; the last panel beyond w are zeros.
  (func $gemm_pack (param $b i32) (param $ldbB i32) (param $k i32) (param $w i32) (param $pk i32)
    (local $j i32) (local $p i32) (local $src i32) (local $rem i32) (local $q i32)
    (block $jDone (loop $jLoop
      (br_if $jDone (i32.ge_u (local.get $j) (local.get $w)))
      (local.set $rem (i32.sub (local.get $w) (local.get $j)))
      (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $p (local.get $k))
      (if (i32.ge_u (local.get $rem) (i32.const 8))
        (then
          (block $pDone (loop $pLoop
            (br_if $pDone (i32.eqz (local.get $p)))
            (v128.store align=4 (local.get $pk) (v128.load align=4 (local.get $src)))
            (v128.store offset=16 align=4 (local.get $pk) (v128.load offset=16 align=4 (local.get $src)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 32)))
            (local.set $src (i32.add (local.get $src) (local.get $ldbB)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $pLoop))))
        (else
          (block $tDone (loop $tLoop
            (br_if $tDone (i32.eqz (local.get $p)))
            (v128.store align=4 (local.get $pk) (v128.const i32x4 0 0 0 0))
            (v128.store offset=16 align=4 (local.get $pk) (v128.const i32x4 0 0 0 0))
            (local.set $q (i32.const 0))
            (block $qDone (loop $qLoop
              (br_if $qDone (i32.ge_u (local.get $q) (local.get $rem)))
              (f32.store align=4 (i32.add (local.get $pk) (i32.shl (local.get $q) (i32.const 2)))
                (f32.load align=4 (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2)))))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $qLoop)))
            (local.set $pk (i32.add (local.get $pk) (i32.const 32)))
            (local.set $src (i32.add (local.get $src) (local.get $ldbB)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $tLoop)))))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $jLoop)))
  )

  ;; One 4 × 8 tile: C[0:rows, 0:cols] = A[0:rows, 0:k] · panel (rows ≤ 4, cols ≤ 8; A's rows ldaB bytes
  ;; apart). Rows beyond `rows` re-read the last valid row of A (no out-of-range loads) and are not stored.
  (func $gemm_tile (param $a i32) (param $ldaB i32) (param $pb i32) (param $c i32) (param $ldcB i32) (param $k i32)
    (param $rows i32) (param $cols i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $p i32)
    (local $va v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a0 (local.get $a))
    (local.set $a1 (select (i32.add (local.get $a0) (local.get $ldaB)) (local.get $a0) (i32.gt_u (local.get $rows) (i32.const 1))))
    (local.set $a2 (select (i32.add (local.get $a1) (local.get $ldaB)) (local.get $a1) (i32.gt_u (local.get $rows) (i32.const 2))))
    (local.set $a3 (select (i32.add (local.get $a2) (local.get $ldaB)) (local.get $a2) (i32.gt_u (local.get $rows) (i32.const 3))))
    (local.set $p (local.get $k))
    (block $done (loop $loop
      (br_if $done (i32.eqz (local.get $p)))
      (local.set $b0 (v128.load align=4 (local.get $pb)))
      (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))
      (local.set $va (v128.load32_splat align=4 (local.get $a0)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $va) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $va) (local.get $b1))))
      (local.set $va (v128.load32_splat align=4 (local.get $a1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $va) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $va) (local.get $b1))))
      (local.set $va (v128.load32_splat align=4 (local.get $a2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $va) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $va) (local.get $b1))))
      (local.set $va (v128.load32_splat align=4 (local.get $a3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $va) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $va) (local.get $b1))))
      (local.set $a0 (i32.add (local.get $a0) (i32.const 4)))
      (local.set $a1 (i32.add (local.get $a1) (i32.const 4)))
      (local.set $a2 (i32.add (local.get $a2) (i32.const 4)))
      (local.set $a3 (i32.add (local.get $a3) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (br $loop)))
    (call $gemm_store_row (local.get $c) (local.get $c00) (local.get $c01) (local.get $cols))
    (if (i32.gt_u (local.get $rows) (i32.const 1))
      (then (call $gemm_store_row (i32.add (local.get $c) (local.get $ldcB)) (local.get $c10) (local.get $c11) (local.get $cols))))
    (if (i32.gt_u (local.get $rows) (i32.const 2))
      (then (call $gemm_store_row (i32.add (local.get $c) (i32.shl (local.get $ldcB) (i32.const 1)))
        (local.get $c20) (local.get $c21) (local.get $cols))))
    (if (i32.gt_u (local.get $rows) (i32.const 3))
      (then (call $gemm_store_row (i32.add (local.get $c) (i32.mul (local.get $ldcB) (i32.const 3)))
        (local.get $c30) (local.get $c31) (local.get $cols))))
  )

  ;; Stores the first `cols` (≤ 8) floats of [v0 | v1] at c.
  (func $gemm_store_row (param $c i32) (param $v0 v128) (param $v1 v128) (param $cols i32)
    (if (i32.eq (local.get $cols) (i32.const 8))
      (then
        (v128.store align=4 (local.get $c) (local.get $v0))
        (v128.store offset=16 align=4 (local.get $c) (local.get $v1))
        (return)))
    (if (i32.ge_u (local.get $cols) (i32.const 4))
      (then
        (v128.store align=4 (local.get $c) (local.get $v0))
        (local.set $v0 (local.get $v1))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (local.set $cols (i32.sub (local.get $cols) (i32.const 4)))))
    (if (i32.ge_u (local.get $cols) (i32.const 1)) (then (f32.store align=4 (local.get $c) (f32x4.extract_lane 0 (local.get $v0)))))
    (if (i32.ge_u (local.get $cols) (i32.const 2)) (then (f32.store offset=4 align=4 (local.get $c) (f32x4.extract_lane 1 (local.get $v0)))))
    (if (i32.ge_u (local.get $cols) (i32.const 3)) (then (f32.store offset=8 align=4 (local.get $c) (f32x4.extract_lane 2 (local.get $v0)))))
  )
)
