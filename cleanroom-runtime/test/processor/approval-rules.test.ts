import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed, sourceHash, SQL_SOURCE, versionHash } from './fixtures';

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
    expect(outcome.message).toBe(`code "adv_match" version ${versionHash(SQL_SOURCE)} (sha256 ${sourceHash(SQL_SOURCE)}, SQL, default parameters {}) approved; jobs can use this version`);
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
    expect(outcome.message).toBe(`code "adv_match" version ${versionHash(SQL_SOURCE)} (sha256 ${sourceHash(SQL_SOURCE)}) rejected: selects raw ids`);
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_REJECTED', reason: 'selects raw ids' });
  });

  test('an approval written before the current version was applied is refused', () => {
    const h = withPendingCode();
    const writtenAt = h.now; // the keeper reviews version 1 ...
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE)); // ... the owner swaps the content ...
    const outcome = h.send(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok', writtenAt - 1));
    expect(outcome.message).toBe(
      `code "adv_match" changed after this request was written (new version sha256 ${sourceHash(V2_SOURCE)}); review the current version and approve again`,
    );
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  });

  test('after any update a hashless approval is refused, even written later: it cannot say which version was reviewed', () => {
    for (const update of [
      (h: Harness) => h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE)),
      (h: Harness) => h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', SQL_SOURCE, { defaults: '{"min": "1"}' })),
    ]) {
      const h = withPendingCode();
      update(h);
      const current = h.state.code.adv_match;
      const outcome = h.send(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok', h.now));
      expect(outcome.status).toBe('ERROR');
      expect(outcome.message).toMatch(/has had 2 versions, and an approval without a hash \(api_version "1"\) cannot say which one was reviewed: approve it with `cleanroom code approve adv_match --hash [0-9a-f]{64}`/);
      expect(current.versions).toHaveLength(2);
      expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
    }
  });

  test('a hashless rejection still applies after an update (rejecting is never unsafe)', () => {
    const h = withPendingCode();
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE));
    h.ok(KEEPER, seed.approval('CODE_REQUEST_REJECTED', h.codeId('adv_match'), 'still selects raw ids', h.now));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_REJECTED', hash: sourceHash(V2_SOURCE) });
  });

  test('unknown code id', () => {
    const h = withPendingCode();
    expect(h.send(KEEPER, seed.approval('CODE_REQUEST_APPROVED', 'no-such-id', 'ok', h.now)).message).toBe(
      'code with id no-such-id does not exist (it may have been deleted): check control.code or control.approval_status',
    );
  });

  test('deciding the same code again later is not a duplicate (v1 uuids repeat)', () => {
    const h = withPendingCode();
    h.ok(KEEPER, seed.approval('CODE_REQUEST_REJECTED', h.codeId('adv_match'), 'not yet', h.now));
    h.ok(KEEPER, seed.approval('CODE_REQUEST_APPROVED', h.codeId('adv_match'), 'ok after all', h.now + 5));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', hash: sourceHash(SQL_SOURCE), reason: 'ok after all' });
  });
});

describe('approvals, api_version 2 (CLI, pins the reviewed hash)', () => {
  test('approval of the reviewed hash by name', () => {
    const h = withPendingCode();
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, versionHash(SQL_SOURCE).toUpperCase(), ''));
    expect(h.state.code.adv_match.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', reason: null });
  });

  test('refused when the code changed since review, whatever the timestamps say', () => {
    const h = withPendingCode();
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', V2_SOURCE));
    const outcome = h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, versionHash(SQL_SOURCE), 'ok', h.now + 10_000));
    expect(outcome.message).toBe(
      `code "adv_match" changed since you reviewed it: you reviewed version ${versionHash(SQL_SOURCE)}, the current version is ${versionHash(V2_SOURCE)} ` +
        `(SQL, content sha256 ${sourceHash(V2_SOURCE)}, default parameters {}); review the current version and approve again`,
    );
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  });

  test('the reviewed version covers default parameters and language: a swap of either after review is refused', () => {
    const h = withPendingCode();
    const reviewed = versionHash(SQL_SOURCE);
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', SQL_SOURCE, { defaults: '{"min_users": "1"}' }));
    expect(h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, reviewed, 'ok', h.now)).message).toMatch(/changed since you reviewed it/);
    h.ok(ADVERTISER, seed.code('adv_match', 'UPDATE', SQL_SOURCE, { defaults: '{}', language: 'PYTHON' }));
    expect(h.state.code.adv_match.language).toBe('SQL'); // the source header decides: still SQL, same version as reviewed
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, reviewed, 'ok', h.now));
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_APPROVED');
  });

  test('a content hash alone, a malformed hash or another code\'s version is refused', () => {
    const h = withPendingCode();
    h.ok(KEEPER, cli.code('pub_code', 'INSERT', V2_SOURCE));
    const send = (hash: string) => h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv_match' }, hash, 'ok')).message;
    expect(send(sourceHash(SQL_SOURCE))).toBe(
      `${sourceHash(SQL_SOURCE)} is the content sha256 of "adv_match", not its version hash: the version hash (${versionHash(SQL_SOURCE)}, shown by \`cleanroom code pending\`) also covers the language and the default parameters; review the current version and approve again`,
    );
    expect(send('xyz')).toMatch(/^version_hash "xyz" is not a sha256 hex digest/);
    expect(send(versionHash(V2_SOURCE))).toBe(
      `version ${versionHash(V2_SOURCE)} is not a version of "adv_match" (the current one is ${versionHash(SQL_SOURCE)}): check the hash you copied; review the current version and approve again`,
    );
    const contentOnly = h.send(KEEPER, cli.row('CODE_REQUEST_APPROVED', { code_name: 'adv_match', notebook_contents_hash: sourceHash(SQL_SOURCE), reason: 'ok' }));
    expect(contentOnly.message).toMatch(/pins only the content sha256 of "adv_match", which does not cover its language or default parameters: give version_hash [0-9a-f]{64}/);
    expect(h.state.code.adv_match.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  });

  test('id wins over name; mismatching id and name are refused', () => {
    const h = withPendingCode();
    h.ok(KEEPER, cli.code('pub_code', 'INSERT', SQL_SOURCE));
    expect(h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_id: h.codeId('adv_match'), code_name: 'pub_code' }, versionHash(SQL_SOURCE), '')).message).toBe(
      `code_id ${h.codeId('adv_match')} is the code "adv_match", not "pub_code": send the id and name shown in control.approval_status`,
    );
    expect(h.send(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'ghost' }, versionHash(SQL_SOURCE), '')).message).toBe(
      'code "ghost" does not exist (it may have been deleted): check control.code or control.approval_status',
    );
  });
});
