/**
 * Ids of records made from event uuids (code ids, job ids). Event uuids are unique per participant only: another
 * participant may send the same uuid (by chance, or having seen it), and must neither take over nor block the
 * record. A uuid already used by a record gets the submitter's name in front of it.
 */
export function uniqueRecordId(existingIds: Iterable<string>, participant: string, uuid: string): string {
  const taken = new Set(existingIds);
  if (!taken.has(uuid)) return uuid;
  let candidate = `${participant}-${uuid}`;
  for (let n = 2; taken.has(candidate); n++) candidate = `${participant}-${n}-${uuid}`;
  return candidate;
}
