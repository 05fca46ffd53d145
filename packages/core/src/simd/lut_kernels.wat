;; WebAssembly SIMD loops of the MADDNESS scan (lut-dense's quantized LUTDense): encoding into
;; 4-bit codes in the blocked layout, then table look-ups with i8x16.swizzle on 8-bit tables,
;; exact 16-bit accumulation and float rescaling. Imports the memory it runs on (the wasm
;; backend's heap, or a private memory on cpu and tensorflow); every pointer is a byte offset.
;; Built into lut_bytes.ts by tools/wasm/build-simd.mjs (wabt).
;;
;; Layouts:
;;   x       [n, d] float32, row-major
;;   dims    [c, 4] int32 (split dimension per level), thr [c, 15] float32 (level l, node b at 2^l − 1 + b)
;;   codes   blocked, 4-bit: block b of 32 rows, codebook j → 16 bytes at (b·c + j)·16; byte r holds
;;           the code of row 32b + r in its low nibble and of row 32b + 16 + r in its high nibble
;;           (Bolt/MADDNESS's layout: one load gives the codes of 32 rows for one codebook)
;;   tables  [c, mt, 16] bytes: the 16 leaf entries of (codebook j, output m) fill one v128, the
;;           register i8x16.swizzle looks up
;;
;; Accumulation (exact, for c ≤ 257): the 16 looked-up bytes s (lane j = row j) are added as 16-bit lanes
;; into A (lane k gets s[2k] + 256·s[2k+1], wrapping mod 2^16) and their odd bytes s[2k+1] into B. Then
;; B holds the odd rows' sums and A − 256·B (mod 2^16) the even rows' sums, both exact while a sum is at
;; most 65535 = 257 · 255. Per look-up that is one add, one shift and one add on the arithmetic ports,
;; instead of two widening extends (which, like the swizzle, run on x64's single shuffle port). MADDNESS's
;; own choice, averaging bytes (i8x16.avgr_u), is one op but rounds at every level (a biased error that
;; grows with log2 C on top of the quantisation error); exact sums keep the SIMD kernel equal to the
;; JavaScript reference bit for bit.
(module
  (import "env" "memory" (memory 0))

  ;; encode rows [0, n) of x through c trees into the blocked 4-bit layout (rows past n get code 0). A row
  ;; goes right at a node when x[dim] > threshold (a tie or NaN goes left); level l, node b (the path so
  ;; far) sits at 2^l − 1 + b, i.e. byte offsets 0, 4 + 4b, 12 + 4b, 28 + 4b of the codebook's thresholds
  (func (export "maddness_encode_packed") (param $x i32) (param $n i32) (param $d i32) (param $dims i32) (param $thr i32)
    (param $c i32) (param $codes i32)
    (local $blk i32) (local $nblk i32) (local $j i32) (local $r i32) (local $row i32) (local $rowBytes i32)
    (local $lo i32) (local $hi i32) (local $dp i32) (local $tp i32) (local $out i32)
    (local $xp i32) (local $d0 i32) (local $d1 i32) (local $d2 i32) (local $d3 i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $nblk (i32.shr_u (i32.add (local.get $n) (i32.const 31)) (i32.const 5)))
    (local.set $out (local.get $codes))
    (block $bb (loop $lb
      (br_if $bb (i32.ge_u (local.get $blk) (local.get $nblk)))
      (local.set $j (i32.const 0))
      (block $bj (loop $lj
        (br_if $bj (i32.ge_u (local.get $j) (local.get $c)))
        (local.set $dp (i32.add (local.get $dims) (i32.shl (local.get $j) (i32.const 4))))
        (local.set $tp (i32.add (local.get $thr) (i32.mul (local.get $j) (i32.const 60))))
        (local.set $d0 (i32.shl (i32.load (local.get $dp)) (i32.const 2)))
        (local.set $d1 (i32.shl (i32.load offset=4 (local.get $dp)) (i32.const 2)))
        (local.set $d2 (i32.shl (i32.load offset=8 (local.get $dp)) (i32.const 2)))
        (local.set $d3 (i32.shl (i32.load offset=12 (local.get $dp)) (i32.const 2)))
        (local.set $r (i32.const 0))
        (block $br (loop $lr
          (br_if $br (i32.ge_u (local.get $r) (i32.const 16)))
          (local.set $row (i32.add (i32.shl (local.get $blk) (i32.const 5)) (local.get $r)))
          ;; both walks written out (no call): the two rows of a byte are independent chains the CPU overlaps
          (local.set $lo (i32.const 0))
          (local.set $hi (i32.const 0))
          (if (i32.lt_u (local.get $row) (local.get $n))
            (then
              (local.set $xp (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $rowBytes))))
              (local.set $lo (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d0))) (f32.load (local.get $tp))))
              (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 1)) (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d1)))
                (f32.load offset=4 (i32.add (local.get $tp) (i32.shl (local.get $lo) (i32.const 2)))))))
              (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 1)) (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d2)))
                (f32.load offset=12 (i32.add (local.get $tp) (i32.shl (local.get $lo) (i32.const 2)))))))
              (local.set $lo (i32.or (i32.shl (local.get $lo) (i32.const 1)) (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d3)))
                (f32.load offset=28 (i32.add (local.get $tp) (i32.shl (local.get $lo) (i32.const 2)))))))
              (if (i32.lt_u (i32.add (local.get $row) (i32.const 16)) (local.get $n))
                (then
                  (local.set $xp (i32.add (local.get $x) (i32.mul (i32.add (local.get $row) (i32.const 16)) (local.get $rowBytes))))
                  (local.set $hi (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d0))) (f32.load (local.get $tp))))
                  (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 1)) (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d1)))
                    (f32.load offset=4 (i32.add (local.get $tp) (i32.shl (local.get $hi) (i32.const 2)))))))
                  (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 1)) (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d2)))
                    (f32.load offset=12 (i32.add (local.get $tp) (i32.shl (local.get $hi) (i32.const 2)))))))
                  (local.set $hi (i32.or (i32.shl (local.get $hi) (i32.const 1)) (f32.gt (f32.load (i32.add (local.get $xp) (local.get $d3)))
                    (f32.load offset=28 (i32.add (local.get $tp) (i32.shl (local.get $hi) (i32.const 2)))))))
                  ))))
          (i32.store8 (local.get $out) (i32.or (local.get $lo) (i32.shl (local.get $hi) (i32.const 4))))
          (local.set $out (i32.add (local.get $out) (i32.const 1)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $lr)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $lb))))

  ;; the first min(valid, 4) lanes of v to p
  (func $store_lanes (param $p i32) (param $v v128) (param $valid i32)
    (if (i32.ge_s (local.get $valid) (i32.const 4))
      (then (v128.store align=4 (local.get $p) (local.get $v)))
      (else
        (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
        (if (i32.ge_s (local.get $valid) (i32.const 2)) (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
        (if (i32.ge_s (local.get $valid) (i32.const 3)) (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))))

  ;; out[row, m] = (Σ_j tables[j, m, code_j(row)]) · scale[m] + offset[m] (+ bias[m]) for rows [0, n) and
  ;; the outputs of `groups` groups of four (m = 4g + k; lanes of group g at or past `valid` − 4g are
  ;; not stored). Sums are exact in 16-bit lanes for c ≤ 257 codebooks (257 · 255 = 65535): the caller
  ;; guarantees it. mt: outputs per codebook in the table layout (the stride of codebook j, in
  ;; 16-byte tables). scale, offset, bias: groups·4 floats each (bias = -1: none).
  (func (export "lut_scan_u8") (param $codes i32) (param $tables i32) (param $c i32) (param $mt i32) (param $groups i32)
    (param $n i32) (param $scale i32) (param $offset i32) (param $bias i32) (param $out i32) (param $ostride i32) (param $valid i32)
    (local $blk i32) (local $nblk i32) (local $half i32) (local $row i32) (local $g i32) (local $j i32)
    (local $cp i32) (local $tp i32) (local $tstride i32) (local $shift i32)
    (local $cv v128) (local $s v128) (local $mask v128)
    (local $a0l v128) (local $a0h v128) (local $a1l v128) (local $a1h v128)
    (local $a2l v128) (local $a2h v128) (local $a3l v128) (local $a3h v128)
    (local $sv v128) (local $ov v128) (local $bv v128) (local $useBias i32) (local $gout i32) (local $gvalid i32)
    (local $k0 v128) (local $k1 v128) (local $k2 v128) (local $k3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $p i32) (local $step i32)
    (local.set $mask (i8x16.splat (i32.const 15)))
    (local.set $tstride (i32.shl (local.get $mt) (i32.const 4)))
    (local.set $useBias (i32.ne (local.get $bias) (i32.const -1)))
    (local.set $nblk (i32.shr_u (i32.add (local.get $n) (i32.const 31)) (i32.const 5)))
    (block $bb (loop $lb
      (br_if $bb (i32.ge_u (local.get $blk) (local.get $nblk)))
      (local.set $half (i32.const 0))
      (block $bh (loop $lh
        (br_if $bh (i32.ge_u (local.get $half) (i32.const 2)))
        (local.set $row (i32.add (i32.shl (local.get $blk) (i32.const 5)) (i32.shl (local.get $half) (i32.const 4))))
        (br_if $bh (i32.ge_u (local.get $row) (local.get $n)))
        (local.set $shift (i32.shl (local.get $half) (i32.const 2)))
        (local.set $g (i32.const 0))
        (block $bg (loop $lg
          (br_if $bg (i32.ge_u (local.get $g) (local.get $groups)))
          (local.set $a0l (v128.const i64x2 0 0)) (local.set $a0h (v128.const i64x2 0 0))
          (local.set $a1l (v128.const i64x2 0 0)) (local.set $a1h (v128.const i64x2 0 0))
          (local.set $a2l (v128.const i64x2 0 0)) (local.set $a2h (v128.const i64x2 0 0))
          (local.set $a3l (v128.const i64x2 0 0)) (local.set $a3h (v128.const i64x2 0 0))
          (local.set $cp (i32.add (local.get $codes) (i32.shl (i32.mul (local.get $blk) (local.get $c)) (i32.const 4))))
          (local.set $tp (i32.add (local.get $tables) (i32.shl (local.get $g) (i32.const 6))))
          (local.set $j (i32.const 0))
          (block $bj (loop $lj
            (br_if $bj (i32.ge_u (local.get $j) (local.get $c)))
            ;; i16x8.shr_u (one psrlw) then the byte mask: the low or the high nibbles, as 16 byte indices
            (local.set $cv (v128.and (i16x8.shr_u (v128.load (local.get $cp)) (local.get $shift)) (local.get $mask)))
            ;; per output: one swizzle (16 look-ups), then A += s as 16-bit lanes (wrapping) and B += the odd
            ;; bytes; the even-row sums are recovered once at the end as A − 256·B (see the header)
            (local.set $s (i8x16.swizzle (v128.load (local.get $tp)) (local.get $cv)))
            (local.set $a0l (i16x8.add (local.get $a0l) (local.get $s)))
            (local.set $a0h (i16x8.add (local.get $a0h) (i16x8.shr_u (local.get $s) (i32.const 8))))
            (local.set $s (i8x16.swizzle (v128.load offset=16 (local.get $tp)) (local.get $cv)))
            (local.set $a1l (i16x8.add (local.get $a1l) (local.get $s)))
            (local.set $a1h (i16x8.add (local.get $a1h) (i16x8.shr_u (local.get $s) (i32.const 8))))
            (local.set $s (i8x16.swizzle (v128.load offset=32 (local.get $tp)) (local.get $cv)))
            (local.set $a2l (i16x8.add (local.get $a2l) (local.get $s)))
            (local.set $a2h (i16x8.add (local.get $a2h) (i16x8.shr_u (local.get $s) (i32.const 8))))
            (local.set $s (i8x16.swizzle (v128.load offset=48 (local.get $tp)) (local.get $cv)))
            (local.set $a3l (i16x8.add (local.get $a3l) (local.get $s)))
            (local.set $a3h (i16x8.add (local.get $a3h) (i16x8.shr_u (local.get $s) (i32.const 8))))
            (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
            (local.set $tp (i32.add (local.get $tp) (local.get $tstride)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $lj)))
          ;; even rows E = A − 256·B, odd rows B; interleaved back into rows 0-7 (…l) and rows 8-15 (…h)
          (local.set $s (i16x8.sub (local.get $a0l) (i16x8.shl (local.get $a0h) (i32.const 8))))
          (local.set $a0l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $s) (local.get $a0h)))
          (local.set $a0h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $s) (local.get $a0h)))
          (local.set $s (i16x8.sub (local.get $a1l) (i16x8.shl (local.get $a1h) (i32.const 8))))
          (local.set $a1l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $s) (local.get $a1h)))
          (local.set $a1h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $s) (local.get $a1h)))
          (local.set $s (i16x8.sub (local.get $a2l) (i16x8.shl (local.get $a2h) (i32.const 8))))
          (local.set $a2l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $s) (local.get $a2h)))
          (local.set $a2h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $s) (local.get $a2h)))
          (local.set $s (i16x8.sub (local.get $a3l) (i16x8.shl (local.get $a3h) (i32.const 8))))
          (local.set $a3l (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $s) (local.get $a3h)))
          (local.set $a3h (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $s) (local.get $a3h)))
          ;; rescale and store: rows row..row+3 from the low halves of the low accumulators, and so on
          (local.set $sv (v128.load align=4 (i32.add (local.get $scale) (i32.shl (local.get $g) (i32.const 4)))))
          (local.set $ov (v128.load align=4 (i32.add (local.get $offset) (i32.shl (local.get $g) (i32.const 4)))))
          (local.set $bv (if (result v128) (local.get $useBias)
            (then (v128.load align=4 (i32.add (local.get $bias) (i32.shl (local.get $g) (i32.const 4)))))
            (else (f32x4.splat (f32.const -0)))))
          (local.set $gout (i32.add (local.get $out) (i32.shl (local.get $g) (i32.const 4))))
          (local.set $gvalid (i32.sub (local.get $valid) (i32.shl (local.get $g) (i32.const 2))))
          ;; the finalisation, written out once per four rows (row + 0, 4, 8, 12): columns k0..k3 (lanes = rows,
          ;; integer sums) transposed to rows (lanes = outputs) with i8x16.shuffle, rescaled (sum·scale + offset +
          ;; bias; bias -0 when there is none, which leaves every value's bits unchanged) and stored: four v128
          ;; stores when the four rows are below n and the four lanes valid, else row by row ($store_lanes)
          ;; rows row + 0 … row + 3
          (local.set $k0 (i32x4.extend_low_i16x8_u (local.get $a0l)))
          (local.set $k1 (i32x4.extend_low_i16x8_u (local.get $a1l)))
          (local.set $k2 (i32x4.extend_low_i16x8_u (local.get $a2l)))
          (local.set $k3 (i32x4.extend_low_i16x8_u (local.get $a3l)))
          ;; t0 = k0[0] k1[0] k0[1] k1[1], t1 = k0[2] k1[2] k0[3] k1[3], t2/t3 the same for k2, k3
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k0) (local.get $k1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k0) (local.get $k1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k2) (local.get $k3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k2) (local.get $k3)))
          (local.set $r0 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r1 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r2 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r3 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $step (i32.shl (local.get $ostride) (i32.const 2)))
          (local.set $p (i32.add (local.get $gout) (i32.mul (i32.add (local.get $row) (i32.const 0)) (local.get $step))))
          (if (i32.and (i32.le_u (i32.add (i32.add (local.get $row) (i32.const 0)) (i32.const 4)) (local.get $n)) (i32.ge_s (local.get $gvalid) (i32.const 4)))
            (then
              (v128.store align=4 (local.get $p) (local.get $r0))
              (v128.store align=4 (i32.add (local.get $p) (local.get $step)) (local.get $r1))
              (v128.store align=4 (i32.add (local.get $p) (i32.shl (local.get $step) (i32.const 1))) (local.get $r2))
              (v128.store align=4 (i32.add (local.get $p) (i32.mul (local.get $step) (i32.const 3))) (local.get $r3)))
            (else
              (if (i32.lt_u (i32.add (local.get $row) (i32.const 0)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r0) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 0)) (i32.const 1)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r1) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 0)) (i32.const 2)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r2) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 0)) (i32.const 3)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r3) (local.get $gvalid))))))
          ;; rows row + 4 … row + 7
          (local.set $k0 (i32x4.extend_high_i16x8_u (local.get $a0l)))
          (local.set $k1 (i32x4.extend_high_i16x8_u (local.get $a1l)))
          (local.set $k2 (i32x4.extend_high_i16x8_u (local.get $a2l)))
          (local.set $k3 (i32x4.extend_high_i16x8_u (local.get $a3l)))
          ;; t0 = k0[0] k1[0] k0[1] k1[1], t1 = k0[2] k1[2] k0[3] k1[3], t2/t3 the same for k2, k3
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k0) (local.get $k1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k0) (local.get $k1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k2) (local.get $k3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k2) (local.get $k3)))
          (local.set $r0 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r1 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r2 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r3 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $step (i32.shl (local.get $ostride) (i32.const 2)))
          (local.set $p (i32.add (local.get $gout) (i32.mul (i32.add (local.get $row) (i32.const 4)) (local.get $step))))
          (if (i32.and (i32.le_u (i32.add (i32.add (local.get $row) (i32.const 4)) (i32.const 4)) (local.get $n)) (i32.ge_s (local.get $gvalid) (i32.const 4)))
            (then
              (v128.store align=4 (local.get $p) (local.get $r0))
              (v128.store align=4 (i32.add (local.get $p) (local.get $step)) (local.get $r1))
              (v128.store align=4 (i32.add (local.get $p) (i32.shl (local.get $step) (i32.const 1))) (local.get $r2))
              (v128.store align=4 (i32.add (local.get $p) (i32.mul (local.get $step) (i32.const 3))) (local.get $r3)))
            (else
              (if (i32.lt_u (i32.add (local.get $row) (i32.const 4)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r0) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 4)) (i32.const 1)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r1) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 4)) (i32.const 2)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r2) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 4)) (i32.const 3)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r3) (local.get $gvalid))))))
          ;; rows row + 8 … row + 11
          (local.set $k0 (i32x4.extend_low_i16x8_u (local.get $a0h)))
          (local.set $k1 (i32x4.extend_low_i16x8_u (local.get $a1h)))
          (local.set $k2 (i32x4.extend_low_i16x8_u (local.get $a2h)))
          (local.set $k3 (i32x4.extend_low_i16x8_u (local.get $a3h)))
          ;; t0 = k0[0] k1[0] k0[1] k1[1], t1 = k0[2] k1[2] k0[3] k1[3], t2/t3 the same for k2, k3
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k0) (local.get $k1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k0) (local.get $k1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k2) (local.get $k3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k2) (local.get $k3)))
          (local.set $r0 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r1 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r2 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r3 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $step (i32.shl (local.get $ostride) (i32.const 2)))
          (local.set $p (i32.add (local.get $gout) (i32.mul (i32.add (local.get $row) (i32.const 8)) (local.get $step))))
          (if (i32.and (i32.le_u (i32.add (i32.add (local.get $row) (i32.const 8)) (i32.const 4)) (local.get $n)) (i32.ge_s (local.get $gvalid) (i32.const 4)))
            (then
              (v128.store align=4 (local.get $p) (local.get $r0))
              (v128.store align=4 (i32.add (local.get $p) (local.get $step)) (local.get $r1))
              (v128.store align=4 (i32.add (local.get $p) (i32.shl (local.get $step) (i32.const 1))) (local.get $r2))
              (v128.store align=4 (i32.add (local.get $p) (i32.mul (local.get $step) (i32.const 3))) (local.get $r3)))
            (else
              (if (i32.lt_u (i32.add (local.get $row) (i32.const 8)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r0) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 8)) (i32.const 1)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r1) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 8)) (i32.const 2)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r2) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 8)) (i32.const 3)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r3) (local.get $gvalid))))))
          ;; rows row + 12 … row + 15
          (local.set $k0 (i32x4.extend_high_i16x8_u (local.get $a0h)))
          (local.set $k1 (i32x4.extend_high_i16x8_u (local.get $a1h)))
          (local.set $k2 (i32x4.extend_high_i16x8_u (local.get $a2h)))
          (local.set $k3 (i32x4.extend_high_i16x8_u (local.get $a3h)))
          ;; t0 = k0[0] k1[0] k0[1] k1[1], t1 = k0[2] k1[2] k0[3] k1[3], t2/t3 the same for k2, k3
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k0) (local.get $k1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k0) (local.get $k1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $k2) (local.get $k3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $k2) (local.get $k3)))
          (local.set $r0 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r1 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r2 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $r3 (f32x4.add (f32x4.add (f32x4.mul (f32x4.convert_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))) (local.get $sv)) (local.get $ov)) (local.get $bv)))
          (local.set $step (i32.shl (local.get $ostride) (i32.const 2)))
          (local.set $p (i32.add (local.get $gout) (i32.mul (i32.add (local.get $row) (i32.const 12)) (local.get $step))))
          (if (i32.and (i32.le_u (i32.add (i32.add (local.get $row) (i32.const 12)) (i32.const 4)) (local.get $n)) (i32.ge_s (local.get $gvalid) (i32.const 4)))
            (then
              (v128.store align=4 (local.get $p) (local.get $r0))
              (v128.store align=4 (i32.add (local.get $p) (local.get $step)) (local.get $r1))
              (v128.store align=4 (i32.add (local.get $p) (i32.shl (local.get $step) (i32.const 1))) (local.get $r2))
              (v128.store align=4 (i32.add (local.get $p) (i32.mul (local.get $step) (i32.const 3))) (local.get $r3)))
            (else
              (if (i32.lt_u (i32.add (local.get $row) (i32.const 12)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r0) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 12)) (i32.const 1)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r1) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 12)) (i32.const 2)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r2) (local.get $gvalid))))
              (local.set $p (i32.add (local.get $p) (local.get $step)))
              (if (i32.lt_u (i32.add (i32.add (local.get $row) (i32.const 12)) (i32.const 3)) (local.get $n)) (then (call $store_lanes (local.get $p) (local.get $r3) (local.get $gvalid))))))
          (local.set $g (i32.add (local.get $g) (i32.const 1)))
          (br $lg)))
        (local.set $half (i32.add (local.get $half) (i32.const 1)))
        (br $lh)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $lb))))

  ;; rows of x [n, d] holding NaN or ±Infinity get NaN in every output of their row of out [n, m] (as a
  ;; dense product would): Σ (v − v) over the row is 0 when every v is finite, NaN otherwise
  (func (export "poison_nonfinite_rows") (param $x i32) (param $n i32) (param $d i32) (param $out i32) (param $m i32)
    (local $i i32) (local $p i32) (local $end i32) (local $end16 i32) (local $acc v128) (local $v v128) (local $s f32) (local $q i32)
    (block $bi (loop $li
      (br_if $bi (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.add (local.get $x) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 2))))
      (local.set $end (i32.add (local.get $p) (i32.shl (local.get $d) (i32.const 2))))
      (local.set $end16 (i32.add (local.get $p) (i32.shl (i32.and (local.get $d) (i32.const -16)) (i32.const 2))))
      (local.set $acc (v128.const i64x2 0 0))
      (block $b16 (loop $l16
        (br_if $b16 (i32.ge_u (local.get $p) (local.get $end16)))
        (local.set $v (v128.load align=4 (local.get $p)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=16 align=4 (local.get $p)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=32 align=4 (local.get $p)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=48 align=4 (local.get $p)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $l16)))
      (local.set $s (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      (block $b1 (loop $l1
        (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.sub (f32.load (local.get $p)) (f32.load (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $l1)))
      (if (f32.ne (local.get $s) (local.get $s))
        (then
          (local.set $q (i32.const 0))
          (local.set $p (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $m)) (i32.const 2))))
          (block $bq (loop $lq
            (br_if $bq (i32.ge_u (local.get $q) (local.get $m)))
            (f32.store (local.get $p) (f32.const nan))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $lq)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li))))
)
