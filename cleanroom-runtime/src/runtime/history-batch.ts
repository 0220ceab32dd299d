/**
 * Deciding a batch of events against a state whose history is in the state bucket (state-store.ts): the history the
 * events will ask about (their dedup keys; for a JOB, the ids it may take and its name) is loaded first, then the batch
 * is applied by the pure processor. Anything it asks that was not loaded stops it (HistoryNotLoadedError): that entry
 * is loaded and the batch applied again from the same state, so the result is exactly the processor's.
 */
import type { EventEnvelope } from '../events/event-model';
import { parseEvent } from '../events/parse-event';
import { applyEvents, type BatchResult } from '../processor/apply-events';
import { HistoryNotLoadedError, type ProcessorContext } from '../processor/context';
import type { CleanroomState } from '../processor/state';
import { recordIdCandidates } from '../processor/unique-ids';
import type { StateHistory } from './state-store';

/** Retries after loading a missing entry; each retry loads at least one more leaf, so this bounds a broken lookup. */
const MAX_RETRIES = 64;

export async function applyEventsWithHistory(state: CleanroomState, envelopes: readonly EventEnvelope[], ctx: ProcessorContext, history: StateHistory | undefined): Promise<BatchResult> {
  if (!history) return applyEvents(state, envelopes, ctx);
  await history.prefetch(wantedBy(envelopes, ctx));
  const withHistory: ProcessorContext = { ...ctx, history: history.lookup() };
  for (let attempt = 0; ; attempt++) {
    try {
      return applyEvents(state, envelopes, withHistory);
    } catch (error) {
      if (!(error instanceof HistoryNotLoadedError) || attempt >= MAX_RETRIES) throw error;
      await history.keys.load([error.key]);
    }
  }
}

function wantedBy(envelopes: readonly EventEnvelope[], ctx: ProcessorContext): Parameters<StateHistory['prefetch']>[0] {
  const dedupKeys: string[] = [];
  const jobIds: string[] = [];
  const jobNames: Array<{ participant: string; name: string }> = [];
  for (const envelope of envelopes) {
    const parsed = parseEvent(envelope, ctx.limits);
    const key = parsed.ok ? parsed.event.dedupKey : parsed.error.dedupKey;
    if (key !== null) dedupKeys.push(key);
    if (!parsed.ok || parsed.event.type !== 'JOB') continue;
    jobIds.push(...recordIdCandidates(envelope.participant, parsed.event.uuid));
    jobNames.push({ participant: envelope.participant, name: parsed.event.jobName });
  }
  return { dedupKeys, jobIds, jobNames };
}
