/**
 * Parses one YAML file and keeps its syntax tree, so any field path can be traced back to a line and column.
 */
import { Document, LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { ConfigProblem } from './problems';

export interface SourceFile {
  /** Absolute path, used in problems. */
  readonly path: string;
  readonly text: string;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface ParsedYaml {
  readonly file: SourceFile;
  /** The document as plain data (null for an empty file). */
  readonly data: unknown;
  /** Where a field is: its key, the item itself in a list, or the key of its parent mapping when it is missing. */
  positionOf(fieldPath: readonly PropertyKey[]): Position;
}

export type ParseResult = { ok: true; parsed: ParsedYaml } | { ok: false; problems: ConfigProblem[] };

const START: Position = { line: 1, column: 1 };

export function parseYamlFile(file: SourceFile): ParseResult {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `no` stays a string and there are no implicit dates. Duplicate keys are errors by default.
  const document = parseDocument(file.text, { lineCounter, prettyErrors: true });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    // Only the first: later parser errors are mostly consequences of it.
    const at = syntaxError.linePos?.[0];
    return {
      ok: false,
      problems: [
        {
          file: file.path,
          line: at?.line ?? 1,
          column: at?.col ?? 1,
          field: '',
          message: `expected valid YAML: ${firstLine(syntaxError.message)}`,
        },
      ],
    };
  }
  let data: unknown;
  try {
    // Caps alias expansion, so a hostile file cannot blow up into gigabytes ("billion laughs").
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      problems: [{ file: file.path, ...START, field: '', message: `expected valid YAML: ${firstLine(String(error))}` }],
    };
  }
  const position = (offset: number | undefined): Position => {
    if (offset === undefined) return START;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return {
    ok: true,
    parsed: { file, data, positionOf: (fieldPath) => position(locate(document, fieldPath)) },
  };
}

/** Offset of the node a field path leads to; see ParsedYaml.positionOf. */
function locate(document: Document, fieldPath: readonly PropertyKey[]): number | undefined {
  let node: unknown = document.contents;
  let offset = rangeStart(node);
  for (const segment of fieldPath) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return offset;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) return offset;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: readonly number[] | null }).range;
    return range?.[0];
  }
  return undefined;
}

/** The yaml package appends "at line L, column C:" and a code frame; the position is reported separately. */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
