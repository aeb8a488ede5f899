// Fenced code blocks as steps. A shell block (bash, sh, shell) becomes a confirm-first
// script; a block of only request lines or reading curl commands becomes HTTP checks. A
// block written as several blank-line-separated groups, each led by a `# comment`, is a
// collection of commands (seed 001's "표준 명령 모음"): each group is its own step, titled by
// its comment, so the operator never runs promote and abort as one script.
import { isRequestLine, proposedCheck } from './requests.js';
import type { ProposedHttpCheck, ProposedScript } from './structure.js';
import { squash } from './words.js';

export const SHELL_LANGS = new Set(['bash', 'sh', 'shell']);

export type CodeStep = { http: ProposedHttpCheck; label: string } | { script: ProposedScript; label: string } | { manual: string; label: string };

export function codeSteps(lang: string | null | undefined, value: string): CodeStep[] {
  const shell = SHELL_LANGS.has((lang ?? '').toLowerCase());
  const lines = value.split('\n');
  if (!shell) {
    const commands = commandsOf(lines);
    return commands.length > 0 && commands.every(isRequestLine) ? requestSteps(commands, commands.map(proposedCheck)) : [];
  }
  return groupsOf(lines).flatMap((group) => {
    const commands = commandsOf(group.lines);
    if (commands.length === 0) return [];
    const checks = commands.map(proposedCheck);
    if (commands.every((c, i) => checks[i] || isRequestLine(c))) return requestSteps(commands, checks);
    const block = group.lines.join('\n').trim();
    const label = group.comment ?? runLabel(commands);
    return [{ script: { block, label }, label }];
  });
}

/** Each command as its check, or as a manual step where it has none (a POST, say). */
function requestSteps(commands: string[], checks: (ProposedHttpCheck | undefined)[]): CodeStep[] {
  return commands.map((c, i) => {
    const http = checks[i];
    return http ? { http, label: http.label } : { manual: squash(c, 120), label: squash(c, 120) };
  });
}

function runLabel(commands: string[]): string {
  const more = commands.length > 1 ? ` (+${commands.length - 1} more)` : '';
  return `Run: ${squash(commands[0], 100)}${more}`;
}

/** Commands: comment and blank lines dropped, backslash continuations joined. */
function commandsOf(lines: string[]): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (!cur && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      cur += `${line.slice(0, -1).trim()} `;
      continue;
    }
    out.push((cur + line).trim());
    cur = '';
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

interface Group {
  comment?: string;
  lines: string[];
}

function groupsOf(lines: string[]): Group[] {
  const paragraphs: string[][] = [[]];
  for (const line of lines) {
    if (line.trim() === '') {
      if (paragraphs[paragraphs.length - 1].length) paragraphs.push([]);
    } else paragraphs[paragraphs.length - 1].push(line);
  }
  const groups = paragraphs.filter((p) => p.length > 0);
  const led = groups.length > 1 && groups.every((g) => isComment(g[0]));
  if (!led) return [{ lines }];
  return groups.map((g) => ({ comment: squash(g[0].trim().replace(/^#+\s*/, ''), 120) || undefined, lines: g }));
}

const isComment = (line: string) => line.trim().startsWith('#') && !line.trim().startsWith('#!');
