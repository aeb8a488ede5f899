// Fenced code blocks as steps. A shell block (bash, sh, shell) becomes a confirm-first
// script; a block written as a terminal session runs its prompted lines only (commands.ts);
// a block of only request lines or reading curl commands becomes HTTP checks. A block
// written as several blank-line-separated groups, each led by a `# comment`, is a
// collection of commands (seed 001's "표준 명령 모음"): each group is its own step, titled by
// its comment, so the operator never runs promote and abort as one script; a blank line inside
// an if, a loop, braces, a quote or a here-document never cuts (shell-scan.ts). A session in
// another program (python, psql) is a step for a person, shown, never run. Output and data
// fences (text, log, json, yaml, …) never run.
import { blockCommands, fenceKind, promptedCommand } from './commands.js';
import { destructiveReason } from './destructive.js';
import { placeholdersOf, variablesSet } from './placeholders.js';
import { isRequestLine, proposedCheck } from './requests.js';
import { closedAfter } from './shell-scan.js';
import type { ProposedHttpCheck, ProposedScript } from './structure.js';
import { squash } from './words.js';

export { SHELL_LANGS } from './commands.js';

const WINDOWS_SHELLS = /^(powershell|pwsh|ps1|ps|cmd|bat|batch)$/i;

/** What annotations (annotate.ts) add to a block's step: its id, scope, and that it belongs to the rollback. */
export interface StepMarks {
  id?: string;
  scope?: string;
  rollback?: true;
}

export type CodeStep = ({ http: ProposedHttpCheck; label: string } | { script: ProposedScript; label: string } | { manual: string; label: string }) & StepMarks;

/** What the walker knows when it reads a block. */
export interface BlockContext {
  /** Variables earlier blocks of the runbook set; the block's own are added as it is read. */
  defined: Set<string>;
  /** The runbook marks the block a read-only check, polled this often (ms) or only as a step. */
  check?: { every?: string };
}

// Indexed loops, no callbacks: a long runbook has a code block in every other section.
export function codeSteps(lang: string | null | undefined, value: string, ctx: BlockContext = { defined: new Set() }): CodeStep[] {
  const kind = fenceKind(lang);
  const out: CodeStep[] = [];
  if (kind === 'data') {
    // A Windows shell's commands are for a person at that shell: a step to confirm, never run.
    if (WINDOWS_SHELLS.test(lang ?? '')) {
      const lines = value.split('\n');
      const prompted = lines.map(promptedCommand).filter((c): c is string => c !== undefined);
      const commands = prompted.length > 0 ? prompted : commandsOf(lines);
      if (commands.length > 0) out.push({ manual: commands.join('\n'), label: `Run in ${lang}: ${runLabel(commands).slice('Run: '.length)}` });
      return out;
    }
    const commands = commandsOf(value.split('\n'));
    if (commands.length === 0) return out;
    for (let i = 0; i < commands.length; i++) if (!isRequestLine(commands[i])) return out;
    requestSteps(commands, commands.map(proposedCheck), out);
    return out;
  }
  const read = blockCommands(lang, value);
  // A session in python, psql or irb: the operator types it; the cockpit shows every line.
  if (read.byHand) {
    if (read.byHand.length > 0) out.push({ manual: read.byHand.join('\n'), label: `Run by hand: ${runLabel(read.byHand).slice('Run: '.length)}` });
    return out;
  }
  if (read.commands.length === 0) {
    // An unlabelled block of request lines (GET /health) still proposes its checks.
    const commands = commandsOf(value.split('\n'));
    if (kind === 'session' && commands.length > 0 && commands.every(isRequestLine)) requestSteps(commands, commands.map(proposedCheck), out);
    return out;
  }
  const groups: Group[] = read.prompted ? [{ lines: read.commands.join('\n').split('\n') }] : groupsOf(value.split('\n'));
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    const commands = commandsOf(group.lines);
    if (commands.length === 0) continue;
    const checks: (ProposedHttpCheck | undefined)[] = [];
    let requests = true;
    for (let i = 0; i < commands.length; i++) {
      checks.push(proposedCheck(commands[i]));
      if (requests && !checks[i] && !isRequestLine(commands[i])) requests = false;
    }
    if (requests) {
      requestSteps(commands, checks, out);
      continue;
    }
    const written = group.lines.join('\n').trim();
    const filled = placeholdersOf(written, ctx.defined);
    for (const name of variablesSet(written)) ctx.defined.add(name);
    const script: ProposedScript = { block: filled.script, label: group.comment ?? runLabel(commands) };
    if (read.prompted && read.output.length > 0) script.output = read.output;
    if (filled.placeholders.length > 0) script.placeholders = filled.placeholders;
    if (filled.unfillable) script.unfillable = filled.unfillable;
    if (filled.evaluated) script.evaluated = filled.evaluated;
    const destructive = destructiveReason(written);
    if (destructive) script.destructive = destructive;
    // A destructive block is never a check the Gate waits on, whatever the runbook says.
    if (ctx.check && !destructive) script.check = ctx.check;
    out.push({ script, label: script.label });
  }
  return out;
}

/** Each command as its check, or as a manual step where it has none (a POST, say). */
function requestSteps(commands: string[], checks: (ProposedHttpCheck | undefined)[], out: CodeStep[]): void {
  for (let i = 0; i < commands.length; i++) {
    const http = checks[i];
    if (http) out.push({ http, label: http.label });
    else {
      const label = squash(commands[i], 120);
      out.push({ manual: label, label });
    }
  }
}

function runLabel(commands: string[]): string {
  const more = commands.length > 1 ? ` (+${commands.length - 1} more)` : '';
  return `Run: ${squash(commands[0], 100)}${more}`;
}

/** Commands: comment and blank lines dropped, backslash continuations joined. */
function commandsOf(lines: string[]): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
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

/** Blank-line groups, each led by a comment; cut only where no if, loop, brace, quote or here-document is open. */
function groupsOf(lines: string[]): Group[] {
  const groups: string[][] = [];
  const closed = closedAfter(lines);
  let cur: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() !== '' || (cur.length > 0 && !closed[i])) cur.push(line);
    else if (cur.length > 0) {
      groups.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) groups.push(cur);
  if (groups.length < 2) return [{ lines }];
  for (let i = 0; i < groups.length; i++) if (!isComment(groups[i][0])) return [{ lines }];
  const out: Group[] = [];
  for (let i = 0; i < groups.length; i++) out.push({ comment: squash(groups[i][0].trim().replace(/^#+\s*/, ''), 120) || undefined, lines: groups[i] });
  return out;
}

const isComment = (line: string) => line.trim().startsWith('#') && !line.trim().startsWith('#!');
