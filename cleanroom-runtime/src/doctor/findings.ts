/** What `cleanroom doctor` found: one line per check, and for a problem the command that fixes it. */

/**
 * ok: in place. problem: a deploy or a running clean room fails because of it. pending: not done yet, and expected at
 * this stage (e.g. before the first deploy); the fix says when to do it.
 */
export type FindingStatus = 'ok' | 'problem' | 'pending';

export interface Finding {
  readonly status: FindingStatus;
  /** What was checked, e.g. "API run.googleapis.com in publisher-cleanroom". */
  readonly check: string;
  readonly detail: string;
  /** How to fix it (problems and pending findings). */
  readonly fix?: string;
}

export const ok = (check: string, detail: string): Finding => ({ status: 'ok', check, detail });
export const problem = (check: string, detail: string, fix: string): Finding => ({ status: 'problem', check, detail, fix });
export const pending = (check: string, detail: string, fix: string): Finding => ({ status: 'pending', check, detail, fix });

const MARK: Record<FindingStatus, string> = { ok: 'ok     ', problem: 'PROBLEM', pending: 'pending' };

/** Plain text, one finding per line and its fix indented below. */
export function formatFindings(title: string, findings: readonly Finding[]): string {
  const lines = [title];
  for (const finding of findings) {
    lines.push(`  ${MARK[finding.status]}  ${finding.check}: ${finding.detail}`);
    if (finding.fix) lines.push(`           fix: ${finding.fix}`);
  }
  const problems = findings.filter((f) => f.status === 'problem').length;
  const pendings = findings.filter((f) => f.status === 'pending').length;
  lines.push(`${problems} problem${problems === 1 ? '' : 's'}, ${pendings} pending, ${findings.length - problems - pendings} ok`);
  return `${lines.join('\n')}\n`;
}
