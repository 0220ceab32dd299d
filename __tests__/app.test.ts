/**
 * The whole app from config: a snapshot of the example app, adding a participant changes nothing of the others,
 * cross-participant rules, and invalid config failing synth with the validator's message.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Testing } from 'cdktf';
import { ConfigError } from 'cleanroom-runtime/src/config';
import { buildCleanroomApp, type CleanroomDefinition } from '../stacks/cleanroom-app';
import { buildAppFromConfigDir, readConfigFiles } from '../stacks/from-config';
import { CONFIG_HASH_ENV, configFilesHash } from '../constructs/runtime-service';
import { InvalidPropsError } from '../constructs/validation';
import { EXAMPLES_DIR, REPO_ROOT, definitionFromDir, synthDefinition, type JsonObject, type SynthesizedApp } from './support/synth';

const run = promisify(execFile);

const NEWCO = `name: newco
role: collaborator
bucket: newco-cleanroom-data
databricks:
  host: https://5678901234567890.2.gcp.databricks.com
gcp:
  project: newco-analytics
  storage_service_agent: service-567890123456@gs-project-accounts.iam.gserviceaccount.com
`;

let tmp: string;
let base: SynthesizedApp;
let withNewco: SynthesizedApp;

async function copyExamples(to: string): Promise<void> {
  await fs.cp(EXAMPLES_DIR, to, { recursive: true });
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-app-'));
  base = synthDefinition(await definitionFromDir(EXAMPLES_DIR));
  const grown = path.join(tmp, 'grown');
  await copyExamples(grown);
  await fs.writeFile(path.join(grown, 'participants', 'newco.yaml'), NEWCO);
  withNewco = synthDefinition(await definitionFromDir(grown));
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('snapshot of the example app', () => {
  expect(Object.fromEntries(base.json)).toMatchSnapshot();
});

test('adding a participant adds exactly its stack and leaves every other participant stack byte-identical', () => {
  const added = [...withNewco.text.keys()].filter((id) => !base.text.has(id));
  expect(added).toEqual(['participant-newco']);
  expect([...base.text.keys()].filter((id) => !withNewco.text.has(id))).toEqual([]);
  for (const [id, text] of base.text) {
    if (id !== 'cleanroom') expect({ id, same: withNewco.text.get(id) === text }).toEqual({ id, same: true });
  }
  const newco = withNewco.json.get('participant-newco') as JsonObject;
  expect(JSON.stringify(newco)).toContain('newco-cleanroom-data');
  expect(JSON.stringify(newco)).not.toMatch(/publisher-cleanroom-data|advertiser-cleanroom-data|measurement-cleanroom-data/);
});

test("the clean room stack only gains the participant's config file, publisher grant and external locations", () => {
  const before = base.json.get('cleanroom') as JsonObject;
  const after = withNewco.json.get('cleanroom') as JsonObject;
  const addresses = (json: JsonObject): Map<string, JsonObject> => {
    const out = new Map<string, JsonObject>();
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, JsonObject>>)) {
        for (const [name, body] of Object.entries(byName)) out.set(`${kind === 'data' ? 'data.' : ''}${type}.${name}`, body);
      }
    }
    return out;
  };
  const was = addresses(before);
  const is = addresses(after);
  const gained = [...is.keys()].filter((a) => !was.has(a));
  expect([...was.keys()].filter((a) => !is.has(a))).toEqual([]);
  expect(gained.map((a) => a.split('.').slice(0, -1).join('.')).sort()).toEqual([
    'databricks_external_location',
    'databricks_external_location',
    'databricks_grants',
    'databricks_grants',
    'google_pubsub_topic_iam_member',
    'google_storage_bucket_object',
  ]);
  expect(gained.filter((a) => a.startsWith('databricks_external_location')).map((a) => is.get(a)).map((l) => [l?.name, l?.url])).toEqual([
    ['retail-media-newco-input', 'gs://newco-cleanroom-data/input/'],
    ['retail-media-newco-output', 'gs://newco-cleanroom-data/output/'],
  ]);
  expect(is.get(gained.find((a) => a.startsWith('google_storage_bucket_object')) as string)).toMatchObject({ name: 'config/participants/newco.yaml', content: NEWCO });
  expect(is.get(gained.find((a) => a.startsWith('google_pubsub_topic_iam_member')) as string)).toMatchObject({
    member: 'serviceAccount:service-567890123456@gs-project-accounts.iam.gserviceaccount.com',
  });
  // Existing resources are unchanged, except that the service now also waits for the new config file and carries
  // the new config hash (a new revision).
  for (const [address, body] of was) {
    const now = is.get(address) as JsonObject;
    if (address.startsWith('google_cloud_run_v2_service.')) {
      const { depends_on: oldDeps, ...oldRest } = body;
      const { depends_on: newDeps, ...newRest } = now;
      expect(withoutConfigHash(newRest)).toEqual(withoutConfigHash(oldRest));
      expect(configHashOf(newRest)).not.toBe(configHashOf(oldRest));
      expect((newDeps as string[]).filter((d) => !(oldDeps as string[]).includes(d))).toHaveLength(1);
    } else {
      expect({ address, body: now }).toEqual({ address, body });
    }
  }
});

function serviceEnv(service: JsonObject): JsonObject[] {
  return ((service.template as JsonObject).containers as JsonObject[])[0].env as JsonObject[];
}

function configHashOf(service: JsonObject): unknown {
  return serviceEnv(service).find((e) => e.name === CONFIG_HASH_ENV)?.value;
}

function withoutConfigHash(service: JsonObject): JsonObject {
  const template = service.template as JsonObject;
  const [container, ...others] = template.containers as JsonObject[];
  const env = serviceEnv(service).filter((e) => e.name !== CONFIG_HASH_ENV);
  return { ...service, template: { ...template, containers: [{ ...container, env }, ...others] } };
}

test('the service revision carries the hash of the config files, so adding a participant rolls out a new revision', async () => {
  const service = (app: SynthesizedApp): JsonObject => {
    const resources = (app.json.get('cleanroom') as JsonObject).resource as Record<string, Record<string, JsonObject>>;
    return Object.values(resources.google_cloud_run_v2_service)[0];
  };
  const grownFiles = await readConfigFiles(path.join(tmp, 'grown'));
  expect(configHashOf(service(base))).toBe(configFilesHash(await readConfigFiles(EXAMPLES_DIR)));
  expect(configHashOf(service(withNewco))).toBe(configFilesHash(grownFiles));
  expect(configHashOf(service(withNewco))).not.toBe(configHashOf(service(base)));
  // Only content matters, not the order the files are listed in.
  expect(configFilesHash(Object.fromEntries(Object.entries(grownFiles).reverse()))).toBe(configFilesHash(grownFiles));
});

test('filling in databricks.storage_service_account adds, to each participant stack, only its grants to that account', async () => {
  const account = 'db-uc-storage-0a1b2c@uc-europewest1.iam.gserviceaccount.com';
  const filled = path.join(tmp, 'filled');
  await copyExamples(filled);
  const file = path.join(filled, 'cleanroom.yaml');
  const text = await fs.readFile(file, 'utf8');
  await fs.writeFile(file, text.replace(/^(databricks:\n(?:  .*\n|\s*#.*\n)*?  host: .*\n)/m, `$1  storage_service_account: ${account}\n`));
  const after = synthDefinition(await definitionFromDir(filled));
  for (const [id, json] of base.json) {
    if (id === 'cleanroom') continue;
    const was = (json.resource as Record<string, Record<string, JsonObject>>).google_storage_bucket_iam_member;
    const is = (after.json.get(id)?.resource as Record<string, Record<string, JsonObject>>).google_storage_bucket_iam_member;
    const added = Object.keys(is).filter((name) => !(name in was));
    expect(added.map((name) => is[name].member)).toEqual([`serviceAccount:${account}`, `serviceAccount:${account}`, `serviceAccount:${account}`]);
    for (const name of Object.keys(was)) expect(is[name]).toEqual(was[name]);
    expect(JSON.stringify(after.json.get(id)?.output)).toContain(`granted: ${account}`);
  }
});

test("a participant's databricks.owner owns the Unity Catalog objects of its stack only", async () => {
  const owned = path.join(tmp, 'owned');
  await copyExamples(owned);
  const file = path.join(owned, 'participants', 'advertiser.yaml');
  await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace(/(databricks:\n  host: .*\n)/, '$1  owner: advertiser-admins\n'));
  const app = synthDefinition(await definitionFromDir(owned));
  const owners = (stack: string): Set<unknown> => {
    const resources = (app.json.get(stack) as JsonObject).resource as Record<string, Record<string, JsonObject>>;
    return new Set(['databricks_storage_credential', 'databricks_external_location', 'databricks_catalog'].flatMap((type) => Object.values(resources[type] ?? {}).map((r) => r.owner)));
  };
  expect(owners('participant-advertiser')).toEqual(new Set(['advertiser-admins']));
  expect(owners('participant-measurement')).toEqual(new Set(['${data.databricks_current_user.databricks-deployer.user_name}']));
});

describe('rules across participants', () => {
  let example: CleanroomDefinition;
  beforeAll(async () => {
    example = await definitionFromDir(EXAMPLES_DIR);
  });

  function errorFor(change: (d: CleanroomDefinition) => CleanroomDefinition): string {
    try {
      buildCleanroomApp(Testing.app(), change(example));
    } catch (error) {
      if (error instanceof InvalidPropsError) return error.message;
      throw error;
    }
    throw new Error('expected the definition to be refused');
  }

  test('exactly one keeper, and it is the one named by the clean room', () => {
    expect(errorFor((d) => ({ ...d, participants: d.participants.map((p) => ({ ...p, role: 'collaborator' as const })) }))).toMatch(
      /participants — expected exactly one participant with role "keeper" \(got \[\]\)/,
    );
    expect(errorFor((d) => ({ ...d, participants: d.participants.map((p) => ({ ...p, role: 'keeper' as const })) }))).toMatch(/exactly one participant with role "keeper"/);
    expect(errorFor((d) => ({ ...d, keeper: 'advertiser' }))).toMatch(/keeper — expected the name of the participant with role "keeper" \("publisher"\) \(got "advertiser"\)/);
  });

  test('participant names and buckets are unique, and no participant uses the state bucket', () => {
    const [first, second] = example.participants;
    expect(errorFor((d) => ({ ...d, participants: [...d.participants, { ...second, bucket: 'another-bucket' }] }))).toMatch(/participants\[3\]\.name — expected a participant name used once/);
    expect(errorFor((d) => ({ ...d, participants: [first, { ...second, bucket: first.bucket }] }))).toMatch(/participants\[1\]\.bucket — expected a bucket no other participant uses/);
    expect(errorFor((d) => ({ ...d, participants: [first, { ...second, bucket: d.stateBucket }] }))).toMatch(/participants\[1\]\.bucket — expected a bucket other than the clean room state bucket/);
  });
});

describe('synth from a config folder', () => {
  test('invalid config is refused with the validator message before anything is declared', async () => {
    const broken = path.join(tmp, 'broken');
    await copyExamples(broken);
    const file = path.join(broken, 'participants', 'advertiser.yaml');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('name: advertiser', 'name: Advertiser!'));
    const app = Testing.app();
    const failure = await buildAppFromConfigDir(app, broken).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(/advertiser\.yaml:\d+:\d+/);
    expect((failure as Error).message).toMatch(/name/);
    expect(app.node.children).toHaveLength(0);
  });

  test('`main.ts` writes every stack for a valid folder and exits 1 with the validator message for an invalid one', async () => {
    const out = path.join(tmp, 'out');
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const env = { ...process.env, CDKTF_OUTDIR: out, CLEANROOM_CONFIG_DIR: EXAMPLES_DIR };
    await run(tsx, ['main.ts'], { cwd: REPO_ROOT, env });
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8')) as { stacks: Record<string, unknown> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(['cleanroom', 'participant-advertiser', 'participant-measurement', 'participant-publisher']);

    const invalid = path.join(tmp, 'invalid');
    await copyExamples(invalid);
    await fs.rm(path.join(invalid, 'participants', 'publisher.yaml'));
    const failure = (await run(tsx, ['main.ts'], { cwd: REPO_ROOT, env: { ...env, CLEANROOM_CONFIG_DIR: invalid } }).catch((e: unknown) => e)) as { code?: number; stderr?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/cleanroom\.yaml:\d+:\d+ keeper/);
  });
});
