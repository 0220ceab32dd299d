/**
 * Puts content into the clean room workspace at content-addressed paths, never overwriting a different content
 * there: import with overwrite=false; on RESOURCE_ALREADY_EXISTS, export and compare. Notebooks are imported as
 * SOURCE in their language; the approved SQL the runner reads is a workspace file (RAW: stored byte for byte, so
 * its sha256 is the approved one; https://docs.databricks.com/api/gcp/workspace/workspace/import).
 */
import { createHash } from 'node:crypto';
import type { ApprovedCode, CodeLanguage } from '../engine';
import type { DatabricksClient } from './databricks-client';
import { DatabricksApiError, DatabricksInputError, NotebookConflictError } from './errors';
import { assertApprovedCode } from './identifiers';

/** The workspace folder the runtime imports its notebooks and approved code into (the stack declares it). */
export const DEFAULT_WORKSPACE_ROOT = '/Cleanroom';
const WORKSPACE_ROOT = /^(\/[A-Za-z0-9_-]+)+$/;

export function assertWorkspaceRoot(root: string): void {
  if (!WORKSPACE_ROOT.test(root)) {
    throw new DatabricksInputError(`Workspace root ${JSON.stringify(root)} must look like /Cleanroom (absolute, no dots)`);
  }
}

/** `<root>/code/<participant>/<name>/<hash>`; validates every segment. */
export function notebookPath(root: string, code: ApprovedCode): string {
  assertWorkspaceRoot(root);
  assertApprovedCode(code);
  return `${root}/code/${code.participant}/${code.name}/${code.hash}`;
}

/** `<root>/code/<participant>/<name>/<hash>.sql`: approved SQL as the workspace file the runner reads. */
export function sqlFilePath(root: string, code: ApprovedCode): string {
  return `${notebookPath(root, code)}.sql`;
}

const HEADER_COMMENT: Record<CodeLanguage, string> = { SQL: '--', PYTHON: '#', SCALA: '//', R: '#' };

/**
 * Content as it compares across an import/export round trip: a SOURCE export starts with
 * "<comment> Databricks notebook source", line endings and trailing whitespace may differ; nothing else is forgiven.
 */
export function comparableSource(content: string, language: CodeLanguage): string {
  const header = `${HEADER_COMMENT[language]} Databricks notebook source`;
  let text = content.replace(/\r\n/g, '\n');
  if (text.startsWith(header + '\n') || text === header) text = text.slice(header.length + 1);
  return text.replace(/\s+$/, '');
}

export function sha256Hex(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** A notebook in a language, or a workspace file whose bytes must stay exactly these. */
export type WorkspaceContent = { kind: 'notebook'; language: CodeLanguage; content: string } | { kind: 'file'; content: string };

export class WorkspaceNotebooks {
  private readonly ensured = new Set<string>();

  constructor(private readonly client: DatabricksClient, private readonly root: string) {
    assertWorkspaceRoot(root);
  }

  /** Returns the notebook path holding exactly `code.content` (importing it if needed). */
  async ensure(code: ApprovedCode): Promise<string> {
    const path = notebookPath(this.root, code);
    assertContentHash(code);
    await this.ensureAt(path, { kind: 'notebook', language: code.language, content: code.content });
    return path;
  }

  /** Returns the workspace file path holding exactly the approved SQL's bytes. */
  async ensureSqlFile(code: ApprovedCode): Promise<string> {
    const path = sqlFilePath(this.root, code);
    assertContentHash(code);
    await this.ensureAt(path, { kind: 'file', content: code.content });
    return path;
  }

  /** Imports `item` at `path` unless that path already holds the same content; a different content is a conflict. */
  async ensureAt(path: string, item: WorkspaceContent): Promise<void> {
    if (this.ensured.has(path)) return;
    await this.client.post('/api/2.0/workspace/mkdirs', { path: path.slice(0, path.lastIndexOf('/')) });
    const content = Buffer.from(item.content, 'utf8').toString('base64');
    try {
      await this.client.post('/api/2.0/workspace/import', item.kind === 'notebook'
        ? { path, format: 'SOURCE', language: item.language, content, overwrite: false }
        : { path, format: 'RAW', content, overwrite: false });
    } catch (error) {
      if (!(error instanceof DatabricksApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      const exported = await this.client.get<{ content?: string }>('/api/2.0/workspace/export', {
        path,
        format: item.kind === 'notebook' ? 'SOURCE' : 'RAW',
      });
      const existing = Buffer.from(exported.content ?? '', 'base64').toString('utf8');
      const same = item.kind === 'notebook'
        ? comparableSource(existing, item.language) === comparableSource(item.content, item.language)
        : existing === item.content;
      if (!same) throw new NotebookConflictError(path);
    }
    this.ensured.add(path);
  }
}

function assertContentHash(code: ApprovedCode): void {
  const digest = sha256Hex(code.content);
  if (digest !== code.hash) {
    throw new DatabricksInputError(
      `Approved code ${code.participant}/${code.name} does not match its hash ${code.hash} (content hashes to ${digest}); refusing to run it`,
    );
  }
}
