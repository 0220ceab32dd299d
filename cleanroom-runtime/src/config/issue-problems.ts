/**
 * Turns zod issues into problems that point into the YAML file and say what is expected, using the description each
 * field carries in the schema.
 */
import { z } from 'zod';
import type { ConfigProblem } from './problems';
import { didYouMean } from './suggest';
import type { ParsedYaml } from './yaml-source';

type Path = readonly PropertyKey[];

export function fieldName(fieldPath: Path): string {
  return fieldPath
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`))
    .join('');
}

export function issuesToProblems(schema: z.ZodType, parsed: ParsedYaml, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const add = (fieldPath: Path, message: string): void => {
    const field = fieldName(fieldPath);
    // One problem per field: a value breaking two rules gets the first (e.g. shape before reserved words).
    if (seen.has(field)) return;
    seen.add(field);
    problems.push({ file: parsed.file.path, ...parsed.positionOf(fieldPath), field, message });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = Object.keys(objectShapeAt(schema, issue.path) ?? {});
      for (const key of issue.keys) {
        add([...issue.path, key], `unknown field${didYouMean(key, allowed)}; expected one of: ${allowed.join(', ')}`);
      }
      continue;
    }
    add(issue.path, messageFor(issue, schema, parsed.data));
  }
  return problems;
}

function messageFor(issue: z.core.$ZodIssue, schema: z.ZodType, data: unknown): string {
  if (issue.code === 'custom') return issue.message;
  const expected = descriptionAt(schema, issue.path) ?? issue.message;
  const value = valueAt(data, issue.path);
  if (value === undefined) return `missing; expected ${expected}`;
  // A mistyped choice (`colaborator`) names the choice it is closest to.
  const choices = issue.code === 'invalid_value' ? issue.values.filter((v): v is string => typeof v === 'string') : [];
  const suggestion = typeof value === 'string' && choices.length > 0 ? didYouMean(value, choices) : '';
  return `expected ${expected}; got ${describeValue(value)}${suggestion}`;
}

/** Shows a hostile value safely: quoted (control characters escaped) and cut short. */
function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, fieldPath: Path): unknown {
  let value = data;
  for (const segment of fieldPath) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** The first description found walking into the schema along the path, outer wrappers first. */
function descriptionAt(schema: z.ZodType, fieldPath: Path): string | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of fieldPath) {
    current = current && childSchema(current, segment);
  }
  let described: string | undefined;
  while (current && described === undefined) {
    described = current.description;
    current = unwrap(current);
  }
  return described;
}

function objectShapeAt(schema: z.ZodType, fieldPath: Path): Record<string, z.ZodType> | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of fieldPath) current = current && childSchema(current, segment);
  while (current && !(current instanceof z.ZodObject)) current = unwrap(current);
  return current instanceof z.ZodObject ? (current.shape as Record<string, z.ZodType>) : undefined;
}

function childSchema(schema: z.ZodType, segment: PropertyKey): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  while (current) {
    if (current instanceof z.ZodObject) return (current.shape as Record<string, z.ZodType>)[String(segment)];
    if (current instanceof z.ZodArray) return current.element as z.ZodType;
    current = unwrap(current);
  }
  return undefined;
}

function unwrap(schema: z.ZodType): z.ZodType | undefined {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault || schema instanceof z.ZodOptional) {
    return schema.unwrap() as z.ZodType;
  }
  return undefined;
}
