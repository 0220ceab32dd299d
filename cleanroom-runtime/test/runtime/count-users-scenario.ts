/**
 * The scenario several pass tests start from: the publisher's users and the advertiser's conversions (one row each),
 * the advertiser's code `count_users` over both, its approval and a one-off job `count` that runs it; plus the real
 * Databricks engine wired to the Databricks fake with near-zero retry delays.
 */
import { DatabricksEngine } from '../../src/engines/databricks';
import { cli, seed, versionHash } from '../processor/fixtures';
import type { FakeDatabricks } from '../support/fake-databricks';
import { CONVERSIONS_SCHEMA, SETTINGS, USERS_SCHEMA, type LocalCleanRoom } from './pass-fixtures';

export const CODE_NAME = 'count_users';

/** Onboards, writes both datasets and sends their registrations and the code `count_users` (content `sql`). */
export async function declareDatasetsAndCode(room: LocalCleanRoom, sql: string): Promise<void> {
  await room.onboard();
  await room.writeDataset('publisher-bucket', 'input/users', USERS_SCHEMA, [{ user_id: 'u1', country: 'FR' }]);
  await room.writeDataset('advertiser-bucket', 'input/conversions', CONVERSIONS_SCHEMA, [{ user_id: 'u1', amount: 1 }]);
  const t = room.clock - 60_000;
  await room.send('publisher-bucket', seed.data('publisher.users', 'INSERT', 'gs://publisher-bucket/input/users', 'delta', t));
  await room.send('advertiser-bucket',
    seed.data('advertiser.conversions', 'INSERT', 'gs://advertiser-bucket/input/conversions', 'delta', t),
    cli.code(CODE_NAME, 'INSERT', sql, { atMs: t }));
}

/** The keeper (publisher) approves `count_users` with content `sql`, 30 s before the clock. */
export async function approveCode(room: LocalCleanRoom, sql: string): Promise<void> {
  await room.send('publisher-bucket', cli.approval('CODE_REQUEST_APPROVED', { code_name: CODE_NAME }, versionHash(sql), 'ok', room.clock - 30_000));
}

/** The advertiser asks for one run of `count_users` on Small compute; returns the job id. */
export async function sendCountJob(room: LocalCleanRoom): Promise<string> {
  const job = seed.job('count', CODE_NAME, '{"output": "gs://advertiser-bucket/output/count"}', 'Small', room.clock - 20_000);
  await room.send('advertiser-bucket', job);
  return job.uuid as string;
}

/** The real Databricks engine against the fake, retrying `maxAttempts` times with millisecond delays. */
export function databricksEngineOn(fake: FakeDatabricks, maxAttempts: number): DatabricksEngine {
  return new DatabricksEngine({
    host: fake.host,
    token: fake.token,
    warehouseId: fake.warehouseId,
    policyIdForCompute: { Small: 'policy-small' },
    catalog: 'cleanroom_test',
    participants: SETTINGS.participants.map((p) => p.name),
    maxAttempts,
    baseDelayMs: 1,
    maxDelayMs: 2,
    statementPollIntervalMs: 1,
  });
}

/** Datasets and code declared and approved over two passes, the clock a minute later: ready for a job. */
export async function readyForJob(room: LocalCleanRoom, sql: string, pass: () => Promise<unknown>): Promise<void> {
  await declareDatasetsAndCode(room, sql);
  await pass();
  room.clock += 60_000;
  await approveCode(room, sql);
  await pass();
  room.clock += 60_000;
}
