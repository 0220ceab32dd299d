/**
 * Puts approved code into the clean room workspace at a content-addressed path, never overwriting a different
 * content there: import with overwrite=false; on RESOURCE_ALREADY_EXISTS, export and compare.
 */
import { createHash } from 'node:crypto';
import type { ApprovedCode, CodeLanguage } from '../engine';
import type { DatabricksClient } from './databricks-client';
import { DatabricksApiError, DatabricksInputError, NotebookConflictError } from './errors';
import { assertApprovedCode } from './identifiers';

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

export class WorkspaceNotebooks {
  private readonly ensured = new Set<string>();

  constructor(private readonly client: DatabricksClient, private readonly root: string) {
    assertWorkspaceRoot(root);
  }

  /** Returns the notebook path holding exactly `code.content` (importing it if needed). */
  async ensure(code: ApprovedCode): Promise<string> {
    const path = notebookPath(this.root, code);
    const digest = createHash('sha256').update(code.content, 'utf8').digest('hex');
    if (digest !== code.hash) {
      throw new DatabricksInputError(
        `Approved code ${code.participant}/${code.name} does not match its hash ${code.hash} (content hashes to ${digest}); refusing to run it`,
      );
    }
    if (this.ensured.has(path)) return path;
    await this.client.post('/api/2.0/workspace/mkdirs', { path: path.slice(0, path.lastIndexOf('/')) });
    try {
      await this.client.post('/api/2.0/workspace/import', {
        path,
        format: 'SOURCE',
        language: code.language,
        content: Buffer.from(code.content, 'utf8').toString('base64'),
        overwrite: false,
      });
    } catch (error) {
      if (!(error instanceof DatabricksApiError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      const exported = await this.client.get<{ content?: string }>('/api/2.0/workspace/export', {
        path,
        format: 'SOURCE',
      });
      const existing = Buffer.from(exported.content ?? '', 'base64').toString('utf8');
      if (comparableSource(existing, code.language) !== comparableSource(code.content, code.language)) {
        throw new NotebookConflictError(path);
      }
    }
    this.ensured.add(path);
    return path;
  }
}
