/**
 * Who is acting and where their control tables live: the participant from `--as` / `CLEANROOM_PARTICIPANT`,
 * the configuration from `--config` / `CLEANROOM_CONFIG_DIR`, storage from `--local-root` /
 * `CLEANROOM_LOCAL_ROOT` (gs:// mapped to folders) or else Google Cloud Storage.
 */
import * as path from 'node:path';
import { ConfigError, loadConfig, type CleanroomConfig, type ParticipantConfig } from '../../config';
import { didYouMean } from '../../config/suggest';
import { openLocation } from '../../storage/location';
import type { ObjectStore } from '../../storage/object-store';
import { EXIT } from '../exit-codes';
import { findGoogleCredentials } from '../google-credentials';
import { CliError } from './errors';
import type { CliIo } from './io';

/**
 * A command waits on Cloud Storage at most this long in retries (the runtime's own passes retry longer): a person
 * at a terminal learns within seconds that the store cannot be reached.
 */
export const CLI_GCS_RETRY = { maxRetries: 2, initialDelayMs: 500, totalTimeoutMs: 10_000 } as const;

/** Options every participant command accepts. */
export interface SessionOptions {
  as?: string;
  config?: string;
  localRoot?: string;
}

export interface ParticipantSession {
  config: CleanroomConfig;
  participant: ParticipantConfig;
  isKeeper: boolean;
  /** The store holding the participant's bucket. */
  store: ObjectStore;
  bucket: string;
  /** Local mode's root folder; undefined on Cloud Storage. */
  localRoot?: string;
}

export async function openSession(options: SessionOptions, io: CliIo): Promise<ParticipantSession> {
  const configDir = options.config ?? io.env.CLEANROOM_CONFIG_DIR ?? '.';
  let config: CleanroomConfig;
  try {
    config = await loadConfig(configDir);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(
        `cannot use the clean room configuration at ${path.resolve(configDir)}:\n${error.message}\n` +
          'Point --config (or CLEANROOM_CONFIG_DIR) at the folder holding cleanroom.yaml and participants/.',
        EXIT.config,
      );
    }
    throw error;
  }

  const name = (options.as ?? io.env.CLEANROOM_PARTICIPANT ?? '').trim();
  const known = config.participants.map((p) => p.name).join(', ');
  if (name === '') {
    throw new CliError(`who are you? Give your participant name with --as <participant> or CLEANROOM_PARTICIPANT (one of: ${known})`);
  }
  const participant = config.participants.find((p) => p.name === name);
  if (!participant) {
    throw new CliError(`participant ${JSON.stringify(name)} is not in the clean room "${config.name}"${didYouMean(name, config.participants.map((p) => p.name))}: use one of ${known}`);
  }

  const localRoot = options.localRoot ?? io.env.CLEANROOM_LOCAL_ROOT;
  if (!localRoot) {
    const credentials = findGoogleCredentials(io.env);
    if (!credentials.ok) throw new CliError(`cannot read gs://${participant.bucket}: ${credentials.problem}`, EXIT.unavailable);
  }
  const opened = openLocation(`gs://${participant.bucket}`, localRoot ? { localRoot } : { gcs: { retry: CLI_GCS_RETRY } });
  return { config, participant, isKeeper: participant.role === 'keeper', store: opened.store, bucket: opened.bucket, ...(localRoot ? { localRoot } : {}) };
}
