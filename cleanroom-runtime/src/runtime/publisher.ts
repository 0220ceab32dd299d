/**
 * Publishing each participant's view: a control table is overwritten only when its content hash differs from
 * the one recorded in the state (so an idle pass writes nothing), and code objects are copied from the state
 * bucket into every bucket allowed to see them.
 */
import type { ParticipantInfo } from '../processor/context';
import { codeBlobKey } from '../processor/effects';
import type { CleanroomState } from '../processor/state';
import { codeObjectsFor, rowsHash, viewFor, type PublishedTable } from '../processor/views';
import type { ObjectStore } from '../storage/object-store';
import { overwriteControlTable } from './control-tables';

export interface PublishReport {
  tables: Array<{ participant: string; table: PublishedTable }>;
  codeObjects: number;
  errors: string[];
}

export async function publishViews(
  state: CleanroomState,
  io: { store: ObjectStore; stateBucket: string; participants: readonly ParticipantInfo[]; keeper: string; force: boolean },
  report: PublishReport,
): Promise<void> {
  for (const participant of io.participants) {
    try {
      await publishCode(state, io, participant, report);
      const view = viewFor(state, participant, io.keeper);
      const published = (state.published[participant.name] ??= {});
      for (const table of Object.keys(view) as PublishedTable[]) {
        const hash = rowsHash(view[table]);
        if (!io.force && published[table] === hash) continue;
        await overwriteControlTable(io.store, participant.bucket, table, view[table]);
        published[table] = hash;
        report.tables.push({ participant: participant.name, table });
      }
    } catch (error) {
      // One unreachable bucket must not stop the others; what was not published is retried next pass.
      report.errors.push(`publishing to ${participant.name} (gs://${participant.bucket}) failed: ${(error as Error).message}`);
    }
  }
}

async function publishCode(
  state: CleanroomState,
  io: { store: ObjectStore; stateBucket: string; keeper: string },
  participant: ParticipantInfo,
  report: PublishReport,
): Promise<void> {
  const done = new Set(state.publishedCode[participant.name] ?? []);
  for (const object of codeObjectsFor(state, participant, io.keeper)) {
    if (done.has(object.key)) continue;
    const content = await io.store.get(io.stateBucket, codeBlobKey(object.hash));
    // put, not createIfAbsent: whatever a participant left at that key is replaced by the reviewed content.
    await io.store.put(participant.bucket, object.key, content);
    report.codeObjects++;
    done.add(object.key);
    state.publishedCode[participant.name] = [...done].sort();
  }
}
