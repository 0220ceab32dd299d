/**
 * The processor's pure core: one event in, the next state, its status row and the work for the I/O layer out.
 * Every event gets exactly one status, whatever it contains; a bad event changes nothing but its status.
 */
import type { CleanroomEvent, EventEnvelope } from '../events/event-model';
import { legacyDedupKey, parseEvent } from '../events/parse-event';
import { applyApproval } from './approval-rules';
import { applyCode } from './code-rules';
import { DEFAULT_MAX_CLOCK_SKEW_MS, type ParticipantInfo, type ProcessorContext } from './context';
import { applyData } from './data-rules';
import { refuse, type Decision } from './decision';
import type { Blob, Effect } from './effects';
import { applyJob } from './job-rules';
import { noteSeedDecision } from './seed-columns';
import { recordOf, type CleanroomState, type EventStatusValue } from './state';

export interface EventOutcome {
  /** The event_status row's event_uuid. */
  eventUuid: string;
  eventType: string | null;
  participant: string;
  eventsVersion: number;
  status: EventStatusValue;
  message: string;
  effects: Effect[];
  blobs: Blob[];
}

export interface ApplyResult extends EventOutcome {
  state: CleanroomState;
}

/** Pure: returns a new state; the input state is not modified. */
export function applyEvent(state: CleanroomState, envelope: EventEnvelope, ctx: ProcessorContext): ApplyResult {
  const next = structuredClone(state);
  const outcome = applyEventInPlace(next, envelope, ctx);
  return { state: next, ...outcome };
}

/** Same as applyEvent but updates `state` in place (for batches: clone once, apply many). */
export function applyEventInPlace(state: CleanroomState, envelope: EventEnvelope, ctx: ProcessorContext): EventOutcome {
  const submitter = ctx.participants.find((p) => p.name === envelope.participant);
  if (!submitter) throw new Error(`events read from unknown participant "${envelope.participant}"`);

  const parsed = parseEvent(envelope, ctx.limits);
  let decision: Decision;
  let eventUuid: string;
  let eventType: string | null;
  if (!parsed.ok) {
    const key = parsed.error.dedupKey;
    const reused = key !== null && isProcessedEvent(state, key, ctx);
    if (key !== null) state.processedEvents[key] = true;
    decision = refuse(reused ? duplicateMessage(parsed.error.uuid) : parsed.error.message);
    eventUuid = parsed.error.uuid;
    eventType = parsed.error.eventType;
  } else {
    const event = parsed.event;
    eventUuid = event.uuid;
    eventType = event.type;
    decision = decide(state, event, ctx, submitter);
    // Accepted or refused, a seed notebook's decision on a code moves its approval_timestamp (seed-columns.ts).
    if (event.type === 'CODE_REQUEST_APPROVED' || event.type === 'CODE_REQUEST_REJECTED') noteSeedDecision(state, event, ctx.now);
  }

  const outcome: EventOutcome = {
    eventUuid,
    eventType,
    participant: submitter.name,
    eventsVersion: envelope.eventsVersion,
    status: decision.status,
    message: decision.message,
    effects: decision.effects,
    blobs: decision.blobs,
  };
  (state.eventStatus[submitter.name] ??= []).push({
    eventUuid,
    eventType,
    eventsVersion: envelope.eventsVersion,
    status: decision.status,
    message: decision.message,
    processedAt: ctx.now,
  });
  for (const effect of decision.effects) addPendingEffect(state, effect);
  return outcome;
}

function decide(state: CleanroomState, event: CleanroomEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  if (isProcessedEvent(state, event.dedupKey, ctx)) {
    return refuse(duplicateMessage(event.uuid));
  }
  state.processedEvents[event.dedupKey] = true;
  const skew = ctx.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (event.timestampMs > ctx.now + skew) {
    return refuse(
      `event timestamp ${new Date(event.timestampMs).toISOString()} is in the future (clean room time ${new Date(ctx.now).toISOString()}): fix the clock of the machine that wrote it and send the event again`,
    );
  }
  switch (event.type) {
    case 'DATA':
      return applyData(state, event, ctx, submitter);
    case 'CODE':
      return applyCode(state, event, ctx, submitter);
    case 'CODE_REQUEST_APPROVED':
    case 'CODE_REQUEST_REJECTED':
      return applyApproval(state, event, ctx, submitter);
    case 'JOB':
      return applyJob(state, event, ctx, submitter);
  }
}

/**
 * True when an event with this dedup key was processed (also under the key older states used, without the
 * participant): in this batch (the state) or before it (the history, when the state does not hold it).
 */
export function isProcessedEvent(state: CleanroomState, dedupKey: string, ctx?: Pick<ProcessorContext, 'history'>): boolean {
  return dedupKeysOf(dedupKey).some((key) => recordOf(state.processedEvents, key) !== undefined || ctx?.history?.isProcessed(key) === true);
}

/** The keys an event's dedup key is stored under: its own and the one older states used (without the participant). */
export function dedupKeysOf(dedupKey: string): string[] {
  return [dedupKey, legacyDedupKey(dedupKey)];
}

function duplicateMessage(uuid: string): string {
  return `duplicate event: you already sent an event with uuid ${uuid}; send a new event with a fresh uuid`;
}

function addPendingEffect(state: CleanroomState, effect: Effect): void {
  if (effect.kind === 'sync_datasets' && state.pendingEffects.some((e) => e.kind === 'sync_datasets')) return;
  state.pendingEffects.push(effect);
}
