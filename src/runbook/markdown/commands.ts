// What in a fenced block is a command. A block written as a terminal session (`$ git pull`,
// `user@host:~$ …`, `PS C:\> …`) runs only its prompted lines, prompts stripped; the lines
// between them are the output a person expects to see. A block with no prompts runs whole
// when its fence names a shell, and never when it names output or data, or nothing at all.
import { ShellScanner } from './shell-scan.js';

/** Fences whose text is a script as written. */
export const SHELL_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'ksh']);
/** Fences that show a terminal session: prompted lines run, the rest is output. */
export const SESSION_LANGS = new Set(['console', 'shell-session', 'shellsession', 'terminal', 'bash-session', 'sh-session', 'ps1con', 'pwsh-session']);

/** A prompt at the start of a line, and the command after it. */
const PROMPTS: RegExp[] = [
  /^\s*(?:\([\w.-]+\)\s+)?\$ (.*)$/, // $ cmd, (venv) $ cmd
  /^\s*(?:\([\w.-]+\)\s+)?% (.*)$/, // zsh: % cmd
  /^\s*[\w.-]+@[\w.-]+(?::[^\s$#]*)?\s?[$#] (.*)$/, // user@host:~$ cmd, root@db:/# cmd
  /^\s*\[[^\]\n]+\][$#] (.*)$/, // [user@host dir]$ cmd
  /^\s*[\w.-]+[$#] (.*)$/, // name$ cmd
  /^\s*PS [^>\n]*> (.*)$/, // PS C:\> cmd
  /^\s*[A-Za-z]:\\[^>\n]*> (.*)$/, // C:\> cmd
];
/** `# cmd`: a root prompt in a session of root prompts only, a comment or output otherwise. */
const ROOT_PROMPT = /^\s*# (.*)$/;
/** `> more`: the rest of an unfinished command (an open quote, a here-document, a trailing `|`). */
const CONTINUATION = /^\s*> ?(.*)$/;

/**
 * Prompts of programs other than a shell: what follows them is never a shell command. A block
 * holding them is a session for a person (python, a SQL client, irb, a debugger).
 */
const REPL_PROMPTS: RegExp[] = [
  /^\s*>>>(?: |$)/, // python
  /^\s*In \[\d*\]: /, // ipython, jupyter
  /^\s*(?:mysql|mariadb|MariaDB \[[^\]\n]*\]|sqlite3?|redis|cqlsh(?::[\w.]+)?|scala|jshell|ghci|Prelude|ftp|sftp|mongo|mongosh|hive|ksql|clickhouse|trino|presto|node|julia|ipdb)> /,
  /^\s*[A-Za-z_][\w.]*[=\-('"][#>] /, // psql: postgres=# , postgres=> , postgres-#
  /^\s*[\w.-]+:\d+(?:\[\d+\])?> /, // redis-cli: 127.0.0.1:6379>
  /^\s*(?:\[\d+\] )?(?:irb|pry|iex|hbase)\([^)\n]*\)[\w:]*[>*] /, // irb(main):001:0> , [1] pry(main)> , iex(1)>
  /^\s*\((?:gdb|Pdb|lldb)\) /, // debuggers
];

/** The line is a prompt of a program other than a shell. */
export function isReplLine(line: string): boolean {
  for (let i = 0; i < REPL_PROMPTS.length; i++) if (REPL_PROMPTS[i].test(line)) return true;
  return false;
}

/** The command after a user's prompt on this line, if it has one. */
export function promptedCommand(line: string): string | undefined {
  if (isReplLine(line)) return undefined;
  for (let i = 0; i < PROMPTS.length; i++) {
    const m = PROMPTS[i].exec(line);
    if (m && m[1].trim() !== '') return m[1];
  }
  return undefined;
}

export type FenceKind = 'script' | 'session' | 'data';

/** How a fence's language is read: a script, a terminal session, or text that never runs. */
export function fenceKind(lang: string | null | undefined): FenceKind {
  const l = (lang ?? '').toLowerCase();
  if (SHELL_LANGS.has(l)) return 'script';
  if (SESSION_LANGS.has(l) || l === '') return 'session';
  return 'data';
}

/** A block read as commands: the lines that run and the lines shown as expected output. */
export interface BlockCommands {
  /** Each command as it runs (prompt stripped; continuation lines kept with it). */
  commands: string[];
  /** The lines that are not run: expected output. */
  output: string[];
  /** The block was written as a terminal session. */
  prompted: boolean;
  /** The session goes into another program (python, psql, irb): a person's, never run. Its prompted lines as written. */
  byHand?: string[];
}

/**
 * The commands of a block. A block with a user's prompt (`$ `, `user@host:~$ `) runs its
 * prompted lines only, and its `# ` lines are output or comments. `# ` is a root prompt only in
 * a session fence (console, terminal …) whose prompts are all `# `, and there only while the
 * text above it reads as commands (commands.ts rootCommand). A `> ` line continues a command
 * that is unfinished, nothing else. A block with a REPL prompt is a person's. Unprompted
 * blocks run whole in a shell fence and not at all otherwise.
 */
export function blockCommands(lang: string | null | undefined, value: string): BlockCommands {
  const kind = fenceKind(lang);
  const lines = value.split('\n');
  let user = false;
  let repl = false;
  let root = false;
  for (let i = 0; i < lines.length; i++) {
    if (isReplLine(lines[i])) repl = true;
    else if (promptedCommand(lines[i]) !== undefined) user = true;
    else if (rootCommand(lines[i]) !== undefined) root = true;
  }
  const rootSession = !user && root && SESSION_LANGS.has((lang ?? '').toLowerCase());
  if (kind !== 'data' && repl) {
    const byHand = lines.filter((l) => isReplLine(l) || promptedCommand(l) !== undefined || (rootSession && rootCommand(l) !== undefined)).map((l) => l.trim());
    return { commands: [], output: lines.filter((l) => l.trim() !== ''), prompted: true, byHand };
  }
  if (kind === 'data' || (!user && !rootSession)) {
    if (kind === 'script') return { commands: [value], output: [], prompted: false };
    return { commands: [], output: lines, prompted: false };
  }
  const commands: string[] = [];
  const output: string[] = [];
  let scan: ShellScanner | undefined; // the last command, while it is unfinished
  let shows = false; // a root session whose text below is a file or listing shown
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const last = commands.length - 1;
    if (scan && !scan.complete) {
      // A backslash or an open here-document takes the next line as written; anything
      // else unfinished (a quote, a `|`) only a line written as a continuation (`> `).
      const cont = CONTINUATION.exec(line);
      const text = scan.endsWithBackslash || (scan.inHeredoc && !cont) ? line : cont?.[1];
      if (text !== undefined) {
        commands[last] += `\n${text}`;
        scan.feed(text);
        continue;
      }
    }
    const cmd = user ? promptedCommand(line) : shows ? undefined : rootCommand(line);
    if (cmd !== undefined) {
      commands.push(cmd);
      scan = new ShellScanner();
      scan.feed(cmd);
      if (rootSession && SHOWS_TEXT.test(cmd)) shows = true;
      continue;
    }
    scan = undefined;
    if (line.trim() === '') continue;
    output.push(line);
    // Output with comment lines in it (a script, a crontab): a `# ` line below is more of it.
    if (rootSession && /^\s*#/.test(line)) shows = true;
  }
  return { commands, output, prompted: true };
}

/** Commands whose output is a file or a listing: any `# ` line under them may be part of it. */
const SHOWS_TEXT =
  /^(?:sudo\s+(?:-\S+\s+)*)?(?:cat|tac|less|more|head|tail|zcat|zless|bat|batcat|nl|view|vi|vim|grep|egrep|fgrep|rg|ag|awk|sed|cut|sort|diff|strings|jq|yq|echo|printf|type|declare|set|env|printenv|history|man|journalctl|dmesg|crontab\s+-l|git\s+(?:show|diff|log|blame)|helm\s+(?:history|get|show|template)|kubectl\s+(?:get|describe|logs)|docker\s+(?:logs|inspect)|systemctl\s+(?:cat|status))\b/;

/** The command of a root prompt line (`# systemctl restart nginx`): a word that names a command, not a sentence or a number. */
function rootCommand(line: string): string | undefined {
  const m = ROOT_PROMPT.exec(line);
  if (!m) return undefined;
  const rest = m[1].trim();
  if (!/^(?:[a-z_.~/][\w.+/:@-]*|\[\[?)(?:\s|$)/.test(rest)) return undefined;
  return rest;
}
