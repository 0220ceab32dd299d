/** The part of the clean room config a runtime pass uses (a CleanroomConfig fits it as is). */
import type { ParticipantInfo } from '../processor/context';

export interface RuntimeSettings {
  readonly stateBucket: string;
  readonly keeper: string;
  readonly computeSizes: readonly string[];
  readonly runHistoryRetentionDays: number;
  readonly participants: readonly ParticipantInfo[];
}

export function participantInfos(settings: RuntimeSettings): ParticipantInfo[] {
  return settings.participants.map(({ name, role, bucket }) => ({ name, role, bucket }));
}
