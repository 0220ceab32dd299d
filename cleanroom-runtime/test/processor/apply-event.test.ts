import { applyEvents, locationsToCheck, markEventsRead, orderEvents } from '../../src/processor/apply-events';
import { applyEvent } from '../../src/processor/apply-event';
import { emptyState } from '../../src/processor/state';
import type { EventEnvelope } from '../../src/events/event-model';
import { ADVERTISER, AGENCY, cli, COMPUTE_SIZES, Harness, KEEPER, PARTICIPANTS, seed, seedRow, SQL_SOURCE, T0 } from './fixtures';

describe('every event gets exactly one status; bad events never block later ones', () => {
  test('a mixed batch: each row one status, in order, later good events still applied', () => {
    const h = new Harness().at('gs://advertiser-bucket/input/c', 'delta', { exists: true, schema: null });
    const rows = [
      seedRow('NONSENSE', 'u-1', '{}', T0),
      { ...seed.data('advertiser.c', 'INSERT', 'gs://advertiser-bucket/input/c', 'delta'), api_version: '3' },
      seedRow('DATA', 'u-3', 'not json', T0),
      seed.data('advertiser.c', 'INSERT', 'gs://advertiser-bucket/input/c', 'delta'),
    ];
    const envelopes = rows.map((row, index): EventEnvelope => ({ participant: 'advertiser', eventsVersion: 4, index, row }));
    const result = applyEvents(h.state, envelopes, h.ctx());
    expect(result.outcomes.map((o) => o.status)).toEqual(['ERROR', 'ERROR', 'ERROR', 'SUCCESS']);
    expect(result.state.eventStatus.advertiser.map((s) => s.eventUuid)).toEqual(['u-1', rows[1].uuid, 'u-3', rows[3].uuid]);
    expect(result.state.datasets['advertiser.c']).toBeDefined();
    expect(h.state.eventStatus).toEqual({});
  });

  test('duplicate event uuid', () => {
    const h = new Harness();
    const row = cli.code('a', 'INSERT', SQL_SOURCE);
    h.ok(ADVERTISER, row);
    const again = h.send(ADVERTISER, { ...cli.code('b', 'INSERT', SQL_SOURCE), uuid: row.uuid });
    expect(again.message).toBe(`duplicate event: you already sent an event with uuid ${row.uuid}; send a new event with a fresh uuid`);
    expect(h.state.code.b).toBeUndefined();
  });

  test('uuids are unique per participant: another participant using the same uuid neither takes it over nor is blocked', () => {
    const h = new Harness();
    const keeperRow = cli.code('pub_code', 'INSERT', SQL_SOURCE);
    // A collaborator that saw the keeper's uuid sends it first (backdated, it would be ordered first in a pass).
    h.ok(AGENCY, { ...cli.code('agency_code', 'INSERT', SQL_SOURCE), uuid: keeperRow.uuid });
    h.ok(KEEPER, keeperRow);
    expect(h.state.code.agency_code.codeId).toBe(keeperRow.uuid);
    expect(h.state.code.pub_code.codeId).toBe(`publisher-${keeperRow.uuid}`);
    // Job ids made from the same uuid stay apart too.
    const job = seed.job('j', 'pub_code', '{"output": "gs://agency-bucket/output/j"}');
    h.ok(AGENCY, job);
    h.ok(KEEPER, { ...seed.job('k', 'pub_code', '{"output": "gs://publisher-bucket/output/k"}'), uuid: job.uuid });
    expect(Object.values(h.state.jobs).map((j) => [j.participant, j.jobId])).toEqual([
      ['agency', job.uuid],
      ['publisher', `publisher-${job.uuid}`],
    ]);
    expect(h.send(KEEPER, { ...cli.code('x', 'INSERT', SQL_SOURCE), uuid: keeperRow.uuid }).message).toMatch(/^duplicate event: you already sent/);
  });

  test('a state written before dedup keys were per participant still refuses replays of its events', () => {
    const h = new Harness();
    const row = cli.code('a', 'INSERT', SQL_SOURCE);
    h.state.processedEvents[String(row.uuid)] = true; // the key format of older states
    expect(h.send(ADVERTISER, row).message).toMatch(/^duplicate event/);
  });

  test('a refused event still consumes its uuid, so a replay cannot sneak through later', () => {
    const h = new Harness();
    const job = seed.job('j', 'later', '{"output": "gs://advertiser-bucket/output/x"}');
    expect(h.send(ADVERTISER, job).status).toBe('ERROR');
    h.ok(ADVERTISER, cli.code('later', 'INSERT', SQL_SOURCE));
    expect(h.send(ADVERTISER, job).message).toMatch(/^duplicate event/);
  });

  test('timestamps far in the future are refused', () => {
    const h = new Harness();
    const future = h.now + 6 * 60 * 1000;
    expect(h.send(ADVERTISER, cli.code('a', 'INSERT', SQL_SOURCE, { atMs: future })).message).toBe(
      `event timestamp ${new Date(future).toISOString()} is in the future (clean room time ${new Date(h.now - 1000).toISOString()}): fix the clock of the machine that wrote it and send the event again`,
    );
    h.ok(ADVERTISER, cli.code('b', 'INSERT', SQL_SOURCE, { atMs: h.now + 60 * 1000 }));
  });

  test('events from a participant missing from the config are a programming error', () => {
    const envelope: EventEnvelope = { participant: 'mallory', eventsVersion: 1, index: 0, row: cli.code('a', 'INSERT', SQL_SOURCE) };
    expect(() => applyEvent(emptyState(), envelope, { participants: PARTICIPANTS, computeSizes: COMPUTE_SIZES, now: T0 })).toThrow('unknown participant "mallory"');
  });

  test('identity is the bucket the event came from, not the payload or user column', () => {
    const h = new Harness();
    const row = { ...seed.approval('CODE_REQUEST_APPROVED', 'x', 'ok', h.now), user: 'keeper@publisher.com', hostname: 'publisher-host' };
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', SQL_SOURCE));
    expect(h.send(ADVERTISER, { ...row, uuid: h.codeId('adv') }).message).toBe('only the keeper can approve code');
  });
});

describe('batch helpers', () => {
  const env = (participant: string, eventsVersion: number, index: number, atMs: number): EventEnvelope => ({
    participant, eventsVersion, index, row: seedRow('DATA', `${participant}-${eventsVersion}-${index}`, '{}', atMs),
  });

  test('orderEvents keeps each participant in table order and interleaves by timestamp', () => {
    const ordered = orderEvents({
      advertiser: [env('advertiser', 2, 0, T0 + 5), env('advertiser', 1, 1, T0 + 50), env('advertiser', 1, 0, T0 + 40)],
      publisher: [env('publisher', 1, 0, T0 + 45), env('publisher', 2, 0, T0 + 1)],
    });
    expect(ordered.map((e) => `${e.participant}-${e.eventsVersion}-${e.index}`)).toEqual([
      'advertiser-1-0', 'publisher-1-0', 'publisher-2-0', 'advertiser-1-1', 'advertiser-2-0',
    ]);
  });

  test('markEventsRead only moves forward', () => {
    const state = emptyState();
    markEventsRead(state, 'advertiser', 3);
    markEventsRead(state, 'advertiser', 2);
    expect(state.eventsVersions).toEqual({ advertiser: 3 });
  });

  test('locationsToCheck lists valid DATA INSERT/UPDATE locations once, nothing for invalid ones', () => {
    const h = new Harness();
    const envelopes = [
      h.envelope(ADVERTISER, seed.data('advertiser.a', 'INSERT', 'gs://advertiser-bucket/input/a/', 'Delta')),
      h.envelope(ADVERTISER, seed.data('advertiser.a', 'UPDATE', 'gs://advertiser-bucket/input/a', 'delta')),
      h.envelope(ADVERTISER, seed.data('advertiser.b', 'INSERT', 'gs://publisher-bucket/input/b', 'delta')),
      h.envelope(ADVERTISER, seed.data('publisher.b', 'INSERT', 'gs://advertiser-bucket/input/b', 'delta')),
      h.envelope(KEEPER, seed.data('publisher.u', 'DELETE', '', '')),
      h.envelope(KEEPER, cli.code('x', 'INSERT', SQL_SOURCE)),
    ];
    expect(locationsToCheck(envelopes, h.ctx())).toEqual([
      { key: 'delta:gs://advertiser-bucket/input/a', location: 'gs://advertiser-bucket/input/a', format: 'delta' },
    ]);
  });

  test('sync_datasets is pending once however many datasets change', () => {
    const h = new Harness().at('gs://advertiser-bucket/input/a', 'delta', { exists: true }).at('gs://advertiser-bucket/input/b', 'delta', { exists: true });
    h.ok(ADVERTISER, seed.data('advertiser.a', 'INSERT', 'gs://advertiser-bucket/input/a', 'delta'));
    h.ok(ADVERTISER, seed.data('advertiser.b', 'INSERT', 'gs://advertiser-bucket/input/b', 'delta'));
    expect(h.state.pendingEffects).toEqual([{ kind: 'sync_datasets' }]);
  });
});

describe('hostile sizes', () => {
  test('echoed input is cut in messages, so a bad event cannot bloat the state', () => {
    const h = new Harness();
    const huge = 'x'.repeat(500_000);
    const outcomes = [
      h.send(ADVERTISER, seed.data(`advertiser.${huge}`, 'INSERT', 'gs://advertiser-bucket/input/x', 'delta')),
      h.send(ADVERTISER, seed.job('j', huge, '{}')),
      h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: huge }, 'a'.repeat(64), '')),
      h.send(ADVERTISER, seedRow(huge, 'u-big', '{}', T0)),
    ];
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('ERROR');
      expect(outcome.message.length).toBeLessThan(400);
    }
    expect(JSON.stringify(h.state).length).toBeLessThan(5000);
  });
});
