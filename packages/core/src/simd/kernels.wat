;; WebAssembly SIMD (f32x4) loops of the candidate kernels, run on the wasm
;; backend's own heap: the module imports tfjs-backend-wasm's memory, so the
;; inputs and outputs are read and written in place (pointers are byte
;; offsets of the tensors on that heap). Candidate ids are validated in
;; JavaScript before any call (checkCandidates); -1 is padding.
;; Built into simd_module.ts by tools/wasm/build-simd.mjs (wabt).
(module
  (import "env" "memory" (memory 0))

  ;; dot(a, b, dim): four f32x4 accumulators over 16 floats per step, then 4, then scalars
  (func $dot (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $end16 i32) (local $end4 i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -16)) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
    (block $b16 (loop $l16
      (br_if $b16 (i32.ge_u (local.get $a) (local.get $end16)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 align=4 (local.get $a)) (v128.load offset=16 align=4 (local.get $b)))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 align=4 (local.get $a)) (v128.load offset=32 align=4 (local.get $b)))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 align=4 (local.get $a)) (v128.load offset=48 align=4 (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (br $l16)))
    (block $b4 (loop $l4
      (br_if $b4 (i32.ge_u (local.get $a) (local.get $end4)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $l4)))
    (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
      (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $l1)))
    (local.get $s))

  ;; dst[0..dim) += g · src[0..dim)
  (func $axpy (param $dst i32) (param $src i32) (param $g f32) (param $dim i32)
    (local $end4 i32) (local $end i32) (local $gv v128)
    (local.set $gv (f32x4.splat (local.get $g)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
    (block $b4 (loop $l4
      (br_if $b4 (i32.ge_u (local.get $dst) (local.get $end4)))
      (v128.store align=4 (local.get $dst)
        (f32x4.add (v128.load align=4 (local.get $dst)) (f32x4.mul (local.get $gv) (v128.load align=4 (local.get $src)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $l4)))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $g) (f32.load (local.get $src)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $l1))))

  ;; out[i, j] = queries[i] · items[cand[i, j]], 0 for padding
  (func (export "gather_dot") (param $q i32) (param $items i32) (param $cand i32) (param $out i32)
    (param $batch i32) (param $width i32) (param $dim i32)
    (local $i i32) (local $j i32) (local $c i32) (local $row i32)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (block $bi (loop $li
      (br_if $bi (i32.ge_s (local.get $i) (local.get $batch)))
      (local.set $j (i32.const 0))
      (block $bj (loop $lj
        (br_if $bj (i32.ge_s (local.get $j) (local.get $width)))
        (local.set $c (i32.load (local.get $cand)))
        (f32.store (local.get $out)
          (if (result f32) (i32.lt_s (local.get $c) (i32.const 0))
            (then (f32.const 0))
            (else (call $dot (local.get $q) (i32.add (local.get $items) (i32.mul (local.get $c) (local.get $row))) (local.get $dim)))))
        (local.set $cand (i32.add (local.get $cand) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $q (i32.add (local.get $q) (local.get $row)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li))))

  ;; out[i] += w[i, j] · items[cand[i, j]] (out zeroed by the caller): d scores / d queries
  (func (export "gather_weighted_sum") (param $w i32) (param $items i32) (param $cand i32) (param $out i32)
    (param $batch i32) (param $width i32) (param $dim i32)
    (local $i i32) (local $j i32) (local $c i32) (local $g f32) (local $row i32)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (block $bi (loop $li
      (br_if $bi (i32.ge_s (local.get $i) (local.get $batch)))
      (local.set $j (i32.const 0))
      (block $bj (loop $lj
        (br_if $bj (i32.ge_s (local.get $j) (local.get $width)))
        (local.set $c (i32.load (local.get $cand)))
        (local.set $g (f32.load (local.get $w)))
        (if (i32.and (i32.ge_s (local.get $c) (i32.const 0)) (f32.ne (local.get $g) (f32.const 0)))
          (then (call $axpy (local.get $out) (i32.add (local.get $items) (i32.mul (local.get $c) (local.get $row))) (local.get $g) (local.get $dim))))
        (local.set $cand (i32.add (local.get $cand) (i32.const 4)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $out (i32.add (local.get $out) (local.get $row)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li))))

  ;; out[cand[i, j]] += w[i, j] · queries[i] (out zeroed by the caller): d scores / d items
  (func (export "scatter_outer_add") (param $w i32) (param $q i32) (param $cand i32) (param $out i32)
    (param $batch i32) (param $width i32) (param $dim i32)
    (local $i i32) (local $j i32) (local $c i32) (local $g f32) (local $row i32)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (block $bi (loop $li
      (br_if $bi (i32.ge_s (local.get $i) (local.get $batch)))
      (local.set $j (i32.const 0))
      (block $bj (loop $lj
        (br_if $bj (i32.ge_s (local.get $j) (local.get $width)))
        (local.set $c (i32.load (local.get $cand)))
        (local.set $g (f32.load (local.get $w)))
        (if (i32.and (i32.ge_s (local.get $c) (i32.const 0)) (f32.ne (local.get $g) (f32.const 0)))
          (then (call $axpy (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $row))) (local.get $q) (local.get $g) (local.get $dim))))
        (local.set $cand (i32.add (local.get $cand) (i32.const 4)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $q (i32.add (local.get $q) (local.get $row)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li))))

  ;; two dots in lockstep, each summed exactly as $dot (the same float32 results): a·b to [oa], c·d to [oc].
  ;; Two independent rows in flight: their cache misses overlap (a single dot waits on one row at a time).
  (func $dot2 (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $dim i32) (param $oa i32) (param $oc i32)
    (local $end16 i32) (local $end4 i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $s f32) (local $t f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $dim) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -16)) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -4)) (i32.const 2))))
    (block $b16 (loop $l16
      (br_if $b16 (i32.ge_u (local.get $a) (local.get $end16)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load align=4 (local.get $c)) (v128.load align=4 (local.get $d)))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 align=4 (local.get $a)) (v128.load offset=16 align=4 (local.get $b)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (v128.load offset=16 align=4 (local.get $c)) (v128.load offset=16 align=4 (local.get $d)))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 align=4 (local.get $a)) (v128.load offset=32 align=4 (local.get $b)))))
      (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (v128.load offset=32 align=4 (local.get $c)) (v128.load offset=32 align=4 (local.get $d)))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 align=4 (local.get $a)) (v128.load offset=48 align=4 (local.get $b)))))
      (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (v128.load offset=48 align=4 (local.get $c)) (v128.load offset=48 align=4 (local.get $d)))))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (local.set $c (i32.add (local.get $c) (i32.const 64)))
      (local.set $d (i32.add (local.get $d) (i32.const 64)))
      (br $l16)))
    (block $b4 (loop $l4
      (br_if $b4 (i32.ge_u (local.get $a) (local.get $end4)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load align=4 (local.get $a)) (v128.load align=4 (local.get $b)))))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (v128.load align=4 (local.get $c)) (v128.load align=4 (local.get $d)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (br $l4)))
    (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
    (local.set $c0 (f32x4.add (f32x4.add (local.get $c0) (local.get $c1)) (f32x4.add (local.get $c2) (local.get $c3))))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
      (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
    (local.set $t (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $c0)) (f32x4.extract_lane 1 (local.get $c0)))
      (f32.add (f32x4.extract_lane 2 (local.get $c0)) (f32x4.extract_lane 3 (local.get $c0)))))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $t (f32.add (local.get $t) (f32.mul (f32.load (local.get $c)) (f32.load (local.get $d)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (br $l1)))
    (f32.store (local.get $oa) (local.get $s))
    (f32.store (local.get $oc) (local.get $t)))

  ;; out[dst[p]] = queries[qi[p]] · items[it[p]] for p < n: scores of (query, item) pairs, visited
  ;; in the caller's order (sorted by item, every item row is read once per batch, in address order),
  ;; two pairs at a time ($dot2: two rows' cache misses overlap; the same results as one at a time)
  (func (export "pair_dot") (param $q i32) (param $items i32) (param $it i32) (param $qi i32) (param $dst i32)
    (param $out i32) (param $n i32) (param $dim i32)
    (local $p i32) (local $row i32) (local $n2 i32)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $n2 (i32.and (local.get $n) (i32.const -2)))
    (block $b2 (loop $l2
      (br_if $b2 (i32.ge_s (local.get $p) (local.get $n2)))
      (call $dot2
        (i32.add (local.get $q) (i32.mul (i32.load (local.get $qi)) (local.get $row)))
        (i32.add (local.get $items) (i32.mul (i32.load (local.get $it)) (local.get $row)))
        (i32.add (local.get $q) (i32.mul (i32.load offset=4 (local.get $qi)) (local.get $row)))
        (i32.add (local.get $items) (i32.mul (i32.load offset=4 (local.get $it)) (local.get $row)))
        (local.get $dim)
        (i32.add (local.get $out) (i32.shl (i32.load (local.get $dst)) (i32.const 2)))
        (i32.add (local.get $out) (i32.shl (i32.load offset=4 (local.get $dst)) (i32.const 2))))
      (local.set $it (i32.add (local.get $it) (i32.const 8)))
      (local.set $qi (i32.add (local.get $qi) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br $l2)))
    (block $b (loop $l
      (br_if $b (i32.ge_s (local.get $p) (local.get $n)))
      (f32.store
        (i32.add (local.get $out) (i32.shl (i32.load (local.get $dst)) (i32.const 2)))
        (call $dot
          (i32.add (local.get $q) (i32.mul (i32.load (local.get $qi)) (local.get $row)))
          (i32.add (local.get $items) (i32.mul (i32.load (local.get $it)) (local.get $row)))
          (local.get $dim)))
      (local.set $it (i32.add (local.get $it) (i32.const 4)))
      (local.set $qi (i32.add (local.get $qi) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l))))

  ;; e^x lane-wise in float32 (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial in r, times 2ⁿ
  ;; built in the exponent bits): relative error ~1e-7. x is clamped to ≥ −87 (e^−87 is still a normal float32),
  ;; so very negative x give ~1e-38 instead of 0; NaN stays NaN.
  (func $expv (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87))))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r (f32x4.sub
      (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (f32x4.splat (f32.const 0.693359375))))
      (f32x4.mul (local.get $n) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (f32x4.splat (f32.const 1))))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  ;; The end of an inference call (LSHSoftmax.topK): for each of `rows` candidate lists (list i is
  ;; ids/scores[rowStart[i] .. rowStart[i+1])): adds the bias (f32 [units] at $bias, none when $bias is -1) to
  ;; the scores in place, keeps the k best (best first; ties to the smaller id; an insertion list, the caller
  ;; keeps k small) in outIds/outScores[i·k ..], padded with -1 / −∞, and writes the list's largest score
  ;; (f32, outMax[i]; −∞ when empty) and Σ e^(score − max) (f64, outSum[i]; 0 when empty): the caller's
  ;; log-partition is max + log(sum).
  (func (export "finish_rows") (param $ids i32) (param $scores i32) (param $rowStart i32) (param $rows i32)
    (param $bias i32) (param $k i32) (param $outIds i32) (param $outScores i32) (param $outMax i32) (param $outSum i32)
    (local $i i32) (local $j i32) (local $lo i32) (local $hi i32) (local $c i32) (local $s f32) (local $max f32)
    (local $filled i32) (local $p i32) (local $ti i32) (local $ts i32) (local $t f32) (local $hi4 i32)
    (local $mv v128) (local $e v128) (local $acc v128) (local $sum f64)
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $rows)))
      (local.set $lo (i32.load (i32.add (local.get $rowStart) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $hi (i32.load (i32.add (local.get $rowStart) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 2)))))
      (local.set $ti (i32.add (local.get $outIds) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      (local.set $ts (i32.add (local.get $outScores) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      (local.set $filled (i32.const 0))
      (local.set $max (f32.const -inf))
      ;; pass 1: bias, max, top-k by insertion
      (local.set $j (local.get $lo))
      (block $candDone (loop $candLoop
        (br_if $candDone (i32.ge_s (local.get $j) (local.get $hi)))
        (local.set $c (i32.load (i32.add (local.get $ids) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $s (f32.load (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2)))))
        (if (i32.ne (local.get $bias) (i32.const -1))
          (then
            (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))))
            (f32.store (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))))
        (if (f32.gt (local.get $s) (local.get $max)) (then (local.set $max (local.get $s))))
        (block $skip
          (if (i32.eq (local.get $filled) (local.get $k))
            (then
              (local.set $t (f32.load (i32.add (local.get $ts) (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 2)))))
              (br_if $skip (f32.lt (local.get $s) (local.get $t)))
              (br_if $skip (i32.and (f32.eq (local.get $s) (local.get $t))
                (i32.gt_s (local.get $c) (i32.load (i32.add (local.get $ti) (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 2)))))))
              (local.set $p (i32.sub (local.get $k) (i32.const 1))))
            (else
              (local.set $p (local.get $filled))
              (local.set $filled (i32.add (local.get $filled) (i32.const 1)))))
          (block $placed (loop $shift
            (br_if $placed (i32.le_s (local.get $p) (i32.const 0)))
            (local.set $t (f32.load (i32.add (local.get $ts) (i32.shl (i32.sub (local.get $p) (i32.const 1)) (i32.const 2)))))
            (br_if $placed (i32.eqz (i32.or (f32.gt (local.get $s) (local.get $t))
              (i32.and (f32.eq (local.get $s) (local.get $t))
                (i32.lt_s (local.get $c) (i32.load (i32.add (local.get $ti) (i32.shl (i32.sub (local.get $p) (i32.const 1)) (i32.const 2)))))))))
            (f32.store (i32.add (local.get $ts) (i32.shl (local.get $p) (i32.const 2))) (local.get $t))
            (i32.store (i32.add (local.get $ti) (i32.shl (local.get $p) (i32.const 2)))
              (i32.load (i32.add (local.get $ti) (i32.shl (i32.sub (local.get $p) (i32.const 1)) (i32.const 2)))))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $shift)))
          (f32.store (i32.add (local.get $ts) (i32.shl (local.get $p) (i32.const 2))) (local.get $s))
          (i32.store (i32.add (local.get $ti) (i32.shl (local.get $p) (i32.const 2))) (local.get $c)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $candLoop)))
      ;; padding
      (local.set $p (local.get $filled))
      (block $padDone (loop $pad
        (br_if $padDone (i32.ge_s (local.get $p) (local.get $k)))
        (i32.store (i32.add (local.get $ti) (i32.shl (local.get $p) (i32.const 2))) (i32.const -1))
        (f32.store (i32.add (local.get $ts) (i32.shl (local.get $p) (i32.const 2))) (f32.const -inf))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pad)))
      ;; pass 2: Σ e^(s − max), four at a time, summed in float64
      (local.set $sum (f64.const 0))
      (if (i32.lt_s (local.get $lo) (local.get $hi))
        (then
          (local.set $mv (f32x4.splat (local.get $max)))
          (local.set $acc (f64x2.splat (f64.const 0)))
          (local.set $j (local.get $lo))
          (local.set $hi4 (i32.sub (local.get $hi) (i32.const 3)))
          (block $sumDone (loop $sumLoop
            (br_if $sumDone (i32.ge_s (local.get $j) (local.get $hi4)))
            (local.set $e (call $expv (f32x4.sub (v128.load align=4 (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mv))))
            (local.set $acc (f64x2.add (local.get $acc) (f64x2.add
              (f64x2.promote_low_f32x4 (local.get $e))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $sumLoop)))
          (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
          (block $tailDone (loop $tail
            (br_if $tailDone (i32.ge_s (local.get $j) (local.get $hi)))
            (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32x4.extract_lane 0 (call $expv (f32x4.splat
              (f32.sub (f32.load (i32.add (local.get $scores) (i32.shl (local.get $j) (i32.const 2)))) (local.get $max))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))))
      (f32.store (i32.add (local.get $outMax) (i32.shl (local.get $i) (i32.const 2))) (local.get $max))
      (f64.store (i32.add (local.get $outSum) (i32.shl (local.get $i) (i32.const 3))) (local.get $sum))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; mulberry32 (core's SeededRandom): the next 32-bit value of the state at [$st], which advances
  (func $mulberry (param $st i32) (result i32)
    (local $s i32) (local $t i32)
    (local.set $s (i32.add (i32.load (local.get $st)) (i32.const 0x6d2b79f5)))
    (i32.store (local.get $st) (local.get $s))
    (local.set $t (i32.mul (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 15))) (i32.or (local.get $s) (i32.const 1))))
    (local.set $t (i32.xor (local.get $t)
      (i32.add (local.get $t) (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7))) (i32.or (local.get $t) (i32.const 61))))))
    (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14))))

  ;; Rearranges a[0, n) (int32) so that a[0, m) holds its m smallest values: hashing's selectFirst by smaller id (a
  ;; quickselect, Hoare partition, middle pivot), step for step, so both leave the same order
  (func $smallestFirst (param $a i32) (param $n i32) (param $m i32)
    (local $lo i32) (local $hi i32) (local $i i32) (local $j i32) (local $pivot i32) (local $x i32)
    (local.set $hi (i32.sub (local.get $n) (i32.const 1)))
    (block $done (loop $outer
      (br_if $done (i32.ge_s (local.get $lo) (local.get $hi)))
      (br_if $done (i32.le_s (local.get $m) (local.get $lo)))
      (br_if $done (i32.gt_s (local.get $m) (local.get $hi)))
      (local.set $pivot (i32.load (i32.add (local.get $a)
        (i32.shl (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)) (i32.const 2)))))
      (local.set $i (local.get $lo))
      (local.set $j (local.get $hi))
      (block $pDone (loop $part
        (br_if $pDone (i32.gt_s (local.get $i) (local.get $j)))
        (block $iDone (loop $iLoop
          (br_if $iDone (i32.ge_s (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))) (local.get $pivot)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $iLoop)))
        (block $jDone (loop $jLoop
          (br_if $jDone (i32.le_s (i32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2)))) (local.get $pivot)))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))
          (br $jLoop)))
        (if (i32.le_s (local.get $i) (local.get $j)) (then
          (local.set $x (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
          (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))
            (i32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2)))))
          (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $x))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))))
        (br $part)))
      ;; a[lo, j] ≤ pivot ≤ a[i, hi]: continue in the part that holds position m
      (if (i32.le_s (local.get $m) (local.get $j))
        (then (local.set $hi (local.get $j)))
        (else (if (i32.ge_s (local.get $m) (local.get $i))
          (then (local.set $lo (local.get $i)))
          (else (br $done)))))
      (br $outer))))

  ;; Rearranges ids a[0, n) and their scores s[0, n) (f32, side by side) so that a[0, m) holds the m first in
  ;; the order (a larger score, then the smaller id): hashing's selectFirst by score, step for step. The
  ;; scores were gathered next to the ids once, so the partition reads both arrays in order.
  (func $largestScoreFirst (param $a i32) (param $s i32) (param $n i32) (param $m i32)
    (local $lo i32) (local $hi i32) (local $i i32) (local $j i32) (local $pid i32) (local $ps f32)
    (local $x i32) (local $xs f32) (local $t i32) (local $ts f32) (local $mid i32)
    (local.set $hi (i32.sub (local.get $n) (i32.const 1)))
    (block $done (loop $outer
      (br_if $done (i32.ge_s (local.get $lo) (local.get $hi)))
      (br_if $done (i32.le_s (local.get $m) (local.get $lo)))
      (br_if $done (i32.gt_s (local.get $m) (local.get $hi)))
      (local.set $mid (i32.shl (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)) (i32.const 2)))
      (local.set $pid (i32.load (i32.add (local.get $a) (local.get $mid))))
      (local.set $ps (f32.load (i32.add (local.get $s) (local.get $mid))))
      (local.set $i (local.get $lo))
      (local.set $j (local.get $hi))
      (block $pDone (loop $part
        (br_if $pDone (i32.gt_s (local.get $i) (local.get $j)))
        ;; while item i comes before the pivot: i++
        (block $iDone (loop $iLoop
          (local.set $ts (f32.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2)))))
          (br_if $iDone (i32.eqz (i32.or (f32.gt (local.get $ts) (local.get $ps))
            (i32.and (f32.eq (local.get $ts) (local.get $ps))
              (i32.lt_s (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))) (local.get $pid))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $iLoop)))
        ;; while the pivot comes before item j: j--
        (block $jDone (loop $jLoop
          (local.set $ts (f32.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))))
          (br_if $jDone (i32.eqz (i32.or (f32.gt (local.get $ps) (local.get $ts))
            (i32.and (f32.eq (local.get $ps) (local.get $ts))
              (i32.lt_s (local.get $pid) (i32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2)))))))))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))
          (br $jLoop)))
        (if (i32.le_s (local.get $i) (local.get $j)) (then
          (local.set $x (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
          (local.set $xs (f32.load (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2)))))
          (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))
            (i32.load (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2)))))
          (f32.store (i32.add (local.get $s) (i32.shl (local.get $i) (i32.const 2)))
            (f32.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))))
          (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $x))
          (f32.store (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))) (local.get $xs))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $j (i32.sub (local.get $j) (i32.const 1)))))
        (br $part)))
      (if (i32.le_s (local.get $m) (local.get $j))
        (then (local.set $hi (local.get $j)))
        (else (if (i32.ge_s (local.get $m) (local.get $i))
          (then (local.set $lo (local.get $i)))
          (else (br $done)))))
      (br $outer))))

  ;; The union of each query's buckets, cut to at most maxCand items, as hashing's selectRetrieved with a tie
  ;; seed (the same items, in the same order): for query i < nq, the bucket of codes[i·tables + l] in table l
  ;; (a binary search of keys[keyStart[l] .. keyStart[l+1]); its items ids[offsets[b] .. offsets[b+1])), every
  ;; item counted (16-bit counters at $counts, zero in and out); the items with the most hits are kept, and
  ;; when the cut falls inside a group of equal hits, a random subset of that group drawn by a partial
  ;; Fisher–Yates shuffle from SeededRandom(seeds[i]) (mulberry32, four draws to warm up), or, when $seeds is -1,
  ;; the group's smallest ids (selectRetrieved without a seed: the same order too); with $scores (f32 per item,
  ;; not -1) the group's items of the largest score, ties to the smaller id, whatever the seeds. Query i's items go
  ;; to out + i·maxCand·4, their count to outN[i]. Scratch: touched (int32 per item), hist (tables + 2 int32),
  ;; one int32 of generator state at $st, tscore (f32 per item: the tied group's scores beside their ids). Only items with at least minHits hits count.
  (func (export "union_rows") (param $keyStart i32) (param $keys i32) (param $offsets i32) (param $ids i32) (param $tables i32)
    (param $codes i32) (param $nq i32) (param $maxCand i32) (param $minHits i32) (param $seeds i32) (param $scores i32)
    (param $counts i32) (param $touched i32) (param $hist i32) (param $st i32) (param $tscore i32) (param $out i32) (param $outN i32)
    (local $i i32) (local $l i32) (local $code i32) (local $lo i32) (local $hi i32) (local $end i32) (local $mid i32)
    (local $p i32) (local $pEnd i32) (local $id i32) (local $c i32) (local $n i32) (local $j i32) (local $kept i32)
    (local $cut i32) (local $tied i32) (local $m i32) (local $nT i32) (local $room i32) (local $r i32) (local $o i32)
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_s (local.get $i) (local.get $nq)))
      (local.set $n (i32.const 0))
      ;; count every item of the query's buckets
      (local.set $l (i32.const 0))
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.ge_s (local.get $l) (local.get $tables)))
        (local.set $code (i32.load (i32.add (local.get $codes) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $tables)) (local.get $l)) (i32.const 2)))))
        (local.set $lo (i32.load (i32.add (local.get $keyStart) (i32.shl (local.get $l) (i32.const 2)))))
        (local.set $hi (i32.load (i32.add (local.get $keyStart) (i32.shl (i32.add (local.get $l) (i32.const 1)) (i32.const 2)))))
        (local.set $end (local.get $hi))
        (block $sDone (loop $sLoop
          (br_if $sDone (i32.ge_s (local.get $lo) (local.get $hi)))
          (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
          (if (i32.lt_s (i32.load (i32.add (local.get $keys) (i32.shl (local.get $mid) (i32.const 2)))) (local.get $code))
            (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))))
            (else (local.set $hi (local.get $mid))))
          (br $sLoop)))
        (if (i32.and (i32.lt_s (local.get $lo) (local.get $end))
              (i32.eq (i32.load (i32.add (local.get $keys) (i32.shl (local.get $lo) (i32.const 2)))) (local.get $code)))
          (then
            (local.set $p (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $lo) (i32.const 2)))))
            (local.set $pEnd (i32.load (i32.add (local.get $offsets) (i32.shl (i32.add (local.get $lo) (i32.const 1)) (i32.const 2)))))
            (block $bDone (loop $bLoop
              (br_if $bDone (i32.ge_s (local.get $p) (local.get $pEnd)))
              (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $p) (i32.const 2)))))
              (local.set $c (i32.load16_u (i32.add (local.get $counts) (i32.shl (local.get $id) (i32.const 1)))))
              (if (i32.eqz (local.get $c)) (then
                (i32.store (i32.add (local.get $touched) (i32.shl (local.get $n) (i32.const 2))) (local.get $id))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))
              (i32.store16 (i32.add (local.get $counts) (i32.shl (local.get $id) (i32.const 1))) (i32.add (local.get $c) (i32.const 1)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $bLoop)))))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $tLoop)))
      ;; histogram of hit counts → the smallest hit count that still fits
      (local.set $j (i32.const 0))
      (block $zDone (loop $zLoop
        (br_if $zDone (i32.gt_s (local.get $j) (i32.add (local.get $tables) (i32.const 1))))
        (i32.store (i32.add (local.get $hist) (i32.shl (local.get $j) (i32.const 2))) (i32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $zLoop)))
      (local.set $j (i32.const 0))
      (block $hDone (loop $hLoop
        (br_if $hDone (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $c (i32.add (local.get $hist) (i32.shl (i32.load16_u (i32.add (local.get $counts)
          (i32.shl (i32.load (i32.add (local.get $touched) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 1)))) (i32.const 2))))
        (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $hLoop)))
      (local.set $kept (i32.const 0))
      (local.set $cut (i32.add (local.get $tables) (i32.const 1)))
      (block $cDone (loop $cLoop
        (br_if $cDone (i32.le_s (local.get $cut) (local.get $minHits)))
        (local.set $c (i32.load (i32.add (local.get $hist) (i32.shl (i32.sub (local.get $cut) (i32.const 1)) (i32.const 2)))))
        (br_if $cDone (i32.gt_s (i32.add (local.get $kept) (local.get $c)) (local.get $maxCand)))
        (local.set $kept (i32.add (local.get $kept) (local.get $c)))
        (local.set $cut (i32.sub (local.get $cut) (i32.const 1)))
        (br $cLoop)))
      (local.set $tied (select (i32.sub (local.get $cut) (i32.const 1)) (i32.const -1)
        (i32.and (i32.ge_s (i32.sub (local.get $cut) (i32.const 1)) (local.get $minHits)) (i32.lt_s (local.get $kept) (local.get $maxCand)))))
      ;; the items above the cut, in first-found order; the tied group compacted to the front of touched
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $i) (local.get $maxCand)) (i32.const 2))))
      (local.set $m (i32.const 0))
      (local.set $nT (i32.const 0))
      (local.set $j (i32.const 0))
      (block $oDone (loop $oLoop
        (br_if $oDone (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $id (i32.load (i32.add (local.get $touched) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $c (i32.load16_u (i32.add (local.get $counts) (i32.shl (local.get $id) (i32.const 1)))))
        (i32.store16 (i32.add (local.get $counts) (i32.shl (local.get $id) (i32.const 1))) (i32.const 0))
        (if (i32.ge_s (local.get $c) (local.get $cut))
          (then
            (i32.store (i32.add (local.get $o) (i32.shl (local.get $m) (i32.const 2))) (local.get $id))
            (local.set $m (i32.add (local.get $m) (i32.const 1))))
          (else (if (i32.eq (local.get $c) (local.get $tied)) (then
            (i32.store (i32.add (local.get $touched) (i32.shl (local.get $nT) (i32.const 2))) (local.get $id))
            (if (i32.ne (local.get $scores) (i32.const -1)) (then
              (f32.store (i32.add (local.get $tscore) (i32.shl (local.get $nT) (i32.const 2)))
                (f32.load (i32.add (local.get $scores) (i32.shl (local.get $id) (i32.const 2)))))))
            (local.set $nT (i32.add (local.get $nT) (i32.const 1)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $oLoop)))
      ;; with scores: the tied group's items of the largest score (ties to the smaller id); else without seeds its
      ;; smallest ids (quickselects, as selectRetrieved's selectFirst)
      (if (i32.and (i32.ge_s (local.get $tied) (i32.const 0))
            (i32.or (i32.ne (local.get $scores) (i32.const -1)) (i32.eq (local.get $seeds) (i32.const -1)))) (then
        (local.set $room (i32.sub (local.get $maxCand) (local.get $kept)))
        (if (i32.ne (local.get $scores) (i32.const -1))
          (then (call $largestScoreFirst (local.get $touched) (local.get $tscore) (local.get $nT) (local.get $room)))
          (else (call $smallestFirst (local.get $touched) (local.get $nT) (local.get $room))))
        (local.set $j (i32.const 0))
        (block $sfDone (loop $sfLoop
          (br_if $sfDone (i32.ge_s (local.get $j) (local.get $room)))
          (i32.store (i32.add (local.get $o) (i32.shl (local.get $m) (i32.const 2)))
            (i32.load (i32.add (local.get $touched) (i32.shl (local.get $j) (i32.const 2)))))
          (local.set $m (i32.add (local.get $m) (i32.const 1)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $sfLoop)))
        (local.set $tied (i32.const -1))))
      ;; a random subset of the tied group: SeededRandom(seed) as core's (state = seed ^ 0x9e3779b9, four draws)
      (if (i32.ge_s (local.get $tied) (i32.const 0)) (then
        (local.set $room (i32.sub (local.get $maxCand) (local.get $kept)))
        (i32.store (local.get $st) (i32.xor (i32.load (i32.add (local.get $seeds) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 0x9e3779b9)))
        (drop (call $mulberry (local.get $st)))
        (drop (call $mulberry (local.get $st)))
        (drop (call $mulberry (local.get $st)))
        (drop (call $mulberry (local.get $st)))
        (local.set $j (i32.const 0))
        (block $rDone (loop $rLoop
          (br_if $rDone (i32.ge_s (local.get $j) (local.get $room)))
          ;; r = j + floor(next() · (nT − j)), next() = u32 / 2^32 (float64, as SeededRandom.int)
          (local.set $r (i32.add (local.get $j) (i32.trunc_f64_u (f64.floor (f64.mul
            (f64.div (f64.convert_i32_u (call $mulberry (local.get $st))) (f64.const 4294967296))
            (f64.convert_i32_s (i32.sub (local.get $nT) (local.get $j))))))))
          (local.set $id (i32.load (i32.add (local.get $touched) (i32.shl (local.get $r) (i32.const 2)))))
          (i32.store (i32.add (local.get $touched) (i32.shl (local.get $r) (i32.const 2)))
            (i32.load (i32.add (local.get $touched) (i32.shl (local.get $j) (i32.const 2)))))
          (i32.store (i32.add (local.get $o) (i32.shl (local.get $m) (i32.const 2))) (local.get $id))
          (local.set $m (i32.add (local.get $m) (i32.const 1)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $rLoop)))))
      (i32.store (i32.add (local.get $outN) (i32.shl (local.get $i) (i32.const 2))) (local.get $m))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $qLoop))))

  ;; Adam (tf.train.adam's formula and float32 operation order) over n floats:
  ;;   m ← m·β1 + g·(1 − β1);  v ← v·β2 + g²·(1 − β2)
  ;;   out ← ((m / c1) / (√(v / c2) + ε)) · nlr + x     (c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ, nlr = −lr)
  ;; also stored at copy when copy ≠ -1; out may be x. Used by the optimizer kernels below.
  (func $adam_span (param $x i32) (param $g i32) (param $m i32) (param $v i32) (param $out i32) (param $copy i32) (param $n i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $nlr f32)
    (local $i i32) (local $n4 i32) (local $o i32)
    (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128) (local $vomb2 v128) (local $vc1 v128) (local $vc2 v128) (local $veps v128) (local $vnlr v128)
    (local $gv v128) (local $mv v128) (local $vv v128) (local $xv v128)
    (local $gs f32) (local $ms f32) (local $vs f32) (local $xs f32)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vomb1 (f32x4.splat (local.get $omb1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vomb2 (f32x4.splat (local.get $omb2)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vnlr (f32x4.splat (local.get $nlr)))
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $b4 (loop $l4
      (br_if $b4 (i32.ge_u (local.get $o) (local.get $n4)))
      (local.set $gv (v128.load align=4 (i32.add (local.get $g) (local.get $o))))
      (local.set $mv (f32x4.add
        (f32x4.mul (v128.load align=4 (i32.add (local.get $m) (local.get $o))) (local.get $vb1))
        (f32x4.mul (local.get $gv) (local.get $vomb1))))
      (local.set $vv (f32x4.add
        (f32x4.mul (v128.load align=4 (i32.add (local.get $v) (local.get $o))) (local.get $vb2))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $vomb2))))
      (v128.store align=4 (i32.add (local.get $m) (local.get $o)) (local.get $mv))
      (v128.store align=4 (i32.add (local.get $v) (local.get $o)) (local.get $vv))
      (local.set $xv (f32x4.add
        (f32x4.mul
          (f32x4.div (f32x4.div (local.get $mv) (local.get $vc1))
            (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $vc2))) (local.get $veps)))
          (local.get $vnlr))
        (v128.load align=4 (i32.add (local.get $x) (local.get $o)))))
      (v128.store align=4 (i32.add (local.get $out) (local.get $o)) (local.get $xv))
      (if (i32.ne (local.get $copy) (i32.const -1))
        (then (v128.store align=4 (i32.add (local.get $copy) (local.get $o)) (local.get $xv))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $l4)))
    (local.set $i (i32.shl (local.get $n) (i32.const 2)))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_u (local.get $o) (local.get $i)))
      (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
      (local.set $ms (f32.add
        (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1))
        (f32.mul (local.get $gs) (local.get $omb1))))
      (local.set $vs (f32.add
        (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $b2))
        (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
      (f32.store (i32.add (local.get $m) (local.get $o)) (local.get $ms))
      (f32.store (i32.add (local.get $v) (local.get $o)) (local.get $vs))
      (local.set $xs (f32.add
        (f32.mul
          (f32.div (f32.div (local.get $ms) (local.get $c1))
            (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $c2))) (local.get $eps)))
          (local.get $nlr))
        (f32.load (i32.add (local.get $x) (local.get $o)))))
      (f32.store (i32.add (local.get $out) (local.get $o)) (local.get $xs))
      (if (i32.ne (local.get $copy) (i32.const -1))
        (then (f32.store (i32.add (local.get $copy) (local.get $o)) (local.get $xs))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $l1))))

  ;; Adam over all n floats of x (gradient g, moments m and v updated in place), new values to out (may be x)
  (func (export "adam_dense") (param $x i32) (param $g i32) (param $m i32) (param $v i32) (param $out i32) (param $n i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $nlr f32)
    (call $adam_span (local.get $x) (local.get $g) (local.get $m) (local.get $v) (local.get $out) (i32.const -1) (local.get $n)
      (local.get $b1) (local.get $omb1) (local.get $b2) (local.get $omb2) (local.get $c1) (local.get $c2) (local.get $eps) (local.get $nlr)))

  ;; Adam over rows rows[0..nRows) (int32 ids, validated and distinct) of x, m, v (row length cols), x updated in
  ;; place; gradient row j at g + j·cols when compact ≠ 0 (gathered rows), else row rows[j] of g; when copy ≠ -1
  ;; the new row j is also written at copy + j·cols (the rows for a scatter)
  (func (export "adam_rows") (param $x i32) (param $g i32) (param $m i32) (param $v i32) (param $rows i32) (param $nRows i32)
    (param $cols i32) (param $compact i32) (param $copy i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $nlr f32)
    (local $j i32) (local $off i32) (local $rowBytes i32) (local $jOff i32)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $b (loop $l
      (br_if $b (i32.ge_s (local.get $j) (local.get $nRows)))
      (local.set $off (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes)))
      (local.set $jOff (i32.mul (local.get $j) (local.get $rowBytes)))
      (call $adam_span
        (i32.add (local.get $x) (local.get $off))
        (i32.add (local.get $g) (select (local.get $jOff) (local.get $off) (local.get $compact)))
        (i32.add (local.get $m) (local.get $off))
        (i32.add (local.get $v) (local.get $off))
        (i32.add (local.get $x) (local.get $off))
        (select (i32.add (local.get $copy) (local.get $jOff)) (i32.const -1) (i32.ne (local.get $copy) (i32.const -1)))
        (local.get $cols)
        (local.get $b1) (local.get $omb1) (local.get $b2) (local.get $omb2) (local.get $c1) (local.get $c2) (local.get $eps) (local.get $nlr))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))

  ;; dst[0..n) = 0 (n floats)
  (func $zero (param $dst i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $b4 (loop $l4
      (br_if $b4 (i32.ge_u (local.get $dst) (local.get $end4)))
      (v128.store align=4 (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $l4)))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $l1))))

  ;; The backward pass of a sparse output layer and its lazy-Adam step, one distinct class row at a time
  ;; (ClassRowEngine): row j is class rows[j] (row length dim) of w, m and v; its (query, candidate) pairs are
  ;; p in [start[j], start[j+1]), with query qi[p] and logit gradient dz[p]. For each pair
  ;;   dh[qi[p]] += dz[p] · w[rows[j]]     (the row as the forward pass read it)
  ;; and when step ≠ 0 the row's gradient g = Σ_p dz[p] · h[qi[p]] (in the dim floats at gtmp) then Adam on the
  ;; row in place (adam_span). Every row is read once, while it is in cache, and no [rows, dim] gradient
  ;; buffer exists. dh is zeroed by the caller.
  (func (export "sparse_rows_step") (param $h i32) (param $dz i32) (param $qi i32) (param $start i32) (param $rows i32)
    (param $n i32) (param $w i32) (param $m i32) (param $v i32) (param $dh i32) (param $gtmp i32) (param $dim i32) (param $step i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $nlr f32)
    (local $j i32) (local $p i32) (local $pEnd i32) (local $rowBytes i32) (local $off i32) (local $qOff i32) (local $d f32)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (block $b (loop $l
      (br_if $b (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $off (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $j) (i32.const 2)))) (local.get $rowBytes)))
      (if (local.get $step) (then (call $zero (local.get $gtmp) (local.get $dim))))
      (local.set $p (i32.load (i32.add (local.get $start) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $pEnd (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))))
      (block $bp (loop $lp
        (br_if $bp (i32.ge_s (local.get $p) (local.get $pEnd)))
        (local.set $qOff (i32.mul (i32.load (i32.add (local.get $qi) (i32.shl (local.get $p) (i32.const 2)))) (local.get $rowBytes)))
        (local.set $d (f32.load (i32.add (local.get $dz) (i32.shl (local.get $p) (i32.const 2)))))
        (call $axpy (i32.add (local.get $dh) (local.get $qOff)) (i32.add (local.get $w) (local.get $off)) (local.get $d) (local.get $dim))
        (if (local.get $step)
          (then (call $axpy (local.get $gtmp) (i32.add (local.get $h) (local.get $qOff)) (local.get $d) (local.get $dim))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $lp)))
      (if (local.get $step)
        (then (call $adam_span
          (i32.add (local.get $w) (local.get $off)) (local.get $gtmp)
          (i32.add (local.get $m) (local.get $off)) (i32.add (local.get $v) (local.get $off))
          (i32.add (local.get $w) (local.get $off)) (i32.const -1) (local.get $dim)
          (local.get $b1) (local.get $omb1) (local.get $b2) (local.get $omb2) (local.get $c1) (local.get $c2) (local.get $eps) (local.get $nlr))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))
)
