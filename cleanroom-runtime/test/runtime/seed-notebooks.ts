/**
 * The seed's notebooks (github.com/christophergrant/clean-notebooks: register_data.py, register_code.py,
 * approve_code.py, create_job.py, onboarding/01_onboarding.py and backend/*.py), emulated step by step against a
 * local clean room: each writes its events row exactly as the notebook does (Python json.dumps of the widget dict
 * plus its enrichments, key order included; uuid4; api_version "1"), and each query the notebooks run on the
 * published control tables runs here as Spark SQL, unchanged but for layout, through the local engine's Spark SQL
 * front over DuckDB tables loaded from the published Delta tables (the local engine's dataset loader reads their
 * Parquet files with DuckDB). Where a notebook splices a widget value into SQL (f-strings), so does this.
 */
import { createHash, randomUUID } from 'node:crypto';
import { CONTROL_TABLES, controlTableKey, type ControlTableName } from '../../src/control/tables';
import type { DeltaRow, StructType } from '../../src/delta/schema-types';
import { DeltaTable } from '../../src/delta/table';
import { loadDatasets } from '../../src/engines/local/dataset-loader';
import { ObjectStoreDeltaBridge } from '../../src/engines/local/object-store-delta-bridge';
import { Sandbox } from '../../src/engines/local/sandbox';
import { SparkSqlSession } from '../../src/engines/local/spark-sql';
import { registerSandboxTables, runSparkStatement } from '../../src/engines/local/spark-sql-runner';
import type { SparkValue } from '../../src/engines/local/spark-values';
import type { ObjectStore } from '../../src/storage/object-store';
import { pythonJsonDumps } from '../processor/fixtures';

/** backend/approvals.py get_open_code_reviews: code awaiting review, newer than the keeper's last decision sent. */
export const PENDING_REVIEWS_SQL = `
  with events_in_flight as (
    select uuid as id, max(timestamp) as max_ts
      from control.events
     where event_type in ('CODE_REQUEST_REJECTED', 'CODE_REQUEST_APPROVED')
     group by uuid
  )
  select c.id, c.name, c.notebook_hash, c.participant_name, c.description,
         c.default_compute, c.submitted_timestamp, c.notebook_language
    from control.code c
    left outer join control.approval_status a on c.id = a.code_id
    left outer join events_in_flight f on f.id = a.code_id
   where (a.approval_status = "CODE_REQUEST_PENDING_APPROVAL" and (a.approval_timestamp > f.max_ts or f.max_ts is null))
      or (a.code_id is null and f.id is null)
   order by c.name asc`;

/** backend/approvals.py form_event_and_send_to_control: the id of a selected code name (f-string). */
export const codeIdByNameSql = (name: string): string => `select id from control.code where name='${name}' `;

/** backend/jobs.py get_approved_codes: the create_job dropdown. */
export const APPROVED_CODE_NAMES_SQL = `
  select distinct c.name
    from control.approval_status a
   inner join control.code c on c.id = a.code_id
   where a.approval_status = "CODE_REQUEST_APPROVED"
   order by c.name asc`;

/** backend/jobs.py show_default_parameters: `select(["default_parameters", "name"]).where((name == code_name) & (default_parameters != ""))`. */
export const DEFAULT_PARAMETERS_SQL = "select default_parameters, name from control.code where name = :code_name and default_parameters != ''";

/** The control.events schema exactly as onboarding/00_onboarding.py creates it. */
export const SEED_EVENTS_DDL_COLUMNS = ['event_type', 'uuid', 'payload', 'timestamp', 'user', 'notebook', 'hostname', 'api_version'];

export type Rows = Array<Record<string, SparkValue>>;

/** One participant's notebooks, as its users run them in its own workspace. */
export class SeedNotebooks {
  constructor(
    private readonly store: ObjectStore,
    private readonly localRoot: string,
    readonly bucket: string,
    private readonly user: string,
    private readonly clock: () => number,
  ) {}

  /** The row common.form_event_and_send_to_control (and approvals.send_to_control) appends to control.events. */
  private row(eventType: string, uuid: string, payload: string, notebook: string): DeltaRow {
    return {
      event_type: eventType,
      uuid,
      payload,
      // datetime.now() on a cluster in UTC, written as a TIMESTAMP: microseconds.
      timestamp: BigInt(this.clock()) * 1000n + 417n,
      user: this.user,
      notebook: `/Repos/${this.user}/Cleanroom/clean-notebooks/${notebook}`,
      hostname: 'adb-1234567890123456.7.gcp.databricks.com',
      api_version: '1',
    };
  }

  private async append(row: DeltaRow): Promise<DeltaRow> {
    // spark.createDataFrame([row], schema).write.format("delta").mode("append").saveAsTable("control.events")
    const table = await DeltaTable.open(this.store, this.bucket, controlTableKey('events'));
    await table.append([row]);
    return row;
  }

  /**
   * register_data.py: widgets data_metastore_name, description, action; enriched with DESCRIBE DETAIL's location
   * and format and the schema's simpleString, cleaned as the notebook does (Python `lstrip("struct<")` strips any
   * of those characters from the left).
   */
  async registerData(widgets: { data_metastore_name: string; description: string; action: string }, table: { location: string; format: string; schema: StructType }): Promise<DeltaRow> {
    if (widgets.data_metastore_name === '' || !/^\w+\.\w+/.test(widgets.data_metastore_name)) {
      throw new Error('data_metastore_name cannot be empty and must be of form <database>.<table name>');
    }
    const ddl = `struct<${table.schema.fields.map((f) => `${f.name}:${simpleType(f.type)}`).join(',')}>`;
    const cleanDdl = pythonLstrip(ddl.replace(/>$/, ''), 'struct<').replace(/,/g, ', ');
    const d = { ...widgets, location: table.location, format: table.format, schema: cleanDdl };
    return this.append(this.row('DATA', randomUUID(), pythonJsonDumps(d), 'register_data'));
  }

  /**
   * register_code.py: widgets code_name, description, path_to_notebook, action, default_parameters; enriched with
   * the Workspace export (base64), its sha256 and the notebook's language. Nothing is sent when code_name is empty.
   */
  async registerCode(widgets: { code_name: string; description: string; path_to_notebook: string; action: string; default_parameters: string }, notebook: { source: string; language: string }): Promise<DeltaRow | null> {
    if (widgets.code_name === '') return null;
    JSON.parse(widgets.default_parameters); // "JSON must be valid"
    const contents = Buffer.from(notebook.source, 'utf8').toString('base64');
    const d = { ...widgets, notebook_contents: contents, notebook_contents_hash: sha256(contents), notebook_language: notebook.language };
    return this.append(this.row('CODE', randomUUID(), pythonJsonDumps(d), 'register_code'));
  }

  /**
   * approve_code.py (keeper): with action REVIEWING nothing is sent; REJECT needs a reason; otherwise one row per
   * selected name (the multi-select's value split on ','), its uuid the id found by name, its payload json.dumps(reason).
   */
  async approveCode(widgets: { action: 'REVIEWING' | 'APPROVE' | 'REJECT'; code_name: string; reason: string }): Promise<DeltaRow[]> {
    if (widgets.action === 'REVIEWING') return [];
    if (widgets.action === 'REJECT' && widgets.reason === '') return [];
    const eventType = widgets.action === 'APPROVE' ? 'CODE_REQUEST_APPROVED' : 'CODE_REQUEST_REJECTED';
    const sent: DeltaRow[] = [];
    for (const codeName of widgets.code_name.split(',')) {
      if (codeName === '') continue;
      const id = (await this.query(codeIdByNameSql(codeName)))[0].id as string;
      sent.push(await this.append(this.row(eventType, id, pythonJsonDumps(widgets.reason), 'approve_code')));
    }
    return sent;
  }

  /** create_job.py: job name without the notebook's special characters, parameters valid JSON, schedule "ad-hoc". */
  async createJob(widgets: { job_name: string; code_name: string; parameters: string; compute: string }): Promise<DeltaRow> {
    if (widgets.job_name === '') throw new Error('job_name cannot be empty');
    const special = `"'!@#$%^&*()+?=,<>/`;
    if ([...widgets.job_name].some((c) => special.includes(c))) throw new Error(`Job name should not have any of theses special characters ${special}`);
    JSON.parse(widgets.parameters);
    const d = { ...widgets, schedule: 'ad-hoc' };
    return this.append(this.row('JOB', randomUUID(), pythonJsonDumps(d), 'create_job'));
  }

  /** approve_code's list of pending reviews. */
  pendingReviews(): Promise<Rows> {
    return this.query(PENDING_REVIEWS_SQL);
  }

  /** create_job's code dropdown. */
  async approvedCodeNames(): Promise<string[]> {
    return (await this.query(APPROVED_CODE_NAMES_SQL)).map((r) => r.name as string);
  }

  /** create_job's default parameters of the selected code (the first row, json.loads'ed), or null. */
  async defaultParameters(codeName: string): Promise<Record<string, unknown> | null> {
    const rows = await this.query(DEFAULT_PARAMETERS_SQL, { code_name: codeName });
    return rows.length === 0 ? null : (JSON.parse(rows[0].default_parameters as string) as Record<string, unknown>);
  }

  /** The column names of a control table as DeltaTable.forName(...).toDF().columns gives them (01_onboarding's checks). */
  async columns(table: ControlTableName): Promise<string[]> {
    const snapshot = await (await DeltaTable.open(this.store, this.bucket, controlTableKey(table))).snapshot();
    return snapshot.schema.fields.map((f) => f.name);
  }

  /** Runs Spark SQL over this participant's control schema as its workspace sees it. */
  async query(sql: string, parameters: Record<string, string> = {}): Promise<Rows> {
    // A local engine sandbox: DuckDB with the Spark SQL front's session set up.
    const sandbox = await Sandbox.open();
    const connection = sandbox.connection;
    try {
      const tables = Object.keys(CONTROL_TABLES) as ControlTableName[];
      const report = await loadDatasets(
        connection,
        tables.map((table) => ({ participant: 'control', table, location: `gs://${this.bucket}/${controlTableKey(table)}`, format: 'delta' as const })),
        { localRoot: this.localRoot, delta: new ObjectStoreDeltaBridge(this.localRoot) },
      );
      if (report.failures.size > 0) throw new Error([...report.failures.values()].join('; '));
      const session = new SparkSqlSession({ timeZone: 'UTC' });
      await registerSandboxTables(connection, session);
      const outcome = await runSparkStatement(connection, session, sql, { parameters });
      if (outcome.k !== 'result') throw new Error(`the notebook's query did not run: ${outcome.message}`);
      return outcome.rows.map((row) => Object.fromEntries(outcome.columns.map((c, i) => [c.name, row[i]])));
    } finally {
      sandbox.close();
    }
  }
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Python's str.lstrip(chars): removes leading characters that are in `chars`. */
function pythonLstrip(text: string, chars: string): string {
  let i = 0;
  while (i < text.length && chars.includes(text[i])) i++;
  return text.slice(i);
}

/** Spark's simpleString of the primitive types the tests use. */
function simpleType(type: StructType['fields'][number]['type']): string {
  const names: Record<string, string> = { string: 'string', long: 'bigint', integer: 'int', double: 'double', timestamp: 'timestamp', date: 'date', boolean: 'boolean' };
  if (typeof type !== 'string' || !(type in names)) throw new Error(`no simpleString for ${JSON.stringify(type)} here`);
  return names[type];
}
