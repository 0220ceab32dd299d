/**
 * A fresh in-memory DuckDB per run. Until `lock()` the runtime itself loads the datasets (file access needed);
 * `lock()` then turns off every file/network access and freezes the configuration, before any approved SQL runs.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { sessionSetup, type SessionSetup } from './spark-sql';

export interface SandboxLimits {
  /** DuckDB memory_limit, e.g. "2GB". Nothing spills to disk: the sandbox has no temp directory. */
  memoryLimit: string;
  threads: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryLimit: '2GB', threads: 2 };

/** Set when the instance is created: nothing is ever downloaded, loaded from disk or kept in files. */
function instanceOptions(limits: SandboxLimits): Record<string, string> {
  return {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    allow_persistent_secrets: 'false',
    // No spilling: an in-memory database with no temp directory never writes files.
    temp_directory: '',
    // Neutral values so settings queries do not show the host's home directory.
    home_directory: '/nonexistent',
    extension_directory: '/nonexistent',
    secret_directory: '/nonexistent',
    memory_limit: limits.memoryLimit,
    threads: String(limits.threads),
  };
}

/** Run, in this order, once the datasets are loaded; after the lock no statement can undo them. */
export const LOCK_STATEMENTS = ['SET enable_external_access = false', 'SET lock_configuration = true'] as const;

export class Sandbox {
  private locked = false;

  private constructor(private readonly instance: DuckDBInstance, readonly connection: DuckDBConnection) {}

  /**
   * `setup` (default: the Spark SQL front's, in UTC) is applied before anything else and so before the lock:
   * session settings and the macros compiled Spark SQL calls.
   */
  static async open(limits: SandboxLimits = DEFAULT_LIMITS, setup: SessionSetup = sessionSetup('UTC')): Promise<Sandbox> {
    const instance = await DuckDBInstance.create(':memory:', instanceOptions(limits));
    const connection = await instance.connect();
    // Delta timestamps and their partition values are UTC (an ICU setting: it cannot be given at creation).
    await connection.run("SET TimeZone = 'UTC'");
    for (const [name, value] of Object.entries(setup.settings)) {
      await connection.run(`SET ${name} = '${value.replace(/'/g, "''")}'`);
    }
    for (const statement of setup.statements) await connection.run(statement);
    return new Sandbox(instance, connection);
  }

  get isLocked(): boolean {
    return this.locked;
  }

  async lock(): Promise<void> {
    for (const statement of LOCK_STATEMENTS) await this.connection.run(statement);
    this.locked = true;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
