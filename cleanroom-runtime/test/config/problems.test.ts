/**
 * Every kind of configuration problem, asserted as the operator sees it: file:line:column field — message.
 * Each test breaks one thing in a fresh copy of examples/ (publisher = keeper, advertiser and measurement).
 */
import { promises as fs } from 'fs';
import { ConfigError, formatProblem, loadConfig, validateConfigDir, type ConfigProblem } from '../../src/config';
import { MINIMAL_CLEANROOM_YAML, copyExamples, participantYaml, removeTempConfigs, type TempConfig } from './config-fixtures';

afterAll(removeTempConfigs);

async function problemsIn(temp: TempConfig): Promise<string[]> {
  const result = await validateConfigDir(temp.dir);
  expect(result.config).toBeUndefined();
  return result.problems.map((problem) => formatProblem(problem, temp.dir));
}

async function examplesWith(files: Record<string, string | null>): Promise<TempConfig> {
  const temp = await copyExamples();
  for (const [relative, text] of Object.entries(files)) {
    if (text === null) await temp.remove(relative);
    else await temp.write(relative, text);
  }
  return temp;
}

const PARTICIPANT_FIELDS = 'name, role, bucket, databricks, gcp, terraform_state, release';

describe('unknown fields', () => {
  it('are reported at the key, with the fields allowed there', async () => {
    const temp = await examplesWith({
      'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}retention: 30\n`,
      'participants/advertiser.yaml': participantYaml('advertiser', 'collaborator').replace('gcp:\n', 'gcp:\n  zone: europe-west1-b\n'),
    });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:10:1 retention — unknown field; expected one of: name, gcp, databricks, service_account, state_bucket, keeper, compute_sizes, run_history_retention_days, runtime, run_timeout_minutes, terraform_state, limits, approval, release',
      'participants/advertiser.yaml:7:3 gcp.zone — unknown field; expected one of: project, storage_service_agent',
    ]);
  });

  it('come with the structured problem too', async () => {
    const temp = await examplesWith({ 'participants/measurement.yaml': `${participantYaml('measurement', 'collaborator')}password: hunter2\n` });
    const { problems } = await validateConfigDir(temp.dir);
    expect(problems).toEqual<ConfigProblem[]>([
      {
        file: temp.file('participants/measurement.yaml'),
        line: 8,
        column: 1,
        field: 'password',
        message: `unknown field; expected one of: ${PARTICIPANT_FIELDS}`,
      },
    ]);
  });
});

describe('names', () => {
  it('rejects a clean room name outside ^[a-z][a-z0-9-]{2,40}$', async () => {
    const temp = await examplesWith({ 'cleanroom.yaml': MINIMAL_CLEANROOM_YAML.replace('name: retail-media', 'name: Retail_Media') });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:1:1 name — expected the clean room name: 3-41 characters, a lowercase letter then lowercase letters, digits or dashes (e.g. retail-media); got "Retail_Media"',
    ]);
  });

  it('rejects participant names that could escape a path or a SQL identifier', async () => {
    const temp = await examplesWith({
      'participants/advertiser.yaml': participantYaml('advertiser', 'collaborator').replace('name: advertiser', 'name: "../advertiser"'),
      'participants/measurement.yaml': participantYaml('measurement', 'collaborator').replace('name: measurement', 'name: "x; DROP TABLE runs"'),
    });
    const expected = 'expected the participant name, also its database name: 2-31 characters, a lowercase letter then lowercase letters, digits or underscores (e.g. advertiser)';
    expect(await problemsIn(temp)).toEqual([
      `participants/advertiser.yaml:1:1 name — ${expected}; got "../advertiser"`,
      `participants/measurement.yaml:1:1 name — ${expected}; got "x; DROP TABLE runs"`,
    ]);
  });

  it('requires the participant name to match its file name', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yaml': participantYaml('advertiser_eu', 'collaborator') });
    expect(await problemsIn(temp)).toEqual([
      'participants/advertiser.yaml:1:1 name — expected "advertiser" to match the file name participants/advertiser.yaml; got "advertiser_eu" (rename the file or fix the name)',
    ]);
  });

  it('shows hostile values escaped and cut short', async () => {
    const temp = await examplesWith({
      'cleanroom.yaml': MINIMAL_CLEANROOM_YAML.replace('name: retail-media', `name: "evil\\u001b[31m${'x'.repeat(100)}"`),
    });
    const [problem] = await problemsIn(temp);
    expect(problem).toContain(`; got "evil\\u001b[31m${'x'.repeat(48)}..."`);
    expect(problem).not.toContain('\u001b');
  });
});

describe('duplicates', () => {
  it('reports a participant name used twice at the second file', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yml': participantYaml('advertiser', 'collaborator', 'advertiser-other') });
    expect(await problemsIn(temp)).toEqual([
      'participants/advertiser.yml:1:1 name — expected a unique participant name; "advertiser" is already used by participants/advertiser.yaml',
    ]);
  });

  it('reports a bucket used twice, or used as the state bucket', async () => {
    const temp = await examplesWith({
      'cleanroom.yaml': MINIMAL_CLEANROOM_YAML,
      'participants/measurement.yaml': participantYaml('measurement', 'collaborator', 'advertiser-cleanroom-data'),
      'participants/publisher.yaml': participantYaml('publisher', 'keeper', 'publisher-cleanroom-state'),
    });
    expect(await problemsIn(temp)).toEqual([
      'participants/measurement.yaml:3:1 bucket — expected a bucket of its own; "advertiser-cleanroom-data" is already the bucket of participants/advertiser.yaml',
      'participants/publisher.yaml:3:1 bucket — expected a bucket of its own; "publisher-cleanroom-state" is the clean room state bucket (state_bucket in cleanroom.yaml)',
    ]);
  });
});

describe('the keeper', () => {
  it('reports zero keepers at the role of the participant cleanroom.yaml names', async () => {
    const temp = await examplesWith({ 'participants/publisher.yaml': participantYaml('publisher', 'collaborator') });
    expect(await problemsIn(temp)).toEqual([
      'participants/publisher.yaml:2:1 role — expected keeper, as cleanroom.yaml names "publisher" the keeper; got collaborator',
    ]);
  });

  it('reports zero keepers at cleanroom.yaml when it names no participant', async () => {
    const temp = await examplesWith({
      'cleanroom.yaml': MINIMAL_CLEANROOM_YAML.replace('keeper: publisher', 'keeper: broadcaster'),
      'participants/publisher.yaml': participantYaml('publisher', 'collaborator'),
    });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:9:1 keeper — expected the name of the keeper participant, one of: advertiser, measurement, publisher; there is no participants/broadcaster.yaml',
    ]);
  });

  it('reports a second keeper at its role', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yaml': participantYaml('advertiser', 'keeper') });
    expect(await problemsIn(temp)).toEqual([
      'participants/advertiser.yaml:2:1 role — expected collaborator, as there is exactly one keeper and cleanroom.yaml names "publisher"; got keeper',
    ]);
  });

  it('reports a keeper other than the one cleanroom.yaml names', async () => {
    const temp = await examplesWith({ 'cleanroom.yaml': MINIMAL_CLEANROOM_YAML.replace('keeper: publisher', 'keeper: advertiser') });
    expect(await problemsIn(temp)).toEqual([
      'participants/advertiser.yaml:4:1 role — expected keeper, as cleanroom.yaml names "advertiser" the keeper; got collaborator',
      'participants/publisher.yaml:4:1 role — expected collaborator, as there is exactly one keeper and cleanroom.yaml names "advertiser"; got keeper',
    ]);
  });
});

describe('malformed YAML', () => {
  it('in the keeper file is not also reported as a missing keeper', async () => {
    const temp = await examplesWith({ 'participants/publisher.yaml': 'name: publisher\nrole: keeper\n  bucket: x\n' });
    expect(await problemsIn(temp)).toEqual(['participants/publisher.yaml:2:7 — expected valid YAML: Nested mappings are not allowed in compact mappings']);
  });

  it('is reported at the parser position', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yaml': 'name: advertiser\nrole: [collaborator\nbucket: x\n' });
    expect(await problemsIn(temp)).toEqual(['participants/advertiser.yaml:3:1 — expected valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  });

  it('rejects a key written twice', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yaml': `${participantYaml('advertiser', 'collaborator')}role: keeper\n` });
    expect(await problemsIn(temp)).toEqual(['participants/advertiser.yaml:8:1 — expected valid YAML: Map keys must be unique']);
  });

  it('rejects more than one document in a file', async () => {
    const temp = await examplesWith({ 'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}---\nname: other\n` });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:10:1 — expected valid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
    ]);
  });
});

describe('missing files', () => {
  it('asks for cleanroom.yaml and still checks the participants', async () => {
    const temp = await examplesWith({ 'cleanroom.yaml': null, 'participants/measurement.yaml': 'name: measurement\n' });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:1:1 — missing file; create cleanroom.yaml with the clean room settings (`cleanroom config init <dir>` writes a starter)',
      'participants/measurement.yaml:1:1 role — missing; expected the participant role: keeper or collaborator',
      "participants/measurement.yaml:1:1 bucket — missing; expected the participant's own bucket: a GCS bucket name of 3-63 characters, lowercase letters, digits, dashes and underscores, starting and ending with a letter or digit",
      "participants/measurement.yaml:1:1 databricks — missing; expected the participant's Databricks settings: host and optional owner",
      "participants/measurement.yaml:1:1 gcp — missing; expected the participant's GCP settings: project and optional storage_service_agent",
    ]);
  });

  it('asks for the participants folder', async () => {
    const temp = await examplesWith({ participants: null });
    expect(await problemsIn(temp)).toEqual([
      'participants:1:1 — missing folder; create participants/ with one <name>.yaml per participant (`cleanroom config init <dir>` writes the keeper file)',
    ]);
  });

  it('asks for participant files when the folder holds none', async () => {
    const temp = await examplesWith({ participants: null, 'cleanroom.yaml': null });
    await fs.mkdir(temp.file('participants'));
    await temp.write('participants/README.md', 'not a participant');
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:1:1 — missing file; create cleanroom.yaml with the clean room settings (`cleanroom config init <dir>` writes a starter)',
      'participants:1:1 — no participant files; add one <name>.yaml per participant, the keeper included (`cleanroom config init <dir>` writes the keeper file)',
    ]);
  });

  it('reports a folder that does not exist', async () => {
    const temp = await copyExamples();
    const { problems } = await validateConfigDir(temp.file('nope'));
    expect(problems.map((p) => formatProblem(p, temp.dir))).toEqual([
      'nope:1:1 — expected a configuration folder holding cleanroom.yaml and participants/; this folder does not exist',
    ]);
  });

  it('reports an empty file as a missing mapping', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yaml': '# nothing yet\n' });
    expect(await problemsIn(temp)).toEqual([
      'participants/advertiser.yaml:1:1 — expected participant settings: name, role, bucket, databricks, gcp and optional terraform_state, release; got an empty value',
    ]);
  });
});

describe('wrong types and values', () => {
  it('says what each field expects and what it got', async () => {
    const temp = await examplesWith({
      'cleanroom.yaml': [
        'name: retail-media',
        'gcp: europe-west1',
        'databricks:',
        '  host: http://1234567890123456.7.gcp.databricks.com',
        'service_account: cleanroom-runtime@publisher-cleanroom.iam.gserviceaccount.com',
        'state_bucket: googles-bucket',
        'keeper: publisher',
        'compute_sizes: Small',
        'run_history_retention_days: "30"',
        'runtime:',
        '  schedule: "*/5 * * * 8"',
        '',
      ].join('\n'),
    });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:2:1 gcp — expected the clean room GCP settings: project and region; got "europe-west1"',
      'cleanroom.yaml:4:3 databricks.host — expected the clean room Databricks workspace URL: an https URL with no path (e.g. https://1234567890123456.7.gcp.databricks.com); got "http://1234567890123456.7.gcp.databricks.com"',
      'cleanroom.yaml:6:1 state_bucket — expected a bucket name that does not start with "goog" (reserved by Google)',
      'cleanroom.yaml:8:1 compute_sizes — expected the compute sizes offered to jobs, a non-empty list of: 2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, 4X-Large; got "Small"',
      'cleanroom.yaml:9:1 run_history_retention_days — expected how many days of run history to keep: a whole number from 1 to 3650 (default 30); got "30"',
      'cleanroom.yaml:11:3 runtime.schedule — expected a cron schedule (e.g. "*/5 * * * *"); its day of week field "8" must use *, numbers 0-7 or names, ranges a-b, lists a,b and steps /n',
    ]);
  });

  it('points at a bad list item and a size listed twice', async () => {
    const temp = await examplesWith({ 'cleanroom.yaml': `${MINIMAL_CLEANROOM_YAML}compute_sizes:\n  - Small\n  - Huge\n` });
    expect(await problemsIn(temp)).toEqual([
      'cleanroom.yaml:12:5 compute_sizes[1] — expected a compute size, one of: 2X-Small, X-Small, Small, Medium, Large, X-Large, 2X-Large, 3X-Large, 4X-Large; got "Huge"',
    ]);
    await temp.write('cleanroom.yaml', `${MINIMAL_CLEANROOM_YAML}compute_sizes: [Small, Medium, Small]\n`);
    expect(await problemsIn(temp)).toEqual(['cleanroom.yaml:10:32 compute_sizes[2] — expected each compute size once; "Small" is listed twice']);
  });

  it('reports a missing nested field at its parent key', async () => {
    const temp = await examplesWith({ 'participants/advertiser.yaml': participantYaml('advertiser', 'collaborator').replace('  project: advertiser-project\n', '  {}\n') });
    expect(await problemsIn(temp)).toEqual([
      "participants/advertiser.yaml:6:1 gcp.project — missing; expected the participant's GCP project: a GCP project id of 6-30 characters, lowercase letters, digits and dashes, starting with a letter (e.g. acme-cleanroom)",
    ]);
  });
});

describe('loadConfig', () => {
  it('throws a ConfigError carrying every problem, formatted in its message', async () => {
    const temp = await examplesWith({
      'participants/advertiser.yaml': participantYaml('advertiser', 'keeper'),
      'participants/measurement.yaml': `${participantYaml('measurement', 'collaborator')}extra: 1\n`,
    });
    const error = await loadConfig(temp.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => `${p.field}@${p.line}`)).toEqual(['role@2', 'extra@8']);
    expect(message.split('\n')).toEqual(problems.map((p) => formatProblem(p)));
  });
});
