/** Reads a code file the way the clean room will see it: UTF-8 source, its sha256 and its language. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CodeLanguage } from '../../engines/engine';
import { detectLanguage, MAX_NOTEBOOK_BYTES, sha256Hex } from '../../processor';
import { CliError } from './errors';

export interface CodeFile {
  /** File name without folders (sent as path_to_notebook: the extension tells the language, the local path stays private). */
  fileName: string;
  source: string;
  /** sha256 hex of the UTF-8 source: the hash the clean room stores it under and approvals pin. */
  hash: string;
  language: CodeLanguage;
}

export async function readCodeFile(file: string): Promise<CodeFile> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new CliError(`--file ${file}: no such file; give the path of the notebook or SQL file to register`);
  if (stat.size > MAX_NOTEBOOK_BYTES) {
    throw new CliError(`--file ${file} is ${stat.size} bytes, above the clean room's limit of ${MAX_NOTEBOOK_BYTES} bytes (1 MiB): split it or move data out of the code`);
  }
  const bytes = await fs.readFile(file);
  let source: string;
  try {
    source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`--file ${file} is not UTF-8 text: export the notebook as SOURCE (.sql, .py, .scala or .r)`);
  }
  return checkedCode(source, path.basename(file), `--file ${file}`, null);
}

const EXTENSIONS: Readonly<Record<string, string>> = { sql: 'sql', python: 'py', scala: 'scala', r: 'r' };

/**
 * Code read from standard input (`--file -`): its language from a Databricks source header or `--language`; the
 * name sent with it is `<code name>.<extension>`, as a file of that language would be.
 */
export function codeFromText(source: string, codeName: string, language: string | undefined): CodeFile {
  const stated = language?.trim().toLowerCase();
  if (stated !== undefined && EXTENSIONS[stated] === undefined) throw new CliError(`--language ${JSON.stringify(language)}: use one of sql, python, scala, r`);
  if (Buffer.byteLength(source) > MAX_NOTEBOOK_BYTES) {
    throw new CliError(`--file - holds more than the clean room's limit of ${MAX_NOTEBOOK_BYTES} bytes (1 MiB): split it or move data out of the code`);
  }
  const fileName = stated ? `${codeName}.${EXTENSIONS[stated]}` : codeName;
  if (!stated && source.trim() !== '' && !/^\uFEFF?(--|\/\/|#) Databricks notebook source/.test(source.trimStart())) {
    throw new CliError('--file - : give the language with --language sql|python|scala|r (or start the code with a Databricks source header)');
  }
  return checkedCode(source, fileName, '--file -', null);
}

function checkedCode(source: string, fileName: string, what: string, stated: string | null): CodeFile {
  if (source.trim() === '') throw new CliError(`${what} is empty: register a file with code in it`);
  const language = detectLanguage(source, fileName, stated);
  if (!language.ok) throw new CliError(`${what}: ${language.message}`);
  return { fileName, source, hash: sha256Hex(source), language: language.value };
}
