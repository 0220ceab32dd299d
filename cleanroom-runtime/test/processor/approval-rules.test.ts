import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed, sourceHash, SQL_SOURCE } from './fixtures';

const V2_SOURCE = `${SQL_SOURCE}-- v2\n`;

function withPendingCode(): Harness {
  const h = new Harness();
  h.ok(ADVERTISER, seed.code('adv_match', 'INSERT', SQL_SOURCE));
  return h;
}

describe('approvals, api_version 1 (seed approve_code notebook)', () => {
  test('the keeper approves by code id with a JSON string reason', () => {
    const h = withPendingCode();
    const outcome = h.ok(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'reviewed, ok', h.now));
    expect(outcome.message).toBe(`code "adv_match" (sha256 ${sourceHash(SQL_SOURCE)}) approved; jobs can use this version`);
    expect(outcome.eventUuid).toBe(h.codeId('adv_match'));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', reason: 'reviewed, ok', reviewedBy: 'publisher', hash: sourceHash(SQL_SOURCE) });
  });

  test('only the keeper can approve or reject', () => {
    const h = withPendingCode();
    expect(h.send(ADVERTISER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'self-approve', h.now)).message).toBe('only the keeper can approve code');
    expect(h.send(AGENCY, seed.approval('CODE_REQUEST_REJECTED', h.codeId('adv_match'), 'no', h.now)).message).toBe('only the keeper can reject code');
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  });

  test('a rejection needs a reason and records it', () => {
    const h = withPendingCode();
    expect(h.send(KEEPER, seed.approval('CODE_REQUEST_REJECTED', h.codeId('adv_match'), '  ', h.now)).message).toBe(
      'a rejection needs a reason: say what must change in "adv_match" so its owner can fix it',
    );
    const outcome = h.ok(KEEPER, seed.approval('CODE_REQUEST_REJECTED', h.codeId('adv_match'), 'selects raw ids', h.now));
    expect(outcome.message).toBe(`code "adv_match" (sha256 ${sourceHash(SQL_SOURCE)}) rejected: selects raw ids`);
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_REJECTED', reason: 'selects raw ids' });
  });

  test('an approval written before the current version was applied is refused', () => {
    const h = withPendingCode();
    const writtenAt = h.now; // the keeper reviews version 1 ...
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE)); // ... the owner swaps the content ...
    const outcome = h.send(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok', writtenAt - 1));
    expect(outcome.message).toBe(
      `code "adv_match" changed after this approve request was written (new version sha256 ${sourceHash(V2_SOURCE)}); review the current version and approve again`,
    );
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
    h.ok(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok', h.now));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', hash: sourceHash(V2_SOURCE) });
  });

  test('unknown code id', () => {
    const h = withPendingCode();
    expect(h.send(KEEPER, seed.approval('CODE_REQUEST_APPROVED', 'no-such-id', 'ok', h.now)).message).toBe(
      'code with id no-such-id does not exist (it may have been deleted): check control.code or control.approval_status',
    );
  });

  test('re-approving the same code later is not a duplicate (v1 uuids repeat)', () => {
    const h = withPendingCode();
    h.ok(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok', h.now));
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE));
    h.ok(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok again', h.now));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', hash: sourceHash(V2_SOURCE), reason: 'ok again' });
  });
});

describe('approvals, api_version 2 (CLI, pins the reviewed hash)', () => {
  test('approval of the reviewed hash by name', () => {
    const h = withPendingCode();
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, sourceHash(SQL_SOURCE).toUpperCase(), ''));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', reason: null });
  });

  test('refused when the code changed since review, whatever the timestamps say', () => {
    const h = withPendingCode();
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE));
    const outcome = h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, sourceHash(SQL_SOURCE), 'ok', h.now + 10_000));
    expect(outcome.message).toBe(
      `code "adv_match" changed since you reviewed it: you reviewed sha256 ${sourceHash(SQL_SOURCE)}, the current version is ${sourceHash(V2_SOURCE)}; review the current version and approve again`,
    );
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  });

  test('id wins over name; mismatching id and name are refused', () => {
    const h = withPendingCode();
    h.ok(KEEPER, cli.code('pub_code', 'INSERT', SQL_SOURCE));
    expect(h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_id: h.codeId('adv_match'), code_name: 'pub_code' }, sourceHash(SQL_SOURCE), '')).message).toBe(
      `code_id ${h.codeId('adv_match')} is the code "adv_match", not "pub_code": send the id and name shown in control.approval_status`,
    );
    expect(h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'ghost' }, sourceHash(SQL_SOURCE), '')).message).toBe(
      'code "ghost" does not exist (it may have been deleted): check control.code or control.approval_status',
    );
  });
});
