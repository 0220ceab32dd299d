/**
 * Events built exactly as the seed's notebooks build them (api_version "1": payload = Python json.dumps of the
 * widget dict plus enrichments; approvals: uuid = code id, payload = json.dumps(reason)) and as the CLI builds
 * them (api_version "2"), plus a small harness that feeds them to the pure processor.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DeltaRow } from '../../src/delta/schema-types';
import type { EventEnvelope } from '../../src/events/event-model';
import { applyEvent, type EventOutcome } from '../../src/processor/apply-event';
import type { LocationFacts, ParticipantInfo, ProcessorContext } from '../../src/processor/context';
import { factsKey } from '../../src/processor/context';
import { emptyState, type CleanroomState } from '../../src/processor/state';

export const KEEPER: ParticipantInfo = { name: 'publisher', role: 'keeper', bucket: 'publisher-bucket' };
export const ADVERTISER: ParticipantInfo = { name: 'advertiser', role: 'collaborator', bucket: 'advertiser-bucket' };
export const AGENCY: ParticipantInfo = { name: 'agency', role: 'collaborator', bucket: 'agency-bucket' };
export const PARTICIPANTS = [KEEPER, ADVERTISER, AGENCY];
export const COMPUTE_SIZES = ['2X-Small', 'X-Small', 'Small', 'Medium', 'Large', 'X-Large', '2X-Large', '3X-Large', '4X-Large'];
export const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);

/** sha256 hex of a UTF-8 text, computed here and not by the code under test. */
export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Python's json.dumps with default arguments: ", " and ": " separators, non-ASCII escaped. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}

/** The row common.form_event_and_send_to_control writes. */
export function seedRow(eventType: string, uuid: string, payload: string, atMs: number): DeltaRow {
  return {
    event_type: eventType,
    uuid,
    payload,
    timestamp: BigInt(atMs) * 1000n + 123n,
    user: 'someone@example.com',
    notebook: '/Repos/someone@example.com/Cleanroom/clean-notebooks/register_code',
    hostname: 'adb-123.4.gcp.databricks.com',
    api_version: '1',
  };
}

export const seed = {
  data(name: string, action: string, location: string, format: string, atMs = T0): DeltaRow {
    const d = { data_metastore_name: name, description: `the ${name} table`, action, location, format };
    return seedRow('DATA', randomUUID(), pythonJsonDumps(d), atMs);
  },
  /** register_code: contents = Workspace export (base64 of the source), hash = sha256 of that base64 text. */
  code(name: string, action: string, source: string, opts: { atMs?: number; language?: string; defaults?: string; hash?: string } = {}): DeltaRow {
    const contents = Buffer.from(source, 'utf8').toString('base64');
    const d = {
      code_name: name,
      description: `${name} does things`,
      path_to_notebook: `/Users/someone@example.com/${name}`,
      action,
      default_parameters: opts.defaults ?? '{}',
      default_compute: 'SMALL',
      who_can_run: 'ONLY_US',
      notebook_contents: contents,
      notebook_contents_hash: opts.hash ?? sha256(contents),
      notebook_language: opts.language ?? 'SQL',
    };
    return seedRow('CODE', randomUUID(), pythonJsonDumps(d), opts.atMs ?? T0);
  },
  approval(kind: 'CODE_REQUEST_APPROVED' | 'CODE_REQUEST_REJECTED', codeId: string, reason: string, atMs = T0): DeltaRow {
    return seedRow(kind, codeId, pythonJsonDumps(reason), atMs);
  },
  job(jobName: string, codeName: string, parameters: string, compute = 'Small', atMs = T0, schedule = 'ad-hoc'): DeltaRow {
    const d = { job_name: jobName, code_name: codeName, parameters, compute, schedule };
    return seedRow('JOB', randomUUID(), pythonJsonDumps(d), atMs);
  },
};

/** api_version "2" rows as the CLI writes them. */
export const cli = {
  row(eventType: string, payload: Record<string, unknown>, atMs = T0, uuid = randomUUID()): DeltaRow {
    return { event_type: eventType, uuid, payload: JSON.stringify(payload), timestamp: BigInt(atMs) * 1000n, user: 'cli', notebook: null, hostname: 'laptop', api_version: '2' };
  },
  code(name: string, action: string, source: string, opts: { atMs?: number; path?: string; defaults?: string } = {}): DeltaRow {
    return cli.row('CODE', {
      code_name: name,
      description: `${name} v2`,
      path_to_notebook: opts.path ?? `${name}.sql`,
      action,
      default_parameters: opts.defaults ?? '{}',
      notebook_contents: source,
      notebook_contents_hash: sha256(source),
    }, opts.atMs);
  },
  /** `versionHash`: the version the keeper reviewed (see versionHash below). */
  approval(kind: 'CODE_REQUEST_APPROVED' | 'CODE_REQUEST_REJECTED', ref: { code_id?: string; code_name?: string }, versionHash: string, reason: string, atMs = T0): DeltaRow {
    return cli.row(kind, { ...ref, version_hash: versionHash, reason }, atMs);
  },
};

/**
 * The version hash of code, computed here from its definition and not by the code under test: sha256 of the JSON
 * array ["cleanroom code version 1", sha256(source), language, default parameters with sorted keys].
 */
export function versionHash(source: string, opts: { language?: string; defaults?: Record<string, string> } = {}): string {
  const defaults = opts.defaults ?? {};
  const sorted = Object.fromEntries(Object.keys(defaults).sort().map((k) => [k, defaults[k]]));
  return sha256(JSON.stringify(['cleanroom code version 1', sha256(source), opts.language ?? 'SQL', JSON.stringify(sorted)]));
}

export const SQL_SOURCE = '-- Databricks notebook source\nSELECT count(*) FROM publisher.users u JOIN advertiser.conversions c USING (user_id)\n';
export const sourceHash = sha256;

/** Feeds rows one at a time, tracking versions per participant; facts say every location holds data. */
export class Harness {
  state: CleanroomState = emptyState();
  now = T0 + 60_000;
  facts: Record<string, LocationFacts> = {};
  private versions: Record<string, number> = {};

  ctx(): ProcessorContext {
    return { participants: PARTICIPANTS, computeSizes: COMPUTE_SIZES, now: this.now, facts: this.facts };
  }

  /** Declares what the runtime would find at a location. */
  at(location: string, format: string, facts: LocationFacts): this {
    this.facts[factsKey(location, format)] = facts;
    return this;
  }

  envelope(participant: ParticipantInfo, row: DeltaRow): EventEnvelope {
    const version = (this.versions[participant.name] = (this.versions[participant.name] ?? 0) + 1);
    return { participant: participant.name, eventsVersion: version, index: 0, row };
  }

  send(participant: ParticipantInfo, row: DeltaRow): EventOutcome {
    const before = JSON.stringify(this.state);
    const result = applyEvent(this.state, this.envelope(participant, row), this.ctx());
    if (JSON.stringify(this.state) !== before) throw new Error('applyEvent modified its input state');
    this.state = result.state;
    this.now += 1000;
    return result;
  }

  /** Sends and expects SUCCESS, returning the outcome. */
  ok(participant: ParticipantInfo, row: DeltaRow): EventOutcome {
    const outcome = this.send(participant, row);
    if (outcome.status !== 'SUCCESS') throw new Error(`expected SUCCESS, got ERROR: ${outcome.message}`);
    return outcome;
  }

  codeId(name: string): string {
    const code = this.state.code[name];
    if (!code) throw new Error(`no code ${name}`);
    return code.codeId;
  }
}
