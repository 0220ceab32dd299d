/**
 * Z85 (ZeroMQ RFC 32, https://rfc.zeromq.org/spec/32/), the Base85 variant Delta uses for deletion vector
 * descriptors: the UUID of a DV file (`storageType: 'u'`) and inline bitmaps (`storageType: 'i'`). Every 5
 * characters encode 4 bytes, big-endian; Delta pads unaligned data to whole blocks and records the real length
 * (`sizeInBytes`) beside it. Strict: a character outside the alphabet or a block above 2^32 - 1 is refused.
 * Hand-written (a dozen lines): the npm Base85 packages implement Ascii85 or the unpadded variant only.
 */

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** Decodes whole 5-character blocks; throws on an unaligned length, a foreign character or an overflowing block. */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`Z85 text of ${text.length} characters is not a whole number of 5-character blocks`);
  const out = new Uint8Array((text.length / 5) * 4);
  const view = new DataView(out.buffer);
  for (let block = 0; block < text.length / 5; block++) {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const char = text[block * 5 + i];
      const digit = DECODE.get(char);
      if (digit === undefined) throw new Error(`character ${JSON.stringify(char)} is not in the Z85 alphabet`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Error(`Z85 block ${JSON.stringify(text.slice(block * 5, block * 5 + 5))} does not fit in 4 bytes`);
    view.setUint32(block * 4, value);
  }
  return out;
}

/** The canonical text form of a 16-byte UUID (8-4-4-4-12 lowercase hex). */
export function uuidText(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`a UUID has 16 bytes, not ${bytes.length}`);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
