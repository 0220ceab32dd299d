/**
 * Which kinds of statement approved SQL may contain. The locked DuckDB configuration already stops file, network,
 * extension and settings access; this allow-list is the first line: it refuses whole statement kinds with a message
 * that says why, before DuckDB runs anything.
 */
import { StatementType } from '@duckdb/node-api';

const ALLOWED = new Set<StatementType>([
  StatementType.SELECT,
  StatementType.INSERT,
  StatementType.UPDATE,
  StatementType.DELETE,
  StatementType.MERGE_INTO,
  StatementType.CREATE,
  StatementType.CREATE_FUNC,
  StatementType.ALTER,
  StatementType.DROP,
  StatementType.EXPLAIN,
  StatementType.TRANSACTION,
]);

const REASONS: Partial<Record<StatementType, string>> = {
  [StatementType.COPY]: 'COPY reads or writes files; read the registered datasets as <participant>.<table> instead',
  [StatementType.COPY_DATABASE]: 'COPY FROM DATABASE is not available in the clean room',
  [StatementType.EXPORT]: 'EXPORT/IMPORT DATABASE reads or writes files',
  [StatementType.ATTACH]: 'ATTACH opens other databases; only the registered datasets are available',
  [StatementType.DETACH]: 'DETACH is not available in the clean room',
  [StatementType.LOAD]: 'INSTALL/LOAD of extensions is not available in the clean room',
  [StatementType.EXTENSION]: 'extensions are not available in the clean room',
  [StatementType.UPDATE_EXTENSIONS]: 'extensions are not available in the clean room',
  [StatementType.SET]: 'SET/RESET/USE change the engine configuration, which is locked in the clean room',
  [StatementType.VARIABLE_SET]: 'SET/RESET change the engine configuration, which is locked in the clean room',
  [StatementType.PRAGMA]: 'PRAGMA changes or inspects the engine configuration, which is locked in the clean room',
  [StatementType.CALL]: 'CALL runs engine procedures (settings, logging), which are not available in the clean room',
  [StatementType.PREPARE]: 'PREPARE/EXECUTE are not available; write the statement directly',
  [StatementType.EXECUTE]: 'PREPARE/EXECUTE are not available; write the statement directly',
};

/** Why a statement kind is refused, or undefined when it may run. */
export function refusalFor(type: StatementType): string | undefined {
  if (ALLOWED.has(type)) return undefined;
  return REASONS[type] ?? `statement kind ${StatementType[type] ?? String(type)} is not available in the clean room`;
}

/** The final statement's result becomes the job output, so it has to be a query. */
export function isQuery(type: StatementType): boolean {
  return type === StatementType.SELECT;
}

export function statementKindName(type: StatementType): string {
  return StatementType[type] ?? String(type);
}
