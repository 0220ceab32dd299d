/**
 * Ids of records made from event uuids (code ids, job ids). Event uuids are unique per participant only: another
 * participant may send the same uuid (by chance, or having seen it), and must neither take over nor block the
 * record. A uuid already used by a record gets the submitter's name in front of it.
 */
export function uniqueRecordId(existingIds: Iterable<string> | ((id: string) => boolean), participant: string, uuid: string): string {
  const taken = typeof existingIds === 'function' ? existingIds : ((ids) => (id: string) => ids.has(id))(new Set(existingIds));
  if (!taken(uuid)) return uuid;
  let candidate = `${participant}-${uuid}`;
  for (let n = 2; taken(candidate); n++) candidate = `${participant}-${n}-${uuid}`;
  return candidate;
}

/** The first ids uniqueRecordId tries for a uuid (what the runtime loads from history beforehand). */
export function recordIdCandidates(participant: string, uuid: string): string[] {
  return [uuid, `${participant}-${uuid}`, `${participant}-2-${uuid}`];
}
