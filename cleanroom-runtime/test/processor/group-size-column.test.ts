/**
 * A code's group-size column: the output column the release gate compares with min_group_size. It is part of the
 * code's version (changing it needs a new review), kept by an UPDATE that does not send it, and shown in control.code.
 */
import { cli, Harness, ADVERTISER, KEEPER, sha256, SQL_SOURCE, versionHash } from './fixtures';

function codeWith(name: string, action: string, groupSizeColumn?: string) {
  const row = cli.code(name, action, SQL_SOURCE);
  const payload = JSON.parse(String(row.payload)) as Record<string, unknown>;
  if (groupSizeColumn !== undefined) payload.group_size_column = groupSizeColumn;
  return { ...row, payload: JSON.stringify(payload) };
}

test('the group-size column is stored lower case and is part of the version hash', () => {
  const h = new Harness();
  h.ok(ADVERTISER, codeWith('overlap', 'INSERT', 'Users'));
  const code = h.state.code.overlap!;
  expect(code.groupSizeColumn).toBe('users');
  const expected = sha256(JSON.stringify(['cleanroom code version 1', sha256(SQL_SOURCE), 'SQL', '{}', null, { groupSizeColumn: 'users' }]));
  expect(h.ok(ADVERTISER, codeWith('overlap', 'UPDATE')).message).toContain(`version ${expected}`);
  // Code without the field keeps the version hash it always had.
  h.ok(ADVERTISER, codeWith('plain', 'INSERT'));
  expect(h.ok(ADVERTISER, codeWith('plain', 'UPDATE')).message).toContain(`version ${versionHash(SQL_SOURCE)}`);
});

test('changing the group-size column of approved code makes a new version that awaits review', () => {
  const h = new Harness();
  h.ok(ADVERTISER, codeWith('overlap', 'INSERT', 'users'));
  const version = /version ([0-9a-f]{64})/.exec(h.ok(ADVERTISER, codeWith('overlap', 'UPDATE')).message)![1]!;
  h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'overlap' }, version, 'looks fine'));
  expect(h.state.code.overlap!.approval.status).toBe('CODE_REQUEST_APPROVED');
  h.ok(ADVERTISER, codeWith('overlap', 'UPDATE', 'rows'));
  expect(h.state.code.overlap!.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
  h.ok(ADVERTISER, codeWith('overlap', 'UPDATE', ''));
  expect(h.state.code.overlap!.groupSizeColumn).toBeUndefined();
});

test('a group-size column that is no column name is refused', () => {
  const h = new Harness();
  expect(h.send(ADVERTISER, codeWith('overlap', 'INSERT', 'users; drop')).message).toBe(
    'group_size_column "users; drop" is not a column name: use letters, digits and underscores, starting with a letter or underscore',
  );
});
