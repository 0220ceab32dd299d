/**
 * A fake of the Databricks workspace APIs `cleanroom doctor` reads (test code only), on 127.0.0.1:0, answering as the
 * REST API reference documents (https://docs.databricks.com/api/): Unity Catalog current-metastore-assignment,
 * metastore_summary (no `storage_root` for metastores without root storage) and catalogs/{name}; SCIM Me with the
 * caller's groups; cluster policies and SQL warehouses lists; permissions of cluster policies and warehouses
 * (`access_control_list` of `all_permissions`). It says no as Databricks does: 401 without a bearer token, 403
 * PERMISSION_DENIED for another token, 404 METASTORE_DOES_NOT_EXIST / CATALOG_DOES_NOT_EXIST, injected 429 and 503.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAclEntry {
  user_name?: string;
  group_name?: string;
  service_principal_name?: string;
  all_permissions: Array<{ permission_level: string; inherited: boolean }>;
}

export interface FakeWorkspaceState {
  metastore?: { id: string; name: string; storageRoot?: string };
  catalogs: Map<string, { storage_root?: string; isolation_mode?: string; owner?: string }>;
  me: { userName: string; groups: string[] };
  policies: Map<string, { name: string; acl: FakeAclEntry[] }>;
  warehouses: Map<string, { name: string; acl: FakeAclEntry[] }>;
}

export interface FakeDatabricksAdmin {
  readonly host: string;
  readonly token: string;
  readonly state: FakeWorkspaceState;
  readonly requests: string[];
  failNext(path: RegExp, status: 429 | 503, times: number): void;
  close(): Promise<void>;
}

export async function startFakeDatabricksAdmin(options: { token?: string } = {}): Promise<FakeDatabricksAdmin> {
  const token = options.token ?? 'dapi-fake-admin-token';
  const state: FakeWorkspaceState = { catalogs: new Map(), me: { userName: 'ops@publisher.example', groups: ['users'] }, policies: new Map(), warehouses: new Map() };
  const faults: Array<{ path: RegExp; status: number; times: number }> = [];
  const requests: string[] = [];

  const error = (status: number, errorCode: string, message: string): [number, unknown] => [status, { error_code: errorCode, message }];

  function route(path: string): [number, unknown] {
    let m: RegExpMatchArray | null;
    if (path === '/api/2.1/unity-catalog/current-metastore-assignment') {
      if (!state.metastore) return error(404, 'METASTORE_DOES_NOT_EXIST', 'No metastore assigned for the current workspace.');
      return [200, { workspace_id: 1234567890123456, metastore_id: state.metastore.id, default_catalog_name: 'main' }];
    }
    if (path === '/api/2.1/unity-catalog/metastore_summary') {
      if (!state.metastore) return error(404, 'METASTORE_DOES_NOT_EXIST', 'No metastore assigned for the current workspace.');
      const { id, name, storageRoot } = state.metastore;
      return [200, { metastore_id: id, name, ...(storageRoot ? { storage_root: storageRoot } : {}) }];
    }
    if ((m = path.match(/^\/api\/2\.1\/unity-catalog\/catalogs\/([^/]+)$/))) {
      const name = decodeURIComponent(m[1]);
      const catalog = state.catalogs.get(name);
      return catalog ? [200, { name, ...catalog }] : error(404, 'CATALOG_DOES_NOT_EXIST', `Catalog '${name}' does not exist.`);
    }
    if (path === '/api/2.0/preview/scim/v2/Me') {
      return [200, { userName: state.me.userName, groups: state.me.groups.map((display, i) => ({ display, value: String(i + 1) })) }];
    }
    if (path === '/api/2.0/policies/clusters/list') {
      const policies = [...state.policies].map(([policy_id, p]) => ({ policy_id, name: p.name }));
      return [200, policies.length === 0 ? { total_count: 0 } : { policies, total_count: policies.length }];
    }
    if (path === '/api/2.0/sql/warehouses') {
      const warehouses = [...state.warehouses].map(([id, w]) => ({ id, name: w.name }));
      return [200, warehouses.length === 0 ? {} : { warehouses }];
    }
    if ((m = path.match(/^\/api\/2\.0\/permissions\/(cluster-policies|warehouses)\/([^/]+)$/))) {
      const objects = m[1] === 'cluster-policies' ? state.policies : state.warehouses;
      const object = objects.get(decodeURIComponent(m[2]));
      if (!object) return error(404, 'RESOURCE_DOES_NOT_EXIST', `${m[1]} ${m[2]} does not exist.`);
      return [200, { object_id: `/${m[1]}/${m[2]}`, object_type: m[1] === 'cluster-policies' ? 'cluster-policy' : 'warehouses', access_control_list: object.acl }];
    }
    return error(404, 'ENDPOINT_NOT_FOUND', `No API found for 'GET ${path}'`);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    requests.push(path);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fault = faults.find((f) => f.times > 0 && f.path.test(path));
    if (fault) {
      fault.times -= 1;
      send(fault.status, { error_code: fault.status === 429 ? 'REQUEST_LIMIT_EXCEEDED' : 'TEMPORARILY_UNAVAILABLE', message: 'injected' }, { 'Retry-After': '0' });
      return;
    }
    const authorization = req.headers.authorization;
    if (!authorization?.startsWith('Bearer ')) {
      send(401, { error_code: 'UNAUTHENTICATED', message: 'Credential was not sent or was of an unsupported type for this API.' });
      return;
    }
    if (authorization !== `Bearer ${token}`) {
      send(403, { error_code: 'PERMISSION_DENIED', message: 'Invalid access token.' });
      return;
    }
    if (req.method !== 'GET') {
      send(405, { error_code: 'BAD_REQUEST', message: 'only GET is faked' });
      return;
    }
    const [status, body] = route(path);
    send(status, body);
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    token,
    state,
    requests,
    failNext(path, status, times) {
      faults.push({ path, status, times });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
