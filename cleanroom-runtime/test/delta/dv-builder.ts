/**
 * Writes deletion vectors for test tables, as Databricks does (Delta protocol appendix "Deletion Vector Format"):
 * Z85 text, portable 64-bit RoaringBitmaps (array containers, enough for test tables: the reader's handling of
 * bitset and run containers is held to bitmaps CRoaring wrote, in roaring-bitmap.test.ts), DV files with CRC-32.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const PORTABLE_MAGIC = 1681511377;

/** Z85 of `bytes` zero-padded to a multiple of 4. */
export function z85Encode(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  let out = '';
  for (let offset = 0; offset < padded.length; offset += 4) {
    let value = view.getUint32(offset);
    let block = '';
    for (let i = 0; i < 5; i++) {
      block = ALPHABET[value % 85] + block;
      value = Math.floor(value / 85);
    }
    out += block;
  }
  return out;
}

/** Magic number + portable 64-bit RoaringBitmap of row indexes (below 2^32), array containers only. */
export function dvBitmap(rows: number[]): Uint8Array {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const containers = new Map<number, number[]>();
  for (const row of sorted) {
    const key = Math.floor(row / 65536);
    containers.set(key, [...(containers.get(key) ?? []), row % 65536]);
  }
  if ([...containers.values()].some((c) => c.length > 4096)) throw new Error('test bitmaps use array containers (at most 4096 rows per 65536)');
  const bytes: number[] = [];
  const u16 = (v: number): void => void bytes.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v: number): void => void (u16(v & 0xffff), u16(v >>> 16));
  u32(PORTABLE_MAGIC);
  u32(sorted.length ? 1 : 0);
  u32(0); // high half of the 64-bit bucket count
  if (sorted.length) {
    u32(0); // the bucket's high 32 bits
    const start = bytes.length;
    u32(12346); // SERIAL_COOKIE_NO_RUNCONTAINER
    u32(containers.size);
    for (const [key, values] of containers) {
      u16(key);
      u16(values.length - 1);
    }
    let offset = 8 + 8 * containers.size;
    for (const values of containers.values()) {
      u32(offset);
      offset += values.length * 2;
    }
    for (const values of containers.values()) values.forEach(u16);
    if (bytes.length - start !== offset) throw new Error('offset bookkeeping');
  }
  return Uint8Array.from(bytes);
}

/** A DV file (version byte, then each vector as size, bitmap, CRC-32, big-endian) and each vector's offset. */
export function dvFile(bitmaps: Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
  const parts: Buffer[] = [Buffer.from([1])];
  const offsets: number[] = [];
  let position = 1;
  for (const bitmap of bitmaps) {
    offsets.push(position);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(bitmap.length);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(bitmap) >>> 0);
    parts.push(size, Buffer.from(bitmap), checksum);
    position += 8 + bitmap.length;
  }
  return { bytes: Buffer.concat(parts), offsets };
}

/** `pathOrInlineDv` of storage type `u` for a UUID, with an optional random prefix. */
export function encodedUuidPath(uuid: string, prefix = ''): string {
  return prefix + z85Encode(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
}

export interface DvDescriptor {
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

/** An inline deletion vector of `rows`. */
export function inlineDv(rows: number[]): DvDescriptor {
  const bitmap = dvBitmap(rows);
  return { storageType: 'i', pathOrInlineDv: z85Encode(bitmap), sizeInBytes: bitmap.length, cardinality: new Set(rows).size };
}

/**
 * Writes one DV file holding the vectors of `rowSets` under `tableDir/<prefix>/deletion_vector_<uuid>.bin`;
 * returns a `u` descriptor per set (or `p` descriptors with `absoluteAs`, the file's URI).
 */
export function writeDvFile(tableDir: string, rowSets: number[][], options: { prefix?: string; absoluteAs?: (relative: string) => string } = {}): DvDescriptor[] {
  const uuid = randomUUID();
  const relative = `${options.prefix ? `${options.prefix}/` : ''}deletion_vector_${uuid}.bin`;
  const bitmaps = rowSets.map(dvBitmap);
  const { bytes, offsets } = dvFile(bitmaps);
  fs.mkdirSync(path.dirname(path.join(tableDir, relative)), { recursive: true });
  fs.writeFileSync(path.join(tableDir, relative), bytes);
  return rowSets.map((rows, i) => ({
    storageType: options.absoluteAs ? 'p' : 'u',
    pathOrInlineDv: options.absoluteAs ? options.absoluteAs(relative) : encodedUuidPath(uuid, options.prefix),
    offset: offsets[i],
    sizeInBytes: bitmaps[i].length,
    cardinality: new Set(rows).size,
  }));
}
