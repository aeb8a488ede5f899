// Which runbook a file is, the same on every machine: runs, the driver's seat, observers, `watch`
// and the lock after a rollback are kept under this key in a shared ledger, so alice's
// /home/alice/ops/failover.md and bob's /Users/bob/src/ops/failover.md are one runbook.
// In order: the id the runbook declares; else the git remote `origin` of the work tree it sits
// in with its path inside the repository; else its real absolute path (symbolic links resolved,
// so a runbook opened through a linked folder is the same runbook; runbookNames keeps the path
// as given, which older ledgers recorded).
// The git files are read here, no git process is started.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export type RunbookKeySource = 'id' | 'git' | 'path';

export interface RunbookIdentity {
  key: string;
  keyFrom: RunbookKeySource;
}

/** The key of the runbook at `file` (absolute), declaring `id` or not. */
export function runbookIdentity(file: string, id?: string): RunbookIdentity {
  if (id) return { key: id, keyFrom: 'id' };
  const real = realPath(file);
  const repo = gitOrigin(path.dirname(real));
  const remote = repo && normalizeRemoteUrl(repo.url, repo.root);
  if (!repo || !remote) return { key: real, keyFrom: 'path' };
  return { key: `${remote}/${path.relative(repo.root, real).split(path.sep).join('/')}`, keyFrom: 'git' };
}

/** The names a runbook's runs and lock may be recorded under: its key, and its absolute path (older ledgers). */
export function runbookNames(runbook: { key: string; file: string }): string[] {
  return runbook.key === runbook.file ? [runbook.key] : [runbook.key, runbook.file];
}

/** What `validate --outline` says of a key that is not the file's own path. */
export function identityLine(runbook: RunbookIdentity): string | undefined {
  if (runbook.keyFrom === 'path') return undefined;
  const from = runbook.keyFrom === 'id' ? 'its declared id' : "its git remote origin and path in the repository";
  return `  runbook ${runbook.key} (${from}): every copy with this key is this runbook to a shared ledger`;
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * The work tree holding `dir` and its origin's URL as written in the config: the nearest `.git`
 * folder, or `.git` file (`gitdir: …`, a linked worktree or a submodule) above `dir`. A linked
 * worktree's own git folder names the shared one in `commondir`, where the config is.
 */
export function gitOrigin(dir: string): { root: string; url: string } | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const dotGit = path.join(at, '.git');
    if (existsSync(dotGit)) {
      const gitDir = gitDirOf(dotGit);
      const url = gitDir && originUrl(configDirOf(gitDir));
      return url ? { root: at, url } : undefined;
    }
    if (path.dirname(at) === at) return undefined;
  }
}

function gitDirOf(dotGit: string): string | undefined {
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
    return m ? path.resolve(path.dirname(dotGit), m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function configDirOf(gitDir: string): string {
  try {
    return path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    return gitDir;
  }
}

/** `url` of `[remote "origin"]` in the git config of `gitDir`, undefined when there is none. */
function originUrl(gitDir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(gitDir, 'config'), 'utf8');
  } catch {
    return undefined;
  }
  return configValue(text, 'remote', 'origin', 'url');
}

/** A value of a git config file: section names and keys are case-insensitive, subsections not. */
export function configValue(text: string, section: string, subsection: string, key: string): string | undefined {
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]\s*(.*)$/.exec(line);
    if (head) {
      inSection = head[1].toLowerCase() === section && (head[2] ?? '').replace(/\\(.)/g, '$1') === subsection;
      if (!inSection || !head[3]) continue;
    }
    if (!inSection) continue;
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(head ? head[3] : line);
    if (entry && entry[1].toLowerCase() === key) return unquote(entry[2] ?? '');
  }
  return undefined;
}

/** A config value: quotes removed, escapes read, a comment after it (outside quotes) cut off. */
function unquote(value: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && i + 1 < value.length) out += { n: '\n', t: '\t', b: '\b' }[value[++i]] ?? value[i];
    else if (!quoted && (c === '#' || c === ';')) break;
    else out += c;
  }
  return out.trim();
}

/**
 * One form for every way of writing a remote: `git@github.com:org/repo.git`,
 * `https://github.com/org/repo`, `ssh://git@github.com:22/org/repo.git/` → `github.com/org/repo`.
 * User names, passwords, the scheme, a default port and `.git` are dropped; the host is lower
 * case. A local remote (a path, `file://`) is the absolute path, resolved against `base`.
 */
export function normalizeRemoteUrl(url: string, base = process.cwd()): string | undefined {
  // A URL's query or fragment names no repository, and may carry a token (?private_token=…);
  // in a path or an scp-style remote, `?` and `#` are part of the name.
  const trimmed = url.trim();
  const u = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed) ? trimmed.replace(/[?#].*$/s, '') : trimmed;
  if (u === '') return undefined;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(u);
  if (scheme) {
    const kind = scheme[1].toLowerCase();
    if (kind === 'file') return trimRepo(path.resolve(decodeSafe(scheme[2].replace(/^[^/]*/, '')) || '/'));
    const rest = scheme[2];
    const slash = rest.indexOf('/');
    const authority = slash === -1 ? rest : rest.slice(0, slash);
    const host = hostOf(authority.slice(authority.lastIndexOf('@') + 1), kind);
    return host ? join(host, slash === -1 ? '' : rest.slice(slash)) : undefined;
  }
  // scp-like: [user@]host:path, where the part before the first colon has no slash.
  const scp = /^(?:[^@/]*@)?([^/:]+):(?!\/\/)(.*)$/.exec(u);
  if (scp && !/^[A-Za-z]$/.test(scp[1])) return join(scp[1].toLowerCase(), scp[2]);
  return trimRepo(path.resolve(base, u));
}

const DEFAULT_PORTS: Record<string, string> = { ssh: '22', 'git+ssh': '22', 'ssh+git': '22', https: '443', http: '80', git: '9418' };

function hostOf(hostPort: string, scheme: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  if (!m) return hostPort.toLowerCase();
  const port = m[2] && m[2] !== DEFAULT_PORTS[scheme] ? `:${m[2]}` : '';
  return `${m[1].toLowerCase()}${port}`;
}

function join(host: string, repoPath: string): string | undefined {
  const p = trimRepo(decodeSafe(repoPath).replace(/^\/+/, ''));
  return p ? `${host}/${p}` : host || undefined;
}

/** Without trailing slashes and a `.git` ending. */
function trimRepo(p: string): string {
  return p.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
