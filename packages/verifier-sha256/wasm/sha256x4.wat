;; Four-lane SHA-256 compression in WebAssembly 128-bit SIMD (FIPS 180-4, section 6.2.2).
;;
;; Each i32x4 lane carries one independent message, so one call advances four SHA-256 states by
;; the same number of 64-byte blocks. The JavaScript driver (src/sha256x4-driver.ts) copies message
;; blocks into this memory, writes each lane's padding, starts and retires lanes, and reads the
;; digests out; this module only compresses. Written by hand (no Rust, no C): the round function is
;; unrolled eight times, with the eight working variables renamed instead of moved.
;;
;; Memory layout (bytes):
;;      0 ..  127  the four states, word-interleaved: word j of lane l at 16 * j + 4 * l
;;    128 .. 1151  the 64 round constants K, each splatted to all four lanes (written by $init)
;;   1152 .. 2175  the message schedule W[0..63] of the current block, one i32x4 per word
;;   2176 ..       free for the driver (HEAP_BASE): block buffers of the four lanes
;;
;; Assembled at build time by scripts/build-wasm.mjs (wabt's wat2wasm, SIMD enabled) into
;; src/generated/sha256x4-wasm.ts; a test checks that the generated file matches this source.
(module
  (memory (export "memory") 1)

  ;; Where the driver's buffers may start.
  (global (export "HEAP_BASE") i32 (i32.const 2176))

  ;; Splats the round constants K[0..63] into memory.
  (func $init
    (v128.store offset=128 (i32.const 0) (i32x4.splat (i32.const 0x428a2f98)))
    (v128.store offset=144 (i32.const 0) (i32x4.splat (i32.const 0x71374491)))
    (v128.store offset=160 (i32.const 0) (i32x4.splat (i32.const 0xb5c0fbcf)))
    (v128.store offset=176 (i32.const 0) (i32x4.splat (i32.const 0xe9b5dba5)))
    (v128.store offset=192 (i32.const 0) (i32x4.splat (i32.const 0x3956c25b)))
    (v128.store offset=208 (i32.const 0) (i32x4.splat (i32.const 0x59f111f1)))
    (v128.store offset=224 (i32.const 0) (i32x4.splat (i32.const 0x923f82a4)))
    (v128.store offset=240 (i32.const 0) (i32x4.splat (i32.const 0xab1c5ed5)))
    (v128.store offset=256 (i32.const 0) (i32x4.splat (i32.const 0xd807aa98)))
    (v128.store offset=272 (i32.const 0) (i32x4.splat (i32.const 0x12835b01)))
    (v128.store offset=288 (i32.const 0) (i32x4.splat (i32.const 0x243185be)))
    (v128.store offset=304 (i32.const 0) (i32x4.splat (i32.const 0x550c7dc3)))
    (v128.store offset=320 (i32.const 0) (i32x4.splat (i32.const 0x72be5d74)))
    (v128.store offset=336 (i32.const 0) (i32x4.splat (i32.const 0x80deb1fe)))
    (v128.store offset=352 (i32.const 0) (i32x4.splat (i32.const 0x9bdc06a7)))
    (v128.store offset=368 (i32.const 0) (i32x4.splat (i32.const 0xc19bf174)))
    (v128.store offset=384 (i32.const 0) (i32x4.splat (i32.const 0xe49b69c1)))
    (v128.store offset=400 (i32.const 0) (i32x4.splat (i32.const 0xefbe4786)))
    (v128.store offset=416 (i32.const 0) (i32x4.splat (i32.const 0x0fc19dc6)))
    (v128.store offset=432 (i32.const 0) (i32x4.splat (i32.const 0x240ca1cc)))
    (v128.store offset=448 (i32.const 0) (i32x4.splat (i32.const 0x2de92c6f)))
    (v128.store offset=464 (i32.const 0) (i32x4.splat (i32.const 0x4a7484aa)))
    (v128.store offset=480 (i32.const 0) (i32x4.splat (i32.const 0x5cb0a9dc)))
    (v128.store offset=496 (i32.const 0) (i32x4.splat (i32.const 0x76f988da)))
    (v128.store offset=512 (i32.const 0) (i32x4.splat (i32.const 0x983e5152)))
    (v128.store offset=528 (i32.const 0) (i32x4.splat (i32.const 0xa831c66d)))
    (v128.store offset=544 (i32.const 0) (i32x4.splat (i32.const 0xb00327c8)))
    (v128.store offset=560 (i32.const 0) (i32x4.splat (i32.const 0xbf597fc7)))
    (v128.store offset=576 (i32.const 0) (i32x4.splat (i32.const 0xc6e00bf3)))
    (v128.store offset=592 (i32.const 0) (i32x4.splat (i32.const 0xd5a79147)))
    (v128.store offset=608 (i32.const 0) (i32x4.splat (i32.const 0x06ca6351)))
    (v128.store offset=624 (i32.const 0) (i32x4.splat (i32.const 0x14292967)))
    (v128.store offset=640 (i32.const 0) (i32x4.splat (i32.const 0x27b70a85)))
    (v128.store offset=656 (i32.const 0) (i32x4.splat (i32.const 0x2e1b2138)))
    (v128.store offset=672 (i32.const 0) (i32x4.splat (i32.const 0x4d2c6dfc)))
    (v128.store offset=688 (i32.const 0) (i32x4.splat (i32.const 0x53380d13)))
    (v128.store offset=704 (i32.const 0) (i32x4.splat (i32.const 0x650a7354)))
    (v128.store offset=720 (i32.const 0) (i32x4.splat (i32.const 0x766a0abb)))
    (v128.store offset=736 (i32.const 0) (i32x4.splat (i32.const 0x81c2c92e)))
    (v128.store offset=752 (i32.const 0) (i32x4.splat (i32.const 0x92722c85)))
    (v128.store offset=768 (i32.const 0) (i32x4.splat (i32.const 0xa2bfe8a1)))
    (v128.store offset=784 (i32.const 0) (i32x4.splat (i32.const 0xa81a664b)))
    (v128.store offset=800 (i32.const 0) (i32x4.splat (i32.const 0xc24b8b70)))
    (v128.store offset=816 (i32.const 0) (i32x4.splat (i32.const 0xc76c51a3)))
    (v128.store offset=832 (i32.const 0) (i32x4.splat (i32.const 0xd192e819)))
    (v128.store offset=848 (i32.const 0) (i32x4.splat (i32.const 0xd6990624)))
    (v128.store offset=864 (i32.const 0) (i32x4.splat (i32.const 0xf40e3585)))
    (v128.store offset=880 (i32.const 0) (i32x4.splat (i32.const 0x106aa070)))
    (v128.store offset=896 (i32.const 0) (i32x4.splat (i32.const 0x19a4c116)))
    (v128.store offset=912 (i32.const 0) (i32x4.splat (i32.const 0x1e376c08)))
    (v128.store offset=928 (i32.const 0) (i32x4.splat (i32.const 0x2748774c)))
    (v128.store offset=944 (i32.const 0) (i32x4.splat (i32.const 0x34b0bcb5)))
    (v128.store offset=960 (i32.const 0) (i32x4.splat (i32.const 0x391c0cb3)))
    (v128.store offset=976 (i32.const 0) (i32x4.splat (i32.const 0x4ed8aa4a)))
    (v128.store offset=992 (i32.const 0) (i32x4.splat (i32.const 0x5b9cca4f)))
    (v128.store offset=1008 (i32.const 0) (i32x4.splat (i32.const 0x682e6ff3)))
    (v128.store offset=1024 (i32.const 0) (i32x4.splat (i32.const 0x748f82ee)))
    (v128.store offset=1040 (i32.const 0) (i32x4.splat (i32.const 0x78a5636f)))
    (v128.store offset=1056 (i32.const 0) (i32x4.splat (i32.const 0x84c87814)))
    (v128.store offset=1072 (i32.const 0) (i32x4.splat (i32.const 0x8cc70208)))
    (v128.store offset=1088 (i32.const 0) (i32x4.splat (i32.const 0x90befffa)))
    (v128.store offset=1104 (i32.const 0) (i32x4.splat (i32.const 0xa4506ceb)))
    (v128.store offset=1120 (i32.const 0) (i32x4.splat (i32.const 0xbef9a3f7)))
    (v128.store offset=1136 (i32.const 0) (i32x4.splat (i32.const 0xc67178f2)))
  )
  (start $init)

  ;; Compresses $n 64-byte blocks into each lane's state. Lane l reads its blocks from $pl,
  ;; $pl + 64, ... The state is read from memory at the start and written back at the end.
  (func (export "compress") (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $n i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $e v128) (local $f v128) (local $g v128) (local $h v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $x v128) (local $y v128) (local $t1 v128)
    (local $i i32) (local $q i32)
    (local.set $s0 (v128.load offset=0 (i32.const 0)))
    (local.set $s1 (v128.load offset=16 (i32.const 0)))
    (local.set $s2 (v128.load offset=32 (i32.const 0)))
    (local.set $s3 (v128.load offset=48 (i32.const 0)))
    (local.set $s4 (v128.load offset=64 (i32.const 0)))
    (local.set $s5 (v128.load offset=80 (i32.const 0)))
    (local.set $s6 (v128.load offset=96 (i32.const 0)))
    (local.set $s7 (v128.load offset=112 (i32.const 0)))
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $n)))

        ;; W[0..15]: four big-endian words of each lane at a time, byte-swapped and transposed
        ;; so that W[t] holds word t of every lane. $q is the byte offset inside the block.
        (local.set $q (i32.const 0))
        (loop $load
          (local.set $v0 (v128.load (i32.add (local.get $p0) (local.get $q))))
          (local.set $v1 (v128.load (i32.add (local.get $p1) (local.get $q))))
          (local.set $v2 (v128.load (i32.add (local.get $p2) (local.get $q))))
          (local.set $v3 (v128.load (i32.add (local.get $p3) (local.get $q))))
          ;; [l0.w0 l1.w0 l0.w1 l1.w1] and [l0.w2 l1.w2 l0.w3 l1.w3], byte-swapped; same for lanes 2, 3
          (local.set $x (i8x16.shuffle 3 2 1 0 19 18 17 16 7 6 5 4 23 22 21 20 (local.get $v0) (local.get $v1)))
          (local.set $y (i8x16.shuffle 3 2 1 0 19 18 17 16 7 6 5 4 23 22 21 20 (local.get $v2) (local.get $v3)))
          (local.set $v0 (i8x16.shuffle 11 10 9 8 27 26 25 24 15 14 13 12 31 30 29 28 (local.get $v0) (local.get $v1)))
          (local.set $v2 (i8x16.shuffle 11 10 9 8 27 26 25 24 15 14 13 12 31 30 29 28 (local.get $v2) (local.get $v3)))
          ;; W[q/4 + k] = [l0.wk l1.wk l2.wk l3.wk]
          (v128.store offset=1152 (i32.shl (local.get $q) (i32.const 2))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x) (local.get $y)))
          (v128.store offset=1168 (i32.shl (local.get $q) (i32.const 2))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x) (local.get $y)))
          (v128.store offset=1184 (i32.shl (local.get $q) (i32.const 2))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v0) (local.get $v2)))
          (v128.store offset=1200 (i32.shl (local.get $q) (i32.const 2))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v0) (local.get $v2)))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $load (i32.lt_u (local.get $q) (i32.const 64))))

        ;; The working variables start as the state. The rounds rename a..h instead of moving them
        ;; (round t + 1 sees round t's h as its a, a as b, ...), so names line up again every eight
        ;; rounds. $i = 16 * (first round of the iteration) indexes K[t] and W[t].
        ;;   T1 = h + S1(e) + Ch(e, f, g) + K[t] + W[t],  d += T1,  h = T1 + S0(a) + Maj(a, b, c)
        ;;   S1(e) = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25),  S0(a) = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        ;;   Ch = g ^ (e & (f ^ g)),  Maj = bitselect(a, b, b ^ c)  (a where b and c differ, else b)
        ;; WebAssembly SIMD has no rotate, so rotr(x, n) = (x >>> n) | (x << (32 - n)).
        (local.set $a (local.get $s0))
        (local.set $b (local.get $s1))
        (local.set $c (local.get $s2))
        (local.set $d (local.get $s3))
        (local.set $e (local.get $s4))
        (local.set $f (local.get $s5))
        (local.set $g (local.get $s6))
        (local.set $h (local.get $s7))

        (local.set $i (i32.const 0))
        (loop $rounds
          ;; While rounds 0..47 run, extend the schedule by the eight words that round t + 16 .. t + 23
          ;; need: W[t+16] = s1(W[t+14]) + W[t+9] + s0(W[t+1]) + W[t], with
          ;; s0(y) = rotr(y, 7) ^ rotr(y, 18) ^ (y >>> 3) and s1(x) = rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10).
          ;; This work is independent of the rounds below, so the CPU overlaps the two.
          (if (i32.lt_u (local.get $i) (i32.const 768)) (then
            (local.set $x (v128.load offset=1376 (local.get $i)))
            (local.set $y (v128.load offset=1168 (local.get $i)))
            (v128.store offset=1408 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1152 (local.get $i)) (v128.load offset=1296 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1392 (local.get $i)))
            (local.set $y (v128.load offset=1184 (local.get $i)))
            (v128.store offset=1424 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1168 (local.get $i)) (v128.load offset=1312 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1408 (local.get $i)))
            (local.set $y (v128.load offset=1200 (local.get $i)))
            (v128.store offset=1440 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1184 (local.get $i)) (v128.load offset=1328 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1424 (local.get $i)))
            (local.set $y (v128.load offset=1216 (local.get $i)))
            (v128.store offset=1456 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1200 (local.get $i)) (v128.load offset=1344 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1440 (local.get $i)))
            (local.set $y (v128.load offset=1232 (local.get $i)))
            (v128.store offset=1472 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1216 (local.get $i)) (v128.load offset=1360 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1456 (local.get $i)))
            (local.set $y (v128.load offset=1248 (local.get $i)))
            (v128.store offset=1488 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1232 (local.get $i)) (v128.load offset=1376 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1472 (local.get $i)))
            (local.set $y (v128.load offset=1264 (local.get $i)))
            (v128.store offset=1504 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1248 (local.get $i)) (v128.load offset=1392 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
            (local.set $x (v128.load offset=1488 (local.get $i)))
            (local.set $y (v128.load offset=1280 (local.get $i)))
            (v128.store offset=1520 (local.get $i)
              (i32x4.add
                (i32x4.add (v128.load offset=1264 (local.get $i)) (v128.load offset=1408 (local.get $i)))
                (i32x4.add
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 17)) (i32x4.shl (local.get $x) (i32.const 15)))
                                      (v128.or (i32x4.shr_u (local.get $x) (i32.const 19)) (i32x4.shl (local.get $x) (i32.const 13))))
                            (i32x4.shr_u (local.get $x) (i32.const 10)))
                  (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 7)) (i32x4.shl (local.get $y) (i32.const 25)))
                                      (v128.or (i32x4.shr_u (local.get $y) (i32.const 18)) (i32x4.shl (local.get $y) (i32.const 14))))
                            (i32x4.shr_u (local.get $y) (i32.const 3))))))
          ))
          ;; round t = 8k + 0: a..h are $a $b $c $d $e $f $g $h
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $h) (i32x4.add (v128.load offset=128 (local.get $i)) (v128.load offset=1152 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $e) (i32.const 6)) (i32x4.shl (local.get $e) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $e) (i32.const 11)) (i32x4.shl (local.get $e) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $e) (i32.const 25)) (i32x4.shl (local.get $e) (i32.const 7))))
              (v128.xor (local.get $g) (v128.and (local.get $e) (v128.xor (local.get $f) (local.get $g)))))))
          (local.set $d (i32x4.add (local.get $d) (local.get $t1)))
          (local.set $h (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $a) (i32.const 2)) (i32x4.shl (local.get $a) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $a) (i32.const 13)) (i32x4.shl (local.get $a) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $a) (i32.const 22)) (i32x4.shl (local.get $a) (i32.const 10))))
            (v128.bitselect (local.get $a) (local.get $b) (v128.xor (local.get $b) (local.get $c))))))
          ;; round t = 8k + 1: a..h are $h $a $b $c $d $e $f $g
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $g) (i32x4.add (v128.load offset=144 (local.get $i)) (v128.load offset=1168 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $d) (i32.const 6)) (i32x4.shl (local.get $d) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $d) (i32.const 11)) (i32x4.shl (local.get $d) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $d) (i32.const 25)) (i32x4.shl (local.get $d) (i32.const 7))))
              (v128.xor (local.get $f) (v128.and (local.get $d) (v128.xor (local.get $e) (local.get $f)))))))
          (local.set $c (i32x4.add (local.get $c) (local.get $t1)))
          (local.set $g (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $h) (i32.const 2)) (i32x4.shl (local.get $h) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $h) (i32.const 13)) (i32x4.shl (local.get $h) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $h) (i32.const 22)) (i32x4.shl (local.get $h) (i32.const 10))))
            (v128.bitselect (local.get $h) (local.get $a) (v128.xor (local.get $a) (local.get $b))))))
          ;; round t = 8k + 2: a..h are $g $h $a $b $c $d $e $f
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $f) (i32x4.add (v128.load offset=160 (local.get $i)) (v128.load offset=1184 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $c) (i32.const 6)) (i32x4.shl (local.get $c) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $c) (i32.const 11)) (i32x4.shl (local.get $c) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $c) (i32.const 25)) (i32x4.shl (local.get $c) (i32.const 7))))
              (v128.xor (local.get $e) (v128.and (local.get $c) (v128.xor (local.get $d) (local.get $e)))))))
          (local.set $b (i32x4.add (local.get $b) (local.get $t1)))
          (local.set $f (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $g) (i32.const 2)) (i32x4.shl (local.get $g) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $g) (i32.const 13)) (i32x4.shl (local.get $g) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $g) (i32.const 22)) (i32x4.shl (local.get $g) (i32.const 10))))
            (v128.bitselect (local.get $g) (local.get $h) (v128.xor (local.get $h) (local.get $a))))))
          ;; round t = 8k + 3: a..h are $f $g $h $a $b $c $d $e
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $e) (i32x4.add (v128.load offset=176 (local.get $i)) (v128.load offset=1200 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $b) (i32.const 6)) (i32x4.shl (local.get $b) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $b) (i32.const 11)) (i32x4.shl (local.get $b) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $b) (i32.const 25)) (i32x4.shl (local.get $b) (i32.const 7))))
              (v128.xor (local.get $d) (v128.and (local.get $b) (v128.xor (local.get $c) (local.get $d)))))))
          (local.set $a (i32x4.add (local.get $a) (local.get $t1)))
          (local.set $e (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $f) (i32.const 2)) (i32x4.shl (local.get $f) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $f) (i32.const 13)) (i32x4.shl (local.get $f) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $f) (i32.const 22)) (i32x4.shl (local.get $f) (i32.const 10))))
            (v128.bitselect (local.get $f) (local.get $g) (v128.xor (local.get $g) (local.get $h))))))
          ;; round t = 8k + 4: a..h are $e $f $g $h $a $b $c $d
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $d) (i32x4.add (v128.load offset=192 (local.get $i)) (v128.load offset=1216 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $a) (i32.const 6)) (i32x4.shl (local.get $a) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $a) (i32.const 11)) (i32x4.shl (local.get $a) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $a) (i32.const 25)) (i32x4.shl (local.get $a) (i32.const 7))))
              (v128.xor (local.get $c) (v128.and (local.get $a) (v128.xor (local.get $b) (local.get $c)))))))
          (local.set $h (i32x4.add (local.get $h) (local.get $t1)))
          (local.set $d (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $e) (i32.const 2)) (i32x4.shl (local.get $e) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $e) (i32.const 13)) (i32x4.shl (local.get $e) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $e) (i32.const 22)) (i32x4.shl (local.get $e) (i32.const 10))))
            (v128.bitselect (local.get $e) (local.get $f) (v128.xor (local.get $f) (local.get $g))))))
          ;; round t = 8k + 5: a..h are $d $e $f $g $h $a $b $c
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $c) (i32x4.add (v128.load offset=208 (local.get $i)) (v128.load offset=1232 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $h) (i32.const 6)) (i32x4.shl (local.get $h) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $h) (i32.const 11)) (i32x4.shl (local.get $h) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $h) (i32.const 25)) (i32x4.shl (local.get $h) (i32.const 7))))
              (v128.xor (local.get $b) (v128.and (local.get $h) (v128.xor (local.get $a) (local.get $b)))))))
          (local.set $g (i32x4.add (local.get $g) (local.get $t1)))
          (local.set $c (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $d) (i32.const 2)) (i32x4.shl (local.get $d) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $d) (i32.const 13)) (i32x4.shl (local.get $d) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $d) (i32.const 22)) (i32x4.shl (local.get $d) (i32.const 10))))
            (v128.bitselect (local.get $d) (local.get $e) (v128.xor (local.get $e) (local.get $f))))))
          ;; round t = 8k + 6: a..h are $c $d $e $f $g $h $a $b
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $b) (i32x4.add (v128.load offset=224 (local.get $i)) (v128.load offset=1248 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $g) (i32.const 6)) (i32x4.shl (local.get $g) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $g) (i32.const 11)) (i32x4.shl (local.get $g) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $g) (i32.const 25)) (i32x4.shl (local.get $g) (i32.const 7))))
              (v128.xor (local.get $a) (v128.and (local.get $g) (v128.xor (local.get $h) (local.get $a)))))))
          (local.set $f (i32x4.add (local.get $f) (local.get $t1)))
          (local.set $b (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $c) (i32.const 2)) (i32x4.shl (local.get $c) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $c) (i32.const 13)) (i32x4.shl (local.get $c) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $c) (i32.const 22)) (i32x4.shl (local.get $c) (i32.const 10))))
            (v128.bitselect (local.get $c) (local.get $d) (v128.xor (local.get $d) (local.get $e))))))
          ;; round t = 8k + 7: a..h are $b $c $d $e $f $g $h $a
          (local.set $t1 (i32x4.add
            (i32x4.add (local.get $a) (i32x4.add (v128.load offset=240 (local.get $i)) (v128.load offset=1264 (local.get $i))))
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $f) (i32.const 6)) (i32x4.shl (local.get $f) (i32.const 26)))
                                  (v128.or (i32x4.shr_u (local.get $f) (i32.const 11)) (i32x4.shl (local.get $f) (i32.const 21))))
                        (v128.or (i32x4.shr_u (local.get $f) (i32.const 25)) (i32x4.shl (local.get $f) (i32.const 7))))
              (v128.xor (local.get $h) (v128.and (local.get $f) (v128.xor (local.get $g) (local.get $h)))))))
          (local.set $e (i32x4.add (local.get $e) (local.get $t1)))
          (local.set $a (i32x4.add (local.get $t1) (i32x4.add
            (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $b) (i32.const 2)) (i32x4.shl (local.get $b) (i32.const 30)))
                                (v128.or (i32x4.shr_u (local.get $b) (i32.const 13)) (i32x4.shl (local.get $b) (i32.const 19))))
                      (v128.or (i32x4.shr_u (local.get $b) (i32.const 22)) (i32x4.shl (local.get $b) (i32.const 10))))
            (v128.bitselect (local.get $b) (local.get $c) (v128.xor (local.get $c) (local.get $d))))))
          (local.set $i (i32.add (local.get $i) (i32.const 128)))
          (br_if $rounds (i32.lt_u (local.get $i) (i32.const 1024))))

        (local.set $s0 (i32x4.add (local.get $s0) (local.get $a)))
        (local.set $s1 (i32x4.add (local.get $s1) (local.get $b)))
        (local.set $s2 (i32x4.add (local.get $s2) (local.get $c)))
        (local.set $s3 (i32x4.add (local.get $s3) (local.get $d)))
        (local.set $s4 (i32x4.add (local.get $s4) (local.get $e)))
        (local.set $s5 (i32x4.add (local.get $s5) (local.get $f)))
        (local.set $s6 (i32x4.add (local.get $s6) (local.get $g)))
        (local.set $s7 (i32x4.add (local.get $s7) (local.get $h)))

        (local.set $p0 (i32.add (local.get $p0) (i32.const 64)))
        (local.set $p1 (i32.add (local.get $p1) (i32.const 64)))
        (local.set $p2 (i32.add (local.get $p2) (i32.const 64)))
        (local.set $p3 (i32.add (local.get $p3) (i32.const 64)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $block)))
    (v128.store offset=0 (i32.const 0) (local.get $s0))
    (v128.store offset=16 (i32.const 0) (local.get $s1))
    (v128.store offset=32 (i32.const 0) (local.get $s2))
    (v128.store offset=48 (i32.const 0) (local.get $s3))
    (v128.store offset=64 (i32.const 0) (local.get $s4))
    (v128.store offset=80 (i32.const 0) (local.get $s5))
    (v128.store offset=96 (i32.const 0) (local.get $s6))
    (v128.store offset=112 (i32.const 0) (local.get $s7)))
)
