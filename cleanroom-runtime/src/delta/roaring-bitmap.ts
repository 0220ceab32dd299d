/**
 * Reader of the RoaringBitmap serialization format (https://github.com/RoaringBitmap/RoaringFormatSpec): the
 * standard 32-bit format (array, bitset and run containers) and its "portable" 64-bit extension (a uint64 count of
 * buckets, then for each bucket in ascending order a uint32 high key and a 32-bit bitmap of the low bits). Delta's
 * deletion vectors are such bitmaps of row indexes.
 *
 * Hand-written because no npm package reads it: `roaring` (CRoaring bindings) and `roaring-wasm` have 32-bit
 * bitmaps only, and `roaring` is a native addon built or downloaded at install time. The input is a participant's
 * file, so decoding is strict (keys and values strictly ascending, headers consistent with the data) and bounded:
 * values must stay below `maxValue` and at most `maxCardinality` are produced, checked before a run is expanded.
 */

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_CONTAINER_MAX = 4096;
const BITSET_WORDS = 1024;
const TWO_POW_32 = 2 ** 32;

export interface BitmapBounds {
  /** Every value must be below this (exclusive); at most Number.MAX_SAFE_INTEGER + 1. */
  maxValue: number;
  /** More values than this is an error (checked before they are produced). */
  maxCardinality: number;
}

/** A little-endian cursor over bytes that never reads past the end. */
export class ByteCursor {
  private readonly view: DataView;
  position = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  need(count: number, what: string): void {
    if (count > this.remaining) throw new Error(`${what} needs ${count} bytes but only ${this.remaining} remain`);
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.bytes[this.position++];
  }

  u16(): number {
    this.need(2, 'a 16-bit value');
    const value = this.view.getUint16(this.position, true);
    this.position += 2;
    return value;
  }

  u32(): number {
    this.need(4, 'a 32-bit value');
    const value = this.view.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  u64(): bigint {
    this.need(8, 'a 64-bit value');
    const value = this.view.getBigUint64(this.position, true);
    this.position += 8;
    return value;
  }

  skip(count: number, what: string): void {
    this.need(count, what);
    this.position += count;
  }
}

/** Values of a portable 64-bit bitmap, ascending. The whole input must be consumed. */
export function readPortable64(bytes: Uint8Array, bounds: BitmapBounds): number[] {
  const cursor = new ByteCursor(bytes);
  const buckets = cursor.u64();
  // Each bucket takes at least 12 bytes (key, cookie, count): a count beyond what the bytes can hold is a lie.
  if (buckets > BigInt(Math.floor(cursor.remaining / 12))) throw new Error(`the bitmap claims ${buckets} buckets, more than its ${bytes.length} bytes can hold`);
  const out: number[] = [];
  let previousKey = -1;
  for (let i = 0; i < Number(buckets); i++) {
    const key = cursor.u32();
    if (key <= previousKey) throw new Error(`bucket keys are not strictly ascending (${key} after ${previousKey})`);
    previousKey = key;
    readBitmap32(cursor, key * TWO_POW_32, out, bounds);
  }
  if (cursor.remaining !== 0) throw new Error(`${cursor.remaining} bytes follow the bitmap`);
  return out;
}

/** Appends the values of one standard 32-bit bitmap (each plus `high`) to `out`, in ascending order. */
export function readBitmap32(cursor: ByteCursor, high: number, out: number[], bounds: BitmapBounds): void {
  const cookie = cursor.u32();
  let size: number;
  let runFlags: Uint8Array | undefined;
  if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = cursor.u32();
  } else if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const flagBytes = Math.ceil(size / 8);
    cursor.need(flagBytes, 'the run-container flags');
    runFlags = new Uint8Array(flagBytes);
    for (let i = 0; i < flagBytes; i++) runFlags[i] = cursor.u8();
  } else {
    throw new Error(`unknown roaring cookie ${cookie}: expected ${SERIAL_COOKIE_NO_RUNCONTAINER} or ${SERIAL_COOKIE} in the low 16 bits`);
  }
  if (size > 65536) throw new Error(`a 32-bit bitmap has at most 65536 containers, not ${size}`);
  cursor.need(size * 4, 'the container headers');
  const keys: number[] = [];
  const cardinalities: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(cursor.u16());
    cardinalities.push(cursor.u16() + 1);
    if (i > 0 && keys[i] <= keys[i - 1]) throw new Error(`container keys are not strictly ascending (${keys[i]} after ${keys[i - 1]})`);
  }
  // Offsets only serve random access; reading in order does not need them (the reference readers skip them too).
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) cursor.skip(size * 4, 'the container offsets');
  for (let i = 0; i < size; i++) {
    const base = high + keys[i] * 65536;
    const isRun = runFlags !== undefined && (runFlags[i >> 3] & (1 << (i & 7))) !== 0;
    const emit = (low: number): void => {
      const value = base + low;
      if (value >= bounds.maxValue) throw new Error(`value ${value} is not below ${bounds.maxValue}`);
      out.push(value);
    };
    const budget = (count: number): void => {
      if (out.length + count > bounds.maxCardinality) throw new Error(`the bitmap holds more than ${bounds.maxCardinality} values`);
    };
    if (isRun) readRunContainer(cursor, cardinalities[i], budget, emit);
    else if (cardinalities[i] <= ARRAY_CONTAINER_MAX) readArrayContainer(cursor, cardinalities[i], budget, emit);
    else readBitsetContainer(cursor, cardinalities[i], budget, emit);
  }
}

function readArrayContainer(cursor: ByteCursor, cardinality: number, budget: (n: number) => void, emit: (low: number) => void): void {
  budget(cardinality);
  cursor.need(cardinality * 2, 'an array container');
  let previous = -1;
  for (let j = 0; j < cardinality; j++) {
    const low = cursor.u16();
    if (low <= previous) throw new Error('an array container is not strictly ascending');
    previous = low;
    emit(low);
  }
}

function readBitsetContainer(cursor: ByteCursor, cardinality: number, budget: (n: number) => void, emit: (low: number) => void): void {
  budget(cardinality);
  cursor.need(BITSET_WORDS * 8, 'a bitset container');
  let count = 0;
  for (let word = 0; word < BITSET_WORDS; word++) {
    const lo = cursor.u32();
    const hi = cursor.u32();
    for (let bit = 0; bit < 32; bit++) {
      if ((lo >>> bit) & 1) {
        emit(word * 64 + bit);
        count++;
      }
    }
    for (let bit = 0; bit < 32; bit++) {
      if ((hi >>> bit) & 1) {
        emit(word * 64 + 32 + bit);
        count++;
      }
    }
  }
  if (count !== cardinality) throw new Error(`a bitset container holds ${count} values, its header says ${cardinality}`);
}

function readRunContainer(cursor: ByteCursor, cardinality: number, budget: (n: number) => void, emit: (low: number) => void): void {
  const runs = cursor.u16();
  cursor.need(runs * 4, 'a run container');
  let total = 0;
  let previousEnd = -1;
  for (let r = 0; r < runs; r++) {
    const start = cursor.u16();
    const length = cursor.u16() + 1;
    const end = start + length - 1;
    if (end > 0xffff) throw new Error(`a run from ${start} of ${length} values leaves its 16-bit container`);
    if (start <= previousEnd) throw new Error('runs are not ascending and separate');
    previousEnd = end;
    total += length;
    if (total > cardinality) throw new Error(`a run container holds more values than its header says (${cardinality})`);
    budget(length);
    for (let v = start; v <= end; v++) emit(v);
  }
  if (total !== cardinality) throw new Error(`a run container holds ${total} values, its header says ${cardinality}`);
}
