// Recognising HTTP reads in short texts: a request line (`GET /health`) or a curl command
// that only reads (`curl -sS http://localhost:8080/readyz`). Only GET and HEAD become checks:
// a POST in a runbook changes something and stays with the operator. A curl command becomes a
// check only when the check is all of it: no body, no upload, no other method, no credentials
// it cannot carry, nothing joined to it (`&&`, `|`, `;`), no redirection, no `$( )`. Anything
// else stays a shell block the operator starts (and a writing one is destructive).
import type { ProposedHttpCheck } from './structure.js';

/** Target for bare paths; the operator points it at the service with OPSCOCKPIT_TARGET_URL. */
export const APP_TARGET = { name: 'app', base: '${OPSCOCKPIT_TARGET_URL:-http://127.0.0.1:8080}' } as const;

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+(\/\S*|https?:\/\/\S+)(?:\s+HTTP\/\d(?:\.\d)?)?$/;

export type RequestLine = { method: string; where: string };

/** `GET /api/ops/daily` → { method, where }; anything else → undefined. */
export function requestLine(text: string): RequestLine | undefined {
  const m = REQUEST_LINE.exec(text.trim());
  return m ? { method: m[1], where: m[2] } : undefined;
}

/** A proposed check for a request line or a reading curl command; undefined otherwise. */
export function proposedCheck(command: string): ProposedHttpCheck | undefined {
  const line = requestLine(command);
  if (line) {
    if (line.method !== 'GET' && line.method !== 'HEAD') return undefined;
    return fromWhere(line.method, line.where, {}, `${line.method} ${line.where}`);
  }
  return curlCheck(command);
}

/** Whether the command is an HTTP request written as a request line (any method). */
export function isRequestLine(command: string): boolean {
  return requestLine(command) !== undefined;
}

/** Options that send a body or a file: the request writes. */
const WRITES = new Set(['--data', '--data-raw', '--data-binary', '--data-urlencode', '--data-ascii', '--json', '--form', '--form-string', '--upload-file', '--config', '--quote']);
/** Options a check cannot carry (credentials, cookies, a proxy): the command is not the check. */
const CARRIES = new Set(['--user', '--cookie', '--cookie-jar', '--proxy', '--proxy-user', '--remote-name', '--remote-name-all', '--output-dir']);
/** Options that write a local file: only to /dev/null (the usual `-o /dev/null -w '%{http_code}'`). */
const LOCAL_FILES = new Set(['--output', '--dump-header']);
/** Short options of curl that take a value (the rest of the cluster, or the next word). */
const SHORT_VALUE = new Set('AbcCdDeEFHKmoPQrtTuUwxXyYz'.split(''));
const SHORT_LONG: Record<string, string> = {
  d: '--data', F: '--form', T: '--upload-file', K: '--config', Q: '--quote', u: '--user', b: '--cookie', c: '--cookie-jar',
  x: '--proxy', U: '--proxy-user', O: '--remote-name', o: '--output', D: '--dump-header', X: '--request', H: '--header', I: '--head',
};

/**
 * Whether the text is one simple command: nothing joined to it (`&&`, `||`, `|`, `;`, `&`),
 * no redirection and no command substitution outside single quotes.
 */
function simpleCommand(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '`' || (c === '$' && text[i + 1] === '(')) return false;
    if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if ('|;&<>\n'.includes(c)) return false;
  }
  return true;
}

/** A curl command's options, each as its long name with its value (`-sXDELETE` → --request DELETE). */
function curlOptions(words: string[]): { options: [string, string | undefined][]; urls: string[] } | undefined {
  const options: [string, string | undefined][] = [];
  const urls: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq > 0 ? w.slice(0, eq) : w;
      const takes = name === '--request' || name === '--header' || WRITES.has(name) || CARRIES.has(name) || LOCAL_FILES.has(name) || name === '--url';
      options.push([name, eq > 0 ? w.slice(eq + 1) : takes ? words[++i] : undefined]);
    } else if (w.startsWith('-') && w.length > 1) {
      for (let j = 1; j < w.length; j++) {
        const c = w[j];
        const name = SHORT_LONG[c] ?? `-${c}`;
        if (!SHORT_VALUE.has(c)) {
          options.push([name, undefined]);
          continue;
        }
        options.push([name, j + 1 < w.length ? w.slice(j + 1) : words[++i]]);
        break;
      }
    } else urls.push(w);
  }
  return { options, urls };
}

function curlCheck(command: string): ProposedHttpCheck | undefined {
  if (!command.includes('curl')) return undefined; // most commands: no need to split them
  if (!simpleCommand(command)) return undefined;
  const words = shellWords(command);
  if (words[0] !== 'curl') return undefined;
  const read = curlOptions(words);
  if (!read) return undefined;
  let method: 'GET' | 'HEAD' = 'GET';
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of read.options) {
    if (WRITES.has(name) || CARRIES.has(name)) return undefined;
    if (LOCAL_FILES.has(name) && value !== '/dev/null') return undefined;
    if (name === '--request') {
      const m = (value ?? '').toUpperCase();
      if (m === 'HEAD') method = 'HEAD';
      else if (m !== 'GET') return undefined;
    } else if (name === '--head') method = 'HEAD';
    else if (name === '--url') url ??= value;
    else if (name === '--header') {
      const h = value ?? '';
      const colon = h.indexOf(':');
      const key = h.slice(0, colon).trim();
      const v = h.slice(colon + 1).trim();
      // A value with $ is a shell or secret reference the check cannot send: the command stays a command.
      if (v.includes('$')) return undefined;
      // `__proto__` is no header a server knows: the command stays a command.
      if (key === '__proto__') return undefined;
      if (colon > 0 && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) headers[key] = v;
    }
  }
  for (let i = 0; i < read.urls.length && url === undefined; i++) if (/^https?:\/\//.test(read.urls[i])) url = read.urls[i];
  if (url === undefined || !/^https?:\/\//.test(url)) return undefined;
  return fromWhere(method, url, headers, `${method} ${url}`);
}

function fromWhere(method: 'GET' | 'HEAD', where: string, headers: Record<string, string>, label: string): ProposedHttpCheck | undefined {
  if (where.startsWith('/')) return { method, target: APP_TARGET.name, base: APP_TARGET.base, path: where, headers, label };
  const at = urlParts(where);
  return at && { method, target: at.target, base: at.base, path: at.path, headers, label };
}

type UrlParts = { target: string; base: string; path: string };

/** Runbooks name the same few URLs again and again: each is parsed once. */
const seenUrls = new Map<string, UrlParts | null>();

function urlParts(where: string): UrlParts | undefined {
  let parts = seenUrls.get(where);
  if (parts === undefined) {
    parts = parseUrl(where);
    if (seenUrls.size >= 1024) seenUrls.clear();
    seenUrls.set(where, parts);
  }
  return parts ?? undefined;
}

function parseUrl(where: string): UrlParts | null {
  if (where.includes('$') || where.includes('<')) return null;
  let u: URL;
  try {
    u = new URL(where);
  } catch {
    return null;
  }
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const target = `${u.hostname}-${port}`.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+/, '') || 'host';
  return { target, base: `${u.protocol}//${u.host}`, path: `${u.pathname}${u.search}` };
}

/**
 * A word or an operator of a line without quotes: what shellWords reads character by
 * character, read by one regex (a single `&` is part of a word; `&&`, `|`, `||`, `;`, `;;`,
 * `>`, `>>` are words of their own).
 */
const PLAIN_WORD = /&&|\|\||;;|>>|[|;>]|(?:[^ \t|;>&]|&(?!&))+/g;

/** Words of one shell command line: quotes removed, operators kept as their own words. */
export function shellWords(line: string): string[] {
  if (!line.includes("'") && !line.includes('"')) return line.match(PLAIN_WORD) ?? [];
  return quotedShellWords(line);
}

/** shellWords, character by character: for lines with quotes (and the tests' reference). */
export function quotedShellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  const flush = () => {
    if (has) out.push(cur);
    cur = '';
    has = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === ' ' || c === '\t') flush();
    else if (c === '|' || c === ';' || c === '>') {
      flush();
      out.push(line[i + 1] === c ? (i++, c + c) : c);
    } else if (c === '&' && line[i + 1] === '&') {
      flush();
      out.push('&&');
      i++;
    } else {
      cur += c;
      has = true;
    }
  }
  flush();
  return out;
}
