/**
 * Notebook contents as sent in CODE events: decoding, hash verification and language detection.
 *
 * api_version "1" (seed notebooks): `notebook_contents` is the Workspace export (base64 of the source) and the
 * seed hashes that base64 text, so the claimed hash is checked against sha256 of the text as sent.
 * api_version "2" (CLI): `notebook_contents` is the source itself; the claimed hash is sha256 of it.
 * Either way the clean room identifies a version by sha256 of the decoded source bytes (the canonical hash):
 * that is the `<hash>` in `code/<participant>/<name>/<hash>` and what approvals pin. The seed's own hash (of the
 * base64 export) is kept beside it, for the seed's notebooks and their users.
 */
import { createHash } from 'node:crypto';
import type { CodeLanguage } from '../engines/engine';
import type { ApiVersion } from '../events/event-model';
import { quote, type Checked } from './names';

export const MAX_NOTEBOOK_BYTES = 1024 * 1024;

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface NotebookSource {
  source: string;
  /** sha256 hex of the UTF-8 source. */
  hash: string;
  /** The seed notebooks' hash: sha256 of the base64 Workspace export (seedNotebookHash). */
  seedHash: string;
}

/**
 * The hash the seed's register_code notebook computes and its approve_code notebook shows: sha256 of the base64
 * text of the Workspace export, i.e. of the source's bytes in base64.
 */
export function seedNotebookHash(source: string): string {
  return sha256Hex(Buffer.from(source, 'utf8').toString('base64'));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HASH = /^[0-9a-f]{64}$/;

export function decodeNotebook(apiVersion: ApiVersion, contents: string, claimedHash: string): Checked<NotebookSource> {
  const claimed = claimedHash.trim().toLowerCase();
  if (!HASH.test(claimed)) {
    return { ok: false, message: `notebook_contents_hash ${quote(claimedHash)} is not a sha256 hex digest (64 hex characters)` };
  }
  const actual = sha256Hex(contents);
  if (actual !== claimed) {
    return { ok: false, message: `notebook_contents_hash does not match the contents: sha256 is ${actual}, the event says ${claimed}; re-send the event from the unmodified file` };
  }
  let source = contents;
  if (apiVersion === '1') {
    const compact = contents.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      return { ok: false, message: 'notebook_contents of an api_version "1" event must be the base64 Workspace export of the notebook' };
    }
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
    } catch {
      return { ok: false, message: 'notebook_contents decodes to bytes that are not UTF-8 text: export the notebook as SOURCE' };
    }
  }
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_NOTEBOOK_BYTES) {
    return { ok: false, message: `notebook is ${bytes} bytes, above the limit of ${MAX_NOTEBOOK_BYTES} bytes (1 MiB): split it or move data out of the code` };
  }
  if (source.trim() === '') return { ok: false, message: 'notebook_contents is empty: register a notebook with code in it' };
  // api_version 1 sent the export itself: its verified hash is the one the notebook computed.
  return { ok: true, value: apiVersion === '1' ? { source, hash: sha256Hex(source), seedHash: actual } : { source, hash: actual, seedHash: seedNotebookHash(source) } };
}

const LANGUAGES: readonly CodeLanguage[] = ['SQL', 'PYTHON', 'SCALA', 'R'];
const BY_EXTENSION: Record<string, CodeLanguage> = { sql: 'SQL', py: 'PYTHON', scala: 'SCALA', r: 'R' };

/**
 * Language from, in order: the Databricks source header on the first line, the path's extension, the
 * language the event states. ('#' headers are shared by Python and R: R only when the extension or event says so.)
 */
export function detectLanguage(source: string, pathToNotebook: string, stated: string | null): Checked<CodeLanguage> {
  const firstLine = source.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0].trim();
  const extension = /\.([A-Za-z]+)$/.exec(pathToNotebook)?.[1]?.toLowerCase();
  const fromExtension = extension ? BY_EXTENSION[extension] : undefined;
  const statedLanguage = stated ? (stated.trim().toUpperCase() as CodeLanguage) : undefined;
  const validStated = statedLanguage && LANGUAGES.includes(statedLanguage) ? statedLanguage : undefined;
  if (firstLine === '-- Databricks notebook source') return { ok: true, value: 'SQL' };
  if (firstLine === '// Databricks notebook source') return { ok: true, value: 'SCALA' };
  if (firstLine === '# Databricks notebook source') {
    return { ok: true, value: fromExtension === 'R' || validStated === 'R' ? 'R' : 'PYTHON' };
  }
  if (fromExtension) return { ok: true, value: fromExtension };
  if (validStated) return { ok: true, value: validStated };
  return {
    ok: false,
    message: "cannot tell the notebook's language: start it with a Databricks source header (e.g. '-- Databricks notebook source') or use a .sql, .py, .scala or .r file",
  };
}
