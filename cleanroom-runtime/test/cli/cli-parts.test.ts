/** The CLI's small parts on their own: exit codes of failures, credentials lookup, suggestions, layout, colour. */
import { CommanderError } from 'commander';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/exit-codes';
import { describeFailure } from '../../src/cli/failure';
import { findGoogleCredentials, gcloudConfigDir } from '../../src/cli/google-credentials';
import { CliError } from '../../src/cli/participant/errors';
import { floatText, textTable } from '../../src/cli/participant/render';
import { colorEnabled, styler } from '../../src/cli/style';
import { ConfigError } from '../../src/config';
import { closest, didYouMean } from '../../src/config/suggest';
import { struct } from '../../src/delta';

describe('describeFailure: one exit code per kind of failure', () => {
  test.each([
    ['a CliError keeps its kind', new CliError('--timeout "x"', EXIT.usage), EXIT.usage],
    ['a timed-out wait', new CliError('no status', EXIT.timeout), EXIT.timeout],
    ['an invalid configuration', new ConfigError([{ file: '/c/cleanroom.yaml', line: 1, column: 1, field: 'name', message: 'missing' }]), EXIT.config],
    ['an unknown option', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), EXIT.usage],
    ['--help', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.ok],
    ['a DNS failure', Object.assign(new Error('getaddrinfo ENOTFOUND storage.googleapis.com'), { code: 'ENOTFOUND', hostname: 'storage.googleapis.com' }), EXIT.unavailable],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), EXIT.unavailable],
    ['a 403 of Cloud Storage', Object.assign(new Error('caller does not have storage.objects.list access'), { code: 403 }), EXIT.unavailable],
    ['anything else', new Error('boom'), EXIT.failed],
  ])('%s', (_title, error, code) => {
    expect(describeFailure(error).exitCode).toBe(code);
  });

  test('a network failure names the host and the local alternative', () => {
    const { message } = describeFailure(Object.assign(new Error('getaddrinfo ENOTFOUND storage.googleapis.com'), { code: 'ENOTFOUND', hostname: 'storage.googleapis.com' }));
    expect(message).toMatch(/^cannot reach storage\.googleapis\.com \(ENOTFOUND\): check your network connection; for a local rehearsal, give --local-root/);
  });
});

describe('findGoogleCredentials: where the client libraries look, without a network call', () => {
  let home: string;
  beforeEach(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-creds-'));
  });
  afterEach(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });
  const notOnGoogle = { onGoogleCloud: () => false, platform: 'linux' as const };

  test('nothing anywhere: the fix is named', () => {
    const found = findGoogleCredentials({}, { ...notOnGoogle, home });
    expect(found).toEqual({ ok: false, problem: expect.stringContaining('gcloud auth application-default login') });
  });

  test('a key file, gcloud\'s file (also under CLOUDSDK_CONFIG), a Google Cloud runtime', async () => {
    const key = path.join(home, 'key.json');
    await fs.writeFile(key, '{}');
    expect(findGoogleCredentials({ GOOGLE_APPLICATION_CREDENTIALS: key }, { ...notOnGoogle, home }).ok).toBe(true);
    expect(findGoogleCredentials({ GOOGLE_APPLICATION_CREDENTIALS: `${key}.missing` }, { ...notOnGoogle, home })).toEqual({ ok: false, problem: expect.stringContaining('which does not exist') });
    const adc = path.join(gcloudConfigDir({}, 'linux', home), 'application_default_credentials.json');
    await fs.mkdir(path.dirname(adc), { recursive: true });
    await fs.writeFile(adc, '{}');
    expect(findGoogleCredentials({}, { ...notOnGoogle, home })).toEqual({ ok: true, source: expect.stringContaining(adc) });
    expect(findGoogleCredentials({ CLOUDSDK_CONFIG: path.join(home, 'elsewhere') }, { ...notOnGoogle, home }).ok).toBe(false);
    expect(findGoogleCredentials({ K_SERVICE: 'cleanroom-runtime' }, { ...notOnGoogle, home: path.join(home, 'none') }).ok).toBe(true);
    expect(findGoogleCredentials({}, { onGoogleCloud: () => true, home: path.join(home, 'none') }).ok).toBe(true);
    expect(gcloudConfigDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', home)).toBe(path.join('C:\\Users\\a\\AppData\\Roaming', 'gcloud'));
  });
});

describe('suggestions', () => {
  test.each([
    ['bucekt', ['name', 'role', 'bucket', 'databricks'], 'bucket'],
    ['colaborator', ['keeper', 'collaborator'], 'collaborator'],
    ['advertisr', ['advertiser', 'measurement', 'publisher'], 'advertiser'],
    ['Bucket', ['bucket'], 'bucket'],
    ['zzz', ['bucket', 'role'], undefined],
    ['bucket', ['bucket'], undefined],
    ['x'.repeat(65), ['x'.repeat(64)], undefined],
  ])('%s → %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  test('didYouMean phrases it, or says nothing', () => {
    expect(didYouMean('rol', ['role'])).toBe(' (did you mean "role"?)');
    expect(didYouMean('completely-different', ['role'])).toBe('');
  });
});

describe('text tables', () => {
  const schema = struct([['name', 'string'], ['hash', 'string'], ['amount', 'double'], ['message', 'string']]);
  const rows = [{ name: 'overlap', hash: 'a'.repeat(64), amount: 8, message: 'a message that may be long and wraps on a terminal' }];

  test('doubles keep a decimal; NaN and infinities by name', () => {
    expect([8, 8.5, -0.25, 1e21, Number.NaN, Infinity, -Infinity].map(floatText)).toEqual(['8.0', '8.5', '-0.25', '1e+21', 'NaN', 'Infinity', '-Infinity']);
    expect(textTable(rows, schema, ['name', 'amount'])).toBe('name     amount\noverlap  8.0\n');
  });

  test('a table too wide for the terminal becomes one block per row, every value whole', () => {
    const narrow = textTable([...rows, { ...rows[0], name: 'second' }], schema, ['name', 'hash', 'amount', 'message'], { width: 80 });
    expect(narrow).toBe(
      `name     overlap\nhash     ${'a'.repeat(64)}\namount   8.0\nmessage  ${rows[0].message}\n\n` +
        `name     second\nhash     ${'a'.repeat(64)}\namount   8.0\nmessage  ${rows[0].message}\n`,
    );
    const wide = textTable(rows, schema, ['name', 'hash', 'amount', 'message'], { width: 200 });
    expect(wide.split('\n')[0]).toMatch(/^name\s+hash\s+amount\s+message$/);
  });
});

describe('colour', () => {
  test.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: false }, {}, false],
    [{ isTTY: true }, { TERM: 'dumb' }, false],
    [{ isTTY: true }, { NO_COLOR: '1' }, false],
    [{ isTTY: true }, { NO_COLOR: '' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '1' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '0' }, false],
    [{ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
  ])('%o with %o → %s', (stream, env, expected) => {
    expect(colorEnabled(stream, env)).toBe(expected);
  });

  test('a disabled styler returns the text unchanged', () => {
    expect(styler(false).red('ERROR')).toBe('ERROR');
    expect(styler(true).red('ERROR')).toBe('\x1b[31mERROR\x1b[0m');
  });
});
