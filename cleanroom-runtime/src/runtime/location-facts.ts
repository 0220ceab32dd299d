/**
 * What is at a dataset location, read before a DATA event is decided (existence and schema): Delta from its
 * log, Parquet from the first data file's footer, JSON/Avro/CSV by the presence of data files only. The location
 * is in the submitter's own bucket: the log is read within the read limits, and a schema larger than
 * `datasetSchemaBytes` is refused (it would be kept in the state). A bucket that runs out of its time budget is
 * not the event's fault: that error is thrown, so the participant's events wait for the next pass.
 */
import { DeltaTable } from '../delta/table';
import { DeltaTableNotFoundError } from '../delta/errors';
import { DEFAULT_LIMITS, describeBytes, type Limits } from '../limits';
import type { LocationFacts } from '../processor/context';
import { parseGsUri } from '../processor/names';
import type { ObjectStore } from '../storage/object-store';
import { markOf } from './delta-log-mark';
import { parquetFooterSchema } from './parquet-footer-schema';
import { ParticipantTimeoutError, participantTableLimits } from './participant-io';

/** Largest Parquet file read whole to take its footer's schema (default): above it the schema is left unknown (null). */
export const MAX_FOOTER_READ_BYTES = DEFAULT_LIMITS.parquetFileBytes;

/** Objects Spark and Delta write next to data that are not data (`_SUCCESS`, `_delta_log/`, `.crc`...). */
function isDataFile(relative: string): boolean {
  return !relative.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'));
}

export async function inspectLocation(store: ObjectStore, location: string, format: string, limits: Limits = DEFAULT_LIMITS): Promise<LocationFacts> {
  const parsed = parseGsUri(location);
  if (!parsed.ok) return { exists: false, error: parsed.message };
  const { bucket, path } = parsed.value;
  try {
    if (format === 'delta') {
      const table = await DeltaTable.open(store, bucket, path, participantTableLimits(limits));
      const snapshot = await table.snapshot();
      const mark = await markOf(store, bucket, path, snapshot.version);
      return { ...withSchema(JSON.stringify(snapshot.schema), limits), ...(mark ? { deltaMark: mark } : {}) };
    }
    const prefix = `${path}/`;
    const page = await store.list(bucket, prefix, { maxResults: 1000 });
    const files = page.objects.filter((o) => o.size > 0 && isDataFile(o.key.slice(prefix.length)));
    if (files.length === 0) return { exists: false };
    if (format !== 'parquet') return { exists: true, schema: null };
    // The footer is read from a whole object: the smallest file, and none too big to hold in memory, so a huge
    // file in a participant's bucket cannot exhaust the runtime's memory (and fail every pass).
    const parquetFiles = files.filter((o) => o.key.endsWith('.parquet'));
    const smallest = [...(parquetFiles.length > 0 ? parquetFiles : files)].sort((a, b) => a.size - b.size)[0];
    if (smallest.size > limits.parquetFileBytes) return { exists: true, schema: null };
    return withSchema(JSON.stringify(parquetFooterSchema(await store.get(bucket, smallest.key))), limits);
  } catch (error) {
    if (error instanceof ParticipantTimeoutError) throw error;
    if (error instanceof DeltaTableNotFoundError) return { exists: false };
    return { exists: true, error: (error as Error).message };
  }
}

/** The schema is kept in the state with the dataset: one above the limit is refused. */
function withSchema(schema: string, limits: Limits): LocationFacts {
  const bytes = Buffer.byteLength(schema, 'utf8');
  if (bytes > limits.datasetSchemaBytes) {
    return { exists: true, error: `its schema is ${bytes} bytes of JSON, above the limit of ${describeBytes(limits.datasetSchemaBytes)} (dataset_schema_bytes): register a table with fewer or shorter columns` };
  }
  return { exists: true, schema };
}
