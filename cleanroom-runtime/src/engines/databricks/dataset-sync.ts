/**
 * Makes exactly the registered datasets visible as `<participant>.<table>` external tables on the clean room
 * warehouse: creates new ones, repoints changed ones, drops unregistered ones (external: the data stays put).
 */
import type { DatasetRef } from '../engine';
import {
  createSchemaSql,
  createTableSql,
  describeTableSql,
  dropTableSql,
  parseDescribeExtended,
  showTablesSql,
  storageMatches,
} from './dataset-sql';
import { DatabricksInputError } from './errors';
import { assertDataset, assertParticipant } from './identifiers';
import { columnValues, type StatementResult } from './sql-statements';

export interface SqlExecutor {
  execute(statement: string): Promise<StatementResult>;
}

export class DatasetSynchronizer {
  /** What this process last made each table point to (`participant.table` lowercased); saves DESCRIBE calls. */
  private readonly known = new Map<string, { location: string; format: string }>();
  private readonly schemasCreated = new Set<string>();

  /** `participants`: every participant of the clean room, so schemas whose datasets were all deleted get emptied. */
  constructor(private readonly sql: SqlExecutor, private readonly participants: readonly string[] = []) {
    participants.forEach(assertParticipant);
  }

  async sync(datasets: readonly DatasetRef[]): Promise<void> {
    await this.apply(datasets, true);
  }

  /**
   * Makes these datasets visible as they are registered, and drops nothing: what a run needs, while other runs may be
   * reading other tables. Nothing is asked when this process already made each of them point where it should.
   */
  async ensure(datasets: readonly DatasetRef[]): Promise<void> {
    datasets.forEach(assertDataset);
    const current = datasets.every((d) => {
      const known = this.known.get(`${d.participant}.${d.table.toLowerCase()}`);
      return known !== undefined && storageMatches(d, { location: known.location, provider: known.format });
    });
    if (!current) await this.apply(datasets, false);
  }

  /** Forgets what this process made the tables point to: another instance may have changed them since. */
  forget(): void {
    this.known.clear();
    this.schemasCreated.clear();
  }

  private async apply(datasets: readonly DatasetRef[], dropOthers: boolean): Promise<void> {
    datasets.forEach(assertDataset);
    const byParticipant = new Map<string, DatasetRef[]>();
    if (dropOthers) for (const participant of this.participants) byParticipant.set(participant, []);
    for (const dataset of datasets) {
      const list = byParticipant.get(dataset.participant) ?? [];
      if (list.some((other) => other.table.toLowerCase() === dataset.table.toLowerCase())) {
        throw new DatabricksInputError(`Dataset ${dataset.participant}.${dataset.table} is registered twice`);
      }
      list.push(dataset);
      byParticipant.set(dataset.participant, list);
    }
    for (const [participant, wanted] of [...byParticipant].sort(([a], [b]) => a.localeCompare(b))) {
      await this.syncParticipant(participant, wanted, dropOthers);
    }
  }

  private async syncParticipant(participant: string, wanted: readonly DatasetRef[], dropOthers: boolean): Promise<void> {
    if (!this.schemasCreated.has(participant)) {
      await this.sql.execute(createSchemaSql(participant));
      this.schemasCreated.add(participant);
    }
    const listing = await this.sql.execute(showTablesSql(participant));
    const names = columnValues(listing, 'tableName');
    const temporary = listing.columns.includes('isTemporary') ? columnValues(listing, 'isTemporary') : [];
    const existing = new Set(
      names.filter((name, i): name is string => name !== null && temporary[i] !== 'true').map((n) => n.toLowerCase()),
    );
    const wantedNames = new Set(wanted.map((dataset) => dataset.table.toLowerCase()));

    for (const dataset of wanted) {
      const key = `${participant}.${dataset.table.toLowerCase()}`;
      if (!existing.has(dataset.table.toLowerCase())) {
        await this.sql.execute(createTableSql(dataset, 'if-not-exists'));
      } else if (!(await this.pointsAt(dataset, key))) {
        await this.repoint(dataset);
      }
      this.known.set(key, { location: dataset.location, format: dataset.format });
    }
    for (const name of [...existing].sort()) {
      if (!dropOthers || wantedNames.has(name)) continue;
      await this.sql.execute(dropTableSql(participant, name));
      this.known.delete(`${participant}.${name}`);
    }
  }

  private async pointsAt(dataset: DatasetRef, key: string): Promise<boolean> {
    const known = this.known.get(key);
    if (known) return storageMatches(dataset, { location: known.location, provider: known.format });
    const described = await this.sql.execute(describeTableSql(dataset.participant, dataset.table));
    return storageMatches(dataset, parseDescribeExtended(described.rows));
  }

  /** Delta tables are replaced atomically; other formats cannot be REPLACEd, so they are dropped and recreated. */
  private async repoint(dataset: DatasetRef): Promise<void> {
    if (dataset.format === 'delta') {
      await this.sql.execute(createTableSql(dataset, 'or-replace'));
      return;
    }
    await this.sql.execute(dropTableSql(dataset.participant, dataset.table));
    await this.sql.execute(createTableSql(dataset, 'plain'));
  }
}
