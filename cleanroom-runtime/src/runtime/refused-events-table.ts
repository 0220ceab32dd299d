/**
 * A participant's events table that uses a Delta feature the reader lacks (e.g. `v2Checkpoint`): its new commits
 * cannot be read correctly. Nothing is read and the last processed version stays, so the waiting events are
 * processed as soon as the owner removes the feature; meanwhile the owner gets one ERROR event_status (under the
 * synthetic id of the latest version) naming the feature and what to do, not one per pass.
 */
import type { UnsupportedDeltaFeatureError } from '../delta/errors';
import type { EventEnvelope } from '../events/event-model';
import { syntheticEventId } from '../events/parse-event';
import { recordOf, type CleanroomState } from '../processor/state';
import type { NewEvents } from './events-reader';
import type { StateHistory } from './state-store';

export function refusedEventsTable(participant: string, where: string, afterVersion: number, latestVersion: number, error: UnsupportedDeltaFeatureError): NewEvents {
  const message =
    `the events of participant ${participant} from version ${afterVersion + 1} to ${latestVersion} of ${where} wait unread: ${error.message}. ` +
    'They are processed once the table no longer needs the feature';
  return {
    lastVersion: afterVersion,
    envelopes: [{ participant, eventsVersion: latestVersion, index: 0, row: {}, unreadable: message }],
  };
}

/** True when this unreadable report is already in the participant's event_status (the same table state, seen again). */
export async function alreadyReported(state: CleanroomState, envelope: EventEnvelope, history?: StateHistory): Promise<boolean> {
  if (envelope.unreadable === undefined) return false;
  const id = syntheticEventId(envelope);
  if ((recordOf(state.eventStatus, envelope.participant) ?? []).some((s) => s.eventUuid === id && s.message === envelope.unreadable)) return true;
  return history !== undefined && (await history.hasStatus(envelope.participant, id, envelope.unreadable));
}
