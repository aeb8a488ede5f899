// A runbook that cannot be loaded is reported as one error holding every problem found,
// each with the line and column in the YAML file and the field path, never a stack trace.

export interface RunbookIssue {
  /** The runbook file as the caller named it. */
  file: string;
  /** 1-based; 0 when the problem has no position (e.g. the file cannot be read). */
  line: number;
  /** 1-based; 0 when the problem has no position. */
  column: number;
  /** Field path, e.g. `checks.readyz.http.timeout` or `checklists.preflight[2].check`; '' for the file. */
  path: string;
  message: string;
  hint?: string;
}

export class RunbookError extends Error {
  readonly file: string;
  readonly issues: readonly RunbookIssue[];

  constructor(file: string, issues: readonly RunbookIssue[]) {
    const sorted = sortIssues(issues);
    super(formatIssues(file, sorted));
    this.name = 'RunbookError';
    this.file = file;
    this.issues = sorted;
  }

  /** One readable block: the file, the number of problems, then each problem with its place. */
  format(): string {
    return formatIssues(this.file, this.issues);
  }
}

export function isRunbookError(e: unknown): e is RunbookError {
  return e instanceof RunbookError;
}

function sortIssues(issues: readonly RunbookIssue[]): RunbookIssue[] {
  const seen = new Set<string>();
  const out: RunbookIssue[] = [];
  for (const i of issues) {
    const k = `${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(i);
  }
  // Stable sort: problems without a position first, then in file order.
  return out
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.column - b.issue.column || a.index - b.index)
    .map((x) => x.issue);
}

/** Problems printed in full; the rest are counted (a broken generated runbook has thousands). */
export const SHOWN_PROBLEMS = 50;

function formatIssues(file: string, issues: readonly RunbookIssue[]): string {
  const n = issues.length;
  const lines = [`${file}: ${n} problem${n === 1 ? '' : 's'}`];
  for (const issue of issues.slice(0, SHOWN_PROBLEMS)) {
    const where = issue.line > 0 ? `line ${issue.line}, column ${issue.column}` : '';
    const head = [where, issue.path].filter(Boolean).join('  ');
    const indent = head ? '    ' : '  ';
    if (head) lines.push(`  ${head}`);
    lines.push(...indentLines(issue.message, indent));
    if (issue.hint) lines.push(...indentLines(`hint: ${issue.hint}`, indent));
  }
  if (n > SHOWN_PROBLEMS) lines.push(`  … and ${n - SHOWN_PROBLEMS} more problem${n - SHOWN_PROBLEMS === 1 ? '' : 's'} (the first ${SHOWN_PROBLEMS} are shown; fix them and validate again)`);
  return lines.join('\n');
}

function indentLines(text: string, indent: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => indent + l.trimEnd());
}
