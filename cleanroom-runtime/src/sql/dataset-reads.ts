/**
 * Which registered datasets SQL code reads: every `participant.table` name in its code (also back-quoted, or inside
 * a three-part `catalog.participant.table`), for the participants of the clean room. It over-approximates on purpose
 * (a name in a column alias counts too): more datasets mean more approvals and more datasets exposed to the run,
 * never fewer. What cannot be known from the text is said: a table named by an expression (`IDENTIFIER(:name)`).
 * Reading files by path (`delta.\`gs://...\``, `read_files(...)`) bypasses the registered datasets and is refused.
 */
import { lexSparkSql } from './spark-lexer';

export interface DatasetReads {
  /** `participant.table`, lower case, sorted, each once. */
  reads: string[];
  /** Why the reads cannot all be known from the text, or null. */
  unknown: string | null;
  /** Constructs that read files or tables around the registered datasets (refused at registration). */
  problems: string[];
}

const FILE_FORMATS = new Set(['delta', 'parquet', 'json', 'csv', 'orc', 'avro', 'text', 'binaryfile', 'cloud_files']);
const FILE_FUNCTIONS = /\b(read_files|read_csv|read_json|read_parquet|read_text|read_delta|cloud_files|read_kafka|read_stream|read_pubsub|input_file_name)\s*\(/i;

type Token = { kind: 'name'; text: string } | { kind: 'dot' } | { kind: 'string'; text: string } | { kind: 'other'; text: string };

export function datasetReadsOf(sql: string, participants: readonly string[]): DatasetReads {
  const known = new Set(participants.map((p) => p.toLowerCase()));
  const tokens = tokensOf(sql);
  const reads = new Set<string>();
  const problems: string[] = [];
  let unknown: string | null = null;
  const names = (start: number): string[] => {
    const parts: string[] = [];
    for (let i = start; i < tokens.length; i += 2) {
      const token = tokens[i];
      if (token.kind !== 'name') break;
      parts.push(...token.text.split('.'));
      if (tokens[i + 1]?.kind !== 'dot') break;
    }
    return parts;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === 'name' && (i === 0 || tokens[i - 1].kind !== 'dot')) {
      const parts = names(i).map((p) => p.toLowerCase());
      if (FILE_FORMATS.has(parts[0]) && parts.length === 2 && /[/:]/.test(parts[1])) {
        problems.push(`${parts[0]}.\`${parts[1].slice(0, 80)}\` reads files by path: read registered datasets by name (participant.table)`);
      }
      for (let k = 0; k + 1 < parts.length; k++) if (known.has(parts[k])) reads.add(`${parts[k]}.${parts[k + 1]}`);
      if (parts[0] === 'identifier' && tokens[i + 1]?.kind === 'other' && (tokens[i + 1] as { text: string }).text === '(') {
        const argument = tokens[i + 2];
        if (argument?.kind === 'string') {
          const inner = argument.text.toLowerCase().split('.').map((p) => p.replace(/^`|`$/g, ''));
          for (let k = 0; k + 1 < inner.length; k++) if (known.has(inner[k])) reads.add(`${inner[k]}.${inner[k + 1]}`);
        } else {
          unknown ??= 'a table is named by an expression (IDENTIFIER(...) with a parameter or an expression), so which datasets it reads depends on the job';
        }
      }
    }
  }
  const fileFunction = FILE_FUNCTIONS.exec(codeText(sql));
  if (fileFunction) problems.push(`${fileFunction[1]}(...) reads files directly: read registered datasets by name (participant.table)`);
  return { reads: [...reads].sort(), unknown, problems };
}

/** Names (unquoted words and back-quoted names), dots, strings and other characters of the code, comments left out. */
function tokensOf(sql: string): Token[] {
  const tokens: Token[] = [];
  for (const segment of lexSparkSql(sql)) {
    if (segment.kind === 'comment') continue;
    if (segment.kind === 'identifier') {
      tokens.push({ kind: 'name', text: segment.text.slice(1, -1).replace(/``/g, '`') });
      continue;
    }
    if (segment.kind === 'string') {
      tokens.push({ kind: 'string', text: segment.text.replace(/^[rR]?['"]|['"]$/g, '') });
      continue;
    }
    for (const match of segment.text.matchAll(/[\p{L}\p{N}_]+|\.|\S/gu)) {
      const text = match[0];
      if (text === '.') tokens.push({ kind: 'dot' });
      else if (/^[\p{L}\p{N}_]+$/u.test(text)) tokens.push({ kind: 'name', text });
      else tokens.push({ kind: 'other', text });
    }
  }
  return tokens;
}

function codeText(sql: string): string {
  return lexSparkSql(sql)
    .map((segment) => (segment.kind === 'code' ? segment.text : ' '))
    .join('');
}
