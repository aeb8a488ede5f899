// What in a fenced block is a command. A block written as a terminal session (`$ git pull`,
// `user@host:~$ …`, `PS C:\> …`) runs only its prompted lines, prompts stripped; the lines
// between them are the output a person expects to see. A block with no prompts runs whole
// when its fence names a shell, and never when it names output or data, or nothing at all.

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
/** `# cmd`: a root prompt in a session, a comment in a script. */
const ROOT_PROMPT = /^\s*# (.*)$/;
/** `> more`: the rest of the command above (an open quote, a here-document). */
const CONTINUATION = /^\s*> ?(.*)$/;

/** The command after a user's prompt on this line, if it has one. */
export function promptedCommand(line: string): string | undefined {
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
}

/**
 * The commands of a block. Prompted blocks run their prompted lines only; a `# ` line is a
 * root prompt where the block is a session (a console fence, or a shell fence that has other
 * prompts) and is followed by no capital (a comment reads as a sentence). Unprompted blocks
 * run whole in a shell fence and not at all otherwise.
 */
export function blockCommands(lang: string | null | undefined, value: string): BlockCommands {
  const kind = fenceKind(lang);
  const lines = value.split('\n');
  let prompted = false;
  for (let i = 0; i < lines.length && !prompted; i++) if (promptedCommand(lines[i]) !== undefined) prompted = true;
  const rootIsPrompt = prompted || SESSION_LANGS.has((lang ?? '').toLowerCase());
  const session = kind !== 'data' && (prompted || (rootIsPrompt && lines.some((l) => rootCommand(l) !== undefined)));
  if (!session) {
    if (kind === 'script') return { commands: [value], output: [], prompted: false };
    return { commands: [], output: lines, prompted: false };
  }
  const commands: string[] = [];
  const output: string[] = [];
  let open = false; // the last command goes on after a backslash
  let afterCommand = false; // a `> ` line here continues the command
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const last = commands.length - 1;
    if (open) {
      commands[last] += `\n${line}`;
      open = line.trimEnd().endsWith('\\');
      continue;
    }
    const cmd = promptedCommand(line) ?? (rootIsPrompt ? rootCommand(line) : undefined);
    if (cmd !== undefined) {
      commands.push(cmd);
      open = cmd.trimEnd().endsWith('\\');
      afterCommand = true;
    } else if (afterCommand && CONTINUATION.test(line)) {
      commands[last] += `\n${CONTINUATION.exec(line)![1]}`;
    } else {
      afterCommand = false;
      if (line.trim() !== '') output.push(line);
    }
  }
  return { commands, output, prompted: true };
}

/** The command of a root prompt line (`# systemctl restart nginx`), not a sentence. */
function rootCommand(line: string): string | undefined {
  const m = ROOT_PROMPT.exec(line);
  if (!m) return undefined;
  const rest = m[1].trim();
  if (!rest || /^[A-Z]/.test(rest) || rest.startsWith('#')) return undefined;
  return rest;
}
