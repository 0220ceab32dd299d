/**
 * DATA events: register, update or remove a dataset. The database part of the name is the submitter's own;
 * the location is inside the submitter's bucket; the schema comes from what the clean room read at the
 * location (LocationFacts, pre-read by the I/O layer), never from the payload.
 */
import type { DatasetFormat } from '../engines/engine';
import type { DataEvent } from '../events/event-model';
import { factsKey, type ParticipantInfo, type ProcessorContext } from './context';
import { accept, refuse, type Decision } from './decision';
import { checkDataLocation, TABLE_NAME, type Checked, type GsLocation, quote } from './names';
import { noteOwned } from './owner-counts';
import { datasetQuotaProblem } from './quotas';
import { recordOf, type CleanroomState } from './state';

export const DATASET_FORMATS: readonly DatasetFormat[] = ['delta', 'parquet', 'json', 'avro', 'csv'];

/**
 * The `<participant>.<table>` key of a DATA event, checked against the submitter. Names are case-insensitive and
 * stored lowercase, as Spark and Unity Catalog treat them: `advertiser.Store_Visits` is `advertiser.store_visits`.
 */
export function checkDatasetName(name: string, submitter: string): Checked<{ key: string; table: string }> {
  const parts = name.trim().split('.');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return { ok: false, message: `data_metastore_name ${quote(name)} must be <database>.<table>, with your participant name as database, e.g. ${submitter}.my_table` };
  }
  // ASCII letters only: toLowerCase would also turn a look-alike (the Kelvin sign) into a Latin letter.
  const [database, table] = parts.map((part) => part.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  if (database !== submitter) {
    return { ok: false, message: `data_metastore_name ${quote(name)} is in database ${quote(parts[0])}: you can only register tables of your own database, ${submitter}.<table>` };
  }
  if (!TABLE_NAME.test(table)) {
    return { ok: false, message: `table name ${quote(parts[1])} is not allowed: use 1-63 letters, digits or '_', starting with a letter (names are case-insensitive and stored lowercase)` };
  }
  return { ok: true, value: { key: `${database}.${table}`, table } };
}

export function checkFormat(format: string): Checked<DatasetFormat> {
  const normalised = format.trim().toLowerCase() as DatasetFormat;
  if (!DATASET_FORMATS.includes(normalised)) {
    return { ok: false, message: `format ${quote(format)} is not supported: use delta (preferred), parquet, json, avro or csv` };
  }
  return { ok: true, value: normalised };
}

/** The location a DATA INSERT/UPDATE would register, when its name, format and location pass the checks. */
export function dataLocationToCheck(event: DataEvent, submitter: ParticipantInfo): { location: GsLocation; format: DatasetFormat } | null {
  if (event.action === 'DELETE') return null;
  const name = checkDatasetName(event.dataMetastoreName, submitter.name);
  const format = checkFormat(event.format);
  const location = checkDataLocation(event.location, submitter.bucket);
  if (!name.ok || !format.ok || !location.ok) return null;
  return { location: location.value, format: format.value };
}

export function applyData(state: CleanroomState, event: DataEvent, ctx: ProcessorContext, submitter: ParticipantInfo): Decision {
  const overQuota = datasetQuotaProblem(state, event, ctx, submitter);
  if (overQuota) return refuse(overQuota);
  const name = checkDatasetName(event.dataMetastoreName, submitter.name);
  if (!name.ok) return refuse(name.message);
  const { key, table } = name.value;
  const existing = recordOf(state.datasets, key);

  if (event.action === 'INSERT' && existing) {
    return refuse(`dataset ${key} is already registered: change it with \`cleanroom data update\` or remove it with \`cleanroom data delete\` (UPDATE or DELETE events)`);
  }
  if (event.action !== 'INSERT' && !existing) {
    return refuse(`dataset ${key} is not registered: register it first (\`cleanroom data register\`, or an INSERT event from a notebook)`);
  }
  if (event.action === 'DELETE') {
    delete state.datasets[key];
    noteOwned(state.datasets, submitter.name, -1);
    return accept(`dataset ${key} removed from the clean room`, [{ kind: 'sync_datasets' }]);
  }

  const format = checkFormat(event.format);
  if (!format.ok) return refuse(format.message);
  const location = checkDataLocation(event.location, submitter.bucket);
  if (!location.ok) return refuse(location.message);
  const uri = location.value.uri;
  const facts = ctx.facts?.[factsKey(uri, format.value)];
  if (!facts) return refuse(`the clean room did not read ${uri} before deciding (internal error): send the event again`);
  if (facts.error) return refuse(`could not read the ${format.value} dataset at ${uri}: ${facts.error}`);
  if (!facts.exists) {
    const what = format.value === 'delta' ? 'no Delta table (no _delta_log/)' : `no ${format.value} files`;
    return refuse(`${what} found at ${uri}: write the dataset there first, or fix the location or format`);
  }

  if (!existing) noteOwned(state.datasets, submitter.name, 1);
  state.datasets[key] = {
    dataId: existing?.dataId ?? event.uuid,
    participant: submitter.name,
    table,
    // Absent from an UPDATE: keep the stored description ("" clears it).
    description: event.description ?? existing?.description ?? '',
    location: uri,
    format: format.value,
    schema: facts.schema ?? null,
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
    eventUuid: event.uuid,
    eventsVersion: event.eventsVersion,
  };
  const verb = existing ? 'updated' : 'registered';
  return accept(`dataset ${key} ${verb} (${format.value} at ${uri}); jobs can read it as ${key}`, [{ kind: 'sync_datasets' }]);
}
