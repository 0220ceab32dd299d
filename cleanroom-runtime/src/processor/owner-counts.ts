/**
 * How many records each participant owns, counted once per state object and kept up to date by the rules that add
 * and remove records, so a quota check costs the same at any size of the clean room (a count per event would make
 * a pass quadratic in its events).
 */
const counts = new WeakMap<object, Map<string, number>>();

/** Records of `records` owned by `owner` (`ownerOf` reads a record's owner). */
export function ownedCount<T>(records: Readonly<Record<string, T>>, ownerOf: (record: T) => string, owner: string): number {
  let byOwner = counts.get(records);
  if (!byOwner) {
    byOwner = new Map();
    for (const record of Object.values(records)) byOwner.set(ownerOf(record), (byOwner.get(ownerOf(record)) ?? 0) + 1);
    counts.set(records, byOwner);
  }
  return byOwner.get(owner) ?? 0;
}

/** Call after adding (+1) or removing (-1) a record of `owner` in `records`. */
export function noteOwned(records: object, owner: string, change: 1 | -1): void {
  const byOwner = counts.get(records);
  if (byOwner) byOwner.set(owner, (byOwner.get(owner) ?? 0) + change);
}
