/**
 * CRC-32 (IEEE 802.3, the polynomial 0xEDB88320 reflected, as zlib and the AWS event stream use it),
 * table-driven, over byte ranges, so a frame's checksum is computed over the frame's own bytes in
 * place without copying them.
 *
 * @module
 */

/** The 256 remainders of the reflected polynomial, built once when the module loads. */
const TABLE: Uint32Array = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `bytes[start, end)`, continued from `crc` (the checksum of the bytes before them,
 * 0 for none): `crc32(b, 0, n) === crc32(b, k, n, crc32(b, 0, k))`.
 *
 * For example (internal, not exported):
 * ```text
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * ```
 *
 * Cancellation and errors: pure and synchronous; a range outside `bytes` reads as no bytes.
 */
export function crc32(bytes: Uint8Array, start = 0, end: number = bytes.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
