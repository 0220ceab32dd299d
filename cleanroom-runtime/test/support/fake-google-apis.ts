/**
 * A fake of the Google Cloud REST APIs `cleanroom doctor` reads (test code only), on 127.0.0.1:0, every service under
 * `/<service>/` (see `rootsUnder`). It answers as the API references document:
 * - Service Usage services.get: `{ name: "projects/<number>/services/<api>", state: ENABLED | DISABLED }`;
 * - Resource Manager projects.testIamPermissions: the subset of the asked permissions the caller holds, the field
 *   left out when none (proto3 JSON);
 * - Cloud Storage buckets.get, notifications.list (`items` left out when none), projects.serviceAccount.get;
 * - Cloud Run services.get (`terminalCondition`), Cloud Scheduler jobs.get (`lastAttemptTime`, `status`),
 *   Secret Manager versions.get of `latest` (the most recent version; NOT_FOUND when there is none).
 * And it says no as they do: 401 UNAUTHENTICATED for a wrong token, 403 PERMISSION_DENIED, 403 with ErrorInfo reason
 * SERVICE_DISABLED when the API is off in the project (https://cloud.google.com/apis/design/errors), 404, and injected
 * 429 (with Retry-After) and 5xx.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeProject {
  readonly id: string;
  readonly number: string;
  /** APIs enabled in the project. */
  readonly enabled: Set<string>;
  /** Permissions the caller holds on the project. */
  readonly granted: Set<string>;
}

export interface FakeBucket {
  readonly name: string;
  readonly project: string;
  uniformAccess: boolean;
  /** Whether the caller may read the bucket's metadata and notifications. */
  callerMayRead: boolean;
  notifications: Array<{ topic: string; event_types: string[]; object_name_prefix: string; payload_format: string }>;
}

export interface FakeFault {
  readonly path: RegExp;
  readonly status: 429 | 500 | 503;
  times: number;
  readonly retryAfter?: string;
}

export interface FakeGoogleApis {
  readonly root: string;
  readonly token: string;
  readonly requests: Array<{ method: string; path: string; fault?: number }>;
  addProject(id: string, number: string, options?: { enabled?: string[]; granted?: string[] }): FakeProject;
  project(id: string): FakeProject;
  addBucket(bucket: Omit<FakeBucket, 'notifications' | 'callerMayRead' | 'uniformAccess'> & Partial<FakeBucket>): FakeBucket;
  setService(project: string, region: string, name: string, terminalCondition: { state: string; message?: string }): void;
  setJob(project: string, region: string, name: string, job: { state?: string; lastAttemptTime?: string; status?: { code: number; message?: string } }): void;
  addSecretVersion(project: string, secret: string, state: 'ENABLED' | 'DISABLED' | 'DESTROYED'): void;
  createSecret(project: string, secret: string): void;
  injectFault(fault: FakeFault): void;
  close(): Promise<void>;
}

/** Which API each fake service path belongs to (for SERVICE_DISABLED). */
const API_OF: Record<string, string> = {
  serviceusage: 'serviceusage.googleapis.com',
  cloudresourcemanager: 'cloudresourcemanager.googleapis.com',
  storage: 'storage.googleapis.com',
  run: 'run.googleapis.com',
  cloudscheduler: 'cloudscheduler.googleapis.com',
  secretmanager: 'secretmanager.googleapis.com',
};

class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

function googleError(code: number, status: string, message: string, extra: Record<string, unknown> = {}): Answer {
  return new Answer(code, { error: { code, message, status, ...extra } });
}

export async function startFakeGoogleApis(options: { token?: string } = {}): Promise<FakeGoogleApis> {
  const token = options.token ?? 'ya29.fake-google-token';
  const projects = new Map<string, FakeProject>();
  const buckets = new Map<string, FakeBucket>();
  const services = new Map<string, { state: string; message?: string }>();
  const jobs = new Map<string, { state?: string; lastAttemptTime?: string; status?: { code: number; message?: string } }>();
  const secrets = new Map<string, Array<{ state: string }>>();
  const faults: FakeFault[] = [];
  const requests: FakeGoogleApis['requests'] = [];

  const projectOr403 = (id: string): FakeProject | Answer =>
    projects.get(id) ?? googleError(403, 'PERMISSION_DENIED', `Permission denied on resource project ${id} (or it may not exist).`);

  /** The API of `service` must be on in the project the request is about. */
  const disabled = (project: FakeProject, service: string): Answer | undefined => {
    const api = API_OF[service];
    if (project.enabled.has(api)) return undefined;
    return googleError(403, 'PERMISSION_DENIED', `${api} has not been used in project ${project.number} before or it is disabled.`, {
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service: api, consumer: `projects/${project.number}` } }],
    });
  };

  function route(method: string, service: string, path: string, body: unknown): Answer {
    let m: RegExpMatchArray | null;
    if (service === 'serviceusage' && method === 'GET' && (m = path.match(/^\/v1\/projects\/([^/]+)\/services\/([^/]+)$/))) {
      const project = projectOr403(decodeURIComponent(m[1]));
      if (project instanceof Answer) return project;
      const off = disabled(project, service);
      if (off) return off;
      const api = decodeURIComponent(m[2]);
      return new Answer(200, { name: `projects/${project.number}/services/${api}`, parent: `projects/${project.number}`, config: { name: api }, state: project.enabled.has(api) ? 'ENABLED' : 'DISABLED' });
    }
    if (service === 'cloudresourcemanager' && method === 'POST' && (m = path.match(/^\/v1\/projects\/([^/:]+):testIamPermissions$/))) {
      const project = projectOr403(decodeURIComponent(m[1]));
      if (project instanceof Answer) return project;
      const off = disabled(project, service);
      if (off) return off;
      const asked = (body as { permissions?: unknown }).permissions;
      if (!Array.isArray(asked) || asked.length > 100) return googleError(400, 'INVALID_ARGUMENT', 'permissions: a list of at most 100 permissions');
      const granted = asked.filter((p): p is string => typeof p === 'string' && project.granted.has(p));
      return new Answer(200, granted.length === 0 ? {} : { permissions: granted });
    }
    if (service === 'storage' && method === 'GET' && (m = path.match(/^\/storage\/v1\/projects\/([^/]+)\/serviceAccount$/))) {
      const project = projectOr403(decodeURIComponent(m[1]));
      if (project instanceof Answer) return project;
      return new Answer(200, { kind: 'storage#serviceAccount', email_address: `service-${project.number}@gs-project-accounts.iam.gserviceaccount.com` });
    }
    if (service === 'storage' && method === 'GET' && (m = path.match(/^\/storage\/v1\/b\/([^/]+)(\/notificationConfigs)?$/))) {
      const bucket = buckets.get(decodeURIComponent(m[1]));
      if (!bucket) return new Answer(404, { error: { code: 404, message: 'The specified bucket does not exist.', errors: [{ domain: 'global', reason: 'notFound', message: 'The specified bucket does not exist.' }] } });
      if (!bucket.callerMayRead) {
        const message = `caller does not have storage.buckets.get access to the Google Cloud Storage bucket. Permission 'storage.buckets.get' denied on resource (or it may not exist).`;
        return new Answer(403, { error: { code: 403, message, errors: [{ domain: 'global', reason: 'forbidden', message }] } });
      }
      if (m[2]) {
        const items = bucket.notifications.map((n, i) => ({ kind: 'storage#notification', id: String(i + 1), ...n }));
        return new Answer(200, items.length === 0 ? { kind: 'storage#notifications' } : { kind: 'storage#notifications', items });
      }
      return new Answer(200, { kind: 'storage#bucket', name: bucket.name, iamConfiguration: { uniformBucketLevelAccess: { enabled: bucket.uniformAccess } } });
    }
    const located = path.match(/^\/v[12]\/projects\/([^/]+)\/locations\/([^/]+)\/(services|jobs)\/([^/]+)$/);
    if ((service === 'run' || service === 'cloudscheduler') && method === 'GET' && located) {
      const project = projectOr403(decodeURIComponent(located[1]));
      if (project instanceof Answer) return project;
      const off = disabled(project, service);
      if (off) return off;
      const key = `${project.id}/${decodeURIComponent(located[2])}/${decodeURIComponent(located[4])}`;
      const name = `projects/${project.id}/locations/${located[2]}/${located[3]}/${located[4]}`;
      if (service === 'run' && located[3] === 'services') {
        const condition = services.get(key);
        return condition ? new Answer(200, { name, terminalCondition: { type: 'Ready', ...condition } }) : googleError(404, 'NOT_FOUND', `Resource '${located[4]}' of kind 'SERVICE' in region '${located[2]}' in project '${project.id}' does not exist.`);
      }
      if (service === 'cloudscheduler' && located[3] === 'jobs') {
        const job = jobs.get(key);
        return job ? new Answer(200, { name, ...job }) : googleError(404, 'NOT_FOUND', 'Job not found.');
      }
    }
    if (service === 'secretmanager' && method === 'GET' && (m = path.match(/^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/latest$/))) {
      const project = projectOr403(decodeURIComponent(m[1]));
      if (project instanceof Answer) return project;
      const off = disabled(project, service);
      if (off) return off;
      const versions = secrets.get(`${project.id}/${decodeURIComponent(m[2])}`);
      if (!versions) return googleError(404, 'NOT_FOUND', `Secret [projects/${project.number}/secrets/${m[2]}] not found or has no versions.`);
      if (versions.length === 0) return googleError(404, 'NOT_FOUND', `Secret Version [projects/${project.number}/secrets/${m[2]}/versions/latest] not found.`);
      const latest = versions.length;
      return new Answer(200, { name: `projects/${project.number}/secrets/${m[2]}/versions/${latest}`, state: versions[latest - 1].state });
    }
    return googleError(404, 'NOT_FOUND', `no such method: ${method} ${service}${path}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, service, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const method = req.method ?? 'GET';
    const send = (answer: Answer, headers: Record<string, string> = {}): void => {
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(answer.body));
    };
    const fault = faults.find((f) => f.times > 0 && f.path.test(`/${service}${path}`));
    requests.push({ method, path: `/${service}${path}`, ...(fault ? { fault: fault.status } : {}) });
    if (fault) {
      fault.times -= 1;
      send(googleError(fault.status, fault.status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE', 'injected'), fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.'));
      return;
    }
    let body: unknown = {};
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
        return;
      }
    }
    if (!(service in API_OF)) {
      send(googleError(404, 'NOT_FOUND', 'unknown service'));
      return;
    }
    send(route(method, service, path, body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    root: `http://127.0.0.1:${port}`,
    token,
    requests,
    addProject(id, number, opts = {}) {
      const project: FakeProject = { id, number, enabled: new Set(opts.enabled ?? []), granted: new Set(opts.granted ?? []) };
      projects.set(id, project);
      return project;
    },
    project(id) {
      const project = projects.get(id);
      if (!project) throw new Error(`no fake project ${id}`);
      return project;
    },
    addBucket(bucket) {
      const full: FakeBucket = { uniformAccess: true, callerMayRead: true, notifications: [], ...bucket };
      buckets.set(full.name, full);
      return full;
    },
    setService(project, region, name, terminalCondition) {
      services.set(`${project}/${region}/${name}`, terminalCondition);
    },
    setJob(project, region, name, job) {
      jobs.set(`${project}/${region}/${name}`, job);
    },
    createSecret(project, secret) {
      if (!secrets.has(`${project}/${secret}`)) secrets.set(`${project}/${secret}`, []);
    },
    addSecretVersion(project, secret, state) {
      const versions = secrets.get(`${project}/${secret}`) ?? [];
      versions.push({ state });
      secrets.set(`${project}/${secret}`, versions);
    },
    injectFault(fault) {
      faults.push(fault);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
