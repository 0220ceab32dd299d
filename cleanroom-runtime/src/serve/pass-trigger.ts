/** What asked for a runtime pass; handed to the injected runPass for its logs and summary. */
import type { GcsNotification } from './pubsub-push';

export type PassTriggerKind = 'schedule' | 'pubsub' | 'manual';

export interface PassTriggerDetail {
  /** Objects whose notifications this pass covers (capped; a pass reads every participant anyway). */
  objects?: Array<Pick<GcsNotification, 'bucket' | 'object' | 'generation'>>;
  /** How many triggers this one pass answers (bursts are coalesced). */
  coalesced?: number;
  /** Identity that called (the service account email). */
  caller?: string;
}

export interface PassTrigger {
  kind: PassTriggerKind;
  detail?: PassTriggerDetail;
  /** Set by the server for each pass it starts; the same `pass_id` appears in the server's logs. */
  passId?: string;
}

/** A runtime pass, injected into the server: reads all participants' new events and does the work. */
export type RunPass<Summary> = (trigger: PassTrigger) => Promise<Summary>;
