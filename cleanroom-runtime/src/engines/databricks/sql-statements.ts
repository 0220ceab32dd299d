/** Runs SQL on the clean room SQL warehouse through the Statement Execution API 2.0 and waits for the result. */
import type { DatabricksClient } from './databricks-client';
import { EngineUnavailableError, SqlStatementError } from './errors';

/** The parts of a StatementResponse this engine reads. */
export interface StatementResponse {
  statement_id: string;
  status?: { state?: string; error?: { error_code?: string; message?: string } };
  manifest?: { schema?: { columns?: Array<{ name: string; position?: number }> } };
  result?: { data_array?: Array<Array<string | null>> };
}

export interface StatementResult {
  columns: string[];
  rows: Array<Array<string | null>>;
}

export interface SqlStatementRunnerOptions {
  warehouseId: string;
  /** Unity Catalog catalog the statements run in; the warehouse's default when omitted. */
  catalog?: string;
  /**
   * How long the POST may block waiting for the result: 0 or 5–50 (API limits). Must stay well below the
   * client's per-request timeout, or a slow warehouse would look like an outage. Default 10.
   */
  waitTimeoutSeconds?: number;
  /** Between polls of a PENDING/RUNNING statement. Default 1 s. */
  pollIntervalMs?: number;
  /** Longest wait for one statement (warehouse start included) before it is cancelled. Default 10 min. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const ACTIVE = new Set(['PENDING', 'RUNNING']);

export class SqlStatementRunner {
  private readonly pollIntervalMs: number;
  private readonly waitTimeoutSeconds: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly client: DatabricksClient, private readonly options: SqlStatementRunnerOptions) {
    if (!/^[A-Za-z0-9]{1,64}$/.test(options.warehouseId)) {
      throw new Error(`SQL warehouse id ${JSON.stringify(options.warehouseId)} is not a Databricks warehouse id`);
    }
    const wait = options.waitTimeoutSeconds ?? 10;
    if (!(wait === 0 || (Number.isInteger(wait) && wait >= 5 && wait <= 50))) {
      throw new Error(`SQL wait timeout must be 0 or 5–50 seconds, got ${wait}`);
    }
    this.waitTimeoutSeconds = wait;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxWaitMs = options.maxWaitMs ?? 600_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** Executes one statement; resolves when SUCCEEDED, throws SqlStatementError when it FAILED or was CANCELED. */
  async execute(statement: string): Promise<StatementResult> {
    const started = this.now();
    let response = await this.client.post<StatementResponse>('/api/2.0/sql/statements', {
      warehouse_id: this.options.warehouseId,
      ...(this.options.catalog !== undefined ? { catalog: this.options.catalog } : {}),
      statement,
      wait_timeout: `${this.waitTimeoutSeconds}s`,
      on_wait_timeout: 'CONTINUE',
      format: 'JSON_ARRAY',
      disposition: 'INLINE',
    });
    const id = response.statement_id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9-]{1,128}$/.test(id)) {
      throw new EngineUnavailableError('Databricks SQL API answered without a valid statement_id', 1);
    }
    while (ACTIVE.has(response.status?.state ?? 'PENDING')) {
      if (this.now() - started > this.maxWaitMs) {
        await this.client.post(`/api/2.0/sql/statements/${id}/cancel`, {}).catch(() => undefined);
        throw new EngineUnavailableError(
          `SQL statement ${id} still ${response.status?.state ?? 'PENDING'} after ${this.maxWaitMs} ms on warehouse ` +
            `${this.options.warehouseId}; cancelled it. Check that the warehouse can start.`,
          1,
        );
      }
      await this.sleep(this.pollIntervalMs);
      response = await this.client.get<StatementResponse>(`/api/2.0/sql/statements/${id}`);
    }
    const state = response.status?.state ?? 'UNKNOWN';
    if (state !== 'SUCCEEDED') {
      const error = response.status?.error;
      throw new SqlStatementError(
        `SQL statement ${id} ended ${state}${error?.message ? `: ${error.message}` : ''} (statement: ${statement})`,
        id,
        state,
        error?.error_code,
      );
    }
    const columns = (response.manifest?.schema?.columns ?? [])
      .slice()
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
      .map((column) => column.name);
    return { columns, rows: response.result?.data_array ?? [] };
  }
}

/** The values of one named column (e.g. `tableName` of SHOW TABLES). */
export function columnValues(result: StatementResult, column: string): Array<string | null> {
  const index = result.columns.indexOf(column);
  if (index < 0) throw new Error(`SQL result has no column ${column} (columns: ${result.columns.join(', ')})`);
  return result.rows.map((row) => row[index] ?? null);
}
