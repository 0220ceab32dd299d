/**
 * What the demo does, as data: which participant registers which dataset, the collaborator's SQL and the job.
 * Names follow examples/: keeper `publisher`, collaborators `advertiser` and `measurement`.
 */
import type { DeltaRow, StructType } from '../delta/schema-types';
import { CONVERSIONS_SCHEMA, PANEL_SCHEMA, USERS_SCHEMA, type SampleData } from './sample-data';

export interface DemoDataset {
  participant: string;
  table: string;
  format: 'delta' | 'parquet';
  description: string;
  schema: StructType;
  rows(sample: SampleData): DeltaRow[];
}

export const DATASETS: readonly DemoDataset[] = [
  {
    participant: 'publisher',
    table: 'users',
    format: 'delta',
    description: 'Logged-in readers: sha256 of the email, audience segment, country, age band',
    schema: USERS_SCHEMA,
    rows: (s) => s.users,
  },
  {
    participant: 'advertiser',
    table: 'conversions',
    format: 'delta',
    description: 'Online orders of May 2024 with the sha256 of the buyer email',
    schema: CONVERSIONS_SCHEMA,
    rows: (s) => s.conversions,
  },
  {
    participant: 'measurement',
    table: 'panel',
    format: 'parquet',
    description: 'Measurement panel: panelists with household size and statistical weight',
    schema: PANEL_SCHEMA,
    rows: (s) => s.panel,
  },
];

export const CODE_OWNER = 'advertiser';
export const CODE_NAME = 'segment_overlap';
export const CODE_FILE = 'segment_overlap.sql';
export const CODE_DESCRIPTION = 'Audience overlap and attributed revenue per publisher segment (aggregates only, small groups hidden)';
/** The threshold below which a segment is not reported; a job may raise it. */
export const DEFAULT_MIN_USERS = 10;
export const CODE_DEFAULTS = { min_users: String(DEFAULT_MIN_USERS) };

export const CODE_SQL = [
  '-- Audience overlap between the publisher\'s readers and the advertiser\'s buyers, per publisher segment.',
  '-- Aggregates only: a segment with fewer than :min_users matched people is not reported.',
  'SELECT u.segment,',
  '       count(DISTINCT u.email_sha256) AS matched_users,',
  '       count(*) AS conversions,',
  '       round(sum(c.order_value), 2) AS revenue',
  'FROM publisher.users u',
  'JOIN advertiser.conversions c ON c.email_sha256 = u.email_sha256',
  'GROUP BY u.segment',
  'HAVING count(DISTINCT u.email_sha256) >= :min_users',
  'ORDER BY matched_users DESC, u.segment',
  '',
].join('\n');

export const JOB_PREFIX = 'segment_overlap_run';
export const JOB_COMPUTE = 'Small';

/** The column of CODE_SQL's result that holds each row's group size, checked against the owners' min_group_size. */
export const CODE_GROUP_SIZE_COLUMN = 'matched_users';

/**
 * A second, approved query that would leak identifiers: it looks like an aggregate, but its group key is the buyer
 * itself (upper-cased, which the release gate normalises away). The runtime's release gate refuses its result.
 */
export const LEAK_CODE_NAME = 'top_buyers';
export const LEAK_CODE_FILE = 'top_buyers.sql';
export const LEAK_CODE_DESCRIPTION = 'Conversions per matched buyer (per-person rows: the release gate refuses them)';
export const LEAK_CODE_SQL = [
  '-- Conversions per matched buyer: one row per person, keyed by the email hash the owners declared an identifier.',
  'SELECT upper(c.email_sha256) AS buyer,',
  '       count(*) AS conversions,',
  '       count(DISTINCT c.email_sha256) AS matched_users',
  'FROM advertiser.conversions c',
  'JOIN publisher.users u ON u.email_sha256 = c.email_sha256',
  'GROUP BY upper(c.email_sha256)',
  '',
].join('\n');
export const LEAK_JOB_PREFIX = 'top_buyers_run';

export interface DemoCode {
  name: string;
  file: string;
  sql: string;
  description: string;
  defaults: Record<string, string>;
  groupSizeColumn: string;
  approvalReason: string;
}

export const DEMO_CODES: readonly DemoCode[] = [
  { name: CODE_NAME, file: CODE_FILE, sql: CODE_SQL, description: CODE_DESCRIPTION, defaults: CODE_DEFAULTS, groupSizeColumn: CODE_GROUP_SIZE_COLUMN, approvalReason: 'aggregates only, segments under min_users hidden' },
  { name: LEAK_CODE_NAME, file: LEAK_CODE_FILE, sql: LEAK_CODE_SQL, description: LEAK_CODE_DESCRIPTION, defaults: {}, groupSizeColumn: 'matched_users', approvalReason: 'approved by mistake: the release gate is the second line of defence' },
];
