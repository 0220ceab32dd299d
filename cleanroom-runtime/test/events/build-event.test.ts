/** Every event the CLI builds is accepted by parseEvent with the fields it was built from. */
import { createHash } from 'node:crypto';
import {
  buildApprovalEvent,
  buildCodeEvent,
  buildDataEvent,
  buildJobEvent,
  CLI_API_VERSION,
  CLI_NOTEBOOK,
  type BuiltEvent,
  type EventOrigin,
} from '../../src/events/build-event';
import { parseEvent } from '../../src/events/parse-event';
import { EVENTS_SCHEMA } from '../../src/control/tables';

const NOW = Date.UTC(2024, 4, 1, 12, 30, 45, 123);
const origin = (uuid: string): EventOrigin => ({ uuid, nowMs: NOW, user: 'alice@example.com', hostname: 'laptop-7' });
const SOURCE = 'SELECT country, count(*) FROM advertiser.conversions GROUP BY country';
const HASH = createHash('sha256').update(SOURCE).digest('hex');

function parsed(built: BuiltEvent) {
  const result = parseEvent({ participant: 'advertiser', eventsVersion: 3, index: 0, row: built.row });
  if (!result.ok) throw new Error(`parseEvent refused the built event: ${result.error.message}`);
  return result.event;
}

describe('build-event', () => {
  test('rows have exactly the events schema columns, api_version 2 and microsecond timestamps', () => {
    const built = buildJobEvent({ jobName: 'j', codeName: 'c', parameters: '{}', compute: 'Small' }, origin('u-1'));
    expect(Object.keys(built.row).sort()).toEqual(EVENTS_SCHEMA.fields.map((f) => f.name).sort());
    expect(built.row).toMatchObject({ uuid: 'u-1', event_type: 'JOB', api_version: CLI_API_VERSION, notebook: CLI_NOTEBOOK, hostname: 'laptop-7' });
    expect(built.row.timestamp).toBe(BigInt(NOW) * 1000n);
  });

  test('DATA round-trips for INSERT and for DELETE without a location', () => {
    const insert = parsed(
      buildDataEvent({ action: 'INSERT', dataMetastoreName: 'advertiser.conversions', description: 'orders', location: 'gs://b/input/c', format: 'delta' }, origin('d-1')),
    );
    expect(insert).toMatchObject({ type: 'DATA', action: 'INSERT', dataMetastoreName: 'advertiser.conversions', location: 'gs://b/input/c', format: 'delta', description: 'orders', uuid: 'd-1', dedupKey: 'advertiser/d-1', timestampMs: NOW, user: 'alice@example.com', apiVersion: '2' });
    const remove = parsed(buildDataEvent({ action: 'DELETE', dataMetastoreName: 'advertiser.conversions', description: '' }, origin('d-2')));
    expect(remove).toMatchObject({ type: 'DATA', action: 'DELETE', location: '', format: '' });
  });

  test('CODE round-trips contents, hash, language and defaults', () => {
    const event = parsed(
      buildCodeEvent(
        { action: 'UPDATE', codeName: 'adv_match', description: 'match', pathToNotebook: 'match.sql', defaultParameters: '{"country":"FR"}', notebookContents: SOURCE, notebookContentsHash: HASH, notebookLanguage: 'SQL' },
        origin('c-1'),
      ),
    );
    expect(event).toMatchObject({ type: 'CODE', action: 'UPDATE', codeName: 'adv_match', pathToNotebook: 'match.sql', defaultParameters: '{"country":"FR"}', notebookContents: SOURCE, notebookContentsHash: HASH, notebookLanguage: 'SQL' });
  });

  test('approvals carry a fresh uuid, the code id and name, the reviewed hash and the reason', () => {
    const approve = parsed(buildApprovalEvent({ decision: 'CODE_REQUEST_APPROVED', codeName: 'adv_match', codeId: 'code-9', versionHash: HASH, reason: 'ok' }, origin('a-1')));
    expect(approve).toMatchObject({ type: 'CODE_REQUEST_APPROVED', uuid: 'a-1', dedupKey: 'advertiser/a-1', codeId: 'code-9', codeName: 'adv_match', reviewedVersionHash: HASH, reviewedHash: null, reason: 'ok' });
    const reject = parsed(buildApprovalEvent({ decision: 'CODE_REQUEST_REJECTED', codeName: 'adv_match', versionHash: HASH, reason: 'uses raw ids' }, origin('a-2')));
    expect(reject).toMatchObject({ type: 'CODE_REQUEST_REJECTED', codeId: null, codeName: 'adv_match', reason: 'uses raw ids' });
  });

  test('JOB round-trips with the ad-hoc schedule', () => {
    const event = parsed(buildJobEvent({ jobName: 'weekly', codeName: 'adv_match', parameters: '{"output":"gs://b/output/w"}', compute: 'Small' }, origin('j-1')));
    expect(event).toMatchObject({ type: 'JOB', jobName: 'weekly', codeName: 'adv_match', parameters: '{"output":"gs://b/output/w"}', compute: 'Small', schedule: 'ad-hoc' });
  });
});
