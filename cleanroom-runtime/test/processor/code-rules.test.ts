import { codeBlobKey } from '../../src/processor/effects';
import { ADVERTISER, AGENCY, cli, Harness, KEEPER, seed, sourceHash, SQL_SOURCE, versionHash } from './fixtures';

const PY_SOURCE = '# Databricks notebook source\nprint("hi")\n';

describe('CODE events', () => {
  test("a collaborator's code (seed base64 export) is stored by source hash and awaits approval", () => {
    const h = new Harness();
    const row = seed.code('adv_match', 'INSERT', SQL_SOURCE, { defaults: '{"country": "FR", "limit": 10}' });
    const outcome = h.ok(ADVERTISER, row);
    const hash = sourceHash(SQL_SOURCE);
    const version = versionHash(SQL_SOURCE, { defaults: { country: 'FR', limit: '10' } });
    expect(outcome.message).toBe(`code "adv_match" registered (SQL, sha256 ${hash}, version ${version}); it awaits the keeper's approval`);
    expect(outcome.blobs).toEqual([{ key: codeBlobKey(hash), content: SQL_SOURCE }]);
    expect(h.state.code.adv_match).toMatchObject({
      codeId: row.uuid, owner: 'advertiser', hash, language: 'SQL', defaultParameters: '{"country":"FR","limit":"10"}',
      approval: { status: 'CODE_REQUEST_PENDING_APPROVAL', hash, reviewedBy: null },
    });
  });

  test("the keeper's code is approved on registration", () => {
    const h = new Harness();
    h.ok(KEEPER, cli.code('pub_report', 'INSERT', SQL_SOURCE));
    expect(h.state.code.pub_report.approval).toMatchObject({ status: 'CODE_REQUEST_APPROVED', reviewedBy: 'publisher', hash: sourceHash(SQL_SOURCE) });
  });

  test('code names are globally unique', () => {
    const h = new Harness();
    h.ok(KEEPER, cli.code('shared', 'INSERT', SQL_SOURCE));
    expect(h.send(ADVERTISER, seed.code('shared', 'INSERT', SQL_SOURCE)).message).toBe(
      'code name is not unique: "shared" is already registered; pick another name, e.g. prefixed with your participant name',
    );
    expect(h.send(KEEPER, cli.code('shared', 'INSERT', SQL_SOURCE)).message).toBe(
      'code name is not unique: "shared" is already registered; you registered it already: change it with `cleanroom code update` (an UPDATE event)',
    );
    expect(h.state.code.shared.owner).toBe('publisher');
  });

  test('only the owner updates or deletes', () => {
    const h = new Harness();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', SQL_SOURCE));
    expect(h.send(AGENCY, cli.code('adv', 'UPDATE', 'SELECT 2')).message).toBe('code "adv" belongs to another participant: only its owner can update it');
    expect(h.send(KEEPER, cli.code('adv', 'DELETE', 'x')).message).toBe('code "adv" belongs to another participant: only its owner can delete it');
    expect(h.send(AGENCY, cli.code('nope', 'UPDATE', 'x')).message).toBe('code "nope" is not registered: register it first (`cleanroom code register`, or an INSERT event from a notebook)');
    expect(h.state.code.adv.hash).toBe(sourceHash(SQL_SOURCE));
    expect(h.ok(ADVERTISER, cli.code('adv', 'DELETE', '')).message).toBe('code "adv" removed; jobs can no longer use it');
    expect(h.state.code.adv).toBeUndefined();
  });

  test('UPDATE with new content resets approval; the same version keeps it', () => {
    const h = new Harness();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', SQL_SOURCE));
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv' }, versionHash(SQL_SOURCE), 'fine'));
    const same = h.ok(ADVERTISER, cli.code('adv', 'UPDATE', SQL_SOURCE));
    expect(same.message).toMatch(/updated \(same version\).*it is approved and can be used in jobs$/);
    expect(same.blobs).toEqual([]);
    expect(h.state.code.adv.approval.status).toBe('CODE_REQUEST_APPROVED');
    const changed = h.ok(ADVERTISER, cli.code('adv', 'UPDATE', `${SQL_SOURCE}-- tweak\n`));
    expect(changed.message).toMatch(/updated to a new version .* it awaits the keeper's approval$/);
    expect(h.state.code.adv.approval).toMatchObject({ status: 'CODE_REQUEST_PENDING_APPROVAL', hash: sourceHash(`${SQL_SOURCE}-- tweak\n`) });
    expect(h.state.code.adv.versions.map((v) => v.hash)).toEqual([sourceHash(SQL_SOURCE), sourceHash(`${SQL_SOURCE}-- tweak\n`)]);
  });

  test('an approval covers the language and the default parameters too: changing either makes a version that awaits review', () => {
    // Valid SQL and valid Python at once: what it does depends on the language it runs as.
    const POLYGLOT = 'SELECT 1 AS n -- """; import os; os.system("id") #\n';
    const h = new Harness();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', POLYGLOT, { defaults: '{"min": "10"}' }));
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv' }, versionHash(POLYGLOT, { defaults: { min: '10' } }), 'fine'));
    expect(h.state.code.adv.approval.status).toBe('CODE_REQUEST_APPROVED');

    const defaults = h.ok(ADVERTISER, cli.code('adv', 'UPDATE', POLYGLOT, { defaults: '{"min": "1"}' }));
    expect(defaults.message).toMatch(/updated to a new version \(same content; language or default parameters changed\).*it awaits the keeper's approval$/);
    expect(h.state.code.adv.approval.status).toBe('CODE_REQUEST_PENDING_APPROVAL');
    h.ok(KEEPER, cli.approval('CODE_REQUEST_APPROVED', { code_name: 'adv' }, versionHash(POLYGLOT, { defaults: { min: '1' } }), 'fine'));

    // The same bytes registered under a .py path would run as Python: a new version, pending again.
    const polyglot = h.ok(ADVERTISER, cli.code('adv', 'UPDATE', POLYGLOT, { path: 'adv.py', defaults: '{"min": "1"}' }));
    expect(polyglot.message).toMatch(/\(PYTHON, sha256 .*awaits the keeper's approval$/);
    expect(h.state.code.adv).toMatchObject({ language: 'PYTHON', approval: { status: 'CODE_REQUEST_PENDING_APPROVAL' } });
    expect(h.state.code.adv.versions).toHaveLength(3);
  });

  test('UPDATE keeps the description and default parameters its payload leaves out; empty values clear them', () => {
    const h = new Harness();
    h.ok(ADVERTISER, cli.code('adv', 'INSERT', SQL_SOURCE, { defaults: '{"output": "gs://advertiser-bucket/output/x"}' }));
    const v2 = `${SQL_SOURCE}-- v2\n`;
    const update = (payload: Record<string, string>) =>
      cli.row('CODE', { code_name: 'adv', action: 'UPDATE', path_to_notebook: 'v2.sql', notebook_contents: v2, notebook_contents_hash: sourceHash(v2), ...payload });
    h.ok(ADVERTISER, update({}));
    expect(h.state.code.adv).toMatchObject({ description: 'adv v2', defaultParameters: '{"output":"gs://advertiser-bucket/output/x"}', hash: sourceHash(v2) });
    h.ok(ADVERTISER, update({ description: 'renamed' }));
    expect(h.state.code.adv).toMatchObject({ description: 'renamed', defaultParameters: '{"output":"gs://advertiser-bucket/output/x"}' });
    h.ok(ADVERTISER, update({ description: '', default_parameters: '{}' }));
    expect(h.state.code.adv).toMatchObject({ description: '', defaultParameters: '{}' });
  });

  test('INSERT without description or default parameters stores empty ones; a v1 seed UPDATE (every field given) replaces them', () => {
    const h = new Harness();
    h.ok(ADVERTISER, cli.row('CODE', { code_name: 'bare', action: 'INSERT', path_to_notebook: 'bare.sql', notebook_contents: SQL_SOURCE, notebook_contents_hash: sourceHash(SQL_SOURCE) }));
    expect(h.state.code.bare).toMatchObject({ description: '', defaultParameters: '{}' });
    h.ok(ADVERTISER, seed.code('seeded', 'INSERT', SQL_SOURCE, { defaults: '{"country": "FR"}' }));
    h.ok(ADVERTISER, seed.code('seeded', 'UPDATE', SQL_SOURCE));
    expect(h.state.code.seeded).toMatchObject({ description: 'seeded does things', defaultParameters: '{}' });
  });

  test('hash verification (v1 hashes the base64 export, v2 the source)', () => {
    const h = new Harness();
    expect(h.send(ADVERTISER, seed.code('a', 'INSERT', SQL_SOURCE, { hash: sourceHash(SQL_SOURCE) })).message).toMatch(
      /^notebook_contents_hash does not match the contents: sha256 is [0-9a-f]{64}, the event says [0-9a-f]{64}; re-send the event from the unmodified file$/,
    );
    expect(h.send(ADVERTISER, seed.code('a', 'INSERT', SQL_SOURCE, { hash: 'not-a-hash' })).message).toBe(
      'notebook_contents_hash "not-a-hash" is not a sha256 hex digest (64 hex characters)',
    );
    const tampered = cli.code('b', 'INSERT', SQL_SOURCE);
    const payload = JSON.parse(tampered.payload as string) as Record<string, string>;
    payload.notebook_contents = 'SELECT * FROM publisher.users';
    expect(h.send(ADVERTISER, { ...tampered, payload: JSON.stringify(payload) }).message).toMatch(/^notebook_contents_hash does not match the contents/);
    expect(h.state.code).toEqual({});
  });

  test('v1 contents must be base64; contents are required; size and emptiness limits', () => {
    const h = new Harness();
    const notBase64 = seed.code('a', 'INSERT', SQL_SOURCE);
    const p = JSON.parse(notBase64.payload as string) as Record<string, string>;
    p.notebook_contents = 'SELECT 1 -- plain';
    p.notebook_contents_hash = sourceHash(p.notebook_contents);
    expect(h.send(ADVERTISER, { ...notBase64, payload: JSON.stringify(p) }).message).toBe(
      'notebook_contents of an api_version "1" event must be the base64 Workspace export of the notebook',
    );
    expect(h.send(ADVERTISER, cli.row('CODE', { code_name: 'a', action: 'INSERT' })).message).toBe(
      'notebook_contents and notebook_contents_hash are required to register code',
    );
    expect(h.send(ADVERTISER, cli.code('a', 'INSERT', `-- Databricks notebook source\n${'x'.repeat(1024 * 1024)}`)).message).toMatch(
      /^notebook is 1048606 bytes, above the limit of 1048576 bytes \(1 MiB\)/,
    );
    expect(h.send(ADVERTISER, cli.code('a', 'INSERT', '  \n')).message).toBe('notebook_contents is empty: register a notebook with code in it');
  });

  test('language from the source header, then the extension, then the stated language', () => {
    const h = new Harness();
    h.ok(ADVERTISER, seed.code('py', 'INSERT', PY_SOURCE, { language: 'SQL' }));
    h.ok(ADVERTISER, cli.code('scala', 'INSERT', '// Databricks notebook source\nval x = 1\n'));
    h.ok(ADVERTISER, cli.code('r', 'INSERT', '# Databricks notebook source\nx <- 1\n', { path: 'model.R' }));
    h.ok(ADVERTISER, cli.code('ext', 'INSERT', 'print(1)\n', { path: 'job.py' }));
    h.ok(ADVERTISER, seed.code('stated', 'INSERT', 'SELECT 1', { language: 'scala' }));
    expect(Object.fromEntries(Object.values(h.state.code).map((c) => [c.name, c.language]))).toEqual({ py: 'PYTHON', scala: 'SCALA', r: 'R', ext: 'PYTHON', stated: 'SCALA' });
    expect(h.send(ADVERTISER, cli.code('unknown', 'INSERT', 'SELECT 1', { path: 'notes.txt' })).message).toBe(
      "cannot tell the notebook's language: start it with a Databricks source header (e.g. '-- Databricks notebook source') or use a .sql, .py, .scala or .r file",
    );
  });

  test('code names as the notebooks allow them: spaces and punctuation, unique ignoring case, found exactly as registered', () => {
    const h = new Harness();
    const row = seed.code('Weekly reach v2', 'INSERT', SQL_SOURCE);
    h.ok(ADVERTISER, row);
    expect(h.state.code['Weekly reach v2']).toMatchObject({ name: 'Weekly reach v2', codeId: row.uuid });
    expect(h.send(AGENCY, cli.code('weekly REACH v2', 'INSERT', SQL_SOURCE)).message).toBe(
      'code name is not unique: "weekly REACH v2" differs from the registered "Weekly reach v2" (of advertiser) only in letter case, and code names are compared ignoring case; pick another name, e.g. prefixed with your participant name',
    );
    expect(h.send(ADVERTISER, cli.code('weekly reach v2', 'UPDATE', SQL_SOURCE)).message).toBe(
      'code "weekly reach v2" is not registered; did you mean "Weekly reach v2"? Names are written exactly as registered',
    );
    h.ok(ADVERTISER, cli.code('Weekly reach v2', 'UPDATE', 'SELECT 2'));
    h.ok(AGENCY, cli.code('weekly reach v2 (agency)'.replace(/[()]/g, ''), 'INSERT', SQL_SOURCE));
    expect(Object.keys(h.state.code).sort()).toEqual(['Weekly reach v2', 'weekly reach v2 agency']);
  });

  test("an older seed notebook's default_compute is kept as the offered size it names; anything else is refused", () => {
    const h = new Harness();
    // fixtures' seed.code sends default_compute "SMALL", as register_code did before it dropped the widget.
    h.ok(ADVERTISER, seed.code('sized', 'INSERT', SQL_SOURCE));
    expect(h.state.code.sized.defaultCompute).toBe('Small');
    h.ok(ADVERTISER, cli.code('unsized', 'INSERT', SQL_SOURCE));
    expect(h.state.code.unsized.defaultCompute).toBeUndefined();
    const odd = cli.row('CODE', { code_name: 'odd', action: 'INSERT', default_compute: '<b>HUGE</b>', notebook_contents: SQL_SOURCE, notebook_contents_hash: sourceHash(SQL_SOURCE), path_to_notebook: 'odd.sql' });
    expect(h.send(ADVERTISER, odd).message).toBe(
      'default_compute "<b>HUGE</b>" is not a compute size this clean room offers: use one of 2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, 4X-Large, or leave it out',
    );
  });

  test("the seed notebooks' hash is kept beside the source's: the base64 export's sha256 as sent, or the source's base64 for the CLI", () => {
    const h = new Harness();
    const row = seed.code('from_notebook', 'INSERT', SQL_SOURCE);
    h.ok(ADVERTISER, row);
    expect(h.state.code.from_notebook.seedHash).toBe(JSON.parse(row.payload as string).notebook_contents_hash);
    h.ok(ADVERTISER, cli.code('from_cli', 'INSERT', SQL_SOURCE));
    expect(h.state.code.from_cli.seedHash).toBe(sourceHash(Buffer.from(SQL_SOURCE, 'utf8').toString('base64')));
    expect(h.state.code.from_cli.seedHash).toBe(h.state.code.from_notebook.seedHash);
  });

  test('bad names and default parameters', () => {
    const h = new Harness();
    expect(h.send(ADVERTISER, cli.code('../evil', 'INSERT', SQL_SOURCE)).message).toMatch(/^code name "..\/evil" is not allowed/);
    expect(h.send(ADVERTISER, cli.code('a', 'INSERT', SQL_SOURCE, { defaults: 'nope' })).message).toBe(
      'default_parameters is not valid JSON: write a JSON object with double quotes, e.g. {"output": "gs://bucket/output/x"}',
    );
  });
});
