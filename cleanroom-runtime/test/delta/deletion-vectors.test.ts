/**
 * Deletion vector decoding, held to bytes other implementations wrote:
 * - Z85: the test vector of ZeroMQ RFC 32 (https://rfc.zeromq.org/spec/32/) and the DV descriptors of the Delta
 *   protocol's examples (https://github.com/delta-io/delta/blob/master/PROTOCOL.md#deletion-vectors) and of the
 *   table-with-dv-small fixture (Databricks), whose file name gives the UUID;
 * - RoaringBitmaps: portable 64-bit bitmaps written
 *   by CRoaring 0.2.66 (`Roaring64Map::write(buf, portable = true)`, Debian libroaring-dev), with array, bitset and
 *   run containers, several buckets, and an empty one;
 * and hostile input: truncated, out of order, overflowing, lying about sizes and counts.
 */
import { gunzipSync } from 'node:zlib';
import type { DeletionVectorDescriptor } from '../../src/delta/actions';
import { bitmapFromFile, deletedRowIndexes, locateDeletionVector, MAX_DELETION_VECTOR_BYTES, withoutDeletedRows } from '../../src/delta/deletion-vectors';
import { readPortable64 } from '../../src/delta/roaring-bitmap';
import { uuidText, z85Decode } from '../../src/delta/z85';
import { dvBitmap, dvFile, z85Encode } from './dv-builder';

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const NO_BOUNDS = { maxValue: Number.MAX_SAFE_INTEGER, maxCardinality: 1_000_000 };

/** Written by CRoaring; the value sets are those the generator added. */
const CROARING = {
  // 3, 4, 7, 11, 18, 29: one bucket, one array container.
  array: b64('AQAAAAAAAAAAAAAAOjAAAAEAAAAAAAUAEAAAAAMABAAHAAsAEgAdAA=='),
  // 100..70000 and 131077, 196609, 262144..262153 after runOptimize: 5 containers, 3 of them runs, offsets present.
  runs: b64('AQAAAAAAAAAAAAAAOzAEABMAAJv/AQBwEQIAAAADAAAABAAJAC0AAAAzAAAAOQAAADsAAAA9AAAAAQBkAJv/AQAAAHARBQABAAEAAAAJAA=='),
  // 5, 2^32 + 1, 2^32 + 65536, 3 * 2^32 + 9: three buckets.
  buckets: b64('AwAAAAAAAAAAAAAAOjAAAAEAAAAAAAAAEAAAAAUAAQAAADowAAACAAAAAAAAAAEAAAAYAAAAGgAAAAEAAAADAAAAOjAAAAEAAAAAAAAAEAAAAAkA'),
  empty: b64('AAAAAAAAAAA='),
  // 0, 2, 4, ..., 20000 and 70000: a bitset container (10001 values) and an array container (gzip of 8230 bytes).
  bitset: new Uint8Array(gunzipSync(b64('H4sIAAAAAAACA+3Gqw2AQBRE0XlUAA6JW4vePrYP+ld8DKEEknOSO5nKq+/J9Ly51bXr3ZYMAAB+pwIAAAAAAF/HcgLavAK+JiAAAA=='))),
};

const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('Z85', () => {
  it('decodes the RFC 32 test vector and refuses what is not Z85', () => {
    expect([...z85Decode('HelloWorld')]).toEqual([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(() => z85Decode('Hello')).not.toThrow();
    expect(() => z85Decode('Hell')).toThrow(/5-character blocks/);
    expect(() => z85Decode('Hell~')).toThrow(/not in the Z85 alphabet/);
    expect(() => z85Decode('#####')).toThrow(/does not fit in 4 bytes/);
  });

  it('gives the UUIDs of the protocol example and of the fixture Databricks wrote', () => {
    expect(uuidText(z85Decode('vBn[lx{q8@P<9BNH/isA'))).toBe('61d16c75-6994-46b7-a15b-8b538852e50e');
    const example = locateDeletionVector({ storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 4, sizeInBytes: 40, cardinality: 6 });
    expect(example).toEqual({ kind: 'file', path: 'ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin', absolute: false, offset: 4 });
  });
});

describe('RoaringBitmap portable format', () => {
  it("reads Delta's native bitmap array (magic 1681511376) as well as the portable one", () => {
    // CRoaring's 32-bit bitmap from the `array` vector (after the 8-byte count and 4-byte key), in the native layout.
    const bitmap32 = CROARING.array.subarray(12);
    const native = Buffer.alloc(12 + bitmap32.length);
    native.writeUInt32LE(1681511376, 0);
    native.writeUInt32LE(1, 4);
    native.writeUInt32LE(bitmap32.length, 8);
    native.set(bitmap32, 12);
    expect(deletedRowIndexes(native, 6, 30)).toEqual([3, 4, 7, 11, 18, 29]);
    const portable = Buffer.concat([Buffer.from([0xd1, 0xd3, 0x39, 0x64]), CROARING.array]);
    expect(deletedRowIndexes(portable, 6, 30)).toEqual([3, 4, 7, 11, 18, 29]);
  });

  it("refuses the protocol's inline example, whose integers are big-endian where the format (and Delta's own readers) read little-endian", () => {
    const dv: DeletionVectorDescriptor = { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 };
    const location = locateDeletionVector(dv);
    if (location.kind !== 'inline') throw new Error('inline expected');
    expect(Buffer.from(location.bitmap.subarray(0, 4)).readUInt32BE(0)).toBe(1681511376);
    expect(() => deletedRowIndexes(location.bitmap, 6, 30)).toThrow(/unknown bitmap magic number/);
  });

  it('reads array, bitset and run containers and several buckets as CRoaring wrote them', () => {
    expect(readPortable64(CROARING.array, NO_BOUNDS)).toEqual([3, 4, 7, 11, 18, 29]);
    expect(readPortable64(CROARING.bitset, NO_BOUNDS)).toEqual([...range(0, 20000, 2), 70000]);
    expect(readPortable64(CROARING.runs, NO_BOUNDS)).toEqual([...range(100, 70000), 131077, 196609, ...range(262144, 262153)]);
    expect(readPortable64(CROARING.buckets, NO_BOUNDS)).toEqual([5, 2 ** 32 + 1, 2 ** 32 + 65536, 3 * 2 ** 32 + 9]);
    expect(readPortable64(CROARING.empty, NO_BOUNDS)).toEqual([]);
  });

  it('never produces a value at or above maxValue, nor more than maxCardinality values (checked before a run expands)', () => {
    expect(() => readPortable64(CROARING.buckets, { maxValue: 2 ** 32, maxCardinality: 10 })).toThrow(/value 4294967297 is not below 4294967296/);
    expect(() => readPortable64(CROARING.runs, { maxValue: 2 ** 40, maxCardinality: 1000 })).toThrow(/more than 1000 values/);
    expect(() => readPortable64(CROARING.bitset, { maxValue: 2 ** 40, maxCardinality: 10 })).toThrow(/more than 10 values/);
  });

  it('refuses truncated, reordered, inconsistent and padded bitmaps', () => {
    const array = CROARING.array;
    expect(() => readPortable64(array.subarray(0, array.length - 1), NO_BOUNDS)).toThrow(/needs 12 bytes but only 11 remain/);
    const trailing = new Uint8Array([...array, 0]);
    expect(() => readPortable64(trailing, NO_BOUNDS)).toThrow(/1 bytes follow the bitmap/);
    const badCookie = array.slice();
    badCookie[12] = 0x99;
    expect(() => readPortable64(badCookie, NO_BOUNDS)).toThrow(/unknown roaring cookie/);
    const unsorted = array.slice();
    unsorted.set([0x0b, 0x00], 28); // values 3, 4, 11, 11, ...
    expect(() => readPortable64(unsorted, NO_BOUNDS)).toThrow(/not strictly ascending/);
    const manyBuckets = array.slice();
    manyBuckets.set([0xff, 0xff, 0xff, 0xff], 0);
    expect(() => readPortable64(manyBuckets, NO_BOUNDS)).toThrow(/claims 4294967295 buckets/);
    const runs = CROARING.runs.slice();
    runs[61] = 0x05; // the first run's length: 65286 values while the header says 65436
    expect(() => readPortable64(runs, NO_BOUNDS)).toThrow(/run container holds \d+ values, its header says/);
    const bitset = CROARING.bitset.slice();
    bitset[40] ^= 0x02; // one bit more (0x55 → 0x57) than the header's cardinality
    expect(() => readPortable64(bitset, NO_BOUNDS)).toThrow(/bitset container holds 10002 values, its header says 10001/);
  });
});

describe('deletion vector files and descriptors', () => {
  const bitmap = dvBitmap([1, 5, 9]);

  it('reads each vector of a file with several at its offset, checking size and CRC-32', () => {
    const { bytes, offsets } = dvFile([dvBitmap([0]), bitmap]);
    expect(deletedRowIndexes(bitmapFromFile(bytes, offsets[1], bitmap.length), 3, 10)).toEqual([1, 5, 9]);
    expect(deletedRowIndexes(bitmapFromFile(bytes, offsets[0], dvBitmap([0]).length), 1, 10)).toEqual([0]);
  });

  it('refuses a corrupted checksum, a wrong size, an offset outside the file and another format version', () => {
    const { bytes, offsets } = dvFile([bitmap]);
    const corrupted = bytes.slice();
    corrupted[offsets[0] + 4 + 10] ^= 0xff;
    expect(() => bitmapFromFile(corrupted, offsets[0], bitmap.length)).toThrow(/checksum mismatch/);
    expect(() => bitmapFromFile(bytes, offsets[0], bitmap.length - 2)).toThrow(/does not fit|stores a vector of \d+ bytes/);
    expect(() => bitmapFromFile(bytes, bytes.length - 4, bitmap.length)).toThrow(/does not fit in the file/);
    expect(() => bitmapFromFile(bytes, 0, bitmap.length)).toThrow(/does not fit in the file/);
    const version2 = bytes.slice();
    version2[0] = 2;
    expect(() => bitmapFromFile(version2, offsets[0], bitmap.length)).toThrow(/format version 1/);
  });

  it('requires exactly `cardinality` rows, all inside the data file', () => {
    expect(() => deletedRowIndexes(bitmap, 2, 10)).toThrow(/more than 2 values/);
    expect(() => deletedRowIndexes(bitmap, 4, 10)).toThrow(/holds 3 rows, the log says cardinality 4/);
    expect(() => deletedRowIndexes(bitmap, 3, 9)).toThrow(/value 9 is not below 9/);
    expect(() => deletedRowIndexes(bitmap, 30, 10)).toThrow(/deletes 30 rows from a file of 10 rows/);
    const wrongMagic = bitmap.slice();
    wrongMagic[0] ^= 0x40;
    expect(() => deletedRowIndexes(wrongMagic, 3, 10)).toThrow(/unknown bitmap magic number/);
  });

  it('bounds and checks descriptors before anything is read', () => {
    const base = { storageType: 'u', pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA', offset: 1, sizeInBytes: 36, cardinality: 2 };
    expect(() => locateDeletionVector({ ...base, sizeInBytes: MAX_DELETION_VECTOR_BYTES + 1 })).toThrow(/above the limit/);
    expect(() => locateDeletionVector({ ...base, sizeInBytes: -1 })).toThrow(/not a byte count/);
    expect(() => locateDeletionVector({ ...base, cardinality: 1.5 })).toThrow(/not a row count/);
    expect(() => locateDeletionVector({ ...base, offset: -3 })).toThrow(/not a byte position/);
    expect(() => locateDeletionVector({ ...base, storageType: 'x' })).toThrow(/storage type "x"/);
    expect(() => locateDeletionVector({ ...base, pathOrInlineDv: '../vBn[lx{q8@P<9BNH/isA' })).toThrow(/not a directory name/);
    expect(() => locateDeletionVector({ ...base, pathOrInlineDv: '..vBn[lx{q8@P<9BNH/isA' })).toThrow(/not a directory name/);
    expect(() => locateDeletionVector({ ...base, pathOrInlineDv: 'short' })).toThrow(/shorter than an encoded UUID/);
    expect(() => locateDeletionVector({ ...base, storageType: 'p', pathOrInlineDv: 'relative/dv.bin' })).toThrow(/not an absolute URI/);
    expect(locateDeletionVector({ ...base, storageType: 'p', pathOrInlineDv: 'gs://b/t/deletion%20vector.bin' })).toEqual({ kind: 'file', path: 'gs://b/t/deletion vector.bin', absolute: true, offset: 1 });
    const inline = { storageType: 'i', pathOrInlineDv: z85Encode(bitmap), sizeInBytes: bitmap.length, cardinality: 3 };
    expect(() => locateDeletionVector({ ...inline, offset: 1 })).toThrow(/inline deletion vector has no offset/);
    expect(() => locateDeletionVector({ ...inline, sizeInBytes: bitmap.length + 8 })).toThrow(/not sizeInBytes/);
  });

  it('removes exactly the deleted positions', () => {
    expect(withoutDeletedRows(['a', 'b', 'c', 'd'], [0, 2])).toEqual(['b', 'd']);
    expect(withoutDeletedRows(['a', 'b'], [])).toEqual(['a', 'b']);
  });
});
