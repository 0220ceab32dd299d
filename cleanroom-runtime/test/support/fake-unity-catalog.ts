/**
 * The slice of Unity Catalog's REST API the engine uses for per-run access (test code only), inside the fake
 * workspace: external volumes (https://docs.databricks.com/api/workspace/volumes/create, get, delete) and grants
 * (https://docs.databricks.com/api/workspace/grants/update). It says no as Databricks does:
 * - only an object's owner (or its schema's or catalog's owner) changes its grants
 *   (https://docs.databricks.com/gcp/en/dev-tools/cli/reference/grants-commands): PERMISSION_DENIED otherwise;
 * - a privilege that does not apply to the securable type is refused (SELECT on a table, USE_SCHEMA on a schema,
 *   READ_VOLUME / WRITE_VOLUME on a volume: https://docs.databricks.com/gcp/en/data-governance/unity-catalog/manage-privileges/privileges);
 * - a principal the workspace does not know is refused; a securable that does not exist is 404;
 * - an external volume must lie inside an external location on which the caller has CREATE EXTERNAL VOLUME, in a
 *   schema that exists, and may not overlap another volume
 *   (https://docs.databricks.com/sql/language-manual/sql-ref-syntax-ddl-create-volume.html,
 *   https://docs.databricks.com/aws/volumes/paths); a name already taken is 409;
 * - dropping an external volume removes it and its grants, never its files
 *   (https://docs.databricks.com/en/sql/language-manual/sql-ref-syntax-ddl-drop-volume.html).
 * It also answers what a principal could do right now (read a table, write a path), for tests to hold runs to, the
 * way Unity Catalog decides it (https://docs.databricks.com/gcp/en/data-governance/unity-catalog/access-control/permissions-concepts):
 * - privileges inherit downward: one granted on the catalog holds on every schema, table and volume in it, one granted
 *   on a schema on everything in that schema, now and later;
 * - ALL_PRIVILEGES holds every privilege that applies below it, MANAGE excepted
 *   (https://docs.databricks.com/gcp/en/data-governance/unity-catalog/manage-privileges/privileges);
 * - reaching an object also takes USE_CATALOG on its catalog and USE_SCHEMA on its schema (usage privileges);
 * - the catalog is the stack's, owned by its owner, never by the runtime: a grant the runtime asks for on it is
 *   PERMISSION_DENIED. What the stack grants there and on its schemas is `stackGrants`.
 */
import type { FakeMetastore } from './fake-databricks-sql';

export class UnityCatalogError {
  constructor(readonly status: number, readonly errorCode: string, readonly message: string) {}
}

export interface FakeUnityCatalogOptions {
  /** The clean room's catalog: the only one holding the securables below. */
  catalog: string;
  /** Schemas the stack declared (the staging schema), besides the metastore's (participants' schemas). */
  schemas: string[];
  /** External locations (gs:// URL prefixes) where the caller may create external volumes. */
  volumeLocations: string[];
  /** Principals the workspace knows (the job principals), besides the caller. */
  principals: string[];
  /**
   * What the stack grants on the catalog and its own schemas (the runtime cannot change these). Default, as the stack
   * does for job principals: USE_CATALOG on the catalog (CleanroomCatalog) and USE_SCHEMA on each of `schemas`
   * (StagingSchema), to every one of `principals`.
   */
  stackGrants?: readonly StackGrant[];
}

/** One static grant of the stack: `name` is the catalog, or `<catalog>.<schema>`. */
export interface StackGrant {
  type: 'catalog' | 'schema';
  name: string;
  principal: string;
  privileges: readonly string[];
}

const PRIVILEGES: Record<string, readonly string[]> = {
  catalog: ['USE_CATALOG', 'USE_SCHEMA', 'CREATE_SCHEMA', 'CREATE_TABLE', 'CREATE_VOLUME', 'SELECT', 'MODIFY', 'READ_VOLUME', 'WRITE_VOLUME', 'ALL_PRIVILEGES', 'MANAGE'],
  schema: ['USE_SCHEMA', 'CREATE_TABLE', 'CREATE_VOLUME', 'SELECT', 'MODIFY', 'READ_VOLUME', 'WRITE_VOLUME', 'ALL_PRIVILEGES', 'MANAGE'],
  table: ['SELECT', 'MODIFY', 'ALL_PRIVILEGES', 'MANAGE'],
  volume: ['READ_VOLUME', 'WRITE_VOLUME', 'ALL_PRIVILEGES', 'MANAGE'],
};

interface Volume {
  storageLocation: string;
  owner: string;
}

export class FakeUnityCatalog {
  readonly volumes = new Map<string, Volume>();
  /** `<type>:<full name>` → principal → privileges, as the runtime granted them. */
  private readonly grants = new Map<string, Map<string, Set<string>>>();
  /** The same, as the stack granted them. */
  private readonly stackGrants = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly options: FakeUnityCatalogOptions, private readonly metastore: FakeMetastore, private readonly caller: string) {
    const catalog = options.catalog.toLowerCase();
    const defaults: StackGrant[] = options.principals.flatMap((principal) => [
      { type: 'catalog' as const, name: catalog, principal, privileges: ['USE_CATALOG'] },
      ...options.schemas.map((schema) => ({ type: 'schema' as const, name: `${catalog}.${schema.toLowerCase()}`, principal, privileges: ['USE_SCHEMA'] })),
    ]);
    for (const grant of options.stackGrants ?? defaults) {
      const name = grant.name.toLowerCase();
      const inCatalog = grant.type === 'catalog' ? name === catalog : name.split('.').length === 2 && name.startsWith(`${catalog}.`);
      const bad = grant.privileges.filter((privilege) => !PRIVILEGES[grant.type]!.includes(privilege));
      if (!inCatalog || bad.length > 0) throw new Error(`stack grant ${grant.privileges.join(', ')} on ${grant.type} ${grant.name} does not apply to the clean room's catalog`);
      const byPrincipal = this.stackGrants.get(`${grant.type}:${name}`) ?? new Map<string, Set<string>>();
      byPrincipal.set(grant.principal, new Set([...(byPrincipal.get(grant.principal) ?? []), ...grant.privileges]));
      this.stackGrants.set(`${grant.type}:${name}`, byPrincipal);
    }
  }

  /** The answer to a Unity Catalog request, or undefined when the path is not one of these APIs. */
  route(method: string, path: string, body: Record<string, unknown>): unknown {
    this.prune();
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/api/2.1/unity-catalog/volumes') return this.createVolume(body);
    if ((m = /^\/api\/2\.1\/unity-catalog\/volumes\/([^/]+)$/.exec(path))) {
      const name = decodeURIComponent(m[1]!).toLowerCase();
      const volume = this.volumes.get(name);
      if (!volume) throw new UnityCatalogError(404, 'VOLUME_DOES_NOT_EXIST', `Volume '${name}' does not exist.`);
      if (method === 'GET') return { full_name: name, volume_type: 'EXTERNAL', storage_location: volume.storageLocation, owner: volume.owner };
      if (method === 'DELETE') {
        this.volumes.delete(name);
        this.grants.delete(`volume:${name}`);
        return {};
      }
    }
    if (method === 'PATCH' && (m = /^\/api\/2\.1\/unity-catalog\/permissions\/([^/]+)\/([^/]+)$/.exec(path))) {
      return this.updatePermissions(m[1]!.toLowerCase(), decodeURIComponent(m[2]!).toLowerCase(), body);
    }
    return undefined;
  }

  /** Whether `principal` could read the `<schema>.<table>` now: USE_CATALOG, USE_SCHEMA and SELECT, each held or inherited. */
  canRead(principal: string, table: string): boolean {
    const name = `${this.options.catalog}.${table}`.toLowerCase();
    return this.metastore.tables.has(table.toLowerCase()) && this.canReach(principal, name) && this.holds('table', name, principal, 'SELECT');
  }

  /** Every `<participant>.<table>` the principal could read now. */
  readable(principal: string): string[] {
    return [...this.metastore.tables.keys()].filter((table) => this.canRead(principal, table)).sort();
  }

  /** The volume paths (`/Volumes/...`) the principal could write now. */
  writable(principal: string): string[] {
    return [...this.volumes.keys()]
      .filter((name) => this.canReach(principal, name) && this.holds('volume', name, principal, 'WRITE_VOLUME'))
      .map((name) => `/Volumes/${name.split('.').join('/')}`)
      .sort();
  }

  /** Every privilege any principal other than the caller holds, as `<type>:<name>:<principal>:<privilege>`. */
  allGrants(): string[] {
    this.prune();
    return [...this.grants].flatMap(([securable, byPrincipal]) => [...byPrincipal].flatMap(([p, set]) => [...set].map((priv) => `${securable}:${p}:${priv}`))).sort();
  }

  /** A dropped table loses its grants (a table created again under its name starts with none). */
  private prune(): void {
    for (const key of [...this.grants.keys()]) {
      const [type, name] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
      if (type === 'table' && !this.metastore.tables.has(name.split('.').slice(1).join('.'))) this.grants.delete(key);
    }
  }

  /** USE_CATALOG and USE_SCHEMA on the catalog and schema of `<catalog>.<schema>.<object>`. */
  private canReach(principal: string, name: string): boolean {
    const [catalog, schema] = name.split('.');
    return this.holds('catalog', catalog!, principal, 'USE_CATALOG') && this.holds('schema', `${catalog}.${schema}`, principal, 'USE_SCHEMA');
  }

  /** Whether the privilege is held on the securable or inherited from its schema or catalog, by name or as ALL_PRIVILEGES. */
  private holds(type: string, name: string, principal: string, privilege: string): boolean {
    this.prune();
    const parts = name.split('.');
    const chain = [`catalog:${parts[0]}`, ...(parts.length > 1 ? [`schema:${parts[0]}.${parts[1]}`] : []), ...(parts.length > 2 ? [`${type}:${name}`] : [])];
    return chain.some((key) =>
      [this.grants, this.stackGrants].some((grants) => {
        const held = grants.get(key)?.get(principal);
        return held !== undefined && (held.has(privilege) || (privilege !== 'MANAGE' && held.has('ALL_PRIVILEGES')));
      }),
    );
  }

  private createVolume(body: Record<string, unknown>): unknown {
    const { catalog_name: catalog, schema_name: schema, name, volume_type: type, storage_location: location } = body;
    if ([catalog, schema, name].some((v) => typeof v !== 'string' || v === '')) throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', 'catalog_name, schema_name and name are required');
    if (catalog !== this.options.catalog) throw new UnityCatalogError(404, 'CATALOG_DOES_NOT_EXIST', `Catalog '${String(catalog)}' does not exist.`);
    if (!this.schemaExists(String(schema).toLowerCase())) throw new UnityCatalogError(404, 'SCHEMA_DOES_NOT_EXIST', `Schema '${String(catalog)}.${String(schema)}' does not exist.`);
    if (type !== 'EXTERNAL' || typeof location !== 'string') throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', 'an external volume needs volume_type EXTERNAL and a storage_location');
    const full = `${String(catalog)}.${String(schema)}.${String(name)}`.toLowerCase();
    if (this.volumes.has(full)) throw new UnityCatalogError(409, 'VOLUME_ALREADY_EXISTS', `Volume '${full}' already exists`);
    const folder = `${location.replace(/\/+$/, '')}/`;
    if (!this.options.volumeLocations.some((root) => folder.startsWith(root) && folder.length > root.length)) {
      throw new UnityCatalogError(403, 'PERMISSION_DENIED', `User does not have CREATE EXTERNAL VOLUME on any external location containing ${location}`);
    }
    for (const [other, volume] of this.volumes) {
      const theirs = `${volume.storageLocation.replace(/\/+$/, '')}/`;
      if (theirs.startsWith(folder) || folder.startsWith(theirs)) throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', `Input path ${location} overlaps with other external tables or volumes (${other})`);
    }
    this.volumes.set(full, { storageLocation: location, owner: this.caller });
    return { full_name: full, volume_type: 'EXTERNAL', storage_location: location, owner: this.caller };
  }

  private schemaExists(schema: string): boolean {
    return this.options.schemas.map((s) => s.toLowerCase()).includes(schema) || this.metastore.schemas.has(schema);
  }

  private updatePermissions(type: string, name: string, body: Record<string, unknown>): unknown {
    const parts = name.split('.');
    const [catalog, schema] = parts;
    if (!(type in PRIVILEGES)) throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', `Unknown securable type ${type}`);
    if (catalog !== this.options.catalog.toLowerCase()) throw new UnityCatalogError(404, 'CATALOG_DOES_NOT_EXIST', `Catalog '${catalog}' does not exist.`);
    const exists = type === 'catalog' ? parts.length === 1
      : type === 'schema' ? parts.length === 2 && this.schemaExists(schema!)
      : type === 'table' ? parts.length === 3 && this.metastore.tables.has(`${schema}.${parts[2]}`)
        : this.volumes.has(name);
    if (!exists) throw new UnityCatalogError(404, `${type.toUpperCase()}_DOES_NOT_EXIST`, `${type} '${name}' does not exist.`);
    // The caller owns what it created: participants' schemas and tables (dataset sync), the runs' volumes; the catalog
    // and the stack's schemas are the stack owner's.
    const owned = type === 'catalog' ? false : type === 'volume' ? this.volumes.get(name)!.owner === this.caller : this.metastore.schemas.has(schema!);
    if (!owned) throw new UnityCatalogError(403, 'PERMISSION_DENIED', `User does not have MANAGE on ${type} '${name}'.`);
    const changes = Array.isArray(body.changes) ? (body.changes as Array<Record<string, unknown>>) : undefined;
    if (!changes || changes.length === 0) throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', 'changes is required');
    const byPrincipal = this.grants.get(`${type}:${name}`) ?? new Map<string, Set<string>>();
    for (const change of changes) {
      const principal = change.principal;
      if (typeof principal !== 'string' || !this.options.principals.includes(principal)) {
        throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', `Could not find principal with name ${String(principal)}`);
      }
      const add = (change.add ?? []) as unknown[];
      const remove = (change.remove ?? []) as unknown[];
      for (const privilege of [...add, ...remove]) {
        if (typeof privilege !== 'string' || !PRIVILEGES[type]!.includes(privilege)) {
          throw new UnityCatalogError(400, 'INVALID_PARAMETER_VALUE', `Privilege ${String(privilege)} is not applicable to this entity [${name}:${type.toUpperCase()}]`);
        }
      }
      const held = byPrincipal.get(principal) ?? new Set<string>();
      for (const privilege of add) held.add(privilege as string);
      for (const privilege of remove) held.delete(privilege as string);
      if (held.size > 0) byPrincipal.set(principal, held);
      else byPrincipal.delete(principal);
    }
    this.grants.set(`${type}:${name}`, byPrincipal);
    return { privilege_assignments: [...byPrincipal].map(([principal, set]) => ({ principal, privileges: [...set].sort() })) };
  }
}
