/** The part of the clean room config a runtime pass uses (a CleanroomConfig fits it as is). */
import type { ApprovalPolicy } from '../config/approval-schema';
import type { ReleaseConfig } from '../config/config-types';
import type { Limits } from '../limits';
import type { ParticipantInfo } from '../processor/context';

export interface RuntimeSettings {
  readonly stateBucket: string;
  readonly keeper: string;
  readonly computeSizes: readonly string[];
  readonly runHistoryRetentionDays: number;
  readonly participants: readonly ParticipantInfo[];
  /** Bounds on participants' work (default: DEFAULT_LIMITS of src/limits.ts). */
  readonly limits?: Limits;
  /** Who approves code (default: the keeper). */
  readonly approval?: ApprovalPolicy;
  /** What may leave the clean room (`release:` sections; default: no policy, every result is released). */
  readonly release?: ReleaseConfig;
}

export function participantInfos(settings: RuntimeSettings): ParticipantInfo[] {
  return settings.participants.map(({ name, role, bucket }) => ({ name, role, bucket }));
}
