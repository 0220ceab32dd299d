/**
 * What an approval covers: everything that decides what runs — the content (its sha256), the language it runs
 * as, the default parameters and, when declared, the datasets it reads and the column holding each row's group size. Their combined digest is the code's *version hash*: the keeper approves a
 * version hash, a job runs only a version whose hash is approved, and any change to one of the three makes a
 * new version that awaits review again.
 */
import type { CodeLanguage } from '../engines/engine';
import { sha256Hex } from './code-content';
import type { CodeRecord } from './state';

export interface CodeVersionFields {
  /** sha256 of the source. */
  hash: string;
  language: CodeLanguage;
  /** JSON object text of the default parameters. */
  defaultParameters: string;
  /** The datasets the code was declared to read (they decide what its runs see); absent when not declared. */
  declaredReads?: readonly string[];
  /** The output column that holds each row's group size (it decides which rows the release gate suppresses). */
  groupSizeColumn?: string;
}

export function codeVersionHash(code: CodeVersionFields): string {
  const fields: unknown[] = ['cleanroom code version 1', code.hash, code.language, canonicalParameters(code.defaultParameters)];
  if (code.declaredReads !== undefined || code.groupSizeColumn !== undefined) fields.push(code.declaredReads === undefined ? null : [...code.declaredReads].sort());
  // Appended only when declared, so the version hashes of code registered before the field existed do not change.
  if (code.groupSizeColumn !== undefined) fields.push({ groupSizeColumn: code.groupSizeColumn });
  return sha256Hex(JSON.stringify(fields));
}

/** True when the code's current version (content, language and defaults) is the approved one. */
export function isApprovedNow(code: CodeRecord): boolean {
  return code.approval.status === 'CODE_REQUEST_APPROVED' && approvalCoversCurrent(code);
}

/** True when the code's last decision (approval or rejection) was made on its current version. */
export function approvalCoversCurrent(code: CodeRecord): boolean {
  if (code.approval.hash !== code.hash) return false;
  // Decisions recorded before version hashes existed applied to the content only.
  return code.approval.versionHash === undefined || code.approval.versionHash === codeVersionHash(code);
}

/** Parameters with sorted keys, so the same defaults always give the same version hash. */
function canonicalParameters(json: string): string {
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return json;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
    return JSON.stringify(sorted);
  } catch {
    return json;
  }
}
