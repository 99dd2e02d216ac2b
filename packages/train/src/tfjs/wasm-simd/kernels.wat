;; Per-channel loops over NHWC activations (channels last, C a multiple of 4), in wasm SIMD,
;; on the tfjs wasm backend's own memory (imported). Pointers are byte offsets, n counts
;; elements. Built into kernels.wasm.ts by `npx tsx packages/train/scripts/build-wasm-simd.ts`.
(module
  (import "env" "memory" (memory 1))

  ;; out[r, c] = x[r, c] * a[c] + b[c]
  (func (export "affine")
    (param $x i32) (param $a i32) (param $b i32) (param $out i32) (param $n i32) (param $C i32)
    (local $c i32) (local $cb i32) (local $end i32)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $c (i32.const 0))
        (loop $cols
          (v128.store align=4 (i32.add (local.get $out) (local.get $c))
            (f32x4.add
              (f32x4.mul
                (v128.load align=4 (i32.add (local.get $x) (local.get $c)))
                (v128.load align=4 (i32.add (local.get $a) (local.get $c))))
              (v128.load align=4 (i32.add (local.get $b) (local.get $c)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $cols (i32.lt_u (local.get $c) (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $out (i32.add (local.get $out) (local.get $cb)))
        (br $rows))))

  ;; out[r, c] = g[c] * dy[r, c] + k[c] * (x[r, c] - m[c]) + c0[c], with g, k, m, c0 the four
  ;; consecutive [C] rows at $coef.
  (func (export "bn_dx")
    (param $dy i32) (param $x i32) (param $coef i32) (param $out i32) (param $n i32) (param $C i32)
    (local $c i32) (local $cb i32) (local $end i32)
    (local $pg i32) (local $pk i32) (local $pm i32) (local $p0 i32)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $c (i32.const 0))
        (local.set $pg (local.get $coef))
        (local.set $pk (i32.add (local.get $coef) (local.get $cb)))
        (local.set $pm (i32.add (local.get $pk) (local.get $cb)))
        (local.set $p0 (i32.add (local.get $pm) (local.get $cb)))
        (loop $cols
          (v128.store align=4 (i32.add (local.get $out) (local.get $c))
            (f32x4.add
              (f32x4.add
                (f32x4.mul
                  (v128.load align=4 (local.get $pg))
                  (v128.load align=4 (i32.add (local.get $dy) (local.get $c))))
                (f32x4.mul
                  (v128.load align=4 (local.get $pk))
                  (f32x4.sub
                    (v128.load align=4 (i32.add (local.get $x) (local.get $c)))
                    (v128.load align=4 (local.get $pm)))))
              (v128.load align=4 (local.get $p0))))
          (local.set $pg (i32.add (local.get $pg) (i32.const 16)))
          (local.set $pk (i32.add (local.get $pk) (i32.const 16)))
          (local.set $pm (i32.add (local.get $pm) (i32.const 16)))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $cols (i32.lt_u (local.get $c) (local.get $cb))))
        (local.set $x (i32.add (local.get $x) (local.get $cb)))
        (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
        (local.set $out (i32.add (local.get $out) (local.get $cb)))
        (br $rows))))

  ;; acc[c] += sum over rows of y[r, c]; acc[C + c] += sum of y[r, c] * (x[r, c] - m[c]).
  ;; acc is float64 [2C] (the caller zeroes it); partial sums of up to 64 rows run in float32
  ;; in scratch (float32 [2C]) and are added to acc in float64.
  (func (export "channel_sums")
    (param $y i32) (param $x i32) (param $m i32) (param $scratch i32) (param $acc i32)
    (param $n i32) (param $C i32)
    (local $c i32) (local $cb i32) (local $end i32) (local $blockEnd i32) (local $q i32)
    (local $j i32) (local $sy v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $q (i32.add (local.get $scratch) (local.get $cb)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        ;; zero the float32 partial sums
        (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $cb) (i32.const 1)))
        (local.set $blockEnd (i32.add (local.get $x) (i32.shl (local.get $cb) (i32.const 6))))
        (if (i32.gt_u (local.get $blockEnd) (local.get $end)) (then (local.set $blockEnd (local.get $end))))
        (block $blockDone
          (loop $rows
            (br_if $blockDone (i32.ge_u (local.get $x) (local.get $blockEnd)))
            (local.set $c (i32.const 0))
            (loop $cols
              (local.set $sy (v128.load align=4 (i32.add (local.get $y) (local.get $c))))
              (v128.store align=4 (i32.add (local.get $scratch) (local.get $c))
                (f32x4.add (v128.load align=4 (i32.add (local.get $scratch) (local.get $c))) (local.get $sy)))
              (v128.store align=4 (i32.add (local.get $q) (local.get $c))
                (f32x4.add
                  (v128.load align=4 (i32.add (local.get $q) (local.get $c)))
                  (f32x4.mul
                    (local.get $sy)
                    (f32x4.sub
                      (v128.load align=4 (i32.add (local.get $x) (local.get $c)))
                      (v128.load align=4 (i32.add (local.get $m) (local.get $c)))))))
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (br_if $cols (i32.lt_u (local.get $c) (local.get $cb))))
            (local.set $x (i32.add (local.get $x) (local.get $cb)))
            (local.set $y (i32.add (local.get $y) (local.get $cb)))
            (br $rows)))
        ;; acc += partial sums, in float64
        (local.set $j (i32.const 0))
        (loop $flush
          (f64.store (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3)))
            (f64.add
              (f64.load (i32.add (local.get $acc) (i32.shl (local.get $j) (i32.const 3))))
              (f64.promote_f32 (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $j) (i32.const 2)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $flush (i32.lt_u (local.get $j) (i32.shl (local.get $C) (i32.const 1)))))
        (br $blocks))))
;; dst[c, i, j] = src[i * si + j * sj + c] for c < C, i < ni, j < nj: channel planes of
  ;; (a strided grid of) NHWC rows. dst is contiguous per channel, planes `plane` bytes apart;
  ;; si, sj are byte strides.
  (func (export "gather_channels")
    (param $src i32) (param $dst i32) (param $C i32) (param $ni i32) (param $si i32)
    (param $nj i32) (param $sj i32) (param $plane i32)
    (local $c i32) (local $i i32) (local $j i32) (local $s i32) (local $d i32) (local $row i32)
    (local.set $c (i32.const 0))
    (block $cDone
      (loop $channels
        (br_if $cDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $c) (local.get $plane))))
        (local.set $row (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $rows
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $ni)))
            (local.set $s (local.get $row))
            (local.set $j (local.get $nj))
            (block $jDone
              (loop $cols
                (br_if $jDone (i32.eqz (local.get $j)))
                (f32.store (local.get $d) (f32.load (local.get $s)))
                (local.set $d (i32.add (local.get $d) (i32.const 4)))
                (local.set $s (i32.add (local.get $s) (local.get $sj)))
                (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                (br $cols)))
            (local.set $row (i32.add (local.get $row) (local.get $si)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $channels))))
;; out[i] = x[i] > 0 ? dy[i] : 0 (ReLU's gradient), for n elements.
  (func (export "relu_grad") (param $dy i32) (param $x i32) (param $out i32) (param $n i32)
    (local $end i32) (local $vend i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone
      (loop $vectors
        (br_if $vDone (i32.ge_u (local.get $x) (local.get $vend)))
        (v128.store align=4 (local.get $out)
          (v128.and
            (v128.load align=4 (local.get $dy))
            (f32x4.gt (v128.load align=4 (local.get $x)) (v128.const f32x4 0 0 0 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $vectors)))
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (f32.store (local.get $out)
          (select (f32.load (local.get $dy)) (f32.const 0) (f32.gt (f32.load (local.get $x)) (f32.const 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $tail))))
)
