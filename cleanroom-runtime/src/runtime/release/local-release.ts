/**
 * The release step of local mode: in the runtime's own process, a fresh DuckDB (the same sandbox as a run, locked
 * once the data is loaded) loads the staged result and the identifier columns' datasets at the versions the run
 * read, and DuckDB does the checks (release-sql.ts): identifier values, small groups, row cap. The released rows are
 * then written as a Delta table at the output; a refusal writes nothing. Every read is bounded by the clean room's
 * limits (the staged result by local_run_result_rows, the datasets by local_run_data_bytes / _files).
 */
import type { DatasetRef } from '../../engines/engine';
import { loadDatasets } from '../../engines/local/dataset-loader';
import { localEngineLimits } from '../../engines/local/limits';
import { ObjectStoreDeltaBridge } from '../../engines/local/object-store-delta-bridge';
import { parseGsLocation } from '../../engines/local/gs-paths';
import { resultToDelta } from '../../engines/local/result-to-delta';
import { RunFailure } from '../../engines/local/run-failure';
import { Sandbox } from '../../engines/local/sandbox';
import { DEFAULT_LIMITS, type Limits } from '../../limits';
import type { ReleaseRecord } from '../../processor/state';
import { decideRelease, type ReleaseQueries } from './release-decision';
import type { ReleaseProgress, ReleaseRequest, ReleaseStep } from './release-step';
import { duckdbReleaseQueries, STAGED_SCHEMA, STAGED_TABLE } from './release-sql';

export interface LocalReleaseOptions {
  /** Local mode root: gs://<bucket>/<key> is `<localRoot>/gs/<bucket>/<key>`. */
  localRoot: string;
  limits?: Limits;
}

export class LocalReleaseStep implements ReleaseStep {
  readonly name = 'local' as const;
  private readonly limits: Limits;

  constructor(private readonly options: LocalReleaseOptions) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  async release(request: ReleaseRequest): Promise<ReleaseProgress> {
    const engineLimits = localEngineLimits(this.limits, 1);
    const bridge = new ObjectStoreDeltaBridge(this.options.localRoot, this.limits);
    const sandbox = await Sandbox.open(engineLimits);
    let released: { schema: ReturnType<typeof resultToDelta>['schema']; rows: ReturnType<typeof resultToDelta>['rows'] } | undefined;
    let outcome: ReleaseRecord;
    try {
      const staged: DatasetRef = { participant: STAGED_SCHEMA, table: STAGED_TABLE, location: request.stagingLocation, format: 'delta' };
      const report = await loadDatasets(sandbox.connection, [staged, ...request.identifierDatasets], {
        localRoot: this.options.localRoot,
        delta: bridge,
        maxDataBytes: engineLimits.maxDataBytes,
        maxDataFiles: engineLimits.maxDataFiles,
      });
      await sandbox.lock();
      const queries: ReleaseQueries = duckdbReleaseQueries(sandbox.connection);
      const loadProblems = new Map([...report.failures].map(([name, reason]) => [name === `${STAGED_SCHEMA}.${STAGED_TABLE}` ? 'staged' : name, reason]));
      const decision = await decideRelease(request, queries, { maxStagedRows: this.limits.localRunResultRows, loadProblems });
      outcome = decision.outcome;
      if (decision.releaseQuery !== undefined) {
        const reader = await sandbox.connection.runAndReadAll(decision.releaseQuery);
        released = resultToDelta(reader);
      }
    } finally {
      sandbox.close();
    }
    if (released) {
      try {
        await bridge.overwrite(parseGsLocation(request.outputLocation), released.schema, released.rows);
      } catch (error) {
        if (!(error instanceof RunFailure)) throw error;
        outcome = { state: 'REFUSED', rowsSuppressed: outcome.rowsSuppressed, rowsReleased: 0, message: `not released: ${error.message}` };
      }
    }
    return { done: true, outcome };
  }
}
