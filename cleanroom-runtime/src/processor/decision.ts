/** The outcome of one event's rule: a status row's content plus work for the I/O layer. */
import type { Blob, Effect } from './effects';
import type { EventStatusValue } from './state';

export interface Decision {
  status: EventStatusValue;
  message: string;
  effects: Effect[];
  blobs: Blob[];
}

export function refuse(message: string): Decision {
  return { status: 'ERROR', message, effects: [], blobs: [] };
}

export function accept(message: string, effects: Effect[] = [], blobs: Blob[] = []): Decision {
  return { status: 'SUCCESS', message, effects, blobs };
}
