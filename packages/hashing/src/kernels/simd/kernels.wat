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

  ;; out[dst[p]] = queries[qi[p]] · items[it[p]] for p < n: scores of (query, item) pairs, visited
  ;; in the caller's order (sorted by item, every item row is read once per batch, in address order)
  (func (export "pair_dot") (param $q i32) (param $items i32) (param $it i32) (param $qi i32) (param $dst i32)
    (param $out i32) (param $n i32) (param $dim i32)
    (local $p i32) (local $row i32)
    (local.set $row (i32.shl (local.get $dim) (i32.const 2)))
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
)
