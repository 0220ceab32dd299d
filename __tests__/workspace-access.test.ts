/**
 * The clean room workspace's token permissions and `users` entitlements, asserted on the synthesized clean room stack:
 * a job principal can neither mint a personal access token (which would outlive its run) nor inherit Databricks SQL
 * access from `users`.
 *
 * Token permissions: https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/permissions#token-usage
 * (`authorization = "tokens"`, only CAN_USE for non-admins, one such resource per workspace, authoritative) and
 * https://docs.databricks.com/security/auth/api-access-permissions.html (admins always CAN_MANAGE; principals left out
 * lose token authentication and their tokens). Entitlements: https://docs.databricks.com/security/auth/entitlements.html
 * (every principal is a member of `users`, which holds Databricks SQL access by default) and
 * https://registry.terraform.io/providers/databricks/databricks/latest/docs/resources/entitlements.
 */
import { Testing } from 'cdktf';
import { InvalidPropsError } from '../constructs/validation';
import { CleanroomWorkspaceAccess, runtimeGroupName } from '../constructs/workspace-access';
import type { CleanroomDefinition } from '../stacks/cleanroom-app';
import { EXAMPLES_DIR, allStrings, definitionFromDir, entries, ofType, synthDefinition, type JsonObject, type ResourceEntry } from './support/synth';

const SERVICE_PRINCIPAL = '6b1f0c2e-4d3a-4b5c-9e8f-0123456789ab';
const USER = 'runtime@example.com';

let example: CleanroomDefinition;
beforeAll(async () => {
  example = await definitionFromDir(EXAMPLES_DIR);
});

interface Synthesized {
  readonly resources: ResourceEntry[];
  readonly data: ResourceEntry[];
}

function synthCleanroom(definition: CleanroomDefinition): Synthesized {
  const app = synthDefinition(definition);
  return { resources: entries(app, 'resource', ['cleanroom']), data: entries(app, 'data', ['cleanroom']) };
}

const tokenAcls = (s: Synthesized): JsonObject[] => ofType(s.resources, 'databricks_permissions').map((p) => p.body).filter((p) => p.authorization === 'tokens');
const runtimeGroup = (s: Synthesized): ResourceEntry => {
  const groups = ofType(s.resources, 'databricks_group');
  expect(groups).toHaveLength(1);
  return groups[0];
};

describe.each([
  ['a service principal', SERVICE_PRINCIPAL, 'databricks_service_principal', { application_id: SERVICE_PRINCIPAL }],
  ['a user', USER, 'databricks_user', { user_name: USER }],
])('with the runtime principal %s', (_kind, principal, lookupType, lookup) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthCleanroom({ ...example, databricksJobPrincipals: 3, databricksRuntimePrincipal: principal });
  });

  test('one token ACL for the workspace, naming only the runtime group, which the runtime principal is the one member of', () => {
    const group = runtimeGroup(s);
    expect(group.body).toEqual({
      display_name: runtimeGroupName(example.name),
      workspace_access: true,
      databricks_sql_access: true,
      allow_cluster_create: false,
      allow_instance_pool_create: false,
    });
    const members = ofType(s.resources, 'databricks_group_member');
    const inRuntimeGroup = members.filter((m) => m.body.group_id === `\${databricks_group.${group.name}.id}`);
    expect(tokenAcls(s)).toEqual([
      {
        authorization: 'tokens',
        access_control: [{ group_name: `\${databricks_group.${group.name}.display_name}`, permission_level: 'CAN_USE' }],
        depends_on: inRuntimeGroup.map((m) => `databricks_group_member.${m.name}`),
      },
    ]);
    const lookups = ofType(s.data, lookupType);
    expect(lookups.map((l) => l.body)).toEqual([lookup]);
    // The runtime principal is in its group and, to see every job and run (https://docs.databricks.com/jobs/privileges.html),
    // a workspace admin: it deletes and cancels what a job principal left behind before lending it again.
    const admins = ofType(s.data, 'databricks_group').find((g) => g.body.display_name === 'admins')!;
    expect(members.map((m) => m.body)).toEqual(expect.arrayContaining([
      { group_id: `\${databricks_group.${group.name}.id}`, member_id: `\${data.${lookupType}.${lookups[0].name}.id}` },
      { group_id: `\${data.databricks_group.${admins.name}.id}`, member_id: `\${data.${lookupType}.${lookups[0].name}.id}` },
    ]));
    expect(members).toHaveLength(2);
  });

  test('no job principal may use tokens, directly or through a group, nor is one a member of the runtime group', () => {
    const jobPrincipals = ofType(s.resources, 'databricks_service_principal');
    expect(jobPrincipals).toHaveLength(3);
    const refs = jobPrincipals.map((p) => `databricks_service_principal.${p.name}`);
    const tokenStrings = tokenAcls(s).flatMap((acl) => allStrings(acl));
    const memberStrings = ofType(s.resources, 'databricks_group_member').flatMap((m) => allStrings(m.body));
    for (const text of [...tokenStrings, ...memberStrings]) {
      for (const ref of refs) expect(text).not.toContain(ref);
      expect(text).not.toContain('service_principal_name');
    }
    // The ACL's only group is the runtime's, not `users` (which every job principal belongs to).
    const groups = tokenAcls(s).flatMap((acl) => (acl.access_control as JsonObject[]).map((entry) => entry.group_name));
    expect(groups).toEqual([`\${databricks_group.${runtimeGroup(s).name}.display_name}`]);
  });

  test('`users` grants no Databricks SQL access, so the job principals\' own `databricks_sql_access = false` holds', () => {
    const users = ofType(s.data, 'databricks_group').filter((g) => g.body.display_name !== 'admins');
    expect(users.map((u) => u.body)).toEqual([{ display_name: 'users' }]);
    expect(ofType(s.resources, 'databricks_entitlements').map((e) => e.body)).toEqual([
      {
        group_id: `\${data.databricks_group.${users[0].name}.id}`,
        workspace_access: true,
        databricks_sql_access: false,
        allow_cluster_create: false,
        allow_instance_pool_create: false,
      },
    ]);
    for (const p of ofType(s.resources, 'databricks_service_principal')) expect(p.body.databricks_sql_access).toBe(false);
  });
});

test('with the deployer as the runtime (an admin), the token ACL still names only the runtime group, which has no member', () => {
  const s = synthCleanroom(example);
  expect(example.databricksRuntimePrincipal).toBeUndefined();
  const group = runtimeGroup(s);
  expect(tokenAcls(s)).toEqual([
    { authorization: 'tokens', access_control: [{ group_name: `\${databricks_group.${group.name}.display_name}`, permission_level: 'CAN_USE' }] },
  ]);
  expect(ofType(s.resources, 'databricks_group_member')).toEqual([]);
  expect(ofType(s.data, 'databricks_service_principal')).toEqual([]);
  expect(ofType(s.data, 'databricks_user')).toEqual([]);
});

test('the participant stacks declare no token ACL: only the clean room workspace is the clean room\'s own', () => {
  const app = synthDefinition({ ...example, databricksRuntimePrincipal: SERVICE_PRINCIPAL });
  const all = entries(app, 'resource');
  const tokens = ofType(all, 'databricks_permissions').filter((p) => p.body.authorization === 'tokens');
  expect(tokens.map((t) => t.stack)).toEqual(['cleanroom']);
  expect(ofType(all, 'databricks_entitlements').map((e) => e.stack)).toEqual(['cleanroom']);
});

test('a runtime principal that is neither an application id nor an email is refused before anything is declared', () => {
  for (const bad of ['users', 'admins', '${var.x}', 'not an id']) {
    let refused: unknown;
    try {
      new CleanroomWorkspaceAccess(Testing.app(), 'access', { cleanroomName: 'retail-media', runtimePrincipal: bad });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(InvalidPropsError);
    expect((refused as Error).message).toContain('runtimePrincipal');
  }
});
