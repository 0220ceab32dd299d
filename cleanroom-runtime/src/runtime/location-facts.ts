/**
 * What is at a dataset location, read before a DATA event is decided (existence and schema): Delta from its
 * log, Parquet from the first data file's footer, JSON/Avro/CSV by the presence of data files only.
 */
import { DeltaTable } from '../delta/table';
import { DeltaTableNotFoundError } from '../delta/errors';
import type { LocationFacts } from '../processor/context';
import { parseGsUri } from '../processor/names';
import type { ObjectStore } from '../storage/object-store';
import { parquetFooterSchema } from './parquet-footer-schema';

/** Objects Spark and Delta write next to data that are not data (`_SUCCESS`, `_delta_log/`, `.crc`...). */
function isDataFile(relative: string): boolean {
  return !relative.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.'));
}

export async function inspectLocation(store: ObjectStore, location: string, format: string): Promise<LocationFacts> {
  const parsed = parseGsUri(location);
  if (!parsed.ok) return { exists: false, error: parsed.message };
  const { bucket, path } = parsed.value;
  try {
    if (format === 'delta') {
      const table = await DeltaTable.open(store, bucket, path);
      const snapshot = await table.snapshot();
      return { exists: true, schema: JSON.stringify(snapshot.schema) };
    }
    const prefix = `${path}/`;
    const page = await store.list(bucket, prefix, { maxResults: 1000 });
    const files = page.objects.filter((o) => o.size > 0 && isDataFile(o.key.slice(prefix.length)));
    if (files.length === 0) return { exists: false };
    if (format !== 'parquet') return { exists: true, schema: null };
    const first = files.find((o) => o.key.endsWith('.parquet')) ?? files[0];
    return { exists: true, schema: JSON.stringify(parquetFooterSchema(await store.get(bucket, first.key))) };
  } catch (error) {
    if (error instanceof DeltaTableNotFoundError) return { exists: false };
    return { exists: true, error: (error as Error).message };
  }
}
