/** Quoting for SQL the runtime itself writes (never for approved code). */

/** Names the runtime creates in the sandbox: participants and tables, validated once more here. */
export const SQL_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL literal cannot contain a NUL character');
  return `'${text.replace(/'/g, "''")}'`;
}

export function literalList(items: readonly string[]): string {
  return `[${items.map(quoteLiteral).join(', ')}]`;
}
