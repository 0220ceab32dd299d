/**
 * Names and privileges of the per-run access on Databricks, shared by the stacks (which declare what is static) and
 * the engine (which grants what one run may do, to the job principal it runs as, and revokes it when the run ends).
 *
 * Participant code runs as one of a pool of job principals, each held by at most one run at a time. A principal holds
 * nothing on data between runs: for its run it gets SELECT on the tables that run reads and write access to that
 * run's staging volume, and loses both when the run ends. So a run can read only what its code reads (declared or
 * parsed, as approved) and write only its own staging location.
 */

/**
 * The schema of the clean room's catalog holding one external volume per run, over the run's staging folder.
 * The leading underscore keeps it apart from participants' schemas (a participant name starts with a letter).
 */
export const STAGING_SCHEMA = '_cleanroom_staging';

/** What each job principal holds statically (declared by the stack): entering the catalog and the staging schema. */
export const JOB_PRINCIPAL_CATALOG_PRIVILEGES = ['USE_CATALOG'] as const;
export const JOB_PRINCIPAL_STAGING_SCHEMA_PRIVILEGES = ['USE_SCHEMA'] as const;

/** What the runtime principal needs on the staging schema: it creates the runs' volumes there (and owns them). */
export const RUNTIME_STAGING_SCHEMA_PRIVILEGES = ['USE_SCHEMA', 'CREATE_VOLUME'] as const;
/** What the runtime principal needs on the staging external location, besides reading staged results. */
export const RUNTIME_STAGING_LOCATION_PRIVILEGES = ['READ_FILES', 'CREATE_EXTERNAL_VOLUME'] as const;

/** Granted for one run, revoked when it ends. */
export const RUN_SCHEMA_PRIVILEGES = ['USE_SCHEMA'] as const;
export const RUN_TABLE_PRIVILEGES = ['SELECT'] as const;
export const RUN_VOLUME_PRIVILEGES = ['READ_VOLUME', 'WRITE_VOLUME'] as const;

/** The pool size when cleanroom.yaml sets none (`databricks.job_principals`): runs beyond it wait for a free one. */
export const DEFAULT_JOB_PRINCIPALS = 4;
export const MAX_JOB_PRINCIPALS = 32;
