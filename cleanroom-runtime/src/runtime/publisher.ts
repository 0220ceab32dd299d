/**
 * Publishing each participant's view: a control table is overwritten when its content hash differs from the one
 * recorded in the state, and code objects are copied from the state bucket into every bucket allowed to see them.
 *
 * Participants can write their own buckets, so what was published may have been tampered with. A participant's
 * tables are checked by content (publishedTableProblem reads the table and compares it with the view) and restored
 * whenever something is published to that participant anyway, after a lost compare-and-swap, and otherwise once
 * every PUBLISHED_CHECK_INTERVAL_MS (clean room time). Code copies cost one read each, so they are read and hashed
 * against their name only at that scheduled check and after a lost swap, not on every publish (a copy missing
 * from the state's record is written whenever found). So an idle pass still writes nothing and lists only events
 * logs, forged tables live at most until the participant's next event, a change in its view, or the next check,
 * and forged code copies until the next check. Judging by content rather than by commit versions also keeps
 * concurrent passes from taking each other's commits for tampering.
 *
 * Each table is published independently: one that fails is reported and retried next pass without holding back
 * the others; one the participant made unusable (corrupt log, foreign schema...) is replaced by a fresh table.
 */
import { DEFAULT_LIMITS, type Limits } from '../limits';
import type { ParticipantInfo } from '../processor/context';
import { MAX_NOTEBOOK_BYTES, sha256Hex } from '../processor/code-content';
import { codeBlobKey } from '../processor/effects';
import type { CleanroomState } from '../processor/state';
import { codeObjectsFor, rowsHash, viewFor, type PublishedTable } from '../processor/views';
import { listAll, type ObjectStore } from '../storage/object-store';
import { withTimeBudget, type BudgetTimer } from './participant-io';
import { publishControlTable, publishedTableProblem } from './published-tables';

/** How often (clean room time) a participant with nothing to publish has its published tables checked. */
export const PUBLISHED_CHECK_INTERVAL_MS = 60 * 60 * 1000;

export interface PublishReport {
  tables: Array<{ participant: string; table: PublishedTable }>;
  codeObjects: number;
  /** Tampered, corrupt or missing published content that was restored, and why. */
  repaired: string[];
  errors: string[];
}

export interface PublishIo {
  store: ObjectStore;
  stateBucket: string;
  participants: readonly ParticipantInfo[];
  keeper: string;
  /** Check every table by content (after a lost compare-and-swap another pass may have published another view). */
  force: boolean;
  /** Clean room time (epoch ms), for the scheduled check. */
  now: number;
  checkIntervalMs?: number;
  /** Bounds on reading back what participants may have changed, and the time budget per participant (default: DEFAULT_LIMITS). */
  limits?: Limits;
  /** The clock of participants' time budgets (default: the system clock). */
  budgetTimer?: BudgetTimer;
}

/** `viewState`: the state views are computed from, when `state` holds only the core (default: `state`). */
export async function publishViews(state: CleanroomState, io: PublishIo, report: PublishReport, viewState: CleanroomState = state): Promise<void> {
  const limits = io.limits ?? DEFAULT_LIMITS;
  for (const participant of io.participants) {
    // One unreachable, slow or hanging bucket must not stop the others; what was not published is retried next pass.
    await withTimeBudget(io.store, limits.participantReadTimeoutMs, `publishing to gs://${participant.bucket}`, (store) =>
      publishParticipant(state, { ...io, store, limits }, participant, report, viewState),
    io.budgetTimer);
  }
}

async function publishParticipant(state: CleanroomState, io: PublishIo, participant: ParticipantInfo, report: PublishReport, viewState: CleanroomState): Promise<void> {
  const view = viewFor(viewState, participant, io.keeper);
  const tables = Object.keys(view) as PublishedTable[];
  const hashes = Object.fromEntries(tables.map((table) => [table, rowsHash(view[table])])) as Record<PublishedTable, string>;
  const published = (state.published[participant.name] ??= {});
  const checkedAt = (state.publishedCheckedAt ??= {})[participant.name];
  const doneCode = new Set(state.publishedCode[participant.name] ?? []);
  const codeObjects = codeObjectsFor(state, participant, io.keeper);

  const changed = new Set(tables.filter((table) => published[table] !== hashes[table]));
  const due = checkedAt === undefined || io.now - checkedAt >= (io.checkIntervalMs ?? PUBLISHED_CHECK_INTERVAL_MS);
  const check = io.force || changed.size > 0 || codeObjects.some((o) => !doneCode.has(o.key)) || due;
  if (!check) return; // idle for this participant: no request at all

  let clean = true;
  const where = `${participant.name} (gs://${participant.bucket})`;
  for (const table of tables) {
    try {
      const wasPublished = published[table] !== undefined;
      let problem: string | null = null;
      // A changed view is written without reading first, except after a lost swap, when the other pass has
      // often published this very view already.
      if (!changed.has(table) || io.force) {
        problem = await publishedTableProblem(io.store, participant.bucket, table, view[table], io.limits);
        if (problem === null) {
          published[table] = hashes[table];
          continue;
        }
      }
      const outcome = await publishControlTable(io.store, participant.bucket, table, view[table], io.limits);
      published[table] = hashes[table];
      report.tables.push({ participant: participant.name, table });
      if (outcome.replaced) report.repaired.push(`${participant.name}: control.${table} was replaced because ${outcome.replaced}`);
      else if (problem !== null && wasPublished && !changed.has(table)) report.repaired.push(`${participant.name}: control.${table} was republished because ${problem}`);
    } catch (error) {
      clean = false;
      report.errors.push(`publishing control.${table} to ${where} failed: ${(error as Error).message}`);
    }
  }
  // The scheduled check (and a lost swap) also reads back every code copy. Only the scheduled check restarts the
  // interval, so concurrent passes keep the same schedule as sequential ones.
  const verifyCode = io.force || due;
  try {
    await publishCode(state, io, participant, codeObjects, verifyCode, report);
  } catch (error) {
    clean = false;
    report.errors.push(`publishing code to ${where} failed: ${(error as Error).message}`);
  }
  if (clean && due) state.publishedCheckedAt[participant.name] = io.now;
}

/** Copies missing code objects; with `verify`, also restores copies whose content no longer matches their sha256. */
async function publishCode(
  state: CleanroomState,
  io: PublishIo,
  participant: ParticipantInfo,
  objects: ReadonlyArray<{ key: string; hash: string }>,
  verify: boolean,
  report: PublishReport,
): Promise<void> {
  const done = new Set(state.publishedCode[participant.name] ?? []);
  // Sizes first (one listing): a copy larger than any code the clean room stores is not read to be found wrong.
  const listed = verify && objects.some((o) => done.has(o.key)) ? await listedSizes(io.store, participant.bucket, io.limits ?? DEFAULT_LIMITS) : undefined;
  for (const object of objects) {
    if (done.has(object.key)) {
      if (!listed) continue;
      const problem = await codeCopyProblem(io.store, participant.bucket, object, listed);
      if (problem === null) continue;
      report.repaired.push(`${participant.name}: gs://${participant.bucket}/${object.key} ${problem}; restored`);
    }
    const content = await io.store.get(io.stateBucket, codeBlobKey(object.hash));
    // put, not createIfAbsent: whatever a participant left at that key is replaced by the reviewed content.
    await io.store.put(participant.bucket, object.key, content);
    report.codeObjects++;
    done.add(object.key);
    state.publishedCode[participant.name] = [...done].sort();
  }
}

async function codeCopyProblem(store: ObjectStore, bucket: string, object: { key: string; hash: string }, listed: ReadonlyMap<string, number>): Promise<string | null> {
  const size = listed.get(object.key);
  if (size === undefined) return 'was deleted';
  if (size > MAX_NOTEBOOK_BYTES) return `is ${size} bytes, larger than any code the clean room stores`;
  return sha256Hex(await store.get(bucket, object.key)) === object.hash ? null : 'does not match its sha256';
}

/** Sizes of the objects under `code/` (at most listedObjects of them: past that, copies count as missing and are rewritten). */
async function listedSizes(store: ObjectStore, bucket: string, limits: Limits): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const object of listAll(store, bucket, 'code/')) {
    sizes.set(object.key, object.size);
    if (sizes.size >= limits.listedObjects) break;
  }
  return sizes;
}
