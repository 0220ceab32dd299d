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
