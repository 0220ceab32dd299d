/**
 * Deletion vectors (Delta protocol "Deletion Vectors" and appendix "Deletion Vector Format"): the rows of a data
 * file that a DELETE, UPDATE or MERGE invalidated without rewriting it. A descriptor on `add` says where the
 * bitmap of deleted row indexes is:
 * - `i`: inline, Z85 text of the serialized bitmap (`sizeInBytes` before encoding);
 * - `u`: in `<table>/<random prefix>/deletion_vector_<uuid>.bin`, the UUID Z85-encoded in the last 20 characters;
 * - `p`: in the file at an absolute URI (`add.path` syntax).
 * A DV file is a version byte (1), then per vector: size (4 bytes, big-endian), the bitmap, CRC-32 of the bitmap
 * (4 bytes, big-endian); `offset` points at the size. A bitmap is a magic number (little-endian) and a 64-bit
 * RoaringBitmap of row indexes, in the portable format (1681511377) or Delta's older native array (1681511376).
 *
 * Everything here is a participant's bytes: sizes, offsets and counts are checked before use, the checksum is
 * verified, and the decoded set must have exactly `cardinality` rows, all inside the data file. Pure.
 */
import { crc32 } from 'node:zlib';
import type { DeletionVectorDescriptor } from './actions';
import { decodeLogPath } from './actions';
import { ByteCursor, readBitmap32, readPortable64, type BitmapBounds } from './roaring-bitmap';
import { uuidText, z85Decode } from './z85';

/** No single deletion vector is read above this size (a bitmap of every row of a 64 MiB file is far smaller). */
export const MAX_DELETION_VECTOR_BYTES = 16 * 1024 * 1024;
const PORTABLE_MAGIC = 1681511377;
const NATIVE_MAGIC = 1681511376;
const ENCODED_UUID_LENGTH = 20;

export type DeletionVectorLocation =
  | { kind: 'inline'; bitmap: Uint8Array }
  /** `path` is relative to the table root, or an absolute URI (decoded once, like `add.path`). */
  | { kind: 'file'; path: string; absolute: boolean; offset: number };

/** Checks a descriptor's fields and says where its bitmap is; throws with the reason on anything malformed. */
export function locateDeletionVector(dv: DeletionVectorDescriptor): DeletionVectorLocation {
  if (!Number.isSafeInteger(dv.sizeInBytes) || dv.sizeInBytes < 0) throw new Error(`sizeInBytes ${dv.sizeInBytes} is not a byte count`);
  if (dv.sizeInBytes > MAX_DELETION_VECTOR_BYTES) throw new Error(`sizeInBytes ${dv.sizeInBytes} is above the limit of ${MAX_DELETION_VECTOR_BYTES} bytes`);
  if (!Number.isSafeInteger(dv.cardinality) || dv.cardinality < 0) throw new Error(`cardinality ${dv.cardinality} is not a row count`);
  switch (dv.storageType) {
    case 'i': {
      if (dv.offset !== null && dv.offset !== undefined) throw new Error('an inline deletion vector has no offset');
      const decoded = z85Decode(dv.pathOrInlineDv);
      if (decoded.length < dv.sizeInBytes || decoded.length - dv.sizeInBytes > 3) {
        throw new Error(`inline data decodes to ${decoded.length} bytes, which is not sizeInBytes ${dv.sizeInBytes} padded to a multiple of 4`);
      }
      return { kind: 'inline', bitmap: decoded.subarray(0, dv.sizeInBytes) };
    }
    case 'u': {
      const text = dv.pathOrInlineDv;
      if (text.length < ENCODED_UUID_LENGTH) throw new Error(`pathOrInlineDv ${JSON.stringify(text)} is shorter than an encoded UUID`);
      const prefix = text.slice(0, text.length - ENCODED_UUID_LENGTH);
      // The prefix is one directory name: never a path that could leave the table's folder.
      if (prefix.includes('/') || prefix.includes('\\') || prefix === '.' || prefix === '..') throw new Error(`random prefix ${JSON.stringify(prefix)} is not a directory name`);
      const uuid = uuidText(z85Decode(text.slice(-ENCODED_UUID_LENGTH)));
      const name = `deletion_vector_${uuid}.bin`;
      return { kind: 'file', path: prefix ? `${prefix}/${name}` : name, absolute: false, offset: fileOffset(dv) };
    }
    case 'p': {
      const path = decodeLogPath(dv.pathOrInlineDv);
      if (!/^[a-z][a-z0-9+.-]*:/i.test(path)) throw new Error(`path ${JSON.stringify(path)} of storage type "p" is not an absolute URI`);
      return { kind: 'file', path, absolute: true, offset: fileOffset(dv) };
    }
    default:
      throw new Error(`storage type ${JSON.stringify(dv.storageType)} is not one of "u", "i", "p"`);
  }
}

function fileOffset(dv: DeletionVectorDescriptor): number {
  const offset = dv.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`offset ${offset} is not a byte position`);
  return offset;
}

/** The bitmap stored at `offset` of a DV file, after checking the format version, its size and its CRC-32. */
export function bitmapFromFile(file: Uint8Array, offset: number, sizeInBytes: number): Uint8Array {
  if (file.length < 1 || file[0] !== 1) throw new Error(`the file does not start with format version 1 (found ${file.length ? file[0] : 'nothing'})`);
  if (offset < 1 || offset + 8 + sizeInBytes > file.length) {
    throw new Error(`a vector of ${sizeInBytes} bytes at offset ${offset} does not fit in the file's ${file.length} bytes`);
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const stored = view.getUint32(offset);
  if (stored !== sizeInBytes) throw new Error(`the file stores a vector of ${stored} bytes at offset ${offset}, the log says ${sizeInBytes}`);
  const bitmap = file.subarray(offset + 4, offset + 4 + sizeInBytes);
  const expected = view.getUint32(offset + 4 + sizeInBytes);
  const actual = crc32(bitmap) >>> 0;
  if (actual !== expected) throw new Error(`checksum mismatch (CRC-32 ${hex(actual)}, file says ${hex(expected)}): the vector is corrupt`);
  return bitmap;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Row indexes (ascending) a bitmap deletes from a file of `rowCount` rows; there must be exactly `cardinality`
 * of them, each below `rowCount` (so a crafted bitmap can never expand beyond the file it applies to).
 */
export function deletedRowIndexes(bitmap: Uint8Array, cardinality: number, rowCount: number): number[] {
  if (cardinality > rowCount) throw new Error(`it deletes ${cardinality} rows from a file of ${rowCount} rows`);
  const bounds: BitmapBounds = { maxValue: rowCount, maxCardinality: cardinality };
  if (bitmap.length < 4) throw new Error('the bitmap is shorter than its magic number');
  const magic = new DataView(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength).getUint32(0, true);
  let rows: number[];
  if (magic === PORTABLE_MAGIC) rows = readPortable64(bitmap.subarray(4), bounds);
  else if (magic === NATIVE_MAGIC) rows = readNativeArray(bitmap.subarray(4), bounds);
  else throw new Error(`unknown bitmap magic number ${magic} (expected ${PORTABLE_MAGIC})`);
  if (rows.length !== cardinality) throw new Error(`the bitmap holds ${rows.length} rows, the log says cardinality ${cardinality}`);
  return rows;
}

/** Delta's older "native" RoaringBitmapArray: a uint32 count, then per bitmap i (high bits i) its size and bytes. */
function readNativeArray(bytes: Uint8Array, bounds: BitmapBounds): number[] {
  const cursor = new ByteCursor(bytes);
  const count = cursor.u32();
  if (count > cursor.remaining / 4) throw new Error(`the bitmap array claims ${count} bitmaps, more than its bytes can hold`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const size = cursor.u32();
    cursor.need(size, `bitmap ${i}`);
    const end = cursor.position + size;
    const part = new ByteCursor(bytes.subarray(cursor.position, end));
    readBitmap32(part, i * 2 ** 32, out, bounds);
    if (part.remaining !== 0) throw new Error(`bitmap ${i} is ${size} bytes but its data ends ${part.remaining} bytes earlier`);
    cursor.position = end;
  }
  if (cursor.remaining !== 0) throw new Error(`${cursor.remaining} bytes follow the bitmap array`);
  return out;
}

/** `rows` without the deleted indexes (ascending, all below rows.length). */
export function withoutDeletedRows<T>(rows: T[], deleted: readonly number[]): T[] {
  if (deleted.length === 0) return rows;
  const out: T[] = [];
  let next = 0;
  rows.forEach((row, index) => {
    if (next < deleted.length && deleted[next] === index) next++;
    else out.push(row);
  });
  return out;
}
