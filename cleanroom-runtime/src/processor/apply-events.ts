/** Batches: the order events from several participants are applied in, and applying a whole pass's worth. */
import type { EventEnvelope } from '../events/event-model';
import { parseEvent } from '../events/parse-event';
import { applyEventInPlace, type EventOutcome } from './apply-event';
import { factsKey, type ProcessorContext } from './context';
import { dataLocationToCheck } from './data-rules';
import type { Blob } from './effects';
import type { CleanroomState } from './state';

/**
 * One sequence from per-participant sequences: each participant's events stay in table order (version, index);
 * across participants the earliest event timestamp goes first (ties: participant name), so an approval written
 * after a registration is normally applied after it.
 */
export function orderEvents(perParticipant: Readonly<Record<string, readonly EventEnvelope[]>>): EventEnvelope[] {
  const queues = Object.keys(perParticipant)
    .sort()
    .map((name) => [...perParticipant[name]].sort((a, b) => a.eventsVersion - b.eventsVersion || a.index - b.index));
  const heads = queues.map(() => 0);
  const out: EventEnvelope[] = [];
  for (;;) {
    let best = -1;
    let bestTime = 0;
    for (let q = 0; q < queues.length; q++) {
      const envelope = queues[q][heads[q]];
      if (!envelope) continue;
      const time = timeOf(envelope);
      if (best === -1 || time < bestTime) {
        best = q;
        bestTime = time;
      }
    }
    if (best === -1) return out;
    out.push(queues[best][heads[best]++]);
  }
}

function timeOf(envelope: EventEnvelope): number {
  const ts = envelope.row.timestamp;
  if (typeof ts === 'bigint') return Number(ts);
  if (typeof ts === 'number') return ts;
  return Number.MAX_SAFE_INTEGER;
}

export interface BatchResult {
  state: CleanroomState;
  outcomes: EventOutcome[];
  /** Content to persist in the state bucket before committing `state`. */
  blobs: Blob[];
}

/** Applies events in order to a copy of `state` (the input is not modified). */
export function applyEvents(state: CleanroomState, envelopes: readonly EventEnvelope[], ctx: ProcessorContext): BatchResult {
  const next = structuredClone(state);
  const outcomes = envelopes.map((envelope) => applyEventInPlace(next, envelope, ctx));
  const blobs = new Map<string, Blob>();
  for (const outcome of outcomes) for (const blob of outcome.blobs) blobs.set(blob.key, blob);
  return { state: next, outcomes, blobs: [...blobs.values()] };
}

/** Records that a participant's events table was read up to `version` (in place). */
export function markEventsRead(state: CleanroomState, participant: string, version: number): void {
  if (version > (state.eventsVersions[participant] ?? -1)) state.eventsVersions[participant] = version;
}

/** Dataset locations the I/O layer must read (existence, schema) before these events can be decided. */
export function locationsToCheck(envelopes: readonly EventEnvelope[], ctx: ProcessorContext): Array<{ key: string; location: string; format: string }> {
  const out = new Map<string, { key: string; location: string; format: string }>();
  for (const envelope of envelopes) {
    const submitter = ctx.participants.find((p) => p.name === envelope.participant);
    const parsed = parseEvent(envelope, ctx.limits);
    if (!submitter || !parsed.ok || parsed.event.type !== 'DATA') continue;
    const target = dataLocationToCheck(parsed.event, submitter);
    if (!target) continue;
    const key = factsKey(target.location.uri, target.format);
    out.set(key, { key, location: target.location.uri, format: target.format });
  }
  return [...out.values()];
}
