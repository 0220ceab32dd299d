/**
 * The slice of Databricks SQL that the fake warehouse understands: schemas and external tables, as the engine
 * writes them. Anything else fails like a real parser would (PARSE_SYNTAX_ERROR), so sloppy quoting shows up.
 */

export interface FakeTable {
  schema: string;
  table: string;
  location: string;
  format: string;
}

export interface SqlOutcome {
  ok: boolean;
  columns?: string[];
  rows?: Array<Array<string | null>>;
  errorCode?: string;
  message?: string;
}

const ID = '`((?:[^`]|``)+)`';
const FORMAT = '(DELTA|PARQUET|JSON|AVRO|CSV)';
const LITERAL = "'((?:[^'\\\\]|\\\\.)*)'";

const CREATE_SCHEMA = new RegExp(`^CREATE SCHEMA IF NOT EXISTS ${ID}$`);
const SHOW_TABLES = new RegExp(`^SHOW TABLES IN ${ID}$`);
const DESCRIBE = new RegExp(`^DESCRIBE TABLE EXTENDED ${ID}\\.${ID}$`);
const DROP = new RegExp(`^DROP TABLE IF EXISTS ${ID}\\.${ID}$`);
const CREATE_TABLE = new RegExp(
  `^CREATE (OR REPLACE )?TABLE (IF NOT EXISTS )?${ID}\\.${ID} USING ${FORMAT}(?: OPTIONS \\(header 'true'\\))? LOCATION ${LITERAL}$`,
);

function ident(raw: string): string {
  return raw.replace(/``/g, '`').toLowerCase();
}

function unescapeLiteral(raw: string): string {
  return raw.replace(/\\(.)/g, '$1');
}

function fail(errorCode: string, message: string): SqlOutcome {
  return { ok: false, errorCode, message };
}

export class FakeMetastore {
  readonly schemas = new Set<string>(['default']);
  readonly tables = new Map<string, FakeTable>();

  execute(statement: string): SqlOutcome {
    const text = statement.trim();
    let m: RegExpExecArray | null;
    if ((m = CREATE_SCHEMA.exec(text))) {
      this.schemas.add(ident(m[1]));
      return { ok: true, columns: [], rows: [] };
    }
    if ((m = SHOW_TABLES.exec(text))) {
      const schema = ident(m[1]);
      if (!this.schemas.has(schema)) return fail('BAD_REQUEST', `[SCHEMA_NOT_FOUND] The schema \`${schema}\` cannot be found.`);
      const rows = [...this.tables.values()]
        .filter((t) => t.schema === schema)
        .map((t) => [schema, t.table, 'false']);
      return { ok: true, columns: ['database', 'tableName', 'isTemporary'], rows };
    }
    if ((m = DESCRIBE.exec(text))) {
      const table = this.tables.get(`${ident(m[1])}.${ident(m[2])}`);
      if (!table) return fail('BAD_REQUEST', `[TABLE_OR_VIEW_NOT_FOUND] The table or view cannot be found.`);
      return {
        ok: true,
        columns: ['col_name', 'data_type', 'comment'],
        rows: [
          ['id', 'bigint', null],
          ['', '', ''],
          ['# Detailed Table Information', '', ''],
          ['Name', `spark_catalog.${table.schema}.${table.table}`, ''],
          ['Type', 'EXTERNAL', ''],
          ['Location', table.location, ''],
          ['Provider', table.format.toLowerCase(), ''],
        ],
      };
    }
    if ((m = DROP.exec(text))) {
      this.tables.delete(`${ident(m[1])}.${ident(m[2])}`);
      return { ok: true, columns: [], rows: [] };
    }
    if ((m = CREATE_TABLE.exec(text))) {
      const [, orReplace, ifNotExists, rawSchema, rawTable, format, rawLocation] = m;
      if (orReplace && ifNotExists) return fail('BAD_REQUEST', '[PARSE_SYNTAX_ERROR] OR REPLACE with IF NOT EXISTS');
      const schema = ident(rawSchema);
      const table = ident(rawTable);
      if (!this.schemas.has(schema)) return fail('BAD_REQUEST', `[SCHEMA_NOT_FOUND] The schema \`${schema}\` cannot be found.`);
      const key = `${schema}.${table}`;
      if (this.tables.has(key) && ifNotExists) return { ok: true, columns: [], rows: [] };
      if (this.tables.has(key) && !orReplace) {
        return fail('BAD_REQUEST', `[TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create table \`${schema}\`.\`${table}\`.`);
      }
      if (orReplace && format !== 'DELTA') {
        return fail('BAD_REQUEST', '[UNSUPPORTED_FEATURE] REPLACE TABLE is only supported with v2 tables.');
      }
      const location = unescapeLiteral(rawLocation);
      if (!location.startsWith('gs://')) return fail('BAD_REQUEST', `[INVALID_LOCATION] ${location}`);
      this.tables.set(key, { schema, table, location, format: format.toLowerCase() });
      return { ok: true, columns: [], rows: [] };
    }
    return fail('BAD_REQUEST', `[PARSE_SYNTAX_ERROR] Syntax error in statement: ${text.slice(0, 200)}`);
  }
}
