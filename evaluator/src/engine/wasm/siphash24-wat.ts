/**
 * The WebAssembly text of SipHash-2-4, generated here so the rounds are written once and
 * unrolled by the generator. Native i64 arithmetic makes it several times faster than the
 * 32-bit-halves JavaScript version (docs/performance.md has the measurement).
 *
 * Memory layout (one 64 KiB page): bytes 0..7 receive the last 64-bit hash (little-endian),
 * the message is written from byte 16. `bucket(k0lo, k0hi, k1lo, k1hi, length)` hashes
 * `length` bytes and returns hash mod 100000.
 */

/** Where the message starts in memory. */
export const MESSAGE_OFFSET = 16;

const round = [
  '(local.set $v0 (i64.add (local.get $v0) (local.get $v1)))',
  '(local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 13)) (local.get $v0)))',
  '(local.set $v0 (i64.rotl (local.get $v0) (i64.const 32)))',
  '(local.set $v2 (i64.add (local.get $v2) (local.get $v3)))',
  '(local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 16)) (local.get $v2)))',
  '(local.set $v0 (i64.add (local.get $v0) (local.get $v3)))',
  '(local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 21)) (local.get $v0)))',
  '(local.set $v2 (i64.add (local.get $v2) (local.get $v1)))',
  '(local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 17)) (local.get $v2)))',
  '(local.set $v2 (i64.rotl (local.get $v2) (i64.const 32)))',
].join('\n      ');
const rounds = (n: number) => Array.from({ length: n }, () => round).join('\n      ');
const key = (lo: string, hi: string) =>
  `(i64.or (i64.extend_i32_u (local.get ${lo})) (i64.shl (i64.extend_i32_u (local.get ${hi})) (i64.const 32)))`;

/** The module's text. */
export function siphashWat(): string {
  return `(module
  (memory (export "memory") 1)
  (func (export "bucket") (param $k0l i32) (param $k0h i32) (param $k1l i32) (param $k1h i32) (param $len i32) (result i32)
    (local $k0 i64) (local $k1 i64) (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local $m i64) (local $p i32) (local $end i32) (local $i i32) (local $h i64)
    (local.set $k0 ${key('$k0l', '$k0h')})
    (local.set $k1 ${key('$k1l', '$k1h')})
    (local.set $v0 (i64.xor (local.get $k0) (i64.const 0x736f6d6570736575)))
    (local.set $v1 (i64.xor (local.get $k1) (i64.const 0x646f72616e646f6d)))
    (local.set $v2 (i64.xor (local.get $k0) (i64.const 0x6c7967656e657261)))
    (local.set $v3 (i64.xor (local.get $k1) (i64.const 0x7465646279746573)))
    (local.set $p (i32.const ${MESSAGE_OFFSET}))
    (local.set $end (i32.add (i32.const ${MESSAGE_OFFSET}) (i32.and (local.get $len) (i32.const -8))))
    ;; full 8-byte words
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $m (i64.load (local.get $p)))
        (local.set $v3 (i64.xor (local.get $v3) (local.get $m)))
      ${rounds(2)}
        (local.set $v0 (i64.xor (local.get $v0) (local.get $m)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $words)))
    ;; the tail bytes, and the length mod 256 in the top byte
    (local.set $m (i64.shl (i64.extend_i32_u (i32.and (local.get $len) (i32.const 255))) (i64.const 56)))
    (local.set $i (i32.const 0))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (i32.and (local.get $len) (i32.const 7))))
        (local.set $m (i64.or (local.get $m)
          (i64.shl (i64.load8_u (i32.add (local.get $end) (local.get $i))) (i64.extend_i32_u (i32.shl (local.get $i) (i32.const 3))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.set $v3 (i64.xor (local.get $v3) (local.get $m)))
      ${rounds(2)}
    (local.set $v0 (i64.xor (local.get $v0) (local.get $m)))
    ;; finalisation
    (local.set $v2 (i64.xor (local.get $v2) (i64.const 0xff)))
      ${rounds(4)}
    (local.set $h (i64.xor (i64.xor (local.get $v0) (local.get $v1)) (i64.xor (local.get $v2) (local.get $v3))))
    (i64.store (i32.const 0) (local.get $h))
    (i32.wrap_i64 (i64.rem_u (local.get $h) (i64.const 100000)))))
`;
}
