/**
 * Deploy readiness: what a first `cdktf deploy` on a fresh GCP project and Databricks account needs, asserted on the
 * synthesized JSON (no provider plugins run here, so `terraform validate`/`plan` cannot). Each test names the
 * documented constraint it encodes and links the page that states it. Every test runs on three configs: the example
 * (storage agents, Terraform state and an owner set), the example once the operator filled in
 * `databricks.storage_service_account` and a separate `databricks.runtime_principal`, and a bare config without any
 * of the optional deployment fields.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CLEANROOM_APIS, PARTICIPANT_APIS } from 'cleanroom-runtime/src/doctor/requirements';
import { apisForResourceType } from '../constructs/project-services';
import type { CleanroomDefinition } from '../stacks/cleanroom-app';
import { DEFAULT_WORKSPACE_ROOT } from '../cleanroom-runtime/src/engines/databricks/workspace-notebooks';
import { EXAMPLES_DIR, REPO_ROOT, allStrings, definitionFromDir, entries, ofType, synthDefinition, type JsonObject, type ResourceEntry, type SynthesizedApp } from './support/synth';

const run = promisify(execFile);

const STORAGE_ACCOUNT = 'db-uc-storage-0a1b2c3d@uc-europewest1.iam.gserviceaccount.com';
const RUNTIME_PRINCIPAL = '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab';

interface Variant {
  readonly label: string;
  readonly definition: CleanroomDefinition;
  readonly app: SynthesizedApp;
}

const variants: Variant[] = [];

beforeAll(async () => {
  const example = await definitionFromDir(EXAMPLES_DIR);
  const granted: CleanroomDefinition = { ...example, databricksStorageServiceAccount: STORAGE_ACCOUNT, databricksRuntimePrincipal: RUNTIME_PRINCIPAL };
  const bare: CleanroomDefinition = {
    ...example,
    databricksOwner: undefined,
    terraformState: undefined,
    participants: example.participants.map((p) => ({ ...p, storageServiceAgent: undefined, terraformState: undefined, databricksOwner: undefined })),
  };
  for (const [label, definition] of [['example', example], ['granted', granted], ['bare', bare]] as const) {
    variants.push({ label, definition, app: synthDefinition(definition) });
  }
});

/** Runs `check` on every variant, labelled so a failure says which config broke. */
function eachVariant(check: (variant: Variant) => void): void {
  expect(variants).toHaveLength(3);
  for (const variant of variants) {
    try {
      check(variant);
    } catch (error) {
      (error as Error).message = `[${variant.label} config] ${(error as Error).message}`;
      throw error;
    }
  }
}

const stackProject = (variant: Variant, stack: string): string =>
  stack === 'cleanroom' ? variant.definition.gcpProject : (variant.definition.participants.find((p) => `participant-${p.name}` === stack)?.gcpProject as string);

const ref = (entry: ResourceEntry): string => `${entry.type}.${entry.name}`;
/** The job principals' application ids as Terraform references, in pool order. */
const jobRefs = (cleanroom: ResourceEntry[]): string[] => ofType(cleanroom, 'databricks_service_principal').map((p) => `\${databricks_service_principal.${p.name}.application_id}`);

describe('APIs are enabled before anything uses them', () => {
  // Cloud Run, Cloud Scheduler, Pub/Sub, Secret Manager, IAM and Artifact Registry are off in a new project; a
  // resource created before its API fails. https://cloud.google.com/service-usage/docs/enable-disable
  test('every Google resource and data source depends on a google_project_service enabling its API in its stack project', () => {
    eachVariant((variant) => {
      for (const [stack] of variant.app.json) {
        const services = ofType(entries(variant.app, 'resource', [stack]), 'google_project_service');
        const byApi = new Map(services.map((s) => [String(s.body.service), s]));
        for (const service of services) {
          expect(service.body).toMatchObject({ project: stackProject(variant, stack), disable_on_destroy: false, disable_dependent_services: false });
        }
        const google = [...entries(variant.app, 'resource', [stack]), ...entries(variant.app, 'data', [stack])].filter((e) => e.type.startsWith('google_') && e.type !== 'google_project_service');
        expect(google.length).toBeGreaterThan(0);
        for (const entry of google) {
          const apis = apisForResourceType(entry.type);
          expect({ type: entry.type, apis: apis.length }).not.toEqual({ type: entry.type, apis: 0 });
          for (const api of apis) {
            const service = byApi.get(api);
            expect({ stack, api, declared: service !== undefined }).toEqual({ stack, api, declared: true });
            expect({ entry: ref(entry), dependsOn: entry.body.depends_on }).toEqual({ entry: ref(entry), dependsOn: expect.arrayContaining([ref(service as ResourceEntry)]) });
          }
        }
      }
    });
  });

  test('the clean room project enables Cloud Run, Cloud Scheduler, Pub/Sub, Secret Manager, IAM, Artifact Registry and Cloud Storage; participants Cloud Storage; as `cleanroom doctor` checks', () => {
    eachVariant(({ app }) => {
      const apis = ofType(entries(app, 'resource', ['cleanroom']), 'google_project_service').map((s) => s.body.service);
      for (const api of ['run', 'cloudscheduler', 'pubsub', 'secretmanager', 'iam', 'artifactregistry', 'storage']) expect(apis).toContain(`${api}.googleapis.com`);
      expect([...apis].sort()).toEqual([...CLEANROOM_APIS].sort());
      for (const [stack] of app.json) {
        if (stack === 'cleanroom') continue;
        expect(ofType(entries(app, 'resource', [stack]), 'google_project_service').map((s) => s.body.service)).toEqual([...PARTICIPANT_APIS]);
      }
    });
  });

  // depends_on takes references, never interpolations: https://developer.hashicorp.com/terraform/language/syntax/json#depends_on
  test('every depends_on entry is a plain reference to a declared resource', () => {
    eachVariant(({ app }) => {
      for (const [stack] of app.json) {
        const all = [...entries(app, 'resource', [stack]), ...entries(app, 'data', [stack])];
        const declared = new Set(all.map((e) => (entries(app, 'data', [stack]).includes(e) ? `data.${ref(e)}` : ref(e))));
        for (const entry of all) {
          for (const dependency of (entry.body.depends_on ?? []) as string[]) expect({ entry: ref(entry), dependency, declared: declared.has(dependency) }).toEqual({ entry: ref(entry), dependency, declared: true });
        }
      }
    });
  });
});

describe('the first revision of the runtime starts before the Databricks token exists', () => {
  // A secret environment variable is resolved when an instance starts, and the instance does not start when that
  // fails; a secret mounted as a volume is not checked at start-up and each read fetches the latest version.
  // https://cloud.google.com/run/docs/configuring/services/secrets,
  // https://github.com/hashicorp/terraform-provider-google/issues/10846 (a service referencing `latest` before any
  // version exists cannot be deployed).
  test('no environment variable reads a secret; the token is a file of a secret volume at its latest version', () => {
    eachVariant(({ app }) => {
      const [service] = ofType(entries(app, 'resource', ['cleanroom']), 'google_cloud_run_v2_service');
      const template = service.body.template as JsonObject;
      const [container] = template.containers as JsonObject[];
      expect((container.env as JsonObject[]).filter((e) => e.value_source !== undefined)).toEqual([]);
      const tokenFile = String((container.env as JsonObject[]).find((e) => e.name === 'DATABRICKS_TOKEN_FILE')?.value);
      const volume = (template.volumes as JsonObject[]).find((v) => v.secret !== undefined) as JsonObject;
      const mount = (container.volume_mounts as JsonObject[]).find((m) => m.name === volume.name) as JsonObject;
      const items = (volume.secret as JsonObject).items as JsonObject[];
      expect(items).toEqual([{ version: 'latest', path: path.posix.basename(tokenFile) }]);
      expect(tokenFile).toBe(`${String(mount.mount_path)}/${String(items[0].path)}`);
      // Cloud Run checks at deploy time that the service account may access the secret: the grant comes first.
      const accessor = ofType(entries(app, 'resource', ['cleanroom']), 'google_secret_manager_secret_iam_member')[0];
      expect(service.body.depends_on).toContain(ref(accessor));
    });
  });
});

describe("no stack reads another organisation's project", () => {
  // Reading a project's Cloud Storage service agent needs access to that project; participants publish theirs in
  // their reviewed config instead. https://cloud.google.com/storage/docs/getting-service-agent
  test("every project a stack's resources and data sources name is the stack's own", () => {
    eachVariant((variant) => {
      for (const [stack] of variant.app.json) {
        const own = stackProject(variant, stack);
        const named = [...entries(variant.app, 'resource', [stack]), ...entries(variant.app, 'data', [stack])].filter((e) => e.body.project !== undefined);
        expect(named.length).toBeGreaterThan(0);
        for (const entry of named) expect({ entry: ref(entry), project: entry.body.project }).toEqual({ entry: ref(entry), project: own });
        expect(JSON.stringify(variant.app.json.get(stack))).not.toMatch(/terraform_remote_state/);
      }
    });
  });

  // A notification can be created only once the bucket's service agent may publish to the topic:
  // https://cloud.google.com/storage/docs/reporting-changes
  test('a participant declares its events notification exactly when the clean room grants its published agent publish on the topic', () => {
    eachVariant(({ app, definition }) => {
      const publishers = ofType(entries(app, 'resource', ['cleanroom']), 'google_pubsub_topic_iam_member').map((p) => p.body.member);
      for (const participant of definition.participants) {
        const notifications = ofType(entries(app, 'resource', [`participant-${participant.name}`]), 'google_storage_notification');
        const agent = participant.storageServiceAgent;
        expect(notifications).toHaveLength(agent === undefined ? 0 : 1);
        expect(publishers.includes(`serviceAccount:${String(agent)}`)).toBe(agent !== undefined);
        const output = ((app.json.get(`participant-${participant.name}`) as JsonObject).output as Record<string, JsonObject>).events_notification.value;
        expect(output).toMatch(agent === undefined ? /^pending: gcp\.storage_service_agent is not set/ : /^notifying: /);
        // Its own agent is an output, read from its own project only.
        const [data] = ofType(entries(app, 'data', [`participant-${participant.name}`]), 'google_storage_project_service_account');
        expect(data.body.project).toBe(participant.gcpProject);
      }
    });
  });
});

describe('Unity Catalog paths', () => {
  const locations = (app: SynthesizedApp): string[] => ofType(entries(app), 'databricks_external_location').map((l) => String(l.body.url));
  const within = (url: string, root: string): boolean => `${url.replace(/\/?$/, '/')}`.startsWith(root.replace(/\/?$/, '/'));

  // Metastores of workspaces enabled for Unity Catalog automatically have no root storage, so a catalog without its
  // own storage root cannot be created; a catalog's managed location must lie in an external location.
  // https://docs.databricks.com/gcp/en/connect/unity-catalog/cloud-storage/managed-storage
  test('every created catalog has a storage root inside an external location of its own stack', () => {
    eachVariant(({ app }) => {
      const catalogs = ofType(entries(app), 'databricks_catalog');
      expect(catalogs.length).toBe(app.json.size);
      for (const catalog of catalogs) {
        const root = catalog.body.storage_root;
        expect({ catalog: catalog.body.name, root: typeof root }).toEqual({ catalog: catalog.body.name, root: 'string' });
        const own = ofType(entries(app, 'resource', [catalog.stack]), 'databricks_external_location').map((l) => String(l.body.url));
        expect({ root, covered: own.some((url) => within(String(root), url)) }).toEqual({ root, covered: true });
      }
    });
  });

  // "External locations can't overlap other external locations"; "External tables can't overlap managed storage
  // locations"; "Managed storage locations can't overlap each other": https://docs.databricks.com/gcp/en/volumes/paths
  // All stacks are checked together: the keeper's workspace may share the clean room's metastore.
  test('no two external locations of any stacks overlap, and no external table overlaps a catalog storage root', () => {
    eachVariant(({ app }) => {
      const urls = locations(app);
      expect(urls.length).toBeGreaterThan(0);
      for (const [i, a] of urls.entries()) {
        for (const b of urls.slice(i + 1)) expect({ a, b, overlap: within(a, b) || within(b, a) }).toEqual({ a, b, overlap: false });
      }
      const roots = ofType(entries(app), 'databricks_catalog').map((c) => String(c.body.storage_root));
      for (const table of ofType(entries(app), 'databricks_sql_table')) {
        const location = String(table.body.storage_location);
        expect(urls.some((url) => within(location, url))).toBe(true);
        for (const root of roots) expect({ location, root, overlap: within(location, root) || within(root, location) }).toEqual({ location, root, overlap: false });
      }
    });
  });

  // Datasets and job results are reached through external locations; an external location over a bucket root would
  // overlap the participant's own: https://docs.databricks.com/gcp/en/volumes/paths
  test("the clean room's locations cover exactly the dataset and output folders of each participant, its catalog's storage and its staging", () => {
    eachVariant(({ app, definition }) => {
      const mine = ofType(entries(app, 'resource', ['cleanroom']), 'databricks_external_location').map((l) => String(l.body.url)).sort();
      expect(mine).toEqual([
        ...definition.participants.flatMap((p) => [`gs://${p.bucket}/input/`, `gs://${p.bucket}/output/`]),
        `gs://${definition.stateBucket}/catalog/`,
        `gs://${definition.stateBucket}/staging/`,
      ].sort());
    });
  });
});

describe("the clean room's own catalog", () => {
  // Datasets registered in the warehouse's default catalog could land in hive_metastore, outside Unity Catalog's
  // external locations. https://docs.databricks.com/gcp/en/catalogs/create-catalog (workspace-bound catalogs:
  // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/catalog#isolation_mode)
  test('is declared isolated to the clean room workspace, with its storage in the state bucket, and its name reaches the runtime', () => {
    eachVariant(({ app, definition }) => {
      const [catalog] = ofType(entries(app, 'resource', ['cleanroom']), 'databricks_catalog');
      expect(catalog.body).toMatchObject({ name: definition.databricksCatalog, isolation_mode: 'ISOLATED', storage_root: `gs://${definition.stateBucket}/catalog/` });
      const [service] = ofType(entries(app, 'resource', ['cleanroom']), 'google_cloud_run_v2_service');
      const env = ((service.body.template as JsonObject).containers as JsonObject[])[0].env as JsonObject[];
      expect(env).toContainEqual({ name: 'CLEANROOM_DATABRICKS_CATALOG', value: definition.databricksCatalog });
      const grants = ofType(entries(app, 'resource', ['cleanroom']), 'databricks_grants').find((g) => g.body.catalog !== undefined) as ResourceEntry;
      expect(grants.body.catalog).toBe(`\${databricks_catalog.${catalog.name}.name}`);
      const principal = definition.databricksRuntimePrincipal ?? '${data.databricks_current_user.databricks-deployer.user_name}';
      // The runtime creates schemas and tables; a job principal may only enter the catalog: privileges on a catalog are
      // inherited by every schema and table in it (https://docs.databricks.com/gcp/en/data-governance/unity-catalog/access-control/permissions-concepts),
      // so SELECT here would let any run read every dataset. The runtime grants a run's reads for the run only.
      expect(grants.body.grant).toEqual([
        { principal, privileges: ['USE_CATALOG', 'CREATE_SCHEMA'] },
        ...jobRefs(entries(app, 'resource', ['cleanroom'])).map((job) => ({ principal: job, privileges: ['USE_CATALOG'] })),
      ]);
    });
  });
});

describe("the principals' access to compute and to the workspace folder", () => {
  // Policies have access control lists limiting their use; admins may use every policy:
  // https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/cluster_policy; warehouse and
  // folder ACLs: https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/permissions. A run
  // is checked against the ACLs of its compute and notebooks as its Run-as identity:
  // https://docs.databricks.com/en/jobs/privileges.html
  test('every cluster policy: CAN_USE for each job principal and the configured runtime principal; the warehouse: the runtime principal only', () => {
    eachVariant(({ app, definition }) => {
      const cleanroom = entries(app, 'resource', ['cleanroom']);
      const permissions = ofType(cleanroom, 'databricks_permissions');
      const jobs = jobRefs(cleanroom).map((job) => ({ service_principal_name: job, permission_level: 'CAN_USE' }));
      expect(jobs).toHaveLength(definition.databricksJobPrincipals ?? 0);
      const runtime = definition.databricksRuntimePrincipal === undefined ? [] : [{ service_principal_name: RUNTIME_PRINCIPAL, permission_level: 'CAN_USE' }];
      const policies = ofType(cleanroom, 'databricks_cluster_policy');
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies) {
        const acl = permissions.filter((p) => p.body.cluster_policy_id === `\${databricks_cluster_policy.${policy.name}.id}`);
        expect(acl.map((p) => p.body.access_control)).toEqual([[...runtime, ...jobs]]);
      }
      const warehouseAcl = permissions.filter((p) => p.body.sql_endpoint_id !== undefined);
      // The deployer owns the warehouse; otherwise only the runtime principal may use it (the job principal never).
      expect(warehouseAcl.map((p) => p.body.access_control)).toEqual(runtime.length === 0 ? [] : [runtime]);
    });
  });

  test('the workspace folder the runtime imports into: each job principal reads it, the configured runtime principal manages it', () => {
    eachVariant(({ app, definition }) => {
      const cleanroom = entries(app, 'resource', ['cleanroom']);
      const [folder, ...others] = ofType(cleanroom, 'databricks_directory');
      expect(others).toEqual([]);
      expect(folder!.body.path).toBe('/Cleanroom');
      const acl = ofType(cleanroom, 'databricks_permissions').filter((p) => p.body.directory_path !== undefined);
      expect(acl.map((p) => p.body.directory_path)).toEqual([`\${databricks_directory.${folder!.name}.path}`]);
      expect(acl[0]!.body.access_control).toEqual([
        ...jobRefs(cleanroom).map((job) => ({ service_principal_name: job, permission_level: 'CAN_READ' })),
        ...(definition.databricksRuntimePrincipal === undefined ? [] : [{ service_principal_name: RUNTIME_PRINCIPAL, permission_level: 'CAN_MANAGE' }]),
      ]);
    });
  });
});

describe('labels', () => {
  // Cluster custom tags become GCE labels (https://docs.databricks.com/gcp/en/admin/account-settings/usage-detail-tags),
  // whose values are lowercase letters, digits, `_` and `-`, 63 at most
  // (https://cloud.google.com/compute/docs/labeling-resources#requirements).
  const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
  const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;

  test("policies' custom tags, the warehouse's tags and every Google resource's labels are valid GCE labels", () => {
    eachVariant(({ app }) => {
      for (const policy of ofType(entries(app), 'databricks_cluster_policy')) {
        const rules = JSON.parse(String(policy.body.definition)) as Record<string, JsonObject>;
        const tags = Object.entries(rules).filter(([key]) => key.startsWith('custom_tags.'));
        expect(tags.length).toBeGreaterThan(0);
        for (const [key, rule] of tags) {
          expect({ key, keyOk: LABEL_KEY.test(key.slice('custom_tags.'.length)) }).toEqual({ key, keyOk: true });
          expect({ key, value: rule.value, ok: LABEL_VALUE.test(String(rule.value)) }).toEqual({ key, value: rule.value, ok: true });
        }
      }
      for (const warehouse of ofType(entries(app), 'databricks_sql_endpoint')) {
        for (const tag of ((warehouse.body.tags as JsonObject).custom_tags as JsonObject[])) {
          expect(LABEL_KEY.test(String(tag.key)) && LABEL_VALUE.test(String(tag.value))).toBe(true);
        }
      }
      for (const entry of entries(app).filter((e) => e.type.startsWith('google_') && e.body.labels !== undefined)) {
        for (const [key, value] of Object.entries(entry.body.labels as Record<string, string>)) {
          expect({ entry: ref(entry), key, value, ok: LABEL_KEY.test(key) && LABEL_VALUE.test(value) }).toEqual({ entry: ref(entry), key, value, ok: true });
        }
      }
    });
  });
});

describe('ownership and grants', () => {
  // Unity Catalog objects are owned by their creator unless set; the owner holds every privilege and can grant any:
  // https://docs.databricks.com/gcp/en/data-governance/unity-catalog/manage-privileges/ownership
  test('every storage credential, external location and catalog names its owner, never the runtime principal', () => {
    eachVariant(({ app, definition }) => {
      const securables = entries(app).filter((e) => ['databricks_storage_credential', 'databricks_external_location', 'databricks_catalog'].includes(e.type));
      expect(securables.length).toBeGreaterThan(0);
      for (const securable of securables) {
        expect({ securable: ref(securable), owner: typeof securable.body.owner }).toEqual({ securable: ref(securable), owner: 'string' });
        if (definition.databricksRuntimePrincipal !== undefined) expect(securable.body.owner).not.toBe(definition.databricksRuntimePrincipal);
      }
      const cleanroomOwners = new Set(securables.filter((s) => s.stack === 'cleanroom').map((s) => s.body.owner));
      expect(cleanroomOwners).toEqual(new Set([definition.databricksOwner ?? '${data.databricks_current_user.databricks-deployer.user_name}']));
    });
  });

  // IAM Conditions on bucket grants require uniform bucket-level access: https://cloud.google.com/storage/docs/access-control/iam#conditions
  test('every conditioned bucket grant is on a bucket with uniform access, and names objects of that bucket only', () => {
    eachVariant(({ app, definition }) => {
      const buckets = [definition.stateBucket, ...definition.participants.map((p) => p.bucket)];
      for (const bucket of ofType(entries(app), 'google_storage_bucket')) expect(bucket.body.uniform_bucket_level_access).toBe(true);
      const conditioned = ofType(entries(app), 'google_storage_bucket_iam_member').filter((g) => g.body.condition !== undefined);
      expect(conditioned.length).toBeGreaterThan(0);
      for (const grant of conditioned) {
        expect(buckets).toContain(grant.body.bucket);
        const expression = String((grant.body.condition as JsonObject).expression);
        const named = [...expression.matchAll(/projects\/_\/buckets\/([^/]+)\/objects\//g)].map((m) => m[1]);
        expect(new Set(named)).toEqual(new Set([grant.body.bucket]));
      }
    });
  });
});

describe('Terraform state', () => {
  let outdir: string;
  let bareDir: string;

  beforeAll(async () => {
    outdir = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-state-'));
    bareDir = path.join(outdir, 'bare-config');
    await fs.cp(EXAMPLES_DIR, bareDir, { recursive: true });
    // The same clean room without any terraform_state: every stack falls back to a local state file.
    for (const file of ['cleanroom.yaml', ...(await fs.readdir(path.join(bareDir, 'participants'))).map((f) => `participants/${f}`)]) {
      const text = await fs.readFile(path.join(bareDir, file), 'utf8');
      await fs.writeFile(path.join(bareDir, file), text.replace(/^terraform_state:\n(  .*\n)+/m, ''));
    }
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    await run(tsx, ['main.ts'], { cwd: REPO_ROOT, env: { ...process.env, CDKTF_OUTDIR: path.join(outdir, 'example'), CLEANROOM_CONFIG_DIR: EXAMPLES_DIR } });
    await run(tsx, ['main.ts'], { cwd: REPO_ROOT, env: { ...process.env, CDKTF_OUTDIR: path.join(outdir, 'bare'), CLEANROOM_CONFIG_DIR: bareDir } });
  });

  afterAll(async () => {
    await fs.rm(outdir, { recursive: true, force: true });
  });

  async function synthesized(run: 'example' | 'bare'): Promise<Map<string, string>> {
    const stacks = path.join(outdir, run, 'stacks');
    const out = new Map<string, string>();
    for (const stack of await fs.readdir(stacks)) out.set(stack, await fs.readFile(path.join(stacks, stack, 'cdk.tf.json'), 'utf8'));
    return out;
  }

  // Each stack owner keeps its state in its own bucket with the GCS backend:
  // https://developer.hashicorp.com/terraform/language/backend/gcs (`bucket`, `prefix`).
  test("each stack's backend is its owner's GCS bucket, with one prefix per stack", async () => {
    const definition = await definitionFromDir(EXAMPLES_DIR);
    const stacks = await synthesized('example');
    expect([...stacks.keys()].sort()).toEqual(['cleanroom', ...definition.participants.map((p) => `participant-${p.name}`)].sort());
    for (const [stack, text] of stacks) {
      const owner = stack === 'cleanroom' ? definition.terraformState : definition.participants.find((p) => `participant-${p.name}` === stack)?.terraformState;
      expect(owner).toBeDefined();
      expect((JSON.parse(text) as { terraform: JsonObject }).terraform.backend).toEqual({ gcs: { bucket: owner?.bucket, prefix: `cleanroom/${definition.name}/${stack}` } });
    }
  });

  // Synthesized files are reviewed and shared: nothing in them may depend on the machine that synthesized them.
  test('no synthesized file names a path of the synthesizing machine; without a bucket the state file path is relative', async () => {
    for (const runName of ['example', 'bare'] as const) {
      for (const [stack, text] of await synthesized(runName)) {
        for (const machinePath of [REPO_ROOT, os.tmpdir(), os.homedir()]) expect({ runName, stack, machinePath, found: text.includes(machinePath) }).toEqual({ runName, stack, machinePath, found: false });
        const backend = (JSON.parse(text) as { terraform: JsonObject }).terraform.backend as JsonObject;
        if (runName === 'bare') {
          // Terraform runs in cdktf.out/stacks/<stack>: the file lands next to cdktf.json.
          expect(backend).toEqual({ local: { path: `../../../terraform.${stack}.tfstate` } });
        }
        // The only absolute paths are inside the runtime's container (its mounts) or the Databricks workspace folder,
        // never on this machine.
        const absolute = allStrings(JSON.parse(text) as JsonObject).filter((s) => /^\/[^/]/.test(s));
        expect(absolute.filter((s) => !s.startsWith('/mnt/state') && !s.startsWith('/run/secrets/') && s !== DEFAULT_WORKSPACE_ROOT)).toEqual([]);
      }
    }
  });

  test('.gitignore keeps local state, its backups and Terraform working folders out of the repository', async () => {
    const ignored = (await fs.readFile(path.join(REPO_ROOT, '.gitignore'), 'utf8')).split('\n').map((l) => l.trim());
    for (const pattern of ['*.tfstate', '*.tfstate.*', '.terraform/', 'cdktf.out/']) expect(ignored).toContain(pattern);
  });
});
