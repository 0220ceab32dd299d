/**
 * Which folders of a participant's bucket each party of the deployed clean room reaches. The infrastructure turns
 * these into IAM conditions and Unity Catalog external locations; the runtime's rules must keep data inside them
 * (a dataset registered elsewhere could never be read by the deployed compute).
 *
 *   runtime (clean room service account)   reads DATASET_FOLDERS, OUTPUT_FOLDER, CONTROL_FOLDER, CODE_FOLDER;
 *                                          writes RUNTIME_WRITE_FOLDERS except EVENTS_FOLDER (the participant's own)
 *   clean room compute (job clusters, SQL warehouse, through the storage credential)
 *                                          reads DATASET_FOLDERS; reads and writes OUTPUT_FOLDER
 *   the participant's own workspace        CONTROL_FOLDER (control tables) and CATALOG_FOLDER (its catalog's storage)
 */

/** Where participants keep registered datasets. */
export const DATASET_FOLDERS = ['input/'] as const;
/** Where job results land (a job's `output` parameter is confined below it). */
export const OUTPUT_FOLDER = 'output/';
/** The control tables: `control/events` is written by the participant, the others by the runtime. */
export const CONTROL_FOLDER = 'control/';
export const EVENTS_FOLDER = 'control/events/';
/** New commits of a participant's events table: the objects whose creation triggers a pass. */
export const EVENTS_LOG_PREFIX = 'control/events/_delta_log/';
/** Approved code the runtime copies for each participant allowed to read it. */
export const CODE_FOLDER = 'code/';
/** What the runtime writes (minus EVENTS_FOLDER). */
export const RUNTIME_WRITE_FOLDERS = [CONTROL_FOLDER, CODE_FOLDER] as const;
/** What the runtime reads: datasets' logs and footers, job outputs it checks, its own tables and code copies. */
export const RUNTIME_READ_FOLDERS = [...DATASET_FOLDERS, OUTPUT_FOLDER, CONTROL_FOLDER, CODE_FOLDER] as const;
/** Managed storage of the catalog a participant's own stack creates in its workspace. */
export const CATALOG_FOLDER = 'catalog/';
