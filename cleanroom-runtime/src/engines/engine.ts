/**
 * What the runtime needs from an execution engine. Two implementations: the local DuckDB engine (embedded
 * default) and Databricks (production). The runtime decides *what* runs; an engine only runs it.
 */

export type DatasetFormat = 'delta' | 'parquet' | 'json' | 'avro' | 'csv';

/** A registered dataset, visible to jobs as `<participant>.<table>`. */
export interface DatasetRef {
  participant: string;
  table: string;
  /** gs:// URI inside the owner's bucket. */
  location: string;
  format: DatasetFormat;
  /**
   * Delta datasets: the version the runtime checked before the run (its snapshot's files all inside the owner's
   * bucket). Engines read this version, or refuse to run when they cannot (see each engine).
   */
  version?: number;
}

export type CodeLanguage = 'SQL' | 'PYTHON' | 'SCALA' | 'R';

/** Approved code pinned by hash; engines run exactly this content. */
export interface ApprovedCode {
  participant: string;
  /** The code name as a path segment (processor/names.ts codePathSegment): the name itself unless it holds spaces or punctuation. */
  name: string;
  /** sha256 hex of the content. */
  hash: string;
  language: CodeLanguage;
  content: string;
}

export interface RunSpec {
  /** The JOB event's uuid: the idempotency key; submitting the same jobId twice yields the same run. */
  jobId: string;
  jobName: string;
  /** Who submitted the job. */
  participant: string;
  code: ApprovedCode;
  /** Job parameters merged over the code's defaults; includes `output`. */
  parameters: Record<string, string>;
  /** One of the clean room's compute sizes, e.g. "2X-Small". */
  compute: string;
  /** Every dataset registered in the clean room. */
  datasets: DatasetRef[];
  /** gs:// URI of the job's output (inside the submitter's `output/`): the runtime's release step writes there. */
  outputLocation: string;
  /**
   * gs:// URI where the engine writes the result: the clean room's staging (`gs://<state bucket>/staging/<run>`),
   * checked by the runtime's release gate before anything reaches `outputLocation`. The runtime always sets it;
   * absent only for engines driven directly (engine tests), which then write at `outputLocation`.
   */
  stagingLocation?: string;
  /**
   * On an engine that isolates runs ({@link RunIsolation}): the job principal this run holds and what it may read.
   * The runtime takes it (committed in its state) before submitting; the engine grants it and runs the code as it.
   */
  access?: RunAccess;
}

/** What one run may use on an engine that isolates runs: the principal it alone holds, and the datasets it may read. */
export interface RunAccess {
  /** A job principal of the engine's pool, held by this run only until its access is revoked. */
  principal: string;
  /** `<participant>.<table>` of each dataset the run may read: granted at submission, revoked when the run ends. */
  reads: string[];
  /** The run's staging location (gs://): only this run's principal may write it, through a volume made for the run. */
  staging: string | null;
}

export interface SubmitOptions {
  /** True while the run's principal is still its own in the runtime's newest state (runtime/run-access.ts). */
  confirmAccess?: () => Promise<boolean>;
}

/**
 * An engine whose runs are isolated from each other (Databricks with job principals): each run executes as a principal
 * of a pool that it holds alone, granted for that run exactly its reads and its staging location. The runtime hands
 * out principals (processor/run-principals.ts) and calls `revokeRunAccess` once the run can no longer execute code.
 */
export interface RunIsolation {
  readonly jobPrincipals: readonly string[];
  /**
   * Removes everything `submit` may have granted for this access (idempotent: what is already gone is no error), and
   * makes sure nothing else still acts as the principal; throws while something does (the principal stays held).
   * `unseenRun`: the run may have reached the engine unseen (an outage on submission): its job's submitter and name.
   */
  revokeRunAccess(access: RunAccess, unseenRun?: { participant: string; jobName: string }): Promise<void>;
}

/** Where a run writes its result. */
export function resultLocation(spec: Pick<RunSpec, 'outputLocation' | 'stagingLocation'>): string {
  return spec.stagingLocation ?? spec.outputLocation;
}

/** Databricks' run life cycle, which the local engine mirrors. */
export type LifeCycleState = 'PENDING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED' | 'SKIPPED' | 'INTERNAL_ERROR';
export type ResultState = 'SUCCESS' | 'FAILED' | 'TIMEDOUT' | 'CANCELED';

export interface RunStatus {
  runId: string;
  lifeCycleState: LifeCycleState;
  resultState?: ResultState;
  stateMessage?: string;
  startTime?: Date;
  endTime?: Date;
  runPageUrl?: string;
  error?: string;
  errorTrace?: string;
  /** A life cycle state the engine named and this runtime does not know (lifeCycleState then says INTERNAL_ERROR). */
  unknownState?: string;
}

export interface ExecutionEngine {
  readonly name: 'local' | 'databricks';
  /** Makes exactly these datasets available as `<participant>.<table>` (creates, updates and drops). */
  syncDatasets(datasets: DatasetRef[]): Promise<void>;
  /**
   * Starts a run; idempotent on `spec.jobId`. An isolating engine asks `options.confirmAccess` immediately before it
   * grants anything, and refuses with AccessNotCurrentError when the runtime no longer confirms the run's principal.
   */
  submit(spec: RunSpec, options?: SubmitOptions): Promise<{ runId: string }>;
  /** Current state of a run; throws only when the engine cannot be reached after retries. */
  getRun(runId: string): Promise<RunStatus>;
  /** Present when runs are isolated by per-run principals (Databricks with job principals); absent locally. */
  readonly isolation?: RunIsolation;
}
