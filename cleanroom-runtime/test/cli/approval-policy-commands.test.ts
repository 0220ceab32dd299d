/**
 * The CLI under an approval policy: `code pending --as P` lists what awaits P's decision, `code approve|reject`
 * are open to the policy's approvers, `code revoke` withdraws one's own approval, `code register --reads` declares
 * what a notebook reads.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DeltaRow } from '../../src/delta';
import { sha256, versionHash } from '../processor/fixtures';
import { micros, Sandbox } from './participant-harness';

let box: Sandbox;
beforeEach(async () => {
  box = await Sandbox.create();
});
afterEach(async () => {
  await box.remove();
});

const SQL = 'SELECT count(*) AS n FROM publisher.users\n';

function pendingRow(name: string, owner: string, awaiting: string): DeltaRow {
  return {
    code_id: `id-${name}`, code_name: name, participant: owner, notebook_contents_hash: sha256(SQL), version_hash: versionHash(SQL),
    approval_status: 'CODE_REQUEST_PENDING_APPROVAL', reason: null, reviewed_by: null, updated_at: micros('2024-06-01T08:00:00Z'),
    event_uuid: `ev-${name}`, approved_by: '', awaiting, status_message: awaiting,
  };
}

async function useDataOwnersPolicy(): Promise<void> {
  const file = path.join(box.configDir, 'cleanroom.yaml');
  await fs.appendFile(file, '\napproval:\n  policy: data_owners\n');
}

test('code pending --as P lists only the code that awaits P', async () => {
  await box.publish('measurement', 'approval_status', [pendingRow('adv_users', 'advertiser', 'publisher'), pendingRow('adv_panel', 'advertiser', 'measurement,publisher')]);
  await box.publish('measurement', 'code', []);
  const result = await box.run(['code', 'pending', '--as', 'measurement', '--json']);
  expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line).code_name)).toEqual(['adv_panel']);
});

test('under data_owners a data owner that is not the keeper approves; the event carries its version hash', async () => {
  await useDataOwnersPolicy();
  await box.publish('measurement', 'approval_status', [pendingRow('adv_panel', 'advertiser', 'measurement')]);
  const result = await box.run(['code', 'approve', 'adv_panel', '--as', 'measurement', '--hash', versionHash(SQL), '--reason', 'aggregates of my panel only']);
  expect(result.error).toBeUndefined();
  const [event] = await box.parsedEvents('measurement');
  expect(event).toMatchObject({ type: 'CODE_REQUEST_APPROVED', codeName: 'adv_panel', reviewedVersionHash: versionHash(SQL), revoke: false });
});

test('code revoke sends a rejection that only withdraws the approval', async () => {
  const result = await box.run(['code', 'revoke', 'adv_users', '--as', 'publisher', '--hash', versionHash(SQL), '--reason', 'second thoughts']);
  expect(result.error).toBeUndefined();
  const [event] = await box.parsedEvents('publisher');
  expect(event).toMatchObject({ type: 'CODE_REQUEST_REJECTED', codeName: 'adv_users', revoke: true, reason: 'second thoughts' });
});

test('code register --reads declares the datasets a notebook reads', async () => {
  await fs.writeFile(path.join(box.dir, 'reach.py'), '# Databricks notebook source\nspark.table("publisher.users").count()\n');
  const result = await box.run(['code', 'register', 'reach', '--file', path.join(box.dir, 'reach.py'), '--reads', 'publisher.users,measurement.panel', '--as', 'measurement']);
  expect(result.error).toBeUndefined();
  const [event] = await box.parsedEvents('measurement');
  expect(event).toMatchObject({ type: 'CODE', codeName: 'reach', reads: 'publisher.users,measurement.panel' });
});

test('code register --group-size-column names the output column the release gate compares with min_group_size', async () => {
  await fs.writeFile(path.join(box.dir, 'overlap.sql'), 'SELECT count(DISTINCT user_id) AS users FROM publisher.users\n');
  const result = await box.run(['code', 'register', 'overlap', '--file', path.join(box.dir, 'overlap.sql'), '--group-size-column', 'users', '--as', 'advertiser']);
  expect(result.error).toBeUndefined();
  const [event] = await box.parsedEvents('advertiser');
  expect(event).toMatchObject({ type: 'CODE', codeName: 'overlap', groupSizeColumn: 'users' });
});
